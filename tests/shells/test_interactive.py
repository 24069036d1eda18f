"""letme in real interactive bash, zsh and fish (pexpect), with the hook loaded, against moto over HTTP.

Each test gets a sandboxed HOME with the catalog fetched (`catalogued`), and
types what a user would type. Values are read back through files (harness.getenv).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests import hostile
from tests.shells.harness import PROMPT, Shell

SHELLS = ["bash", "zsh", "fish"]
MFA = "--mfa-code 123456"
WHOAMI = "python3 -c \"import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])\""


def whoami(shell: Shell) -> str:
    out = shell.workdir / f"arn-{time.monotonic_ns()}"
    shell.run(f"{WHOAMI} > {out}", timeout=30)
    return out.read_text().strip()


@pytest.mark.parametrize("name", SHELLS)
def test_use_switches_the_shell_and_the_prompt_shows_it(name, open_shell):
    sh = open_shell(name)
    assert sh.segment() is None
    assert sh.status(f"letme use example1 {MFA}", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    assert sh.getenv("AWS_PROFILE") == "example1"  # process mode, the default
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sh.getenv("AWS_CREDENTIAL_EXPIRATION") or "")
    assert sh.getenv("AWS_REGION") == sh.getenv("AWS_DEFAULT_REGION") == "eu-west-1"
    assert re.search(r":assumed-role/letme-target/", whoami(sh))
    assert re.fullmatch(r"\[aws:example1 (59m|1h00m)\]", sh.segment() or "")
    # Another account: the cached MFA session means no code; --region picks the region.
    assert sh.status("letme use prod-eu --mode env --region us-east-1", timeout=30) == 0
    assert (sh.getenv("LETME_ACCOUNT"), sh.getenv("AWS_REGION"), sh.getenv("LETME_PREVIOUS")) == \
        ("prod-eu", "us-east-1", "example1")
    assert sh.getenv("LETME_PROD") == "1"


@pytest.mark.parametrize("name", SHELLS)
def test_leave_and_back(name, open_shell):
    sh = open_shell(name)
    assert sh.status(f"letme use example1 {MFA}", timeout=30) == 0
    assert sh.status("letme use example2 --mode env", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "example2"
    assert sh.getenv("AWS_PROFILE") is None and sh.getenv("AWS_ACCESS_KEY_ID")
    assert sh.getenv("LETME_PREVIOUS") == "example1"
    assert sh.status("letme back", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    assert sh.status("letme leave") == 0
    for var in ("LETME_ACCOUNT", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_REGION", "LETME_EXPIRES"):
        assert sh.getenv(var) is None, var
    assert sh.segment() is None
    assert sh.getenv("LETME_PREVIOUS") == "example1"


@pytest.mark.parametrize("name", SHELLS)
def test_tab_completes_a_fuzzy_fragment(name, open_shell):
    sh = open_shell(name)
    sh.child.send("letme use ex1\t")
    time.sleep(0.5)
    sh.run(MFA, timeout=30)
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    sh.child.send("letme use pdeu\t")  # "prd" also matches payments-prod-…: listed, not inserted
    time.sleep(0.5)
    sh.run("--mode env", timeout=30)
    assert sh.getenv("LETME_ACCOUNT") == "prod-eu"
    assert sh.getenv("LETME_PROD") == "1"


# What the terminal shows when TAB turned a typed `--mo` into `--mode` (the shell may redraw in between).
COMPLETED_MODE = re.compile(r"--mo(?:\x1b\[[0-9;?]*[A-Za-z]|[\b\r])*de\b")


@pytest.mark.parametrize("name", SHELLS)
def test_hostile_names_are_inert(name, open_shell, tmp_path):
    sh = open_shell(name)
    canary = tmp_path / hostile.CANARY_NAME
    for text in [f"$(touch {canary})", f"`touch {canary}`", f"'; touch {canary}; '", f"x; touch {canary}"]:
        quoted = "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'" if name == "fish" else \
            "'" + text.replace("'", "'\\''") + "'"
        assert sh.status(f"letme use {quoted}") != 0
        sh.child.send(f"letme use {quoted}\t\x03")  # completion over the same text, then abandon the line
        sh.sync()
        # Completion over a line that holds the text: it still produces its candidate (--mo becomes --mode),
        # so it really ran over the hostile word. Except where bash itself calls no completion function: on a
        # line with a backquoted word (bash's rule, with or without letme), where TAB only beeps.
        sh.child.send(f"letme use {quoted} --mo\t")
        if name == "bash" and "`" in text:
            sh.child.expect("\x07", timeout=10)
        else:
            sh.child.expect(COMPLETED_MODE, timeout=10)
        sh.child.send("\x03")
        sh.sync()
    assert not canary.exists()
    assert sh.getenv("LETME_ACCOUNT") is None


@pytest.mark.parametrize("name", SHELLS)
def test_shell_starts_a_child_with_credentials_and_returns_its_status(name, open_shell):
    sh = open_shell(name)
    seen = sh.workdir / "seen"
    rc = sh.workdir / "rc"
    status = "$status" if name == "fish" else "$?"
    sh.child.sendline(f"letme shell example1 {MFA}; printf '%s' {status} > {rc}")
    sh.child.expect("starting .* with example1's credentials", timeout=30)
    time.sleep(1)
    sh.child.sendline(f"printf '%s' \"$LETME_SHELL_DEPTH:$LETME_ACCOUNT:$LETME_MODE\" > {seen}; exit 7")
    sh.sync()
    assert rc.read_text() == "7"
    assert seen.read_text() == "1:example1:env"


@pytest.mark.parametrize("name", SHELLS)
def test_exec_runs_one_command_and_returns_its_status(name, open_shell):
    sh = open_shell(name)
    assert sh.status(f"letme exec example1 {MFA} -- sh -c 'exit 9'", timeout=30) == 9
    out = sh.workdir / "arn"
    assert sh.status(f"letme exec example1 -- {WHOAMI} > {out}", timeout=30) == 0
    assert ":assumed-role/letme-target/" in out.read_text()
    assert sh.getenv("LETME_ACCOUNT") is None  # exec leaves this shell alone


def _age_cache(home: Path, account: str, seconds_left: int) -> None:
    path = home / ".cache" / "letme" / "credentials" / "general" / f"{account}.json"
    data = json.loads(path.read_text())
    data["credentials"]["Expires"] = int(time.time()) + seconds_left
    # Aged as one-hour credentials are: issued an hour before they expire (the window depends on the lifetime).
    data["credentials"]["Issued"] = data["credentials"]["Expires"] - 3600
    path.write_text(json.dumps(data))


def _wait(sh: Shell, var: str, predicate, seconds: float = 20) -> str | None:
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline:
        sh.run("")  # a prompt: the hook looks at the status file
        value = sh.getenv(var)
        if predicate(value):
            return value
        time.sleep(0.5)
    return value


@pytest.mark.parametrize("name", SHELLS)
def test_refresh_happens_before_expiry_in_the_background(name, open_shell, catalogued, recorder):
    sh = open_shell(name)
    assert sh.status(f"letme use example1 --mode env {MFA}", timeout=30) == 0
    old_key = sh.getenv("AWS_ACCESS_KEY_ID")
    # Ten minutes left, inside the 15-minute refresh window: in the cache and in this shell.
    _age_cache(catalogued.home, "example1", 600)
    soon = int(time.time()) + 600
    if name == "fish":
        sh.run(f"set -gx LETME_EXPIRES {soon}; set -gx LETME_REFRESH_AT {soon - 900}")
    else:
        sh.run(f"export LETME_EXPIRES={soon} LETME_REFRESH_AT={soon - 900}")
    recorder.reset()
    assert re.fullmatch(r"\[aws:example1 (9|10)m\]", sh.segment() or "")
    renewed = _wait(sh, "LETME_EXPIRES", lambda v: v is not None and int(v) > soon + 600)
    assert renewed is not None and int(renewed) > soon + 600, "the shell did not pick up the renewed credentials"
    assert sh.getenv("AWS_ACCESS_KEY_ID") != old_key
    assert len(recorder.actions("AssumeRole")) == 1
    assert re.fullmatch(r"\[aws:example1 (59m|1h00m)\]", sh.segment() or "")


def test_refresh_that_needs_mfa_says_what_to_run_and_never_hangs(open_shell, catalogued):
    sh = open_shell("bash")
    assert sh.status(f"letme use example1 --mode env {MFA}", timeout=30) == 0
    _age_cache(catalogued.home, "example1", 600)
    (catalogued.home / ".cache" / "letme" / "credentials" / "general" / "_mfa-session.json").unlink()
    soon = int(time.time()) + 600
    sh.run(f"export LETME_EXPIRES={soon} LETME_REFRESH_AT={soon - 900}")
    deadline = time.monotonic() + 20
    seen = ""
    while time.monotonic() < deadline and "needs a new MFA code" not in seen:
        # Every prompt comes back within the timeout: nothing blocks. What is printed before each prompt is
        # kept (sh.run's own sync prompt would drop a line printed at it).
        sh.child.sendline("")
        sh.child.expect(PROMPT, timeout=5)
        seen += sh.child.before
        time.sleep(0.5)
    sh.sync()
    assert "letme: example1 needs a new MFA code before it expires; run 'letme refresh'" in seen
    assert seen.count("needs a new MFA code") == 1
    assert sh.getenv("LETME_EXPIRES") == str(soon)


def test_prompt_keeps_status_and_installs_once(open_shell):
    sh = open_shell("bash")
    sh.run(f"source {sh.hook_file}")  # the hook evaluated a second time
    # An element of its own after what was there (not element 0, which `PROMPT_COMMAND='...'` replaces);
    # `&& :`: a status to hand on, never errexit; stdout not a terminal: bash-preexec's DEBUG trap skips it.
    declared = sh.workdir / "declared"
    sh.run(f"declare -p PROMPT_COMMAND > {declared}")
    assert declared.read_text().strip() == \
        """declare -a PROMPT_COMMAND=([0]="" [1]="{ __letme_precmd && :; } >/dev/null")"""
    assert (sh.getenv("PS1") or "").count("__letme_ps1") == 1
    assert (sh.getenv("PS0") or "").count("__letme_expired_line") == 1
    sh.child.sendline("(exit 3)")
    sh.child.expect("exit 3")
    sh.child.expect(r"LETME-TEST-PS1> ")
    out = sh.workdir / "last"
    sh.run(f"printf '%s' $? > {out}")
    assert out.read_text() == "3"


def test_prompt_ttl_formats_and_can_be_turned_off(open_shell):
    sh = open_shell("zsh")
    now = int(time.time())
    sh.run(f"export LETME_ACCOUNT=example1 LETME_EXPIRES={now + 3930}")
    assert sh.segment() == "[aws:example1 1h05m]"
    sh.run(f"LETME_EXPIRES={now - 5}")
    assert sh.segment() == "[aws:example1 expired]"
    sh.run("LETME_SHELL_DEPTH=2 LETME_EXPIRES=" + str(now + 2530))
    assert sh.segment() == "[aws:example1 42m shell:2]"
    sh.run("LETME_PROMPT=0")
    assert sh.segment() is None


def test_use_without_the_hook_explains_and_fails(catalogued):
    result = catalogued.run("use", "example1", env={"SHELL": "/usr/bin/zsh"})
    assert result.returncode == 2 and result.stdout == ""
    assert "cannot change this shell" in result.stderr
    assert re.search(r'eval "\$\(letme hook (bash|zsh)\)"', result.stderr)
    scripted = catalogued.run("use", "example1", "--shell", "fish", "--mfa-code", "123456")
    assert scripted.returncode == 0 and "set -gx AWS_PROFILE 'example1';" in scripted.stdout


def test_use_modes_write_the_aws_files(catalogued):
    env = {"LETME_HOOK_SHELL": "bash"}
    catalogued.ok("use", "example1", "--mode", "profile", "--mfa-code", "123456", env=env)
    creds = catalogued.credentials_file.read_text()
    assert "[example1]" in creds and "aws_session_token" in creds
    assert "credential_process" not in catalogued.config_file.read_text().split("[profile example1]")[1]
    out = catalogued.ok("use", "example1", env=env).stdout  # process mode: the stale static keys go
    assert "export AWS_PROFILE='example1';" in out and "unset AWS_ACCESS_KEY_ID;" in out
    assert "[example1]" not in catalogued.credentials_file.read_text()
    assert "credential-process example1 --context general" in catalogued.config_file.read_text()
    env_out = catalogued.ok("use", "example1", "--mode", "env", env=env).stdout
    assert "unset AWS_PROFILE;" in env_out and "export AWS_SESSION_TOKEN=" in env_out
    assert re.search(r"export LETME_EXPIRES='\d+';", env_out)


def test_cached_use_imports_no_boto3(catalogued):
    env = {"LETME_HOOK_SHELL": "bash"}
    catalogued.ok("use", "example1", "--mfa-code", "123456", env=env)
    code = ("import sys; from letme_shell import cli; rc = cli.main(['use', 'example1']); "
            "bad = [m for m in ('boto3', 'botocore', 'prompt_toolkit') if m in sys.modules]; "
            "sys.stderr.write('IMPORTED:%s\\n' % bad); sys.exit(rc)")
    result = subprocess.run(["python3", "-c", code], env={**catalogued.env, **env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "IMPORTED:[]" in result.stderr


def test_exec_passes_signals_and_keeps_secrets_out_of_argv(catalogued):
    killed = catalogued.run("exec", "example1", "--mfa-code", "123456", "--", "sh", "-c", "kill -TERM $$")
    assert killed.returncode == -15
    shown = catalogued.ok("exec", "example1", "--", "sh", "-c",
                           "tr '\\0' ' ' < /proc/$$/cmdline; echo; printf '%s' \"$AWS_SECRET_ACCESS_KEY\"").stdout
    argv, secret = shown.split("\n", 1)
    assert secret and secret not in argv
    exported = catalogued.ok("exec", "example1", "--shell", "fish").stdout
    assert "set -gx AWS_SECRET_ACCESS_KEY '" in exported and "set -e -g AWS_PROFILE;" in exported


def test_nested_shell_is_explained(catalogued):
    result = catalogued.run("shell", "example1", "--mfa-code", "123456", input="exit 5\n",
                             env={"LETME_SHELL_DEPTH": "1", "LETME_ACCOUNT": "example2", "SHELL": "/bin/sh"})
    assert result.returncode == 5
    assert "already in a letme shell for example2 (depth 1)" in result.stderr


RANKING = {
    "bash": ["bash", "--norc", "-c",
             'source "$1"; shift; __letme_fuzzy "$@"; printf "%s\\n" "${COMPREPLY[@]}"', "bash"],
    "zsh": ["zsh", "-f", "-c", 'source "$1"; shift; __letme_fuzzy "$@"; print -rl -- $reply', "zsh"],
    "fish": ["fish", "--no-config", "-c", 'source $argv[1]; __letme_fuzzy $argv[2..-1]'],
}


@pytest.mark.parametrize("name", SHELLS)
def test_completion_offers_prefix_matches_alone_else_substring_then_subsequence(name, tmp_path):
    from letme_shell import resources

    script = resources.path("completions", {"bash": "letme.bash", "zsh": "_letme", "fish": "letme.fish"}[name])
    names = ["payments-prod-00017", "prod-eu", "search-prd", "example1", "xprdx", "PRD-upper"]
    result = subprocess.run([*RANKING[name], str(script), "prd", *names], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PRD-upper"]  # a prefix match (any case): offered alone
    without_prefix = [n for n in names if n != "PRD-upper"]
    result = subprocess.run([*RANKING[name], str(script), "prd", *without_prefix], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["search-prd", "xprdx", "payments-prod-00017", "prod-eu"]


@pytest.mark.parametrize("name", SHELLS)
def test_doctor_through_the_function_sees_the_hook(name, open_shell):
    sh = open_shell(name)
    out = sh.workdir / "doctor.json"
    sh.run(f"letme doctor --json --no-network > {out}", timeout=30)
    hook = next(c for c in json.loads(out.read_text())["checks"] if c["name"] == "hook")
    assert hook["status"] == "ok", hook
    # Run bare (not through the function), the same check warns: the marker is not exported.
    sh.run(f"command letme doctor --json --no-network > {out}", timeout=30)
    hook = next(c for c in json.loads(out.read_text())["checks"] if c["name"] == "hook")
    assert hook["status"] == "warn", hook

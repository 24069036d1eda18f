"""Daily use in real bash, zsh and fish with the hook loaded (issue 11, items 5-8).

- short sessions (900 s credentials, the default 900 s window): the prompt's background renewal starts in the
  credentials' last third, not at once, and never prints an error;
- `letme back` and `letme use -` restore account, context, mode and region, also after `leave`;
- `letme status` says what the shell uses and whether the environment still matches what letme set;
- `shell`, `exec` (and `console`) with no account use the shell's current one; `letme shell --mode`.

Values are read back through files (harness.getenv), as in test_interactive.
"""

from __future__ import annotations

import json
import time

import pytest
from test_obtain import seed_table, set_config

from letme_shell import sampleorg
from tests.shells.harness import Shell

SHELLS = ["bash", "zsh", "fish"]
MFA = "--mfa-code 123456"
TABLE_D = "letme-accounts-daily"


def export(sh: Shell, name: str, value: str) -> None:
    sh.run(f"set -gx {name} {value}" if sh.name == "fish" else f"export {name}={value}")


def state(sh: Shell) -> tuple[str | None, ...]:
    return tuple(sh.getenv(var) for var in ("LETME_ACCOUNT", "LETME_ACTIVE_CONTEXT", "LETME_MODE", "AWS_REGION"))


# ---- item 5: short sessions -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SHELLS)
def test_short_sessions_are_not_renewed_at_once_and_print_no_error(name, open_shell, catalogued, recorder):
    set_config(catalogued, session_duration=900, refresh_window=900)
    sh = open_shell(name)
    assert sh.status(f"letme use example1 --mode env {MFA}", timeout=30) == 0
    expires, refresh_at = int(sh.getenv("LETME_EXPIRES") or 0), int(sh.getenv("LETME_REFRESH_AT") or 0)
    assert expires - refresh_at == 300  # the last third of 900 s, not all of it
    seen = ""
    for _ in range(6):  # a few prompts: a renewal started at once would have finished and been applied by now
        seen += sh.run("", timeout=10)
        time.sleep(0.5)
    assert "letme:" not in seen, seen
    assert sh.getenv("LETME_EXPIRES") == str(expires)
    assert len(recorder.actions("AssumeRole")) == 1


# ---- item 6: back and `use -` -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table_d(moto: str) -> str:
    seed_table(moto, TABLE_D, [sampleorg.account_item("example1", 911, description="d's example1")])
    return TABLE_D


@pytest.mark.parametrize("name", SHELLS)
def test_back_and_use_dash_restore_account_mode_and_region(name, open_shell):
    sh = open_shell(name)
    assert sh.status(f"letme use example2 --mode env --region us-east-1 {MFA}", timeout=30) == 0
    assert sh.status("letme use example1", timeout=30) == 0
    assert state(sh) == ("example1", "general", "process", "eu-west-1")
    assert sh.status("letme back", timeout=30) == 0
    assert state(sh) == ("example2", "general", "env", "us-east-1")
    assert sh.getenv("AWS_DEFAULT_REGION") == "us-east-1"
    assert sh.getenv("AWS_ACCESS_KEY_ID") and sh.getenv("AWS_PROFILE") is None
    assert sh.getenv("LETME_PREVIOUS") == "example1"
    assert sh.status("letme use -", timeout=30) == 0  # as `cd -`: back again
    assert state(sh) == ("example1", "general", "process", "eu-west-1")
    assert sh.getenv("AWS_PROFILE") == "example1" and sh.getenv("AWS_ACCESS_KEY_ID") is None
    assert sh.status("letme use -", timeout=30) == 0
    assert state(sh) == ("example2", "general", "env", "us-east-1")
    # leave, then back: the account left, as it was.
    assert sh.status("letme leave") == 0
    assert state(sh) == (None, None, None, None)
    assert sh.status("letme back", timeout=30) == 0
    assert state(sh) == ("example2", "general", "env", "us-east-1")
    # An option given to `use -` wins over what is restored.
    assert sh.status("letme use example1", timeout=30) == 0
    assert sh.status("letme use - --region eu-west-1", timeout=30) == 0
    assert state(sh) == ("example2", "general", "env", "eu-west-1")


@pytest.mark.parametrize("name", SHELLS)
def test_back_returns_to_another_contexts_account(name, open_shell, catalogued, table_d):
    with catalogued.letme_config.open("a") as fh:
        fh.write(f'\n[d]\naws_source_profile_region = "{sampleorg.REGION}"\ndynamodb_table = "{table_d}"\n'
                 f'endpoint_url = "{catalogued.org.endpoint}"\nmfa_arn = "{catalogued.org.mfa_arn}"\n')
    catalogued.ok("--context", "d", "init")
    sh = open_shell(name)
    assert sh.status(f"letme use example1@d --mode profile --region eu-central-1 {MFA}", timeout=30) == 0
    assert sh.status(f"letme use example2 {MFA}", timeout=30) == 0  # another context: its own MFA session
    assert sh.status("letme back", timeout=30) == 0
    assert state(sh) == ("example1@d", "d", "profile", "eu-central-1")
    assert sh.getenv("AWS_PROFILE") == "example1@d"


@pytest.mark.parametrize("name", SHELLS)
def test_a_hostile_previous_mode_or_region_is_not_used(name, open_shell):
    sh = open_shell(name)
    assert sh.status(f"letme use example2 {MFA}", timeout=30) == 0
    assert sh.status("letme use example1", timeout=30) == 0
    export(sh, "LETME_PREVIOUS_MODE", "'$(touch x)'")
    export(sh, "LETME_PREVIOUS_REGION", "'us-east-1;touch x'")
    assert sh.status("letme back", timeout=30) == 0
    assert state(sh) == ("example2", "general", "process", "eu-west-1")  # the defaults instead
    assert not (sh.workdir / "x").exists()


# ---- item 7: status -----------------------------------------------------------------------------------------

def status_json(sh: Shell, *args: str) -> tuple[int, dict]:
    out = sh.workdir / f"status-{time.monotonic_ns()}.json"
    rc = sh.status(f"letme status --json {' '.join(args)} > {out}", timeout=60)
    return rc, json.loads(out.read_text())


@pytest.mark.parametrize("name", SHELLS)
def test_status_says_what_the_shell_uses_and_whether_it_still_holds(name, open_shell, catalogued):
    sh = open_shell(name)
    rc, data = status_json(sh)
    assert rc == 3 and data["account"] is None
    assert sh.status(f"letme use example2 --mode env --region us-east-1 {MFA}", timeout=30) == 0
    rc, data = status_json(sh)
    assert rc == 0, data
    assert (data["account"], data["context"], data["mode"], data["region"]) == \
        ("example2", "general", "env", "us-east-1")
    assert 3500 < data["seconds_left"] <= 3600 and data["expiration"].endswith("Z")
    assert data["environment"] == {"matches": True, "problems": []}
    assert data["refresh"]["state"] == "none" and data["refresh"]["at"] == int(sh.getenv("LETME_REFRESH_AT") or 0)
    # A refresh the hook recorded shows up.
    status_file = catalogued.home / ".local/state/letme/refresh/general/example2"
    status_file.parent.mkdir(parents=True, exist_ok=True)
    status_file.write_text(f"mfa {int(time.time())} 0\n")
    _, data = status_json(sh)
    assert data["refresh"]["state"] == "mfa"
    # Another tool's keys: the segment's account is no longer the one in use.
    export(sh, "AWS_ACCESS_KEY_ID", catalogued.org.access_key_id)
    export(sh, "AWS_SECRET_ACCESS_KEY", catalogued.org.secret_access_key)
    rc, data = status_json(sh)
    assert rc == 1 and not data["environment"]["matches"]
    assert any("AWS_ACCESS_KEY_ID" in problem for problem in data["environment"]["problems"])
    rc, data = status_json(sh, "--verify")
    assert rc == 1
    assert data["verify"]["arn"].endswith(":user/alice") and data["verify"]["matches"] is False


@pytest.mark.parametrize("name", SHELLS)
def test_status_verify_asks_sts_with_the_shells_own_credentials(name, open_shell):
    sh = open_shell(name)
    assert sh.status(f"letme use example1 {MFA}", timeout=30) == 0
    rc, data = status_json(sh, "--verify")
    assert rc == 0, data
    assert data["verify"]["arn"] == "arn:aws:sts::100000000001:assumed-role/letme-target/example1-letme-session"
    assert data["verify"]["matches"] is True
    export(sh, "AWS_PROFILE", "default")  # the SDKs now act as the hub user, the segment still says example1
    rc, data = status_json(sh, "--verify")
    assert rc == 1
    assert data["verify"]["arn"].endswith(":user/alice")
    assert any("AWS_PROFILE" in problem for problem in data["environment"]["problems"])
    text = sh.workdir / "status.txt"
    assert sh.status(f"letme status > {text}", timeout=30) == 1
    shown = text.read_text()
    assert "example1" in shown and "AWS_PROFILE" in shown and "process" in shown


# ---- item 8: defaults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SHELLS)
def test_shell_and_exec_default_to_the_current_account(name, open_shell):
    sh = open_shell(name)
    assert sh.status(f"letme use example2 --region us-east-1 {MFA}", timeout=30) == 0
    out = sh.workdir / "exec"
    assert sh.status(f"letme exec -- sh -c 'echo $LETME_ACCOUNT $LETME_MODE' > {out}", timeout=30) == 0
    assert out.read_text().split() == ["example2", "env"]
    seen = sh.workdir / "seen"
    rc = sh.workdir / "rc"
    status = "$status" if name == "fish" else "$?"
    sh.child.sendline(f"letme shell --mode process; printf '%s' {status} > {rc}")
    sh.child.expect("starting .* with example2's credentials", timeout=30)
    time.sleep(1)
    sh.child.sendline(f"printf '%s' \"$LETME_ACCOUNT:$LETME_MODE:$AWS_PROFILE:$AWS_ACCESS_KEY_ID\" > {seen}; "
                      "exit 4")
    sh.sync()
    assert rc.read_text() == "4"
    assert seen.read_text() == "example2:process:example2:"


# ---- completion of what is new: `status`, `shell --mode` -------------------------------------------------

@pytest.mark.parametrize("name", SHELLS)
def test_tab_completes_status_and_shell_mode(name, open_shell):
    from tests.shells.test_completion_extra import tab

    sh = open_shell(name)
    if name == "zsh":
        sh.run("bindkey -e")
    assert tab(sh, "letme stat") == ["letme", "status"]
    assert tab(sh, "letme status --ver") == ["letme", "status", "--verify"]
    assert tab(sh, "letme shell example1 --mode prof") == ["letme", "shell", "example1", "--mode", "profile"]

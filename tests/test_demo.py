"""`letme demo`: the scripted round trip, the interactive shell (pexpect), and that it leaves nothing behind.

Every run gets a fake "real" HOME (a temporary directory with a sentinel
~/.aws/credentials), so the test proves the demo neither reads nor writes it.
"""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pexpect
import pytest
from conftest import LETME, clean_environ

SENTINEL = "[default]\naws_access_key_id = REAL-KEY\naws_secret_access_key = REAL-SECRET\n"


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def real_home(tmp_path: Path) -> Path:
    home = tmp_path / "real-home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(SENTINEL)
    (home / ".bashrc").write_text("echo REAL-BASHRC-LOADED\n")
    return home


def _env(real_home: Path, **extra: str) -> dict[str, str]:
    env = clean_environ()
    env.update(HOME=str(real_home), TMPDIR=str(real_home.parent), **extra)
    # Variables of the user's shell the demo must not pass on.
    env.update(AWS_PROFILE="real-profile", AWS_ACCESS_KEY_ID="REAL-KEY", AWSUME_PROFILE="x")
    return env


def _port_closed(endpoint: str) -> bool:
    parsed = urllib.parse.urlsplit(endpoint)
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((parsed.hostname, parsed.port)) != 0


SCRIPT = r"""
set -e
echo "SANDBOX=$LETME_DEMO"
echo "ENDPOINT=$AWS_ENDPOINT_URL"
eval "$(letme use example1 --shell bash --mfa-code 123456)"
echo "PROFILE=$AWS_PROFILE ACCOUNT=$LETME_ACCOUNT"
letme credential-process example1 \
    | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print("PROCESS", d["Version"], d["AccessKeyId"][:4])'
"$PYTHON" -c 'import boto3; print("ARN=" + boto3.client("sts").get_caller_identity()["Arn"])'
test -z "${AWSUME_PROFILE-}" && echo "SCRUBBED"
exit 7
"""


def test_command_round_trip(real_home: Path) -> None:
    before = _snapshot(real_home)
    result = subprocess.run([LETME, "demo", "--", "sh", "-c", SCRIPT], env=_env(real_home, PYTHON=sys.executable),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 7, result.stderr  # the command's own status
    out = dict(re.findall(r"^(\w+)=(\S+)", result.stdout, re.M))
    assert "PROFILE=example1 ACCOUNT=example1" in result.stdout
    assert "PROCESS 1 ASIA" in result.stdout
    assert out["ARN"].startswith("arn:aws:sts::100000000001:assumed-role/letme-target/")
    assert "SCRUBBED" in result.stdout
    assert "cached 48 accounts" in result.stderr
    # Nothing left: the sandbox is gone, the server is down, the real HOME is as it was.
    assert out["SANDBOX"].startswith(str(real_home.parent))
    assert not Path(out["SANDBOX"]).exists()
    assert not Path(out["SANDBOX"]).parent.exists()
    assert _port_closed(out["ENDPOINT"])
    assert _snapshot(real_home) == before


def test_failing_command_status_and_missing_program(real_home: Path) -> None:
    result = subprocess.run([LETME, "demo", "-q", "--", "sh", "-c", "exit 3"], env=_env(real_home),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3 and result.stderr == ""
    missing = subprocess.run([LETME, "demo", "-q", "--", "no-such-program-here"], env=_env(real_home),
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1
    assert missing.stderr == "letme: error: cannot run 'no-such-program-here': not found\n"
    leftovers = [p for p in real_home.parent.iterdir() if p.name.startswith("letme-demo-")]
    assert leftovers == []


def test_without_moto_says_how_to_install(real_home: Path) -> None:
    code = ("import sys; sys.modules['moto'] = None\n"
            "from letme_shell.cli import main; sys.exit(main(['demo', '--', 'true']))")
    result = subprocess.run([sys.executable, "-c", code], env=_env(real_home), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr == ("letme: error: letme demo needs moto: install it with "
                             "pip install 'letme-shell[demo]'\n")


def _interactive(real_home: Path, shell_args: list[str], env_extra: dict[str, str]) -> None:
    before = _snapshot(real_home)
    env = _env(real_home, TERM="xterm", **env_extra)
    child = pexpect.spawn(LETME, ["demo", *shell_args], env=env, encoding="utf-8", timeout=60,
                          dimensions=(40, 200))
    try:
        child.expect("end the demo: stops the server")
        child.expect(r"\(letme demo\)")
        child.sendline("echo S=$LETME_DEMO E=$AWS_ENDPOINT_URL")
        child.expect(r"S=(/\S+) E=(http\S+)")
        sandbox, endpoint = child.match.group(1), child.match.group(2)
        assert Path(sandbox).is_dir() and sandbox.startswith(str(real_home.parent))
        child.sendline("letme use example1")
        child.expect("MFA code: ")
        child.sendline("123456")
        child.expect(r"\[aws:example1 ")  # the prompt segment of the hook
        child.sendline("demo-whoami")
        child.expect(r"arn:aws:sts::100000000001:assumed-role/letme-target/\S+")
        child.sendline("letme use example2")  # the MFA session is reused: no new prompt
        child.expect(r"\[aws:example2 ")
        # A shell started inside the demo is a demo shell too: the hook and its prompt segment are there.
        child.sendline("letme shell example2")
        child.expect(r"\[aws:example2 \S+ shell:1\]")
        child.sendline("exit")
        child.expect(r"\(letme demo\)")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert "REAL-BASHRC-LOADED" not in (child.before or "")
    assert not Path(sandbox).exists()
    assert _port_closed(endpoint)
    assert _snapshot(real_home) == before


def test_interactive_bash_from_shell_variable(real_home: Path) -> None:
    # The default path: no --shell; shellingham's answer, else SHELL.
    _interactive(real_home, [], {"SHELL": "/bin/bash"})


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_interactive_other_shells(real_home: Path, shell: str) -> None:
    _interactive(real_home, ["--shell", shell], {"SHELL": "/bin/sh"})


@pytest.mark.parametrize(("shell", "message"), [("tcsh", "does not support the shell 'tcsh'"),
                                                ("powershell", "the demo starts bash, zsh or fish, not powershell")])
def test_a_shell_the_demo_cannot_start_is_refused_before_the_server(real_home: Path, shell: str,
                                                                      message: str) -> None:
    result = subprocess.run([LETME, "demo", "--shell", shell], env=_env(real_home), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and message in result.stderr
    assert "starting" not in result.stderr.lower() and "moto" not in result.stderr.lower()


# ---- issue 11, item 14: `letme console` in the demo, through a local stand-in of the federation endpoint --------


def test_console_prints_a_sign_in_url_in_the_demo(real_home: Path) -> None:
    """The command as a user types it, on a terminal (the MFA prompt is answered there)."""
    child = pexpect.spawn(LETME, ["demo", "-q", "--", "letme", "console", "example1", "--print"],
                          env=_env(real_home, TERM="xterm"), encoding="utf-8", timeout=120, dimensions=(40, 400))
    try:
        child.expect("MFA code: ")
        child.sendline("123456")
        child.expect(r"(http://127\.0\.0\.1:\d+/federation\?Action=login&\S+)")
        url = child.match.group(1)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["Issuer"] == ["letme"] and query["SigninToken"][0]
    assert query["Destination"][0].startswith("https://eu-west-1.console.aws.amazon.com/")


STAND_IN = r"""
import json, subprocess, sys, urllib.error, urllib.parse, urllib.request

creds = json.loads(subprocess.run(["letme", "credential-process", "example1", "--mfa-code", "123456"],
                                  capture_output=True, text=True, check=True).stdout)
secrets = [creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]]
console = subprocess.run(["letme", "console", "example1", "--print"], capture_output=True, text=True)
print("CONSOLE", console.returncode)
url = console.stdout.strip()
endpoint = url.split("?")[0]
answers = []

def get(target):
    try:
        with urllib.request.urlopen(target, timeout=10) as response:
            body = response.read().decode()
            answers.append(body)
            return response.status, body
    except urllib.error.HTTPError as exc:
        body = exc.read().decode()
        answers.append(body)
        return exc.code, body

status, page = get(url)
print("LOGIN", status, page)
session = json.dumps({"sessionId": creds["AccessKeyId"], "sessionKey": creds["SecretAccessKey"],
                      "sessionToken": creds["SessionToken"]})
status, body = get(endpoint + "?" + urllib.parse.urlencode({"Action": "getSigninToken", "Session": session}))
print("TOKEN", status, sorted(json.loads(body)))
forged = json.dumps({"sessionId": "ASIAFORGED", "sessionKey": creds["SecretAccessKey"], "sessionToken": "x"})
print("FORGED", get(endpoint + "?" + urllib.parse.urlencode({"Action": "getSigninToken", "Session": forged}))[0])
print("BADTOKEN", get(endpoint + "?Action=login&SigninToken=nope")[0])
print("OTHER", get(endpoint + "?Action=getFederationToken&" + urllib.parse.urlencode({"Session": session}))[0])
print("ECHOED", sum(secret in answer for secret in secrets for answer in answers + [url]))
"""


def test_the_stand_in_signs_in_and_never_echoes_credentials(real_home: Path) -> None:
    result = subprocess.run([LETME, "demo", "-q", "--", sys.executable, "-c", STAND_IN], env=_env(real_home),
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CONSOLE 0" in out
    assert re.search(r"^LOGIN 200 .*signed in as arn:aws:sts::100000000001:assumed-role/letme-target/example1-",
                     out, re.M), out
    assert "TOKEN 200 ['SigninToken']" in out
    assert "FORGED 400" in out and "BADTOKEN 403" in out and "OTHER 400" in out
    assert "ECHOED 0" in out
    assert result.stderr == ""  # no request is logged

"""MFA prompts and locks (issue 10, item 5): never ask from the background, never hold a lock for a person.

An SDK call in a background job (`python3 -c … &`) runs `letme credential-process`: asking for a code there
printed `MFA code:` into the user's prompt line and stopped the job for terminal input while it held
letme's locks, so the next `letme use` waited 30 s and then suggested deleting the lock file. Here:
- a letme outside the terminal's foreground process group fails at once (exit 4) without writing to the
  terminal, and says to run `letme refresh` in the foreground;
- a letme waiting for a person's code holds no lock: another letme (another account, or the same one, with
  --mfa-code) finishes promptly, and the waiting one then uses what the other obtained;
- a lock held by another process is reported with that process's PID, and deleting it is never suggested.

The shell is a real interactive bash with job control on a pty (pexpect).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
import stsproxy
from conftest import LETME, Recorder, Sandbox
from test_obtain import detached

PROMPT = "JOBS-SH> "


@pytest.fixture
def job_shell(catalogued: Sandbox, tmp_path: Path) -> Iterator[pexpect.spawn]:
    """An interactive bash with job control on its own pty: `&` makes a background process group."""
    env = {**catalogued.env, "TERM": "dumb", "LC_ALL": "C.UTF-8"}
    shell = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=env, cwd=str(tmp_path),
                          encoding="utf-8", codec_errors="replace", timeout=20, dimensions=(40, 300))
    shell.sendline(f"PS1='{PROMPT}'; PROMPT_COMMAND=''; set -m")
    shell.expect_exact(f"{PROMPT}")
    shell.expect_exact(f"{PROMPT}")
    try:
        yield shell
    finally:
        # A job stopped for terminal input (the bug) must not outlive the test.
        shell.sendline("kill -KILL $(jobs -p) 2>/dev/null; exit")
        shell.close(force=True)


def run_in_background(shell: pexpect.spawn, command: str, workdir: Path, limit: float = 15) -> tuple[str, str]:
    """Start `command` as a background job; wait for its exit status (a file). Returns (status, terminal text)."""
    status = workdir / "status"
    shell.sendline(f"{{ {command}; echo $? >{status}; }} &")
    seen = ""
    deadline = time.monotonic() + limit
    while not (status.exists() and status.read_text().strip()):
        if time.monotonic() > deadline:
            seen += _drain(shell)
            pytest.fail(f"the background job did not finish within {limit:.0f}s; the terminal shows {seen!r}")
        seen += _drain(shell, 0.2)
    seen += _drain(shell, 0.5)
    return status.read_text().strip(), seen


def _drain(shell: pexpect.spawn, wait: float = 0.0) -> str:
    try:
        return str(shell.read_nonblocking(65536, timeout=wait))
    except (pexpect.TIMEOUT, pexpect.EOF):
        return ""


def test_a_background_credential_process_fails_at_once_and_writes_nothing_to_the_terminal(
        catalogued: Sandbox, job_shell: pexpect.spawn, tmp_path: Path) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    started = time.monotonic()
    status, terminal = run_in_background(job_shell, f"{LETME} credential-process example1 >{out} 2>{err}", tmp_path)
    assert time.monotonic() - started < 10
    assert status == "4", err.read_text()
    assert "MFA" not in terminal and "letme:" not in terminal and "letme needs" not in terminal, terminal
    assert out.read_text() == ""
    lines = err.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("letme: error: "), lines
    assert "background" in lines[0] and "letme refresh example1" in lines[1] and "foreground" in lines[1]
    assert not list((catalogued.home / ".cache" / "letme" / "credentials").rglob("*.json"))


def test_an_sdk_in_a_background_job_gets_the_error_not_a_prompt(
        catalogued: Sandbox, job_shell: pexpect.spawn, tmp_path: Path) -> None:
    """The issue's case: an SDK in a background job runs letme through credential_process."""
    with catalogued.config_file.open("a") as fh:
        fh.write(f"\n[profile bg]\ncredential_process = {LETME} credential-process example1\nregion = eu-west-1\n")
    out, err = tmp_path / "out", tmp_path / "err"
    script = "import boto3; print(boto3.Session(profile_name='bg').client('sts').get_caller_identity()['Arn'])"
    status, terminal = run_in_background(job_shell, f'{sys.executable} -c "{script}" >{out} 2>{err}', tmp_path,
                                         limit=30)
    assert status != "0"
    assert "MFA" not in terminal, terminal
    assert "letme refresh example1" in err.read_text()


@pytest.mark.parametrize("other", ["example2", "example1"], ids=["another-account", "same-account"])
def test_a_letme_waiting_for_a_code_holds_no_lock(catalogued: Sandbox, recorder: Recorder, other: str) -> None:
    waiting = pexpect.spawn(LETME, ["credential-process", "example1"], env=catalogued.env, encoding="utf-8",
                            timeout=30)
    try:
        waiting.expect_exact("MFA code: ")
        started = time.monotonic()
        result = detached(catalogued, "credential-process", other, "--mfa-code", "123456", timeout=90)
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert elapsed < 15, f"took {elapsed:.1f}s: it waited for the prompting letme's lock"
        # The person types a code now; the waiting letme takes the lock, finds the MFA session (and, for the
        # same account, the credentials) the other one made, and does not need the code any more.
        waiting.sendline("654321")
        waiting.expect(pexpect.EOF)
    finally:
        waiting.close(force=True)
    assert waiting.exitstatus == 0, waiting.before
    assert len(recorder.actions("GetSessionToken")) == 1
    if other == "example1":
        assert len(recorder.actions("AssumeRole")) == 1
        document = waiting.before[waiting.before.index("{"):]
        assert json.loads(document) == json.loads(result.stdout)


HOLDER = """
import sys, time
from letme_shell import credentials, fsutil
with fsutil.locked(credentials.account_cache_file("general", "example1")):
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def hold_lock(sandbox: Sandbox, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(seconds)], env=sandbox.env, text=True,
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_lock_wait_names_the_holder(catalogued: Sandbox) -> None:
    holder = hold_lock(catalogued, 4)
    try:
        result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456", timeout=60)
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert f"waiting for process {holder.pid}" in result.stderr, result.stderr
    assert "remove" not in result.stderr and "delete" not in result.stderr


def test_a_lock_timeout_names_the_holder_and_never_says_to_delete_the_lock(
        catalogued: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from letme_shell import credentials, fsutil
    from letme_shell.errors import LetmeError

    for name, value in catalogued.env.items():
        monkeypatch.setenv(name, value)
    holder = hold_lock(catalogued, 30)
    try:
        with pytest.raises(LetmeError) as caught, fsutil.locked(
                credentials.account_cache_file("general", "example1"), timeout=1):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)
    text = f"{caught.value.message} {caught.value.hint}"
    assert f"process {holder.pid}" in text
    assert "remove" not in text and "delete" not in text and "rm " not in text
    # Once the holder is gone, the lock is free (a dead holder's lock ends with it).
    with fsutil.locked(credentials.account_cache_file("general", "example1"), timeout=1):
        pass


def test_a_revoked_mfa_session_asks_for_a_code_with_no_lock_held(proxied: Sandbox, catalog_template: Path,
                                                                   sts_proxy: stsproxy.StsProxy) -> None:
    """AWS refuses the cached MFA session at hop 1 (revoked keys): letme lets go of its locks, asks for a code,
    and then makes a new session without trying the refused one again."""
    shutil.copytree(catalog_template, proxied.home / ".cache" / "letme" / "catalog")
    assert detached(proxied, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    sts_proxy.clear()
    sts_proxy.add(stsproxy.Rule("AssumeRole", 400, "ExpiredToken", stsproxy.EXPIRED_MESSAGE, times=1))
    asking = pexpect.spawn(LETME, ["credential-process", "example2"], env=proxied.env, encoding="utf-8", timeout=30)
    try:
        asking.expect_exact("your MFA session has ended")
        asking.expect_exact("MFA code: ")
        # Nothing is locked while the person looks for the code: another account goes ahead at once
        # (AWS refused the session only once here, so it still works for this one).
        started = time.monotonic()
        other = detached(proxied, "credential-process", "prod-eu", timeout=60)
        assert other.returncode == 0, other.stderr
        assert time.monotonic() - started < 15
        asking.sendline("246810")
        asking.expect(pexpect.EOF)
    finally:
        asking.close(force=True)
    assert asking.exitstatus == 0, asking.before
    assert sts_proxy.seen["GetSessionToken"] == 1
    assert [form["TokenCode"] for form in sts_proxy.forms if form.get("Action") == "GetSessionToken"] == ["246810"]


# ---- a source profile that is a role with mfa_serial: botocore's own prompt ---------------------------------

def role_source(box: Sandbox) -> None:
    """aws_source_profile is a role profile that needs MFA; letme's own mfa_arn is not set."""
    with box.config_file.open("a") as fh:
        fh.write(f"\n[profile src]\nrole_arn = arn:aws:iam::123456789012:role/letme-hub\nsource_profile = default\n"
                 f"mfa_serial = {box.org.mfa_arn}\nregion = eu-west-1\n")
    text = box.letme_config.read_text().replace('aws_source_profile = "default"', 'aws_source_profile = "src"')
    box.letme_config.write_text("\n".join(line for line in text.splitlines() if not line.startswith("mfa_arn")) + "\n")
    init = pexpect.spawn(LETME, ["init"], env=box.env, encoding="utf-8", timeout=60)  # the catalog of this origin
    init.expect("Enter MFA code for ")
    init.sendline("123456")
    init.expect(pexpect.EOF)
    init.close()
    assert init.exitstatus == 0, init.before


def test_a_role_source_profiles_code_is_asked_by_letme_outside_the_deadline_and_locks(
        catalogued: Sandbox, recorder: Recorder) -> None:
    role_source(catalogued)
    waiting = pexpect.spawn(LETME, ["credential-process", "example1"], env={**catalogued.env, "LETME_AWS_TIMEOUT": "3"},
                            encoding="utf-8", timeout=30)
    try:
        waiting.expect("Enter MFA code for arn:aws:iam::123456789012:mfa/alice")
        # No lock is held while the person reads their device: another letme finishes at once.
        other = detached(catalogued, "credential-process", "example2", "--mfa-code", "123456", timeout=90)
        assert other.returncode == 4 or other.returncode == 0, other.stderr  # (no terminal to ask its own code on)
        assert "waiting for process" not in other.stderr
        time.sleep(4)  # longer than the 3 s deadline: typing is not the network's time
        waiting.sendline("123456")
        waiting.expect(pexpect.EOF)
    finally:
        waiting.close(force=True)
    assert waiting.exitstatus == 0, waiting.before
    assert json.loads(waiting.before[waiting.before.index("{"):])["Version"] == 1
    hub = [form for form in recorder.actions("AssumeRole") if form["RoleArn"].endswith(":role/letme-hub")]
    assert hub and hub[0]["SerialNumber"] == catalogued.org.mfa_arn and hub[0]["TokenCode"] == "123456"


def test_a_role_source_profiles_code_is_never_asked_in_the_background(
        catalogued: Sandbox, job_shell: pexpect.spawn, tmp_path: Path) -> None:
    role_source(catalogued)
    status, seen = run_in_background(job_shell, f"{LETME} credential-process example1 >/dev/null 2>{tmp_path}/err",
                                     tmp_path)
    assert status == "4", (tmp_path / "err").read_text()
    assert "Enter MFA code" not in seen and "background" in (tmp_path / "err").read_text()

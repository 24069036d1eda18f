"""Secrets stay where they belong: never in argv, stderr, --debug output, error messages or stray files.

The secrets are the hub user's secret key and every credential STS handed out.
The intermediate hops' keys are never stored, so they are taken from moto's
request recorder (each hop is signed with the previous hop's key id and session
token). While letme runs, a thread reads every process's /proc/PID/cmdline over
and over; afterwards no sampled argv, no stderr, no terminal transcript and no
file in the sandbox other than ~/.aws/credentials and letme's 0600 credential
cache may contain any of them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import stsproxy
from conftest import LETME, Recorder, Sandbox
from test_obtain import hop_roles

MFA = ("--mfa-code", "123456")


class ArgvSampler:
    """Every distinct argv seen in /proc while active."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                            self.seen.add(fh.read().replace(b"\0", b" ").decode("utf-8", "replace"))
                    except OSError:
                        pass
            self.samples += 1

    @contextmanager
    def running(self) -> Iterator[ArgvSampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def recorded_tokens(recorder: Recorder) -> set[str]:
    """Session tokens and key ids that signed requests (the hops' credentials, the MFA session's)."""
    found: set[str] = set()
    for entry in recorder.requests():
        headers = entry.get("headers") or {}
        assert isinstance(headers, dict)
        if token := headers.get("X-Amz-Security-Token"):
            found.add(token)
            match = re.search(r"Credential=([A-Z0-9]+)/", headers.get("Authorization", ""))
            if match:
                found.add(match.group(1))
    return found


def cached_secrets(box: Sandbox) -> set[str]:
    found: set[str] = set()
    for path in (box.home / ".cache" / "letme" / "credentials").rglob("*.json"):
        creds = json.loads(path.read_text())["credentials"]
        found |= {creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]}
    return found


def allowed_holders(box: Sandbox) -> set[Path]:
    cache = box.home / ".cache" / "letme" / "credentials"
    return {box.credentials_file, *cache.rglob("*.json")}


def scan_files(box: Sandbox, secrets: set[str]) -> None:
    holders = allowed_holders(box)
    for path in box.home.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes().decode("utf-8", "replace")
        leaked = [s for s in secrets if s in data]
        if path in holders:
            if leaked:
                assert path.stat().st_mode & 0o777 == 0o600, f"{path} holds secrets but is not 0600"
        else:
            assert not leaked, f"{path} holds a secret"


def run(box: Sandbox, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LETME, *args], env={**box.env, **(env or {})}, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, start_new_session=True)


def test_no_secret_in_argv_stderr_debug_output_or_stray_files(initialised: Sandbox, recorder: Recorder,
                                                               tmp_path: Path) -> None:
    box = initialised
    hub_secret = box.org.secret_access_key
    results: list[tuple[tuple[str, ...], subprocess.CompletedProcess[str]]] = []
    sampler = ArgvSampler()
    with sampler.running():
        for args in [("credential-process", "example2", *MFA, "--debug"),
                     ("obtain", "example1", "--debug"),
                     ("obtain", "prod-eu", "--renew", "--debug"),
                     ("credential-process", "example2", "--debug"),
                     ("exec", "example1", "--debug", "--", "sh", "-c", "sleep 0.3; test -n \"$AWS_ACCESS_KEY_ID\""),
                     ("use", "example2", "--mode", "env", "--shell", "bash", "--debug"),
                     ("use", "example1", "--mode", "profile", "--shell", "zsh", "--debug"),
                     ("list", "--debug"),
                     ("remove", "prod-eu", "--debug")]:
            results.append((args, run(box, *args, env={"LETME_DEBUG": "1"})))
    for args, result in results:
        assert result.returncode == 0, (args, result.stderr)
    secrets = {hub_secret} | recorded_tokens(recorder) | cached_secrets(box)
    # Some of the STS answers really were captured: the three hops of example2 and the MFA session at least.
    assert len(secrets) >= 8
    assert sampler.samples > 20
    for line in sampler.seen:
        assert not any(s in line for s in secrets), f"a secret in argv: {line[:200]}"
    for args, result in results:
        assert not any(s in result.stderr for s in secrets), f"a secret on stderr of {args}"
        if args[0] not in ("credential-process", "use"):  # their stdout is the credentials, by design
            assert not any(s in result.stdout for s in secrets), f"a secret on stdout of {args}"
    scan_files(box, secrets)


def test_error_messages_and_debug_output_of_a_failed_chain_carry_no_secret(
        initialised: Sandbox, recorder: Recorder, sts_proxy: stsproxy.StsProxy) -> None:
    box = initialised
    sts_proxy.clear()
    roles = hop_roles(2, 3)
    sts_proxy.add(stsproxy.denied(roles[2]))
    try:
        result = run(box, "obtain", "example2", *MFA, "--debug", env={"AWS_ENDPOINT_URL": sts_proxy.endpoint})
    finally:
        sts_proxy.clear()
    assert result.returncode != 0
    assert "hop 3/3" in result.stderr
    secrets = {box.org.secret_access_key} | recorded_tokens(recorder) | cached_secrets(box)
    assert len(secrets) >= 4  # the MFA session and hops 1 and 2 signed requests
    assert not any(s in result.stderr + result.stdout for s in secrets)
    scan_files(box, secrets)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_use_exec_and_shell_in_a_real_shell_put_no_secret_in_argv(initialised: Sandbox, recorder: Recorder,
                                                                   tmp_path: Path, shell: str) -> None:
    from shells.harness import Shell

    box = initialised
    assert run(box, "obtain", "example1", *MFA).returncode == 0
    transcript = tmp_path / "transcript"
    sampler = ArgvSampler()
    with sampler.running():
        sh = Shell(shell, {**box.env, "SHELL": f"/bin/{shell}"}, tmp_path / "work")
        sh.child.logfile_read = transcript.open("w")
        try:
            for mode in ("env", "process", "profile") if shell == "bash" else ("env",):
                assert sh.status(f"letme use example2 --mode {mode} {' '.join(MFA)}", timeout=60) == 0
                assert sh.getenv("AWS_ACCESS_KEY_ID" if mode == "env" else "AWS_PROFILE")
            assert sh.status("letme exec example1 -- sh -c 'sleep 0.3'", timeout=60) == 0
            sh.child.sendline("letme shell example1")
            time.sleep(1.5)
            sh.child.sendline("sleep 0.3; exit")
            sh.sync()
            assert sh.status("letme leave", timeout=30) == 0
        finally:
            sh.close()
    secrets = {box.org.secret_access_key} | recorded_tokens(recorder) | cached_secrets(box)
    assert len(secrets) >= 4
    for line in sampler.seen:
        assert not any(s in line for s in secrets), f"a secret in argv: {line[:200]}"
    shown = transcript.read_text(errors="replace")
    assert not any(s in shown for s in secrets), "a secret was shown on the terminal"
    scan_files(box, secrets)

"""`letme credential-process`: Version 1 JSON on stdout only, MFA on /dev/tty, and a real SDK reading it."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pexpect
from conftest import LETME, Recorder, Sandbox
from test_obtain import RFC3339_UTC, detached


def check_document(text: str) -> dict[str, object]:
    data = json.loads(text)
    assert set(data) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert data["Version"] == 1
    assert isinstance(data["Expiration"], str) and RFC3339_UTC.fullmatch(data["Expiration"])
    return data


def test_cached_credentials_come_back_without_sts(catalogued: Sandbox, recorder: Recorder) -> None:
    first = detached(catalogued, "credential-process", "example2", "--mfa-code", "123456")
    assert first.returncode == 0, first.stderr
    doc = check_document(first.stdout)
    assert first.stdout.count("\n") == 1  # one line: the JSON, nothing else
    again = detached(catalogued, "credential-process", "example2")
    assert again.returncode == 0, again.stderr
    assert check_document(again.stdout) == doc
    assert again.stderr == ""
    assert len(recorder.actions("AssumeRole")) == 3 and len(recorder.actions("GetSessionToken")) == 1
    cache = json.loads((catalogued.home / ".cache/letme/credentials/general/example2.json").read_text())
    assert cache["credentials"]["AccessKeyId"] == doc["AccessKeyId"]


def test_mfa_prompt_goes_to_the_terminal_and_stdout_holds_only_json(catalogued: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    command = f"{shlex.quote(LETME)} credential-process example1 > {shlex.quote(str(out))}"
    child = pexpect.spawn("bash", ["--norc", "--noprofile", "-c", command], env=catalogued.env,
                          encoding="utf-8", timeout=30)
    child.expect("MFA code: ")
    child.sendline("123456")
    child.expect(pexpect.EOF)
    terminal = child.before
    child.close()
    assert child.exitstatus == 0, terminal
    check_document(out.read_text())
    assert "AccessKeyId" not in terminal  # the secret went to stdout only


def test_mfa_needed_with_no_terminal_exits_4(catalogued: Sandbox) -> None:
    result = detached(catalogued, "credential-process", "example1")
    assert result.returncode == 4
    assert result.stdout == ""
    assert "no terminal" in result.stderr and "Traceback" not in result.stderr


def test_concurrent_cold_calls_make_one_role_chain(catalogued: Sandbox, recorder: Recorder) -> None:
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0  # the MFA session
    procs = [subprocess.Popen([LETME, "credential-process", "example2"], env=catalogued.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True, stdin=subprocess.DEVNULL)
             for _ in range(6)]
    docs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        docs.append(check_document(out))
    assert all(doc == docs[0] for doc in docs)
    assert len(recorder.actions("AssumeRole")) == 1 + 3  # example1, then example2's three hops once


SDK_CHILD = textwrap.dedent("""
    import json, boto3
    identity = boto3.client("sts").get_caller_identity()
    print(json.dumps({"Arn": identity["Arn"], "Account": identity["Account"]}))
""")


def test_a_real_sdk_uses_letme_as_its_credential_process(catalogued: Sandbox) -> None:
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0  # MFA session
    with catalogued.config_file.open("a") as fh:
        fh.write(f"\n[profile via-letme]\nregion = eu-west-1\n"
                 f"credential_process = {shlex.quote(LETME)} credential-process example2\n")
    env = {**catalogued.env, "AWS_PROFILE": "via-letme"}
    result = subprocess.run([sys.executable, "-c", SDK_CHILD], env=env, capture_output=True, text=True,
                            timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert ":assumed-role/letme-target/example2-letme-session" in identity["Arn"], identity


def test_obtain_and_credential_process_share_the_cache(catalogued: Sandbox, recorder: Recorder) -> None:
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    doc = check_document(detached(catalogued, "credential-process", "example1").stdout)
    assert len(recorder.actions("AssumeRole")) == 1
    section = catalogued.credentials_file.read_text()
    assert f"aws_access_key_id = {doc['AccessKeyId']}" in section

"""MFA without mfa_arn, and session names (issue 13, item 2).

With no `mfa_arn` and an IAM user's keys as the source, a role whose trust policy wants MFA is refused
(tests/stsproxy.py answers as AWS does); letme then finds the user's MFA device (iam:ListMFADevices), says which
one it uses, asks for the code as it always does and remembers the device. Session names: the default stays
`<account>-letme-session`; `session_name` may be a template with {user} and {account}; --role-session-name
names one command's sessions. moto's recorder shows what was really sent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pexpect
import pytest
import stsproxy
from conftest import LETME, Recorder, Sandbox

from letme_shell import sampleorg, source

TARGET1 = sampleorg.role_arn("100000000001", "letme-target")
DEVICE_LINE = "using the MFA device arn:aws:iam::123456789012:mfa/alice of IAM user 'alice'"


@pytest.fixture
def no_mfa_arn(tmp_path: Path, org: sampleorg.Org, catalog_template: Path, sts_proxy: stsproxy.StsProxy) -> Sandbox:
    box = Sandbox(tmp_path / "home", org, mfa=False)
    shutil.copytree(catalog_template, box.home / ".cache" / "letme" / "catalog")
    sts_proxy.clear()
    box.env["AWS_ENDPOINT_URL"] = sts_proxy.endpoint
    return box


def test_aws_asking_for_mfa_finds_the_users_device(no_mfa_arn: Sandbox, sts_proxy: stsproxy.StsProxy,
                                                    recorder: Recorder) -> None:
    sts_proxy.add(stsproxy.mfa_required(TARGET1))
    result = no_mfa_arn.ok("credential-process", "example1", "--mfa-code", "123456")
    assert DEVICE_LINE in result.stderr and "Traceback" not in result.stderr
    assert sts_proxy.rejected["AssumeRole"] == 1 and sts_proxy.seen["ListMFADevices"] == 1
    (session,) = recorder.actions("GetSessionToken")
    assert session["SerialNumber"] == no_mfa_arn.org.mfa_arn and session["TokenCode"] == "123456"
    (listed,) = recorder.actions("ListMFADevices")
    assert listed["UserName"] == "alice"
    # Another command, another account: the device is remembered and the MFA session reused, no code, no search.
    sts_proxy.clear()
    result = no_mfa_arn.ok("credential-process", "example2")
    assert sts_proxy.seen["ListMFADevices"] == 0 and sts_proxy.seen["GetSessionToken"] == 0
    assert sts_proxy.seen["AssumeRole"] == 3 and DEVICE_LINE not in result.stderr


def test_the_found_device_is_named_before_the_code_is_asked(no_mfa_arn: Sandbox, sts_proxy: stsproxy.StsProxy,
                                                            recorder: Recorder) -> None:
    sts_proxy.add(stsproxy.mfa_required(TARGET1))
    child = pexpect.spawn(LETME, ["credential-process", "example1"], env=no_mfa_arn.env, encoding="utf-8",
                          timeout=60)
    try:
        child.expect_exact(DEVICE_LINE)
        child.expect_exact("letme needs a code from arn:aws:iam::123456789012:mfa/alice")
        child.expect_exact("MFA code: ")
        child.sendline("135 791")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    (session,) = recorder.actions("GetSessionToken")
    assert session["SerialNumber"] == no_mfa_arn.org.mfa_arn and session["TokenCode"] == "135791"


def test_without_a_request_for_mfa_no_device_is_looked_for(no_mfa_arn: Sandbox, sts_proxy: stsproxy.StsProxy,
                                                           recorder: Recorder) -> None:
    no_mfa_arn.ok("credential-process", "example1")
    assert sts_proxy.seen["ListMFADevices"] == 0 and recorder.actions("GetSessionToken") == []


# ---- session names -----------------------------------------------------------------------------------------

def sent_names(recorder: Recorder) -> list[str]:
    return [form["RoleSessionName"] for form in recorder.actions("AssumeRole") if form["RoleArn"] == TARGET1]


def test_the_default_session_name_is_the_originals(catalogued: Sandbox, recorder: Recorder) -> None:
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    assert sent_names(recorder) == ["example1-letme-session"]


def test_a_session_name_template_has_the_callers_user_name_and_the_account(catalogued: Sandbox,
                                                                           recorder: Recorder) -> None:
    with catalogued.letme_config.open("a") as fh:
        fh.write('session_name = "{user}.via-letme@{account}"\n')
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    assert sent_names(recorder) == ["alice.via-letme@example1"]


@pytest.mark.parametrize("command", [["credential-process", "example1"], ["obtain", "example1"],
                                     ["exec", "example1", "--role-session-name", "ci.build@42", "--", "true"],
                                     ["use", "example1", "--shell", "bash"]])
def test_role_session_name_names_the_sessions_of_one_command(catalogued: Sandbox, recorder: Recorder,
                                                             command: list[str]) -> None:
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")  # cached under the default name
    args = command if "--" in command else [*command, "--role-session-name", "ci.build@42"]
    catalogued.ok(*args)
    assert sent_names(recorder) == ["example1-letme-session", "ci.build@42"]


@pytest.mark.parametrize("bad", ["a", "a b", "x" * 65, "{user}", "semi;colon"])
def test_a_bad_role_session_name_is_one_line(catalogued: Sandbox, bad: str) -> None:
    result = catalogued.run("credential-process", "example1", "--role-session-name", bad)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("letme: error: ") and "Traceback" not in result.stderr
    assert "--role-session-name" in result.stderr and "is not a role session name" in result.stderr
    assert len(result.stderr.splitlines()) <= 2


@pytest.mark.parametrize(("template", "problem"), [("{nope}-x", "is not a field"), ("{user", "unmatched"),
                                                   ("a b{user}", "letters, digits")])
def test_a_bad_session_name_template_is_one_line(catalogued: Sandbox, template: str, problem: str) -> None:
    with catalogued.letme_config.open("a") as fh:
        fh.write(f'session_name = "{template}"\n')
    result = catalogued.run("credential-process", "example1")
    assert result.returncode != 0 and problem in result.stderr and "session_name" in result.stderr
    assert len(result.stderr.splitlines()) <= 2


@pytest.mark.parametrize(("name", "fitted"), [("alice", "alice"), ("Jürgen Müller", "J-rgen-M-ller"),
                                              ("a", "a-"), ("x" * 80, "x" * 64), ("ok+=,.@_-", "ok+=,.@_-")])
def test_user_names_are_made_to_fit_role_session_name(name: str, fitted: str) -> None:
    assert source.fit(name) == fitted

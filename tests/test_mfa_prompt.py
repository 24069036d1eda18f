"""The MFA prompt (issue 11, item 11), on a real terminal (pexpect) against moto.

- codes as authenticator apps show them, `123 456` and `123-456`, at the prompt and in --mfa-code; the
  recorder proves the six digits alone reached STS;
- Ctrl-D at the prompt says no code was entered (it used to say there was no terminal);
- an endpoint that cannot be reached is found before the code is asked for, not after the person typed it
  and botocore's retries ran out; through a proxy when one is configured, as botocore would go.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pexpect
import pytest
from conftest import LETME, Recorder, Sandbox
from test_obtain import detached


def spawn(box: Sandbox, *args: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    return pexpect.spawn(LETME, list(args), env={**box.env, **(env or {})}, encoding="utf-8", timeout=30,
                         dimensions=(30, 200))


def finish(child: pexpect.spawn) -> tuple[int, str]:
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    return child.exitstatus, output


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("typed", ["123 456", "123-456", " 123456 "])
def test_the_prompt_takes_codes_as_apps_show_them(catalogued: Sandbox, recorder: Recorder, typed: str) -> None:
    child = spawn(catalogued, "obtain", "example1")
    child.expect_exact("MFA code: ")
    child.sendline(typed)
    status, output = finish(child)
    assert status == 0, output
    assert "6 digits" not in output
    sent = recorder.actions("GetSessionToken")
    assert [call["TokenCode"] for call in sent] == ["123456"]
    assert sent[0]["SerialNumber"] == catalogued.org.mfa_arn


@pytest.mark.parametrize("given", ["123 456", "123-456"])
def test_mfa_code_option_takes_them_too(catalogued: Sandbox, recorder: Recorder, given: str) -> None:
    result = detached(catalogued, "obtain", "example1", "--mfa-code", given)
    assert result.returncode == 0, result.stderr
    assert [call["TokenCode"] for call in recorder.actions("GetSessionToken")] == ["123456"]


@pytest.mark.parametrize("given", ["12345", "1234567", "12 3456", "123--456", "abcdef", "١٢٣٤٥٦", "123 456 7"])
def test_other_shapes_are_refused_before_any_request(catalogued: Sandbox, recorder: Recorder, given: str) -> None:
    result = detached(catalogued, "obtain", "example1", "--mfa-code", given)
    assert result.returncode == 2
    assert "an MFA code is 6 digits (123456, 123 456 or 123-456)" in result.stderr
    assert given not in result.stderr.replace("(123456, 123 456 or 123-456)", "")  # never echoed
    assert recorder.actions("GetSessionToken") == []


def test_a_wrong_shape_at_the_prompt_asks_again(catalogued: Sandbox, recorder: Recorder) -> None:
    child = spawn(catalogued, "obtain", "example1")
    child.expect_exact("MFA code: ")
    child.sendline("12 3456")
    child.expect_exact("an MFA code is 6 digits")
    child.expect_exact("MFA code: ")
    child.sendline("654-321")
    status, output = finish(child)
    assert status == 0, output
    assert [call["TokenCode"] for call in recorder.actions("GetSessionToken")] == ["654321"]


def test_ctrl_d_at_the_prompt_says_no_code_was_entered(catalogued: Sandbox, recorder: Recorder) -> None:
    child = spawn(catalogued, "obtain", "example1")
    child.expect_exact("MFA code: ")
    child.sendeof()
    status, output = finish(child)
    assert status == 1, output
    assert "letme: error: no MFA code was entered" in output
    assert "no terminal" not in output and "Traceback" not in output
    assert recorder.actions("GetSessionToken") == []


def test_an_unreachable_endpoint_is_found_before_the_code_is_asked(catalogued: Sandbox) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    child = spawn(catalogued, "obtain", "example1", env={"AWS_ENDPOINT_URL": endpoint})
    index = child.expect_exact(["MFA code: ", pexpect.EOF])
    elapsed = time.monotonic() - started
    output = child.before
    child.close(force=True)
    assert index == 1, "the code was asked for an endpoint that is not there"
    assert elapsed < 5, f"took {elapsed:.1f}s"
    assert f"cannot reach {endpoint}" in output and "Traceback" not in output
    assert child.exitstatus == 1


def test_an_unresolvable_endpoint_is_found_before_the_code_is_asked(catalogued: Sandbox) -> None:
    child = spawn(catalogued, "credential-process", "example1",
                  env={"AWS_ENDPOINT_URL": "https://sts.letme-test.invalid"})
    assert child.expect_exact(["MFA code: ", pexpect.EOF]) == 1
    output = child.before
    child.close(force=True)
    assert "cannot reach https://sts.letme-test.invalid" in output and child.exitstatus == 1


def test_the_check_goes_to_the_proxy_when_there_is_one(catalogued: Sandbox, tmp_path: Path) -> None:
    """Behind a proxy the endpoint itself may not be reachable directly; botocore goes through the proxy,
    and so does the check: a reachable proxy lets the prompt come, a dead one is named before it."""
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(8)
    try:
        env = {"AWS_ENDPOINT_URL": "http://sts.letme-test.invalid", "HTTP_PROXY": f"http://{proxy.getsockname()[0]}:"
               f"{proxy.getsockname()[1]}", "NO_PROXY": ""}
        child = spawn(catalogued, "obtain", "example1", env=env)
        assert child.expect_exact(["MFA code: ", pexpect.EOF]) == 0, child.before
        child.close(force=True)
    finally:
        proxy.close()
    dead = f"http://127.0.0.1:{closed_port()}"
    child = spawn(catalogued, "obtain", "example1",
                  env={"AWS_ENDPOINT_URL": "http://sts.letme-test.invalid", "HTTP_PROXY": dead, "NO_PROXY": ""})
    assert child.expect_exact(["MFA code: ", pexpect.EOF]) == 1
    output = child.before
    child.close(force=True)
    assert f"cannot reach the proxy {dead}" in output


# ---- the source profile's own prompt (a role with mfa_serial), which letme also asks ---------------------

def test_a_role_source_profiles_prompt_takes_spaced_codes_and_ctrl_d(catalogued: Sandbox, recorder: Recorder) -> None:
    from test_adversarial_mfa import role_source

    role_source(catalogued)
    recorder.reset()
    child = spawn(catalogued, "credential-process", "example1")
    child.expect("Enter MFA code for ")
    child.sendeof()
    status, output = finish(child)
    assert status == 1, output
    assert "no MFA code was entered" in output and "unexpected" not in output
    child = spawn(catalogued, "credential-process", "example1")
    child.expect("Enter MFA code for ")
    child.sendline("246 810")
    status, output = finish(child)
    assert status == 0, output
    hub = [form for form in recorder.actions("AssumeRole") if form["RoleArn"].endswith(":role/letme-hub")]
    assert [form["TokenCode"] for form in hub] == ["246810"]

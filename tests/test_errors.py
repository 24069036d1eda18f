"""Every failure a user meets is one clear line, a non-zero exit, no traceback, and nothing half-written.

The rejections come from tests/stsproxy.py, which answers with the error bodies
real AWS sends (moto itself accepts any MFA code and every permitted role).
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import pexpect
import pytest
import stsproxy
from conftest import Sandbox
from test_obtain import detached, hop_roles, set_config


@pytest.fixture
def proxied(proxied: Sandbox, catalog_template: Path) -> Sandbox:
    """The STS-proxied sandbox with the session's catalog cache (as after `letme init`)."""
    shutil.copytree(catalog_template, proxied.home / ".cache" / "letme" / "catalog")
    return proxied


def assert_one_error(stderr: str, *needles: str) -> None:
    errors = [line for line in stderr.splitlines() if line.startswith("letme: error: ")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in stderr, f"{needle!r} not in {stderr!r}"


def snapshot(sandbox: Sandbox) -> dict[str, bytes]:
    """The AWS files and every cached credential, to prove a failure wrote nothing."""
    files = [sandbox.credentials_file, sandbox.config_file]
    files += sorted((sandbox.home / ".cache" / "letme" / "credentials").rglob("*.json"))
    return {str(path): path.read_bytes() for path in files}


def account_cache(sandbox: Sandbox, name: str) -> Path:
    return sandbox.home / ".cache" / "letme" / "credentials" / "general" / f"{name}.json"


def test_unknown_account_suggests_close_names(catalogued: Sandbox) -> None:
    result = detached(catalogued, "obtain", "exmple1")
    assert result.returncode != 0
    assert_one_error(result.stderr, "unknown account 'exmple1'", "did you mean", "example1")
    assert result.stdout == ""


def test_an_empty_name_is_an_error_not_the_picker(catalogued: Sandbox) -> None:
    """`letme use "$UNSET"` must not turn interactive: only a missing name opens the picker."""
    result = detached(catalogued, "use", "", env={"LETME_HOOK_SHELL": "bash"})
    assert result.returncode != 0 and result.stdout == ""
    assert_one_error(result.stderr, "'' is not a valid account name")


def test_unknown_account_without_a_cache_says_to_init(sandbox: Sandbox) -> None:
    result = detached(sandbox, "credential-process", "nosuch")
    assert result.returncode != 0
    assert_one_error(result.stderr, "nosuch", "letme init")


def test_unsafe_account_name_is_refused_before_any_request(sandbox: Sandbox) -> None:
    result = detached(sandbox, "obtain", "x;rm -rf ~")
    assert result.returncode != 0
    assert_one_error(result.stderr, "not a valid account name")


def test_malformed_mfa_code_is_a_usage_error(catalogued: Sandbox) -> None:
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "12ab")
    assert result.returncode == 2
    assert_one_error(result.stderr, "6 digits")


def test_wrong_mfa_code_without_terminal(proxied: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    before = snapshot(proxied)
    sts_proxy.add(stsproxy.bad_mfa("000000"))
    result = detached(proxied, "obtain", "example1", "--mfa-code", "000000")
    assert result.returncode != 0
    assert_one_error(result.stderr, "rejected the MFA code")
    assert "no terminal" not in result.stderr  # the real problem is the code
    assert sts_proxy.rejected["GetSessionToken"] == 1
    assert sts_proxy.seen["AssumeRole"] == 0
    assert snapshot(proxied) == before


def spawn(sandbox: Sandbox, *args: str) -> pexpect.spawn:
    from conftest import LETME

    return pexpect.spawn(LETME, list(args), env=sandbox.env, encoding="utf-8", timeout=30)


def test_wrong_mfa_code_is_asked_again_on_the_terminal(proxied: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    sts_proxy.add(stsproxy.bad_mfa("000000"))
    child = spawn(proxied, "obtain", "example1")
    child.expect("MFA code: ")
    child.sendline("000000")
    child.expect("rejected that MFA code")
    child.expect("MFA code: ")
    child.sendline("246810")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert sts_proxy.seen["GetSessionToken"] == 2
    assert "[example1]" in proxied.credentials_file.read_text()


def test_three_wrong_codes_give_up(proxied: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    before = snapshot(proxied)
    sts_proxy.add(stsproxy.bad_mfa("000000"))
    child = spawn(proxied, "obtain", "example1")
    for _ in range(3):
        child.expect("MFA code: ")
        child.sendline("000000")
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    assert child.exitstatus == 1
    assert "rejected the MFA code 3 times" in output and "Traceback" not in output
    assert sts_proxy.rejected["GetSessionToken"] == 3
    assert snapshot(proxied) == before


def test_access_denied_at_hop_2_names_the_hop_and_role(proxied: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    before = snapshot(proxied)
    hop2 = hop_roles(2, 3)[1]
    sts_proxy.add(stsproxy.denied(hop2))
    result = detached(proxied, "obtain", "example2", "--mfa-code", "123456")
    assert result.returncode == 1
    assert_one_error(result.stderr, "hop 2/3", hop2, "AccessDenied")
    assert sts_proxy.seen["AssumeRole"] == 2  # hop 3 never tried
    # The MFA session is a separate, valid thing and may be kept; the account got nothing.
    after = snapshot(proxied)
    assert {k: v for k, v in after.items() if "_mfa-session" not in k} == before
    assert not account_cache(proxied, "example2").exists()


def test_persistent_throttling_is_retried_a_bounded_number_of_times(proxied: Sandbox,
                                                                     sts_proxy: stsproxy.StsProxy) -> None:
    sts_proxy.add(stsproxy.throttled("AssumeRole"))
    started = time.monotonic()
    result = detached(proxied, "obtain", "example1", "--mfa-code", "123456")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert_one_error(result.stderr, "Throttling", "throttling")
    assert sts_proxy.seen["AssumeRole"] == 4


def test_one_throttle_is_absorbed_by_the_retry(proxied: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    sts_proxy.add(stsproxy.throttled("AssumeRole", times=1))
    result = detached(proxied, "obtain", "example1", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    assert sts_proxy.seen["AssumeRole"] == 2


def test_throttled_mfa_session_does_not_ask_for_another_code(proxied: Sandbox,
                                                              sts_proxy: stsproxy.StsProxy) -> None:
    sts_proxy.add(stsproxy.throttled("GetSessionToken"))
    result = detached(proxied, "obtain", "example1", "--mfa-code", "123456")
    assert result.returncode == 1
    assert_one_error(result.stderr, "Throttling")
    assert "MFA code" not in result.stderr.replace("MFA session", "")


def test_expired_source_keys(proxied: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    before = snapshot(proxied)
    sts_proxy.add(stsproxy.expired("GetSessionToken"))
    result = detached(proxied, "obtain", "example1", "--mfa-code", "123456")
    assert result.returncode == 1
    assert_one_error(result.stderr, "ExpiredToken", "expired or invalid", "'default'")
    assert snapshot(proxied) == before


def test_expired_source_keys_on_init_keep_the_old_cache(proxied: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    names = (proxied.home / ".cache" / "letme" / "catalog" / "general" / "names").read_bytes()
    sts_proxy.add(stsproxy.Rule("Scan", 400, "ExpiredTokenException", "The security token included in the "
                                "request is expired", json_error=True))
    result = detached(proxied, "init")
    assert result.returncode == 1
    assert_one_error(result.stderr, "ExpiredTokenException", "expired or invalid")
    assert (proxied.home / ".cache" / "letme" / "catalog" / "general" / "names").read_bytes() == names


def test_missing_table(sandbox: Sandbox) -> None:
    set_config(sandbox, dynamodb_table="no-such-table")
    for args in (("init",), ("obtain", "example1", "--mfa-code", "123456")):
        result = detached(sandbox, *args)
        assert result.returncode == 1
        assert_one_error(result.stderr, "'no-such-table' does not exist")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", [("init",), ("obtain", "example1", "--mfa-code", "123456")])
def test_unreachable_endpoint_fails_in_bounded_time(sandbox: Sandbox, command: tuple[str, ...]) -> None:
    before = snapshot(sandbox)
    started = time.monotonic()
    result = detached(sandbox, *command, env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"})
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert_one_error(result.stderr, "cannot reach http://127.0.0.1:")
    assert snapshot(sandbox) == before


def test_corrupt_catalog_cache_is_ignored_with_a_warning_and_rebuilt(catalogued: Sandbox) -> None:
    cache = catalogued.home / ".cache" / "letme" / "catalog" / "general" / "accounts.jsonl"
    cache.write_bytes(b"\x00garbage{{{\n")
    # obtain still works: it reads the one item from DynamoDB.
    obtained = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    assert obtained.returncode == 0, obtained.stderr
    assert "warning" in obtained.stderr
    # list reads the table again (as it does with no cache), saying why, and rebuilds the cache.
    listed = detached(catalogued, "list", "--names")
    assert listed.returncode == 0, listed.stderr
    assert "warning: ignoring the unreadable catalog cache" in listed.stderr
    assert "example1" in listed.stdout
    assert cache.read_bytes().startswith(b'{"letme_catalog":')


def test_truncated_catalog_is_ignored_with_a_warning(catalogued: Sandbox) -> None:
    # letme writes the cache atomically, so a cut file was damaged outside letme: it is
    # ignored as a whole (no half catalog), with a warning naming it and the way out.
    cache = catalogued.home / ".cache" / "letme" / "catalog" / "general" / "accounts.jsonl"
    data = cache.read_bytes()
    cache.write_bytes(data[: data.index(b'"example2"') + 20])  # cut mid-record
    result = detached(catalogued, "list", "--json")
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert str(cache) in result.stderr and "letme init" in result.stderr
    assert detached(catalogued, "init").returncode == 0
    assert "example2" in detached(catalogued, "list", "--names").stdout


def test_corrupt_credential_cache_is_replaced(catalogued: Sandbox) -> None:
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    entry = account_cache(catalogued, "example1")
    entry.write_text('{"version": 1, "fingerprint": ')
    result = detached(catalogued, "credential-process", "example1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    assert "warning" in result.stderr and str(entry) in result.stderr
    assert json.loads(entry.read_text())["version"] == 1


def test_debug_is_the_only_way_to_a_traceback(sandbox: Sandbox) -> None:
    # A config that is not TOML: one line without --debug.
    sandbox.letme_config.write_text("[general\n")
    result = detached(sandbox, "list")
    assert result.returncode == 1
    assert_one_error(result.stderr, str(sandbox.letme_config), "not valid TOML")


def test_empty_or_directory_catalog_cache_on_the_lookup_path(catalogued: Sandbox) -> None:
    """`use`/`obtain` map the records file for a lookup; files that cannot be mapped get the plain read's answers."""
    cache = catalogued.home / ".cache" / "letme" / "catalog" / "general" / "accounts.jsonl"
    cache.write_bytes(b"")  # mmap refuses an empty file
    obtained = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    assert obtained.returncode == 0, obtained.stderr
    assert "warning: ignoring the unreadable catalog cache" in obtained.stderr
    cache.unlink()
    cache.mkdir()
    refused = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert_one_error(refused.stderr, f"{cache} is a directory")


def test_unknown_command_and_stray_argument_name_the_way_out(catalogued: Sandbox) -> None:
    typo = detached(catalogued, "usee", "example1")
    assert typo.returncode == 2 and typo.stdout == ""
    assert_one_error(typo.stderr, "unknown command 'usee'", "did you mean: use")
    stray = detached(catalogued, "list", "ex", "extra")
    assert stray.returncode == 2
    assert_one_error(stray.stderr, "unrecognized arguments: extra", "see 'letme list --help'")

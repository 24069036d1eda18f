"""A messy machine and a faulty network (issue 10, items 8 and 9): one clear line, a bounded wait, a prompt
that never waits, and freshness that survives a wrong clock.

- A cache directory letme cannot write (a file where a directory should be, a read-only directory, a full
  disk) is one `letme: error:` line, never "unexpected …, this is a bug".
- A damaged cache entry's expiry (1e300, Infinity, -1, a string, year 10000) is ignored with a warning and
  replaced, never used and never handed to an SDK.
- AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE naming a directory is said as such (botocore ignores it and
  then reports missing credentials).
- An endpoint that accepts connections and never answers: every AWS call of a command shares one deadline
  (`aws_timeout`, LETME_AWS_TIMEOUT; 20 s by default), and the error names the endpoint.
- `refresh --apply` (run by the prompt, in the foreground) never touches the network.
- With the machine's clock 45 minutes off AWS's, credentials are judged in this machine's terms: one role
  chain for repeated calls, and an Expiration an SDK on this machine reads right.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stsproxy
from conftest import LETME, Sandbox
from test_errors import account_cache, assert_one_error
from test_obtain import detached, hop_roles, set_config

# Python start-up, the boto3 import and the first connection on a busy 2-core machine.
MARGIN = 6.0
HOUR = 3600


@pytest.fixture
def silent() -> Iterator[stsproxy.SilentEndpoint]:
    endpoint = stsproxy.SilentEndpoint().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def proxied_catalogued(proxied: Sandbox, catalog_template: Path) -> Sandbox:
    shutil.copytree(catalog_template, proxied.home / ".cache" / "letme" / "catalog")
    return proxied


def assert_no_bug_report(stderr: str) -> None:
    assert "unexpected" not in stderr and "this is a bug" not in stderr, stderr
    assert "Traceback" not in stderr


def expiration(stdout: str) -> dt.datetime:
    doc = json.loads(stdout)
    return dt.datetime.strptime(doc["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


# ---- cache directories letme cannot write ------------------------------------------------------------------

def test_a_file_where_the_lock_directory_should_be_is_one_line(catalogued: Sandbox) -> None:
    locks = catalogued.home / ".cache" / "letme" / "locks"
    locks.write_text("not a directory\n")
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456")
    assert result.returncode == 1 and result.stdout == ""
    assert_no_bug_report(result.stderr)
    assert_one_error(result.stderr, str(locks))


def unprivileged() -> list[str]:
    """A command prefix under which file modes hold: as root, drop the capabilities that ignore them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only directory cannot be made to hold")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_a_read_only_cache_directory_is_one_line(catalogued: Sandbox) -> None:
    prefix = unprivileged()
    cache = catalogued.home / ".cache" / "letme"
    cache.chmod(0o555)
    try:
        result = subprocess.run([*prefix, LETME, "credential-process", "example1", "--mfa-code", "123456"],
                                env=catalogued.env, capture_output=True, text=True, timeout=60,
                                start_new_session=True, stdin=subprocess.DEVNULL)
    finally:
        cache.chmod(0o700)
    assert result.returncode == 1 and result.stdout == ""
    assert_no_bug_report(result.stderr)
    assert_one_error(result.stderr, str(cache), "ermission denied")


def mount_namespace() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare: a small full filesystem needs a private mount namespace")
    prefix = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-r", "-m"]
    with tempfile.TemporaryDirectory() as where:
        probe = subprocess.run([*prefix, "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", where],
                               capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (no privileges for a mount namespace)")
    return prefix


def test_a_full_cache_disk_is_one_line(catalogued: Sandbox, catalog_template: Path) -> None:
    prefix = mount_namespace()
    cache = catalogued.home / ".cache" / "letme"
    # A small tmpfs over the cache, the catalog copied in, then every block and every inode taken.
    script = ('set -e; mount -t tmpfs -o size=256k,nr_inodes=64,mode=0700 tmpfs "$1"; cp -r "$2" "$1/catalog"; '
              'head -c 1048576 /dev/zero >"$1/filler" 2>/dev/null || true; '
              'i=0; while (: >"$1/inode-$i") 2>/dev/null; do i=$((i + 1)); done; shift 2; exec "$@"')
    result = subprocess.run([*prefix, "sh", "-c", script, "sh", str(cache), str(catalog_template),
                             LETME, "credential-process", "example1", "--mfa-code", "123456"],
                            env=catalogued.env, capture_output=True, text=True, timeout=60,
                            start_new_session=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 1 and result.stdout == ""
    assert_no_bug_report(result.stderr)
    assert_one_error(result.stderr, str(cache), "o space left on device")


# ---- damaged expiry in a cache entry ----------------------------------------------------------------------

@pytest.mark.parametrize("expires", ["1e300", "Infinity", "-Infinity", "NaN", "-1", '"soon"', "null",
                                     "true", "12.5", "253402300800"])  # the last: year 10000
def test_an_impossible_expiry_is_an_unreadable_entry(catalogued: Sandbox, expires: str) -> None:
    assert detached(catalogued, "credential-process", "example1", "--mfa-code", "123456").returncode == 0
    entry = account_cache(catalogued, "example1")
    text = entry.read_text()
    damaged, count = re.subn(r'"Expires": *-?\d+', f'"Expires": {expires}', text)
    assert count == 1, text
    entry.write_text(damaged)

    result = detached(catalogued, "credential-process", "example1")  # the MFA session is cached: no code needed
    assert result.returncode == 0, result.stderr
    assert_no_bug_report(result.stderr)
    assert f"warning: ignoring the unreadable credential cache {entry}" in result.stderr
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(minutes=50) < expiration(result.stdout) < now + dt.timedelta(hours=2)
    replaced = json.loads(entry.read_text())["credentials"]["Expires"]
    assert isinstance(replaced, int) and 0 < replaced - time.time() < 2 * HOUR


def test_an_impossible_expiry_of_the_mfa_session_is_ignored(catalogued: Sandbox) -> None:
    assert detached(catalogued, "credential-process", "example1", "--mfa-code", "123456").returncode == 0
    mfa = catalogued.home / ".cache" / "letme" / "credentials" / "general" / "_mfa-session.json"
    mfa.write_text(re.sub(r'"Expires": *\d+', '"Expires": Infinity', mfa.read_text()))
    result = detached(catalogued, "credential-process", "example2", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    assert_no_bug_report(result.stderr)
    assert f"ignoring the unreadable credential cache {mfa}" in result.stderr


# ---- AWS files that are directories -----------------------------------------------------------------------

@pytest.mark.parametrize("variable", ["AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"])
def test_an_aws_file_that_is_a_directory_is_named(catalogued: Sandbox, tmp_path: Path, variable: str) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456",
                      env={variable: str(directory)})
    assert result.returncode == 1 and result.stdout == ""
    assert_no_bug_report(result.stderr)
    assert_one_error(result.stderr, f"{directory} ({variable}) is a directory")
    assert "no credentials for profile" not in result.stderr


# ---- an endpoint that accepts and never answers --------------------------------------------------------------

@pytest.mark.parametrize("command", [("init",), ("obtain", "example1", "--mfa-code", "123456"),
                                     ("credential-process", "example2", "--mfa-code", "123456")])
def test_a_silent_endpoint_ends_at_the_deadline(catalogued: Sandbox, silent: stsproxy.SilentEndpoint,
                                                command: tuple[str, ...]) -> None:
    started = time.monotonic()
    result = detached(catalogued, *command, env={"AWS_ENDPOINT_URL": silent.endpoint, "LETME_AWS_TIMEOUT": "3"},
                      timeout=120)
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert elapsed < 3 + MARGIN, f"took {elapsed:.1f}s"
    assert silent.accepted >= 1
    assert_no_bug_report(result.stderr)
    assert_one_error(result.stderr, f"cannot reach {silent.endpoint} (no answer within 3s)")
    assert "LETME_AWS_TIMEOUT" in result.stderr or "aws_timeout" in result.stderr


def test_the_deadline_is_a_config_key(catalogued: Sandbox, silent: stsproxy.SilentEndpoint) -> None:
    set_config(catalogued, aws_timeout=2)
    started = time.monotonic()
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456",
                      env={"AWS_ENDPOINT_URL": silent.endpoint}, timeout=120)
    assert time.monotonic() - started < 2 + MARGIN
    assert_one_error(result.stderr, f"cannot reach {silent.endpoint} (no answer within 2s)")


def test_the_default_deadline_is_twenty_seconds(catalogued: Sandbox, silent: stsproxy.SilentEndpoint) -> None:
    started = time.monotonic()
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456",
                      env={"AWS_ENDPOINT_URL": silent.endpoint}, timeout=120)
    elapsed = time.monotonic() - started
    assert 19 < elapsed < 20 + MARGIN, f"took {elapsed:.1f}s"
    assert_one_error(result.stderr, f"cannot reach {silent.endpoint} (no answer within 20s)")


def test_one_deadline_covers_every_call_of_the_chain(proxied_catalogued: Sandbox,
                                                     sts_proxy: stsproxy.StsProxy) -> None:
    """Hop 2 of 3 hangs: per-attempt timeouts alone would wait 4 attempts × the read timeout."""
    sts_proxy.add(stsproxy.hang("AssumeRole", match={"RoleArn": hop_roles(2, 3)[1]}))
    started = time.monotonic()
    result = detached(proxied_catalogued, "obtain", "example2", "--mfa-code", "123456",
                      env={"LETME_AWS_TIMEOUT": "4"}, timeout=120)
    elapsed = time.monotonic() - started
    assert elapsed < 4 + MARGIN, f"took {elapsed:.1f}s"
    assert sts_proxy.seen["GetSessionToken"] == 1 and sts_proxy.seen["AssumeRole"] >= 2
    assert_one_error(result.stderr, "hop 2/3", f"cannot reach {sts_proxy.endpoint} (no answer within 4s)")


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1e9", "nan"])
def test_a_bad_deadline_setting_is_one_line(catalogued: Sandbox, value: str) -> None:
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456",
                      env={"LETME_AWS_TIMEOUT": value})
    assert result.returncode != 0 and result.stdout == ""
    assert_no_bug_report(result.stderr)
    assert_one_error(result.stderr, "LETME_AWS_TIMEOUT")


# ---- the prompt never waits ----------------------------------------------------------------------------------

def test_refresh_apply_never_touches_the_network(sandbox: Sandbox, silent: stsproxy.SilentEndpoint) -> None:
    """No catalog cache and a silent endpoint: `refresh --apply`, run by the prompt, ends at once with exit 3."""
    started = time.monotonic()
    result = detached(sandbox, "refresh", "--apply", "--shell", "bash", "example1",
                      env={"AWS_ENDPOINT_URL": silent.endpoint, "LETME_ACCOUNT": "example1", "LETME_MODE": "process"},
                      timeout=90)
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert silent.accepted == 0
    assert elapsed < MARGIN, f"took {elapsed:.1f}s"
    assert_no_bug_report(result.stderr)
    assert_one_error(result.stderr, "example1", "letme init")
    # As the prompt runs it (-q): the same exit, and not a word at the prompt.
    quiet = detached(sandbox, "refresh", "--apply", "-q", "--shell", "bash", "example1",
                     env={"AWS_ENDPOINT_URL": silent.endpoint, "LETME_ACCOUNT": "example1", "LETME_MODE": "process"},
                     timeout=90)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (3, "", "")


# ---- a clock 45 minutes off AWS's ------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [-45 * 60, 45 * 60], ids=["local-clock-ahead", "local-clock-behind"])
def test_a_wrong_clock_still_makes_one_chain(proxied_catalogued: Sandbox, sts_proxy: stsproxy.StsProxy,
                                              offset: int) -> None:
    sts_proxy.clock_offset = offset
    outputs = []
    for _ in range(3):
        result = detached(proxied_catalogued, "credential-process", "example2", "--mfa-code", "123456")
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    # One MFA session and one 3-hop chain for three calls, not one per call.
    assert sts_proxy.seen["GetSessionToken"] == 1
    assert sts_proxy.seen["AssumeRole"] == 3
    assert len(set(outputs)) == 1
    # The Expiration is in this machine's terms: about an hour from its own now, as an SDK here reads it.
    left = (expiration(outputs[0]) - dt.datetime.now(dt.UTC)).total_seconds()
    assert HOUR - 300 < left <= HOUR + 5, left


def test_doctor_says_the_clock_is_off(proxied_catalogued: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    sts_proxy.clock_offset = -45 * 60
    result = proxied_catalogued.run("doctor", "--json")
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["clock"]["status"] == "fail", checks["clock"]
    assert "45m ahead" in checks["clock"]["message"]
    assert result.returncode == 1


def test_doctor_finds_a_right_clock_right(proxied_catalogued: Sandbox, sts_proxy: stsproxy.StsProxy) -> None:
    result = proxied_catalogued.run("doctor", "--json")
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["clock"]["status"] == "ok", checks["clock"]


# ---- malformed endpoints and config paths: one line, never "unexpected … this is a bug" ----------------------

@pytest.mark.parametrize("endpoint", ["http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:5000\r\nX-A: b",
                                      "ftp://127.0.0.1/", "http://:80"])
def test_a_malformed_endpoint_url_is_one_line(catalogued: Sandbox, endpoint: str) -> None:
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456", "--renew",
                      env={"AWS_ENDPOINT_URL": endpoint})
    assert result.returncode == 1, result.stderr
    assert_one_error(result.stderr, "AWS_ENDPOINT_URL", "e.g. https://")
    assert "unexpected" not in result.stderr


@pytest.mark.parametrize("kind", ["proc-mem", "fifo"])
def test_a_config_path_that_is_not_a_file_is_one_line(catalogued: Sandbox, tmp_path: Path, kind: str) -> None:
    path = "/proc/self/mem" if kind == "proc-mem" else str(tmp_path / "fifo")
    if kind == "fifo":
        os.mkfifo(path)
    result = detached(catalogued, "list", env={"LETME_CONFIG": path}, timeout=30)
    assert result.returncode == 1, result.stderr
    assert_one_error(result.stderr, f"config file {path}")
    assert "unexpected" not in result.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="a private /etc/resolv.conf needs a mount namespace and port 53 (root; CI runs as root)")
def test_a_resolver_that_never_answers_is_held_to_the_deadline(catalogued: Sandbox, tmp_path: Path) -> None:
    import socket

    swallow = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # receives every DNS query, answers none
    swallow.bind(("127.0.0.2", 53))
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.2\noptions timeout:15 attempts:2\n")
    env = {"AWS_ENDPOINT_URL": "http://sts.letme-dns-test.example:5000", "LETME_AWS_TIMEOUT": "3"}
    script = f'mount --bind {resolv} /etc/resolv.conf && exec "$0" "$@"'
    started = time.monotonic()
    try:
        result = subprocess.run(["unshare", "-m", "sh", "-c", script, LETME, "obtain", "example1", "--mfa-code",
                                 "123456", "--renew"], env={**catalogued.env, **env}, capture_output=True, text=True,
                                timeout=120, stdin=subprocess.DEVNULL)
    finally:
        swallow.close()
    elapsed = time.monotonic() - started
    if "mount" in result.stderr and "letme" not in result.stderr:
        pytest.skip(f"no private mount namespace here: {result.stderr.strip()}")
    assert result.returncode == 1, result.stderr
    assert_one_error(result.stderr, "sts.letme-dns-test.example", "no answer within 3s")
    assert elapsed < 3 + MARGIN, f"took {elapsed:.1f}s against a 3 s deadline"

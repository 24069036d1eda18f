"""Daily paths outside the shells (issue 11, items 7, 8 and 13).

- `console`, `shell`, `exec` with no account: the shell's current one (LETME_ACCOUNT), else the picker at a
  terminal, else one line saying the account is missing (`letme exec -- true` used to look up 'true');
- a name that matches exactly one account except for case is used, with a note; nothing else is;
- `letme list FILTER` says how many of how many; no match is exit 1, as grep;
- `letme status` on hostile values, without a config, and --verify against an endpoint that is not there.
(The shell-side checks of the same items are in tests/shells/test_daily.py.)
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from conftest import LETME, Sandbox
from test_console import Federation, _creds
from test_obtain import detached, seed_table

from letme_shell import sampleorg

TABLE_CASE = "letme-accounts-case"
FOOTER = "accounts · ↑↓ move · Enter picks · Esc cancels"


@pytest.fixture
def federation() -> Iterator[Federation]:
    stand_in = Federation()
    yield stand_in
    stand_in.stop()


# ---- item 8: the current account by default -------------------------------------------------------------

def test_console_without_an_account_uses_the_current_one(initialised: Sandbox, federation: Federation) -> None:
    federation.expected = _creds(initialised, "example2")
    result = detached(initialised, "console", "--json",
                      env={"LETME_FEDERATION_URL": federation.url, "LETME_ACCOUNT": "example2"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["account"] == "example2"
    assert "example2" in result.stderr  # a note says which account was taken


def test_exec_without_an_account_uses_the_current_one(catalogued: Sandbox) -> None:
    result = detached(catalogued, "exec", "--mfa-code", "123456", "--", "sh", "-c", "echo $LETME_ACCOUNT",
                      env={"LETME_ACCOUNT": "example2"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "example2"


def test_exec_without_an_account_or_a_terminal_says_the_account_is_missing(catalogued: Sandbox) -> None:
    for args in (("exec", "--", "true"), ("exec",), ("shell",), ("console", "--print")):
        result = detached(catalogued, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "unknown account" not in result.stderr
        lines = result.stderr.splitlines()
        assert lines[0] == "letme: error: no account given and none in use in this shell", (args, lines)
        assert lines[1].startswith("letme: hint: name one") and len(lines) == 2


def test_exec_without_an_account_at_a_terminal_opens_the_picker(catalogued: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = pexpect.spawn(LETME, ["exec", "--", "sh", "-c", f"echo $LETME_ACCOUNT > {out}"], env=catalogued.env,
                          encoding="utf-8", timeout=30, dimensions=(30, 200))
    child.expect_exact(FOOTER)
    child.send("example1")
    child.expect_exact("1/")
    child.send("\r")
    child.expect_exact("MFA code: ")
    child.sendline("123456")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert out.read_text().strip() == "example1"


def test_another_contexts_current_account_is_not_taken_with_context(catalogued: Sandbox) -> None:
    """--context names where to look: LETME_ACCOUNT of another context is not silently used instead."""
    result = detached(catalogued, "--context", "general", "exec", "--", "true", env={"LETME_ACCOUNT": "example1@b"})
    assert result.returncode == 2 and "no account given" in result.stderr, result.stderr


# ---- item 8: case ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table_case(moto: str) -> str:
    seed_table(moto, TABLE_CASE, [sampleorg.account_item("Data", 921), sampleorg.account_item("data", 922),
                                  sampleorg.account_item("Ops", 923)])
    return TABLE_CASE


@pytest.fixture
def cased(catalogued: Sandbox, table_case: str) -> Sandbox:
    org = catalogued.org
    with catalogued.letme_config.open("a") as fh:
        fh.write(f'\n[c]\naws_source_profile_region = "{sampleorg.REGION}"\ndynamodb_table = "{table_case}"\n'
                 f'endpoint_url = "{org.endpoint}"\nmfa_arn = "{org.mfa_arn}"\n')
    catalogued.ok("--context", "c", "init")
    return catalogued


def test_a_name_that_differs_only_in_case_is_used_with_a_note(catalogued: Sandbox) -> None:
    result = detached(catalogued, "exec", "EXAMPLE1", "--mfa-code", "123456", "--", "sh", "-c",
                      "echo $LETME_ACCOUNT")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "example1"
    assert "letme: using 'example1' for 'EXAMPLE1'" in result.stderr
    used = detached(catalogued, "use", "Example1", "--shell", "bash")
    assert used.returncode == 0, used.stderr
    assert "export LETME_ACCOUNT='example1';" in used.stdout and "export AWS_PROFILE='example1';" in used.stdout


def test_case_never_picks_among_several_or_a_near_name(cased: Sandbox) -> None:
    ambiguous = detached(cased, "--context", "c", "exec", "DATA", "--", "true")
    assert ambiguous.returncode == 1
    assert "unknown account 'DATA'" in ambiguous.stderr and "Data" in ambiguous.stderr
    near = detached(cased, "exec", "EXAMPLE", "--", "true")  # no exact match in any case
    assert near.returncode == 1 and "unknown account 'EXAMPLE'" in near.stderr
    one = detached(cased, "--context", "c", "exec", "OPS", "--mfa-code", "123456", "--", "sh", "-c",
                   "echo $LETME_ACCOUNT")
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == "Ops@c"


# ---- item 13: list and exec -----------------------------------------------------------------------------

def test_list_with_a_filter_says_how_many_of_how_many(catalogued: Sandbox) -> None:
    result = catalogued.run("list", "ex")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["example1", "example2"]
    assert re.match(r"letme: 2 of 60 accounts in context 'general', cached \d+s ago", result.stderr), result.stderr
    everything = catalogued.run("list")
    assert re.match(r"letme: 60 accounts in context 'general'", everything.stderr), everything.stderr


def test_list_without_a_match_exits_1_with_one_line(catalogued: Sandbox) -> None:
    result = catalogued.run("list", "zzzz")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == "letme: no account matches 'zzzz' among the 60 in context 'general'\n"
    for flag in ("--names", "--json"):
        quiet = catalogued.run("list", "zzzz", flag)
        assert quiet.returncode == 1, flag
    assert catalogued.run("list", "zzzz", "--json").stdout.strip() == "[]"


# ---- item 7: status without a shell ---------------------------------------------------------------------

def test_status_with_no_account_and_no_config(sandbox: Sandbox) -> None:
    sandbox.letme_config.unlink()
    result = sandbox.run("status")
    assert result.returncode == 3 and result.stderr == ""
    assert result.stdout.startswith("account      none in this shell")


def test_status_shows_hostile_values_inertly(catalogued: Sandbox, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    hostile = {"LETME_ACCOUNT": f"$(touch {canary})\x1b[31m", "LETME_MODE": "`touch {canary}`",
               "AWS_REGION": "\x1b]0;title\x07", "LETME_EXPIRES": "1e99"}
    result = catalogued.run("status", env=hostile)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "not an account name" in result.stdout
    named = catalogued.run("status", "--json", env={**hostile, "LETME_ACCOUNT": "example1@../../x"})
    assert named.returncode == 1 and not json.loads(named.stdout)["environment"]["matches"]
    assert not canary.exists()


def test_status_verify_against_a_missing_endpoint_is_one_answer_within_the_deadline(catalogued: Sandbox) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    result = detached(catalogued, "status", "--verify", "--json",
                      env={"LETME_ACCOUNT": "example1", "LETME_ACTIVE_CONTEXT": "general", "LETME_MODE": "env",
                           "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY": "x" * 40,
                           "AWS_SESSION_TOKEN": "t", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
                           "LETME_EXPIRES": str(int(time.time()) + 600),
                           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "LETME_AWS_TIMEOUT": "5"})
    assert time.monotonic() - started < 15
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["verify"]["arn"] is None and data["verify"]["error"]
    assert "Traceback" not in result.stderr


# ---- item 8: letme shell --mode ---------------------------------------------------------------------------

def test_shell_mode_profile_writes_the_profile_and_respects_foreign_ones(catalogued: Sandbox) -> None:
    env = {"SHELL": "/bin/sh"}
    script = 'printf "%s:%s:%s\\n" "$AWS_PROFILE" "$LETME_MODE" "${AWS_ACCESS_KEY_ID-none}"; exit 6\n'
    done = catalogued.run("shell", "example1", "--mode", "profile", "--mfa-code", "123456", input=script, env=env)
    assert done.returncode == 6, done.stderr
    assert done.stdout.strip() == "example1:profile:none"
    assert "[example1]" in catalogued.credentials_file.read_text()
    # A profile of that name that letme did not write is refused, and replaced only with --force.
    text = catalogued.credentials_file.read_text().replace("manager = letme", "manager = someone-else")
    catalogued.credentials_file.write_text(text)
    refused = catalogued.run("shell", "example1", "--mode", "profile", input=script, env=env)
    assert refused.returncode == 1 and "--force" in refused.stderr and refused.stdout == ""
    forced = catalogued.run("shell", "example1", "--mode", "profile", "--force", input=script, env=env)
    assert forced.returncode == 6, forced.stderr
    assert "manager = letme" in catalogued.credentials_file.read_text()

"""`letme use` without ACCOUNT: the fuzzy picker, in real interactive bash with the hook evaluated.

The hook runs `out=$(letme use)`, so stdout is a pipe: the picker must draw on
/dev/tty, and what it draws must never reach the `eval`. Values are read back
through files (harness.getenv), as in test_interactive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pexpect
import pytest

from letme_shell import catalog, fuzzy, picker
from tests.shells.harness import PROMPT, Shell
from tests.test_imports import WRAPPER, heavy_imports

FOOTER = "accounts · ↑↓ move · Enter picks · Esc cancels"


@pytest.fixture
def bash(catalogued, tmp_path) -> Iterator[Shell]:
    shell = Shell("bash", catalogued.env, tmp_path / "work")
    yield shell
    shell.close()


def open_picker(sh: Shell) -> None:
    sh.child.sendline("letme use")
    sh.child.expect_exact(FOOTER)


def test_type_a_fragment_and_enter_switches_the_shell(bash, catalogued):
    # Credentials first, so the pick itself needs no MFA code.
    catalogued.ok("obtain", "example2", "--mfa-code", "123456", timeout=60)
    open_picker(bash)
    bash.child.send("ex2")
    bash.child.expect_exact("1/")  # filtered down: "1/60 accounts"
    bash.child.send("\r")
    bash.child.expect(PROMPT)
    before = bash.child.before
    bash.sync()
    assert "letme: using example2" in before
    assert bash.getenv("LETME_ACCOUNT") == "example2"
    assert bash.getenv("AWS_PROFILE") == "example2"
    # The picker wrote to the terminal, not to the captured stdout: `eval` ran only letme's code.
    assert bash.status("letme use example1 --mfa-code 123456", timeout=30) == 0
    assert bash.getenv("LETME_PREVIOUS") == "example2"


def test_arrows_move_the_selection_then_the_mfa_prompt_is_answered(bash):
    open_picker(bash)
    bash.child.send("example")
    bash.child.expect_exact("2/")  # example1, example2
    bash.child.send("\x1b[B")  # down: the second match
    bash.child.send("\r")
    bash.child.expect_exact("MFA code: ", timeout=30)  # on the same terminal, after the picker closed
    bash.child.sendline("123456")
    bash.child.expect(PROMPT, timeout=30)
    bash.sync()
    assert bash.getenv("LETME_ACCOUNT") == "example2"


def test_enter_with_nothing_typed_keeps_the_current_account(bash, catalogued):
    """The selection starts on the current account, not on the shortest name (here prod-eu, which would
    ask for an MFA code: a bare Enter must never switch a shell into production)."""
    catalogued.ok("obtain", "example2", "--mfa-code", "123456", timeout=60)
    assert bash.status("letme use example2", timeout=30) == 0
    open_picker(bash)
    bash.child.send("\r")
    bash.child.expect(PROMPT, timeout=30)
    bash.sync()
    assert bash.getenv("LETME_ACCOUNT") == "example2"
    # With no current account, nothing typed lists the catalog in its own (name) order.
    assert fuzzy.rank("", ["web-dev-1", "prod-eu", "billing-prod-2"]) == ["web-dev-1", "prod-eu", "billing-prod-2"]


def test_stdout_carries_only_the_shell_code(bash, catalogued):
    catalogued.ok("obtain", "example1", "--mfa-code", "123456", timeout=60)
    out = bash.workdir / "stdout"
    bash.child.sendline(f"command letme use --shell bash > {out}")
    bash.child.expect_exact(FOOTER)
    bash.child.send("xmple1\r")
    bash.child.expect(PROMPT)
    bash.sync()
    code = out.read_text()
    assert "\x1b" not in code and "accounts" not in code
    assert "export LETME_ACCOUNT='example1';\n" in code, code


@pytest.mark.parametrize("key", ["\x1b", "\x03"], ids=["esc", "ctrl-c"])
def test_cancel_exits_130_and_changes_nothing(bash, key):
    out = bash.workdir / "rc"
    bash.child.sendline(f"letme use; printf '%s' $? > {out}")
    bash.child.expect_exact(FOOTER)
    bash.child.send("ex")
    bash.child.send(key)
    bash.child.expect(PROMPT)
    bash.sync()
    assert out.read_text() == "130"
    assert bash.getenv("LETME_ACCOUNT") is None
    assert bash.getenv("AWS_PROFILE") is None


def test_picker_without_a_terminal_is_a_usage_error(catalogued):
    result = subprocess.run(["letme", "use", "--shell", "bash"], env=catalogued.env, capture_output=True,
                            text=True, timeout=30, stdin=subprocess.DEVNULL, start_new_session=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("letme: error: no ACCOUNT given and no terminal for the picker")


def test_prompt_toolkit_is_imported_by_the_picker_only(catalogued):
    catalogued.ok("obtain", "example1", "--mfa-code", "123456", timeout=60)
    heavy, result = heavy_imports(catalogued, "use", "example1", "--shell", "bash")
    assert result.returncode == 0 and heavy == []
    # Control: the picker path, on a terminal, does import it (or the check above proves nothing).
    child = pexpect.spawn(sys.executable, ["-c", WRAPPER, "use", "--shell", "bash"], env=catalogued.env,
                          encoding="utf-8", timeout=10, dimensions=(40, 200))
    child.expect_exact(FOOTER)
    child.send("\x1b")
    child.expect(r"HEAVY=(\[.*\])")
    assert "prompt_toolkit" in json.loads(child.match.group(1))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_rows_neutralise_hostile_descriptions():
    hostile = catalog.Account("evil", "123456789012", "ok\x1b]0;pwned\x07\x1b[2J\r\nrm -rf /\u202e\t", (), ())
    row = picker.row_text(hostile, 8)
    assert row.isprintable()
    assert "\x1b" not in row and "\n" not in row and "\u202e" not in row
    assert row.startswith("evil      123456789012  ok?]0;pwned??[2J??rm -rf /??")
    assert picker.row_text(catalog.Account("x", None, "d" * 500, (), ()), 1).endswith("…")

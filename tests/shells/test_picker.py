"""`letme use` without ACCOUNT: the fuzzy picker, in real interactive bash with the hook evaluated.

The hook runs `out=$(letme use)`, so stdout is a pipe: the picker must draw on
/dev/tty, and what it draws must never reach the `eval`. Values are read back
through files (harness.getenv), as in test_interactive.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pexpect
import pytest

from letme_shell import catalog, fuzzy, picker
from tests.shells.harness import LETME, PROMPT, Shell
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


# ---- issue 11, items 9 and 10: order, Esc, small terminals ------------------------------------------------------


def test_one_letter_then_enter_never_switches_to_production(bash, catalogued):
    """"p" matches prod-eu (production, and the shortest name: the best match) and the payments-* accounts;
    Enter must not go to prod-eu, which nobody here used recently."""
    open_picker(bash)
    bash.child.send("p\r")
    bash.child.expect_exact("MFA code: ", timeout=30)
    bash.child.sendline("123456")
    bash.child.expect(PROMPT, timeout=30)
    bash.sync()
    assert bash.getenv("LETME_ACCOUNT") == "payments-dev-00024"


def test_recently_used_accounts_come_first(bash, catalogued):
    for name in ("prod-eu", "example2"):
        catalogued.ok("obtain", name, "--mfa-code", "123456", timeout=60)
    assert bash.status("letme use example2 && letme leave", timeout=30) == 0
    open_picker(bash)
    bash.child.send("e\r")  # example1 and example2 both start with "e": the recent one first
    bash.child.expect(PROMPT, timeout=30)
    bash.sync()
    assert bash.getenv("LETME_ACCOUNT") == "example2"
    # A production account used recently is on top of a one-letter query again.
    assert bash.status("letme use prod-eu && letme leave", timeout=30) == 0
    open_picker(bash)
    bash.child.send("p\r")
    bash.child.expect(PROMPT, timeout=30)
    bash.sync()
    assert bash.getenv("LETME_ACCOUNT") == "prod-eu"


def spawn_picker(catalogued, rows: int = 40, **env: str) -> pexpect.spawn:  # type: ignore[no-untyped-def]
    return pexpect.spawn(LETME, ["use", "--shell", "bash"], env={**catalogued.env, "TERM": "xterm", **env},
                         encoding="utf-8", timeout=20, dimensions=(rows, 120))


def close_time(catalogued, key: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds from the key to the picker's exit. No cursor-position requests (pexpect answers none, and
    prompt_toolkit would wait up to a second for the answer at exit, whatever the key)."""
    child = spawn_picker(catalogued, PROMPT_TOOLKIT_NO_CPR="1")
    child.expect_exact(FOOTER)
    time.sleep(0.2)
    started = time.monotonic()
    child.send(key)
    child.expect(pexpect.EOF)
    elapsed = time.monotonic() - started
    child.close()
    assert child.exitstatus == 130
    return elapsed


def test_esc_closes_the_picker_as_fast_as_ctrl_c(catalogued):
    """prompt_toolkit waits `ttimeoutlen` (0.5 s by default) after a lone ESC byte for the rest of an escape
    sequence: Esc took ~0.5 s more than Ctrl-C. Loose bound, the machine may be busy: under 0.3 s more."""
    esc = min(close_time(catalogued, "\x1b") for _ in range(2))
    ctrl_c = min(close_time(catalogued, "\x03") for _ in range(2))
    assert esc < ctrl_c + 0.3, (esc, ctrl_c)


def test_the_picker_sets_a_short_escape_timeout():
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as keys:
        app = picker._application(picker._Entries(catalog_lines(["example1"]), []), None, [], keys, DummyOutput())
    assert app.ttimeoutlen == picker.ESCAPE_TIMEOUT <= 0.05


def catalog_lines(names: list[str], prod: tuple[str, ...] = ()) -> list[bytes]:
    return [json.dumps(catalog.Account(name, f"{100000000000 + i:012d}", f"account {name}", ("eu-west-1",), (),
                                       ("prod",) if name in prod else ()).to_json(), separators=(",", ":")).encode()
            for i, name in enumerate(names)]


@pytest.mark.parametrize("rows", [8, 5])
def test_small_terminals_get_a_usable_picker(catalogued, rows):
    """An 8-row pane showed only "Window too small..."; down to 5 rows the picker shows the query, as many
    accounts as fit, and the footer, and scrolls to keep the selection in view."""
    child = spawn_picker(catalogued, rows=rows)
    child.expect_exact(FOOTER)
    assert "Window too small" not in child.before
    child.send("\x1b[B" * 6 + "\r")  # the seventh account: below the rows shown
    child.expect_exact("MFA code: ", timeout=30)
    child.sendline("123456")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    cache = catalogued.home / ".cache" / "letme" / "catalog" / "general"
    names, prod = (cache / "names").read_text().split(), (cache / "prod").read_text().split()
    expected = picker.order("", names, [], set(prod))[6]
    assert f"export LETME_ACCOUNT='{expected}';" in child.before
    assert "Window too small" not in child.before


def screens(rows: int, batches: list[str], names: list[str]) -> list[list[str]]:
    """Run the picker's application on a `rows`-row output, typing each batch of keys after a redraw;
    the screen after each redraw."""
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    class Small(DummyOutput):
        def get_size(self) -> Size:
            return Size(rows=rows, columns=100)

    seen: list[list[str]] = []

    def snapshot(app) -> None:  # type: ignore[no-untyped-def]
        screen = app.renderer._last_screen
        if screen is not None:
            seen.append(["".join(screen.data_buffer[y][x].char for x in range(100)).rstrip()
                         for y in range(screen.height)])
        if batches:
            keys.send_text(batches.pop(0))

    with create_pipe_input() as keys:
        app = picker._application(picker._Entries(catalog_lines(names), []), None, [], keys, Small())
        app.after_render += snapshot
        app.run()
    return seen


@pytest.mark.parametrize("rows", [5, 8, 40])
def test_rows_shown_fit_the_terminal_and_follow_the_selection(rows):
    names = [f"account-{i:02d}" for i in range(30)]
    shown = screens(rows, ["\x1b[B" * 9, "\r"], names)
    last = shown[-1]
    while last and not last[-1]:  # the rows below the picker
        last.pop()
    assert len(last) <= rows
    assert last[0].startswith(picker.PROMPT.strip())
    assert "30/30 accounts" in last[-1]
    selected = [line for line in last if line.startswith(">")]
    assert selected and selected[0].startswith("> account-09"), last
    assert sum(line.startswith(("> account", "  account")) for line in last) == min(rows - 2, picker.VISIBLE)


def test_entries_read_names_and_production_tags_without_parsing_every_line():
    """The picker takes names and production tags from the cache lines directly; the same answer as parsing
    them, whatever the tags hold (a quote, a bracket, a longer tag, another script)."""
    def line(data: dict) -> bytes:  # type: ignore[type-arg]
        return json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode()

    rows = {
        "plain": [], "tagged": ["stage", "prod"], "only-prod": ["prod"], "quoted": ['x"prod', 'prod"'],
        "bracket": ["a]b", "prod"], "longer": ["prodx", "xprod"], "accent": ["prodé"], "comma": ['a","prod'],
    }
    lines = [line(catalog.Account(n, None, "", (), (), tuple(t)).to_json()) for n, t in rows.items()]
    lines.append(line({"id": "1", "name": "name-not-first", "tags": ["prod"]}))
    lines += [line({"name": "bad name", "tags": ["prod"]}), line({"name": "$(x)"}), b"{not json",
              b'{"name":"\\u0061b"}']
    entries = picker._Entries(lines, ["prod", "prodé"])
    assert entries.names == [*rows, "name-not-first", "ab"]
    assert entries.production == {"tagged", "only-prod", "bracket", "accent", "name-not-first"}
    assert picker._Entries(lines, []).production == set()
    assert entries.account("tagged").tags == ("stage", "prod")

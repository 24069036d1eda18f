"""The account picker for `letme use` without ACCOUNT: fuzzy filter, arrows, Enter.

It draws on /dev/tty, never on stdout: the shell hook captures stdout
(`out=$(letme use)`) and evaluates it, so the picker's input and output are
created explicitly on the terminal. This is the only module that imports
prompt_toolkit, and only inside `_run`, so only this path pays for it.

Descriptions come from the shared catalog table and are untrusted: every row is
built from `validate.printable` text (escape sequences and control characters
become '?') and handed to prompt_toolkit as plain (style, text) fragments, never
parsed as markup.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Any

from letme_shell import fuzzy, validate
from letme_shell.catalog import Account
from letme_shell.errors import ExitCode, LetmeError

VISIBLE = 12
DESCRIPTION_WIDTH = 60


def row_text(account: Account, name_width: int) -> str:
    """One picker row: name, id, description; all of it safe to print on a terminal."""
    account_id = account.id or "-" * 12
    description = validate.printable(account.description, DESCRIPTION_WIDTH)
    return f"{account.name:<{name_width}}  {account_id}  {description}".rstrip()


class _View:
    """What the picker shows: the query it ranked for, the ranked names, the cursor and the scroll offset."""

    def __init__(self, names: list[str]):
        self.query: str | None = None
        self.found = names
        self.selected = 0
        self.top = 0


def pick(accounts: Sequence[Account], current: str | None = None) -> str:
    """The name the user picked; LetmeError(130) on Esc/Ctrl-C, LetmeError(2) without a terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise LetmeError("no ACCOUNT given and no terminal for the picker", "name the account: letme use ACCOUNT",
                         ExitCode.USAGE) from None
    # Two one-way streams on the terminal: a text "r+" stream would need a seekable file.
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as tty_in, \
            os.fdopen(os.dup(fd), "w", encoding="utf-8", errors="replace") as tty_out:
        chosen = _run(accounts, current, tty_in, tty_out)
    if chosen is None:
        raise LetmeError("no account picked", exit_code=ExitCode.INTERRUPTED)
    return chosen


def _run(accounts: Sequence[Account], current: str | None, tty_in: IO[str], tty_out: IO[str]) -> str | None:
    from prompt_toolkit.application import Application
    from prompt_toolkit.buffer import Buffer
    from prompt_toolkit.input import create_input
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import HSplit, Layout, Window
    from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
    from prompt_toolkit.output import create_output

    by_name = {a.name: a for a in accounts}
    names = list(by_name)
    width = min(max((len(n) for n in names), default=0), 40)
    view = _View(names)
    query = Buffer(multiline=False)

    def matches() -> list[str]:
        # Ranked once per query text, not once per redraw.
        if view.query != query.text:
            found = fuzzy.rank(query.text, names)
            # Nothing typed yet: start on the current account, so that Enter keeps it (never on
            # whichever name happens to sort first, which may be production).
            start = found.index(current) if not query.text and current is not None and current in by_name else 0
            view.query, view.found, view.selected, view.top = query.text, found, start, max(0, start - VISIBLE + 1)
        return view.found

    def move(delta: int) -> None:
        found = matches()
        view.selected = min(max(view.selected + delta, 0), max(len(found) - 1, 0))
        if view.selected < view.top:
            view.top = view.selected
        elif view.selected >= view.top + VISIBLE:
            view.top = view.selected - VISIBLE + 1

    def lines() -> list[tuple[str, str]]:
        found = matches()
        out: list[tuple[str, str]] = []
        for i, name in enumerate(found[view.top : view.top + VISIBLE], start=view.top):
            chosen = i == view.selected
            suffix = "  (current)" if name == current else ""
            out.append(("reverse" if chosen else "", f"{'>' if chosen else ' '} {row_text(by_name[name], width)}"
                        f"{suffix}\n"))
        if not found:
            out.append(("", "  no account matches\n"))
        out.append(("italic", f"  {len(found)}/{len(names)} accounts · ↑↓ move · Enter picks · Esc cancels"))
        return out

    keys = KeyBindings()

    @keys.add("up")
    @keys.add("c-p")
    def _up(event: Any) -> None:
        move(-1)

    @keys.add("down")
    @keys.add("c-n")
    def _down(event: Any) -> None:
        move(1)

    @keys.add("pageup")
    def _page_up(event: Any) -> None:
        move(-VISIBLE)

    @keys.add("pagedown")
    def _page_down(event: Any) -> None:
        move(VISIBLE)

    @keys.add("enter")
    def _enter(event: Any) -> None:
        found = matches()
        if found:
            event.app.exit(result=found[view.selected])

    @keys.add("escape", eager=True)
    @keys.add("c-c")
    @keys.add("c-d")
    def _cancel(event: Any) -> None:
        event.app.exit(result=None)

    layout = Layout(HSplit([
        Window(FormattedTextControl("Switch to account (type to filter):"), height=1),
        Window(BufferControl(buffer=query), height=1),
        Window(FormattedTextControl(lines), height=min(len(names), VISIBLE) + 1),  # type: ignore[arg-type]
    ]), focused_element=query)
    app: Application[str | None] = Application(
        layout=layout, key_bindings=keys, full_screen=False, erase_when_done=True,
        input=create_input(stdin=tty_in),  # type: ignore[arg-type]
        output=create_output(stdout=tty_out),  # type: ignore[arg-type]
    )
    return app.run()

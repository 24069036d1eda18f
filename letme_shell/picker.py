"""The account picker for `letme use` without ACCOUNT: fuzzy filter, arrows, Enter.

It draws on /dev/tty, never on stdout: the shell hook captures stdout
(`out=$(letme use)`) and evaluates it, so the picker's input and output are
created explicitly on the terminal. This is the only module that imports
prompt_toolkit, and only inside `_application`, so only this path pays for it.

Descriptions come from the shared catalog table and are untrusted: every row is
built from `validate.printable` text (escape sequences and control characters
become '?') and handed to prompt_toolkit as plain (style, text) fragments, never
parsed as markup.

Order: recently used accounts first, and a production account never on top of
a one-letter (or empty) query unless it is the only match or recently used; the
rule is written down once, in letme_shell/history.py, and `order` applies it.

Speed: prompt_toolkit's import is most of the time to open. What is letme's own
is kept small: the catalog is not parsed into 10,000 Accounts before the first
draw (`_Entries` takes each name from the start of its cache line, looks for
production tags without parsing, and parses only the rows it shows), and the
objects made before the first draw are frozen out of the garbage collector's
scans.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Sequence
from typing import Any

from letme_shell import fuzzy, validate
from letme_shell.catalog import Account
from letme_shell.errors import ExitCode, LetmeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from letme_shell.config import Settings

VISIBLE = 12  # account rows at most; fewer when the terminal is smaller
CHROME = 2  # rows that are not accounts: the query line and the footer
DESCRIPTION_WIDTH = 60
# How long a lone ESC byte waits for the rest of an escape sequence before it counts as the Esc key.
# prompt_toolkit's default (0.5 s) made Esc take half a second to close the picker; a terminal sends an
# arrow key's bytes in one write, so they arrive together, well within this.
ESCAPE_TIMEOUT = 0.02
PROMPT = "Switch to account: "


def row_text(account: Account, name_width: int) -> str:
    """One picker row: name, id, description; all of it safe to print on a terminal."""
    account_id = account.id or "-" * 12
    description = validate.printable(account.description, DESCRIPTION_WIDTH)
    return f"{account.name:<{name_width}}  {account_id}  {description}".rstrip()


def order(query: str, found: Sequence[str], recent: Sequence[str], production: Collection[str]) -> list[str]:
    """`found` (the matches of `query`, best first) in the order of letme_shell/history.py: the exact name,
    then recently used names, then the rest, with production names last when at most one letter is typed."""
    typed = query.lower()
    matched = set(found)
    first = [name for name in found if name.lower() == typed] if typed else []
    placed = set(first)
    recents = [name for name in dict.fromkeys(recent) if name in matched and name not in placed]
    placed.update(recents)
    rest = [name for name in found if name not in placed]
    if len(typed) <= 1:
        rest = [name for name in rest if name not in production] + [name for name in rest if name in production]
    return first + recents + rest


class _Entries:
    """The cached catalog as the picker needs it: every name, which are production, and rows parsed on demand.

    catalog.write_cache writes each account as `{"name":"NAME",…,"tags":[…]}`: the name first (the
    cache lookup relies on it too) and the tags last (Account.to_json). The name is taken from the
    start of its line with the catalog's own name pattern (a line of another shape is parsed whole),
    and a production tag is found in the rest of the line as a whole JSON string between `[` or `,`
    and `,` or `]` (inside a string, a quote is always escaped). A row is parsed when it is shown.
    """

    def __init__(self, lines: Sequence[bytes], production_tags: Collection[str]):
        self.lines: dict[str, bytes] = {}
        self.production: set[str] = set()
        self._accounts: dict[str, Account] = {}
        # The tags as they appear in the cache (json.dumps with ensure_ascii, as write_cache writes them).
        needles = [json.dumps(tag).encode() for tag in dict.fromkeys(production_tags)]
        for line in lines:
            found = _LINE.match(line)
            name = found.group(1).decode() if found else _name_of(line)
            if name is None or name in self.lines:
                continue
            self.lines[name] = line
            at = line.find(b'"tags":[')
            if needles and at >= 0 and line[at + 8 : at + 9] != b"]" and _tagged(line[at + 7 :], needles):
                self.production.add(name)
        self.names = list(self.lines)

    def account(self, name: str) -> Account:
        account = self._accounts.get(name)
        if account is None:
            from letme_shell import catalog

            try:
                account = catalog.account_from_item_json(json.loads(self.lines[name]))
            except (ValueError, KeyError, TypeError, LetmeError):
                account = Account(name, None, "", (), ())  # shown, and `use` will say what is wrong with it
            self._accounts[name] = account
        return account


_LINE = re.compile(rb'\{"name":"(' + validate.ACCOUNT_NAME.pattern.encode() + rb')",')


def _name_of(line: bytes) -> str | None:
    try:
        name = json.loads(line).get("name")
    except (ValueError, AttributeError):
        return None
    return name if validate.is_account_name(name) else None  # type: ignore[no-any-return]


def _tagged(tags: bytes, needles: Sequence[bytes]) -> bool:
    """Whether the JSON array at the start of `tags` (and what follows it on the line) holds one of the
    `needles` (JSON strings) as an element of its own."""
    for needle in needles:
        start = 0
        while (at := tags.find(needle, start)) > 0:
            end = at + len(needle)
            if tags[at - 1 : at] in (b"[", b",") and tags[end : end + 1] in (b",", b"]"):
                return True
            start = at + 1
    return False


def pick(settings: Settings, current: str | None = None) -> str:
    """The name the user picked from the cached catalog of `settings`' context; LetmeError(130) on Esc/Ctrl-C,
    LetmeError(2) without a terminal."""
    from letme_shell import catalog, history

    lines = catalog.account_lines(settings)
    if not lines:
        raise LetmeError(f"no cached accounts in context '{settings.context}'", "run 'letme init' first")
    entries = _Entries(lines, settings.production_tags)
    try:
        recent = history.recent(settings.context)
    except LetmeError as exc:
        from letme_shell import ui

        ui.warn(f"ignoring the history of recent accounts: {exc.message}")
        recent = []
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise LetmeError("no ACCOUNT given and no terminal for the picker", "name the account: letme use ACCOUNT",
                         ExitCode.USAGE) from None
    # Two one-way streams on the terminal: a text "r+" stream would need a seekable file.
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as tty_in, \
            os.fdopen(os.dup(fd), "w", encoding="utf-8", errors="replace") as tty_out:
        from prompt_toolkit.input import create_input
        from prompt_toolkit.output import create_output

        app = _application(entries, current if current in entries.lines else None, recent,
                           create_input(stdin=tty_in), create_output(stdout=tty_out))  # type: ignore[arg-type]
        import gc

        # Everything made so far lives until the picker closes: keep the collector from scanning it again
        # and again while prompt_toolkit builds its key bindings and draws (~30 ms with 5,000 accounts).
        gc.freeze()
        chosen = app.run()
    if chosen is None:
        raise LetmeError("no account picked", exit_code=ExitCode.INTERRUPTED)
    return chosen


class _View:
    """What the picker shows: the query it ranked for, the ordered names, the cursor and the scroll offset."""

    def __init__(self, names: list[str]):
        self.query: str | None = None
        self.found = names
        self.selected = 0
        self.top = 0


def _application(entries: _Entries, current: str | None, recent: Sequence[str], keyboard: Any, screen: Any) -> Any:
    """The prompt_toolkit Application of the picker (its result: the picked name, or None when cancelled)."""
    from prompt_toolkit.application import Application, get_app
    from prompt_toolkit.buffer import Buffer
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import Dimension, HSplit, Layout, Window
    from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
    from prompt_toolkit.layout.processors import BeforeInput

    names = entries.names
    width = min(max((len(n) for n in names), default=0), 40)
    view = _View(names)
    query = Buffer(multiline=False)

    def rows() -> int:
        """Account rows that fit: the terminal's height less the query line and the footer (at least 1)."""
        return max(1, min(VISIBLE, get_app().output.get_size().rows - CHROME))

    def matches() -> list[str]:
        # Ranked once per query text, not once per redraw.
        if view.query != query.text:
            found = order(query.text, fuzzy.rank(query.text, names), recent, entries.production)
            # Nothing typed yet: start on the current account, so that Enter keeps it.
            start = found.index(current) if not query.text and current is not None else 0
            view.query, view.found, view.selected, view.top = query.text, found, start, 0
        return view.found

    def scroll() -> None:
        """Keep the selected row within the rows shown (the terminal may have shrunk since the last key)."""
        visible = rows()
        if view.selected < view.top:
            view.top = view.selected
        elif view.selected >= view.top + visible:
            view.top = view.selected - visible + 1

    def move(delta: int) -> None:
        found = matches()
        view.selected = min(max(view.selected + delta, 0), max(len(found) - 1, 0))
        scroll()

    def lines() -> list[tuple[str, str]]:
        found = matches()
        scroll()
        out: list[tuple[str, str]] = []
        for i, name in enumerate(found[view.top : view.top + rows()], start=view.top):
            chosen = i == view.selected
            suffix = "  (current)" if name == current else ""
            if out:
                out.append(("", "\n"))
            out.append(("reverse" if chosen else "",
                        f"{'>' if chosen else ' '} {row_text(entries.account(name), width)}{suffix}"))
        if not found:
            out.append(("", "  no account matches"))
        return out

    def footer() -> list[tuple[str, str]]:
        return [("italic", f"  {len(matches())}/{len(names)} accounts · ↑↓ move · Enter picks · Esc cancels")]

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
        move(-rows())

    @keys.add("pagedown")
    def _page_down(event: Any) -> None:
        move(rows())

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

    def list_height() -> Dimension:
        # As tall as the whole catalog would need (up to what fits), whatever the filter: the picker
        # does not jump as matches come and go.
        shown = min(len(names), rows())
        return Dimension(min=1, max=max(shown, 1), preferred=max(shown, 1))

    layout = Layout(HSplit([
        Window(BufferControl(buffer=query, input_processors=[BeforeInput(PROMPT)]), height=1),
        Window(FormattedTextControl(lines), height=list_height),  # type: ignore[arg-type]
        Window(FormattedTextControl(footer), height=1),  # type: ignore[arg-type]
    ]), focused_element=query)
    app: Application[str | None] = Application(
        layout=layout, key_bindings=keys, full_screen=False, erase_when_done=True, input=keyboard, output=screen)
    app.ttimeoutlen = ESCAPE_TIMEOUT
    return app

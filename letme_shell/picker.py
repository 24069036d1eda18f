"""The account picker for `letme use` without ACCOUNT: fuzzy filter, arrows, Enter.

It draws on /dev/tty, never on stdout (which the shell hook captures), and is
the only module that imports prompt_toolkit, so only this path pays for it.
"""

from __future__ import annotations

from letme_shell import fuzzy
from letme_shell.errors import ExitCode, LetmeError

VISIBLE = 12


def pick(names: list[str], current: str | None = None) -> str:
    try:
        tty = open("/dev/tty", "r+", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        raise LetmeError("no ACCOUNT given and no terminal for the picker", "name the account: letme use ACCOUNT",
                         ExitCode.USAGE) from None
    with tty:
        return _run(names, current, tty)


def _run(names: list[str], current: str | None, tty: object) -> str:
    from prompt_toolkit.application import Application
    from prompt_toolkit.buffer import Buffer
    from prompt_toolkit.input import create_input
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import HSplit, Layout, Window
    from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
    from prompt_toolkit.output import create_output

    state = {"selected": 0}
    query = Buffer()

    def matches() -> list[str]:
        return fuzzy.rank(query.text, names)

    def lines() -> list[tuple[str, str]]:
        found = matches()
        state["selected"] = min(state["selected"], max(len(found) - 1, 0))
        out: list[tuple[str, str]] = []
        for i, name in enumerate(found[:VISIBLE]):
            mark = "> " if i == state["selected"] else "  "
            style = "reverse" if i == state["selected"] else ""
            suffix = "  (current)" if name == current else ""
            out.append((style, f"{mark}{name}{suffix}\n"))
        out.append(("italic", f"  {len(found)}/{len(names)} accounts · Enter picks · Esc cancels"))
        return out

    query.on_text_changed += lambda _: state.update(selected=0)
    keys = KeyBindings()

    @keys.add("up")
    @keys.add("c-p")
    def _up(event: object) -> None:
        state["selected"] = max(state["selected"] - 1, 0)

    @keys.add("down")
    @keys.add("c-n")
    def _down(event: object) -> None:
        state["selected"] = min(state["selected"] + 1, max(min(len(matches()), VISIBLE) - 1, 0))

    @keys.add("enter")
    def _enter(event: object) -> None:
        found = matches()
        app.exit(result=found[state["selected"]] if found else None)

    @keys.add("escape", eager=True)
    @keys.add("c-c")
    @keys.add("c-d")
    def _cancel(event: object) -> None:
        app.exit(result=None)

    layout = Layout(HSplit([
        Window(FormattedTextControl("account: "), height=1, dont_extend_height=True),
        Window(BufferControl(buffer=query), height=1),
        Window(FormattedTextControl(lines), height=VISIBLE + 1),
    ]), focused_element=query)
    app: Application[str | None] = Application(
        layout=layout, key_bindings=keys, full_screen=False, erase_when_done=True,
        input=create_input(stdin=tty),  # type: ignore[arg-type]
        output=create_output(stdout=tty),  # type: ignore[arg-type]
    )
    chosen = app.run()
    if chosen is None:
        raise LetmeError("no account picked", exit_code=ExitCode.INTERRUPTED)
    return chosen

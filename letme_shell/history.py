"""Recently used accounts, per context, so that the picker and TAB offer them first.

`<state_dir>/recent/<context>`: one account name per line, most recent first, at
most LIMIT names. `letme use` puts the account on top after a switch succeeded
(`remember`); the picker reads it with `recent`, and the completion scripts read
the same file with shell builtins (no process at TAB).

Beside it, the catalog cache has a `prod` file (catalog.prod_file: the names
tagged with one of `production_tags` when `letme init` ran), so the shells know
which names are production without parsing the catalog.

The order every front end applies to the names that match what was typed (the
picker: letme_shell/picker.py `order`; bash, zsh, fish: completions/*):
1. a name equal to what was typed (any case);
2. recently used names, most recent first;
3. the others, in the matcher's order; but with at most one letter typed, the
   production names come after all the others. A single keystroke then never
   puts a production account on top, unless it is the only match or was used
   recently ("p" then Enter used to switch straight to prod-eu).

Both files only reorder names that are in the catalog's `names` file: a name
in them that is not in the catalog is ignored, so a damaged or planted file can
change an order but never offer or insert a name of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from letme_shell import fsutil, paths, ui, validate
from letme_shell.errors import LetmeError

LIMIT = 20


def history_file(context: str) -> Path:
    return paths.state_dir() / "recent" / context


def recent(context: str) -> list[str]:
    """The recently used account names of `context`, most recent first; [] when there are none.
    LetmeError when the file may not be trusted (someone else's, or others may write it)."""
    data = fsutil.read_bytes(history_file(context))
    names: list[str] = []
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        if validate.is_account_name(line) and line not in names:
            names.append(line)
    return names[:LIMIT]


def remember(change: Mapping[str, str | None]) -> None:
    """Put the account a switch went to on top of its context's history (the switch's EnvChange names it).

    Best effort: the switch has happened when this runs, so a history letme cannot
    read or write costs a warning, never the switch. Nothing is written when the
    account is already on top (switching again to the same account writes nothing).

    The write is atomic (fsutil.atomic_write) but takes no inter-process lock: two
    shells switching in the same instant may each leave out the other's account,
    which changes an order and loses nothing else, while the lock (hashlib and
    flock, ~5 ms here) would be paid by every switch to another account.
    """
    from letme_shell import naming

    qualified, context = change.get("LETME_ACCOUNT"), change.get("LETME_ACTIVE_CONTEXT")
    if not qualified or not context:
        return
    name = naming.split(qualified)[0]
    try:
        known = recent(context)
        if known[:1] == [name]:
            return
        names = [name] + [n for n in known if n != name]
        fsutil.atomic_write(history_file(context), "".join(f"{n}\n" for n in names[:LIMIT]).encode())
    except LetmeError as exc:
        ui.warn(f"could not record '{name}' as recently used: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))

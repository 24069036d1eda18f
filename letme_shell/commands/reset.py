"""letme reset [--context NAME | --all]: remove every credential letme stored, and nothing else.

It lists what it removes on stderr and asks at the terminal first, unless --yes; a script must pass --yes.
"""

from __future__ import annotations

import argparse

from letme_shell import config, reset, ui
from letme_shell.commands import _common
from letme_shell.errors import ExitCode, LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="every context, not only the active one (or --context)")
    parser.add_argument("--yes", action="store_true", help="remove without asking (needed without a terminal)")


def run(args: argparse.Namespace) -> int:
    if args.all and getattr(args, "context", None):
        raise LetmeError("--all and --context name different things", "give one of them", ExitCode.USAGE)
    first = _common.settings(args)
    chosen = [first]
    if args.all:
        given = getattr(args, "config", None)
        chosen = [config.load(given, name) for name in config.contexts(given)]
    items = [item for settings in chosen for item in reset.stored(settings)]
    if args.all:
        for context in reset.other_contexts([settings.context for settings in chosen]):
            items += reset.cached(context)
    where = "any context" if args.all else f"context '{first.context}'"
    if not items:
        ui.info(f"letme has nothing stored for {where}")
        return 0
    if not args.yes:
        _confirm(items, where)
    origins = {settings.context: settings.origin() for settings in chosen}
    for line in reset.remove(items, origins):
        ui.info(line)
    for profile in reset.kept_source_keys():
        ui.info(f"kept the long-term keys of profile '{profile}' in the keyring "
                f"('letme source remove {profile}' puts them back in the AWS credentials file)")
    return 0


def _confirm(items: list[reset.Item], where: str) -> None:
    listing = "\n".join(f"  {item.describe()}" for item in items)
    try:
        answer = ui.ask_tty(f"letme: reset removes what letme stored for {where}:\n{listing}\nRemove them? [y/N] ")
    except ui.NotForeground:
        raise LetmeError("letme reset asks before it removes anything, and this letme runs in the background of "
                         "its terminal, where it may not ask", "run it in the foreground, or pass --yes",
                         ExitCode.USAGE) from None
    except (ui.NoTerminal, ui.NoAnswer):
        raise LetmeError("letme reset asks before it removes anything, and there is no terminal to ask on",
                         "pass --yes to remove without asking", ExitCode.USAGE) from None
    if answer.strip().lower() not in ("y", "yes"):
        raise LetmeError("nothing removed")

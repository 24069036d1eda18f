"""letme list [FILTER] [--tag T] [--json] [--names]: the cached catalog, no network."""

from __future__ import annotations

import argparse
import sys
import time

from letme_shell import catalog, fuzzy, listing, ui
from letme_shell.commands import _common
from letme_shell.config import Settings
from letme_shell.errors import LetmeError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is not imported at run time: `list` is a cheap path
    from typing import TypeVar

    T = TypeVar("T")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("filter", nargs="?", metavar="FILTER", help="fuzzy filter on names ('ex1' finds example1)")
    parser.add_argument("--tag", action="append", default=None, metavar="TAG",
                        help="only accounts with this tag (repeatable; default: the config's tags)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON")
    output.add_argument("--names", action="store_true", help="print names only, one per line")


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)}s"
    if seconds < 7200:
        return f"{int(seconds // 60)}m"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def run(args: argparse.Namespace) -> int:
    settings = _common.settings(args)
    tags = args.tag if args.tag is not None else settings.tags
    if args.json:
        accounts = _accounts(settings, tags)
        _common.print_json([a.to_json() for a in _select({a.name: a for a in accounts}, args.filter)])
        return 0
    # The table init left ready; formatted from the records when filtering by tag, or when
    # the listing file is missing or doubtful.
    ready = None if tags else catalog.listed(settings)
    info: catalog.CatalogInfo | None
    if ready is not None:
        info, text = ready
    else:
        text, info = listing.table(_accounts(settings, tags)), catalog.info(settings.context)
    if args.filter or args.names:
        header, _, body = text.partition("\n")
        lines = _select({listing.name_of(line): line for line in body.splitlines()}, args.filter)
        if args.names:
            sys.stdout.write("".join(f"{listing.name_of(line)}\n" for line in lines))
            return 0
        text = listing.narrowed(header, lines)
    if info:
        ui.info(f"{info.count} accounts in context '{settings.context}', cached {_age(time.time() - info.fetched_at)}"
                " ago ('letme init' refreshes)")
    if text.count("\n") < 2:  # the header alone
        ui.info("no account matches")
        return 0
    sys.stdout.write(text)
    return 0


def _accounts(settings: Settings, tags: list[str]) -> list[catalog.Account]:
    accounts = catalog.load_all(settings)
    if accounts is None:
        raise LetmeError(f"no catalog cache for context '{settings.context}'",
                         "run 'letme init' to fetch the accounts from DynamoDB")
    return [a for a in accounts if set(tags) <= set(a.tags)] if tags else accounts


def _select(by_name: dict[str, T], query: str | None) -> list[T]:
    """All of them in name order, or those matching the fuzzy query, best first."""
    if not query:
        return list(by_name.values())
    return [by_name[name] for name in fuzzy.rank(query, by_name)]

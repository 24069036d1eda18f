"""letme list [FILTER] [--tag T] [--json] [--names]: the cached catalog, no network."""

from __future__ import annotations

import argparse
import sys
import time

from letme_shell import catalog, fuzzy, ui
from letme_shell.commands import _common
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
        accounts = _accounts(settings.context)
        selected = _select({a.name: a for a in accounts if set(tags) <= set(a.tags)}, args.filter)
        _common.print_json([a.to_json() for a in selected])
        return 0
    # The listing file has the columns ready; a cache from before it existed is listed from its records.
    listed = catalog.listing(settings.context)
    info: catalog.CatalogInfo | None
    if listed is not None:
        info, rows = listed
    else:
        rows = [catalog.listing_row(a) for a in _accounts(settings.context)]
        info = catalog.info(settings.context)
    if tags:
        rows = [row for row in rows if set(tags) <= set(row[4].split(","))]
    rows = _select({row[0]: row for row in rows}, args.filter)
    if args.names:
        sys.stdout.write("".join(f"{row[0]}\n" for row in rows))
        return 0
    if info:
        ui.info(f"{info.count} accounts in context '{settings.context}', cached {_age(time.time() - info.fetched_at)}"
                " ago ('letme init' refreshes)")
    if not rows:
        ui.info("no account matches")
        return 0
    width = max(len("NAME"), *(len(row[0]) for row in rows))
    lines = [f"{'NAME':<{width}}  {'ID':<12}  {'HOPS':>4}  {'REGIONS':<24}  DESCRIPTION"]
    lines += [f"{name:<{width}}  {account_id:<12}  {hops:>4}  {regions:<24}  {description}"
              for name, account_id, hops, regions, _, description in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _accounts(context: str) -> list[catalog.Account]:
    accounts = catalog.load_all(context)
    if accounts is None:
        raise LetmeError(f"no catalog cache for context '{context}'",
                         "run 'letme init' to fetch the accounts from DynamoDB")
    return accounts


def _select(by_name: dict[str, T], query: str | None) -> list[T]:
    """All of them in name order, or those matching the fuzzy query, best first."""
    if not query:
        return list(by_name.values())
    return [by_name[name] for name in fuzzy.rank(query, by_name)]

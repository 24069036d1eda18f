"""letme list [FILTER] [--tag T] [--json] [--names]: the cached catalog, no network."""

from __future__ import annotations

import argparse
import sys
import time

from letme_shell import catalog, fuzzy, ui, validate
from letme_shell.commands import _common
from letme_shell.errors import LetmeError


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
    accounts = catalog.load_all(settings.context)
    if accounts is None:
        raise LetmeError(f"no catalog cache for context '{settings.context}'",
                         "run 'letme init' to fetch the accounts from DynamoDB")
    tags = args.tag if args.tag is not None else settings.tags
    if tags:
        accounts = [a for a in accounts if set(tags) <= set(a.tags)]
    if args.filter:
        by_name = {a.name: a for a in accounts}
        accounts = [by_name[name] for name in fuzzy.rank(args.filter, by_name)]
    if args.json:
        _common.print_json([a.to_json() for a in accounts])
        return 0
    if args.names:
        sys.stdout.write("".join(f"{a.name}\n" for a in accounts))
        return 0
    info = catalog.info(settings.context)
    if info:
        ui.info(f"{info.count} accounts in context '{settings.context}', cached {_age(time.time() - info.fetched_at)}"
                " ago ('letme init' refreshes)")
    if not accounts:
        ui.info("no account matches")
        return 0
    width = max(len("NAME"), *(len(a.name) for a in accounts))
    rows = [f"{'NAME':<{width}}  {'ID':<12}  {'HOPS':>4}  {'REGIONS':<24}  DESCRIPTION"]
    for a in accounts:
        regions = validate.printable(",".join(a.regions), 40) or "-"
        account_id = validate.printable(a.id, 12) if a.id else "-"
        rows.append(f"{a.name:<{width}}  {account_id:<12}  {len(a.roles):>4}  {regions:<24}  "
                    f"{validate.printable(a.description, 60)}")
    sys.stdout.write("\n".join(rows) + "\n")
    return 0

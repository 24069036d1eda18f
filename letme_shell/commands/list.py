"""letme list [FILTER] [--tag T] [--json] [--names]: the cached catalog, no network.

Without a cache it reads the table first (as `init`); a cache older than catalog_max_age is renewed by a
detached `letme init` while this list answers from it."""

from __future__ import annotations

import argparse
import sys
import time

from letme_shell import catalog, fuzzy, listing, ui, validate
from letme_shell.commands import _common
from letme_shell.config import Settings
from letme_shell.errors import ExitCode, LetmeError

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
    # The original letme's v0.2 options, hidden: `-o json` is --json, `--filter A,B` is --tag A --tag B.
    output.add_argument("-o", "--output", choices=("text", "json"), help=argparse.SUPPRESS)
    parser.add_argument("--filter", action="append", dest="filter_tags", default=None, help=argparse.SUPPRESS)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)}s"
    if seconds < 7200:
        return f"{int(seconds // 60)}m"
    if seconds < 172800:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def run(args: argparse.Namespace) -> int:
    if args.output == "json":
        args.json = True
    if args.filter_tags is not None:  # documented by the original as "a comma delimited list"
        args.tag = [*(args.tag or []),
                    *(tag.strip() for value in args.filter_tags for tag in value.split(",") if tag.strip())]
    settings = _common.settings(args)
    if catalog.header(settings.context) is None:
        # No `init` yet: the first list reads the table (as the original letme's list always did) and caches it.
        from letme_shell.commands import init

        if catalog.accounts_file(settings.context).exists():
            ui.warn(f"ignoring the unreadable catalog cache {catalog.accounts_file(settings.context)}; "
                    "reading the table again")
        init.fetch(settings)
    else:
        catalog.renew_if_old(settings, settings.catalog_max_age, getattr(args, "config", None))
    tags = args.tag if args.tag is not None else settings.tags
    if args.json:
        accounts = _accounts(settings, tags)
        chosen = _select({a.name: a for a in accounts}, args.filter)
        _common.print_json([a.to_json() for a in chosen])
        return 0 if chosen or not (args.filter or tags) else ExitCode.FAILURE
    # The table init left ready; formatted from the records when filtering by tag, or when
    # the listing file is missing or doubtful.
    ready = None if tags else catalog.listed(settings)
    info: catalog.CatalogInfo | None
    if ready is not None:
        info, text = ready
    else:
        text, info = listing.table(_accounts(settings, tags)), catalog.info(settings.context)
    header, _, body = text.partition("\n")
    rows = body.splitlines()
    total = len(rows) if info is None or tags else info.count
    if args.filter or args.names:
        rows = _select({listing.name_of(line): line for line in rows}, args.filter)
        if args.names:
            sys.stdout.write("".join(f"{listing.name_of(line)}\n" for line in rows))
            return 0 if rows or not (args.filter or tags) else ExitCode.FAILURE
        text = listing.narrowed(header, rows)
    where = f"in context '{settings.context}'" + (f" tagged {validate.shown_tags(tags)}" if tags else "")
    if not rows:
        # As grep: no match is exit 1, with one line saying what was looked for among how many.
        looked_for = f"'{validate.printable(args.filter)}'" if args.filter else "the tags"
        ui.info(f"no account matches {looked_for} among the {total} {where}" if total
                else f"no accounts {where}")
        return ExitCode.FAILURE if args.filter or tags else 0
    count = f"{len(rows)} of {total}" if len(rows) != total else f"{total}"
    age = f", cached {_age(time.time() - info.fetched_at)} ago ('letme init' refreshes)" if info else ""
    ui.info(f"{count} accounts {where}{age}")
    if info is not None and info.shadowed:
        # Never silent: a name two sources had is listed once, as the first source's (catalog_merge).
        shown = ", ".join(f"{name} ({winner}, not {loser})" for name, winner, loser in info.shadowed[:5])
        more = f" and {len(info.shadowed) - 5} more" if len(info.shadowed) > 5 else ""
        ui.info(f"in two sources, listed once: {shown}{more}; 'letme init' names them")
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

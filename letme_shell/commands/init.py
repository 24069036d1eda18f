"""letme init: fetch the whole catalog (every page) into the local cache."""

from __future__ import annotations

import argparse
import sys

from letme_shell import catalog, ui
from letme_shell.commands import _common
from letme_shell.config import Settings
from letme_shell.errors import LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--remove", action="store_true", help="delete the local catalog cache instead")


def run(args: argparse.Namespace) -> int:
    settings = _common.settings(args)
    if args.remove:
        catalog.remove_cache(settings.context)
        ui.info(f"removed the catalog cache of context '{settings.context}'")
        return 0
    fetch(settings)
    return 0


def fetch(settings: Settings) -> catalog.CatalogInfo:
    """Read the whole table into the cache (`init`, and a first `list`), with progress on a terminal only."""
    from letme_shell import catalog_sync

    show = sys.stderr.isatty() and not ui.QUIET

    def progress(seen: int) -> None:
        if show:
            sys.stderr.write(f"\rletme: read {seen} items…")
            sys.stderr.flush()

    accounts, rejected = catalog_sync.scan(settings, progress)
    if show:
        sys.stderr.write("\r\033[K")
    for line in rejected:
        ui.warn(f"skipped {line}")
    if not accounts:
        # An empty or wholly invalid table is a set-up problem (wrong table, wrong region, a bad
        # import); replacing a working cache with nothing would hide it until the next switch fails.
        found = f"none of its {len(rejected)} items is valid" if rejected else "it has no items"
        raise LetmeError(f"no accounts in the DynamoDB table '{settings.dynamodb_table}': {found}",
                         "check dynamodb_table and aws_source_profile_region; the cache was left as it was")
    info = catalog.write_cache(settings, accounts)
    ui.info(f"cached {info.count} accounts from '{settings.dynamodb_table}' (context '{settings.context}')"
            + (f"; skipped {len(rejected)} invalid items" if rejected else ""))
    return info

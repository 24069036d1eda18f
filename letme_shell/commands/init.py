"""letme init: fetch the whole catalog (every page) into the local cache."""

from __future__ import annotations

import argparse
import sys

from letme_shell import catalog, ui
from letme_shell.commands import _common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--remove", action="store_true", help="delete the local catalog cache instead")


def run(args: argparse.Namespace) -> int:
    settings = _common.settings(args)
    if args.remove:
        catalog.remove_cache(settings.context)
        ui.info(f"removed the catalog cache of context '{settings.context}'")
        return 0
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
    info = catalog.write_cache(settings.context, settings.dynamodb_table, accounts)
    ui.info(f"cached {info.count} accounts from '{settings.dynamodb_table}' (context '{settings.context}')"
            + (f"; skipped {len(rejected)} invalid items" if rejected else ""))
    return 0

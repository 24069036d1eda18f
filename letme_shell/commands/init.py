"""letme init: fetch the whole catalog (every page) into the local cache."""

from __future__ import annotations

import argparse
import sys

from letme_shell import catalog, config, ui
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
    """Read every configured source into the cache (`init`, and a first `list`), with progress on a terminal
    only: the table, and beside it ~/.aws/config's role profiles and AWS Organizations (catalog_merge)."""
    from letme_shell import catalog_merge

    show = sys.stderr.isatty() and not ui.QUIET

    def progress(seen: int) -> None:
        if show:
            sys.stderr.write(f"\rletme: read {seen} items…")
            sys.stderr.flush()

    merged = catalog_merge.collect(settings, progress)
    if show:
        sys.stderr.write("\r\033[K")
    for line in merged.notes:
        ui.warn(line)
    rejected = sum(1 for line in merged.notes if line.startswith("skipped "))
    sources = settings.sources()
    if not merged.accounts:
        # An empty or wholly invalid catalog is a set-up problem (wrong table, wrong region, a bad
        # import); replacing a working cache with nothing would hide it until the next switch fails.
        found = f"none of its {rejected} items is valid" if rejected else "it has no items"
        if sources == [config.TABLE_SOURCE]:
            raise LetmeError(f"no accounts in the DynamoDB table '{settings.dynamodb_table}': {found}",
                             "check dynamodb_table and aws_source_profile_region; the cache was left as it was")
        raise LetmeError(f"no accounts in any catalog source of context '{settings.context}' "
                         f"({', '.join(sources)})",
                         "check the sources in the letme config; the cache was left as it was")
    info = catalog.write_cache(settings, merged.accounts, shadowed=merged.shadowed)
    skipped = f"; skipped {rejected} invalid items" if rejected else ""
    if sources == [config.TABLE_SOURCE]:
        ui.info(f"cached {info.count} accounts from '{settings.dynamodb_table}' (context '{settings.context}')"
                + skipped)
    else:
        for source in sources:
            if not merged.counts[source]:
                ui.warn(f"no accounts from {_named(settings, source)}")
        parts = ", ".join(f"{merged.counts[source]} from {_named(settings, source)}" for source in sources)
        shadowed = f"; {len(merged.shadowed)} names in two sources" if merged.shadowed else ""
        ui.info(f"cached {info.count} accounts (context '{settings.context}': {parts}){shadowed}{skipped}")
    return info


def _named(settings: Settings, source: str) -> str:
    if source == config.TABLE_SOURCE:
        return f"the table '{settings.dynamodb_table}'"
    if source == config.AWS_CONFIG_SOURCE:
        return "the AWS config's role profiles"
    return f"AWS Organizations (role {settings.organizations_role})"

"""One catalog from every configured source: the DynamoDB table, ~/.aws/config's role profiles, AWS Organizations.

A name in two sources is never shadowed silently: the first source in precedence order keeps it (the table,
then the AWS config, then Organizations: the shared, curated list first, the generated one last), and `init`
says one line per such name, naming both; the cache header keeps them for `list` to mention. Any source that
fails fails the whole `init`, leaving the cache as it was: a catalog missing one source's accounts would
look complete. Imported by `init` only.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable

from letme_shell import paths, validate
from letme_shell.catalog import Account
from letme_shell.config import AWS_CONFIG_SOURCE, ORGANIZATIONS_SOURCE, TABLE_SOURCE, Settings


class Merged(namedtuple("Merged", "accounts notes shadowed counts")):
    """accounts: the catalog; notes: lines to say (skipped items, renames, collisions);
    shadowed: (name, winner, loser) per collision; counts: accounts each source gave, in precedence order."""

    __slots__ = ()


def describe(account: Account, settings: Settings) -> str:
    """Where one account came from, for a collision line."""
    if account.source == AWS_CONFIG_SOURCE and account.via is not None:
        return f"{paths.aws_config_file()} (profile '{validate.printable(account.via.profile)}')"
    if account.source == ORGANIZATIONS_SOURCE:
        return f"AWS Organizations (account {account.id})"
    return f"the table '{settings.dynamodb_table}'"


def collect(settings: Settings, progress: Callable[[int], None] | None = None) -> Merged:
    """Read every configured source, then merge them by precedence."""
    found: dict[str, list[Account]] = {}
    notes: list[str] = []
    for source in settings.sources():
        if source == TABLE_SOURCE:
            from letme_shell import catalog_sync

            found[source], rejected = catalog_sync.scan(settings, progress)
            notes += [f"skipped {line}" for line in rejected]
        elif source == AWS_CONFIG_SOURCE:
            from letme_shell import catalog_profiles

            found[source], rejected = catalog_profiles.accounts(settings)
            notes += [f"skipped {line}" for line in rejected]
        else:
            from letme_shell import catalog_orgs

            found[source], lines = catalog_orgs.accounts(settings)
            notes += lines
    return merge(settings, found, notes)


def merge(settings: Settings, found: dict[str, list[Account]], notes: list[str]) -> Merged:
    chosen: dict[str, Account] = {}
    shadowed: list[tuple[str, str, str]] = []
    order = " > ".join(settings.sources())
    for source in settings.sources():
        for account in found.get(source, []):
            kept = chosen.get(account.name)
            if kept is None:
                chosen[account.name] = account
                continue
            shadowed.append((account.name, kept.source, account.source))
            notes.append(f"'{account.name}' is both in {describe(kept, settings)} and in "
                         f"{describe(account, settings)}: the {kept.source} one is used ({order}); "
                         "rename one of them to have both")
    counts = {source: len(found.get(source, [])) for source in settings.sources()}
    return Merged(list(chosen.values()), notes, shadowed, counts)

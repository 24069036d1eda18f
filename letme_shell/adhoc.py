"""Roles outside the catalog: `letme use --role-arn ARN [--name ALIAS]` (assume-role-cli's main use).

An ad-hoc role is an Account built from the command line instead of a catalog item: its role chain is the
`--role-arn` list in order (the first assumed from the source identity or its MFA session, each next one from
the previous), its external id the target's (`--external-id`), its name ALIAS (`--name`, else
`<account-id>-<RoleName>` of the last ARN). From there it goes through everything a catalog account goes
through: the MFA session, the credential cache (whose fingerprint holds the chain, so the same alias with
another ARN is assumed again, never answered from the old entry), the modes, the prompt.

The alias is a name in the context's namespace, as a catalog account's is (it becomes the profile name,
LETME_ACCOUNT and the cache file name), so it may never be a catalog account's name: that is refused rather
than shadowed. `use` records the alias's chain under the state directory (roles/<context>/<alias>, 0600,
bound to the context's origin), so that what later names it without the ARNs (`back`, the prompt's `refresh`,
`status`, `use ALIAS`) assumes the same chain; `letme remove ALIAS` forgets it. Process mode needs no record:
the profile's credential_process line carries the ARNs (switch.process_command).

Nothing here imports boto3: the cached `use --role-arn` stays cheap.
"""

from __future__ import annotations

import json
from pathlib import Path

from letme_shell import catalog, fsutil, paths, validate
from letme_shell.catalog import Account
from letme_shell.config import Settings
from letme_shell.errors import ExitCode, LetmeError

DESCRIPTION = "ad-hoc role (not from the catalog)"


class AdhocAccount(Account):
    """An Account from `--role-arn`, not from the catalog: `use` writes its chain into the process-mode
    profile, and `status` says where it came from."""

    __slots__ = ()
    is_adhoc = True


def default_alias(arn: str) -> str:
    """`123456789012-RoleName` for arn:aws:iam::123456789012:role/path/RoleName: readable in the prompt, valid
    as an account name (never `name@x`, which reads as another context's account), stable for one ARN."""
    account_id = arn.split(":")[4]
    role = arn.rpartition("/")[2]
    # Role names may hold +=,@ (and letters of other scripts, which validate's \w lets through): '-' instead.
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in role)
    return f"{account_id}-{cleaned}"[:128]


def account(settings: Settings, arns: list[str], alias: str | None, external_id: str | None) -> AdhocAccount:
    """The ad-hoc account of `--role-arn` (in order), `--name` and `--external-id`; each was checked by argparse
    already. A LetmeError when the alias is a catalog account's name."""
    name = alias or default_alias(arns[-1])
    if not validate.is_account_name(name):  # a default alias cut short could end anywhere; never in a bad shape
        raise LetmeError(f"'{validate.printable(name)}' is not a valid account name", "give one with --name",
                         ExitCode.USAGE)
    check_not_catalog(settings, name)
    external = (*([""] * (len(arns) - 1)), external_id) if external_id else ()
    return AdhocAccount(name, arns[-1].split(":")[4], DESCRIPTION, (), tuple(arns), (), external)


def check_not_catalog(settings: Settings, name: str) -> None:
    """Refuse an alias that is a catalog account's name: it would shadow that account everywhere the name is
    used (profile, prompt, cache). Read from the names file of the context's catalog cache, which the hot
    path's record stamps, so a catalog that gains the name later stops a recorded answer too."""
    if name in catalog.cached_names(settings.context):
        raise LetmeError(f"'{name}' is an account in the catalog of context '{settings.context}'; an ad-hoc "
                         "role may not take its name",
                         f"give the role another name with --name, or use the catalog's: letme use {name}",
                         ExitCode.USAGE)


def command_args(account: Account) -> list[str]:
    """What names this ad-hoc account on a letme command line (the credential_process line of its profile)."""
    argv = ["--name", account.name]
    for arn in account.roles:
        argv += ["--role-arn", arn]
    if account.external_ids and account.external_ids[-1]:
        argv += ["--external-id", account.external_ids[-1]]
    return argv


def _record_file(context: str, name: str) -> Path:
    return paths.state_dir() / "roles" / context / name


def remember(settings: Settings, account: AdhocAccount) -> None:
    """Record the alias's chain for what names it later without the ARNs (see the module's docstring).
    Not rewritten when it already says the same (a repeated cached `use` writes nothing)."""
    body = json.dumps({"origin": settings.origin(), "roles": list(account.roles),
                       "external_ids": list(account.external_ids)}, separators=(",", ":")).encode() + b"\n"
    path = _record_file(settings.context, account.name)
    if fsutil.read_bytes(path) != body:
        fsutil.atomic_write(path, body, mode=0o600)


def recall(settings: Settings, name: str) -> AdhocAccount | None:
    """The ad-hoc account `use --role-arn` recorded under `name` for this origin, or None. The record is
    checked as a catalog item is (it names roles to assume), and one of another origin is not used."""
    if not validate.is_account_name(name):
        return None
    raw = fsutil.read_bytes(_record_file(settings.context, name))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        if data.get("origin") != settings.origin():
            return None
        roles = data["roles"]
        item = catalog.account_from_item({"name": name, "role": roles, "external_id": data.get("external_ids")})
    except (ValueError, KeyError, TypeError, AttributeError, catalog.InvalidItem):
        return None
    if not item.roles or name in catalog.cached_names(settings.context):
        return None  # the catalog gained the name since: the catalog's account it is
    return AdhocAccount(name, item.roles[-1].split(":")[4], DESCRIPTION, (), item.roles, (), item.external_ids)


def forget(settings: Settings, name: str) -> bool:
    try:
        _record_file(settings.context, name).unlink()
        return True
    except FileNotFoundError:
        return False

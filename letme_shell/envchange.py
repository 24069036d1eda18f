"""The shell-neutral result of a switch: variable name → value, or None to unset.

The core produces an EnvChange and never shell text; a `Shell` renders it. The
set of variables letme manages is listed once, here, so every shell unsets the
same things and no shell file knows about AWS.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

# Variables that select or carry credentials; a switch sets some and unsets the rest,
# so nothing from a previous account (or another tool) can override the new one.
CREDENTIAL_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
)
REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
# letme's own: what the prompt segment and the refresh hook read.
LETME_VARS = (
    "LETME_ACCOUNT",  # account name
    "LETME_ACTIVE_CONTEXT",  # context the account came from
    "LETME_MODE",  # process | profile | env
    "LETME_EXPIRES",  # epoch seconds, UTC: the prompt's countdown without a fork
    "LETME_REFRESH_AT",  # epoch seconds at which the hook renews (0: the SDK renews)
    "LETME_PROD",  # "1" when the account is tagged as production
    # env mode: the access key id letme exported (an id, not a secret), so the prompt can tell when another
    # tool's keys replaced it, by comparing two strings
    "LETME_ACCESS_KEY_ID",
    # the `.letme` file the account came from (see directory.py); any other switch unsets it, so the prompt's
    # `.letme` mark and `letme status` say where the account came from only while that is true
    "LETME_DIR",
)
MANAGED = CREDENTIAL_VARS + REGION_VARS + LETME_VARS
# Kept across `leave` and set only together, so `letme back` (and `letme use -`) can return to the account
# as it was: LETME_PREVIOUS is its name as LETME_ACCOUNT held it (example1, example1@b: the context too),
# the other two its mode and region. Not in MANAGED: a switch replaces them, it never just unsets them.
PREVIOUS = "LETME_PREVIOUS"
PREVIOUS_MODE = "LETME_PREVIOUS_MODE"
PREVIOUS_REGION = "LETME_PREVIOUS_REGION"
# The shell's state before it entered a `.letme` tree, put back when it leaves every such tree (see
# commands/dir.py): the account as LETME_ACCOUNT held it, or DIR_NONE for none, with its mode and region.
# Set on entering, kept across nested trees and across a manual `use` inside (which wins until leaving), so
# like LETME_PREVIOUS* they are not in MANAGED.
DIR = "LETME_DIR"
DIR_BEFORE = "LETME_DIR_BEFORE"
DIR_BEFORE_MODE = "LETME_DIR_BEFORE_MODE"
DIR_BEFORE_REGION = "LETME_DIR_BEFORE_REGION"
DIR_NONE = "-"  # not empty: PowerShell removes a variable assigned ''
MODES = ("process", "profile", "env")  # config.USE_MODES, without importing config here


class EnvChange(Mapping[str, "str | None"]):
    def __init__(self, changes: Mapping[str, str | None] | None = None):
        self._changes: dict[str, str | None] = dict(changes or {})

    def set(self, name: str, value: str) -> None:
        self._changes[name] = value

    def unset(self, name: str) -> None:
        self._changes[name] = None

    def __getitem__(self, name: str) -> str | None:
        return self._changes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._changes)

    def __len__(self) -> int:
        return len(self._changes)

    def __repr__(self) -> str:
        secret = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
        shown = {k: ("<redacted>" if k in secret and v else v) for k, v in self._changes.items()}
        return f"EnvChange({shown})"


def remember(change: EnvChange, account: str, mode: str | None, region: str | None) -> None:
    """Record `account` (with the mode and region it was used in) as the one `letme back` returns to.

    The mode and region come from the environment (LETME_MODE, AWS_REGION): values of another shape
    are not passed on, so `back` uses the defaults for them (the environment is the user's to change)."""
    from letme_shell import validate

    change.set(PREVIOUS, account)
    if mode is not None and mode in MODES:
        change.set(PREVIOUS_MODE, mode)
    else:
        change.unset(PREVIOUS_MODE)
    if region is not None and validate.is_region(region):
        change.set(PREVIOUS_REGION, region)
    else:
        change.unset(PREVIOUS_REGION)


def leave(current_account: str | None, mode: str | None = None, region: str | None = None) -> EnvChange:
    change = EnvChange({name: None for name in MANAGED})
    if current_account:
        remember(change, current_account, mode, region)
    return change

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
)
MANAGED = CREDENTIAL_VARS + REGION_VARS + LETME_VARS
# Kept across `leave` so `letme back` knows where to go.
PREVIOUS = "LETME_PREVIOUS"


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


def leave(current_account: str | None) -> EnvChange:
    change = EnvChange({name: None for name in MANAGED})
    if current_account:
        change.set(PREVIOUS, current_account)
    return change

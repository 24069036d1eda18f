"""Temporary credentials and their cache (per context and account, 0600, atomic).

Expiry arithmetic is in UTC epoch seconds throughout. A cache entry also records
what produced it (the role chain, the source profile and MFA device), so an
entry made under another context or before the catalog changed is never handed
out. Nothing here imports boto3.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from letme_shell import fsutil, paths

# The refresh window is at most a third (1/WINDOW_SHARE) of the credentials' lifetime: 5 minutes of 15-minute
# credentials, while the default 15 minutes stand for one-hour ones. One constant with `config validate`.
from letme_shell.config import WINDOW_SHARE

# A plain class, not a dataclass, and no typing/datetime/hashlib at import: this
# module is on the cached `use` and `credential-process` path, where dataclasses
# alone (it imports inspect) cost more than the rest of the work.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from letme_shell.config import Settings
    from letme_shell.keychain import KeyringStore


class Credentials:
    __slots__ = ("access_key_id", "expires", "issued", "secret_access_key", "session_token")

    def __init__(self, access_key_id: str, secret_access_key: str, session_token: str, expires: int,
                 issued: int | None = None):
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.expires = expires  # epoch seconds, UTC
        # When STS issued them, in this machine's clock (as `expires`); None in entries of older letmes.
        self.issued = issued

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credentials) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:  # never let a secret reach a log or a traceback
        return f"Credentials(access_key_id={self.access_key_id!r}, expires={self.expiration})"

    @property
    def expiration(self) -> str:
        """RFC3339 UTC with Z, the form starship and the SDKs parse."""
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.expires))

    def seconds_left(self, now: float | None = None) -> int:
        return int(self.expires - (time.time() if now is None else now))

    def window(self, configured: int) -> int:
        """The refresh window for these credentials: the configured one, but never more than a
        WINDOW_SHARE of their real lifetime. A 900-second window on 900-second credentials
        (session_duration = 900) would make them stale the moment they are issued: a new role
        chain for every `exec`, every SDK call in process mode, and a background refresh at once."""
        lifetime = self.expires - self.issued if self.issued is not None else 0
        return min(configured, lifetime // WINDOW_SHARE) if lifetime > 0 else configured

    def refresh_at(self, configured: int) -> int:
        """When these credentials stop counting as fresh (epoch seconds): the hook renews from then."""
        return self.expires - self.window(configured)

    def fresh(self, window: int, now: float | None = None) -> bool:
        """Valid beyond the refresh window `window` (the configured one; see `window`)."""
        return self.seconds_left(now) > self.window(window)

    def process_output(self) -> dict[str, Any]:
        return {
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expiration,
        }

    def process_json(self) -> str:
        """The line `credential-process` prints (hot.py records it as it is)."""
        return json.dumps(self.process_output()) + "\n"

    def to_json(self) -> dict[str, Any]:
        data = {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key,
                "SessionToken": self.session_token, "Expires": self.expires}
        if self.issued is not None:
            data["Issued"] = self.issued
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials:
        """A cache entry's credentials; ValueError for anything STS cannot have issued (the entry is then
        ignored with a warning and replaced), so that no SDK is handed an expiry it cannot read."""
        expires = _plausible_expiry(data["Expires"])
        return cls(_key_text(data["AccessKeyId"]), _key_text(data["SecretAccessKey"]),
                   _key_text(data["SessionToken"]), expires, _plausible_issue(data.get("Issued"), expires))

    @classmethod
    def from_sts(cls, data: dict[str, Any], date: str | None = None) -> Credentials:
        """From an STS answer. `date` is the answer's Date header: when this machine's clock is off AWS's
        by SKEW_NOTICED or more, the expiry is moved into this machine's terms, so that `fresh()`, the
        prompt (LETME_EXPIRES) and an SDK reading the credential_process Expiration, all of which
        compare with the local clock, see the real time left rather than too little or too much."""
        expiration = data["Expiration"]
        if isinstance(expiration, str):
            import datetime as dt

            expiration = dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        expires = int(expiration.timestamp())
        if date:
            expires += clock_skew(date)
        # Issued now, in this machine's clock: `expires` was just moved into it, so the two give the lifetime.
        issued = min(int(time.time()), expires - 1)
        try:
            return cls(_key_text(data["AccessKeyId"]), _key_text(data["SecretAccessKey"]),
                       _key_text(data["SessionToken"]), _plausible_expiry(expires), issued)
        except ValueError as exc:
            from letme_shell.errors import LetmeError

            raise LetmeError(f"AWS answered with credentials letme cannot use ({exc})",
                             "check endpoint_url / AWS_ENDPOINT_URL and this machine's clock") from None


# An entry expiring later than this after now was not made by STS (sessions last at most 36 hours).
MAX_AHEAD = 7 * 86400
# Below this, a difference between this machine's clock and AWS's is latency and rounding, not a wrong clock.
SKEW_NOTICED = 60


def clock_skew(date: str) -> int:
    """Seconds this machine's clock is ahead of the one that wrote the HTTP `date` (0 when unreadable or
    within SKEW_NOTICED)."""
    import email.utils

    try:
        theirs = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return 0
    skew = round(time.time() - theirs)
    return skew if abs(skew) >= SKEW_NOTICED else 0


def _key_text(value: object) -> str:
    # Keys and tokens are printable ASCII without blanks; anything else (a number, null, a newline that
    # would start a new line in ~/.aws/credentials) did not come from STS.
    if not isinstance(value, str) or not value or not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError("a key or token that is not a non-empty printable string")
    return value


def _plausible_expiry(value: object) -> int:
    # Whole epoch seconds only: floats (1e300, Infinity, NaN) and booleans are not, and year 10000 is
    # beyond what an SDK can parse.
    if type(value) is not int or not 0 < value <= time.time() + MAX_AHEAD:
        raise ValueError("an expiry that is not a time STS could have set")
    return value


def _plausible_issue(value: object, expires: int) -> int | None:
    # Absent in entries written before letme recorded it. It only narrows the refresh window, so a value
    # that is not whole seconds before the expiry (an entry edited by hand) counts as absent: the configured
    # window applies, and a lifetime of zero or less can never make expired credentials look fresh.
    if type(value) is not int or not 0 < value < expires:
        return None
    return value


def _entry_path(directory: Path, name: str) -> Path:
    return directory / f"{name}.json"


def account_cache_file(context: str, account: str) -> Path:
    return _entry_path(paths.credentials_cache_dir(context), account)


def mfa_cache_file(context: str) -> Path:
    return _entry_path(paths.credentials_cache_dir(context), "_mfa-session")


def read(path: Path, fingerprint: str) -> Credentials | None:
    """Cached credentials made for `fingerprint`, or None (absent, foreign or corrupt)."""
    raw = fsutil.read_bytes(path)  # None when absent; refused when planted or writable by others (trust)
    if raw is None:
        return None
    return parse(raw, fingerprint, f"credential cache {path}")


def parse(raw: bytes | str, fingerprint: str, where: str) -> Credentials | None:
    """An entry's credentials when it was made for `fingerprint` (None for another origin, or corrupt)."""
    try:
        data = json.loads(raw)
        if data.get("fingerprint") != fingerprint:
            return None
        return Credentials.from_json(data["credentials"])
    except (ValueError, KeyError, TypeError, AttributeError):
        # A corrupt entry is as good as none: it is replaced on the next write.
        from letme_shell import ui

        ui.warn(f"ignoring the unreadable {where}; letme will replace it")
        return None


def body(fingerprint: str, creds: Credentials) -> str:
    """An entry as stored: the credentials and what they were made for (session._fingerprint)."""
    return json.dumps({"version": 1, "fingerprint": fingerprint, "credentials": creds.to_json()})


def write(path: Path, fingerprint: str, creds: Credentials) -> None:
    fsutil.atomic_write(path, body(fingerprint, creds).encode(), mode=0o600)


def forget(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


class FileStore:
    """The default store: each entry a 0600 JSON file at its path in letme's cache (see module docstring).
    The keyring store (keychain.KeyringStore) has the same three methods and keys its items by the same path."""

    kind = "files"

    def read(self, path: Path, fingerprint: str) -> Credentials | None:
        return read(path, fingerprint)

    def write(self, path: Path, fingerprint: str, creds: Credentials) -> None:
        write(path, fingerprint, creds)

    def forget(self, path: Path) -> bool:
        return forget(path)


FILES = FileStore()


def store(settings: Settings) -> FileStore | KeyringStore:
    """Where this context's credentials rest (credential_store). keychain, and with it the keyring library
    (~100 ms to import), is imported only when the setting names it."""
    if settings.credential_store == "keyring":
        from letme_shell import keychain

        return keychain.STORE
    return FILES


def fingerprint(*parts: object) -> str:
    """What produced an entry, as canonical JSON (no secrets in it; no hashing to pay for at start-up)."""
    return json.dumps(parts, default=str, separators=(",", ":"))

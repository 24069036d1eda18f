"""Secrets in the OS keyring (credential_store = "keyring", and `letme source`), through the keyring library.

keyring picks the backend: the login keychain on macOS, Credential Manager on Windows, Secret Service (GNOME
Keyring, KWallet) on Linux, or whatever PYTHON_KEYRING_BACKEND or keyringrc.cfg name, as for every program using
the library (a headless machine can use keyrings.alt's file backends). Every item is under the service "letme":

- `credentials/<context>/<name>`: an entry of the credential cache (an account's role credentials, or the MFA
  session `_mfa-session`), the same JSON, with the same fingerprint binding it to its origin, that the files
  store keeps in `<cache>/credentials/<context>/<name>.json`. Beside where that file would be, an empty 0600
  `<name>.keyring` marker says that the item exists: keyrings cannot list their items, and `letme reset` must
  find them. The lock of an entry stays the file lock of its path (no secret in it).
- `source/<profile>`: the long-term keys `letme source add` moved out of ~/.aws/credentials (sourcekeys.py).

This module is imported only when one of those is in use: `import keyring` alone costs about 100 ms. Any
failure of the backend (none available, a locked keychain the user declined to unlock, D-Bus gone) is one
LetmeError line naming the backend and the exception's type, never its text unscrubbed, nor a secret.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from letme_shell import credentials, fsutil, ui
from letme_shell.credentials import Credentials
from letme_shell.errors import LetmeError

SERVICE = "letme"
MARKER_SUFFIX = ".keyring"
INSTALL_HINT = "pip install 'letme-shell[keyring]' (or pipx inject letme-shell keyring)"
T = TypeVar("T")


def _library() -> Any:
    try:
        import keyring
    except ImportError:
        raise LetmeError("credential_store = keyring and 'letme source' need the keyring package, which is not "
                         "installed", INSTALL_HINT) from None
    return keyring


def backend_name() -> str:
    """The backend keyring chose, by its display name ("SecretService Keyring", "macOS Keyring"), for doctor and
    for messages; one LetmeError when none can be had."""
    return _call("choosing a keyring backend", lambda kr: str(kr.get_keyring().name))


def _call(what: str, action: Callable[[Any], T]) -> T:
    """`action(keyring)`, any failure of the library or its backend as one line."""
    library = _library()
    try:
        return action(library)
    except LetmeError:
        raise
    except Exception as exc:
        name = _backend_or_unknown(library)
        first = (str(exc).strip().splitlines() or [""])[0]
        detail = f": {ui.scrub(first)[:200]}" if first else ""
        raise LetmeError(f"the keyring ({name}) failed while {what} ({type(exc).__name__}{detail})",
                         "check that the keyring is unlocked and reachable (letme doctor says which one is used); "
                         "PYTHON_KEYRING_BACKEND or keyringrc.cfg choose another, or set credential_store = "
                         "\"files\"") from None


def _backend_or_unknown(library: Any) -> str:
    try:
        return str(library.get_keyring().name)
    except Exception:
        return os.environ.get("PYTHON_KEYRING_BACKEND", "no backend").rsplit(".", 1)[-1] or "no backend"


def get(name: str) -> str | None:
    return _call(f"reading '{name}'", lambda kr: kr.get_password(SERVICE, name))


def put(name: str, secret: str) -> None:
    _call(f"storing '{name}'", lambda kr: kr.set_password(SERVICE, name, secret))


def delete(name: str) -> bool:
    """Remove the item; False when it was not there."""
    def remove(kr: Any) -> bool:
        if kr.get_password(SERVICE, name) is None:
            return False
        with contextlib.suppress(kr.errors.PasswordDeleteError):
            kr.delete_password(SERVICE, name)
        return True

    return _call(f"removing '{name}'", remove)


# ---- the credential cache's entries -----------------------------------------------------------------------------

def item_name(path: Path) -> str:
    """The item of the cache entry whose file would be `path` (<cache>/credentials/<context>/<name>.json)."""
    return f"credentials/{path.parent.name}/{path.stem}"


def marker(path: Path) -> Path:
    return path.with_suffix(MARKER_SUFFIX)


class KeyringStore:
    """credentials.FileStore's three methods, with the entry in the keyring and only a marker on disk."""

    kind = "keyring"

    def read(self, path: Path, fingerprint: str) -> Credentials | None:
        # The marker is read (through trust) so that a recorded `use` (hot.py), which holds no secret, is stamped
        # with it: every write replaces it, so a renewed entry makes that record give way to the full command.
        fsutil.read_bytes(marker(path))
        raw = get(item_name(path))
        if raw is None:
            return None
        return credentials.parse(raw, fingerprint, f"keyring item '{item_name(path)}'")

    def write(self, path: Path, fingerprint: str, creds: Credentials) -> None:
        put(item_name(path), credentials.body(fingerprint, creds))
        fsutil.atomic_write(marker(path), b"", mode=0o600)  # a new file each time: see `read`
        # An entry the files store left (before credential_store changed): no secret stays on disk.
        credentials.forget(path)

    def forget(self, path: Path) -> bool:
        removed = delete(item_name(path))
        with contextlib.suppress(FileNotFoundError):
            marker(path).unlink()
        return credentials.forget(path) or removed


STORE = KeyringStore()


def source_item(profile: str) -> str:
    return f"source/{profile}"

"""What `letme reset` removes: every credential letme stored for a context, and nothing else.

That is the cached role credentials, the MFA session and the MFA device letme found (its credential cache
directory's entries, and the keyring items its `.keyring` markers name: credential_store = "keyring"), and the
profiles letme wrote into the AWS files for this context's origin, by the same
ownership rules `letme remove` follows (awsfiles.letme_profiles). The catalog cache, the history and the
config stay: they hold no credential. Nor does reset touch the long-term keys `letme source add` moved into
the keyring: they are the user's only copy of those keys, not something letme made; it says it kept them, and
`letme source remove PROFILE` puts them back in ~/.aws/credentials.
"""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

from letme_shell import awsfiles, credentials, fsutil, hot, paths, validate
from letme_shell.config import Settings

MFA_SESSION, MFA_DEVICE = "_mfa-session", "_mfa-device"


class Item(namedtuple("Item", "kind context name path")):
    """One thing letme stored: kind "profile" (name, in the AWS file `path`), "cache" (an entry file) or
    "keyring" (a keyring item; `path` is the entry's file path, whose `.keyring` marker says it exists)."""

    __slots__ = ()

    def describe(self) -> str:
        if self.kind == "profile":
            return f"profile '{self.name}' in {self.path}"
        where = ", keyring" if self.kind == "keyring" else ""
        if self.name == MFA_SESSION:
            return f"the MFA session of context '{self.context}'" + (" (keyring)" if where else "")
        if self.name == MFA_DEVICE:
            return f"the MFA device letme found for context '{self.context}'"
        return f"cached credentials of '{self.name}' (context '{self.context}'{where})"


def stored(settings: Settings) -> list[Item]:
    """Everything letme stored for this context: its profiles (of this origin), then its cache entries."""
    items = [Item("profile", settings.context, name, path)
             for path, name in awsfiles.letme_profiles(settings.origin(), settings.context)]
    return items + cached(settings.context)


def cached(context: str) -> list[Item]:
    """The credential cache entries of `context`: regular *.json files, and the keyring items named by *.keyring
    markers (never a lock, a link or a temp)."""
    directory = paths.credentials_cache_dir(context)
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in sorted(entries, key=lambda e: e.name):
        stem, dot, suffix = entry.name.rpartition(".")
        kind = {"json": "cache", "keyring": "keyring"}.get(suffix) if dot else None
        if (kind and entry.is_file(follow_symlinks=False)
                and (stem in (MFA_SESSION, MFA_DEVICE) or validate.is_account_name(stem))):
            found.append(Item(kind, context, stem, Path(entry.path).with_suffix(".json")))
    return found


def other_contexts(known: list[str]) -> list[str]:
    """Contexts with a credential cache that the config no longer names (for --all)."""
    root = paths.cache_dir() / "credentials"
    try:
        names = sorted(entry.name for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [name for name in names if validate.is_context_name(name) and name not in known]


def remove(items: list[Item], origins: dict[str, str]) -> list[str]:
    """Remove `items` (profiles through awsfiles.remove, under its locks; cache entries under their own lock);
    what was removed, one line each."""
    done: list[str] = []
    profiles = {(item.context, item.name) for item in items if item.kind == "profile"}
    for context, name in sorted(profiles):
        for path in awsfiles.remove(name, origins[context]):
            done.append(f"removed profile '{name}' from {path}")
    for item in items:
        if item.kind in ("cache", "keyring"):
            if item.name not in (MFA_SESSION, MFA_DEVICE):
                hot.forget(item.name)  # the recorded credential-process answers hold the same keys
            with fsutil.locked(item.path):
                if item.kind == "keyring":
                    from letme_shell import keychain

                    gone = keychain.STORE.forget(item.path)
                else:
                    gone = credentials.forget(item.path)
                if gone:
                    done.append("removed " + item.describe())
    return done


def kept_source_keys() -> list[str]:
    """The profiles whose long-term keys letme holds in the keyring (letme source add): reset keeps them."""
    from letme_shell import sourcekeys
    from letme_shell.errors import LetmeError

    try:
        return sourcekeys.held()
    except LetmeError:  # an AWS config letme cannot read: nothing to say about it here
        return []

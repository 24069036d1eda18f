"""What `letme reset` removes: every credential letme stored for a context, and nothing else.

That is the cached role credentials, the MFA session and the MFA device letme found (its credential cache
directory's entries), and the profiles letme wrote into the AWS files for this context's origin, by the same
ownership rules `letme remove` follows (awsfiles.letme_profiles). The catalog cache, the history and the
config stay: they hold no credential.
"""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

from letme_shell import awsfiles, credentials, fsutil, hot, paths, validate
from letme_shell.config import Settings

MFA_SESSION, MFA_DEVICE = "_mfa-session", "_mfa-device"


class Item(namedtuple("Item", "kind context name path")):
    """One thing letme stored: kind "profile" (name, in the AWS file `path`) or "cache" (an entry file)."""

    __slots__ = ()

    def describe(self) -> str:
        if self.kind == "profile":
            return f"profile '{self.name}' in {self.path}"
        if self.name == MFA_SESSION:
            return f"the MFA session of context '{self.context}'"
        if self.name == MFA_DEVICE:
            return f"the MFA device letme found for context '{self.context}'"
        return f"cached credentials of '{self.name}' (context '{self.context}')"


def stored(settings: Settings) -> list[Item]:
    """Everything letme stored for this context: its profiles (of this origin), then its cache entries."""
    items = [Item("profile", settings.context, name, path)
             for path, name in awsfiles.letme_profiles(settings.origin(), settings.context)]
    return items + cached(settings.context)


def cached(context: str) -> list[Item]:
    """The credential cache entries of `context`: regular *.json files only (never a lock, a link or a temp)."""
    directory = paths.credentials_cache_dir(context)
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in sorted(entries, key=lambda e: e.name):
        name = entry.name.removesuffix(".json")
        if (entry.name.endswith(".json") and entry.is_file(follow_symlinks=False)
                and (name in (MFA_SESSION, MFA_DEVICE) or validate.is_account_name(name))):
            found.append(Item("cache", context, name, Path(entry.path)))
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
        if item.kind == "cache":
            if item.name not in (MFA_SESSION, MFA_DEVICE):
                hot.forget(item.name)  # the recorded credential-process answers hold the same keys
            with fsutil.locked(item.path):
                if credentials.forget(item.path):
                    done.append("removed " + item.describe())
    return done

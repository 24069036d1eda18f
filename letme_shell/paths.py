"""Every file letme reads or writes, resolved when asked (never at import time).

Overrides, strongest first: LETME_CONFIG / LETME_CACHE_DIR / LETME_STATE_DIR, then
the XDG variables platformdirs honours, then the platform defaults. The AWS files
follow the AWS CLI's own variables so letme edits the files the SDKs read.

On Linux and the BSDs the XDG rules are applied here directly: importing
platformdirs there costs ~8 ms (it imports tempfile and shutil) on every cached
`use`, more than the rest of the work. tests/test_paths.py checks that the two
agree. macOS and Windows go through platformdirs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from letme_shell.errors import LetmeError

APP = "letme"


def _home() -> Path:
    home = os.environ.get("HOME")
    if not home:
        raise LetmeError(
            "HOME is not set, so letme cannot find your AWS and letme files",
            "set HOME, or set LETME_CONFIG, LETME_CACHE_DIR, LETME_STATE_DIR, "
            "AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE",
        )
    return Path(home)


_XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "cache": ("XDG_CACHE_HOME", ".cache"),
        "state": ("XDG_STATE_HOME", ".local/state")}


def _platform_dir(kind: str) -> Path:
    # platformdirs falls back to pwd when HOME is unset; letme wants one clear error instead.
    home = _home()
    if sys.platform not in ("darwin", "win32"):
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "")
        # The XDG spec ignores a relative (or empty) value, as platformdirs does.
        return Path(base if os.path.isabs(base) else home / default) / APP
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))


def config_file(override: str | None = None) -> Path:
    explicit = override or os.environ.get("LETME_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return _platform_dir("config") / "letme.toml"


def legacy_dir() -> Path:
    """~/.letme, where the original letme (lockedinspace/letme, Go) kept its files. Read, never written."""
    return _home() / ".letme"


def legacy_config_file() -> Path:
    """The original letme's config, read when letme's own (config_file) does not exist."""
    return legacy_dir() / "letme-config"


def legacy_settings_file() -> Path:
    """The original letme's active context: `[context]` / `active_context = NAME`."""
    return legacy_dir() / ".letme-usersettings"


def cache_dir() -> Path:
    explicit = os.environ.get("LETME_CACHE_DIR")
    return Path(explicit).expanduser() if explicit else _platform_dir("cache")


def state_dir() -> Path:
    """Small non-secret state: the active context, refresh markers."""
    explicit = os.environ.get("LETME_STATE_DIR")
    return Path(explicit).expanduser() if explicit else _platform_dir("state")


def catalog_dir(context: str) -> Path:
    return cache_dir() / "catalog" / context


def credentials_cache_dir(context: str) -> Path:
    return cache_dir() / "credentials" / context


def aws_credentials_file() -> Path:
    explicit = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    return Path(explicit).expanduser() if explicit else _home() / ".aws" / "credentials"


def aws_config_file() -> Path:
    explicit = os.environ.get("AWS_CONFIG_FILE")
    return Path(explicit).expanduser() if explicit else _home() / ".aws" / "config"

"""The original letme's files (lockedinspace/letme, Go): read in place, never written.

~/.letme/letme-config came in two forms:
- v0.1 (and v0.2.0-rc2): TOML, one table per context (v0.1 had only [general]), keys indented by the
  template writer and values in quotes;
- v0.2: INI as gopkg.in/ini.v1 reads it: one section per context, plain values (quotes around a whole
  value are dropped, text from a `#` or `;` on is a comment), `key: value` as well as `key = value`,
  keys outside a section and the DEFAULT section ignored, `tags` comma-separated, `session_duration`
  a number.
Its keys are today's (config.KEYS): aws_source_profile, aws_source_profile_region, dynamodb_table,
mfa_arn, session_name, session_duration and tags. As in the original, an empty value and a
session_duration of 0 mean "not set". Any other key is kept, for config to refuse as it refuses one in
letme.toml.

~/.letme/.letme-usersettings names the active context: INI `[context]` / `active_context = NAME`
(v0.2.0-rc2 wrote JSON, {"activeContext": NAME}).

letme finds these files without being told to, so they, and ~/.letme itself, are trusted only while
they are the user's and nobody else may write them (trust.check_users_own).
"""

from __future__ import annotations

import os
from pathlib import Path

from letme_shell import paths, trust, validate
from letme_shell.config import KEYS_BY_NAME
from letme_shell.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TOML_FORM = "v0.1 TOML"
INI_FORM = "v0.2 INI"


def check_dir() -> None:
    """Refuse ~/.letme when it is another user's or anyone may write it (a missing one is not an error)."""
    directory = paths.legacy_dir()
    try:
        st = os.stat(directory)
    except OSError:
        trust.note("S", str(directory), None)
        return  # absent, or unreadable: opening the file in it says what is wrong
    trust.note("S", str(directory), st)  # a recorded answer (hot.py) depends on this verdict too
    trust.check_users_own(directory, st, "directory")


def parse(raw: bytes, path: Path) -> tuple[dict[str, Any], str]:
    """The config as letme.toml would hold it, and which form it was in."""
    try:
        text = raw.decode("utf-8-sig")  # go-ini skips a byte-order mark
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    import tomllib

    data: dict[str, Any]
    try:
        data, form = tomllib.loads(text), TOML_FORM
    except ValueError:  # tomllib.TOMLDecodeError: v0.2's plain values are not TOML
        data, form = _ini(text, path), INI_FORM
    return {name: _normalised(table) if isinstance(table, dict) else table for name, table in data.items()}, form


def _ini(text: str, path: Path) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None  # keys before any section are go-ini's DEFAULT: ignored
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped[0] == "[":
            end = stripped.find("]")
            if end < 0:
                raise ConfigError(f"{path}: line {number} opens a [section] it does not close",
                                  "write it as [context-name]")
            name = stripped[1:end].strip()
            current = None if name == "DEFAULT" else sections.setdefault(name, {})
            continue
        cut = min((i for i in (stripped.find("="), stripped.find(":")) if i >= 0), default=-1)
        if cut <= 0:
            raise ConfigError(f"{path}: line {number} is neither [context] nor key = value: "
                              f"{validate.printable(stripped, 60)}")
        if current is not None:
            current[stripped[:cut].strip()] = _ini_value(stripped[cut + 1:])
    return sections


def _ini_value(text: str) -> str:
    """go-ini's reading of a plain value: an inline comment cut, then one pair of surrounding quotes."""
    cut = min((i for i in (text.find("#"), text.find(";")) if i >= 0), default=-1)
    value = (text if cut < 0 else text[:cut]).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def _normalised(table: dict[str, Any]) -> dict[str, Any]:
    """The values as letme.toml has them: numbers, lists and booleans from text; empty means unset."""
    found: dict[str, Any] = {}
    for key, value in table.items():
        kind = KEYS_BY_NAME[key].type if key in KEYS_BY_NAME else str
        if isinstance(value, str):
            if value == "":
                continue
            if kind is int and value.isascii() and value.isdigit():
                value = int(value)
            elif kind is list:
                value = [tag.strip() for tag in value.split(",") if tag.strip()]
            elif kind is bool and value.lower() in ("true", "false"):
                value = value.lower() == "true"
        if key == "session_duration" and value == 0:
            continue  # the original's "use 3600"
        found[key] = value
    return found


def active_context() -> str | None:
    """The context .letme-usersettings names, None without that file."""
    path = paths.legacy_settings_file()
    try:
        fd = trust.open_file(path)
    except FileNotFoundError:
        return None
    except trust.UnsafePath:
        raise ConfigError(f"{path} is not a regular file", f"remove it (then [general] is used): rm {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {(exc.strerror or type(exc).__name__).lower()}") from None
    with os.fdopen(fd, "rb") as fh:
        trust.check_users_own(path, os.fstat(fh.fileno()), "file")
        text = fh.read(1 << 16).decode("utf-8", "replace").lstrip("\ufeff")  # not utf-8-sig: a codec import
    name: Any = None
    if text.lstrip().startswith("{"):
        import json

        try:
            name = json.loads(text).get("activeContext")
        except (ValueError, AttributeError):
            name = None
    else:
        name = _ini(text, path).get("context", {}).get("active_context")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path} names no active context",
                          f"it should hold [context] and active_context = NAME; correct it or remove it: rm {path}")
    return name

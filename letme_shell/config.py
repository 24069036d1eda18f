"""The TOML config: one table per context, `[general]` the default one.

The keys of the original letme `[general]` table are accepted as they were; the
others are letme's own. Defaults live in `KEYS` and nowhere else: the template
that `letme config-file` writes is generated from the same table.
"""

from __future__ import annotations

import contextlib
import os
from collections import namedtuple
from pathlib import Path

from letme_shell import fsutil, paths, trust, validate
from letme_shell.errors import ConfigError

# namedtuple, not dataclasses or typing.NamedTuple: this module is on every cached
# `use`, and those two imports (inspect, typing) cost more than the work itself.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_CONTEXT = "general"
USE_MODES = ("process", "profile", "env")
# AWS caps the sessions of chained roles (hops 2..N) at one hour, whatever DurationSeconds asks.
CHAINED_MAX = 3600
# Credentials.window: the refresh window is at most a third of the credentials' lifetime.
WINDOW_SHARE = 3


class Key(namedtuple("Key", "name type default required help example", defaults=(None,))):
    """One config key: its name, Python type, default, whether required, help text, template example."""

    __slots__ = ()


KEYS: tuple[Key, ...] = (
    Key("aws_source_profile", str, "default", False,
        "profile whose credentials read the catalog and make the first STS call", "default"),
    Key("aws_source_profile_region", str, None, True,
        "region of the DynamoDB table and of the STS calls", "eu-west-1"),
    Key("dynamodb_table", str, None, True, "DynamoDB table holding the account catalog", "letme-accounts"),
    Key("mfa_arn", str, None, False,
        "MFA device of the source identity; when set, letme asks for a code", "arn:aws:iam::123456789012:mfa/user001"),
    Key("session_name", str, None, False,
        "RoleSessionName for every hop (default: <account>-letme-session)", "user001-with-letme"),
    Key("session_duration", int, 3600, False,
        "seconds the account credentials last; chained hops are capped at 3600 by AWS", 3600),
    Key("mfa_session_duration", int, 43200, False,
        "seconds a cached MFA session (GetSessionToken) lasts, so later switches need no code", 43200),
    Key("mfa_session", bool, True, False,
        "get a reusable MFA session first; false sends the MFA code with the first AssumeRole instead", True),
    Key("endpoint_url", str, None, False,
        "AWS-compatible endpoint for DynamoDB and STS (AWS_ENDPOINT_URL also works)", "http://127.0.0.1:5000"),
    Key("refresh_window", int, 900, False,
        "seconds before expiry at which credentials count as stale and are renewed", 900),
    Key("use_mode", str, "process", False,
        "how `letme use` hands credentials to the shell: process, profile or env", "process"),
    Key("tags", list, [], False, "default tag filter for `letme list`", []),
    Key("production_tags", list, ["prod", "production"], False,
        "catalog tags that mark an account as production in the prompt", ["prod", "production"]),
    Key("federation_url", str, None, False,
        "console sign-in federation endpoint for `letme console` (LETME_FEDERATION_URL also works; "
        "default: the partition's signin.aws.amazon.com/federation)", "https://signin.aws.amazon.com/federation"),
    Key("aws_timeout", int, 20, False,
        "seconds one command waits for AWS in all, retries included (LETME_AWS_TIMEOUT also works and wins)", 20),
    Key("catalog_max_age", int, 86400, False,
        "seconds after which the next `letme list` or `letme use` renews the catalog cache in the background "
        "(a detached `letme init`); 0: only `letme init` renews it", 86400),
    Key("confirm_production", bool, False, False,
        "`letme use` asks at the terminal before switching into a production account (production_tags); "
        "without a terminal it needs --yes", False),
)
KEYS_BY_NAME = {key.name: key for key in KEYS}


class Settings:
    """The resolved settings of one context: `context`, `path` (the config file), then one attribute per key
    in KEYS. A plain class (not a dataclass, whose import pulls in inspect) since every cached `use` builds one."""

    __slots__ = ("context", "path", *KEYS_BY_NAME)
    context: str
    path: Path
    aws_source_profile: str
    aws_source_profile_region: str
    dynamodb_table: str
    mfa_arn: str | None
    session_name: str | None
    session_duration: int
    mfa_session_duration: int
    mfa_session: bool
    endpoint_url: str | None
    refresh_window: int
    use_mode: str
    tags: list[str]
    production_tags: list[str]
    federation_url: str | None
    aws_timeout: int
    catalog_max_age: int
    confirm_production: bool

    def __init__(self, **values: Any):
        for name in self.__slots__:
            setattr(self, name, values.pop(name))
        if values:
            raise TypeError(f"unknown settings: {', '.join(values)}")

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._asdict() == other._asdict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Settings(context={self.context!r}, path={str(self.path)!r})"

    def session_name_for(self, account: str) -> str:
        return self.session_name or f"{account}-letme-session"[:64]

    def endpoint(self) -> str | None:
        # The standard variable wins over the file, as it does for every AWS SDK.
        return os.environ.get("AWS_ENDPOINT_URL") or self.endpoint_url

    def origin(self) -> str:
        """Where this context's accounts and credentials come from, as one line of text.

        Every cache entry and every profile letme writes records it, and none is used
        under another origin: two contexts (or two config files) that both have an
        `example1` never hand out each other's catalog, credentials or profile. The
        endpoint is not part of it (a proxy or a test server in front of the same
        table is the same catalog); credentials still record it (session._fingerprint)."""
        return (f"context={self.context} table={self.dynamodb_table} region={self.aws_source_profile_region} "
                f"profile={self.aws_source_profile}")


def window_warnings(settings: Settings) -> list[str]:
    """Why the configured refresh_window cannot work as written for some credentials, one line each.

    letme never uses more than a third of a lifetime as the window (credentials.Credentials.window), so
    these are notes on what it does instead, for `config validate`: not errors."""
    window = settings.refresh_window
    # (what lasts that long, its lifetime, what letme renews)
    lifetimes = [(f"session_duration = {settings.session_duration}", settings.session_duration, "them")]
    if settings.session_duration > CHAINED_MAX:
        lifetimes.append((f"the {CHAINED_MAX} s that chained roles last (AWS caps hops 2..N at one hour)",
                          CHAINED_MAX, "those"))
    if settings.mfa_arn and settings.mfa_session:
        lifetimes.append((f"mfa_session_duration = {settings.mfa_session_duration}", settings.mfa_session_duration,
                          "the MFA session (a new code)"))
    found = []
    for what, lifetime, renewed in lifetimes:
        share = lifetime // WINDOW_SHARE
        if window <= share:
            continue
        problem = (f"is not shorter than {what}: credentials would never count as fresh" if window >= lifetime
                   else f"is more than a third of {what}")
        found.append(f"[{settings.context}] refresh_window = {window} {problem}. letme renews {renewed} in the "
                     f"last {share} s instead; set refresh_window = {share} or less")
    return found


def _parsed_cache() -> Path:
    return paths.cache_dir() / "config-parsed.json"


def _read_config(path: Path) -> tuple[bytes, list[Any]]:
    """The config file's bytes and its stamp (path, mtime, size), or one ConfigError line."""
    try:
        # trust.open_file: a FIFO or a device given as the config (LETME_CONFIG) is refused, never waited on.
        with os.fdopen(trust.open_file(path), "rb") as fh:
            raw = fh.read()
            return raw, [str(path.absolute()), os.fstat(fh.fileno()).st_mtime_ns, len(raw)]
    except FileNotFoundError:
        raise ConfigError(
            f"no config file at {path}",
            "run 'letme config-file' to write a template, then fill in aws_source_profile_region and dynamodb_table",
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory", "point LETME_CONFIG at a file") from None
    except PermissionError:
        raise ConfigError(f"cannot read config file {path}: permission denied") from None
    except trust.UnsafePath:
        raise ConfigError(f"config file {path} is not a regular file", "point LETME_CONFIG at a file") from None
    except OSError as exc:  # /proc/self/mem, an I/O error
        raise ConfigError(f"cannot read config file {path}: {(exc.strerror or type(exc).__name__).lower()}") from None


def _load_toml(path: Path) -> dict[str, Any]:
    """The parsed file. A valid parse is remembered as JSON keyed by path, size and
    mtime: tomllib (and the typing module it imports) would be ~8 ms of every cached
    `use`, while reading the JSON is well under one."""
    import json

    raw, stamp = _read_config(path)
    try:
        # An untrusted cache directory is refused here (trust.UnsafePath), not taken for a bad config.
        remembered = json.loads(fsutil.read_bytes(_parsed_cache()) or b"{}")
        if remembered.get("stamp") == stamp and isinstance(remembered.get("data"), dict):
            return remembered["data"]
    except (ValueError, AttributeError):
        pass
    try:
        import tomllib

        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    _remember(stamp, data)
    return data


def _remember(stamp: list[Any], data: dict[str, Any]) -> None:
    import json

    from letme_shell.errors import LetmeError

    try:
        body = json.dumps({"stamp": stamp, "data": data}).encode()
    except TypeError:  # TOML dates have no JSON form; such a file is simply parsed every time
        return
    with contextlib.suppress(LetmeError):  # a read-only cache directory costs speed, not correctness
        fsutil.atomic_write(_parsed_cache(), body, mode=0o600)


def contexts(path: Path) -> list[str]:
    data = _load_toml(path)
    return [name for name, table in data.items() if isinstance(table, dict)]


def _check_value(path: Path, context: str, key: Key, value: Any) -> Any:
    where = f"{path}: [{context}] {key.name}"
    if key.type is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where} must be a whole number of seconds, not {validate.printable(value)}")
    if key.type is bool and not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, not {validate.printable(value)}")
    if key.type is str and not isinstance(value, str):
        raise ConfigError(f'{where} must be a string in quotes, e.g. {key.name} = "{key.example}"')
    if key.type is str and not validate.is_one_line(value):
        # Values reach INI files, messages and URLs: a line break would start a new line in each.
        raise ConfigError(f"{where} contains a line break or control character: {validate.printable(value)}")
    if key.type is list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f'{where} must be a list of strings, e.g. {key.name} = ["prod"]')
    name = key.name
    if name == "aws_source_profile_region" and not validate.is_region(value):
        raise ConfigError(f"{where}: {validate.printable(value)} is not an AWS region name like eu-west-1")
    if name == "mfa_arn" and not validate.is_mfa_arn(value):
        raise ConfigError(f"{where}: {validate.printable(value)} is not an MFA device ARN "
                          "like arn:aws:iam::123456789012:mfa/user")
    if name == "session_name" and not validate.SESSION_NAME.fullmatch(value):
        raise ConfigError(f"{where}: must be 2-64 letters, digits or +=,.@_- (an STS RoleSessionName)")
    if name == "session_duration" and not 900 <= value <= 43200:
        raise ConfigError(f"{where}: {value} is outside 900..43200 seconds (15 minutes to 12 hours)")
    if name == "mfa_session_duration" and not 900 <= value <= 129600:
        raise ConfigError(f"{where}: {value} is outside 900..129600 seconds (15 minutes to 36 hours)")
    if name == "refresh_window" and not 0 <= value <= 3000:
        raise ConfigError(f"{where}: {value} is outside 0..3000 seconds")
    if name == "catalog_max_age" and not 0 <= value <= 31536000:
        raise ConfigError(f"{where}: {value} is outside 0..31536000 seconds (0 turns background renewal off)")
    if name == "aws_timeout" and not 1 <= value <= 600:
        raise ConfigError(f"{where}: {value} is outside 1..600 seconds")
    if name == "use_mode" and value not in USE_MODES:
        raise ConfigError(f"{where}: {validate.printable(value)} is not one of {', '.join(USE_MODES)}")
    if name in ("endpoint_url", "federation_url") and (not value.startswith(("http://", "https://"))
                                                         or " " in value):
        raise ConfigError(f"{where}: {validate.printable(value)} is not an http(s) URL")
    if name == "dynamodb_table" and not validate.TABLE_NAME.fullmatch(value):
        raise ConfigError(f"{where}: {validate.printable(value)} is not a DynamoDB table name "
                          "(3-255 letters, digits, '_', '-', '.')")
    return value


def settings_from_table(path: Path, context: str, table: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {}
    for name, value in table.items():
        key = KEYS_BY_NAME.get(name)
        if key is None:
            raise ConfigError(
                f"{path}: [{context}] has an unknown key {validate.printable(name)}",
                f"known keys: {', '.join(KEYS_BY_NAME)}",
            )
        values[name] = _check_value(path, context, key, value)
    for key in KEYS:
        if key.name not in values:
            if key.required:
                raise ConfigError(
                    f"{path}: [{context}] is missing the required key {key.name}",
                    f'add e.g. {key.name} = "{key.example}"',
                )
            values[key.name] = key.default
    return Settings(context=context, path=path, **values)


def active_context_file() -> Path:
    return paths.state_dir() / "active-context"


def stored_context() -> str | None:
    try:
        name = (fsutil.read_bytes(active_context_file()) or b"").decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return name if validate.is_context_name(name) else None


def load(config_path: str | None = None, context: str | None = None) -> Settings:
    """The settings of the chosen context: --context, LETME_CONTEXT, `letme config use`, else [general]."""
    path = paths.config_file(config_path)
    data = _load_toml(path)
    tables = {name: table for name, table in data.items() if isinstance(table, dict)}
    stray = [name for name, value in data.items() if not isinstance(value, dict)]
    if stray:
        raise ConfigError(
            f"{path}: key {validate.printable(stray[0])} is outside any [context] table",
            "put it under [general] (or another context)",
        )
    if not tables:
        raise ConfigError(f"{path} has no [general] table", "run 'letme config-file --force' for a template")
    chosen = context or os.environ.get("LETME_CONTEXT") or stored_context()
    if chosen is None:
        chosen = DEFAULT_CONTEXT if DEFAULT_CONTEXT in tables else next(iter(tables))
    if chosen not in tables:
        raise ConfigError(
            f"no context [{validate.printable(chosen)}] in {path}",
            f"contexts: {', '.join(validate.printable(name) for name in tables)}",
        )
    if not validate.is_context_name(chosen):
        # The name becomes a directory under the caches and part of profile names in ~/.aws.
        raise ConfigError(f"{path}: [{validate.printable(chosen)}] is not a valid context name",
                          "context names are 1-64 letters, digits, '_' and '-', starting with a letter or digit")
    return settings_from_table(path, chosen, tables[chosen])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def template(context: str = DEFAULT_CONTEXT) -> str:
    lines = [
        "# letme configuration. Each [table] is a context; [general] is the default.",
        "# Pick another with --context NAME, LETME_CONTEXT=NAME or 'letme config use NAME'.",
        "",
        f"[{context}]",
    ]
    for key in KEYS:
        lines.append(f"# {key.help}" + (" (required)" if key.required else ""))
        line = f"{key.name} = {_toml_value(key.example)}"
        lines.append(line if key.required or key.name in ("aws_source_profile",) else "# " + line)
    return "\n".join(lines) + "\n"

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

from letme_shell import fsutil, paths, trust, ui, validate
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
    # Required unless another catalog source (aws_config_profiles, organizations_role) is set: see settings_from_table.
    Key("dynamodb_table", str, None, False, "DynamoDB table holding the account catalog", "letme-accounts"),
    Key("mfa_arn", str, None, False,
        "MFA device of the source identity (IAM user keys only); when set, letme asks for a code",
        "arn:aws:iam::123456789012:mfa/user001"),
    Key("session_name", str, None, False,
        "RoleSessionName for every hop (default: <account>-letme-session); {user} and {account} are "
        "replaced by the caller's user name and the account", "user001-with-letme"),
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
    Key("aws_config_profiles", bool, False, False,
        "also list the role profiles of ~/.aws/config (role_arn + source_profile) as accounts", True),
    Key("organizations_role", str, None, False,
        "also list the ACTIVE accounts of AWS Organizations (ListAccounts, from the source identity), each reached "
        "through this role", "OrganizationAccountAccessRole"),
)
# The catalog's sources, in precedence order: a name in two of them is the first one's (catalog_merge).
TABLE_SOURCE, AWS_CONFIG_SOURCE, ORGANIZATIONS_SOURCE = "table", "aws-config", "organizations"
KEYS_BY_NAME = {key.name: key for key in KEYS}


class Settings:
    """The resolved settings of one context: `context`, `path` (the config file), then one attribute per key
    in KEYS. A plain class (not a dataclass, whose import pulls in inspect) since every cached `use` builds one."""

    __slots__ = ("context", "path", *KEYS_BY_NAME, "role_session_name")
    context: str
    path: Path
    # --role-session-name of this command (not a config key): wins over session_name.
    role_session_name: str | None
    aws_source_profile: str
    aws_source_profile_region: str
    dynamodb_table: str | None
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
    aws_config_profiles: bool
    organizations_role: str | None

    def __init__(self, **values: Any):
        for name in self.__slots__:
            setattr(self, name, values.pop(name, None) if name == "role_session_name" else values.pop(name))
        if values:
            raise TypeError(f"unknown settings: {', '.join(values)}")

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "role_session_name"}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._asdict() == other._asdict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Settings(context={self.context!r}, path={str(self.path)!r})"

    def session_name_for(self, account: str) -> str:
        """The RoleSessionName, or its template with {user} and {account} (see source.session_name)."""
        return self.role_session_name or self.session_name or f"{account}-letme-session"[:64]

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
        return (f"context={self.context} table={self.dynamodb_table or ''} region={self.aws_source_profile_region} "
                f"profile={self.aws_source_profile}")

    def sources(self) -> list[str]:
        """The catalog's configured sources, in precedence order (a name in two is the first one's)."""
        found = [TABLE_SOURCE] if self.dynamodb_table else []
        if self.aws_config_profiles:
            found.append(AWS_CONFIG_SOURCE)
        if self.organizations_role:
            found.append(ORGANIZATIONS_SOURCE)
        return found

    def catalog_origin(self) -> str:
        """origin(), and the sources beside the table when there are any: what a catalog cache is bound to.
        Adding or removing a source (or changing the Organizations role) makes the cache stale, as a change of
        table does. Kept apart from origin(), which credentials and written profiles record: an account's
        credentials do not change when another source joins the catalog. A table-only context's catalog
        origin is its origin, so caches written before there were other sources stay valid."""
        extra = [source for source in self.sources() if source != TABLE_SOURCE]
        if not extra:
            return self.origin()
        shown = [f"{ORGANIZATIONS_SOURCE}:{self.organizations_role}" if source == ORGANIZATIONS_SOURCE else source
                 for source in extra]
        return f"{self.origin()} sources={','.join(([TABLE_SOURCE] if self.dynamodb_table else []) + shown)}"


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


class Source(namedtuple("Source", "path data form")):
    """The config file in use, its tables, and its form: "toml" for letme's own, else the original letme's
    (legacy.TOML_FORM or legacy.INI_FORM), read because letme's own does not exist."""

    __slots__ = ()

    @property
    def legacy(self) -> bool:
        return self.form != "toml"


def _read_config(path: Path, legacy: bool = False) -> tuple[bytes, list[Any]] | None:
    """The config file's bytes and its stamp (path, mtime, size), None when there is none, or one ConfigError
    line. `legacy`: the original letme's file, which must also be the user's own (trust.check_users_own)."""
    try:
        # trust.open_file: a FIFO or a device given as the config (LETME_CONFIG) is refused, never waited on.
        with os.fdopen(trust.open_file(path), "rb") as fh:
            st = os.fstat(fh.fileno())
            raw = fh.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory", "point LETME_CONFIG at a file") from None
    except PermissionError:
        raise ConfigError(f"cannot read config file {path}: permission denied") from None
    except trust.UnsafePath:
        raise ConfigError(f"config file {path} is not a regular file", "point LETME_CONFIG at a file") from None
    except OSError as exc:  # /proc/self/mem, an I/O error
        raise ConfigError(f"cannot read config file {path}: {(exc.strerror or type(exc).__name__).lower()}") from None
    if legacy:
        trust.check_users_own(path, st, "file")
    return raw, [str(path.absolute()), st.st_mtime_ns, len(raw)]


def _is_legacy_path(path: Path) -> bool:
    """Whether `path` names the original letme's config: profiles letme wrote while reading it pin it
    with --config, and it stays in the original's format."""
    if not os.environ.get("HOME"):
        return False
    return os.path.abspath(path) == os.path.abspath(paths.legacy_config_file())


def _check_legacy_dir() -> None:
    from letme_shell import legacy  # only for the original's files: not on letme.toml's cached path

    legacy.check_dir()  # ~/.letme is judged before anything in it is read


def locate(config_path: str | None) -> tuple[Path, bytes, list[Any], bool]:
    """letme's config (--config, LETME_CONFIG, else the XDG path); when none of those names one and the
    XDG file does not exist, the original letme's ~/.letme/letme-config. The last item says whether the
    file is the original's."""
    path = paths.config_file(config_path)
    explicit = bool(config_path or os.environ.get("LETME_CONFIG"))
    legacy = explicit and _is_legacy_path(path)
    if legacy:
        _check_legacy_dir()
    found = _read_config(path, legacy=legacy)
    if found is not None:
        return path, *found, legacy
    if not explicit:
        _check_legacy_dir()
        old = paths.legacy_config_file()
        found = _read_config(old, legacy=True)
        if found is not None:
            return old, *found, True
    raise ConfigError(
        f"no config file at {path}" + ("" if explicit else " (nor the original letme's at ~/.letme/letme-config)"),
        "run 'letme config-file' to write a template, then fill in aws_source_profile_region and dynamodb_table",
    )


def read_source(config_path: str | None = None, announce: bool = False) -> Source:
    """The config in use, parsed. A valid parse is remembered as JSON keyed by path, size and mtime:
    tomllib (and the typing module it imports) would be ~8 ms of every cached `use`, while reading the
    JSON is well under one. With `announce`, the first command to read the original letme's file (or a
    new version of it) says so on stderr, once."""
    import json

    path, raw, stamp, is_legacy = locate(config_path)
    remembered: dict[str, Any] = {}
    try:
        # An untrusted cache directory is refused here (trust.UnsafePath), not taken for a bad config.
        loaded = json.loads(fsutil.read_bytes(_parsed_cache()) or b"{}")
        if (isinstance(loaded, dict) and loaded.get("stamp") == stamp and isinstance(loaded.get("data"), dict)
                and (loaded.get("form", "toml") != "toml") == is_legacy):
            remembered = loaded
    except ValueError:
        pass
    if remembered:
        data, form = remembered["data"], str(remembered.get("form", "toml"))
    elif is_legacy:
        from letme_shell import legacy

        data, form = legacy.parse(raw, path)
    else:
        data, form = _parse_toml(raw, path), "toml"
    source = Source(path, data, form)
    noticed = bool(remembered.get("noticed"))
    # Said when letme fell back to the old file, not when --config or LETME_CONFIG named it.
    fell_back = source.legacy and path != paths.config_file(config_path)
    if fell_back and announce and not noticed and not ui.QUIET:
        ui.info(f"using the original letme's config {path} ({form}): {paths.config_file()} does not exist; "
                "'letme config migrate' writes it")
        noticed = True
    if not remembered or noticed != bool(remembered.get("noticed")):
        _remember(stamp, data, form, noticed)
    return source


def _parse_toml(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        import tomllib

        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _remember(stamp: list[Any], data: dict[str, Any], form: str, noticed: bool) -> None:
    import json

    from letme_shell.errors import LetmeError

    try:
        body = json.dumps({"stamp": stamp, "data": data, "form": form, "noticed": noticed}).encode()
    except TypeError:  # TOML dates have no JSON form; such a file is simply parsed every time
        return
    with contextlib.suppress(LetmeError):  # a read-only cache directory costs speed, not correctness
        fsutil.atomic_write(_parsed_cache(), body, mode=0o600)


def tables(source: Source) -> dict[str, dict[str, Any]]:
    """The contexts of a config, after refusing a key outside any of them."""
    stray = [name for name, value in source.data.items() if not isinstance(value, dict)]
    if stray:
        raise ConfigError(
            f"{source.path}: key {validate.printable(stray[0])} is outside any [context] table",
            "put it under [general] (or another context)",
        )
    return {name: table for name, table in source.data.items() if isinstance(table, dict)}


def contexts(config_path: str | None = None) -> list[str]:
    return [name for name, table in read_source(config_path).data.items() if isinstance(table, dict)]


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
    if name == "session_name" and (problem := validate.session_name_problem(value)) is not None:
        raise ConfigError(f"{where}: {validate.printable(value)} {problem}")
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
    if name == "organizations_role" and not validate.is_role_name(value):
        raise ConfigError(f"{where}: {validate.printable(value)} is not an IAM role name "
                          "(letters, digits and +=,.@_-, optionally after a path such as team/)")
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
    if not (values["dynamodb_table"] or values["aws_config_profiles"] or values["organizations_role"]):
        # The one source every config had: still required when it is the only one.
        raise ConfigError(
            f"{path}: [{context}] is missing the required key dynamodb_table",
            'add e.g. dynamodb_table = "letme-accounts" (or another catalog source: aws_config_profiles = true, '
            'organizations_role = "OrganizationAccountAccessRole")',
        )
    return Settings(context=context, path=path, **values)


def active_context_file() -> Path:
    return paths.state_dir() / "active-context"


def stored_context() -> str | None:
    try:
        name = (fsutil.read_bytes(active_context_file()) or b"").decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return name if validate.is_context_name(name) else None


def choose_context(source: Source, context: str | None = None) -> tuple[str, str]:
    """The context to use and why: --context, LETME_CONTEXT, `letme config use`, the original letme's
    .letme-usersettings (with its config only), else [general] (else the first table)."""
    if context:
        return context, "--context"
    if os.environ.get("LETME_CONTEXT"):
        return os.environ["LETME_CONTEXT"], "LETME_CONTEXT"
    stored = stored_context()
    if stored is not None:
        return stored, f"set by 'letme config use' in {active_context_file()}"
    if source.legacy:
        from letme_shell import legacy

        named = legacy.active_context()
        if named is not None:
            return named, f"active_context in {paths.legacy_settings_file()}"
    names = [name for name, table in source.data.items() if isinstance(table, dict)]
    if DEFAULT_CONTEXT in names or not names:
        return DEFAULT_CONTEXT, "the default"
    return names[0], "the first table"


def load(config_path: str | None = None, context: str | None = None, announce: bool = False) -> Settings:
    """The settings of the chosen context (see choose_context)."""
    source = read_source(config_path, announce)
    path = source.path
    found = tables(source)
    if not found:
        raise ConfigError(f"{path} has no [general] table", "run 'letme config-file --force' for a template")
    chosen, _ = choose_context(source, context)
    if chosen not in found:
        raise ConfigError(
            f"no context [{validate.printable(chosen)}] in {path}",
            f"contexts: {', '.join(validate.printable(name) for name in found)}",
        )
    if not validate.is_context_name(chosen):
        # The name becomes a directory under the caches and part of profile names in ~/.aws.
        raise ConfigError(f"{path}: [{validate.printable(chosen)}] is not a valid context name",
                          "context names are 1-64 letters, digits, '_' and '-', starting with a letter or digit")
    return settings_from_table(path, chosen, found[chosen])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def template_table(context: str = DEFAULT_CONTEXT) -> str:
    """One context's table of the template: the required keys set to examples, the others commented out."""
    lines = [f"[{context}]"]
    for key in KEYS:
        needed = " (required)" if key.required else (
            " (required unless aws_config_profiles or organizations_role is set)" if key.name == "dynamodb_table"
            else "")
        lines.append(f"# {key.help}{needed}")
        line = f"{key.name} = {_toml_value(key.example)}"
        lines.append(line if key.required or key.name in ("aws_source_profile", "dynamodb_table") else "# " + line)
    return "\n".join(lines) + "\n"


def template(context: str = DEFAULT_CONTEXT) -> str:
    return ("# letme configuration. Each [table] is a context; [general] is the default.\n"
            "# Pick another with --context NAME, LETME_CONTEXT=NAME or 'letme config use NAME'.\n"
            "\n" + template_table(context))


def _toml_key(name: str) -> str:
    bare = bool(name) and all(c.isascii() and (c.isalnum() or c in "_-") for c in name)
    return name if bare else _toml_value(name)


def to_toml(tables: dict[str, dict[str, Any]], comments: list[str]) -> str:
    """`tables` as letme.toml, after `comments` (one line each). Values of the types KEYS allow."""
    lines = [f"# {line}".rstrip() for line in comments]
    for name, table in tables.items():
        lines += ["", f"[{_toml_key(name)}]", *(f"{_toml_key(key)} = {_toml_value(value)}"
                                               for key, value in table.items())]
    return "\n".join(lines) + "\n"

"""The account catalog: the model, validation of untrusted items, and the local cache.

The cache is five files per context, each written atomically:
- `accounts.jsonl`: a header line, then one account per line sorted by name. A
  lookup finds its line by a byte search and parses only that line, so `use` on
  a 10,000-account catalog costs about what it costs on a 10-account one;
- `names`: one name per line, for shell completion without Python;
- `regions`: `name<TAB>region region…` per line, for completing `--region`;
- `prod`: the names tagged with one of `production_tags`, one per line, so that
  completion can keep production accounts off the top (see letme_shell/history.py);
- `listing`: the table `letme list` prints, ready (see `listing`).
Nothing here imports boto3; `catalog_sync` fills the cache from DynamoDB.
"""

from __future__ import annotations

import json
import os
import time
from collections import namedtuple
from collections.abc import Iterable, Mapping
from pathlib import Path

from letme_shell import config, fsutil, paths, trust, validate
from letme_shell.errors import LetmeError, StaleCatalog, UnknownAccount

# namedtuple, not a dataclass: `use` imports this module, and dataclasses pulls in inspect.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import mmap
    from typing import Any, Protocol, TypeVar

    BytesLike = TypeVar("BytesLike", bytes, mmap.mmap)

    class Source(Protocol):
        """Where a catalog comes from: a context's settings (config.Settings)."""

        context: str
        dynamodb_table: str | None
        production_tags: list[str]

        def catalog_origin(self) -> str: ...

FORMAT = 1


class Via(namedtuple("Via", "profile source_profile mfa_serial duration session_name")):
    """How an account read from ~/.aws/config is assumed (catalog_profiles): the profile it came from, the
    profile whose credentials make the first call (the root of its source_profile chain), and the profile's
    own mfa_serial, duration_seconds and role_session_name (None: the context's). Accounts from the table and
    from Organizations have none: the context's source identity assumes them."""

    __slots__ = ()


class Account(namedtuple("Account", "name id description regions roles tags external_ids source via",
                         defaults=((), (), config.TABLE_SOURCE, None))):
    """name, id (12 digits or None), description, regions, roles (in assumption order), tags, external_ids
    (empty, or one per role, "" where a hop has none), source (config.TABLE_SOURCE, AWS_CONFIG_SOURCE or
    ORGANIZATIONS_SOURCE) and via (a Via, or None): all validated."""

    __slots__ = ()
    # True for a role named on the command line (adhoc.AdhocAccount), not in any catalog.
    is_adhoc = False

    def to_json(self) -> dict[str, Any]:
        # "name" first: the cache lookup searches for the line that starts with it. A table account's line
        # is what it was before there were other sources.
        extra: dict[str, Any] = {"external_ids": list(self.external_ids)} if any(self.external_ids) else {}
        if self.source != config.TABLE_SOURCE:
            extra["source"] = self.source
        if self.via is not None:
            extra["via"] = self.via._asdict()
        return {
            "name": self.name,
            "id": self.id,
            "description": self.description,
            "regions": list(self.regions),
            "roles": list(self.roles),
            "tags": list(self.tags),
        } | extra

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        via = data.get("via")
        return cls(
            name=data["name"],
            id=data.get("id"),
            description=data.get("description", ""),
            regions=tuple(data.get("regions", ())),
            roles=tuple(data.get("roles", ())),
            tags=tuple(data.get("tags", ())),
            external_ids=tuple(data.get("external_ids", ())),
            source=data.get("source", config.TABLE_SOURCE),
            via=Via(**via) if isinstance(via, dict) else None,
        )


class InvalidItem(ValueError):
    """A catalog item letme refuses; the message names the item and the field."""


def _string_list(item: Mapping[str, Any], key: str, label: str) -> list[Any]:
    value = item.get(key, [])
    if isinstance(value, str):  # a single string where a list was meant
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise InvalidItem(f"{label}: '{key}' is not a list")
    return list(value)


def account_from_item(item: Mapping[str, Any]) -> Account:
    """Validate one DynamoDB item (already deserialised to Python values)."""
    name = item.get("name")
    if not isinstance(name, str) or not validate.is_account_name(name):
        # Names become profile names, file names and shell words, so they stay strict; say how to fix the item.
        suggestion = validate.suggested_name(name) if isinstance(name, str) else None
        rename = f" such as '{suggestion}'" if suggestion else ""
        raise InvalidItem(f"item with name {validate.printable(name)!r}: not a valid account name (1-128 ASCII "
                          "letters, digits, '.', '_' and '-', starting with a letter or digit; no spaces). To "
                          f"rename it, put a copy of the item under a valid name{rename} and delete the old "
                          "one (DynamoDB cannot change a partition key)")
    label = f"account {name}"
    regions = _string_list(item, "region", label)
    for region in regions:
        if not validate.is_region(region):
            raise InvalidItem(f"{label}: region {validate.printable(region)!r} is not an AWS region name")
    roles = _string_list(item, "role", label)
    for role in roles:
        if not validate.is_role_arn(role):
            raise InvalidItem(f"{label}: role {validate.printable(role)!r} is not an IAM role ARN")
    tags = _string_list(item, "tags", label)
    # Tags are data (`cost center` is one): kept when printable and bounded, dropped otherwise.
    clean_tags = tuple(dict.fromkeys(t for t in tags if validate.is_tag(t)))[: validate.TAGS_MAX]
    raw_id = item.get("id")
    account_id: str | None
    if raw_id is None:
        account_id = None
    else:
        text = str(raw_id)
        if not text.isdigit() or len(text) > 12:
            raise InvalidItem(f"{label}: id {validate.printable(raw_id)!r} is not an AWS account id")
        account_id = text.zfill(12)  # stored as a number, it lost its leading zeros
    description = item.get("description", "")
    if not isinstance(description, str):
        description = str(description)
    return Account(name, account_id, description[:500], tuple(regions), tuple(roles), clean_tags,
                   _external_ids(item.get("external_id"), len(roles), label))


def _external_ids(value: Any, hops: int, label: str) -> tuple[str, ...]:
    """`external_id`: a string is the target role's (the last hop); a list aligned with `role` gives each hop
    its own ("" or null for none). Empty when absent."""
    if value is None or value == []:
        return ()
    if isinstance(value, str):
        value = [""] * (hops - 1) + [value] if hops else [value]
    if not isinstance(value, list):
        raise InvalidItem(f"{label}: external_id is not a string or a list of strings")
    if len(value) != hops:
        raise InvalidItem(f"{label}: external_id has {len(value)} entries for {hops} role(s); "
                          "a list needs one per role (\"\" or null where a hop has none)")
    found = tuple("" if entry is None else entry for entry in value)
    for entry in found:
        if entry and not (isinstance(entry, str) and validate.EXTERNAL_ID.fullmatch(entry)):
            raise InvalidItem(f"{label}: external_id {validate.printable(entry)!r} is not an STS external id "
                              "(2-1224 letters, digits or +=,.@:/_-)")
        if not isinstance(entry, str):
            raise InvalidItem(f"{label}: external_id is not a string or a list of strings")
    return found if any(found) else ()


class CatalogInfo(namedtuple("CatalogInfo", "context table fetched_at count origin shadowed", defaults=(None, ()))):
    """The header of a catalog cache; `origin` is None in caches written before letme recorded it; `shadowed`
    lists the names found in two sources as (name, winning source, losing source), for `list` to mention."""

    __slots__ = ()


def accounts_file(context: str) -> Path:
    return paths.catalog_dir(context) / "accounts.jsonl"


def names_file(context: str) -> Path:
    return paths.catalog_dir(context) / "names"


def regions_file(context: str) -> Path:
    return paths.catalog_dir(context) / "regions"


def prod_file(context: str) -> Path:
    return paths.catalog_dir(context) / "prod"


def listing_file(context: str) -> Path:
    return paths.catalog_dir(context) / "listing"


def write_cache(source: Source, accounts: Iterable[Account], fetched_at: float | None = None,
                shadowed: Iterable[tuple[str, str, str]] = ()) -> CatalogInfo:
    """Replace the cache of `source` with `accounts`, under the cache's lock (a whole `init` and an account
    added by `add` never interleave). `fetched_at`: when the table was last read whole (default: now).
    `shadowed`: (name, winner, loser) of each name two sources had (catalog_merge)."""
    with fsutil.locked(accounts_file(source.context)):
        return _write_cache(source, accounts, time.time() if fetched_at is None else fetched_at, tuple(shadowed))


def _write_cache(source: Source, accounts: Iterable[Account], fetched_at: float,
                 shadowed: tuple[tuple[str, str, str], ...] = ()) -> CatalogInfo:
    context = source.context
    ordered = sorted(accounts, key=lambda a: a.name)
    info = CatalogInfo(context, source.dynamodb_table or "", fetched_at, len(ordered), source.catalog_origin(),
                       tuple(tuple(entry) for entry in shadowed))
    header = {"letme_catalog": FORMAT, **info._asdict()}
    if not shadowed:
        del header["shadowed"]  # a header as it was before there were other sources
    lines = [json.dumps(header, separators=(",", ":"))]
    lines += [json.dumps(a.to_json(), separators=(",", ":"), ensure_ascii=True) for a in ordered]
    # Names first would let a reader see names whose records are not there yet; the
    # records go first, then the files the shell reads.
    fsutil.atomic_write(accounts_file(context), ("\n".join(lines) + "\n").encode())
    from letme_shell import listing  # not on the `use` path

    listing.write(listing_file(context), info.fetched_at, ordered)
    production = set(source.production_tags)
    prod_text = "".join(f"{a.name}\n" for a in ordered if production.intersection(a.tags))
    fsutil.atomic_write(prod_file(context), prod_text.encode(), mode=0o644)
    fsutil.atomic_write(names_file(context), "".join(f"{a.name}\n" for a in ordered).encode(), mode=0o644)
    regions_text = "".join(f"{a.name}\t{' '.join(a.regions)}\n" for a in ordered)
    fsutil.atomic_write(regions_file(context), regions_text.encode(), mode=0o644)
    return info


def add(source: Source, account: Account) -> bool:
    """Put one account read from the table by key (validated as scanned items are) into the cache of `source`.
    Only into a cache from the same origin, and keeping its `fetched_at`: one new item does not make the rest
    of the cache any younger. False when there is no such cache, or it already lists the account."""
    with fsutil.locked(accounts_file(source.context)):
        head = header(source.context)
        if head is None or mismatch(source, head) is not None:
            return False
        accounts = load_all(source)
        if accounts is None or any(known.name == account.name for known in accounts):
            return False
        _write_cache(source, [*accounts, account], head.fetched_at, head.shadowed)
    return True


RENEW_RETRY = 600  # seconds before another background renewal may start after one was started


def renew_if_old(source: Source, max_age: int, config_path: str | None = None) -> None:
    """Start a detached `letme init` for `source` when its cache is older than `max_age` seconds (0: never).
    For `list` and `use` only, never for what the prompt or completion runs: it never waits for the renewal,
    which a later command sees. At most one is started per context every RENEW_RETRY seconds, whatever the
    outcome (a renewal that cannot work, offline say, is not retried at every command)."""
    if max_age <= 0:
        return
    head = header(source.context)
    now = time.time()
    if head is None or now - head.fetched_at < max_age:
        return
    marker = paths.state_dir() / "catalog-renewal" / source.context
    try:
        if now - marker.stat().st_mtime < RENEW_RETRY:
            return
    except OSError:
        pass
    import subprocess

    from letme_shell import switch

    argv = [*switch.letme_command(), "init", "--quiet", "--context", source.context]
    if config_path:
        argv += ["--config", os.path.abspath(config_path)]
    try:
        fsutil.atomic_write(marker, f"{now:.0f}\n".encode())
        # Detached: its own session, no terminal (it can ask nobody anything), and none of this command's
        # output (the hook reads `use`'s stdout until every holder of it is gone).
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except (OSError, LetmeError):
        return  # the cache still answers; `letme init` renews it by hand


def _read(context: str) -> bytes | None:
    return _whole(context, fsutil.read_bytes(accounts_file(context)))


def _read_mapped(context: str) -> bytes | mmap.mmap | None:
    """Like _read, mapped read-only when it can be: a lookup touches a few pages of the file
    (reading all 2.5 MB of 10,000 accounts was ~3 ms of each cached `use`). letme replaces the
    file by rename, never in place, so a mapping always sees one whole version."""
    mapped = _map(accounts_file(context))
    return _read(context) if mapped is None else _whole(context, mapped)


def _whole(context: str, data: BytesLike | None) -> BytesLike | None:
    if data is not None and not (data[:17] == b'{"letme_catalog":' and data[-1:] == b"\n"):
        # Not ours, or truncated by something outside letme (letme's own writes are atomic and
        # always end with a newline): behave as if absent, rather than as an empty catalog.
        from letme_shell import ui

        ui.warn(f"ignoring the unreadable catalog cache {accounts_file(context)}; run 'letme init' to rebuild it")
        return None
    return data


def _map(path: Path) -> mmap.mmap | None:
    """None when the file cannot be mapped (absent, a directory, empty): the caller reads it instead."""
    import mmap

    try:
        fd = trust.open_file(path)
    except OSError:
        return None
    try:
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def info(context: str) -> CatalogInfo | None:
    data = _read(context)
    if data is None:
        return None
    return _info_from(data[: data.find(b"\n")])


def _info_from(line: bytes) -> CatalogInfo | None:
    if not line.startswith(b'{"letme_catalog":'):
        return None
    try:
        header = json.loads(line)
        origin = header.get("origin")
        shadowed = header.get("shadowed", [])
        return CatalogInfo(header["context"], header["table"], float(header["fetched_at"]), int(header["count"]),
                           origin if isinstance(origin, str) else None,
                           tuple(tuple(entry) for entry in shadowed if isinstance(entry, list) and len(entry) == 3
                                 and validate.is_account_name(entry[0]) and entry[1] in SOURCES
                                 and entry[2] in SOURCES) if isinstance(shadowed, list) else ())
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _fields(origin: str) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in origin.split(" "))


def mismatch(source: Source, info: CatalogInfo) -> str | None:
    """Why a catalog cache may not be used for `source` (one line), or None when it may."""
    if info.origin == source.catalog_origin():
        return None
    where = f"the catalog cache of context '{source.context}'"
    if info.origin is None:
        return f"{where} was written by an older letme and does not say which table it came from"
    had, want = _fields(info.origin), _fields(source.catalog_origin())
    for fields in (had, want):  # an origin without sources is a table's alone
        fields.setdefault("sources", config.TABLE_SOURCE if fields.get("table") else "")
    changed = [key for key in ("table", "region", "profile", "context", "sources") if had.get(key) != want.get(key)]
    then = ", ".join(f"{key} {validate.printable(had.get(key) or '(none)')}" for key in changed)
    now = ", ".join(f"{key} {validate.printable(want.get(key) or '(none)')}" for key in changed)
    return f"{where} was built from {then}, but the config now says {now}"


def _verify(source: Source, data: bytes | mmap.mmap) -> None:
    """Nothing when the cache's header is from `source`; a StaleCatalog naming the difference when
    it is not: a cache made from another table must never answer for this one."""
    info = _info_from(bytes(data[: data.find(b"\n")]))
    reason = f"the catalog cache of context '{source.context}' has an unreadable header" if info is None \
        else mismatch(source, info)
    if reason is not None:
        raise StaleCatalog(reason, "run 'letme init' to rebuild it from the configured table")


def _parse_line(line: bytes) -> Account | None:
    try:
        return account_from_item_json(json.loads(line))
    except (ValueError, KeyError, TypeError, InvalidItem):
        return None


def account_from_item_json(data: Mapping[str, Any]) -> Account:
    # The cache is a file on disk: re-validate rather than trust it.
    item = {"name": data["name"], "id": data.get("id"), "description": data.get("description", ""),
            "region": data.get("regions", []), "role": data.get("roles", []), "tags": data.get("tags", []),
            "external_id": data.get("external_ids")}
    account = account_from_item(item)
    source, via = data.get("source", config.TABLE_SOURCE), data.get("via")
    if source not in SOURCES:
        raise InvalidItem(f"account {account.name}: unknown source {validate.printable(source)!r}")
    if via is None:
        return account._replace(source=source) if source != config.TABLE_SOURCE else account
    if source != config.AWS_CONFIG_SOURCE or not account.roles:
        raise InvalidItem(f"account {account.name}: only a role profile of ~/.aws/config names its own source")
    return account._replace(source=source, via=checked_via(via, account.name))


SOURCES = (config.TABLE_SOURCE, config.AWS_CONFIG_SOURCE, config.ORGANIZATIONS_SOURCE)


def checked_via(value: Any, label: str) -> Via:
    """A Via from its JSON form (the cache) or from a profile (catalog_profiles), every field checked: the
    profile names reach botocore, the rest STS, and all of it messages."""
    if not isinstance(value, Mapping) or set(value) - set(Via._fields):
        raise InvalidItem(f"account {label}: unreadable 'via'")
    via = Via(**{field: value.get(field) for field in Via._fields})
    if not (validate.is_profile_name(via.profile) and validate.is_profile_name(via.source_profile)):
        raise InvalidItem(f"account {label}: a profile name that is not one printable line")
    if via.mfa_serial is not None and not validate.is_mfa_serial(via.mfa_serial):
        raise InvalidItem(f"account {label}: mfa_serial {validate.printable(via.mfa_serial)!r} is not an MFA "
                          "device ARN or serial number")
    if via.duration is not None and (type(via.duration) is not int or not 900 <= via.duration <= 43200):
        raise InvalidItem(f"account {label}: duration_seconds {validate.printable(via.duration)!r} is not "
                          "900..43200")
    if via.session_name is not None and not (isinstance(via.session_name, str)
                                             and validate.SESSION_NAME.fullmatch(via.session_name)):
        raise InvalidItem(f"account {label}: role_session_name {validate.printable(via.session_name)!r} is not "
                          "2-64 letters, digits or +=,.@_-")
    return via


def lookup(source: Source, name: str) -> Account | None:
    """The cached account, or None when the cache is absent or does not list it;
    StaleCatalog when the cache was built from another origin."""
    if not validate.is_account_name(name):
        return None
    data = _read_mapped(source.context)
    if data is None:
        return None
    _verify(source, data)
    needle = b'\n{"name":' + json.dumps(name).encode() + b","
    start = data.find(needle)
    if start < 0:
        return None
    end = data.find(b"\n", start + 1)
    return _parse_line(data[start + 1 : end if end >= 0 else None])


def _listed(item: Any) -> Account | None:
    """An account for display only. `init` validated every field before writing the cache,
    and `lookup` re-validates the one account a switch uses (its fields reach a shell); a
    listing re-checks only the name (it is printed bare by --names) and the field types,
    and `list` sanitises descriptions as it prints. Full validation of 10,000 items
    would be most of the cost of `letme list`."""
    if not isinstance(item, dict):
        return None
    name, description = item.get("name"), item.get("description", "")
    regions, roles, tags = item.get("regions", []), item.get("roles", []), item.get("tags", [])
    source = item.get("source", config.TABLE_SOURCE)
    if (type(regions) is not list or type(roles) is not list or type(tags) is not list
            or not validate.is_account_name(name) or source not in SOURCES):
        return None
    return Account(name, item.get("id"), description if type(description) is str else "",
                   tuple(regions), tuple(roles), tuple(tags), source=source)


def account_lines(source: Source) -> list[bytes] | None:
    """The cache's account lines, unparsed (one JSON object each), after its header was checked against
    `source`; None when there is no cache. For readers that parse only what they show (the picker)."""
    data = _read(source.context)
    if data is None:
        return None
    _verify(source, data)
    return [line for line in data.split(b"\n")[1:] if line]


def load_all(source: Source) -> list[Account] | None:
    lines = account_lines(source)
    if lines is None:
        return None
    try:
        # One json.loads for the whole cache: 10,000 separate calls cost as much as the validation.
        items = json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError:
        # A damaged line: parse line by line and skip only the bad ones.
        return [account for line in lines if (account := _parse_line(line)) is not None]
    return [account for item in items if (account := _listed(item)) is not None]


def listed(source: Source) -> tuple[CatalogInfo, str] | None:
    """The catalog's info and the `letme list` table from the listing file; None when there is no
    catalog, or the listing is missing, damaged or not from the same `init` (then use `load_all`)."""
    from letme_shell import listing  # not on the `use` path

    head = header(source.context)
    if head is None:
        return None
    reason = mismatch(source, head)
    if reason is not None:
        raise StaleCatalog(reason, "run 'letme init' to rebuild it from the configured table")
    text = listing.read(listing_file(source.context), head.fetched_at)
    return (head, text) if text is not None else None


def header(context: str) -> CatalogInfo | None:
    """The info line of accounts.jsonl, reading only that line."""
    try:
        with os.fdopen(trust.open_file(accounts_file(context)), "rb") as file:
            first = file.readline()
    except OSError:
        return None
    return _info_from(first)


def cached_names(context: str) -> list[str]:
    data = fsutil.read_bytes(names_file(context))
    return data.decode("utf-8", "replace").split() if data else []


def unknown_account(context: str, name: str) -> UnknownAccount:
    shown = validate.printable(name)
    if not validate.is_account_name(name):
        return UnknownAccount(f"'{shown}' is not a valid account name",
                              "names are letters, digits, '.', '_' and '-'; see 'letme list'")
    names = cached_names(context)
    if not names:
        return UnknownAccount(f"no account '{shown}' in the catalog", "run 'letme init' to fetch the catalog")
    from letme_shell import fuzzy

    close = fuzzy.suggest(name, names)
    hint = f"did you mean: {', '.join(close)}?" if close else "run 'letme list' to see the accounts"
    return UnknownAccount(f"unknown account '{shown}'", hint)


def remove_cache(context: str) -> None:
    for path in (accounts_file(context), listing_file(context), names_file(context), regions_file(context),
                 prod_file(context)):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise LetmeError(f"cannot remove {path}: {exc.strerror}") from None

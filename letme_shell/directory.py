"""Per-directory accounts: the `.letme` file, and which ones the user allowed.

A project directory may hold a `.letme` file (TOML) naming the account its tree works in:

    account = "example1"      # required: a catalog name (or NAME@CONTEXT)
    context = "general"       # optional: the context the account is looked up in
    region = "eu-west-1"      # optional: the region to export (default: the account's first)
    mode = "process"          # optional: process | profile | env (default: the config's use_mode)

A file is data from wherever the directory came from (a cloned repository, a shared
disk), so, as direnv does with `.envrc`, it is applied only after `letme allow`: the
allow record holds the file's path and the SHA-256 of its bytes, and a file that
changed, or a new one, needs `allow` again. The records live in letme's state
directory (`allow/`, 0700, checked as every letme directory is by trust.py), one
0600 file per `.letme`, named by the SHA-256 of its path and written atomically.

Before its contents are read, a `.letme` must be a regular file (a FIFO would
hang, a device never end) owned by the user and not writable by group or others,
as ssh judges `authorized_keys`; a symbolic link to it must be the user's too.
Its values are checked against the same patterns as catalog data (validate.py):
they end up in shell code, and a name with shell syntax in it is refused, never
quoted into something that runs.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from letme_shell import paths, trust, validate
from letme_shell.errors import ExitCode, LetmeError

FILE_NAME = ".letme"
MAX_BYTES = 64 * 1024  # a few lines are expected; a huge file is someone's mistake or an attack
KEYS = ("account", "context", "region", "mode")
MODES = ("process", "profile", "env")  # config.USE_MODES, without importing config here
NEW, CHANGED, ALLOWED = "new", "changed", "allowed"


class UntrustedFile(LetmeError):
    """A `.letme` letme refuses to read: someone else's, writable by others, or not a regular file."""


@dataclass(frozen=True)
class DirFile:
    path: str  # the absolute path the shell found it at (PWD's parents, symbolic links kept)
    account: str
    context: str | None
    region: str | None
    mode: str | None
    digest: str  # SHA-256 of the bytes read, hex

    @property
    def name(self) -> str:
        """The account as `letme use` takes it: NAME, or NAME@CONTEXT."""
        return f"{self.account}@{self.context}" if self.context else self.account


def nearest(start: str, home: str | None) -> str | None:
    """The nearest `.letme` in `start` or its parents, as the hooks look for it: up to `home` when
    `start` lies in it (home itself included), else up to the root. Logical paths (no symlink resolved),
    so the answer is the one the shell's `[[ -f ]]` walk gives."""
    if not os.path.isabs(start):
        return None
    current = os.path.normpath(start)
    stop = os.path.normpath(home) if home and os.path.isabs(home) else None
    if stop is not None and not (current == stop or current.startswith(stop.rstrip("/") + "/")):
        stop = None
    while True:
        candidate = os.path.join(current, FILE_NAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(current)
        if current == stop or parent == current:
            return None
        current = parent


def here() -> str:
    """The shell's current directory as it names it (PWD, symbolic links kept) when PWD is where this
    process runs; else the real one."""
    cwd = os.getcwd()
    pwd = os.environ.get("PWD", "")
    try:
        if os.path.isabs(pwd) and os.path.samefile(pwd, cwd):
            return os.path.normpath(pwd)
    except OSError:
        pass
    return cwd


def _check_owner(path: str, st: os.stat_result, what: str) -> None:
    if not trust.CHECKED:
        return
    uid = os.geteuid()
    if st.st_uid != uid:
        raise UntrustedFile(f"{path}{what} belongs to uid {st.st_uid}, not to you (uid {uid}); letme does not "
                            "trust it", "check who made it; to use it, copy it into a file of your own")
    if st.st_mode & 0o022 and not stat.S_ISLNK(st.st_mode):
        raise UntrustedFile(f"{path} is writable by others (mode {stat.S_IMODE(st.st_mode):04o}); letme does not "
                            "trust it", f"chmod go-w {path}")


def read(path: str) -> bytes:
    """The bytes of the `.letme` at `path`, once its owner, mode and kind are checked (UntrustedFile)."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        raise LetmeError(f"{validate.printable(path, 200)} does not exist", exit_code=ExitCode.NOTHING) from None
    except OSError as exc:
        raise LetmeError(f"cannot read {validate.printable(path, 200)}: {exc.strerror}") from None
    shown = validate.printable(path, 200)
    if stat.S_ISLNK(link.st_mode):
        _check_owner(shown, link, " (a symbolic link)")
    # O_NONBLOCK: a FIFO planted as .letme must not wait for a writer.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise LetmeError(f"cannot read {shown}: {exc.strerror}", f"check the owner and mode of {shown}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UntrustedFile(f"{shown} is not a regular file; letme does not read it", f"remove it: rm {shown}")
        _check_owner(shown, st, "")
        if st.st_size > MAX_BYTES:
            raise LetmeError(f"{shown} is {st.st_size} bytes; a .letme file is a few lines",
                             f"at most {MAX_BYTES} bytes")
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read(MAX_BYTES + 1)
    finally:
        os.close(fd)


def parse(path: str, raw: bytes) -> DirFile:
    """The file's settings, every value checked as catalog data is (a LetmeError names the first bad one)."""
    import hashlib
    import tomllib

    shown = validate.printable(path, 200)
    hint = 'e.g. account = "example1" (optional: context, region, mode)'
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LetmeError(f"{shown} is not UTF-8 text", hint) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise LetmeError(f"{shown} is not valid TOML: {validate.printable(str(exc), 120)}", hint) from None
    unknown = [key for key in data if key not in KEYS]
    if unknown:
        raise LetmeError(f"{shown}: unknown key '{validate.printable(unknown[0])}'",
                         f"a .letme file has only {', '.join(KEYS)}")
    values: dict[str, str | None] = {}
    for key in KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise LetmeError(f"{shown}: {key} must be a string, not {type(value).__name__}", hint)
        values[key] = value
    account, context = values["account"], values["context"]
    if account is None:
        raise LetmeError(f"{shown} names no account", hint)
    if "@" in account and context is None:  # NAME@CONTEXT, as LETME_ACCOUNT and `use` spell it
        account, _, context = account.rpartition("@")
    if not validate.is_account_name(account):
        raise LetmeError(f"{shown}: '{validate.printable(values['account'])}' is not an account name",
                         "an account name is letters, digits, '.', '_' and '-', starting with a letter or digit")
    if context is not None and not validate.is_context_name(context):
        raise LetmeError(f"{shown}: '{validate.printable(context)}' is not a context name",
                         "a context name is letters, digits, '_' and '-'")
    if values["region"] is not None and not validate.is_region(values["region"]):
        raise LetmeError(f"{shown}: '{validate.printable(values['region'])}' is not an AWS region name",
                         'e.g. region = "eu-west-1"')
    if values["mode"] is not None and values["mode"] not in MODES:
        raise LetmeError(f"{shown}: mode '{validate.printable(values['mode'])}' is not one of {', '.join(MODES)}")
    return DirFile(path=path, account=account, context=context, region=values["region"], mode=values["mode"],
                   digest=hashlib.sha256(raw).hexdigest())


def load(path: str) -> DirFile:
    """Read, check and parse the `.letme` at `path` (an absolute path ending in /.letme)."""
    if not os.path.isabs(path) or os.path.basename(path) != FILE_NAME:
        raise LetmeError(f"'{validate.printable(path, 200)}' is not the absolute path of a {FILE_NAME} file",
                         exit_code=ExitCode.USAGE)
    return parse(path, read(path))


def locate(target: str | None) -> str:
    """The `.letme` that `letme allow [PATH]` means: PATH (a directory or the file itself), else the
    nearest one from the current directory up."""
    if target is None:
        start = here()
        found = nearest(start, os.environ.get("HOME"))
        if found is None:
            raise LetmeError(f"no {FILE_NAME} file in {validate.printable(start, 200)} or its parents",
                             f"name one: letme allow PATH, or write one: echo 'account = \"NAME\"' > {FILE_NAME}",
                             ExitCode.NOTHING)
        return found
    path = os.path.abspath(os.path.join(here(), os.path.expanduser(target)))
    if os.path.isdir(path):
        path = os.path.join(path, FILE_NAME)
    if os.path.basename(path) != FILE_NAME:
        raise LetmeError(f"'{validate.printable(target, 200)}' is not a {FILE_NAME} file or a directory",
                         exit_code=ExitCode.USAGE)
    return path


# ---- allow records ----------------------------------------------------------------------


def records_dir() -> Path:
    return paths.state_dir() / "allow"


def record_key(path: str) -> str:
    """Where a file's record is kept: the SHA-256 of its directory's real path (symbolic links resolved,
    so a tree reached through a link is the same tree) joined with the file name."""
    import hashlib

    real = os.path.join(os.path.realpath(os.path.dirname(path)), FILE_NAME)
    return hashlib.sha256(os.fsencode(real)).hexdigest()


def _record_file(path: str) -> Path:
    return records_dir() / record_key(path)


def state(found: DirFile) -> str:
    """ALLOWED when the user allowed exactly these bytes at this path, CHANGED when they allowed other
    bytes there, NEW otherwise."""
    import json

    from letme_shell import fsutil

    trust.directory(records_dir())
    raw = fsutil.read_bytes(_record_file(found.path))
    if not raw:
        return NEW
    try:
        record = json.loads(raw)
        digest = record.get("sha256") if isinstance(record, dict) else None
    except ValueError:
        digest = None
    return ALLOWED if digest == found.digest else CHANGED


def allow(found: DirFile) -> None:
    import json

    from letme_shell import fsutil

    trust.directory(records_dir(), create=True)
    real = os.path.join(os.path.realpath(os.path.dirname(found.path)), FILE_NAME)
    record = {"path": real, "sha256": found.digest, "account": found.name}
    fsutil.atomic_write(_record_file(found.path), (json.dumps(record) + "\n").encode())


def deny(path: str) -> bool:
    """Forget the record of the `.letme` at `path`; False when there was none."""
    trust.directory(records_dir())
    target = _record_file(path)
    try:
        os.unlink(target)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise LetmeError(f"cannot remove {target}: {exc.strerror}", f"check the owner and mode of {target}") from None
    return True

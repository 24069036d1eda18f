"""The cached `credential-process` and `use` answered before argparse, json, re or pathlib are imported.

Every SDK process that reaches AWS through a letme profile starts `letme credential-process X`,
so its start-up is paid on every such program: the full command line (argparse, json and re,
pathlib, the config and the catalog) costs about three times a bare Python start. Most of those
calls ask the same question again while the answer is cached.

So a full run that answers from the cache and says nothing on stderr leaves a *record* of what it
answered and of everything the answer depended on:
- the exact command line after `credential-process` and the environment variables letme reads
  (LETME_*, AWS_*, XDG_*, HOME) and the effective user;
- every file and directory it read or judged, by path, with what lstat/stat said (device, inode,
  size, modification and change times, mode, owner) or that it was absent: the config, the parsed
  config cache, the active context, the catalog, the credential cache, each level of letme's
  directories that trust.py checked (trust records them while `recording`);
- the code that made it: a stamp of every module of letme's the run loaded, this one among them
  (an upgrade, a downgrade or an edited module takes the full command);
- when the credentials stop being fresh (the expiry and the refresh window the full run applied),
- and the JSON line it printed.

`answer` prints that line only when all of it still holds, stat by stat, and time has not reached
the window; anything else (no record, another argument or variable, one changed inode or mode, a
newer config or catalog, expiry near, a record that is not the user's private regular file) falls
through to the full command, which decides as it always does and writes a new record. A change
letme makes to anything the answer came from changes a stamp, so the record can only ever repeat
what the full run would print at that moment.

A cached `use` (what the hook runs at every switch) is recorded the same way, in `ACCOUNT@CONTEXT+use`,
with what differs from one switch to the next (where the shell was, the minutes left, the history of
recent accounts) handled here: see `answer_use`.

The records hold the same secrets as the credential cache they mirror, with the same protection (0600
files in letme's 0700 cache directory), and `letme remove` and `letme reset` delete them with the cache
entry. With credential_store = "keyring" no record holding a secret is written (it would put the secrets
back in a file): every `credential-process` takes the full command and reads the keyring, and so does a
`use` in env mode; a `use` in process or profile mode, whose code names a profile and holds no secret, is
still recorded. A record from before that would hold a secret is deleted.

Format: NUL-separated fields (no value letme records can contain NUL: argv, the environment and
paths cannot), so reading it needs no parsing library.
"""

import os
import sys
import time

# No `from __future__ import annotations` here: the module it imports is one more on the path this exists
# to keep short. The annotations below are valid at run time (Python >= 3.10).

TYPE_CHECKING = False
if TYPE_CHECKING:
    from letme_shell.commands.use import Switched
    from letme_shell.config import Settings
    from letme_shell.credentials import Credentials
    from letme_shell.shells import Shell

VERSION = b"letme-hot/1"
COMMAND = "credential-process"
ENV_PREFIXES = ("LETME_", "AWS_", "XDG_")
# As credentials.MAX_AHEAD: an expiry further away than this was not set by STS.
MAX_AHEAD = 7 * 86400


def _cache_root() -> str | None:
    """paths.cache_dir() as text, without pathlib (tests/test_hot.py holds the two equal). None where
    platformdirs decides (macOS, Windows): those take the full path."""
    if os.name != "posix" or sys.platform == "darwin":
        return None
    explicit = os.environ.get("LETME_CACHE_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    home = os.environ.get("HOME")
    if not home:
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    return os.path.join(base if os.path.isabs(base) else os.path.join(home, ".cache"), "letme")


def _plain(part: str) -> bool:
    # An account or context name as validate allows them, checked without re.
    return (0 < len(part) <= 128 and part.isascii() and not part.startswith(("-", "."))
            and part.replace("-", "").replace("_", "").replace(".", "").isalnum())


def _record_name(tail: list[str]) -> str | None:
    """The record's file name for this command line: ACCOUNT@CONTEXT (the context of --context, else
    empty). ACCOUNT is the first word, or an ad-hoc role's `--name ALIAS` when the line starts with it (as
    the profiles `use --role-arn` writes do; the record holds the whole line, ARNs included, so it answers
    only the same alias with the same chain). Only plain names: anything else is left to the full command."""
    if tail[:1] == ["--name"]:
        tail = tail[1:]
    if not tail or not _plain(tail[0]):
        return None
    context = ""
    if "--context" in tail:
        at = tail.index("--context") + 1
        if at >= len(tail) or not _plain(tail[at]):
            return None
        context = tail[at]
    return f"{tail[0]}@{context}"


def _environment() -> list[str]:
    return sorted(f"{key}={value}" for key, value in os.environ.items()
                  if key.startswith(ENV_PREFIXES) or key == "HOME")


def stamp(st: os.stat_result) -> str:
    """What a file's answer depends on: which file (device, inode), its bytes (size, times) and what trust
    judges (mode, owner). A directory's entries may come and go (a temp file of another account's write):
    only which directory it is and its mode and owner count."""
    if st.st_mode & 0o170000 == 0o040000:
        return f"d:{st.st_dev}:{st.st_ino}:{st.st_mode}:{st.st_uid}"
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_mode}:{st.st_uid}"


ABSENT = "absent"


def _now_stamp(kind: str, path: str) -> str:
    try:
        return stamp(os.lstat(path) if kind == "L" else os.stat(path))
    except FileNotFoundError:
        return ABSENT
    except OSError:
        return "error"


def _read(name: str) -> bytes | None:
    """The bytes of record `name` when it is the user's own private regular file, else None."""
    root = _cache_root()
    if root is None:
        return None
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(os.path.join(root, "hot", name), flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        # The user's own private regular file, or nothing (the full command judges the directory).
        if (st.st_mode & 0o170000) != 0o100000 or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return None
        return os.read(fd, 1 << 20)
    except OSError:
        return None
    finally:
        os.close(fd)


def answer(tail: list[str]) -> bool:
    """Print the recorded answer to `letme credential-process *tail` when it still holds; False (having
    printed nothing) when the full command must decide."""
    name = _record_name(tail)
    data = None if name is None else _read(name)
    if data is None:
        return False
    output = _check(data.split(b"\0"), tail)
    if output is None:
        return False
    return _write_all(output)


def _holds(text: list[str], tail: list[str], environment: list[str]) -> int | None:
    """Whether the facts every record begins with still hold (user, freshness, command line, environment,
    stamps): the index of the first field after them, else None."""
    uid, expires, window, count = int(text[0]), int(text[1]), int(text[2]), int(text[3])
    if uid != os.geteuid():
        return None
    now = time.time()
    # credentials.Credentials.fresh, with the window the full run applied.
    if not int(expires - now) > window or expires > now + MAX_AHEAD:
        return None
    at = 4
    if text[at:at + count] != tail:
        return None
    at += count
    count = int(text[at])
    if text[at + 1:at + 1 + count] != environment:
        return None
    at += 1 + count
    count = int(text[at])
    at += 1
    ours = False  # the record names this very module among the code that made it (see code_stamps)
    for index in range(at, at + 3 * count, 3):
        kind, path, recorded = text[index], text[index + 1], text[index + 2]
        if kind not in ("L", "S") or _now_stamp(kind, path) != recorded:
            return None
        ours = ours or path == __file__
    return at + 3 * count if ours else None


def _check(fields: list[bytes], tail: list[str]) -> bytes | None:
    """The recorded output when every recorded fact still holds, else None."""
    try:
        if fields[0] != VERSION:
            return None
        text = [field.decode("utf-8", "surrogateescape") for field in fields[1:-1]]
        if _holds(text, tail, _environment()) != len(text):
            return None
    except (ValueError, IndexError):
        return None
    return fields[-1]


def _write_all(output: bytes, fd: int = 1) -> bool:
    """Write the answer; False only when nothing of it could be written (the full command then tries, and
    explains). A reader that went away part-way gets what the full command gives it: the rest is lost."""
    view = memoryview(output)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        return len(view) < len(output)
    return True


# ---- `use` ----------------------------------------------------------------------------
# A cached `letme use X` run by the hook prints the same code every time but for two things: where
# the shell was (LETME_ACCOUNT, LETME_MODE and AWS_REGION become LETME_PREVIOUS*, for `letme back`),
# and the minutes left in its one line on stderr. So its record holds the code twice, rendered by the
# shell module itself: with no previous account, and with PLACEHOLDERS for the three previous values,
# which are put in here only when they have the plain shapes letme gives them (a name, a mode, a
# region): characters every shell's single quotes keep as they are. Anything else takes the full command.
#
# The variables a switch sets are this shell's state, different before every switch: they are left
# out of the environment a `use` record compares (tests/test_hot_use.py holds that the full cached
# `use` reads none of them but these three, and that this list is envchange's).
USE_VERSION = b"letme-hot-use/1"
SHELL_STATE = frozenset((
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_SESSION_EXPIRATION", "AWS_REGION",
    "AWS_DEFAULT_REGION", "LETME_ACCOUNT", "LETME_ACTIVE_CONTEXT", "LETME_MODE", "LETME_EXPIRES",
    "LETME_REFRESH_AT", "LETME_PROD", "LETME_ACCESS_KEY_ID", "LETME_DIR", "LETME_PREVIOUS",
    "LETME_PREVIOUS_MODE", "LETME_PREVIOUS_REGION", "LETME_DIR_BEFORE", "LETME_DIR_BEFORE_MODE",
    "LETME_DIR_BEFORE_REGION"))
# What the `letme: ` prefix's colour depends on (ui._stderr_color), besides whether stderr is a terminal.
COLOR_VARIABLES = ("NO_COLOR", "TERM")
# Of characters no value put in can hold (%, :), which every shell's single quotes keep as they are: no value
# put in for one placeholder can make another.
PLACEHOLDERS = ("%letme:previous-account%", "%letme:previous-mode%", "%letme:previous-region%")
MODES = ("process", "profile", "env")
HISTORY_LIMIT = 20  # history.LIMIT


def _use_environment() -> list[str]:
    return sorted(f"{key}={value}" for key, value in os.environ.items()
                  if (key.startswith(ENV_PREFIXES) or key == "HOME" or key in COLOR_VARIABLES)
                  and key not in SHELL_STATE)


def _account_name(part: str) -> bool:
    """validate.ACCOUNT_NAME, without re."""
    return (0 < len(part) <= 128 and part.isascii() and part[0].isalnum()
            and part.replace("-", "").replace("_", "").replace(".", "").isalnum())


def _previous_name(value: str) -> bool:
    """A name as LETME_ACCOUNT holds one (NAME or NAME@CONTEXT), of the characters put in verbatim."""
    account, _, context = value.partition("@")
    return _account_name(account) and (not context or _plain(context))


def is_region(value: str) -> bool:
    """validate.REGION (`[a-z]{2}(-[a-z]+)+-\\d{1,2}`), without re."""
    parts = value.split("-")
    lower = "abcdefghijklmnopqrstuvwxyz"
    return (len(parts) >= 3 and len(parts[0]) == 2 and all(part and all(c in lower for c in part)
                                                           for part in parts[:-1])
            and 1 <= len(parts[-1]) <= 2 and all(c in "0123456789" for c in parts[-1]))


def ttl_text(seconds: int) -> str:
    """The time left as letme says it (42m, 1h05m, expired); commands.use and status use this one."""
    if seconds <= 0:
        return "expired"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _use_code(shown: str, plain: str, placed: str) -> str | None:
    """The code to print: `plain` when the shell was on no account or on this one, else `placed` with this
    shell's previous account, mode and region; None when one of them has another shape than letme gives."""
    previous = os.environ.get("LETME_ACCOUNT")
    if not previous or previous == shown:
        return plain
    mode, region = os.environ.get("LETME_MODE"), os.environ.get("AWS_REGION")
    if not _previous_name(previous) or mode not in MODES or region is None or not is_region(region):
        return None
    for placeholder, value in zip(PLACEHOLDERS, (previous, mode, region), strict=True):
        placed = placed.replace(placeholder, value)
    return placed


def _new_history(path: str, name: str) -> bytes | bool | None:
    """history.remember's decision: the new history with `name` on top, None when it is on top already, False
    when the full command must decide (a file letme would not trust or write, a line of another shape: the
    full command warns)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        known: list[str] = []
    except OSError:
        return False
    else:
        try:
            st = os.fstat(fd)
            # trust's rule (the user's, no write for others) and fsutil.check_writable's (not made read-only).
            if ((st.st_mode & 0o170000) != 0o100000 or st.st_uid != os.geteuid() or st.st_mode & 0o022
                    or not st.st_mode & 0o200):
                return False
            data = os.read(fd, 1 << 16)
        except OSError:
            return False
        finally:
            os.close(fd)
        try:
            known = data.decode("ascii").splitlines()
        except UnicodeDecodeError:
            return False
        if not all(_account_name(line) for line in known) or len(set(known)) != len(known):
            return False
    if known[:1] == [name]:
        return None
    names = [name] + [line for line in known[:HISTORY_LIMIT] if line != name]
    return "".join(f"{line}\n" for line in names[:HISTORY_LIMIT]).encode()


def _write_fully(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _discard(tmp: str) -> None:
    try:  # noqa: SIM105 (contextlib is one more import on this path)
        os.unlink(tmp)
    except OSError:
        pass


def _write_history(fd: int, tmp: str, path: str, body: bytes) -> str | None:
    """fsutil.atomic_write into the new file `tmp` (open as `fd`): written whole, 0600, synced, renamed over
    `path`. The error, in fsutil's words, when it could not be done (the history is then as it was)."""
    try:
        try:
            _write_fully(fd, body)
            os.fchmod(fd, 0o600)  # as created, less the umask
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        return f"cannot write {path}: {exc.strerror}"
    return None


def _warn(message: str, tty: str) -> None:
    """ui.warn, for the history's warning (its prefix coloured as ui colours it)."""
    prefix = "letme: warning: "
    if tty == "1" and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb":
        prefix = f"\033[33m{prefix}\033[0m"
    _write_all(f"{prefix}{message}\n".encode("utf-8", "surrogateescape"), 2)


def letme_command() -> list[str]:
    """switch.letme_command (how an SDK starts this letme: the process-mode profile names it), with
    shutil.which's search of PATH written out (shutil costs ~3 ms to import)."""
    argv0 = sys.argv[0]
    if os.path.basename(argv0) == "letme" and os.path.isfile(argv0):
        return [os.path.abspath(argv0)]
    seen = set()
    for directory in (os.environ.get("PATH") or os.defpath).split(os.pathsep):
        if directory in seen:
            continue
        seen.add(directory)
        candidate = os.path.join(directory, "letme")
        if os.path.exists(candidate) and os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return [candidate]
    return [sys.executable, "-m", "letme_shell"]


def answer_use(tail: list[str]) -> bool:
    """Switch the shell as `letme use *tail` would, from its record, when that still holds; False (having
    printed and written nothing) when the full command must decide."""
    name = _record_name(tail)
    data = None if name is None else _read(f"{name}+use")
    if data is None:
        return False
    fields = data.split(b"\0")
    try:
        if fields[0] != USE_VERSION:
            return False
        text = [field.decode("utf-8", "surrogateescape") for field in fields[1:]]
        at = _holds(text, tail, _use_environment())
        if at is None or len(text) != at + 9:
            return False
        expires, valid_until, tty, command = int(text[1]), int(text[at]), text[at + 1], text[at + 2]
        history, account, shown, said, plain, placed = text[at + 3:at + 9]
    except (ValueError, IndexError):
        return False
    # The catalog's age (catalog_max_age: the full command starts a renewal), what colours the message, and
    # the letme the profile names (process mode: another one first on PATH, the old one maybe gone).
    if time.time() >= valid_until or tty != str(int(os.isatty(2))) or command != "\x1f".join(letme_command()):
        return False
    code = _use_code(shown, plain, placed)
    body = _new_history(history, account)
    if code is None or body is False:
        return False
    tmp, fd = "", -1
    if body is not None:  # the new file first: what may be refused (the directory) is refused before any output
        directory, base = os.path.split(history)
        tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            return False
    if not _write_all(code.encode("utf-8", "surrogateescape")):
        if fd >= 0:
            os.close(fd)
            _discard(tmp)
        return False  # nothing written: the full command tries, and says what went wrong
    if said:
        _write_all(f"{said}{ttl_text(int(expires - int(time.time())))}\n".encode(), 2)
    if fd >= 0 and isinstance(body, bytes):
        error = _write_history(fd, tmp, history, body)
        if error is not None:  # the switch has happened: as history.remember, a warning
            _warn(f"could not record '{account}' as recently used: {error}", tty)
    return True


# ---- the full command's side ----------------------------------------------------------

def recording(argv: list[str] | None) -> list[tuple[str, str, str]] | None:
    """Start recording what this run reads (trust notes every file and directory level) when its command
    line is one a record can answer: `credential-process` or `use` first, then a plain account name; no
    --renew, --mfa-code, --force or --debug. The list to hand to `remember`, or None. For `use`, ui also
    keeps what the run says (ui.LINES)."""
    if (not argv or argv[0] not in (COMMAND, "use") or _record_name(argv[1:]) is None or _cache_root() is None
            or any(arg in ("--renew", "--debug", "--force") or arg.startswith(("--mfa-code", "--inline-mfa"))
                   for arg in argv)):
        return None
    from letme_shell import trust, ui

    if argv[0] == "use":
        ui.LINES = []
    trust.RECORD = []
    return trust.RECORD


def _changed(seen: list[tuple[str, str, str]]) -> bool:
    """Whether the run changed something it read (fetched credentials into a cache entry it found absent or
    stale, wrote the profile): its record would then say that state, the one before its own write, answers. A
    run that only read is recorded; the next run after a write reads what it wrote, and is."""
    return any(_now_stamp(kind, path) != recorded for kind, path, recorded in seen)


def code_stamps() -> list[tuple[str, str, str]]:
    """A stamp of every module of letme's this run loaded: a record answers only for the code that made it
    (an upgrade, a downgrade, an edited module in a development install all replace or change a file), and
    only when this very module is among them (`_holds`: not a record made by a letme installed elsewhere)."""
    stamps = []
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None)
        if where and (module.__name__ == "letme_shell" or module.__name__.startswith("letme_shell.")):
            stamps.append(("S", where, _now_stamp("S", where)))
    return sorted(stamps)


def remember(argv: list[str], seen: list[tuple[str, str, str]], creds: "Credentials", settings: "Settings") -> None:
    """Write the record of this run (see the module's docstring). Best effort: a record that cannot be
    written only means the next call takes the full path."""
    import contextlib

    from letme_shell import fsutil, paths, trust, ui
    from letme_shell.errors import LetmeError

    trust.RECORD = None
    tail = argv[1:]
    name = _record_name(tail)
    if name is None:
        return
    if settings.credential_store != "files":
        # The record holds the answer, secrets included: with the keyring store no secret rests in a file,
        # so every call takes the full command (and reads the keyring), and a record from before goes.
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(paths.cache_dir(), "hot", name))
        return
    if ui.SAID or not seen or _changed(seen):
        return
    fields = [VERSION.decode(), str(os.geteuid()), str(creds.expires), str(creds.window(settings.refresh_window)),
              str(len(tail)), *tail]
    environment = _environment()
    seen = seen + code_stamps()
    fields += [str(len(environment)), *environment, str(len(seen))]
    for entry in seen:
        fields += entry
    body = "\0".join(fields).encode("utf-8", "surrogateescape") + b"\0" + creds.process_json().encode()
    with contextlib.suppress(LetmeError, OSError):
        fsutil.atomic_write(paths.cache_dir() / "hot" / name, body, mode=0o600)


def remember_use(argv: list[str], seen: list[tuple[str, str, str]], settings: "Settings", shell: "Shell",
                 switched: "Switched") -> None:
    """Write the record of a `use` run (see `answer_use`), when it switched from the cache saying one line
    (the account, mode, region and time left) or nothing (--quiet), asked nothing (no production account
    under confirm_production), and its own code is what the record would give now. Best effort."""
    import contextlib

    from letme_shell import catalog, fsutil, history, naming, paths, switch, trust, ui
    from letme_shell.envchange import EnvChange
    from letme_shell.errors import LetmeError

    lines, ui.LINES, trust.RECORD = ui.LINES, None, None
    name = _record_name(argv[1:])
    account, creds, change = switched.account, switched.creds, switched.change
    asks = settings.confirm_production and set(account.tags) & set(settings.production_tags)
    if not seen or name is None or lines is None or asks or len(lines) > 1:
        return
    history_path = str(history.history_file(settings.context))
    # The history changes with every switch (answer_use writes it); the code that made this record is stamped.
    seen = [entry for entry in seen if entry[1] != history_path]
    if _changed(seen):
        return
    if lines and not lines[0].endswith(f" {switched.ttl}"):
        return
    said = lines[0][:len(lines[0]) - len(switched.ttl)] if lines else ""
    head = catalog.header(settings.context)
    if head is None:
        return
    valid_until = int(head.fetched_at) + settings.catalog_max_age if settings.catalog_max_age > 0 else creds.expires
    shown = naming.qualified(account.name, settings.context)
    plain_change = EnvChange({key: value for key, value in change.items() if not key.startswith("LETME_PREVIOUS")})
    placed_change = EnvChange(plain_change)
    for variable, placeholder in zip(("LETME_PREVIOUS", "LETME_PREVIOUS_MODE", "LETME_PREVIOUS_REGION"),
                                     PLACEHOLDERS, strict=True):
        placed_change.set(variable, placeholder)
    plain, placed = shell.render(plain_change), shell.render(placed_change)
    if settings.credential_store != "files" and (creds.secret_access_key in plain or creds.session_token in plain):
        # The keyring store keeps every secret out of files: a `use` whose code exports the keys (env mode) is
        # not recorded, and a record from before goes. In process and profile modes the code names a profile and
        # holds no secret: that record is safe to keep (stamped with the entry's marker, see keychain.KeyringStore).
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(paths.cache_dir(), "hot", f"{name}+use"))
        return
    # The record must give exactly what this run printed, and its placeholders be found where they belong.
    if (any(placed.count(placeholder) != 1 or placeholder in plain for placeholder in PLACEHOLDERS)
            or _use_code(shown, plain, placed) != shell.render(change)):
        return
    seen = seen + code_stamps()
    tail = argv[1:]
    fields = [USE_VERSION.decode(), str(os.geteuid()), str(creds.expires), str(creds.window(settings.refresh_window)),
              str(len(tail)), *tail]
    environment = _use_environment()
    fields += [str(len(environment)), *environment, str(len(seen))]
    for entry in seen:
        fields += entry
    fields += [str(valid_until), str(int(os.isatty(2))), "\x1f".join(switch.letme_command()), history_path,
               account.name, shown, said, plain, placed]
    if any("\0" in field for field in fields):
        return
    body = "\0".join(fields).encode("utf-8", "surrogateescape")
    with contextlib.suppress(LetmeError, OSError):
        fsutil.atomic_write(paths.cache_dir() / "hot" / f"{name}+use", body, mode=0o600)


def forget(account: str) -> None:
    """Delete every record of `account` (whatever the context it was asked in)."""
    import contextlib

    from letme_shell import paths

    directory = os.path.join(paths.cache_dir(), "hot")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for entry in names:
        if entry.startswith(f"{account}@"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, entry))

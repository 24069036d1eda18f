"""The cached `credential-process` answered before argparse, json, re or pathlib are imported.

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
- when the credentials stop being fresh (the expiry and the refresh window the full run applied),
- and the JSON line it printed.

`answer` prints that line only when all of it still holds, stat by stat, and time has not reached
the window; anything else (no record, another argument or variable, one changed inode or mode, a
newer config or catalog, expiry near, a record that is not the user's private regular file) falls
through to the full command, which decides as it always does and writes a new record. A change
letme makes to anything the answer came from changes a stamp, so the record can only ever repeat
what the full run would print at that moment.

The record holds the same secrets as the credential cache it mirrors, with the same protection (a
0600 file in letme's 0700 cache directory), and `letme remove` deletes it with the cache entry.

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
    from letme_shell.config import Settings
    from letme_shell.credentials import Credentials

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


def answer(tail: list[str]) -> bool:
    """Print the recorded answer to `letme credential-process *tail` when it still holds; False (having
    printed nothing) when the full command must decide."""
    root = _cache_root()
    name = _record_name(tail)
    if root is None or name is None:
        return False
    path = os.path.join(root, "hot", name)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        # The user's own private regular file, or nothing (the full command judges the directory).
        if (st.st_mode & 0o170000) != 0o100000 or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return False
        data = os.read(fd, 1 << 20)
    except OSError:
        return False
    finally:
        os.close(fd)
    output = _check(data.split(b"\0"), tail)
    if output is None:
        return False
    return _write_all(output)


def _check(fields: list[bytes], tail: list[str]) -> bytes | None:
    """The recorded output when every recorded fact still holds, else None."""
    try:
        if fields[0] != VERSION:
            return None
        text = [field.decode("utf-8", "surrogateescape") for field in fields[1:-1]]
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
        if text[at + 1:at + 1 + count] != _environment():
            return None
        at += 1 + count
        count = int(text[at])
        at += 1
        for index in range(at, at + 3 * count, 3):
            kind, path, recorded = text[index], text[index + 1], text[index + 2]
            if kind not in ("L", "S") or _now_stamp(kind, path) != recorded:
                return None
        if at + 3 * count != len(text):
            return None
    except (ValueError, IndexError):
        return None
    return fields[-1]


def _write_all(output: bytes) -> bool:
    """Write the answer; False only when nothing of it could be written (the full command then tries, and
    explains). A reader that went away part-way gets what the full command gives it: the rest is lost."""
    view = memoryview(output)
    try:
        while view:
            view = view[os.write(1, view):]
    except OSError:
        return len(view) < len(output)
    return True


# ---- the full command's side ----------------------------------------------------------

def recording(argv: list[str] | None) -> list[tuple[str, str, str]] | None:
    """Start recording what this run reads (trust notes every file and directory level) when its command
    line is one a record can answer: `credential-process` first, a plain account name, no --renew,
    --mfa-code or --debug. The list to hand to `remember`, or None."""
    if (not argv or argv[0] != COMMAND or _record_name(argv[1:]) is None or _cache_root() is None
            or any(arg in ("--renew", "--debug") or arg.startswith(("--mfa-code", "--inline-mfa"))
                   for arg in argv)):
        return None
    from letme_shell import trust

    trust.RECORD = []
    return trust.RECORD


def remember(argv: list[str], seen: list[tuple[str, str, str]], creds: "Credentials", settings: "Settings") -> None:
    """Write the record of this run (see the module's docstring). Best effort: a record that cannot be
    written only means the next call takes the full path."""
    import contextlib

    from letme_shell import fsutil, paths, trust, ui
    from letme_shell.errors import LetmeError

    trust.RECORD = None
    if ui.SAID or not seen:
        return
    tail = argv[1:]
    name = _record_name(tail)
    if name is None:
        return
    fields = [VERSION.decode(), str(os.geteuid()), str(creds.expires), str(creds.window(settings.refresh_window)),
              str(len(tail)), *tail]
    environment = _environment()
    fields += [str(len(environment)), *environment, str(len(seen))]
    for entry in seen:
        fields += entry
    body = "\0".join(fields).encode("utf-8", "surrogateescape") + b"\0" + creds.process_json().encode()
    with contextlib.suppress(LetmeError, OSError):
        fsutil.atomic_write(paths.cache_dir() / "hot" / name, body, mode=0o600)


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

"""letme's own directories (the cache and state directories): made private, and trusted only while they are.

The caches hold credentials and decide which account a command acts in, so a
file someone else could plant there is as dangerous as a key they could read.
As ssh does with ~/.ssh, letme trusts a directory of its own, and everything
below it, only when each level is a real directory owned by the user and not
writable by group or others, and a file in it only when it is a regular file
(not a symbolic link) with the same owner and mode rules. Anything else is
refused with one line naming the path and the fix. Directories letme creates
(and the missing parents it creates on the way) are 0700 whatever the umask.

The root itself (`~/.cache/letme`, `LETME_CACHE_DIR`, …) may be a symbolic link
the user made (dotfile managers do that), as long as the link is the user's.
On systems without POSIX ownership (Windows) there is nothing to check.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from letme_shell import paths
from letme_shell.errors import LetmeError

CHECKED = os.name == "posix"
# While a list (hot.recording), every file opened and directory level judged here, as (kind, path, stamp):
# what a recorded `credential-process` answer depends on. L: lstat, S: stat.
RECORD: list[tuple[str, str, str]] | None = None


def note(kind: str, path: str, st: os.stat_result | None) -> None:
    if RECORD is not None:
        from letme_shell import hot

        RECORD.append((kind, path, hot.ABSENT if st is None else hot.stamp(st)))


# Directories already found trustworthy in this process: a cached `use` reads several files below
# the same few directories, and each check is a handful of lstat calls.
_trusted: set[str] = set()


class UnsafePath(LetmeError):
    """A file or directory letme would trust belongs to someone else, or others may write it."""


def _roots() -> tuple[Path, ...]:
    return paths.cache_dir(), paths.state_dir()


def root_of(path: Path) -> Path | None:
    """The letme directory `path` lies in (itself included), or None for a path letme does not own."""
    text = os.path.abspath(path)
    for root in _roots():
        top = os.path.abspath(root)
        if text == top or text.startswith(top + os.sep):
            return Path(top)
    return None


def _refuse_mode(path: str, st: os.stat_result, kind: str) -> None:
    uid = os.geteuid()
    if st.st_uid != uid:
        raise UnsafePath(f"{path} belongs to uid {st.st_uid}, not to you (uid {uid}); letme does not trust it",
                         f"remove it (letme makes a new one) or take it over: chown {uid} {path}")
    if st.st_mode & 0o022:
        raise UnsafePath(f"{path} is writable by others (mode {stat.S_IMODE(st.st_mode):04o}); "
                         f"letme does not trust this {kind}", f"chmod go-w {path}")


def check_users_own(path: Path, st: os.stat_result, kind: str) -> None:
    """Refuse a file or directory of the user's set-up that letme reads without being told to (the original
    letme's ~/.letme files) when another user owns it or anyone may write it: such a file could point letme
    at another table, endpoint or MFA device. Group-writable stays allowed: the original letme made these
    under the user's umask, 0664 and 0775 under the common 002 of per-user groups."""
    if not CHECKED:
        return
    uid = os.geteuid()
    if st.st_uid != uid:
        raise UnsafePath(f"{path} belongs to uid {st.st_uid}, not to you (uid {uid}); letme does not trust it",
                         f"take it over if it is yours (chown {uid} {path}), or remove it")
    if st.st_mode & 0o002:
        raise UnsafePath(f"{path} is writable by anyone (mode {stat.S_IMODE(st.st_mode):04o}); "
                         f"letme does not trust this {kind}", f"chmod o-w {path}")


def _check_level(path: str, is_root: bool) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        note("L", path, None)
        raise
    note("L", path, st)
    if stat.S_ISLNK(st.st_mode):
        if not is_root:
            raise UnsafePath(f"{path} is a symbolic link inside letme's directory; letme does not follow it",
                             f"remove it: rm {path}")
        uid = os.geteuid()
        if st.st_uid != uid:  # a link's own mode means nothing (always 0777); its owner does
            raise UnsafePath(f"{path} is a symbolic link owned by uid {st.st_uid}, not by you; letme does not "
                             "follow it", f"remove it (letme makes a new directory): rm {path}")
        st = os.stat(path)  # the user's own link to a directory elsewhere: judge the directory
        note("S", path, st)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath(f"{path} is not a directory", f"move it aside: letme needs a directory at {path}")
    _refuse_mode(path, st, "directory")


def directory(path: Path, create: bool = False) -> None:
    """Check (and with `create`, make) every level from letme's root down to `path`.
    A path outside letme's directories is only created (0700), never judged: it is the user's."""
    root = root_of(path) if CHECKED else None
    if root is None:
        if create:
            _make(Path(os.path.abspath(path)))
        return
    target = os.path.abspath(path)
    if target in _trusted:
        return
    if create:
        _make(root)
    levels = [str(root)]
    for part in Path(target).relative_to(root).parts:
        levels.append(os.path.join(levels[-1], part))
    try:
        for index, level in enumerate(levels):
            if level in _trusted:
                continue
            try:
                _check_level(level, is_root=index == 0)
            except FileNotFoundError:
                if not create:
                    return  # nothing there yet: nothing to trust or distrust
                _mkdir(level)
                _check_level(level, is_root=index == 0)
            _trusted.add(level)
    except UnsafePath:
        raise
    except OSError as exc:
        raise LetmeError(f"cannot use the directory {target}: {exc.strerror}",
                         f"check the owner and mode of {target}") from None


def _mkdir(path: str) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return  # another letme made it first; the caller checks what is there
    os.chmod(path, 0o700)  # a umask like 0277 would leave it unusable; mkdir's mode is masked by it


def _make(path: Path) -> None:
    """Create `path` and its missing parents, each 0700 (not `mkdir -p`'s umask-given mode)."""
    missing = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    try:
        for level in reversed(missing):
            _mkdir(str(level))
    except OSError as exc:
        raise LetmeError(f"cannot create the directory {path}: {exc.strerror}",
                         f"check the owner and mode of {current}") from None


def check_file(path: Path, st: os.stat_result) -> None:
    """Refuse a file in letme's directories that is not a regular file of the user's, private to them."""
    if not CHECKED or root_of(path) is None:
        return
    if stat.S_ISDIR(st.st_mode):
        raise UnsafePath(f"{path} is a directory, not a file", "move it aside and try again")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(f"{path} is not a regular file; letme does not trust it", f"remove it: rm {path}")
    _refuse_mode(str(path), st, "file")


def open_file(path: Path) -> int:
    """A read-only descriptor of `path`, checked: a regular file (a FIFO or a device would block or never end),
    and never through a symbolic link inside letme's directories. FileNotFoundError when it is absent;
    UnsafePath when it may not be trusted."""
    inside = CHECKED and root_of(path) is not None
    if inside:
        directory(path.parent)
    # O_NONBLOCK: opening a FIFO someone put there must not wait for a writer (it changes nothing for files).
    flags = (os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
             | (getattr(os, "O_NOFOLLOW", 0) if inside else 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        note("S", str(path), None)
        raise
    except OSError as exc:
        if inside and os.path.islink(path):
            raise UnsafePath(f"{path} is a symbolic link inside letme's directory; letme does not follow it",
                             f"remove it: rm {path}") from None
        raise exc from None
    try:
        st = os.fstat(fd)
        note("S", str(path), st)
        if inside:
            check_file(path, st)
        elif not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):  # a directory: the caller's message
            raise UnsafePath(f"{path} is not a regular file", f"point letme at a file, or move {path} aside")
    except BaseException:
        os.close(fd)
        raise
    return fd

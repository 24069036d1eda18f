"""The only code that writes files: atomic replacement under an inter-process lock.

A reader (another letme, an SDK, the shell) sees either the old file or the new
one, never a torn one: the new bytes go to a temporary file in the same
directory, are fsynced, and are renamed over the target. Writers of one file take
an exclusive lock first, so concurrent letme processes cannot lose each other's
profiles in a read-modify-write.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from letme_shell import paths, trust
from letme_shell.errors import LetmeError

LOCK_TIMEOUT = 30.0


def real_path(path: Path) -> Path:
    """The file a symbolic link the user made points to (dotfile managers link ~/.aws/credentials):
    writing through it must replace that file, not the link. A link someone else owns is refused."""
    if not path.is_symlink():
        return path
    if trust.CHECKED and (owner := path.lstat().st_uid) != os.geteuid():
        raise trust.UnsafePath(f"{path} is a symbolic link owned by uid {owner}, not by you; letme does not "
                               "follow it", f"check where it points and who made it: ls -l {path}")
    return path.resolve()


def ensure_private_dir(directory: Path) -> None:
    """Create `directory` (and missing parents) 0700; inside letme's own directories, check each level too."""
    trust.directory(directory, create=True)


def check_writable(path: Path) -> None:
    """Refuse a file its owner made read-only: a rename replaces it whatever its mode (and root
    ignores modes), so the mode is the only sign of "hands off" letme gets."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and not mode & stat.S_IWUSR:
        raise LetmeError(f"{path} is read-only; letme leaves it alone",
                         f"make it writable (chmod u+w {path}) to let letme write profiles there")


def atomic_write(path: Path, data: bytes, mode: int = 0o600, follow_symlink: bool = False) -> None:
    """Replace `path` with `data`. A symbolic link at `path` is replaced itself, not followed, unless
    `follow_symlink` (the user's own AWS files only): letme's caches never write where a link points."""
    target = real_path(path) if follow_symlink else path
    check_writable(target)
    if target.is_dir():
        raise LetmeError(f"{target} is a directory, not a file", "move it aside and try again")
    import tempfile  # here, not at import: the cached `use` path never writes (tempfile pulls random, shutil)

    ensure_private_dir(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise LetmeError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise LetmeError(f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Make the rename itself durable; not every filesystem allows fsync on a directory.
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    _remove_stale_temps(target)


STALE_TEMP_SECONDS = 600


def _remove_stale_temps(target: Path) -> None:
    """Delete temp files a killed letme left beside `target` (0600, but they hold credentials).
    Only old ones: a younger one may belong to a writer that is still running."""
    import time

    cutoff = time.time() - STALE_TEMP_SECONDS
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            name = entry.name
            if name.startswith(f".{target.name}.") and name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist, a LetmeError when it cannot be read or, inside
    letme's own directories, may not be trusted (see trust)."""
    try:
        fd = trust.open_file(path)
        with os.fdopen(fd, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise LetmeError(f"{path} is a directory, not a file", "move it aside and try again") from None
    except PermissionError:
        raise LetmeError(f"cannot read {path}: permission denied", f"check the owner and mode of {path}") from None
    except OSError as exc:
        raise LetmeError(f"cannot read {path}: {exc.strerror}", f"check the owner and mode of {path}") from None


def lock_path(target: Path) -> Path:
    import hashlib

    digest = hashlib.sha256(str(real_path(target).absolute()).encode()).hexdigest()[:16]
    return paths.cache_dir() / "locks" / f"{target.name}-{digest}.lock"


@contextlib.contextmanager
def locked(target: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the inter-process lock for `target` (a file letme writes, or a logical key)."""
    import filelock  # imported here: only writers pay for it

    lock_file = lock_path(target)
    ensure_private_dir(lock_file.parent)
    lock = filelock.FileLock(str(lock_file), timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LetmeError(
            f"another letme process has held the lock on {target} for {timeout:.0f}s",
            f"if no letme is running, remove {lock_file}",
        ) from None
    try:
        yield
    finally:
        lock.release()

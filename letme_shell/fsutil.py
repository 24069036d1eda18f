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
    if target.exists() and not target.is_file() and not target.is_symlink():
        # A device or a FIFO (AWS_CONFIG_FILE=/dev/null): renaming over it would replace it, as root too.
        raise LetmeError(f"{target} is not a regular file; letme writes no profiles there",
                         "point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at a file")
    ensure_private_dir(target.parent)
    try:
        fd, tmp = _new_temp(target)
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


def _new_temp(target: Path) -> tuple[int, str]:
    """A new, empty 0600 file beside `target` (`.NAME.<random>.tmp`), made as tempfile.mkstemp makes one
    (O_EXCL, no link followed, not inherited), without importing tempfile: it pulls random and shutil (~8 ms),
    and a cached `use` writes (the history of recent accounts) whenever the account changes."""
    flags = (os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_BINARY", 0))
    for _ in range(100):
        tmp = os.path.join(target.parent, f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    import errno

    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


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


# After this many seconds, a letme waiting for a lock says whom it waits for (once).
LOCK_NOTICE_AFTER = 2.0

# Locks this process holds (lock file → depth): taking one again nests instead of waiting for itself
# (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE may name one file).
_HELD: dict[Path, int] = {}


@contextlib.contextmanager
def locked(target: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the inter-process lock for `target` (a file letme writes, or a logical key).

    On POSIX this is flock(2) on a lock file that holds the holder's PID, so a waiter can say
    whom it waits for. filelock (which wraps the same flock) is not used there: some of its
    versions truncate the lock file whenever one tries to take it, erasing the holder's PID.
    A lock ends with its holder's process, so a lock file never needs deleting by hand; letme
    never tells anyone to. Elsewhere (Windows) filelock does the locking, without a PID.
    """
    lock_file = lock_path(target)
    if lock_file in _HELD:
        _HELD[lock_file] += 1
        try:
            yield
        finally:
            _HELD[lock_file] -= 1
        return
    try:
        ensure_private_dir(lock_file.parent)
    except OSError as exc:
        raise _unusable("directory", lock_file.parent, exc) from None
    lock = _FlockLock(lock_file) if _has_flock() else _FileLockLock(lock_file)
    lock.acquire(target, timeout)
    _HELD[lock_file] = 1
    try:
        yield
    finally:
        del _HELD[lock_file]
        lock.release()


def _has_flock() -> bool:
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return False
    return True


def _unusable(what: str, path: Path, exc: OSError) -> LetmeError:
    """One line for a lock file or directory letme cannot create (read-only, full, something in the way)."""
    import errno

    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        reason = "a file is in the way of a directory"
    elif exc.errno == errno.ELOOP:
        reason = "it is a symbolic link"
    else:
        reason = (exc.strerror or type(exc).__name__).lower()
    return LetmeError(f"letme cannot create its lock {what} {path}: {reason}",
                      f"letme keeps locks and caches under {paths.cache_dir()}: it needs a directory there that you "
                      "can write, on a disk with free space")


def _process_name(pid: int) -> str:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        name = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
        if name.isprintable():
            return f" ({name})"
    return ""


class _FlockLock:
    """flock(2) on the lock file, whose content is the holder's PID."""

    def __init__(self, lock_file: Path):
        self.lock_file = lock_file
        try:
            # No O_TRUNC (the holder's PID is in it), no symlink followed, 0600, not inherited by children.
            self.fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise _unusable("file", lock_file, exc) from None

    def _try(self) -> bool:
        import errno
        import fcntl

        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            os.close(self.fd)
            raise _unusable("file", self.lock_file, exc) from None
        return True

    def holder(self) -> str:
        """The process holding the lock, as its PID says in the lock file ("another process" if unknown)."""
        with contextlib.suppress(OSError, ValueError):
            pid = int(os.pread(self.fd, 32, 0).decode("ascii").strip() or "0")
            if pid > 0 and pid != os.getpid():
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    pid = 0  # stale: written by an earlier holder that has exited
                except PermissionError:
                    pass  # alive, another user's
                if pid:
                    return f"process {pid}{_process_name(pid)}"
        return "another process"

    def acquire(self, target: Path, timeout: float) -> None:
        import time

        from letme_shell import ui

        started = time.monotonic()
        pause, noticed = 0.01, False
        while not self._try():
            waited = time.monotonic() - started
            if waited >= timeout:
                who = self.holder()
                os.close(self.fd)
                hint = ("wait for it to finish and try again; if it is stuck, end it"
                        + (f" (kill {who.split()[1]})" if who.startswith("process ") else
                           f" ('fuser -v {self.lock_file}' shows which process it is)"))
                raise LetmeError(f"{who} has held the lock on {target} for {timeout:.0f}s", hint)
            if not noticed and waited >= LOCK_NOTICE_AFTER:
                ui.info(f"waiting for {self.holder()}, which holds the lock on {target}")
                noticed = True
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
        # The PID is for the message of whoever waits next; a full disk may refuse it, and the lock holds anyway.
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        os.close(self.fd)  # closing the descriptor releases the flock


class _FileLockLock:
    """The fallback where there is no fcntl: filelock, and no holder's PID to name."""

    def __init__(self, lock_file: Path):
        import filelock

        self.lock = filelock.FileLock(str(lock_file), timeout=-1, mode=0o600)
        self.lock_file = lock_file

    def acquire(self, target: Path, timeout: float) -> None:
        import filelock

        try:
            self.lock.acquire(timeout=timeout)
        except filelock.Timeout:
            raise LetmeError(f"another process has held the lock on {target} for {timeout:.0f}s",
                             "wait for it to finish and try again") from None
        except OSError as exc:
            raise _unusable("file", self.lock_file, exc) from None

    def release(self) -> None:
        self.lock.release()

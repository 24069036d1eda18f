"""Hand a sign-in URL to a browser without putting it on any command line.

A process's command line is readable by every local user (/proc/PID/cmdline, ps),
and a console sign-in URL signs in whoever opens it for 15 minutes. So the browser
is given `file://` of a small page that forwards to the URL: mode 0600, in a 0700
directory of letme's ($XDG_RUNTIME_DIR/letme when that directory is private, else
`console/` in letme's cache directory). Only the page's name, random and useless
to anyone else, is on a command line.

The page is not removed right after the browser starts: `webbrowser` returns when
the launcher has started (or handed the page to a running browser), not when the
page has been read, and a browser starting cold can take seconds, so any fixed
delay would sometimes break the sign-in. Removing it later would need a process
left behind. It stays until a later `letme console` finds it older than the token's
15 minutes (XDG_RUNTIME_DIR is also emptied at logout); until then it is protected
like letme's credential cache, which holds more (the role's keys, for an hour).

With no graphical session (an SSH login; on Linux and the BSDs neither DISPLAY nor
WAYLAND_DISPLAY) or only a text browser, nothing is started: Python's webbrowser
would otherwise run lynx or w3m inside the user's terminal.
"""

from __future__ import annotations

import html
import json
import os
import stat
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from letme_shell import paths, trust
from letme_shell.errors import LetmeError

TOKEN_LIFETIME = 15 * 60  # seconds a federation sign-in token lasts; older pages forward to nothing usable
PAGE_SUFFIX = ".html"
# Browsers that run inside the terminal (webbrowser registers them as fallbacks).
TEXT_BROWSERS = frozenset({"lynx", "w3m", "links", "links2", "elinks", "www-browser", "browsh", "netrik"})
# Owners and modes are POSIX; on Windows the page lives in the user's own profile directory.
POSIX = os.name == "posix"


def no_graphical_session(environ: Mapping[str, str]) -> str | None:
    """Why no browser window can be opened here, or None when one can."""
    for variable in ("SSH_CONNECTION", "SSH_TTY"):
        if environ.get(variable):
            return f"this is an SSH session ({variable} is set)"
    if sys.platform not in ("darwin", "win32", "cygwin") and not (
            environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        return "no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    return None


def _private_runtime_dir(environ: Mapping[str, str]) -> Path | None:
    """$XDG_RUNTIME_DIR when it is set, absolute, ours and closed to others (as the XDG spec requires)."""
    value = environ.get("XDG_RUNTIME_DIR", "")
    if not value or not os.path.isabs(value):
        return None
    try:
        info = os.stat(value)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or (POSIX and info.st_mode & 0o077) or not _ours(info):
        return None
    return Path(value)


def _ours(info: os.stat_result) -> bool:
    return not POSIX or info.st_uid == os.getuid()


def page_dir(environ: Mapping[str, str] = os.environ) -> Path:
    runtime = _private_runtime_dir(environ)
    return runtime / "letme" if runtime else paths.cache_dir() / "console"


def _unsafe(info: os.stat_result, mask: int) -> str | None:
    """What makes a directory unfit to hold a sign-in page, or None."""
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "not a directory"
    if not _ours(info):
        return f"owned by another user (uid {info.st_uid})"
    if POSIX and info.st_mode & mask:
        return f"open to other users (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _refuse(path: Path, problem: str) -> LetmeError:
    fix = (f"chmod 700 {path}" if problem.startswith("open to") else
           "remove it if it is not yours (letme makes its own, mode 0700)")
    return LetmeError(f"{path} is {problem}; letme will not put a sign-in page there",
                      f"{fix}, or use 'letme console ACCOUNT --print'")


def _open_dir(directory: Path) -> int | None:
    """`directory`, made 0700 if missing, checked that no one else can touch it; a descriptor of it where
    the OS has them (so what is written is in the directory that was checked), else None (Windows)."""
    if directory.parent != _private_runtime_dir(os.environ):
        # letme's cache directory: made if missing, and trusted only while no one else may write to it
        # (they could swap ours); the user's own link to a cache on another disk is judged by its target.
        trust.directory(directory.parent, create=True)
    try:
        os.mkdir(directory, 0o700)
        os.chmod(directory, 0o700)  # whatever the umask left
    except FileExistsError:
        pass
    problem = _unsafe(os.lstat(directory), 0o077)
    if problem:
        raise _refuse(directory, problem)
    if not POSIX:
        return None
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    problem = _unsafe(os.fstat(fd), 0o077)  # the directory opened is the one checked
    if problem:
        os.close(fd)
        raise _refuse(directory, problem)
    return fd


def remove_stale_pages(directory: int | Path, now: float | None = None) -> None:
    """Pages older than a sign-in token: what they forward to no longer works."""
    limit = (time.time() if now is None else now) - TOKEN_LIFETIME
    dir_fd = directory if isinstance(directory, int) else None
    for entry in os.scandir(directory):
        try:
            if (entry.name.endswith(PAGE_SUFFIX) and entry.is_file(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime < limit):
                os.unlink(entry.name if dir_fd is not None else entry.path, dir_fd=dir_fd)
        except FileNotFoundError:
            pass  # another letme removed it first


def page_html(url: str) -> str:
    """A page that forwards to `url` at once (script, else meta refresh, else a link)."""
    shown = html.escape(url, quote=True)
    # In a <script>, "</" would end the script: JSON with <, > and & escaped stays one string literal.
    script = json.dumps(url).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            f"<meta http-equiv=\"refresh\" content=\"0;url={shown}\">\n"
            "<title>letme: signing in to the AWS console</title></head>\n"
            f"<body><script>location.replace({script});</script>\n"
            f"<p><a href=\"{shown}\">Continue to the AWS console</a></p></body></html>\n")


def write_page(url: str) -> Path:
    """A new 0600 page forwarding to `url` in letme's private page directory; stale pages are removed."""
    directory = page_dir()
    fd = _open_dir(directory)
    name = os.urandom(12).hex() + PAGE_SUFFIX
    try:
        remove_stale_pages(directory if fd is None else fd)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        page = os.open(name if fd is not None else directory / name, flags, 0o600, dir_fd=fd)
        with os.fdopen(page, "w", encoding="utf-8") as fh:
            fh.write(page_html(url))
    finally:
        if fd is not None:
            os.close(fd)
    return directory / name


def open_privately(url: str) -> str | None:
    """Open `url` in a browser through a private page. None when opened, else why not."""
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return "no browser found"
    name = os.path.basename(str(getattr(browser, "basename", "") or getattr(browser, "name", "")))
    if name in TEXT_BROWSERS:
        return f"the only browser found is {name}, which would take over this terminal"
    page = write_page(url)
    if browser.open(page.as_uri()):
        return None
    page.unlink(missing_ok=True)
    return f"the browser ({name or 'default'}) did not start"

"""Everything meant for a person: messages on stderr, questions on the terminal.

Stdout carries results only (code to eval, JSON, lists), because the shell hook
and `credential_process` consumers capture it. Nothing here may print to stdout.
"""

from __future__ import annotations

import os
import sys

QUIET = False


def _stderr_color() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _emit(prefix: str, message: str, color: str) -> None:
    if _stderr_color():
        prefix = f"\033[{color}m{prefix}\033[0m"
    print(f"{prefix}{message}", file=sys.stderr)


def info(message: str) -> None:
    if not QUIET:
        _emit("letme: ", message, "1")


def warn(message: str) -> None:
    _emit("letme: warning: ", message, "33")


def error(message: str, hint: str | None = None) -> None:
    _emit("letme: error: ", message, "31")
    if hint:
        _emit("letme: hint: ", hint, "2")


class NoTerminal(Exception):
    pass


class NotForeground(NoTerminal):
    """There is a terminal, but this process runs in the background of it (`cmd &`, an SDK in a job)."""


def _in_foreground(fd: int) -> bool:
    """Whether this process's group is the terminal's foreground group. A background job that
    writes a question scribbles over the user's prompt line, and one that reads is stopped by
    SIGTTIN, holding whatever it holds, until someone types `fg`."""
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except AttributeError:  # no job control on this platform: nothing to be in the background of
        return True
    except OSError:
        return False


def ask_tty(question: str, secret: bool = False) -> str:
    """Ask on the controlling terminal, never through stdin/stdout (both may be pipes), and only
    from the terminal's foreground: NotForeground otherwise, before anything is written."""
    # Not open("/dev/tty", "r+"): a text-mode "r+" stream needs a seekable file, and a
    # terminal is not one, so that open fails on every real terminal.
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise NoTerminal() from None
    if not _in_foreground(fd):
        os.close(fd)
        raise NotForeground()
    try:
        if secret:
            import getpass

            # getpass reads /dev/tty itself (opened fine above), with echo off.
            return getpass.getpass(question)
        os.write(fd, question.encode("utf-8", "replace"))
        with os.fdopen(os.dup(fd), "rb", buffering=0) as tty:
            line = tty.readline()
    except OSError:
        raise NoTerminal() from None
    finally:
        os.close(fd)
    if not line:
        raise NoTerminal()
    return line.decode("utf-8", "replace").strip()

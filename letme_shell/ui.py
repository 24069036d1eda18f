"""Everything meant for a person: messages on stderr, questions on the terminal.

Stdout carries results only (code to eval, JSON, lists), because the shell hook
and `credential_process` consumers capture it. Nothing here may print to stdout.

Every text that leaves through here is scrubbed of secrets first (`scrub`): an
exception's text can carry an AWS answer or a URL with credentials in it, and an
SDK running `letme credential-process` copies letme's stderr into its own error,
straight into application logs.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

QUIET = False


def _stderr_color() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


# What a secret is recognised by. The values of fields with these names (any case, with or without _ or -):
# AWS's XML and JSON, the federation session JSON, the INI keys and environment variables, the header.
_FIELD_NAMES = (r"(?:aws[_-]?)?secret[_-]?access[_-]?key|(?:aws[_-]?)?session[_-]?token|session[_-]?key"
                r"|signin[_-]?token|(?:x-amz-|aws[_-]?)?security[_-]?token")
# Between a name and its value: a quote (plain, escaped, percent- or HTML-encoded), = : > or their encodings.
_QUOTE = r"""(?:\\*["']|%2[27]|&quot;|&\#3[49];)"""
_FIELD = (rf"(?P<keep>(?<![A-Za-z])(?i:{_FIELD_NAMES}){_QUOTE}?\s*(?:=|:|>|%3[AaDd])(?:\s|\+|%20|{_QUOTE})*)"
          # The value's characters, also as JSON escapes it (\/, \u002f), percent- or HTML-encoded.
          r"(?:[A-Za-z0-9/+=_-]|%2[BbFf]|%3[Dd]|\\+/|\\+u00(?:2[BbFf]|3[Dd])|&\#(?:4[37]|61|x2[BbFf]|x3[Dd]);)+")
# The federation request's Session parameter: the session JSON, percent-encoded.
_SESSION_PARAM = r"(?<![A-Za-z0-9])Session=[^&\s'\"]+"
# A bare run of base64 or base64url characters as long as a secret access key (40) or longer (tokens).
_RUN = r"(?<![A-Za-z0-9/+_-])[A-Za-z0-9/+_-]{40,}"
# Such a run stays when it has no mixed case, or when every piece of it between / _ - is a word:
# lowercase-and-digits, camel-case words (digits only before a capital or at the end), one capital, or an
# access key id. Paths and role names are made of such pieces; a random secret key once in 3 million
# tried, a session or sign-in token (hundreds of characters) practically never.
_WORD = r"[A-Z]?[a-z]+(?:[0-9]*[A-Z][a-z]+)*[0-9]*|[a-z0-9]+|[A-Z]|A[A-Z0-9]{19}"
_ARN = r"arn:[a-z-]+:[a-z0-9-]*:[a-z0-9-]*:[0-9]{0,12}:[A-Za-z0-9+=,.@/:_-]+"
MASK = "***"
_COMPILED: list[Any] = []


def _patterns() -> list[Any]:
    if not _COMPILED:
        import re  # compiled on the first message that may hold a secret: most messages never do

        _COMPILED.extend([re.compile(_FIELD), re.compile(_SESSION_PARAM), re.compile(_RUN),
                          re.compile(_WORD), re.compile(r"[/_-]"), re.compile(_ARN)])
    return _COMPILED


_FIELD_HINTS = ("secret", "token", "session", "signin")


def scrub(text: str) -> str:
    """`text` with each secret in it replaced by ***.

    Secrets are the values of secret fields (XML, JSON, INI, environment, URL, header; whole or cut
    short), the federation Session parameter, and bare runs shaped like a secret key, session token or
    sign-in token. Access key ids, ARNs, account ids, regions and paths stay as they are.
    """
    # Cheap checks first (no regex): a field needs one of the hints, a bare secret a word of 40+ characters.
    lowered = text.lower()
    has_field = any(hint in lowered for hint in _FIELD_HINTS)
    has_run = any(len(word) >= 40 for word in text.split())
    if not (has_field or has_run):
        return text
    field, session, run, word, separator, arn = _patterns()
    if has_field:
        text = field.sub(r"\g<keep>" + MASK, text)
        text = session.sub("Session=" + MASK, text)
    if not has_run:
        return text
    arns = [found.span() for found in arn.finditer(text)] if "arn:" in text else []

    def shaped(match: Any) -> str:
        value: str = match.group(0)
        if value.islower() or value.isupper() or not any(c.isalpha() for c in value):
            return value  # no mixed case: key ids, hex digests, lowercase paths
        start, end = match.span()
        if any(a <= start and end <= b for a, b in arns):
            return value
        if all(word.fullmatch(piece) for piece in separator.split(value) if piece):
            return value
        return MASK

    return run.sub(shaped, text)


# Whether this run said anything on stderr: hot.py records only answers given silently.
SAID = False
# Every line said, while hot.py records a `use` (which says one line, that its record says again).
LINES: list[str] | None = None


def _emit(prefix: str, message: str, color: str) -> None:
    global SAID
    SAID = True
    if _stderr_color():
        prefix = f"\033[{color}m{prefix}\033[0m"
    line = f"{prefix}{scrub(message)}"
    if LINES is not None:
        LINES.append(line)
    print(line, file=sys.stderr)


def info(message: str) -> None:
    if not QUIET:
        _emit("letme: ", message, "1")


def progress(message: str) -> None:
    """What a person watching may like to see while letme works (the role chain's hops, as the original letme
    showed them): only on a terminal, never with --quiet, and never into a pipe or an SDK's captured stderr."""
    if not QUIET and sys.stderr.isatty():
        _emit("letme: ", message, "2")


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


class NoAnswer(Exception):
    """The terminal's input ended (Ctrl-D) before a line was entered."""


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


def foreground_terminal() -> bool:
    """Whether this process may ask on its terminal: it has one, and runs in its foreground."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return _in_foreground(fd)
    finally:
        os.close(fd)


def ask_tty(question: str, secret: bool = False) -> str:
    """Ask on the controlling terminal, never through stdin/stdout (both may be pipes), and only
    from the terminal's foreground: NotForeground otherwise, before anything is written. NoAnswer
    when the input ends (Ctrl-D) before a line."""
    question = scrub(question)
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
        if not line:
            os.write(fd, b"\n")  # Ctrl-D leaves the prompt's line open: end it before any message
            raise NoAnswer()
    except OSError:
        raise NoTerminal() from None
    finally:
        os.close(fd)
    return line.decode("utf-8", "replace").strip()

"""The one error type letme raises, and the exit codes it maps to.

Every failure a user can cause or meet is a `LetmeError`: `cli.main` prints it as
one line on stderr (plus an optional hint line) and exits with its code. Anything
else is a bug and is shown as a traceback only with `--debug`.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    # Not an error in the usual sense: the wrapper asked "anything to do?" and the
    # answer is no (e.g. `use --cached-only` with nothing fresh in the cache).
    NOTHING = 3
    MFA_REQUIRED = 4
    INTERRUPTED = 130


class LetmeError(Exception):
    """A failure explained in one line: what was wrong, and what to do."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, hint: str | None = None, exit_code: ExitCode | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(LetmeError):
    """The config file is missing, unreadable or invalid."""


class UnknownAccount(LetmeError):
    """The account is not in the catalog."""


class StaleCatalog(LetmeError):
    """The catalog cache was built from another table, region, source profile or endpoint."""


class AwsError(LetmeError):
    """AWS (or an AWS-compatible endpoint) refused or failed a request.

    `code` and `aws_message` keep AWS's own error code and message, so callers decide
    on them (a rejected MFA code, an expired session) instead of on the words of `message`.
    """

    def __init__(self, message: str, hint: str | None = None, exit_code: ExitCode | None = None,
                 code: str | None = None, aws_message: str = ""):
        super().__init__(message, hint, exit_code)
        self.code = code
        self.aws_message = aws_message


class MfaRequired(LetmeError):
    """A new MFA code is needed and none can be asked for (no terminal)."""

    exit_code = ExitCode.MFA_REQUIRED

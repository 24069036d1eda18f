"""letme exec [ACCOUNT] -- CMD ARGS...: run one command with the account's credentials.

letme replaces itself with CMD (os.execvpe), so CMD's exit status and signals
are the caller's directly. Without CMD it prints the env-mode variables as
shell code (`--shell`, else the detected shell): eval "$(letme exec X)".
Without ACCOUNT (`letme exec -- CMD`), this shell's account, else the picker.
"""

from __future__ import annotations

import argparse
import os
import sys

from letme_shell import shells
from letme_shell.commands import _common, use
from letme_shell.commands.shell import child_environment, env_mode_change
from letme_shell.errors import ExitCode, LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = "%(prog)s [ACCOUNT] [options] [-- CMD ARGS...]"
    parser.add_argument("--region", metavar="REGION", help="region to export (default: the account's first)")
    _common.add_role_arn(parser)
    _common.add_mfa(parser)
    _common.add_session_name(parser)
    use.add_shell_option(parser, "letme exec X")
    # ACCOUNT and everything after it, `--` included; run() takes them apart. A positional ACCOUNT would
    # swallow the command of `letme exec -- true` (argparse drops the `--`, then 'true' is the account),
    # and argparse cannot both keep options after ACCOUNT and stop at `--`.
    parser.add_argument("words", nargs=argparse.REMAINDER, metavar="ACCOUNT -- CMD ARGS",
                        help="the account (default: this shell's, else the picker), then the command after --")


def _account_and_rest(words: list[str]) -> tuple[str | None, list[str]]:
    """ACCOUNT (None for `letme exec -- CMD` and `letme exec`) and the words after it."""
    if words and not words[0].startswith("-"):
        return words[0], words[1:]
    return None, words


def _late_options(args: argparse.Namespace, rest: list[str]) -> list[str]:
    """Options given after ACCOUNT (before `--`) into `args`; returns the command after `--`."""
    if rest and not rest[0].startswith("-"):
        return rest  # `letme exec ACCOUNT CMD`, without `--`
    if "--" in rest:
        options, cmd = rest[: rest.index("--")], rest[rest.index("--") + 1 :]
    else:
        options, cmd = rest, []
    if options:
        late = _common_parser()
        try:
            parsed, unknown = late.parse_known_args(options)
        except SystemExit:
            raise LetmeError(f"cannot read the options {' '.join(options)}", "see 'letme exec --help'",
                             ExitCode.USAGE) from None
        if unknown:
            raise LetmeError(f"unexpected {unknown[0]!r} before the command",
                             "put -- before the command: letme exec ACCOUNT -- CMD ARGS", ExitCode.USAGE)
        for key, value in vars(parsed).items():
            if key == "role_arn" and value:  # a chain: the ARNs before ACCOUNT's place, then these
                setattr(args, key, [*(getattr(args, key, None) or []), *value])
            elif value not in (None, False):
                setattr(args, key, value)
    return cmd


class _LateParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, as the main parser gives (argparse's own would print its usage first).
        raise LetmeError(message, "see 'letme exec --help'", ExitCode.USAGE)


def _common_parser() -> argparse.ArgumentParser:
    late = _LateParser(prog="letme exec", add_help=False, allow_abbrev=False)
    for flag in ("--region", "--mfa-code", "--shell", "--config", "--context"):
        late.add_argument(flag, dest=flag[2:].replace("-", "_"))
    late.add_argument("--inline-mfa", dest="mfa_code")
    late.add_argument("--role-session-name", type=_common.role_session_name)
    late.add_argument("--role-arn", action="append", type=_common.ADHOC_TYPES["role_arn"])
    late.add_argument("--name", type=_common.ADHOC_TYPES["name"])
    late.add_argument("--external-id", type=_common.ADHOC_TYPES["external_id"])
    late.add_argument("--debug", action="store_true")
    late.add_argument("-q", "--quiet", action="store_true")
    return late


def run(args: argparse.Namespace) -> int:
    args.account, rest = _account_and_rest(list(args.words))
    cmd = _late_options(args, rest)
    if args.role_arn and args.account is not None:  # `letme exec --role-arn ARN aws …`: the command is no ACCOUNT
        from letme_shell import validate

        raise LetmeError(f"give either ACCOUNT ('{validate.printable(args.account)}') or --role-arn, not both",
                         "with --role-arn, put -- before the command: letme exec --role-arn ARN -- CMD ARGS",
                         ExitCode.USAGE)
    change = env_mode_change(args, None, usage="exec ACCOUNT -- CMD")
    if not cmd:
        shell = shells.get(args.shell) if args.shell else shells.detect()
        use.emit(shell, change)
        return 0
    env = child_environment(change)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(cmd[0], cmd, env)
    except FileNotFoundError:
        error = LetmeError(f"command not found: {cmd[0]}")
        error.exit_code = 127  # type: ignore[assignment]  # the shell's convention
        raise error from None
    except OSError as exc:
        error = LetmeError(f"cannot run {cmd[0]}: {exc.strerror}")
        error.exit_code = 126  # type: ignore[assignment]
        raise error from None
    return 1  # not reached

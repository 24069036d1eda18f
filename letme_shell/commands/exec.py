"""letme exec ACCOUNT -- CMD ARGS...: run one command with the account's credentials.

letme replaces itself with CMD (os.execvpe), so CMD's exit status and signals
are the caller's directly. Without CMD it prints the env-mode variables as
shell code (`--shell`, else the detected shell): eval "$(letme exec X)".
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
    _common.add_account(parser)
    parser.add_argument("--region", metavar="REGION", help="region to export (default: the account's first)")
    _common.add_mfa(parser)
    use.add_shell_option(parser, "letme exec X")
    # Everything after ACCOUNT; run() separates the options from the command at `--`
    # (argparse cannot both keep options after ACCOUNT and stop at `--`).
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the command to run, after --")


def _late_options(args: argparse.Namespace, rest: list[str]) -> list[str]:
    """Options given after ACCOUNT (before `--`) into `args`; returns the command after `--`."""
    if rest and not rest[0].startswith("-"):
        # argparse already dropped a `--` that came right after ACCOUNT.
        return rest
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
            if value not in (None, False):
                setattr(args, key, value)
    return cmd


def _common_parser() -> argparse.ArgumentParser:
    late = argparse.ArgumentParser(prog="letme exec", add_help=False, allow_abbrev=False)
    for flag in ("--region", "--mfa-code", "--shell", "--config", "--context"):
        late.add_argument(flag, dest=flag[2:].replace("-", "_"))
    late.add_argument("--inline-mfa", dest="mfa_code")
    late.add_argument("--debug", action="store_true")
    late.add_argument("-q", "--quiet", action="store_true")
    return late


def run(args: argparse.Namespace) -> int:
    cmd = _late_options(args, list(args.cmd))
    change = env_mode_change(args, None)
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

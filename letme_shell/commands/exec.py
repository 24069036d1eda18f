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
from letme_shell.errors import LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser)
    parser.add_argument("--region", metavar="REGION", help="region to export (default: the account's first)")
    _common.add_mfa(parser)
    use.add_shell_option(parser)
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the command to run")


def run(args: argparse.Namespace) -> int:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
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

"""letme demo [-- COMMAND…]: try letme on an embedded local AWS (moto), in a sandbox.

Without a command, it opens your shell (bash, zsh or fish) with the letme hook
loaded and a list of things to try; `exit` ends the demo. With `-- COMMAND…` it
runs that one command in the same sandbox and exits with its status (for
scripts and CI). Either way the server stops and the sandbox is deleted after.
"""

from __future__ import annotations

import argparse

from letme_shell import ui


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shell", metavar="SHELL", help="bash, zsh or fish (default: the shell you run letme from)")
    parser.add_argument("--accounts", type=int, default=None, metavar="N",
                        help="how many sample accounts to create (default: 48)")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                        help="run this command in the demo sandbox instead of a shell")


def run(args: argparse.Namespace) -> int:
    from letme_shell import demo
    from letme_shell.errors import ExitCode, LetmeError

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    accounts = args.accounts if args.accounts is not None else demo.ACCOUNTS
    if not 3 <= accounts <= 5000:
        raise LetmeError("--accounts must be between 3 and 5000", exit_code=ExitCode.USAGE)
    if args.command and not command:
        raise LetmeError("nothing to run after '--'", "e.g. letme demo -- letme list", ExitCode.USAGE)
    # The shell is found before moto loads and the server starts: a bad --shell costs nothing.
    shell = None if command else demo.pick_shell(args.shell)
    demo.require_moto()
    with demo.signals_end_the_demo(), demo.Demo(accounts, quiet=ui.QUIET) as running:
        if shell is None:
            return running.run(command)
        return demo.interactive(running, *shell)

"""letme deny [PATH]: forget that a `.letme` file was allowed.

PATH as for `letme allow`. Through the hook, when the shell uses the account that
file gave it, the shell returns to where it was before it entered the tree (as
leaving the tree does); entering the tree again gives the notice again.
"""

from __future__ import annotations

import argparse
import os

from letme_shell import directory, envchange, ui
from letme_shell.commands import dir as dir_command
from letme_shell.commands import use


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", metavar="PATH",
                        help="a directory or its .letme file (default: the nearest .letme from here up)")
    use.add_shell_option(parser, "letme deny")


def run(args: argparse.Namespace) -> int:
    path = directory.locate(args.path)
    if directory.deny(path):
        ui.info(f"denied {dir_command.shown(path)}: 'letme allow' trusts it again")
    else:
        ui.info(f"{dir_command.shown(path)} was not allowed")
    shell_name = dir_command.hook_shell(args)
    applied = os.environ.get(envchange.DIR)
    if shell_name is None or not applied or directory.record_key(applied) != directory.record_key(path):
        return 0
    from letme_shell import shells

    change = dir_command.leave_tree(args)
    if change:
        use.emit(shells.get(shell_name), change)
    return 0

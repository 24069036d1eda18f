"""letme allow [PATH]: trust this `.letme` file (these bytes, at this path), and switch to it here.

PATH is a directory or its `.letme`; without it, the nearest `.letme` from the current
directory up (as the hook finds it). The file is checked (yours, not writable by others,
valid) before its SHA-256 is recorded (see directory.py). Through the hook, when the
file is the one that applies to the current directory, the shell switches at once,
as entering the tree would (a manual `use` inside the tree does not stop it: you asked).
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from letme_shell import directory, ui
from letme_shell.commands import dir as dir_command
from letme_shell.commands import use


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", metavar="PATH",
                        help="a directory or its .letme file (default: the nearest .letme from here up)")
    use.add_shell_option(parser, "letme allow")


def run(args: argparse.Namespace) -> int:
    path = directory.locate(args.path)
    found = directory.load(path)
    directory.allow(found)
    ui.info(f"allowed {dir_command.shown(path)}: its tree uses {found.name}")
    shell_name = dir_command.hook_shell(args)
    if shell_name is None:
        return 0
    from letme_shell import shells

    shell = shells.get(shell_name)
    near = directory.nearest(directory.here(), os.environ.get("HOME"))
    if near is None or directory.record_key(near) != directory.record_key(path):
        return 0  # another tree: the hook switches when the shell enters it
    change = dir_command.enter(args, dataclasses.replace(found, path=near), override=True)
    if change:
        use.emit(shell, change)
        from letme_shell import history

        history.remember(change)
    return 0

"""letme hook [SHELL]: print the shell integration (wrapper function, prompt segment, refresh, completion).

    bash:        eval "$(letme hook bash)"
    zsh:         eval "$(letme hook zsh)"
    fish:        letme hook fish | source
    PowerShell:  Invoke-Expression (& letme hook powershell | Out-String)

The code comes from shell/letme.<ext> and the completion script; only the
set-up block (letme's absolute path, cache and state directories) is filled in.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from letme_shell import paths, shells
from letme_shell.errors import LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", nargs="?", metavar="SHELL",
                        help=f"one of {', '.join(shells.NAMES)} (default: the shell that runs letme)")


def letme_path() -> str:
    argv0 = sys.argv[0]
    if os.path.basename(argv0) == "letme" and os.path.isfile(argv0):
        return os.path.abspath(argv0)
    found = shutil.which("letme")
    if not found:
        raise LetmeError("cannot find the 'letme' command on PATH", "install letme so that 'letme' runs from PATH")
    return os.path.abspath(found)


def settings_for_hook() -> dict[str, str]:
    return {
        "__letme_exe": letme_path(),
        "__letme_cache_dir": str(paths.cache_dir()),
        "__letme_state_dir": str(paths.state_dir()),
    }


def run(args: argparse.Namespace) -> int:
    shell = shells.get(args.shell) if args.shell else shells.detect()
    sys.stdout.write(shell.hook(settings_for_hook()))
    return 0

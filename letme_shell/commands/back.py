"""letme back: switch to the account used before this one (LETME_PREVIOUS)."""

from __future__ import annotations

import argparse
import os

from letme_shell import naming, validate
from letme_shell.commands import _common, use
from letme_shell.errors import ExitCode, LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_mfa(parser)
    use.add_shell_option(parser, "letme back")


def run(args: argparse.Namespace) -> int:
    shell = use.target_shell(args, "back")
    previous = os.environ.get("LETME_PREVIOUS")
    if not previous:
        raise LetmeError("there is no previous account in this shell", "switch with 'letme use ACCOUNT' first",
                         ExitCode.NOTHING)
    if not naming.is_qualified_name(previous):
        raise LetmeError(f"LETME_PREVIOUS holds '{validate.printable(previous)}', not an account name")
    # LETME_PREVIOUS names the context too (example1@b), so `back` returns to that context's account.
    settings, name = _common.settings_for(args, previous, qualified=True)
    mode = os.environ.get("LETME_MODE") if os.environ.get("LETME_MODE") in ("process", "profile", "env") else None
    change = use.change_for(settings, name, mode, None, args.mfa_code,
                            previous=os.environ.get("LETME_ACCOUNT"))
    use.emit(shell, change)
    return 0

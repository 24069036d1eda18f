"""letme leave: unset everything `letme use` set, remembering the account for `letme back`."""

from __future__ import annotations

import argparse
import os

from letme_shell import envchange, ui
from letme_shell.commands import use


def add_arguments(parser: argparse.ArgumentParser) -> None:
    use.add_shell_option(parser, "letme leave")


def run(args: argparse.Namespace) -> int:
    shell = use.target_shell(args, "leave")
    current = os.environ.get("LETME_ACCOUNT")
    use.emit(shell, envchange.leave(current, os.environ.get("LETME_MODE"), os.environ.get("AWS_REGION")))
    ui.info(f"left {current}; 'letme back' returns to it" if current else "no account was in use")
    return 0

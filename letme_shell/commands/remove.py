"""letme remove ACCOUNT: its letme profiles and cached credentials, nothing else."""

from __future__ import annotations

import argparse

from letme_shell import awsfiles, session, ui, validate
from letme_shell.commands import _common
from letme_shell.errors import LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser)


def run(args: argparse.Namespace) -> int:
    settings = _common.settings(args)
    name = args.account
    if not validate.is_account_name(name):
        raise LetmeError(f"'{validate.printable(name)}' is not a valid account name")
    removed = awsfiles.remove(name)
    forgot = session.forget(settings, name)
    if not removed and not forgot:
        raise LetmeError(f"letme has nothing stored for '{name}'", "see 'letme list'")
    for path in removed:
        ui.info(f"removed profile '{name}' from {path}")
    if forgot:
        ui.info(f"removed cached credentials of '{name}'")
    return 0

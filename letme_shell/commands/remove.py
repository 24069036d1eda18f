"""letme remove ACCOUNT: its letme profiles and cached credentials, nothing else."""

from __future__ import annotations

import argparse

from letme_shell import awsfiles, naming, session, ui, validate
from letme_shell.commands import _common
from letme_shell.errors import LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser)
    parser.add_argument("--force", action="store_true",
                        help="also remove a profile of that name letme did not write, or wrote for another origin")


def run(args: argparse.Namespace) -> int:
    if not naming.is_qualified_name(args.account):
        raise LetmeError(f"'{validate.printable(args.account)}' is not a valid account name")
    settings, name = _common.settings_for(args, args.account)
    # Only this context's profile (example1, or example1@b in context b), and only if it has this origin.
    profile = naming.qualified(name, settings.context)
    removed = awsfiles.remove(profile, settings.origin(), args.force)
    forgot = session.forget(settings, name)
    if not removed and not forgot:
        raise LetmeError(f"letme has nothing stored for '{profile}'", "see 'letme list'")
    for path in removed:
        ui.info(f"removed profile '{profile}' from {path}")
    if forgot:
        ui.info(f"removed cached credentials of '{profile}'")
    return 0

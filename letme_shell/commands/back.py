"""letme back: switch to the account used before this one, in the mode and region it was used in.

`letme use -` does the same, as `cd -` does. The previous account is LETME_PREVIOUS
(its context too: example1@b), with LETME_PREVIOUS_MODE and LETME_PREVIOUS_REGION
(see envchange.remember); `use` and `leave` set them, and a switch back records the
account it leaves, so `back` twice returns to where it started.
"""

from __future__ import annotations

import argparse
import os

from letme_shell import envchange, naming, validate
from letme_shell.commands import _common, use
from letme_shell.envchange import EnvChange
from letme_shell.errors import ExitCode, LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_mfa(parser)
    use.add_yes_option(parser)
    use.add_shell_option(parser, "letme back")


def change_back(args: argparse.Namespace, mode: str | None = None, region: str | None = None) -> EnvChange:
    """The switch to the previous account; `mode` and `region` (`use - --mode M`) win over the recorded ones."""
    previous = os.environ.get(envchange.PREVIOUS)
    if not previous:
        raise LetmeError("there is no previous account in this shell", "switch with 'letme use ACCOUNT' first",
                         ExitCode.NOTHING)
    if not naming.is_qualified_name(previous):
        raise LetmeError(f"LETME_PREVIOUS holds '{validate.printable(previous)}', not an account name")
    # LETME_PREVIOUS names the context too (example1@b), so `back` returns to that context's account.
    settings, name = _common.settings_for(args, previous, qualified=True)
    use.confirm_production(settings, name, args.yes)  # going back into production asks as `use` does
    if mode is None:
        recorded = os.environ.get(envchange.PREVIOUS_MODE)
        mode = recorded if recorded in envchange.MODES else None  # else the config's use_mode
    if region is None:
        recorded = os.environ.get(envchange.PREVIOUS_REGION)
        region = recorded if validate.is_region(recorded) else None  # else the account's first
    current, current_mode, current_region = use.previous_state()  # where the next `back` returns to
    return use.change_for(settings, name, mode, region, args.mfa_code, getattr(args, "force", False),
                          previous=current, previous_mode=current_mode, previous_region=current_region)


def run(args: argparse.Namespace) -> int:
    shell = use.target_shell(args, "back")
    use.emit(shell, change_back(args))
    return 0

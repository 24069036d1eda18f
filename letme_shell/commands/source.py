"""letme source {add,remove,list,credentials} PROFILE: long-term keys held in the OS keyring (sourcekeys.py).

`credentials` is what the AWS files' `credential_process` line runs; its stdout holds the JSON and nothing else.
"""

from __future__ import annotations

import argparse
import sys

from letme_shell import keychain, sourcekeys, ui
from letme_shell.errors import ExitCode, LetmeError

ACTIONS = ("add", "remove", "list", "credentials")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS,
                        help="add: move PROFILE's keys from the AWS credentials file into the keyring; remove: put "
                             "them back; list: the profiles letme holds; credentials: print PROFILE's keys as "
                             "credential_process JSON (what the profile runs)")
    parser.add_argument("profile", nargs="?", metavar="PROFILE", help="the AWS profile")


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        if args.profile is not None:
            raise LetmeError("'letme source list' takes no profile", "see 'letme source --help'", ExitCode.USAGE)
        for profile in sourcekeys.held():
            print(profile)
        return 0
    if args.profile is None:
        raise LetmeError(f"'letme source {args.action}' needs a PROFILE", f"e.g. letme source {args.action} default",
                         ExitCode.USAGE)
    profile = sourcekeys.check_name(args.profile)
    if args.action == "credentials":
        sys.stdout.write(sourcekeys.process_json(profile))
        sys.stdout.flush()
        return 0
    if args.action == "add":
        key_id = sourcekeys.add(profile)
        ui.info(f"moved the keys of profile '{profile}' ({key_id}) into the keyring ({keychain.backend_name()}); "
                f"the profile now gets them from 'letme source credentials {profile}'")
        return 0
    key_id = sourcekeys.remove(profile)
    ui.info(f"put the keys of profile '{profile}' ({key_id}) back in the AWS credentials file and removed them "
            "from the keyring")
    return 0

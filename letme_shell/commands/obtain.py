"""letme obtain ACCOUNT: credentials into the AWS files as profile ACCOUNT (the original letme job)."""

from __future__ import annotations

import argparse

from letme_shell import session, switch, ui
from letme_shell.commands import _common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser)
    _common.add_mfa(parser)
    _common.add_session_name(parser)
    parser.add_argument("--renew", action="store_true", help="ignore cached credentials and ask STS again")
    parser.add_argument("--region", metavar="REGION", help="region for the profile (default: the account's first)")
    parser.add_argument("--force", action="store_true", help="replace a profile of that name letme did not write")
    parser.add_argument("--credential-process", action="store_true",
                        help="print credential_process JSON instead of writing the profile (original letme flag)")
    parser.add_argument("--v1", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    settings, name = _common.settings_for(args, args.account)
    account = session.resolve(settings, name)
    region = switch.pick_region(settings, account, args.region)  # a bad --region fails before any MFA prompt
    creds = session.credentials_for(settings, account, args.mfa_code, renew=args.renew)
    if args.credential_process or args.v1:
        from letme_shell.commands.credential_process import emit

        emit(creds)
        return 0
    profile = switch.profile_for(settings, account, "profile", region, creds)
    assert profile is not None
    switch.sync_files(profile, args.force)
    ui.info(f"credentials for '{account.name}' valid until {creds.expiration}; "
            f"use --profile {profile.name} (or 'letme use {profile.name}')")
    return 0

"""letme obtain ACCOUNT: credentials into the AWS files as profile ACCOUNT (the original letme job).

As in the original letme: `--credential-process` writes `[profile ACCOUNT]` with a credential_process line
(letme's own, as `use --mode process` writes it) and prints no secret; `--v1` prints the credential_process
JSON, for the `credential_process = letme obtain ACCOUNT --v1` lines the original wrote."""

from __future__ import annotations

import argparse

from letme_shell import session, switch, ui
from letme_shell.catalog import Account
from letme_shell.commands import _common
from letme_shell.errors import ExitCode, LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser, optional=True)  # absent with --role-arn
    _common.add_role_arn(parser)
    _common.add_mfa(parser)
    _common.add_session_name(parser)
    parser.add_argument("--renew", action="store_true", help="ignore cached credentials and ask STS again")
    parser.add_argument("--region", metavar="REGION", help="region for the profile (default: the account's first)")
    parser.add_argument("--force", action="store_true", help="replace a profile of that name letme did not write")
    parser.add_argument("--credential-process", action="store_true",
                        help="write a profile whose credential_process runs letme (no keys in the files, "
                        "nothing asked now); 'letme credential-process ACCOUNT' prints the JSON")
    parser.add_argument("--v1", action="store_true",
                        help="print the credentials as credential_process JSON (Version 1) instead of writing them")


def run(args: argparse.Namespace) -> int:
    if args.role_arn or args.name or args.external_id:
        settings = _common.settings(args)
        adhoc = _common.adhoc_account(args, settings)
        assert adhoc is not None
        account: Account = adhoc
    elif args.account is None:
        raise LetmeError("no account given", "name one: letme obtain ACCOUNT (or --role-arn ARN)", ExitCode.USAGE)
    else:
        settings, name = _common.settings_for(args, args.account)
        account = session.resolve(settings, name)
    region = switch.pick_region(settings, account, args.region)  # a bad --region fails before any MFA prompt
    if args.credential_process and not args.v1:
        # The SDK asks letme for credentials when it needs them: none are needed to write the profile.
        process_profile = switch.process_profile(settings, account, region)
        switch.sync_files(process_profile, args.force)
        ui.info(f"wrote profile '{process_profile.name}': its credential_process runs letme; "
                f"use --profile {process_profile.name}")
        return 0
    creds = session.credentials_for(settings, account, args.mfa_code, renew=args.renew)
    if args.v1:
        from letme_shell.commands.credential_process import emit

        emit(creds)
        return 0
    profile = switch.profile_for(settings, account, "profile", region, creds)
    assert profile is not None
    switch.sync_files(profile, args.force)
    ui.info(f"credentials for '{account.name}' valid until {creds.expiration}; "
            f"use --profile {profile.name} (or 'letme use {profile.name}')")
    return 0

"""letme credential-process ACCOUNT: the JSON an AWS SDK reads from a credential_process.

Stdout holds the JSON document and nothing else; an MFA prompt, when one is
needed, goes to the terminal. On cached credentials this imports no boto3.
"""

from __future__ import annotations

import argparse
import sys

from letme_shell import hot, session, validate
from letme_shell.catalog import Account
from letme_shell.commands import _common
from letme_shell.credentials import Credentials
from letme_shell.errors import ExitCode, LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser, optional=True)  # absent with --role-arn
    _common.add_role_arn(parser)
    _common.add_mfa(parser)
    _common.add_session_name(parser)
    parser.add_argument("--renew", action="store_true", help="ignore cached credentials")
    # Written by `use` into the profile's credential_process line: what the profile was made for.
    parser.add_argument("--origin", help=argparse.SUPPRESS)
    parser.set_defaults(machine=True)  # an SDK runs it: nobody reads its stderr (see _common.speaks)


def emit(creds: Credentials) -> None:
    sys.stdout.write(creds.process_json())
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    seen = hot.recording(getattr(args, "argv", None))
    account: Account | None = None
    if args.role_arn or args.name or args.external_id:
        settings = _common.settings(args)
        account = _common.adhoc_account(args, settings)
        name = account.name if account is not None else ""
    elif args.account is None:
        raise LetmeError("no account given", "name one: letme credential-process ACCOUNT (or --role-arn ARN)",
                         ExitCode.USAGE)
    else:
        settings, name = _common.settings_for(args, args.account)
    if args.origin is not None and args.origin != settings.origin():
        # The config was edited since the profile was written: it would now mean another account.
        raise LetmeError(f"this profile was written for {validate.printable(args.origin, 200)}, but "
                         f"{settings.path} now says {settings.origin()}",
                         f"run 'letme use {validate.printable(args.account or name)}' again to rewrite the profile")
    if account is None:
        account = session.resolve(settings, name)
    creds = session.credentials_for(settings, account, args.mfa_code, renew=args.renew)
    emit(creds)
    if seen is not None:
        hot.remember(args.argv, seen, creds, settings)
    return 0

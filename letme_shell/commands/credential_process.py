"""letme credential-process ACCOUNT: the JSON an AWS SDK reads from a credential_process.

Stdout holds the JSON document and nothing else; an MFA prompt, when one is
needed, goes to the terminal. On cached credentials this imports no boto3.
"""

from __future__ import annotations

import argparse
import json
import sys

from letme_shell import session
from letme_shell.commands import _common
from letme_shell.credentials import Credentials


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser)
    _common.add_mfa(parser)
    parser.add_argument("--renew", action="store_true", help="ignore cached credentials")


def emit(creds: Credentials) -> None:
    sys.stdout.write(json.dumps(creds.process_output()) + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    settings, name = _common.settings_for(args, args.account)
    account = session.resolve(settings, name)
    emit(session.credentials_for(settings, account, args.mfa_code, renew=args.renew))
    return 0

"""What several commands share: loading settings, naming an account."""

from __future__ import annotations

import argparse
import json
import re
import sys

from letme_shell import config
from letme_shell.config import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def settings(args: argparse.Namespace) -> Settings:
    return config.load(getattr(args, "config", None), getattr(args, "context", None))


def add_account(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    parser.add_argument("account", nargs="?" if optional else None, metavar="ACCOUNT",
                        help="account name from the catalog (see 'letme list')")


def _mfa_code(text: str) -> str:
    # Checked before any AWS call, so a typo costs no request and no MFA attempt; never echoed.
    if not re.fullmatch(r"\d{6}", text):
        raise argparse.ArgumentTypeError("an MFA code is 6 digits")
    return text


def add_mfa(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mfa-code", "--inline-mfa", dest="mfa_code", metavar="CODE", type=_mfa_code,
                        help="MFA code (otherwise asked on the terminal when needed)")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")

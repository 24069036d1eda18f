"""letme console ACCOUNT: open the AWS console signed in to an account (or --print the sign-in URL).

The URL signs in whoever opens it for as long as the token lives (15 minutes),
so it goes to stdout only (`--print`, or when no browser can be opened here),
never to the log, the terminal title or a command line: the browser gets a
private local page that forwards to it (letme_shell/browser.py).
"""

from __future__ import annotations

import argparse
import os

from letme_shell import session, switch, ui
from letme_shell.commands import _common, use


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("account", nargs="?", metavar="ACCOUNT",
                        help="account name from the catalog (default: this shell's, else the picker)")
    _common.add_role_arn(parser)
    _common.add_mfa(parser)
    parser.add_argument("--region", metavar="REGION", help="console region (default: the account's first)")
    parser.add_argument("--print", dest="print_url", action="store_true",
                        help="print the sign-in URL on stdout instead of opening a browser")
    parser.add_argument("--json", action="store_true", help="print {\"account\", \"region\", \"url\"} as JSON")


def run(args: argparse.Namespace) -> int:
    from letme_shell import console_url

    settings, account = use.target(args, "console ACCOUNT")
    region = switch.pick_region(settings, account, args.region)
    partition = console_url.partition_of(account.roles[-1] if account.roles else None, region)
    endpoint = console_url.federation_endpoint(partition, settings.federation_url)
    creds = session.credentials_for(settings, account, args.mfa_code)
    token = console_url.signin_token(endpoint, creds)
    url = console_url.login_url(endpoint, token, partition, region)
    if args.json:
        _common.print_json({"account": account.name, "region": region, "url": url})
        return 0
    if args.print_url:
        print(url)
        return 0
    from letme_shell import browser

    why_not = browser.no_graphical_session(os.environ) or browser.open_privately(url)
    if why_not:
        # A server, an SSH login, a terminal-only browser: the URL is the result then.
        ui.info(f"{why_not}; the sign-in URL (valid for 15 minutes) is on stdout instead")
        print(url)
        return 0
    ui.info(f"opened the console for '{account.name}' in {region}")
    return 0

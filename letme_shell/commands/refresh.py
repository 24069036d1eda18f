"""letme refresh [ACCOUNT]: renew credentials ahead of expiry.

Three ways it runs:
- `letme refresh` typed by the user (through the hook): renews now, asking for an
  MFA code on the terminal when AWS needs one, then updates this shell;
- `letme refresh --background ACCOUNT`, started by the prompt hook inside the
  refresh window: never asks (stdin is /dev/null and MFA needs fail with exit 4),
  prints nothing, and leaves one line in a status file,
  `<state_dir>/refresh/<context>/<account>`: `ok|mfa|error <written-at> <expires>`;
- `letme refresh --apply`, run by the hook once that line says `ok`: the new
  credentials from the cache as shell code, for the account, mode and region this
  shell already uses. It never touches the network (the account, too, must be in
  the catalog cache): what is not cached is exit 3, at once.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from letme_shell import fsutil, naming, paths, session, ui, validate
from letme_shell.commands import _common, use
from letme_shell.config import Settings
from letme_shell.errors import ExitCode, LetmeError, MfaRequired


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_account(parser, optional=True)
    _common.add_mfa(parser)
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--background", action="store_true",
                     help="renew without asking anything and record the outcome in the status file (the hook's job)")
    how.add_argument("--apply", action="store_true", help="print the cached credentials as shell code (no network)")
    parser.add_argument("--no-prompt", action="store_true", help="fail with exit 4 instead of asking for an MFA code")
    use.add_shell_option(parser, "letme refresh X --apply")


def status_file(context: str, account: str) -> Path:
    # Named as the hook names it: <context>/<LETME_ACCOUNT>, e.g. general/example1 or b/example1@b.
    return paths.state_dir() / "refresh" / context / naming.qualified(account, context)


def _no_prompt(reason: str) -> str:
    raise MfaRequired("AWS needs a new MFA code and this refresh may not ask for one",
                      "run 'letme refresh' in your shell to enter a code")


def _record(path: Path, status: str, expires: int = 0) -> None:
    fsutil.atomic_write(path, f"{status} {int(time.time())} {expires}\n".encode(), mode=0o600)


def _background(settings: Settings, name: str) -> int:
    path = status_file(settings.context, name)
    try:
        account = session.resolve(settings, name)
        creds = session.credentials_for(settings, account, codes=_no_prompt)
    except MfaRequired:
        _record(path, "mfa")
        return ExitCode.MFA_REQUIRED
    except LetmeError:
        _record(path, "error")
        raise
    _record(path, "ok", creds.expires)
    return 0


def _current_mode() -> str | None:
    mode = os.environ.get("LETME_MODE")
    return mode if mode in ("process", "profile", "env") else None


def run(args: argparse.Namespace) -> int:
    current = os.environ.get("LETME_ACCOUNT")
    given = args.account or current
    if not given:
        raise LetmeError("no account to refresh", "name one: letme refresh ACCOUNT", ExitCode.USAGE)
    if not naming.is_qualified_name(given):
        raise LetmeError(f"'{validate.printable(given)}' is not a valid account name", exit_code=ExitCode.USAGE)
    # The hook passes LETME_ACCOUNT (example1, or example1@b for context b) with --context.
    settings, name = _common.settings_for(args, given, qualified=args.account is None or given == current)
    if args.background:
        return _background(settings, name)
    here = naming.qualified(name, settings.context) == current
    region = os.environ.get("AWS_REGION") if here else None
    if args.apply:
        shell = use.target_shell(args, "refresh --apply")
        try:
            # The prompt runs this in the foreground: the account must come from the catalog cache (exit 3
            # otherwise), never from DynamoDB, so that a slow or silent network cannot hold the prompt.
            session.resolve(settings, name, offline=True)
            use.emit(shell, use.change_for(settings, name, _current_mode(), region, None, cached_only=True))
        except LetmeError as exc:
            if exc.exit_code == ExitCode.NOTHING and ui.QUIET:
                # The prompt's quiet apply (-q): nothing to apply is no news (an account `use` read from
                # DynamoDB without a catalog cache, credentials another letme replaced meanwhile).
                return ExitCode.NOTHING
            raise
        return 0
    account = session.resolve(settings, name)
    codes = _no_prompt if args.no_prompt else None
    creds = session.credentials_for(settings, account, args.mfa_code, renew=True, codes=codes)
    _record(status_file(settings.context, account.name), "ok", creds.expires)
    if args.shell or os.environ.get(use.HOOK_VAR):
        shell = use.target_shell(args, "refresh")
        use.emit(shell, use.change_for(settings, name, _current_mode(), region, None, cached_only=True))
    else:
        ui.info(f"renewed {account.name}: valid until {creds.expiration}")
    return 0

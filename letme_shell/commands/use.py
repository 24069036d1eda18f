"""letme use [ACCOUNT]: switch this shell to an account.

A program cannot change its parent shell, so `use` prints shell code and the
`letme` shell function from `letme hook` evaluates it, only when `use`
succeeded. The function says it is the hook by LETME_HOOK_SHELL=<shell> on its
own command line (never exported); `--shell NAME` asks for the code explicitly,
for scripts. Run bare, `use` cannot do its job: it says so, prints the rc line
for this shell and exits 2 before touching the network.

On cached credentials this path reads a few small files and imports neither
boto3 nor prompt_toolkit; the picker (no ACCOUNT) is the only prompt_toolkit user.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from letme_shell import catalog, config, history, hot, session, switch, ui, validate
from letme_shell.catalog import Account
from letme_shell.commands import _common
from letme_shell.config import Settings
from letme_shell.credentials import Credentials
from letme_shell.envchange import EnvChange
from letme_shell.errors import ExitCode, LetmeError
from letme_shell.shells import Shell

HOOK_VAR = "LETME_HOOK_SHELL"


def add_shell_option(parser: argparse.ArgumentParser, example: str) -> None:
    """--shell, its help showing `example` (the command with its arguments) as a script would eval it."""
    parser.add_argument("--shell", metavar="SHELL", help="print code for this shell (bash, zsh, fish, powershell) "
                        f"even without the hook, e.g. for scripts: eval \"$({example} --shell bash)\"")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("account", nargs="?", metavar="ACCOUNT",
                        help="account name from the catalog (see 'letme list'); '-' for the previous one, "
                        "as 'letme back'")
    parser.add_argument("--mode", choices=config.USE_MODES, help="how credentials reach the shell "
                        "(default: the config's use_mode, 'process')")
    parser.add_argument("--region", metavar="REGION", help="region to export (default: the account's first)")
    _common.add_role_arn(parser)
    _common.add_mfa(parser)
    _common.add_session_name(parser)
    parser.add_argument("--force", action="store_true", help="replace a profile of that name letme did not write")
    add_yes_option(parser)
    add_shell_option(parser, "letme use X")


def add_yes_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true",
                        help="switch into a production account without asking (with confirm_production = true)")


def target_shell(args: argparse.Namespace, command: str) -> Shell:
    """The shell to print code for: --shell, else the hook's marker, else an explanation and exit 2."""
    from letme_shell import shells

    explicit = getattr(args, "shell", None) or os.environ.get(HOOK_VAR)
    if explicit:
        return shells.get(explicit)
    try:
        detected = shells.detect()
    except LetmeError:
        detected = shells.get("bash")
    raise LetmeError(
        f"'letme {command}' cannot change this shell: the letme shell hook is not loaded",
        f"add this line to {detected.rc_file} and open a new shell: {detected.rc_line}",
        ExitCode.USAGE,
    )


def pick(settings: Settings) -> str:
    from letme_shell import naming, picker

    # The account this shell uses, when it is one of this context's.
    current, context = naming.split(os.environ.get("LETME_ACCOUNT", ""))
    here = (context or config.DEFAULT_CONTEXT) == settings.context
    return picker.pick(settings, current=current if here and current else None)


def confirm_production(settings: Settings, name: str, yes: bool) -> None:
    """With `confirm_production = true`, switching into an account tagged as production (production_tags)
    takes a `y` at the terminal, or --yes. Never asked in scripts: without a terminal it is an error
    naming --yes. The account this shell already uses is not asked about again (another region, say)."""
    if yes or not settings.confirm_production:
        return
    from letme_shell import naming

    account = session.resolve(settings, name)
    tags = sorted(set(account.tags) & set(settings.production_tags))
    shown = naming.qualified(account.name, settings.context)
    if not tags or os.environ.get("LETME_ACCOUNT") == shown:
        return
    try:
        answer = ui.ask_tty(f"letme: {shown} is a production account (tagged {validate.shown_tags(tags)}). "
                            "Switch to it? [y/N] ")
    except ui.NotForeground:
        raise LetmeError(f"{shown} is a production account and confirm_production is on, but this letme runs "
                         "in the background of its terminal, where it may not ask",
                         "run it in the foreground, or pass --yes", ExitCode.USAGE) from None
    except ui.NoTerminal:
        raise LetmeError(f"{shown} is a production account and confirm_production is on, but there is no "
                         "terminal to ask on", "pass --yes to switch without asking", ExitCode.USAGE) from None
    if answer.lower() not in ("y", "yes"):
        raise LetmeError(f"not switching to {shown}")


def target(args: argparse.Namespace, usage: str) -> tuple[Settings, Account]:
    """The settings and account for `console`, `shell` and `exec`: the ad-hoc role of --role-arn, else
    account_or_default's account."""
    if getattr(args, "role_arn", None) or getattr(args, "name", None) or getattr(args, "external_id", None):
        settings = _common.settings(args)
        adhoc = _common.adhoc_account(args, settings)
        assert adhoc is not None  # the options without --role-arn are refused
        return settings, adhoc
    settings, name = account_or_default(args, usage)
    return settings, session.resolve(settings, name)


def account_or_default(args: argparse.Namespace, usage: str) -> tuple[Settings, str]:
    """The settings and account name for `console`, `shell` and `exec`: the one named (args.account), else this
    shell's (LETME_ACCOUNT, with a note), else the picker at a terminal, else one line saying it is missing.

    LETME_ACCOUNT of another context than --context names is not taken: --context says where to look."""
    if args.account is not None:
        return _common.settings_for(args, args.account)
    from letme_shell import naming

    current = os.environ.get("LETME_ACCOUNT", "")
    given = getattr(args, "context", None)
    if naming.is_qualified_name(current) and given in (None, naming.split(current)[1] or config.DEFAULT_CONTEXT):
        ui.info(f"no account named: using this shell's {current}")
        return _common.settings_for(args, current, qualified=True)
    if ui.foreground_terminal():
        settings = _common.settings(args)
        return settings, pick(settings)
    raise LetmeError("no account given and none in use in this shell",
                     f"name one: letme {usage}, or switch this shell with 'letme use ACCOUNT' first", ExitCode.USAGE)


# The time left as the message and `status` say it: hot.py's, which a recorded `use` says without this module.
ttl_text = hot.ttl_text


def previous_state() -> tuple[str | None, str | None, str | None]:
    """What this shell uses before a switch (account, mode, region): where `letme back` returns to."""
    return os.environ.get("LETME_ACCOUNT"), os.environ.get("LETME_MODE"), os.environ.get("AWS_REGION")


class Switched:
    """What a switch did: the EnvChange, and what `hot` records of it. (A plain class: typing's NamedTuple
    would be one more import on the cached path.)"""

    def __init__(self, change: EnvChange, account: Account, creds: Credentials, ttl: str):
        self.change = change
        self.account = account
        self.creds = creds
        self.ttl = ttl  # the time left, as the message said it


def change_for(settings: Settings, name: str | Account, mode: str | None, region: str | None,
               mfa_code: str | None, force: bool = False, previous: str | None = None, cached_only: bool = False,
               previous_mode: str | None = None, previous_region: str | None = None) -> EnvChange:
    """Credentials for `name` (cache first), the AWS files its mode needs, and the EnvChange.
    `name` may be the account itself (an ad-hoc role). `previous` and its mode and region (see
    previous_state) are recorded for `letme back`."""
    return switch_to(settings, name, mode, region, mfa_code, force, previous, cached_only, previous_mode,
                     previous_region).change


def switch_to(settings: Settings, name: str | Account, mode: str | None, region: str | None,
              mfa_code: str | None, force: bool = False, previous: str | None = None, cached_only: bool = False,
              previous_mode: str | None = None, previous_region: str | None = None) -> Switched:
    """change_for, with what it used."""
    account = session.resolve(settings, name) if isinstance(name, str) else name
    mode = mode or settings.use_mode
    if mode != "env" and (own := switch.own_profile(settings, account)) is not None:
        # The profile letme would write is the user's own role profile the account came from: hand the
        # credentials over in the environment instead of writing over it.
        ui.info(f"'{account.name}' is your own profile '{validate.printable(own)}' in the AWS config, which letme "
                f"does not write over: using env mode instead of {mode}")
        mode = "env"
    chosen_region = switch.pick_region(settings, account, region)
    if cached_only:
        creds = session.cached(settings, account)
        if creds is None:
            raise LetmeError(f"no fresh cached credentials for '{account.name}'", exit_code=ExitCode.NOTHING)
    else:
        creds = session.credentials_for(settings, account, mfa_code)
    switch.sync_files(switch.profile_for(settings, account, mode, chosen_region, creds), force)
    change = switch.env_change(settings, account, mode, chosen_region, creds, previous, previous_mode, previous_region)
    ttl = ttl_text(creds.seconds_left(int(time.time())))  # whole seconds, as the prompt
    ui.info(f"using {account.name} ({mode} mode, {chosen_region}), credentials valid for {ttl}")
    return Switched(change, account, creds, ttl)


def emit(shell: Shell, change: EnvChange) -> None:
    sys.stdout.write(shell.render(change))
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    shell = target_shell(args, "use")
    adhoc = None
    if args.role_arn or args.name or args.external_id:  # a role outside the catalog (adhoc.py); no ACCOUNT
        settings = _common.settings(args)
        adhoc = _common.adhoc_account(args, settings)
    if args.account == "-":  # as `cd -`: the previous account, in its mode and region
        from letme_shell.commands import back

        change = back.change_back(args, args.mode, args.region)
        emit(shell, change)
        history.remember(change)
        return 0
    # An ad-hoc role's use is not recorded for hot.py's answer: it writes the alias's record (below) as well.
    seen = None if adhoc is not None else hot.recording(getattr(args, "argv", None))
    if adhoc is not None:
        chosen: str | Account = adhoc
    elif args.account is None:
        settings = _common.settings(args)
        chosen = pick(settings)
        confirm_production(settings, chosen, args.yes)
    else:  # `letme use ""` is an error, not the picker
        settings, chosen = _common.settings_for(args, args.account)
        confirm_production(settings, chosen, args.yes)
    previous, previous_mode, previous_region = previous_state()
    switched = switch_to(settings, chosen, args.mode, args.region, args.mfa_code, args.force, previous=previous,
                         previous_mode=previous_mode, previous_region=previous_region)
    if adhoc is not None:
        from letme_shell import adhoc as adhoc_roles

        # What names the alias later without its ARNs (back, the prompt's refresh, status) assumes this chain.
        adhoc_roles.remember(settings, adhoc)
    emit(shell, switched.change)
    history.remember(switched.change)  # the picker and TAB offer recent accounts first
    # A catalog older than catalog_max_age: renewed by a detached `letme init`, never waited for.
    catalog.renew_if_old(settings, settings.catalog_max_age, getattr(args, "config", None))
    if seen is not None:
        hot.remember_use(args.argv, seen, settings, shell, switched)
    return 0

"""`use`: account + mode → the file writes that mode needs, and the EnvChange for the shell.

Modes:
- process: `[profile X]` runs `letme credential-process X`; AWS_PROFILE=X. Every
  SDK refreshes by itself, long-running programs included.
- profile: the temporary keys under `[X]` in the credentials file; AWS_PROFILE=X.
- env: the keys themselves in the environment; AWS_PROFILE unset.

What the prompt compares to tell a stale identity (`[aws:example1 ≠ default]`): in process and
profile modes AWS_PROFILE must equal LETME_ACCOUNT and no AWS_ACCESS_KEY_ID may be set (static
keys beat any profile); in env mode AWS_ACCESS_KEY_ID must equal LETME_ACCESS_KEY_ID.
"""

from __future__ import annotations

import os
import shlex
import sys

from letme_shell import awsfiles, envchange, naming, paths, validate
from letme_shell.catalog import Account
from letme_shell.config import Settings
from letme_shell.credentials import Credentials
from letme_shell.envchange import MANAGED, EnvChange
from letme_shell.errors import LetmeError


def letme_command() -> list[str]:
    """How another program (an SDK running credential_process) can start this letme."""
    argv0 = sys.argv[0]
    if os.path.basename(argv0) == "letme" and os.path.isfile(argv0):
        return [os.path.abspath(argv0)]
    import shutil  # only when not started as `letme`: shutil costs ~3 ms at start-up

    found = shutil.which("letme")
    return [found] if found else [sys.executable, "-m", "letme_shell"]


def process_command(settings: Settings, account: str | Account) -> str:
    """The profile's credential_process: pinned to this config file (absolute: an SDK may start
    anywhere, with other XDG variables, or from cron) and this context, and carrying the origin,
    so `credential-process` refuses to answer for a config that now means another account.
    An ad-hoc role (adhoc.py) is named by its ARNs, so the SDK's renewals assume that same chain."""
    if isinstance(account, str):
        named = [account]
    elif account.is_adhoc:
        from letme_shell import adhoc  # only then: not on the cached `use` of a catalog account

        named = adhoc.command_args(account)  # `--name ALIAS` first: hot.py names its record by it
    else:
        named = [account.name]
    argv = [*letme_command(), "credential-process", *named, "--context", settings.context,
            "--config", os.path.abspath(settings.path), "--origin", settings.origin()]
    if settings.role_session_name:  # the SDK's renewals keep the session name `use` was given
        argv += ["--role-session-name", settings.role_session_name]
    # botocore splits credential_process with POSIX shell rules.
    return shlex.join(argv)


def pick_region(settings: Settings, account: Account, region: str | None) -> str:
    if region is not None:
        if not validate.is_region(region):
            raise LetmeError(f"'{validate.printable(region)}' is not an AWS region name", "e.g. --region eu-west-1")
        return region
    return account.regions[0] if account.regions else settings.aws_source_profile_region


def own_profile(settings: Settings, account: Account) -> str | None:
    """The user's role profile an account of ~/.aws/config came from, when the profile letme would write for
    the account has that very name (`dev` in [general]); None otherwise. letme never writes over it, not even
    with --force: the account would be gone from the next `init`."""
    via = account.via
    if via is not None and naming.qualified(account.name, settings.context) == via.profile:
        return str(via.profile)
    return None


def refuse_own_profile(settings: Settings, account: Account) -> None:
    profile = own_profile(settings, account)
    if profile is not None:
        raise LetmeError(f"'{account.name}' is your own profile [profile {validate.printable(profile)}] in "
                         f"{paths.aws_config_file()}, which letme read it from and never writes over",
                         f"use --profile {validate.printable(profile)} as it is, or 'letme exec {account.name} -- …' "
                         "/ 'letme use --mode env' for letme's cached credentials")


def profile_for(settings: Settings, account: Account, mode: str, region: str,
                creds: Credentials) -> awsfiles.Profile | None:
    """The AWS profile `mode` needs, named `account[@context]` (see naming), or None (env mode)."""
    if mode != "env":
        refuse_own_profile(settings, account)
    if mode == "process":
        return process_profile(settings, account, region)
    name = naming.qualified(account.name, settings.context)
    if mode == "profile":
        return awsfiles.profile_for(name, settings.origin(), region, creds=creds)
    return None


def process_profile(settings: Settings, account: Account, region: str) -> awsfiles.Profile:
    """`[profile X]` running `letme credential-process X` (process mode, and `obtain --credential-process`);
    no section in the credentials file, whose static keys botocore would read first."""
    refuse_own_profile(settings, account)
    return awsfiles.profile_for(naming.qualified(account.name, settings.context), settings.origin(), region,
                                process_command=process_command(settings, account))


def sync_files(profile: awsfiles.Profile | None, force: bool) -> None:
    # The cheap check (stdlib only) keeps a repeated `use` from writing or locking.
    if profile is not None and not awsfiles.up_to_date(profile, force):
        awsfiles.write(profile, force)


def env_change(settings: Settings, account: Account, mode: str, region: str, creds: Credentials,
               previous: str | None, previous_mode: str | None = None, previous_region: str | None = None
               ) -> EnvChange:
    """`previous` (LETME_ACCOUNT before this switch), with its mode and region, is where `letme back` goes."""
    change = EnvChange({name: None for name in MANAGED})
    # The profile name and what the prompt shows: `example1` in [general], `example1@b` in context b.
    name = naming.qualified(account.name, settings.context)
    if mode == "env":
        change.set("AWS_ACCESS_KEY_ID", creds.access_key_id)
        change.set("AWS_SECRET_ACCESS_KEY", creds.secret_access_key)
        change.set("AWS_SESSION_TOKEN", creds.session_token)
        change.set("LETME_ACCESS_KEY_ID", creds.access_key_id)
    else:
        change.set("AWS_PROFILE", name)
    change.set("AWS_REGION", region)
    change.set("AWS_DEFAULT_REGION", region)
    change.set("AWS_CREDENTIAL_EXPIRATION", creds.expiration)
    change.set("LETME_ACCOUNT", name)
    change.set("LETME_ACTIVE_CONTEXT", settings.context)
    change.set("LETME_MODE", mode)
    change.set("LETME_EXPIRES", str(creds.expires))
    # In process mode the SDK renews; the hook only has to follow the cache. The window is never more than a
    # share of the credentials' lifetime (Credentials.window), or short sessions would be renewed at once.
    change.set("LETME_REFRESH_AT", str(creds.refresh_at(settings.refresh_window)))
    if set(account.tags) & set(settings.production_tags):
        change.set("LETME_PROD", "1")
    if previous and previous != name:
        envchange.remember(change, previous, previous_mode, previous_region)
    return change

"""Account credentials: from the cache while they are fresh, else from STS, once.

`credentials_for` is what `obtain`, `use`, `exec`, `shell` and `credential-process`
share. Its cached path reads two small files and imports no boto3. A cold path
takes a per-account lock and looks at the cache again before calling STS, so 20
concurrent `credential-process` calls make one role chain, not 20. No lock is
held while a person is asked for an MFA code (see credentials_for).
"""

from __future__ import annotations

from collections.abc import Callable

from letme_shell import catalog, credentials, fsutil, validate
from letme_shell.catalog import Account
from letme_shell.config import Settings
from letme_shell.credentials import Credentials
from letme_shell.errors import ExitCode, LetmeError, MfaRequired


def resolve(settings: Settings, name: str, offline: bool = False) -> Account:
    """The account from the catalog cache, else read by key from DynamoDB (one GetItem, validated as a scanned
    item; the cache gains it); "did you mean" when the table does not have it either. `offline` (what the
    prompt runs) never reads DynamoDB: no cached entry is exit 3."""
    account = catalog.lookup(settings, name)
    if account is not None:
        return account
    # An alias `use --role-arn` recorded (adhoc.py): not in the catalog, whose names it may never take.
    from letme_shell import adhoc

    account = adhoc.recall(settings, name)
    if account is not None:
        return account
    account = _other_case(settings, name)
    if account is not None:
        return account
    if offline:
        raise LetmeError(f"'{validate.printable(name)}' is not in the catalog cache of context '{settings.context}'",
                         "run 'letme init'", ExitCode.NOTHING)
    if validate.is_account_name(name) and settings.dynamodb_table:
        account = _from_table(settings, name)
        if account is not None:
            return account
    raise catalog.unknown_account(settings.context, name)


def _from_table(settings: Settings, name: str) -> Account | None:
    """An account added to the table after the cache was made (or with no cache at all), read by key."""
    from letme_shell import catalog_sync, ui

    cached = catalog.header(settings.context) is not None
    try:
        account = catalog_sync.fetch_one(settings, name)
    except LetmeError as exc:
        if not cached:
            raise
        # With a cache, a table that cannot be read now still leaves "did you mean" to say.
        ui.warn(f"could not look '{name}' up in the table: {exc.message}")
        return None
    if account is not None and cached:
        try:
            if catalog.add(settings, account):
                ui.info(f"'{name}' is new in the table; added it to the catalog cache")
        except LetmeError as exc:  # a cache letme cannot write: the account still works this time
            ui.warn(f"could not add '{name}' to the catalog cache: {exc.message}")
    return account


def _other_case(settings: Settings, name: str) -> Account | None:
    """The one cached account whose name is `name` but for case (`EXAMPLE1`: example1), with a note saying
    so. Nothing when two differ only by case (Data, data), nor for any other near name: those get "did you
    mean", never a silent substitute."""
    if not validate.is_account_name(name):
        return None
    folded = name.casefold()
    same = [other for other in catalog.cached_names(settings.context) if other.casefold() == folded]
    if len(same) != 1:
        return None
    account = catalog.lookup(settings, same[0])
    if account is not None:
        from letme_shell import ui

        ui.info(f"using '{account.name}' for '{name}' (account names are case-sensitive)")
    return account


def for_account(settings: Settings, account: Account) -> Settings:
    """The settings the account's STS calls are made with. A role profile of ~/.aws/config (account.via) is
    assumed exactly as the profile says: from its own source profile (the root of its chain), with its
    mfa_serial (or none: never the context's mfa_arn, which belongs to another identity), duration_seconds and
    role_session_name; the context's values stand where the profile has none. The origin then names that
    source profile, so its credentials and MFA session are never taken for another's. Everything else is the
    context's own settings."""
    via = account.via
    if via is None:
        return settings
    # Settings(...) rather than copy.copy: this runs on the cached path, which does not import copy.
    values = settings._asdict()
    values.update(aws_source_profile=via.source_profile, mfa_arn=via.mfa_serial,
                  session_duration=via.duration or settings.session_duration)
    if via.session_name:
        values["session_name"] = via.session_name
    return Settings(**values, role_session_name=settings.role_session_name)


def _fingerprint(settings: Settings, account: Account) -> str:
    # The origin (context, table, hub region, source profile) and everything that shapes the chain.
    parts: list[object] = [settings.origin(), settings.endpoint(), settings.mfa_arn, settings.session_duration,
                           account.roles]
    # Named sessions and external ids only when set, so entries made without them keep their fingerprint.
    named = settings.role_session_name or settings.session_name
    external = getattr(account, "external_ids", ())
    if named or any(external):
        parts += [named, list(external)]
    return credentials.fingerprint(*parts)


def cached(settings: Settings, account: Account) -> Credentials | None:
    """Fresh cached credentials (valid beyond the refresh window), or None."""
    settings = for_account(settings, account)
    creds = latest(settings, account)
    return creds if creds is not None and creds.fresh(settings.refresh_window) else None


def latest(settings: Settings, account: Account) -> Credentials | None:
    """The account's cached credentials for this origin, fresh or not (None when there are none)."""
    settings = for_account(settings, account)
    path = credentials.account_cache_file(settings.context, account.name)
    return credentials.store(settings).read(path, _fingerprint(settings, account))


def credentials_for(settings: Settings, account: Account, mfa_code: str | None = None,
                    renew: bool = False, codes: Callable[[str], str] | None = None) -> Credentials:
    """`codes` replaces the terminal prompt for MFA codes (the background refresh must never ask).

    A person is asked with no lock held: an attempt under the account's lock that needs a code it
    does not have (or whose code AWS refused) lets go of every lock (sts.CodeNeeded), the code is
    asked, and the attempt starts again by looking at the cache, which another letme may have
    filled meanwhile. --mfa-code is the first attempt's code, so concurrent callers given one
    still make one MFA session and one role chain.
    """
    settings = for_account(settings, account)
    if not renew and (creds := cached(settings, account)) is not None:
        return creds
    from letme_shell import aws, sts

    # The source profile's own credentials first, with no lock held: a role source asks for its code here.
    aws.prepare_source(settings)
    ask = codes or sts.terminal_code_source(_refresh_command(settings, account), settings)
    path = credentials.account_cache_file(settings.context, account.name)
    code, rejected, ended = mfa_code, 0, None
    # Each round asks at most one code; a round without a rejection needs no second one.
    for _ in range(2 * sts.MFA_TRIES + 1):
        with fsutil.locked(path):
            # Another process may have done the work while this one waited for the lock or a code.
            if not renew and (creds := cached(settings, account)) is not None:
                return creds
            try:
                creds = sts.obtain(settings, account, code, ended)
            except sts.CodeNeeded as need:
                reason, refused, ended = need.reason, need.rejected, need.ended
            else:
                credentials.store(settings).write(path, _fingerprint(settings, account), creds)
                return creds
        # Every lock is released: the person may take as long as they need.
        if refused:
            rejected += 1
            if rejected == sts.MFA_TRIES:
                raise sts.rejected_code(settings, rejected)
        try:
            code = ask(reason)
        except MfaRequired:
            if rejected:  # a wrong --mfa-code and no terminal to ask again: the code is the problem
                raise sts.rejected_code(settings, rejected) from None
            raise
    raise LetmeError(f"AWS kept asking for new MFA codes for '{account.name}'", "try again in a minute")


def _refresh_command(settings: Settings, account: Account) -> str:
    """What to run in the foreground to get a new code entered, for the background's message."""
    from letme_shell import naming

    return f"letme refresh {naming.qualified(account.name, settings.context)}"


def forget(settings: Settings, name: str) -> bool:
    from letme_shell import adhoc, hot

    hot.forget(name)  # the recorded answers hold the same keys
    recorded = adhoc.forget(settings, name)  # an ad-hoc role's chain, recorded by `use --role-arn`
    return credentials.store(settings).forget(credentials.account_cache_file(settings.context, name)) or recorded

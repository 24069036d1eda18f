"""Account credentials: from the cache while they are fresh, else from STS, once.

`credentials_for` is what `obtain`, `use`, `exec`, `shell` and `credential-process`
share. Its cached path reads two small files and imports no boto3. A cold path
takes a per-account lock and looks at the cache again before calling STS, so 20
concurrent `credential-process` calls make one role chain, not 20.
"""

from __future__ import annotations

from collections.abc import Callable

from letme_shell import catalog, credentials, fsutil, validate
from letme_shell.catalog import Account
from letme_shell.config import Settings
from letme_shell.credentials import Credentials


def resolve(settings: Settings, name: str) -> Account:
    """The account from the catalog cache, else read by key from DynamoDB; "did you mean" when unknown."""
    account = catalog.lookup(settings, name)
    if account is not None:
        return account
    if catalog.info(settings.context) is None and validate.is_account_name(name):
        from letme_shell import catalog_sync

        account = catalog_sync.fetch_one(settings, name)
        if account is not None:
            return account
    raise catalog.unknown_account(settings.context, name)


def _fingerprint(settings: Settings, account: Account) -> str:
    # The origin (context, table, hub region, source profile) and everything that shapes the chain.
    return credentials.fingerprint(settings.origin(), settings.endpoint(), settings.mfa_arn,
                                   settings.session_duration, account.roles)


def cached(settings: Settings, account: Account) -> Credentials | None:
    """Fresh cached credentials (valid beyond the refresh window), or None."""
    path = credentials.account_cache_file(settings.context, account.name)
    creds = credentials.read(path, _fingerprint(settings, account))
    return creds if creds is not None and creds.fresh(settings.refresh_window) else None


def credentials_for(settings: Settings, account: Account, mfa_code: str | None = None,
                    renew: bool = False, codes: Callable[[str], str] | None = None) -> Credentials:
    """`codes` replaces the terminal prompt for MFA codes (the background refresh must never ask)."""
    if not renew and (creds := cached(settings, account)) is not None:
        return creds
    from letme_shell import sts

    path = credentials.account_cache_file(settings.context, account.name)
    with fsutil.locked(path):
        # Another process may have done the work while this one waited for the lock.
        if not renew and (creds := cached(settings, account)) is not None:
            return creds
        creds = sts.obtain(settings, account, codes or sts.terminal_code_source(mfa_code))
        credentials.write(path, _fingerprint(settings, account), creds)
        return creds


def forget(settings: Settings, name: str) -> bool:
    return credentials.forget(credentials.account_cache_file(settings.context, name))

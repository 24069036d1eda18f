"""STS: the reusable MFA session and the role-chain hops.

With `mfa_arn` set, letme first trades the source keys and an MFA code for an
MFA session (GetSessionToken), cached for `mfa_session_duration`; the first
AssumeRole is then made with that session, so later switches and refreshes need
no new code until it ends. Hops 2..N use the previous hop's credentials; AWS caps
such chained sessions at one hour, so their duration is capped here, with a note,
instead of failing at hop 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from letme_shell import aws, credentials, fsutil, ui
from letme_shell.catalog import Account
from letme_shell.config import Settings
from letme_shell.credentials import Credentials
from letme_shell.errors import AwsError, LetmeError, MfaRequired

CHAINED_MAX = 3600
MFA_TRIES = 3

# Returns a 6-digit code; raises MfaRequired when none can be had.
CodeSource = Callable[[str], str]


def terminal_code_source(preset: str | None = None) -> CodeSource:
    """Codes from --mfa-code once, then from the terminal (never stdin/stdout)."""
    pending = [preset] if preset else []

    def ask(reason: str) -> str:
        if pending:
            return pending.pop()
        for _ in range(MFA_TRIES):
            try:
                code = ui.ask_tty(f"{reason}\nMFA code: ")
            except ui.NoTerminal:
                raise MfaRequired(
                    "an MFA code is needed and there is no terminal to ask on",
                    "run 'letme obtain ACCOUNT' in a terminal first, or pass --mfa-code",
                ) from None
            if re.fullmatch(r"\d{6}", code):
                return code
            ui.warn("an MFA code is 6 digits")
        raise LetmeError("no valid MFA code was entered", "try again with the code your MFA device shows")

    return ask


def _mfa_fingerprint(settings: Settings) -> str:
    return credentials.fingerprint(settings.origin(), settings.endpoint(), settings.mfa_arn)


def mfa_session(settings: Settings, codes: CodeSource, force: bool = False) -> Credentials:
    """The cached MFA session, or a new one from GetSessionToken with a code."""
    assert settings.mfa_arn
    path = credentials.mfa_cache_file(settings.context)
    fingerprint = _mfa_fingerprint(settings)
    with fsutil.locked(path):  # one prompt, even when several accounts are obtained at once
        cached = None if force else credentials.read(path, fingerprint)
        if cached and cached.fresh(settings.refresh_window):
            return cached
        reason = ("your MFA session has ended; AWS needs a new code" if cached
                  else f"letme needs a code from {settings.mfa_arn}")
        client = aws.client(settings, "sts")
        for attempt in range(1, MFA_TRIES + 1):
            code = _next_code(codes, reason, attempt, settings)
            try:
                with aws.explained("getting an MFA session (sts:GetSessionToken)", settings):
                    response = _get_session_token(client, settings, code)
            except AwsError as exc:
                # Only a rejected code is worth another code; throttling or bad keys are not.
                if not aws.is_bad_mfa_code(exc):
                    raise
                if attempt == MFA_TRIES:
                    raise _rejected_code(settings, MFA_TRIES) from None
                reason = "AWS rejected that MFA code; wait for the next one"
                continue
            session = Credentials.from_sts(response["Credentials"])
            credentials.write(path, fingerprint, session)
            return session
    raise AssertionError("unreachable")


def _rejected_code(settings: Settings, times: int) -> AwsError:
    what = "the MFA code" if times == 1 else f"the MFA code {times} times"
    return AwsError(f"AWS rejected {what} (MultiFactorAuthentication failed)",
                    f"use the current code of {settings.mfa_arn}; if codes keep failing, check the clock of the device",
                    code="AccessDenied")


def _next_code(codes: CodeSource, reason: str, attempt: int, settings: Settings) -> str:
    try:
        return codes(reason)
    except MfaRequired:
        if attempt == 1:
            raise
        # The --mfa-code was wrong and there is no terminal to ask for another: say so, not "no terminal".
        raise _rejected_code(settings, attempt - 1) from None


def _get_session_token(client: Any, settings: Settings, code: str | None) -> Any:
    kwargs: dict[str, Any] = {"DurationSeconds": settings.mfa_session_duration}
    if code is not None:
        kwargs.update(SerialNumber=settings.mfa_arn, TokenCode=code)
    return client.get_session_token(**kwargs)


def _assume(settings: Settings, account: Account, hop: int, role: str, creds: Credentials | None,
            duration: int, mfa_code: str | None) -> Credentials:
    region = account.regions[0] if hop > 1 and account.regions else settings.aws_source_profile_region
    client = aws.client(settings, "sts", credentials=creds, region=region)
    kwargs: dict[str, Any] = {"RoleArn": role, "RoleSessionName": settings.session_name_for(account.name),
                              "DurationSeconds": duration}
    if mfa_code is not None:
        kwargs.update(SerialNumber=settings.mfa_arn, TokenCode=mfa_code)
    total = len(account.roles)
    with aws.explained(f"hop {hop}/{total} (sts:AssumeRole {role})", settings,
                       hint=f"check that the previous identity may assume {role} and that its trust policy allows it"):
        response = client.assume_role(**kwargs)
    return Credentials.from_sts(response["Credentials"])


def _assume_with_code(settings: Settings, account: Account, role: str, duration: int,
                      codes: CodeSource) -> Credentials:
    """Hop 1 with the MFA code sent along (mfa_session = false): a rejected code is asked again."""
    reason = f"letme needs a code from {settings.mfa_arn}"
    for attempt in range(1, MFA_TRIES + 1):
        code = _next_code(codes, reason, attempt, settings)
        try:
            return _assume(settings, account, 1, role, None, duration, code)
        except AwsError as exc:
            if not aws.is_bad_mfa_code(exc):
                raise
            reason = "AWS rejected that MFA code; wait for the next one"
    raise _rejected_code(settings, MFA_TRIES)


def obtain(settings: Settings, account: Account, codes: CodeSource) -> Credentials:
    """New credentials for `account`: its role chain, or a plain session when it has no roles."""
    use_mfa_session = bool(settings.mfa_arn) and settings.mfa_session
    first: Credentials | None = mfa_session(settings, codes) if use_mfa_session else None

    if not account.roles:
        if first is not None:
            return first
        client = aws.client(settings, "sts")
        code = codes(f"letme needs a code from {settings.mfa_arn}") if settings.mfa_arn else None
        with aws.explained("getting a session (sts:GetSessionToken)", settings):
            response = _get_session_token(client, settings, code)
        return Credentials.from_sts(response["Credentials"])

    if len(account.roles) > 1 and settings.session_duration > CHAINED_MAX:
        ui.info(f"hops 2..{len(account.roles)} last at most 1 hour (AWS caps chained roles), "
                f"not session_duration={settings.session_duration}")
    creds = first
    for hop, role in enumerate(account.roles, start=1):
        duration = settings.session_duration if hop == 1 else min(settings.session_duration, CHAINED_MAX)
        if hop == 1 and settings.mfa_arn and not use_mfa_session:
            creds = _assume_with_code(settings, account, role, duration, codes)
            continue
        try:
            creds = _assume(settings, account, hop, role, creds, duration, None)
        except AwsError as exc:
            if hop == 1 and first is not None and aws.is_expired_token(exc):
                # The cached MFA session died early (revoked keys); one new code, then once more.
                first = mfa_session(settings, codes, force=True)
                creds = _assume(settings, account, hop, role, first, duration, None)
            else:
                raise
    assert creds is not None
    return creds

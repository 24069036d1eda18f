"""STS: the reusable MFA session and the role-chain hops.

With `mfa_arn` set, letme first trades the source keys and an MFA code for an
MFA session (GetSessionToken), cached for `mfa_session_duration`; the first
AssumeRole is then made with that session, so later switches and refreshes need
no new code until it ends. Hops 2..N use the previous hop's credentials; AWS caps
such chained sessions at one hour, so their duration is capped here, with a note,
instead of failing at hop 2.

Nothing here asks a person for a code: it runs under letme's locks, and a lock held
while someone reads their MFA device (or never answers a background job's prompt)
would stall every other letme. An attempt that needs a code it was not given raises
CodeNeeded; session.credentials_for asks with no lock held and tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from letme_shell import aws, config, credentials, fsutil, source, ui, validate
from letme_shell.catalog import Account
from letme_shell.config import Settings
from letme_shell.credentials import Credentials
from letme_shell.errors import AwsError, LetmeError, MfaRequired

CHAINED_MAX = config.CHAINED_MAX
MFA_TRIES = 3

# Asks a person for a 6-digit code, given why; raises MfaRequired when none can be had.
CodeSource = Callable[[str], str]

REJECTED = "AWS rejected that MFA code; wait for the next one"


class CodeNeeded(Exception):
    """STS needs an MFA code this attempt was not given (or AWS refused the one it was given).

    Raised out of every lock, so that the caller (session.credentials_for) asks the person with
    nothing held and then makes the attempt again: a person may take minutes, or never answer.
    """

    def __init__(self, reason: str, rejected: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.rejected = rejected  # AWS refused the code this attempt sent; it is spent
        self.ended: str | None = None  # the access key of a cached MFA session AWS refused, not to be used again


def terminal_code_source(refresh_command: str = "letme refresh", settings: Settings | None = None) -> CodeSource:
    """Codes from the terminal (never stdin/stdout), and only from its foreground. With `settings`, STS
    is first checked to be reachable (check_reachable): nobody types a code for an endpoint that is not there."""
    checked = settings is None

    def ask(reason: str) -> str:
        nonlocal checked
        if not checked and ui.foreground_terminal():
            checked = True
            assert settings is not None
            check_reachable(settings)
        for _ in range(MFA_TRIES):
            try:
                typed = ui.ask_tty(f"{reason}\nMFA code: ")
            except ui.NotForeground:
                raise MfaRequired(
                    "an MFA code is needed, and this letme runs in the background of its terminal, "
                    "where it may not ask",
                    f"run '{refresh_command}' in the foreground, then try again (or pass --mfa-code)",
                ) from None
            except ui.NoTerminal:
                raise MfaRequired(
                    "an MFA code is needed and there is no terminal to ask on",
                    "run 'letme obtain ACCOUNT' in a terminal first, or pass --mfa-code",
                ) from None
            except ui.NoAnswer:
                raise LetmeError("no MFA code was entered (the input ended)",
                                 "run the command again and type the code your MFA device shows") from None
            code = validate.mfa_code(typed)
            if code is not None:
                return code
            ui.warn("an MFA code is 6 digits (123456, 123 456 or 123-456)")
        raise LetmeError("no valid MFA code was entered", "try again with the code your MFA device shows")

    return ask


def check_reachable(settings: Settings) -> None:
    """Can a TCP connection be made to the STS endpoint letme is about to use, or to the proxy botocore would
    go through to it? Asked before a person types a code: an endpoint that is not there otherwise showed
    only after the code was typed and botocore's retries ran out (9.5 s). One connect, of at most
    aws.CONNECT_TIMEOUT, within the command's deadline; an AwsError naming what could not be reached."""
    import socket
    import urllib.parse

    from botocore.utils import get_environ_proxies  # the proxy rules botocore itself applies

    url = aws.client(settings, "sts").meta.endpoint_url
    parts = urllib.parse.urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"  # never a user:password@
    target, what = parts, shown
    hint = "check the network and endpoint_url / AWS_ENDPOINT_URL"
    proxy = get_environ_proxies(url).get(parts.scheme)
    if proxy:
        target = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        what = f"the proxy {target.scheme}://{target.netloc.rpartition('@')[2]} for {shown}"
        hint = "check HTTPS_PROXY / HTTP_PROXY and NO_PROXY, and the network"
    try:
        port = target.port or (443 if target.scheme == "https" else 80)
    except ValueError:
        raise AwsError(f"cannot reach {what}: its port is not a number", hint, code="Unreachable") from None
    timeout = min(aws.CONNECT_TIMEOUT, aws.timeout_seconds(settings))
    try:
        with aws.Deadline(f"reaching {what}", settings):
            # The name first, in a thread the deadline can interrupt (getaddrinfo blocks in C, out of SIGALRM's
            # reach), as before every AWS request; then the connect itself, bounded by `timeout` and the timer.
            aws._resolve_within_deadline(target.hostname or "")
            socket.create_connection((target.hostname or "", port), timeout=timeout).close()
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        raise AwsError(f"cannot reach {what} ({reason}); no MFA code was asked for", hint,
                       code="Unreachable") from None


def _one_code(code: str | None) -> Callable[[str], str]:
    """The code of one attempt, at most once (a one-time code is spent when sent); CodeNeeded without one."""
    pending = [code] if code else []

    def take(reason: str) -> str:
        if pending:
            return pending.pop()
        raise CodeNeeded(reason)

    return take


def _mfa_fingerprint(settings: Settings) -> str:
    return credentials.fingerprint(settings.origin(), settings.endpoint(), settings.mfa_arn)


def mfa_session(settings: Settings, take: Callable[[str], str],
                ended: str | None = None) -> tuple[Credentials, bool]:
    """The cached MFA session (and True), or a new one from GetSessionToken (and False).

    `ended` is the access key of a cached session AWS has refused (revoked keys): it is not used
    again, though it stays in the cache until a new one replaces it. The lock makes concurrent
    callers share one GetSessionToken; it is never held while a person is asked: without a code,
    `take` raises CodeNeeded, which leaves the lock.
    """
    assert settings.mfa_arn
    path = credentials.mfa_cache_file(settings.context)
    fingerprint = _mfa_fingerprint(settings)
    store = credentials.store(settings)
    with fsutil.locked(path):
        cached = store.read(path, fingerprint)
        if cached is not None and cached.access_key_id != ended and cached.fresh(settings.refresh_window):
            return cached, True
        reason = ("your MFA session has ended; AWS needs a new code" if cached
                  else f"letme needs a code from {settings.mfa_arn}")
        response = _session_token(settings, take(reason), "getting an MFA session (sts:GetSessionToken)")
        session = _issued(response)
        store.write(path, fingerprint, session)
        return session, False


def rejected_code(settings: Settings, times: int) -> AwsError:
    what = "the MFA code" if times == 1 else f"the MFA code {times} times"
    device = source.effective(settings).mfa_arn  # the device letme found, when mfa_arn is not set
    return AwsError(f"AWS rejected {what} (MultiFactorAuthentication failed)",
                    f"use the current code of {device}; if codes keep failing, check the clock of the device",
                    code="AccessDenied")


def _issued(response: Any) -> Credentials:
    """The credentials of an STS answer, their expiry in this machine's clock (see Credentials.from_sts)."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return Credentials.from_sts(response["Credentials"], headers.get("date"))


def _session_token(settings: Settings, code: str | None, what: str) -> Any:
    """GetSessionToken with `code`; a rejected code is CodeNeeded: only that is worth another code
    (throttling or bad keys are not)."""
    client = aws.client(settings, "sts")
    try:
        with aws.explained(what, settings):
            return _get_session_token(client, settings, code)
    except AwsError as exc:
        if aws.is_bad_mfa_code(exc):
            raise CodeNeeded(REJECTED, rejected=True) from None
        raise


def _get_session_token(client: Any, settings: Settings, code: str | None) -> Any:
    kwargs: dict[str, Any] = {"DurationSeconds": settings.mfa_session_duration}
    if code is not None:
        kwargs.update(SerialNumber=settings.mfa_arn, TokenCode=code)
    return client.get_session_token(**kwargs)


def _assume(settings: Settings, account: Account, hop: int, role: str, creds: Credentials | None,
            duration: int, mfa_code: str | None) -> Credentials:
    region = account.regions[0] if hop > 1 and account.regions else settings.aws_source_profile_region
    client = aws.client(settings, "sts", credentials=creds, region=region)
    kwargs: dict[str, Any] = {"RoleArn": role, "RoleSessionName": source.session_name(settings, account.name),
                              "DurationSeconds": duration}
    if mfa_code is not None:
        kwargs.update(SerialNumber=settings.mfa_arn, TokenCode=mfa_code)
    if account.external_ids and account.external_ids[hop - 1]:  # the catalog's external_id of this hop
        kwargs["ExternalId"] = account.external_ids[hop - 1]
    total = len(account.roles)
    with aws.explained(f"hop {hop}/{total} (sts:AssumeRole {role})", settings,
                       hint=f"check that the previous identity may assume {role} and that its trust policy allows it"):
        response = client.assume_role(**kwargs)
    return _issued(response)


def _assume_with_code(settings: Settings, account: Account, role: str, duration: int,
                      take: Callable[[str], str]) -> Credentials:
    """Hop 1 with the MFA code sent along (mfa_session = false)."""
    code = take(f"letme needs a code from {settings.mfa_arn}")
    try:
        return _assume(settings, account, 1, role, None, duration, code)
    except AwsError as exc:
        if aws.is_bad_mfa_code(exc):
            raise CodeNeeded(REJECTED, rejected=True) from None
        raise


def obtain(settings: Settings, account: Account, code: str | None = None, ended: str | None = None) -> Credentials:
    """New credentials for `account`: its role chain, or a plain session when it has no roles.

    `code` is the MFA code this attempt may send (once). Never asks anyone: when AWS needs a code
    it does not have, or refuses the one it has, CodeNeeded (see session.credentials_for); its
    `ended` names a cached MFA session AWS refused, to pass to the next attempt.
    """
    # mfa_arn only where it applies (an IAM user's keys); the device letme found when it is not set.
    settings = source.effective(settings)
    take = _one_code(code)
    use_mfa_session = bool(settings.mfa_arn) and settings.mfa_session
    try:
        first, reused = mfa_session(settings, take, ended) if use_mfa_session else (None, False)
    except CodeNeeded as need:
        need.ended = ended
        raise

    if not account.roles:
        if first is not None:
            return first
        if not source.identify(settings).long_term:
            found = source.identify(settings)
            raise LetmeError(f"'{account.name}' has no roles: letme would hand out a plain session "
                             "(sts:GetSessionToken), which only an IAM user's keys can get, and the source profile "
                             f"'{settings.aws_source_profile}' is {found.label}",
                             "add the account's role to its catalog item, or use a source profile with IAM user keys")
        sent = take(f"letme needs a code from {settings.mfa_arn}") if settings.mfa_arn else None
        return _issued(_session_token(settings, sent, "getting a session (sts:GetSessionToken)"))

    if len(account.roles) > 1 and settings.session_duration > CHAINED_MAX:
        ui.info(f"hops 2..{len(account.roles)} last at most 1 hour (AWS caps chained roles), "
                f"not session_duration={settings.session_duration}")
    creds = first
    total = len(account.roles)
    if total > 1:
        ui.progress(f"Total hops: {total}")
    for hop, role in enumerate(account.roles, start=1):
        if total > 1:
            ui.progress(f"[{hop}/{total}] {role}")
        duration = settings.session_duration if hop == 1 else min(settings.session_duration, CHAINED_MAX)
        if hop == 1 and settings.mfa_arn and not use_mfa_session:
            creds = _assume_with_code(settings, account, role, duration, take)
            continue
        try:
            creds = _assume(settings, account, hop, role, creds, duration, None)
        except AwsError as exc:
            if hop == 1 and not settings.mfa_arn and aws.is_bad_mfa_code(exc) \
                    and (device := _found_device(settings)) is not None:
                # AWS wants MFA and mfa_arn is not set: the IAM user's own device (remembered from now on).
                settings = source.effective(settings)
                assert settings.mfa_arn == device
                if settings.mfa_session:
                    first, _ = mfa_session(settings, take)
                    creds = _assume(settings, account, hop, role, first, duration, None)
                else:
                    creds = _assume_with_code(settings, account, role, duration, take)
            elif hop == 1 and first is not None and reused and aws.is_expired_token(exc):
                # The cached MFA session died early (revoked keys): a new one (a new code), then once more.
                ended = first.access_key_id
                try:
                    first, _ = mfa_session(settings, take, ended)
                except CodeNeeded as need:
                    need.ended = ended
                    raise
                creds = _assume(settings, account, hop, role, first, duration, None)
            else:
                raise
    assert creds is not None
    return creds


def _found_device(settings: Settings) -> str | None:
    """The source IAM user's MFA device, found when AWS asks for MFA (None for other sources)."""
    return source.find_device(settings) if source.identify(settings).long_term else None

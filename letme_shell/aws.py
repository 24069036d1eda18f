"""boto3 sessions and clients for the source identity, and AWS errors made readable.

boto3 costs ~370 ms to import, so it is imported inside these functions only:
the cheap paths (`use` and `credential-process` on cached credentials, `list`,
completion) never call them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from letme_shell.config import Settings
from letme_shell.errors import AwsError, LetmeError

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
# "standard" retries throttling and transient errors with jittered backoff; 4 attempts in all (the first
# included: botocore's "max_attempts" would count retries only) bound the wait.
MAX_ATTEMPTS = 4


_SESSIONS: dict[tuple[str, str], Any] = {}


def source_session(settings: Settings) -> boto3.Session:
    """One boto3 session per process: each new Session loads and parses botocore's service
    models again (tens of ms), and a 3-hop chain would otherwise build four."""
    key = (settings.aws_source_profile, settings.aws_source_profile_region)
    if key not in _SESSIONS:
        _SESSIONS[key] = _new_source_session(settings)
    return _SESSIONS[key]


def _new_source_session(settings: Settings) -> boto3.Session:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=settings.aws_source_profile, region_name=settings.aws_source_profile_region)
    except botocore.exceptions.ProfileNotFound:
        if settings.aws_source_profile == "default":
            # No [default] profile: fall back to the standard chain (environment, SSO, instance role).
            return boto3.Session(region_name=settings.aws_source_profile_region)
        raise LetmeError(
            f"the source profile '{settings.aws_source_profile}' is not in your AWS config or credentials files",
            "set aws_source_profile in the letme config to a profile that has credentials",
        ) from None


def client(settings: Settings, service: str, session: Any = None, credentials: Any = None,
           region: str | None = None) -> Any:
    import botocore.exceptions

    try:
        return _client(settings, service, session, credentials, region)
    except botocore.exceptions.ConfigParseError as exc:
        # botocore reads both AWS files to build the source session; a broken one is the user's to fix.
        path = exc.kwargs.get("path", "an AWS config file")
        raise LetmeError(f"{path} is not a valid INI file (the AWS SDKs cannot read it either)",
                         "fix the file so the AWS CLI can read it, then try again") from None


def _client(settings: Settings, service: str, session: Any, credentials: Any, region: str | None) -> Any:
    from botocore.config import Config

    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                    retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"})
    kwargs: dict[str, Any] = {"region_name": region or settings.aws_source_profile_region, "config": config}
    endpoint = settings.endpoint()
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    if credentials is not None:
        # Explicit keys on the client override the session's own credentials.
        kwargs.update(aws_access_key_id=credentials.access_key_id,
                      aws_secret_access_key=credentials.secret_access_key,
                      aws_session_token=credentials.session_token)
    if session is None:
        session = source_session(settings)
    return session.client(service, **kwargs)


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def is_bad_mfa_code(exc: AwsError) -> bool:
    """AWS's answer to a wrong or reused one-time code (AccessDenied naming MFA)."""
    message = exc.aws_message.lower()
    return exc.code == "AccessDenied" and ("mfa" in message or "multifactor" in message)


def is_expired_token(exc: AwsError) -> bool:
    return exc.code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired")


@contextlib.contextmanager
def explained(what: str, settings: Settings, hint: str | None = None) -> Iterator[None]:
    """Turn botocore's exceptions into one readable LetmeError naming `what` failed."""
    import botocore.exceptions as bex
    from botocore.parsers import ResponseParserError  # not a BotoCoreError

    try:
        yield
    except bex.ClientError as exc:
        code = error_code(exc) or "Error"
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        # The cause-specific hints win over the caller's, which is about permissions (AccessDenied).
        if code in ("Throttling", "ThrottlingException", "RequestLimitExceeded"):
            hint = f"AWS is throttling; letme tried {MAX_ATTEMPTS} times. Wait a moment and try again"
        elif code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
                      "SignatureDoesNotMatch"):
            hint = (f"the keys of profile '{settings.aws_source_profile}' are expired or invalid; "
                    "renew them (aws configure, aws sso login)")
        raise AwsError(f"{what} failed: {code}: {message}", hint, code=code, aws_message=message) from None
    except bex.NoCredentialsError:
        raise AwsError(f"{what} failed: no credentials for profile '{settings.aws_source_profile}'",
                       "add keys to that profile (aws configure) or set aws_source_profile") from None
    except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError) as exc:
        where = settings.endpoint() or "AWS"
        raise AwsError(f"{what} failed: cannot reach {where} ({type(exc).__name__})",
                       "check your network, AWS_ENDPOINT_URL and endpoint_url") from None
    except ResponseParserError:
        # Not str(exc): it holds the answer as received, and an STS answer cut short still holds keys.
        where = settings.endpoint() or "AWS"
        raise AwsError(f"{what} failed: the answer from {where} could not be read (ResponseParserError: "
                       "cut short or garbled on the way)",
                       "try again; if it keeps failing, check proxies and the network between you and AWS") from None
    except bex.BotoCoreError as exc:
        raise AwsError(f"{what} failed: {_describe(exc)}") from None


# Fields of botocore's exceptions that name things, never carry payloads (error_msg, report and the
# exception's text may hold an answer or parameter values, keys included).
_SAFE_FIELDS = ("endpoint_url", "operation_name", "service_name", "region_name", "profile", "provider", "cred_var",
                "method", "path")


def _describe(exc: Exception) -> str:
    """A BotoCoreError by its class and its naming fields, e.g. 'CredentialRetrievalError (provider: process)'."""
    from letme_shell import validate

    fields = getattr(exc, "kwargs", None) or {}
    named = [f"{key}: {validate.printable(fields[key], 120)}" for key in _SAFE_FIELDS if fields.get(key)]
    return f"{type(exc).__name__} ({', '.join(named)})" if named else type(exc).__name__

"""boto3 sessions and clients for the source identity, and AWS errors made readable.

boto3 costs ~370 ms to import, so it is imported inside these functions only:
the cheap paths (`use` and `credential-process` on cached credentials, `list`,
completion) never call them.

Every AWS call of one command shares one deadline (`aws_timeout`, LETME_AWS_TIMEOUT;
20 s by default). Per-attempt timeouts alone do not bound a command: botocore retries a
read timeout, and a 3-hop chain makes four calls, so an endpoint that accepts connections
and never answers held letme for over a minute. On POSIX the deadline is a SIGALRM timer
around each call (see `Deadline`); elsewhere the per-attempt timeouts, capped by the
deadline, are the bound.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from letme_shell import validate
from letme_shell.config import Settings
from letme_shell.errors import AwsError, ExitCode, LetmeError

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
# "standard" retries throttling and transient errors with jittered backoff; 4 attempts in all (the first
# included: botocore's "max_attempts" would count retries only) bound the wait.
MAX_ATTEMPTS = 4
TIMEOUT_VARIABLE = "LETME_AWS_TIMEOUT"
TIMEOUT_RANGE = (1, 600)


_SESSIONS: dict[tuple[str, str], Any] = {}


def source_session(settings: Settings) -> boto3.Session:
    """One boto3 session per process: each new Session loads and parses botocore's service
    models again (tens of ms), and a 3-hop chain would otherwise build four."""
    key = (settings.aws_source_profile, settings.aws_source_profile_region)
    if key not in _SESSIONS:
        _SESSIONS[key] = _new_source_session(settings)
    return _SESSIONS[key]


def _check_aws_files() -> None:
    """botocore skips an AWS file that is a directory without a word, then reports missing credentials."""
    from letme_shell import paths

    for variable, path in (("AWS_SHARED_CREDENTIALS_FILE", paths.aws_credentials_file()),
                           ("AWS_CONFIG_FILE", paths.aws_config_file())):
        if path.is_dir():
            if os.environ.get(variable):
                raise LetmeError(f"{path} ({variable}) is a directory, not a file",
                                 f"point {variable} at the file itself, or unset it")
            raise LetmeError(f"{path} is a directory, not a file (the AWS SDKs cannot read it either)",
                             "move it aside and put the AWS file there")


def _new_source_session(settings: Settings) -> boto3.Session:
    import boto3
    import botocore.exceptions

    _check_aws_files()
    try:
        session = boto3.Session(profile_name=settings.aws_source_profile,
                                region_name=settings.aws_source_profile_region)
        return _held_keys_session(session, settings) or session
    except botocore.exceptions.ProfileNotFound:
        if settings.aws_source_profile == "default":
            # No [default] profile: fall back to the standard chain (environment, SSO, instance role).
            return boto3.Session(region_name=settings.aws_source_profile_region)
        raise LetmeError(
            f"the source profile '{settings.aws_source_profile}' is not in your AWS config or credentials files",
            "set aws_source_profile in the letme config to a profile that has credentials",
        ) from None


def _held_keys_session(session: boto3.Session, settings: Settings) -> boto3.Session | None:
    """A session on the keys `letme source add` moved into the keyring, when the source profile is one letme
    holds (its credential_process is letme's marker and the credentials file has no keys for it): the keys go
    to boto3 directly, not through a second letme process. None for any other profile."""
    from letme_shell import sourcekeys

    name = settings.aws_source_profile
    with _aws_files_read():
        profile = session._session.full_config.get("profiles", {}).get(name, {})
    if sourcekeys.KEY_ID in profile or not sourcekeys.is_marker(profile.get(sourcekeys.PROCESS), name):
        return None
    import boto3

    key_id, secret = sourcekeys.keys(name)
    return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                         region_name=settings.aws_source_profile_region)


_PREPARED: set[tuple[str, str]] = set()


def prepare_source(settings: Settings) -> None:
    """Resolve the source profile's credentials now, before any lock is taken, in one deadline.

    A source profile that is a role with `mfa_serial` makes botocore ask for a code with its own
    prompt, deep inside the first request. Here the question goes through letme's terminal
    prompt instead (foreground only; not in a background job), the clock of the deadline stops
    while the person types, and no lock of letme's is held meanwhile. Static keys cost nothing."""
    key = (settings.aws_source_profile, settings.aws_source_profile_region)
    if key in _PREPARED:
        return
    with _aws_files_read():
        session = source_session(settings)
    provider = session._session.get_component("credential_provider").get_provider("assume-role")
    if provider is not None and hasattr(provider, "_prompter"):  # botocore's AssumeRoleProvider(prompter=getpass)
        provider._prompter = _ask_for_source_code
    with explained(f"getting the credentials of the source profile '{settings.aws_source_profile}'", settings):
        found = session.get_credentials()
        if found is not None:
            found.get_frozen_credentials()  # a role source assumes its role (and asks its code) here
    _PREPARED.add(key)


def _ask_for_source_code(prompt: str) -> str:
    from letme_shell import ui
    from letme_shell.errors import MfaRequired

    with Deadline.paused():
        try:
            typed = ui.ask_tty(prompt)
            # `123 456` and `123-456` as apps show codes, as at letme's own prompt (sts.terminal_code_source).
            return validate.mfa_code(typed) or typed
        except ui.NoAnswer:
            raise LetmeError("no MFA code was entered for the source profile (the input ended)",
                             "run the command again and type the code your MFA device shows") from None
        except ui.NotForeground:
            raise MfaRequired("the source profile needs an MFA code, and this letme runs in the background of its "
                              "terminal, where it may not ask", "run the command in the foreground") from None
        except ui.NoTerminal:
            raise MfaRequired("the source profile needs an MFA code and there is no terminal to ask on",
                              "run the command in a terminal") from None


@contextlib.contextmanager
def _aws_files_read() -> Iterator[None]:
    """botocore reads both AWS files to build the source session: a broken one is one line, the user's to fix."""
    import botocore.exceptions

    try:
        yield
    except botocore.exceptions.ConfigParseError as exc:
        path = exc.kwargs.get("path", "an AWS config file")
        raise LetmeError(f"{path} is not a valid INI file (the AWS SDKs cannot read it either)",
                         "fix the file so the AWS CLI can read it, then try again") from None


def client(settings: Settings, service: str, session: Any = None, credentials: Any = None,
           region: str | None = None) -> Any:
    with _aws_files_read():
        return _client(settings, service, session, credentials, region)


def checked_endpoint(settings: Settings, endpoint: str) -> str:
    """`endpoint` when botocore can use it; one line naming where it came from when it cannot (an unclosed
    [::1, a port over 65535, a line break would each end in an unexplained ValueError deep in a request)."""
    import urllib.parse

    source = "AWS_ENDPOINT_URL" if os.environ.get("AWS_ENDPOINT_URL") else f"endpoint_url in {settings.path}"
    try:
        parts = urllib.parse.urlsplit(endpoint)
        valid = (parts.scheme in ("http", "https") and bool(parts.hostname) and validate.is_one_line(endpoint)
                 and " " not in endpoint and (parts.port is None or parts.port > 0))
    except ValueError:
        valid = False
    if not valid:
        raise LetmeError(f"{source} {validate.printable(endpoint)} is not a valid endpoint URL",
                         "e.g. https://sts.eu-west-1.amazonaws.com, or http://127.0.0.1:5000 for a local stand-in")
    return endpoint


def _client(settings: Settings, service: str, session: Any, credentials: Any, region: str | None) -> Any:
    from botocore.config import Config

    budget = timeout_seconds(settings)
    config = Config(connect_timeout=min(CONNECT_TIMEOUT, budget), read_timeout=min(READ_TIMEOUT, budget),
                    retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"})
    kwargs: dict[str, Any] = {"region_name": region or settings.aws_source_profile_region, "config": config}
    endpoint = settings.endpoint()
    if endpoint:
        kwargs["endpoint_url"] = checked_endpoint(settings, endpoint)
    if credentials is not None:
        # Explicit keys on the client override the session's own credentials.
        kwargs.update(aws_access_key_id=credentials.access_key_id,
                      aws_secret_access_key=credentials.secret_access_key,
                      aws_session_token=credentials.session_token)
    if session is None:
        session = source_session(settings)
        if credentials is None:
            prepare_source(settings)
    made = session.client(service, **kwargs)
    made.meta.events.register("before-send", _note_endpoint)
    return made


def timeout_seconds(settings: Settings) -> float:
    """The deadline for all AWS calls of this command: LETME_AWS_TIMEOUT, else aws_timeout."""
    raw = os.environ.get(TIMEOUT_VARIABLE, "")
    if not raw:
        return float(settings.aws_timeout)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    low, high = TIMEOUT_RANGE
    if not low <= value <= high:  # NaN fails too
        raise LetmeError(f"{TIMEOUT_VARIABLE}={validate.printable(raw)} is not a number of seconds "
                         f"from {low} to {high}", f"unset it, or e.g. {TIMEOUT_VARIABLE}=20", ExitCode.USAGE)
    return value


# Where the last request went (scheme and host only), to name an endpoint that did not answer.
_last_endpoint: str | None = None


def _note_endpoint(request: Any, **_: Any) -> None:
    global _last_endpoint
    import urllib.parse

    parts = urllib.parse.urlsplit(request.url)
    _last_endpoint = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"  # never a user:password@
    if parts.hostname:
        _resolve_within_deadline(parts.hostname)
    # None: botocore goes on to send the request itself.


_RESOLVED: set[str] = set()


def _resolve_within_deadline(host: str) -> None:
    """Look `host` up once in a thread, and wait for it interruptibly: getaddrinfo blocks in C, where
    the deadline's SIGALRM cannot stop it, so a resolver that never answers held letme for its own
    timeouts (30 s and more). Once known, the system's answer is quick for the request itself."""
    import socket
    import threading
    import time

    current = Deadline._current
    if host in _RESOLVED or current is None:
        return
    done = threading.Event()

    def look_up() -> None:
        try:
            socket.getaddrinfo(host, None)
        except OSError:
            pass  # the request itself reports what is wrong with the name
        finally:
            done.set()

    threading.Thread(target=look_up, name="letme-resolve", daemon=True).start()
    left = current.budget - Deadline.spent - (time.monotonic() - current.started)
    if not done.wait(max(left, 0.0)):  # SIGALRM interrupts this wait too, where there is a timer
        raise _OutOfTime()
    _RESOLVED.add(host)


class _OutOfTime(BaseException):
    """Raised by the SIGALRM handler inside a blocking AWS call. A BaseException, so that no
    `except Exception` in botocore or urllib3 takes it for a failed attempt to retry."""


class Deadline:
    """Run one AWS call (with its retries) within what is left of the command's deadline.

    The time spent in calls is summed over the process, so a command's calls share one
    deadline; time between them (a person typing an MFA code) does not count. On POSIX, in
    the main thread, an ITIMER_REAL timer interrupts the call when the time is up (and every
    second after, should anything swallow the first interruption); the call then ends as one
    AwsError naming the endpoint that did not answer.
    """

    spent = 0.0  # seconds this process has spent in AWS calls
    _active = False  # a call is being timed (an inner Deadline neither times nor counts)
    _armed = False  # the timer may interrupt now

    def __init__(self, what: str, settings: Settings):
        self.what, self.settings = what, settings
        self.budget = timeout_seconds(settings)
        self.outer = self.timed = False
        self.previous: Any = None
        self.started = 0.0

    @classmethod
    def _ring(cls, signum: int, frame: Any) -> None:
        if cls._armed:
            raise _OutOfTime()

    def _expired(self) -> AwsError:
        where = _last_endpoint or self.settings.endpoint() or "AWS"
        return AwsError(f"{self.what} failed: cannot reach {where} (no answer within {self.budget:g}s)",
                        "check the network and endpoint_url / AWS_ENDPOINT_URL; aws_timeout in the letme config "
                        f"(or {TIMEOUT_VARIABLE}) sets how long letme waits for AWS", code="Timeout")

    _current: Deadline | None = None  # the outer Deadline of the call in progress

    @classmethod
    @contextlib.contextmanager
    def paused(cls) -> Iterator[None]:
        """Stop the clock inside a call while a person is asked something (botocore's own MFA prompt
        for a source profile that is a role): their typing is not the network's time."""
        import signal
        import time

        current = cls._current
        if current is None:
            yield
            return
        Deadline.spent += time.monotonic() - current.started
        if current.timed:
            Deadline._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            yield
        finally:
            current.started = time.monotonic()
            if current.timed:
                Deadline._armed = True
                signal.setitimer(signal.ITIMER_REAL, max(current.budget - Deadline.spent, 0.001), 1.0)

    def __enter__(self) -> Deadline:
        import signal
        import threading
        import time

        if Deadline._active:
            return self
        left = self.budget - Deadline.spent
        if left <= 0:
            raise self._expired()
        Deadline._active = self.outer = True
        Deadline._current = self
        self.started = time.monotonic()
        if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGALRM, Deadline._ring)
            Deadline._armed = self.timed = True
            signal.setitimer(signal.ITIMER_REAL, left, 1.0)
        # Without a timer (Windows, another thread) the per-attempt timeouts, capped by the budget, bound the call.
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        import signal
        import time

        if not self.outer:
            return
        if self.timed:
            Deadline._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        Deadline._active = False
        Deadline._current = None
        Deadline.spent += time.monotonic() - self.started
        if kind is not None and issubclass(kind, _OutOfTime):
            raise self._expired() from None


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
        with Deadline(what, settings):
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
    except (bex.SSOError, bex.TokenRetrievalError) as exc:  # a missing, expired or refused SSO token
        from letme_shell import source

        raise source.sso_error(what, settings, exc) from None
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

"""The source identity: what kind of credentials `aws_source_profile` resolves to, and what follows from it.

`aws_source_profile` may be any profile botocore resolves: an IAM user's long-term keys, a role profile
(`role_arn` + `source_profile`), `credential_process`, or IAM Identity Center (`sso_session` after `aws sso
login`). Only long-term keys (no session token) can get an MFA session (GetSessionToken) or send an MFA code
with AssumeRole; every other source is already a session, so letme assumes the roles with it directly and
says once that `mfa_arn` does not apply.

When no `mfa_arn` is set, the source is an IAM user and AWS refuses a role for want of MFA, letme finds the
user's MFA device (iam:ListMFADevices), says which one it uses and remembers it (per context and origin, in
the credential cache directory), so later commands go straight to the MFA session.

`{user}` in `session_name` is the caller's name (GetCallerIdentity): the IAM user, or the session name of an
assumed role (an SSO user's e-mail address, say), made to fit RoleSessionName. All of this runs on the cold
path only (boto3 is already loaded there); nothing here is imported by the cached paths.
"""

from __future__ import annotations

import json
import re
from collections import namedtuple
from typing import Any

from letme_shell import aws, credentials, fsutil, paths, ui, validate
from letme_shell.config import Settings
from letme_shell.errors import AwsError, LetmeError

KEYS, TEMPORARY, ROLE, PROCESS, SSO, WEB_IDENTITY = ("keys", "temporary", "role", "process", "sso", "web-identity")
LABELS = {
    KEYS: "IAM user keys",
    TEMPORARY: "temporary keys (a session token)",
    ROLE: "a role profile",
    PROCESS: "credential_process",
    SSO: "IAM Identity Center (SSO)",
    WEB_IDENTITY: "web identity",
}
# botocore's credential provider METHOD names → kinds; static keys are told apart by their session token.
_METHODS = {"assume-role": ROLE, "custom-process": PROCESS, "sso": SSO, "assume-role-with-web-identity": WEB_IDENTITY}


class Source(namedtuple("Source", "kind long_term")):
    """`kind` (one of the kinds above) and whether the keys are long-term (no session token): only those
    may get an MFA session."""

    __slots__ = ()

    @property
    def label(self) -> str:
        return LABELS[self.kind]


_IDENTIFIED: dict[tuple[str, str], Source] = {}
_NOTED: set[str] = set()


def identify(settings: Settings) -> Source:
    """The kind of the source profile's credentials, resolving them first (once per process)."""
    key = (settings.aws_source_profile, settings.aws_source_profile_region)
    if key not in _IDENTIFIED:
        aws.prepare_source(settings)
        found = aws.source_session(settings).get_credentials()
        if found is None:
            raise AwsError(f"no credentials for the source profile '{settings.aws_source_profile}'",
                           "add keys to that profile (aws configure) or set aws_source_profile")
        frozen = found.get_frozen_credentials()
        long_term = not frozen.token
        kind = _METHODS.get(getattr(found, "method", ""), KEYS if long_term else TEMPORARY)
        _IDENTIFIED[key] = Source(kind, long_term and kind in (KEYS, PROCESS))
    return _IDENTIFIED[key]


def effective(settings: Settings) -> Settings:
    """`settings` as the STS calls must see them: `mfa_arn` only where it applies (long-term keys), else
    None with one note; with no `mfa_arn`, the MFA device letme found earlier for this source, if any."""
    found = identify(settings)
    device = settings.mfa_arn
    if device and not found.long_term:
        if settings.aws_source_profile not in _NOTED:
            _NOTED.add(settings.aws_source_profile)
            ui.info(f"mfa_arn does not apply to the source profile '{settings.aws_source_profile}' "
                    f"({found.label}): letme assumes the roles with its credentials, without an MFA session")
        device = None
    elif device is None and found.long_term:
        device = remembered_device(settings)
    if device == settings.mfa_arn:
        return settings
    import copy

    changed = copy.copy(settings)
    changed.mfa_arn = device
    return changed


# ---- the MFA device AWS asked for ---------------------------------------------------------------------------

def device_file(settings: Settings) -> Any:
    return paths.credentials_cache_dir(settings.context) / "_mfa-device.json"


def remembered_device(settings: Settings) -> str | None:
    raw = fsutil.read_bytes(device_file(settings))
    try:
        data = json.loads(raw) if raw else {}
        device = data.get("device") if data.get("origin") == _device_origin(settings) else None
    except (ValueError, AttributeError):
        device = None
    return device if validate.is_mfa_arn(device) else None


def _device_origin(settings: Settings) -> str:
    return credentials.fingerprint(settings.origin(), settings.endpoint())


def find_device(settings: Settings, creds: Any = None) -> str | None:
    """The caller's MFA device (iam:ListMFADevices for the IAM user the source keys belong to), said on stderr
    and remembered for this context; None when the caller is not an IAM user or has no device."""
    user = caller(settings).get("user_name")
    if not user:
        return None
    iam = aws.client(settings, "iam")
    with aws.explained(f"finding the MFA device of IAM user '{user}' (iam:ListMFADevices)", settings,
                       hint="set mfa_arn in the letme config to your MFA device's ARN"):
        devices = iam.list_mfa_devices(UserName=user).get("MFADevices", [])
    serials = [d.get("SerialNumber") for d in devices if validate.is_mfa_arn(d.get("SerialNumber"))]
    if not serials:
        return None
    chosen = serials[0]
    more = f" (the first of {len(serials)}; set mfa_arn to pick another)" if len(serials) > 1 else \
        " (set mfa_arn to make it explicit)"
    ui.info(f"AWS needs MFA for this role; using the MFA device {chosen} of IAM user '{user}'{more}")
    body = json.dumps({"origin": _device_origin(settings), "device": chosen}).encode()
    fsutil.atomic_write(device_file(settings), body, mode=0o600)
    return chosen


# ---- who the caller is: {user} in session_name ----------------------------------------------------------------

_CALLER: dict[tuple[str, str], dict[str, str]] = {}
_ARN_NAME = re.compile(r"arn:[\w-]+:(?:iam|sts)::\d{12}:(user|assumed-role|federated-user)/(.+)")


def caller(settings: Settings) -> dict[str, str]:
    """GetCallerIdentity of the source credentials (once per process): `arn`, and `user_name` when the
    caller is an IAM user, `name` for the {user} of session names."""
    key = (settings.aws_source_profile, settings.aws_source_profile_region)
    if key not in _CALLER:
        sts = aws.client(settings, "sts")
        with aws.explained("asking STS who the source profile is (sts:GetCallerIdentity)", settings):
            arn = str(sts.get_caller_identity().get("Arn", ""))
        found: dict[str, str] = {"arn": arn}
        match = _ARN_NAME.fullmatch(arn)
        if match:
            kind, rest = match.groups()
            name = rest.rsplit("/", 1)[-1]  # user/path/alice → alice; assumed-role/Role/session → session
            found["name"] = name
            if kind == "user":
                found["user_name"] = name
        _CALLER[key] = found
    return _CALLER[key]


def fit(name: str) -> str:
    return validate.fit_session_name(name)


def session_name(settings: Settings, account: str) -> str:
    """The RoleSessionName of every hop: --role-session-name, else `session_name` (a template with {user} and
    {account}), else `<account>-letme-session`."""
    template = settings.session_name_for(account)
    if "{" not in template:
        return template
    values = {"account": account}
    if "{user}" in template:
        values["user"] = caller(settings).get("name") or "unknown"
    return validate.expand_session_name(template, values)


def sso_error(what: str, settings: Settings, exc: Exception) -> LetmeError:
    """An SSO token that is missing, expired or refused, as one line naming the `aws sso login` to run."""
    found, session = sso_profile(settings)
    profile = validate.printable(found)
    session = validate.printable(session) if session else None
    command = f"'aws sso login --profile {profile}'"
    if session:
        command += f" (or 'aws sso login --sso-session {session}')"
    return AwsError(f"{what} failed: the IAM Identity Center (SSO) sign-in of profile '{profile}' has expired or "
                    f"is missing ({type(exc).__name__})", f"run {command}, then try again", code="SSO")


def sso_profile(settings: Settings) -> tuple[str, str | None]:
    """The profile that signs in with SSO (the source profile, or the one its role chain starts from) and its
    sso_session, from the AWS config as botocore read it."""
    name = settings.aws_source_profile
    try:
        profiles = aws.source_session(settings)._session.full_config.get("profiles", {})
    except Exception:  # reading the files failed already; the name is all there is
        return name, None
    seen = set()
    while name not in seen:
        seen.add(name)
        profile = profiles.get(name, {})
        if profile.get("sso_session") or profile.get("sso_start_url") or not profile.get("source_profile"):
            return name, profile.get("sso_session")
        name = profile["source_profile"]
    return name, None

"""Shapes of untrusted text: account names, regions, ARNs.

Catalog items come from a shared DynamoDB table and end up in shell code, INI
section names and file names, so they are checked against narrow patterns here
and nowhere else. Every partition (aws, aws-cn, aws-us-gov, aws-iso*) is accepted.
"""

from __future__ import annotations

import re

# Starts with a letter or digit so it can never look like a flag; no shell, INI or
# path metacharacters, so it is safe in every place letme puts it.
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
PARTITION = r"aws(-[a-z]+)*"
ROLE_ARN = re.compile(rf"arn:{PARTITION}:iam::\d{{12}}:role/[\w+=,.@/-]{{1,512}}")
MFA_ARN = re.compile(rf"arn:{PARTITION}:iam::\d{{12}}:mfa/[\w+=,.@/-]{{1,512}}")
# STS RoleSessionName: 2-64 of these characters.
SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
# STS ExternalId: 2-1224 of these characters (ASCII only: \w would take other scripts' letters).
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
# An IAM role name, optionally after a path (team/admin): what organizations_role names in every member account.
ROLE_NAME = re.compile(r"(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)
# STS SerialNumber: an MFA device ARN, or a hardware token's serial (9-256 of these characters).
MFA_SERIAL = re.compile(r"[\w+=/:,.@-]{9,256}", re.ASCII)
CONTEXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# An account outside its context: NAME@CONTEXT (see naming); the shells' hooks check LETME_ACCOUNT against it.
QUALIFIED_NAME = re.compile(rf"{ACCOUNT_NAME.pattern}(@{CONTEXT_NAME.pattern})?")
TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# A one-time code as authenticator apps show it: 123456, 123 456 or 123-456 (ASCII digits only: \d would take
# other scripts' digits, which AWS does not). Compiled on first use: the cached paths never read a code.
MFA_CODE = r"([0-9]{3})[ -]?([0-9]{3})"


# session_name templates: {user} (the caller's name) and {account}; see source.session_name.
SESSION_NAME_FIELDS = ("user", "account")
_TEMPLATE_FIELD = r"\{([^{}]*)\}"
_NOT_SESSION_CHARS = r"[^\w+=,.@-]"


def session_name_problem(template: str) -> str | None:
    """Why `template` is not a valid session_name (a phrase to follow it), or None."""
    fields = re.findall(_TEMPLATE_FIELD, template)
    for field in fields:
        if field not in SESSION_NAME_FIELDS:
            return f"has {{{printable(field, 20)}}}, which is not a field (use {{user}} or {{account}})"
    literal = re.sub(_TEMPLATE_FIELD, "", template)
    if "{" in literal or "}" in literal:
        return "has an unmatched { or }"
    if re.search(_NOT_SESSION_CHARS, literal, re.ASCII) or (not fields and not SESSION_NAME.fullmatch(template)):
        return ("must be 2-64 letters, digits or +=,.@_- (an STS RoleSessionName), "
                "with {user} and {account} where they belong")
    return None


def fit_session_name(text: str) -> str:
    """Text made into a RoleSessionName: characters STS refuses become '-', at most 64, at least 2."""
    cleaned = re.sub(_NOT_SESSION_CHARS, "-", text, flags=re.ASCII)[:64]
    return cleaned if len(cleaned) >= 2 else (cleaned + "--")[:2]


def expand_session_name(template: str, values: dict[str, str]) -> str:
    return fit_session_name(re.sub(_TEMPLATE_FIELD, lambda m: values[m.group(1)], template))


def is_account_name(value: object) -> bool:
    return isinstance(value, str) and ACCOUNT_NAME.fullmatch(value) is not None


# Tags are data, never names or shell words: any printable text (spaces included, as in `cost center`), with no
# control or format character and no blank at either end, bounded in length and in number per account.
TAG_MAX = 128
TAGS_MAX = 50


def is_tag(value: object) -> bool:
    return (isinstance(value, str) and 0 < len(value) <= TAG_MAX and value.isprintable()
            and value == value.strip())


def shown_tags(tags: list[str] | tuple[str, ...]) -> str:
    """Tags for a message: a plain word as it is, anything else in double quotes (`"cost center", prod`)."""
    import json

    return ", ".join(tag if ACCOUNT_NAME.fullmatch(tag) else printable(json.dumps(tag, ensure_ascii=False), 140)
                     for tag in tags)


def suggested_name(value: str) -> str | None:
    """A valid account name close to `value` (`Acme Prod` → `Acme-Prod`), to suggest a rename; None if none."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", value).lstrip("._-").rstrip("-")[:128]
    return name if ACCOUNT_NAME.fullmatch(name) else None


def name_from_text(text: str) -> str | None:
    """A valid account name made from free text (an Organizations account's name, a profile name), always the
    same for the same text: letters with accents lose them (NFKD, `Café` → `Cafe`), every run of other
    characters outside letters, digits and `._-` becomes one `-`, and what is left may not start with `._-` or
    end with `-`; at most 128 characters. None when nothing is left (a name of symbols or another script)."""
    import unicodedata

    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return suggested_name(folded)


def is_role_name(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 512 and ROLE_NAME.fullmatch(value) is not None


def is_mfa_serial(value: object) -> bool:
    return isinstance(value, str) and MFA_SERIAL.fullmatch(value) is not None


def is_profile_name(value: object) -> bool:
    """An AWS profile name letme may hand to botocore and show: one printable line, no blank at either end."""
    return isinstance(value, str) and 0 < len(value) <= 256 and value.isprintable() and value == value.strip()


def is_region(value: object) -> bool:
    return isinstance(value, str) and REGION.fullmatch(value) is not None


def is_role_arn(value: object) -> bool:
    return isinstance(value, str) and ROLE_ARN.fullmatch(value) is not None


def is_mfa_arn(value: object) -> bool:
    return isinstance(value, str) and MFA_ARN.fullmatch(value) is not None


def is_context_name(value: object) -> bool:
    return isinstance(value, str) and CONTEXT_NAME.fullmatch(value) is not None


def mfa_code(text: str) -> str | None:
    """The six digits of a code typed or pasted as `123456`, `123 456` or `123-456` (blanks around it
    ignored), or None for anything else."""
    found = re.fullmatch(MFA_CODE, text.strip())
    return found.group(1) + found.group(2) if found else None


def is_one_line(value: str) -> bool:
    """No control characters (line breaks included): safe as an INI value, a log line or a URL."""
    return value.isprintable()


def printable(value: object, limit: int = 60) -> str:
    """Untrusted text made safe to show in one terminal line (no escapes, no newlines)."""
    text = repr(value) if not isinstance(value, str) else value
    # The per-character pass only when needed: `letme list` shows 10,000 descriptions.
    shown = text if text.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"

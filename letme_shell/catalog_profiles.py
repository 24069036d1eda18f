"""~/.aws/config → catalog: role profiles (`role_arn` + `source_profile`) as accounts (`aws_config_profiles`).

The files are read as botocore reads them (its own parser, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE
honoured, the credentials file's sections merged in), so letme sees the profiles the SDKs see. A profile is
the user's own data, but it is checked as a catalog item is (catalog.account_from_item, catalog.checked_via):
its name becomes a profile name, a file name and a shell word, its values reach STS and messages.

A chain (`source_profile` naming another role profile) becomes a role list, assumed from the first profile
in it that is not a role (keys, SSO, credential_process), each hop with its own external_id. What letme's
role chains cannot say is refused with one line: an `mfa_serial` on any role but the first (letme sends the
code with the first role only), `credential_source` (no profile to start from), a loop, a missing profile.
The entry profile's duration_seconds and role_session_name apply to the whole chain. Profiles letme wrote
itself (`manager = letme`, awsfiles.MARK_KEY) are never read back as accounts. Imported by `init` only.
"""

from __future__ import annotations

from typing import Any

from letme_shell import aws, awsfiles, catalog, validate
from letme_shell.catalog import Account, InvalidItem
from letme_shell.config import AWS_CONFIG_SOURCE, Settings

MAX_HOPS = 10


def read_profiles() -> dict[str, dict[str, Any]]:
    """Every profile of both AWS files, as botocore parses them."""
    import botocore.session

    aws._check_aws_files()
    with aws._aws_files_read():
        profiles = botocore.session.Session().full_config.get("profiles", {})
    return {name: values for name, values in profiles.items() if isinstance(values, dict)}


def accounts(settings: Settings, profiles: dict[str, dict[str, Any]] | None = None) -> tuple[list[Account], list[str]]:
    """The accounts made from the role profiles, and one line per profile skipped (why, and what to do)."""
    profiles = read_profiles() if profiles is None else profiles
    by_name: dict[str, Account] = {}
    skipped: list[str] = []
    for name in sorted(profiles, key=lambda n: (not validate.is_account_name(n), n)):
        values = profiles[name]
        if not _is_role_profile(values) or values.get(awsfiles.MARK_KEY) == awsfiles.MARK_VALUE:
            continue
        shown = validate.printable(name)
        letme_name = name if validate.is_account_name(name) else validate.name_from_text(name)
        if letme_name is None:
            skipped.append(f"profile '{shown}' of the AWS config: no account name can be made of it "
                           "(letters, digits, '.', '_', '-'); rename the profile to list it")
            continue
        if letme_name in by_name:
            # A profile named exactly so was taken first (the sort above); two renamed ones: the first by name.
            taken = by_name[letme_name].via.profile
            skipped.append(f"profile '{shown}' of the AWS config would be listed as '{letme_name}', which profile "
                           f"'{validate.printable(taken)}' already is; rename one of them")
            continue
        try:
            by_name[letme_name] = _account(letme_name, name, profiles)
        except InvalidItem as exc:
            skipped.append(str(exc))
    return list(by_name.values()), skipped


def _is_role_profile(values: dict[str, Any]) -> bool:
    """A role assumed from another identity: role_arn with source_profile (or credential_source, refused
    later with its reason). role_arn with a web identity token is a source identity, not a catalog entry."""
    return bool(values.get("role_arn")) and bool(values.get("source_profile") or values.get("credential_source"))


def _text(values: dict[str, Any], key: str, label: str) -> str | None:
    value = values.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidItem(f"{label}: {key} is not a single value")
    return value.strip()


def _account(letme_name: str, entry: str, profiles: dict[str, dict[str, Any]]) -> Account:
    label = f"profile '{validate.printable(entry)}' of the AWS config"
    chain: list[tuple[str, dict[str, Any]]] = []  # the role profiles from the entry back to the root
    current, seen = entry, set()
    while True:
        if current in seen:
            raise InvalidItem(f"{label}: its source_profile chain loops back to '{validate.printable(current)}'")
        seen.add(current)
        values = profiles.get(current)
        if values is None:
            raise InvalidItem(f"{label}: source_profile '{validate.printable(current)}' is not in your AWS files")
        if not _text(values, "role_arn", label):
            break
        here = f"{label}" if current == entry else f"{label}: its chain's profile '{validate.printable(current)}'"
        if values.get("credential_source"):
            raise InvalidItem(f"{here} uses credential_source, which letme cannot start a chain from; "
                              "use a source_profile instead")
        source = _text(values, "source_profile", label)
        if source is None:
            raise InvalidItem(f"{here} has role_arn but no source_profile")
        if source == current:
            raise InvalidItem(f"{here} names itself as source_profile; put its keys in a profile of their own "
                              "and name that one")
        chain.append((current, values))
        if len(chain) > MAX_HOPS:
            raise InvalidItem(f"{label}: its source_profile chain is longer than {MAX_HOPS} roles")
        current = source
    root = current
    hops = list(reversed(chain))  # assumption order: the role assumed with the root's credentials first
    for profile, values in hops[1:]:
        if _text(values, "mfa_serial", label):
            which = "it" if profile == entry else f"its chain's profile '{validate.printable(profile)}'"
            raise InvalidItem(f"{label}: {which} has an mfa_serial, but is assumed with another role's "
                              "credentials; letme sends an MFA code with the first role only")
    entry_values = profiles[entry]
    roles = [_text(values, "role_arn", label) for _, values in hops]
    region = _text(entry_values, "region", label)
    first = roles[-1] or ""
    account_id = first.split(":")[4] if first.count(":") >= 5 else None
    described = f"AWS config profile {entry}" + (f" (from {root})" if len(hops) == 1 else
                                                 f" ({len(hops)} roles from {root})")
    account = catalog.account_from_item({
        "name": letme_name,
        "id": account_id if account_id and account_id.isdigit() else None,
        "description": described,
        "region": [region] if region else [],
        "role": roles,
        "external_id": [_text(values, "external_id", label) for _, values in hops],
    })
    raw_duration = _text(entry_values, "duration_seconds", label)
    if raw_duration is not None and not raw_duration.isdigit():
        raise InvalidItem(f"{label}: duration_seconds {validate.printable(raw_duration)!r} is not a number of seconds")
    via = catalog.checked_via({
        "profile": entry,
        "source_profile": root,
        "mfa_serial": _text(hops[0][1], "mfa_serial", label),
        "duration": int(raw_duration) if raw_duration is not None else None,
        "session_name": _text(entry_values, "role_session_name", label),
    }, validate.printable(entry))
    return account._replace(source=AWS_CONFIG_SOURCE, via=via)

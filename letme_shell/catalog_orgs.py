"""AWS Organizations → catalog: every ACTIVE account of ListAccounts, reached through `organizations_role`.

ListAccounts is called with the context's source identity (it works from the management account or a
delegated administrator), every page followed. Each account becomes one hop,
arn:<partition>:iam::<id>:role/<organizations_role>, assumed as a table account's role is (the context's
MFA session, session name and duration).

An account's name in Organizations is free text, and untrusted: it is made into a letme name by
validate.name_from_text (accents dropped, other runs of characters outside letters, digits and `._-` become
one `-`, no leading `._-` or trailing `-`; `account-<id>` when nothing is left), and kept as the description.
Two accounts that end up with one name (Organizations allows equal names): the lowest account id keeps it, the
others are NAME-<id>, said on stderr. Imported by `init` only.
"""

from __future__ import annotations

import re
from typing import Any

from letme_shell import aws, catalog, validate
from letme_shell.catalog import Account, InvalidItem
from letme_shell.config import ORGANIZATIONS_SOURCE, Settings
from letme_shell.errors import LetmeError

PAGE_SIZE = 20  # ListAccounts' largest page
_PARTITION = re.compile(r"arn:(aws(?:-[a-z]+)*):")


def list_accounts(settings: Settings) -> list[dict[str, Any]]:
    """The raw entries of every ListAccounts page."""
    client = aws.client(settings, "organizations")
    found: list[dict[str, Any]] = []
    with aws.explained("listing the accounts of AWS Organizations (organizations:ListAccounts)", settings,
                       hint="ListAccounts works from the organization's management account or a delegated "
                            "administrator; the source identity needs organizations:ListAccounts"):
        try:
            for page in client.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
                found.extend(entry for entry in page.get("Accounts", []) if isinstance(entry, dict))
        except client.exceptions.AWSOrganizationsNotInUseException:
            raise LetmeError(f"the account of the source profile '{settings.aws_source_profile}' is not in an "
                             "organization (AWS Organizations)",
                             "unset organizations_role, or use a source profile of the organization's management "
                             "account") from None
    return found


def accounts(settings: Settings, entries: list[dict[str, Any]] | None = None) -> tuple[list[Account], list[str]]:
    """The ACTIVE accounts as catalog accounts, and one line per entry skipped or renamed (whole sentences)."""
    entries = list_accounts(settings) if entries is None else entries
    role = settings.organizations_role
    assert role
    lines: list[str] = []
    active = []
    for entry in entries:
        account_id = entry.get("Id")
        if not (isinstance(account_id, str) and account_id.isdigit() and len(account_id) == 12):
            lines.append(f"skipped an Organizations account with id {validate.printable(account_id)!r}: "
                         "not an AWS account id")
            continue
        # `State` replaces the deprecated `Status`; either says ACTIVE for an account that can be used.
        if (entry.get("State") or entry.get("Status")) == "ACTIVE":
            active.append(entry)
    taken: dict[str, str] = {}  # letme name -> account id
    made: list[Account] = []
    for entry in sorted(active, key=lambda e: e["Id"]):
        account_id, raw_name = entry["Id"], entry.get("Name")
        text = raw_name if isinstance(raw_name, str) else ""
        base = (text if validate.is_account_name(text) else validate.name_from_text(text)) or f"account-{account_id}"
        name = base
        if name in taken:
            name = f"{base[:115]}-{account_id}"
            lines.append(f"Organizations account {account_id} is named like account {taken[base]} "
                         f"('{validate.printable(base)}'); listed as '{name}'")
            if name in taken:
                continue
        arn = entry.get("Arn")
        found = _PARTITION.match(arn) if isinstance(arn, str) else None
        partition = found.group(1) if found else "aws"
        try:
            account = catalog.account_from_item({
                "name": name, "id": account_id, "description": validate.printable(text, 500),
                "role": [f"arn:{partition}:iam::{account_id}:role/{role}"],
            })
        except InvalidItem as exc:
            lines.append(f"skipped {exc}")
            continue
        taken[name] = account_id
        made.append(account._replace(source=ORGANIZATIONS_SOURCE))
    return made, lines

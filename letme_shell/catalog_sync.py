"""DynamoDB → catalog: the full paginated scan for `init`, one GetItem for a cold `obtain`.

The original letme made one Scan and ignored LastEvaluatedKey, so catalogs over
1 MB were cut short; the paginator follows every page here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from letme_shell import aws, catalog, ui
from letme_shell.catalog import Account, InvalidItem
from letme_shell.config import Settings
from letme_shell.errors import LetmeError


def _plain(value: dict[str, Any]) -> Any:
    """One attribute in DynamoDB's wire format as a plain Python value.

    Written out rather than boto3's TypeDeserializer, which builds Decimals and
    sets that the validator then has to undo: for 10,000 items that was most of
    the cost of `letme init`. Numbers stay text unless whole; sets come back sorted.
    """
    ((tag, data),) = value.items()
    if tag == "S" or tag == "BOOL" or tag == "B":
        return data
    if tag == "N":
        return int(data) if data.lstrip("-").isdigit() else data
    if tag == "L":
        return [_plain(element) for element in data]
    if tag == "M":
        return {key: _plain(element) for key, element in data.items()}
    if tag in ("SS", "NS", "BS"):
        return sorted(_plain({tag[0]: element}) for element in data)
    if tag == "NULL":
        return None
    raise ValueError(f"unknown DynamoDB type {tag}")


def _to_account(raw: dict[str, Any], rejected: list[str]) -> Account | None:
    try:
        item = {key: _plain(value) for key, value in raw.items()}
        return catalog.account_from_item(item)
    except InvalidItem as exc:
        rejected.append(str(exc))
        return None
    except Exception as exc:  # a malformed attribute must skip the item, never abort the scan
        rejected.append(f"an item letme cannot read ({type(exc).__name__})")
        return None


def _missing_table_hint(settings: Settings) -> str:
    return (f"create the table '{settings.dynamodb_table}' in {settings.aws_source_profile_region} "
            "(partition key 'name', a string), or fix dynamodb_table in the letme config")


def scan(settings: Settings, progress: Callable[[int], None] | None = None) -> tuple[list[Account], list[str]]:
    """Every valid account in the table, and one line per item that was skipped."""
    client = aws.client(settings, "dynamodb")
    accounts: list[Account] = []
    rejected: list[str] = []
    seen = 0
    with aws.explained(f"reading the DynamoDB table '{settings.dynamodb_table}'", settings,
                       hint=None):
        try:
            for page in client.get_paginator("scan").paginate(TableName=settings.dynamodb_table):
                for raw in page.get("Items", []):
                    seen += 1
                    if (account := _to_account(raw, rejected)) is not None:
                        accounts.append(account)
                if progress:
                    progress(seen)
        except client.exceptions.ResourceNotFoundException:
            raise LetmeError(f"the DynamoDB table '{settings.dynamodb_table}' does not exist",
                             _missing_table_hint(settings)) from None
    return accounts, rejected


def fetch_one(settings: Settings, name: str) -> Account | None:
    """The account read by key, for `obtain` without a catalog cache."""
    client = aws.client(settings, "dynamodb")
    with aws.explained(f"reading account '{name}' from the DynamoDB table '{settings.dynamodb_table}'", settings):
        try:
            response = client.get_item(TableName=settings.dynamodb_table, Key={"name": {"S": name}},
                                       ConsistentRead=True)
        except client.exceptions.ResourceNotFoundException:
            raise LetmeError(f"the DynamoDB table '{settings.dynamodb_table}' does not exist",
                             _missing_table_hint(settings)) from None
    raw = response.get("Item")
    if raw is None:
        return None
    rejected: list[str] = []
    account = _to_account(raw, rejected)
    for line in rejected:
        ui.warn(f"skipped {line}")
    return account

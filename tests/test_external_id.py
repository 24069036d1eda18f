"""External IDs (issue 13, item 3): `external_id` in a catalog item is sent as ExternalId on AssumeRole.

A string is the target role's (the last hop: the account the item describes); a list aligned with `role` gives
each hop its own, an empty string or null for none. The catalog is untrusted: a value of the wrong shape skips
the item with a warning. moto's recorder shows what each AssumeRole carried.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Recorder, Sandbox

from letme_shell import catalog, sampleorg

TABLE = "letme-external-ids"


def item(name: str, index: int, hops: int, external: dict[str, Any] | None) -> dict[str, Any]:
    made = sampleorg.account_item(name, index, hops=hops)
    if external is not None:
        made["external_id"] = external
    return made


ITEMS = [
    item("third-party", 501, 1, {"S": "Acme-42:prod/eu=1"}),
    item("chained", 502, 3, {"L": [{"NULL": True}, {"S": "hop2-id"}, {"S": "target-id"}]}),
    item("chained-last", 503, 2, {"S": "only-the-target"}),
    item("plain", 504, 1, None),
    # Refused: too short, a blank, a shell metacharacter, a number, a list of the wrong length, a map.
    item("bad-short", 505, 1, {"S": "x"}),
    item("bad-blank", 506, 1, {"S": "two words"}),
    item("bad-shell", 507, 1, {"S": "id;touch /tmp/x"}),
    item("bad-number", 508, 1, {"N": "123456"}),
    item("bad-length", 509, 2, {"L": [{"S": "one-only"}]}),
    item("bad-map", 510, 1, {"M": {"a": {"S": "b-id"}}}),
]


@pytest.fixture
def xid(sandbox: Sandbox, moto: str) -> Sandbox:
    sampleorg.seed(moto, items=ITEMS, table=TABLE)
    text = sandbox.letme_config.read_text().replace(f'dynamodb_table = "{sampleorg.TABLE}"',
                                                   f'dynamodb_table = "{TABLE}"')
    sandbox.letme_config.write_text(text)
    return sandbox


def sent(recorder: Recorder, account_id: str | None = None) -> list[tuple[str, str | None]]:
    return [(form["RoleArn"].rsplit("/", 1)[-1], form.get("ExternalId")) for form in recorder.actions("AssumeRole")]


def test_external_ids_are_sent_on_their_hops(xid: Sandbox, recorder: Recorder) -> None:
    result = xid.ok("init")
    for bad in ("bad-short", "bad-blank", "bad-shell", "bad-number", "bad-length", "bad-map"):
        assert f"account {bad}: external_id" in result.stderr, result.stderr
    names = xid.ok("list", "--names").stdout.split()
    assert names == ["chained", "chained-last", "plain", "third-party"]

    recorder.reset()
    xid.ok("credential-process", "third-party", "--mfa-code", "123456")
    assert sent(recorder) == [("letme-target", "Acme-42:prod/eu=1")]

    recorder.reset()
    xid.ok("credential-process", "chained")
    assert sent(recorder) == [("letme-hub", None), ("letme-hop2", "hop2-id"), ("letme-target", "target-id")]

    recorder.reset()
    xid.ok("credential-process", "chained-last")
    assert sent(recorder) == [("letme-hub", None), ("letme-target", "only-the-target")]

    recorder.reset()
    xid.ok("credential-process", "plain")
    assert sent(recorder) == [("letme-target", None)]


def test_an_item_without_external_id_parses_as_before() -> None:
    account = catalog.account_from_item({"name": "a", "role": [sampleorg.role_arn("111111111111", "r")]})
    assert account.external_ids == ()
    assert "external_ids" not in account.to_json()  # the cache lines of such items are unchanged


def test_external_ids_survive_the_cache_round_trip() -> None:
    roles = [sampleorg.role_arn("111111111111", "a"), sampleorg.role_arn("222222222222", "b")]
    account = catalog.account_from_item({"name": "a", "role": roles, "external_id": [None, "b-id"]})
    assert account.external_ids == ("", "b-id")
    assert catalog.account_from_item_json(account.to_json()) == account


def test_an_external_id_without_a_role_is_refused() -> None:
    with pytest.raises(catalog.InvalidItem, match="external_id"):
        catalog.account_from_item({"name": "a", "external_id": "some-id"})

"""`letme init` and `letme list`: every page of the table, untrusted items skipped, the cache files."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from conftest import CATALOG_SIZE, Recorder, Sandbox
from test_obtain import ddb_bodies, ddb_targets, detached, seed_table, set_config

from letme_shell import sampleorg, validate

BIG_TABLE = "letme-big"
BIG_COUNT = 150
ODD_TABLE = "letme-untrusted"


@pytest.fixture(scope="module")
def big_table(org: sampleorg.Org) -> tuple[str, ...]:
    # 150 items of ~12 KB: about 1.8 MB, so DynamoDB (and moto) answer in at least two pages.
    return seed_table(org.endpoint, BIG_TABLE, sampleorg.sample_items(BIG_COUNT, pad=12000))


def test_init_reads_every_page_of_a_table_over_1_mb(sandbox: Sandbox, recorder: Recorder,
                                                    big_table: tuple[str, ...]) -> None:
    set_config(sandbox, dynamodb_table=BIG_TABLE)
    result = detached(sandbox, "init")
    assert result.returncode == 0, result.stderr
    scans = ddb_bodies(recorder, "Scan")
    assert len(scans) >= 2, "a > 1 MB table needs more than one Scan page"
    assert "ExclusiveStartKey" not in scans[0] and all("ExclusiveStartKey" in s for s in scans[1:])
    listed = detached(sandbox, "list", "--names")
    assert listed.stdout.split() == sorted(big_table)
    assert len(big_table) == BIG_COUNT
    assert f"cached {BIG_COUNT} accounts" in result.stderr


def test_init_caches_more_than_25_items(initialised: Sandbox) -> None:
    cache = initialised.home / ".cache" / "letme" / "catalog" / "general"
    names = (cache / "names").read_text().splitlines()
    assert names == sorted(initialised.org.names) and len(names) == CATALOG_SIZE
    lines = (cache / "accounts.jsonl").read_text().splitlines()
    header = json.loads(lines[0])
    assert header["letme_catalog"] == 1 and header["count"] == CATALOG_SIZE and header["table"] == "letme-accounts"
    example2 = next(json.loads(line) for line in lines[1:] if json.loads(line)["name"] == "example2")
    assert example2["id"] == "100000000002" and len(example2["roles"]) == 3
    regions = dict(line.split("\t") for line in (cache / "regions").read_text().splitlines())
    assert regions["example1"] == "eu-west-1 us-east-1"
    assert (cache / "accounts.jsonl").stat().st_mode & 0o077 == 0
    # Written atomically: no temporary files left behind.
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]


def good(name: str, **changes: Any) -> dict[str, Any]:
    item = sampleorg.account_item(name, 900 + len(name))
    item.update(changes)
    return item


UNTRUSTED: list[tuple[dict[str, Any], str]] = [
    (good("../evil"), "../evil"),
    (good("-flag"), "-flag"),
    (good("two words"), "two words"),
    (good("new\nline"), "new?line"),
    (good("semi;colon"), "semi;colon"),
    (good("badrole", role={"L": [{"S": "arn:aws:iam::123:role/short-id"}]}), "badrole"),
    (good("userarn", role={"L": [{"S": "arn:aws:iam::123456789012:user/alice"}]}), "userarn"),
    (good("badregion", region={"L": [{"S": "EU-WEST-1"}]}), "badregion"),
    (good("shellregion", region={"L": [{"S": "eu-west-1;id"}]}), "shellregion"),
    (good("badid", id={"S": "12345abc"}), "badid"),
    (good("rolemap", role={"M": {"x": {"S": "y"}}}), "rolemap"),
    (good("regionnumber", region={"N": "5"}), "regionnumber"),
]
PARTITIONS = {
    "china": "arn:aws-cn:iam::123456789012:role/letme-target",
    "govcloud": "arn:aws-us-gov:iam::123456789012:role/letme-target",
    "commercial": "arn:aws:iam::123456789012:role/path/to/letme-target",
}


@pytest.fixture(scope="module")
def odd_table(org: sampleorg.Org) -> str:
    items = [item for item, _ in UNTRUSTED]
    items += [good(name, role={"L": [{"S": arn}]}) for name, arn in PARTITIONS.items()]
    items.append(good("stringrole", role={"S": PARTITIONS["commercial"]}))  # one string where a list was meant
    items.append(good("numberset", id={"N": "000000000042"}))
    seed_table(org.endpoint, ODD_TABLE, items)
    return ODD_TABLE


def test_untrusted_items_are_skipped_with_a_warning_naming_them(sandbox: Sandbox, odd_table: str) -> None:
    set_config(sandbox, dynamodb_table=odd_table)
    result = detached(sandbox, "init")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("letme: warning: skipped")]
    assert len(warnings) == len(UNTRUSTED), result.stderr
    for _, shown in UNTRUSTED:
        assert any(shown in line for line in warnings), f"no warning names {shown!r}:\n{result.stderr}"
    listed = json.loads(detached(sandbox, "list", "--json").stdout)
    names = {a["name"] for a in listed}
    assert names == {*PARTITIONS, "stringrole", "numberset"}
    by_name = {a["name"]: a for a in listed}
    for name, arn in PARTITIONS.items():
        assert by_name[name]["roles"] == [arn]
    assert by_name["numberset"]["id"] == "000000000042"
    # The name file the shell completion reads holds only safe names.
    names_file = sandbox.home / ".cache" / "letme" / "catalog" / "general" / "names"
    assert all(validate.is_account_name(n) for n in names_file.read_text().splitlines())


@pytest.mark.parametrize("arn", [*PARTITIONS.values(), "arn:aws-iso-b:iam::123456789012:role/r"])
def test_role_arns_of_every_partition_are_valid(arn: str) -> None:
    assert validate.is_role_arn(arn)


@pytest.mark.parametrize("arn", ["arn:aws:iam::123456789012:user/r", "arn:aws:iam::12345678901:role/r",
                                 "arn:aws:sts::123456789012:role/r", "arn:azure:iam::123456789012:role/r",
                                 "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role/a b"])
def test_other_arns_are_not_role_arns(arn: str) -> None:
    assert not validate.is_role_arn(arn)


def test_mfa_arns_of_every_partition() -> None:
    assert validate.is_mfa_arn("arn:aws-us-gov:iam::123456789012:mfa/alice")
    assert validate.is_mfa_arn("arn:aws-cn:iam::123456789012:mfa/alice")
    assert not validate.is_mfa_arn("arn:aws:iam::123456789012:role/alice")


def test_list_without_cache_reads_the_table(sandbox: Sandbox) -> None:
    # Issue 12: as the original's list, the first one reads the table (and caches it; tests/test_catalog_growth.py).
    result = detached(sandbox, "list", "--names")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted(sandbox.org.names)
    assert "Traceback" not in result.stderr


def test_list_filter_and_json(catalogued: Sandbox, recorder: Recorder) -> None:
    table = detached(catalogued, "list", "ex1")
    assert table.returncode == 0, table.stderr
    rows = table.stdout.splitlines()
    assert rows[0].split()[:2] == ["NAME", "ID"] and rows[1].split()[0] == "example1"
    assert rows[0].startswith("NAME      ID") and rows[1].startswith("example1  1")  # as wide as the names shown
    assert "accounts in context" in table.stderr  # the summary is a message, not a result
    data = json.loads(detached(catalogued, "list", "example", "--json").stdout)
    assert [a["name"] for a in data][:2] == ["example1", "example2"]
    assert data[0] == {"name": "example1", "id": "100000000001", "description": "Example account, one role",
                       "regions": ["eu-west-1", "us-east-1"], "roles": ["arn:aws:iam::100000000001:role/letme-target"],
                       "tags": []}
    prod = detached(catalogued, "list", "--tag", "prod", "--names").stdout.split()
    assert "prod-eu" in prod and "example1" not in prod
    assert detached(catalogued, "list", "zzzzqqq", "--json").stdout.strip() == "[]"
    assert ddb_targets(recorder) == []  # list never reaches DynamoDB


def test_init_again_replaces_the_cache(catalogued: Sandbox) -> None:
    names = catalogued.home / ".cache" / "letme" / "catalog" / "general" / "names"
    names.write_text("stale\n")
    assert detached(catalogued, "init").returncode == 0
    assert "stale" not in names.read_text().split()
    removed = detached(catalogued, "init", "--remove")
    assert removed.returncode == 0 and not names.exists()


def test_list_prints_from_the_listing_file_only_while_it_matches_the_records(catalogued: Sandbox) -> None:
    """`list` copies the table init left in the `listing` file beside the records; a listing that
    is damaged, cut short or from another init is ignored and the records are formatted instead."""
    listing = catalogued.home / ".cache" / "letme" / "catalog" / "general" / "listing"
    original = listing.read_bytes()
    assert listing.stat().st_mode & 0o077 == 0
    expected = detached(catalogued, "list")
    assert expected.returncode == 0 and "Example account, one role" in expected.stdout
    for args in [(), ("ex",), ("--tag", "prod"), ("--names",), ("zzzzqqq",)]:
        listing.unlink()
        from_records = detached(catalogued, "list", *args)
        listing.write_bytes(original)
        from_listing = detached(catalogued, "list", *args)
        no_match = args == ("zzzzqqq",)  # exit 1, as grep (issue 11, item 13)
        assert (from_listing.returncode, from_listing.stdout) == (int(no_match), from_records.stdout), args
        assert from_records.returncode == int(no_match), args
    stamp, table = original.split(b"\n", 1)
    magic, fetched_at, _ = stamp.split(b"\t")

    def stamped(text: bytes, at: bytes = fetched_at) -> bytes:
        return b"\t".join([magic, at, str(zlib.crc32(text)).encode()]) + b"\n" + text

    # Read, not decoration: an edit with a matching checksum shows.
    listing.write_bytes(stamped(table.replace(b"Example account, one role", b"Edited in the listing")))
    assert "Edited in the listing" in detached(catalogued, "list").stdout
    for damaged in [stamp + b"\n" + table.replace(b"Example account, one role", b"escape \x1b[31m"),
                    original[:-10],                                     # cut short
                    stamped(table, at=fetched_at + b"1"),               # from another init
                    stamped(table)[len(b"letme_"):]]:                   # not a listing
        listing.write_bytes(damaged)
        assert detached(catalogued, "list").stdout == expected.stdout

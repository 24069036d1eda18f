"""The catalog keeps up with the table (issue 12, items 5 and 7).

`list` works without a prior `init`; a name the cache does not have is read from the table by key (one
GetItem, validated like scanned items) before "unknown account", and the cache gains it; a cache older than
`catalog_max_age` is renewed by a detached `letme init` started by the next `list` or `use`, which do not wait
for it. Names stay strict, with a skip warning that says how to rename; tags are data (`cost center`).
Each test has a table of its own on the session's moto server: items added here never reach other tests.
"""

from __future__ import annotations

import json
import os
import stat
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import Recorder, Sandbox
from test_obtain import ddb_targets, detached, set_config

from letme_shell import sampleorg


def ddb(box: Sandbox) -> Any:
    return sampleorg._client("dynamodb", box.org.endpoint)


def own_table(box: Sandbox, items: list[dict[str, Any]] | None = None) -> str:
    """A new catalog table with example1, example2 and prod-eu (or `items`), named in the sandbox's config."""
    name = f"letme-growth-{uuid.uuid4().hex[:12]}"
    client = ddb(box)
    client.create_table(TableName=name, KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    for item in items if items is not None else sampleorg.sample_items(3):
        client.put_item(TableName=name, Item=item)
    set_config(box, dynamodb_table=name)
    return name


def put(box: Sandbox, table: str, item: dict[str, Any]) -> None:
    ddb(box).put_item(TableName=table, Item=item)


def cache_dir(box: Sandbox) -> Path:
    return box.home / ".cache" / "letme" / "catalog" / "general"


def cached_names(box: Sandbox) -> list[str]:
    return (cache_dir(box) / "names").read_text().split()


def header(box: Sandbox) -> dict[str, Any]:
    return json.loads((cache_dir(box) / "accounts.jsonl").read_text().splitlines()[0])


def test_list_without_init_fetches_and_caches(sandbox: Sandbox, recorder: Recorder) -> None:
    own_table(sandbox)
    assert not cache_dir(sandbox).exists()
    recorder.reset()
    result = detached(sandbox, "list", "--names")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["example1", "example2", "prod-eu"]
    assert "read" not in result.stderr  # no progress without a terminal
    assert cached_names(sandbox) == ["example1", "example2", "prod-eu"]
    assert ddb_targets(recorder) == ["Scan"]
    # The next list reads the cache: no request.
    recorder.reset()
    again = detached(sandbox, "list")
    assert again.returncode == 0, again.stderr
    assert "example2" in again.stdout and ddb_targets(recorder) == []


def test_a_name_missing_from_the_cache_is_read_from_the_table_and_kept(sandbox: Sandbox,
                                                                        recorder: Recorder) -> None:
    table = own_table(sandbox)
    sandbox.ok("init")
    fetched_at, origin = header(sandbox)["fetched_at"], header(sandbox)["origin"]
    put(sandbox, table, sampleorg.account_item("brandnew", 7, hops=1, description="added after init"))
    recorder.reset()
    result = detached(sandbox, "obtain", "brandnew", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    assert ddb_targets(recorder) == ["GetItem"]
    assert "[brandnew]" in sandbox.credentials_file.read_text()
    # The cache gained it, whole, with its origin and the age of the last full scan.
    assert cached_names(sandbox) == ["brandnew", "example1", "example2", "prod-eu"]
    assert header(sandbox)["origin"] == origin and header(sandbox)["fetched_at"] == fetched_at
    assert header(sandbox)["count"] == 4
    for path in cache_dir(sandbox).iterdir():
        assert path.suffix != ".tmp"
    assert stat.S_IMODE((cache_dir(sandbox) / "accounts.jsonl").stat().st_mode) == 0o600
    recorder.reset()
    listed = detached(sandbox, "list", "brandnew")
    assert listed.returncode == 0 and "added after init" in listed.stdout
    again = detached(sandbox, "obtain", "brandnew")
    assert again.returncode == 0, again.stderr
    assert ddb_targets(recorder) == []  # from the cache now


def test_an_unknown_name_costs_one_get_item_then_did_you_mean(sandbox: Sandbox, recorder: Recorder) -> None:
    table = own_table(sandbox)
    sandbox.ok("init")
    # An item added after init that fails validation is skipped as a scanned one would be.
    bad = sampleorg.account_item("badregion", 8)
    bad["region"] = {"L": [{"S": "$(touch x)"}]}
    put(sandbox, table, bad)
    before = (cache_dir(sandbox) / "accounts.jsonl").read_bytes()
    recorder.reset()
    result = detached(sandbox, "obtain", "exmple1")
    assert result.returncode == 1
    assert "unknown account 'exmple1'" in result.stderr and "did you mean: example1" in result.stderr
    assert ddb_targets(recorder) == ["GetItem"]
    skipped = detached(sandbox, "obtain", "badregion")
    assert skipped.returncode == 1
    assert "skipped account badregion" in skipped.stderr and "unknown account" in skipped.stderr
    assert (cache_dir(sandbox) / "accounts.jsonl").read_bytes() == before


def test_an_old_cache_is_renewed_in_the_background_by_list_and_use(sandbox: Sandbox) -> None:
    table = own_table(sandbox)
    set_config(sandbox, catalog_max_age=3600)
    sandbox.ok("init")
    put(sandbox, table, sampleorg.account_item("later1", 9))
    # Not old yet: nothing is renewed.
    assert detached(sandbox, "list", "--names").stdout.split() == ["example1", "example2", "prod-eu"]
    time.sleep(1)
    assert cached_names(sandbox) == ["example1", "example2", "prod-eu"]
    # Make it two hours old: `list` answers from the cache at once and a detached init renews it.
    accounts = cache_dir(sandbox) / "accounts.jsonl"
    lines = accounts.read_text().splitlines(keepends=True)
    head = json.loads(lines[0])
    head["fetched_at"] -= 7200
    accounts.write_text(json.dumps(head, separators=(",", ":")) + "\n" + "".join(lines[1:]))
    result = detached(sandbox, "list", "--names")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["example1", "example2", "prod-eu"]  # the old cache, not waited for
    deadline = time.time() + 30
    while "later1" not in cached_names(sandbox) and time.time() < deadline:
        time.sleep(0.2)
    assert "later1" in cached_names(sandbox)
    assert time.time() - header(sandbox)["fetched_at"] < 60

    # One renewal per context every ten minutes at most, whatever its outcome: a second old cache right
    # after starts none (a table that cannot be read is not retried at every command) ...
    head = header(sandbox)
    head["fetched_at"] -= 7200
    rest = accounts.read_text().splitlines(keepends=True)[1:]
    accounts.write_text(json.dumps(head, separators=(",", ":")) + "\n" + "".join(rest))
    put(sandbox, table, sampleorg.account_item("later2", 10))
    assert detached(sandbox, "list", "--names").returncode == 0
    time.sleep(3)
    assert "later2" not in cached_names(sandbox)
    # ... and once that time has passed, `use` starts one too.
    marker = sandbox.home / ".local" / "state" / "letme" / "catalog-renewal" / "general"
    assert marker.is_file()
    old = time.time() - 700
    os.utime(marker, (old, old))
    used = detached(sandbox, "use", "example1", "--mfa-code", "123456", "--shell", "bash")
    assert used.returncode == 0, used.stderr
    deadline = time.time() + 30
    while "later2" not in cached_names(sandbox) and time.time() < deadline:
        time.sleep(0.2)
    assert "later2" in cached_names(sandbox)


def test_refresh_apply_never_starts_a_renewal(sandbox: Sandbox) -> None:
    """What the prompt runs never starts one (it must not touch the network)."""
    table = own_table(sandbox)
    set_config(sandbox, catalog_max_age=3600)
    sandbox.ok("init")
    put(sandbox, table, sampleorg.account_item("later3", 11))
    accounts = cache_dir(sandbox) / "accounts.jsonl"
    lines = accounts.read_text().splitlines(keepends=True)
    head = json.loads(lines[0])
    head["fetched_at"] -= 7200
    accounts.write_text(json.dumps(head, separators=(",", ":")) + "\n" + "".join(lines[1:]))
    detached(sandbox, "refresh", "--apply", "--shell", "bash", "example1")
    time.sleep(3)
    assert "later3" not in cached_names(sandbox)


def test_a_name_that_is_not_valid_is_skipped_with_how_to_rename(sandbox: Sandbox) -> None:
    own_table(sandbox, [*sampleorg.sample_items(1), sampleorg.account_item("Acme Prod", 12)])
    result = detached(sandbox, "init")
    assert result.returncode == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if "Acme Prod" in line]
    assert len(warning) == 1
    assert "letters, digits" in warning[0] and "no spaces" in warning[0]
    assert "'Acme-Prod'" in warning[0] and "delete the old one" in warning[0]


@pytest.mark.parametrize("typed", ["cost center", "prod"])
def test_tags_with_spaces_are_kept_and_match(sandbox: Sandbox, typed: str) -> None:
    tags = ["cost center", "prod", "x\x1b[31m", "y" * 129, "  padded", "Ünïcode tag"]
    own_table(sandbox, [sampleorg.account_item("example1", 1),
                        sampleorg.account_item("tagged1", 13, tags=tags)])
    sandbox.ok("init")
    doc = json.loads(sandbox.ok("list", "--json").stdout)
    assert {a["name"]: a["tags"] for a in doc}["tagged1"] == ["cost center", "prod", "Ünïcode tag"]
    result = detached(sandbox, "list", "--tag", typed)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["tagged1"]
    shown = '"cost center"' if " " in typed else "prod"
    assert f"tagged {shown}" in result.stderr
    names = detached(sandbox, "list", "--tag", "cost center", "--tag", "Ünïcode tag", "--names")
    assert names.stdout == "tagged1\n"
    assert detached(sandbox, "list", "--tag", "cost", "--names").returncode == 1

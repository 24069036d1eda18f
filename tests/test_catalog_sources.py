"""Catalog sources beside the DynamoDB table (issue 13, item 5): role profiles of ~/.aws/config
(`aws_config_profiles = true`) and AWS Organizations (`organizations_role`), merged into one cached catalog.

What is proved, against moto over HTTP: a role profile is assumed exactly as it says (its own source profile's
keys sign the first call, its mfa_serial, external_id, duration_seconds and role_session_name are what STS
receives: moto's recorder shows it); a chain of profiles is one role list; what letme cannot express is
skipped with one line; Organizations is listed with every page, ACTIVE accounts only, hostile names made into
valid ones; a name in two sources is said at `init` and in `list`, the table's winning; `list` has a SOURCE
column; a context with no table works; adding or removing a source makes the cache stale, refused in one line.
"""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import Recorder, Sandbox
from test_obtain import ddb_targets, detached, set_config

from letme_shell import catalog, catalog_merge, catalog_orgs, catalog_profiles, config, sampleorg, validate

BASE_KEY = "AKIAIOSFODNN7BASEKEY"  # the keys of [base]: not the context's source profile (default, alice)
DEV_TOKEN = "arn:aws:iam::123456789012:mfa/dev-token"  # not the context's mfa_arn
ORG_ROLE = "OrganizationAccountAccessRole"

PROFILES = f"""
[profile dev]
role_arn = arn:aws:iam::300000000001:role/dev-admin
source_profile = base
mfa_serial = {DEV_TOKEN}
external_id = Dev-Ext-1
duration_seconds = 1800
role_session_name = alice-dev
region = eu-central-1

[profile deep]
role_arn = arn:aws:iam::300000000003:role/deep
source_profile = dev
external_id = deep-id

[profile plain]
role_arn = arn:aws:iam::300000000002:role/viewer
source_profile = base

[profile "my profile"]
role_arn = arn:aws:iam::300000000004:role/spaced
source_profile = base

[profile example1]
role_arn = arn:aws:iam::300000000005:role/shadowed
source_profile = base

[profile loop-a]
role_arn = arn:aws:iam::300000000006:role/a
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::300000000007:role/b
source_profile = loop-a

[profile deep-mfa]
role_arn = arn:aws:iam::300000000008:role/deep-mfa
source_profile = dev
mfa_serial = {DEV_TOKEN}

[profile from-env]
role_arn = arn:aws:iam::300000000009:role/env
credential_source = Environment

[profile written-by-letme]
manager = letme
role_arn = arn:aws:iam::300000000010:role/never
source_profile = base

[profile long]
role_arn = arn:aws:iam::300000000011:role/long
source_profile = base
duration_seconds = forever
"""


def with_profiles(box: Sandbox) -> Sandbox:
    with box.config_file.open("a") as fh:
        fh.write(PROFILES)
    with box.credentials_file.open("a") as fh:
        fh.write(f"\n[base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = {'b' * 40}\n")
    return box


@pytest.fixture
def profiled(sandbox: Sandbox) -> Sandbox:
    set_config(with_profiles(sandbox), aws_config_profiles=True)
    return sandbox


def rows(result: Any) -> dict[str, list[str]]:
    lines = result.stdout.splitlines()
    return {line.split()[0]: line.split() for line in lines[1:]}


def test_role_profiles_join_the_table_with_a_source_column(profiled: Sandbox) -> None:
    result = detached(profiled, "init")
    assert result.returncode == 0, result.stderr
    err = result.stderr
    # One line per profile letme cannot express, naming it and why.
    assert "profile 'loop-a' of the AWS config: its source_profile chain loops back" in err
    assert "profile 'deep-mfa' of the AWS config: it has an mfa_serial, but is assumed with another role's" in err
    assert "profile 'from-env' of the AWS config uses credential_source" in err
    assert "profile 'long' of the AWS config: duration_seconds 'forever'" in err
    # The collision: both sources named, and which wins.
    collision = [line for line in err.splitlines() if "'example1' is both in" in line]
    assert len(collision) == 1, err
    assert "the table 'letme-accounts'" in collision[0] and "(profile 'example1')" in collision[0]
    assert "the table one is used" in collision[0]
    assert "Traceback" not in err

    listed = detached(profiled, "list")
    assert listed.returncode == 0, listed.stderr
    header = listed.stdout.splitlines()[0].split()
    assert header == ["NAME", "ID", "HOPS", "REGIONS", "SOURCE", "DESCRIPTION"]
    table = rows(listed)
    assert table["example1"][4] == "table"  # the table's example1, not the profile's
    assert table["dev"][1:5] == ["300000000001", "1", "eu-central-1", "aws-config"]
    assert table["deep"][1:3] == ["300000000003", "2"]
    assert table["my-profile"][4] == "aws-config"  # a profile name with a blank, made valid
    for absent in ("loop-a", "loop-b", "deep-mfa", "from-env", "written-by-letme", "long", "base"):
        assert absent not in table, absent
    assert "in two sources, listed once: example1 (table, not aws-config)" in listed.stderr
    data = {a["name"]: a for a in json.loads(detached(profiled, "list", "--json").stdout)}
    assert data["dev"]["source"] == "aws-config" and "source" not in data["example1"]


def test_a_role_profile_is_assumed_as_it_says(profiled: Sandbox, recorder: Recorder) -> None:
    profiled.ok("init")
    recorder.reset()
    result = detached(profiled, "credential-process", "dev", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    (session, signer), = recorder.signed("GetSessionToken")
    assert signer == BASE_KEY  # the profile's source_profile, not the context's (default: alice)
    assert session["SerialNumber"] == DEV_TOKEN and session["TokenCode"] == "123456"
    (hop,) = recorder.actions("AssumeRole")
    assert hop["RoleArn"] == "arn:aws:iam::300000000001:role/dev-admin"
    assert hop["ExternalId"] == "Dev-Ext-1"
    assert hop["DurationSeconds"] == "1800"
    assert hop["RoleSessionName"] == "alice-dev"
    # Cached for the next call: no STS at all.
    recorder.reset()
    assert detached(profiled, "credential-process", "dev").returncode == 0
    assert not recorder.actions("AssumeRole") and not recorder.actions("GetSessionToken")


def test_a_profile_chain_is_one_role_list(profiled: Sandbox, recorder: Recorder) -> None:
    profiled.ok("init")
    recorder.reset()
    result = detached(profiled, "credential-process", "deep", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    (session,) = recorder.actions("GetSessionToken")
    assert session["SerialNumber"] == DEV_TOKEN  # the first role's mfa_serial
    hops = [(form["RoleArn"].rsplit("/", 1)[-1], form.get("ExternalId"), form["RoleSessionName"])
            for form in recorder.actions("AssumeRole")]
    assert hops == [("dev-admin", "Dev-Ext-1", "deep-letme-session"), ("deep", "deep-id", "deep-letme-session")]


def test_a_profile_without_mfa_serial_sends_none(profiled: Sandbox, recorder: Recorder) -> None:
    """The context's mfa_arn belongs to the context's source identity, never to a profile's."""
    profiled.ok("init")
    recorder.reset()
    result = detached(profiled, "credential-process", "plain")
    assert result.returncode == 0, result.stderr
    assert not recorder.actions("GetSessionToken")
    ((hop, signer),) = recorder.signed("AssumeRole")
    assert signer == BASE_KEY and "SerialNumber" not in hop and "ExternalId" not in hop
    assert hop["RoleSessionName"] == "plain-letme-session"


def test_letme_never_writes_over_the_profile_an_account_came_from(profiled: Sandbox) -> None:
    profiled.ok("init")
    before = profiled.config_file.read_bytes(), profiled.credentials_file.read_bytes()
    used = detached(profiled, "use", "plain", "--shell", "bash")
    assert used.returncode == 0, used.stderr
    assert "using env mode instead of process" in used.stderr
    assert "export AWS_ACCESS_KEY_ID=" in used.stdout and "AWS_PROFILE=" not in used.stdout.replace("unset", "")
    for args in (("obtain", "plain"), ("obtain", "plain", "--force"), ("obtain", "plain", "--credential-process")):
        refused = detached(profiled, *args)
        assert refused.returncode == 1 and "your own profile [profile plain]" in refused.stderr, args
        assert len(refused.stderr.splitlines()) == 2
    assert (profiled.config_file.read_bytes(), profiled.credentials_file.read_bytes()) == before


def test_in_another_context_the_profile_letme_writes_has_its_own_name(profiled: Sandbox) -> None:
    general = profiled.letme_config.read_text()
    profiled.letme_config.write_text(general + "\n" + general.replace("[general]", "[b]"))
    profiled.ok("--context", "b", "init")
    before = profiled.config_file.read_text()
    used = detached(profiled, "--context", "b", "use", "plain", "--shell", "bash")
    assert used.returncode == 0, used.stderr
    assert "process mode" in used.stderr and "env mode" not in used.stderr
    assert "export AWS_PROFILE='plain@b';" in used.stdout
    after = profiled.config_file.read_text()
    assert after.startswith(before) and "[profile plain@b]" in after  # [profile plain] itself untouched


def test_a_missing_source_profile_is_one_line(sandbox: Sandbox) -> None:
    with sandbox.config_file.open("a") as fh:
        fh.write("\n[profile orphan]\nrole_arn = arn:aws:iam::300000000012:role/o\nsource_profile = nowhere\n")
    set_config(sandbox, aws_config_profiles=True)
    result = detached(sandbox, "init")
    assert result.returncode == 0, result.stderr
    assert "skipped profile 'orphan' of the AWS config: source_profile 'nowhere' is not in your AWS files" \
        in result.stderr


def test_a_context_with_only_role_profiles(sandbox: Sandbox, recorder: Recorder) -> None:
    with_profiles(sandbox)
    text = "\n".join(line for line in sandbox.letme_config.read_text().splitlines()
                     if not line.startswith("dynamodb_table"))
    sandbox.letme_config.write_text(text + "\naws_config_profiles = true\n")
    listed = detached(sandbox, "list", "--names")  # no cache yet: reads the sources, as init
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["deep", "dev", "example1", "my-profile", "plain"]
    assert "collision" not in listed.stderr and "is both in" not in listed.stderr
    assert ddb_targets(recorder) == []  # no table: never a DynamoDB call
    assert detached(sandbox, "credential-process", "plain").returncode == 0
    unknown = detached(sandbox, "credential-process", "nosuch")
    assert unknown.returncode != 0 and "unknown account 'nosuch'" in unknown.stderr
    assert ddb_targets(recorder) == []


def test_a_missing_table_is_still_required_without_another_source(sandbox: Sandbox) -> None:
    text = "\n".join(line for line in sandbox.letme_config.read_text().splitlines()
                     if not line.startswith("dynamodb_table"))
    sandbox.letme_config.write_text(text + "\n")
    result = detached(sandbox, "list")
    assert result.returncode == 1 and "is missing the required key dynamodb_table" in result.stderr
    assert "aws_config_profiles" in result.stderr


def test_adding_or_removing_a_source_makes_the_cache_stale(catalogued: Sandbox) -> None:
    with_profiles(catalogued)
    # A cache from the table alone stays valid as long as the config names the table alone.
    assert detached(catalogued, "list", "--names").returncode == 0
    set_config(catalogued, aws_config_profiles=True)
    for args in (("credential-process", "example1", "--mfa-code", "123456"), ("list",), ("use", "example1",
                                                                                          "--shell", "bash")):
        refused = detached(catalogued, *args)
        assert refused.returncode == 1, (args, refused.stderr)
        lines = refused.stderr.splitlines()
        assert len(lines) == 2 and "was built from sources table, but the config now says sources " \
            "table,aws-config" in lines[0], (args, refused.stderr)
        assert "letme init" in lines[1]
    catalogued.ok("init")
    assert "dev" in detached(catalogued, "list", "--names").stdout.split()
    set_config(catalogued, aws_config_profiles=False)
    refused = detached(catalogued, "credential-process", "example1")
    assert refused.returncode == 1 and "now says sources table" in refused.stderr
    set_config(catalogued, aws_config_profiles=True, organizations_role="Other")
    refused = detached(catalogued, "list")
    assert refused.returncode == 1 and "organizations:Other" in refused.stderr


# ---- AWS Organizations ------------------------------------------------------------------------------------------

HOSTILE = ["$(touch /tmp/letme-pwned)", "Payments Prod", "Café Ünïcode", "日本", "dup", "dup", "a\x1b[31mred",
           "example1", "dev", "-flag"]
FILLER = 16  # with the above and the management account: more than one page of 20


@pytest.fixture(scope="module")
def organization(moto: str) -> dict[str, str]:
    """An organization on the session's moto (its management account is moto's default one), with hostile
    names, two equal ones, a suspended account and enough accounts for two pages. Name → id."""
    client = boto3.client("organizations", endpoint_url=moto, region_name=sampleorg.REGION,
                          aws_access_key_id="seed", aws_secret_access_key="seed")
    with contextlib.suppress(client.exceptions.AlreadyInOrganizationException):
        client.create_organization(FeatureSet="ALL")
    made: dict[str, str] = {}
    for index, name in enumerate([*HOSTILE, *(f"team-{n:02d}" for n in range(FILLER)), "closed-one"]):
        status = client.create_account(AccountName=name, Email=f"acct{index}@example.com")["CreateAccountStatus"]
        made.setdefault(name, status["AccountId"])
        if name == "dup":
            made[f"dup#{index}"] = status["AccountId"]
    client.close_account(AccountId=made["closed-one"])
    return made


@pytest.fixture
def orged(sandbox: Sandbox, organization: dict[str, str]) -> Sandbox:
    set_config(sandbox, organizations_role=ORG_ROLE)
    return sandbox


def org_requests(recorder: Recorder, operation: str) -> list[dict[str, Any]]:
    found = []
    for entry in recorder.requests():
        headers = entry.get("headers") or {}
        assert isinstance(headers, dict)
        if headers.get("X-Amz-Target", "") == f"AWSOrganizationsV20161128.{operation}":
            body = entry.get("body") or "{}"
            assert isinstance(body, str)
            found.append(json.loads(base64.b64decode(body).decode() if entry.get("body_encoded") else body))
    return found


def test_organizations_accounts_are_listed_with_every_page(orged: Sandbox, recorder: Recorder,
                                                           organization: dict[str, str]) -> None:
    result = detached(orged, "init")
    assert result.returncode == 0, result.stderr
    pages = org_requests(recorder, "ListAccounts")
    assert len(pages) >= 2 and "NextToken" not in pages[0] and all("NextToken" in page for page in pages[1:])
    assert not Path("/tmp/letme-pwned").exists()
    listed = detached(orged, "list")
    table = rows(listed)
    assert table["touch-tmp-letme-pwned"][4] == "organizations"
    assert table["Payments-Prod"][1] == organization["Payments Prod"]
    assert "Cafe-Unicode" in table and "a-31mred" in table and "flag" in table
    japanese = f"account-{organization['日本']}"
    assert japanese in table
    first, second = sorted([organization[k] for k in organization if k.startswith("dup#")])
    assert table["dup"][1] == first and table[f"dup-{second}"][1] == second
    assert f"Organizations account {second} is named like account {first} ('dup'); listed as 'dup-{second}'" \
        in result.stderr
    assert "closed-one" not in table  # SUSPENDED
    assert table["example1"][4] == "table"  # the table's wins
    assert "'example1' is both in the table 'letme-accounts' and in AWS Organizations (account " in result.stderr
    assert "\x1b" not in listed.stdout + listed.stderr + result.stderr
    for name in table:
        assert validate.is_account_name(name), name

    recorder.reset()
    used = detached(orged, "credential-process", "Payments-Prod", "--mfa-code", "123456")
    assert used.returncode == 0, used.stderr
    (hop,) = recorder.actions("AssumeRole")
    assert hop["RoleArn"] == f"arn:aws:iam::{organization['Payments Prod']}:role/{ORG_ROLE}"
    assert hop["RoleSessionName"] == "Payments-Prod-letme-session"


def test_precedence_table_then_aws_config_then_organizations(orged: Sandbox) -> None:
    set_config(with_profiles(orged), aws_config_profiles=True)
    result = detached(orged, "init")
    assert result.returncode == 0, result.stderr
    table = rows(detached(orged, "list"))
    assert table["dev"][4] == "aws-config" and table["example1"][4] == "table"
    dev = [line for line in result.stderr.splitlines() if "'dev' is both in" in line]
    assert len(dev) == 1 and "(profile 'dev')" in dev[0] and "AWS Organizations (account" in dev[0]
    assert "the aws-config one is used (table > aws-config > organizations)" in dev[0]
    assert len([line for line in result.stderr.splitlines() if "'example1' is both in" in line]) == 2


@pytest.mark.parametrize(("code", "message", "said"), [
    ("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.",
     "is not in an organization"),
    ("AccessDeniedException", "You don't have permissions to access this resource.", "AccessDeniedException"),
])
def test_organizations_refusal_is_one_line_and_keeps_the_cache(catalogued: Sandbox, proxied: Sandbox,
                                                                 sts_proxy: Any, code: str, message: str,
                                                                 said: str) -> None:
    """moto lists no accounts where AWS refuses (an account outside any organization, a member account without
    the permission): the stand-in answers ListAccounts with AWS's JSON error body. The cache stays as it was."""
    import stsproxy

    set_config(catalogued, organizations_role=ORG_ROLE)
    records = catalogued.home / ".cache/letme/catalog/general/accounts.jsonl"
    before = records.read_bytes()
    sts_proxy.add(stsproxy.Rule("ListAccounts", 400, code, message, json_error=True))
    result = detached(catalogued, "init")
    assert result.returncode != 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and said in lines[0] and lines[1].startswith("letme: hint: "), result.stderr
    assert "management account" in lines[1]
    assert records.read_bytes() == before


# ---- in-process: the rules themselves -----------------------------------------------------------------------------

def test_names_from_free_text_are_valid_and_stable() -> None:
    for text in ("Payments Prod", "$(rm -rf ~)", "a;b|c", "'quoted'", "x" * 300, "..dots", "Ünïcode", "\n\t",
                 "name\x00nul", "-rf"):
        made = validate.name_from_text(text)
        assert made is None or validate.is_account_name(made), (text, made)
        assert made == validate.name_from_text(text)
    assert validate.name_from_text("Payments Prod") == "Payments-Prod"
    assert validate.name_from_text("Café") == "Cafe"
    assert validate.name_from_text("日本") is None


def test_profiles_letme_wrote_are_never_accounts() -> None:
    settings = config.settings_from_table(Path("x.toml"), "general", {
        "aws_source_profile_region": "eu-west-1", "aws_config_profiles": True})
    profiles = {"base": {"aws_access_key_id": "k"},
                "ours": {"manager": "letme", "role_arn": "arn:aws:iam::111111111111:role/r", "source_profile": "base"},
                "theirs": {"role_arn": "arn:aws:iam::111111111111:role/r", "source_profile": "base"},
                "a b": {"role_arn": "arn:aws:iam::111111111111:role/r", "source_profile": "base"},
                "a-b": {"role_arn": "arn:aws:iam::111111111112:role/r", "source_profile": "base"},
                "sso": {"sso_session": "corp", "sso_role_name": "Admin"}}
    accounts, skipped = catalog_profiles.accounts(settings, profiles)
    assert sorted(a.name for a in accounts) == ["a-b", "theirs"]
    assert next(a for a in accounts if a.name == "a-b").id == "111111111112"  # the profile named so keeps it
    assert skipped == ["profile 'a b' of the AWS config would be listed as 'a-b', which profile 'a-b' already is; "
                       "rename one of them"]


def test_a_cached_via_is_validated_again() -> None:
    role = "arn:aws:iam::111111111111:role/r"
    good = {"name": "x", "roles": [role], "source": "aws-config",
            "via": {"profile": "x", "source_profile": "base", "mfa_serial": None, "duration": 900,
                    "session_name": None}}
    assert catalog.account_from_item_json(good).via.source_profile == "base"
    for bad in ({"source_profile": "base\nrole_arn = x"}, {"duration": 60}, {"mfa_serial": "short"},
                {"session_name": "a b"}, {"extra": 1}):
        with pytest.raises(catalog.InvalidItem):
            catalog.account_from_item_json({**good, "via": {**good["via"], **bad}})
    with pytest.raises(catalog.InvalidItem):  # only an aws-config account names its own source profile
        catalog.account_from_item_json({**good, "source": "table"})
    with pytest.raises(catalog.InvalidItem):
        catalog.account_from_item_json({**good, "source": "elsewhere"})


def test_merge_keeps_the_first_source_and_says_so() -> None:
    settings = config.settings_from_table(Path("x.toml"), "general", {
        "aws_source_profile_region": "eu-west-1", "dynamodb_table": "letme-accounts", "organizations_role": ORG_ROLE})
    role = "arn:aws:iam::111111111111:role/r"
    table = catalog.Account("same", "111111111111", "", (), (role,), ())
    org = table._replace(source="organizations")
    merged = catalog_merge.merge(settings, {"table": [table], "organizations": [org, org._replace(name="other")]}, [])
    assert [a.name for a in merged.accounts] == ["same", "other"] and merged.accounts[0].source == "table"
    assert merged.shadowed == [("same", "table", "organizations")]
    assert merged.notes and "table > organizations" in merged.notes[0]
    entries = [{"Id": "222222222222", "Name": "Good", "State": "ACTIVE", "Arn": "arn:aws-cn:organizations::x"},
               {"Id": "333333333333", "Name": "Gone", "Status": "SUSPENDED"},
               {"Id": "1; rm", "Name": "bad id", "State": "ACTIVE"}]
    accounts, lines = catalog_orgs.accounts(settings, entries)
    assert [(a.name, a.roles) for a in accounts] == [("Good", (f"arn:aws-cn:iam::222222222222:role/{ORG_ROLE}",))]
    assert lines == ["skipped an Organizations account with id '1; rm': not an AWS account id"]

"""`letme obtain` end to end against moto: MFA session, role chains, durations, the credential cache.

The recorder proves what letme really sent: the MFA serial and code on the first
GetSessionToken and none later, one AssumeRole per hop, DurationSeconds per hop.
"""

from __future__ import annotations

import base64
import configparser
import json
import re
import subprocess
import time
from typing import Any

import pytest
from conftest import LETME, Recorder, Sandbox

from letme_shell import sampleorg

RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def detached(sandbox: Sandbox, *args: str, env: dict[str, str] | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run letme with no controlling terminal, so an MFA prompt cannot happen (and cannot hang)."""
    return subprocess.run([LETME, *args], env={**sandbox.env, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, start_new_session=True, stdin=subprocess.DEVNULL)


def set_config(sandbox: Sandbox, **values: Any) -> None:
    """Append or replace keys of the sandbox's [general] table (the only table it has)."""
    lines = [line for line in sandbox.letme_config.read_text().splitlines()
             if line.split("=")[0].strip() not in values]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")
    sandbox.letme_config.write_text("\n".join(lines) + "\n")


def ddb_targets(recorder: Recorder) -> list[str]:
    """DynamoDB operations recorded (JSON protocol: the operation is in X-Amz-Target)."""
    found = []
    for entry in recorder.requests():
        headers = entry.get("headers") or {}
        assert isinstance(headers, dict)
        target = headers.get("X-Amz-Target", "")
        if target.startswith("DynamoDB_"):
            found.append(target.split(".", 1)[1])
    return found


def ddb_bodies(recorder: Recorder, operation: str) -> list[dict[str, Any]]:
    bodies = []
    for entry in recorder.requests():
        headers = entry.get("headers") or {}
        assert isinstance(headers, dict)
        if headers.get("X-Amz-Target", "").endswith("." + operation):
            body = entry.get("body") or ""
            assert isinstance(body, str)
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode()
            bodies.append(json.loads(body))
    return bodies


def profiles(sandbox: Sandbox) -> tuple[configparser.RawConfigParser, configparser.RawConfigParser]:
    creds, conf = configparser.RawConfigParser(), configparser.RawConfigParser()
    creds.read(sandbox.credentials_file)
    conf.read(sandbox.config_file)
    return creds, conf


def seed_table(endpoint: str, table: str, items: list[dict[str, Any]]) -> tuple[str, ...]:
    """Another catalog table on the session's moto (sampleorg.seed would make a third access key)."""
    import boto3

    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=sampleorg.REGION,
                       aws_access_key_id="seed", aws_secret_access_key="seed")
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    for start in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]})
    return tuple(sorted(item["name"]["S"] for item in items if "S" in item["name"]))


def hop_roles(account_index: int, hops: int) -> list[str]:
    item = sampleorg.account_item("x", account_index, hops=hops)
    return [r["S"] for r in item["role"]["L"]]


def test_mfa_session_is_made_once_and_reused_for_later_accounts(catalogued: Sandbox, recorder: Recorder) -> None:
    sandbox = catalogued
    first = detached(sandbox, "obtain", "example1", "--mfa-code", "123456")
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # results only on stdout; obtain's result is the profile
    tokens = recorder.actions("GetSessionToken")
    assert len(tokens) == 1
    assert tokens[0]["SerialNumber"] == sandbox.org.mfa_arn
    assert tokens[0]["TokenCode"] == "123456"
    assumed = recorder.actions("AssumeRole")
    assert [a["RoleArn"] for a in assumed] == hop_roles(1, 1)
    assert "TokenCode" not in assumed[0]  # the code went to GetSessionToken, not to the role

    # Within the MFA session's lifetime: no code, no terminal, no second GetSessionToken.
    second = detached(sandbox, "obtain", "example2")
    assert second.returncode == 0, second.stderr
    assert len(recorder.actions("GetSessionToken")) == 1
    assumed = recorder.actions("AssumeRole")
    assert [a["RoleArn"] for a in assumed[1:]] == hop_roles(2, 3)
    assert all(a["RoleSessionName"] == "example2-letme-session" for a in assumed[1:])

    creds, conf = profiles(sandbox)
    for name in ("example1", "example2"):
        section = creds[name]
        assert section["aws_access_key_id"].startswith("ASIA")
        assert section["aws_secret_access_key"] and section["aws_session_token"]
        assert RFC3339_UTC.fullmatch(section["x_security_token_expires"])
    assert conf["profile example1"]["region"] == "eu-west-1"
    assert creds["default"]["aws_access_key_id"] == sandbox.org.access_key_id  # untouched


def test_inline_mfa_alias_is_accepted(catalogued: Sandbox, recorder: Recorder) -> None:
    result = detached(catalogued, "obtain", "example1", "--inline-mfa", "654321")
    assert result.returncode == 0, result.stderr
    assert recorder.actions("GetSessionToken")[0]["TokenCode"] == "654321"


def test_mfa_needed_without_a_terminal_fails_with_exit_4(catalogued: Sandbox, recorder: Recorder) -> None:
    result = detached(catalogued, "obtain", "example1")
    assert result.returncode == 4, result.stderr
    assert "no terminal" in result.stderr and "Traceback" not in result.stderr
    assert recorder.actions("AssumeRole") == []
    assert "example1" not in catalogued.credentials_file.read_text()


def test_cached_credentials_are_reused_and_renew_asks_sts_again(catalogued: Sandbox, recorder: Recorder) -> None:
    sandbox = catalogued
    assert detached(sandbox, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    before = profiles(sandbox)[0]["example1"]["aws_access_key_id"]
    again = detached(sandbox, "obtain", "example1")
    assert again.returncode == 0, again.stderr
    assert len(recorder.actions("AssumeRole")) == 1
    assert profiles(sandbox)[0]["example1"]["aws_access_key_id"] == before
    renewed = detached(sandbox, "obtain", "example1", "--renew")
    assert renewed.returncode == 0, renewed.stderr
    assert len(recorder.actions("AssumeRole")) == 2
    assert len(recorder.actions("GetSessionToken")) == 1  # the MFA session is still good


def test_credentials_inside_the_refresh_window_are_renewed(catalogued: Sandbox, recorder: Recorder) -> None:
    # One-hour credentials with the default 900 s window: fresh until their last 15 minutes, then renewed.
    # (900 s credentials with a 900 s window used to be never fresh; see test_short_sessions.py.)
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    path = catalogued.home / ".cache/letme/credentials/general/example1.json"
    data = json.loads(path.read_text())
    data["credentials"]["Expires"] = int(time.time()) + 890  # in the window
    data["credentials"]["Issued"] = data["credentials"]["Expires"] - 3600
    path.write_text(json.dumps(data))
    result = detached(catalogued, "obtain", "example1")
    assert result.returncode == 0, result.stderr
    assert len(recorder.actions("AssumeRole")) == 2
    assert len(recorder.actions("GetSessionToken")) == 1


def test_long_session_duration_is_capped_for_chained_hops(catalogued: Sandbox, recorder: Recorder) -> None:
    set_config(catalogued, session_duration=7200)
    result = detached(catalogued, "obtain", "example2", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    assert "1 hour" in result.stderr  # the note
    durations = [int(a["DurationSeconds"]) for a in recorder.actions("AssumeRole")]
    assert durations == [7200, 3600, 3600]


def test_default_duration_on_every_hop(catalogued: Sandbox, recorder: Recorder) -> None:
    assert detached(catalogued, "obtain", "example2", "--mfa-code", "123456").returncode == 0
    assert [int(a["DurationSeconds"]) for a in recorder.actions("AssumeRole")] == [3600, 3600, 3600]


def test_session_name_from_config(catalogued: Sandbox, recorder: Recorder) -> None:
    set_config(catalogued, session_name="alice-with-letme")
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    assert recorder.actions("AssumeRole")[0]["RoleSessionName"] == "alice-with-letme"


def test_without_mfa_session_the_code_goes_with_the_first_hop(catalogued: Sandbox, recorder: Recorder) -> None:
    set_config(catalogued, mfa_session=False)
    result = detached(catalogued, "obtain", "example2", "--mfa-code", "111222")
    assert result.returncode == 0, result.stderr
    assert recorder.actions("GetSessionToken") == []
    hops = recorder.actions("AssumeRole")
    assert hops[0]["SerialNumber"] == catalogued.org.mfa_arn and hops[0]["TokenCode"] == "111222"
    assert all("TokenCode" not in hop for hop in hops[1:])


def test_without_mfa_no_code_is_sent(sandbox: Sandbox, recorder: Recorder) -> None:
    lines = [line for line in sandbox.letme_config.read_text().splitlines() if not line.startswith("mfa_arn")]
    sandbox.letme_config.write_text("\n".join(lines) + "\n")
    result = detached(sandbox, "obtain", "example1")
    assert result.returncode == 0, result.stderr
    assert recorder.actions("GetSessionToken") == []
    assert "SerialNumber" not in recorder.actions("AssumeRole")[0]


@pytest.fixture(scope="module")
def noroles_table(org: sampleorg.Org) -> str:
    item = sampleorg.account_item("hub-itself", 77, hops=1)
    item["role"] = {"L": []}
    seed_table(org.endpoint, "letme-noroles", [item, sampleorg.account_item("one-hop", 78)])
    return "letme-noroles"


def test_empty_role_list_gives_a_session_of_the_source_identity(sandbox: Sandbox, recorder: Recorder,
                                                                noroles_table: str) -> None:
    set_config(sandbox, dynamodb_table=noroles_table)
    result = detached(sandbox, "obtain", "hub-itself", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    tokens = recorder.actions("GetSessionToken")
    assert len(tokens) == 1 and tokens[0]["TokenCode"] == "123456"
    assert recorder.actions("AssumeRole") == []
    section = profiles(sandbox)[0]["hub-itself"]
    assert section["aws_session_token"] and RFC3339_UTC.fullmatch(section["x_security_token_expires"])


def test_obtain_without_a_catalog_cache_reads_one_item(sandbox: Sandbox, recorder: Recorder) -> None:
    result = detached(sandbox, "obtain", "prod-eu", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    assert ddb_targets(recorder) == ["GetItem"]
    assert ddb_bodies(recorder, "GetItem")[0]["Key"] == {"name": {"S": "prod-eu"}}
    assert [a["RoleArn"] for a in recorder.actions("AssumeRole")] == hop_roles(3, 2)


def test_obtain_v1_prints_version_1_json(catalogued: Sandbox) -> None:
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456", "--v1")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Version"] == 1 and data["AccessKeyId"].startswith("ASIA")
    assert RFC3339_UTC.fullmatch(data["Expiration"])
    # The original's --v1 prints; it does not write the profile.
    assert "[example1]" not in catalogued.credentials_file.read_text()


def test_obtain_credential_process_writes_the_profile_and_prints_nothing(catalogued: Sandbox) -> None:
    # The original's meaning (issue 12): a profile whose credential_process runs letme; no secret printed.
    result = detached(catalogued, "obtain", "example1", "--credential-process")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "credential-process example1" in catalogued.config_file.read_text()
    assert "[example1]" not in catalogued.credentials_file.read_text()


def test_aws_endpoint_url_and_config_endpoint_both_work(catalogued: Sandbox, recorder: Recorder) -> None:
    # The sandbox has both; the config alone must do, and the variable alone must too.
    env_only = {k: v for k, v in catalogued.env.items()}
    lines = [line for line in catalogued.letme_config.read_text().splitlines()
             if not line.startswith("endpoint_url")]
    catalogued.letme_config.write_text("\n".join(lines) + "\n")
    result = subprocess.run([LETME, "obtain", "example1", "--mfa-code", "123456"], env=env_only,
                            capture_output=True, text=True, timeout=60, start_new_session=True)
    assert result.returncode == 0, result.stderr
    set_config(catalogued, endpoint_url=catalogued.org.endpoint)
    no_var = {k: v for k, v in catalogued.env.items() if k != "AWS_ENDPOINT_URL"}
    result = subprocess.run([LETME, "obtain", "example2"], env=no_var,
                            capture_output=True, text=True, timeout=60, start_new_session=True)
    assert result.returncode == 0, result.stderr
    assert len(recorder.actions("AssumeRole")) == 4


@pytest.mark.parametrize("command", [("obtain", "example1"), ("exec", "example1", "--", "true"),
                                     ("shell", "example1"), ("obtain", "example1", "--credential-process")])
def test_a_bad_region_is_refused_before_any_sts_call(catalogued: Sandbox, recorder: Recorder,
                                                     command: tuple[str, ...]) -> None:
    """No MFA code typed for nothing: the region is checked before the role chain starts."""
    result = detached(catalogued, *command[:2], "--region", "mars-1", *command[2:])
    assert result.returncode != 0
    assert "'mars-1' is not an AWS region name" in result.stderr and "Traceback" not in result.stderr
    assert recorder.actions("GetSessionToken") == [] and recorder.actions("AssumeRole") == []

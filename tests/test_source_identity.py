"""Any source identity (issue 13, item 1): long-term keys, a role profile, credential_process, IAM Identity Center.

GetSessionToken (the MFA session) applies only to an IAM user's long-term keys. With any other source letme goes
straight to AssumeRole, and says once that `mfa_arn` does not apply. Every source is reached over HTTP: the role
and credential_process sources against moto, SSO through tests/ssoportal.py (a stand-in for the portal's
GetRoleCredentials, selected with AWS_ENDPOINT_URL_SSO as any SDK selects it) with a token cache file as
`aws sso login` writes it. moto's recorder shows which keys signed each AssumeRole.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import boto3
import pytest
import ssoportal
from conftest import Recorder, Sandbox

from letme_shell import sampleorg

HUB_ROLE = sampleorg.role_arn(sampleorg.HUB_ACCOUNT, "letme-hub")
TARGET = sampleorg.role_arn("100000000001", "letme-target")  # example1's one hop
NOT_APPLY = "does not apply"


def switch_source(box: Sandbox, profile: str, section: str, keep_mfa: bool = True) -> None:
    """Add `section` to ~/.aws/config, make [profile `profile`] letme's source, and fetch the catalog with it."""
    with box.config_file.open("a") as fh:
        fh.write("\n" + section)
    lines = box.letme_config.read_text().splitlines()
    lines = [f'aws_source_profile = "{profile}"' if line.startswith("aws_source_profile =") else line
             for line in lines if keep_mfa or not line.startswith("mfa_arn")]
    box.letme_config.write_text("\n".join(lines) + "\n")
    box.ok("init")


def hub_credentials(box: Sandbox) -> dict[str, str]:
    sts = boto3.client("sts", endpoint_url=box.org.endpoint, region_name=sampleorg.REGION,
                       aws_access_key_id=box.org.access_key_id, aws_secret_access_key=box.org.secret_access_key)
    return sts.assume_role(RoleArn=HUB_ROLE, RoleSessionName="process-source")["Credentials"]


def target_calls(recorder: Recorder) -> list[tuple[dict[str, str], str]]:
    return [(form, key) for form, key in recorder.signed("AssumeRole") if form["RoleArn"] == TARGET]


def assert_no_mfa_and_one_note(result_stderr: str, recorder: Recorder) -> None:
    assert recorder.actions("GetSessionToken") == []
    (form, _), = target_calls(recorder)
    assert "SerialNumber" not in form and "TokenCode" not in form
    notes = [line for line in result_stderr.splitlines() if "mfa_arn" in line]
    assert len(notes) == 1 and NOT_APPLY in notes[0], result_stderr


def test_long_term_keys_still_get_an_mfa_session(catalogued: Sandbox, recorder: Recorder) -> None:
    result = catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    (session,) = recorder.actions("GetSessionToken")
    assert session["SerialNumber"] == catalogued.org.mfa_arn
    assert "mfa_arn" not in result.stderr


def test_a_role_source_goes_straight_to_assume_role(catalogued: Sandbox, recorder: Recorder) -> None:
    switch_source(catalogued, "hub", "[profile hub]\nrole_arn = " + HUB_ROLE + "\nsource_profile = default\n")
    recorder.reset()
    # No --mfa-code and no terminal: a letme that still wanted an MFA session would fail (exit 4).
    result = catalogued.ok("credential-process", "example1")
    assert json.loads(result.stdout)["Version"] == 1
    assert_no_mfa_and_one_note(result.stderr, recorder)
    hub = [(form, key) for form, key in recorder.signed("AssumeRole") if form["RoleArn"] == HUB_ROLE]
    assert hub and hub[0][1] == catalogued.org.access_key_id  # botocore assumed the source role with the user's keys
    ((_, key),) = target_calls(recorder)
    assert key.startswith("ASIA") and key != catalogued.org.access_key_id  # and letme used the role's keys


def test_a_credential_process_source_goes_straight_to_assume_role(catalogued: Sandbox, recorder: Recorder) -> None:
    creds = hub_credentials(catalogued)
    document = catalogued.home / "source.json"
    document.write_text(json.dumps({"Version": 1, "AccessKeyId": creds["AccessKeyId"],
                                    "SecretAccessKey": creds["SecretAccessKey"],
                                    "SessionToken": creds["SessionToken"],
                                    "Expiration": creds["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}))
    switch_source(catalogued, "proc", f"[profile proc]\ncredential_process = cat {document}\n")
    recorder.reset()
    result = catalogued.ok("credential-process", "example1")
    assert_no_mfa_and_one_note(result.stderr, recorder)
    ((_, key),) = target_calls(recorder)
    assert key == creds["AccessKeyId"]


def test_the_note_is_not_shown_without_mfa_arn(catalogued: Sandbox, recorder: Recorder) -> None:
    switch_source(catalogued, "hub", "[profile hub]\nrole_arn = " + HUB_ROLE + "\nsource_profile = default\n",
                  keep_mfa=False)
    result = catalogued.ok("credential-process", "example1")
    assert "mfa_arn" not in result.stderr


# ---- IAM Identity Center (SSO) ------------------------------------------------------------------------------

TOKEN = "sso-access-token-" + "x" * 40
SSO_PROFILE = ("[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = letme-hub\n"
               "region = eu-west-1\n[sso-session corp]\nsso_start_url = " + ssoportal.START_URL
               + "\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n")


@pytest.fixture
def portal(moto: str) -> Iterator[ssoportal.SsoPortal]:
    server = ssoportal.SsoPortal(moto, TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def sso(catalogued: Sandbox, portal: ssoportal.SsoPortal) -> Sandbox:
    catalogued.env["AWS_ENDPOINT_URL_SSO"] = portal.endpoint
    ssoportal.write_token(catalogued.home, "corp", TOKEN, 3600)
    switch_source(catalogued, "corp", SSO_PROFILE)
    return catalogued


def forget_sso_role_credentials(box: Sandbox) -> None:
    """botocore caches the portal's role credentials beside the token; without them it must use the token."""
    token_file = ssoportal.token_cache_file(box.home, "corp")
    for path in token_file.parent.iterdir():
        if path != token_file:
            path.unlink()


def test_an_sso_source_uses_the_portals_credentials_for_assume_role(sso: Sandbox, portal: ssoportal.SsoPortal,
                                                                     recorder: Recorder) -> None:
    forget_sso_role_credentials(sso)
    portal.requests.clear()
    result = sso.ok("credential-process", "example1")
    assert [(r["role_name"], r["account_id"]) for r in portal.requests] == [("letme-hub", "123456789012")]
    assert_no_mfa_and_one_note(result.stderr, recorder)
    ((_, key),) = target_calls(recorder)
    assert key == portal.issued[-1]


@pytest.mark.parametrize("state", ["expired", "missing", "revoked"])
def test_an_sso_token_that_cannot_be_used_is_one_line_naming_aws_sso_login(sso: Sandbox, state: str) -> None:
    forget_sso_role_credentials(sso)
    token_file = ssoportal.token_cache_file(sso.home, "corp")
    if state == "expired":
        ssoportal.write_token(sso.home, "corp", TOKEN, -60)
    elif state == "missing":
        shutil.rmtree(token_file.parent)
    else:  # the portal no longer accepts it (signed out elsewhere)
        ssoportal.write_token(sso.home, "corp", "revoked-" + TOKEN, 3600)
    result = sso.run("credential-process", "example1", "--renew")
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr and len(lines) <= 2, result.stderr
    assert lines[0].startswith("letme: error: ") and "corp" in lines[0]
    assert "aws sso login --profile corp" in result.stderr and "--sso-session corp" in result.stderr
    assert TOKEN not in result.stderr

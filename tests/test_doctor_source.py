"""`letme doctor` names the kind of source identity and says whether MFA applies (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import ssoportal
from conftest import Sandbox

HUB = "arn:aws:iam::123456789012:role/letme-hub"
SSO = ("[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = letme-hub\n"
       f"[sso-session corp]\nsso_start_url = {ssoportal.START_URL}\nsso_region = eu-west-1\n")


def source_check(box: Sandbox, profile: str | None = None, section: str = "") -> dict[str, Any]:
    if profile:
        with box.config_file.open("a") as fh:
            fh.write("\n" + section)
        text = box.letme_config.read_text().replace('aws_source_profile = "default"',
                                                    f'aws_source_profile = "{profile}"')
        box.letme_config.write_text(text)
    result = box.run("doctor", "--json", "--no-network")
    assert "Traceback" not in result.stderr
    return next(check for check in json.loads(result.stdout)["checks"] if check["name"] == "source")


def test_iam_user_keys_with_mfa_arn(sandbox: Sandbox) -> None:
    check = source_check(sandbox)
    assert check["status"] == "ok" and "IAM user keys" in check["message"]
    assert f"MFA: {sandbox.org.mfa_arn}" in check["message"]


def test_iam_user_keys_without_mfa_arn(tmp_path: Any, org: Any) -> None:
    check = source_check(Sandbox(tmp_path / "home", org, mfa=False))
    assert "IAM user keys" in check["message"] and "finds your MFA device" in check["message"]


@pytest.mark.parametrize(("profile", "section", "label"), [
    ("hub", f"[profile hub]\nrole_arn = {HUB}\nsource_profile = default\n", "a role profile"),
    ("proc", "[profile proc]\ncredential_process = /bin/false\n", "credential_process"),
    ("corp", SSO, "IAM Identity Center (SSO)"),
])
def test_other_sources_say_mfa_arn_does_not_apply(sandbox: Sandbox, profile: str, section: str, label: str) -> None:
    ssoportal.write_token(sandbox.home, "corp", "token", 3600)
    check = source_check(sandbox, profile, section)
    assert check["status"] == "ok", check
    assert label in check["message"] and "mfa_arn does not apply" in check["message"], check


def test_an_expired_sso_sign_in_is_a_warning_naming_aws_sso_login(sandbox: Sandbox) -> None:
    ssoportal.write_token(sandbox.home, "corp", "token", -60)
    check = source_check(sandbox, "corp", SSO)
    assert check["status"] == "warn" and "expired" in check["message"]
    assert "aws sso login --profile corp" in check["fix"]

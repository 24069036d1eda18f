"""The TOML config: where it is, contexts, the template, and one clear line for every mistake."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest
from conftest import Sandbox
from test_obtain import detached


def write_config(sandbox: Sandbox, text: str) -> Path:
    sandbox.letme_config.write_text(text)
    return sandbox.letme_config


def show(sandbox: Sandbox, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = detached(sandbox, "config", "show", "--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_of_the_original_keys(sandbox: Sandbox) -> None:
    data = show(sandbox)
    assert data["context"] == "general" and data["path"] == str(sandbox.letme_config)
    assert data["aws_source_profile"] == "default"
    assert data["session_duration"] == 3600 and data["session_name"] is None
    assert data["refresh_window"] == 900 and data["use_mode"] == "process"
    assert data["mfa_arn"] == sandbox.org.mfa_arn


def test_show_prints_toml_like_values_and_validate_counts_contexts(sandbox: Sandbox) -> None:
    shown = detached(sandbox, "config", "show")
    lines = shown.stdout.splitlines()
    assert "session_name = (not set)" in lines and "mfa_session = true" in lines
    assert 'use_mode = "process"' in lines and 'production_tags = ["prod", "production"]' in lines
    assert "session_duration = 3600" in lines
    validated = detached(sandbox, "config", "validate")
    assert validated.returncode == 0 and "1 context, all valid" in validated.stderr
    stray = detached(sandbox, "config", "path", "extra")
    assert stray.returncode == 2 and "'letme config path' takes no context name" in stray.stderr


BAD = [
    ('session_duration = "1h"', "session_duration", "whole number"),
    ("session_duration = 60", "session_duration", "900..43200"),
    ('aws_source_profile_region = "Europe"', "aws_source_profile_region", "region"),
    ('mfa_arn = "arn:aws:iam::123456789012:user/alice"', "mfa_arn", "MFA device ARN"),
    ('use_mode = "magic"', "use_mode", "process, profile, env"),
    ('endpoint_url = "localhost:5000"', "endpoint_url", "http(s) URL"),
    ("dynamodb_tabel = 'x'", "dynamodb_tabel", "unknown key"),
    ('session_name = "has space"', "session_name", "RoleSessionName"),
]


@pytest.mark.parametrize(("line", "key", "problem"), BAD, ids=[key for _, key, _ in BAD])
def test_bad_value_is_one_line_naming_file_key_and_problem(sandbox: Sandbox, line: str, key: str,
                                                           problem: str) -> None:
    name = line.split("=")[0].strip()
    kept = [entry for entry in sandbox.letme_config.read_text().splitlines() if not entry.startswith(name + " ")]
    path = write_config(sandbox, "\n".join([*kept, line]) + "\n")
    result = detached(sandbox, "list")
    assert result.returncode == 1
    errors = [e for e in result.stderr.splitlines() if e.startswith("letme: error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(path) in errors[0] and key in errors[0] and problem in result.stderr


def test_missing_required_key(sandbox: Sandbox) -> None:
    path = write_config(sandbox, '[general]\naws_source_profile_region = "eu-west-1"\n')
    result = detached(sandbox, "list")
    assert result.returncode == 1
    assert f"{path}: [general] is missing the required key dynamodb_table" in result.stderr


def test_missing_file_points_to_config_file(sandbox: Sandbox) -> None:
    sandbox.letme_config.unlink()
    result = detached(sandbox, "list")
    assert result.returncode == 1
    assert f"no config file at {sandbox.letme_config}" in result.stderr and "letme config-file" in result.stderr


def test_letme_config_and_config_option_override(sandbox: Sandbox, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text(sandbox.letme_config.read_text().replace("letme-accounts", "other-table"))
    assert show(sandbox, env={"LETME_CONFIG": str(other)})["dynamodb_table"] == "other-table"
    assert show(sandbox, "--config", str(other))["dynamodb_table"] == "other-table"
    # --config beats LETME_CONFIG.
    assert show(sandbox, "--config", str(sandbox.letme_config),
                env={"LETME_CONFIG": str(other)})["dynamodb_table"] == "letme-accounts"


def add_context(sandbox: Sandbox, name: str, table: str) -> None:
    base = sandbox.letme_config.read_text().split("\n", 1)[1]  # the keys without "[general]"
    with sandbox.letme_config.open("a") as fh:
        fh.write(f"\n[{name}]\n" + base.replace("letme-accounts", table))


def test_contexts_are_listed_picked_and_switched(sandbox: Sandbox) -> None:
    add_context(sandbox, "staging", "staging-table")
    listed = detached(sandbox, "config", "list")
    assert listed.stdout.splitlines() == ["* general", "  staging"]
    assert show(sandbox, "--context", "staging")["dynamodb_table"] == "staging-table"
    assert show(sandbox, env={"LETME_CONTEXT": "staging"})["context"] == "staging"

    switched = detached(sandbox, "config", "use", "staging")
    assert switched.returncode == 0 and switched.stdout == ""
    assert show(sandbox)["context"] == "staging"
    assert json.loads(detached(sandbox, "config", "list", "--json").stdout) == [
        {"name": "general", "active": False}, {"name": "staging", "active": True}]
    # --context still wins over the stored choice.
    assert show(sandbox, "--context", "general")["context"] == "general"

    unknown = detached(sandbox, "config", "use", "prod")
    assert unknown.returncode == 1 and "no context [prod]" in unknown.stderr and "general, staging" in unknown.stderr
    bad = detached(sandbox, "list", "--context", "nope")
    assert bad.returncode == 1 and "no context [nope]" in bad.stderr


def test_contexts_keep_separate_catalog_caches(sandbox: Sandbox) -> None:
    add_context(sandbox, "empty", "no-such-table")
    assert detached(sandbox, "init").returncode == 0
    other = detached(sandbox, "list", "--context", "empty")
    # general's cache does not answer for 'empty': its own table is read (issue 12: list works without init).
    assert other.returncode == 1 and "'no-such-table' does not exist" in other.stderr
    assert not (sandbox.home / ".cache" / "letme" / "catalog" / "empty" / "accounts.jsonl").exists()


def test_config_file_writes_a_template_and_never_overwrites(sandbox: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "new" / "letme.toml"
    env = {"LETME_CONFIG": str(target)}
    written = detached(sandbox, "config-file", env=env)
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    text = target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = tomllib.loads(text)
    assert set(data["general"]) == {"aws_source_profile", "aws_source_profile_region", "dynamodb_table"}
    for key in ("mfa_arn", "session_name", "session_duration", "endpoint_url", "refresh_window", "use_mode"):
        assert f"# {key} = " in text  # each optional key documented, commented out
    # The template as written is a valid config.
    assert detached(sandbox, "config", "validate", env=env).returncode == 0

    target.write_text("# mine\n")
    refused = detached(sandbox, "config-file", env=env)
    assert refused.returncode == 1 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert target.read_text() == "# mine\n"
    forced = detached(sandbox, "config-file", "--force", env=env)
    assert forced.returncode == 0 and target.read_text() == text
    printed = detached(sandbox, "config-file", "--print", env=env)
    assert printed.stdout == text


def test_original_letme_config_is_accepted(sandbox: Sandbox) -> None:
    # The original letme [general] table, all keys (TOML version of its config).
    write_config(sandbox, f"""[general]
aws_source_profile = "default"
aws_source_profile_region = "eu-west-1"
dynamodb_table = "letme-accounts"
mfa_arn = "{sandbox.org.mfa_arn}"
session_name = "user001-with-letme"
session_duration = 7200
""")
    data = show(sandbox)
    assert data["session_name"] == "user001-with-letme" and data["session_duration"] == 7200

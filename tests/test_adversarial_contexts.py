"""Two contexts, one account name: every shell acts in the account its prompt shows.

Context `general` reads the table letme-accounts, context `b` the table
letme-accounts-b; both have an account called `example1`, in two different AWS
accounts (100000000001 and 100000000901). The identity each shell really gets
is read from STS (moto's GetCallerIdentity names the assumed role's account).
Also here: a catalog or credential cache from another origin (another table,
region, source profile or endpoint under the same context name) is refused or
ignored, never used, and profiles letme wrote for another origin are left alone.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LETME, Recorder, Sandbox
from test_obtain import detached, seed_table, set_config

from letme_shell import sampleorg

TABLE_B = "letme-accounts-b"
ID_GENERAL = "100000000001"
ID_B = "100000000901"
IDENTITY = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"


@pytest.fixture(scope="module")
def table_b(moto: str) -> str:
    seed_table(moto, TABLE_B, [sampleorg.account_item("example1", 901, description="b's example1"),
                               sampleorg.account_item("only-b", 902)])
    return TABLE_B


def context_b(box: Sandbox, table: str, extra: str = "") -> None:
    """Add [b]: the same hub user and MFA device as [general], another catalog table."""
    org = box.org
    with box.letme_config.open("a") as fh:
        fh.write(f'\n[b]\naws_source_profile_region = "{sampleorg.REGION}"\ndynamodb_table = "{table}"\n'
                 f'endpoint_url = "{org.endpoint}"\nmfa_arn = "{org.mfa_arn}"\n{extra}')


@pytest.fixture
def two(catalogued: Sandbox, table_b: str) -> Sandbox:
    context_b(catalogued, table_b)
    catalogued.ok("--context", "b", "init")
    return catalogued


def in_bash(box: Sandbox, script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`script` in a non-interactive bash that has evaluated what `letme use … --shell bash` printed."""
    return subprocess.run(["bash", "-c", script], env={**box.env, **(env or {})}, capture_output=True, text=True,
                          timeout=120, start_new_session=True, stdin=subprocess.DEVNULL)


def switched(box: Sandbox, *use_args: str) -> dict[str, str]:
    """The environment of a shell after `letme use …` (through the same code the hook evaluates)."""
    script = (f'eval "$({LETME} use {" ".join(use_args)} --mfa-code 123456 --shell bash)" || exit 9; '
              f'env -0')
    result = in_bash(box, script)
    assert result.returncode == 0, result.stderr
    return dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)


def identity(box: Sandbox, env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-c", IDENTITY], env=env, capture_output=True, text=True, timeout=120,
                            start_new_session=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("mode", ["process", "profile", "env"])
def test_two_shells_with_the_same_account_name_act_in_their_own_accounts(two: Sandbox, mode: str) -> None:
    shell_a = switched(two, "example1", "--mode", mode)
    shell_b = switched(two, "--context", "b", "example1", "--mode", mode)
    # Shell B switched after A: A's next call must still land in A's account (it landed in B's before).
    assert f"::{ID_GENERAL}:" in identity(two, shell_a)
    assert f"::{ID_B}:" in identity(two, shell_b)
    # What the prompt and starship show tells the two apart.
    assert shell_a["LETME_ACCOUNT"] == "example1"
    assert shell_b["LETME_ACCOUNT"] == "example1@b"
    if mode != "env":
        assert (shell_a["AWS_PROFILE"], shell_b["AWS_PROFILE"]) == ("example1", "example1@b")
        # Both profiles are in the files, side by side, each recording its origin.
        conf = configparser.RawConfigParser()
        conf.read(two.config_file)
        assert "table=letme-accounts " in conf["profile example1"]["letme_origin"]
        assert f"table={TABLE_B} " in conf["profile example1@b"]["letme_origin"]


def test_two_interactive_shells_keep_their_accounts_and_prompts(two: Sandbox, tmp_path: Path) -> None:
    from shells.harness import Shell

    (two.home / ".zshrc").write_text("")
    first = Shell("bash", two.env, tmp_path / "a")
    second = Shell("zsh", two.env, tmp_path / "b")
    try:
        assert first.status("letme use example1 --mfa-code 123456", timeout=60) == 0
        assert second.status("letme --context b use example1 --mfa-code 123456", timeout=60) == 0
        segments = first.segment(), second.segment()
        assert segments[0] is not None and segments[0].startswith("[aws:example1 ")
        assert segments[1] is not None and segments[1].startswith("[aws:example1@b ")
        arns = []
        for index, sh in enumerate((first, second)):
            out = tmp_path / f"arn-{index}"
            assert sh.status(f'{sys.executable} -c "{IDENTITY}" > {out}', timeout=60) == 0
            arns.append(out.read_text())
        assert f"::{ID_GENERAL}:" in arns[0] and f"::{ID_B}:" in arns[1]
    finally:
        first.close()
        second.close()


def test_use_accepts_account_at_context_and_back_returns_to_that_context(two: Sandbox) -> None:
    script = (f'eval "$({LETME} use example1@b --mfa-code 123456 --shell bash)" || exit 9; '
              f'eval "$({LETME} use example2 --shell bash)" || exit 8; '
              f'eval "$({LETME} back --shell bash)" || exit 7; env -0')
    result = in_bash(two, script)
    assert result.returncode == 0, result.stderr
    env = dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    assert env["LETME_ACCOUNT"] == "example1@b" and env["LETME_ACTIVE_CONTEXT"] == "b"
    assert f"::{ID_B}:" in identity(two, env)
    clash = detached(two, "--context", "general", "credential-process", "example1@b")
    assert clash.returncode == 2
    assert clash.stderr.count("\n") <= 2 and "names context 'b'" in clash.stderr


def test_remove_removes_only_its_own_contexts_profile(two: Sandbox) -> None:
    two.ok("obtain", "example1", "--mfa-code", "123456")
    only_general = two.credentials_file.read_bytes(), two.config_file.read_bytes()
    two.ok("--context", "b", "obtain", "example1", "--mfa-code", "123456")  # [example1@b] in both files
    switched(two, "--context", "b", "example1", "--mode", "process")  # and [profile example1@b] in process mode
    two.ok("--context", "b", "remove", "example1")
    assert (two.credentials_file.read_bytes(), two.config_file.read_bytes()) == only_general
    # general's example1 still works, in general's account.
    doc = json.loads(two.ok("credential-process", "example1").stdout)
    env = {**two.env, "AWS_ACCESS_KEY_ID": doc["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": doc["SecretAccessKey"],
           "AWS_SESSION_TOKEN": doc["SessionToken"]}
    assert f"::{ID_GENERAL}:" in identity(two, env)


def other_config(box: Sandbox, table: str) -> Path:
    """A second config file whose [general] reads another table (what LETME_CONFIG=other.toml selects)."""
    path = box.home / "other.toml"
    text = box.letme_config.read_text().split("\n[b]")[0]
    path.write_text(text.replace(f'dynamodb_table = "{box.org.table}"', f'dynamodb_table = "{table}"'))
    return path


def test_a_catalog_built_from_another_config_is_refused(two: Sandbox, recorder: Recorder) -> None:
    other = other_config(two, TABLE_B)
    two.ok("init", env={"LETME_CONFIG": str(other)})  # same context name, general, but table b
    recorder.reset()
    result = detached(two, "exec", "example1", "--mfa-code", "123456", "--", "true")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("letme: error: the catalog cache of context 'general'")
    assert TABLE_B in lines[0] and "letme-accounts" in lines[0] and "letme init" in lines[1]
    assert not recorder.actions("AssumeRole") and not recorder.actions("GetSessionToken")
    for args in (("list",), ("list", "--json"), ("credential-process", "example1"), ("obtain", "example1")):
        refused = detached(two, *args)
        assert refused.returncode == 1 and "catalog cache of context 'general'" in refused.stderr, args
    two.ok("init")
    assert two.ok("exec", "example1", "--mfa-code", "123456", "--", "true")


def test_editing_the_table_without_init_is_refused(catalogued: Sandbox, table_b: str) -> None:
    set_config(catalogued, dynamodb_table=table_b)  # [general] now names table b; the cache is from letme-accounts
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456")
    assert result.returncode == 1 and result.stdout == ""
    assert "was built from table letme-accounts, but the config now says table letme-accounts-b" in result.stderr
    doctor = json.loads(detached(catalogued, "doctor", "--json", "--no-network").stdout)
    checks = {check["name"]: check for check in doctor["checks"]}
    assert checks["catalog"]["status"] == "fail" and "letme-accounts-b" in checks["catalog"]["message"]


def test_a_cache_from_an_older_letme_is_refused_until_init(catalogued: Sandbox) -> None:
    records = catalogued.home / ".cache/letme/catalog/general/accounts.jsonl"
    lines = records.read_text().split("\n")
    header = json.loads(lines[0])
    del header["origin"]
    records.write_text("\n".join([json.dumps(header, separators=(",", ":")), *lines[1:]]))
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456")
    assert result.returncode == 1 and "older letme" in result.stderr and "letme init" in result.stderr


def test_cached_credentials_and_mfa_session_are_not_used_under_another_origin(catalogued: Sandbox,
                                                                              recorder: Recorder) -> None:
    two = catalogued
    two.ok("obtain", "example1", "--mfa-code", "123456")
    recorder.reset()
    two.ok("obtain", "example1")
    assert not recorder.actions("AssumeRole")  # the control: same origin, from the cache
    # Same context name, same table, another source profile (the same keys under another name).
    with two.credentials_file.open("a") as fh:
        fh.write(f"\n[hub2]\naws_access_key_id = {two.org.access_key_id}\n"
                 f"aws_secret_access_key = {two.org.secret_access_key}\n")
    set_config(two, aws_source_profile="hub2")
    two.ok("init")
    result = detached(two, "obtain", "example1", "--force")
    assert result.returncode == 4, result.stderr  # no terminal: a new MFA session is needed, not the old one
    assert not recorder.actions("AssumeRole")
    two.ok("obtain", "example1", "--mfa-code", "123456", "--force")
    assert len(recorder.actions("GetSessionToken")) == 1 and len(recorder.actions("AssumeRole")) == 1


def test_a_profile_written_for_another_origin_is_left_alone(two: Sandbox) -> None:
    other = other_config(two, TABLE_B)
    theirs = {"LETME_CONFIG": str(other), "XDG_CACHE_HOME": str(two.home / "cache-other")}
    two.ok("init", env=theirs)
    two.ok("use", "example1", "--shell", "bash", "--mfa-code", "123456", env=theirs)
    before = two.credentials_file.read_bytes(), two.config_file.read_bytes()
    for args in (("use", "example1", "--shell", "bash"), ("obtain", "example1"), ("remove", "example1")):
        result = detached(two, *args, "--mfa-code", "123456") if args[0] != "remove" else detached(two, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert "was written by letme for another origin" in result.stderr, result.stderr
        assert "table=letme-accounts-b" in result.stderr and "--force" in result.stderr
        assert (two.credentials_file.read_bytes(), two.config_file.read_bytes()) == before
    # --force replaces it; from then on the profile means this config's example1.
    two.ok("use", "example1", "--shell", "bash", "--force")
    env = {**two.env, "AWS_PROFILE": "example1"}
    assert f"::{ID_GENERAL}:" in identity(two, env)


@pytest.mark.parametrize("name", ["../x", "a/b", "x\ny", "-x", "a b", "é"])
def test_context_names_are_validated_when_the_config_is_loaded(catalogued: Sandbox, name: str) -> None:
    catalogued.letme_config.write_text(catalogued.letme_config.read_text().replace("[general]",
                                                                                 f"[{json.dumps(name)}]"))
    result = detached(catalogued, f"--context={name}", "list")
    assert result.returncode == 1
    assert result.stderr.startswith("letme: error: ") and "is not a valid context name" in result.stderr
    assert "\n" not in result.stderr.split("letme: error: ")[1].split("\nletme: hint:")[0]
    assert not (catalogued.home / ".cache/letme/catalog" / name).exists()


def test_config_values_with_line_breaks_are_refused(catalogued: Sandbox) -> None:
    set_config(catalogued, aws_source_profile="default\n[profile evil]\ncredential_process = touch /tmp/x")
    result = detached(catalogued, "list")
    assert result.returncode == 1 and "line break" in result.stderr


def test_the_hooks_background_refresh_and_apply_for_another_contexts_account(two: Sandbox) -> None:
    env = switched(two, "example1@b", "--mode", "env")
    account, ctx = env["LETME_ACCOUNT"], env["LETME_ACTIVE_CONTEXT"]
    assert (account, ctx) == ("example1@b", "b")
    # What the hooks run, with the values they read from the environment.
    hook_env = {"LETME_ACCOUNT": account, "LETME_MODE": "env", "AWS_REGION": env["AWS_REGION"]}
    two.ok("refresh", "--background", "--no-prompt", "--context", ctx, "--", account, env=hook_env)
    status = two.home / ".local/state/letme/refresh" / ctx / account
    assert status.read_text().startswith("ok ")
    applied = two.ok("refresh", "--apply", "-q", "--context", ctx, "--shell", "bash", "--", account, env=hook_env)
    assert "export LETME_ACCOUNT='example1@b';" in applied.stdout
    assert "export LETME_ACTIVE_CONTEXT='b';" in applied.stdout


def test_a_process_profile_answers_for_its_own_config_whoever_runs_it(catalogued: Sandbox, table_b: str) -> None:
    """The review's case: a profile written under another config file (XDG_CONFIG_HOME, --config) must not
    answer, for an SDK started without those settings (cron, an IDE, env -i), with the default config's account."""
    box = catalogued
    alt = box.home / "alt" / "letme"
    alt.mkdir(parents=True)
    (alt / "letme.toml").write_text(other_config(box, table_b).read_text())
    theirs = {"XDG_CONFIG_HOME": str(box.home / "alt")}
    box.ok("init", env=theirs)
    result = box.ok("use", "example1", "--mfa-code", "123456", "--shell", "bash", env=theirs)
    assert "AWS_PROFILE='example1'" in result.stdout
    line = next(line for line in box.config_file.read_text().splitlines() if line.startswith("credential_process"))
    assert f"--config {alt / 'letme.toml'}" in line and "--origin" in line
    # An SDK without XDG_CONFIG_HOME: the profile's own config answers (the shell's account, b's example1).
    assert f"::{ID_B}:" in identity(box, {**box.env, "AWS_PROFILE": "example1"})
    # The default config's init rebuilds the shared catalog cache from its own table: the profile's config
    # now refuses it (one line) rather than answer with the default config's example1.
    box.ok("init")
    sdk = subprocess.run([sys.executable, "-c", IDENTITY], env={**box.env, "AWS_PROFILE": "example1"},
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert sdk.returncode != 0 and ID_GENERAL not in sdk.stdout
    assert "catalog cache of context 'general'" in sdk.stderr


def test_a_relative_config_path_is_written_absolute(catalogued: Sandbox, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "my.toml").write_text(catalogued.letme_config.read_text())
    subprocess.run([LETME, "use", "example1", "--mfa-code", "123456", "--shell", "bash"], cwd=work, check=True,
                   env={**catalogued.env, "LETME_CONFIG": "my.toml"}, capture_output=True, timeout=120)
    assert f"--config {work / 'my.toml'} " in catalogued.config_file.read_text()


def test_a_process_profile_refuses_a_config_edited_since(catalogued: Sandbox, table_b: str) -> None:
    catalogued.ok("use", "example1", "--mfa-code", "123456", "--shell", "bash")
    set_config(catalogued, dynamodb_table=table_b)
    catalogued.ok("init")
    sdk = subprocess.run([sys.executable, "-c", IDENTITY], env={**catalogued.env, "AWS_PROFILE": "example1"},
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert sdk.returncode != 0 and ID_B not in sdk.stdout
    assert "this profile was written for" in sdk.stderr and "letme use example1" in sdk.stderr


def test_an_account_named_default_never_becomes_the_default_profile(sandbox: Sandbox, moto: str) -> None:
    seed_table(moto, "letme-default", [sampleorg.account_item("default", 55), sampleorg.account_item("x1", 56)])
    set_config(sandbox, dynamodb_table="letme-default")
    sandbox.ok("init")
    before = sandbox.credentials_file.read_text()
    hub = identity(sandbox, sandbox.env)
    for mode in ("process", "profile"):
        env = switched(sandbox, "default", "--mode", mode)
        assert env["AWS_PROFILE"] == env["LETME_ACCOUNT"] == "default@general"
        assert "::100000000055:" in identity(sandbox, env)
    # No profile, as after `letme leave` or in cron: still the hub user, and [default] as the user wrote it.
    assert identity(sandbox, sandbox.env) == hub and "::100000000055:" not in hub
    creds = configparser.RawConfigParser()
    creds.read(sandbox.credentials_file)
    assert creds["default"]["aws_access_key_id"] == sandbox.org.access_key_id
    assert sandbox.credentials_file.read_text().startswith(before)

"""Coming from the original letme (lockedinspace/letme, Go): its config is found in place, and its v0.2 commands work.

Each test builds a HOME as the original letme left it, from the formats its sources and docs show
(../shared/research/seeds-features.md §1.2): no ~/.config/letme/letme.toml, but ~/.letme/letme-config as
v0.1 TOML (`[general]`, keys indented, values in quotes) or v0.2 INI (one section per context, plain
values, `tags` comma-separated, `session_duration` a number), and the active context in
~/.letme/.letme-usersettings (`[context]`, `active_context = NAME`). Then the real `letme` runs against moto.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import LETME, Recorder, Sandbox
from test_credential_process import SDK_CHILD
from test_imports import HOT_PATHS, SNAPSHOT, new_modules, top_level
from test_obtain import detached

from letme_shell import sampleorg

NOTICE = "the original letme's config"


def v01_toml(box: Sandbox) -> str:
    # As `letme config-file` of v0.1.5 wrote it (BurntSushi/toml: keys indented, values quoted).
    return ("[general]\n"
            '  aws_source_profile = "default"\n'
            f'  aws_source_profile_region = "{sampleorg.REGION}"\n'
            f'  dynamodb_table = "{box.org.table}"\n'
            f'  mfa_arn = "{box.org.mfa_arn}"\n'
            '  session_name = "user001-with-letme"\n')


def v02_ini(box: Sandbox) -> str:
    # As v0.2 wrote it (go-ini's pretty format, `=` aligned): [general] names a table that does not exist,
    # so only the active context ([work]) can list or obtain anything.
    return ("[general]\n"
            "aws_source_profile        = default\n"
            f"aws_source_profile_region = {sampleorg.REGION}\n"
            "dynamodb_table            = not-our-table\n"
            "tags                      = prod, team-a\n"
            "\n"
            "[work]\n"
            "aws_source_profile        = default\n"
            f"aws_source_profile_region = {sampleorg.REGION}\n"
            f"dynamodb_table            = {box.org.table}\n"
            f"mfa_arn                   = {box.org.mfa_arn}\n"
            "session_name              = user001_letme\n"
            "session_duration          = 1800\n"
            "tags                      = prod\n")


def legacy_home(box: Sandbox, config: str, active: str | None = None) -> Path:
    """Turn the sandbox into the original letme's HOME: its files only, letme's own config gone."""
    box.letme_config.unlink()
    letme_dir = box.home / ".letme"
    letme_dir.mkdir(mode=0o755)
    (letme_dir / "letme-config").write_text(config)
    (letme_dir / "letme-config").chmod(0o644)
    if active is not None:
        (letme_dir / ".letme-usersettings").write_text(f"[context]\nactive_context = {active}\n")
    return letme_dir


def snapshot(letme_dir: Path) -> dict[str, tuple[bytes, int, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode))
            for p in sorted(letme_dir.iterdir())}


def show(box: Sandbox, *args: str) -> dict[str, object]:
    result = detached(box, "config", "show", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def v02(sandbox: Sandbox) -> Sandbox:
    legacy_home(sandbox, v02_ini(sandbox), active="work")
    return sandbox


@pytest.fixture
def v01(sandbox: Sandbox) -> Sandbox:
    legacy_home(sandbox, v01_toml(sandbox))
    return sandbox


# --- the config is found and read --------------------------------------------------------------------------


def test_v02_ini_with_an_active_context_lists_and_obtains(v02: Sandbox, recorder: Recorder) -> None:
    init = detached(v02, "init")
    assert init.returncode == 0, init.stderr
    # The active context comes from .letme-usersettings: [work], whose table is the real one.
    assert "context 'work'" in init.stderr
    listed = detached(v02, "list", "--names")
    assert listed.returncode == 0, listed.stderr
    assert "prod-eu" in listed.stdout.split() and "example1" not in listed.stdout.split()  # tags = prod
    obtained = detached(v02, "obtain", "example1", "--mfa-code", "123456")
    assert obtained.returncode == 0, obtained.stderr
    # mfa_arn and session_name of the INI file are what letme sends.
    tokens = recorder.actions("GetSessionToken")
    assert [t["SerialNumber"] for t in tokens] == [v02.org.mfa_arn]
    assumed = recorder.actions("AssumeRole")
    assert assumed and all(a["RoleSessionName"] == "user001_letme" for a in assumed)
    # Outside [general], letme names profiles NAME@CONTEXT (the original wrote [example1] for every context).
    assert "[example1@work]" in (v02.home / ".aws" / "credentials").read_text()


def test_v02_values_map_to_todays_keys(v02: Sandbox) -> None:
    data = show(v02)
    assert data["context"] == "work"
    assert data["path"] == str(v02.home / ".letme" / "letme-config")
    assert data["session_duration"] == 1800  # a number, from INI text
    assert data["tags"] == ["prod"]
    assert data["mfa_arn"] == v02.org.mfa_arn and data["session_name"] == "user001_letme"
    general = show(v02, "--context", "general")
    assert general["dynamodb_table"] == "not-our-table" and general["mfa_arn"] is None
    assert general["session_duration"] == 3600
    assert general["tags"] == ["prod", "team-a"]  # comma-separated in INI


def test_v02_empty_values_and_zero_duration_mean_unset_as_in_the_original(sandbox: Sandbox) -> None:
    legacy_home(sandbox, "; written by letme v0.2\n[general]\n"
                         f"aws_source_profile = default\naws_source_profile_region = {sampleorg.REGION}\n"
                         f"dynamodb_table = {sandbox.org.table}\nmfa_arn =\nsession_duration = 0\ntags =\n")
    data = show(sandbox)
    assert data["mfa_arn"] is None and data["session_duration"] == 3600 and data["tags"] == []


def test_v02_unknown_key_is_one_line_as_for_the_toml_config(sandbox: Sandbox) -> None:
    legacy_home(sandbox, v02_ini(sandbox).replace("session_name ", "sesion_name "), active="work")
    result = detached(sandbox, "list")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "unknown key 'sesion_name'" in result.stderr or "unknown key sesion_name" in result.stderr
    assert str(sandbox.home / ".letme" / "letme-config") in result.stderr


def test_v01_toml_with_no_usersettings_uses_general(v01: Sandbox, recorder: Recorder) -> None:
    assert detached(v01, "init").returncode == 0
    used = detached(v01, "use", "example1", "--shell", "bash", "--mfa-code", "123456")
    assert used.returncode == 0, used.stderr
    assert "LETME_ACCOUNT=example1" in used.stdout.replace("'", "")
    assert [t["SerialNumber"] for t in recorder.actions("GetSessionToken")] == [v01.org.mfa_arn]
    assert all(a["RoleSessionName"] == "user001-with-letme" for a in recorder.actions("AssumeRole"))
    assert show(v01)["context"] == "general"


def test_an_sdk_runs_the_profile_use_wrote_on_the_old_config(v02: Sandbox) -> None:
    # process mode pins the config file in the profile's credential_process line: here the old INI file,
    # which must then be read as the original's, not as TOML.
    assert detached(v02, "init").returncode == 0
    used = detached(v02, "use", "example1", "--shell", "bash", "--mfa-code", "123456")
    assert used.returncode == 0, used.stderr
    assert str(v02.home / ".letme" / "letme-config") in v02.config_file.read_text()
    env = {**v02.env, "AWS_PROFILE": "example1@work"}
    parsed = v02.home / ".cache" / "letme" / "config-parsed.json"
    parsed.unlink()  # as when the SDK is the first to read the file since it changed
    result = subprocess.run([sys.executable, "-c", SDK_CHILD], env=env, capture_output=True, text=True,
                            timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert ":assumed-role/letme-target/user001_letme" in json.loads(result.stdout)["Arn"]
    # And after `config migrate` (the old file still there), the line written before still works.
    assert detached(v02, "config", "migrate").returncode == 0
    parsed.unlink(missing_ok=True)
    again = subprocess.run([sys.executable, "-c", SDK_CHILD], env=env, capture_output=True, text=True,
                           timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stderr


def test_config_option_naming_the_old_file_reads_it_as_the_original(v02: Sandbox) -> None:
    old = str(v02.home / ".letme" / "letme-config")
    data = show(v02, "--config", old, "--context", "work")
    assert data["path"] == old and data["tags"] == ["prod"]


def test_the_file_in_use_is_said_once(v02: Sandbox) -> None:
    legacy = v02.home / ".letme" / "letme-config"
    # An SDK running credential-process (and the prompt's refresh) do not use up the notice: nobody reads it.
    machine = detached(v02, "credential-process", "example1")
    assert NOTICE not in machine.stderr
    first = detached(v02, "init")
    assert first.returncode == 0, first.stderr
    notices = [line for line in first.stderr.splitlines() if NOTICE in line]
    assert len(notices) == 1, first.stderr
    assert str(legacy) in notices[0] and "letme config migrate" in notices[0]
    again = detached(v02, "list")
    assert again.returncode == 0 and NOTICE not in again.stderr
    # An edit of the old file is news: said once more.
    legacy.write_text(legacy.read_text() + "\n")
    assert NOTICE in detached(v02, "list").stderr
    assert NOTICE not in detached(v02, "list").stderr


def test_letmes_own_config_wins_and_the_old_one_is_then_silent(v02: Sandbox) -> None:
    v02.letme_config.write_text(f'[general]\naws_source_profile_region = "{sampleorg.REGION}"\n'
                                f'dynamodb_table = "{v02.org.table}"\n')
    data = show(v02)
    assert data["path"] == str(v02.letme_config) and data["context"] == "general"
    assert NOTICE not in detached(v02, "config", "list").stderr


def test_no_config_anywhere_names_both_places(sandbox: Sandbox) -> None:
    sandbox.letme_config.unlink()
    result = detached(sandbox, "list")
    assert result.returncode == 1
    assert str(sandbox.letme_config) in result.stderr and "~/.letme/letme-config" in result.stderr


@pytest.mark.parametrize("path", HOT_PATHS)
def test_cached_hot_paths_on_the_old_config_import_only_the_listed_modules(v02: Sandbox, path: str) -> None:
    # test_imports' check, on the original letme's HOME: one small module more (legacy, for the
    # .letme-usersettings read), and no parser: the parsed config is remembered as with letme.toml.
    args, allowed_letme, allowed_stdlib = HOT_PATHS[path]
    closure = top_level(new_modules("import sys\nbefore = set(sys.modules)\n"
                                    f"import {', '.join(sorted(allowed_stdlib))}\n"
                                    "sys.stderr.write('MODULES=' + repr(sorted(set(sys.modules) - before)))"))
    assert detached(v02, "init").returncode == 0
    assert detached(v02, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    new_modules(SNAPSHOT, LETME, *args, env=v02.env)
    imported = new_modules(SNAPSHOT, LETME, *args, env=v02.env)
    letme = {m for m in imported if m.split(".")[0] == "letme_shell"}
    assert "letme_shell.legacy" in letme  # the old config is what this run read
    assert letme <= allowed_letme | {"letme_shell.legacy"}, sorted(letme - allowed_letme)
    assert top_level(imported - letme) <= closure, sorted(top_level(imported - letme) - closure)


# --- trust: the old files are checked as letme's own ---------------------------------------------------------


def test_a_fifo_as_the_old_config_is_refused_not_waited_on(sandbox: Sandbox) -> None:
    letme_dir = legacy_home(sandbox, "")
    (letme_dir / "letme-config").unlink()
    os.mkfifo(letme_dir / "letme-config")
    result = detached(sandbox, "list", timeout=20)
    assert result.returncode == 1 and "not a regular file" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root (CI runs as root)")
@pytest.mark.parametrize("what", ["letme-config", ".letme-usersettings", "."])
def test_old_files_of_another_user_are_refused(v02: Sandbox, what: str) -> None:
    target = v02.home / ".letme" / what
    os.chown(target, 4242, -1)
    result = detached(v02, "config", "show")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "belongs to uid 4242" in result.stderr and "chown" in result.stderr


@pytest.mark.parametrize("what", ["letme-config", ".letme-usersettings", "."])
def test_old_files_anyone_may_write_are_refused(v02: Sandbox, what: str) -> None:
    target = v02.home / ".letme" / what
    target.chmod(0o777 if what == "." else 0o666)
    result = detached(v02, "config", "show")
    assert result.returncode == 1 and "writable by anyone" in result.stderr and "chmod o-w" in result.stderr


def test_group_writable_old_files_as_umask_002_made_them_are_read(v02: Sandbox) -> None:
    letme_dir = v02.home / ".letme"
    letme_dir.chmod(0o775)
    for path in letme_dir.iterdir():
        path.chmod(0o664)
    assert show(v02)["context"] == "work"


# --- doctor ------------------------------------------------------------------------------------------------


def doctor_config(box: Sandbox) -> dict[str, str]:
    result = detached(box, "doctor", "--json", "--no-network")
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    return checks["config"]


def test_doctor_says_which_file_and_why(v02: Sandbox) -> None:
    check = doctor_config(v02)
    assert check["status"] == "ok"
    text = check["message"] + " " + (check["fix"] or "")
    assert str(v02.home / ".letme" / "letme-config") in text and "INI" in text
    assert str(v02.letme_config) in text and "does not exist" in text
    assert "'work'" in text and ".letme-usersettings" in text
    assert "letme config migrate" in text


def test_doctor_says_the_old_file_is_not_read_beside_letmes_own(v02: Sandbox) -> None:
    v02.letme_config.write_text(f'[general]\naws_source_profile_region = "{sampleorg.REGION}"\n'
                                f'dynamodb_table = "{v02.org.table}"\n')
    text = doctor_config(v02)["message"]
    assert str(v02.letme_config) in text
    assert str(v02.home / ".letme" / "letme-config") in text and "not read" in text


# --- config migrate ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["v01", "v02"])
def test_migrate_writes_the_same_settings_as_toml_and_leaves_the_old_files(sandbox: Sandbox, form: str) -> None:
    letme_dir = (legacy_home(sandbox, v01_toml(sandbox)) if form == "v01"
                 else legacy_home(sandbox, v02_ini(sandbox), active="work"))
    before = snapshot(letme_dir)
    contexts = ["general"] if form == "v01" else ["general", "work"]
    old = {name: show(sandbox, "--context", name) for name in contexts}
    migrated = detached(sandbox, "config", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout == ""
    target = sandbox.letme_config
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert list(tomllib.loads(target.read_text())) == contexts
    assert snapshot(letme_dir) == before  # never touched, not even its mtime
    for name in contexts:
        new = show(sandbox, "--context", name)
        assert new.pop("path") == str(target)
        old[name].pop("path")
        assert new == old[name]
    # The active context stays the one .letme-usersettings named, now in letme's own state.
    assert show(sandbox)["context"] == ("general" if form == "v01" else "work")
    assert NOTICE not in detached(sandbox, "config", "list").stderr
    assert "mfa_session = false" in target.read_text()  # how to keep the original's MFA behaviour


def test_migrate_never_overwrites_without_force(v02: Sandbox) -> None:
    v02.letme_config.parent.mkdir(parents=True, exist_ok=True)
    v02.letme_config.write_text("# mine\n")
    refused = detached(v02, "config", "migrate")
    assert refused.returncode == 1 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert v02.letme_config.read_text() == "# mine\n"
    forced = detached(v02, "config", "migrate", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "work" in tomllib.loads(v02.letme_config.read_text())


def test_migrate_without_an_old_config_says_so(sandbox: Sandbox) -> None:
    result = detached(sandbox, "config", "migrate")
    assert result.returncode == 1 and "~/.letme/letme-config" in result.stderr.replace(str(sandbox.home), "~")


def test_migrate_refuses_an_old_config_letme_cannot_read(sandbox: Sandbox) -> None:
    legacy_home(sandbox, v02_ini(sandbox).replace("session_duration          = 1800", "session_duration = 60"),
                active="work")
    result = detached(sandbox, "config", "migrate")
    assert result.returncode == 1 and "session_duration" in result.stderr and "[work]" in result.stderr
    assert not sandbox.letme_config.exists()


# --- the v0.2 command names ----------------------------------------------------------------------------------


def test_get_contexts_and_switch_context(v02: Sandbox) -> None:
    listed = detached(v02, "config", "get-contexts")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["  general", "* work"]
    as_json = detached(v02, "config", "get-contexts", "-o", "json")
    assert json.loads(as_json.stdout) == [{"name": "general", "active": False}, {"name": "work", "active": True}]
    switched = detached(v02, "config", "switch-context", "general")
    assert switched.returncode == 0, switched.stderr
    assert show(v02)["context"] == "general"
    unknown = detached(v02, "config", "switch-context", "nope")
    assert unknown.returncode == 1 and "no context [nope]" in unknown.stderr


def test_view_template_prints_the_template(sandbox: Sandbox) -> None:
    printed = detached(sandbox, "config", "view-template")
    assert printed.returncode == 0
    assert printed.stdout == detached(sandbox, "config-file", "--print").stdout
    assert "[general]" in printed.stdout


def test_new_context_adds_a_table_and_keeps_the_file(sandbox: Sandbox) -> None:
    before = sandbox.letme_config.read_text()
    added = detached(sandbox, "config", "new-context", "staging")
    assert added.returncode == 0, added.stderr
    text = sandbox.letme_config.read_text()
    assert text.startswith(before)  # every byte of the file as it was
    assert list(tomllib.loads(text)) == ["general", "staging"]
    assert stat.S_IMODE(sandbox.letme_config.stat().st_mode) == 0o600
    again = detached(sandbox, "config", "new-context", "staging")
    assert again.returncode == 1 and "already" in again.stderr
    bad = detached(sandbox, "config", "new-context", "a b")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert sandbox.letme_config.read_text() == text


def test_new_context_on_the_old_config_asks_for_migrate_first(v02: Sandbox) -> None:
    before = snapshot(v02.home / ".letme")
    result = detached(v02, "config", "new-context", "staging")
    assert result.returncode == 1 and "letme config migrate" in result.stderr
    assert snapshot(v02.home / ".letme") == before and not v02.letme_config.exists()


def test_list_output_json_and_filter(catalogued: Sandbox) -> None:
    as_json = detached(catalogued, "list", "-o", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stdout == detached(catalogued, "list", "--json").stdout
    text = detached(catalogued, "list", "-o", "text")
    assert text.returncode == 0 and text.stdout == detached(catalogued, "list").stdout
    filtered = detached(catalogued, "list", "--filter", "prod", "--names")
    assert filtered.returncode == 0, filtered.stderr
    assert filtered.stdout == detached(catalogued, "list", "--tag", "prod", "--names").stdout
    assert "prod-eu" in filtered.stdout.split()
    # The original documented --filter as "a comma delimited list": all the tags, as --tag repeated.
    both = detached(catalogued, "list", "--filter", "prod,nope", "--names")
    assert both.returncode == 1 and both.stdout == ""
    bad = detached(catalogued, "list", "-o", "yaml")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_the_old_names_are_not_in_the_help(sandbox: Sandbox) -> None:
    for args in (("--help",), ("config", "--help"), ("list", "--help")):
        result = subprocess.run([LETME, *args], env=sandbox.env, capture_output=True, text=True, timeout=30)
        text = result.stdout + result.stderr
        for old in ("get-contexts", "switch-context", "new-context", "view-template", "--filter", "-o "):
            assert old not in text, (args, old)
    # migrate is a command of today's: it is in the help.
    assert "migrate" in subprocess.run([LETME, "config", "--help"], env=sandbox.env, capture_output=True,
                                       text=True, timeout=30).stdout


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-n", "0"]))

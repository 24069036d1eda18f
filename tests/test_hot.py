"""The recorded `credential-process` answer (letme_shell/hot.py): given only while everything it came from
still holds, never anything the full command would not print at that moment.

Which path answered is read off the process itself: `python -X importtime` lists every import on stderr, and
the full command imports argparse while the recorded answer imports three small modules of letme's own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Sandbox
from test_obtain import set_config

from letme_shell import hot, paths

ARGS = ("example1", "--context", "general")


def ask(box: Sandbox, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run `letme credential-process ARGS` as an SDK does (no terminal); and whether the recorded answer gave it."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "letme_shell", "credential-process",
                             *(args or ARGS)], env={**box.env, **(env or {})}, capture_output=True, text=True,
                            timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    imports = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert imports, result.stderr  # the check sees imports
    full = any(re.search(r"\|\s+argparse$", line) for line in imports)
    result.stderr = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("import time:"))
    return result, not full


@pytest.fixture
def cached(sandbox: Sandbox, example1_cached: Path) -> Sandbox:
    shutil.copytree(example1_cached, sandbox.home / ".cache" / "letme", dirs_exist_ok=True)
    return sandbox


def records(box: Sandbox) -> Path:
    return box.home / ".cache" / "letme" / "hot"


def recorded_again(box: Sandbox, *args: str) -> None:
    """After a full run, the record answers again within two calls (see primed)."""
    assert any(ask(box, *args)[1] for _ in range(2)), "the full command left no record"


def primed(box: Sandbox, *args: str) -> str:
    """The first run is the full command; so may be the second, when the first rewrote a file it read (the
    parsed config cache of a copied cache directory): a record only repeats what was read as it is now."""
    first, by_record = ask(box, *args)
    assert first.returncode == 0 and not by_record, first.stderr
    for _ in range(2):
        again, by_record = ask(box, *args)
        assert again.returncode == 0 and again.stdout == first.stdout, again.stderr
        if by_record:
            assert again.stderr == ""
            return first.stdout
    raise AssertionError("the third call was not answered from the record")


def test_a_quiet_cached_answer_is_recorded_and_given_again_without_the_full_command(cached: Sandbox) -> None:
    answer = primed(cached)
    assert json.loads(answer)["Version"] == 1
    record = records(cached) / "example1@general"
    assert record.stat().st_mode & 0o777 == 0o600
    assert records(cached).stat().st_mode & 0o777 == 0o700
    assert primed(cached, "example1") == answer  # without --context: its own record


def test_the_recorded_answer_imports_three_modules_of_letmes_own(cached: Sandbox) -> None:
    primed(cached)
    probe = ("import sys; before = set(sys.modules); sys.argv = ['letme', 'credential-process', *sys.argv[1:]]; "
             "from letme_shell import entry; rc = entry.main(); "
             "sys.stderr.write('NEW=' + ','.join(sorted(set(sys.modules) - before)) + '\\n'); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", probe, *ARGS], env=cached.env, capture_output=True, text=True,
                            timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    new = result.stderr.split("NEW=")[1].split()[0].split(",")
    assert new == ["letme_shell", "letme_shell.entry", "letme_shell.hot"]


def _edit_config(box: Sandbox) -> None:
    set_config(box, refresh_window=600)


def _touch_catalog(box: Sandbox) -> None:
    box.ok("init")


def _remove(box: Sandbox) -> None:
    box.ok("remove", "example1")
    assert not list(records(box).iterdir())  # the recorded keys go with the cache entry


def _other_endpoint(box: Sandbox) -> None:
    box.env["LETME_SOMETHING"] = "1"


def _replaced_cache(box: Sandbox) -> None:
    entry = box.home / ".cache/letme/credentials/general/example1.json"
    body = entry.read_bytes()
    entry.unlink()
    entry.write_bytes(body)
    entry.chmod(0o600)


@pytest.mark.parametrize("change", [_edit_config, _touch_catalog, _remove, _other_endpoint, _replaced_cache])
def test_any_change_to_what_the_answer_came_from_takes_the_full_command(cached: Sandbox, change) -> None:
    primed(cached)
    change(cached)
    result, by_record = ask(cached)
    assert not by_record, change.__name__
    assert result.returncode == 0, result.stderr
    recorded_again(cached)  # and the full command records again


def test_a_config_that_now_means_another_account_is_refused_despite_the_record(cached: Sandbox) -> None:
    """The profile's line carries --origin; editing the table must not be answered from the record."""
    settings = subprocess.run([sys.executable, "-c", "from letme_shell import config; print(config.load().origin())"],
                              env=cached.env, capture_output=True, text=True, check=True)
    origin_args = (*ARGS, "--origin", settings.stdout.strip())
    primed(cached, *origin_args)
    set_config(cached, dynamodb_table="another-table")
    result, by_record = ask(cached, *origin_args)
    assert not by_record and result.returncode != 0 and result.stdout == ""
    assert "now says" in result.stderr


def test_a_directory_others_may_write_is_refused_despite_the_record(cached: Sandbox) -> None:
    primed(cached)
    directory = cached.home / ".cache/letme/credentials/general"
    directory.chmod(0o770)
    result, by_record = ask(cached)
    assert not by_record and result.returncode != 0 and result.stdout == ""
    assert "writable by others" in result.stderr


@pytest.mark.parametrize("spoil", ["mode", pytest.param("owner", marks=pytest.mark.skipif(
    os.geteuid() != 0, reason="chown to another uid needs root (CI runs as root)")), "symlink"])
def test_a_record_that_is_not_the_users_private_file_is_not_read(cached: Sandbox, spoil: str) -> None:
    primed(cached)
    record = records(cached) / "example1@general"
    fake = record.read_bytes().replace(b'"Version": 1', b'"Version": 1, "Planted": true')
    if spoil == "mode":
        record.write_bytes(fake)
        record.chmod(0o640)
    elif spoil == "owner":
        record.write_bytes(fake)
        os.chown(record, 4242, 4242)
    else:
        planted = cached.home / "planted"
        planted.write_bytes(fake)
        planted.chmod(0o600)
        record.unlink()
        record.symlink_to(planted)
    result, by_record = ask(cached)
    assert not by_record and "Planted" not in result.stdout


def test_an_answer_after_a_message_is_not_recorded(cached: Sandbox) -> None:
    result, _ = ask(cached, "EXAMPLE1", "--context", "general")  # answered with a note on the case
    assert result.returncode == 0 and "case-sensitive" in result.stderr
    assert not (records(cached) / "EXAMPLE1@general").exists()


def test_credentials_inside_the_refresh_window_are_not_answered_from_the_record(
        cached: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    primed(cached)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in cached.env.items():
        monkeypatch.setenv(name, value)
    record = records(cached) / "example1@general"
    fields = record.read_bytes().split(b"\0")
    tail = list(ARGS)
    assert hot._check(fields, tail) is not None  # as recorded: fresh
    window = int(fields[3])
    for expires in (int(time.time()) + window, int(time.time()) - 5, int(time.time()) + hot.MAX_AHEAD + 60):
        fields[2] = str(expires).encode()
        assert hot._check(fields, tail) is None, expires


@pytest.mark.parametrize("env", [{}, {"XDG_CACHE_HOME": "/x/cache"}, {"XDG_CACHE_HOME": "relative"},
                                 {"LETME_CACHE_DIR": "~/c"}, {"LETME_CACHE_DIR": "/abs/c", "XDG_CACHE_HOME": "/x"}])
def test_the_record_directory_is_letmes_cache_directory(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in ("XDG_CACHE_HOME", "LETME_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/home/someone")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert hot._cache_root() == str(paths.cache_dir())


def test_a_run_that_fetched_credentials_leaves_no_record_of_the_state_before(cached: Sandbox) -> None:
    primed(cached)
    entry = cached.home / ".cache/letme/credentials/general/example1.json"
    entry.unlink()
    assert not ask(cached)[1] and entry.exists()  # fetched and written
    entry.unlink()
    result, by_record = ask(cached)
    assert not by_record and result.returncode == 0 and entry.exists()

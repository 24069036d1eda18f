"""The recorded `use` (letme_shell/hot.py, `answer_use`): a cached switch given from its record prints what
the full command would print at that moment, in every shell and from every previous state, puts the
account on top of the history as the full command does, and is never given when anything it came from
changed.

Which path answered is read off the process, as in test_hot.py: the full command imports argparse.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Sandbox
from hypothesis import given
from hypothesis import strategies as st
from test_obtain import set_config

from letme_shell import envchange, hot, validate
from letme_shell.commands import use

SHELLS = ("bash", "zsh", "fish", "powershell")


def switch(box: Sandbox, *args: str, shell: str = "bash", env: dict[str, str] | None = None
           ) -> tuple[subprocess.CompletedProcess[str], bool]:
    """`letme use ARGS` as the hook runs it; and whether the record answered."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "letme_shell", "use", *(args or ("example1",))],
                            env={**box.env, "LETME_HOOK_SHELL": shell, **(env or {})}, capture_output=True,
                            text=True, timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    imports = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert imports, result.stderr
    full = any(re.search(r"\|\s+argparse$", line) for line in imports)
    result.stderr = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("import time:"))
    return result, not full


@pytest.fixture
def cached(sandbox: Sandbox, example1_cached: Path) -> Sandbox:
    shutil.copytree(example1_cached, sandbox.home / ".cache" / "letme", dirs_exist_ok=True)
    return sandbox


def record(box: Sandbox, name: str = "example1@") -> Path:
    return box.home / ".cache" / "letme" / "hot" / f"{name}+use"


def history(box: Sandbox) -> list[str]:
    path = box.home / ".local" / "state" / "letme" / "recent" / "general"
    return path.read_text().split() if path.exists() else []


def primed(box: Sandbox, *args: str, shell: str = "bash", env: dict[str, str] | None = None) -> str:
    """Full runs until one leaves a record that the next call answers from (a first run may rewrite a file it
    read: the AWS config it adds the profile to); the code printed."""
    first, by_record = switch(box, *args, shell=shell, env=env)
    assert first.returncode == 0 and not by_record, first.stderr
    for _ in range(2):
        again, by_record = switch(box, *args, shell=shell, env=env)
        assert again.returncode == 0 and again.stdout == first.stdout, again.stderr
        if by_record:
            return first.stdout
    raise AssertionError("the third call was not answered from the record")


def full(box: Sandbox, *args: str, shell: str = "bash", env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    """What the full command prints now: the record set aside for one run, then put back."""
    path = record(box)
    kept = path.read_bytes()
    path.unlink()
    result, by_record = switch(box, *args, shell=shell, env=env)
    assert not by_record and result.returncode == 0, result.stderr
    path.write_bytes(kept)
    path.chmod(0o600)
    return result


MINUTES = re.compile(r"valid for (\d+h)?\d+m$")


def same_message(a: str, b: str) -> bool:
    """The one line both say, equal but for the minutes left (a minute may turn between the two runs)."""
    return MINUTES.sub("", a.strip()) == MINUTES.sub("", b.strip()) and MINUTES.search(a.strip()) is not None


PREVIOUS_STATES = {
    "none": {},
    "same account": {"LETME_ACCOUNT": "example1", "LETME_MODE": "env", "AWS_REGION": "us-east-1"},
    "another account": {"LETME_ACCOUNT": "example2", "LETME_MODE": "profile", "AWS_REGION": "eu-central-1",
                        "AWS_PROFILE": "example2", "LETME_EXPIRES": "1", "LETME_PREVIOUS": "example7"},
    "another context": {"LETME_ACCOUNT": "example3@b", "LETME_MODE": "env", "AWS_REGION": "ap-south-1",
                        "AWS_ACCESS_KEY_ID": "ASIAXXXXXXXXXXXXXXXX", "LETME_ACCESS_KEY_ID": "ASIAXXXXXXXXXXXXXXXX"},
}


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("mode", ["process", "env"])
def test_the_record_prints_what_the_full_command_prints_from_every_previous_state(cached: Sandbox, shell: str,
                                                                                mode: str) -> None:
    args = ("example1", "--mode", mode) if mode != "process" else ("example1",)
    primed(cached, *args, shell=shell)
    for state, env in PREVIOUS_STATES.items():
        given_, by_record = switch(cached, *args, shell=shell, env=env)
        assert by_record and given_.returncode == 0, (state, given_.stderr)
        expected = full(cached, *args, shell=shell, env=env)
        assert given_.stdout == expected.stdout, state
        assert same_message(given_.stderr, expected.stderr), (given_.stderr, expected.stderr)
    with_previous = switch(cached, *args, shell=shell, env=PREVIOUS_STATES["another context"])[0].stdout
    assert "example3@b" in with_previous and "ap-south-1" in with_previous  # LETME_PREVIOUS* for `letme back`


def test_the_record_puts_the_account_on_top_of_the_history_as_the_full_command_does(cached: Sandbox) -> None:
    primed(cached)
    assert history(cached) == ["example1"]
    path = cached.home / ".local/state/letme/recent/general"
    path.write_text("example2\nexample3\nexample1\n")
    result, by_record = switch(cached)
    assert by_record and result.returncode == 0
    assert history(cached) == ["example1", "example2", "example3"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["general"]  # no temporary file left
    before = path.stat().st_ino
    assert switch(cached)[1]
    assert path.stat().st_ino == before  # already on top: not written again


@pytest.mark.parametrize("content", [b"example2\n\xff\n", b"example2\n-rm -rf\n", b"example2\nexample2\n"])
def test_a_history_of_another_shape_is_left_to_the_full_command(cached: Sandbox, content: bytes) -> None:
    primed(cached)
    path = cached.home / ".local/state/letme/recent/general"
    path.write_bytes(content)
    result, by_record = switch(cached)
    assert not by_record and result.returncode == 0, result.stderr


def test_a_history_others_may_write_is_left_to_the_full_command(cached: Sandbox) -> None:
    primed(cached)
    path = cached.home / ".local/state/letme/recent/general"
    path.write_text("example2\n")
    path.chmod(0o622)
    result, by_record = switch(cached)
    assert not by_record and "writable by others" in result.stderr


def _edit_config(box: Sandbox) -> None:
    set_config(box, refresh_window=600)


def _touch_catalog(box: Sandbox) -> None:
    box.ok("init")


def _remove(box: Sandbox) -> None:
    box.ok("remove", "example1")
    assert not list(record(box).parent.iterdir())


def _other_variable(box: Sandbox) -> None:
    box.env["LETME_SOMETHING"] = "1"


def _colour(box: Sandbox) -> None:
    box.env.pop("NO_COLOR")


def _profile_edited(box: Sandbox) -> None:
    with box.config_file.open("a") as fh:
        fh.write("\n[profile mine]\nregion = eu-west-1\n")


def _profile_gone(box: Sandbox) -> None:
    box.config_file.write_text("")


@pytest.mark.parametrize("change", [_edit_config, _touch_catalog, _remove, _other_variable, _colour,
                                    _profile_edited, _profile_gone])
def test_any_change_to_what_the_switch_came_from_takes_the_full_command(cached: Sandbox, change) -> None:
    primed(cached)
    change(cached)
    result, by_record = switch(cached)
    assert not by_record, change.__name__
    assert result.returncode == 0, result.stderr
    if change is _profile_gone:
        assert "[profile example1]" in cached.config_file.read_text()  # the full command wrote it again


@pytest.mark.parametrize("env", [{"LETME_MODE": "bogus"}, {"AWS_REGION": "us-east-1;touch x"},
                                 {"LETME_ACCOUNT": "example2;touch x"},
                                 {"LETME_ACCOUNT": "example2", "AWS_REGION": ""}])
def test_a_previous_state_of_another_shape_takes_the_full_command(cached: Sandbox, env: dict[str, str]) -> None:
    primed(cached)
    result, by_record = switch(cached, env={"LETME_ACCOUNT": "example2", "LETME_MODE": "env",
                                            "AWS_REGION": "eu-west-1", **env})
    assert not by_record and result.returncode == 0, result.stderr


def test_no_record_when_the_switch_asks_or_says_more(cached: Sandbox) -> None:
    set_config(cached, confirm_production=True, production_tags=["prod"])  # prod-eu is tagged prod
    for _ in range(3):
        result, by_record = switch(cached, "prod-eu", "--yes")
        assert not by_record and result.returncode == 0, result.stderr
    assert not record(cached, "prod-eu@").exists()
    set_config(cached, confirm_production=False)
    primed(cached, "prod-eu", "--yes")  # the same switch, asking nothing: recorded


def test_no_record_past_the_catalogs_max_age(cached: Sandbox) -> None:
    """Past catalog_max_age the full command starts a renewal: the record is not given then. (A renewal
    started within the last minutes is not started again: the marker keeps this test's catalog as it is.)"""
    set_config(cached, catalog_max_age=2)
    marker = cached.home / ".local/state/letme/catalog-renewal/general"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("0\n")
    for _ in range(3):
        result, by_record = switch(cached)
        assert not by_record and result.returncode == 0, result.stderr
    assert record(cached).exists()  # recorded, but past its time from the start


def test_quiet_is_recorded_quiet(cached: Sandbox) -> None:
    primed(cached, "example1", "--quiet")
    result, by_record = switch(cached, "example1", "--quiet")
    assert by_record and result.stderr == ""


def test_the_record_is_the_users_private_file(cached: Sandbox) -> None:
    primed(cached)
    assert record(cached).stat().st_mode & 0o777 == 0o600
    record(cached).chmod(0o644)
    assert not switch(cached)[1]


def test_the_recorded_switch_imports_three_modules_of_letmes_own(cached: Sandbox) -> None:
    primed(cached)
    probe = ("import sys; before = set(sys.modules); sys.argv = ['letme', 'use', 'example1']; "
             "from letme_shell import entry; rc = entry.main(); "
             "sys.stderr.write('NEW=' + ','.join(sorted(set(sys.modules) - before)) + '\\n'); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", probe], env={**cached.env, "LETME_HOOK_SHELL": "bash"},
                            capture_output=True, text=True, timeout=60, start_new_session=True,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    new = result.stderr.split("NEW=")[1].split()[0].split(",")
    assert new == ["letme_shell", "letme_shell.entry", "letme_shell.hot"]


# ---- what the record leaves out of the environment it compares ---------------------------------------------

def test_the_shell_state_left_out_is_what_a_switch_sets() -> None:
    assert set(envchange.MANAGED) | {
        envchange.PREVIOUS, envchange.PREVIOUS_MODE, envchange.PREVIOUS_REGION,
        envchange.DIR_BEFORE, envchange.DIR_BEFORE_MODE, envchange.DIR_BEFORE_REGION} == hot.SHELL_STATE


READ_PROBE = """
import os, sys
class Watched(dict):
    read = set()
    def __getitem__(self, key):
        Watched.read.add(key); return super().__getitem__(key)
    def get(self, key, default=None):
        Watched.read.add(key); return super().get(key, default)
    def __contains__(self, key):
        Watched.read.add(key); return super().__contains__(key)
os.environ = Watched(os.environ)
sys.argv = ["letme", "use", "example1", "--debug"]
from letme_shell import cli
rc = cli.main()
sys.stderr.write("READ=" + ",".join(sorted(Watched.read)) + "\\n")
sys.exit(rc)
"""


def test_the_full_cached_use_reads_no_shell_state_but_where_the_shell_was(cached: Sandbox) -> None:
    """The record compares every LETME_/AWS_/XDG_ variable but the shell's state: the full command must not
    read any of those but the three it turns into LETME_PREVIOUS* (and confirm_production's LETME_ACCOUNT)."""
    primed(cached)
    env = {**cached.env, "LETME_HOOK_SHELL": "bash", **PREVIOUS_STATES["another account"]}
    result = subprocess.run([sys.executable, "-c", READ_PROBE], env=env, capture_output=True, text=True, timeout=60,
                            start_new_session=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    read = set(result.stderr.split("READ=")[1].split()[0].split(","))
    assert "LETME_HOOK_SHELL" in read and "LETME_ACCOUNT" in read  # the probe sees reads
    assert read & hot.SHELL_STATE <= {"LETME_ACCOUNT", "LETME_MODE", "AWS_REGION"}


# ---- the small copies hot.py keeps, held to the originals -----------------------------------------------------

REGIONS = ["eu-west-1", "us-east-1", "us-gov-west-1", "ap-southeast-3", "cn-north-1", "il-central-1", "us-iso-east-1",
           "eu-west-100", "eu-west-", "eu--1", "e-west-1", "eu-west-1a", "EU-west-1", "eu-west", "eu1", "",
           "eu-west-1\n", "eu-wést-1", "eu-west-01"]


@pytest.mark.parametrize("value", REGIONS)
def test_is_region_is_validates(value: str) -> None:
    assert hot.is_region(value) == validate.is_region(value)


@given(st.text(alphabet="abcz-019A\n;é", max_size=16))
def test_is_region_is_validates_on_any_text(value: str) -> None:
    assert hot.is_region(value) == validate.is_region(value)


@given(st.text(alphabet="aZ09._-@;' \n", max_size=12) | st.sampled_from(["a" * 128, "a" * 129, "é"]))
def test_account_name_is_validates(value: str) -> None:
    assert hot._account_name(value) == validate.is_account_name(value)


@given(st.integers(min_value=-100, max_value=200000))
def test_ttl_text_is_uses(seconds: int) -> None:
    assert hot.ttl_text(seconds) == use.ttl_text(seconds)


# ---- found by an adversarial review ----------------------------------------------------------------------------

def _run(box: Sandbox, *args: str, env: dict[str, str] | None = None, preexec=None, cwd=None
         ) -> tuple[subprocess.CompletedProcess[str], bool]:
    """`switch`, with a function run in the child before letme starts, and a working directory."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "letme_shell", "use", *args],
                            env={**box.env, "LETME_HOOK_SHELL": "bash", **(env or {})}, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL, preexec_fn=preexec, cwd=cwd)
    by_record = not any(re.search(r"\|\s+argparse$", line) for line in result.stderr.splitlines())
    result.stderr = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("import time:"))
    return result, by_record


HISTORY = Path(".local/state/letme/recent/general")


@pytest.mark.parametrize("previous", ["LETMEhotPREVIOUSregion", "xLETMEhotPREVIOUSmodex", "LETME-hot"])
def test_a_previous_account_named_like_a_placeholder_is_kept_as_it_is(cached: Sandbox, previous: str) -> None:
    primed(cached)
    env = {"LETME_ACCOUNT": previous, "LETME_MODE": "env", "AWS_REGION": "us-east-1"}
    given, _ = switch(cached, env=env)
    assert f"export LETME_PREVIOUS='{previous}';" in given.stdout  # `letme back` goes there, not to us-east-1
    assert given.stdout == full(cached, env=env).stdout


def _no_file_writes() -> None:
    """As a full disk: every write to a file fails (EFBIG here; ENOSPC and EDQUOT take the same path)."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))


def test_a_history_that_cannot_be_written_is_kept_and_the_switch_says_so(cached: Sandbox) -> None:
    primed(cached)
    path = cached.home / HISTORY
    path.write_text("example2\nexample3\n")
    given, by_record = _run(cached, "example1", preexec=_no_file_writes)
    assert by_record and given.returncode == 0 and "export LETME_ACCOUNT='example1';" in given.stdout
    assert path.read_text() == "example2\nexample3\n"  # nothing lost
    assert "letme: warning: could not record 'example1' as recently used: cannot write" in given.stderr
    assert [p.name for p in path.parent.iterdir()] == ["general"]  # no temporary file left
    expected, _ = _run(cached, "example1", "--debug", preexec=_no_file_writes)
    assert given.stderr.splitlines()[-1] == expected.stderr.splitlines()[-1]  # the full command's warning


def test_the_history_is_written_0600_whatever_the_umask(cached: Sandbox) -> None:
    primed(cached)
    path = cached.home / HISTORY
    path.write_text("example2\n")
    path.chmod(0o600)
    result, by_record = _run(cached, "example1", preexec=lambda: os.umask(0o277))
    assert by_record and result.returncode == 0
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_read_only_history_is_left_to_the_full_command(cached: Sandbox) -> None:
    primed(cached)
    path = cached.home / HISTORY
    path.write_text("example2\n")
    path.chmod(0o400)
    result, by_record = switch(cached)
    assert not by_record and "is read-only; letme leaves it alone" in result.stderr
    assert path.read_text() == "example2\n"


def test_a_record_made_by_another_letme_executable_is_not_given(cached: Sandbox, tmp_path: Path) -> None:
    """The process-mode profile names the letme that wrote it: another one first on PATH (a reinstall, the old
    one gone) takes the full command, which points the profile at it."""
    installed = shutil.which("letme", path=cached.env["PATH"])
    assert installed
    old, new = tmp_path / "old-bin", tmp_path / "new-bin"
    for where in (old, new):
        where.mkdir()
        shutil.copy(installed, where / "letme")
    base = cached.env["PATH"]
    primed(cached, env={"PATH": f"{old}:{base}"})  # `python -m` names the letme found on PATH
    assert f"{old}/letme credential-process" in cached.config_file.read_text()
    shutil.rmtree(old)
    given, by_record = switch(cached, env={"PATH": f"{new}:{base}"})
    assert not by_record and given.returncode == 0
    assert f"{new}/letme credential-process" in cached.config_file.read_text()


def test_a_record_made_by_other_letme_code_is_not_given(cached: Sandbox, tmp_path: Path) -> None:
    """An upgrade, a downgrade or an edited module: the record names the code that made it."""
    import letme_shell

    other = tmp_path / "other"
    shutil.copytree(Path(letme_shell.__file__).parent, other / "letme_shell",
                    ignore=shutil.ignore_patterns("__pycache__"))
    module = other / "letme_shell" / "switch.py"
    text = module.read_text()
    line = '    change.set("LETME_MODE", mode)\n'
    assert line in text
    module.write_text(text.replace(line, line + '    change.set("LETME_OTHER_VERSION", "1")\n'))
    for _ in range(3):  # its records (run outside the checkout: -m puts the working directory first on sys.path)
        result, _ = _run(cached, "example1", env={"PYTHONPATH": str(other)}, cwd=tmp_path)
        assert result.returncode == 0 and "LETME_OTHER_VERSION" in result.stdout, result.stderr
    given, by_record = _run(cached, "example1", cwd=tmp_path)
    assert not by_record and "LETME_OTHER_VERSION" not in given.stdout


def test_letme_command_is_switchs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from letme_shell import switch as switch_module

    found = tmp_path / "bin"
    found.mkdir()
    (found / "letme").write_text("#!/bin/sh\n")
    (found / "letme").chmod(0o755)
    (tmp_path / "dir" / "letme").mkdir(parents=True)  # a directory named letme is not it
    (tmp_path / "noexec").mkdir()
    (tmp_path / "noexec" / "letme").write_text("")
    cases = [(str(found / "letme"), "/usr/bin:/bin"), ("/somewhere/python -m", f"{tmp_path}/dir:{found}"),
             ("-m", f"{tmp_path}/noexec:/nonexistent::{found}"), ("-m", "/nonexistent"), ("-m", "")]
    for argv0, path in cases:
        monkeypatch.setattr(sys, "argv", [argv0])
        monkeypatch.setenv("PATH", path)
        assert hot.letme_command() == switch_module.letme_command(), (argv0, path)


def test_a_closed_stderr_writes_nothing_into_the_history(cached: Sandbox, tmp_path: Path) -> None:
    """With stderr closed (`2>&-`) the next file opened gets descriptor 2: the line meant for the terminal went
    into the new history file, and the full command failed on a missing sys.stderr."""
    primed(cached)
    path = cached.home / HISTORY
    shadow = tmp_path / "no-argparse"  # with stderr closed, the imports cannot be read: take the full command away
    shadow.mkdir()
    (shadow / "argparse.py").write_text("raise ImportError('the full command line was started')\n")
    for args, env in ((("example1", "--debug"), {}), (("example1",), {"PYTHONPATH": str(shadow)})):
        path.write_text("example3\n")
        result, _ = _run(cached, *args, env=env, preexec=lambda: os.close(2))
        assert result.returncode == 0 and "export LETME_ACCOUNT='example1';" in result.stdout, args
        assert path.read_text() == "example1\nexample3\n", args


def test_a_run_that_fetched_credentials_leaves_no_record_of_the_state_before(cached: Sandbox) -> None:
    """A full run that found no cache entry fetches one and writes it: a record of what it read (no entry)
    answered again once the entry was gone, with the old expiry and no credentials anywhere."""
    primed(cached)
    entry = cached.home / ".cache/letme/credentials/general/example1.json"
    entry.unlink()
    result, by_record = switch(cached)  # fetches, writes the entry
    assert not by_record and result.returncode == 0 and entry.exists()
    entry.unlink()  # gone again (removed by hand)
    result, by_record = switch(cached)
    assert not by_record and result.returncode == 0, "the record of the state before the fetch answered"
    assert entry.exists()

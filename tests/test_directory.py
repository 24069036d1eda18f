"""`.letme` files and the allow records (letme_shell/directory.py), and the commands over them.

The shells' side (entering, leaving, the prompt) is in tests/shells/test_directory.py;
here: parsing and validating the file as catalog data is validated, the ownership and
mode checks before a file is read, the records (path + SHA-256, 0700 directory, 0600
atomic files, refused when someone else could have planted them), and what `allow`,
`deny` and `dir` print.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import LETME
from hostile import strings

from letme_shell import directory, trust, validate
from letme_shell.errors import LetmeError

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root (CI runs as root)")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """letme's state directory for in-process calls, and a HOME beside it."""
    monkeypatch.setenv("LETME_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("LETME_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    trust._trusted.clear()
    yield tmp_path / "state"
    trust._trusted.clear()


def letme_file(where: Path, text: str, mode: int = 0o644) -> str:
    where.mkdir(parents=True, exist_ok=True)
    path = where / ".letme"
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


# ---- the file --------------------------------------------------------------------------------------------------


def test_a_file_with_every_key(tmp_path):
    found = directory.load(letme_file(tmp_path, 'account = "example1"\ncontext = "b"\nregion = "us-east-1"\n'
                                                'mode = "env"\n'))
    assert (found.account, found.context, found.region, found.mode, found.name) == \
        ("example1", "b", "us-east-1", "env", "example1@b")
    assert len(found.digest) == 64


def test_name_at_context_is_accepted_as_use_takes_it(tmp_path):
    found = directory.load(letme_file(tmp_path, 'account = "example1@b"\n'))
    assert (found.account, found.context, found.name) == ("example1", "b", "example1@b")


@pytest.mark.parametrize("text, says", [
    ("", "names no account"),
    ('account = 1\n', "account must be a string"),
    ('account = "example1"\nprofile = "x"\n', "unknown key 'profile'"),
    ('account = "example1\n', "not valid TOML"),
    ('account = "example1"\nmode = "sso"\n', "mode 'sso' is not one of process, profile, env"),
    ('account = "example1"\nregion = "mars-1"\n', "'mars-1' is not an AWS region name"),
    ('account = "../x"\n', "'../x' is not an account name"),
    ('account = "-rf"\n', "'-rf' is not an account name"),
])
def test_bad_files_get_one_line_naming_the_problem(tmp_path, text, says):
    with pytest.raises(LetmeError) as caught:
        directory.load(letme_file(tmp_path, text))
    assert says in caught.value.message
    assert "\n" not in caught.value.message


def test_not_utf8_and_too_big(tmp_path):
    path = tmp_path / ".letme"
    path.write_bytes(b'account = "\xff"\n')
    with pytest.raises(LetmeError, match="not UTF-8"):
        directory.load(str(path))
    path.write_bytes(b"#" * (directory.MAX_BYTES + 1))
    with pytest.raises(LetmeError, match=r"a \.letme file is a few lines"):
        directory.load(str(path))


@pytest.mark.parametrize("key", ["account", "context", "region", "mode"])
def test_hostile_values_are_refused_as_catalog_names_are(tmp_path, key):
    canary = tmp_path / "CANARY"
    for value in strings(canary):
        if "\0" in value:
            continue  # TOML cannot carry it in a basic string either way
        text = f"account = {json.dumps('example1' if key != 'account' else value)}\n"
        if key != "account":
            text += f"{key} = {json.dumps(value)}\n"
        accepted = {"account": validate.is_account_name, "context": validate.is_context_name,
                    "region": validate.is_region, "mode": lambda v: v in directory.MODES}[key](value)
        try:
            directory.load(letme_file(tmp_path / "p", text))
        except LetmeError as exc:
            assert not accepted, value
            assert "\n" not in exc.message and "\x1b" not in exc.message
        else:
            assert accepted, f"{key} = {value!r} was accepted"
    assert not canary.exists()


def test_only_the_absolute_path_of_a_dot_letme_is_loaded(tmp_path):
    other = tmp_path / "letme.toml"
    other.write_text('account = "example1"\n')
    for path in (str(other), ".letme", "relative/.letme"):
        with pytest.raises(LetmeError, match=r"is not the absolute path of a \.letme file"):
            directory.load(path)


# ---- who may have written it ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o666, 0o664, 0o646, 0o620], ids=oct)
def test_a_file_others_may_write_is_refused(tmp_path, mode):
    path = letme_file(tmp_path, 'account = "example1"\n', mode)
    with pytest.raises(directory.UntrustedFile, match=f"writable by others \\(mode {mode:04o}\\)"):
        directory.load(path)


@ROOT_ONLY
def test_a_file_of_another_user_is_refused(tmp_path):
    path = letme_file(tmp_path, 'account = "example1"\n')
    os.chown(path, 4242, 4242)
    with pytest.raises(directory.UntrustedFile, match="belongs to uid 4242, not to you"):
        directory.load(path)


@ROOT_ONLY
def test_a_link_of_another_user_is_refused_and_your_own_is_followed(tmp_path):
    target = letme_file(tmp_path / "real", 'account = "example1"\n')
    (tmp_path / "mine").mkdir()
    os.symlink(target, tmp_path / "mine" / ".letme")
    assert directory.load(str(tmp_path / "mine" / ".letme")).account == "example1"
    (tmp_path / "theirs").mkdir()
    os.symlink(target, tmp_path / "theirs" / ".letme")
    os.lchown(tmp_path / "theirs" / ".letme", 4242, 4242)
    with pytest.raises(directory.UntrustedFile, match=r"symbolic link.*uid 4242"):
        directory.load(str(tmp_path / "theirs" / ".letme"))


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / ".letme", 0o600)
    result: list[BaseException] = []

    def load() -> None:
        try:
            directory.load(str(tmp_path / ".letme"))
        except BaseException as exc:
            result.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "reading a FIFO .letme hung"
    assert isinstance(result[0], directory.UntrustedFile) and "not a regular file" in result[0].message


# ---- where it is found ------------------------------------------------------------------------------------------


def test_nearest_stops_at_home_and_prefers_the_closest(tmp_path):
    home = tmp_path / "home"
    letme_file(tmp_path, 'account = "above-home"\n')  # above HOME: never looked at from inside it
    deep = home / "p" / "a" / "b"
    deep.mkdir(parents=True)
    assert directory.nearest(str(deep), str(home)) is None
    letme_file(home / "p", 'account = "example1"\n')
    assert directory.nearest(str(deep), str(home)) == str(home / "p" / ".letme")
    assert directory.nearest(str(deep), str(home) + "/") == str(home / "p" / ".letme")
    letme_file(home / "p" / "a", 'account = "example2"\n')
    assert directory.nearest(str(deep), str(home)) == str(home / "p" / "a" / ".letme")
    # Outside HOME the walk goes up to the root.
    outside = tmp_path / "elsewhere" / "x"
    outside.mkdir(parents=True)
    assert directory.nearest(str(outside), str(home)) == str(tmp_path / ".letme")
    assert directory.nearest("relative", str(home)) is None


# ---- allow records ---------------------------------------------------------------------------------------------


def test_allow_records_path_and_hash_and_deny_forgets(state, tmp_path):
    path = letme_file(tmp_path / "home" / "p", 'account = "example1"\n')
    found = directory.load(path)
    assert directory.state(found) == directory.NEW
    directory.allow(found)
    assert directory.state(found) == directory.ALLOWED
    records = list((state / "allow").iterdir())
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["path"] == os.path.realpath(path) and record["sha256"] == found.digest
    # One byte changed: allowed no more, until allow again.
    Path(path).write_text('account = "example2"\n')
    changed = directory.load(path)
    assert directory.state(changed) == directory.CHANGED
    directory.allow(changed)
    assert directory.state(changed) == directory.ALLOWED
    assert directory.state(found) == directory.CHANGED  # the old bytes are not allowed there any more
    assert directory.deny(path) is True
    assert directory.state(changed) == directory.NEW
    assert directory.deny(path) is False


def test_the_same_bytes_elsewhere_are_not_allowed(state, tmp_path):
    first = letme_file(tmp_path / "home" / "a", 'account = "example1"\n')
    second = letme_file(tmp_path / "home" / "b", 'account = "example1"\n')
    directory.allow(directory.load(first))
    assert directory.state(directory.load(second)) == directory.NEW


def test_a_tree_reached_through_a_link_is_the_same_tree(state, tmp_path):
    real = letme_file(tmp_path / "home" / "real", 'account = "example1"\n')
    os.symlink(tmp_path / "home" / "real", tmp_path / "home" / "link")
    directory.allow(directory.load(real))
    assert directory.state(directory.load(str(tmp_path / "home" / "link" / ".letme"))) == directory.ALLOWED


def test_records_are_private_whatever_the_umask(state, tmp_path):
    found = directory.load(letme_file(tmp_path / "home" / "p", 'account = "example1"\n'))
    old = os.umask(0o002)
    try:
        directory.allow(found)
    finally:
        os.umask(old)
    assert stat.S_IMODE((state / "allow").stat().st_mode) == 0o700
    (record,) = (state / "allow").iterdir()
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert [p.name for p in (state / "allow").iterdir()] == [record.name]  # no temporary file left


def test_a_records_directory_others_may_write_is_refused(state, tmp_path):
    found = directory.load(letme_file(tmp_path / "home" / "p", 'account = "example1"\n'))
    directory.allow(found)
    os.chmod(state / "allow", 0o777)
    trust._trusted.clear()
    with pytest.raises(trust.UnsafePath, match="writable by others"):
        directory.state(found)
    with pytest.raises(trust.UnsafePath):
        directory.allow(found)


@ROOT_ONLY
def test_a_record_planted_by_another_user_is_refused(state, tmp_path):
    path = letme_file(tmp_path / "home" / "p", 'account = "example1"\n')
    found = directory.load(path)
    (state / "allow").mkdir(parents=True, mode=0o700)
    os.chmod(state, 0o700)
    planted = state / "allow" / directory.record_key(path)
    planted.write_text(json.dumps({"path": path, "sha256": found.digest}))
    os.chmod(planted, 0o600)
    os.chown(planted, 4242, 4242)
    with pytest.raises(trust.UnsafePath, match="belongs to uid 4242"):
        directory.state(found)


def test_a_record_that_is_not_json_means_changed(state, tmp_path):
    path = letme_file(tmp_path / "home" / "p", 'account = "example1"\n')
    found = directory.load(path)
    directory.allow(found)
    record = state / "allow" / directory.record_key(path)
    record.write_text("not json")
    assert directory.state(found) == directory.CHANGED


# ---- the commands ------------------------------------------------------------------------------------------------


def test_allow_without_the_hook_records_and_prints_no_code(catalogued):
    proj = catalogued.home / "proj"
    letme_file(proj, 'account = "example1"\n')
    result = subprocess.run([LETME, "allow"], cwd=proj, env={**catalogued.env,
                            "PWD": str(proj)}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "letme: allowed .letme: its tree uses example1\n"
    denied = catalogued.run("deny", str(proj))
    assert denied.returncode == 0 and f"denied {proj}/.letme" in denied.stderr
    again = catalogued.run("deny", str(proj))
    assert again.returncode == 0 and "was not allowed" in again.stderr


def test_allow_with_nothing_to_allow_is_one_line(catalogued):
    empty = catalogued.home / "empty"
    empty.mkdir()
    result = subprocess.run([LETME, "allow"], cwd=empty, env={**catalogued.env,
                            "PWD": str(empty)}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert result.stderr.startswith(f"letme: error: no .letme file in {empty} or its parents\n")
    wrong = catalogued.run("allow", str(empty / "letme.toml"))
    assert wrong.returncode == 2 and "is not a .letme file or a directory" in wrong.stderr


def test_allow_refuses_a_hostile_file_and_records_nothing(catalogued, tmp_path):
    proj = catalogued.home / "proj"
    letme_file(proj, 'account = "$(touch x)"\n')
    result = catalogued.run("allow", str(proj))
    assert result.returncode == 1
    assert result.stderr.count("\n") <= 2 and "is not an account name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (catalogued.home / ".local" / "state" / "letme" / "allow").exists() or \
        not any((catalogued.home / ".local" / "state" / "letme" / "allow").iterdir())


def test_dir_prints_code_only_for_an_allowed_file_and_quotes_its_path(catalogued, tmp_path):
    weird = catalogued.home / "it's $(touch CANARY) `x` \"q\""
    path = letme_file(weird, 'account = "example1"\nmode = "env"\n')
    hook = {"LETME_HOOK_SHELL": "bash"}
    result = catalogued.run("dir", "--", path, env=hook)
    assert result.returncode == 0 and result.stdout == ""
    assert "wants example1; run 'letme allow' to use it" in result.stderr
    catalogued.ok("allow", str(weird))
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    result = catalogued.run("dir", "--", path, env=hook)
    assert result.returncode == 0, result.stderr
    # Evaluated by bash, the path comes back byte for byte and nothing runs.
    shown = subprocess.run(["bash", "-c", result.stdout + 'printf "%s|%s|%s" "$LETME_DIR" "$LETME_ACCOUNT" '
                            '"$LETME_DIR_BEFORE"'], cwd=tmp_path, capture_output=True, text=True)
    assert shown.stdout == f"{path}|example1|-"
    assert not (tmp_path / "CANARY").exists() and not (weird / "CANARY").exists()
    # Already in use from that file: nothing to do.
    again = catalogued.run("dir", "--", path, env={**hook, "LETME_ACCOUNT": "example1", "LETME_DIR": path,
                                                   "LETME_DIR_BEFORE": "-"})
    assert again.returncode == 0 and again.stdout == ""
    # Leaving with no file: back to no account, the markers unset.
    left = catalogued.run("dir", env={**hook, "LETME_ACCOUNT": "example1", "LETME_MODE": "env", "LETME_DIR": path,
                                      "LETME_DIR_BEFORE": "-"})
    assert left.returncode == 0
    assert "unset LETME_ACCOUNT;" in left.stdout and "unset LETME_DIR_BEFORE;" in left.stdout
    # Not inside any tree: leaving is nothing.
    assert catalogued.run("dir", env=hook).stdout == ""


def test_dir_needs_the_hook(catalogued):
    result = catalogued.run("dir")
    assert result.returncode == 2 and "the letme shell hook is not loaded" in result.stderr

"""Paths another local user can plant: letme trusts its directories only while they are the user's alone.

The attacker shares a group with the user (umask 002), or a cache directory
(`XDG_CACHE_HOME` on a shared disk), and plants directories, files and symbolic
links where letme will look. Each test builds the planted path, runs letme, and
checks that letme refused with one line naming the path and the fix, and that
the target the attacker aimed at (a stand-in for ~/.bashrc) is untouched.
Ownership checks need another uid: as root (CI) the planted paths are chown'd
to one; as an ordinary user those tests are skipped (group-writable modes are
tested either way).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import LETME, Sandbox
from test_obtain import detached

OTHER_UID = 4242
BASHRC = "# the user's shell start-up file\n"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root (CI runs as root)")


def cache(box: Sandbox) -> Path:
    return box.home / ".cache" / "letme"


def state(box: Sandbox) -> Path:
    return box.home / ".local" / "state" / "letme"


@pytest.fixture
def bashrc(catalogued: Sandbox) -> Path:
    path = catalogued.home / ".bashrc"
    path.write_text(BASHRC)
    return path


def one_line_refusal(result: subprocess.CompletedProcess[str], path: Path, fix: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("letme: error: ") and str(path) in lines[0], result.stderr
    assert lines[1].startswith("letme: hint: ") and fix in lines[1], result.stderr
    assert "Traceback" not in result.stderr


def with_umask(box: Sandbox, umask: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LETME, *args], env=box.env, capture_output=True, text=True, timeout=120,
                          start_new_session=True, stdin=subprocess.DEVNULL, preexec_fn=lambda: os.umask(umask))


def test_directories_are_private_whatever_the_umask(sandbox: Sandbox) -> None:
    for args in (("init",), ("obtain", "example1", "--mfa-code", "123456"), ("config", "use", "general"),
                 ("refresh", "--background", "--no-prompt", "example1")):
        result = with_umask(sandbox, 0o002, *args)
        assert result.returncode == 0, (args, result.stderr)
    # Every directory letme made, including the parents it had to make (~/.cache, ~/.local/state).
    made = [sandbox.home / ".cache", sandbox.home / ".local", sandbox.home / ".local" / "state"]
    for root in (cache(sandbox), state(sandbox)):
        made += [root, *(p for p in root.rglob("*") if p.is_dir())]
    assert len(made) > 8
    loose = {str(p): f"{stat.S_IMODE(p.stat().st_mode):04o}" for p in made if stat.S_IMODE(p.stat().st_mode) != 0o700}
    assert not loose


def test_a_group_writable_state_directory_is_refused_and_nothing_follows_a_planted_link(
        catalogued: Sandbox, bashrc: Path) -> None:
    # The review: umask 002 left refresh/ group-writable; a group member replaced general/ and planted
    # a symlink named after the account, and the next background renewal overwrote ~/.bashrc.
    catalogued.ok("obtain", "example1", "--mfa-code", "123456")
    general = state(catalogued) / "refresh" / "general"
    general.mkdir(parents=True)
    general.parent.chmod(0o775)
    (general / "example1").symlink_to(bashrc)
    result = detached(catalogued, "refresh", "--background", "--no-prompt", "example1")
    one_line_refusal(result, general.parent, "chmod go-w")
    assert bashrc.read_text() == BASHRC
    # Once the directory is private again, the planted link is still not followed: it is replaced.
    general.parent.chmod(0o700)
    catalogued.ok("refresh", "--background", "--no-prompt", "example1")
    assert bashrc.read_text() == BASHRC
    assert not (general / "example1").is_symlink() and (general / "example1").read_text().startswith("ok ")


def test_a_planted_symlink_in_the_credential_cache_is_never_written_through(catalogued: Sandbox,
                                                                            bashrc: Path) -> None:
    entries = cache(catalogued) / "credentials" / "general"
    entries.mkdir(parents=True, mode=0o700)
    (entries / "example1.json").symlink_to(bashrc)
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    one_line_refusal(result, entries / "example1.json", "rm ")
    assert bashrc.read_text() == BASHRC


@as_root
def test_a_cache_directory_precreated_by_another_user_is_refused(catalogued: Sandbox, bashrc: Path) -> None:
    # Shared XDG_CACHE_HOME: the attacker made letme/credentials/general/ before the user's first obtain.
    entries = cache(catalogued) / "credentials" / "general"
    entries.mkdir(parents=True, mode=0o755)
    os.chown(entries.parent, OTHER_UID, OTHER_UID)
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    one_line_refusal(result, entries.parent, f"chown {os.geteuid()}")
    assert "belongs to uid 4242" in result.stderr
    assert list(entries.iterdir()) == []


@as_root
def test_a_planted_cache_entry_is_not_exported(catalogued: Sandbox) -> None:
    # The planter's own keys under the guessable name: `use --mode env` exported them with no warning.
    catalogued.ok("obtain", "example1", "--mfa-code", "123456")
    entry = cache(catalogued) / "credentials" / "general" / "example1.json"
    body = json.loads(entry.read_text())
    body["credentials"]["AccessKeyId"] = "ASIAPLANTEDPLANTED00"
    entry.unlink()
    entry.write_text(json.dumps(body))
    os.chown(entry, OTHER_UID, OTHER_UID)
    result = detached(catalogued, "use", "example1", "--mode", "env", "--shell", "bash")
    one_line_refusal(result, entry, "chown")
    assert "PLANTED" not in result.stdout


def test_a_cache_file_writable_by_others_is_refused(catalogued: Sandbox) -> None:
    catalogued.ok("obtain", "example1", "--mfa-code", "123456")
    entry = cache(catalogued) / "credentials" / "general" / "example1.json"
    entry.chmod(0o666)
    result = detached(catalogued, "credential-process", "example1")
    one_line_refusal(result, entry, f"chmod go-w {entry}")
    assert result.stdout == ""


def test_a_planted_catalog_is_refused(catalogued: Sandbox) -> None:
    records = cache(catalogued) / "catalog" / "general" / "accounts.jsonl"
    records.chmod(0o664)
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456")
    one_line_refusal(result, records, "chmod go-w")
    records.chmod(0o600)
    (cache(catalogued) / "catalog").chmod(0o777)
    result = detached(catalogued, "list")
    one_line_refusal(result, cache(catalogued) / "catalog", "chmod go-w")


@as_root
def test_the_users_own_symlinked_aws_files_keep_working_but_not_someone_elses(catalogued: Sandbox,
                                                                               tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "credentials"
    real.write_bytes(catalogued.credentials_file.read_bytes())
    catalogued.credentials_file.unlink()
    catalogued.credentials_file.symlink_to(real)
    catalogued.ok("obtain", "example1", "--mfa-code", "123456")
    assert catalogued.credentials_file.is_symlink() and "[example1]" in real.read_text()
    os.lchown(catalogued.credentials_file, OTHER_UID, OTHER_UID)
    before = real.read_bytes()
    result = detached(catalogued, "obtain", "example2", "--mfa-code", "123456")
    one_line_refusal(result, catalogued.credentials_file, "ls -l")
    assert real.read_bytes() == before


def test_the_users_own_symlinked_cache_directory_keeps_working(catalogued: Sandbox, tmp_path: Path) -> None:
    # A dotfile manager or a cache on another disk: ~/.cache/letme is the user's link to a private directory.
    target = tmp_path / "other-disk" / "letme"
    target.parent.mkdir()
    cache(catalogued).rename(target)
    cache(catalogued).symlink_to(target)
    catalogued.ok("obtain", "example1", "--mfa-code", "123456")
    assert json.loads(catalogued.ok("credential-process", "example1").stdout)["Version"] == 1
    target.chmod(0o777)  # the directory it points to must still be the user's alone
    result = detached(catalogued, "credential-process", "example1")
    one_line_refusal(result, cache(catalogued), "chmod go-w")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_an_aws_file_that_is_not_a_regular_file_is_neither_read_nor_replaced(catalogued: Sandbox, tmp_path: Path,
                                                                           kind: str) -> None:
    # AWS_CONFIG_FILE=/dev/null as root replaced the machine's /dev/null with a 0600 file of profiles.
    special = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(special)
    else:
        if os.geteuid() != 0:
            pytest.skip("mknod needs root (CI runs as root)")
        os.mknod(special, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456",
                      env={"AWS_CONFIG_FILE": str(special)}, timeout=30)
    one_line_refusal(result, special, "AWS_CONFIG_FILE")
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISCHR)(special.lstat().st_mode)


def test_a_fifo_planted_as_a_cache_file_does_not_hang(catalogued: Sandbox) -> None:
    records = cache(catalogued) / "catalog" / "general" / "accounts.jsonl"
    records.unlink()
    os.mkfifo(records, 0o600)
    result = detached(catalogued, "credential-process", "example1", "--mfa-code", "123456", timeout=30)
    one_line_refusal(result, records, "rm ")

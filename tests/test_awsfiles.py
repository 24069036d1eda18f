"""~/.aws writes: letme's sections only, every other byte kept, hand-written profiles refused, 0600, atomic."""

from __future__ import annotations

import configparser
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import LETME, Sandbox
from test_obtain import RFC3339_UTC, detached

# Comments, odd spacing, tabs, a continuation line, a colon separator, and no newline at the end.
CREDENTIALS = (
    "# my keys, hand-kept\n"
    "[default]\n"
    "aws_access_key_id={key}\n"
    "aws_secret_access_key   =   {secret}\n"
    "; a comment in the section\n"
    "\n"
    "   # indented comment\n"
    "[personal]   ; trailing comment\n"
    "aws_access_key_id : AKIAPERSONAL\n"
    "aws_secret_access_key\t=\tsecret/with+chars\n"
    "\n"
    "\n"
    "# a comment at the end about [personal], no newline after it"
)
CONFIG = (
    "[default]\n"
    "region = eu-west-1\n"
    "s3 =\n"
    "    max_concurrent_requests = 20\n"
    "\n"
    "# SSO profile, hand-written\n"
    "[profile work]\n"
    "sso_start_url = https://example.awsapps.com/start\n"
    "region=us-east-1"
)


def write_hand_files(sandbox: Sandbox, newline: str = "\n") -> tuple[bytes, bytes]:
    creds = CREDENTIALS.format(key=sandbox.org.access_key_id, secret=sandbox.org.secret_access_key)
    creds_bytes = creds.replace("\n", newline).encode()
    config_bytes = CONFIG.replace("\n", newline).encode()
    sandbox.credentials_file.write_bytes(creds_bytes)
    sandbox.config_file.write_bytes(config_bytes)
    return creds_bytes, config_bytes


def parsed(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_every_other_byte_is_kept(catalogued: Sandbox, newline: str) -> None:
    creds_before, config_before = write_hand_files(catalogued, newline)
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    creds_after = catalogued.credentials_file.read_bytes()
    config_after = catalogued.config_file.read_bytes()
    # The hand-written part is a byte-for-byte prefix; letme's section follows, in the file's line ending.
    assert creds_after.startswith(creds_before) and config_after.startswith(config_before)
    added = creds_after[len(creds_before):].decode()
    assert added.startswith(newline) and "[example1]" in added
    assert added.count("\n") == added.count(newline.encode().decode())  # no mixed endings
    section = parsed(catalogued.credentials_file)["example1"]
    assert section["aws_session_token"] and RFC3339_UTC.fullmatch(section["x_security_token_expires"])
    assert parsed(catalogued.config_file)["profile example1"]["region"] == "eu-west-1"

    # A second account and a renewal: the hand-written bytes still lead, example1 is replaced in place.
    assert detached(catalogued, "obtain", "example2", "--mfa-code", "123456").returncode == 0
    old_key = section["aws_access_key_id"]
    assert detached(catalogued, "obtain", "example1", "--renew").returncode == 0
    creds_now = catalogued.credentials_file.read_bytes()
    assert creds_now.startswith(creds_before)
    text = creds_now.decode()
    assert text.index("[example1]") < text.index("[example2]")
    assert text.count("[example1]") == 1 and old_key not in text

    # And removing both gives back the original files (plus the newline the last line lacked).
    for name in ("example1", "example2"):
        assert detached(catalogued, "remove", name).returncode == 0
    assert catalogued.credentials_file.read_bytes() == creds_before + newline.encode()
    assert catalogued.config_file.read_bytes() == config_before + newline.encode()


def test_files_are_private_and_no_temporaries_remain(catalogued: Sandbox) -> None:
    catalogued.credentials_file.chmod(0o644)
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    for path in (catalogued.credentials_file, catalogued.config_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in catalogued.credentials_file.parent.iterdir()) == ["config", "credentials"]
    cache = catalogued.home / ".cache" / "letme" / "credentials" / "general"
    for entry in cache.iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600


@pytest.mark.parametrize("where", ["credentials", "config"])
def test_hand_written_profile_is_never_overwritten_without_force(catalogued: Sandbox, where: str) -> None:
    if where == "credentials":
        with catalogued.credentials_file.open("a") as fh:
            fh.write("\n[example1]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n")
    else:
        with catalogued.config_file.open("a") as fh:
            fh.write("\n[profile example1]\nregion = sa-east-1\n")
    before = (catalogued.credentials_file.read_bytes(), catalogued.config_file.read_bytes())
    refused = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    assert refused.returncode == 1
    assert "was not written by letme" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    # Neither file changed: the check happens before either is touched.
    assert (catalogued.credentials_file.read_bytes(), catalogued.config_file.read_bytes()) == before
    # remove refuses too.
    assert detached(catalogued, "remove", "example1").returncode == 1
    assert (catalogued.credentials_file.read_bytes(), catalogued.config_file.read_bytes()) == before

    forced = detached(catalogued, "obtain", "example1", "--force")
    assert forced.returncode == 0, forced.stderr
    creds = parsed(catalogued.credentials_file)
    assert creds["example1"]["aws_access_key_id"] != "AKIAMINE"
    assert creds["example1"]["manager"] == "letme"
    assert parsed(catalogued.config_file)["profile example1"]["region"] == "eu-west-1"


def test_aws_file_variables_are_honoured(catalogued: Sandbox, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    creds, conf = elsewhere / "creds.ini", elsewhere / "conf.ini"
    creds.write_bytes(catalogued.credentials_file.read_bytes())
    default_before = (catalogued.credentials_file.read_bytes(), catalogued.config_file.read_bytes())
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_CONFIG_FILE": str(conf)}
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456", env=env)
    assert result.returncode == 0, result.stderr
    assert "example1" in parsed(creds) and "profile example1" in parsed(conf)
    assert (catalogued.credentials_file.read_bytes(), catalogued.config_file.read_bytes()) == default_before


def test_symlinked_credentials_file_stays_a_link(catalogued: Sandbox, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "aws-credentials"
    real.write_bytes(catalogued.credentials_file.read_bytes())
    catalogued.credentials_file.unlink()
    catalogued.credentials_file.symlink_to(real)
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    assert catalogued.credentials_file.is_symlink()
    assert "[example1]" in real.read_text()


def test_remove_takes_only_that_accounts_profiles_and_cache(catalogued: Sandbox) -> None:
    creds_before, config_before = write_hand_files(catalogued)
    for name in ("example1", "example2"):
        assert detached(catalogued, "obtain", name, "--mfa-code", "123456").returncode == 0
    cache = catalogued.home / ".cache" / "letme" / "credentials" / "general"
    assert (cache / "example1.json").exists() and (cache / "example2.json").exists()
    result = detached(catalogued, "remove", "example1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    creds, conf = parsed(catalogued.credentials_file), parsed(catalogued.config_file)
    assert "example1" not in creds and "profile example1" not in conf
    assert "example2" in creds and "profile example2" in conf
    assert not (cache / "example1.json").exists() and (cache / "example2.json").exists()
    assert (cache / "_mfa-session.json").exists()
    assert catalogued.credentials_file.read_bytes().startswith(creds_before)
    assert catalogued.config_file.read_bytes().startswith(config_before)
    again = detached(catalogued, "remove", "example1")
    assert again.returncode == 1 and "nothing stored" in again.stderr


def test_concurrent_obtains_lose_no_profile(catalogued: Sandbox) -> None:
    # The first call makes the MFA session; then four writers race on the same two files.
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    names = [n for n in catalogued.org.names if n.startswith(("payments", "search"))][:4]
    procs = [subprocess.Popen([LETME, "obtain", name], env=catalogued.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True, stdin=subprocess.DEVNULL)
             for name in names]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    creds, conf = parsed(catalogued.credentials_file), parsed(catalogued.config_file)
    for name in ["example1", *names]:
        assert name in creds and f"profile {name}" in conf


def test_a_file_the_sdk_cannot_read_is_left_alone(catalogued: Sandbox) -> None:
    with catalogued.credentials_file.open("a") as fh:
        fh.write("\n[default]\naws_access_key_id = duplicate\n")
    before = catalogued.credentials_file.read_bytes()
    result = detached(catalogued, "obtain", "example1", "--mfa-code", "123456")
    assert result.returncode == 1
    assert "letme: error:" in result.stderr and "Traceback" not in result.stderr
    assert str(catalogued.credentials_file) in result.stderr or "[default]" in result.stderr
    assert catalogued.credentials_file.read_bytes() == before
    assert os.access(catalogued.credentials_file, os.R_OK)


def test_stale_temp_files_from_a_killed_writer_are_removed(catalogued: Sandbox) -> None:
    """A SIGKILL between write and rename leaves `.credentials.XXXX.tmp` (credentials inside); the next write
    removes it once it is old enough that no running letme can own it, and leaves a young one alone."""
    import os
    import time

    aws = catalogued.credentials_file.parent
    stale, young = aws / ".credentials.dead1.tmp", aws / ".credentials.live2.tmp"
    for leftover in (stale, young):
        leftover.write_text("[x]\naws_secret_access_key = leaked\n")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    catalogued.ok("obtain", "example1", "--mfa-code", "123456")
    assert not stale.exists()
    assert young.exists()


# Sections that look like letme's to a careless reader but are not: the marker with another value, the
# marker inside another key's indented continuation (configparser and botocore read it as part of that
# value: `note` is "kept by hand\nmanager = letme"), the marker in a comment. letme owns a section only when
# the section itself has the key `manager` with the value `letme`.
FOREIGN = {
    "credentials-manager-other": ("credentials", "[example1]\nmanager = other\naws_access_key_id = AKIAMINE\n"
                                                 "aws_secret_access_key = mine\n"),
    "config-manager-other": ("config", "[profile example1]\nmanager = other\nregion = sa-east-1\n"),
    "credentials-continuation": ("credentials", "[example1]\naws_access_key_id = AKIAMINE\n"
                                                "aws_secret_access_key = mine\nnote = kept by hand\n"
                                                "    manager = letme\n"),
    "config-continuation": ("config", "[profile example1]\nregion = sa-east-1\ns3 =\n    manager = letme\n"
                                      "    max_concurrent_requests = 4\n"),
    "credentials-hash-comment": ("credentials", "[example1]\n# manager = letme\naws_access_key_id = AKIAMINE\n"
                                                "aws_secret_access_key = mine\n"),
    "config-semicolon-comment": ("config", "[profile example1]\n; manager = letme\nregion = sa-east-1\n"),
}
REFUSED_COMMANDS = {
    "obtain": ["obtain", "example1"],
    "use": ["use", "example1"],  # process mode: a config profile, and no static keys in credentials
    "use-profile": ["use", "example1", "--mode", "profile"],
    "remove": ["remove", "example1"],
}


@pytest.mark.parametrize("case", FOREIGN)
def test_a_section_that_only_looks_like_letmes_is_refused_and_kept(catalogued: Sandbox, example1_cached: Path,
                                                                   case: str) -> None:
    where, section = FOREIGN[case]
    # A sanity check of the case itself, with the library the SDKs use: the section has no manager = letme.
    parser = configparser.RawConfigParser()
    parser.read_string(section)
    assert parser.get(parser.sections()[0], "manager", fallback=None) != "letme"
    # Credentials in letme's cache first, so every command below would have all it needs to write.
    shutil.copytree(example1_cached, catalogued.home / ".cache" / "letme", dirs_exist_ok=True)
    path = catalogued.credentials_file if where == "credentials" else catalogued.config_file
    with path.open("a") as fh:
        fh.write("\n# someone else's profile\n" + section + "# the end\n")
    before = (catalogued.credentials_file.read_bytes(), catalogued.config_file.read_bytes())
    for label, args in REFUSED_COMMANDS.items():
        result = detached(catalogued, *args, env={"LETME_HOOK_SHELL": "bash"})
        assert result.returncode == 1, (label, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0].startswith("letme: error: ") and "was not written by letme" in lines[0], (label, lines)
        assert all(line.startswith("letme: hint: ") for line in lines[1:]) and "--force" in result.stderr
        assert (catalogued.credentials_file.read_bytes(), catalogued.config_file.read_bytes()) == before, label
    # --force is the way through, and then the section is letme's.
    assert detached(catalogued, "obtain", "example1", "--force").returncode == 0
    name = "example1" if where == "credentials" else "profile example1"
    assert parsed(path)[name]["manager"] == "letme"

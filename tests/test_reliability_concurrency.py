"""Concurrent writers: 20 `letme obtain` processes for 20 accounts at once, on AWS files a person also edits.

The files start with comments, blank lines and profiles letme does not own. After
the 20 processes, every one of their profiles must be there (no read-modify-write
lost another's section), every byte of the original must be unchanged, and the
files must still be 0600. The MFA session is not obtained first: the 20
processes race for it too, and the lock must make it exactly one GetSessionToken.
"""

from __future__ import annotations

import configparser
import stat
import subprocess

from conftest import LETME, Recorder, Sandbox

from letme_shell import ini

WRITERS = 20

CREDENTIALS_EXTRA = """\
# Work keys -- rotated by hand, DO NOT let tools reorder this file
[ci-bot]
aws_access_key_id = AKIAEXAMPLECIBOT0001
aws_secret_access_key = ci/bot/secret+key=
; a semicolon comment inside a section

[personal]   # trailing comment on a header
aws_access_key_id=AKIAEXAMPLEPERSONAL1
aws_secret_access_key =   spaced secret
region: eu-north-1

# the end of the hand-written part, with no newline at the very end -->"""

CONFIG_EXTRA = """\
# config with a comment first
[profile ci-bot]
region = us-west-2
output = text
s3 =
    max_concurrent_requests = 20

[profile personal]
region = eu-north-1
"""


def owned_sections(text: str) -> list[str]:
    return [span.name for span in ini.IniText(text).spans()
            if (ini.IniText(text).options(span.name) or {}).get("manager") == "letme"]


def strip_owned(text: str) -> str:
    """The file without letme's sections, removed last-first (each is then the file's last section)."""
    doc = ini.IniText(text)
    for name in reversed(owned_sections(text)):
        assert doc.remove(name)
    return str(doc)


def test_twenty_concurrent_obtains_lose_nothing_and_change_no_foreign_byte(
        initialised: Sandbox, recorder: Recorder) -> None:
    box = initialised
    with box.credentials_file.open("a") as fh:
        fh.write(CREDENTIALS_EXTRA)
    with box.config_file.open("a") as fh:
        fh.write(CONFIG_EXTRA)
    cred_before, conf_before = box.credentials_file.read_text(), box.config_file.read_text()
    names = [n for n in box.org.names if n not in ("example2",)][:WRITERS]
    assert len(names) == WRITERS
    recorder.reset()

    procs = [subprocess.Popen([LETME, "obtain", name, "--mfa-code", "123456"], env=box.env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True, text=True) for name in names]
    results = [(name, *proc.communicate(timeout=120), proc.returncode) for name, proc in zip(names, procs, strict=True)]
    failed = [(name, err) for name, _, err, code in results if code != 0]
    assert not failed, failed

    cred_after, conf_after = box.credentials_file.read_text(), box.config_file.read_text()
    creds, conf = configparser.RawConfigParser(), configparser.RawConfigParser()
    creds.read_string(cred_after)
    conf.read_string(conf_after)
    # All 20 profiles, each with its own keys.
    assert sorted(owned_sections(cred_after)) == sorted(names)
    assert sorted(owned_sections(conf_after)) == sorted(f"profile {n}" for n in names)
    keys = {creds[n]["aws_access_key_id"] for n in names}
    assert len(keys) == WRITERS
    # Every hand-written byte where it was: the old file is a prefix (letme appends; the missing final
    # newline is the one byte it may add), and taking letme's sections out gives it back exactly.
    assert cred_after.startswith(cred_before)
    assert conf_after.startswith(conf_before)
    assert strip_owned(cred_after) == cred_before + "\n"
    assert strip_owned(conf_after) == conf_before
    for path in (box.credentials_file, box.config_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # No temporary file left behind by any writer.
    assert sorted(p.name for p in box.credentials_file.parent.iterdir()) == ["config", "credentials"]
    # The 20 raced for one MFA session: the lock made it one GetSessionToken.
    assert len(recorder.actions("GetSessionToken")) == 1

"""credential_store = "keyring" and `letme source` (issue 13, item 6): secrets at rest in the OS keyring.

The keyring here is a real backend that needs no desktop session: keyrings.alt's plain file backend, chosen the
standard way (PYTHON_KEYRING_BACKEND), its file put outside the sandbox HOME with keyring's own
KEYRING_PROPERTY_FILE_PATH, so that a search of the whole HOME for a secret proves letme left none there.
Everything runs the installed `letme` against the session's moto server over HTTP.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Recorder, Sandbox

SERVICE = "letme"
BACKEND = "keyrings.alt.file.PlaintextKeyring"


def use_keyring(box: Sandbox, where: Path) -> Path:
    """Point the sandbox at a keyring file outside its HOME; the path of that file."""
    store = where / "keyring" / "keyring_pass.cfg"
    box.env["PYTHON_KEYRING_BACKEND"] = BACKEND
    box.env["KEYRING_PROPERTY_FILE_PATH"] = str(store)
    return store


def store_in_keyring(box: Sandbox) -> None:
    with box.letme_config.open("a") as fh:
        fh.write('credential_store = "keyring"\n')


def keyring_item(store: Path, name: str) -> str | None:
    """An item as the backend itself reads it (not through letme)."""
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(store)
    return backend.get_password(SERVICE, name)


def files_holding(root: Path, *secrets: str) -> list[str]:
    """Every file under `root` holding one of `secrets`, as text or inside base64 (the file backend's encoding)."""
    needles = [s.encode() for s in secrets]
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            # Base64 runs, across the line breaks an INI value may wrap at.
            runs = re.findall(rb"[A-Za-z0-9+/]{16,}", re.sub(rb"\s+", b"", data))
            decoded = [base64.b64decode(run[: len(run) - len(run) % 4]) for run in runs]
            if any(needle in text for needle in needles for text in (data, *decoded)):
                found.append(str(path.relative_to(root)))
    return found


@pytest.fixture
def keyring_box(catalogued: Sandbox, tmp_path: Path) -> tuple[Sandbox, Path]:
    store = use_keyring(catalogued, tmp_path)
    store_in_keyring(catalogued)
    return catalogued, store


def test_credentials_rest_in_the_keyring_and_nowhere_under_home(keyring_box: tuple[Sandbox, Path],
                                                                recorder: Recorder) -> None:
    box, store = keyring_box
    first = json.loads(box.ok("credential-process", "example1", "--mfa-code", "123456").stdout)
    # Cached: the same credentials from the keyring, no STS call, nothing said.
    again = box.ok("credential-process", "example1")
    assert json.loads(again.stdout) == first and again.stderr == ""
    assert len(recorder.actions("AssumeRole")) == 1 and len(recorder.actions("GetSessionToken")) == 1
    entry = json.loads(keyring_item(store, "credentials/general/example1") or "{}")
    assert entry["credentials"]["SecretAccessKey"] == first["SecretAccessKey"]
    session = json.loads(keyring_item(store, "credentials/general/_mfa-session") or "{}")
    assert session["credentials"]["SessionToken"]
    # use (process mode) and exec on the cached credentials: from the keyring, no new STS call.
    box.ok("use", "example1", "--shell", "bash")
    shown = box.ok("exec", "example1", "--", sys.executable, "-c",
                   "import os; print(os.environ['AWS_ACCESS_KEY_ID'])")
    assert shown.stdout.strip() == first["AccessKeyId"]
    assert len(recorder.actions("AssumeRole")) == 1
    # boto3 through the profile `use` wrote: the SDK runs `letme credential-process`, twice.
    for _ in range(2):
        arn = subprocess.run([sys.executable, "-c", "import boto3; print(boto3.client('sts').get_caller_identity()"
                              "['Arn'])"], env={**box.env, "AWS_PROFILE": "example1"}, capture_output=True,
                             text=True, timeout=60)
        assert arn.returncode == 0 and "assumed-role/letme-target/example1" in arn.stdout, arn.stderr
    secrets = [first["SecretAccessKey"], first["SessionToken"], session["credentials"]["SecretAccessKey"],
               session["credentials"]["SessionToken"]]
    assert files_holding(box.home, *secrets) == []  # no cache entry, no recorded answer, no profile
    assert files_holding(store.parent, *secrets) != []  # the search finds them where they are


def test_switching_to_the_keyring_leaves_no_file_entry_behind(catalogued: Sandbox, tmp_path: Path) -> None:
    first = json.loads(catalogued.ok("credential-process", "example1", "--mfa-code", "123456").stdout)
    catalogued.ok("credential-process", "example1")  # the files store records its answer (hot.py)
    assert files_holding(catalogued.home, first["SecretAccessKey"]) != []
    use_keyring(catalogued, tmp_path)
    store_in_keyring(catalogued)
    fresh = json.loads(catalogued.ok("credential-process", "example1", "--mfa-code", "123456").stdout)
    catalogued.ok("credential-process", "example1")
    assert files_holding(catalogued.home, first["SecretAccessKey"], fresh["SecretAccessKey"]) == []


def test_reset_removes_the_keyring_items_and_lists_them(keyring_box: tuple[Sandbox, Path]) -> None:
    box, store = keyring_box
    box.ok("credential-process", "example1", "--mfa-code", "123456")
    result = box.ok("reset", "--yes")
    assert "removed cached credentials of 'example1' (context 'general', keyring)" in result.stderr
    assert "removed the MFA session of context 'general' (keyring)" in result.stderr
    assert keyring_item(store, "credentials/general/example1") is None
    assert keyring_item(store, "credentials/general/_mfa-session") is None
    assert box.ok("reset", "--yes").stderr.startswith("letme: letme has nothing stored")


def test_remove_deletes_the_keyring_item(keyring_box: tuple[Sandbox, Path]) -> None:
    box, store = keyring_box
    box.ok("credential-process", "example1", "--mfa-code", "123456")
    box.ok("remove", "example1")
    assert keyring_item(store, "credentials/general/example1") is None
    assert not (box.home / ".cache/letme/credentials/general/example1.keyring").exists()
    assert keyring_item(store, "credentials/general/_mfa-session") is not None  # not an account's


KEYRING_SEEN = """
import sys
from letme_shell import cli
sys.argv = ["letme", *sys.argv[1:]]
try:
    rc = cli.main()
finally:
    sys.stderr.write("\\nKEYRING=" + str("keyring" in sys.modules) + "\\n")
sys.exit(rc)
"""


def keyring_imported(box: Sandbox, *args: str) -> bool:
    result = subprocess.run([sys.executable, "-c", KEYRING_SEEN, *args], env=box.env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return result.stderr.rstrip().endswith("KEYRING=True")


def test_the_keyring_library_is_imported_only_for_the_keyring_store(catalogued: Sandbox, tmp_path: Path) -> None:
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    for args in (("credential-process", "example1"), ("use", "example1", "--shell", "bash"), ("reset", "--yes")):
        assert not keyring_imported(catalogued, *args), args
    use_keyring(catalogued, tmp_path)
    store_in_keyring(catalogued)
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    assert keyring_imported(catalogued, "credential-process", "example1")  # the check sees it when it is there


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", "no_such_module.Keyring"])
def test_a_failing_keyring_is_one_line(keyring_box: tuple[Sandbox, Path], backend: str) -> None:
    box, _ = keyring_box
    result = box.run("credential-process", "example1", "--mfa-code", "123456",
                     env={"PYTHON_KEYRING_BACKEND": backend})
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("letme: error: the keyring") and "Traceback" not in result.stderr
    assert all(line.startswith("letme: ") for line in lines), result.stderr


def test_doctor_names_the_store(keyring_box: tuple[Sandbox, Path]) -> None:
    box, _ = keyring_box
    out = box.run("doctor", "--no-network").stdout
    assert "credential_store = keyring" in out and "PlaintextKeyring" in out
    box.letme_config.write_text(box.letme_config.read_text().replace('credential_store = "keyring"\n', ""))
    assert "credential_store = files" in box.run("doctor", "--no-network").stdout


def test_an_unknown_store_is_a_config_error(catalogued: Sandbox) -> None:
    with catalogued.letme_config.open("a") as fh:
        fh.write('credential_store = "vault"\n')
    result = catalogued.run("credential-process", "example1")
    assert result.returncode != 0 and "credential_store" in result.stderr and "Traceback" not in result.stderr


# ---- letme source: the long-term keys of a profile -------------------------------------------------------------

OTHERS = ("# my notes: keep\n[other]\naws_access_key_id = AKIAOTHER00000000000\n"
          "aws_secret_access_key = other-secret-stays\n")


def test_source_add_moves_the_keys_and_the_profile_works_through_letme(catalogued: Sandbox, tmp_path: Path,
                                                                        recorder: Recorder) -> None:
    box = catalogued
    store = use_keyring(box, tmp_path)
    org = box.org
    with box.credentials_file.open("a") as fh:
        fh.write(OTHERS)
    creds_before = box.credentials_file.read_bytes()
    config_before = box.config_file.read_bytes()
    added = box.ok("source", "add", "default")
    assert org.secret_access_key not in added.stdout + added.stderr
    assert "moved the keys of profile 'default'" in added.stderr
    # The two key lines are gone and every other byte is where it was.
    key_lines = (f"aws_access_key_id = {org.access_key_id}\naws_secret_access_key = {org.secret_access_key}\n"
                 .encode())
    assert box.credentials_file.read_bytes() == creds_before.replace(key_lines, b"")
    assert box.config_file.read_bytes().startswith(b"[default]\ncredential_process = ")
    assert json.loads(keyring_item(store, "source/default") or "{}")["SecretAccessKey"] == org.secret_access_key
    assert files_holding(box.home, org.secret_access_key) == []
    assert box.ok("source", "list").stdout == "default\n"
    doctor = box.run("doctor", "--no-network").stdout
    assert "profile 'default' is IAM user keys held by letme in the keyring" in doctor, doctor
    # letme's own STS calls sign with the stored keys (explicit credentials, no credential_process round trip).
    box.ok("credential-process", "example1", "--mfa-code", "123456")
    assert [key for _, key in recorder.signed("GetSessionToken")] == [org.access_key_id]
    # Any SDK using the profile gets the keys through letme.
    arn = subprocess.run([sys.executable, "-c", "import boto3; print(boto3.client('sts').get_caller_identity()"
                          "['Arn'])"], env={**box.env, "AWS_PROFILE": "default"}, capture_output=True, text=True,
                         timeout=60)
    assert arn.returncode == 0 and ":user/" in arn.stdout, arn.stderr
    # Adding twice is refused in one line; a profile without keys too.
    again = box.run("source", "add", "default")
    assert again.returncode == 1 and "already" in again.stderr and "Traceback" not in again.stderr
    missing = box.run("source", "add", "nosuch")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    # The way back: the keys return to the file, the marker goes, the keyring item goes.
    removed = box.ok("source", "remove", "default")
    assert org.secret_access_key not in removed.stdout + removed.stderr
    assert box.credentials_file.read_bytes() == creds_before
    assert box.config_file.read_bytes() == config_before
    assert keyring_item(store, "source/default") is None
    assert box.ok("source", "list").stdout == ""


def test_reset_keeps_the_source_keys(catalogued: Sandbox, tmp_path: Path) -> None:
    store = use_keyring(catalogued, tmp_path)
    store_in_keyring(catalogued)
    catalogued.ok("source", "add", "default")
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    result = catalogued.ok("reset", "--yes")
    assert "kept the long-term keys of profile 'default'" in result.stderr
    assert keyring_item(store, "source/default") is not None
    assert keyring_item(store, "credentials/general/example1") is None


def test_source_add_refuses_temporary_keys(catalogued: Sandbox, tmp_path: Path) -> None:
    use_keyring(catalogued, tmp_path)
    with catalogued.credentials_file.open("a") as fh:
        fh.write("[temp]\naws_access_key_id = ASIATEMP\naws_secret_access_key = s\naws_session_token = t\n")
    before = catalogued.credentials_file.read_bytes()
    result = catalogued.run("source", "add", "temp")
    assert result.returncode == 1 and "session token" in result.stderr
    assert catalogued.credentials_file.read_bytes() == before


def test_letme_gives_the_stored_keys_to_boto3_directly(catalogued: Sandbox, tmp_path: Path,
                                                        recorder: Recorder) -> None:
    """The source profile's keys go from the keyring to boto3, not through a `letme source credentials` process:
    with the marker's command made unrunnable, letme still signs GetSessionToken with the stored key."""
    use_keyring(catalogued, tmp_path)
    catalogued.ok("source", "add", "default")
    text = catalogued.config_file.read_text()
    line = next(line for line in text.splitlines() if line.startswith("credential_process = "))
    catalogued.config_file.write_text(text.replace(line, "credential_process = /nonexistent/letme source credentials "
                                                         "default"))
    catalogued.ok("credential-process", "example1", "--mfa-code", "123456")
    assert [key for _, key in recorder.signed("GetSessionToken")] == [catalogued.org.access_key_id]


def expires_in(code: str) -> str:
    found = re.search(r"LETME_EXPIRES='(\d+)'", code)
    assert found, code
    return found.group(1)


def test_a_use_record_is_kept_only_while_it_holds_no_secret(keyring_box: tuple[Sandbox, Path]) -> None:
    """With the keyring store, a cached `use` in process mode (its code names a profile) is still answered from
    its record; in env mode (its code exports the keys) it is not recorded; a renewed entry retires the record."""
    box, store = keyring_box
    box.ok("credential-process", "example1", "--mfa-code", "123456")
    record = box.home / ".cache" / "letme" / "hot" / "example1@+use"
    for _ in range(3):
        first = box.ok("use", "example1", "--shell", "bash").stdout
    assert record.exists()
    creds = json.loads(keyring_item(store, "credentials/general/example1") or "{}")["credentials"]
    assert files_holding(box.home, creds["SecretAccessKey"], creds["SessionToken"]) == []
    # Renewed elsewhere (an SDK's credential-process): the record gives way, `use` shows the new expiry.
    time.sleep(1.1)
    renewed = json.loads(box.ok("credential-process", "example1", "--renew").stdout)
    again = box.ok("use", "example1", "--shell", "bash").stdout
    assert expires_in(again) != expires_in(first)
    # env mode: the code carries the keys, so no record is kept.
    for _ in range(3):
        env_code = box.ok("use", "example1", "--mode", "env", "--shell", "bash").stdout
    assert renewed["SecretAccessKey"] in env_code
    assert not record.exists()
    assert files_holding(box.home, renewed["SecretAccessKey"], renewed["SessionToken"]) == []

"""A HOME as the original letme (lockedinspace/letme, Go) leaves it, used by this letme with no edit (issue 12).

The original wrote its profiles with go-ini: each section preceded by the comment line `; letme managed`,
`=` aligned, a blank line after each section. `obtain X --credential-process` added
`credential_process = letme obtain X --v1` to `[profile X]` and removed `[X]` from the credentials file.
Those sections are letme's own: `obtain`, `use` and `remove` replace or remove them (the marker line with
them) without --force, and every other byte stays. A marker counts only as a whole `; letme managed` comment
line directly before the section header.
"""

from __future__ import annotations

import configparser
import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pexpect
import pytest
from conftest import LETME, Recorder, Sandbox
from test_credential_process import check_document
from test_obtain import detached

HAND_CREDENTIALS = "[default]\naws_access_key_id     = {key}\naws_secret_access_key = {secret}\n\n"
# What go-ini's SaveTo wrote for `letme obtain example2` (3-hop), then a profile of the user's own.
LEGACY_CREDENTIALS_EXAMPLE2 = (
    "; letme managed\n"
    "[example2]\n"
    "aws_access_key_id     = ASIAORIGINALEXAMPLE2\n"
    "aws_secret_access_key = originalsecretoriginalsecretoriginalsecre\n"
    "aws_session_token     = originaltoken\n"
    "\n"
)
HAND_CREDENTIALS_TAIL = "[personal]\naws_access_key_id = AKIAPERSONAL\naws_secret_access_key = mine\n"

HAND_CONFIG = "[default]\nregion = eu-west-1\n\n"
# `letme obtain example1` then `letme obtain example1 --credential-process` (the section kept its comment).
LEGACY_CONFIG_EXAMPLE1 = (
    "; letme managed\n"
    "[profile example1]\n"
    "output             = json\n"
    "region             = eu-west-1\n"
    "credential_process = letme obtain example1 --v1\n"
    "\n"
)
LEGACY_CONFIG_EXAMPLE2 = (
    "; letme managed\n"
    "[profile example2]\n"
    "output = json\n"
    "region = eu-west-1\n"
    "\n"
)
HAND_CONFIG_TAIL = "# my SSO profile\n[profile work]\nsso_start_url = https://example.awsapps.com/start\n"


def legacy_home(box: Sandbox) -> tuple[str, str]:
    """Both AWS files as the original leaves them; returns their text."""
    creds = (HAND_CREDENTIALS.format(key=box.org.access_key_id, secret=box.org.secret_access_key)
             + LEGACY_CREDENTIALS_EXAMPLE2 + HAND_CREDENTIALS_TAIL)
    config = HAND_CONFIG + LEGACY_CONFIG_EXAMPLE1 + LEGACY_CONFIG_EXAMPLE2 + HAND_CONFIG_TAIL
    box.credentials_file.write_text(creds)
    box.config_file.write_text(config)
    return creds, config


@pytest.fixture
def legacy(catalogued: Sandbox, example1_cached: Path) -> Sandbox:
    """The original's AWS files, the catalog and a cached MFA session (so no code is asked)."""
    import shutil

    cache = catalogued.home / ".cache" / "letme"
    shutil.rmtree(cache)
    shutil.copytree(example1_cached, cache)
    legacy_home(catalogued)
    return catalogued


def parsed(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


SDK = textwrap.dedent("""
    import boto3, sys
    print(boto3.Session(profile_name=sys.argv[1]).client("sts").get_caller_identity()["Arn"])
""")


def sdk_identity(box: Sandbox, profile: str) -> subprocess.CompletedProcess[str]:
    """A real SDK (boto3) resolving `profile` the way any program would: through credential_process."""
    return subprocess.run([sys.executable, "-c", SDK, profile], env=box.env, capture_output=True, text=True,
                          timeout=90, start_new_session=True, stdin=subprocess.DEVNULL)


def test_the_originals_credential_process_line_keeps_working(legacy: Sandbox) -> None:
    # `letme obtain X --v1` prints the credential_process document on stdout and nothing else.
    direct = detached(legacy, "obtain", "example1", "--v1")
    assert direct.returncode == 0, direct.stderr
    doc = check_document(direct.stdout)
    assert direct.stdout == json.dumps(doc) + "\n"
    assert doc["SecretAccessKey"] not in direct.stderr and doc["SessionToken"] not in direct.stderr
    # And boto3, through the line the original wrote (`credential_process = letme obtain example1 --v1`).
    sdk = sdk_identity(legacy, "example1")
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == "arn:aws:sts::100000000001:assumed-role/letme-target/example1-letme-session"


def test_obtain_replaces_the_originals_profile_and_its_marker(legacy: Sandbox) -> None:
    creds_before, config_before = legacy.credentials_file.read_text(), legacy.config_file.read_text()
    result = detached(legacy, "obtain", "example2")
    assert result.returncode == 0, result.stderr
    creds, config = legacy.credentials_file.read_text(), legacy.config_file.read_text()
    # The marker went with the section it marked; the sections around it are where they were, byte for byte.
    head, tail = creds_before.split(LEGACY_CREDENTIALS_EXAMPLE2)
    assert creds.startswith(head + "[example2]\n") and creds.endswith("\n" + tail)
    assert "letme managed" not in creds
    section = parsed(legacy.credentials_file)["example2"]
    assert section["manager"] == "letme" and section["aws_access_key_id"] != "ASIAORIGINALEXAMPLE2"
    head, tail = config_before.split(LEGACY_CONFIG_EXAMPLE2)
    assert config.startswith(head + "[profile example2]\n") and config.endswith("\n" + tail)
    assert config.count("; letme managed") == 1  # example1's, untouched
    assert parsed(legacy.config_file)["profile example2"]["manager"] == "letme"


def test_remove_takes_the_originals_profiles_without_force(legacy: Sandbox) -> None:
    creds_before, config_before = legacy.credentials_file.read_text(), legacy.config_file.read_text()
    result = detached(legacy, "remove", "example2")
    assert result.returncode == 0, result.stderr
    # Exactly the marker, the section and the blank line go-ini put after it: every other byte stays.
    assert legacy.credentials_file.read_text() == creds_before.replace(LEGACY_CREDENTIALS_EXAMPLE2, "")
    assert legacy.config_file.read_text() == config_before.replace(LEGACY_CONFIG_EXAMPLE2, "")
    # The credential_process profile of the original goes too (it has no credentials section).
    result = detached(legacy, "remove", "example1")
    assert result.returncode == 0, result.stderr
    assert legacy.config_file.read_text() == HAND_CONFIG + HAND_CONFIG_TAIL
    assert legacy.credentials_file.read_text() == creds_before.replace(LEGACY_CREDENTIALS_EXAMPLE2, "")


def test_use_takes_over_the_originals_profiles(legacy: Sandbox) -> None:
    result = detached(legacy, "use", "example2", "--shell", "bash")
    assert result.returncode == 0, result.stderr
    # Process mode: [profile example2] runs letme; the original's static keys are gone from the credentials file.
    conf = parsed(legacy.config_file)["profile example2"]
    assert "credential-process example2" in conf["credential_process"] and conf["manager"] == "letme"
    assert "example2" not in parsed(legacy.credentials_file)
    assert "letme managed" not in legacy.credentials_file.read_text()
    sdk = sdk_identity(legacy, "example2")
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip().startswith("arn:aws:sts::100000000002:assumed-role/letme-target/")


# Markers that are not the original's: they must not make a section letme's.
SPOOFED = {
    "blank-line-between": "; letme managed\n\n[example2]\naws_access_key_id = AKIAMINE\n",
    "other-comment-between": "; letme managed\n; mine\n[example2]\naws_access_key_id = AKIAMINE\n",
    "indented-marker": "  ; letme managed\n[example2]\naws_access_key_id = AKIAMINE\n",
    "hash-marker": "# letme managed\n[example2]\naws_access_key_id = AKIAMINE\n",
    "marker-in-a-value": "[other]\nnote = x ; letme managed\n[example2]\naws_access_key_id = AKIAMINE\n",
    "marker-as-continuation": "[other]\nnote = x\n    letme managed\n[example2]\naws_access_key_id = AKIAMINE\n",
    "longer-comment": "; letme managed, not really\n[example2]\naws_access_key_id = AKIAMINE\n",
    "marker-with-manager-other": "; letme managed\n[example2]\nmanager = other\naws_access_key_id = AKIAMINE\n",
}


@pytest.mark.parametrize("case", SPOOFED)
@pytest.mark.parametrize("command", ["obtain", "remove"])
def test_a_marker_that_is_not_the_originals_counts_for_nothing(legacy: Sandbox, case: str, command: str) -> None:
    text = HAND_CREDENTIALS.format(key=legacy.org.access_key_id, secret=legacy.org.secret_access_key)
    legacy.credentials_file.write_text(text + SPOOFED[case] + "aws_secret_access_key = mine\n")
    legacy.config_file.write_text(HAND_CONFIG)
    before = legacy.credentials_file.read_bytes(), legacy.config_file.read_bytes()
    result = detached(legacy, command, "example2")
    assert result.returncode == 1, result.stderr
    assert "was not written by letme" in result.stderr and "Traceback" not in result.stderr
    assert (legacy.credentials_file.read_bytes(), legacy.config_file.read_bytes()) == before


def test_remove_force_still_takes_a_hand_written_profile(legacy: Sandbox) -> None:
    with legacy.config_file.open("a") as fh:
        fh.write("\n[profile example3]\nregion = sa-east-1\n")
    assert detached(legacy, "remove", "example3").returncode == 1
    forced = detached(legacy, "remove", "example3", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "profile example3" not in parsed(legacy.config_file)


def test_obtain_credential_process_writes_letmes_own_line_and_prints_no_secret(
        legacy: Sandbox, recorder: Recorder) -> None:
    result = detached(legacy, "obtain", "example2", "--credential-process")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "SecretAccessKey" not in result.stderr and "originalsecret" not in result.stderr
    # Writing the profile needs no credentials: no STS call (the SDK will make them when it needs them).
    assert recorder.actions("AssumeRole") == [] and recorder.actions("GetSessionToken") == []
    conf = parsed(legacy.config_file)["profile example2"]
    argv = shlex.split(conf["credential_process"])
    assert argv[1:3] == ["credential-process", "example2"] and "--origin" in argv and "--config" in argv
    assert conf["region"] == "eu-west-1" and conf["output"] == "json" and conf["manager"] == "letme"
    # The original's static keys for example2 would shadow the credential_process: they are gone.
    assert "example2" not in parsed(legacy.credentials_file)
    sdk = sdk_identity(legacy, "example2")
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip().startswith("arn:aws:sts::100000000002:assumed-role/letme-target/")


def spawn(box: Sandbox, *args: str) -> pexpect.spawn:
    return pexpect.spawn(LETME, list(args), env=box.env, encoding="utf-8", timeout=60)


def test_hop_progress_on_a_terminal(legacy: Sandbox) -> None:
    child = spawn(legacy, "obtain", "example2", "--renew")
    child.expect(pexpect.EOF)
    child.close()
    out = child.before.replace("\r\n", "\n")
    assert child.exitstatus == 0, out
    assert "Total hops: 3" in out
    hops = [line for line in out.splitlines() if line.startswith("letme: [")]
    assert [line.split("]")[0] for line in hops] == ["letme: [1/3", "letme: [2/3", "letme: [3/3"]
    assert all(" arn:aws:iam::" in line for line in hops)
    assert hops[2].endswith(":role/letme-target")


def test_hop_progress_is_quiet_with_q_and_without_a_terminal(legacy: Sandbox) -> None:
    child = spawn(legacy, "-q", "obtain", "example2", "--renew")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "hops" not in child.before and "[1/3]" not in child.before
    piped = detached(legacy, "obtain", "example2", "--renew")
    assert piped.returncode == 0, piped.stderr
    assert "hops" not in piped.stderr and "[1/3]" not in piped.stderr

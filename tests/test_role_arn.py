"""Roles outside the catalog (issue 13, item 4): `--role-arn ARN [--name ALIAS]` on use, exec, shell, console,
obtain and credential-process, with the MFA session, the credential cache, the prompt and the modes of a
catalog account.

Everything runs the real `letme` against moto over HTTP. moto accepts any role ARN and answers AssumeRole with
an assumed-role ARN in the role's account, so the identity a child process gets (sts:GetCallerIdentity) shows
which role it really holds; the recorder shows each AssumeRole and GetSessionToken letme sent, in order.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Recorder, Sandbox
from test_hot import ask, primed

from letme_shell import sampleorg

ROLE_A = sampleorg.role_arn("333333333333", "Auditor")
ROLE_B = sampleorg.role_arn("444444444444", "Deployer")
HUB = sampleorg.role_arn(sampleorg.HUB_ACCOUNT, "letme-hub")
MFA = ("--mfa-code", "123456")

# The caller's identity, printed by a child process through boto3 (as any SDK would find it).
WHO = [sys.executable, "-c", "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"]


def assumed(recorder: Recorder) -> list[str]:
    return [form["RoleArn"] for form in recorder.actions("AssumeRole")]


def evaluated(box: Sandbox, code: str, *command: str) -> subprocess.CompletedProcess[str]:
    """Run `command` in bash after eval'ing the code `letme use --shell bash` printed."""
    script = f"{code}\n{shlex.join(command)}"
    return subprocess.run(["bash", "--noprofile", "--norc", "-c", script], env=box.env, capture_output=True,
                          text=True, timeout=60)


def exported(code: str) -> dict[str, str]:
    """The variables bash would export after eval'ing `code`."""
    result = subprocess.run(["bash", "--noprofile", "--norc", "-c", f"{code}\nenv -0"], capture_output=True,
                            timeout=30, env={"PATH": os.environ["PATH"]})
    pairs = (entry.decode().partition("=") for entry in result.stdout.split(b"\0") if entry)
    return {key: value for key, _, value in pairs}


# ---- use, in each mode ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["process", "profile", "env"])
def test_use_role_arn_switches_to_the_role_in_every_mode(catalogued: Sandbox, recorder: Recorder, mode: str) -> None:
    result = catalogued.ok("use", "--role-arn", ROLE_A, "--name", "audit", "--mode", mode, *MFA, "--shell", "bash")
    assert "using audit" in result.stderr
    env = exported(result.stdout)
    assert env["LETME_ACCOUNT"] == "audit" and env["LETME_MODE"] == mode
    assert env["AWS_REGION"] == sampleorg.REGION  # the source's region: an ad-hoc role has none of its own
    if mode == "env":
        assert "AWS_PROFILE" not in env and env["AWS_ACCESS_KEY_ID"]
    else:
        assert env["AWS_PROFILE"] == "audit"
    # What an SDK gets in that shell: the role, in the role's account.
    who = evaluated(catalogued, result.stdout, *WHO)
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == "arn:aws:sts::333333333333:assumed-role/Auditor/audit-letme-session"
    assert assumed(recorder) == [ROLE_A]  # one AssumeRole: process mode's SDK call answered from the cache
    # The MFA serial and code went to GetSessionToken, and the role was assumed with that MFA session.
    tokens = recorder.actions("GetSessionToken")
    assert [(t.get("SerialNumber"), t.get("TokenCode")) for t in tokens] == [(catalogued.org.mfa_arn, "123456")]


def test_process_mode_profile_carries_the_arns_so_renewals_assume_the_same_role(catalogued: Sandbox,
                                                                             recorder: Recorder) -> None:
    catalogued.ok("use", "--role-arn", HUB, "--role-arn", ROLE_A, "--name", "audit", "--external-id", "Acme-42",
                  "--role-session-name", "alice-audit", *MFA, "--shell", "bash")
    config = catalogued.config_file.read_text()
    line = next(line for line in config.splitlines() if line.startswith("credential_process"))
    argv = shlex.split(line.partition("=")[2])
    assert argv[1:11] == ["credential-process", "--name", "audit", "--role-arn", HUB, "--role-arn", ROLE_A,
                          "--external-id", "Acme-42", "--context"]
    assert argv[-2:] == ["--role-session-name", "alice-audit"]
    # The profile's own command, run as the SDK runs it with --renew: the same chain again, in order.
    recorder.reset()
    renewed = subprocess.run([*argv, "--renew"], env=catalogued.env, capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    assert renewed.returncode == 0, renewed.stderr
    assert json.loads(renewed.stdout)["Version"] == 1
    forms = recorder.actions("AssumeRole")
    assert [(f["RoleArn"], f.get("ExternalId"), f["RoleSessionName"]) for f in forms] == [
        (HUB, None, "alice-audit"), (ROLE_A, "Acme-42", "alice-audit")]
    assert recorder.actions("GetSessionToken") == []  # the cached MFA session


# ---- exec, chains, cache ----------------------------------------------------------------------------------

def test_exec_role_arn_runs_the_command_as_the_role(catalogued: Sandbox, recorder: Recorder) -> None:
    result = catalogued.ok("exec", "--role-arn", ROLE_B, *MFA, "--", *WHO)
    assert result.stdout.strip() == \
        "arn:aws:sts::444444444444:assumed-role/Deployer/444444444444-Deployer-letme-session"
    assert assumed(recorder) == [ROLE_B]
    # A chain with a name.
    late = catalogued.ok("exec", "--role-arn", HUB, "--role-arn", ROLE_B, "--name", "deploy", "--", *WHO)
    assert late.stdout.strip() == "arn:aws:sts::444444444444:assumed-role/Deployer/deploy-letme-session"


def test_a_chain_of_two_arns_is_assumed_in_order_each_from_the_previous(catalogued: Sandbox,
                                                                        recorder: Recorder) -> None:
    catalogued.ok("exec", "--role-arn", HUB, "--role-arn", ROLE_A, "--name", "chain", *MFA, "--", "true")
    signed = recorder.signed("AssumeRole")
    assert [form["RoleArn"] for form, _ in signed] == [HUB, ROLE_A]
    # Hop 1 was signed with the MFA session (not the source's keys, which signed GetSessionToken), hop 2 with
    # hop 1's credentials (neither of those).
    source_key = recorder.signed("GetSessionToken")[0][1]
    assert source_key == catalogued.org.access_key_id
    assert signed[0][1] != source_key
    assert signed[1][1] not in (source_key, signed[0][1])


def test_cached_credentials_answer_the_second_call_without_sts(catalogued: Sandbox, recorder: Recorder) -> None:
    first = catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "audit", *MFA)
    recorder.reset()
    second = catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "audit")
    assert second.stdout == first.stdout
    assert recorder.actions("AssumeRole") == [] and recorder.actions("GetSessionToken") == []
    catalogued.ok("use", "--role-arn", ROLE_A, "--name", "audit", "--shell", "bash")
    assert recorder.actions("AssumeRole") == []


def test_the_same_alias_with_another_arn_is_assumed_again_never_the_old_credentials(
        catalogued: Sandbox, recorder: Recorder) -> None:
    a = json.loads(catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "x", *MFA).stdout)
    recorder.reset()
    b = json.loads(catalogued.ok("credential-process", "--role-arn", ROLE_B, "--name", "x").stdout)
    assert b["AccessKeyId"] != a["AccessKeyId"]
    assert assumed(recorder) == [ROLE_B]
    result = catalogued.ok("exec", "--role-arn", ROLE_A, "--name", "x", "--", *WHO)
    assert ":333333333333:assumed-role/Auditor/" in result.stdout
    result = catalogued.ok("exec", "--role-arn", ROLE_B, "--name", "x", "--", *WHO)
    assert ":444444444444:assumed-role/Deployer/" in result.stdout


def test_the_same_external_id_or_chain_change_is_a_new_entry(catalogued: Sandbox, recorder: Recorder) -> None:
    catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "x", *MFA)
    recorder.reset()
    catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "x", "--external-id", "Other-1")
    assert [(f["RoleArn"], f.get("ExternalId")) for f in recorder.actions("AssumeRole")] == [(ROLE_A, "Other-1")]
    recorder.reset()
    catalogued.ok("credential-process", "--role-arn", HUB, "--role-arn", ROLE_A, "--name", "x")
    assert assumed(recorder) == [HUB, ROLE_A]


# ---- the hot path's record --------------------------------------------------------------------------------

def test_a_record_for_an_alias_never_answers_the_alias_with_another_arn(catalogued: Sandbox,
                                                                        recorder: Recorder) -> None:
    catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "x", *MFA)
    tail_a = ("--name", "x", "--role-arn", ROLE_A, "--context", "general")
    answer_a = primed(catalogued, *tail_a)  # answered from the record by the third call
    assert (catalogued.home / ".cache" / "letme" / "hot" / "x@general").exists()
    recorder.reset()
    result, by_record = ask(catalogued, "--name", "x", "--role-arn", ROLE_B, "--context", "general")
    assert result.returncode == 0, result.stderr
    assert not by_record
    assert json.loads(result.stdout)["AccessKeyId"] != json.loads(answer_a)["AccessKeyId"]
    assert assumed(recorder) == [ROLE_B]
    # And back to A: its record was replaced by B's, so the full command answers, with A's role again.
    recorder.reset()
    result, by_record = ask(catalogued, *tail_a)
    assert result.returncode == 0 and not by_record
    assert assumed(recorder) == [ROLE_A]


def test_a_catalog_that_gains_the_alias_stops_the_recorded_answer(catalogued: Sandbox) -> None:
    catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "x", *MFA)
    tail = ("--name", "x", "--role-arn", ROLE_A, "--context", "general")
    primed(catalogued, *tail)
    names = catalogued.home / ".cache" / "letme" / "catalog" / "general" / "names"
    names.write_text(names.read_text() + "x\n")
    result, by_record = ask(catalogued, *tail)
    assert not by_record and result.returncode == 2
    assert "'x' is an account in the catalog" in result.stderr


# ---- names and bad input ----------------------------------------------------------------------------------

def test_an_alias_that_is_a_catalog_name_is_refused(catalogued: Sandbox, recorder: Recorder) -> None:
    for command in (["use", "--shell", "bash"], ["exec"], ["credential-process"]):
        result = catalogued.run(*command, "--role-arn", ROLE_A, "--name", "example1", *MFA)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.splitlines()
        assert lines[0] == ("letme: error: 'example1' is an account in the catalog of context 'general'; "
                            "an ad-hoc role may not take its name")
        assert "--name" in lines[1] and len(lines) == 2
        assert result.stdout == ""
    assert recorder.actions("AssumeRole") == []


@pytest.mark.parametrize("args, says", [
    (["--role-arn", "arn:aws:iam::12345:role/x"], "is not an IAM role ARN"),
    (["--role-arn", "arn:aws:iam::123456789012:user/bob"], "is not an IAM role ARN"),
    (["--role-arn", "$(touch /tmp/letme-pwned)"], "is not an IAM role ARN"),
    (["--role-arn", ROLE_A, "--role-arn", "nope"], "is not an IAM role ARN"),
    (["--role-arn", ROLE_A, "--name", "a b"], "is not a valid account name"),
    (["--role-arn", ROLE_A, "--name", "x@other"], "is not a valid account name"),
    (["--role-arn", ROLE_A, "--external-id", "x"], "is not an STS external id"),
    (["--name", "x"], "--name goes with --role-arn"),
    (["--external-id", "Acme-42"], "--external-id goes with --role-arn"),
])
@pytest.mark.parametrize("command", ["use", "exec", "credential-process", "obtain"])
def test_bad_input_is_one_line_and_no_aws_call(catalogued: Sandbox, recorder: Recorder, command: str,
                                               args: list[str], says: str) -> None:
    extra = ["--shell", "bash"] if command == "use" else []
    tail = ["--", "true"] if command == "exec" else []
    result = catalogued.run(command, *args, *extra, *tail)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("letme: error:")]
    assert len(errors) == 1 and says in errors[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert recorder.actions("AssumeRole") == []


def test_account_and_role_arn_together_are_refused(catalogued: Sandbox) -> None:
    for command in (["use", "--shell", "bash"], ["credential-process"], ["obtain"], ["shell"], ["console"]):
        result = catalogued.run(*command, "example1", "--role-arn", ROLE_A)
        assert result.returncode == 2
        assert result.stderr.splitlines()[0] == \
            "letme: error: give either ACCOUNT ('example1') or --role-arn, not both", result.stderr
    result = catalogued.run("exec", "example1", "--role-arn", ROLE_A, "--", "true")
    assert result.returncode == 2 and "give either ACCOUNT" in result.stderr


def test_the_default_alias_names_the_account_and_role(catalogued: Sandbox) -> None:
    arn = "arn:aws:iam::333333333333:role/team/Read+Only@x"
    result = catalogued.ok("use", "--role-arn", arn, *MFA, "--shell", "bash")
    env = exported(result.stdout)
    assert env["LETME_ACCOUNT"] == "333333333333-Read-Only-x"
    assert "[profile 333333333333-Read-Only-x]" in catalogued.config_file.read_text()


# ---- what names the alias later: back, refresh, status, remove --------------------------------------------

def test_back_refresh_status_and_remove_follow_the_alias(catalogued: Sandbox, recorder: Recorder) -> None:
    used = catalogued.ok("use", "--role-arn", ROLE_A, "--name", "audit", "--mode", "env", *MFA, "--shell", "bash")
    env = exported(used.stdout)
    shell_env = {k: v for k, v in env.items() if k.startswith(("AWS_", "LETME_"))}
    # status says where it came from.
    status = catalogued.run("status", "--json", env=shell_env)
    report = json.loads(status.stdout)
    assert report["account"] == "audit" and report["catalog_id"] == "333333333333"
    assert report["source"] == {"kind": "role", "roles": [ROLE_A]}
    text = catalogued.run("status", env=shell_env).stdout
    assert f"ad-hoc role {ROLE_A} (not from the catalog)" in text
    # The prompt's background renewal of that shell assumes the same role.
    recorder.reset()
    catalogued.ok("refresh", "--background", "audit", "--context", "general", env=shell_env)
    # credentials are fresh: nothing to do; a forced renewal assumes ROLE_A again
    catalogued.ok("refresh", "audit", env=shell_env)
    assert assumed(recorder) == [ROLE_A]
    # back from example1 returns to the alias, in its role.
    other = catalogued.ok("use", "example1", "--shell", "bash", env=shell_env)
    back_env = {k: v for k, v in exported(other.stdout).items() if k.startswith(("AWS_", "LETME_"))}
    assert back_env["LETME_PREVIOUS"] == "audit"
    back = catalogued.ok("back", "--shell", "bash", env=back_env)
    who = evaluated(catalogued, back.stdout, *WHO)
    assert ":333333333333:assumed-role/Auditor/" in who.stdout, who.stderr
    # remove forgets the alias: its credentials and its chain.
    removed = catalogued.ok("remove", "audit")
    assert "removed cached credentials of 'audit'" in removed.stderr
    gone = catalogued.run("use", "audit", "--shell", "bash")
    assert gone.returncode != 0 and "unknown account 'audit'" in gone.stderr


def test_obtain_and_console_take_a_role_arn(catalogued: Sandbox) -> None:
    result = catalogued.ok("obtain", "--role-arn", ROLE_A, "--name", "audit", *MFA)
    assert "[audit]" in catalogued.credentials_file.read_text()
    assert "use --profile audit" in result.stderr


def test_the_role_arn_path_on_cached_credentials_imports_no_boto3(catalogued: Sandbox) -> None:
    catalogued.ok("credential-process", "--role-arn", ROLE_A, "--name", "audit", *MFA)
    probe = ("import sys, runpy; sys.argv = ['letme', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('letme_shell', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('BOTO3' if 'boto3' in sys.modules else 'CLEAN', file=sys.stderr)")
    for args in (["use", "--role-arn", ROLE_A, "--name", "audit", "--shell", "bash"],
                 ["credential-process", "--role-arn", ROLE_A, "--name", "audit"]):
        result = subprocess.run([sys.executable, "-c", probe, *args], env=catalogued.env, capture_output=True,
                                text=True, timeout=60)
        assert result.stderr.strip().endswith("CLEAN"), result.stderr


def test_role_records_are_private(catalogued: Sandbox) -> None:
    catalogued.ok("use", "--role-arn", ROLE_A, "--name", "audit", *MFA, "--shell", "bash")
    record: Path = catalogued.home / ".local" / "state" / "letme" / "roles" / "general" / "audit"
    assert record.stat().st_mode & 0o777 == 0o600
    assert json.loads(record.read_text())["roles"] == [ROLE_A]


def test_a_repeated_use_of_an_alias_never_answers_it_with_another_arn(catalogued: Sandbox) -> None:
    """`use` is answered from a record too (hot.answer_use): an ad-hoc use is never recorded, so the alias's
    next switch with another ARN gets that role, in the `--name` first form that hot.py names records by."""
    catalogued.ok("credential-process", "--role-arn", ROLE_A, *MFA)  # the MFA session, so no code below
    for _ in range(3):  # (a line with --mfa-code is never recorded)
        used = catalogued.ok("use", "--name", "x", "--role-arn", ROLE_A, "--shell", "bash")
        assert ":333333333333:assumed-role/Auditor/" in evaluated(catalogued, used.stdout, *WHO).stdout
    # No record of the switch (x@general+use); x@general is the credential-process record of the SDK's call.
    assert not list((catalogued.home / ".cache" / "letme" / "hot").glob("x@*+use"))
    other = catalogued.ok("use", "--name", "x", "--role-arn", ROLE_B, "--shell", "bash")
    assert ":444444444444:assumed-role/Deployer/" in evaluated(catalogued, other.stdout, *WHO).stdout

"""Short sessions (issue 11, item 5): `session_duration = 900` with the default 900-second refresh window.

The window used to be taken as configured, so 15-minute credentials never counted as fresh: every `letme
exec` made a new role chain, and in process mode every SDK call did. The window now adapts to the real
lifetime of the credentials (at most a third of it; the cache records when they were issued), and `config
validate` warns when the configured window cannot work. moto's recorder counts the chains.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from conftest import Recorder, Sandbox
from test_obtain import detached, set_config

SHORT = {"session_duration": 900, "refresh_window": 900}
CACHE = ".cache/letme/credentials/general"


def test_three_execs_with_short_sessions_make_one_chain(catalogued: Sandbox, recorder: Recorder) -> None:
    set_config(catalogued, **SHORT)
    for _ in range(3):
        result = detached(catalogued, "exec", "example1", "--mfa-code", "123456", "--", "true")
        assert result.returncode == 0, result.stderr
    assert len(recorder.actions("AssumeRole")) == 1
    assert len(recorder.actions("GetSessionToken")) == 1


def test_process_mode_sdk_calls_reuse_short_credentials(catalogued: Sandbox, recorder: Recorder) -> None:
    """boto3 runs `letme credential-process` again on every call for 15-minute credentials (they are inside
    its own 15-minute advisory window); letme must answer from its cache, not with a new chain."""
    set_config(catalogued, **SHORT)
    used = detached(catalogued, "use", "example1", "--mfa-code", "123456", "--shell", "bash")
    assert used.returncode == 0, used.stderr
    script = ("import boto3\nsts = boto3.Session(profile_name='example1').client('sts')\n"
              "print(len({sts.get_caller_identity()['Arn'] for _ in range(3)}))")
    sdk = subprocess.run([sys.executable, "-c", script], env=catalogued.env, capture_output=True, text=True,
                         timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == "1"
    assert len(recorder.actions("AssumeRole")) == 1


def test_the_cache_records_when_credentials_were_issued(catalogued: Sandbox) -> None:
    set_config(catalogued, **SHORT)
    before = int(time.time())
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    entry = json.loads((catalogued.home / CACHE / "example1.json").read_text())["credentials"]
    assert before <= entry["Issued"] <= int(time.time())
    assert 890 <= entry["Expires"] - entry["Issued"] <= 900


def test_short_credentials_are_renewed_in_the_last_third(catalogued: Sandbox, recorder: Recorder) -> None:
    set_config(catalogued, **SHORT)
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    path = catalogued.home / CACHE / "example1.json"

    def age(seconds_left: int) -> None:
        data = json.loads(path.read_text())
        data["credentials"]["Expires"] = int(time.time()) + seconds_left
        data["credentials"]["Issued"] = data["credentials"]["Expires"] - 900
        path.write_text(json.dumps(data))

    age(310)  # 10 s before the last third (300 s) of a 900-second lifetime: still fresh
    assert detached(catalogued, "credential-process", "example1").returncode == 0
    assert len(recorder.actions("AssumeRole")) == 1
    age(290)  # inside it: renewed
    assert detached(catalogued, "credential-process", "example1").returncode == 0
    assert len(recorder.actions("AssumeRole")) == 2


def test_the_hook_renews_short_credentials_in_their_last_third(catalogued: Sandbox) -> None:
    set_config(catalogued, **SHORT)
    result = detached(catalogued, "use", "example1", "--mode", "env", "--mfa-code", "123456", "--shell", "bash")
    assert result.returncode == 0, result.stderr
    values = dict(line.removeprefix("export ").rstrip(";").split("=", 1) for line in result.stdout.splitlines()
                  if line.startswith("export LETME_"))
    expires, refresh_at = int(values["LETME_EXPIRES"].strip("'")), int(values["LETME_REFRESH_AT"].strip("'"))
    assert expires - refresh_at == 300


def test_an_entry_from_an_older_letme_still_works(catalogued: Sandbox, recorder: Recorder) -> None:
    """Entries written before `Issued` existed keep the configured window: valid, never refused."""
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    path = catalogued.home / CACHE / "example1.json"
    data = json.loads(path.read_text())
    del data["credentials"]["Issued"]
    path.write_text(json.dumps(data))
    result = detached(catalogued, "credential-process", "example1")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert len(recorder.actions("AssumeRole")) == 1


@pytest.mark.parametrize("issued", ["later", "0", '"soon"', "1.5"])
def test_an_impossible_issue_time_never_makes_expired_credentials_fresh(catalogued: Sandbox, recorder: Recorder,
                                                                        issued: str) -> None:
    """`Issued` only narrows the window: one that is not before the expiry is ignored (the configured window
    applies), so a lifetime of zero or less can never make expired credentials count as fresh."""
    assert detached(catalogued, "obtain", "example1", "--mfa-code", "123456").returncode == 0
    path = catalogued.home / CACHE / "example1.json"
    data = json.loads(path.read_text())
    data["credentials"]["Expires"] = int(time.time()) - 60  # expired a minute ago
    data["credentials"]["Issued"] = data["credentials"]["Expires"] + 86400 if issued == "later" else json.loads(issued)
    path.write_text(json.dumps(data))
    result = detached(catalogued, "credential-process", "example1")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert json.loads(result.stdout)["Expiration"] > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    assert len(recorder.actions("AssumeRole")) == 2


def test_config_validate_warns_about_a_window_that_cannot_work(sandbox: Sandbox) -> None:
    set_config(sandbox, **SHORT)
    result = sandbox.run("config", "validate")
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "refresh_window = 900" in result.stderr
    assert "session_duration = 900" in result.stderr and "300" in result.stderr
    set_config(sandbox, session_duration=3600, refresh_window=900)
    quiet = sandbox.run("config", "validate")
    assert quiet.returncode == 0 and "warning" not in quiet.stderr, quiet.stderr


def test_config_validate_warns_about_chained_hops_and_the_mfa_session(sandbox: Sandbox) -> None:
    # 7200-second sessions are fine for one hop, but chained hops last an hour (a third: 1200 s).
    set_config(sandbox, session_duration=7200, refresh_window=1800, mfa_session_duration=3600)
    result = sandbox.run("config", "validate")
    assert result.returncode == 0, result.stderr
    assert "chained" in result.stderr and "1200" in result.stderr
    assert "mfa_session_duration = 3600" in result.stderr

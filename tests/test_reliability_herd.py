"""Thundering herd: 20 SDK processes ask `letme credential-process X` at once, with nothing cached.

That is what a tool fanning out over one profile does on its first call. The
per-account lock must turn the 20 into one role chain (one AssumeRole per hop,
counted at moto's recorder) behind exactly one MFA session (one GetSessionToken,
with the MFA serial and code), and every caller must get the same credentials as
valid credential_process JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess

from conftest import LETME, Recorder, Sandbox
from test_obtain import hop_roles

CALLERS = 20


def test_twenty_cold_credential_process_calls_make_one_role_chain(initialised: Sandbox, recorder: Recorder) -> None:
    box = initialised
    cache = box.home / ".cache" / "letme" / "credentials"
    assert not list(cache.rglob("*.json"))  # cold: no MFA session, no account credentials
    recorder.reset()
    procs = [subprocess.Popen([LETME, "credential-process", "example2", "--mfa-code", "123456"], env=box.env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True, text=True) for _ in range(CALLERS)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        outputs.append(out)

    assert len(set(outputs)) == 1, "the callers got different credentials"
    doc = json.loads(outputs[0])
    assert doc["Version"] == 1
    assert doc["AccessKeyId"] and doc["SecretAccessKey"] and doc["SessionToken"]
    expires = dt.datetime.strptime(doc["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert expires > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    assert outputs[0].count("\n") == 1  # one JSON document and nothing else on stdout

    # example2 is a 3-hop chain: exactly one AssumeRole per hop, in order, and one MFA session.
    assumed = [form["RoleArn"] for form in recorder.actions("AssumeRole")]
    assert assumed == hop_roles(2, 3)
    sessions = recorder.actions("GetSessionToken")
    assert len(sessions) == 1, sessions
    assert sessions[0]["SerialNumber"] == box.org.mfa_arn and sessions[0]["TokenCode"] == "123456"

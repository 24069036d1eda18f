"""`letme doctor` on a healthy set-up and on each kind of broken one."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from conftest import Sandbox


def _doctor(sandbox: Sandbox, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict[str, Any]]]:
    result = sandbox.run("doctor", "--json", *args, env=env)
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] == (result.returncode == 0)
    return result.returncode, {check["name"]: check for check in data["checks"]}


def test_healthy(initialised: Sandbox) -> None:
    code, checks = _doctor(initialised, env={"LETME_HOOK_SHELL": "bash", "LETME_HOOK_PROMPT": "shown"})
    assert code == 0
    assert {name: c["status"] for name, c in checks.items()} == {
        "config": "ok", "catalog": "ok", "source": "ok", "store": "ok", "hook": "ok", "prompt": "ok",
        "permissions": "ok", "environment": "ok", "endpoint": "ok", "clock": "ok"}
    assert "60 accounts" in checks["catalog"]["message"]
    assert initialised.org.endpoint in checks["endpoint"]["message"]


def test_text_output_is_one_line_per_check(initialised: Sandbox) -> None:
    result = initialised.run("doctor")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 10
    assert all(line.split()[0] in ("ok", "warn", "skip") for line in lines)
    assert "\033[" not in result.stdout  # not a terminal, and NO_COLOR is set
    hook = next(line for line in lines if line.split()[1] == "hook")
    assert hook.startswith("warn") and 'eval "$(letme hook' in hook
    assert "1 warning(s)" in result.stderr
    assert initialised.run("doctor", "-q").stderr == ""


def test_no_config(sandbox: Sandbox) -> None:
    sandbox.letme_config.unlink()
    code, checks = _doctor(sandbox)
    assert code == 1
    assert checks["config"]["status"] == "fail" and "no config file" in checks["config"]["message"]
    assert "letme config-file" in checks["config"]["fix"]
    assert checks["catalog"]["status"] == "skip"


def test_bad_config(sandbox: Sandbox) -> None:
    sandbox.letme_config.write_text('[general]\ndynamodb_table = "tbl"\naws_source_profile_region = "nowhere"\n')
    code, checks = _doctor(sandbox)
    assert code == 1
    assert checks["config"]["status"] == "fail" and "not an AWS region" in checks["config"]["message"]


def test_no_catalog_cache(sandbox: Sandbox) -> None:
    code, checks = _doctor(sandbox)
    assert code == 1
    assert checks["catalog"] == {"name": "catalog", "status": "fail",
                                 "message": "no catalog cache for context 'general'", "fix": "run 'letme init'"}


def test_world_readable_credentials(initialised: Sandbox) -> None:
    initialised.credentials_file.chmod(0o644)
    code, checks = _doctor(initialised)
    assert code == 1
    perm = checks["permissions"]
    assert perm["status"] == "fail" and "0644" in perm["message"]
    assert perm["fix"] == f"chmod 600 {initialised.credentials_file}"


def test_world_readable_cached_credentials(initialised: Sandbox) -> None:
    initialised.ok("credential-process", "example1", "--mfa-code", "123456")
    cached = [p for p in (initialised.home / ".cache" / "letme" / "credentials" / "general").iterdir()
              if p.is_file() and not p.name.endswith(".lock")]
    assert cached
    cached[0].chmod(0o640)
    code, checks = _doctor(initialised)
    assert code == 1 and str(cached[0]) in checks["permissions"]["fix"]


def test_other_tools_variables_warn(initialised: Sandbox) -> None:
    code, checks = _doctor(initialised, env={"AWSUME_PROFILE": "x", "AWS_VAULT": "y", "AWS_ACCESS_KEY_ID": "AKIA"})
    assert code == 0  # a warning, not a failure
    env = checks["environment"]
    assert env["status"] == "warn"
    assert env["fix"] == "unset AWSUME_PROFILE AWS_VAULT AWS_ACCESS_KEY_ID"


def test_missing_source_profile(initialised: Sandbox) -> None:
    initialised.credentials_file.write_text("[other]\naws_access_key_id = x\n")
    code, checks = _doctor(initialised)
    assert code == 1 and checks["source"]["status"] == "fail"


def test_unreachable_endpoint(initialised: Sandbox) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, checks = _doctor(initialised, env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    assert code == 1
    assert checks["endpoint"]["status"] == "fail" and "cannot reach" in checks["endpoint"]["message"]


def test_endpoint_check_is_bounded(initialised: Sandbox) -> None:
    # A listener whose backlog is full drops new SYNs: the connect hangs until doctor's limit.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        held = []
        for _ in range(4):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
            held.append(client)
        started = time.monotonic()
        code, checks = _doctor(initialised, env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
        elapsed = time.monotonic() - started
        for client in held:
            client.close()
    assert code == 1
    assert checks["endpoint"]["message"].endswith("(timed out)")
    assert 2.5 < elapsed < 10

"""Shared fixtures: one moto server over HTTP for the session, and a sandboxed HOME per test.

Tests run the installed `letme` command as a subprocess, with HOME, the XDG
directories and the AWS file variables pointing into a temporary directory, so
nothing a test does can touch the developer's real files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from letme_shell import sampleorg

# Variables from the developer's shell that would leak into the sandbox.
SCRUB = ("AWS_", "LETME_", "AWSUME_", "GRANTED_")
LETME = shutil.which("letme") or "letme"
CATALOG_SIZE = 60


def clean_environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # moto's recorder appends to ./moto_recording by default: shared by every test run in the same
    # directory, so concurrent runs would read (and reset) each other's requests. One file per session.
    os.environ["MOTO_RECORDER_FILEPATH"] = str(tmp_path_factory.mktemp("moto") / "recording.jsonl")
    server, endpoint = sampleorg.start_server()
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def org(moto: str) -> sampleorg.Org:
    return sampleorg.seed(moto, count=CATALOG_SIZE)


class Sandbox:
    """A HOME with the hub user's keys and a letme config, and a way to run letme in it."""

    def __init__(self, home: Path, org: sampleorg.Org, mfa: bool = True):
        self.home = home
        self.org = org
        self.env = {**clean_environ(), **sampleorg.write_sandbox(home, org, mfa=mfa)}

    @property
    def credentials_file(self) -> Path:
        return self.home / ".aws" / "credentials"

    @property
    def config_file(self) -> Path:
        return self.home / ".aws" / "config"

    @property
    def letme_config(self) -> Path:
        return self.home / ".config" / "letme" / "letme.toml"

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LETME, *args], env={**self.env, **(env or {})}, input=input,
                              capture_output=True, text=True, timeout=timeout)

    def ok(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        result = self.run(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, f"letme {' '.join(args)} failed:\n{result.stderr}"
        return result


@pytest.fixture
def sandbox(tmp_path: Path, org: sampleorg.Org) -> Sandbox:
    return Sandbox(tmp_path / "home", org)


@pytest.fixture
def initialised(sandbox: Sandbox) -> Sandbox:
    sandbox.ok("init")
    return sandbox


class Recorder:
    """moto's request recorder: proves what letme really sent (MFA serial and code, hop count)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def _post(self, path: str) -> None:
        urllib.request.urlopen(urllib.request.Request(self.endpoint + path, method="POST"), timeout=10).read()

    def reset(self) -> None:
        self._post("/moto-api/recorder/reset-recording")
        self._post("/moto-api/recorder/start-recording")

    def requests(self) -> list[dict[str, object]]:
        with urllib.request.urlopen(self.endpoint + "/moto-api/recorder/download-recording", timeout=10) as resp:
            lines = resp.read().decode().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def actions(self, action: str) -> list[dict[str, str]]:
        """Form bodies of the recorded requests whose Action is `action` (STS is a query API)."""
        import base64
        from urllib.parse import parse_qsl

        found = []
        for entry in self.requests():
            body = entry.get("body") or ""
            if entry.get("body_encoded") and isinstance(body, str):
                body = base64.b64decode(body).decode("utf-8", "replace")
            if isinstance(body, str) and f"Action={action}&" in body + "&":
                found.append(dict(parse_qsl(body)))
        return found

    def signed(self, action: str) -> list[tuple[dict[str, str], str]]:
        """Like `actions`, each with the access key id that signed the request (its Authorization header):
        which credentials letme really used for a call."""
        import base64
        import re
        from urllib.parse import parse_qsl

        found = []
        for entry in self.requests():
            body = entry.get("body") or ""
            if entry.get("body_encoded") and isinstance(body, str):
                body = base64.b64decode(body).decode("utf-8", "replace")
            if isinstance(body, str) and f"Action={action}&" in body + "&":
                headers = entry.get("headers") or {}
                auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")  # type: ignore[union-attr]
                key = re.search(r"Credential=([A-Z0-9]+)/", str(auth))
                found.append((dict(parse_qsl(body)), key.group(1) if key else ""))
        return found


@pytest.fixture
def recorder(moto: str) -> Recorder:
    rec = Recorder(moto)
    rec.reset()
    return rec


def python_floor() -> list[str]:
    return [sys.executable, "-c", "pass"]


@pytest.fixture(scope="session")
def sts_proxy(moto: str) -> Iterator[object]:
    """tests/stsproxy.py in front of the session's moto: rejects chosen calls with real AWS error bodies."""
    import stsproxy

    proxy = stsproxy.StsProxy(moto).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied(sandbox: Sandbox, sts_proxy: object) -> Iterator[Sandbox]:
    """A sandbox whose AWS calls go through the STS proxy (rules cleared before and after)."""
    sts_proxy.clear()  # type: ignore[attr-defined]
    sandbox.env["AWS_ENDPOINT_URL"] = sts_proxy.endpoint  # type: ignore[attr-defined]
    yield sandbox
    sts_proxy.clear()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def catalog_template(tmp_path_factory: pytest.TempPathFactory, org: sampleorg.Org) -> Path:
    """One real `letme init` per session; its catalog cache directory, to copy into sandboxes."""
    box = Sandbox(tmp_path_factory.mktemp("catalog-template") / "home", org)
    box.ok("init")
    return box.home / ".cache" / "letme" / "catalog"


@pytest.fixture
def catalogued(sandbox: Sandbox, catalog_template: Path) -> Sandbox:
    """Like `initialised`, without paying for a `letme init` per test (the cache is the session's copy)."""
    shutil.copytree(catalog_template, sandbox.home / ".cache" / "letme" / "catalog")
    return sandbox


@pytest.fixture(scope="session")
def example1_cached(tmp_path_factory: pytest.TempPathFactory, catalog_template: Path, org: sampleorg.Org) -> Path:
    """A letme cache directory (catalog, MFA session, example1's credentials), from one trip to moto per
    session: copied into a sandbox, it lets obtain, use and remove of example1 run with no network."""
    box = Sandbox(tmp_path_factory.mktemp("example1-cached") / "home", org)
    shutil.copytree(catalog_template, box.home / ".cache" / "letme" / "catalog")
    result = subprocess.run([LETME, "credential-process", "example1", "--mfa-code", "123456"], env=box.env,
                            capture_output=True, text=True, timeout=60, start_new_session=True,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    return box.home / ".cache" / "letme"

"""The cheap paths import neither boto3 nor prompt_toolkit (boto3 alone costs ~370 ms).

letme runs in a child process through a `-c` wrapper that calls `cli.main` and
then reports which heavy packages ended up in `sys.modules`. The cold `obtain`
is the control: it must show boto3, or the check would prove nothing.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from conftest import Sandbox

HEAVY = ("boto3", "botocore", "prompt_toolkit", "moto")
WRAPPER = """
import json, sys
from letme_shell import cli
sys.argv = ["letme", *sys.argv[1:]]
try:
    rc = cli.main()
finally:
    heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
    sys.stderr.write("\\nHEAVY=" + json.dumps(heavy) + "\\n")
sys.exit(rc)
""".replace("HEAVY)", repr(HEAVY) + ")")


def heavy_imports(sandbox: Sandbox, *args: str) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    result = subprocess.run([sys.executable, "-c", WRAPPER, *args], env=sandbox.env, capture_output=True,
                            text=True, timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    marker = [line for line in result.stderr.splitlines() if line.startswith("HEAVY=")]
    assert marker, result.stderr
    return json.loads(marker[-1][len("HEAVY="):]), result


def test_cold_obtain_does_import_boto3(catalogued: Sandbox) -> None:
    heavy, result = heavy_imports(catalogued, "obtain", "example1", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    assert "boto3" in heavy  # the check sees imports when there are some


def test_cached_credential_process_imports_nothing_heavy(catalogued: Sandbox) -> None:
    heavy_imports(catalogued, "obtain", "example1", "--mfa-code", "123456")
    heavy, result = heavy_imports(catalogued, "credential-process", "example1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    assert heavy == []


@pytest.mark.parametrize("args", [("list",), ("list", "ex", "--json"), ("list", "--names"), ("config", "list"),
                                  ("version",)])
def test_list_and_config_import_nothing_heavy(catalogued: Sandbox, args: tuple[str, ...]) -> None:
    heavy, result = heavy_imports(catalogued, *args)
    assert result.returncode == 0, result.stderr
    assert heavy == []


def test_unknown_account_with_a_cache_imports_nothing_heavy(catalogued: Sandbox) -> None:
    heavy, result = heavy_imports(catalogued, "credential-process", "exmple1")
    assert result.returncode == 1 and "did you mean" in result.stderr
    assert heavy == []


@pytest.mark.skipif(importlib.util.find_spec("letme_shell.commands.use") is None, reason="`use` not built yet")
def test_cached_use_imports_nothing_heavy(catalogued: Sandbox) -> None:
    heavy_imports(catalogued, "obtain", "example1", "--mfa-code", "123456")
    heavy, result = heavy_imports(catalogued, "use", "example1", "--shell", "bash")
    assert result.returncode == 0, result.stderr
    assert heavy == []

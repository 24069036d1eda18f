"""The cheap paths import neither boto3 nor prompt_toolkit (boto3 alone costs ~370 ms).

letme runs in a child process through a `-c` wrapper that calls `cli.main` and
then reports which heavy packages ended up in `sys.modules`. The cold `obtain`
is the control: it must show boto3, or the check would prove nothing. The two
hottest paths are also held to a list of every module they may import, so a new
import there fails a test (issue 15) rather than slipping into the benchmarks.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from conftest import LETME, Sandbox

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


def test_unknown_account_with_a_cache_is_looked_up_in_the_table(catalogued: Sandbox) -> None:
    # A name the cache lacks may be new in the table (issue 12): one GetItem (boto3) before "did you mean".
    heavy, result = heavy_imports(catalogued, "credential-process", "exmple1")
    assert result.returncode == 1 and "did you mean" in result.stderr
    assert "boto3" in heavy


def test_cached_use_imports_nothing_heavy(catalogued: Sandbox) -> None:
    heavy_imports(catalogued, "obtain", "example1", "--mfa-code", "123456")
    heavy, result = heavy_imports(catalogued, "use", "example1", "--shell", "bash")
    assert result.returncode == 0, result.stderr
    assert heavy == []


# Everything the two hottest paths import: a cached `credential-process` (every SDK call through letme pays
# for it) and a repeated `use` on cached credentials (what the hook runs). A module not allowed here fails the
# test below, so a new import on these paths is a decision, made here, with its cost measured (BENCHMARKS.md).
# letme's own modules by full name; the standard library by the modules letme imports itself (what those
# pull in, on the Python running the tests, is allowed with them: `_name` C helpers are not counted). No
# third-party package.
COMMON_LETME = {
    "letme_shell", "letme_shell.catalog", "letme_shell.cli", "letme_shell.commands", "letme_shell.commands._common",
    "letme_shell.config", "letme_shell.credentials", "letme_shell.errors", "letme_shell.fsutil", "letme_shell.paths",
    "letme_shell.session", "letme_shell.trust", "letme_shell.ui", "letme_shell.validate",
}
# `locale`: argparse's messages go through gettext, which loads it; `importlib`: cli loads one command module.
COMMON_STDLIB = {"argparse", "collections", "contextlib", "enum", "importlib", "json", "locale", "mmap", "pathlib",
                 "re"}
HOT_PATHS = {
    "credential-process": (("credential-process", "example1"),
                           # hot: the full command records its answer (test_hot.py: the recorded answer
                           # imports letme_shell, entry and hot, nothing else)
                           COMMON_LETME | {"letme_shell.commands.credential_process", "letme_shell.hot"},
                           COMMON_STDLIB),
    "use": (("use", "example1", "--shell", "bash"),
            COMMON_LETME | {"letme_shell.commands.use", "letme_shell.awsfiles", "letme_shell.envchange",
                            "letme_shell.ini", "letme_shell.naming", "letme_shell.resources", "letme_shell.shells",
                            "letme_shell.shells.base", "letme_shell.shells.bash", "letme_shell.switch",
                            # The history of recent accounts: one small file read (written only on a change).
                            "letme_shell.history",
                            # hot: the full command records its switch (test_hot_use.py: the recorded one
                            # imports letme_shell, entry and hot, nothing else)
                            "letme_shell.hot"},
            COMMON_STDLIB | {"shlex"}),
}
SNAPSHOT = """
import sys
before = set(sys.modules)
from letme_shell import cli
sys.argv = sys.argv[1:]  # argv[0] is the installed `letme`, as when the SDK or the hook starts it
try:
    rc = cli.main()
finally:
    sys.stderr.write("\\nMODULES=" + repr(sorted(set(sys.modules) - before)) + "\\n")
sys.exit(rc)
"""


def new_modules(code: str, *args: str, env: dict[str, str] | None = None) -> set[str]:
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                            timeout=60, start_new_session=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    marker = [line for line in result.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, result.stderr
    return set(ast.literal_eval(marker[-1][len("MODULES="):]))


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules if not m.startswith("_")}


@pytest.mark.parametrize("path", HOT_PATHS)
def test_cached_hot_paths_import_only_the_listed_modules(catalogued: Sandbox, path: str) -> None:
    args, allowed_letme, allowed_stdlib = HOT_PATHS[path]
    # What the allowed standard-library modules bring with them on this Python.
    closure = top_level(new_modules("import sys\nbefore = set(sys.modules)\n"
                                    f"import {', '.join(sorted(allowed_stdlib))}\n"
                                    "sys.stderr.write('MODULES=' + repr(sorted(set(sys.modules) - before)))"))
    heavy_imports(catalogued, "obtain", "example1", "--mfa-code", "123456")
    new_modules(SNAPSHOT, LETME, *args, env=catalogued.env)  # the first `use` rewrites the profile; the next reads
    imported = new_modules(SNAPSHOT, LETME, *args, env=catalogued.env)
    letme = {m for m in imported if m.split(".")[0] == "letme_shell"}
    others = top_level(imported - letme)
    assert letme <= allowed_letme, f"new letme modules on the {path} path: {sorted(letme - allowed_letme)}"
    assert others <= closure, f"new modules on the {path} path: {sorted(others - closure)}"
    # The snapshot sees imports: the cached path does load letme's command and the JSON reader.
    assert f"letme_shell.commands.{path.replace('-', '_')}" in letme and "json" in others

"""Break letme on purpose, one small bug at a time, and check that the test suite notices.

Run by hand (not part of CI, and not collected by pytest: the name has no test_ prefix):

    python tests/mutate.py                 # every mutation, once
    python tests/mutate.py --runs 3        # each mutation three times: the tests must catch it every time
    python tests/mutate.py --only names    # one mutation (a substring of its name)

Each mutation is a bug that a promise in the README rules out. The script copies
the checkout (as it is on disk, uncommitted changes included) to a scratch
directory, runs the mutations' tests there once unchanged (the baseline must pass),
then for each mutation rewrites one file of the copy, proves that the rewritten
code is what runs, runs the tests that hold the promise, and puts the file back.
"caught" means pytest reported failures; anything else is "NOT CAUGHT". A mutation
finds its target by a pattern; when the code has moved and the pattern no longer
matches, it says "PATTERN NOT FOUND" and the script fails, so that it cannot
quietly test nothing.

How the copy runs: the interpreter running this script (a venv with letme's test
dependencies), with PYTHONPATH set to the copy, and a `letme` shim first on PATH
that imports letme from the copy. `letme hook` then renders the copy's shell files
(they are found next to the package). CI=1 is set, so a test that needs strace
fails rather than skips. Exit status: 0 when every mutation was caught on every
run, 1 when one was not, 2 when a pattern was not found or the baseline failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "MUTANT"


@dataclasses.dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # relative to the checkout
    edits: tuple[tuple[str, str], ...]  # (regex, replacement); each must match
    tests: tuple[str, ...]  # pytest node ids or files, relative to the checkout
    module: str | None = None  # the Python module that must load from the copy, with the mark
    hook: str | None = None  # or: the shell whose `letme hook` output must carry the mark


MUTATIONS = (
    Mutation(
        "non-atomic write (in place, O_TRUNC)",
        "letme_shell/fsutil.py",
        ((r"(?m)^(?P<i>[ \t]*)with os\.fdopen\(fd, \"wb\"\) as (?P<v>\w+):",
          rf"\g<i>os.close(fd); os.unlink(tmp); tmp = str(target)  # {MARK}: write the target itself\n"
          r'\g<i>with open(target, "wb") as \g<v>:'),),
        ("tests/test_reliability_crash.py",),
        module="letme_shell.fsutil",
    ),
    Mutation(
        "credential cache written in place",
        "letme_shell/credentials.py",
        ((r"(?m)^(?P<i>[ \t]*)fsutil\.atomic_write\(path, (?P<data>json\.dumps\(body\)\.encode\(\)), mode=0o600\)",
          rf"\g<i>path.parent.mkdir(parents=True, exist_ok=True); path.write_bytes(\g<data>)  # {MARK}"),),
        ("tests/test_reliability_crash.py",),
        module="letme_shell.credentials",
    ),
    Mutation(
        "a process in the bash prompt function",
        "shell/letme.bash",
        ((r"(?m)^(?P<head>__letme_precmd\(\) \{\n[^\n]*\n)",
          rf'\g<head>    __letme_mutant=$(date +%s)  # {MARK}\n'),),
        ("tests/shells/test_prompt_processes.py::test_prompts_start_only_the_processes_the_readme_allows[bash]",),
        hook="bash",
    ),
    Mutation(
        "a process in the zsh prompt function",
        "shell/letme.zsh",
        ((r"(?m)^(?P<head>__letme_precmd\(\) \{\n[^\n]*\n)",
          rf'\g<head>    __letme_mutant=$(date +%s)  # {MARK}\n'),),
        ("tests/shells/test_prompt_processes.py::test_prompts_start_only_the_processes_the_readme_allows[zsh]",),
        hook="zsh",
    ),
    Mutation(
        "`manager = other` counted as letme's",
        "letme_shell/awsfiles.py",
        ((r"options\.get\(MARK_KEY\) != MARK_VALUE:",
          rf"MARK_KEY not in options:  # {MARK}: any manager key"),),
        ("tests/test_awsfiles.py",),
        module="letme_shell.awsfiles",
    ),
    Mutation(
        "indented continuation lines counted as options",
        "letme_shell/ini.py",
        ((r'match = _OPTION\.match\(line\.rstrip\("\\r\\n"\)\)',
          rf"match = _OPTION.match(line.strip())  # {MARK}: indentation ignored"),
         (r"if match and not line\[:1\]\.isspace\(\):", "if match:")),
        ("tests/test_awsfiles.py",),
        module="letme_shell.ini",
    ),
    Mutation(
        "an indented `; letme managed` counted as the original letme's marker",
        "letme_shell/ini.py",
        ((r'\.rstrip\("\\r\\n"\)\.rstrip\(" \\t"\) == LEGACY_MARKER',
          rf'.strip() == LEGACY_MARKER  # {MARK}: indentation ignored'),),
        ("tests/test_migration_profiles.py",),
        module="letme_shell.ini",
    ),
    Mutation(
        "`/` allowed in account names",
        "letme_shell/validate.py",
        ((r'(?m)^(ACCOUNT_NAME = re\.compile\(r"\[A-Za-z0-9\]\[A-Za-z0-9\._)-\]([^\n]*)$',
          rf"\1/-]\2  # {MARK}: slash allowed"),),
        ("tests/test_account_names.py",),
        module="letme_shell.validate",
    ),
)


class PatternNotFound(Exception):
    pass


def copy_checkout(scratch: Path) -> Path:
    copy = scratch / "letme"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", ".work", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache",
        ".ruff_cache", ".hypothesis", "moto_recording"))
    return copy


def environment(copy: Path, scratch: Path) -> dict[str, str]:
    shim_dir = scratch / "bin"
    shim_dir.mkdir()
    shim = shim_dir / "letme"
    # Named `letme` and a file: `letme hook` and credential_process profiles point back at this shim.
    shim.write_text(f"#!{sys.executable}\nimport sys\nfrom letme_shell.cli import main\nsys.exit(main())\n")
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LETME_", "PYTEST_"))}
    env.update(PYTHONPATH=str(copy), PATH=f"{shim_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
               f"{env.get('PATH', '')}", PYTHONDONTWRITEBYTECODE="1", CI="1")
    return env


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"mutate: {message}")


def prove_copy_runs(copy: Path, env: dict[str, str]) -> None:
    """The tests must run the copy, not the checkout: the package, the `letme` on PATH and the hook."""
    where = subprocess.run([sys.executable, "-c", "import letme_shell; print(letme_shell.__file__)"], env=env,
                           capture_output=True, text=True, cwd=copy)
    check(where.stdout.strip().startswith(str(copy)), f"letme_shell loads from {where.stdout.strip()!r}")
    found = shutil.which("letme", path=env["PATH"])
    check(found is not None and found.startswith(str(copy.parent)), f"`letme` on PATH is {found!r}")
    version = subprocess.run(["letme", "version"], env=env, capture_output=True, text=True, cwd=copy)
    check(version.returncode == 0, f"the letme shim does not run: {version.stderr}")


def prove_mutant_runs(mutation: Mutation, copy: Path, env: dict[str, str]) -> None:
    if mutation.module:
        code = (f"import importlib; m = importlib.import_module({mutation.module!r}); "
                f"print(m.__file__); print({MARK!r} in open(m.__file__).read())")
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             cwd=copy).stdout.split()
        check(len(out) == 2 and out[0].startswith(str(copy)) and out[1] == "True",
              f"{mutation.name}: the mutated {mutation.module} is not what runs ({out})")
    if mutation.hook:
        hook = subprocess.run(["letme", "hook", mutation.hook], env=env, capture_output=True, text=True, cwd=copy)
        check(MARK in hook.stdout, f"{mutation.name}: `letme hook {mutation.hook}` does not carry the mutation")


def apply(mutation: Mutation, copy: Path) -> str:
    """Rewrite the file; returns the original text. PatternNotFound when an edit matches nothing."""
    path = copy / mutation.file
    original = path.read_text()
    text = original
    for pattern, replacement in mutation.edits:
        text, count = re.subn(pattern, replacement, text, count=1)
        if count == 0:
            raise PatternNotFound(f"{mutation.file}: {pattern}")
    path.write_text(text)
    return original


def run_tests(tests: tuple[str, ...], copy: Path, env: dict[str, str], basetemp: Path) -> tuple[int, list[str], str]:
    shutil.rmtree(basetemp, ignore_errors=True)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider",
                             f"--basetemp={basetemp}", *tests], env=env, cwd=copy, capture_output=True, text=True)
    failed = [line.split(" ", 1)[1].split(" - ")[0] for line in result.stdout.splitlines()
              if line.startswith(("FAILED ", "ERROR "))]
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-300:]
    return result.returncode, failed, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per mutation (default 1)")
    parser.add_argument("--only", help="only the mutations whose name contains this text")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or args.only in m.name]
    check(bool(chosen), f"no mutation matches {args.only!r}")

    scratch = Path(tempfile.mkdtemp(prefix="letme-mutate-"))
    try:
        copy = copy_checkout(scratch)
        env = environment(copy, scratch)
        prove_copy_runs(copy, env)
        print(f"mutate: a copy of {ROOT} in {copy}, tests run by {sys.executable}", flush=True)
        tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        started = time.monotonic()
        rc, failed, summary = run_tests(tests, copy, env, scratch / "tmp")
        print(f"baseline, unchanged: {summary} ({time.monotonic() - started:.0f} s)", flush=True)
        if rc != 0:
            print(f"mutate: the baseline fails ({', '.join(failed)}); no mutation result would mean anything")
            return 2
        status = 0
        results = []
        for mutation in chosen:
            try:
                original = apply(mutation, copy)
            except PatternNotFound as exc:
                print(f"PATTERN NOT FOUND  {mutation.name}: {exc} (the code moved: update tests/mutate.py)")
                results.append((mutation.name, "PATTERN NOT FOUND"))
                status = 2
                continue
            try:
                prove_mutant_runs(mutation, copy, env)
                verdicts = []
                for run in range(1, args.runs + 1):
                    started = time.monotonic()
                    rc, failed, summary = run_tests(mutation.tests, copy, env, scratch / "tmp")
                    caught = rc == 1 and bool(failed)
                    verdicts.append(caught)
                    print(f"{'caught     ' if caught else 'NOT CAUGHT '} {mutation.name} (run {run}/{args.runs}, "
                          f"{time.monotonic() - started:.0f} s): {summary}", flush=True)
                    for node in failed:
                        print(f"    failed: {node}", flush=True)
            finally:
                (copy / mutation.file).write_text(original)
            results.append((mutation.name, f"caught {sum(verdicts)} of {len(verdicts)} runs"))
            if not all(verdicts):
                status = max(status, 1)
        print("\nsummary:")
        for name, verdict in results:
            print(f"  {name}: {verdict}")
        return status
    finally:
        if args.keep:
            print(f"mutate: scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

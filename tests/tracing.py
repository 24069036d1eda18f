"""strace for the tests: count the processes something starts, and kill a process at its N-th system call.

Two promises can only be held by watching system calls: "drawing the prompt starts no
process" (a fork is invisible from the outside) and "a killed write never leaves a torn
file" (a kill at a random moment rarely lands inside the write). strace does both
without any help from the product: `-f` follows children, and
`-e inject=SYSCALL:signal=KILL:when=N` delivers SIGKILL on entry to the N-th call of
SYSCALL, so a test can kill a writer at every write in turn, deterministically.

Without strace these tests skip on a developer's machine, and fail in CI (the CI
variable set, as .ci/run and every CI service do), where .ci/run installs it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

STRACE = shutil.which("strace")
# The system calls that create a process (clone also makes threads: flags say which).
PROCESS_CALLS = ("clone", "clone3", "fork", "vfork")
# Every call that can change what a file holds or which file a name points to. `?` keeps strace quiet
# about calls this architecture lacks (aarch64 has no rename or unlink, only the *at forms).
CHANGING_CALLS = ("write", "pwrite64", "writev", "pwritev", "pwritev2", "sendfile", "copy_file_range",
                  "splice", "ftruncate", "truncate", "fallocate", "rename", "renameat", "renameat2",
                  "unlink", "unlinkat", "link", "linkat", "symlink", "symlinkat")
# A line of `strace -f -o FILE`: "PID  name(args" (a resumed call starts "PID  <... name resumed>").
LINE = re.compile(r"^(?P<pid>\d+) +(?P<call>\w+)\((?P<args>.*)$")


@functools.cache
def _usable() -> str | None:
    """None when strace works here, else why not."""
    if STRACE is None:
        return "strace is not installed"
    probe = subprocess.run([STRACE, "-f", "-qq", "-o", os.devnull, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"strace cannot trace here: {probe.stderr.strip()[-200:]}"
    return None


def require_strace() -> str:
    """The strace path; skips without it, or fails when CI is set (CI must prove these promises)."""
    problem = _usable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; CI must run this test (.ci/run installs strace)")
        pytest.skip(problem)
    assert STRACE is not None
    return STRACE


def calls(log: Path) -> list[tuple[int, str, str]]:
    """(pid, call, arguments) of each call recorded in a `strace -f -o` log, in order."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        match = LINE.match(line)
        if match:
            found.append((int(match["pid"]), match["call"], match["args"]))
    return found


def trace(argv: list[str], env: dict[str, str], log: Path, syscalls: tuple[str, ...],
          timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `argv` under strace -f, recording `syscalls` to `log`."""
    strace = require_strace()
    return subprocess.run([strace, "-f", "-qq", "-e", "signal=none", "-e", "trace=" + _set(syscalls),
                           "-o", str(log), *argv], env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, start_new_session=True)


def kill_at(argv: list[str], env: dict[str, str], syscall: str, nth: int,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `argv` and SIGKILL it on entry to its `nth` call of `syscall` (the call itself never happens)."""
    strace = require_strace()
    return subprocess.run([strace, "-f", "-qq", "-o", os.devnull, "-e", f"trace={syscall}",
                           "-e", f"inject={syscall}:signal=KILL:when={nth}", *argv], env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          start_new_session=True)


def process_starts(recorded: list[tuple[int, str, str]]) -> Counter[str]:
    """How many processes (not threads) and program executions the recorded calls made."""
    counted: Counter[str] = Counter()
    for _, call, args in recorded:
        if call in PROCESS_CALLS and "CLONE_THREAD" not in args:
            counted["processes"] += 1
        elif call == "execve":
            counted["execve"] += 1
    return counted


def _set(syscalls: tuple[str, ...]) -> str:
    return ",".join("?" + name for name in syscalls)

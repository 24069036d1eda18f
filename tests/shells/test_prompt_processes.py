"""How many processes the prompt starts, counted with strace in real interactive shells.

The README promises that in bash and zsh a prompt starts no process (the shell's own
clock and arithmetic), and says what fish starts: `date +%s` twice per prompt while
an account is in use (the segment and the renewal check each read the clock; fish
has no clock variable), none without. A `$(date +%s)` slipped into the prompt
function looks the same from the outside, so the shell itself runs under
`strace -f`, which logs every
clone/fork/vfork and execve of the shell and of anything it starts. Builtin `cd`
into two marker directories brackets the prompts being counted (bash and zsh call
chdir with the path, fish opens it: both are logged), so the set-up before and the
exit after are not counted.

Three windows of PROMPTS prompts each, counted exactly: no account; an account in
env mode; an account in process mode (the default). With an account the prompt
also checks whether to renew in the background (LETME_REFRESH_AT is set, still in
the future). Two more windows for per-directory accounts (.letme): `cd` into an allowed tree 12
directories deep starts exactly one process (letme, which switches), and prompts and
cd's inside it (each a walk up the 12 parents with builtin tests) start none.
A control window runs /bin/true and must count exactly one process,
so a blind strace cannot pass. Without strace the test skips, and fails under CI
(tests/tracing.py).
"""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from tests import tracing
from tests.shells.harness import PROMPT, Shell

PROMPTS = 20
# The call through which `cd DIR` shows DIR in the log.
MARKER_CALL = {"bash": "chdir", "zsh": "chdir", "fish": "openat"}
MFA = "--mfa-code 123456"
# What each shell starts per prompt, exactly, in each window. fish has no clock variable: with an account
# in use it runs `date +%s` once per prompt (the segment and the renewal check share it), and once per
# command line (fish_preexec, for the line before a command on expired credentials): in a window, the
# `cd` into the end marker is such a command line (the README says so; change both together).
ALLOWED = {
    "bash": {"no account": 0, "env mode": 0, "process mode": 0},
    "zsh": {"no account": 0, "env mode": 0, "process mode": 0},
    "fish": {"no account": 0, "env mode": 1, "process mode": 1},
}
PER_COMMAND = {"bash": 0, "zsh": 0, "fish": 1}
DEPTH = 12


def tree_cds(tree: Path, deep: Path) -> list[str]:
    """cd's inside the .letme tree, from its root to DEPTH deep: each changes PWD, so the hook walks up."""
    return [f"cd {target}" for target in (deep.parent, tree, deep, tree / "d1", deep)] * 2


def count_windows(name: str, sandbox, tmp_path: Path) -> dict[str, dict[str, int]]:
    strace = tracing.require_strace()
    log = tmp_path / "shell.strace"
    (sandbox.home / ".zshrc").write_text("")
    marks = {}
    # --seccomp-bpf: only the traced calls stop the shell (compinit alone makes ~10 s of other calls).
    wrapper = (strace, "-f", "--seccomp-bpf", "-qq", "-e", "signal=none", "-o", str(log),
               "-e", "trace=" + ",".join("?" + c for c in (*tracing.PROCESS_CALLS, "execve", MARKER_CALL[name])))
    sh = Shell(name, sandbox.env, tmp_path / "work", wrapper=wrapper)
    try:
        def window(label: str, account: str | None, command: str = "", where: Path = tmp_path,
                   commands: tuple[str, ...] = ()) -> None:
            slug = label.replace(" ", "-").replace(".", "")
            begin, end = where / f"{slug}-begin", where / f"{slug}-end"
            begin.mkdir()
            end.mkdir()
            marks[label] = (str(begin), str(end))
            sh.child.sendline(f"cd {begin}")
            if command:
                sh.child.expect(PROMPT)
                sh.child.sendline(command)
                sh.child.expect(PROMPT)
                sh.child.sendline(f"cd {end}")
                sh.sync()
                return
            for line in commands:
                sh.child.expect(PROMPT)
                sh.child.sendline(line)
            for _ in range(PROMPTS):
                segment = sh.segment()  # an empty line: one more prompt, with the segment read back
                assert (segment is None) if account is None else (segment is not None and account in segment)
            sh.child.sendline(f"cd {end}")
            sh.sync()

        sh.sync()
        # The control: one external command between the markers must count as one process, one execve.
        window("control", None, command="/bin/true")
        window("no account", None)
        assert sh.status(f"letme use example1 --mode env {MFA}", timeout=60) == 0
        assert (sh.getenv("LETME_REFRESH_AT") or "").isdigit()  # the renewal check runs at every prompt
        window("env mode", "example1")
        assert sh.status("letme use example1 --mode process", timeout=60) == 0
        window("process mode", "example1")
        # Per-directory accounts (.letme): entering an allowed tree 12 directories deep is one letme process;
        # prompts and cd's inside it (every cd walks the 12 parents again) start none.
        tree = sandbox.home / "project"
        deep = tree.joinpath(*(f"d{i}" for i in range(1, DEPTH + 1)))
        deep.mkdir(parents=True)
        (tree / ".letme").write_text('account = "example1"\nmode = "env"\n')
        sandbox.ok("allow", str(tree))
        window("entering a .letme tree", "example1", command=f"cd {deep}", where=deep)
        assert sh.getenv("LETME_DIR") == str(tree / ".letme") and sh.getenv("LETME_MODE") == "env"
        # ".letme]": the segment says where the account came from, at every prompt of the window.
        window("in a .letme tree", ".letme]", where=deep, commands=tuple(tree_cds(tree, deep)))
        sh.child.sendline("exit")
        sh.child.expect(pexpect.EOF, timeout=30)
        sh.child.wait()  # strace flushes its log when the shell has exited and it ends itself
    finally:
        sh.child.close(force=True)
    recorded = tracing.calls(log)
    counts = {}
    for label, (begin, end) in marks.items():
        starts = [i for i, (_, _, args) in enumerate(recorded) if f'"{begin}"' in args]
        stops = [i for i, (_, _, args) in enumerate(recorded) if f'"{end}"' in args]
        assert starts and stops, f"the markers of {label} are not in the strace log"
        counted = tracing.process_starts(recorded[starts[-1] + 1 : stops[0]])
        counts[label] = {"processes": counted["processes"], "execve": counted["execve"]}
    return counts


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_prompts_start_only_the_processes_the_readme_allows(name: str, catalogued, tmp_path: Path) -> None:
    counts = count_windows(name, catalogued, tmp_path)
    print(name, counts)
    # PROMPTS prompts in each window, plus the one after `cd` into the begin marker.
    prompts = PROMPTS + 1
    for label, allowed in ALLOWED[name].items():
        expected = allowed * prompts + (PER_COMMAND[name] if allowed else 0)  # the `cd` to the end marker
        assert counts[label]["processes"] == expected, (label, counts)
        assert counts[label]["execve"] == expected, (label, counts)
    # The .letme windows (an account in use, so fish's `date` per prompt and per command line):
    # entering the tree starts exactly one letme (beside fish's clock); inside it nothing does.
    per_prompt = ALLOWED[name]["process mode"]
    assert counts["entering a .letme tree"]["processes"] == 1 + 2 * per_prompt + 2 * PER_COMMAND[name], counts
    assert counts["entering a .letme tree"]["execve"] == 1 + 2 * per_prompt + 2 * PER_COMMAND[name], counts
    cds = len(tree_cds(Path("/"), Path("/")))
    inside = per_prompt * (PROMPTS + 1 + cds) + PER_COMMAND[name] * (cds + 1)
    assert counts["in a .letme tree"] == {"processes": inside, "execve": inside}, counts
    # The control window: two prompts (after each command) and /bin/true, which must be seen.
    control = 1 + 2 * ALLOWED[name]["no account"]
    assert counts["control"] == {"processes": control, "execve": control}, "strace missed what the shell started"

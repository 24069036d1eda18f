"""Time pickers in a pseudo-terminal, as a person at a terminal meets them (for bench/run.py).

Usage: python picker_pty.py RUNS < SPEC.json, where SPEC is a list of {"argv": [...], "env": {...},
"key": "esc" | "ctrl-c"}.

Each command is started RUNS times (one more first, not counted), the commands taking turns, so that a
machine whose load changes during the run weighs on all of them alike. Each start gets a new pty of
40×120. Prints one JSON list, in SPEC's order, of {"open": [...], "close": [...]} in seconds: from
starting the process to the footer ("Esc cancels") on the terminal, and from pressing the key (0.2 s
after the footer) to the process's exit, and the CPU time the process used in all (user and system; less
sensitive than wall time to other load on the machine). The pty answers cursor-position requests (ESC [6n) at once, as a
terminal emulator does: prompt_toolkit asks for one when it starts and, unanswered, waits up to a second
for it at exit.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import sys
import termios
import time

ROWS, COLS = 40, 120
KEYS = {"esc": b"\x1b", "ctrl-c": b"\x03"}
FOOTER = b"Esc cancels"


def once(argv: list[str], env: dict[str, str], key: bytes) -> tuple[float, float, float]:
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    seen, opened, pressed = b"", 0.0, 0.0
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            os.kill(pid, 9)
            raise SystemExit(f"picker_pty: no footer within 30 s; the terminal showed: {seen[-400:]!r}")
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child is gone and the pty closed
            break
        if not data:
            break
        seen = (seen + data)[-4096:]
        if b"\x1b[6n" in data:
            os.write(fd, b"\x1b[%d;1R" % ROWS)
        if not opened and FOOTER in seen:
            opened = time.perf_counter() - started
            time.sleep(0.2)
            pressed = time.perf_counter()
            os.write(fd, key)
    _, status, usage = os.wait4(pid, 0)
    closed = time.perf_counter() - pressed
    os.close(fd)
    if not opened:
        raise SystemExit(f"picker_pty: the footer never appeared; the terminal showed: {seen[-400:]!r}")
    if os.waitstatus_to_exitcode(status) not in (0, 130):
        raise SystemExit(f"picker_pty: {argv} exited {os.waitstatus_to_exitcode(status)}")
    return opened, closed, usage.ru_utime + usage.ru_stime


def main() -> None:
    runs = int(sys.argv[1])
    spec = json.load(sys.stdin)
    commands = [(c["argv"], c["env"], KEYS[c["key"]]) for c in spec]
    for argv, env, key in commands:
        once(argv, env, key)  # warm-up: the page cache, .pyc files
    samples: list[list[tuple[float, float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for i, (argv, env, key) in enumerate(commands):
            samples[i].append(once(argv, env, key))
    print(json.dumps([{"open": [s[0] for s in got], "close": [s[1] for s in got], "cpu": [s[2] for s in got]}
                      for got in samples]))


if __name__ == "__main__":
    main()

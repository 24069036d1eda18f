"""The `letme` command. A cached `credential-process` or `use` is answered here (hot.py), before the
full command line (cli.py: argparse, json, re, pathlib) is imported; everything else goes to cli.main."""

import os
import sys


def _standard_descriptors() -> None:
    """Started with stdin, stdout or stderr closed (`2>&-`, some daemons): the next file letme opens would get
    that descriptor, and what is meant for the terminal would be written into it (a temporary file, then the
    history of recent accounts). Each closed one is opened on /dev/null: reads end at once, writes to stdout
    and stdin fail as on a closed descriptor, messages for stderr are dropped (and no longer fail the
    command on a missing sys.stderr)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_WRONLY if fd == 2 else os.O_RDONLY)  # the lowest free descriptor: fd
            if fd == 2:
                sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 (for the life of the process)


def main() -> int:
    _standard_descriptors()
    if len(sys.argv) > 2 and sys.argv[1] in ("credential-process", "use"):
        from letme_shell import hot

        try:
            if (hot.answer if sys.argv[1] == "credential-process" else hot.answer_use)(sys.argv[2:]):
                return 0
        except Exception:  # a bug here must never cost the answer, nor print what a record holds
            pass  # the full command below answers, and reports anything wrong in its own scrubbed way
    from letme_shell import cli

    return cli.main()

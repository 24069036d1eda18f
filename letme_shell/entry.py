"""The `letme` command. A cached `credential-process` is answered here (hot.py), before the full
command line (cli.py: argparse, json, re, pathlib) is imported; everything else goes to cli.main."""

import sys


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "credential-process":
        from letme_shell import hot

        if hot.answer(sys.argv[2:]):
            return 0
    from letme_shell import cli

    return cli.main()

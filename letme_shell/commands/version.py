"""letme version"""

from __future__ import annotations

import argparse

from letme_shell import __version__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print(f"letme {__version__}")
    return 0

"""letme config-file: write a commented template (never over a file without --force)."""

from __future__ import annotations

import argparse

from letme_shell import config, fsutil, paths, ui
from letme_shell.errors import LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="overwrite an existing config file")
    parser.add_argument("--print", action="store_true", help="print the template instead of writing it")


def run(args: argparse.Namespace) -> int:
    text = config.template()
    if args.print:
        print(text, end="")
        return 0
    path = paths.config_file(args.config)
    if path.exists() and not args.force:
        raise LetmeError(f"{path} already exists; letme leaves it alone",
                         "pass --force to replace it, or --print to see the template")
    fsutil.atomic_write(path, text.encode(), mode=0o600)
    ui.info(f"wrote {path}; set aws_source_profile_region and dynamodb_table, then run 'letme init'")
    return 0

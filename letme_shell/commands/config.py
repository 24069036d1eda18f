"""letme config [list|show|use NAME]: the contexts of the config file."""

from __future__ import annotations

import argparse
import json
import sys

from letme_shell import config, fsutil, paths, ui, validate
from letme_shell.commands import _common
from letme_shell.errors import ExitCode, LetmeError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "show", "use", "path", "validate"), default="list",
                        help="list contexts (default), show the active one, use NAME, print the path, validate all")
    parser.add_argument("name", nargs="?", metavar="NAME", help="context for 'use' or 'show'")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    if args.name is not None and args.action not in ("use", "show"):
        raise LetmeError(f"'letme config {args.action}' takes no context name",
                         "only 'letme config use NAME' and 'letme config show NAME' do", ExitCode.USAGE)
    path = paths.config_file(args.config)
    if args.action == "path":
        print(path)
        return 0
    names = config.contexts(path)
    if args.action == "list":
        active = _common.settings(args).context if names else None
        if args.json:
            _common.print_json([{"name": n, "active": n == active} for n in names])
        else:
            sys.stdout.write("".join(f"{'*' if n == active else ' '} {validate.printable(n)}\n" for n in names))
        return 0
    if args.action == "validate":
        warnings = [line for name in names for line in config.window_warnings(config.load(args.config, name))]
        for line in warnings:
            ui.warn(line)
        noted = f" ({len(warnings)} warning{'' if len(warnings) == 1 else 's'})" if warnings else ""
        ui.info(f"{path}: {len(names)} context{'' if len(names) == 1 else 's'}, all valid{noted}")
        return 0
    if args.action == "use":
        if not args.name:
            raise LetmeError("'letme config use' needs a context name", f"contexts: {', '.join(names)}")
        if args.name not in names or not validate.CONTEXT_NAME.fullmatch(args.name):
            raise LetmeError(f"no context [{validate.printable(args.name)}] in {path}", f"contexts: {', '.join(names)}")
        config.load(args.config, args.name)  # refuse to switch to an invalid one
        fsutil.atomic_write(config.active_context_file(), f"{args.name}\n".encode(), mode=0o600)
        ui.info(f"active context is now '{args.name}'")
        return 0
    settings = config.load(args.config, args.name or getattr(args, "context", None))
    data = {k: (str(v) if k == "path" else v) for k, v in settings._asdict().items()}
    if args.json:
        _common.print_json(data)
    else:
        # TOML-like: strings quoted, true/false, lists in brackets; a key with no value says so.
        sys.stdout.write("".join(f"{k} = {'(not set)' if v is None else json.dumps(v)}\n" for k, v in data.items()))
    return 0

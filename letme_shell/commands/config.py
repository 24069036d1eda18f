"""letme config [list|show|use NAME|path|validate|migrate]: the contexts of the config file.

The original letme's v0.2 names are accepted too, hidden from the help: `get-contexts` (list, also with
`-o json`), `switch-context NAME` (use), `view-template` (the template `letme config-file --print` prints)
and `new-context NAME` (adds a template table for NAME to the config).
"""

from __future__ import annotations

import argparse
import json
import sys

from letme_shell import config, fsutil, paths, ui, validate
from letme_shell.commands import _common
from letme_shell.errors import ConfigError, ExitCode, LetmeError

ACTIONS = ("list", "show", "use", "path", "validate", "migrate")
# The original letme's v0.2 `config` subcommands, and what each is here.
OLD_ACTIONS = {"get-contexts": "list", "switch-context": "use", "new-context": "new-context",
               "view-template": "view-template"}


def _action(text: str) -> str:
    if text in ACTIONS:
        return text
    if text in OLD_ACTIONS:
        return OLD_ACTIONS[text]
    raise argparse.ArgumentTypeError(f"unknown action '{validate.printable(text)}' (choose from {', '.join(ACTIONS)})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", type=_action, default="list", metavar="{" + ",".join(ACTIONS) + "}",
                        help="list contexts (default), show the active one, use NAME, print the path, validate all, "
                             "migrate the original letme's ~/.letme/letme-config to this letme's TOML config")
    parser.add_argument("name", nargs="?", metavar="NAME", help="context for 'use' or 'show'")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("-o", "--output", choices=("text", "json"), help=argparse.SUPPRESS)  # v0.2.2's get-contexts
    parser.add_argument("-f", "--force", action="store_true", help="migrate: replace an existing config file")


def run(args: argparse.Namespace) -> int:
    if args.name is not None and args.action not in ("use", "show", "new-context"):
        raise LetmeError(f"'letme config {args.action}' takes no context name",
                         "only 'letme config use NAME' and 'letme config show NAME' do", ExitCode.USAGE)
    if args.output == "json":
        args.json = True
    if args.action == "path":
        try:
            print(config.locate(args.config)[0])
        except ConfigError:  # none yet: where letme's own goes
            print(paths.config_file(args.config))
        return 0
    if args.action == "view-template":
        sys.stdout.write(config.template())
        return 0
    if args.action == "migrate":
        return migrate(args)
    if args.action == "new-context":
        return new_context(args)
    names = config.contexts(args.config)
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
        path = config.locate(args.config)[0]
        ui.info(f"{path}: {len(names)} context{'' if len(names) == 1 else 's'}, all valid{noted}")
        return 0
    if args.action == "use":
        path = config.locate(args.config)[0]
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


MFA_NOTE = [
    "Changed from the original letme: with mfa_arn set, letme first gets an MFA session (GetSessionToken)",
    "that later switches reuse without a new code, for mfa_session_duration (12 hours by default). To send",
    "the code with every first AssumeRole instead, as the original did, add to a context:",
    "mfa_session = false",
]


def migrate(args: argparse.Namespace) -> int:
    """Write the original letme's config as this letme's TOML, at the path letme reads first.
    The old files are only read; an existing config is replaced only with --force."""
    from letme_shell import legacy

    old, target = paths.legacy_config_file(), paths.config_file(args.config)
    legacy.check_dir()
    found = config._read_config(old, legacy=True)
    if found is None:
        raise LetmeError(f"no config of the original letme at {old}: nothing to migrate",
                         "'letme config-file' writes a new config from a template")
    if (target.exists() or target.is_symlink()) and not args.force:
        raise LetmeError(f"{target} already exists; letme leaves it alone",
                         "pass --force to replace it with the migrated config")
    data, form = legacy.parse(found[0], old)
    source = config.Source(old, data, form)
    tables = config.tables(source)
    if not tables:
        raise ConfigError(f"{old} has no context to migrate", "it needs at least one [context] section")
    for name, table in tables.items():
        config.settings_from_table(old, name, table)  # what letme could not read is not written
    text = config.to_toml(tables, [
        f"letme configuration, migrated by 'letme config migrate' from {old} ({form}).",
        "That file was left as it was: the original letme still reads it; this letme now reads this one.",
        "Each [table] is a context. Pick one with --context NAME, LETME_CONTEXT=NAME or 'letme config use NAME'.",
        "",
        *MFA_NOTE,
    ])
    import tomllib

    if tomllib.loads(text) != tables:  # the file must say what the old one said, or not be written
        raise LetmeError(f"the migrated config would not match {old}",
                         "this is a bug in letme; your files were not changed; please report it")
    fsutil.atomic_write(target, text.encode(), mode=0o600)
    ui.info(f"wrote {target} from {old} ({form}, {len(tables)} context{'' if len(tables) == 1 else 's'}); "
            f"{old} is left as it was")
    if config.stored_context() is None:
        named = legacy.active_context()
        if named is not None and named in tables and validate.is_context_name(named):
            # The same context stays active, now in letme's own state (the old file is no longer read).
            fsutil.atomic_write(config.active_context_file(), f"{named}\n".encode(), mode=0o600)
            ui.info(f"active context is '{named}', as {paths.legacy_settings_file()} says")
    return 0


def new_context(args: argparse.Namespace) -> int:
    """The original's `config new-context NAME`: a template table for NAME added to the config (the original
    asked for each value instead), every byte of the file kept."""
    name = args.name
    if not name or not validate.is_context_name(name):
        raise LetmeError(f"'{validate.printable(name or '')}' is not a valid context name",
                         "context names are 1-64 letters, digits, '_' and '-', starting with a letter or digit",
                         ExitCode.USAGE)
    try:
        path, raw, _, is_legacy = config.locate(args.config)
    except ConfigError:
        path, raw, is_legacy = paths.config_file(args.config), None, False
    if is_legacy:
        raise LetmeError(f"letme reads the original letme's config {path}, which it does not change",
                         f"run 'letme config migrate' first, then 'letme config new-context {name}'")
    if raw is None:
        fsutil.atomic_write(path, config.template(name).encode(), mode=0o600)
    else:
        if name in config.contexts(args.config):
            raise LetmeError(f"context [{name}] already exists in {path}",
                             f"edit it there, or 'letme config use {name}'")
        joint = b"" if not raw or raw.endswith(b"\n") else b"\n"
        fsutil.atomic_write(path, raw + joint + b"\n" + config.template_table(name).encode(), mode=0o600)
    ui.info(f"added context [{name}] to {path}; set its aws_source_profile_region and dynamodb_table, "
            f"then 'letme config use {name}'")
    return 0

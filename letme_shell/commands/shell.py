"""letme shell [ACCOUNT]: a new shell with the account's credentials in its environment.

The child gets env-mode variables (keys, region, expiry, LETME_*) plus
LETME_SHELL_DEPTH, so the prompt segment can show the nesting and a `letme
shell` inside it can say what is going on; `--mode process|profile` gives it
AWS_PROFILE instead, with the profile written as `letme use` writes it. With no
ACCOUNT, this shell's account (else the picker). letme replaces itself with the
shell (exec), so the shell's exit status is letme's. Secrets travel in the
environment only, never in argv.
"""

from __future__ import annotations

import argparse
import os
import shutil

from letme_shell import config, session, shells, switch, ui, validate
from letme_shell.commands import _common, use
from letme_shell.envchange import EnvChange
from letme_shell.errors import LetmeError

DEPTH_VAR = "LETME_SHELL_DEPTH"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("account", nargs="?", metavar="ACCOUNT",
                        help="account name from the catalog (default: this shell's, else the picker)")
    parser.add_argument("--mode", choices=config.USE_MODES,
                        help="how the shell gets the credentials (default: env, the keys themselves)")
    parser.add_argument("--region", metavar="REGION", help="region to export (default: the account's first)")
    _common.add_role_arn(parser)
    _common.add_mfa(parser)
    _common.add_session_name(parser)
    parser.add_argument("--force", action="store_true",
                        help="with --mode process or profile: replace a profile of that name letme did not write")


def child_environment(change: EnvChange) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in change.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def env_mode_change(args: argparse.Namespace, previous: str | None, usage: str = "shell ACCOUNT",
                    mode: str = "env", force: bool = False) -> EnvChange:
    """The child's environment change: the named account, else this shell's (or the picker); `mode` env
    by default, or process/profile with the profile written (never over one letme did not write)."""
    settings, account = use.target(args, usage)
    region = switch.pick_region(settings, account, args.region)  # a bad --region fails before any MFA prompt
    creds = session.credentials_for(settings, account, args.mfa_code)
    switch.sync_files(switch.profile_for(settings, account, mode, region, creds), force)
    _, previous_mode, previous_region = use.previous_state()
    return switch.env_change(settings, account, mode, region, creds, previous, previous_mode, previous_region)


def current_depth() -> int:
    raw = os.environ.get(DEPTH_VAR, "0")
    return int(raw) if raw.isdigit() else 0


def run(args: argparse.Namespace) -> int:
    depth = current_depth()
    current = os.environ.get("LETME_ACCOUNT")
    change = env_mode_change(args, current, mode=args.mode or "env", force=args.force)
    name = change["LETME_ACCOUNT"] or "?"
    env = child_environment(change)
    env[DEPTH_VAR] = str(depth + 1)
    _, found = shells.detect_program()
    # shellingham may give a bare name ("bash", from the parent's argv): find it on PATH.
    program = (shutil.which(found) if found else None) or os.environ.get("SHELL") or "/bin/sh"
    if depth:
        shown = validate.printable(current or "?")
        ui.info(f"you are already in a letme shell for {shown} (depth {depth}); this starts another one inside it, "
                f"and 'exit' returns to {shown}. To switch in place instead: letme use {name}")
    ui.info(f"starting {os.path.basename(program)} with {name}'s credentials; 'exit' to leave")
    try:
        os.execve(program, [program], env)
    except OSError as exc:
        raise LetmeError(f"cannot start the shell {program}: {exc.strerror}", "set SHELL to your shell") from None
    return 1  # not reached

"""letme dir [FILE]: what the hook runs when the nearest `.letme` changed (see directory.py).

The hooks look for `.letme` themselves, with builtin tests, only when the shell's
directory changed, and run this only when the nearest file is another one than
at the last check: FILE is the new nearest file, none when the shell left every
`.letme` tree. So a cd inside a tree starts no process.

- FILE not allowed (new, or changed since `letme allow`), or not trusted, or not
  valid: one line on stderr, and the shell stays as it is.
- FILE allowed: switch to its account as `letme use` does (MFA and the production
  question at the terminal), and mark the switch: LETME_DIR names the file (the
  prompt's `.letme`, `letme status`), and on entering the first tree
  LETME_DIR_BEFORE* record the state to return to (account, mode, region, or `-`
  for none). Nested files: the nearest applies, the recorded state stays the first.
  After a manual `use` (or `leave`, `back`) inside a tree, LETME_DIR is gone while
  LETME_DIR_BEFORE stays: the user's choice wins until the shell leaves the trees.
- No FILE: return to the recorded state (as `letme back` returns, through the
  same switch) and forget the markers.
"""

from __future__ import annotations

import argparse
import os
import sys

from letme_shell import directory, envchange, naming, ui, validate
from letme_shell.commands import _common, use
from letme_shell.directory import DirFile
from letme_shell.envchange import EnvChange
from letme_shell.errors import LetmeError

MARKERS = (envchange.DIR, envchange.DIR_BEFORE, envchange.DIR_BEFORE_MODE, envchange.DIR_BEFORE_REGION)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="the nearest .letme file (absolute path); none when the shell left every .letme tree")
    use.add_shell_option(parser, "letme dir FILE")


def shown(path: str) -> str:
    """`.letme` for the current directory's file (as the notice in the README), else the path."""
    if os.path.dirname(path) == directory.here():
        return directory.FILE_NAME
    return validate.printable(path, 200)


def in_tree() -> bool:
    return bool(os.environ.get(envchange.DIR_BEFORE))


def _set_or_unset(change: EnvChange, name: str, value: str | None) -> None:
    if value is None:
        change.unset(name)
    else:
        change.set(name, value)


def enter(args: argparse.Namespace, found: DirFile, override: bool = False) -> EnvChange | None:
    """The switch into `found`'s account, or None when there is nothing to do: the shell already uses it
    from this file, or (unless `override`: `letme allow`) the user switched by hand inside the tree."""
    applied = os.environ.get(envchange.DIR)
    if not override and in_tree() and not applied:
        return None
    settings, name = _common.settings_for(args, found.name)
    current, current_mode, current_region = use.previous_state()
    if not override and applied == found.path and current == naming.qualified(name, settings.context):
        return None
    use.confirm_production(settings, name, False)
    change = use.change_for(settings, name, found.mode, found.region, None, previous=current,
                            previous_mode=current_mode, previous_region=current_region)
    change.set(envchange.DIR, found.path)
    if not in_tree():  # the first tree: where leaving returns to
        if current and naming.is_qualified_name(current):
            change.set(envchange.DIR_BEFORE, current)
            _set_or_unset(change, envchange.DIR_BEFORE_MODE, current_mode if current_mode in envchange.MODES else None)
            _set_or_unset(change, envchange.DIR_BEFORE_REGION,
                          current_region if validate.is_region(current_region) else None)
        else:
            change.set(envchange.DIR_BEFORE, envchange.DIR_NONE)
            change.unset(envchange.DIR_BEFORE_MODE)
            change.unset(envchange.DIR_BEFORE_REGION)
    return change


def leave_tree(args: argparse.Namespace) -> EnvChange | None:
    """The return to the state recorded on entering the first tree, or None when no tree was entered."""
    env = os.environ
    before = env.get(envchange.DIR_BEFORE)
    if not before:
        return None
    current, current_mode, current_region = use.previous_state()
    mode = env.get(envchange.DIR_BEFORE_MODE)
    mode = mode if mode in envchange.MODES else None
    region = env.get(envchange.DIR_BEFORE_REGION)
    region = region if validate.is_region(region) else None
    if before == envchange.DIR_NONE or not naming.is_qualified_name(before):
        change = envchange.leave(current, current_mode, current_region) if current else EnvChange()
        if current:
            ui.info(f"left {current} with its {directory.FILE_NAME} tree; 'letme back' returns to it")
    elif before == current and (mode is None or mode == current_mode) and (region is None or region == current_region):
        change = EnvChange()  # already where the shell was (the user switched back by hand)
    else:
        settings, name = _common.settings_for(args, before, qualified=True)
        use.confirm_production(settings, name, False)  # as `letme back` asks
        change = use.change_for(settings, name, mode, region, None, previous=current, previous_mode=current_mode,
                                previous_region=current_region)
    for marker in MARKERS:
        change.unset(marker)
    return change


def hook_shell(args: argparse.Namespace) -> str | None:
    """The shell to print code for when the hook (or --shell) asks, else None: allow and deny work without."""
    return getattr(args, "shell", None) or os.environ.get(use.HOOK_VAR) or None


def notice(found: DirFile, state: str) -> None:
    where = shown(found.path)
    if state == directory.CHANGED:
        ui.info(f"{where} changed since you allowed it (it wants {found.name} now); run 'letme allow' to use it")
    else:
        ui.info(f"{where} wants {found.name}; run 'letme allow' to use it")


def run(args: argparse.Namespace) -> int:
    shell = use.target_shell(args, "dir")
    change: EnvChange | None
    if args.file:
        try:
            found = directory.load(args.file)
            state = directory.state(found)
        except LetmeError as exc:
            # One line, as for a file that is not allowed; the shell stays as it is.
            ui.warn(f"{exc.message}; ignored")
            return 0
        if state != directory.ALLOWED:
            notice(found, state)
            return 0
        change = enter(args, found)
    else:
        change = leave_tree(args)
    if change:
        use.emit(shell, change)
        if change.get("LETME_ACCOUNT"):
            from letme_shell import history

            history.remember(change)
    sys.stdout.flush()
    return 0

"""`letme`: argparse over a static command table, and the one place errors become exit codes.

Only the module of the command named on the command line is imported, so the
cheap commands do not pay for the expensive ones (boto3, prompt_toolkit).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from letme_shell import __version__, ui
from letme_shell.errors import ExitCode, LetmeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# name → (module under letme_shell.commands, one-line help, aliases)
COMMANDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "init": ("init", "fetch the account catalog from DynamoDB into the local cache", ()),
    "list": ("list", "list the cached accounts", ("ls",)),
    "obtain": ("obtain", "get credentials for an account and write its AWS profile", ("ob",)),
    "use": ("use", "switch this shell to an account (needs the shell hook)", ()),
    "leave": ("leave", "unset everything 'letme use' set in this shell", ()),
    "back": ("back", "switch back to the previous account, in its mode and region", ()),
    "status": ("status", "show the account, mode, region and expiry this shell uses, and whether they hold", ()),
    "allow": ("allow", "trust this directory's .letme file: its tree switches this shell to its account", ()),
    "deny": ("deny", "forget that a .letme file was allowed", ()),
    "dir": ("dir", "apply the nearest .letme file (run by the hook when the directory changes)", ()),
    "shell": ("shell", "start a subshell with an account's credentials", ()),
    "exec": ("exec", "run one command with an account's credentials", ()),
    "credential-process": ("credential_process", "print credentials as credential_process JSON", ()),
    "refresh": ("refresh", "renew an account's credentials ahead of expiry (used by the hook)", ()),
    "remove": ("remove", "remove an account's profiles and cached credentials", ("rm",)),
    "reset": ("reset", "remove every credential letme stored (cached credentials, MFA session, its profiles)", ()),
    "source": ("source", "move a profile's long-term keys into the OS keyring (add, remove, list)", ()),
    "hook": ("hook", "print the shell integration: eval \"$(letme hook zsh)\"", ()),
    "config": ("config", "list, show and switch contexts", ()),
    "config-file": ("config_file", "write a commented config template", ()),
    "demo": ("demo", "try letme on an embedded local AWS (moto), in a sandbox", ()),
    "doctor": ("doctor", "check the set-up and explain each problem", ()),
    "console": ("console", "open the AWS console signed in to an account", ()),
    "version": ("version", "print the version", ()),
}
ALIASES = {alias: name for name, (_, _, aliases) in COMMANDS.items() for alias in aliases}


class _Formatter(argparse.HelpFormatter):
    # argparse's own formatter imports shutil (and with it bz2, lzma, fnmatch) for the
    # terminal width on every add_argument: ~5 ms of each cached `use`.
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None):
        if width is None:
            try:
                width = os.get_terminal_size(sys.stderr.fileno()).columns - 2
            except (OSError, ValueError):
                columns = os.environ.get("COLUMNS", "")
                width = int(columns) - 2 if columns.isdigit() else 78
        super().__init__(prog, indent_increment, max_help_position, max(width, 40))


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", _Formatter)
        # No abbreviations: through the shell hook, `--he` read as --help and `--shel fish` as --shell fish
        # made the hook evaluate help text or another shell's code. Subparsers are made by this class too.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    # The command line's command, when known: the top-level parser reports a stray argument
    # after it, and the help to point at is the command's.
    command: str | None = None

    def error(self, message: str) -> None:  # type: ignore[override]
        # One line and the usage hint, exit 2, as for every other bad input.
        prog = f"{self.prog} {self.command}" if self.command else self.prog
        ui.error(message, f"see '{prog} --help'")
        raise SystemExit(ExitCode.USAGE)


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="FILE", default=default, help="config file (default: $LETME_CONFIG, "
                        "else letme/letme.toml in your config directory)")
    parser.add_argument("--context", metavar="NAME", default=default,
                        help="context (config table) to use (default: $LETME_CONTEXT, else the active one)")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="show a traceback with errors")
    parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="only errors on stderr")


def build_parser(command: str | None) -> argparse.ArgumentParser:
    parser = _Parser(prog="letme", description="Switch a shell between AWS accounts in one command.",
                     epilog="Shell set-up: eval \"$(letme hook bash)\" (or zsh; fish: letme hook fish | source).")
    parser.command = command
    parser.add_argument("-v", "--version", action="version", version=f"letme {__version__}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # A known command gets only its own subparser: building all 18 cost ~14 ms of the cached `use`
    # (bench/run.py). Help and unknown commands still see the whole table.
    for name, (module_name, help_text, aliases) in COMMANDS.items():
        if command is not None and name != command:
            continue
        child = sub.add_parser(name, help=help_text, description=help_text, aliases=list(aliases))
        _global_options(child, suppress=True)
        if name == command:
            module = importlib.import_module(f"letme_shell.commands.{module_name}")
            module.add_arguments(child)
            child.set_defaults(_run=module.run)
    return parser


def _first_word(argv: Sequence[str]) -> str | None:
    """The first word that is not a global option or its value: the command, if it is one."""
    skip = False
    for arg in argv:
        if skip:  # the value of --config/--context (`letme --context list use X` runs `use`)
            skip = False
        elif arg in ("--config", "--context"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _command_in(argv: Sequence[str]) -> str | None:
    """The command named on the command line (aliases resolved); a LetmeError for a word that is not one."""
    word = _first_word(argv)
    if word is None or word in COMMANDS:
        return word
    if word in ALIASES:
        return ALIASES[word]
    from letme_shell import fuzzy, validate

    close = fuzzy.suggest(word, [*COMMANDS, *ALIASES])
    raise LetmeError(f"unknown command '{validate.printable(word)}'",
                     f"did you mean: {', '.join(close)}?" if close else "see 'letme --help'", ExitCode.USAGE)


def _debug_traceback(exc: BaseException) -> None:
    """The traceback --debug asks for, scrubbed: exception messages (this one's and those it was raised
    from) can carry AWS answers with keys in them. Never Python's own print, which would show them raw."""
    import traceback

    sys.stderr.write(ui.scrub("".join(traceback.format_exception(exc))))
    sys.stderr.flush()


def _where(exc: BaseException) -> str:
    """The innermost letme frame of the traceback, e.g. 'sts.py:124 in _assume': where the bug is,
    without anything of what the exception carries."""
    tb, found = exc.__traceback__, ""
    while tb is not None:
        code = tb.tb_frame.f_code
        if f"{os.sep}letme_shell{os.sep}" in code.co_filename:
            found = f"{os.path.basename(code.co_filename)}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return found


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("LETME_DEBUG") == "1"
    command: str | None = None
    try:
        command = _command_in(argv)
        parser = build_parser(command)
        args = parser.parse_args(argv)
        args.argv = argv  # as typed: hot.py records the command lines it can answer later
        ui.QUIET = bool(getattr(args, "quiet", False))
        if not hasattr(args, "_run"):
            parser.print_help(sys.stderr)
            return ExitCode.USAGE
        return int(args._run(args) or 0)
    except LetmeError as exc:
        if debug:
            _debug_traceback(exc)
        ui.error(exc.message, exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`letme list | head`); nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.FAILURE
    except Exception as exc:
        # Not str(exc): an unexpected exception's text is whatever its raiser put there (botocore's
        # ResponseParserError holds the AWS answer, keys included; http.client's InvalidURL the URL).
        # An SDK running `credential-process` copies this line into its own error, and on into logs.
        if debug:
            _debug_traceback(exc)
        doing = f"running 'letme {command}'" if command else "reading the command line"
        where = _where(exc)
        ui.error(f"unexpected {type(exc).__name__} while {doing}" + (f" ({where})" if where else ""),
                 "this is a bug in letme; rerun with --debug for a traceback (secrets removed) and report it")
        return ExitCode.FAILURE

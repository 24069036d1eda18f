"""No option is ever read as an abbreviation of another (argparse's allow_abbrev).

Through the shell hook, an abbreviation that argparse expanded changed what the
hook evaluated: `letme use --he` printed the help text as code to evaluate, and
`letme use X --shel fish` handed fish code to zsh. Every parser refuses them.
"""

from __future__ import annotations

import argparse

import pytest

from letme_shell import cli
from letme_shell.commands import exec as exec_command


@pytest.mark.parametrize("command", [None, *cli.COMMANDS])
def test_every_parser_refuses_abbreviations(command):
    parser = cli.build_parser(command)
    assert parser.allow_abbrev is False
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert subparsers.choices, command
    for name, sub in subparsers.choices.items():
        assert sub.allow_abbrev is False, name
    assert exec_command._common_parser().allow_abbrev is False


@pytest.mark.parametrize("args,bad", [
    (("use", "--he"), "--he"),
    (("use", "example1", "--shel", "fish"), "--shel"),
    (("list", "--con", "general"), "--con"),
    (("list", "--nam"), "--nam"),
    (("hook", "bash", "--he"), "--he"),
])
def test_abbreviated_options_are_a_usage_error(catalogued, args, bad):
    result = catalogued.run(*args, env={"LETME_HOOK_SHELL": "bash"})
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(f"letme: error: unrecognized arguments: {bad}"), result.stderr


def test_exec_late_options_refuse_abbreviations(catalogued):
    """Options after ACCOUNT go through exec's own parser: `--reg` is not `--region`."""
    result = catalogued.run("exec", "example1", "--reg", "us-east-1", "--", "true")
    assert result.returncode == 2
    assert "--reg" in result.stderr.splitlines()[0]
    ok = catalogued.run("exec", "example1", "--mfa-code", "123456", "--region", "us-east-1", "--", "sh", "-c",
                        "printf %s \"$AWS_REGION\"")
    assert (ok.returncode, ok.stdout) == (0, "us-east-1"), ok.stderr

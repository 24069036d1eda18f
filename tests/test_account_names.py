"""Account names, judged by a table written here, not by the product's own validator.

Names come from a shared catalog and from the command line, and letme puts them in
file names (the credential cache), INI section headers and shell code. The README
says what a name is: letters, digits, `.`, `_` and `-`, starting with a letter or
digit, at most 128 characters (ASCII only: a look-alike from another script would
name a different cache file and profile than the one it resembles). Every verdict
below is written by hand, so a validator that starts letting `/` through fails here
however the other tests derive their expectations.

Each bad name is also given to the real command line (`letme obtain -- NAME`; the
names that are paths also to remove, credential-process, use and obtain --force):
one clear error about the name, and no file created, changed or removed anywhere in
the sandbox (HOME, with the cache and the AWS files) or the working directory.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import LETME, Sandbox

from letme_shell import validate

GOOD = [
    "a", "Z", "0", "example1", "prod-eu", "a.b_c-d", "A1.2-3_4", "a..b", "a-", "a.", "a_", "9lives",
    "a" * 128, "1" * 128,  # the longest name
]

BAD = {
    # empty, and paths: names become cache file names (credentials/<context>/<name>.json)
    "empty": "",
    "slash": "/",
    "a/b": "a/b",
    "into another entry": "x/../example1",
    "parent": "..",
    "parent/x": "../example1",
    "dot": ".",
    "hidden": ".hidden",
    "backslash": "a\\b",
    # must not look like a flag or start with punctuation
    "leading dash": "-a",
    "a flag": "--help",
    "leading underscore": "_a",
    # whitespace and line breaks (INI headers, shell words)
    "space": "a b",
    "leading space": " a",
    "trailing space": "a ",
    "tab": "a\tb",
    "newline": "a\nb",
    "trailing newline": "a\n",  # `$` in a regex would accept it
    "leading newline": "\na",
    "carriage return": "a\rb",
    "nul": "a\x00b",
    # shell and INI metacharacters
    "dollar": "$x",
    "dollar inside": "a$x",
    "substitution": "$(id)",
    "backticks": "`id`",
    "semicolon": "a;b",
    "pipe": "a|b",
    "ampersand": "a&b",
    "single quote": "a'b",
    "double quote": 'a"b',
    "glob star": "a*",
    "glob question": "a?",
    "brackets": "[a]",
    "closing bracket": "a]",
    "equals": "a=b",
    "colon": "a:b",
    "comma": "a,b",
    "at": "a@b",
    "plus": "a+b",
    "tilde": "~a",
    "percent": "a%b",
    "hash": "a#b",
    "bang": "a!b",
    # length
    "129 characters": "a" * 129,
    "300 characters": "b" * 300,
    # Unicode look-alikes and invisible characters
    "cyrillic a": "ex\u0430mple1",  # а
    "cyrillic e and x": "\u0435\u0445ample1",  # ех
    "greek omicron": "pr\u03bfd",
    "fullwidth": "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff11",  # ｅｘａｍｐｌｅ１
    "fullwidth digit": "example\uff11",
    "arabic-indic digit": "example\u0661",  # a digit to \d, not to [0-9]
    "superscript one": "example\u00b9",
    "kelvin sign": "\u212aey",  # matches k under IGNORECASE
    "dotless i": "\u0131nfra",
    "sharp s": "stra\u00dfe",
    "ligature": "\ufb01le",
    "accent": "caf\u00e9",
    "combining accent": "e\u0301xample",
    "zero-width space": "exa\u200bmple1",
    "trailing zero-width joiner": "example1\u200d",
    "byte order mark": "\ufeffexample1",
    "right-to-left override": "\u202eexample1",
    "no-break space": "a\u00a0b",
}


@pytest.mark.parametrize("name", GOOD, ids=[n if len(n) < 20 else f"{n[0]}x{len(n)}" for n in GOOD])
def test_good_names_are_accepted(name: str) -> None:
    assert validate.is_account_name(name)


@pytest.mark.parametrize("label", BAD, ids=[label.replace(" ", "-") for label in BAD])
def test_bad_names_are_refused_by_the_validator(label: str) -> None:
    assert not validate.is_account_name(BAD[label])


@pytest.mark.parametrize("value", [None, 1, b"example1", ["example1"]])
def test_values_that_are_not_text_are_refused(value: object) -> None:
    assert not validate.is_account_name(value)


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file, directory and link under the roots, with a digest of each file's bytes."""
    seen = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                seen[str(path)] = "link:" + str(path.readlink())
            elif path.is_dir():
                seen[str(path)] = "dir"
            else:
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


# `NAME@CONTEXT` picks an account in another context on the command line: `a@b` is refused for its context.
CLI_REFUSAL = {"at": "no context [b]"}
# Names that are paths: every command that maps a name to a file gets them too (`remove` deletes files).
PATHS = ("slash", "a/b", "into another entry", "parent", "parent/x", "dot", "hidden", "backslash")
OTHER_COMMANDS = (["remove"], ["credential-process"], ["use"], ["obtain", "--force"])


def test_bad_names_on_the_command_line_get_one_error_and_touch_nothing(catalogued: Sandbox, example1_cached: Path,
                                                                       tmp_path: Path) -> None:
    # A cache that holds example1's credentials: `x/../example1` must not reach (or remove) that entry.
    shutil.copytree(example1_cached, catalogued.home / ".cache" / "letme", dirs_exist_ok=True)
    catalogued.ok("obtain", "example1")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    before = snapshot(catalogued.home, workdir)
    names = [(label, name) for label, name in BAD.items() if "\x00" not in name]  # argv cannot carry a NUL
    for label, name in names:
        for command in (["obtain"], *(OTHER_COMMANDS if label in PATHS else ())):
            result = subprocess.run([LETME, *command, "--", name], env={**catalogued.env, "LETME_HOOK_SHELL": "bash"},
                                    cwd=workdir, capture_output=True, text=True, timeout=60,
                                    start_new_session=True, stdin=subprocess.DEVNULL)
            what = f"letme {' '.join(command)} -- {name!r} ({label})"
            assert result.returncode != 0, what
            assert result.stdout == "", what
            lines = result.stderr.splitlines()
            expected = CLI_REFUSAL.get(label, "not a valid account name")
            assert lines and lines[0].startswith("letme: error: ") and expected in lines[0], (what, result.stderr)
            assert all(line.startswith("letme: hint: ") for line in lines[1:]) and len(lines) <= 2, \
                (what, result.stderr)
            assert snapshot(catalogued.home, workdir) == before, f"{what} changed files"

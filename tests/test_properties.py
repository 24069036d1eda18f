"""Property tests (hypothesis): per-shell quoting through the real shells, and the INI editor.

Quoting: for any batch of strings, the code `Shell.render` produces is run by one
real bash, zsh and fish process, which writes each variable back to a file; each
value must come back byte for byte, or have been refused by letme (a NUL cannot
live in an environment variable). A canary proves nothing ran.

INI: editing one section never changes any other section, and putting a new
section then removing it gives back the original bytes.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import hostile
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from letme_shell import ini, shells
from letme_shell.errors import LetmeError

SHELL_ARGS = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"], "fish": ["fish", "--no-config"]}
VALUES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def round_trip(shell_name: str, values: list[str]) -> list[str | None]:
    """Each value as the shell read it back (None: letme refused it)."""
    shell = shells.get(shell_name)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        lines, refused = [], set()
        for index, value in enumerate(values):
            try:
                code = shell.render({"LETME_PROP": value})
            except LetmeError:
                refused.add(index)
                continue
            target = out / f"v{index}"
            lines.append(code + f"printf '%s' \"$LETME_PROP\" > {shell.quote(str(target))};\n")
        script = out / "script"
        script.write_text("".join(lines))
        env = {"PATH": os.environ["PATH"], "HOME": tmp, "LC_ALL": "C.UTF-8"}
        result = subprocess.run([*SHELL_ARGS[shell_name], str(script)], env=env, capture_output=True, cwd=tmp,
                                timeout=30)
        assert result.returncode == 0, result.stderr
        assert not (out / hostile.CANARY_NAME).exists()
        return [None if i in refused else (out / f"v{i}").read_bytes().decode("utf-8", "surrogateescape")
                for i in range(len(values))]


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_hostile_corpus_round_trips_through_each_shell(shell_name: str, tmp_path: Path) -> None:
    if not shutil.which(SHELL_ARGS[shell_name][0]):
        pytest.skip(f"{shell_name} not installed")
    values = hostile.strings(Path(hostile.CANARY_NAME))
    back = round_trip(shell_name, values)
    for value, got in zip(values, back, strict=True):
        assert (got is None and "\0" in value) or got == value, (value, got)


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(VALUES, min_size=1, max_size=25))
@example(values=["\uf600", "\uf6ff", "\x00", "\\", "'\\''", "$(touch CANARY)"])
def test_any_string_round_trips_or_is_refused(shell_name: str, values: list[str]) -> None:
    back = round_trip(shell_name, values)
    for value, got in zip(values, back, strict=True):
        if got is None:
            assert "\0" in value  # the only refusal letme makes
        else:
            assert got == value, (shell_name, value, got)


# --- INI ------------------------------------------------------------------------------------------------------

NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,15}", fullmatch=True).map(str.strip).filter(bool)
KEY = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
VALUE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20).map(str.strip)
DECOR = st.sampled_from(["", "\n", "# comment\n", "; semi\n", "\n\n", "  \n"])


@st.composite
def ini_files(draw: st.DrawFn) -> tuple[str, list[str]]:
    names = draw(st.lists(NAME, min_size=1, max_size=6, unique_by=str.lower))
    parts = [draw(DECOR)]
    for name in names:
        parts.append(f"[{name}]{draw(st.sampled_from(['', '  # note']))}\n")
        for key in draw(st.lists(KEY, max_size=4, unique=True)):
            parts.append(f"{key}{draw(st.sampled_from([' = ', '=', ': ']))}{draw(VALUE)}\n")
        parts.append(draw(DECOR))
    text = "".join(parts)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return text, names


def sections(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.read_string(text)
    return {name: dict(parser[name]) for name in parser.sections()}


@settings(max_examples=200, deadline=None)
@given(data=ini_files(), options=st.dictionaries(KEY, VALUE, min_size=1, max_size=4), pick=st.integers(0, 10))
def test_editing_one_section_never_changes_another(data: tuple[str, list[str]], options: dict[str, str],
                                                    pick: int) -> None:
    text, names = data
    target = names[pick % len(names)]
    doc = ini.parse(text, "prop")
    doc.put(target, options)
    after = sections(str(doc))
    before = sections(text)
    assert after[target] == options
    assert {k: v for k, v in after.items() if k != target} == {k: v for k, v in before.items() if k != target}
    doc.remove(target)
    assert {k: v for k, v in sections(str(doc)).items()} == {k: v for k, v in before.items() if k != target}


@settings(max_examples=200, deadline=None)
@given(data=ini_files(), new=NAME, options=st.dictionaries(KEY, VALUE, min_size=1, max_size=4))
def test_put_then_remove_of_an_appended_section_restores_the_bytes(data: tuple[str, list[str]], new: str,
                                                                     options: dict[str, str]) -> None:
    text, names = data
    if new.lower() in {n.lower() for n in names}:
        return
    doc = ini.parse(text, "prop")
    doc.put(new, options)
    written = str(doc)
    assert written.startswith(text)  # appended: every original byte in place
    assert sections(written)[new] == options
    assert doc.remove(new)
    assert str(doc) == text

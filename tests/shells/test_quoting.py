"""Every hostile string survives rendering and evaluation in the real shell: nothing runs, every byte comes back.

bash, zsh and fish evaluate what `Shell.render` produced, then write each
variable with printf into its own file; the bytes must equal the input and the
canary file (which every code-running string would create) must not exist.
PowerShell cannot run here (no pwsh), so its rule is checked against a table.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from letme_shell import shells
from letme_shell.envchange import EnvChange
from letme_shell.errors import LetmeError
from tests import hostile


def corpus(canary: Path) -> list[str]:
    # NUL cannot be in an environment variable; render refuses it (tested below).
    return [s for s in hostile.strings(canary) if "\0" not in s] + ["", " ", "a b", "\n", "trailing\n\n"]


DUMP = {
    "bash": ("bash", "--norc", "--noprofile", "-c"),
    "zsh": ("zsh", "-f", "-c"),
    "fish": ("fish", "--no-config", "-c"),
}


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_hostile_values_round_trip_and_run_nothing(name, tmp_path):
    canary = tmp_path / hostile.CANARY_NAME
    values = corpus(canary)
    shell = shells.get(name)
    change = EnvChange({f"LETME_T{i}": v for i, v in enumerate(values)})
    change.unset("LETME_GONE")
    code = tmp_path / "code"
    code.write_text(shell.render(change), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    if name == "fish":
        # "$$v" is fish's indirect expansion, quoted so the value is one argument.
        script = (f"source {code}; set -q LETME_GONE; and echo GONE-IS-SET; "
                  f"for v in (set -n | string match 'LETME_T*'); printf '%s' \"$$v\" > {out}/$v; end")
    else:
        names = " ".join(change)
        indirect = "${(P)v}" if name == "zsh" else "${!v}"
        script = (f"source {code}; [ -n \"${{LETME_GONE+x}}\" ] && echo GONE-IS-SET; "
                  f"for v in {names}; do [ \"$v\" = LETME_GONE ] || printf '%s' \"{indirect}\" > {out}/$v; done")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LETME_GONE": "was set", "LC_ALL": "C.UTF-8"}
    result = subprocess.run([*DUMP[name], script], capture_output=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert b"GONE-IS-SET" not in result.stdout
    assert not canary.exists(), f"{name} ran code from a value"
    for i, value in enumerate(values):
        got = (out / f"LETME_T{i}").read_bytes()
        assert got == value.encode("utf-8"), f"{name}: value {i} {value[:40]!r} came back as {got[:60]!r}"


@pytest.mark.parametrize("name", ["bash", "zsh", "fish", "powershell"])
def test_render_refuses_names_that_are_code_and_nul_values(name):
    shell = shells.get(name)
    for bad in ("A;touch x", "A B", "$(x)", "", "1ABC", "A-B"):
        with pytest.raises(LetmeError):
            shell.render(EnvChange({bad: "v"}))
    with pytest.raises(LetmeError):
        shell.render(EnvChange({"A": "x\0y"}))


POWERSHELL = [
    ("plain", "$env:A = 'plain';"),
    ("it's", "$env:A = 'it''s';"),
    ("$(Remove-Item x)", "$env:A = '$(Remove-Item x)';"),
    ("`n`$x", "$env:A = '`n`$x';"),
    ("\u2018smart\u2019", "$env:A = '\u2018\u2018smart\u2019\u2019';"),
    ("low\u201a high\u201b", "$env:A = 'low\u201a\u201a high\u201b\u201b';"),
    ("\u201cdouble\u201d", "$env:A = '\u201cdouble\u201d';"),
    ("a\nb", "$env:A = 'a\nb';"),
    ("", "$env:A = '';"),
]


@pytest.mark.parametrize("value,expected", POWERSHELL)
def test_powershell_quoting_table(value, expected):
    """No pwsh in this environment: the verbatim-string rule (every single quote, ASCII or typographic, doubled)."""
    assert shells.get("powershell").render(EnvChange({"A": value})) == expected + "\n"


def test_powershell_quote_never_leaves_an_odd_quote_run(tmp_path):
    """For every hostile string, each run of single-quote characters inside the literal has even length."""
    import re

    quotes = "'\u2018\u2019\u201a\u201b"
    for value in corpus(tmp_path / "c"):
        inner = shells.get("powershell").quote(value)[1:-1]
        for run in re.findall(f"[{quotes}]+", inner):
            assert len(run) % 2 == 0, (value, run)
    assert shells.get("powershell").unset("A") == "Remove-Item -LiteralPath Env:A -ErrorAction SilentlyContinue;"

"""Completion of option values: --context (config table headers), --mode, --region, `config use NAME`.

Three levels, all in the real shells:
- the candidate lists, from bash's completion function (COMP_WORDS set by hand)
  and from fish's own engine (`complete -C`), over many cases, cheaply;
- a real TAB in interactive bash, zsh and fish with the hook loaded (pexpect);
- zsh with `_letme` autoloaded from $fpath by compinit, without the hook.
What TAB inserted is read back by turning the line into `echo ... > file`.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from letme_shell import cli, resources
from tests.shells.harness import Shell

ROOT = Path(__file__).resolve().parents[2]
# A config whose tables are the contexts: spacing, a comment, and lines that are not context headers.
ODD_CONFIG = """\
[general]
region = "eu-west-1"   # [not-a-header]
  [ staging ]   # spaces are allowed inside the brackets
[prod-us]
[[array]]
[dotted.table]
["quoted"]
# [commented]
[last]"""
ALL_CONTEXTS = ["general", "staging", "prod-us", "last"]


def with_contexts(sandbox) -> None:
    """Give the sandbox config real extra contexts (copies of [general]) named staging and prod-us."""
    text = sandbox.letme_config.read_text()
    body = text.split("[general]\n", 1)[1]
    sandbox.letme_config.write_text(f"{text}\n[ staging ]  # a comment\n{body}\n[prod-us]\n{body}")


# ---- candidate lists ------------------------------------------------------------------------------

def bash_candidates(env: dict[str, str], *words: str) -> list[str]:
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
              '__letme_complete; printf "%s\\n" "${COMPREPLY[@]}"')
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash",
                             str(ROOT / "completions" / "letme.bash"), "letme", *words],
                            env=env, capture_output=True, text=True, timeout=10)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout.split()


def fish_candidates(env: dict[str, str], line: str) -> list[str]:
    result = subprocess.run(["fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
                             str(ROOT / "completions" / "letme.fish"), line],
                            env=env, capture_output=True, text=True, timeout=10)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [row.split("\t")[0] for row in result.stdout.splitlines()]


@pytest.fixture
def odd_config(catalogued, tmp_path) -> Path:
    path = tmp_path / "odd dir" / "letme.toml"
    path.parent.mkdir()
    path.write_text(ODD_CONFIG)
    return path


def test_bash_context_candidates_come_from_the_table_headers(catalogued, odd_config):
    env = catalogued.env
    assert bash_candidates(env, "use", "--config", str(odd_config), "--context", "") == ALL_CONTEXTS
    assert bash_candidates({**env, "LETME_CONFIG": str(odd_config)}, "use", "--context", "") == ALL_CONTEXTS
    assert bash_candidates({**env, "LETME_CONFIG": str(odd_config)}, "use", "--context", "pus") == ["prod-us"]
    # A literal ~/ after --config, as typed (COMP_WORDS are not expanded).
    home_config = Path(env["HOME"]) / "odd.toml"
    home_config.write_text(ODD_CONFIG)
    assert bash_candidates(env, "list", "--config", "~/odd.toml", "--context", "st") == ["staging"]
    assert bash_candidates(env, "list", "--config", "~/odd.toml", "--context", "ast") == ["last"]
    # The default file: ${XDG_CONFIG_HOME:-~/.config}/letme/letme.toml.
    assert bash_candidates(env, "use", "--context", "") == ["general"]
    with_contexts(catalogued)
    assert bash_candidates(env, "use", "--context", "") == ["general", "staging", "prod-us"]
    assert bash_candidates(env, "config", "use", "") == ["general", "staging", "prod-us"]
    assert bash_candidates(env, "config", "show", "stg") == ["staging"]
    assert bash_candidates({**env, "LETME_CONFIG": str(odd_config / "missing")}, "use", "--context", "") == []


def test_bash_mode_and_region_candidates(catalogued):
    env = catalogued.env
    assert bash_candidates(env, "use", "example1", "--mode", "") == ["process", "profile", "env"]
    assert bash_candidates(env, "use", "example1", "--mode", "pcs") == ["process"]
    assert bash_candidates(env, "use", "example1", "--region", "") == ["eu-west-1", "us-east-1"]
    assert bash_candidates(env, "use", "example2", "--region", "") == ["eu-west-1", "ap-southeast-2"]
    assert bash_candidates(env, "use", "--region", "") == []  # no account yet: nothing to offer
    # Fuzzy: "us" is a prefix of us-east-1 and also in order in "eu-west-1"; the prefix match is offered alone.
    assert bash_candidates(env, "use", "example1", "--region", "us") == ["us-east-1"]
    assert bash_candidates(env, "use", "example1", "--region", "ws") == ["eu-west-1"]
    assert bash_candidates(env, "obtain", "example2", "--region", "ap") == ["ap-southeast-2"]


def test_fish_context_mode_and_region_candidates(catalogued, odd_config):
    env = catalogued.env
    assert fish_candidates(env, f"letme use --config '{odd_config}' --context ") == ALL_CONTEXTS
    assert fish_candidates({**env, "LETME_CONFIG": str(odd_config)}, "letme use --context pus") == ["prod-us"]
    assert fish_candidates(env, "letme use --context ") == ["general"]
    with_contexts(catalogued)
    assert fish_candidates(env, "letme config use ") == ["general", "staging", "prod-us"]
    assert fish_candidates(env, "letme use example1 --mode ") == ["process", "profile", "env"]
    assert fish_candidates(env, "letme use example1 --region ") == ["eu-west-1", "us-east-1"]
    assert fish_candidates(env, "letme use example2 --region ") == ["eu-west-1", "ap-southeast-2"]


# ---- real TAB -----------------------------------------------------------------------------------------


def tab(sh: Shell, typed: str) -> list[str]:
    """Type `typed`, press TAB, then make the line `echo <line> > file` and run it: the words TAB left."""
    out = sh.workdir / f"line-{uuid.uuid4().hex[:8]}"
    sh.child.send(typed + "\t")
    time.sleep(0.3)
    # Ctrl-A / Ctrl-E: start and end of the line (emacs keys in all three shells).
    sh.run(f"\x01echo \x05 > {out}")
    return out.read_text().split()


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_tab_completes_context_mode_and_region(name, open_shell, catalogued):
    with_contexts(catalogued)
    sh = open_shell(name)
    if name == "zsh":
        sh.run("bindkey -e")
    assert tab(sh, "letme use --context stg") == ["letme", "use", "--context", "staging"]
    assert tab(sh, "letme config use prus") == ["letme", "config", "use", "prod-us"]
    assert tab(sh, "letme use example1 --mode pcs") == ["letme", "use", "example1", "--mode", "process"]
    assert tab(sh, "letme use example1 --region use") == ["letme", "use", "example1", "--region", "us-east-1"]
    assert tab(sh, "letme use example2 --region ap") == ["letme", "use", "example2", "--region", "ap-southeast-2"]


def test_zsh_completion_autoloaded_from_fpath(open_shell, catalogued, tmp_path):
    """`_letme` in an $fpath directory, found by compinit, with no hook loaded at all."""
    with_contexts(catalogued)
    functions = tmp_path / "zfunc"
    functions.mkdir()
    (functions / "_letme").write_text(resources.path("completions", "_letme").read_text())
    sh = open_shell("zsh", hook=False)
    sh.run(f"bindkey -e; fpath=({functions} $fpath); compinit -u -D")
    registered = sh.workdir / "comps"
    sh.run(f"print -r -- ${{_comps[letme]}} > {registered}")
    assert registered.read_text().strip() == "_letme"
    assert tab(sh, "letme use ex1") == ["letme", "use", "example1"]
    assert tab(sh, "letme use --context stg") == ["letme", "use", "--context", "staging"]
    assert tab(sh, "letme use example1 --mode pcs") == ["letme", "use", "example1", "--mode", "process"]
    assert tab(sh, "letme use example1 --region use") == ["letme", "use", "example1", "--region", "us-east-1"]


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_tab_on_an_ambiguous_fragment_keeps_what_was_typed(name, open_shell):
    """"p1" matches example1 and payments-prod-00001 alike, which share no prefix: TAB lists them and keeps "p1"."""
    sh = open_shell(name)
    if name == "zsh":
        sh.run("bindkey -e")
    assert tab(sh, "letme use p1") == ["letme", "use", "p1"]
    assert tab(sh, "letme use exa") == ["letme", "use", "example"]  # a shared prefix longer than the word: taken
    # "web-d" also has its letters in web-prod-…: prefix matches are offered alone, so TAB extends the word.
    assert tab(sh, "letme use web-d") == ["letme", "use", "web-dev-000"]
    assert tab(sh, "letme use example1 --mo") == ["letme", "use", "example1", "--mode"]


def test_zsh_second_tab_on_an_ambiguous_fragment_starts_the_menu(open_shell, catalogued):
    sh = open_shell("zsh")
    sh.run("bindkey -e")
    names = (catalogued.home / ".cache" / "letme" / "catalog" / "general" / "names").read_text().split()
    first = next(name for name in names if re.search("p.*1", name))  # no prefix or substring match: in file order
    assert tab(sh, "letme use p1\t") == ["letme", "use", first]


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_completion_offers_every_long_option_of_every_command(command):
    """The flags each shell offers after `letme COMMAND -` are the ones argparse accepts for it
    (each option's first long name; aliases such as --inline-mfa and hidden options are not offered)."""
    parser = cli.build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    accepted = {next(o for o in a.option_strings if o.startswith("--")) for a in sub._actions
                if a.help != argparse.SUPPRESS and any(o.startswith("--") for o in a.option_strings)}
    script = 'source "$1"; __letme_flags "$2"; printf "%s\\n" $__letme_flag_list'
    bash = subprocess.run(["bash", "--norc", "-c", script, "bash", str(ROOT / "completions" / "letme.bash"), command],
                          capture_output=True, text=True, timeout=10)
    assert set(bash.stdout.split()) == accepted
    fish = subprocess.run(["fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
                           str(ROOT / "completions" / "letme.fish"), f"letme {command} --"],
                          capture_output=True, text=True, timeout=10)
    assert {row.split("\t")[0] for row in fish.stdout.splitlines()} == accepted


# ---- issue 11, item 12: a fuzzy fragment is kept, `exec NAME --` completes a command, fish's modes -------------

FIFTY = [f"example{i}" for i in range(1, 51)]


def fifty(sandbox) -> None:  # type: ignore[no-untyped-def]
    """A context `fifty` whose catalog is example1 … example50 (its names file: all that completion reads)."""
    directory = sandbox.home / ".cache" / "letme" / "catalog" / "fifty"
    directory.mkdir(parents=True, mode=0o700)
    (directory / "names").write_text("".join(f"{n}\n" for n in sorted(FIFTY)))


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_tab_keeps_a_fuzzy_fragment_whose_matches_share_a_longer_prefix(name, open_shell, catalogued):
    """"xmpl4" matches example4, example14, … example49, which share "example": TAB must not turn the word into
    "example" (dropping the 4), nor "ex4" into "ex" or "example"."""
    fifty(catalogued)
    sh = open_shell(name)
    if name == "zsh":
        sh.run("bindkey -e")
    words = ["letme", "--context", "fifty", "use"]
    assert tab(sh, "letme --context fifty use xmpl4") == [*words, "xmpl4"]
    assert tab(sh, "letme --context fifty use ex4") == [*words, "ex4"]
    assert tab(sh, "letme --context fifty use xmpl45") == [*words, "example45"]  # one match: taken
    assert tab(sh, "letme --context fifty use exa") == [*words, "example"]  # prefix matches: extended


def test_bash_lists_the_fuzzy_matches_and_keeps_the_word(open_shell, catalogued):
    """The second TAB lists them (the first rings the bell); with show-all-if-ambiguous the first TAB lists them;
    with TAB bound to menu-complete, TAB goes through them, in the catalog's order (example14 comes first)."""
    fifty(catalogued)
    sh = open_shell("bash")
    sh.child.send("letme --context fifty use xmpl4\t\t")
    sh.child.expect("example14")
    assert tab(sh, "") == ["letme", "--context", "fifty", "use", "xmpl4"]
    sh.run("bind 'set show-all-if-ambiguous on'")
    sh.child.send("letme --context fifty use ex4\t")
    sh.child.expect("example24")
    assert tab(sh, "") == ["letme", "--context", "fifty", "use", "ex4"]
    sh.run("bind 'set show-all-if-ambiguous off'; bind '\"\\t\": menu-complete'")
    assert tab(sh, "letme --context fifty use xmpl4") == ["letme", "--context", "fifty", "use", "example14"]


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_tab_after_exec_dashdash_completes_a_command_then_its_arguments(name, open_shell, tmp_path):
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = tools / "letmetestcmd-xyz"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    sh = open_shell(name)
    if name == "zsh":
        sh.run("bindkey -e")
    sh.run(f"set -gx PATH {tools} $PATH" if name == "fish" else f"PATH={tools}:$PATH")
    (sh.workdir / "some-file.txt").write_text("")
    words = ["letme", "exec", "example1", "--"]
    assert tab(sh, "letme exec example1 -- letmetestcmd-x") == [*words, "letmetestcmd-xyz"]
    assert tab(sh, "letme exec example1 -- letmetestcmd-xyz some-fi") == [*words, "letmetestcmd-xyz", "some-file.txt"]
    assert tab(sh, "letme exec example1 --region eu-west-1 -- letmetestcmd-x") == [
        "letme", "exec", "example1", "--region", "eu-west-1", "--", "letmetestcmd-xyz"]
    # Before `--`, account names as ever.
    assert tab(sh, "letme exec xmple1") == ["letme", "exec", "example1"]
    if name == "bash":
        # With bash-completion loaded, its _command_offset completes the command line (CMD's own completion),
        # from the word after `--`: a stand-in shows that it is called, and with which offset.
        sh.run("_command_offset() { COMPREPLY=(\"offset-$1\"); }")
        assert tab(sh, "letme exec example1 -- letmetestcmd-x") == [*words, "offset-4"]


def test_fish_describes_each_mode_on_its_own(catalogued):
    result = subprocess.run(["fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
                             str(ROOT / "completions" / "letme.fish"), "letme use example1 --mode "],
                            env=catalogued.env, capture_output=True, text=True, timeout=10)
    rows = dict(row.split("\t", 1) for row in result.stdout.splitlines())
    assert list(rows) == ["process", "profile", "env"]
    assert len(set(rows.values())) == 3, rows
    assert "credential_process" in rows["process"] and "credentials" in rows["profile"] and "AWS_" in rows["env"]


def test_bash_account_completion_under_strict_options_keeps_the_shell_as_it_was(catalogued):
    """`set -euo pipefail`, noglob on or off, nocasematch on: TAB on account names (the awk path), an ambiguous
    fuzzy fragment and `exec NAME --` run clean and leave every option as they found it."""
    fifty(catalogued)
    script = r'''
set -euo pipefail
source "$1"
for noglob in on off; do
    [[ $noglob == on ]] && set -f || set +f
    shopt -s nocasematch
    before="$- $(shopt -p nocasematch)"
    for words in "use ''" "use r" "use xmpl4" "use --context fifty xmpl4" "exec example1 -- ech" \
            "use example1 --region ''"; do
        for type in 63 9; do  # a listing, a plain TAB
            eval "COMP_WORDS=(letme $words)"
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_TYPE=$type
            __letme_complete
            printf '%s|%s|%s\n' "$type" "$words" "${COMPREPLY[*]:0:3}"
        done
    done
    [[ "$- $(shopt -p nocasematch)" == "$before" ]] || { echo "CHANGED: $before -> $- $(shopt -p nocasematch)"; }
done
echo END
'''
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash",
                             str(ROOT / "completions" / "letme.bash")],
                            env=catalogued.env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "END" and not [line for line in lines if line.startswith("CHANGED")], result.stdout
    assert "63|use r|infra-dev-00007 infra-dev-00031 infra-dev-00055" in lines
    assert "9|use r|r r " in lines  # a plain TAB on fuzzy matches keeps the word ("r" and "r ": nothing to insert)
    assert "63|use --context fifty xmpl4|example14 example24 example34" in lines
    assert "9|use --context fifty xmpl4|xmpl4 xmpl4 " in lines
    assert "9|use xmpl4|" in lines  # no match at all: nothing
    assert any(line.startswith("63|exec example1 -- ech|echo") for line in lines)
    assert "63|use example1 --region ''|eu-west-1 us-east-1" in lines

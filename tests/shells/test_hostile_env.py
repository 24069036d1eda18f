"""The hooks in a hostile or unusual shell: strict options, user aliases, prompt_subst, planted LETME_* values.

The hook is loaded into real interactive bash, zsh and fish (pexpect) the way the
README says (`eval "$(...)"` for bash and zsh), after the user's own set-up: strict
options (`set -euo pipefail`, zsh `err_exit`, `prompt_subst`, ...), aliases for the
words the hook uses, or exported values shaped to run a command when a shell
evaluates them. Whatever would run code creates a canary file; it must never
appear, the shell must stay alive with its options as the user set them, and each
prompt must come back without an error line.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import hostile
from tests.shells.harness import Shell, hook_text

SHELLS = ["bash", "zsh", "fish"]
MFA = "--mfa-code 123456"
# What a shell prints when something in the hook went wrong at a prompt.
SHELL_ERRORS = re.compile(r"bash: |zsh: |fish: |__letme_\w+:\d+:|command not found|syntax error|parse error|"
                          r"bad math|math: |invalid integer|Missing argument|not a (valid|number)|in function|"
                          r"usage:", re.I)


@pytest.fixture
def start(catalogued, tmp_path) -> Iterator[Callable[..., Shell]]:
    """Open a real interactive shell with `env` added to the sandbox's and `drop` removed from it."""
    opened: list[Shell] = []

    def open_(name: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
              **kwargs: object) -> Shell:
        full = {k: v for k, v in catalogued.env.items() if k not in drop}
        full.update(env or {})
        shell = Shell(name, full, tmp_path / f"work-{name}-{len(opened)}", **kwargs)  # type: ignore[arg-type]
        opened.append(shell)
        return shell

    yield open_
    for shell in opened:
        shell.close()


def load_hook(sh: Shell) -> str:
    """Load the hook as the README says: eval "$(letme hook SHELL)" in bash and zsh (the text read from a file,
    so the alias tests need no working `letme` before it loads), `letme hook fish | source` in fish."""
    sh.hook_file.write_text(hook_text(sh.name, sh.child.env))  # type: ignore[arg-type]
    if sh.name == "fish":
        return sh.run(f"builtin source {sh.hook_file}")
    # \eval: the alias tests alias `eval` too, which would change the user's own rc line, not the hook.
    return sh.run(f'\\eval "$(<{sh.hook_file})"')


def options(sh: Shell) -> str:
    """Every option the shell has, as text: the hook must leave it exactly as it was."""
    out = sh.workdir / f"opts-{time.monotonic_ns()}"
    if sh.name == "bash":
        sh.run(f"{{ printf '%s\\n' \"$-\"; shopt -p; set +o; }} > {out}")
    elif sh.name == "zsh":
        sh.run(f"{{ print -r -- $-; setopt; }} > {out}")
    else:
        sh.run(f"status features > {out}")
    return out.read_text()


# ---- 6a: no abbreviated option is ever read as another one --------------------------------------------------

@pytest.mark.parametrize("name", SHELLS)
def test_abbreviated_help_is_a_usage_error_and_nothing_is_evaluated(name, start):
    sh = start(name)
    out = sh.workdir / "out"
    assert sh.status(f"letme use --he > {out} 2>&1") == 2
    lines = out.read_text().splitlines()
    assert [line for line in lines if line.startswith("letme: error:")] == \
        ["letme: error: unrecognized arguments: --he"], lines
    assert all(line.startswith("letme: ") for line in lines), lines  # no help text, no shell complaining about it


@pytest.mark.parametrize("name", SHELLS)
@pytest.mark.parametrize("flag", ["-v", "--version", "--help"])
def test_version_and_help_before_the_command_are_printed_not_evaluated(name, flag, start):
    sh = start(name)
    out = sh.workdir / "out"
    assert sh.status(f"letme {flag} use > {out} 2>&1") == 0
    text = out.read_text()
    assert text.startswith("letme 0." if "v" in flag else "usage: letme"), text
    # Only letme's text: had it been evaluated, the shell would have complained about its words.
    assert not [line for line in text.splitlines()
                if line.startswith(("bash:", "zsh:", "fish:", "letme: error")) or "not found" in line], text


@pytest.mark.parametrize("name,other", [("bash", "fish"), ("zsh", "fish"), ("fish", "bash")])
def test_abbreviated_shell_option_is_refused_and_changes_nothing(name, other, start):
    """zsh evaluated fish code for `--shel fish` (`set -e -g ...` turned on errexit and xtrace)."""
    sh = start(name)
    before = options(sh)
    out = sh.workdir / "out"
    assert sh.status(f"letme use example1 {MFA} --shel {other} > {out} 2>&1", timeout=30) == 2
    assert f"letme: error: unrecognized arguments: --shel {other}" in out.read_text()
    assert options(sh) == before
    for var in ("LETME_ACCOUNT", "AWS_PROFILE"):
        assert sh.getenv(var) is None, var


# ---- 6b: the hook loads over the user's aliases, and the aliases keep working ---------------------------------

def _aliases(name: str, canary: Path) -> str:
    """The user's `letme` alias, plus aliases for words the hook uses: each would create the canary."""
    trap = f"touch {canary};"
    if name == "bash":
        words = ["command", "local", "read", "eval", "export", "unset", "shopt", "mapfile", "compopt", "complete",
                 "grep", "awk", "compgen", "return", "case", "for", "while", "function"]
        return "alias letme='letme --context general'; " + " ".join(f"alias {w}='{trap} {w}';" for w in words)
    words = ["command", "local", "read", "eval", "export", "unset", "emulate", "setopt", "typeset", "print",
             "return", "zmodload", "autoload", "add-zsh-hook", "compdef", "compadd", "shift", "builtin", "true"]
    return ("alias letme='letme --context general'; " + " ".join(f"alias {w}='{trap} {w}';" for w in words)
            # oh-my-zsh's common-aliases plugin: global aliases, expanded in any position
            + " alias -g G='| grep' H='| head' L='| less' NUL='> /dev/null 2>&1'")


@pytest.mark.parametrize("name", ["bash", "zsh"])
def test_hook_loads_over_an_alias_for_letme_and_for_the_words_it_uses(name, start, tmp_path):
    canary = tmp_path / hostile.CANARY_NAME
    sh = start(name, hook=False, before_hook=_aliases(name, canary))
    loaded = load_hook(sh)
    assert not SHELL_ERRORS.search(loaded), loaded
    check = "declare -F letme" if name == "bash" else "(( $+functions[letme] ))"
    assert sh.status(check) == 0, "the letme function is not defined"
    # The alias adds --context general; the function sees it and evaluates what `use` prints.
    assert sh.status(f"letme use example1 {MFA}", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    assert sh.getenv("LETME_ACTIVE_CONTEXT") in ("general", None)
    assert re.fullmatch(r"\[aws:example1 (59m|1h00m)\]", sh.segment() or "")
    assert sh.status("letme leave") == 0
    assert sh.getenv("LETME_ACCOUNT") is None
    assert not canary.exists(), "an alias was expanded inside the hook"
    if name == "bash":
        # TAB, through the alias. (Not in zsh: its own completion system evaluates `local ...` with the
        # user's aliases on every TAB, letme or not.)
        sh.child.send("letme use exa\t")
        time.sleep(0.5)
        sh.run("\x15")  # clear the line
        assert not canary.exists(), "an alias was expanded inside the completion"
    alias_out = sh.workdir / "alias"
    sh.run(f"alias letme > {alias_out}")
    assert "letme --context general" in alias_out.read_text()  # the user's alias is still there


def test_fish_hook_works_over_user_functions_for_the_commands_it_uses(start, tmp_path):
    """fish has no aliases, but functions of the same name shadow commands such as `date` or `source` (not `set`,
    `string` or `test`, which fish reserves). Only words fish's own prompt code does not use itself: a function
    named `math`, `contains` or `echo` runs at every prompt, letme or not."""
    canary = tmp_path / hostile.CANARY_NAME
    user = (f"function date; touch {canary}; command date $argv; end; "
            + "; ".join(f"function {w}; touch {canary}; builtin {w} $argv; end" for w in ["disown", "source"]))
    sh = start("fish", hook=False, before_hook=user)
    assert not SHELL_ERRORS.search(load_hook(sh))
    assert sh.status(f"letme use example1 {MFA}", timeout=30) == 0
    for _ in range(3):
        assert re.fullmatch(r"\[aws:example1 (59m|1h00m)\]", sh.segment() or "")
    sh.run("set -gx LETME_REFRESH_AT 1; set -g __letme_exe true")  # the refresh path: starts `true`, disowned
    sh.run("")
    assert not canary.exists(), "a user function shadowed a command inside the hook"


# ---- 6c: strict options: the hook never ends or reconfigures the shell -------------------------------------

STRICT = {
    "bash": "set -euo pipefail; set -E; trap 'touch {err}' ERR",
    "zsh": "setopt err_exit no_unset pipe_fail ksh_arrays sh_word_split warn_create_global prompt_subst; "
           "trap 'touch {err}' ZERR",
}
# A prompt hook of the user's, after letme's: it must see the status of the command before the prompt.
SEEN = {
    "bash": "__user_pc() {{ local s=$?; printf '%s\\n' \"$s\" >> {seen}; }}; PROMPT_COMMAND=__user_pc",
    "zsh": "__user_pc() {{ print -r -- $? >> {seen} }}",
}


@pytest.mark.parametrize("name", ["bash", "zsh"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_strict_options_never_end_or_reconfigure_the_shell(name, when, start, tmp_path):
    err, seen = tmp_path / "ERR-TRAP-RAN", tmp_path / "seen"
    strict = STRICT[name].format(err=err)
    user_hook = SEEN[name].format(seen=seen)
    sh = start(name, hook=False, before_hook=user_hook + ("; " + strict if when == "before" else ""))
    assert not SHELL_ERRORS.search(load_hook(sh))
    if name == "zsh":
        sh.run("precmd_functions+=(__user_pc)")  # runs after letme's
    if when == "after":
        sh.run(strict)
    before = options(sh)
    printed = sh.run("false && true")
    printed += sh.run("(exit 3) && :")
    printed += sh.run("letme use nosuch || :", timeout=30)
    printed += sh.run(f"letme use example1 {MFA}", timeout=30)
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    for _ in range(3):
        assert re.fullmatch(r"\[aws:example1 (59m|1h00m)\]", sh.segment() or "")
    printed += sh.run("letme leave")
    assert sh.child.isalive()
    assert sh.status("true") == 0
    assert options(sh) == before
    assert not err.exists(), "the hook ran a failing command (the user's ERR trap fired)"
    assert not SHELL_ERRORS.search(printed), printed
    # The user's own prompt hook saw each command's status: 1 for `false && true`, then 3.
    statuses = seen.read_text().split()
    assert "1" in statuses and "3" in statuses, statuses
    assert statuses.index("3") > statuses.index("1")


# ---- 7: values from the environment are validated; prompt expansion never evaluates the segment -------------

def _cases(canary: Path) -> dict[str, dict[str, str]]:
    """Each case: one way in, over otherwise valid values so that the code path is reached."""
    run = f"$(touch {canary})"
    arith = f"a[$(touch {canary})]"
    now = int(time.time())
    valid = {"LETME_ACCOUNT": "example1", "LETME_EXPIRES": str(now + 600), "LETME_REFRESH_AT": str(now + 300)}
    return {
        # arithmetic evaluation (bash, zsh) and `test` (fish)
        "warn-seconds": {**valid, "LETME_PROMPT_WARN_SECONDS": arith},
        "shell-depth": {**valid, "LETME_SHELL_DEPTH": arith},
        "refresh-at": {**valid, "LETME_REFRESH_AT": arith},
        "refresh-at-octal": {**valid, "LETME_REFRESH_AT": "09"},
        # the refresh path compares the renewed expiry with LETME_EXPIRES (a status file says `ok`)
        "expires": {**valid, "LETME_EXPIRES": arith, "LETME_REFRESH_AT": "1"},
        "expires-octal": {**valid, "LETME_EXPIRES": "08", "LETME_REFRESH_AT": "1"},
        "expires-huge": {**valid, "LETME_EXPIRES": "9" * 40},
        # spliced into the prompt: prompt_subst would run it
        "account": {**valid, "LETME_ACCOUNT": f"x{run}`touch {canary}`"},
        "account-path": {**valid, "LETME_ACCOUNT": "../../../x", "LETME_REFRESH_AT": "1"},
        # a regex's $ may match before a final newline (fish's PCRE2, .NET)
        "account-newline": {**valid, "LETME_ACCOUNT": "example1\n", "LETME_REFRESH_AT": "1"},
        # another context's account is NAME@CONTEXT, and nothing else with an @
        "account-context": {**valid, "LETME_ACCOUNT": "example1@b"},
        "account-two-contexts": {**valid, "LETME_ACCOUNT": "example1@b@c", "LETME_REFRESH_AT": "1"},
        "account-context-path": {**valid, "LETME_ACCOUNT": "example1@../../x", "LETME_REFRESH_AT": "1"},
        "expires-newline": {**valid, "LETME_EXPIRES": f"{now + 600}\n"},
        "context-path": {**valid, "LETME_ACTIVE_CONTEXT": "../../x", "LETME_REFRESH_AT": "1"},
        "format": {**valid,
                   "LETME_PROMPT_FORMAT": f"<{run} `touch {canary}` ${{LETME_ACCOUNT}} %F{{red}} {{account}}>"},
        "colors": {**valid, "LETME_PROMPT_COLOR": f"36{run}", "LETME_PROMPT_WARN_COLOR": f"33%}}{run}%{{",
                   "LETME_PROMPT_PROD_COLOR": f"31`touch {canary}`"},
        "warn-color": {**valid, "LETME_EXPIRES": str(now + 100), "LETME_PROMPT_WARN_COLOR": f"33m\a{run}"},
        "prod-color": {**valid, "LETME_PROD": "1", "LETME_PROMPT_PROD_COLOR": f"31;{run}"},
        # shown when the identity is stale (`≠ PROFILE`): another tool's value, never run or shown raw
        "aws-profile": {**valid, "LETME_MODE": "process", "AWS_PROFILE": f"x{run}`touch {canary}`%F{{red}}"},
        "aws-default-profile": {**valid, "LETME_MODE": "profile", "AWS_PROFILE": "example1",
                                "AWS_DEFAULT_PROFILE": f"\x1b]0;{run}\a"},
        "letme-access-key-id": {**valid, "LETME_MODE": "env", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                                "LETME_ACCESS_KEY_ID": f"{arith}"},
        # per-directory accounts: LETME_DIR is only tested for being set, the mark is text, LETME_DIRS a string
        "dir": {**valid, "LETME_DIR": f"/x/{run}`touch {canary}`/.letme", "LETME_DIRS": arith},
        "dir-mark": {**valid, "LETME_DIR": "/x/.letme",
                     "LETME_PROMPT_DIR_MARK": f"<{run}`touch {canary}`${{LETME_ACCOUNT}}%F{{red}}\a\x1b[31m>"},
        # the line before a command on expired credentials (bash: PS0 arithmetic on a checked number)
        "expired": {**valid, "LETME_EXPIRES": str(now - 5), "LETME_ACCOUNT": f"x{run}"},
    }


# (shell, when zsh turns on prompt_subst)
VARIANTS = [("bash", ""), ("fish", ""), ("zsh", "before"), ("zsh", "after")]
EXPECTED_SEGMENT = {
    "account": r"\[aws:\? (9|10)m\]",
    "account-path": r"\[aws:\? (9|10)m\]",
    "account-newline": r"\[aws:\? (9|10)m\]",
    "account-context": r"\[aws:example1@b (9|10)m\]",
    "account-two-contexts": r"\[aws:\? (9|10)m\]",
    "account-context-path": r"\[aws:\? (9|10)m\]",
    "expires-newline": r"\[aws:example1 \?\]",
    "warn-seconds": r"\[aws:example1 (9|10)m\]",
    "shell-depth": r"\[aws:example1 (9|10)m\]",
    "expires": r"\[aws:example1 \?\]",
    "expires-octal": r"\[aws:example1 \?\]",
    "expires-huge": r"\[aws:example1 \?\]",
    "aws-profile": r"\[aws:example1 ≠ \?\]",
    "aws-default-profile": r"\[aws:example1 ≠ \?\]",
    "letme-access-key-id": r"\[aws:example1 ≠ keys\]",
    "expired": r"\[aws:\? expired\]",
    "dir": r"\[aws:example1 (9|10)m \.letme\]",
    # control characters dropped, the rest shown as it is (% and ! too, in zsh)
    "dir-mark": r"\[aws:example1 (9|10)m <\$\(touch [^)]*\)`touch [^`]*`\$\{LETME_ACCOUNT\}%F\{red\}\[31m>\]",
}


@pytest.mark.parametrize("case", list(_cases(Path("/x"))))
@pytest.mark.parametrize("name,subst", VARIANTS, ids=["bash", "fish", "zsh-subst-before", "zsh-subst-after"])
def test_hostile_environment_values_run_nothing(name, subst, case, start, tmp_path):
    canary = tmp_path / hostile.CANARY_NAME
    env = _cases(canary)[case]
    colours = case in ("colors", "warn-color", "prod-color")
    sh = start(name, env=env, drop=("NO_COLOR",) if colours else (), hook=False,
               before_hook="setopt prompt_subst" if subst == "before" else "")
    printed = load_hook(sh)
    if subst == "after":
        printed += sh.run("setopt prompt_subst")
    # The background renewal starts `true` instead of letme, and its status file says `ok`, renewed far ahead:
    # the next prompt compares that expiry with LETME_EXPIRES.
    sh.run("set -g __letme_exe true" if name == "fish" else "__letme_exe=true")
    state = sh.getenv("__letme_state_dir")
    assert state
    status_file = Path(state) / "refresh" / "general" / "example1"
    status_file.parent.mkdir(parents=True, exist_ok=True)
    printed += sh.run("")
    status_file.write_text(f"ok {int(time.time()) + 10} {int(time.time()) + 99999}\n")
    for _ in range(3):
        printed += sh.run("")
    segment = sh.segment()
    assert sh.status("true") == 0
    assert not canary.exists(), f"{case}: a value from the environment was run"
    assert not SHELL_ERRORS.search(printed), printed
    if case in EXPECTED_SEGMENT:
        assert re.fullmatch(EXPECTED_SEGMENT[case], segment or ""), segment
    if colours:
        # An invalid colour counts as unset (the default colour); nothing of it reaches the terminal.
        default = {"colors": "36", "warn-color": "33", "prod-color": "31"}[case]
        assert f"\x1b[{default}m[aws:example1" in printed, printed
        assert "touch" not in printed and "%}" not in printed and "\a[aws" not in printed, printed


@pytest.mark.parametrize("name", SHELLS)
@pytest.mark.parametrize("planted", ["fifo", "foreign"])
def test_a_status_file_planted_by_someone_else_is_not_read(name, planted, start, tmp_path):
    """The refresh status file is read at a prompt: a FIFO there would hang `read` for good; a file another
    user owns is not the background renewal's answer."""
    if planted == "foreign" and os.geteuid() != 0:
        pytest.skip("chown to another uid needs root (CI runs as root)")
    now = int(time.time())
    sh = start(name, env={"LETME_ACCOUNT": "example1", "LETME_EXPIRES": str(now + 600),
                          "LETME_REFRESH_AT": str(now + 500)}, hook=False)
    load_hook(sh)
    # A stand-in for letme that only records how the hook called it.
    calls = tmp_path / "calls"
    exe = tmp_path / "fake-letme"
    exe.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    exe.chmod(0o755)
    sh.run(f"set -g __letme_exe {exe}" if name == "fish" else f"__letme_exe={exe}")
    sh.run("set -gx LETME_REFRESH_AT 1" if name == "fish" else "export LETME_REFRESH_AT=1")
    state = sh.getenv("__letme_state_dir")
    assert state
    status_file = Path(state) / "refresh" / "general" / "example1"
    status_file.parent.mkdir(parents=True, exist_ok=True)
    printed = sh.run("")  # starts the (stand-in) renewal
    if planted == "fifo":
        os.mkfifo(status_file)
    else:
        status_file.write_text(f"ok {now + 10} {now + 99999}\n")
        os.chown(status_file, 4242, 4242)
    for _ in range(3):
        printed += sh.run("", timeout=5)  # a hung `read` times out here
    assert sh.status("true") == 0
    assert "letme" not in printed.replace("letme hook", ""), printed  # no renewal message
    assert "refresh --background" in calls.read_text()  # the control: the hook did call the stand-in
    assert "--apply" not in calls.read_text()  # and applied nothing it read there


TRACE_ON = {"bash": "set -x", "zsh": "setopt xtrace", "fish": "set -g fish_trace 1"}
TRACE_OFF = {"bash": "set +x", "zsh": "unsetopt xtrace", "fish": "set -e fish_trace"}


@pytest.mark.parametrize("name", SHELLS)
def test_tracing_never_prints_the_keys_use_evaluates(name, start):
    sh = start(name)
    transcript = io.StringIO()
    sh.child.logfile_read = transcript  # everything the terminal showed
    sh.run(TRACE_ON[name])
    sh.run(f"letme use example1 --mode env {MFA}", timeout=60)
    sh.run("true")
    sh.run(TRACE_OFF[name])
    sh.child.logfile_read = None
    secret, token = sh.getenv("AWS_SECRET_ACCESS_KEY"), sh.getenv("AWS_SESSION_TOKEN")
    assert secret and token  # the control: the switch happened
    shown = transcript.getvalue()
    assert "__letme_eval" in shown  # and tracing was on while the hook ran
    assert secret not in shown and token[:40] not in shown, "a key reached the terminal through tracing"
    # The user's tracing is on again once the hook's function has returned.
    still = {"bash": "[[ $- == *x* ]]", "zsh": "[[ -o xtrace ]]", "fish": "true"}[name]
    sh.run(TRACE_ON[name])
    sh.run(f"letme use example1 --mode env {MFA}", timeout=60)
    assert sh.status(still) == 0


@pytest.mark.parametrize("name,option", [("bash", "set +o interactive-comments"), ("zsh", "setopt sh_glob"),
                                         ("zsh", "setopt ksh_glob no_extended_glob")])
def test_the_hook_loads_under_options_that_change_how_it_is_read(name, option, start):
    sh = start(name, hook=False, before_hook=option)
    before = options(sh)
    printed = load_hook(sh)
    assert not SHELL_ERRORS.search(printed), printed
    assert options(sh) == before  # the user's reading options are theirs again
    assert sh.status(f"letme use example1 {MFA}", timeout=60) == 0
    segment = sh.segment()
    assert segment is not None and segment.startswith("[aws:example1 "), segment

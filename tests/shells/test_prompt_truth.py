"""The prompt tells the truth (issue 11, items 1-3), in real bash, zsh and fish driven by pexpect.

1. The segment survives tools that rewrite the prompt after the hook loaded, without doubling:
   git-prompt (`PROMPT_COMMAND='__git_ps1 ...'`), bash-preexec with a precmd that assigns PS1, a zsh theme
   whose precmd assigns PROMPT, a fish_prompt defined after the hook. `letme doctor` checks the prompt the
   user sees (the hook hands it the state of the last prompt) and warns when the segment is not in it.
2. When the AWS variables no longer select what letme set (`export AWS_PROFILE=default`, another tool's
   AWS_ACCESS_KEY_ID), the segment says so: `[aws:example1 ≠ default]`, `[aws:example1 ≠ keys]`.
3. zsh keeps the countdown current while it waits for input (a sched event and `zle reset-prompt`, only while
   an account is shown; the user's TMOUT, TRAPALRM and sched events stay); every shell prints one line naming
   `letme refresh` before a command runs on expired credentials.

The stand-ins behave as the real tools do where it matters here: __git_ps1 in PROMPT_COMMAND mode assigns
PS1 = pre + git state + post and keeps $?; bash-preexec's install rewrites PROMPT_COMMAND (its precmd runner
first, `__bp_interactive_mode` last: an array element in bash >= 5.1 for the current release, inside the
string for 0.4.x) and sets a DEBUG trap that runs preexec functions once per command line.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.shells.harness import PROMPT, SENTINEL, Shell

SHELLS = ["bash", "zsh", "fish"]
MFA = "--mfa-code 123456"
SEGMENT = re.compile(r"\[aws:[^\]\r\n]*\]")

# git-prompt.sh's __git_ps1 in PROMPT_COMMAND mode (two arguments), outside a repository: PS1 = pre + post.
GIT_PS1 = r"""__git_ps1() {
    local exit=$?
    PS1="$1$2"
    return $exit
}"""
GIT_PROMPT_COMMAND = f"PROMPT_COMMAND='__git_ps1 \"\\u@\\h:\\w \" \"{SENTINEL}\"'"
REAL_GIT_PROMPT = Path("/usr/lib/git-core/git-sh-prompt")

# bash-preexec, reduced to what touches the prompt: a deferred install (at the first prompt, as the real one
# does) that puts __bp_precmd_invoke_cmd first and __bp_interactive_mode last in PROMPT_COMMAND, and a DEBUG
# trap that calls the preexec functions once per command line, skipping prompt-time commands the way the
# real one does (not a terminal on stdout, not in interactive mode, or one of PROMPT_COMMAND's commands).
BASH_PREEXEC = r"""__bp_imported=defined
__bp_preexec_interactive_mode=''
__bp_precmd_invoke_cmd() {
    __bp_last_ret_value=$?
    local f
    for f in "${precmd_functions[@]}"; do
        if type -t "$f" >/dev/null; then __bp_set_ret_value "$__bp_last_ret_value"; "$f"; fi
    done
    __bp_set_ret_value "$__bp_last_ret_value"
}
__bp_set_ret_value() { return ${1:+"$1"}; }
__bp_interactive_mode() { __bp_preexec_interactive_mode=on; }
__bp_in_prompt_command() {
    local commands c IFS=$'\n;'
    read -rd '' -a commands <<< "${PROMPT_COMMAND[*]:-}"
    for c in "${commands[@]:-}"; do
        c=${c#"${c%%[![:space:]]*}"}; c=${c%"${c##*[![:space:]]}"}
        [[ $c == "$1" ]] && return 0
    done
    return 1
}
__bp_preexec_invoke_exec() {
    [[ -t 1 ]] || return
    [[ -z ${COMP_LINE:-} ]] || return
    [[ -n $__bp_preexec_interactive_mode ]] || return
    __bp_preexec_interactive_mode=''
    __bp_in_prompt_command "${BASH_COMMAND:-}" && return
    local this_command f
    this_command=$(HISTTIMEFORMAT='' builtin history 1 | sed '1 s/^ *[0-9][0-9]*[* ] //')
    [[ -n $this_command ]] || return
    for f in "${preexec_functions[@]:-}"; do
        if type -t "$f" >/dev/null; then "$f" "$this_command"; fi
    done
}
__bp_install() {
    trap '__bp_preexec_invoke_exec "$_"' DEBUG
    local existing=${PROMPT_COMMAND:-}
    existing=${existing//__bp_install/}
    existing=${existing#"${existing%%[![:space:];]*}"}; existing=${existing%"${existing##*[![:space:];]}"}
    PROMPT_COMMAND=__bp_precmd_invoke_cmd${existing:+$'\n'$existing}
    if [[ $__bp_style == array ]]; then
        PROMPT_COMMAND+=(__bp_interactive_mode)
    else
        PROMPT_COMMAND+=$'\n__bp_interactive_mode'
    fi
    __bp_precmd_invoke_cmd
    __bp_interactive_mode
}
PROMPT_COMMAND+=$'\n__bp_install'"""


@pytest.fixture
def start(catalogued, tmp_path) -> Iterator[Callable[..., Shell]]:
    """Open a real interactive shell; `env` is added to the sandbox's, `drop` taken from it."""
    opened: list[Shell] = []
    (catalogued.home / ".zshrc").write_text("")

    def open_(name: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (), **kwargs: object) -> Shell:
        full = {k: v for k, v in catalogued.env.items() if k not in drop}
        full.update(env or {})
        shell = Shell(name, full, tmp_path / f"work-{name}-{len(opened)}", **kwargs)  # type: ignore[arg-type]
        opened.append(shell)
        return shell

    yield open_
    for shell in opened:
        shell.close()


def prompt_line(sh: Shell) -> str:
    """The next prompt as the terminal shows it (its last line, up to the sentinel), after an empty command."""
    sh.child.sendline("")
    sh.child.expect_exact(SENTINEL)
    return sh.child.before.rsplit("\n", 1)[-1] + SENTINEL


def segments(sh: Shell) -> list[str]:
    return SEGMENT.findall(prompt_line(sh))


def doctor_prompt_check(sh: Shell) -> dict[str, str]:
    out = sh.workdir / f"doctor-{time.monotonic_ns()}.json"
    sh.run(f"letme doctor --json --no-network > {out}", timeout=30)
    return next(c for c in json.loads(out.read_text())["checks"] if c["name"] == "prompt")


def use(sh: Shell, *args: str) -> None:
    assert sh.status(f"letme use {' '.join(args)} {MFA}", timeout=30) == 0


FRESH = re.compile(r"\[aws:example1 (59m|1h00m)\]")


# ---- 1. tools that rewrite the prompt after the hook -------------------------------------------------------

@pytest.mark.parametrize("git", ["stand-in", "git-sh-prompt"])
def test_bash_segment_survives_git_prompt_set_after_the_hook(git, start):
    if git == "git-sh-prompt" and not REAL_GIT_PROMPT.exists():
        pytest.skip("git's own git-sh-prompt is not installed")
    sh = start("bash")
    if git == "stand-in":
        sh.run(GIT_PS1)
    else:
        sh.run(f"git init -q . && source {REAL_GIT_PROMPT}")
    sh.run(GIT_PROMPT_COMMAND)  # as ~/.bashrc would, after the hook's line
    use(sh, "example1")
    for _ in range(3):
        line = prompt_line(sh)
        assert len(SEGMENT.findall(line)) == 1, line
        assert FRESH.search(line), line
    assert doctor_prompt_check(sh)["status"] == "ok"
    if git == "git-sh-prompt":
        assert re.search(r"\((main|master)\)", prompt_line(sh))  # the real __git_ps1 did draw its part


@pytest.mark.parametrize("style", ["array", "string"])
def test_bash_segment_survives_bash_preexec_and_leaves_its_preexec_working(style, start):
    """bash-preexec loaded after the hook, with a precmd function that assigns PS1 (a theme). `array` is the
    current bash-preexec (its __bp_interactive_mode a PROMPT_COMMAND element of its own), `string` 0.4.x
    (all in one string, as iTerm2's shell integration still carries): there the hook's entry runs after
    __bp_interactive_mode, and must not be taken for the user's command by the DEBUG trap."""
    sh = start("bash")
    seen = sh.workdir / "preexec"
    sh.run(f"__bp_style={style}")
    sh.run(BASH_PREEXEC)
    sh.run(f"__theme() {{ PS1='\\u {SENTINEL}'; }}; precmd_functions+=(__theme); "
           f"__rec() {{ printf 'preexec %s\\n' \"$1\" >> {seen}; }}; preexec_functions+=(__rec)")
    use(sh, "example1")
    for _ in range(3):
        line = prompt_line(sh)
        assert len(SEGMENT.findall(line)) == 1, line
        assert FRESH.search(line), line
    seen.unlink()
    sh.run(f"echo ran-one >> {seen}")
    sh.run(f"echo ran-two >> {seen}")
    # Each command line's preexec ran before it (not at the next prompt), once, and nothing of letme's was
    # taken for a command line. (The harness's own `echo MARKER` lines come in between.)
    typed = [line for line in seen.read_text().splitlines()
             if not re.fullmatch(r"preexec echo [0-9a-f]{16}''[0-9a-f]{16}", line)]
    assert typed == [f"preexec echo ran-one >> {seen}", "ran-one", f"preexec echo ran-two >> {seen}", "ran-two"], \
        seen.read_text()
    assert doctor_prompt_check(sh)["status"] == "ok"


@pytest.mark.parametrize("subst", [False, True], ids=["plain", "prompt_subst"])
def test_zsh_segment_survives_a_theme_precmd_added_after_the_hook(subst, start):
    sh = start("zsh")
    if subst:
        sh.run("setopt prompt_subst")
    use(sh, "example1")
    # A theme (pure, spaceship and others) assigns PROMPT in a precmd function of its own. The very first
    # prompt after it was added already has the segment.
    sh.child.sendline(f"__theme_precmd() {{ PROMPT='%n {SENTINEL}' }}; autoload -Uz add-zsh-hook; "
                      "add-zsh-hook precmd __theme_precmd")
    sh.child.expect_exact("add-zsh-hook precmd")  # the line as typed, its end, then its prompt
    sh.child.expect_exact("\r\n")
    sh.child.expect_exact(SENTINEL)
    first = sh.child.before.rsplit("\n", 1)[-1]
    themed = re.compile(FRESH.pattern + r" \S+ " + re.escape(SENTINEL))  # the segment, then the theme's prompt
    assert len(SEGMENT.findall(first)) == 1 and themed.search(first + SENTINEL), first
    for _ in range(3):
        line = prompt_line(sh)
        assert len(SEGMENT.findall(line)) == 1 and themed.search(line), line
    assert doctor_prompt_check(sh)["status"] == "ok"


def test_fish_segment_survives_a_fish_prompt_defined_after_the_hook(start):
    sh = start("fish")
    sh.run(f"function fish_prompt; printf '%s {SENTINEL}' theme; end")
    use(sh, "example1")
    for _ in range(3):
        line = prompt_line(sh)
        assert len(SEGMENT.findall(line)) == 1, line
        assert FRESH.search(line) and "theme " in line, line
    # And once more: a second theme replaces the first.
    sh.run(f"function fish_prompt; printf '%s {SENTINEL}' other; end")
    line = prompt_line(sh)
    assert len(SEGMENT.findall(line)) == 1 and "other " in line and "theme" not in line, line
    assert doctor_prompt_check(sh)["status"] == "ok"


# What removes the segment for good: the hook's prompt function no longer runs, or runs before the prompt
# is rewritten. Doctor must then say so.
DEFEATED = {
    "bash": ["PROMPT_COMMAND=('PS1=\"LETME-TEST-PS1> \"')",  # an array assignment replaces every element
             "PROMPT_COMMAND+=('PS1=\"LETME-TEST-PS1> \"')"],  # appended after the hook's entry
    "zsh": [f"__theme_precmd() {{ PROMPT='{SENTINEL}' }}; precmd_functions=(__theme_precmd)"],
    # A theme that redefines fish_prompt in a fish_prompt event handler of its own, after the hook's.
    "fish": [f"function __theme --on-event fish_prompt; function fish_prompt; printf '{SENTINEL}'; end; end"],
}


@pytest.mark.parametrize("name,defeat", [(n, d) for n, ds in DEFEATED.items() for d in ds])
def test_doctor_warns_when_the_prompt_the_user_sees_has_no_segment(name, defeat, start):
    sh = start(name)
    use(sh, "example1")
    check = doctor_prompt_check(sh)
    assert check["status"] == "ok", check
    assert "example1" in check["message"]
    sh.run(defeat)
    assert segments(sh) == []  # what the user sees
    check = doctor_prompt_check(sh)
    assert check["status"] == "warn", check
    assert check["fix"], check
    # LETME_PROMPT=0 is a choice, not a fault.
    sh.run("set -gx LETME_PROMPT 0" if name == "fish" else "export LETME_PROMPT=0")
    assert doctor_prompt_check(sh)["status"] == "ok"


@pytest.mark.parametrize("name", SHELLS)
def test_doctor_without_the_hook_does_not_judge_the_prompt(name, start):
    sh = start(name)
    out = sh.workdir / "doctor.json"
    sh.run(f"command letme doctor --json --no-network > {out}", timeout=30)
    check = next(c for c in json.loads(out.read_text())["checks"] if c["name"] == "prompt")
    assert check["status"] == "skip", check


# ---- 2. a stale identity -------------------------------------------------------------------------------------

def _export(sh: Shell, name: str, value: str | None) -> None:
    if sh.name == "fish":
        sh.run(f"set -gx {name} '{value}'" if value is not None else f"set -e {name}")
    else:
        sh.run(f"export {name}='{value}'" if value is not None else f"unset {name}")


@pytest.mark.parametrize("name", SHELLS)
def test_segment_says_when_the_profile_is_no_longer_letmes(name, start):
    sh = start(name)
    use(sh, "example1")  # process mode: AWS_PROFILE=example1
    assert FRESH.fullmatch(segments(sh)[0])
    _export(sh, "AWS_PROFILE", "default")
    assert segments(sh) == ["[aws:example1 ≠ default]"]
    _export(sh, "AWS_PROFILE", None)  # no profile at all: the SDKs take [default]
    assert segments(sh) == ["[aws:example1 ≠ default]"]
    _export(sh, "AWS_PROFILE", "example1")
    assert FRESH.fullmatch(segments(sh)[0])
    _export(sh, "AWS_DEFAULT_PROFILE", "ops")  # boto3 reads it before AWS_PROFILE
    assert segments(sh) == ["[aws:example1 ≠ ops]"]
    _export(sh, "AWS_DEFAULT_PROFILE", None)
    _export(sh, "AWS_ACCESS_KEY_ID", "AKIAOTHERTOOL0000000")  # static keys beat any profile
    assert segments(sh) == ["[aws:example1 ≠ keys]"]
    _export(sh, "AWS_ACCESS_KEY_ID", None)
    assert FRESH.fullmatch(segments(sh)[0])


@pytest.mark.parametrize("name", SHELLS)
def test_segment_says_when_the_keys_are_no_longer_letmes(name, start):
    sh = start(name)
    use(sh, "example1", "--mode env")
    key = sh.getenv("AWS_ACCESS_KEY_ID")
    assert key and sh.getenv("LETME_ACCESS_KEY_ID") == key  # the key id letme set (not a secret)
    assert FRESH.fullmatch(segments(sh)[0])
    _export(sh, "AWS_ACCESS_KEY_ID", "AKIAOTHERTOOL0000000")
    assert segments(sh) == ["[aws:example1 ≠ keys]"]
    _export(sh, "AWS_ACCESS_KEY_ID", None)  # no keys: the SDKs fall back to a profile
    assert segments(sh) == ["[aws:example1 ≠ default]"]
    _export(sh, "AWS_ACCESS_KEY_ID", key)
    assert FRESH.fullmatch(segments(sh)[0])
    # Switching again puts everything right, and leaving takes LETME_ACCESS_KEY_ID away.
    _export(sh, "AWS_PROFILE", "default")
    use(sh, "example1")
    assert FRESH.fullmatch(segments(sh)[0])
    assert sh.status("letme leave") == 0
    assert sh.getenv("LETME_ACCESS_KEY_ID") is None


@pytest.mark.parametrize("name", SHELLS)
def test_stale_marker_falls_back_to_ascii_outside_utf8(name, start):
    sh = start(name)
    _export(sh, "LC_ALL", "C")
    use(sh, "example1")
    _export(sh, "AWS_PROFILE", "default")
    assert segments(sh) == ["[aws:example1 != default]"]


# ---- 3. a frozen countdown -----------------------------------------------------------------------------------

def _expires_in(sh: Shell, seconds: int, account: str = "example1") -> None:
    at = int(time.time()) + seconds
    if sh.name == "fish":
        sh.run(f"set -gx LETME_ACCOUNT {account}; set -gx LETME_EXPIRES {at}")
    else:
        sh.run(f"export LETME_ACCOUNT={account} LETME_EXPIRES={at}")


def test_zsh_countdown_redraws_while_waiting_for_input(start):
    sh = start("zsh", before_hook="TMOUT=3600; TRAPALRM() { print -r alarm }; zmodload zsh/sched; "
                                  "sched +7200 true")
    sh.run("LETME_PROMPT_WARN_SECONDS=30")
    _expires_in(sh, 63)
    assert segments(sh) == ["[aws:example1 1m]"]
    # No key pressed: the segment changes on its own when the minute turns, when the last seconds begin,
    # and at expiry.
    sh.child.expect(re.escape("[aws:example1 0m]"), timeout=8)
    _expires_in(sh, 33)
    assert segments(sh) == ["[aws:example1 0m]"]
    sh.child.expect(re.escape("[aws:example1 0m!]"), timeout=8)
    _expires_in(sh, 3)
    sh.child.expect(re.escape("[aws:example1 expired]"), timeout=8)
    out = sh.workdir / "state"
    sh.run(f"{{ print -r -- $TMOUT; functions TRAPALRM; print -rl -- $zsh_scheduled_events }} > {out}")
    state = out.read_text()
    assert state.startswith("3600\n") and "print -r alarm" in state
    assert ":true" in state  # the user's own event is still there
    assert "__letme" not in state  # nothing scheduled once the segment cannot change any more
    # Only while an account is shown.
    _expires_in(sh, 600)
    sh.run(f"print -rl -- $zsh_scheduled_events > {out}")
    assert "__letme" in out.read_text()
    sh.run("unset LETME_ACCOUNT LETME_EXPIRES")
    sh.run(f"print -rl -- $zsh_scheduled_events > {out}")
    assert "__letme" not in out.read_text()
    assert ":true" in out.read_text()


def test_zsh_segment_events_keep_the_status_of_the_last_command(start):
    """zsh runs a due sched event before the next prompt and leaves the event's status in `$?` in place of the
    command's. The hook's event must hand back the status it found: a theme's precmd added after the hook's
    (a plugin manager loading one at the first prompt) makes the hook put its segment back from an event due
    at once, and `$?` said 0 after a failed command."""
    sh = start("zsh")
    _expires_in(sh, 3600)
    for index, (command, status) in enumerate((("false", "1"), ("(exit 7)", "7"), ("true", "0"))):
        out = sh.workdir / f"status-{index}"
        # not sh.run: its sync runs a command of its own before the next line
        sh.child.sendline(f"theme{index}() {{ PROMPT=$PROMPT }}; precmd_functions+=(theme{index}); {command}")
        sh.child.expect(PROMPT, timeout=15)
        sh.run(f"print -r -- $? > {out}")
        assert out.read_text().strip() == status, command
        assert segments(sh) in (["[aws:example1 59m]"], ["[aws:example1 1h00m]"])


EXPIRED_LINE = "letme: the credentials for example1 have expired; run 'letme refresh'"


@pytest.mark.parametrize("name", SHELLS)
def test_one_line_before_a_command_runs_on_expired_credentials(name, start):
    sh = start(name)
    printed = sh.run("true")
    _expires_in(sh, 600)
    printed += sh.run("true")
    assert EXPIRED_LINE not in printed
    _expires_in(sh, -5)
    printed = sh.run("true")
    assert printed.count(EXPIRED_LINE) == 1, printed
    printed = sh.run("echo a | cat; echo b")  # one command line: one line, whatever it runs
    assert printed.count(EXPIRED_LINE) == 1, printed
    sh.run("export LETME_PROMPT=0" if name != "fish" else "set -gx LETME_PROMPT 0")
    assert sh.run("true").count(EXPIRED_LINE) == 1  # not a prompt setting
    _export(sh, "LETME_ACCOUNT", None)
    assert EXPIRED_LINE not in sh.run("true")


def test_bash_expiry_line_in_the_shells_first_second(start):
    """bash's SECONDS is 0 during a shell's first second: expired credentials still get their line
    (a `letme shell` on expired credentials, or a fast typist)."""
    sh = start("bash")
    at = int(time.time()) - 5
    printed = sh.run(f"SECONDS=0; export LETME_ACCOUNT=example1 LETME_EXPIRES={at}; true")
    printed += sh.run("true")  # typed well within a second of the prompt
    assert printed.count(EXPIRED_LINE) == 1, printed


@pytest.mark.parametrize("name", ["zsh", "fish"])
def test_no_expiry_line_before_letme_itself(name, start):
    sh = start(name)
    _expires_in(sh, -5)
    assert EXPIRED_LINE not in sh.run("letme version")


def test_bash_expiry_line_coexists_with_bash_preexec(start):
    sh = start("bash")
    seen = sh.workdir / "preexec"
    sh.run("__bp_style=array")
    sh.run(BASH_PREEXEC)
    sh.run(f"__rec() {{ printf '%s\\n' \"$1\" >> {seen}; }}; preexec_functions+=(__rec)")
    _expires_in(sh, -5)
    printed = sh.run("echo hello")
    assert printed.count(EXPIRED_LINE) == 1, printed
    assert "echo hello" in seen.read_text().splitlines()


def test_fish_reads_the_clock_once_per_prompt(start, tmp_path):
    """fish has no clock variable: the prompt runs `date` once (segment and renewal check share it), and
    fish_preexec once per command line while an account is in use. Counted with a `date` of our own on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "date-calls"
    real = shutil.which("date")
    (bin_dir / "date").write_text(f"#!/bin/sh\necho x >> {log}\nexec {real} \"$@\"\n")
    (bin_dir / "date").chmod(0o755)
    sh = start("fish")
    sh.run(f"set -gx PATH {bin_dir} $PATH")
    now = int(time.time())
    sh.run(f"set -gx LETME_ACCOUNT example1; set -gx LETME_EXPIRES {now + 3000}; "
           f"set -gx LETME_REFRESH_AT {now + 2000}")
    log.write_text("")
    for _ in range(5):
        sh.child.sendline("")
        sh.child.expect_exact(SENTINEL)
    time.sleep(0.3)
    assert len(log.read_text().split()) == 5
    log.write_text("")
    sh.child.sendline("true")
    sh.child.expect_exact(SENTINEL)
    time.sleep(0.3)
    assert len(log.read_text().split()) == 2  # fish_preexec, then the prompt
    sh.child.sendline("set -e LETME_ACCOUNT")
    sh.child.expect_exact(SENTINEL)
    time.sleep(0.3)
    log.write_text("")
    for _ in range(3):
        sh.child.sendline("true")
        sh.child.expect_exact(SENTINEL)
    time.sleep(0.3)
    assert log.read_text() == ""

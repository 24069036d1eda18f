"""A real interactive shell under pexpect, with a fixed sentinel prompt and the letme hook loaded.

Values are read back through files, not through the terminal, so line editing,
wrapping and colours cannot blur what a test compares: `getenv` makes the shell
write the variable with printf into a file and reads the bytes.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pexpect

SENTINEL = "LETME-TEST-PS1> "
# The segment letme puts in front of the user's prompt, if any, then the sentinel.
PROMPT = re.compile(r"(?:(\[aws:[^\]\r\n]*\]) )?" + re.escape(SENTINEL))
TIMEOUT = 10
LETME = shutil.which("letme") or "letme"

COMMANDS = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "zsh": ["zsh", "-f", "-i"],
    "fish": ["fish", "--no-config", "-i"],
}


def hook_text(shell: str, env: dict[str, str]) -> str:
    return subprocess.run([LETME, "hook", shell], env=env, capture_output=True, text=True, check=True).stdout


def _as_a_terminal_starts_it() -> None:
    """The signals a terminal emulator starts a shell with, whatever the test run inherited: started in the
    background of a non-interactive shell (`.ci/run &`), it may ignore SIGINT and SIGQUIT, which bash passes on
    to what it runs (Ctrl-C at a question of letme's would do nothing)."""
    for number in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)


class Shell:
    def __init__(self, name: str, env: dict[str, str], workdir: Path, hook: bool = True,
                 before_hook: str = "", wrapper: tuple[str, ...] = ()):
        """`wrapper`: a command line the shell runs under (strace -f -o FILE, to count its processes)."""
        self.name = name
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        env = {**env, "TERM": "xterm", "LC_ALL": "C.UTF-8", "fish_greeting": ""}
        argv = [*wrapper, *COMMANDS[name]]
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(workdir),
                                   encoding="utf-8", codec_errors="replace", timeout=TIMEOUT,
                                   dimensions=(40, 400), preexec_fn=_as_a_terminal_starts_it)
        # The sentinel prompt; the hook wraps or prefixes it, as it would a user's prompt.
        setup = {
            "bash": f"PS1='{SENTINEL}'; PROMPT_COMMAND=''; unset HISTFILE",
            "zsh": f"PROMPT='{SENTINEL}'; RPROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null; "
                   "autoload -Uz compinit; compinit -u -D",
            "fish": f"function fish_prompt; printf '{SENTINEL}'; end; function fish_right_prompt; end; "
                    "set -g fish_autosuggestion_enabled 0; set -U fish_history ''",
        }[name]
        self.child.sendline(setup)
        self.sync()
        if before_hook:
            self.run(before_hook)
        self.hook_file = workdir / f"hook-{name}-{uuid.uuid4().hex[:6]}"
        if hook:
            self.hook_file.write_text(hook_text(name, env))
            self.run(f"source {self.hook_file}")

    def sync(self) -> None:
        """Wait until the shell is idle at a prompt (a unique marker echoed, then the prompt)."""
        marker = uuid.uuid4().hex
        self.child.sendline(f"echo {marker[:16]}''{marker[16:]}")
        self.child.expect(marker)
        self.child.expect(PROMPT)

    def run(self, command: str, timeout: float = TIMEOUT) -> str:
        """Type `command`, wait for the next prompt; returns what the terminal showed in between."""
        self.child.sendline(command)
        self.child.expect(PROMPT, timeout=timeout)
        before = self.child.before
        # A prompt redrawn while the line was still being typed (zsh's countdown redraws it when a minute turns)
        # is not the next prompt: that one comes after the line was entered, a newline.
        while "\n" not in before:
            self.child.expect(PROMPT, timeout=timeout)
            before += self.child.before
        # Drain the echo and possible redraws until the shell is really idle.
        self.sync()
        return before

    def segment(self) -> str | None:
        """The prompt segment at the next prompt (None when there is none)."""
        self.child.sendline("")
        self.child.expect(PROMPT)
        return self.child.match.group(1)

    def _status_expr(self) -> str:
        return "$status" if self.name == "fish" else "$?"

    def status(self, command: str, timeout: float = TIMEOUT) -> int:
        out = self.workdir / f"rc-{uuid.uuid4().hex[:8]}"
        self.run(f"{command}; printf '%s' {self._status_expr()} > {out}", timeout=timeout)
        return int(out.read_text())

    def getenv(self, name: str) -> str | None:
        out = self.workdir / f"env-{uuid.uuid4().hex[:8]}"
        if self.name == "fish":
            self.run(f"if set -q {name}; printf '%s' \"${name}\" > {out}; end")
        else:
            self.run(f"if [ -n \"${{{name}+set}}\" ]; then printf '%s' \"${name}\" > {out}; fi")
        return out.read_bytes().decode("utf-8", "surrogateescape") if out.exists() else None

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.close(force=True)

"""Production accounts (issue 11, item 4): red in every state, and `confirm_production = true` asks before
switching into one, at the terminal only (never in scripts: there it fails unless --yes is given).

The prompt's colours are read from the terminal of real bash, zsh and fish (NO_COLOR dropped from the
sandbox's environment); the confirmation is typed at a real terminal through the hook (pexpect), and the
no-terminal case runs letme in a new session, which has no controlling terminal at all.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

import pexpect
import pytest

from tests.shells.harness import LETME, PROMPT, SENTINEL, Shell

SHELLS = ["bash", "zsh", "fish"]
MFA = "--mfa-code 123456"
QUESTION = "prod-eu is a production account"


@pytest.fixture
def start(catalogued, tmp_path) -> Iterator[Callable[..., Shell]]:
    opened: list[Shell] = []
    (catalogued.home / ".zshrc").write_text("")

    def open_(name: str, colour: bool = False, **kwargs: object) -> Shell:
        env = {k: v for k, v in catalogued.env.items() if not (colour and k == "NO_COLOR")}
        shell = Shell(name, env, tmp_path / f"work-{name}-{len(opened)}", **kwargs)  # type: ignore[arg-type]
        opened.append(shell)
        return shell

    yield open_
    for shell in opened:
        shell.close()


@pytest.fixture
def confirming(catalogued):
    with catalogued.letme_config.open("a") as fh:
        fh.write("confirm_production = true\n")
    return catalogued


def prompt_line(sh: Shell) -> str:
    sh.child.sendline("")
    sh.child.expect_exact(SENTINEL)
    return sh.child.before.rsplit("\n", 1)[-1]


def _set(sh: Shell, **values: object) -> None:
    if sh.name == "fish":
        sh.run("; ".join(f"set -gx {k} '{v}'" for k, v in values.items()))
    else:
        sh.run("export " + " ".join(f"{k}='{v}'" for k, v in values.items()))


# ---- red in every state -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SHELLS)
def test_production_stays_red_in_every_state(name, start):
    sh = start(name, colour=True)
    now = int(time.time())
    red, yellow, cyan = "\x1b[31m", "\x1b[33m", "\x1b[36m"
    _set(sh, LETME_ACCOUNT="prod-eu", LETME_PROD=1, LETME_EXPIRES=now + 1800)
    line = prompt_line(sh)  # once: a minute may turn between two prompts
    assert f"{red}[aws:prod-eu 29m]" in line or f"{red}[aws:prod-eu 30m]" in line, line
    # The last minutes: still red; the text says it (a `!` after the time) instead of the colour.
    _set(sh, LETME_EXPIRES=now + 130)
    line = prompt_line(sh)
    assert re.search(re.escape(red) + r"\[aws:prod-eu [12]m!\]", line), line
    assert yellow not in line
    _set(sh, LETME_EXPIRES=now - 10)
    assert f"{red}[aws:prod-eu expired]" in prompt_line(sh)
    # A stale identity: red too.
    _set(sh, LETME_EXPIRES=now + 1800, LETME_MODE="process", AWS_PROFILE="default")
    assert f"{red}[aws:prod-eu ≠ default]" in prompt_line(sh)
    # Any other account keeps its colours: cyan, then yellow with the same `!` in its last minutes.
    _set(sh, LETME_ACCOUNT="example1", LETME_PROD=0, LETME_MODE="process", AWS_PROFILE="example1")
    assert f"{cyan}[aws:example1 " in prompt_line(sh)
    _set(sh, LETME_EXPIRES=now + 130)
    assert re.search(re.escape(yellow) + r"\[aws:example1 [12]m!\]", prompt_line(sh))
    # A user's own production colour is kept in every state as well.
    _set(sh, LETME_ACCOUNT="prod-eu", LETME_PROD=1, LETME_PROMPT_PROD_COLOR="1;35")
    assert "\x1b[1;35m[aws:prod-eu" in prompt_line(sh)


# ---- confirm_production ----------------------------------------------------------------------------------------

def _typed_status(sh: Shell) -> int:
    out = sh.workdir / f"rc-{uuid.uuid4().hex[:8]}"
    sh.run(f"printf '%s' {'$status' if sh.name == 'fish' else '$?'} > {out}")
    return int(out.read_text())


@pytest.mark.parametrize("name", SHELLS)
def test_switching_into_production_asks_at_the_terminal(name, start, confirming):
    sh = start(name)
    # Asked before anything else, the MFA code included; `y` switches.
    sh.child.sendline("letme use prod-eu")
    sh.child.expect(QUESTION)
    sh.child.expect(r"\[y/N\] ")
    sh.child.sendline("y")
    sh.child.expect("MFA code: ", timeout=30)
    sh.child.sendline("123456")
    sh.child.expect(PROMPT, timeout=30)
    sh.sync()
    assert sh.getenv("LETME_ACCOUNT") == "prod-eu"
    # Not a production account: no question. The same account again (another region): none either.
    assert sh.status("letme use example1", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    # Anything but yes declines: nothing changes, one line says so.
    sh.child.sendline("letme use prod-eu")
    sh.child.expect(QUESTION, timeout=30)
    sh.child.sendline("n")
    sh.child.expect("letme: error: not switching to prod-eu")
    sh.child.expect(PROMPT, timeout=30)
    assert _typed_status(sh) == 1
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    # Ctrl-C at the question: nothing changes, no traceback.
    sh.child.sendline("letme use prod-eu")
    sh.child.expect(QUESTION, timeout=30)
    time.sleep(0.3)
    sh.child.sendcontrol("c")
    sh.child.expect(PROMPT, timeout=30)
    printed = sh.child.before
    sh.sync()
    assert "Traceback" not in printed
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    # Back in prod-eu (confirmed with --yes), another region of the same account asks nothing.
    assert sh.status("letme use prod-eu --yes", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "prod-eu"
    printed = sh.run("letme use prod-eu --region us-east-1", timeout=30)
    assert QUESTION not in printed
    assert sh.getenv("AWS_REGION") == "us-east-1"


def _detached(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """A command in a new session: no controlling terminal, as in cron, CI or an IDE's task runner."""
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, start_new_session=True)


def test_without_a_terminal_production_needs_yes(confirming):
    env = confirming.env
    refused = _detached(env, LETME, "use", "prod-eu", "--shell", "bash", "--mfa-code", "123456")
    assert refused.returncode == 2 and refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines[0] == "letme: error: prod-eu is a production account and confirm_production is on, " \
                       "but there is no terminal to ask on", lines
    assert "--yes" in lines[1] and len(lines) == 2
    allowed = _detached(env, LETME, "use", "prod-eu", "--shell", "bash", "--mfa-code", "123456", "--yes")
    assert allowed.returncode == 0, allowed.stderr
    assert "export LETME_ACCOUNT='prod-eu';" in allowed.stdout
    # Not production: no question, no --yes needed.
    plain = _detached(env, LETME, "use", "example1", "--shell", "bash")
    assert plain.returncode == 0, plain.stderr


@pytest.mark.parametrize("name", SHELLS)
def test_a_script_through_the_hook_never_asks(name, confirming):
    hook = {"bash": 'eval "$(letme hook bash)"', "zsh": 'eval "$(letme hook zsh)"',
            "fish": "letme hook fish | source"}[name]
    status = "$status" if name == "fish" else "$?"
    script = (f"{hook}; letme use prod-eu {MFA}; echo rc={status}; echo account=\"$LETME_ACCOUNT\"; "
              f"letme use prod-eu --yes {MFA}; echo rc={status}; echo account=\"$LETME_ACCOUNT\"")
    argv = {"bash": ["bash", "--norc", "-c", script], "zsh": ["zsh", "-f", "-c", script],
            "fish": ["fish", "--no-config", "-c", script]}[name]
    result = _detached(confirming.env, *argv)
    assert result.stdout.split() == ["rc=2", "account=", "rc=0", "account=prod-eu"], result.stderr


def test_confirm_production_is_off_by_default_and_checked(catalogued):
    from letme_shell import config

    assert config.KEYS_BY_NAME["confirm_production"].default is False
    result = _detached(catalogued.env, LETME, "use", "prod-eu", "--shell", "bash", "--mfa-code", "123456")
    assert result.returncode == 0, result.stderr
    with catalogued.letme_config.open("a") as fh:
        fh.write('confirm_production = "yes"\n')
    bad = catalogued.run("config", "validate")
    assert bad.returncode != 0 and "confirm_production must be true or false" in bad.stderr


def test_pexpect_is_a_real_terminal():
    """The confirmation tests rely on pexpect giving letme a controlling terminal (/dev/tty)."""
    child = pexpect.spawn("sh", ["-c", "test -r /dev/tty && test -t 0 && echo has-tty"], encoding="utf-8")
    child.expect("has-tty")
    child.close()


@pytest.mark.parametrize("how", [("back",), ("use", "-")])
def test_going_back_into_production_asks_as_use_does(confirming, how):
    env = {**confirming.env, "LETME_ACCOUNT": "example1", "LETME_PREVIOUS": "prod-eu", "LETME_MODE": "env"}
    refused = _detached(env, LETME, *how, "--shell", "bash", "--mfa-code", "123456")
    assert refused.returncode == 2 and refused.stdout == "", refused.stderr
    assert "prod-eu is a production account" in refused.stderr and "--yes" in refused.stderr
    allowed = _detached(env, LETME, *how, "--shell", "bash", "--mfa-code", "123456", "--yes")
    assert allowed.returncode == 0, allowed.stderr
    assert "export LETME_ACCOUNT='prod-eu';" in allowed.stdout

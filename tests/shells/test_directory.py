"""Per-directory accounts (`.letme`, issue 14) in real bash, zsh and fish with the hook loaded.

A tree's `.letme` is applied only after `letme allow`: entering gives one line, `allow`
switches, an edited file gives the line again, leaving puts back what the shell had
(account, mode and region, or none), a manual `use` inside wins until leaving, the
nearest file applies, and hostile contents (or a hostile directory name) run nothing.
Values are read back through files (harness.getenv), as in test_daily. The projects
live under the sandbox HOME, where the hooks' walk up the parents stops.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.shells.harness import PROMPT, Shell

SHELLS = ["bash", "zsh", "fish"]
MFA = "--mfa-code 123456"
NOTICE = "letme: .letme wants example1; run 'letme allow' to use it"


def state(sh: Shell) -> tuple[str | None, ...]:
    return tuple(sh.getenv(var) for var in ("LETME_ACCOUNT", "LETME_MODE", "AWS_REGION"))


def project(home: Path, name: str, text: str, depth: int = 2) -> Path:
    """HOME/name with a .letme holding `text`, and `depth` directories below it (a/b/...)."""
    root = home / name
    deep = root.joinpath(*"abcdefghijklmnop"[:depth])
    deep.mkdir(parents=True, exist_ok=True)
    (root / ".letme").write_text(text)
    os.chmod(root / ".letme", 0o644)
    return root


def quoted(sh: Shell, path: Path) -> str:
    text = str(path)
    if sh.name == "fish":
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.mark.parametrize("name", SHELLS)
def test_enter_allow_edit_leave(name, open_shell, catalogued):
    home = catalogued.home
    proj = project(home, "proj", 'account = "example1"\n')
    sh = open_shell(name)
    assert sh.status(f"letme use example2 --mode env --region us-east-1 {MFA}", timeout=60) == 0
    before = ("example2", "env", "us-east-1")
    assert state(sh) == before

    # Enter: one line, nothing switched.
    seen = sh.run(f"cd {quoted(sh, proj)}", timeout=30)
    assert NOTICE in seen, seen
    assert seen.count("letme:") == 1, seen
    assert state(sh) == before
    # Deeper in the same tree: the same nearest file, no second line.
    seen = sh.run("cd a/b")
    assert "letme:" not in seen, seen

    # allow (from a directory below the file): switched, the prompt says where the account came from.
    assert sh.status("letme allow", timeout=60) == 0
    assert state(sh) == ("example1", "process", "eu-west-1")
    assert sh.getenv("LETME_DIR") == str(proj / ".letme")
    assert sh.getenv("LETME_DIR_BEFORE") == "example2"
    segment = sh.segment()
    assert segment is not None and segment.startswith("[aws:example1 ") and segment.endswith(" .letme]"), segment
    out = sh.workdir / "status.txt"
    sh.run(f"letme status > {quoted(sh, out)}")
    assert f"directory    from {proj / '.letme'} (allowed); leaving its tree returns to example2" in out.read_text()

    # Leave: back to example2 in env mode and us-east-1, the markers gone.
    assert "letme: error" not in sh.run("cd ~", timeout=60)
    assert state(sh) == before
    assert sh.getenv("LETME_DIR") is None and sh.getenv("LETME_DIR_BEFORE") is None
    segment = sh.segment()
    assert segment is not None and ".letme" not in segment

    # Back in, allowed: switched without a word about trust.
    seen = sh.run(f"cd {quoted(sh, proj)}", timeout=60)
    assert "run 'letme allow'" not in seen, seen
    assert state(sh) == ("example1", "process", "eu-west-1")
    sh.run("cd ~", timeout=60)
    assert state(sh) == before

    # Edit the file: the line again (it changed), nothing switched, until allow.
    (proj / ".letme").write_text('account = "example1"\nregion = "us-east-1"\nmode = "profile"\n')
    seen = sh.run(f"cd {quoted(sh, proj)}", timeout=30)
    assert "letme: .letme changed since you allowed it (it wants example1 now); run 'letme allow' to use it" \
        in seen, seen
    assert state(sh) == before
    assert sh.status("letme allow", timeout=60) == 0
    assert state(sh) == ("example1", "profile", "us-east-1")
    sh.run("cd /", timeout=60)
    assert state(sh) == before

    # deny: the next entry gives the line again.
    assert sh.status(f"letme deny {quoted(sh, proj)}") == 0
    seen = sh.run(f"cd {quoted(sh, proj)}", timeout=30)
    assert "wants example1; run 'letme allow'" in seen, seen
    assert state(sh) == before


@pytest.mark.parametrize("name", SHELLS)
def test_manual_use_inside_wins_until_leaving(name, open_shell, catalogued):
    home = catalogued.home
    proj = project(home, "proj", 'account = "example1"\n')
    inner = project(proj, "inner", 'account = "example2"\n')
    catalogued.ok("allow", str(proj))
    catalogued.ok("allow", str(inner))
    sh = open_shell(name)
    assert sh.getenv("LETME_ACCOUNT") is None
    sh.run(f"cd {quoted(sh, proj)} && letme use example1 {MFA} && cd ~", timeout=60)  # an MFA session first
    assert sh.status("letme leave") == 0
    assert sh.getenv("LETME_ACCOUNT") is None

    sh.run(f"cd {quoted(sh, proj / 'a')}", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    assert sh.status("letme use prod-eu", timeout=60) == 0
    assert sh.getenv("LETME_ACCOUNT") == "prod-eu"
    assert sh.getenv("LETME_DIR") is None  # the prompt no longer says .letme
    segment = sh.segment()
    assert segment is not None and ".letme" not in segment
    # Around the tree, into a nested one and out: the manual choice stays.
    sh.run("cd b", timeout=60)
    sh.run(f"cd {quoted(sh, inner)}", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") == "prod-eu"
    sh.run(f"cd {quoted(sh, proj)}", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") == "prod-eu"
    # Leaving returns to what the shell had before it entered: no account.
    assert "letme: error" not in sh.run("cd ~", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") is None
    assert sh.getenv("LETME_PREVIOUS") == "prod-eu"  # `letme back` returns to it
    assert sh.getenv("LETME_DIR_BEFORE") is None


@pytest.mark.parametrize("name", SHELLS)
def test_nested_files_the_nearest_applies(name, open_shell, catalogued):
    home = catalogued.home
    proj = project(home, "proj", 'account = "example1"\n')
    inner = project(proj, "inner", 'account = "example2"\nregion = "us-east-1"\n')
    unallowed = project(proj, "unallowed", 'account = "example3"\n')
    catalogued.ok("allow", str(proj))
    catalogued.ok("allow", str(inner))
    sh = open_shell(name)
    sh.run(f"letme use example1 {MFA} && letme leave", timeout=60)  # an MFA session, and no account
    assert sh.getenv("LETME_ACCOUNT") is None
    sh.run(f"cd {quoted(sh, proj)}", timeout=60)
    assert state(sh)[::2] == ("example1", "eu-west-1")
    # Straight into the nested tree's depths: its file is the nearest.
    sh.run(f"cd {quoted(sh, inner / 'a' / 'b')}", timeout=60)
    assert state(sh)[::2] == ("example2", "us-east-1")
    assert sh.getenv("LETME_DIR") == str(inner / ".letme")
    sh.run("cd ../..", timeout=60)
    assert state(sh)[::2] == ("example2", "us-east-1")
    sh.run("cd ..", timeout=60)  # back in the outer tree
    assert state(sh)[::2] == ("example1", "eu-west-1")
    assert sh.getenv("LETME_DIR") == str(proj / ".letme")
    # A nested file that is not allowed: its line, and the outer tree's account stays.
    seen = sh.run(f"cd {quoted(sh, unallowed)}", timeout=60)
    assert "letme: .letme wants example3; run 'letme allow' to use it" in seen, seen
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    sh.run("cd ..", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    sh.run("cd /", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") is None
    assert sh.getenv("LETME_DIR_BEFORE") is None


@pytest.mark.parametrize("name", SHELLS)
def test_entering_asks_as_use_does_production_question_then_mfa(name, open_shell, catalogued, recorder):
    """confirm_production's question and the MFA code, at the terminal, before the shell switches; `n` declines."""
    with catalogued.letme_config.open("a") as fh:
        fh.write("confirm_production = true\n")
    proj = project(catalogued.home, "prod", 'account = "prod-eu"\n')
    catalogued.ok("allow", str(proj))
    sh = open_shell(name)
    sh.child.sendline(f"cd {quoted(sh, proj)}")
    sh.child.expect(r"prod-eu is a production account \(tagged [a-z, ]+\)\. Switch to it\? \[y/N\] ", timeout=30)
    sh.child.sendline("y")
    sh.child.expect_exact("MFA code: ", timeout=30)
    sh.child.sendline("123456")
    sh.child.expect(PROMPT, timeout=60)
    sh.sync()
    assert sh.getenv("LETME_ACCOUNT") == "prod-eu" and sh.getenv("LETME_DIR") == str(proj / ".letme")
    sent = recorder.actions("GetSessionToken")
    assert sent and sent[-1].get("TokenCode") == "123456" and sent[-1].get("SerialNumber")
    sh.run("cd ~", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") is None
    # Declined: one line, nothing switched, and no question again until the tree is entered again.
    sh.child.sendline(f"cd {quoted(sh, proj / 'a')}")
    sh.child.expect(r"Switch to it\? \[y/N\] ", timeout=30)
    sh.child.sendline("n")
    sh.child.expect_exact("letme: error: not switching to prod-eu", timeout=30)
    sh.child.expect(PROMPT, timeout=30)
    sh.sync()
    assert sh.getenv("LETME_ACCOUNT") is None
    assert "Switch to it" not in sh.run("cd b", timeout=30)


HOSTILE = [
    'account = "$(touch CANARY)"',
    'account = "`touch CANARY`"',
    "account = \"x'; touch CANARY; '\"",
    'account = "example1; touch CANARY"',
    'account = "example1"\nregion = "$(touch CANARY)"',
    'account = "example1"\ncontext = "a;touch CANARY"',
    'account = "example1"\nmode = "env; touch CANARY"',
    'account = "example1\\ntouch CANARY"',
    'account = "example1"\nAWS_PROFILE = "$(touch CANARY)"',
]


@pytest.mark.parametrize("name", SHELLS)
def test_hostile_contents_are_refused_and_run_nothing(name, open_shell, catalogued, tmp_path):
    home = catalogued.home
    canary = tmp_path / "CANARY"
    sh = open_shell(name)
    for index, text in enumerate(HOSTILE):
        proj = project(home, f"hostile{index}", text.replace("CANARY", str(canary)) + "\n")
        # allow refuses it, with one line, before recording anything.
        result = catalogued.run("allow", str(proj))
        assert result.returncode != 0 and "letme: error:" in result.stderr and "Traceback" not in result.stderr, text
        seen = sh.run(f"cd {quoted(sh, proj)}", timeout=30)
        assert "; ignored" in seen, (text, seen)
        assert sh.getenv("LETME_ACCOUNT") is None
        sh.run("cd ~")
    assert not canary.exists()
    assert not (home / "CANARY").exists()


@pytest.mark.parametrize("name", SHELLS)
def test_a_hostile_directory_name_is_data(name, open_shell, catalogued, tmp_path):
    canary = tmp_path / "CANARY2"
    weird = f"$(touch {canary}) `touch {canary}` ';touch {canary};' \"x\" *"
    proj = project(catalogued.home, weird, 'account = "example1"\n')
    catalogued.ok("allow", str(proj))
    sh = open_shell(name)
    sh.run(f"letme use example1 {MFA} && letme leave", timeout=60)
    sh.run(f"cd {quoted(sh, proj / 'a')}", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") == "example1"
    assert sh.getenv("LETME_DIR") == str(proj / ".letme")
    sh.run("cd ~", timeout=60)
    assert sh.getenv("LETME_ACCOUNT") is None
    assert not canary.exists()


@pytest.mark.parametrize("name", SHELLS)
def test_untrusted_files_are_refused_when_entering(name, open_shell, catalogued):
    home = catalogued.home
    writable = project(home, "writable", 'account = "example1"\n')
    catalogued.ok("allow", str(writable))
    os.chmod(writable / ".letme", 0o666)  # allowed, then made writable by everyone: no longer trusted
    sh = open_shell(name)
    seen = sh.run(f"cd {quoted(sh, writable)}", timeout=30)
    assert "is writable by others (mode 0666); letme does not trust it; ignored" in seen, seen
    assert sh.getenv("LETME_ACCOUNT") is None
    if os.geteuid() == 0:  # CI runs as root: plant a file owned by another uid
        planted = project(home, "planted", 'account = "example1"\n')
        catalogued.ok("allow", str(planted))
        os.chown(planted / ".letme", 4242, 4242)
        seen = sh.run(f"cd {quoted(sh, planted)}", timeout=30)
        assert "belongs to uid 4242, not to you" in seen, seen
        assert sh.getenv("LETME_ACCOUNT") is None


@pytest.mark.parametrize("name", SHELLS)
def test_off_with_letme_dirs_0(name, open_shell, catalogued):
    proj = project(catalogued.home, "proj", 'account = "example1"\n')
    sh = open_shell(name)
    sh.run("set -gx LETME_DIRS 0" if name == "fish" else "export LETME_DIRS=0")
    assert "letme:" not in sh.run(f"cd {quoted(sh, proj)}", timeout=30)


def test_shells_are_here():
    for name in SHELLS:
        assert shutil.which(name), name

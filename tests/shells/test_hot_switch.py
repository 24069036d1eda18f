"""A cached `letme use` in real bash, zsh and fish is answered from its record (letme_shell/hot.py) and
switches the shell exactly as the full command does: the prompt, the account, where `letme back` returns to,
the history of recent accounts.

That the record answered is proved by taking the full command away: once both accounts are recorded, the
shell runs letme with a PYTHONPATH whose `argparse` fails to import (the full command line needs it, the
recorded switch does not), so any switch that still works came from a record.
"""

from __future__ import annotations

import pytest

from tests.shells.harness import Shell

SHELLS = ["bash", "zsh", "fish"]


def export(sh: Shell, name: str, value: str) -> None:
    sh.run(f"set -gx {name} {value}" if sh.name == "fish" else f"export {name}={value}")


@pytest.mark.parametrize("name", SHELLS)
def test_recorded_switches_change_the_shell_as_the_full_command(name, open_shell, catalogued, tmp_path):
    sh = open_shell(name)
    assert sh.status("letme use example2 --mfa-code 123456", timeout=30) == 0
    for _ in range(2):  # full runs: the first of each writes the AWS profile, the next leaves a record
        assert sh.status("letme use example1", timeout=30) == 0
        assert sh.status("letme use example2", timeout=30) == 0
    shadow = tmp_path / "no-argparse"
    shadow.mkdir()
    (shadow / "argparse.py").write_text("raise ImportError('the full command line was started')\n")
    export(sh, "PYTHONPATH", str(shadow))
    assert sh.status("letme back", timeout=30) != 0  # the full command cannot run now
    for account, previous in (("example1", "example2"), ("example2", "example1"), ("example1", "example2")):
        assert sh.status(f"letme use {account}", timeout=30) == 0
        assert sh.getenv("LETME_ACCOUNT") == account and sh.getenv("AWS_PROFILE") == account
        assert sh.getenv("LETME_PREVIOUS") == previous and sh.getenv("LETME_PREVIOUS_MODE") == "process"
        assert sh.getenv("LETME_PREVIOUS_REGION") == "eu-west-1"
        segment = sh.segment()
        assert segment is not None and segment.startswith(f"[aws:{account} ")
    recent = catalogued.home / ".local/state/letme/recent/general"
    assert recent.read_text().split() == ["example1", "example2"]
    export(sh, "PYTHONPATH", "")
    assert sh.status("letme back", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "example2"

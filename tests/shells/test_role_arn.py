"""`letme use --role-arn ARN --name ALIAS` in real interactive shells with the hook loaded (issue 13, item 4):
the shell switches to the role, the prompt shows the alias, and the prompt's background renewal (env mode)
assumes the same role again. Against moto over HTTP; values read back through files (harness.getenv).
"""

from __future__ import annotations

import re

import pytest

from letme_shell import sampleorg
from tests.shells.harness import Shell
from tests.shells.test_interactive import MFA, _age_cache, _wait, whoami

ROLE = sampleorg.role_arn("333333333333", "Auditor")


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_use_role_arn_switches_the_shell_and_the_prompt_shows_the_alias(name, open_shell):
    sh: Shell = open_shell(name)
    assert sh.status(f"letme use --role-arn {ROLE} --name audit {MFA}", timeout=30) == 0
    assert sh.getenv("LETME_ACCOUNT") == "audit"
    assert sh.getenv("AWS_PROFILE") == "audit"  # process mode: the profile runs credential-process --role-arn
    assert whoami(sh) == "arn:aws:sts::333333333333:assumed-role/Auditor/audit-letme-session"
    assert re.fullmatch(r"\[aws:audit (59m|1h00m)\]", sh.segment() or "")
    # Back to a catalog account and `letme back` again: the alias's role, by name alone.
    assert sh.status("letme use example1", timeout=30) == 0
    assert sh.status("letme back", timeout=30) == 0
    assert re.fullmatch(r"\[aws:audit (59m|1h00m)\]", sh.segment() or "")
    assert whoami(sh).startswith("arn:aws:sts::333333333333:assumed-role/Auditor/")


def test_the_prompt_renews_an_ad_hoc_role_in_the_background(open_shell, catalogued, recorder):
    sh: Shell = open_shell("bash")
    assert sh.status(f"letme use --role-arn {ROLE} --name audit --mode env {MFA}", timeout=30) == 0
    old_key = sh.getenv("AWS_ACCESS_KEY_ID")
    _age_cache(catalogued.home, "audit", 600)
    soon = int(sh.getenv("LETME_EXPIRES") or 0) - 3000
    sh.run(f"export LETME_EXPIRES={soon} LETME_REFRESH_AT={soon - 900}")
    recorder.reset()
    renewed = _wait(sh, "LETME_EXPIRES", lambda v: v is not None and int(v) > soon + 600)
    assert renewed is not None and int(renewed) > soon + 600, "the shell did not pick up the renewed credentials"
    assert sh.getenv("AWS_ACCESS_KEY_ID") != old_key
    assert [form["RoleArn"] for form in recorder.actions("AssumeRole")] == [ROLE]
    assert whoami(sh).startswith("arn:aws:sts::333333333333:assumed-role/Auditor/")

"""Recently used accounts first, and no production account on top of a one-letter TAB (issue 11, item 9), in
real bash, zsh and fish with the hook loaded: the history `letme use` records through the hook, and the order
TAB offers (letme_shell/history.py states the rule; tests/test_history.py tests it in Python).

In the sample catalog the first name, in the names file's order, with an "r" in it is billing-prod-00018 (a
production account): before the fix a one-letter "r" offered it first everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.shells.harness import Shell
from tests.shells.test_completion_extra import bash_candidates, fish_candidates, tab

SHELLS = ["bash", "zsh", "fish"]
MFA = "--mfa-code 123456"
FIRST_WITH_R = "billing-prod-00018"  # production
FIRST_SAFE_WITH_R = "infra-dev-00007"


def recent_file(sandbox) -> Path:  # type: ignore[no-untyped-def]
    return sandbox.home / ".local" / "state" / "letme" / "recent" / "general"


def write_history(sandbox, *names: str) -> None:  # type: ignore[no-untyped-def]
    path = recent_file(sandbox)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text("".join(f"{n}\n" for n in names))
    path.chmod(0o600)


def menu_first(sh: Shell, typed: str) -> list[str]:
    """What the shell inserts when TAB goes straight to the first offered name: bash and zsh with TAB bound to
    menu-complete, fish's pager (its second TAB selects the first entry)."""
    if sh.name == "bash":
        sh.run("bind '\"\\t\": menu-complete'")
    elif sh.name == "zsh":
        sh.run("bindkey '^I' menu-complete")
    else:
        typed += "\t"
    return tab(sh, typed)


@pytest.mark.parametrize("name", SHELLS)
def test_use_through_the_hook_records_the_history(name, open_shell, catalogued):
    sh = open_shell(name)
    assert sh.status(f"letme use example2 {MFA}", timeout=30) == 0
    assert sh.status(f"letme use example1 {MFA}", timeout=30) == 0
    assert recent_file(catalogued).read_text() == "example1\nexample2\n"


def test_engines_offer_recent_names_first_and_production_names_last(catalogued):
    env = catalogued.env
    # No history: a one-letter fragment never starts with a production name.
    assert bash_candidates(env, "use", "r")[0] == FIRST_SAFE_WITH_R
    assert fish_candidates(env, "letme use r")[0] == FIRST_SAFE_WITH_R
    assert bash_candidates(env, "use", "r")[-1].endswith("prod-00045")  # the production ones at the end
    assert bash_candidates(env, "use", "e") == fish_candidates(env, "letme use e") == ["example1", "example2"]
    # Two letters: the matcher's order, as before.
    assert bash_candidates(env, "use", "bp")[0] == fish_candidates(env, "letme use bp")[0] == FIRST_WITH_R
    write_history(catalogued, "example2", "ghost", "web-dev-00029")
    assert bash_candidates(env, "use", "e") == fish_candidates(env, "letme use e") == ["example2", "example1"]
    assert bash_candidates(env, "use", "")[:2] == fish_candidates(env, "letme use ")[:2] == ["example2",
                                                                                             "web-dev-00029"]
    assert "ghost" not in bash_candidates(env, "use", "") + fish_candidates(env, "letme use ")
    # The name typed exactly stays first; a recently used production name is on top again.
    assert bash_candidates(env, "use", "example1")[0] == "example1"
    write_history(catalogued, FIRST_WITH_R)
    assert bash_candidates(env, "use", "r")[0] == fish_candidates(env, "letme use r")[0] == FIRST_WITH_R


def test_engines_ignore_history_and_production_files_of_others(catalogued, tmp_path):
    """Files someone else owns (CI runs as root: chown to another uid) are not read."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    env = catalogued.env
    write_history(catalogued, "example2")
    os.chown(recent_file(catalogued), 12345, 12345)
    prod = catalogued.home / ".cache" / "letme" / "catalog" / "general" / "prod"
    os.chown(prod, 12345, 12345)
    assert bash_candidates(env, "use", "e") == fish_candidates(env, "letme use e") == ["example1", "example2"]
    assert bash_candidates(env, "use", "r")[0] == fish_candidates(env, "letme use r")[0] == FIRST_WITH_R


@pytest.mark.parametrize("name", SHELLS)
def test_tab_offers_the_recent_account_first(name, open_shell, catalogued):
    catalogued.ok("obtain", "example2", "--mfa-code", "123456", timeout=60)
    sh = open_shell(name)
    if name == "zsh":
        sh.run("bindkey -e")
    assert sh.status("letme use example2", timeout=30) == 0
    assert sh.status("letme leave") == 0
    assert menu_first(sh, "letme use e") == ["letme", "use", "example2"]


@pytest.mark.parametrize("name", SHELLS)
def test_one_letter_tab_never_goes_to_a_production_account_first(name, open_shell, catalogued):
    sh = open_shell(name)
    if name == "zsh":
        sh.run("bindkey -e")
    assert menu_first(sh, "letme use r") == ["letme", "use", FIRST_SAFE_WITH_R]
    write_history(catalogued, FIRST_WITH_R)  # unless it was used recently
    assert menu_first(sh, "letme use r") == ["letme", "use", FIRST_WITH_R]

"""doctor's prompt check: what the hook says its last prompt contained, judged (issue 11, item 1).

The hook's letme function passes LETME_HOOK_SHELL and LETME_HOOK_PROMPT on doctor's command line only. The
interactive side (real shells with prompt tools) is in tests/shells/test_prompt_truth.py; here, each state
and a value of the wrong shape.
"""

from __future__ import annotations

import json

import pytest


def _prompt_check(sandbox, **env: str) -> dict[str, str]:
    result = sandbox.run("doctor", "--json", "--no-network", env=env)
    return next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "prompt")


@pytest.mark.parametrize("state,status", [("shown", "ok"), ("off", "ok"), ("overwritten", "warn"),
                                          ("not-run", "warn")])
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_each_state(initialised, shell, state, status):
    check = _prompt_check(initialised, LETME_HOOK_SHELL=shell, LETME_HOOK_PROMPT=state, LETME_ACCOUNT="example1")
    assert check["status"] == status, check
    if status == "warn":
        assert check["fix"]
    if state == "shown":
        assert "example1" in check["message"]


def test_no_hook_is_not_judged(initialised):
    assert _prompt_check(initialised)["status"] == "skip"


@pytest.mark.parametrize("value", ["", "maybe", "shown\n", "\x1b[31mshown", "$(touch x)"])
def test_a_value_of_the_wrong_shape_is_not_trusted(initialised, value):
    check = _prompt_check(initialised, LETME_HOOK_SHELL="bash", LETME_HOOK_PROMPT=value)
    assert check["status"] == "skip", check
    assert "\x1b" not in check["message"] and "\n" not in check["message"]

"""Recently used accounts (issue 11, item 9): what `use` records, what readers accept, the `prod` file `init`
writes, and the order the picker applies (letme_shell/history.py states the rule; the shells are tested in
tests/shells/test_recent.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import LETME, Sandbox

from letme_shell import history, picker

MFA = ("--mfa-code", "123456")


def recent_file(sandbox: Sandbox, context: str = "general") -> Path:
    return sandbox.home / ".local" / "state" / "letme" / "recent" / context


def use(sandbox: Sandbox, name: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return sandbox.run("use", name, "--shell", "bash", *MFA, **kwargs)  # type: ignore[arg-type]


def test_use_puts_the_account_on_top_of_its_context_history(catalogued: Sandbox) -> None:
    for name in ("example1", "example2", "example1"):
        result = use(catalogued, name)
        assert result.returncode == 0, result.stderr
    assert recent_file(catalogued).read_text() == "example1\nexample2\n"
    assert recent_file(catalogued).stat().st_mode & 0o077 == 0
    # The same account again writes nothing (the cached path stays a read-only one).
    before = os.stat(recent_file(catalogued))
    assert use(catalogued, "example1").returncode == 0
    after = os.stat(recent_file(catalogued))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_failed_switch_records_nothing(catalogued: Sandbox) -> None:
    result = use(catalogued, "no-such-account")
    assert result.returncode != 0
    assert not recent_file(catalogued).exists()


def test_history_is_capped_and_keeps_each_name_once(catalogued: Sandbox) -> None:
    names = [f"account-{i}" for i in range(history.LIMIT)]
    path = recent_file(catalogued)
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text("".join(f"{n}\n" for n in [*names, "example2"]))
    path.chmod(0o600)
    assert use(catalogued, "example2").returncode == 0
    assert path.read_text().splitlines() == ["example2", *names[: history.LIMIT - 1]]


def test_junk_in_the_history_is_ignored(catalogued: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    path = recent_file(catalogued)
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_bytes(b"$(touch /tmp/x)\nexample2\n\x1b[2J\nexample2\n\xff\xfe\n; rm -rf ~\nexample1\n")
    path.chmod(0o600)
    for key, value in catalogued.env.items():
        monkeypatch.setenv(key, value)
    assert history.recent("general") == ["example2", "example1"]


def test_an_unusable_history_costs_a_warning_not_the_switch(catalogued: Sandbox) -> None:
    """A history directory others may write is not trusted: nothing is read or written there, and the
    switch still happens (its code is on stdout, exit 0), with one warning naming the directory."""
    path = recent_file(catalogued)
    path.parent.mkdir(parents=True)
    path.parent.chmod(0o777)
    result = use(catalogued, "example1")
    assert result.returncode == 0, result.stderr
    assert "export LETME_ACCOUNT='example1';" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and str(path.parent) in warnings[0] and "recently used" in warnings[0], result.stderr
    assert not path.exists()


def test_an_account_of_another_context_goes_to_that_context_history(catalogued: Sandbox) -> None:
    text = catalogued.letme_config.read_text()
    catalogued.letme_config.write_text(text + "\n[b]\n" + text.split("[general]\n", 1)[1])
    catalogued.ok("--context", "b", "init")
    assert use(catalogued, "example2@b").returncode == 0
    assert recent_file(catalogued, "b").read_text() == "example2\n"
    assert not recent_file(catalogued).exists()


def test_init_writes_the_production_names_beside_the_names(catalogued: Sandbox) -> None:
    cache = catalogued.home / ".cache" / "letme" / "catalog" / "general"
    prod = (cache / "prod").read_text().splitlines()
    assert "prod-eu" in prod and prod == sorted(prod)
    assert all(name == "prod-eu" or "-prod-" in name for name in prod)
    assert len(prod) == 1 + sum("-prod-" in name for name in catalogued.org.names)
    # production_tags decides, as for the prompt's colour.
    catalogued.letme_config.write_text(catalogued.letme_config.read_text() + 'production_tags = ["staging"]\n')
    catalogued.ok("init")
    assert (cache / "prod").read_text() == ""  # no item is tagged "staging" (only prod ones carry tags)
    catalogued.ok("init", "--remove")
    assert not (cache / "prod").exists()


# ---- the order -------------------------------------------------------------------------------------------

NAMES = ["payments-dev-00004", "payments-prod-00016", "prod-eu", "search-dev-00005", "example1", "example2"]
PROD = {"payments-prod-00016", "prod-eu"}


def ordered(query: str, recent: list[str]) -> list[str]:
    from letme_shell import fuzzy

    return picker.order(query, fuzzy.rank(query, NAMES), recent, PROD)


def test_one_letter_never_puts_production_on_top() -> None:
    assert ordered("p", [])[0] == "payments-dev-00004"  # the matcher alone ranks prod-eu first (shortest)
    assert ordered("p", [])[-2:] == ["prod-eu", "payments-prod-00016"]
    assert ordered("", [])[-2:] == ["payments-prod-00016", "prod-eu"]  # nothing typed: neither on top
    assert ordered("p", ["prod-eu"])[0] == "prod-eu"  # recently used: on top again
    assert ordered("pr", [])[0] == "prod-eu"  # two letters: the matcher's order
    only = picker.order("u", ["prod-eu"], [], PROD)
    assert only == ["prod-eu"]  # the only match


def test_recent_names_come_first_after_an_exact_name() -> None:
    assert ordered("e", ["example2"])[:2] == ["example2", "example1"]
    assert ordered("", ["search-dev-00005", "example2"])[:2] == ["search-dev-00005", "example2"]
    # What was typed, exactly (any case), stays first.
    assert picker.order("example1", ["example1", "example12"], ["example12"], set()) == ["example1", "example12"]
    assert picker.order("EXAMPLE1", ["example1", "example12"], ["example12"], set()) == ["example1", "example12"]
    # A recent name that does not match is not offered; one that is not in the catalog neither.
    assert "example2" not in ordered("sea", ["example2", "ghost"]) and "ghost" not in ordered("", ["ghost"])


def test_bare_picker_without_a_terminal_runs_nothing_else(catalogued: Sandbox) -> None:
    """No ACCOUNT and no terminal: the usage error comes before anything is read or recorded."""
    result = subprocess.run([LETME, "use", "--shell", "bash"], env=catalogued.env, capture_output=True, text=True,
                            timeout=30, stdin=subprocess.DEVNULL, start_new_session=True)
    assert result.returncode == 2 and result.stdout == ""
    assert not recent_file(catalogued).exists()

"""letme reset (issue 13, item 7): every credential letme stored, and nothing else.

It removes the cached role credentials, the MFA session (and the MFA device letme found) and the profiles letme
wrote, by the ownership rules `remove` follows (`manager = letme` and this config's origin), lists what it
removed on stderr, and asks at the terminal unless --yes; without a terminal it needs --yes.
"""

from __future__ import annotations

import pexpect
import pytest
from conftest import LETME, Sandbox

from letme_shell import sampleorg

FOREIGN = "[handwritten]\naws_access_key_id = AKIAFOREIGN\naws_secret_access_key = keep-me\n"
OTHER_ORIGIN = ("[elsewhere]\nmanager = letme\nletme_origin = context=general table=other region=eu-west-1 "
                "profile=default\naws_access_key_id = ASIAOTHER\n")


def add_context_b(box: Sandbox) -> None:
    with box.letme_config.open("a") as fh:
        fh.write(f'\n[b]\naws_source_profile_region = "{sampleorg.REGION}"\ndynamodb_table = "{box.org.table}"\n'
                 f'mfa_arn = "{box.org.mfa_arn}"\n')


@pytest.fixture
def stored(catalogued: Sandbox) -> Sandbox:
    """Credentials in two contexts, profiles of both modes, and profiles letme must leave alone."""
    add_context_b(catalogued)
    with catalogued.credentials_file.open("a") as fh:
        fh.write("\n" + FOREIGN + "\n" + OTHER_ORIGIN)
    catalogued.ok("init", "--context", "b")
    catalogued.ok("obtain", "example1", "--mfa-code", "123456")
    catalogued.ok("use", "example2", "--shell", "bash")  # process mode: a [profile example2] in the config
    catalogued.ok("obtain", "example1", "--context", "b", "--mfa-code", "123456")
    return catalogued


def cache(box: Sandbox, context: str) -> list[str]:
    directory = box.home / ".cache" / "letme" / "credentials" / context
    return sorted(p.name for p in directory.iterdir() if p.suffix == ".json") if directory.is_dir() else []


def test_reset_removes_this_contexts_credentials_and_profiles_only(stored: Sandbox) -> None:
    assert cache(stored, "general") == ["_mfa-session.json", "example1.json", "example2.json"]
    result = stored.ok("reset", "--yes")
    assert result.stdout == ""
    err = result.stderr
    for line in ("removed profile 'example1' from", "removed profile 'example2' from",
                 "removed cached credentials of 'example1'", "removed cached credentials of 'example2'",
                 "removed the MFA session of context 'general'"):
        assert line in err, err
    assert cache(stored, "general") == []
    assert cache(stored, "b") == ["_mfa-session.json", "example1.json"]  # another context's: kept
    creds = stored.credentials_file.read_text()
    assert "[example1]" not in creds and "[example1@b]" in creds
    assert FOREIGN in creds and OTHER_ORIGIN in creds  # not letme's, or another config's: byte for byte
    assert "[profile example2]" not in stored.config_file.read_text()
    assert (stored.home / ".cache" / "letme" / "catalog" / "general" / "names").exists()  # not a credential
    # The MFA session is gone: the next switch needs a code again (none can be asked here: exit 4).
    assert stored.run("credential-process", "example1").returncode == 4


def test_reset_all_removes_every_context(stored: Sandbox) -> None:
    result = stored.ok("reset", "--all", "--yes")
    assert "removed profile 'example1@b' from" in result.stderr
    assert cache(stored, "general") == [] and cache(stored, "b") == []
    creds = stored.credentials_file.read_text()
    assert "manager = letme" in creds and FOREIGN in creds and OTHER_ORIGIN in creds
    assert creds.count("manager = letme") == 1  # only the other origin's section


def test_reset_of_one_named_context(stored: Sandbox) -> None:
    stored.ok("reset", "--context", "b", "--yes")
    assert cache(stored, "b") == [] and cache(stored, "general") != []
    assert "[example1@b]" not in stored.credentials_file.read_text()
    assert "[example1]" in stored.credentials_file.read_text()


def test_reset_without_a_terminal_needs_yes_and_changes_nothing(stored: Sandbox) -> None:
    before = (stored.credentials_file.read_bytes(), stored.config_file.read_bytes())
    result = stored.run("reset")
    assert result.returncode == 2 and "--yes" in result.stderr and "Traceback" not in result.stderr
    assert (stored.credentials_file.read_bytes(), stored.config_file.read_bytes()) == before
    assert cache(stored, "general") == ["_mfa-session.json", "example1.json", "example2.json"]


@pytest.mark.parametrize("answer", ["n", "y"])
def test_reset_asks_at_the_terminal(stored: Sandbox, answer: str) -> None:
    child = pexpect.spawn(LETME, ["reset"], env=stored.env, encoding="utf-8", timeout=30)
    try:
        child.expect_exact("profile 'example1' in")
        child.expect_exact("Remove them? [y/N] ")
        child.sendline(answer)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    if answer == "y":
        assert child.exitstatus == 0 and cache(stored, "general") == []
    else:
        assert child.exitstatus != 0 and len(cache(stored, "general")) == 3


def test_reset_with_nothing_stored_says_so(catalogued: Sandbox) -> None:
    result = catalogued.ok("reset", "--yes")
    assert "nothing" in result.stderr


def test_reset_all_and_context_together_is_a_usage_error(catalogued: Sandbox) -> None:
    result = catalogued.run("reset", "--all", "--context", "general", "--yes")
    assert result.returncode == 2 and len(result.stderr.splitlines()) <= 2

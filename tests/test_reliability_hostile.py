"""A hostile catalog: item fields that carry shell code, quotes, control characters and terminal escapes.

The items live in their own DynamoDB table on the session's moto server (see
tests/hostile.py). Every letme command that reads the catalog runs against it;
afterwards a canary file that any executed payload would create must not exist,
and no stream meant for a terminal may carry a raw escape or control character.
Items letme cannot use safely are refused at `init` with one warning each.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import hostile
import pexpect
import pytest
from conftest import LETME, Sandbox
from test_obtain import set_config

from letme_shell import catalog, sampleorg, shells, validate

TABLE = "letme-hostile"


@pytest.fixture(scope="module")
def hostile_org(moto: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[sampleorg.Org, Path, list[dict]]:
    # The canary path is fixed for the module: the payloads are written into the table once.
    canary = tmp_path_factory.mktemp("hostile") / hostile.CANARY_NAME
    rows = hostile.items(canary)
    org = sampleorg.seed(moto, table=TABLE, items=rows)
    return org, canary, rows


@pytest.fixture
def hsandbox(tmp_path: Path, hostile_org: tuple[sampleorg.Org, Path, list[dict]]) -> Sandbox:
    org, canary, _ = hostile_org
    box = Sandbox(tmp_path / "home", org)
    set_config(box, dynamodb_table=TABLE)
    assert not canary.exists()
    return box


def expected_accepted(rows: list[dict]) -> set[str]:
    """The names letme should keep, decided from the items with the product's own validators."""
    from letme_shell.catalog_sync import _to_account

    kept: set[str] = set()
    for row in rows:
        account = _to_account(row, [])
        if account is not None:
            kept.add(account.name)
    return kept


def no_canary(canary: Path) -> None:
    assert not canary.exists(), "a hostile catalog value was executed"
    assert not list(canary.parent.rglob(hostile.CANARY_NAME))


def run(box: Sandbox, *args: str) -> subprocess.CompletedProcess[bytes]:
    # Bytes, not text: a raw ESC must not be hidden by decoding.
    return subprocess.run([LETME, *args], env=box.env, capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL, start_new_session=True)


def test_init_refuses_each_unsafe_item_with_one_sanitised_warning(
        hsandbox: Sandbox, hostile_org: tuple[sampleorg.Org, Path, list[dict]]) -> None:
    _, canary, rows = hostile_org
    result = run(hsandbox, "init")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    hostile.assert_no_escape(result.stderr, "init stderr")
    accepted = expected_accepted(rows)
    warnings = [line for line in result.stderr.decode().splitlines() if line.startswith("letme: warning: skipped")]
    assert len(warnings) == len(rows) - len(accepted)
    # The refusals are the hostile names, regions, roles and wrongly typed fields; the descriptions stay.
    assert hostile.valid_names(rows) <= accepted
    assert not any(name.startswith("region-") for name in accepted)
    assert {n for n in accepted if n.startswith("role-")} == {
        row["name"]["S"] for row in rows
        if row["name"]["S"].startswith("role-") and validate.is_role_arn(row["role"]["L"][0]["S"])}
    cache = hsandbox.home / ".cache" / "letme" / "catalog" / "general"
    names = (cache / "names").read_bytes().decode().split("\n")[:-1]
    assert set(names) == accepted
    assert all(validate.is_account_name(n) for n in names)
    for line in (cache / "regions").read_text().splitlines():
        name, regions = line.split("\t")
        assert validate.is_account_name(name) and all(validate.is_region(r) for r in regions.split())
    no_canary(canary)


def test_list_renders_nothing_from_the_items(hsandbox: Sandbox,
                                             hostile_org: tuple[sampleorg.Org, Path, list[dict]]) -> None:
    _, canary, rows = hostile_org
    hsandbox.ok("init")
    accepted = expected_accepted(rows)
    table = run(hsandbox, "list")
    assert table.returncode == 0
    hostile.assert_no_escape(table.stdout, "list stdout")
    hostile.assert_no_escape(table.stderr, "list stderr")
    lines = table.stdout.decode().splitlines()
    assert len(lines) == 1 + len(accepted)  # one line per account: no newline from a description got through
    names = run(hsandbox, "list", "--names")
    assert set(names.stdout.decode().split("\n")[:-1]) == accepted
    doc = run(hsandbox, "list", "--json")
    assert doc.returncode == 0
    hostile.assert_no_escape(doc.stdout, "list --json stdout")
    listed = {a["name"]: a for a in json.loads(doc.stdout)}
    assert set(listed) == accepted
    # JSON carries the data exactly (escaped, for programs), bounded in length.
    by_name = {row["name"]["S"]: row for row in rows}
    for name, account in listed.items():
        raw = by_name[name].get("description", {}).get("S")
        if raw is not None:
            assert account["description"] == raw[:500]
        # Tags are data (issue 12): kept when printable and bounded; no control character or escape.
        assert all(validate.is_tag(t) for t in account["tags"])
    for query in ("desc", "$(", "\x1b[31m", "'"):
        filtered = run(hsandbox, "list", query)
        # Matches, or none: then exit 1, nothing on stdout and one line on stderr.
        assert filtered.returncode == 0 or (filtered.returncode == 1 and filtered.stdout == b""
                                            and filtered.stderr.count(b"\n") == 1), filtered
        hostile.assert_no_escape(filtered.stdout + filtered.stderr, f"list {query!r}")
    no_canary(canary)


def test_hostile_names_on_the_command_line_are_refused_in_one_clean_line(
        hsandbox: Sandbox, hostile_org: tuple[sampleorg.Org, Path, list[dict]]) -> None:
    _, canary, _ = hostile_org
    hsandbox.ok("init")
    before = {p: p.read_bytes() for p in (hsandbox.credentials_file, hsandbox.config_file)}
    corpus = [s for s in hostile.strings(canary) if "\0" not in s]  # argv cannot carry NUL
    commands = ("obtain", "credential-process", "remove")
    for index, text in enumerate(corpus[::3]):  # every string once, each command in turn
        command = commands[index % len(commands)]
        result = run(hsandbox, command, "--", text)
        assert result.returncode != 0, (command, text)
        err = result.stderr.decode()
        assert err.startswith("letme: error: "), (command, text, err)
        assert "Traceback" not in err
        hostile.assert_no_escape(result.stderr, f"{command} {text!r} stderr")
        assert result.stdout == b""
    assert {p: p.read_bytes() for p in before} == before
    no_canary(canary)


def test_obtain_on_an_item_with_a_hostile_description_writes_only_validated_fields(
        hsandbox: Sandbox, hostile_org: tuple[sampleorg.Org, Path, list[dict]]) -> None:
    _, canary, rows = hostile_org
    hsandbox.ok("init")
    for name in ("desc-000", "desc-015", "desc-054"):  # $(…), a newline payload, an ANSI colour
        result = run(hsandbox, "obtain", name, "--mfa-code", "123456")
        assert result.returncode == 0, result.stderr
        hostile.assert_no_escape(result.stderr, "obtain stderr")
    texts = hsandbox.credentials_file.read_text() + hsandbox.config_file.read_text()
    assert "touch" not in texts and "\x1b" not in texts
    # The cache line for the account is one JSON line, whatever the description held.
    account = catalog.account_from_item_json(json.loads(
        next(line for line in (hsandbox.home / ".cache/letme/catalog/general/accounts.jsonl").read_text().splitlines()
             if line.startswith('{"name":"desc-015"'))))
    assert "\n" in account.description and account.description == next(
        r["description"]["S"] for r in rows if r["name"]["S"] == "desc-015")
    no_canary(canary)


COMPLETE = {
    # Each shell's own completion machinery, asked for the accounts after `letme use `.
    "bash": "COMP_WORDS=(letme use ''); COMP_CWORD=2; COMP_LINE='letme use '; COMP_POINT=10; "
            "__letme_complete letme '' use; printf '%s\\n' \"${{COMPREPLY[@]}}\" > {out}",
    "fish": "complete -C 'letme use ' > {out}",
}
# zsh completes only inside its line editor: TAB on `letme use `, and the list zsh prints below the line
# (LISTMAX=0: no "do you wish to see all" question while the list fits the screen) read from the terminal.
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|[\x00-\x08\x0b-\x1f]")


def complete_zsh(sh: object, out: Path) -> None:
    from shells.harness import Shell

    assert isinstance(sh, Shell)
    sh.run("LISTMAX=0")
    sh.child.send("letme use \t")
    shown = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            shown += sh.child.read_nonblocking(65536, timeout=1.5)
        except pexpect.TIMEOUT:
            if shown:
                break  # quiet for 1.5 s after the list
    sh.child.send("\x03")
    sh.sync()
    words = CSI.sub(" ", shown).split()
    assert "use" in words, words[:10]
    # After the echo of what was typed, the list; zle redraws the typed line around it (no account is
    # called letme or use in the hostile catalog).
    listed = [word for word in words[words.index("use") + 1 :] if word not in ("letme", "use")]
    out.write_text("".join(f"{word}\n" for word in listed))


PAYLOADS = ("\x1b[31mred", "\x1b]0;pwned", "\x1b[2J", "\x1bc", "\x9b31m")


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_use_prompt_and_completion_in_real_shells_execute_and_render_nothing(
        shell_name: str, hsandbox: Sandbox, hostile_org: tuple[sampleorg.Org, Path, list[dict]],
        tmp_path: Path) -> None:
    from shells.harness import Shell

    _, canary, rows = hostile_org
    hsandbox.ok("init")
    accepted = expected_accepted(rows)
    transcript = tmp_path / "transcript"
    sh = Shell(shell_name, hsandbox.env, tmp_path / "work")
    sh.child.logfile_read = transcript.open("w")
    try:
        # An account whose description and tags carry payloads: it switches, the prompt shows only its name.
        for name in ("desc-000", "desc-054", "desc-015"):
            assert sh.status(f"letme use {name} --mode env --mfa-code 123456", timeout=60) == 0
            segment = sh.segment()
            assert segment is not None and name in segment, segment
            hostile.assert_no_escape(segment, "prompt segment")
        # Every hostile string an argument can carry (all but the one with a NUL), quoted by the shell's own
        # rules, goes through the letme function from a sourced script: refused, and nothing runs. After
        # `--`, so that `--help` is a name too.
        quote = shells.get(shell_name).quote
        corpus = [s for s in hostile.strings(canary) if "\0" not in s]
        assert len(corpus) == len(hostile.strings(canary)) - 1
        statuses, script = tmp_path / "statuses", tmp_path / "use-all"
        status = "$status" if shell_name == "fish" else "$?"
        script.write_text("".join(f"letme use --mode env -- {quote(text)}; printf '%s\\n' {status} >> "
                                  f"{quote(str(statuses))}\n" for text in corpus))
        sh.run(f"source {quote(str(script))}", timeout=300)
        codes = statuses.read_text().split()
        assert len(codes) == len(corpus) and "0" not in codes, codes
        # Typed at the prompt as well (line editing included): every fifth printable one, 10 in all.
        typed = [s for s in corpus if s.isprintable() and len(s) < 200]
        for text in typed[::5]:
            assert sh.status(f"letme use {quote(text)} --mode env", timeout=60) != 0, text
        assert sh.getenv("LETME_ACCOUNT") == "desc-015"  # the refusals changed nothing
        out = tmp_path / "completions"
        if shell_name in COMPLETE:
            sh.run(COMPLETE[shell_name].format(out=quote(str(out))), timeout=30)
        else:
            complete_zsh(sh, out)
        offered = {line.split("\t")[0] for line in out.read_text().splitlines() if line}
        assert offered == accepted, (offered - accepted, accepted - offered)
    finally:
        sh.close()
    shown = transcript.read_text(errors="replace")
    for payload in PAYLOADS:
        assert payload not in shown, f"{payload!r} reached the terminal"
    no_canary(canary)

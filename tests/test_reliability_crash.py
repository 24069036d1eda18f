"""Crash safety: a SIGKILL at any write leaves the old file or the new one, never a torn or empty one.

`letme obtain` (adds a profile), `letme remove` (takes it out) and `letme
credential-process --renew` (replaces the cached credentials) first run once under
strace, which lists every system call they make that can change a file: writes,
truncations, renames, deletions, links (tests/tracing.py). Then each runs
again once per such call, and strace's fault injection delivers SIGKILL on entry
to that call, so the process dies with everything before it done and nothing
after. Every kill is checked: the process really died of SIGKILL, both AWS files
are non-empty, parse, and are byte-identical to the state before the command or
to the state the finished command produces, and every credential cache entry
left is whole JSON.

A write in place (open with O_TRUNC, then write) is caught on every run: the
kill at its write leaves an empty file. A kill at a random moment (what this test
did before) landed inside the write in about one run of eight. Nothing in the
product knows it is tested. Without strace the test skips, and fails under CI.
"""

from __future__ import annotations

import configparser
import json
import random
import shutil
from pathlib import Path

import tracing
from conftest import LETME, Sandbox

BIG_PROFILES = 1_500  # ~200 kB of hand-written profiles: a write in place is visibly torn, and runs stay quick
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+"


def big_credentials(count: int) -> str:
    rng = random.Random(7)
    parts = ["# hand-written profiles, many of them\n"]
    for i in range(count):
        secret = "".join(rng.choice(ALPHABET) for _ in range(40))
        parts.append(f"[bulk-{i:05d}]\naws_access_key_id = AKIABULK{i:012d}\naws_secret_access_key = {secret}\n"
                     f"# note {i}\n\n")
    return "".join(parts)


class Files:
    """The two AWS files and letme's cache directory of one sandbox: saved, restored, compared."""

    def __init__(self, box: Sandbox):
        self.box = box
        self.cache = box.home / ".cache" / "letme"
        self.credential_cache = self.cache / "credentials"

    def state(self) -> tuple[bytes, bytes]:
        return self.box.credentials_file.read_bytes(), self.box.config_file.read_bytes()

    def save(self, where: Path) -> Path:
        shutil.copytree(self.cache, where)
        return where

    def restore(self, files: tuple[bytes, bytes], cache_copy: Path) -> None:
        for path, data in zip((self.box.credentials_file, self.box.config_file), files, strict=True):
            path.write_bytes(data)
            path.chmod(0o600)
        shutil.rmtree(self.cache)
        shutil.copytree(cache_copy, self.cache)
        for leftover in self.box.credentials_file.parent.glob(".*.tmp"):
            leftover.unlink()


def parses(data: bytes) -> None:
    configparser.RawConfigParser(strict=False, interpolation=None).read_string(data.decode("utf-8"))


def kill_points(box: Sandbox, args: list[str], env: dict[str, str], log: Path) -> list[tuple[str, int, str]]:
    """(call, n, what) for each file-changing call of one run of `letme ARGS`, n counting that call's uses."""
    result = tracing.trace([LETME, *args], env, log, tracing.CHANGING_CALLS)
    assert result.returncode == 0, result.stderr
    recorded = tracing.calls(log)
    assert len({pid for pid, _, _ in recorded}) <= 1, "letme started another process; the counts would mix"
    seen: dict[str, int] = {}
    points = []
    for _, call, call_args in recorded:
        seen[call] = seen.get(call, 0) + 1
        # Messages on stderr are points too: a kill there comes after the last file was replaced.
        points.append((call, seen[call], f"{call}({call_args[:90]}"))
    return points


def test_sigkill_at_every_file_changing_call_never_tears_a_file(initialised: Sandbox, tmp_path: Path) -> None:
    tracing.require_strace()
    box = initialised
    with box.credentials_file.open("a") as fh:
        fh.write(big_credentials(BIG_PROFILES))
    with box.config_file.open("a") as fh:
        fh.write("".join(f"[profile bulk-{i:05d}]\nregion = eu-west-1\n\n" for i in range(BIG_PROFILES // 8)))
    files = Files(box)
    without = files.state()
    box.ok("obtain", "example1", "--mfa-code", "123456")  # the MFA session and the account's credentials
    with_profile = files.state()
    assert with_profile != without
    # Every run starts from a cache that holds the credentials: obtain takes them from there (no network,
    # one process, the same bytes every run), remove deletes them, credential-process --renew replaces them
    # (through STS: new keys, so its cache entry is judged as old bytes or whole JSON).
    cache = files.save(tmp_path / "cache")
    entry = files.credential_cache / "general" / "example1.json"
    old_entry = entry.read_bytes()
    # No .pyc written mid-run: the interpreter's own writes would move the counts between runs.
    env = {**box.env, "PYTHONDONTWRITEBYTECODE": "1"}

    report = []
    for args, before, after in ((["obtain", "example1"], without, with_profile),
                                (["remove", "example1"], with_profile, without),
                                (["credential-process", "example1", "--renew"], with_profile, with_profile)):
        files.restore(before, cache)
        points = kill_points(box, args, env, tmp_path / f"{args[0]}.strace")
        assert files.state() == after, f"letme {args[0]} under strace did not finish as it does without"
        assert points, f"letme {args[0]} changed no file?"
        outcomes: dict[str, set[str]] = {"credentials": set(), "config": set(), "cache entry": set()}
        for call, nth, shown in points:
            files.restore(before, cache)
            result = tracing.kill_at([LETME, *args], env, call, nth)
            where = f"letme {' '.join(args)} killed at {shown}"
            assert result.returncode == -9, f"{where}: not killed (exit {result.returncode}); did the run change?"
            for name, data, old, new in zip(("credentials", "config"), files.state(), before, after, strict=True):
                assert data, f"{name} is empty after {where}"
                assert data in (old, new), f"{name} is torn after {where} ({len(data)} bytes, " \
                                           f"old {len(old)}, new {len(new)})"
                parses(data)
                outcomes[name].add("old" if data == old else "new")
            for cached in files.credential_cache.glob("*/*.json"):
                data = cached.read_bytes()
                assert data, f"the cache entry {cached.name} is empty after {where}"
                assert isinstance(json.loads(data), dict), f"the cache entry {cached.name} is torn after {where}"
            outcomes["cache entry"].add("absent" if not entry.exists() else
                                        "old" if entry.read_bytes() == old_entry else "new")
        # The kills fell on both sides of a replacement: what the command changes was left old by some kill,
        # and some kill came after a replacement (else the points would not cover the writes at all).
        changed = [name for name, old, new in zip(("credentials", "config"), before, after, strict=True) if old != new]
        changed += ["cache entry"] if args[0] != "obtain" else []
        assert all("old" in outcomes[name] for name in changed), (args, outcomes)
        assert any(outcomes[name] - {"old"} for name in changed), (args, outcomes)
        report.append(f"{args[0]}: {len(points)} kill points ({', '.join(sorted({p[0] for p in points}))})")
    print("; ".join(report))

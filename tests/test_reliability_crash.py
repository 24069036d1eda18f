"""Crash safety: SIGKILL at any moment of a write leaves the old file or the new one, never a torn or empty one.

The credentials file is made big (about 3 MB of unrelated profiles) so that
reading, editing and writing it takes a good part of the process's life, then
`letme obtain` (adds a profile) and `letme remove` (takes it out) are killed
with SIGKILL after random delays spread over their whole lifetime, many times.
After each kill both AWS files must parse and be byte-identical to the state
before the command or to the state the finished command produces; the credential
cache must be absent or whole JSON. Nothing in the product knows it is tested.
"""

from __future__ import annotations

import configparser
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import LETME, Sandbox

KILLS = 30
BIG_PROFILES = 9_000  # ~1.2 MB
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+"


def big_credentials(count: int) -> str:
    rng = random.Random(7)
    parts = ["# hand-written profiles, many of them\n"]
    for i in range(count):
        secret = "".join(rng.choice(ALPHABET) for _ in range(40))
        parts.append(f"[bulk-{i:05d}]\naws_access_key_id = AKIABULK{i:012d}\naws_secret_access_key = {secret}\n"
                     f"# note {i}\n\n")
    return "".join(parts)


def state(box: Sandbox) -> tuple[bytes, bytes]:
    return box.credentials_file.read_bytes(), box.config_file.read_bytes()


def restore(box: Sandbox, files: tuple[bytes, bytes], cache: Path, cache_copy: Path) -> None:
    for path, data in zip((box.credentials_file, box.config_file), files, strict=True):
        path.write_bytes(data)
        path.chmod(0o600)
    shutil.rmtree(cache)
    shutil.copytree(cache_copy, cache)


def parses(data: bytes) -> None:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.read_string(data.decode("utf-8"))


def timed(box: Sandbox, *args: str) -> float:
    started = time.monotonic()
    box.ok(*args)
    return time.monotonic() - started


def test_sigkill_at_random_moments_never_tears_a_file(initialised: Sandbox, tmp_path: Path) -> None:
    box = initialised
    with box.credentials_file.open("a") as fh:
        fh.write(big_credentials(BIG_PROFILES))
    with box.config_file.open("a") as fh:
        fh.write("".join(f"[profile bulk-{i:05d}]\nregion = eu-west-1\n\n" for i in range(BIG_PROFILES // 8)))
    assert box.credentials_file.stat().st_size > 1_000_000
    without = state(box)
    box.ok("obtain", "example1", "--mfa-code", "123456")  # fills the credential cache
    cache = box.home / ".cache" / "letme"
    cache_copy = tmp_path / "cache-copy"
    shutil.copytree(cache, cache_copy)
    with_profile = state(box)
    assert with_profile != without
    # The finished commands, timed: obtain (from cache) adds the profile, remove takes it out again.
    t_obtain = timed(box, "obtain", "example1")
    box.ok("remove", "example1")
    assert state(box) == without  # remove after an append gives back the original bytes
    restore(box, with_profile, cache, cache_copy)
    t_remove = timed(box, "remove", "example1")
    restore(box, without, cache, cache_copy)
    t_obtain = max(t_obtain, timed(box, "obtain", "example1"))  # the slower of two: a loaded machine varies

    rng = random.Random(int(os.environ.get("LETME_TEST_SEED", "0")) or None)
    outcomes = {"old": 0, "new": 0}
    killed_alive = 0
    leftovers = 0
    for i in range(KILLS):
        adding = i % 2 == 0
        before, after = (without, with_profile) if adding else (with_profile, without)
        restore(box, before, cache, cache_copy)
        lifetime = t_obtain if adding else t_remove
        # Early kills (during start-up) prove little; most land in the read-edit-write part.
        delay = rng.uniform(lifetime * 0.2, lifetime * 1.5)
        args = ["obtain", "example1"] if adding else ["remove", "example1"]
        proc = subprocess.Popen([LETME, *args], env=box.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        if proc.poll() is None:
            killed_alive += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        now = state(box)
        for path, data in zip(("credentials", "config"), now, strict=True):
            assert data, f"{path} is empty after a kill at {delay:.3f}s"
            parses(data)
        assert now[0] in (before[0], after[0]), f"credentials torn after a kill at {delay:.3f}s of {args}"
        assert now[1] in (before[1], after[1]), f"config torn after a kill at {delay:.3f}s of {args}"
        outcomes["old" if now == before else "new"] += 1
        entry = cache / "credentials" / "general" / "example1.json"
        if entry.exists():
            json.loads(entry.read_bytes())
        leftovers += len(list(box.credentials_file.parent.glob(".*.tmp")))
        for tmp in box.credentials_file.parent.glob(".*.tmp"):
            tmp.unlink()
    print(f"{KILLS} SIGKILLs ({killed_alive} while running): {outcomes}, temp files left: {leftovers}")
    # The delays spread over the whole lifetime: some kills came before the rename, some after.
    assert killed_alive >= KILLS // 2
    assert outcomes["old"] > 0 and outcomes["new"] > 0

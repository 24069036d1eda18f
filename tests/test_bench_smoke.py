"""The benchmark's smoke mode runs end to end: its own moto server, a tiny catalog, every row, a report.

Timings are not judged here (the bench is not part of pass/fail); what is checked is that every row was
measured and that the report is written, so the full `python bench/run.py` does not rot.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_writes_a_report(tmp_path: Path) -> None:
    for tool in ("bash", "zsh"):
        if not shutil.which(tool):
            pytest.skip(f"the bench's shell rows need {tool}, which is not installed")
    if importlib.util.find_spec("moto") is None:
        pytest.skip("the bench needs moto[server] (pip install -e '.[test]')")
    out = tmp_path / "BENCHMARKS.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LETME_"))}
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
                            env=env, capture_output=True, text=True, timeout=170)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    report = out.read_text()
    assert "## Targets" in report
    rows = [line for line in report.splitlines() if line.startswith("| ") and line.endswith(("met |", "missed** |"))]
    # Nineteen target rows in --quick (its one catalog gives one picker-open row; the full run has two), each
    # measured (none left as "not measured").
    assert len(rows) == 19, report
    for job in ("letme use", "credential-process", "prompt segment render, bash", "prompt segment render, zsh",
                "completion", "history, bash", "1-letter fragment", "letme list", "letme init", "3-hop",
                "picker opens", "picker closes on Esc", "peak memory", "per-directory accounts on",
                "credential_store = keyring"):
        assert any(job in row for row in rows), f"no row for {job}:\n{report}"
    # One process per TAB (the awk that ranks the names), history or not.
    assert report.count("processes started in 10 calls: 10") == 3, report
    # No process at a prompt: the strace count, where strace exists, is 0 (the segment in bash and zsh, and the
    # prompt 12 directories deep in a .letme tree, with PWD unchanged and after a cd inside the tree).
    if shutil.which("strace"):
        assert report.count("processes started in 100 calls: 0") == 6, report
    # The budget of the smoke mode; generous for a loaded CI machine, the mode itself takes ~30 s.
    assert elapsed < 170

"""The wheel carries the shell files, and an installed (non-editable) letme finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHELL_FILES = ["shell/letme.bash", "shell/letme.zsh", "shell/letme.fish", "shell/letme.ps1",
               "completions/letme.bash", "completions/_letme", "completions/letme.fish", "completions/letme.ps1"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {result.stderr.strip().splitlines()[-1:]}")
    return next(out.glob("letme_shell-*.whl"))


def test_wheel_contains_every_shell_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in SHELL_FILES:
        assert f"letme_shell/_data/{path}" in names, path
        assert (ROOT / path).is_file()


def test_installed_wheel_prints_the_hook(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # The dependencies come from this environment; the package itself only from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True, timeout=300, capture_output=True)
    # cwd elsewhere: run from the checkout, `python -c` would import the source tree instead.
    where = subprocess.run([venv / "bin" / "python", "-c", "import letme_shell; print(letme_shell.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert where.startswith(str(venv)), where
    for shell, marker in (("bash", "letme()"), ("zsh", "letme()"), ("fish", "function letme")):
        hook = subprocess.run([venv / "bin" / "letme", "hook", shell], capture_output=True, text=True, timeout=60,
                              cwd=tmp_path)
        assert hook.returncode == 0, hook.stderr
        assert marker in hook.stdout and "@LETME_SETUP@" not in hook.stdout

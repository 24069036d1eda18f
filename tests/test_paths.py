"""paths applies the XDG rules itself on Linux (to skip platformdirs' import cost); it must agree with platformdirs."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from letme_shell import paths

CASES = [
    {},
    {"XDG_CONFIG_HOME": "/x/conf", "XDG_CACHE_HOME": "/x/cache", "XDG_STATE_HOME": "/x/state"},
    {"XDG_CONFIG_HOME": "   ", "XDG_CACHE_HOME": "", "XDG_STATE_HOME": "relative/state"},
]


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="platformdirs is used directly there")
@pytest.mark.parametrize("xdg", CASES, ids=["defaults", "set", "blank-or-relative"])
def test_xdg_dirs_agree_with_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: dict[str, str]):
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "LETME_CONFIG", "LETME_CACHE_DIR",
                 "LETME_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in xdg.items():
        monkeypatch.setenv(name, value)
    assert paths.config_file() == Path(platformdirs.user_config_dir("letme", appauthor=False)) / "letme.toml"
    assert paths.cache_dir() == Path(platformdirs.user_cache_dir("letme", appauthor=False))
    assert paths.state_dir() == Path(platformdirs.user_state_dir("letme", appauthor=False))


def test_overrides_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("LETME_CONFIG", "~/my.toml")
    monkeypatch.setenv("LETME_CACHE_DIR", str(tmp_path / "c"))
    assert paths.config_file() == tmp_path / "my.toml"
    assert paths.config_file("/explicit.toml") == Path("/explicit.toml")
    assert paths.cache_dir() == tmp_path / "c"

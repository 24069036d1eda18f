"""Fixtures shared by the interactive shell tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.shells.harness import Shell


@pytest.fixture
def open_shell(catalogued, tmp_path) -> Iterator[Callable[..., Shell]]:
    """Start real interactive shells (hook loaded unless hook=False) in the catalogued sandbox; closed after."""
    opened: list[Shell] = []
    (catalogued.home / ".zshrc").write_text("")  # a child zsh (letme shell) would run zsh-newuser-install

    def start(name: str, **kwargs: object) -> Shell:
        shell = Shell(name, catalogued.env, tmp_path / f"work-{name}-{len(opened)}", **kwargs)  # type: ignore[arg-type]
        opened.append(shell)
        return shell

    yield start
    for shell in opened:
        shell.close()

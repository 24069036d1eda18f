"""The shell files `letme hook` prints, wherever letme is installed from.

An installed wheel carries them at letme_shell/_data/{shell,completions}
(pyproject force-includes both folders); an editable install or a source
checkout has them next to the package.
"""

from __future__ import annotations

from pathlib import Path

from letme_shell.errors import LetmeError

_PACKAGE = Path(__file__).resolve().parent


def path(kind: str, name: str) -> Path:
    for base in (_PACKAGE / "_data" / kind, _PACKAGE.parent / kind):
        candidate = base / name
        if candidate.is_file():
            return candidate
    raise LetmeError(f"letme's {kind}/{name} is missing from this installation", "reinstall letme")


def read(kind: str, name: str) -> str:
    return path(kind, name).read_text(encoding="utf-8")

"""The shell registry and shell detection.

A new shell is one module with a `Shell` subclass and one line in `_REGISTRY`.
Detection asks shellingham (which walks the parent processes), then $SHELL.
"""

from __future__ import annotations

import os

from letme_shell.errors import ExitCode, LetmeError
from letme_shell.shells.base import Shell

_REGISTRY = {
    "bash": ("letme_shell.shells.bash", "Bash"),
    "zsh": ("letme_shell.shells.zsh", "Zsh"),
    "fish": ("letme_shell.shells.fish", "Fish"),
    "powershell": ("letme_shell.shells.pwsh", "PowerShell"),
}
ALIASES = {"pwsh": "powershell", "ps1": "powershell"}
NAMES = tuple(_REGISTRY)


def get(name: str) -> Shell:
    import importlib

    key = ALIASES.get(name.lower(), name.lower())
    if key not in _REGISTRY:
        raise LetmeError(f"letme does not support the shell '{name}'", f"supported: {', '.join(NAMES)}",
                         ExitCode.USAGE)
    module_name, class_name = _REGISTRY[key]
    shell: Shell = getattr(importlib.import_module(module_name), class_name)()
    return shell


def _known(name: str) -> str | None:
    base = os.path.basename(name).lower().lstrip("-").removesuffix(".exe")
    key = ALIASES.get(base, base)
    return key if key in _REGISTRY else None


def detect_program() -> tuple[str | None, str | None]:
    """(letme's name for the shell or None, the shell's executable path or None)."""
    try:
        import shellingham

        found, path = shellingham.detect_shell()
        return _known(found), path
    except Exception:  # shellingham.ShellDetectionFailure, or no /proc to walk
        pass
    env_shell = os.environ.get("SHELL")
    if env_shell:
        return _known(env_shell), env_shell
    return None, None


def detect() -> Shell:
    name, _ = detect_program()
    if name is None:
        raise LetmeError("cannot tell which shell this is", f"name it: one of {', '.join(NAMES)}", ExitCode.USAGE)
    return get(name)

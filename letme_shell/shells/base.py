"""What every shell target provides, stated once.

A `Shell` turns the shell-neutral `EnvChange` into code its shell evaluates, and
renders the hook (`letme hook NAME`) from two real files, `shell/letme.<ext>`
and the completion script, which are valid scripts as they stand. Each file has
one placeholder line, `# @LETME_SETUP@`, which `hook()` replaces by a few
variable assignments (the letme path, the cache and state directories), every
value quoted by the shell's own `quote`. Without the substitution, the file
falls back to `letme` on PATH and the default directories.

Rules every shell module meets:
- `quote(value)` returns one token that the shell reads back as exactly `value`,
  byte for byte, and that expands nothing (no variables, commands or globs);
- only names matching `NAME` are ever rendered: a name is code, not data;
- every statement ends with `;` so the output also works evaluated as one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from letme_shell import resources
from letme_shell.envchange import EnvChange
from letme_shell.errors import LetmeError

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLACEHOLDER = "# @LETME_SETUP@"


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise LetmeError(f"refusing to export a variable named {name!r}")
    return name


def check_value(value: str) -> str:
    # A NUL cannot live in an environment variable; every other byte is quoted.
    if "\0" in value:
        raise LetmeError("refusing to export a value containing a NUL byte")
    return value


class Shell:
    name: str = ""
    # `letme hook` files: shell/letme.<ext>, completions/<completion>.
    hook_file: str = ""
    completion_file: str = ""
    # What the user puts in their rc file, and which file that is.
    rc_line: str = ""
    rc_file: str = ""
    # A line put before the two files and one after them, for what must hold while the shell reads them.
    prelude: str = ""
    epilogue: str = ""

    def quote(self, value: str) -> str:
        raise NotImplementedError

    def export(self, name: str, value: str) -> str:
        raise NotImplementedError

    def unset(self, name: str) -> str:
        raise NotImplementedError

    def assign(self, name: str, value: str) -> str:
        """A plain (not exported) shell variable, for the hook's set-up block."""
        raise NotImplementedError

    def render(self, change: Mapping[str, str | None] | EnvChange) -> str:
        lines = []
        for name, value in change.items():
            check_name(name)
            lines.append(self.unset(name) if value is None else self.export(name, check_value(value)))
        return "".join(line + "\n" for line in lines)

    def setup_block(self, settings: Mapping[str, str]) -> str:
        return "\n".join(self.assign(check_name(k), check_value(v)) for k, v in settings.items())

    def hook(self, settings: Mapping[str, str]) -> str:
        """The hook file then the completion file, with the set-up block in place of the placeholder."""
        block = self.setup_block(settings)
        parts = []
        for text in (resources.read("shell", self.hook_file), resources.read("completions", self.completion_file)):
            if text.count(PLACEHOLDER) > 1:
                raise AssertionError(f"more than one {PLACEHOLDER} in a {self.name} file")
            parts.append(text.replace(PLACEHOLDER, block))
        return self.prelude + "\n".join(parts) + self.epilogue

"""fish: `set -gx NAME 'value';`

Quoting rule: inside fish single quotes exactly two escapes exist, `\\'` for a
quote and `\\\\` for a backslash; everything else (`$`, `(`, newlines, `\\n`
spelled as two characters) is literal. So backslashes are doubled first, then
quotes are escaped. `set -e -g` erases the global variable and is silent when
it is not set.
"""

from __future__ import annotations

from letme_shell.shells.base import Shell


class Fish(Shell):
    name = "fish"
    hook_file = "letme.fish"
    completion_file = "letme.fish"
    rc_line = "letme hook fish | source"
    rc_file = "~/.config/fish/config.fish"

    def quote(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def export(self, name: str, value: str) -> str:
        return f"set -gx {name} {self.quote(value)};"

    def unset(self, name: str) -> str:
        return f"set -e -g {name};"

    def assign(self, name: str, value: str) -> str:
        return f"set -g {name} {self.quote(value)}"

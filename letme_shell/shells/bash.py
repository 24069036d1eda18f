"""bash: `export NAME='value';`

Quoting rule: the value goes between single quotes, inside which bash gives no
character a special meaning (no `$`, backquote, backslash or history expansion);
a single quote itself is written as `'\\''`: close the quote, an escaped quote,
reopen. Newlines and every other byte stay as they are. This is POSIX sh quoting,
so `shlex.quote` would do the same, but the rule is spelled out here so the zsh,
fish and PowerShell modules can be read side by side with it.
"""

from __future__ import annotations

from letme_shell.shells.base import Shell


def posix_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


class Bash(Shell):
    name = "bash"
    hook_file = "letme.bash"
    completion_file = "letme.bash"
    rc_line = 'eval "$(letme hook bash)"'
    rc_file = "~/.bashrc"
    # With `set +o interactive-comments`, bash runs every comment line of the hook as a command (and
    # stops at the first `(` in one). eval reads its input one command at a time, so a first line that
    # turns comments on covers the rest; the last line puts the user's setting back.
    prelude = ("__letme_comments=0; \\shopt -q interactive_comments && __letme_comments=1; "
               "\\shopt -s interactive_comments\n")
    epilogue = "\n((__letme_comments)) || \\shopt -u interactive_comments; \\unset __letme_comments\n"

    def quote(self, value: str) -> str:
        return posix_quote(value)

    def export(self, name: str, value: str) -> str:
        return f"export {name}={self.quote(value)};"

    def unset(self, name: str) -> str:
        return f"unset {name};"

    def assign(self, name: str, value: str) -> str:
        return f"{name}={self.quote(value)}"

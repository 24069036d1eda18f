"""PowerShell: `$env:NAME = 'value';`

Quoting rules:
1. Values go in verbatim (single-quoted) strings: no `$` expansion, no backtick
   escapes, newlines kept.
2. PowerShell treats the typographic quotes U+2018, U+2019, U+201A and U+201B
   as single quotes too, so each of them, like `'`, is doubled; otherwise a
   value containing `’` would end the string early.
3. Removal uses `Remove-Item -LiteralPath Env:NAME`, so no wildcard in a name is
   ever expanded, and `-ErrorAction SilentlyContinue` makes removing an unset
   variable a no-op.
4. Names are checked against base.NAME before they reach `$env:`.
No pwsh runs in this project's CI; tests check these rules against a table.
"""

from __future__ import annotations

from letme_shell.shells.base import Shell

SINGLE_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


class PowerShell(Shell):
    name = "powershell"
    hook_file = "letme.ps1"
    completion_file = "letme.ps1"
    rc_line = "Invoke-Expression (& letme hook powershell | Out-String)"
    rc_file = "$PROFILE"

    def quote(self, value: str) -> str:
        return "'" + "".join(ch + ch if ch in SINGLE_QUOTES else ch for ch in value) + "'"

    def export(self, name: str, value: str) -> str:
        return f"$env:{name} = {self.quote(value)};"

    def unset(self, name: str) -> str:
        return f"Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue;"

    def assign(self, name: str, value: str) -> str:
        return f"$script:{name} = {self.quote(value)}"

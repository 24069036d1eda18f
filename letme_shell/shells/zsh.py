"""zsh: `export NAME='value';`

Quoting rule: as in bash (see bash.py). Inside single quotes zsh expands
nothing; `'\\''` still means one quote, also with RC_QUOTES set (which only adds
`''` as a second spelling). `typeset -gx` would be needed inside a function
body, but the hook evaluates the output at the top level of its wrapper with
plain `export`, which in zsh marks the global parameter.
"""

from __future__ import annotations

from letme_shell.shells.bash import Bash


class Zsh(Bash):
    name = "zsh"
    hook_file = "letme.zsh"
    completion_file = "_letme"
    rc_line = 'eval "$(letme hook zsh)"'
    rc_file = "~/.zshrc"
    # zsh reads comments in eval whatever INTERACTIVE_COMMENTS says: none of bash's prelude.
    prelude = epilogue = ""

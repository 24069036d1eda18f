"""letme: switch a shell between AWS accounts in one command.

Nothing is imported here on purpose: every `letme` invocation, the prompt's
refresh and TAB completion start by importing this package, so it stays empty.
"""

__version__ = "0.3.0"

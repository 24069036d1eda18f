"""How an account is named outside its context: `example1` in [general], `example1@b` in context b.

Two contexts may both have an account called `example1` (two hubs, two tables,
two AWS accounts). Everything that outlives one command names the account with
its context, so the two can never be taken for each other: the AWS profile
(`--profile example1@b`), AWS_PROFILE, LETME_ACCOUNT and the prompt segment. The
default context keeps the bare name, so a one-context set-up reads as it always
did (`--profile example1`, as the original letme wrote it); only an account called
`default` is always qualified (`default@general`), never the AWS files' [default].

Account names never contain `@` (validate.ACCOUNT_NAME) and context names never
do either (validate.CONTEXT_NAME), so a qualified name splits one way only.
"""

from __future__ import annotations

from letme_shell import validate
from letme_shell.config import DEFAULT_CONTEXT

# A catalog account named like this would become the AWS files' [default] profile: every SDK, shell and cron
# job without a profile, letme's own hub calls included, would act in it. It is always qualified.
RESERVED = ("default",)


def qualified(account: str, context: str) -> str:
    return account if context == DEFAULT_CONTEXT and account not in RESERVED else f"{account}@{context}"


def split(name: str) -> tuple[str, str | None]:
    """(account, context) of `example1@b`; (name, None) when it names no context."""
    account, at, context = name.rpartition("@")
    if not at:
        return name, None
    return account, context


def is_qualified_name(value: object) -> bool:
    """An account name, optionally followed by @context: what LETME_ACCOUNT and AWS_PROFILE may hold."""
    return isinstance(value, str) and validate.QUALIFIED_NAME.fullmatch(value) is not None

"""What several commands share: loading settings, naming an account."""

from __future__ import annotations

import argparse
import json
import sys

from letme_shell import config
from letme_shell.config import Settings
from letme_shell.errors import ExitCode, LetmeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from letme_shell.adhoc import AdhocAccount


def speaks(args: argparse.Namespace) -> bool:
    """Whether someone reads this command's stderr, so that it may say which config file it read: not an SDK
    running credential-process (or the original's `obtain X --v1`), nor the prompt's refresh."""
    return not any(getattr(args, flag, False) for flag in ("machine", "v1", "background", "apply"))


def settings(args: argparse.Namespace) -> Settings:
    return _with_options(args, config.load(getattr(args, "config", None), getattr(args, "context", None),
                                           announce=speaks(args)))


def _with_options(args: argparse.Namespace, loaded: Settings) -> Settings:
    """The command's own overrides of the config (--role-session-name)."""
    loaded.role_session_name = getattr(args, "role_session_name", None)
    return loaded


def settings_for(args: argparse.Namespace, name: str, qualified: bool = False) -> tuple[Settings, str]:
    """The settings and the account of NAME, where `example1@b` names context b (see naming).
    A bare name typed by the user is looked up in the context --context, LETME_CONTEXT or the
    config chose; a bare name letme wrote itself (`qualified`: LETME_ACCOUNT, LETME_PREVIOUS)
    is the default context's."""
    if "@" not in name and not qualified:  # the common case, without importing naming
        return settings(args), name
    from letme_shell import naming, validate

    account, context = naming.split(name)
    if context is None and qualified:
        context = config.DEFAULT_CONTEXT
    if context is None:
        return settings(args), name
    if not validate.is_context_name(context) or not validate.is_account_name(account):
        raise LetmeError(f"'{validate.printable(name)}' is not a valid account name",
                         "an account is NAME, or NAME@CONTEXT for another context's account; see 'letme list'",
                         ExitCode.USAGE)
    given = getattr(args, "context", None)
    if given and given != context:
        raise LetmeError(f"'{validate.printable(name)}' names context '{context}', but --context says "
                         f"'{validate.printable(given)}'", "give one of them", ExitCode.USAGE)
    return _with_options(args, config.load(getattr(args, "config", None), context, announce=speaks(args))), account


def add_account(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    parser.add_argument("account", nargs="?" if optional else None, metavar="ACCOUNT",
                        help="account name from the catalog (see 'letme list')")


def _mfa_code(text: str) -> str:
    # Checked before any AWS call, so a typo costs no request and no MFA attempt; never echoed.
    # `123 456` and `123-456` too, as authenticator apps show codes.
    from letme_shell import validate

    code = validate.mfa_code(text)
    if code is None:
        raise argparse.ArgumentTypeError("an MFA code is 6 digits (123456, 123 456 or 123-456)")
    return code


def add_mfa(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mfa-code", "--inline-mfa", dest="mfa_code", metavar="CODE", type=_mfa_code,
                        help="MFA code (otherwise asked on the terminal when needed)")


def role_session_name(text: str) -> str:
    from letme_shell import validate

    if not validate.SESSION_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(f"'{validate.printable(text)}' is not a role session name "
                                         "(2-64 letters, digits or +=,.@_-)")
    return text


def add_session_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role-session-name", metavar="NAME", type=role_session_name,
                        help="RoleSessionName of the sessions this command makes (default: session_name in the "
                        "config, else <account>-letme-session)")


def _role_arn(text: str) -> str:
    from letme_shell import validate

    if not validate.is_role_arn(text):
        raise argparse.ArgumentTypeError(f"'{validate.printable(text)}' is not an IAM role ARN "
                                         "(arn:aws:iam::123456789012:role/NAME)")
    return text


def _alias(text: str) -> str:
    from letme_shell import validate

    if not validate.is_account_name(text):
        raise argparse.ArgumentTypeError(f"'{validate.printable(text)}' is not a valid account name (1-128 ASCII "
                                         "letters, digits, '.', '_' and '-', starting with a letter or digit)")
    return text


def _external_id(text: str) -> str:
    from letme_shell import validate

    if not validate.EXTERNAL_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"'{validate.printable(text)}' is not an STS external id "
                                         "(2-1224 letters, digits or +=,.@:/_-)")
    return text


# The argparse types of the ad-hoc role options, for exec's own late-option parser.
ADHOC_TYPES = {"role_arn": _role_arn, "name": _alias, "external_id": _external_id}


def add_role_arn(parser: argparse.ArgumentParser) -> None:
    """--role-arn (repeatable: a chain), --name and --external-id: a role that is not in the catalog (adhoc.py)."""
    parser.add_argument("--role-arn", metavar="ARN", action="append", type=_role_arn,
                        help="assume this role instead of a catalog account (no ACCOUNT then); repeat it for a "
                        "chain, in order")
    parser.add_argument("--name", metavar="ALIAS", type=_alias,
                        help="with --role-arn: the name it goes by (default: <account-id>-<RoleName>)")
    parser.add_argument("--external-id", metavar="ID", type=_external_id,
                        help="with --role-arn: the ExternalId of the (last) role")


def adhoc_account(args: argparse.Namespace, settings: Settings) -> AdhocAccount | None:
    """The ad-hoc account of --role-arn (see adhoc.py), or None without it. --name and --external-id need
    --role-arn, and --role-arn takes the place of ACCOUNT: one line each, exit 2."""
    arns = getattr(args, "role_arn", None)
    account = getattr(args, "account", None)
    if not arns:
        for flag in ("name", "external_id"):
            if getattr(args, flag, None) is not None:
                option = "--" + flag.replace("_", "-")
                raise LetmeError(f"{option} goes with --role-arn",
                                 "a catalog account is named by ACCOUNT alone (its external id, too, comes from "
                                 "the catalog)", ExitCode.USAGE)
        return None
    if account is not None:
        from letme_shell import validate

        raise LetmeError(f"give either ACCOUNT ('{validate.printable(account)}') or --role-arn, not both",
                         "name the role with --name ALIAS", ExitCode.USAGE)
    from letme_shell import adhoc

    return adhoc.account(settings, arns, getattr(args, "name", None), getattr(args, "external_id", None))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")

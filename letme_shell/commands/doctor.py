"""letme doctor: check the set-up, one line per check with what to do about it.

The report is the command's result, so it goes to stdout (`--json` for scripts);
the exit status is 1 when any check failed. Warnings (a missing hook in a script,
an old catalog cache) do not fail. Nothing here imports boto3 or calls an AWS
API: the endpoint check is a TCP connect with a 3-second limit, and the clock
check reads the Date of the endpoint's answer to a plain HEAD request.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import stat
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from letme_shell import catalog, config, paths, ui, validate
from letme_shell.commands import _common
from letme_shell.config import Settings
from letme_shell.errors import LetmeError

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
COLORS = {OK: "32", WARN: "33", FAIL: "31", SKIP: "2"}
CONNECT_TIMEOUT = 3.0
CATALOG_STALE_DAYS = 30
# The function from `letme hook` marks the letme it runs with this (see commands/use.py).
HOOK_VAR = "LETME_HOOK_SHELL"
# And, for doctor only, what the prompt the user last saw contained (each hook's __letme_prompt_state).
PROMPT_VAR = "LETME_HOOK_PROMPT"
# Variables other credential tools set; prompt segments (starship, oh-my-zsh, p10k) show
# them before, or instead of, the profile letme selected.
FOREIGN_PREFIXES = ("AWSUME_", "GRANTED_", "AWS_SSO_")
FOREIGN_NAMES = ("AWS_VAULT", "ASSUMED_ROLE", "AWS_OKTA_PROFILE", "AWSPX_PROFILE", "LEAPP_SESSION")


@dataclasses.dataclass
class Check:
    name: str
    status: str
    message: str
    fix: str | None = None

    def line(self, color: bool) -> str:
        marker = f"{self.status:<4}"
        if color:
            marker = f"\033[{COLORS[self.status]}m{marker}\033[0m"
        text = f"{marker}  {self.name:<12} {self.message}"
        return text + (f"; fix: {self.fix}" if self.fix else "")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--no-network", action="store_true", help="skip the endpoint check")


def check_config(args: argparse.Namespace) -> tuple[Check, Settings | None]:
    """Which config file letme reads and why: its own, else the original letme's ~/.letme/letme-config."""
    given = getattr(args, "context", None)
    try:
        source = config.read_source(args.config)
        settings = config.load(args.config, given)
        _, why = config.choose_context(source, given)
    except LetmeError as exc:
        return Check("config", FAIL, exc.message, exc.hint or "correct the config file"), None
    if source.legacy:
        explicit = args.config or os.environ.get("LETME_CONFIG")
        because = "--config or LETME_CONFIG names it" if explicit else f"{paths.config_file()} does not exist"
        return Check("config", OK, f"{source.path}, the original letme's config ({source.form}), is read because "
                     f"{because}; context '{settings.context}' ({why}); "
                     "'letme config migrate' writes it as letme's own"), settings
    message = f"{settings.path} (context '{settings.context}')"
    old = paths.legacy_config_file()
    if not (args.config or os.environ.get("LETME_CONFIG")) and os.path.lexists(old):
        message += f"; the original letme's {old} is not read while this file exists"
    return Check("config", OK, message), settings


def check_catalog(settings: Settings) -> Check:
    info = catalog.info(settings.context)
    if info is None:
        return Check("catalog", FAIL, f"no catalog cache for context '{settings.context}'", "run 'letme init'")
    age = time.time() - info.fetched_at
    sources = settings.sources()
    where = f"'{info.table}'" if sources == ["table"] else ", ".join(
        f"the table '{info.table}'" if source == "table" else source for source in sources)
    text = f"{info.count} accounts from {where}, fetched {_age(age)} ago"
    stale = catalog.mismatch(settings, info)
    if stale is not None:  # every command refuses such a cache until `letme init`
        return Check("catalog", FAIL, stale, "run 'letme init'")
    if age > CATALOG_STALE_DAYS * 86400:
        return Check("catalog", WARN, text, "run 'letme init' to pick up new accounts")
    return Check("catalog", OK, text)


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def check_hook() -> Check:
    marked = os.environ.get(HOOK_VAR)
    if marked:
        return Check("hook", OK, f"the letme function is loaded in this {validate.printable(marked)} shell")
    try:
        from letme_shell import shells

        shell = shells.detect()
        fix = f"add to {shell.rc_file}: {shell.rc_line}"
    except LetmeError:
        fix = "add to your shell's rc file: eval \"$(letme hook bash)\" (or zsh; fish: letme hook fish | source)"
    return Check("hook", WARN, "the letme shell hook is not active here ('letme use' cannot change this shell)", fix)


# Where a prompt tool's own line must come relative to the hook's, per shell.
_PROMPT_FIXES = {
    "bash": "put eval \"$(letme hook bash)\" after the lines of ~/.bashrc that set PROMPT_COMMAND or PS1 "
            "(git-prompt, bash-preexec, a theme), and do not replace PROMPT_COMMAND as a whole array later",
    "zsh": "put eval \"$(letme hook zsh)\" after the theme in ~/.zshrc, and keep __letme_precmd in precmd_functions",
    "fish": "load the hook after the theme in config.fish (letme hook fish | source); a theme that redefines "
            "fish_prompt at every prompt needs LETME_PROMPT=0 and letme's values in its own prompt",
    "powershell": "load the hook after the line that defines your prompt (oh-my-posh, starship) in $PROFILE",
}


def check_prompt() -> Check:
    """The prompt the user saw last, as the hook's letme function describes it on doctor's command line:
    shown (the segment's place was in it), off (LETME_PROMPT=0), overwritten (a prompt tool rewrote the
    prompt after the hook drew it), not-run (the hook's prompt function no longer runs)."""
    shell = os.environ.get(HOOK_VAR)
    state = os.environ.get(PROMPT_VAR)
    if not shell:
        return Check("prompt", SKIP, "not checked: the letme shell hook is not active here")
    if state not in ("shown", "off", "overwritten", "not-run"):
        return Check("prompt", SKIP, "not checked: this hook does not say what its prompt shows "
                     "(open a new shell to load the current hook)")
    fix = _PROMPT_FIXES.get(shell, _PROMPT_FIXES["bash"])
    if state == "off":
        return Check("prompt", OK, "LETME_PROMPT=0: no segment, as set")
    if state == "not-run":
        return Check("prompt", WARN, "letme's prompt function no longer runs, so the prompt does not show the "
                     "account in use (a later line replaced the shell's prompt hooks)", fix)
    if state == "overwritten":
        return Check("prompt", WARN, "the prompt you see has no letme segment: a prompt tool rewrote it after "
                     "letme's hook", fix)
    account = os.environ.get("LETME_ACCOUNT") or ""
    from letme_shell import naming

    if naming.is_qualified_name(account):
        return Check("prompt", OK, f"the prompt shows letme's segment (now {account})")
    return Check("prompt", OK, "the prompt has letme's segment (empty while no account is in use)")


def _private(path: Path) -> str | None:
    """None when only the owner can read `path`, else its mode as text."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return None if mode & 0o077 == 0 else f"{mode:04o}"


def check_permissions(settings: Settings | None) -> Check:
    files = [paths.aws_credentials_file()]
    if settings is not None:
        cache = paths.credentials_cache_dir(settings.context)
        if cache.is_dir():
            files += sorted(p for p in cache.iterdir() if p.is_file() and not p.name.endswith(".lock"))
    exposed = [(path, mode) for path in files if (mode := _private(path)) is not None]
    if exposed:
        path, mode = exposed[0]
        more = f" (and {len(exposed) - 1} more)" if len(exposed) > 1 else ""
        return Check("permissions", FAIL, f"{path} is readable by others (mode {mode}, expected 0600){more}",
                     "chmod 600 " + " ".join(str(p) for p, _ in exposed))
    present = [p for p in files if p.exists()]
    if not present:
        return Check("permissions", OK, "no credential files yet")
    return Check("permissions", OK, f"{len(present)} credential file(s), readable by you only")


def _section(path: Path, section: str) -> dict[str, str] | None:
    """The keys and values of `section` in an INI file, None when the file or the section is not there."""
    import configparser

    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return None
    return dict(parser[section]) if parser.has_section(section) else None


def _source_kind(creds: dict[str, str] | None, conf: dict[str, str] | None) -> str | None:
    """The kind of source a profile is, in the order botocore's credential chain tries them."""
    conf, creds = conf or {}, creds or {}
    if "role_arn" in conf or "role_arn" in creds:
        return "role"
    if "web_identity_token_file" in conf:
        return "web-identity"
    if "sso_session" in conf or "sso_start_url" in conf:
        return "sso"
    if "login_session" in conf:  # `aws login` (console credentials)
        return "login"
    if "aws_access_key_id" in creds:
        return "temporary" if "aws_session_token" in creds else "keys"
    if "credential_process" in conf or "credential_process" in creds:
        return "process"
    if "aws_access_key_id" in conf:
        return "temporary" if "aws_session_token" in conf else "keys"
    return None


def check_source_profile(settings: Settings) -> Check:
    """The source profile must have credentials of some kind, or boto3 finds none. Says which kind (IAM user
    keys, a role profile, credential_process, IAM Identity Center) and whether MFA (mfa_arn) applies to it."""
    name = settings.aws_source_profile
    creds_file, config_file = paths.aws_credentials_file(), paths.aws_config_file()
    conf = _section(config_file, "default" if name == "default" else f"profile {name}")
    creds = _section(creds_file, name)
    kind = _source_kind(creds, conf)
    if kind is None:
        return Check("source", FAIL, f"the source profile '{name}' has no credentials in {creds_file} or "
                     f"{config_file}",
                     f"add [{name}] with the hub user's keys to {creds_file}, or set aws_source_profile")
    labels = {"keys": "IAM user keys", "temporary": "temporary keys (a session token)", "role": "a role profile",
              "process": "credential_process", "sso": "IAM Identity Center (SSO)", "web-identity": "web identity",
              "login": "an 'aws login' session"}
    text = f"profile '{name}' is {labels[kind]}"
    if kind == "keys":
        mfa = (f"MFA: {settings.mfa_arn} (an MFA session)" if settings.mfa_arn
               else "MFA: no mfa_arn; letme finds your MFA device when AWS asks for one")
    elif kind == "process":
        mfa = ("mfa_arn does not apply unless the process gives an IAM user's long-term keys" if settings.mfa_arn
               else "MFA: none (the process's own)")
    else:
        mfa = "mfa_arn does not apply to it" if settings.mfa_arn else "MFA: the source's own, if any"
    if kind == "sso":
        expired = _sso_sign_in_problem(config_file, name, conf or {})
        if expired:
            session = (conf or {}).get("sso_session")
            fix = f"run 'aws sso login --profile {name}'" + (
                f" (or 'aws sso login --sso-session {validate.printable(session)}')" if session else "")
            return Check("source", WARN, f"{text}; its sign-in {expired}; {mfa}", fix)
    return Check("source", OK, f"{text}; {mfa}")


def _sso_sign_in_problem(config_file: Path, name: str, conf: dict[str, str]) -> str | None:
    """Why the SSO token `aws sso login` left for this profile cannot be used (missing, expired), or None.
    The AWS CLI keeps it in ~/.aws/sso/cache/<sha1 of the sso-session name, or of the start URL>.json."""
    import hashlib
    import json

    session = conf.get("sso_session")
    key = session or conf.get("sso_start_url") or ""
    path = Path.home() / ".aws" / "sso" / "cache" / f"{hashlib.sha1(key.encode()).hexdigest()}.json"
    try:
        token = json.loads(path.read_text(encoding="utf-8"))
        expires = str(token["expiresAt"])
    except (OSError, ValueError, KeyError, TypeError):
        return "is missing (no token from 'aws sso login')"
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
    except ValueError:
        return "has an unreadable expiry"
    # botocore renews a token that has a refresh token; without one, an expired token is the end.
    if when.timestamp() <= time.time() and "refreshToken" not in token:
        return f"expired at {when.strftime('%Y-%m-%d %H:%M')} UTC"
    return None


def check_foreign_variables() -> Check:
    found = sorted(name for name in os.environ
                   if name.startswith(FOREIGN_PREFIXES) or name in FOREIGN_NAMES)
    # Static keys beat AWS_PROFILE in every SDK: letme's profile would be ignored.
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("LETME_MODE") != "env":
        found.append("AWS_ACCESS_KEY_ID")
    if not found:
        return Check("environment", OK, "no variables from other AWS tools")
    shown = ", ".join(found[:6]) + (" …" if len(found) > 6 else "")
    return Check("environment", WARN, f"{shown} set by another tool would shadow letme's account in prompts and SDKs",
                 "unset " + " ".join(found))


def default_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://sts.{region}.{suffix}"


def check_endpoint(settings: Settings | None, connect: Callable[..., socket.socket]) -> Check:
    endpoint = settings.endpoint() if settings else os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        if settings is None:
            return Check("endpoint", SKIP, "not checked: no valid config")
        endpoint = default_endpoint(settings.aws_source_profile_region)
    parsed = urllib.parse.urlsplit(endpoint)
    try:
        host, port = parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        host, port = None, 0
    if not host:
        return Check("endpoint", FAIL, f"{validate.printable(endpoint)} is not a URL",
                     "correct endpoint_url or AWS_ENDPOINT_URL")
    started = time.monotonic()
    try:
        connect((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        return Check("endpoint", FAIL, f"cannot reach {endpoint} ({reason})",
                     "check the network, a proxy or VPN, and endpoint_url / AWS_ENDPOINT_URL")
    return Check("endpoint", OK, f"{endpoint} answers ({(time.monotonic() - started) * 1000:.0f} ms)")


# AWS refuses a request whose signature time is this far off its own clock (SigV4).
SIGNING_SKEW_LIMIT = 300


def check_clock(endpoint: str) -> Check:
    """This machine's clock against the Date of the endpoint's answer to a plain HEAD / (no AWS API).

    letme itself allows for a wrong clock (credential expiry is kept in this machine's terms, see
    credentials.clock_skew), but AWS refuses requests signed 5 minutes or more off its time.
    """
    import email.utils
    import http.client

    from letme_shell.credentials import SKEW_NOTICED

    parsed = urllib.parse.urlsplit(endpoint)
    connection_class = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
    try:
        connection = connection_class(parsed.hostname or "", parsed.port, timeout=CONNECT_TIMEOUT)
        try:
            connection.request("HEAD", "/")
            date = connection.getresponse().getheader("Date")
            ours = time.time()
        finally:
            connection.close()
        theirs = email.utils.parsedate_to_datetime(date).timestamp() if date else None
    except (OSError, http.client.HTTPException, TypeError, ValueError, IndexError):
        theirs = None
    if theirs is None:
        return Check("clock", SKIP, f"not checked: {endpoint} did not tell its time")
    skew = ours - theirs
    if abs(skew) < SKEW_NOTICED:
        return Check("clock", OK, f"within a minute of {endpoint}")
    text = f"this machine's clock is {_age(abs(skew))} {'ahead of' if skew > 0 else 'behind'} {endpoint}"
    fix = "set the clock right, e.g. turn on network time (timedatectl set-ntp true)"
    if abs(skew) >= SIGNING_SKEW_LIMIT:
        return Check("clock", FAIL, f"{text}; AWS refuses requests signed 5 minutes or more off its time", fix)
    return Check("clock", WARN, f"{text}; letme allows for it in expiry times", fix)


def _endpoint_url(settings: Settings | None) -> str | None:
    if settings is None:
        return os.environ.get("AWS_ENDPOINT_URL") or None
    return settings.endpoint() or default_endpoint(settings.aws_source_profile_region)


def run_checks(args: argparse.Namespace) -> list[Check]:
    first, settings = check_config(args)
    checks = [first]
    if settings is not None:
        checks += [check_catalog(settings), check_source_profile(settings)]
    else:
        checks += [Check("catalog", SKIP, "not checked: no valid config")]
    checks += [check_hook(), check_prompt(), check_permissions(settings), check_foreign_variables()]
    if not args.no_network:
        reach = check_endpoint(settings, socket.create_connection)
        endpoint = _endpoint_url(settings)
        checks.append(reach)
        if reach.status == OK and endpoint:
            checks.append(check_clock(endpoint))
        else:
            why = "no endpoint to ask" if reach.status == SKIP or not endpoint else "the endpoint does not answer"
            checks.append(Check("clock", SKIP, f"not checked: {why}"))
    return checks


def run(args: argparse.Namespace) -> int:
    checks = run_checks(args)
    failed = sum(c.status == FAIL for c in checks)
    if args.json:
        _common.print_json({"ok": failed == 0, "checks": [dataclasses.asdict(c) for c in checks]})
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        for check in checks:
            print(check.line(color))
    warned = sum(c.status == WARN for c in checks)
    if failed or warned:
        ui.info(f"{failed} problem(s), {warned} warning(s)")
    return 1 if failed else 0


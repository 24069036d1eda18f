"""letme status [--verify] [--json]: what this shell uses, and whether that still holds.

Read from the environment letme set (LETME_ACCOUNT, LETME_MODE, AWS_REGION, LETME_EXPIRES,
…), the refresh status file the prompt hook reads (<state>/refresh/<context>/<LETME_ACCOUNT>)
and letme's caches; nothing here touches the network, except --verify: it asks STS who the
shell's credentials are (sts:GetCallerIdentity) through boto3 with the environment as any SDK
sees it, so a stray AWS_PROFILE or AWS_ACCESS_KEY_ID shows up as the identity it really gives.

Every value from the environment is checked before it names a file or is shown. Exit status:
0 when an account is in use, unexpired, with the environment as letme set it (and, with
--verify, STS named the catalog's account); 1 when one of those fails; 3 when no account is in use.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping

from letme_shell import config, naming, validate
from letme_shell.commands import _common
from letme_shell.errors import ExitCode, LetmeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from letme_shell.catalog import Account
    from letme_shell.config import Settings

KEY_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verify", action="store_true",
                        help="ask STS who this shell's credentials really are (sts:GetCallerIdentity)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _shown(value: str | None) -> str:
    return f"'{validate.printable(value)}'" if value else "not set"


def _epoch(value: str | None) -> int | None:
    # Plain digits only, as the hooks read them (no sign, no leading zero, no 1e9).
    if value and value.isascii() and value.isdigit() and (value == "0" or value[0] != "0") and len(value) <= 15:
        return int(value)
    return None


def environment_problems(env: Mapping[str, str], account: str, mode: str | None) -> list[str]:
    """How the credential and region variables differ from what `letme use` left (one line each)."""
    problems = []
    profile = env.get("AWS_PROFILE")
    keys = [name for name in KEY_VARS if env.get(name)]
    if mode in ("process", "profile"):
        if profile != account:
            uses = "that profile" if profile else "their default credentials"
            problems.append(f"AWS_PROFILE is {_shown(profile)}, not '{account}': the AWS CLI and SDKs use {uses}")
        if keys:
            problems.append(f"{keys[0]} is set: the AWS CLI and SDKs use the keys in the environment, "
                            f"not profile '{account}'")
    elif mode == "env":
        missing = [name for name in KEY_VARS if name not in keys]
        if missing:
            problems.append(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
                            "the keys letme exported are gone")
        if profile:
            problems.append(f"AWS_PROFILE is {_shown(profile)}; letme unset it: tools that prefer a profile to "
                            "keys act as that profile")
    if env.get("AWS_DEFAULT_PROFILE"):
        problems.append(f"AWS_DEFAULT_PROFILE is {_shown(env.get('AWS_DEFAULT_PROFILE'))}; letme unset it")
    region, default_region = env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION")
    if region != default_region:
        problems.append(f"AWS_REGION is {_shown(region)} but AWS_DEFAULT_REGION is {_shown(default_region)}: "
                        "tools disagree on the region")
    return problems


def _catalog_account(args: argparse.Namespace, qualified_name: str) -> tuple[Settings, Account] | None:
    """The account's settings and catalog entry, from the caches only (None when they cannot be had)."""
    from letme_shell import session

    try:
        settings, name = _common.settings_for(args, qualified_name, qualified=True)
        return settings, session.resolve(settings, name, offline=True)
    except LetmeError:
        return None


def _refresh(context: str, account: str, mode: str | None, env: Mapping[str, str]) -> dict[str, Any]:
    """Who renews the credentials, from when, and the last line the background renewal left."""
    from letme_shell import fsutil, paths

    if mode == "process":
        by = "sdk"  # the SDKs run `letme credential-process` themselves
    elif env.get("LETME_AUTO_REFRESH") == "0":
        by = "off"
    else:
        by = "prompt"
    state: dict[str, Any] = {"by": by, "at": _epoch(env.get("LETME_REFRESH_AT")), "state": "none",
                             "written_at": None, "expires": None}
    try:
        raw = fsutil.read_bytes(paths.state_dir() / "refresh" / context / account)
    except LetmeError as exc:  # planted or unsafe: say so, never read it
        state["state"] = "unreadable"
        state["problem"] = exc.message
        return state
    if raw:
        fields = raw.decode("ascii", "replace").split()
        if len(fields) == 3 and fields[0] in ("ok", "mfa", "error"):
            state.update(state=fields[0], written_at=_epoch(fields[1]), expires=_epoch(fields[2]))
        else:
            state["state"] = "unreadable"
    return state


def _directory(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The `.letme` this shell's account came from (LETME_DIR) and whether it is still the file allowed;
    or, after a manual switch inside a tree (LETME_DIR_BEFORE without LETME_DIR), that leaving it returns."""
    from letme_shell import directory, envchange

    file, before = env.get(envchange.DIR), env.get(envchange.DIR_BEFORE)
    if not file and not before:
        return None
    result: dict[str, Any] = {"file": validate.printable(file, 300) if file else None, "state": None,
                              "before": None if before == envchange.DIR_NONE else validate.printable(before)}
    if file:
        try:
            result["state"] = directory.state(directory.load(file))
        except LetmeError as exc:
            result["state"] = "unreadable"
            result["problem"] = exc.message
    return result


def inspect(args: argparse.Namespace, env: Mapping[str, str], now: float) -> dict[str, Any]:
    """What this shell uses, as data (the JSON of --json)."""
    raw = env.get("LETME_ACCOUNT")
    report: dict[str, Any] = {
        "account": None, "name": None, "context": None, "mode": None, "region": env.get("AWS_REGION"),
        "expires": None, "expiration": None, "seconds_left": None, "production": False,
        "shell_depth": int(depth) if (depth := env.get("LETME_SHELL_DEPTH", "")).isdigit() else 0,
        "catalog_id": None, "source": None, "refresh": None,
        "environment": {"matches": True, "problems": []}, "verify": None,
        "directory": _directory(env),
    }
    if not raw:
        return report
    problems: list[str] = report["environment"]["problems"]
    if not naming.is_qualified_name(raw):
        problems.append(f"LETME_ACCOUNT is {_shown(raw)}, not an account name letme sets")
        report["account"] = validate.printable(raw)
        report["environment"]["matches"] = False
        return report
    name, context = naming.split(raw)
    context = context or config.DEFAULT_CONTEXT
    mode = env.get("LETME_MODE")
    report.update(account=raw, name=name, context=context, production=env.get("LETME_PROD") == "1",
                  mode=mode if mode in config.USE_MODES else None)
    if env.get("LETME_ACTIVE_CONTEXT") != context:
        problems.append(f"LETME_ACTIVE_CONTEXT is {_shown(env.get('LETME_ACTIVE_CONTEXT'))}, but LETME_ACCOUNT "
                        f"names context '{context}'")
    if report["mode"] is None:
        problems.append(f"LETME_MODE is {_shown(mode)}, not one of {', '.join(config.USE_MODES)}")
    expires = _epoch(env.get("LETME_EXPIRES"))
    if expires is None:
        problems.append(f"LETME_EXPIRES is {_shown(env.get('LETME_EXPIRES'))}, not a time")
    else:
        report.update(expires=expires, seconds_left=int(expires - now),
                      expiration=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)))
    problems.extend(environment_problems(env, raw, report["mode"]))
    found = _catalog_account(args, raw)
    if found is not None and report["mode"] == "env" and env.get("AWS_ACCESS_KEY_ID"):
        from letme_shell import session

        # The keys are letme's when the cache holds the credentials this shell got (same expiry) with the
        # same key id. A cache that moved on (another shell renewed) says nothing either way.
        latest = session.latest(*found)
        if latest is not None and latest.expires == expires and latest.access_key_id != env["AWS_ACCESS_KEY_ID"]:
            problems.append(f"AWS_ACCESS_KEY_ID is not the key letme exported for '{raw}': another tool's keys "
                            "are in use")
    report["catalog_id"] = found[1].id if found is not None else None
    if found is not None:
        # Where the account's roles come from: a catalog source (table, aws-config, organizations), or
        # `use --role-arn` (an ad-hoc role, kind "role").
        report["source"] = {"kind": "role", "roles": list(found[1].roles)} if found[1].is_adhoc \
            else {"kind": found[1].source}
    report["refresh"] = _refresh(context, raw, report["mode"], env)
    report["environment"]["matches"] = not problems
    return report


def verify(args: argparse.Namespace, catalog_id: str | None) -> dict[str, Any]:
    """Who STS says the shell's credentials are: boto3 with this environment, as any SDK would build it."""
    import contextlib

    import boto3
    import botocore.exceptions as bex
    from botocore.config import Config

    from letme_shell import aws, ui

    result: dict[str, Any] = {"arn": None, "account_id": None, "catalog_id": catalog_id, "matches": None,
                              "error": None}
    try:
        settings: Settings | None = _common.settings(args)
    except LetmeError:
        settings = None  # no config: the per-attempt timeouts bound the call
    deadline = aws.Deadline("asking STS who this shell is (sts:GetCallerIdentity)", settings) \
        if settings is not None else contextlib.nullcontext()
    try:
        with deadline:
            sdk = boto3.Session()
            client = sdk.client("sts", region_name=sdk.region_name or "us-east-1",
                                config=Config(connect_timeout=aws.CONNECT_TIMEOUT, read_timeout=aws.READ_TIMEOUT,
                                              retries={"total_max_attempts": aws.MAX_ATTEMPTS, "mode": "standard"}))
            answer = client.get_caller_identity()
    except LetmeError as exc:  # the deadline
        result["error"] = exc.message
    except bex.ClientError as exc:
        error = exc.response.get("Error", {})
        result["error"] = f"{error.get('Code', 'Error')}: {error.get('Message', '')}"
    except bex.ProfileNotFound as exc:
        result["error"] = f"the profile {_shown(exc.kwargs.get('profile'))} is in neither AWS file"
    except bex.NoCredentialsError:
        result["error"] = "no credentials: the environment and the AWS files give the SDKs none"
    except bex.BotoCoreError as exc:
        result["error"] = aws._describe(exc)
    else:
        arn = answer.get("Arn", "")
        result["arn"] = validate.printable(arn, 300)
        result["account_id"] = answer.get("Account")
        if catalog_id:
            result["matches"] = answer.get("Account") == catalog_id
    if result["error"]:
        result["error"] = ui.scrub(validate.printable(result["error"], 300))
    return result


def _ago(seconds: float) -> str:
    from letme_shell.commands.use import ttl_text

    return "just now" if seconds < 60 else f"{ttl_text(int(seconds))} ago"


def _directory_text(where: dict[str, Any]) -> str:
    back = f"leaving its tree returns to {where['before'] or 'no account'}"
    if where["file"] is None:
        return f"switched by hand inside a .letme tree; {back}"
    states = {"allowed": "allowed", "changed": "changed since 'letme allow'; entering again asks",
              "new": "no longer allowed ('letme deny')"}
    return f"from {where['file']} ({states.get(where['state'], where.get('problem', '?'))}); {back}"


def render(report: dict[str, Any], now: float) -> str:
    """The report as aligned lines for a person (stdout: it is the result)."""
    from letme_shell.commands.use import ttl_text

    if report["account"] is None:
        text = "account      none in this shell ('letme use ACCOUNT' switches it)\n"
        if report["directory"] is not None:
            text += f"{'directory':<12} {_directory_text(report['directory'])}\n"
        return text
    rows: list[tuple[str, str]] = []
    notes = [f"context {report['context']}"] if report["context"] else []
    if report["production"]:
        notes.append("production")
    rows.append(("account", f"{report['account']}" + (f" ({', '.join(notes)})" if notes else "")))
    if report["source"] is not None and report["source"]["kind"] == "role":
        rows.append(("source", f"ad-hoc role {', then '.join(report['source']['roles'])} (not from the catalog)"))
    if report["name"] is not None:
        rows.append(("mode", report["mode"] or "?"))
        rows.append(("region", validate.printable(report["region"]) if report["region"] else "not set"))
        if report["expires"] is not None:
            left = report["seconds_left"]
            rows.append(("credentials", f"valid for {ttl_text(left)}, until {report['expiration']}" if left > 0
                         else f"expired at {report['expiration']}; 'letme refresh' renews them"))
        refresh = report["refresh"]
        if refresh["by"] == "sdk":
            renewal = "by the SDKs themselves (credential_process)"
        elif refresh["by"] == "off":
            renewal = "off (LETME_AUTO_REFRESH=0); 'letme refresh' renews"
        elif refresh["at"] is not None:
            at = refresh["at"] - now
            renewal = "by the prompt, in the background, " + \
                (f"from {time.strftime('%H:%M:%SZ', time.gmtime(refresh['at']))} (in {ttl_text(int(at))})"
                 if at > 0 else "now")
        else:
            renewal = "by the prompt, in the background"
        rows.append(("renewal", renewal))
        if refresh["state"] != "none":
            when = f", {_ago(now - refresh['written_at'])}" if refresh["written_at"] is not None else ""
            rows.append(("", f"last background renewal: {refresh['state']}{when}"))
    problems = report["environment"]["problems"]
    if problems:
        rows.append(("environment", "changed since letme set it:"))
        rows.extend(("", f"- {problem}") for problem in problems)
    else:
        rows.append(("environment", "as letme set it"))
    checked = report["verify"]
    if checked is not None:
        if checked["error"]:
            rows.append(("identity", f"unknown: {checked['error']}"))
        else:
            where = f"account {checked['account_id']}"
            if checked["matches"] is True:
                adhoc = report["source"] is not None and report["source"]["kind"] == "role"
                where += ", the role's account" if adhoc else ", as the catalog says"
            elif checked["matches"] is False:
                where += f", not {report['account']}'s {checked['catalog_id']}"
            rows.append(("identity", f"{checked['arn']} ({where})"))
    if report["directory"] is not None:
        rows.append(("directory", _directory_text(report["directory"])))
    if report["shell_depth"]:
        rows.append(("shell", f"inside 'letme shell', depth {report['shell_depth']}"))
    return "".join(f"{label:<12} {text}\n" for label, text in rows)


def run(args: argparse.Namespace) -> int:
    now = time.time()
    report = inspect(args, os.environ, now)
    if args.verify:
        report["verify"] = verify(args, report["catalog_id"])
    if args.json:
        _common.print_json(report)
    else:
        sys.stdout.write(render(report, now))
    if report["account"] is None:
        return ExitCode.NOTHING
    checked = report["verify"]
    healthy = (report["environment"]["matches"] and (report["seconds_left"] or 0) > 0
               and (checked is None or (not checked["error"] and checked["matches"] is not False)))
    return ExitCode.OK if healthy else ExitCode.FAILURE

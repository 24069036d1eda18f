"""The README's prompt snippets for starship and powerlevel10k, run as written.

The snippet texts below are the ones the README shows (copied there verbatim).
starship is not installed here: its TOML is parsed with tomllib and the
`[custom.letme]` command is run exactly as starship runs it (`shell` + command as
the last argument). powerlevel10k is not installed either: `prompt_letme` runs in
a real zsh with `p10k` stubbed to record the arguments of `p10k segment`.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

STARSHIP_AWS = """\
# ~/.config/starship.toml: starship's own aws module reads what letme exports:
# AWS_PROFILE (process and profile modes) and AWS_CREDENTIAL_EXPIRATION (RFC 3339, UTC).
[aws]
format = '[\\[aws:$profile( $duration)\\]]($style) '
style = 'bold cyan'
expiration_symbol = 'expired'
"""

STARSHIP_CUSTOM = """\
# ~/.config/starship.toml: letme's own format, from LETME_ACCOUNT and LETME_EXPIRES.
# starship starts one bash per prompt for this module (`when = true` avoids a second one).
[custom.letme]
description = 'letme: account and time left'
when = true
shell = ['bash', '--noprofile', '--norc', '-c']
command = '''
[ -n "$LETME_ACCOUNT" ] || exit 0
now=${EPOCHSECONDS:-}
[ -n "$now" ] || now=$(date +%s)  # bash < 5 only
case $LETME_EXPIRES in
  '' | *[!0-9]* | 0?*) ttl='?' ;;
  *)
    left=$((LETME_EXPIRES - now))
    if [ "$left" -le 0 ]; then ttl=expired
    elif [ "$left" -lt 3600 ]; then ttl=$((left / 60))m
    else printf -v ttl '%dh%02dm' $((left / 3600)) $((left % 3600 / 60))
    fi ;;
esac
printf '[aws:%s %s]' "$LETME_ACCOUNT" "$ttl"
'''
format = '[($output )]($style)'
style = 'bold cyan'
"""

P10K = """\
# ~/.p10k.zsh: add `letme` to POWERLEVEL9K_LEFT_PROMPT_ELEMENTS (or _RIGHT_), and set
# LETME_PROMPT=0 so letme does not add its own segment as well. Pure zsh: no process per prompt.
zmodload zsh/datetime  # EPOCHSECONDS
function prompt_letme() {
  [[ -n $LETME_ACCOUNT ]] || return 0
  local ttl='?' state=ACTIVE fg=6
  [[ $LETME_PROD == 1 ]] && state=PROD fg=1
  if [[ $LETME_EXPIRES == <-> ]]; then
    local -i left=$(( LETME_EXPIRES - EPOCHSECONDS ))
    if (( left <= 0 )); then ttl=expired
    elif (( left < 3600 )); then ttl=$(( left / 60 ))m
    else printf -v ttl '%dh%02dm' $(( left / 3600 )) $(( left % 3600 / 60 ))
    fi
    local warn=${LETME_PROMPT_WARN_SECONDS:-300}
    [[ $warn == <-> ]] || warn=300  # arithmetic would evaluate any other text
    (( left <= warn )) && state=EXPIRING fg=3
  fi
  local text="[aws:$LETME_ACCOUNT $ttl]"
  # -t text goes through prompt expansion: a literal % must be %%.
  p10k segment -s $state -f $fg -t "${text//\\%/%%}"
}
"""


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", **values}


# ---- starship ----------------------------------------------------------------------------------------

def test_starship_aws_module_snippet_reads_letme_variables():
    config = tomllib.loads(STARSHIP_AWS)["aws"]
    # starship's aws module takes expiry from AWS_CREDENTIAL_EXPIRATION first (peers.md section 4),
    # and letme sets exactly that name (test_interactive checks its RFC 3339 value).
    from letme_shell.envchange import MANAGED

    assert "AWS_CREDENTIAL_EXPIRATION" in MANAGED and "AWS_PROFILE" in MANAGED
    assert config["format"] == r"[\[aws:$profile( $duration)\]]($style) "
    assert config["expiration_symbol"] == "expired"


def run_custom(tmp_path: Path, **values: str) -> str:
    module = tomllib.loads(STARSHIP_CUSTOM)["custom"]["letme"]
    assert module["when"] is True
    # As starship runs it: the `shell` list, then the command as the last argument. No PATH:
    # on bash >= 5 the command needs no other program.
    result = subprocess.run([*module["shell"], module["command"]], capture_output=True, text=True, timeout=10,
                            env=_env(tmp_path, PATH="/nonexistent", **values), executable=shutil.which("bash"))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout


@pytest.mark.parametrize(("offset", "shown"), [(2530, "42m"), (3930, "1h05m"), (-5, "expired"), (59, "0m")])
def test_starship_custom_module_shows_account_and_time_left(tmp_path, offset, shown):
    expires = str(int(time.time()) + offset)
    assert run_custom(tmp_path, LETME_ACCOUNT="example1", LETME_EXPIRES=expires) == f"[aws:example1 {shown}]"


def test_starship_custom_module_is_empty_without_an_account_and_copes_with_a_bad_expiry(tmp_path):
    assert run_custom(tmp_path) == ""
    assert run_custom(tmp_path, LETME_EXPIRES="123") == ""
    assert run_custom(tmp_path, LETME_ACCOUNT="example1", LETME_EXPIRES="$(touch x)") == "[aws:example1 ?]"
    assert not (tmp_path / "x").exists()


# ---- powerlevel10k ------------------------------------------------------------------------------------

def run_p10k(tmp_path: Path, **values: str) -> list[list[str]]:
    """`prompt_letme` in zsh with `p10k` stubbed; each call's arguments, one list per call."""
    snippet = tmp_path / "p10k-letme.zsh"
    snippet.write_text(P10K)
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    script = 'p10k() { print -rl -- "$@" "$END" >> $CALLS }; source $SNIPPET; PATH=/nonexistent; prompt_letme'
    result = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, timeout=10,
                            env=_env(tmp_path, CALLS=str(calls), SNIPPET=str(snippet), END="--end--", **values))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    if not calls.exists():
        return []
    return [call.strip("\n").split("\n") for call in calls.read_text().split("--end--\n") if call]


@pytest.mark.parametrize(("extra", "offset", "state", "fg", "shown"), [
    ({}, 2530, "ACTIVE", "6", "42m"),
    ({}, 3930, "ACTIVE", "6", "1h05m"),
    ({}, 200, "EXPIRING", "3", "3m"),
    ({}, -5, "EXPIRING", "3", "expired"),
    ({"LETME_PROD": "1"}, 2530, "PROD", "1", "42m"),
    ({"LETME_PROD": "1"}, 100, "EXPIRING", "3", "1m"),
    ({"LETME_PROMPT_WARN_SECONDS": "3000"}, 2530, "EXPIRING", "3", "42m"),
])
def test_p10k_segment_arguments(tmp_path, extra, offset, state, fg, shown):
    expires = str(int(time.time()) + offset)
    calls = run_p10k(tmp_path, LETME_ACCOUNT="example1", LETME_EXPIRES=expires, **extra)
    assert calls == [["segment", "-s", state, "-f", fg, "-t", f"[aws:example1 {shown}]"]]


def test_p10k_segment_hidden_without_an_account_and_escapes_percent(tmp_path):
    assert run_p10k(tmp_path) == []
    assert run_p10k(tmp_path, LETME_ACCOUNT="a%n", LETME_EXPIRES="x") == \
        [["segment", "-s", "ACTIVE", "-f", "6", "-t", "[aws:a%%n ?]"]]


def test_p10k_function_starts_no_process():
    body = P10K.split("function prompt_letme()", 1)[1]
    assert "$(" not in body.replace("$((", "") and "`" not in body


def test_readme_carries_these_snippets_verbatim() -> None:
    """The README shows exactly the snippets tested above, so the two cannot drift apart."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for snippet in (STARSHIP_AWS, STARSHIP_CUSTOM, P10K):
        assert snippet.rstrip() in readme


def test_snippets_validate_environment_values(tmp_path):
    """A value shaped for arithmetic evaluation (`path` is an array in every zsh) runs nothing; a leading zero
    (octal in bash arithmetic) is not a number either."""
    canary = tmp_path / "CANARY"
    expires = str(int(time.time()) + 2530)
    calls = run_p10k(tmp_path, LETME_ACCOUNT="example1", LETME_EXPIRES=expires,
                     LETME_PROMPT_WARN_SECONDS=f"path[$({shutil.which('touch')} {canary})]")
    assert calls == [["segment", "-s", "ACTIVE", "-f", "6", "-t", "[aws:example1 42m]"]]
    assert run_custom(tmp_path, LETME_ACCOUNT="example1", LETME_EXPIRES="08") == "[aws:example1 ?]"
    assert not canary.exists()

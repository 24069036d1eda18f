"""The shell files as files: linters, parsers, strict-mode loading, and what `letme hook` renders.

Every rendering of `letme hook SHELL` is parsed by its shell and loaded in strict
mode with no user config, and must print nothing (the zoxide habit). PowerShell
has no interpreter here (no pwsh in this environment or CI), so its files and the
rendering are checked for structure, and its quoting against a table, in
test_quoting.py.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from letme_shell import cli, resources, shells, validate
from letme_shell.shells.base import PLACEHOLDER
from tests.shells.harness import LETME

ROOT = Path(__file__).resolve().parents[2]
BASH_FILES = [ROOT / "shell" / "letme.bash", ROOT / "completions" / "letme.bash"]
ZSH_FILES = [ROOT / "shell" / "letme.zsh", ROOT / "completions" / "_letme"]
FISH_FILES = [ROOT / "shell" / "letme.fish", ROOT / "completions" / "letme.fish"]
PS_FILES = [ROOT / "shell" / "letme.ps1", ROOT / "completions" / "letme.ps1"]


def render(shell: str, env: dict[str, str]) -> str:
    result = subprocess.run([LETME, "hook", shell], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.fixture
def renderings(sandbox, tmp_path: Path) -> dict[str, Path]:
    """Each shell's hook as rendered in a sandbox whose paths contain a space and a quote."""
    out = {}
    odd = tmp_path / "it's a dir"
    env = {**sandbox.env, "LETME_CACHE_DIR": str(odd / "cache"), "LETME_STATE_DIR": str(odd / "state")}
    for name in shells.NAMES:
        path = tmp_path / f"hook.{name}"
        path.write_text(render(name, env))
        out[name] = path
    return out


def test_every_file_exists_and_has_at_most_one_placeholder():
    for path in BASH_FILES + ZSH_FILES + FISH_FILES + PS_FILES:
        assert path.read_text().count(PLACEHOLDER) <= 1, path


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed")
def test_shellcheck_bash_files_and_rendering(renderings):
    result = subprocess.run(["shellcheck", "-S", "warning", "-s", "bash",
                             *map(str, BASH_FILES), str(renderings["bash"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("shell,flag,files", [
    ("bash", "-n", BASH_FILES), ("zsh", "-n", ZSH_FILES), ("fish", "-n", FISH_FILES)])
def test_files_and_rendering_parse(shell, flag, files, renderings):
    for path in [*files, renderings[shell]]:
        result = subprocess.run([shell, flag, str(path)], capture_output=True, text=True)
        assert result.returncode == 0 and result.stderr == "", f"{path}: {result.stderr}"


STRICT = {
    "bash": ["bash", "--norc", "--noprofile", "-eu", "-o", "pipefail", "-c", 'source "$1"', "bash"],
    "zsh": ["zsh", "-f", "-c", 'setopt no_unset err_exit pipe_fail; source "$1"', "zsh"],
    "fish": ["fish", "--no-config", "-c", 'source $argv[1]'],
}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_rendering_loads_silently_in_strict_mode(shell, renderings, sandbox):
    for _ in range(2):  # and loading it twice is as quiet as once
        result = subprocess.run([*STRICT[shell], str(renderings[shell])], capture_output=True, text=True,
                                env=sandbox.env)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), shell


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_raw_files_load_silently_in_strict_mode(shell, sandbox, tmp_path):
    """Without `letme hook`'s substitution the files still work (defaults, letme from PATH)."""
    files = {"bash": BASH_FILES, "zsh": ZSH_FILES, "fish": FISH_FILES}[shell]
    both = tmp_path / "both"
    both.write_text("\n".join(p.read_text() for p in files))
    result = subprocess.run([*STRICT[shell], str(both)], capture_output=True, text=True, env=sandbox.env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_rendering_quotes_the_setup_values(renderings):
    text = renderings["bash"].read_text()
    assert "__letme_cache_dir='" in text and "it'\\''s a dir/cache'" in text
    assert "set -g __letme_cache_dir '" in renderings["fish"].read_text()
    assert "it\\'s a dir" in renderings["fish"].read_text()
    assert "it''s a dir" in renderings["powershell"].read_text()
    assert PLACEHOLDER not in text


def test_powershell_rendering_structure(renderings):
    """No pwsh here: check that the pieces the hook depends on are present and balanced."""
    text = renderings["powershell"].read_text()
    for needle in ("function global:letme", "$env:LETME_HOOK_SHELL = 'powershell'", "Invoke-Expression $code",
                   "$LASTEXITCODE", "function global:prompt", "Register-ArgumentCompleter -Native -CommandName letme",
                   '"refresh --background --no-prompt --context $ctx -- $account"', "ToUnixTimeSeconds()"):
        assert needle in text, needle
    code = re.sub(r"'[^']*'", "''", re.sub(r"#.*", "", text))  # drop comments and strings
    for open_, close in ("{}", "()", "[]"):
        assert code.count(open_) == code.count(close), open_


def test_hook_detects_shell_and_refuses_unknown(sandbox):
    assert sandbox.run("hook", "tcsh").returncode == 2
    assert "supported: bash, zsh, fish, powershell" in sandbox.run("hook", "tcsh").stderr
    assert sandbox.run("hook", "pwsh").stdout.startswith("# letme shell integration for PowerShell")


def test_resources_come_from_the_source_tree_or_the_wheel():
    assert resources.path("shell", "letme.bash") == ROOT / "shell" / "letme.bash"
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = data["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include == {"shell": "letme_shell/_data/shell", "completions": "letme_shell/_data/completions"}


def _flags(command: str) -> set[str]:
    parser = cli.build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {o for a in sub._actions for o in a.option_strings
            if o.startswith("--") and a.help != argparse.SUPPRESS and o != "--inline-mfa"}


@pytest.mark.parametrize("command", ["use", "leave", "back", "shell", "exec", "refresh", "list", "init",
                                     "allow", "deny", "dir"])
def test_completion_flags_match_the_parser(command):
    """Each completion script offers every documented flag of the command, and no flag it lacks."""
    wanted = _flags(command)
    bash = (ROOT / "completions" / "letme.bash").read_text()
    line = re.search(rf"^\s+{re.escape(command)}(?: \| \w+)?\) __letme_flag_list=\"\$common ([^\"]*)\"", bash, re.M)
    assert line, command
    common = {"--help", "--config", "--context", "--debug", "--quiet"}
    assert common | set(line.group(1).split()) == wanted
    zsh = (ROOT / "completions" / "_letme").read_text()
    line = re.search(rf"^\s+{re.escape(command)}(?: \| \w+)?\) candidates=\(\$common ([^)]*)\)", zsh, re.M)
    assert line and common | set(line.group(1).split()) == wanted, command


# ---- PowerShell, read (no pwsh here): the rules the hook must keep ---------------------------------------------

def _ps_code(text: str) -> str:
    """PowerShell text without comments (a `#` outside a string starts one; the hook has no `<# #>` blocks)."""
    lines = []
    for line in text.splitlines():
        code, quoted = [], ""
        for ch in line:
            if quoted:
                quoted = "" if ch == quoted else quoted
            elif ch in "'\"":
                quoted = ch
            elif ch == "#":
                break
            code.append(ch)
        lines.append("".join(code))
    return "\n".join(lines)


def _ps_function(text: str, name: str) -> str:
    """The body of `function global:NAME { ... }` (braces balanced; strings hold none here)."""
    start = text.index("{", text.index(f"function global:{name}"))
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start : i + 1]
    raise AssertionError(f"unbalanced function {name}")


PS_HOOK = _ps_code((ROOT / "shell" / "letme.ps1").read_text())


def test_powershell_background_refresh_starts_on_every_platform():
    """Start-Process -WindowStyle throws off Windows; .NET's Process.Start with no shell and no window does not.
    The generation marker is set only once the start succeeded, so a failed start is tried again."""
    body = _ps_function(PS_HOOK, "__letme_refresh_check")
    assert "Start-Process" not in body and "-WindowStyle" not in body
    for needle in ("[System.Diagnostics.ProcessStartInfo]::new(", ".UseShellExecute = $false",
                   ".CreateNoWindow = $true", ".RedirectStandardInput = $true"):
        assert needle in body, needle
    start = body.index("[System.Diagnostics.Process]::Start(")
    marker = body.index("$script:__letme_refresh_gen = ")
    opened = body.rindex("try {", 0, start)
    catch = body.index("} catch {", start)
    assert opened < start < catch < marker, "the marker must be set after a start that succeeded"
    assert re.search(r"\} catch \{[^}]*\breturn\b", body[catch:]), "a failed start returns before the marker"


def test_powershell_validates_environment_values_before_use():
    """No [long] cast of an unchecked value (it throws on `abc` at every prompt); names checked before a path."""
    casts = _ps_function(PS_HOOK, "__letme_long")
    assert "-cmatch '^(0|[1-9][0-9]{0,14})\\z'" in casts
    assert PS_HOOK.count("[long]") == casts.count("[long]") == 1, "a [long] cast outside __letme_long"
    assert "TryParse" not in PS_HOOK and "[int]" not in PS_HOOK
    for name in ("__letme_segment", "__letme_refresh_check"):
        assert "__letme_long $env:LETME_EXPIRES" in _ps_function(PS_HOOK, name), name
    refresh = _ps_function(PS_HOOK, "__letme_refresh_check")
    path = refresh.index("Join-Path")
    assert "__letme_long $env:LETME_REFRESH_AT" in refresh[:path]
    assert "$account -cnotmatch $script:__letme_account_re" in refresh[:path]
    assert "$ctx -cnotmatch $script:__letme_context_re" in refresh[:path]
    assert "__letme_long $parts[1]" in refresh and "__letme_long $parts[2]" in refresh
    # The same shapes as letme's own validation; \z, since .NET's $ also matches before a final newline.
    assert f"$script:__letme_account_re = '^{validate.QUALIFIED_NAME.pattern}\\z'" in PS_HOOK
    assert f"$script:__letme_context_re = '^{validate.CONTEXT_NAME.pattern}\\z'" in PS_HOOK
    segment = _ps_function(PS_HOOK, "__letme_segment")
    assert "$account -cnotmatch $script:__letme_account_re) { $account = '?' }" in segment
    assert "-replace '\\p{Cc}', ''" in segment  # control characters out of the format
    completion = _ps_code((ROOT / "completions" / "letme.ps1").read_text())
    assert "-cnotmatch '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\\z'" in completion  # LETME_CONTEXT before a path


def test_powershell_segment_tells_a_stale_identity_and_the_last_minutes():
    """The same rules as the other hooks (tests/shells/test_prompt_truth.py runs those): string comparisons of
    what letme set, the sign as [char]0x2260 (the code reaches PowerShell through a pipe in the console's
    encoding), `!` in the last minutes, and the prompt's state handed to doctor."""
    stale = _ps_function(PS_HOOK, "__letme_stale")
    for needle in ('"$env:AWS_ACCESS_KEY_ID" -cne "$env:LETME_ACCESS_KEY_ID"', "$env:AWS_DEFAULT_PROFILE",
                   '"$env:AWS_PROFILE" -cne $account', "-cnotmatch '^[A-Za-z0-9._@+-]{1,64}\\z'",
                   "[char]0x2260"):
        assert needle in stale, needle
    assert "Start-Process" not in stale and "& " not in stale  # no process
    code = "\n".join(line for line in PS_HOOK.splitlines())
    assert all(ord(ch) < 128 for ch in code), "non-ASCII in PowerShell code (comments are dropped)"
    segment = _ps_function(PS_HOOK, "__letme_segment")
    assert "$stale = __letme_stale $account" in segment and 'if ($stale) { $ttl = $stale }' in segment
    assert "__letme_long $env:LETME_PROMPT_WARN_SECONDS" in segment and '$ttl = "$ttl!"' in segment
    letme = _ps_function(PS_HOOK, "letme")
    assert "$env:LETME_HOOK_PROMPT = __letme_prompt_state" in letme
    assert "Remove-Item -LiteralPath Env:LETME_HOOK_PROMPT" in letme


def test_powershell_follows_the_directory_as_the_other_hooks_do():
    """Per-directory accounts (.letme), read as the rest of this file is: the prompt checks the directory first;
    at a prompt where the location did not change nothing else runs; the walk up the parents is Test-Path (a
    cmdlet, no process) on the FileSystem provider only; letme runs only when the nearest file changed (or every
    tree was left while one was in use), through the letme function (whose output is evaluated only when it
    succeeded), with the path as one argument; the user's LASTEXITCODE is kept; `{dir}` shows the mark."""
    prompt = PS_HOOK[PS_HOOK.index("function global:prompt"):]
    assert prompt.index("__letme_dir_check") < prompt.index("__letme_refresh_check") < prompt.index("__letme_segment")
    check = _ps_function(PS_HOOK, "__letme_dir_check")
    unchanged = check.index("if ($dir -ceq $script:__letme_dir_pwd) { return }")
    assert "Test-Path" not in check[:unchanged] and "letme" not in check[:unchanged].replace("__letme_dir_pwd", "")
    assert "$location.Provider.Name -ne 'FileSystem') { return }" in check[:unchanged]
    assert "if ($env:LETME_DIRS -eq '0') { return }" in check[:unchanged]
    assert "Test-Path -LiteralPath $candidate -PathType Leaf" in check
    assert "if ($stop -and $dir -ceq $stop) { break }" in check  # up to $HOME when inside it
    nearest_same = check.index("if ($found -ceq $script:__letme_dir_found) { return }")
    calls = [m.start() for m in re.finditer(r"\bletme dir\b", check)]
    assert len(calls) == 2 and all(at > nearest_same for at in calls)
    assert "if ($found) { letme dir $found }" in check and "elseif ($env:LETME_DIR_BEFORE) { letme dir }" in check
    for forbidden in ("Invoke-Expression", "Start-Process", "& ", "cmd", "[System.Diagnostics.Process]"):
        assert forbidden not in check, forbidden
    assert "$lastExit = $global:LASTEXITCODE" in check and check.rstrip("}").rstrip().endswith(
        "$global:LASTEXITCODE = $lastExit")
    letme = _ps_function(PS_HOOK, "letme")
    assert "@('use', 'leave', 'back', 'refresh', 'dir', 'allow', 'deny')" in letme
    segment = _ps_function(PS_HOOK, "__letme_segment")
    assert "'[aws:{account} {ttl}{depth}{dir}]'" in segment and ".Replace('{dir}', $mark)" in segment
    assert "if ($env:LETME_DIR) {" in segment and "'.letme'" in segment
    assert '"$env:LETME_PROMPT_DIR_MARK" -replace' in segment  # control characters out of the mark too

# letme shell integration for PowerShell. Load it with this line in $PROFILE:
#
#     Invoke-Expression (& letme hook powershell | Out-String)
#
# Sections: set-up · the letme function · prompt segment · refresh before expiry.
# The clock is [DateTimeOffset]::UtcNow (no process at a prompt); a letme process
# starts only once per credential lifetime, inside the refresh window.
# Settings: $env:LETME_PROMPT = '0' (no segment), LETME_PROMPT_FORMAT
# ('[aws:{account} {ttl}{depth}{dir}]'), LETME_PROMPT_DIR_MARK ('.letme', what {dir}
# shows), LETME_AUTO_REFRESH = '0' (no background renewal), LETME_DIRS = '0' (no
# .letme files). The segment has no colours here. As in the other hooks, every value
# read from the environment is checked before it is used: a number must be
# digits (no [long] cast of anything else, which would throw at every prompt), an
# account or context name must have letme's shape before it makes a file path.
# NOTE: no pwsh runs in letme's CI: this file has never been run by PowerShell.
# It is read, and checked for structure and for the rules above, by
# tests/shells/test_static.py only.

# ---- set-up: `letme hook powershell` puts the letme path and its directories here
# @LETME_SETUP@
if (-not $script:__letme_exe) { $script:__letme_exe = 'letme' }
if (-not $script:__letme_state_dir) {
    $script:__letme_state_dir = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'letme'
}

# ---- the letme function -----------------------------------------------------
# Commands that change this shell print PowerShell code on stdout; it is run only
# when the command succeeded. LETME_HOOK_SHELL is set for that one call only.
function global:letme {
    $sub = $null
    $skip = $false
    foreach ($arg in $args) {
        if ($skip) { $skip = $false; continue }
        if ($arg -in @('--config', '--context')) { $skip = $true; continue }
        if ("$arg".StartsWith('-')) { continue }
        $sub = "$arg"
        break
    }
    $passThrough = @($args | Where-Object { "$_" -match '^(-h|--help|-v|--version|--shell(=.*)?)$' }).Count -gt 0
    if ($sub -in @('use', 'leave', 'back', 'refresh', 'dir', 'allow', 'deny') -and -not $passThrough) {
        $env:LETME_HOOK_SHELL = 'powershell'
        try {
            $code = & $script:__letme_exe @args | Out-String
            $rc = $LASTEXITCODE
        } finally {
            Remove-Item -LiteralPath Env:LETME_HOOK_SHELL -ErrorAction SilentlyContinue
        }
        if ($rc -eq 0 -and $code) { Invoke-Expression $code }
        $global:LASTEXITCODE = $rc
        return
    }
    if ($sub -eq 'doctor') {
        # doctor reports whether the hook is loaded and what the prompt shows: tell it, for this one call.
        $env:LETME_HOOK_SHELL = 'powershell'
        $env:LETME_HOOK_PROMPT = __letme_prompt_state
        try { & $script:__letme_exe @args } finally {
            Remove-Item -LiteralPath Env:LETME_HOOK_SHELL -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath Env:LETME_HOOK_PROMPT -ErrorAction SilentlyContinue
        }
        return
    }
    & $script:__letme_exe @args
}

# ---- values from the environment --------------------------------------------------
# The shapes of letme's own validation (letme_shell/validate.py). \z, not $: in .NET
# `$` also matches before a final newline. -cmatch: case-sensitive, as elsewhere.
# An account as LETME_ACCOUNT names it: NAME, or NAME@CONTEXT for a context other than general.
$script:__letme_account_re = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@[A-Za-z0-9][A-Za-z0-9_-]{0,63})?\z'
$script:__letme_context_re = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\z'

# __letme_long TEXT: TEXT as a number if it is digits, no leading zero, at most 15
# (as in every hook), else $null. The one place a value is cast to [long].
function global:__letme_long([string]$text) {
    if ($text -cmatch '^(0|[1-9][0-9]{0,14})\z') { return [long]$text }
    return $null
}

# ---- prompt segment -----------------------------------------------------------
# As in the other hooks: `4m!` in the last minutes (LETME_PROMPT_WARN_SECONDS, 300),
# `expired`, and a not-equal sign and WHAT when the AWS variables no longer select
# what letme set (see __letme_stale).
function global:__letme_segment {
    $account = "$env:LETME_ACCOUNT"
    if (-not $account -or $env:LETME_PROMPT -eq '0') { return '' }
    $stale = __letme_stale $account
    # A name letme would never export is not shown: it may be text meant for a terminal.
    if ($account -cnotmatch $script:__letme_account_re) { $account = '?' }
    $ttl = '?'
    $expires = __letme_long $env:LETME_EXPIRES
    if ($null -ne $expires) {
        $left = $expires - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        if ($left -le 0) { $ttl = 'expired' }
        elseif ($left -lt 3600) { $ttl = '{0}m' -f [math]::Floor($left / 60) }
        else { $ttl = '{0}h{1:00}m' -f [math]::Floor($left / 3600), [math]::Floor(($left % 3600) / 60) }
        $warn = __letme_long $env:LETME_PROMPT_WARN_SECONDS
        if ($null -eq $warn) { $warn = 300 }
        if ($left -gt 0 -and $left -le $warn) { $ttl = "$ttl!" }
    }
    if ($stale) { $ttl = $stale }
    $depth = ''
    if ("$env:LETME_SHELL_DEPTH" -cmatch '^[1-9][0-9]{0,3}\z') { $depth = " shell:$env:LETME_SHELL_DEPTH" }
    # {dir}: the account came from a .letme file (LETME_DIR names it; a manual switch unsets it).
    $mark = ''
    if ($env:LETME_DIR) {
        $mark = if ($null -ne $env:LETME_PROMPT_DIR_MARK) { "$env:LETME_PROMPT_DIR_MARK" -replace '\p{Cc}', '' } else { '.letme' }
        if ($mark) { $mark = " $mark" }
    }
    $format = if ($env:LETME_PROMPT_FORMAT) { $env:LETME_PROMPT_FORMAT } else { '[aws:{account} {ttl}{depth}{dir}]' }
    # The format is text: control characters (terminal escapes, line breaks) are dropped.
    $format = $format -replace '\p{Cc}', ''
    return $format.Replace('{account}', $account).Replace('{ttl}', $ttl).Replace('{depth}', $depth).Replace('{dir}', $mark) + ' '
}

# __letme_stale ACCOUNT: a not-equal sign and WHAT when the AWS variables no longer
# select what letme set (WHAT: the profile they select, or 'keys'), else ''. String
# comparisons only:
# in process and profile modes AWS_PROFILE must be ACCOUNT and no keys set (keys beat
# any profile; boto3 reads AWS_DEFAULT_PROFILE first); in env mode AWS_ACCESS_KEY_ID
# must be LETME_ACCESS_KEY_ID. The sign is [char]0x2260, not the character: the hook
# reaches PowerShell through a pipe (`letme hook powershell | Out-String`), decoded
# with the console's encoding, which is not UTF-8 everywhere.
function global:__letme_stale([string]$account) {
    $other = ''
    $mode = "$env:LETME_MODE"
    if ($mode -ceq 'process' -or $mode -ceq 'profile') {
        if ($env:AWS_ACCESS_KEY_ID) { $other = 'keys' }
        elseif ($env:AWS_DEFAULT_PROFILE -and "$env:AWS_DEFAULT_PROFILE" -cne $account) { $other = "$env:AWS_DEFAULT_PROFILE" }
        elseif ("$env:AWS_PROFILE" -cne $account) { $other = if ($env:AWS_PROFILE) { "$env:AWS_PROFILE" } else { 'default' } }
    } elseif ($mode -ceq 'env') {
        if (-not $env:AWS_ACCESS_KEY_ID) {
            $other = if ($env:AWS_DEFAULT_PROFILE) { "$env:AWS_DEFAULT_PROFILE" } elseif ($env:AWS_PROFILE) { "$env:AWS_PROFILE" } else { 'default' }
        } elseif ($env:LETME_ACCESS_KEY_ID -and "$env:AWS_ACCESS_KEY_ID" -cne "$env:LETME_ACCESS_KEY_ID") { $other = 'keys' }
    }
    if (-not $other) { return '' }
    if ($other -cnotmatch '^[A-Za-z0-9._@+-]{1,64}\z') { $other = '?' }
    return "$([char]0x2260) $other"
}

# What the prompt shows, for doctor: off, shown (the prompt function is letme's) or
# overwritten (a prompt defined after the hook, by oh-my-posh or starship, say).
function global:__letme_prompt_state {
    if ($env:LETME_PROMPT -eq '0') { return 'off' }
    $prompt = Get-Item Function:\prompt -ErrorAction SilentlyContinue
    if ($prompt -and $prompt.ScriptBlock.ToString().Contains('__letme_segment')) { return 'shown' }
    return 'overwritten'
}

if (-not (Test-Path Function:\__letme_user_prompt)) {
    if (Test-Path Function:\prompt) {
        Set-Item Function:\global:__letme_user_prompt (Get-Item Function:\prompt).ScriptBlock
    } else {
        function global:__letme_user_prompt { 'PS> ' }
    }
    function global:prompt {
        __letme_dir_check
        __letme_refresh_check
        (__letme_segment) + (__letme_user_prompt)
    }
}

# ---- per-directory accounts (.letme) --------------------------------------------
# As in the other hooks: at a prompt where the location is what it was at the last
# one, one string comparison. When it changed (and is a directory: the FileSystem
# provider), the nearest .letme in it and its parents (up to $HOME when it lies in
# it, else up to the root) with Test-Path -PathType Leaf (a cmdlet, no process);
# and only when that nearest file is another one than at the last check, one
# `letme dir FILE` (none: every tree left, only while a tree's account is in use),
# run by the letme function above as `use` is. The path is one argument (an
# absolute path: it never starts with '-'), never part of code that is evaluated.
$script:__letme_dir_pwd = $null
$script:__letme_dir_found = ''
function global:__letme_dir_check {
    if ($env:LETME_DIRS -eq '0') { return }
    $location = $ExecutionContext.SessionState.Path.CurrentLocation
    if ($location.Provider.Name -ne 'FileSystem') { return }
    $dir = $location.ProviderPath
    if ($dir -ceq $script:__letme_dir_pwd) { return }
    $script:__letme_dir_pwd = $dir
    $separator = [System.IO.Path]::DirectorySeparatorChar
    $homeDir = "$HOME".TrimEnd('\', '/')
    $stop = $null
    if ($homeDir -and ($dir -ceq $homeDir -or $dir.StartsWith($homeDir + $separator, [StringComparison]::Ordinal))) {
        $stop = $homeDir
    }
    $found = ''
    while ($dir) {
        $candidate = Join-Path $dir '.letme'
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { $found = $candidate; break }
        if ($stop -and $dir -ceq $stop) { break }
        $parent = [System.IO.Path]::GetDirectoryName($dir)
        if (-not $parent -or $parent -ceq $dir) { break }
        $dir = $parent
    }
    if ($found -ceq $script:__letme_dir_found) { return }
    $script:__letme_dir_found = $found
    # The user's prompt may show the last command's exit code: letme's is not it.
    $lastExit = $global:LASTEXITCODE
    if ($found) { letme dir $found }
    elseif ($env:LETME_DIR_BEFORE) { letme dir }
    $global:LASTEXITCODE = $lastExit
}

# ---- refresh before expiry ------------------------------------------------------
# As in the bash hook: `letme refresh --background` once per LETME_EXPIRES value,
# never asking for anything; a later prompt reads the one-line status file.
$script:__letme_refresh_gen = ''
$script:__letme_refresh_state = ''
$script:__letme_refresh_started = 0L
function global:__letme_refresh_check {
    if ($env:LETME_AUTO_REFRESH -eq '0') { return }
    $account = "$env:LETME_ACCOUNT"
    $ctx = if ($env:LETME_ACTIVE_CONTEXT) { "$env:LETME_ACTIVE_CONTEXT" } else { 'general' }
    $at = __letme_long $env:LETME_REFRESH_AT
    $expires = __letme_long $env:LETME_EXPIRES
    if ($null -eq $at -or $null -eq $expires) { return }
    if ($account -cnotmatch $script:__letme_account_re -or $ctx -cnotmatch $script:__letme_context_re) { return }
    $file = Join-Path (Join-Path (Join-Path $script:__letme_state_dir 'refresh') $ctx) $account
    $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    if ($script:__letme_refresh_gen -ne "$expires") {
        if ($now -lt $at) { return }
        # Process.Start with no shell and no window works on Windows, Linux and macOS
        # (Start-Process -WindowStyle throws off Windows). Every argument is a fixed word
        # or a name checked above (no space, no quote), so one Arguments string is read
        # back exactly on every platform, Windows PowerShell 5.1 included (it has no
        # ArgumentList). stdin is a pipe closed at once: the renewal never asks for
        # anything; what it prints is read and dropped, as the bash hook's >/dev/null.
        $info = [System.Diagnostics.ProcessStartInfo]::new($script:__letme_exe)
        $info.Arguments = "refresh --background --no-prompt --context $ctx -- $account"
        $info.UseShellExecute = $false
        $info.CreateNoWindow = $true
        $info.RedirectStandardInput = $true
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        try {
            $process = [System.Diagnostics.Process]::Start($info)
            $process.StandardInput.Close()
            $process.BeginOutputReadLine()
            $process.BeginErrorReadLine()
        } catch {
            # Not started (letme not found, say): nothing is marked, so a later prompt tries again.
            return
        }
        $script:__letme_refresh_gen = "$expires"
        $script:__letme_refresh_state = 'running'
        $script:__letme_refresh_started = $now
        return
    }
    # A file, not a directory (-PathType Leaf). Unlike bash, zsh and fish, this does not yet tell a FIFO from a file.
    if ($script:__letme_refresh_state -ne 'running' -or -not (Test-Path -LiteralPath $file -PathType Leaf)) { return }
    $parts = "$(Get-Content -LiteralPath $file -TotalCount 1 -ErrorAction SilentlyContinue)" -split ' '
    if ($parts.Count -lt 3) { return }
    $written = __letme_long $parts[1]
    $renewed = __letme_long $parts[2]
    if ($null -eq $written -or $null -eq $renewed -or $written -lt $script:__letme_refresh_started) { return }
    $script:__letme_refresh_state = 'finished'
    switch ($parts[0]) {
        'ok' { if ($renewed -gt $expires) { letme refresh --apply -q --context $ctx -- $account } }
        'mfa' { [Console]::Error.WriteLine("letme: $account needs a new MFA code before it expires; run 'letme refresh'") }
        default { [Console]::Error.WriteLine("letme: renewing $account in the background failed; run 'letme refresh' to see why") }
    }
}

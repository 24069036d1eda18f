# letme shell integration for PowerShell. Load it with this line in $PROFILE:
#
#     Invoke-Expression (& letme hook powershell | Out-String)
#
# Sections: set-up · the letme function · prompt segment · refresh before expiry.
# The clock is [DateTimeOffset]::UtcNow (no process at a prompt); a letme process
# starts only once per credential lifetime, inside the refresh window.
# Settings: $env:LETME_PROMPT = '0' (no segment), LETME_PROMPT_FORMAT
# ('[aws:{account} {ttl}{depth}]'), LETME_PROMPT_WARN_SECONDS (300),
# LETME_AUTO_REFRESH = '0' (no background renewal).
# NOTE: no pwsh runs in letme's CI; this file is checked for structure only.

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
    $passThrough = @($args | Where-Object { "$_" -match '^(-h|--help|--shell(=.*)?)$' }).Count -gt 0
    if ($sub -in @('use', 'leave', 'back', 'refresh') -and -not $passThrough) {
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
        # doctor reports whether the hook is loaded: tell it, for this one call.
        $env:LETME_HOOK_SHELL = 'powershell'
        try { & $script:__letme_exe @args } finally {
            Remove-Item -LiteralPath Env:LETME_HOOK_SHELL -ErrorAction SilentlyContinue
        }
        return
    }
    & $script:__letme_exe @args
}

# ---- prompt segment -----------------------------------------------------------
function global:__letme_segment {
    $account = $env:LETME_ACCOUNT
    if (-not $account -or $env:LETME_PROMPT -eq '0') { return '' }
    $ttl = '?'
    $expires = 0L
    if ([long]::TryParse("$env:LETME_EXPIRES", [ref]$expires)) {
        $left = $expires - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        if ($left -le 0) { $ttl = 'expired' }
        elseif ($left -lt 3600) { $ttl = '{0}m' -f [math]::Floor($left / 60) }
        else { $ttl = '{0}h{1:00}m' -f [math]::Floor($left / 3600), [math]::Floor(($left % 3600) / 60) }
    }
    $depth = ''
    if ("$env:LETME_SHELL_DEPTH" -match '^[1-9][0-9]*$') { $depth = " shell:$env:LETME_SHELL_DEPTH" }
    $format = if ($env:LETME_PROMPT_FORMAT) { $env:LETME_PROMPT_FORMAT } else { '[aws:{account} {ttl}{depth}]' }
    return $format.Replace('{account}', $account).Replace('{ttl}', $ttl).Replace('{depth}', $depth) + ' '
}

if (-not (Test-Path Function:\__letme_user_prompt)) {
    if (Test-Path Function:\prompt) {
        Set-Item Function:\global:__letme_user_prompt (Get-Item Function:\prompt).ScriptBlock
    } else {
        function global:__letme_user_prompt { 'PS> ' }
    }
    function global:prompt {
        __letme_refresh_check
        (__letme_segment) + (__letme_user_prompt)
    }
}

# ---- refresh before expiry ------------------------------------------------------
# As in the bash hook: `letme refresh --background` once per LETME_EXPIRES value,
# never asking for anything; a later prompt reads the one-line status file.
$script:__letme_refresh_gen = ''
$script:__letme_refresh_state = ''
$script:__letme_refresh_started = 0L
function global:__letme_refresh_check {
    $account = $env:LETME_ACCOUNT
    $at = 0L
    if (-not $account -or -not [long]::TryParse("$env:LETME_REFRESH_AT", [ref]$at) -or $env:LETME_AUTO_REFRESH -eq '0') { return }
    $ctx = if ($env:LETME_ACTIVE_CONTEXT) { $env:LETME_ACTIVE_CONTEXT } else { 'general' }
    $file = Join-Path (Join-Path (Join-Path $script:__letme_state_dir 'refresh') $ctx) $account
    $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    if ($script:__letme_refresh_gen -ne "$env:LETME_EXPIRES") {
        if ($now -lt $at) { return }
        $script:__letme_refresh_gen = "$env:LETME_EXPIRES"
        $script:__letme_refresh_state = 'running'
        $script:__letme_refresh_started = $now
        Start-Process -FilePath $script:__letme_exe -WindowStyle Hidden -ArgumentList @(
            'refresh', '--background', '--no-prompt', '--context', $ctx, '--', $account) | Out-Null
        return
    }
    if ($script:__letme_refresh_state -ne 'running' -or -not (Test-Path -LiteralPath $file)) { return }
    $parts = (Get-Content -LiteralPath $file -TotalCount 1) -split ' '
    if ($parts.Count -lt 3 -or [long]$parts[1] -lt $script:__letme_refresh_started) { return }
    $script:__letme_refresh_state = 'finished'
    switch ($parts[0]) {
        'ok' { if ([long]$parts[2] -gt [long]$env:LETME_EXPIRES) { letme refresh --apply -q --context $ctx -- $account } }
        'mfa' { [Console]::Error.WriteLine("letme: $account needs a new MFA code before it expires; run 'letme refresh'") }
        default { [Console]::Error.WriteLine("letme: renewing $account in the background failed; run 'letme refresh' to see why") }
    }
}

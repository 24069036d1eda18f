# PowerShell completion for letme: subcommands, flags and account names, read
# from the catalog cache file that `letme init` writes (no process at TAB).
# Matching is fuzzy: prefix matches when there are any; else substring, then letters in order.
# Account names come in the order of letme_shell/history.py: recently used ones first (from
# <state>/recent/<context>), and with one letter typed, production ones (from .../prod) after the others.
# `letme hook powershell` includes this file.
# NOTE: no pwsh runs in letme's CI; this file is checked for structure only.

# @LETME_SETUP@
if (-not $script:__letme_cache_dir) {
    $script:__letme_cache_dir = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'letme'
}

if (-not $script:__letme_state_dir) {
    $script:__letme_state_dir = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'letme'
}

# The account names found for $word, in letme's order: the name typed exactly, the recent ones,
# the rest (production names last when at most one letter was typed). The two files only reorder names.
function global:__letme_order([string]$word, [string]$catalog, [string]$ctx, [string[]]$found) {
    $recent = @()
    $file = Join-Path (Join-Path $script:__letme_state_dir 'recent') $ctx
    if (Test-Path -LiteralPath $file -PathType Leaf) { $recent = @(Get-Content -LiteralPath $file -TotalCount 20) }
    $first = @($found | Where-Object { $word -and $_ -ieq $word })
    $recentFound = @($recent | Where-Object { ($_ -cin $found) -and ($_ -cnotin $first) } | Select-Object -Unique)
    $rest = @($found | Where-Object { ($_ -cnotin $first) -and ($_ -cnotin $recentFound) })
    $prodFile = Join-Path $catalog 'prod'
    if ($word.Length -le 1 -and (Test-Path -LiteralPath $prodFile -PathType Leaf)) {
        $prod = [System.Collections.Generic.HashSet[string]]::new([string[]]@(Get-Content -LiteralPath $prodFile))
        $rest = @($rest | Where-Object { -not $prod.Contains($_) }) + @($rest | Where-Object { $prod.Contains($_) })
    }
    return $first + $recentFound + $rest
}

function global:__letme_fuzzy([string]$word, [string[]]$candidates) {
    if (-not $word) { return $candidates }
    $exact = [regex]::Escape($word)
    $scattered = ($word.ToCharArray() | ForEach-Object { [regex]::Escape([string]$_) }) -join '.*'
    $first = @($candidates | Where-Object { $_ -match "^$exact" })
    if ($first.Count) { return $first }
    $inside = @($candidates | Where-Object { $_ -match $exact })
    $loose = @($candidates | Where-Object { $_ -match $scattered -and $_ -notin $inside })
    return $inside + $loose
}

Register-ArgumentCompleter -Native -CommandName letme -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $commands = @('init', 'list', 'ls', 'obtain', 'ob', 'use', 'leave', 'back', 'status', 'shell', 'exec',
        'credential-process', 'refresh', 'remove', 'rm', 'reset', 'hook', 'config', 'config-file', 'demo', 'doctor', 'console',
        'version', 'allow', 'deny', 'source')
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { "$_" })
    if ($wordToComplete) { $words = @($words | Select-Object -SkipLast 1) }
    $positional = @($words | Where-Object { -not $_.StartsWith('-') })
    $candidates = @()
    if ($wordToComplete.StartsWith('-')) {
        $candidates = @('--help', '--config', '--context', '--debug', '--quiet', '--mode', '--region', '--mfa-code',
            '--force', '--shell', '--verify', '--json', '--role-arn', '--name', '--external-id')
    } elseif ($positional.Count -eq 0) {
        $candidates = $commands
    } elseif ($positional.Count -eq 1 -and $positional[0] -in @('use', 'shell', 'exec', 'obtain', 'ob',
            'credential-process', 'refresh', 'remove', 'rm', 'console')) {
        $ctx = if ($env:LETME_CONTEXT) { "$env:LETME_CONTEXT" } else { 'general' }
        # A context name has letme's shape before it makes a path (\z: .NET's $ matches before a final newline).
        if ($ctx -cnotmatch '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\z') { $ctx = 'general' }
        $catalog = Join-Path (Join-Path $script:__letme_cache_dir 'catalog') $ctx
        $names = Join-Path $catalog 'names'
        if (Test-Path -LiteralPath $names) {
            $found = @(__letme_fuzzy $wordToComplete @(Get-Content -LiteralPath $names))
            $candidates = @(__letme_order $wordToComplete $catalog $ctx $found)
            $wordToComplete = ''  # matched already
        }
    } elseif ($positional.Count -eq 1 -and $positional[0] -eq 'hook') {
        $candidates = @('bash', 'zsh', 'fish', 'powershell')
    } elseif ($positional.Count -eq 1 -and $positional[0] -eq 'source') {
        $candidates = @('add', 'remove', 'list', 'credentials')
    }
    __letme_fuzzy $wordToComplete $candidates | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}

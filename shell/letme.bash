# shellcheck shell=bash
# letme shell integration for bash. Load it with this line in ~/.bashrc, after
# other prompt tools (starship, bash-preexec) so the prompt segment survives them:
#
#     eval "$(letme hook bash)"
#
# Sections: set-up · the letme function · prompt segment · a line before commands on
# expired credentials · refresh before expiry · installation. Nothing here starts a
# process at a prompt: the clock is bash's own (EPOCHSECONDS, else `printf '%(%s)T'`),
# and a process starts only once per credential lifetime, inside the refresh window
# (see __letme_refresh_check).
#
# Settings (shell variables, read at every prompt):
#   LETME_PROMPT=0                  no prompt segment
#   LETME_PROMPT_FORMAT             default '[aws:{account} {ttl}{depth}{dir}]'
#   LETME_PROMPT_COLOR              SGR colour of the segment, default 36 (cyan); empty: no colour
#   LETME_PROMPT_WARN_COLOR         colour in the last minutes, once expired and when stale, default 33 (yellow)
#   LETME_PROMPT_WARN_SECONDS       how many last seconds count as "last minutes" (shown as `4m!`), default 300
#   LETME_PROMPT_PROD_COLOR         colour for production accounts (LETME_PROD=1) in every state, default 31 (red)
#   LETME_AUTO_REFRESH=0            never renew in the background
#   LETME_DIRS=0                    never look for .letme files (per-directory accounts)
#   LETME_PROMPT_DIR_MARK           what {dir} shows while the account comes from a .letme, default '.letme'
# NO_COLOR (https://no-color.org) turns the colours off. A value of the wrong shape
# counts as unset: every value read from the environment is checked before bash
# does arithmetic with it (which would evaluate `a[$(cmd)]`) or shows it.
#
# The user's shell stays as it was: nothing here changes an option, and under
# `set -euo pipefail` no command of the hook fails where errexit would end the
# shell (see the installation section for the prompt's status).

# ---- aliases ---------------------------------------------------------------------
# The user's aliases (one named letme, or for words this file uses: `local`,
# `command`, even `case`) must not change this code, and must keep working: alias
# expansion is off while the file is read (bash reads `eval` and `source` input
# one command at a time) and is put back as it was at the end of the file.
__letme_aliases=0; \shopt -q expand_aliases && __letme_aliases=1; \shopt -u expand_aliases

# ---- set-up: `letme hook bash` puts the letme path and its directories here --
# @LETME_SETUP@
: "${__letme_exe:=letme}"
: "${__letme_cache_dir:=${XDG_CACHE_HOME:-$HOME/.cache}/letme}"
: "${__letme_state_dir:=${XDG_STATE_HOME:-$HOME/.local/state}/letme}"

# ---- the letme function -----------------------------------------------------
# Commands that change this shell print shell code on stdout; it is evaluated
# only when the command succeeded. Everything else runs as it is.
letme() {
    local __letme_sub='' __letme_skip=0 __letme_arg
    for __letme_arg in "$@"; do
        if ((__letme_skip)); then
            __letme_skip=0
            continue
        fi
        case $__letme_arg in
            --config | --context) __letme_skip=1 ;;
            -*) ;;
            *)
                __letme_sub=$__letme_arg
                break
                ;;
        esac
    done
    case $__letme_sub in
        use | leave | back | refresh | dir | allow | deny)
            # --help and --version print text and --shell asks for code to read: none is evaluated.
            for __letme_arg in "$@"; do
                case $__letme_arg in
                    -h | --help | -v | --version | --shell | --shell=*)
                        command "$__letme_exe" "$@"
                        return
                        ;;
                esac
            done
            __letme_eval "$@"
            ;;
        # doctor reports whether the hook is loaded and what the last prompt showed: tell it, for this one call.
        doctor)
            local __letme_state
            __letme_prompt_state
            LETME_HOOK_SHELL=bash LETME_HOOK_PROMPT=$__letme_state command "$__letme_exe" "$@"
            ;;
        *) command "$__letme_exe" "$@" ;;
    esac
}

# Runs letme marked as the hook (LETME_HOOK_SHELL on its command line only, never
# exported) and evaluates its stdout if, and only if, it succeeded, with alias
# expansion off (an alias named `export` or `unset` must not change it).
__letme_eval() {
    # `set -x` would print the evaluated code, keys and session token included: tracing stays
    # off in here (`local -` gives the function its own options, put back on return).
    local -
    set +x
    local __letme_out __letme_rc __letme_had_aliases=0
    # \command: bash reads the text of $(...) again when it runs, with the user's aliases on.
    __letme_out=$(LETME_HOOK_SHELL=bash \command "$__letme_exe" "$@")
    __letme_rc=$?
    if ((__letme_rc == 0)); then
        shopt -q expand_aliases && __letme_had_aliases=1
        shopt -u expand_aliases
        eval "$__letme_out"
        if ((__letme_had_aliases)); then
            shopt -s expand_aliases
        fi
    fi
    return "$__letme_rc"
}

# ---- values from the environment --------------------------------------------------
# Checked with [[ == ]] patterns (a builtin) before any use, as the zsh hook does:
# `=~` compiles its regex at every call (glibc made ~0.5 ms of each {0,127}), and a
# prompt checks a dozen values. The character sets are spelled out: with
# globasciiranges off, a range such as [A-Z] may match other letters in some locales.
# __letme_uint: digits bash reads as a decimal number: no leading zero (08 would be octal), at most 15
# digits, as in every hook (fish's math is exact to 2^53). An account or context
# name has the shape letme gives them (so it is also a safe file name); a colour
# is SGR parameters: digits and `;` (36, 1;31).
__letme_alnum=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789
__letme_uint() {
    [[ $1 == 0 || ($1 == [123456789]* && $1 != *[!0123456789]* && ${#1} -le 15) ]]
}
# An account as LETME_ACCOUNT names it: NAME, or NAME@CONTEXT for a context other than general.
__letme_name() {
    local account=${1%%@*}
    if [[ $1 == *@* ]]; then
        __letme_context_name "${1#*@}" || return 1
    fi
    [[ $account == [$__letme_alnum]* && $account != *[!${__letme_alnum}._-]* && ${#account} -le 128 ]]
}
__letme_context_name() {
    [[ $1 == [$__letme_alnum]* && $1 != *[!${__letme_alnum}_-]* && ${#1} -le 64 ]]
}
# __letme_color VALUE DEFAULT: sets `color` to VALUE if it is empty (no colour)
# or SGR parameters, else to DEFAULT.
__letme_color() {
    if [[ -z $1 || ($1 != *[!0123456789\;]* && ${#1} -le 64) ]]; then
        color=$1
    else
        color=$2
    fi
}

# ---- prompt segment -----------------------------------------------------------
# PS1 references $__letme_ps1; __letme_precmd recomputes it before each prompt.
# bash expands PS1 once, so the value itself is never expanded (no $(...) in it
# runs), and backslash escapes in it are not decoded. Colour codes are wrapped in
# \001..\002 (readline's "invisible" markers), since \[ \] are not decoded
# inside an expanded variable.
#
# The segment says what the next command will use: `[aws:example1 42m]`; `4m!` in
# the last minutes (said in text, not only in colour: a production account keeps
# its own colour in every state); `expired`; and, when the AWS variables no longer
# select what letme set (another tool exported AWS_PROFILE or keys), what they
# select instead: `[aws:example1 ≠ default]`, `[aws:example1 ≠ keys]`.
__letme_ps1=''
__letme_segment() {
    local now=$1 account=${LETME_ACCOUNT-} expires=${LETME_EXPIRES-} left ttl depth='' color warn stale='' mark=''
    __letme_ps1=''
    if [[ -z $account || ${LETME_PROMPT-1} == 0 ]]; then
        return 0
    fi
    __letme_stale "$account"
    # A name letme would never export is not shown: it may be text meant for a terminal.
    __letme_name "$account" || account='?'
    __letme_color "${LETME_PROMPT_COLOR-36}" 36
    if __letme_uint "$expires"; then
        left=$((expires - now))
        if ((left <= 0)); then
            ttl=expired
        elif ((left < 3600)); then
            ttl=$((left / 60))m
        else
            printf -v ttl '%dh%02dm' "$((left / 3600))" "$((left % 3600 / 60))"
        fi
        warn=${LETME_PROMPT_WARN_SECONDS-300}
        __letme_uint "$warn" || warn=300
        if ((left <= warn)); then
            __letme_color "${LETME_PROMPT_WARN_COLOR-33}" 33
            if ((left > 0)); then
                ttl+='!'
            fi
        fi
    else
        ttl='?'
    fi
    if [[ -n $stale ]]; then
        ttl=$stale
        __letme_color "${LETME_PROMPT_WARN_COLOR-33}" 33
    fi
    if [[ ${LETME_PROD-} == 1 ]]; then
        __letme_color "${LETME_PROMPT_PROD_COLOR-31}" 31
    fi
    if __letme_uint "${LETME_SHELL_DEPTH-}" && [[ $LETME_SHELL_DEPTH != 0 && ${#LETME_SHELL_DEPTH} -le 4 ]]; then
        depth=" shell:$LETME_SHELL_DEPTH"
    fi
    # {dir}: the account came from a .letme file (LETME_DIR names it; a manual switch unsets it).
    if [[ -n ${LETME_DIR-} ]]; then
        mark=${LETME_PROMPT_DIR_MARK-.letme}
        mark=${mark//[[:cntrl:]]/}
        mark=${mark:+ $mark}
    fi
    local seg=${LETME_PROMPT_FORMAT-'[aws:{account} {ttl}{depth}{dir}]'}
    # The format is text: control characters (terminal escapes, line breaks) are dropped.
    seg=${seg//[[:cntrl:]]/}
    # Quoted replacements: bash 5.2's patsub_replacement would treat & specially.
    seg=${seg//'{account}'/"$account"}
    seg=${seg//'{ttl}'/"$ttl"}
    seg=${seg//'{depth}'/"$depth"}
    seg=${seg//'{dir}'/"$mark"}
    if [[ -n $color && -z ${NO_COLOR-} ]]; then
        seg=$'\001\e['"${color}m"$'\002'"$seg"$'\001\e[0m\002'
    fi
    __letme_ps1="$seg "
}

# __letme_stale ACCOUNT: sets `stale` to `≠ WHAT` when the AWS variables no longer
# select what letme set for ACCOUNT (WHAT: the profile they select, or `keys`), else
# to ''. String comparisons only. In process and profile modes letme sets
# AWS_PROFILE=ACCOUNT and no keys (keys beat any profile in every SDK; boto3 reads
# AWS_DEFAULT_PROFILE before AWS_PROFILE); in env mode it sets AWS_ACCESS_KEY_ID,
# and LETME_ACCESS_KEY_ID to the same id. Without LETME_MODE (not set by letme)
# nothing is compared. A profile name is shown only if it has a plain shape.
__letme_stale() {
    local account=$1 mode=${LETME_MODE-} other='' sign='!='
    stale=''
    case $mode in
        process | profile)
            if [[ -n ${AWS_ACCESS_KEY_ID-} ]]; then
                other=keys
            elif [[ -n ${AWS_DEFAULT_PROFILE-} && $AWS_DEFAULT_PROFILE != "$account" ]]; then
                other=$AWS_DEFAULT_PROFILE
            elif [[ ${AWS_PROFILE-} != "$account" ]]; then
                other=${AWS_PROFILE:-default}
            fi
            ;;
        env)
            if [[ -z ${AWS_ACCESS_KEY_ID-} ]]; then
                other=${AWS_DEFAULT_PROFILE:-${AWS_PROFILE:-default}}
            elif [[ -n ${LETME_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID != "$LETME_ACCESS_KEY_ID" ]]; then
                other=keys
            fi
            ;;
    esac
    [[ -n $other ]] || return 0
    [[ $other != *[!${__letme_alnum}._@+-]* && ${#other} -le 64 ]] || other='?'
    # ≠ where the terminal's encoding is UTF-8, else two ASCII characters.
    case ${LC_ALL:-${LC_CTYPE:-${LANG-}}} in
        *[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) sign='≠' ;;
    esac
    stale="$sign $other"
}

# ---- a line before commands on expired credentials ---------------------------------
# PS0 is expanded after a command line is read and before it runs (bash >= 4.4),
# once per line, not per simple command, and is written to stderr. It references
# ${__letme_expired_line[...]} while an account is in use. Its subscript is
# arithmetic on two numbers the prompt function checked (no process, no DEBUG trap,
# so bash-preexec's keeps working): element 1, one line naming `letme refresh`, once
# SECONDS has reached the expiry (measured on bash's SECONDS clock, set at the last
# prompt). It holds the expiry plus one, so that 0 means "no account" even when the
# expiry is the shell's first second (SECONDS 0).
__letme_expired_at=0
__letme_expired_line=('' '')
__letme_expiry() {
    local now=$1 account=${LETME_ACCOUNT-} expires=${LETME_EXPIRES-}
    __letme_expired_at=0
    if [[ -z $account ]] || ! __letme_uint "$expires" || ! __letme_uint "${SECONDS-}"; then
        return 0
    fi
    __letme_name "$account" || account='?'
    __letme_expired_at=$((SECONDS + expires - now + 1))
    if ((__letme_expired_at < 1)); then
        __letme_expired_at=1
    fi
    __letme_expired_line[1]="letme: the credentials for $account have expired; run 'letme refresh'"$'\n'
}

# Puts the segment's reference in PS1 and the expiry line's in PS0 when they are
# not there (a prompt tool that assigns PS1 at every prompt ran before this).
__letme_install_prompt() {
    # shellcheck disable=SC2016 # expanded at each prompt, not now
    if [[ ${PS1-} != *'${__letme_ps1}'* ]]; then
        PS1='${__letme_ps1}'${PS1-}
    fi
    # shellcheck disable=SC2016
    if [[ ${PS0-} != *'${__letme_expired_line['* ]]; then
        PS0='${LETME_ACCOUNT:+${__letme_expired_line[__letme_expired_at && SECONDS + 1 >= __letme_expired_at]}}'${PS0-}
    fi
}

# What the last prompt showed, for doctor: sets __letme_state to off, not-run (the
# prompt function is no longer in PROMPT_COMMAND), overwritten (something after it
# rewrote PS1) or shown. PS1 is still the one the last prompt was drawn from.
__letme_prompt_state() {
    if [[ ${LETME_PROMPT-1} == 0 ]]; then
        __letme_state=off
    elif [[ ${PROMPT_COMMAND[*]-} != *__letme_precmd* ]]; then
        __letme_state=not-run
    elif [[ ${PS1-} != *'${__letme_ps1}'* ]]; then
        __letme_state=overwritten
    else
        __letme_state=shown
    fi
}

# ---- per-directory accounts (.letme) --------------------------------------------
# At a prompt where PWD is what it was at the last one: one string comparison,
# nothing else. When it changed: the nearest .letme in PWD and its parents (up to
# HOME when PWD lies in it, else up to /), with `[[ -f ]]` (a builtin test) at each
# level; and only when that nearest file is another one than at the last check
# (a tree entered, left, or a nested one) one `letme dir FILE` (none: every tree
# left, and only while a tree's account is in use), whose output is evaluated as
# `use`'s is. letme decides the rest (allowed? trusted? valid?): see
# letme_shell/commands/dir.py. The path goes to letme as one argument, never
# through eval: a directory may be named anything.
__letme_dir_pwd=''
__letme_dir_found=''
__letme_dir_check() {
    local dir=${PWD-} home=${HOME-} found=''
    [[ ${LETME_DIRS-1} != 0 && $dir != "$__letme_dir_pwd" ]] || return 0
    __letme_dir_pwd=$dir
    [[ $dir == /* ]] || return 0
    home=${home%/}
    if [[ -z $home || $home != /* || ($dir != "$home" && $dir != "$home"/*) ]]; then
        home=/
    fi
    while [[ -n $dir ]]; do
        if [[ -f ${dir%/}/.letme ]]; then
            found=${dir%/}/.letme
            break
        fi
        if [[ $dir == "$home" || $dir == / || -z $dir ]]; then
            break
        fi
        dir=${dir%/*}
        dir=${dir:-/}
    done
    [[ $found != "$__letme_dir_found" ]] || return 0
    __letme_dir_found=$found
    if [[ -n $found ]]; then
        __letme_eval dir -- "$found" || true
    elif [[ -n ${LETME_DIR_BEFORE-} ]]; then
        __letme_eval dir || true
    fi
}

# ---- refresh before expiry ------------------------------------------------------
# Once now >= LETME_REFRESH_AT, start `letme refresh --background` once for these
# credentials (keyed by LETME_EXPIRES): it renews into the credential cache with
# the cached MFA session and never asks for anything (stdin is /dev/null, and
# --no-prompt makes a needed MFA code exit 4). It leaves one line in a status
# file; a later prompt reads it with `read` (a builtin) and, on `ok`, applies the
# cached credentials with `letme refresh --apply` (no network). On `mfa` it
# prints one line saying what to run, and never blocks the prompt.
__letme_refresh_gen=''
__letme_refresh_state=''
__letme_refresh_started=0
__letme_refresh_check() {
    local now=$1 account=${LETME_ACCOUNT-} at=${LETME_REFRESH_AT-} expires=${LETME_EXPIRES-}
    local ctx=${LETME_ACTIVE_CONTEXT:-general} IFS=$' \t\n'
    if [[ ${LETME_AUTO_REFRESH-1} == 0 ]] || ! __letme_name "$account" || ! __letme_context_name "$ctx" ||
        ! __letme_uint "$at" || ! __letme_uint "$expires"; then
        return 0
    fi
    local file=$__letme_state_dir/refresh/$ctx/$account
    if [[ $__letme_refresh_gen != "$expires" ]]; then
        ((now >= at)) || return 0
        __letme_refresh_gen=$expires
        __letme_refresh_state=running
        __letme_refresh_started=$now
        # The subshell exits at once, so the job never appears in `jobs` and no
        # "Done" line follows.
        (command "$__letme_exe" refresh --background --no-prompt --context "$ctx" -- "$account" \
            </dev/null >/dev/null 2>&1 &)
        return 0
    fi
    # A regular file of the user's only: a FIFO or a device someone planted there would hang `read`.
    [[ $__letme_refresh_state == running && -f $file && -O $file ]] || return 0
    local result='' written=0 renewed=0
    read -r result written renewed <"$file" || true
    __letme_uint "$written" && __letme_uint "$renewed" || return 0
    ((written >= __letme_refresh_started)) || return 0
    __letme_refresh_state=finished
    case $result in
        ok)
            if ((renewed > expires)); then
                __letme_eval refresh --apply -q --context "$ctx" -- "$account"
            fi
            ;;
        mfa)
            printf "letme: %s needs a new MFA code before it expires; run 'letme refresh'\n" "$account" >&2
            ;;
        *)
            printf "letme: renewing %s in the background failed; run 'letme refresh' to see why\n" "$account" >&2
            ;;
    esac
}

__letme_precmd() {
    local __letme_status=$? __letme_now=${EPOCHSECONDS-}
    # bash < 5 has no EPOCHSECONDS; printf's clock is a builtin too.
    __letme_uint "$__letme_now" || printf -v __letme_now '%(%s)T' -1
    __letme_dir_check
    __letme_refresh_check "$__letme_now"
    __letme_segment "$__letme_now"
    __letme_expiry "$__letme_now"
    __letme_install_prompt
    # PS1 and any PROMPT_COMMAND entry after this one see the status it was given.
    return "$__letme_status"
}

# ---- installation (idempotent: evaluating the hook twice installs once) --------
# The prompt function runs after the PROMPT_COMMAND entries that were there before
# it, so that a PS1 they assign at every prompt (git-prompt's __git_ps1, a
# bash-preexec precmd function, a theme) gets the segment back before it is drawn.
# bash >= 5.1: PROMPT_COMMAND is an array and the entry is an element of its own,
# never element 0, which is what `PROMPT_COMMAND='...'` in a later line of
# ~/.bashrc replaces (`PROMPT_COMMAND="...;$PROMPT_COMMAND"` keeps it too); it
# goes before a last `__bp_interactive_mode` (bash-preexec's marker that the next
# command is the user's). Older bash: appended to the string.
# The entry is `{ __letme_precmd && :; } >/dev/null`:
# - `&& :`: a failing command before `&&` neither ends a shell under `set -e` nor
#   runs an ERR trap, and the list still has its status;
# - stdout is not a terminal inside it: bash-preexec's DEBUG trap (0.4.x, where
#   this entry may run after __bp_interactive_mode) then leaves the commands of
#   this entry alone instead of taking them for the user's command line. Nothing
#   here writes to stdout.
# shellcheck disable=SC2016
__letme_entry='{ __letme_precmd && :; } >/dev/null'
if [[ ${PROMPT_COMMAND[*]-} != *__letme_precmd* ]]; then
    if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
        if [[ -z ${PROMPT_COMMAND+set} || ${PROMPT_COMMAND@a} != *a* ]]; then
            # shellcheck disable=SC2128,SC2178 # a string (or unset) becomes element 0
            PROMPT_COMMAND=("${PROMPT_COMMAND-}")
        fi
        if ((${#PROMPT_COMMAND[@]} > 1)) && [[ ${PROMPT_COMMAND[-1]} == __bp_interactive_mode ]]; then
            PROMPT_COMMAND=("${PROMPT_COMMAND[@]:0:${#PROMPT_COMMAND[@]}-1}" "$__letme_entry" __bp_interactive_mode)
        else
            PROMPT_COMMAND+=("$__letme_entry")
        fi
    else
        # shellcheck disable=SC2178,SC2128 # the string form of bash < 5.1
        PROMPT_COMMAND="${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}$__letme_entry"
    fi
fi
unset __letme_entry
__letme_install_prompt

# Alias expansion as it was before this file (see "aliases" at the top).
# One compound command, read whole before any of it runs: nothing after the
# shopt is read with aliases on.
if ((__letme_aliases)); then
    unset __letme_aliases
    shopt -s expand_aliases
else
    unset __letme_aliases
fi

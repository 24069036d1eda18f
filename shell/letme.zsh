# letme shell integration for zsh. Load it with this line in ~/.zshrc, after
# compinit and after other prompt tools, so completion registers and the prompt
# segment survives them:
#
#     eval "$(letme hook zsh)"
#
# Sections: set-up · the letme function · values from the environment · prompt
# segment · refresh before expiry · installation. Nothing here starts a process at
# a prompt: the clock is EPOCHSECONDS from zsh/datetime, and a process starts only
# once per credential lifetime, inside the refresh window (see __letme_refresh_check).
#
# Settings (read at every prompt): LETME_PROMPT=0 (no segment), LETME_PROMPT_FORMAT
# ('[aws:{account} {ttl}{depth}]'), LETME_PROMPT_COLOR (36), LETME_PROMPT_WARN_COLOR
# (33), LETME_PROMPT_WARN_SECONDS (300), LETME_PROMPT_PROD_COLOR (31),
# LETME_AUTO_REFRESH=0 (no background renewal), NO_COLOR. A value of the wrong
# shape counts as unset.
#
# The user's shell stays as it was, whatever its options and aliases:
# - every function starts with `emulate -L zsh`: the user's options (ksh_arrays,
#   sh_word_split, no_unset, err_exit, ...) do not reach this code, and what it
#   sets ends with the function; the prompt hook returns 0 (under err_exit a
#   failing precmd hook ends the shell; zsh keeps $? for the prompt by itself);
# - `eval "$(...)"` reads this whole text before running any of it, so alias
#   expansion cannot be turned off for it: every command word is written so that
#   no alias applies (`\builtin local`, `\command`, `function letme {`, which zsh
#   does not read as an alias either); the letme output is evaluated with aliases off.

# ---- set-up: `letme hook zsh` puts the letme path and its directories here -----
# @LETME_SETUP@
: "${__letme_exe:=letme}"
: "${__letme_cache_dir:=${XDG_CACHE_HOME:-$HOME/.cache}/letme}"
: "${__letme_state_dir:=${XDG_STATE_HOME:-$HOME/.local/state}/letme}"

# EPOCHSECONDS; if the environment has a variable of that name, the module cannot
# add it, and __letme_precmd falls back to the prompt's own clock (%D{%s}).
() {
    \builtin emulate -L zsh
    \builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || \builtin zmodload zsh/datetime 2>/dev/null
    \builtin return 0
}

# ---- the letme function -----------------------------------------------------
# Commands that change this shell print shell code on stdout; it is evaluated
# only when the command succeeded. Everything else runs as it is.
function letme {
    \builtin emulate -L zsh
    \builtin local __letme_sub='' __letme_skip=0 __letme_arg
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
        use | leave | back | refresh)
            # --help and --version print text and --shell asks for code to read: none is evaluated.
            for __letme_arg in "$@"; do
                case $__letme_arg in
                    -h | --help | -v | --version | --shell | --shell=*)
                        \command "$__letme_exe" "$@"
                        \builtin return
                        ;;
                esac
            done
            __letme_eval "$@"
            ;;
        # doctor reports whether the hook is loaded: tell it, for this one call.
        doctor) LETME_HOOK_SHELL=zsh \command "$__letme_exe" "$@" ;;
        *) \command "$__letme_exe" "$@" ;;
    esac
}

# Runs letme marked as the hook (LETME_HOOK_SHELL on its command line only, never
# exported) and evaluates its stdout if, and only if, it succeeded, with alias
# expansion off (an alias named `export` or `unset` must not change it).
__letme_eval() {
    \builtin emulate -L zsh
    # xtrace would print the evaluated code, keys and session token included (emulate -L makes
    # these local, so the user's own options come back on return).
    \builtin setopt no_aliases no_xtrace
    \builtin local __letme_out __letme_rc
    __letme_out=$(LETME_HOOK_SHELL=zsh \command "$__letme_exe" "$@")
    __letme_rc=$?
    if ((__letme_rc == 0)); then
        \builtin eval "$__letme_out"
    fi
    \builtin return $__letme_rc
}

# ---- values from the environment --------------------------------------------------
# Checked with patterns (no process) before any use: zsh arithmetic evaluates a
# variable's value as an expression, and prompt expansion reads % escapes.
# __letme_uint: digits, no leading zero, at most 15 (as in every hook). An account or
# context name has the shape letme gives them (so it is also a safe file name).
# A colour is SGR parameters: digits and `;` (36, 1;31).
__letme_uint() {
    [[ $1 == <-> && $1 != 0?* && ${#1} -le 15 ]]
}
# An account as LETME_ACCOUNT names it: NAME, or NAME@CONTEXT for a context other than general.
__letme_name() {
    \builtin local account=${1%%@*}
    if [[ $1 == *@* ]]; then
        __letme_context_name "${1#*@}" || \builtin return 1
    fi
    [[ $account == [A-Za-z0-9]* && $account != *[^A-Za-z0-9._-]* && ${#account} -le 128 ]]
}
__letme_context_name() {
    [[ $1 == [A-Za-z0-9]* && $1 != *[^A-Za-z0-9_-]* && ${#1} -le 64 ]]
}
# __letme_color VALUE DEFAULT: sets `color` to VALUE if it is empty (no colour)
# or SGR parameters, else to DEFAULT.
__letme_color() {
    if [[ -z $1 || ($1 != *[^0-9\;]* && ${#1} -le 64) ]]; then
        color=$1
    else
        color=$2
    fi
}

# ---- prompt segment -----------------------------------------------------------
# The segment is computed into $__letme_ps1 before each prompt, and put in front
# of PROMPT (the previous one taken off first). How depends on the user's options
# at that prompt (oh-my-zsh themes turn prompt_subst on, before or after this file):
# - prompt_subst off: the value itself, which prompt expansion only reads for %
#   escapes, and `%` is doubled in it;
# - prompt_subst on: the reference ${__letme_ps1}, so the value is substituted,
#   never evaluated (a $(...) or `...` in LETME_ACCOUNT or the format stays text).
# With prompt_bang, `!` is doubled too (it would show the history number).
\builtin typeset -g __letme_ps1='' __letme_shown=''
__letme_segment() {
    \builtin emulate -L zsh
    \builtin local now=$1 bang=$2 account=${LETME_ACCOUNT-} expires=${LETME_EXPIRES-} left ttl depth color warn seg
    __letme_ps1=''
    if [[ -z $account || ${LETME_PROMPT-1} == 0 ]]; then
        \builtin return 0
    fi
    # A name letme would never export is not shown: it may be text meant for a terminal.
    __letme_name $account || account='?'
    __letme_color "${LETME_PROMPT_COLOR-36}" 36
    if [[ ${LETME_PROD-} == 1 ]]; then
        __letme_color "${LETME_PROMPT_PROD_COLOR-31}" 31
    fi
    if __letme_uint $expires; then
        left=$((expires - now))
        if ((left <= 0)); then
            ttl=expired
        elif ((left < 3600)); then
            ttl=$((left / 60))m
        else
            ttl=$((left / 3600))h${(l:2::0:)$((left % 3600 / 60))}m
        fi
        warn=${LETME_PROMPT_WARN_SECONDS-300}
        __letme_uint $warn || warn=300
        if ((left <= warn)); then
            __letme_color "${LETME_PROMPT_WARN_COLOR-33}" 33
        fi
    else
        ttl='?'
    fi
    depth=${LETME_SHELL_DEPTH-}
    if __letme_uint $depth && [[ $depth != 0 ]] && ((${#depth} <= 4)); then
        depth=" shell:$depth"
    else
        depth=''
    fi
    seg=${LETME_PROMPT_FORMAT-'[aws:{account} {ttl}{depth}]'}
    # The format is text: control characters (terminal escapes, line breaks) are dropped.
    seg=${seg//[[:cntrl:]]/}
    seg=${seg//'{account}'/$account}
    seg=${seg//'{ttl}'/$ttl}
    seg=${seg//'{depth}'/$depth}
    seg=${seg//\%/%%}
    if ((bang)); then
        seg=${seg//\!/!!}
    fi
    if [[ -n $color && -z ${NO_COLOR-} ]]; then
        seg="%{"$'\e['"${color}m%}$seg%{"$'\e[0m'"%}"
    fi
    __letme_ps1="$seg "
}

# __letme_show SUBST: SUBST is 1 when the user has prompt_subst on.
__letme_show() {
    \builtin emulate -L zsh
    \builtin local prefix=$__letme_ps1
    if (($1)); then
        prefix='${__letme_ps1}'
    fi
    if [[ -n $__letme_shown && $PROMPT == "$__letme_shown"* ]]; then
        PROMPT=${PROMPT#"$__letme_shown"}
    fi
    __letme_shown=$prefix
    PROMPT=$prefix$PROMPT
}

# ---- refresh before expiry ------------------------------------------------------
# As in the bash hook: once now >= LETME_REFRESH_AT, `letme refresh --background`
# starts once for these credentials (keyed by LETME_EXPIRES), disowned (&!) so no
# job line appears, with stdin from /dev/null; it never asks for anything. A later
# prompt reads its one-line status file with `read` and applies the cached
# credentials on `ok`, or prints one line on `mfa`.
\builtin typeset -g __letme_refresh_gen='' __letme_refresh_state='' __letme_refresh_started=0
__letme_refresh_check() {
    \builtin emulate -L zsh
    \builtin local now=$1 account=${LETME_ACCOUNT-} at=${LETME_REFRESH_AT-} expires=${LETME_EXPIRES-}
    \builtin local ctx=${LETME_ACTIVE_CONTEXT:-general} IFS=$' \t\n'
    if [[ ${LETME_AUTO_REFRESH-1} == 0 ]] || ! __letme_name $account || ! __letme_context_name $ctx ||
        ! __letme_uint $at || ! __letme_uint $expires; then
        \builtin return 0
    fi
    \builtin local file=$__letme_state_dir/refresh/$ctx/$account
    if [[ $__letme_refresh_gen != "$expires" ]]; then
        ((now >= at)) || \builtin return 0
        __letme_refresh_gen=$expires
        __letme_refresh_state=running
        __letme_refresh_started=$now
        \command "$__letme_exe" refresh --background --no-prompt --context "$ctx" -- "$account" \
            </dev/null >/dev/null 2>&1 &!
        \builtin return 0
    fi
    # A regular file of the user's only: a FIFO or a device someone planted there would hang `read`.
    [[ $__letme_refresh_state == running && -f $file && -O $file ]] || \builtin return 0
    \builtin local result='' written=0 renewed=0
    \builtin read -r result written renewed <"$file"
    __letme_uint $written && __letme_uint $renewed || \builtin return 0
    ((written >= __letme_refresh_started)) || \builtin return 0
    __letme_refresh_state=finished
    case $result in
        ok)
            if ((renewed > expires)); then
                __letme_eval refresh --apply -q --context "$ctx" -- "$account"
            fi
            ;;
        mfa)
            \builtin print -r -- "letme: $account needs a new MFA code before it expires; run 'letme refresh'" >&2
            ;;
        *)
            \builtin print -r -- "letme: renewing $account in the background failed; run 'letme refresh' to see why" >&2
            ;;
    esac
    \builtin return 0
}

__letme_precmd() {
    # The user's options, read before emulate resets them for this function.
    \builtin local __letme_subst=0 __letme_bang=0
    [[ -o prompt_subst ]] && __letme_subst=1
    [[ -o prompt_bang ]] && __letme_bang=1
    \builtin emulate -L zsh
    \builtin local now=${EPOCHSECONDS-}
    __letme_uint $now || now=${(%):-%D{%s}}
    __letme_refresh_check $now
    __letme_segment $now $__letme_bang
    __letme_show $__letme_subst
    # zsh restores $? for the prompt and the next precmd hooks itself; a non-zero
    # status here would end a shell under err_exit.
    \builtin return 0
}

# ---- installation (idempotent: add-zsh-hook adds a function once) ---------------
\builtin autoload -Uz add-zsh-hook
\add-zsh-hook precmd __letme_precmd

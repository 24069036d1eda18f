# letme shell integration for zsh. Load it with this line in ~/.zshrc, after
# compinit and after other prompt tools, so completion registers and the prompt
# segment survives them:
#
#     eval "$(letme hook zsh)"
#
# Sections: set-up · the letme function · prompt segment · refresh before expiry ·
# installation. Nothing here starts a process at a prompt: the clock is
# EPOCHSECONDS from zsh/datetime, and a process starts only once per credential
# lifetime, inside the refresh window (see __letme_refresh_check).
#
# Settings (read at every prompt): LETME_PROMPT=0 (no segment), LETME_PROMPT_FORMAT
# ('[aws:{account} {ttl}{depth}]'), LETME_PROMPT_COLOR (36), LETME_PROMPT_WARN_COLOR
# (33), LETME_PROMPT_WARN_SECONDS (300), LETME_PROMPT_PROD_COLOR (31),
# LETME_AUTO_REFRESH=0 (no background renewal), NO_COLOR.

# ---- set-up: `letme hook zsh` puts the letme path and its directories here -----
# @LETME_SETUP@
: "${__letme_exe:=letme}"
: "${__letme_cache_dir:=${XDG_CACHE_HOME:-$HOME/.cache}/letme}"
: "${__letme_state_dir:=${XDG_STATE_HOME:-$HOME/.local/state}/letme}"

zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || zmodload zsh/datetime

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
        use | leave | back | refresh)
            # --help prints text and --shell asks for code to read: neither is evaluated.
            for __letme_arg in "$@"; do
                case $__letme_arg in
                    -h | --help | --shell | --shell=*)
                        command "$__letme_exe" "$@"
                        return
                        ;;
                esac
            done
            __letme_eval "$@"
            ;;
        # doctor reports whether the hook is loaded: tell it, for this one call.
        doctor) LETME_HOOK_SHELL=zsh command "$__letme_exe" "$@" ;;
        *) command "$__letme_exe" "$@" ;;
    esac
}

# Runs letme marked as the hook (LETME_HOOK_SHELL on its command line only, never
# exported) and evaluates its stdout if, and only if, it succeeded.
__letme_eval() {
    local __letme_out __letme_rc
    __letme_out=$(LETME_HOOK_SHELL=zsh command "$__letme_exe" "$@")
    __letme_rc=$?
    if ((__letme_rc == 0)); then
        eval "$__letme_out"
    fi
    return $__letme_rc
}

# ---- prompt segment -----------------------------------------------------------
# The segment is put in front of PROMPT before each prompt, and the previous one
# taken off first: this needs no prompt_subst, so the user's options stay as they
# are. `%` is doubled so nothing in a value is read as a prompt escape.
typeset -g __letme_ps1='' __letme_shown=''
__letme_segment() {
    emulate -L zsh
    local now=$1 account=${LETME_ACCOUNT-} expires=${LETME_EXPIRES-} left ttl depth='' color seg
    __letme_ps1=''
    if [[ -z $account || ${LETME_PROMPT-1} == 0 ]]; then
        return 0
    fi
    color=${LETME_PROMPT_COLOR-36}
    [[ ${LETME_PROD-} == 1 ]] && color=${LETME_PROMPT_PROD_COLOR-31}
    if [[ $expires == <-> ]]; then
        left=$((expires - now))
        if ((left <= 0)); then
            ttl=expired
        elif ((left < 3600)); then
            ttl=$((left / 60))m
        else
            ttl=$((left / 3600))h${(l:2::0:)$((left % 3600 / 60))}m
        fi
        if ((left <= ${LETME_PROMPT_WARN_SECONDS:-300})); then
            color=${LETME_PROMPT_WARN_COLOR-33}
        fi
    else
        ttl='?'
    fi
    if [[ ${LETME_SHELL_DEPTH-} == <1-> ]]; then
        depth=" shell:$LETME_SHELL_DEPTH"
    fi
    seg=${LETME_PROMPT_FORMAT-'[aws:{account} {ttl}{depth}]'}
    seg=${seg//'{account}'/$account}
    seg=${seg//'{ttl}'/$ttl}
    seg=${seg//'{depth}'/$depth}
    seg=${seg//\%/%%}
    if [[ -n $color && -z ${NO_COLOR-} ]]; then
        seg="%{"$'\e['"${color}m%}$seg%{"$'\e[0m'"%}"
    fi
    __letme_ps1="$seg "
}

__letme_show() {
    if [[ -n $__letme_shown && $PROMPT == "$__letme_shown"* ]]; then
        PROMPT=${PROMPT#"$__letme_shown"}
    fi
    __letme_shown=$__letme_ps1
    PROMPT=$__letme_ps1$PROMPT
}

# ---- refresh before expiry ------------------------------------------------------
# As in the bash hook: once now >= LETME_REFRESH_AT, `letme refresh --background`
# starts once for these credentials (keyed by LETME_EXPIRES), disowned (&!) so no
# job line appears, with stdin from /dev/null; it never asks for anything. A later
# prompt reads its one-line status file with `read` and applies the cached
# credentials on `ok`, or prints one line on `mfa`.
typeset -g __letme_refresh_gen='' __letme_refresh_state='' __letme_refresh_started=0
__letme_refresh_check() {
    local now=$1 account=${LETME_ACCOUNT-} at=${LETME_REFRESH_AT-} expires=${LETME_EXPIRES-}
    if [[ -z $account || $at != <-> || ${LETME_AUTO_REFRESH-1} == 0 ]]; then
        return 0
    fi
    local ctx=${LETME_ACTIVE_CONTEXT:-general}
    local file=$__letme_state_dir/refresh/$ctx/$account
    if [[ $__letme_refresh_gen != "$expires" ]]; then
        ((now >= at)) || return 0
        __letme_refresh_gen=$expires
        __letme_refresh_state=running
        __letme_refresh_started=$now
        command "$__letme_exe" refresh --background --no-prompt --context "$ctx" -- "$account" \
            </dev/null >/dev/null 2>&1 &!
        return 0
    fi
    [[ $__letme_refresh_state == running && -e $file ]] || return 0
    local result='' written=0 renewed=0
    read -r result written renewed <"$file" || true
    [[ $written == <-> && $renewed == <-> ]] || return 0
    ((written >= __letme_refresh_started)) || return 0
    __letme_refresh_state=finished
    case $result in
        ok)
            if ((renewed > expires)); then
                __letme_eval refresh --apply -q --context "$ctx" -- "$account"
            fi
            ;;
        mfa)
            print -r -- "letme: $account needs a new MFA code before it expires; run 'letme refresh'" >&2
            ;;
        *)
            print -r -- "letme: renewing $account in the background failed; run 'letme refresh' to see why" >&2
            ;;
    esac
}

__letme_precmd() {
    local __letme_status=$?
    __letme_refresh_check $EPOCHSECONDS
    __letme_segment $EPOCHSECONDS
    __letme_show
    return $__letme_status
}

# ---- installation (idempotent: add-zsh-hook adds a function once) ---------------
autoload -Uz add-zsh-hook
add-zsh-hook precmd __letme_precmd

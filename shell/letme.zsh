# letme shell integration for zsh. Load it with this line in ~/.zshrc, after
# compinit and after other prompt tools, so completion registers and the prompt
# segment survives them:
#
#     eval "$(letme hook zsh)"
#
# Sections: set-up · the letme function · values from the environment · prompt
# segment · keeping it current while zsh waits · a line before commands on expired
# credentials · refresh before expiry · installation. Nothing here starts a process
# at a prompt or while zsh waits: the clock is EPOCHSECONDS from zsh/datetime, the
# timer a zsh/sched event, and a process starts only once per credential lifetime,
# inside the refresh window (see __letme_refresh_check).
#
# Settings (read at every prompt): LETME_PROMPT=0 (no segment), LETME_PROMPT_FORMAT
# ('[aws:{account} {ttl}{depth}{dir}]'), LETME_PROMPT_COLOR (36), LETME_PROMPT_WARN_COLOR
# (33), LETME_PROMPT_WARN_SECONDS (300), LETME_PROMPT_PROD_COLOR (31),
# LETME_AUTO_REFRESH=0 (no background renewal), LETME_DIRS=0 (no .letme files),
# LETME_PROMPT_DIR_MARK ('.letme', what {dir} shows), NO_COLOR. A value of the wrong
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
# add it, and __letme_precmd falls back to the prompt's own clock (%D{%s}). The
# sched builtin (zsh/sched) keeps the segment current while zsh waits for input;
# without it the segment changes at the next prompt, as in bash.
\builtin typeset -g __letme_sched=0
() {
    \builtin emulate -L zsh
    \builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || \builtin zmodload zsh/datetime 2>/dev/null
    if \builtin zmodload zsh/sched 2>/dev/null; then
        __letme_sched=1
    fi
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
        use | leave | back | refresh | dir | allow | deny)
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
        # doctor reports whether the hook is loaded and what the last prompt showed: tell it, for this one call.
        doctor)
            \builtin local __letme_state
            __letme_prompt_state
            LETME_HOOK_SHELL=zsh LETME_HOOK_PROMPT=$__letme_state \command "$__letme_exe" "$@"
            ;;
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
#
# The segment says what the next command will use: `[aws:example1 42m]`; `4m!` in
# the last minutes (said in text, not only in colour: a production account keeps
# its own colour in every state); `expired`; and, when the AWS variables no longer
# select what letme set, what they select instead: `[aws:example1 ≠ default]`,
# `[aws:example1 ≠ keys]` (see __letme_stale).
\builtin typeset -g __letme_ps1='' __letme_shown=''
__letme_segment() {
    \builtin emulate -L zsh
    \builtin local now=$1 bang=$2 account=${LETME_ACCOUNT-} expires=${LETME_EXPIRES-} left ttl depth color warn seg
    \builtin local stale='' mark=''
    __letme_ps1=''
    if [[ -z $account || ${LETME_PROMPT-1} == 0 ]]; then
        \builtin return 0
    fi
    __letme_stale $account
    # A name letme would never export is not shown: it may be text meant for a terminal.
    __letme_name $account || account='?'
    __letme_color "${LETME_PROMPT_COLOR-36}" 36
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
    depth=${LETME_SHELL_DEPTH-}
    if __letme_uint $depth && [[ $depth != 0 ]] && ((${#depth} <= 4)); then
        depth=" shell:$depth"
    else
        depth=''
    fi
    # {dir}: the account came from a .letme file (LETME_DIR names it; a manual switch unsets it).
    if [[ -n ${LETME_DIR-} ]]; then
        mark=${LETME_PROMPT_DIR_MARK-.letme}
        mark=${mark//[[:cntrl:]]/}
        mark=${mark:+ $mark}
    fi
    seg=${LETME_PROMPT_FORMAT-'[aws:{account} {ttl}{depth}{dir}]'}
    # The format is text: control characters (terminal escapes, line breaks) are dropped.
    seg=${seg//[[:cntrl:]]/}
    seg=${seg//'{account}'/$account}
    seg=${seg//'{ttl}'/$ttl}
    seg=${seg//'{depth}'/$depth}
    seg=${seg//'{dir}'/$mark}
    seg=${seg//\%/%%}
    if ((bang)); then
        seg=${seg//\!/!!}
    fi
    if [[ -n $color && -z ${NO_COLOR-} ]]; then
        seg="%{"$'\e['"${color}m%}$seg%{"$'\e[0m'"%}"
    fi
    __letme_ps1="$seg "
}

# __letme_stale ACCOUNT: sets `stale` (a local of the caller) to `≠ WHAT` when the
# AWS variables no longer select what letme set for ACCOUNT (WHAT: the profile they
# select, or `keys`). String comparisons only. In process and profile modes letme
# sets AWS_PROFILE=ACCOUNT and no keys (keys beat any profile in every SDK; boto3
# reads AWS_DEFAULT_PROFILE before AWS_PROFILE); in env mode AWS_ACCESS_KEY_ID, and
# LETME_ACCESS_KEY_ID to the same id. Without LETME_MODE nothing is compared. A
# profile name is shown only if it has a plain shape.
__letme_stale() {
    \builtin emulate -L zsh
    \builtin local account=$1 other='' sign='!='
    case ${LETME_MODE-} in
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
    [[ -n $other ]] || \builtin return 0
    if [[ $other == *[^A-Za-z0-9._@+-]* || ${#other} -gt 64 ]]; then
        other='?'
    fi
    # ≠ where the terminal's encoding is UTF-8, else two ASCII characters.
    case ${LC_ALL:-${LC_CTYPE:-${LANG-}}} in
        *[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) sign='≠' ;;
    esac
    stale="$sign $other"
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

# What the last prompt showed, for doctor: sets __letme_state (a local of the
# caller) to off, not-run (__letme_precmd is no longer a precmd hook), overwritten
# (PROMPT lost the segment after this hook drew it) or shown. PROMPT is still the
# one the last prompt was drawn from.
__letme_prompt_state() {
    \builtin emulate -L zsh
    if [[ ${LETME_PROMPT-1} == 0 ]]; then
        __letme_state=off
    elif ((! ${precmd_functions[(Ie)__letme_precmd]})); then
        __letme_state=not-run
    elif [[ -n $__letme_shown && $PROMPT != *"$__letme_shown"* ]]; then
        __letme_state=overwritten
    else
        __letme_state=shown
    fi
}

# ---- keeping it current while zsh waits -------------------------------------------
# A zsh/sched event at the next moment the segment's text or colour changes (the
# minute turns, the last minutes begin, the credentials expire), only while an
# account is shown; zsh runs it while the line editor waits for input (or before
# the next prompt), and __letme_tick redraws the prompt with `zle reset-prompt`.
# The user's TMOUT, TRAPALRM and own sched events are not touched; at most one
# event of letme's is in the list, replaced when the moment changes.
\builtin typeset -g __letme_tick_at=0
__letme_schedule() {
    \builtin emulate -L zsh
    \builtin local now=$1 expires=${LETME_EXPIRES-} at=0 left step warn i
    ((__letme_sched)) || \builtin return 0
    if [[ -n ${LETME_ACCOUNT-} && ${LETME_PROMPT-1} != 0 ]] && __letme_uint $expires; then
        left=$((expires - now))
        if ((left > 0)); then
            # The text changes when left/60 does (at expiry below a minute).
            step=$((left < 60 ? left : left % 60 + 1))
            warn=${LETME_PROMPT_WARN_SECONDS-300}
            __letme_uint $warn || warn=300
            if ((left > warn && left - warn < step)); then
                step=$((left - warn))
            fi
            at=$((now + step))
        fi
    fi
    if ((at == __letme_tick_at)) && { ((!at)) || ((${zsh_scheduled_events[(I)$at:*:__letme_tick]})); }; then
        \builtin return 0
    fi
    for ((i = ${#zsh_scheduled_events}; i > 0; i--)); do
        if [[ ${zsh_scheduled_events[i]} == *:__letme_tick ]]; then
            \builtin sched -$i
        fi
    done
    __letme_tick_at=$at
    if ((at)); then
        \builtin sched $at __letme_tick
    fi
    \builtin return 0
}

# Run by sched: after every precmd function (see __letme_precmd), or while zsh
# waits for input. Computes the segment again, puts it in PROMPT, schedules the
# next change and, in the line editor, redraws the prompt. Returns the status it
# found: an event that fell due while a command ran runs before the next prompt,
# and zsh leaves its status in $? in place of the command's.
__letme_tick() {
    \builtin local __letme_status=$? __letme_subst=0 __letme_bang=0
    [[ -o prompt_subst ]] && __letme_subst=1
    [[ -o prompt_bang ]] && __letme_bang=1
    \builtin emulate -L zsh
    __letme_tick_at=0
    # Taken out of precmd_functions by the user: the prompt is no longer letme's to draw.
    ((${precmd_functions[(Ie)__letme_precmd]})) || \builtin return $__letme_status
    \builtin local now=${EPOCHSECONDS-}
    __letme_uint $now || now=${(%):-%D{%s}}
    __letme_segment $now $__letme_bang
    __letme_show $__letme_subst
    __letme_schedule $now
    if \builtin zle 2>/dev/null; then
        \builtin zle reset-prompt
    fi
    \builtin return $__letme_status
}

# ---- a line before commands on expired credentials ---------------------------------
# A preexec hook, once per command line: when the credentials in use have expired,
# one line naming `letme refresh` on stderr before the command runs (not before
# letme itself, which is how to fix it). Whatever LETME_PROMPT says.
__letme_preexec() {
    \builtin emulate -L zsh
    \builtin local account=${LETME_ACCOUNT-} expires=${LETME_EXPIRES-} now=${EPOCHSECONDS-}
    \builtin local -a words
    words=(${=1})
    [[ -n $account ]] && __letme_uint $expires || \builtin return 0
    [[ ${words[1]-} == letme ]] && \builtin return 0
    __letme_uint $now || now=${(%):-%D{%s}}
    ((now >= expires)) || \builtin return 0
    __letme_name $account || account='?'
    \builtin print -r -- "letme: the credentials for $account have expired; run 'letme refresh'" >&2
    \builtin return 0
}

# ---- per-directory accounts (.letme) --------------------------------------------
# As in the bash hook: at a prompt where PWD is what it was at the last one, one
# string comparison. When it changed, the nearest .letme in PWD and its parents (up
# to HOME when PWD lies in it, else up to /) with `[[ -f ]]`; and only when that
# nearest file is another one than at the last check, one `letme dir FILE` (none:
# every tree left, only while a tree's account is in use), evaluated as `use`'s
# output is. The path is one argument, never evaluated.
\builtin typeset -g __letme_dir_pwd='' __letme_dir_found=''
__letme_dir_check() {
    \builtin emulate -L zsh
    \builtin local dir=${PWD-} home=${HOME-} found=''
    [[ ${LETME_DIRS-1} != 0 && $dir != "$__letme_dir_pwd" ]] || \builtin return 0
    __letme_dir_pwd=$dir
    [[ $dir == /* ]] || \builtin return 0
    home=${home%/}
    if [[ -z $home || $home != /* || ($dir != "$home" && $dir != "$home"/*) ]]; then
        home=/
    fi
    while [[ -n $dir ]]; do
        if [[ -f ${dir%/}/.letme ]]; then
            found=${dir%/}/.letme
            \builtin break
        fi
        if [[ $dir == "$home" || $dir == / || -z $dir ]]; then
            \builtin break
        fi
        dir=${dir:h}  # the parent (`/` stays `/`); :h is several times faster than ${dir%/*}
    done
    [[ $found != "$__letme_dir_found" ]] || \builtin return 0
    __letme_dir_found=$found
    if [[ -n $found ]]; then
        __letme_eval dir -- "$found"
    elif [[ -n ${LETME_DIR_BEFORE-} ]]; then
        __letme_eval dir
    fi
    \builtin return 0
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
    __letme_dir_check
    __letme_refresh_check $now
    __letme_segment $now $__letme_bang
    __letme_show $__letme_subst
    __letme_schedule $now
    # A precmd function added after this one (a theme's) may assign PROMPT after it:
    # from the next prompt on this one runs last, and for this prompt a sched event
    # (run after every precmd function, before the prompt) puts the segment back.
    if [[ ${LETME_PROMPT-1} != 0 && ${precmd_functions[-1]-} != __letme_precmd ]]; then
        precmd_functions=(${precmd_functions:#__letme_precmd} __letme_precmd)
        if ((__letme_sched)); then
            \builtin sched +0 __letme_tick
        fi
    fi
    # zsh restores $? for the prompt and the next precmd hooks itself; a non-zero
    # status here would end a shell under err_exit.
    \builtin return 0
}

# ---- installation (idempotent: add-zsh-hook adds a function once) ---------------
\builtin autoload -Uz add-zsh-hook
\add-zsh-hook precmd __letme_precmd
\add-zsh-hook preexec __letme_preexec

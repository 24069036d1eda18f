# letme shell integration for fish. Load it with this line in
# ~/.config/fish/config.fish, after other prompt tools:
#
#     letme hook fish | source
#
# Sections: set-up · the letme function · prompt segment · refresh before expiry.
# fish has no clock variable, so the segment runs `date +%s` once per prompt, and
# only while an account is in use; everything else is builtins. A letme process
# starts only once per credential lifetime, inside the refresh window.
#
# Settings (read at every prompt): LETME_PROMPT=0 (no segment), LETME_PROMPT_FORMAT
# ('[aws:{account} {ttl}{depth}]'), LETME_PROMPT_COLOR (36), LETME_PROMPT_WARN_COLOR
# (33), LETME_PROMPT_WARN_SECONDS (300), LETME_PROMPT_PROD_COLOR (31),
# LETME_AUTO_REFRESH=0 (no background renewal), NO_COLOR.

# ---- set-up: `letme hook fish` puts the letme path and its directories here ----
# @LETME_SETUP@
set -q __letme_exe; or set -g __letme_exe letme
set -q XDG_CACHE_HOME; and set -l __letme_xdg_cache $XDG_CACHE_HOME; or set -l __letme_xdg_cache $HOME/.cache
set -q XDG_STATE_HOME; and set -l __letme_xdg_state $XDG_STATE_HOME; or set -l __letme_xdg_state $HOME/.local/state
set -q __letme_cache_dir; or set -g __letme_cache_dir $__letme_xdg_cache/letme
set -q __letme_state_dir; or set -g __letme_state_dir $__letme_xdg_state/letme

# ---- the letme function -----------------------------------------------------
# Commands that change this shell print fish code on stdout; it is sourced only
# when the command succeeded. Everything else runs as it is.
function letme --description 'switch this shell between AWS accounts'
    set -l sub
    set -l skip 0
    for arg in $argv
        if test $skip = 1
            set skip 0
            continue
        end
        switch $arg
            case --config --context
                set skip 1
            case '-*'
            case '*'
                set sub $arg
                break
        end
    end
    if contains -- "$sub" use leave back refresh
        # --help prints text and --shell asks for code to read: neither is sourced.
        if not string match -q -r -- '^(-h|--help|--shell(=.*)?)$' $argv
            __letme_eval $argv
            return
        end
    end
    if test "$sub" = doctor
        # doctor reports whether the hook is loaded: tell it, for this one call.
        LETME_HOOK_SHELL=fish command $__letme_exe $argv
        return
    end
    command $__letme_exe $argv
end

# Runs letme marked as the hook (LETME_HOOK_SHELL on its command line only) and
# sources its stdout if, and only if, it succeeded.
function __letme_eval
    set -l out (LETME_HOOK_SHELL=fish command $__letme_exe $argv | string collect; set -l rc $pipestatus[1]; echo $rc)
    set -l rc $out[-1]
    set -e out[-1]
    if test "$rc" = 0
        string join \n -- $out | source
    end
    return $rc
end

# ---- prompt segment -----------------------------------------------------------
# The user's fish_prompt is kept as __letme_user_prompt (copied once, so loading
# the hook twice wraps it once) and called after the segment, with $status as the
# last command left it.
function __letme_segment
    set -q LETME_ACCOUNT; or return 0
    test -n "$LETME_ACCOUNT"; or return 0
    set -q LETME_PROMPT; and test "$LETME_PROMPT" = 0; and return 0
    set -l color 36
    set -q LETME_PROMPT_COLOR; and set color $LETME_PROMPT_COLOR
    if test "$LETME_PROD" = 1
        set color 31
        set -q LETME_PROMPT_PROD_COLOR; and set color $LETME_PROMPT_PROD_COLOR
    end
    set -l ttl '?'
    if string match -q -r '^[0-9]+$' -- "$LETME_EXPIRES"
        set -l left (math $LETME_EXPIRES - (date +%s))
        if test $left -le 0
            set ttl expired
        else if test $left -lt 3600
            set ttl (math --scale=0 "floor($left / 60)")m
        else
            set ttl (printf '%dh%02dm' (math --scale=0 "floor($left / 3600)") (math --scale=0 "floor($left % 3600 / 60)"))
        end
        set -l warn 300
        set -q LETME_PROMPT_WARN_SECONDS; and set warn $LETME_PROMPT_WARN_SECONDS
        if test $left -le $warn
            set color 33
            set -q LETME_PROMPT_WARN_COLOR; and set color $LETME_PROMPT_WARN_COLOR
        end
    end
    set -l depth ''
    if string match -q -r '^[1-9][0-9]*$' -- "$LETME_SHELL_DEPTH"
        set depth " shell:$LETME_SHELL_DEPTH"
    end
    set -l seg '[aws:{account} {ttl}{depth}]'
    set -q LETME_PROMPT_FORMAT; and set seg $LETME_PROMPT_FORMAT
    set seg (string replace -a -- '{account}' $LETME_ACCOUNT $seg)
    set seg (string replace -a -- '{ttl}' $ttl $seg)
    set seg (string replace -a -- '{depth}' "$depth" $seg)
    if test -n "$color"; and not set -q NO_COLOR
        printf '\e[%sm%s\e[0m ' $color $seg
    else
        printf '%s ' $seg
    end
end

function __letme_return
    return $argv[1]
end

if not functions -q __letme_user_prompt
    if functions -q fish_prompt
        functions -c fish_prompt __letme_user_prompt
    else
        function __letme_user_prompt
            printf '> '
        end
    end
    function fish_prompt
        set -l last_status $status
        __letme_segment
        __letme_return $last_status
        __letme_user_prompt
    end
end

# ---- refresh before expiry ------------------------------------------------------
# As in the bash hook: once now >= LETME_REFRESH_AT, `letme refresh --background`
# starts once for these credentials (keyed by LETME_EXPIRES), disowned so no job
# line appears, with stdin from /dev/null; it never asks for anything. A later
# prompt reads its one-line status file with `read` and applies the cached
# credentials on `ok`, or prints one line on `mfa`.
set -q __letme_refresh_gen; or set -g __letme_refresh_gen ''
set -q __letme_refresh_state; or set -g __letme_refresh_state ''
set -q __letme_refresh_started; or set -g __letme_refresh_started 0
function __letme_refresh_check --on-event fish_prompt
    set -q LETME_ACCOUNT; or return 0
    string match -q -r '^[0-9]+$' -- "$LETME_REFRESH_AT"; or return 0
    test "$LETME_AUTO_REFRESH" = 0; and return 0
    set -l account $LETME_ACCOUNT
    set -l expires "$LETME_EXPIRES"
    set -l ctx general
    test -n "$LETME_ACTIVE_CONTEXT"; and set ctx $LETME_ACTIVE_CONTEXT
    set -l file $__letme_state_dir/refresh/$ctx/$account
    set -l now (date +%s)
    if test "$__letme_refresh_gen" != "$expires"
        test $now -ge $LETME_REFRESH_AT; or return 0
        set -g __letme_refresh_gen $expires
        set -g __letme_refresh_state running
        set -g __letme_refresh_started $now
        command $__letme_exe refresh --background --no-prompt --context $ctx -- $account </dev/null >/dev/null 2>&1 &
        disown $last_pid 2>/dev/null
        return 0
    end
    test "$__letme_refresh_state" = running; and test -e $file; or return 0
    read -l result written renewed <$file
    string match -q -r '^[0-9]+$' -- "$written"; and string match -q -r '^[0-9]+$' -- "$renewed"; or return 0
    test $written -ge $__letme_refresh_started; or return 0
    set -g __letme_refresh_state finished
    switch $result
        case ok
            if test $renewed -gt $expires
                __letme_eval refresh --apply -q --context $ctx -- $account
            end
        case mfa
            printf "letme: %s needs a new MFA code before it expires; run 'letme refresh'\n" $account >&2
        case '*'
            printf "letme: renewing %s in the background failed; run 'letme refresh' to see why\n" $account >&2
    end
end

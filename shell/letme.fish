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
# LETME_AUTO_REFRESH=0 (no background renewal), NO_COLOR. A value of the wrong
# shape counts as unset.
#
# fish has no aliases, but a user's function may have the name of a command used
# here (`math`, `printf`, `date`, ...): those are called as `builtin math`,
# `command date`. (`set`, `string`, `test`, `read` cannot be function names.)

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
    if builtin contains -- "$sub" use leave back refresh
        # --help and --version print text and --shell asks for code to read: none is sourced.
        if not string match -q -r -- '^(-h|--help|-v|--version|--shell(=.*)?)$' $argv
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
# sources its stdout if, and only if, it succeeded. `read -z` takes the whole
# output; a command substitution would not do: its stderr is the shell's, not the
# function's, so `letme use x 2>file` would still print on the terminal.
function __letme_eval
    # fish_trace would print the sourced code, keys and session token included: off in here.
    set -l fish_trace
    set -l out
    LETME_HOOK_SHELL=fish command $__letme_exe $argv | read -l -z out
    set -l rc $pipestatus[1]
    if test "$rc" = 0
        builtin printf '%s' $out | builtin source
    end
    return $rc
end

# ---- values from the environment --------------------------------------------------
# Checked with `string match` (a builtin) before any use, as in the other hooks:
# a whole number is digits, no leading zero, at most 15 (fish's math is exact to
# 2^53); an account or context name has the shape letme gives them (so it is also
# a safe file name); a colour is SGR parameters, digits and `;` (36, 1;31). The
# patterns end in \z: PCRE's $ also matches before a final newline.
function __letme_uint
    string match -q -r -- '^(0|[1-9][0-9]{0,14})\z' "$argv[1]"
end

# An account as LETME_ACCOUNT names it: NAME, or NAME@CONTEXT for a context other than general.
function __letme_name
    string match -q -r -- '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@[A-Za-z0-9][A-Za-z0-9_-]{0,63})?\z' "$argv[1]"
end

function __letme_context_name
    string match -q -r -- '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\z' "$argv[1]"
end

# __letme_color NAME DEFAULT: the value of the variable NAME if it is set and
# empty (no colour) or SGR parameters, else DEFAULT.
function __letme_color --argument-names name default
    if set -q $name; and string match -q -r -- '^[0-9;]{0,64}\z' "$$name"
        builtin printf '%s\n' "$$name"
    else
        builtin printf '%s\n' $default
    end
end

# ---- prompt segment -----------------------------------------------------------
# The user's fish_prompt is kept as __letme_user_prompt (copied once, so loading
# the hook twice wraps it once) and called after the segment, with $status as the
# last command left it.
function __letme_segment
    set -q LETME_ACCOUNT; or return 0
    test -n "$LETME_ACCOUNT"; or return 0
    set -q LETME_PROMPT; and test "$LETME_PROMPT" = 0; and return 0
    # A name letme would never export is not shown: it may be text meant for a terminal.
    set -l account "$LETME_ACCOUNT"
    __letme_name $account; or set account '?'
    set -l color (__letme_color LETME_PROMPT_COLOR 36)
    if test "$LETME_PROD" = 1
        set color (__letme_color LETME_PROMPT_PROD_COLOR 31)
    end
    set -l ttl '?'
    if __letme_uint "$LETME_EXPIRES"
        set -l left (builtin math $LETME_EXPIRES - (command date +%s))
        if test $left -le 0
            set ttl expired
        else if test $left -lt 3600
            set ttl (builtin math --scale=0 "floor($left / 60)")m
        else
            set ttl (builtin printf '%dh%02dm' (builtin math --scale=0 "floor($left / 3600)") (builtin math --scale=0 "floor($left % 3600 / 60)"))
        end
        set -l warn 300
        __letme_uint "$LETME_PROMPT_WARN_SECONDS"; and set warn $LETME_PROMPT_WARN_SECONDS
        if test $left -le $warn
            set color (__letme_color LETME_PROMPT_WARN_COLOR 33)
        end
    end
    set -l depth ''
    if string match -q -r -- '^[1-9][0-9]{0,3}\z' "$LETME_SHELL_DEPTH"
        set depth " shell:$LETME_SHELL_DEPTH"
    end
    set -l seg '[aws:{account} {ttl}{depth}]'
    set -q LETME_PROMPT_FORMAT; and set seg "$LETME_PROMPT_FORMAT"
    # The format is text: control characters (terminal escapes, line breaks) are dropped.
    set seg (string replace -r -a -- '[[:cntrl:]]' '' "$seg")
    set seg (string replace -a -- '{account}' $account "$seg")
    set seg (string replace -a -- '{ttl}' $ttl "$seg")
    set seg (string replace -a -- '{depth}' "$depth" "$seg")
    if test -n "$color"; and not set -q NO_COLOR
        builtin printf '\e[%sm%s\e[0m ' "$color" "$seg"
    else
        builtin printf '%s ' "$seg"
    end
end

function __letme_return
    return $argv[1]
end

if not builtin functions -q __letme_user_prompt
    if builtin functions -q fish_prompt
        builtin functions -c fish_prompt __letme_user_prompt
    else
        function __letme_user_prompt
            builtin printf '> '
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
    test "$LETME_AUTO_REFRESH" = 0; and return 0
    set -l account "$LETME_ACCOUNT"
    set -l expires "$LETME_EXPIRES"
    set -l ctx general
    test -n "$LETME_ACTIVE_CONTEXT"; and set ctx "$LETME_ACTIVE_CONTEXT"
    __letme_name $account; and __letme_context_name $ctx; or return 0
    __letme_uint "$LETME_REFRESH_AT"; and __letme_uint $expires; or return 0
    set -l file $__letme_state_dir/refresh/$ctx/$account
    set -l now (command date +%s)
    if test "$__letme_refresh_gen" != "$expires"
        test $now -ge $LETME_REFRESH_AT; or return 0
        set -g __letme_refresh_gen $expires
        set -g __letme_refresh_state running
        set -g __letme_refresh_started $now
        command $__letme_exe refresh --background --no-prompt --context $ctx -- $account </dev/null >/dev/null 2>&1 &
        builtin disown $last_pid 2>/dev/null
        return 0
    end
    # A regular file of the user's only: a FIFO or a device someone planted there would hang `read`.
    test "$__letme_refresh_state" = running; and test -f $file -a -O $file; or return 0
    read -l result written renewed <$file
    __letme_uint "$written"; and __letme_uint "$renewed"; or return 0
    test $written -ge $__letme_refresh_started; or return 0
    set -g __letme_refresh_state finished
    switch $result
        case ok
            if test $renewed -gt $expires
                __letme_eval refresh --apply -q --context $ctx -- $account
            end
        case mfa
            builtin printf "letme: %s needs a new MFA code before it expires; run 'letme refresh'\n" $account >&2
        case '*'
            builtin printf "letme: renewing %s in the background failed; run 'letme refresh' to see why\n" $account >&2
    end
end

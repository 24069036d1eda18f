# letme shell integration for fish. Load it with this line in
# ~/.config/fish/config.fish, after other prompt tools:
#
#     letme hook fish | source
#
# Sections: set-up · the letme function · prompt segment · refresh before expiry ·
# a line before commands on expired credentials.
# fish has no clock variable, so while an account is in use the prompt runs
# `date +%s` once (the segment and the renewal check share it; a repaint reads it
# again), and so does fish_preexec once per command line; everything else is
# builtins. A letme process starts only once per credential lifetime, inside the
# refresh window. fish has no timer either: the segment changes at the next prompt
# or repaint, and letme starts no process to wake it.
#
# Settings (read at every prompt): LETME_PROMPT=0 (no segment), LETME_PROMPT_FORMAT
# ('[aws:{account} {ttl}{depth}{dir}]'), LETME_PROMPT_COLOR (36), LETME_PROMPT_WARN_COLOR
# (33), LETME_PROMPT_WARN_SECONDS (300), LETME_PROMPT_PROD_COLOR (31),
# LETME_AUTO_REFRESH=0 (no background renewal), LETME_DIRS=0 (no .letme files),
# LETME_PROMPT_DIR_MARK ('.letme', what {dir} shows), NO_COLOR. A value of the wrong
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
    if builtin contains -- "$sub" use leave back refresh dir allow deny
        # --help and --version print text and --shell asks for code to read: none is sourced.
        if not string match -q -r -- '^(-h|--help|-v|--version|--shell(=.*)?)$' $argv
            __letme_eval $argv
            return
        end
    end
    if test "$sub" = doctor
        # doctor reports whether the hook is loaded and what the last prompt showed: tell it, for this one call.
        LETME_HOOK_SHELL=fish LETME_HOOK_PROMPT=(__letme_prompt_state) command $__letme_exe $argv
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
# The user's fish_prompt is kept as __letme_user_prompt and called after the
# segment, with $status as the last command left it. A fish_prompt defined later (a
# theme, the user's own) is wrapped again before the next prompt is drawn (see
# __letme_on_prompt): the wrapper is known by its description.
#
# The segment says what the next command will use: `[aws:example1 42m]`; `4m!` in
# the last minutes (said in text, not only in colour: a production account keeps
# its own colour in every state); `expired`; and, when the AWS variables no longer
# select what letme set, what they select instead: `[aws:example1 ≠ default]`,
# `[aws:example1 ≠ keys]` (see __letme_stale).
set -g __letme_prompt_description 'letme: the account segment, then your prompt'
set -q __letme_now; or set -g __letme_now ''
set -q __letme_now_fresh; or set -g __letme_now_fresh 0

function __letme_segment
    set -q LETME_ACCOUNT; or return 0
    test -n "$LETME_ACCOUNT"; or return 0
    set -q LETME_PROMPT; and test "$LETME_PROMPT" = 0; and return 0
    set -l stale (__letme_stale "$LETME_ACCOUNT")
    # A name letme would never export is not shown: it may be text meant for a terminal.
    set -l account "$LETME_ACCOUNT"
    __letme_name $account; or set account '?'
    set -l color (__letme_color LETME_PROMPT_COLOR 36)
    set -l ttl '?'
    set -l now ''
    if __letme_uint "$LETME_EXPIRES"
        # The clock __letme_on_prompt read for this prompt; a repaint (no new prompt) reads it again.
        set now $__letme_now
        if test "$__letme_now_fresh" != 1
            set now (command date +%s)
        end
        set -g __letme_now_fresh 0
    end
    if __letme_uint "$LETME_EXPIRES"; and __letme_uint "$now"
        set -l left (builtin math $LETME_EXPIRES - $now)
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
            test $left -gt 0; and set ttl "$ttl!"
        end
    end
    if test -n "$stale"
        set ttl $stale
        set color (__letme_color LETME_PROMPT_WARN_COLOR 33)
    end
    if test "$LETME_PROD" = 1
        set color (__letme_color LETME_PROMPT_PROD_COLOR 31)
    end
    set -l depth ''
    if string match -q -r -- '^[1-9][0-9]{0,3}\z' "$LETME_SHELL_DEPTH"
        set depth " shell:$LETME_SHELL_DEPTH"
    end
    # {dir}: the account came from a .letme file (LETME_DIR names it; a manual switch unsets it).
    set -l mark ''
    if test -n "$LETME_DIR"
        set mark .letme
        set -q LETME_PROMPT_DIR_MARK; and set mark (string replace -r -a -- '[[:cntrl:]]' '' "$LETME_PROMPT_DIR_MARK")
        test -n "$mark"; and set mark " $mark"
    end
    set -l seg '[aws:{account} {ttl}{depth}{dir}]'
    set -q LETME_PROMPT_FORMAT; and set seg "$LETME_PROMPT_FORMAT"
    # The format is text: control characters (terminal escapes, line breaks) are dropped.
    set seg (string replace -r -a -- '[[:cntrl:]]' '' "$seg")
    set seg (string replace -a -- '{account}' $account "$seg")
    set seg (string replace -a -- '{ttl}' $ttl "$seg")
    set seg (string replace -a -- '{depth}' "$depth" "$seg")
    set seg (string replace -a -- '{dir}' "$mark" "$seg")
    if test -n "$color"; and not set -q NO_COLOR
        builtin printf '\e[%sm%s\e[0m ' "$color" "$seg"
    else
        builtin printf '%s ' "$seg"
    end
end

# __letme_stale ACCOUNT: prints `≠ WHAT` when the AWS variables no longer select what
# letme set for ACCOUNT (WHAT: the profile they select, or `keys`), else nothing.
# String comparisons only. In process and profile modes letme sets
# AWS_PROFILE=ACCOUNT and no keys (keys beat any profile in every SDK; boto3 reads
# AWS_DEFAULT_PROFILE before AWS_PROFILE); in env mode AWS_ACCESS_KEY_ID, and
# LETME_ACCESS_KEY_ID to the same id. Without LETME_MODE nothing is compared. A
# profile name is shown only if it has a plain shape.
function __letme_stale --argument-names account
    set -l other ''
    switch "$LETME_MODE"
        case process profile
            if test -n "$AWS_ACCESS_KEY_ID"
                set other keys
            else if test -n "$AWS_DEFAULT_PROFILE"; and test "$AWS_DEFAULT_PROFILE" != "$account"
                set other "$AWS_DEFAULT_PROFILE"
            else if test "$AWS_PROFILE" != "$account"
                set other default
                test -n "$AWS_PROFILE"; and set other "$AWS_PROFILE"
            end
        case env
            if test -z "$AWS_ACCESS_KEY_ID"
                set other default
                test -n "$AWS_PROFILE"; and set other "$AWS_PROFILE"
                test -n "$AWS_DEFAULT_PROFILE"; and set other "$AWS_DEFAULT_PROFILE"
            else if test -n "$LETME_ACCESS_KEY_ID"; and test "$AWS_ACCESS_KEY_ID" != "$LETME_ACCESS_KEY_ID"
                set other keys
            end
    end
    test -n "$other"; or return 0
    string match -q -r -- '^[A-Za-z0-9._@+-]{1,64}\z' "$other"; or set other '?'
    # ≠ where the terminal's encoding is UTF-8, else two ASCII characters.
    set -l encoding "$LANG"
    test -n "$LC_CTYPE"; and set encoding "$LC_CTYPE"
    test -n "$LC_ALL"; and set encoding "$LC_ALL"
    set -l sign '!='
    string match -q -i -r -- 'utf-?8' "$encoding"; and set sign '≠'
    builtin printf '%s %s\n' $sign "$other"
end

function __letme_return
    return $argv[1]
end

# Makes fish_prompt the wrapper around the current one (kept as __letme_user_prompt).
function __letme_wrap_prompt
    # A wrapper from an earlier letme hook (it had no description) already calls the user's prompt: kept.
    if not builtin functions fish_prompt 2>/dev/null | string match -q -- '*__letme_user_prompt*'
        builtin functions -q __letme_user_prompt; and builtin functions -e __letme_user_prompt
        if builtin functions -q fish_prompt
            builtin functions -c fish_prompt __letme_user_prompt
        else
            function __letme_user_prompt
                builtin printf '> '
            end
        end
    end
    function fish_prompt --description "$__letme_prompt_description"
        set -l last_status $status
        __letme_segment
        __letme_return $last_status
        __letme_user_prompt
    end
end

# Whether fish_prompt is letme's wrapper (its description says so).
function __letme_prompt_wrapped
    set -l details (builtin functions --details --verbose fish_prompt 2>/dev/null)
    test "$details[5]" = "$__letme_prompt_description"
end

# What the last prompt showed, for doctor: off, shown (fish_prompt is the wrapper)
# or overwritten (a fish_prompt defined after this hook wrapped it last drew the prompt).
function __letme_prompt_state
    if set -q LETME_PROMPT; and test "$LETME_PROMPT" = 0
        echo off
    else if __letme_prompt_wrapped
        echo shown
    else
        echo overwritten
    end
end

__letme_prompt_wrapped; or __letme_wrap_prompt

# Before each prompt: wrap a fish_prompt defined since, read the clock once (only
# while an account is in use and something needs it), and check for renewal.
function __letme_on_prompt --on-event fish_prompt
    __letme_prompt_wrapped; or __letme_wrap_prompt
    __letme_dir_check
    set -g __letme_now ''
    set -g __letme_now_fresh 0
    if test -n "$LETME_ACCOUNT"; and __letme_uint "$LETME_EXPIRES"
        if test "$LETME_PROMPT" != 0; or begin
                test "$LETME_AUTO_REFRESH" != 0; and __letme_uint "$LETME_REFRESH_AT"
            end
            set -g __letme_now (command date +%s)
            set -g __letme_now_fresh 1
        end
    end
    __letme_refresh_check
end

# ---- per-directory accounts (.letme) --------------------------------------------
# fish tells when PWD changes (--on-variable PWD): that only marks the directory to
# check, and the check runs before the next prompt, so a function that changes
# directory a hundred times costs one walk. At a prompt with no change: one `test`.
# The walk: the nearest .letme in PWD and its parents (up to HOME when PWD lies in
# it, else up to /) with `test -f` (a builtin; `string` too, which a command
# substitution runs in this process); and only when that nearest file is another
# one than at the last check, one `letme dir FILE` (none: every tree left, only
# while a tree's account is in use), sourced as `use`'s output is. The path is one
# argument, never evaluated.
set -g __letme_dir_dirty 1
set -q __letme_dir_found; or set -g __letme_dir_found ''
function __letme_dir_changed --on-variable PWD
    set -g __letme_dir_dirty 1
end

function __letme_dir_check
    test "$__letme_dir_dirty" = 1; or return 0
    set -g __letme_dir_dirty 0
    test "$LETME_DIRS" = 0; and return 0
    set -l dir "$PWD"
    string match -q -- '/*' "$dir"; or return 0
    set -l home (string replace -r -- '/+\z' '' "$HOME")
    set -l prefix (string sub -l (string length -- "$home/") -- "$dir" | string collect)
    if test -z "$home"; or not string match -q -- '/*' "$home"; or begin
            test "$dir" != "$home"; and test "$prefix" != "$home/"
        end
        set home /
    end
    set -l found ''
    while test -n "$dir"
        # `string collect`: one value even when a directory name holds a line break (a final one is lost).
        set -l base (string replace -r -- '/\z' '' "$dir" | string collect)
        if test -f "$base/.letme"
            set found "$base/.letme"
            break
        end
        if test "$dir" = "$home"; or test "$dir" = /
            break
        end
        set dir (string replace -r -- '/[^/]*\z' '' "$dir" | string collect)
        test -n "$dir"; or set dir /
    end
    test "$found" != "$__letme_dir_found"; or return 0
    set -g __letme_dir_found "$found"
    if test -n "$found"
        __letme_eval dir -- "$found"
    else if test -n "$LETME_DIR_BEFORE"
        __letme_eval dir
    end
    return 0
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
function __letme_refresh_check
    test "$LETME_AUTO_REFRESH" = 0; and return 0
    set -l account "$LETME_ACCOUNT"
    set -l expires "$LETME_EXPIRES"
    set -l ctx general
    test -n "$LETME_ACTIVE_CONTEXT"; and set ctx "$LETME_ACTIVE_CONTEXT"
    __letme_name $account; and __letme_context_name $ctx; or return 0
    __letme_uint "$LETME_REFRESH_AT"; and __letme_uint $expires; or return 0
    set -l file $__letme_state_dir/refresh/$ctx/$account
    set -l now $__letme_now
    __letme_uint "$now"; or return 0
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

# ---- a line before commands on expired credentials ---------------------------------
# fish_preexec, once per command line: when the credentials in use have expired,
# one line naming `letme refresh` on stderr before the command runs (not before
# letme itself, which is how to fix it). Whatever LETME_PROMPT says.
function __letme_preexec --on-event fish_preexec
    test -n "$LETME_ACCOUNT"; and __letme_uint "$LETME_EXPIRES"; or return 0
    string match -q -r -- '^\s*letme(\s|\z)' "$argv[1]"; and return 0
    set -l now (command date +%s)
    __letme_uint "$now"; and test $now -ge $LETME_EXPIRES; or return 0
    set -l account "$LETME_ACCOUNT"
    __letme_name $account; or set account '?'
    builtin printf "letme: the credentials for %s have expired; run 'letme refresh'\n" $account >&2
end

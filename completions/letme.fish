# fish completion for letme: subcommands, flags, account names and an account's
# regions. Names come from the catalog cache files that `letme init` writes
# (<cache>/catalog/<context>/names and .../regions), read with `read` (a builtin):
# no process starts at TAB. Matching is fuzzy: the names that start with the
# typed text when there are any; else the names that contain it, then those with
# its letters in order ("ex1" offers example1). Case is ignored; -k keeps the order.
# Account names come in the order of letme_shell/history.py: recently used ones
# first (from <state>/recent/<context>), and with one letter typed, production
# ones (from .../prod) after the others.
#
# `letme hook fish` includes this file; it also works from
# ~/.config/fish/completions/letme.fish with the default directories.

# @LETME_SETUP@
set -q XDG_CACHE_HOME; and set -l __letme_xdg_cache $XDG_CACHE_HOME; or set -l __letme_xdg_cache $HOME/.cache
set -q XDG_STATE_HOME; and set -l __letme_xdg_state $XDG_STATE_HOME; or set -l __letme_xdg_state $HOME/.local/state
set -q __letme_cache_dir; or set -g __letme_cache_dir $__letme_xdg_cache/letme
set -q __letme_state_dir; or set -g __letme_state_dir $__letme_xdg_state/letme

# __letme_fuzzy WORD CANDIDATE... : the candidates matching WORD, best first.
function __letme_fuzzy
    set -l word $argv[1]
    set -e argv[1]
    test -n "$word"; or begin
        builtin printf '%s\n' $argv
        return 0
    end
    # Every typed character is regex-escaped, then joined by .* for "in order".
    set -l escaped (string escape --style=regex -- (string split '' -- $word))
    set -l scattered (string join '.*' -- $escaped)
    set -l exact (string escape --style=regex -- $word)
    set -l first (string match -e -r -i -- "^$exact" $argv)
    set -l inside (string match -e -r -i -- "$exact" $argv)
    set -l loose (string match -e -r -i -- "$scattered" $argv)
    if set -q first[1]
        builtin printf '%s\n' $first
        return 0
    end
    # The scattered matches that are not also substring matches (no loop: it took minutes on 10,000 names).
    builtin printf '%s\n' $inside (string match -v -r -i -- "$exact" $loose)
end

# __letme_order WORD DIR NAME... : the NAMEs (the account names in DIR that
# match WORD, best first) in the order of letme_shell/history.py: the name typed
# exactly, then recently used names, then the rest, production names last when
# at most one letter was typed. The history and the production names only
# reorder the NAMEs given, and are read only when they are the user's own files.
function __letme_order
    set -l word $argv[1]
    set -l dir $argv[2]
    set -e argv[1..2]
    set -l context (string split -r -m1 / -- $dir)[-1]
    set -l file $__letme_state_dir/recent/$context
    set -l first
    set -l recent
    if test -n "$word"
        set first (string match -r -i -- '^'(string escape --style=regex -- $word)'$' $argv)
    end
    if string match -q -r -- '^[A-Za-z0-9][A-Za-z0-9_-]*$' $context; and test -O $file
        # The whole file in one read (a `while read` loop that appends is slow on long files).
        read -z -l data <$file
        for name in (string split -n \n -- $data)[1..20]
            builtin contains -- $name $argv; and not builtin contains -- $name $first $recent
            and set -a recent $name
        end
    end
    set -l placed $first $recent
    if set -q placed[1]
        # Everything else: one regular expression of the placed names, each escaped.
        set argv (string match -v -r -- '^('(string join '|' -- (string escape --style=regex -- $placed))')$' $argv)
    end
    if test (string length -- "$word") -le 1; and test -O $dir/prod
        read -z -l data <$dir/prod
        set -l prod (string split -n \n -- $data)
        # Only those that can be among the matches: a shorter alternation to try on each name.
        test -n "$word"; and set prod (string match -e -r -i -- (string escape --style=regex -- $word) $prod)
        set prod (string escape --style=regex -- $prod)
        if set -q prod[1]
            set -l pattern '^('(string join '|' -- $prod)')$'
            set argv (string match -v -r -- $pattern $argv) (string match -r -- $pattern $argv)
        end
    end
    builtin printf '%s\n' $first $recent $argv
end

# The words before the cursor, read once per TAB: sets __letme_c_sub,
# __letme_c_account, __letme_c_context, and __letme_c_rest (1 after `--`).
function __letme_parse
    set -g __letme_c_sub ''
    set -g __letme_c_account ''
    set -g __letme_c_context ''
    set -g __letme_c_config ''
    set -g __letme_c_third ''
    set -g __letme_c_rest ''
    set -l option ''
    for word in (commandline -opc)[2..-1]
        if test -n "$option"
            test "$option" = --context; and set -g __letme_c_context $word
            test "$option" = --config; and set -g __letme_c_config $word
            set option ''
            continue
        end
        switch $word
            case --
                # `letme exec ACCOUNT -- CMD`: what follows is a command line of its own.
                set -g __letme_c_rest 1
                break
            case --config --context --region --mode --mfa-code --inline-mfa --role-session-name --role-arn --name --external-id --shell --tag
                set option $word
            case '-*'
            case '*'
                if test -z "$__letme_c_sub"
                    set -g __letme_c_sub $word
                else if test -z "$__letme_c_account"
                    set -g __letme_c_account $word
                else if test -z "$__letme_c_third"
                    set -g __letme_c_third $word
                end
        end
    end
end

function __letme_catalog
    set -l context $argv[1]
    test -z "$context"; and set -q LETME_CONTEXT; and set context $LETME_CONTEXT
    if test -z "$context"; and test -r $__letme_state_dir/active-context
        read context <$__letme_state_dir/active-context
    end
    test -z "$context"; and set context general
    builtin echo $__letme_cache_dir/catalog/$context
end

function __letme_complete_accounts
    __letme_parse
    test -n "$__letme_c_account"; and return 0
    set -l dir (__letme_catalog $__letme_c_context)
    test -r $dir/names; or return 0
    # The whole file in one read: a `while read` loop that appends took seconds for 10,000 names.
    read -z -l data <$dir/names
    set -l names (string split -n \n -- $data)
    set -l word (commandline -ct)
    __letme_order "$word" $dir (__letme_fuzzy "$word" $names)
end

# After `letme exec ACCOUNT --`: complete the rest as the command line it is
# (command names first, then that command's own completions).
function __letme_complete_command_line
    set -l tokens (commandline -opc)
    set -l at (builtin contains -i -- -- $tokens)
    set -l rest
    test $at -lt (count $tokens); and set rest $tokens[(math $at + 1)..-1]
    complete -C (string join ' ' -- (string escape -- $rest) (commandline -ct))
end

# The modes of `use`, matched like everything else, each with what it does.
function __letme_modes
    set -l modes process profile env
    set -l what 'SDKs ask letme (credential_process), renewed as needed' \
        'keys in ~/.aws/credentials under the account name' \
        'keys exported as AWS_ACCESS_KEY_ID and friends'
    for mode in (__letme_fuzzy (commandline -ct) $modes)
        builtin printf '%s\t%s\n' $mode $what[(builtin contains -i -- $mode $modes)]
    end
end

function __letme_complete_regions
    __letme_parse
    set -l dir (__letme_catalog $__letme_c_context)
    test -n "$__letme_c_account"; and test -r $dir/regions; or return 0
    while read -l -d \t name regions
        if test "$name" = "$__letme_c_account"
            __letme_fuzzy (commandline -ct) (string split ' ' -- $regions)
            return 0
        end
    end <$dir/regions
end

# The `[name]` table headers of the config file (--config on the command line,
# else LETME_CONFIG, else $XDG_CONFIG_HOME or ~/.config, /letme/letme.toml), read
# with `read` and `string` (builtins): no process, no TOML parser.
function __letme_complete_contexts
    __letme_parse
    set -l file $__letme_c_config
    test -z "$file"; and set -q LETME_CONFIG; and set file $LETME_CONFIG
    if test -z "$file"
        set -q XDG_CONFIG_HOME; and test -n "$XDG_CONFIG_HOME"; and set file $XDG_CONFIG_HOME/letme/letme.toml
        or set file $HOME/.config/letme/letme.toml
    end
    string match -q -- '~/*' $file; and set file $HOME/(string sub -s 3 -- $file)
    test -r "$file"; and not test -d "$file"; or return 0
    set -l contexts
    set -l header '^\s*\[\s*([A-Za-z0-9][A-Za-z0-9_-]*)\s*\]\s*(#.*)?$'
    while read -l line
        set -l found (string match -r -g -- $header $line)
        test -n "$found[1]"; and set -a contexts $found[1]
    end <$file
    __letme_fuzzy (commandline -ct) $contexts
end

function __letme_wants_context_name
    __letme_parse
    test "$__letme_c_sub" = config; and builtin contains -- "$__letme_c_account" use show; and test -z "$__letme_c_third"
end

function __letme_wants_account
    __letme_parse
    test -z "$__letme_c_rest"; and test -z "$__letme_c_account"; and builtin contains -- "$__letme_c_sub" use shell exec obtain ob credential-process refresh remove rm console
end

function __letme_subcommand_is
    __letme_parse
    test -z "$__letme_c_rest"; and builtin contains -- "$__letme_c_sub" $argv
end

function __letme_after_dashdash
    __letme_parse
    test -n "$__letme_c_rest"; and test "$__letme_c_sub" = exec
end

set -l __letme_commands init list ls obtain ob use leave back status shell exec credential-process refresh remove rm reset hook config config-file demo doctor console version allow deny source
complete -c letme -f
complete -c letme -n '__letme_parse; test -z "$__letme_c_sub"' -k -a "(__letme_fuzzy (commandline -ct) $__letme_commands)"
complete -c letme -n __letme_wants_account -k -a '(__letme_complete_accounts)'
complete -c letme -n '__letme_subcommand_is hook' -a 'bash zsh fish powershell'
complete -c letme -n '__letme_subcommand_is config; and test -z "$__letme_c_account"' -a 'list show use path validate migrate'
complete -c letme -n '__letme_subcommand_is source; and test -z "$__letme_c_account"' -a 'add remove list credentials'
complete -c letme -n __letme_wants_context_name -k -a '(__letme_complete_contexts)'
complete -c letme -l config -r -F -d 'config file'
complete -c letme -l context -x -k -a '(__letme_complete_contexts)' -d 'context (config table)'
complete -c letme -l debug -d 'show tracebacks'
complete -c letme -s q -l quiet -d 'only errors on stderr'
complete -c letme -s h -l help -d 'show help'
complete -c letme -n __letme_after_dashdash -k -a '(__letme_complete_command_line)'
complete -c letme -n '__letme_subcommand_is use shell' -l mode -x -k -a '(__letme_modes)' -d 'how credentials reach the shell'
complete -c letme -n '__letme_subcommand_is use obtain ob shell exec console' -l region -x -k -a '(__letme_complete_regions)' -d region
complete -c letme -n '__letme_subcommand_is use back shell exec refresh obtain ob credential-process console' -l mfa-code -x -d 'MFA code'
complete -c letme -n '__letme_subcommand_is use shell exec obtain ob credential-process' -l role-session-name -x -d 'RoleSessionName'
complete -c letme -n '__letme_subcommand_is use shell exec obtain ob credential-process console' -l role-arn -x -d 'a role not in the catalog (repeat: a chain)'
complete -c letme -n '__letme_subcommand_is use shell exec obtain ob credential-process console' -l name -x -d 'with --role-arn: its name'
complete -c letme -n '__letme_subcommand_is use shell exec obtain ob credential-process console' -l external-id -x -d 'with --role-arn: ExternalId'
complete -c letme -n '__letme_subcommand_is use obtain ob shell' -l force -d 'replace a profile letme did not write'
complete -c letme -n '__letme_subcommand_is use back' -l yes -d 'switch into a production account without asking'
complete -c letme -n '__letme_subcommand_is remove rm' -l force -d 'remove a profile letme did not write'
complete -c letme -n '__letme_subcommand_is reset' -l all -d 'every context'
complete -c letme -n '__letme_subcommand_is reset' -l yes -d 'remove without asking'
complete -c letme -n '__letme_subcommand_is use leave back exec refresh allow deny dir' -l shell -x -a 'bash zsh fish powershell'
complete -c letme -n '__letme_subcommand_is allow deny' -k -a '(__fish_complete_directories (commandline -ct))'
complete -c letme -n '__letme_subcommand_is refresh' -l background -d 'renew silently (the hook)'
complete -c letme -n '__letme_subcommand_is refresh' -l apply -d 'print cached credentials as code'
complete -c letme -n '__letme_subcommand_is refresh' -l no-prompt -d 'never ask for an MFA code'
complete -c letme -n '__letme_subcommand_is obtain ob credential-process' -l renew -d 'ignore cached credentials'
complete -c letme -n '__letme_subcommand_is obtain ob' -l credential-process -d 'write a credential_process profile'
complete -c letme -n '__letme_subcommand_is obtain ob' -l v1 -d 'print credential_process JSON'
complete -c letme -n '__letme_subcommand_is list ls' -l tag -x -d 'only accounts with this tag'
complete -c letme -n '__letme_subcommand_is list ls config status' -l json -d 'print JSON'
complete -c letme -n '__letme_subcommand_is status' -l verify -d 'ask STS who this shell is'
complete -c letme -n '__letme_subcommand_is list ls' -l names -d 'names only'
complete -c letme -n '__letme_subcommand_is init' -l remove -d 'delete the catalog cache'
complete -c letme -n '__letme_subcommand_is config-file' -l force -d overwrite
complete -c letme -n '__letme_subcommand_is config' -l force -d 'migrate: replace an existing letme.toml'
complete -c letme -n '__letme_subcommand_is config-file' -l print -d 'print the template'
complete -c letme -n '__letme_subcommand_is console' -l print -d 'print the sign-in URL'
complete -c letme -n '__letme_subcommand_is console doctor' -l json -d 'print JSON'
complete -c letme -n '__letme_subcommand_is doctor' -l no-network -d 'skip the endpoint check'
complete -c letme -n '__letme_subcommand_is demo' -l shell -x -a 'bash zsh fish' -d 'shell to start'
complete -c letme -n '__letme_subcommand_is demo' -l accounts -x -d 'how many sample accounts'

# shellcheck shell=bash
# bash completion for letme: subcommands, flags, account names and an account's
# regions. Names come from the catalog cache files that `letme init` writes
# (<cache>/catalog/<context>/names and .../regions), read with builtins and, for
# account names, one grep: no Python starts at TAB. Matching is fuzzy: the names
# that start with the typed text when there are any; else the names that contain
# it, then those with its letters in order ("ex1" offers example1, "prd" offers
# prod-eu). Case is ignored. Prefix matches alone, because readline replaces the
# word with what the offered names share: with others beside them ("web-d":
# web-dev-…, web-prod-…), that would cut back what was typed.
#
# `letme hook bash` includes this file. On its own (e.g. in
# /usr/share/bash-completion/completions/letme) it uses the default directories.
#
# The user's aliases must not change this code (an alias for `local` or `grep`,
# say): alias expansion is off while the file is read, then put back as it was.
__letme_aliases=0; \shopt -q expand_aliases && __letme_aliases=1; \shopt -u expand_aliases

# @LETME_SETUP@
: "${__letme_cache_dir:=${XDG_CACHE_HOME:-$HOME/.cache}/letme}"
: "${__letme_state_dir:=${XDG_STATE_HOME:-$HOME/.local/state}/letme}"

__letme_commands=(init list ls obtain ob use leave back status shell exec credential-process refresh remove rm hook
    config config-file demo doctor console version)

# __letme_fuzzy WORD CANDIDATE... : COMPREPLY = the candidates matching WORD, best first.
__letme_fuzzy() {
    local word=$1 name pattern='*' i had_nocase=0
    shift
    if [[ -z $word ]]; then
        COMPREPLY=("$@")
        return 0
    fi
    local -a prefix=() inside=() scattered=()
    # Each typed character is backslash-escaped, so the pattern is letters and
    # `*` only, whatever the user typed.
    for ((i = 0; i < ${#word}; i++)); do
        pattern+="\\${word:i:1}*"
    done
    shopt -q nocasematch && had_nocase=1
    shopt -s nocasematch
    for name in "$@"; do
        # shellcheck disable=SC2053 # the last test matches a pattern on purpose
        if [[ $name == "$word"* ]]; then
            prefix+=("$name")
        elif [[ $name == *"$word"* ]]; then
            inside+=("$name")
        elif [[ $name == $pattern ]]; then
            scattered+=("$name")
        fi
    done
    ((had_nocase)) || shopt -u nocasematch
    if ((${#prefix[@]})); then
        COMPREPLY=("${prefix[@]}")
    else
        COMPREPLY=("${inside[@]}" "${scattered[@]}")
    fi
}

# __letme_names WORD FILE : candidates = the names in FILE that contain WORD's
# letters in order (any case). A bash loop over 10,000 names costs ~200 ms per
# TAB, so one grep does the coarse filter and __letme_fuzzy ranks what is left.
# Account names are letters, digits and . _ - only, so a WORD with anything else
# matches nothing; '.' is the one character that needs escaping in the regex.
__letme_names() {
    local word=$1 file=$2 regex='' i ch
    candidates=()
    if [[ -z $word ]]; then
        mapfile -t candidates <"$file"
        return 0
    fi
    [[ $word =~ ^[A-Za-z0-9._-]+$ ]] || return 0
    for ((i = 0; i < ${#word}; i++)); do
        ch=${word:i:1}
        [[ $ch == . ]] && ch='\.'
        regex+="${regex:+.*}$ch"
    done
    if command -v grep >/dev/null 2>&1; then
        # \command: bash reads the text of <(...) again when it runs, with the user's aliases on.
        mapfile -t candidates < <(\command grep -i -e "$regex" -- "$file" 2>/dev/null)
    else
        mapfile -t candidates <"$file"
    fi
}

# The catalog directory of the context named on the command line, in
# LETME_CONTEXT, in `letme config use`'s state file, else [general].
__letme_catalog() {
    local context=$1
    if [[ -z $context ]]; then
        context=${LETME_CONTEXT-}
    fi
    if [[ -z $context && -r $__letme_state_dir/active-context ]]; then
        read -r context <"$__letme_state_dir/active-context" || true
    fi
    __letme_dir=$__letme_cache_dir/catalog/${context:-general}
}

# The contexts of a config file: its `[name]` table headers, read with builtins
# (a TOML parser would mean Python at TAB). The file is --config from the command
# line, else LETME_CONFIG, else ${XDG_CONFIG_HOME:-~/.config}/letme/letme.toml.
__letme_contexts() {
    local file=${1:-${LETME_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/letme/letme.toml}} line
    local header='^[[:space:]]*\[[[:space:]]*([A-Za-z0-9][A-Za-z0-9_-]*)[[:space:]]*\][[:space:]]*(#.*)?$'
    __letme_context_list=()
    # A literal ~/ typed after --config (COMP_WORDS are not expanded).
    [[ $file == \~/* ]] && file=$HOME/${file#\~/}
    [[ -r $file && ! -d $file ]] || return 0
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ $header ]] && __letme_context_list+=("${BASH_REMATCH[1]}")
    done <"$file"
    return 0
}

__letme_flags() {
    local common='--help --config --context --debug --quiet'
    case $1 in
        use) __letme_flag_list="$common --mode --region --mfa-code --force --yes --shell" ;;
        leave) __letme_flag_list="$common --shell" ;;
        back) __letme_flag_list="$common --mfa-code --yes --shell" ;;
        status) __letme_flag_list="$common --verify --json" ;;
        shell) __letme_flag_list="$common --mode --region --mfa-code --force" ;;
        exec) __letme_flag_list="$common --region --mfa-code --shell" ;;
        refresh) __letme_flag_list="$common --mfa-code --background --apply --no-prompt --shell" ;;
        obtain | ob) __letme_flag_list="$common --mfa-code --renew --region --force --credential-process" ;;
        credential-process) __letme_flag_list="$common --mfa-code --renew" ;;
        remove | rm) __letme_flag_list="$common --force" ;;
        list | ls) __letme_flag_list="$common --tag --json --names" ;;
        init) __letme_flag_list="$common --remove" ;;
        config) __letme_flag_list="$common --json" ;;
        config-file) __letme_flag_list="$common --force --print" ;;
        console) __letme_flag_list="$common --region --mfa-code --print --json" ;;
        doctor) __letme_flag_list="$common --json --no-network" ;;
        demo) __letme_flag_list="$common --shell --accounts" ;;
        '') __letme_flag_list="$common --version" ;;
        *) __letme_flag_list=$common ;;
    esac
}

__letme_complete() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev='' sub='' account='' third='' context='' config='' word option='' i
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ -n $option ]]; then
            [[ $option == --context ]] && context=$word
            [[ $option == --config ]] && config=$word
            option=''
            continue
        fi
        case $word in
            --config | --context | --region | --mode | --mfa-code | --inline-mfa | --shell | --tag) option=$word ;;
            --)
                # `letme exec ACCOUNT -- CMD`: the rest is an ordinary command line.
                [[ $sub == exec ]] && compopt -o default -o bashdefault 2>/dev/null
                return 0
                ;;
            -*) ;;
            *)
                if [[ -z $sub ]]; then
                    sub=$word
                elif [[ -z $account ]]; then
                    account=$word
                elif [[ -z $third ]]; then
                    third=$word
                fi
                ;;
        esac
    done
    local -a candidates=()
    local __letme_dir __letme_flag_list line
    local -a __letme_context_list=()
    case $prev in
        --mode)
            __letme_fuzzy "$cur" process profile env
            return 0
            ;;
        --shell)
            __letme_fuzzy "$cur" bash zsh fish powershell
            return 0
            ;;
        --region)
            __letme_catalog "$context"
            if [[ -n $account && -r $__letme_dir/regions ]]; then
                while IFS= read -r line; do
                    if [[ ${line%%$'\t'*} == "$account" ]]; then
                        read -r -a candidates <<<"${line#*$'\t'}"
                        break
                    fi
                done <"$__letme_dir/regions"
            fi
            __letme_fuzzy "$cur" "${candidates[@]}"
            return 0
            ;;
        --config)
            compopt -o default 2>/dev/null
            return 0
            ;;
        --context)
            __letme_contexts "$config"
            __letme_fuzzy "$cur" "${__letme_context_list[@]}"
            return 0
            ;;
        --mfa-code | --inline-mfa | --tag) return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        __letme_flags "$sub"
        read -r -a candidates <<<"$__letme_flag_list"
        __letme_fuzzy "$cur" "${candidates[@]}"
        return 0
    fi
    if [[ -z $sub ]]; then
        __letme_fuzzy "$cur" "${__letme_commands[@]}"
        return 0
    fi
    case $sub in
        use | shell | exec | obtain | ob | credential-process | refresh | remove | rm | console)
            if [[ -z $account ]]; then
                __letme_catalog "$context"
                if [[ -r $__letme_dir/names ]]; then
                    __letme_names "$cur" "$__letme_dir/names"
                fi
                __letme_fuzzy "$cur" "${candidates[@]}"
            fi
            ;;
        hook) [[ -z $account ]] && __letme_fuzzy "$cur" bash zsh fish powershell ;;
        config)
            if [[ -z $account ]]; then
                __letme_fuzzy "$cur" list show use path validate
            elif [[ ($account == use || $account == show) && -z $third ]]; then
                __letme_contexts "$config"
                __letme_fuzzy "$cur" "${__letme_context_list[@]}"
            fi
            ;;
    esac
    return 0
}

# nosort keeps the best-first order (bash >= 4.4).
complete -o nosort -F __letme_complete letme 2>/dev/null || complete -F __letme_complete letme

# Alias expansion as it was before this file.
# One compound command, read whole before any of it runs: nothing after the
# shopt is read with aliases on.
if ((__letme_aliases)); then
    unset __letme_aliases
    shopt -s expand_aliases
else
    unset __letme_aliases
fi

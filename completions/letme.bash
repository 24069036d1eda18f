# shellcheck shell=bash
# bash completion for letme: subcommands, flags, account names and an account's
# regions. Names come from the catalog cache files that `letme init` writes
# (<cache>/catalog/<context>/names and .../regions), read with builtins and, for
# account names, one awk: no Python starts at TAB. Matching is fuzzy: the names
# that start with the typed text when there are any; else the names that contain
# it, then those with its letters in order ("ex1" offers example1, "prd" offers
# prod-eu). Case is ignored. Prefix matches alone, because readline replaces the
# word with what the offered names share: with others beside them ("web-d":
# web-dev-…, web-prod-…), that would cut back what was typed. Account names come
# in the order of letme_shell/history.py: recently used ones first (from
# <state>/recent/<context>), and with one letter typed, production ones (from
# .../prod) after the others.
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

__letme_commands=(init list ls obtain ob use leave back status shell exec credential-process refresh remove rm reset hook
    config config-file demo doctor console version allow deny source)

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

# The ranking of account names (letme_shell/history.py), in awk: one process reads
# the names, the history and the production names, and prints the matches in
# order. (A bash loop over 10,000 names costs ~200 ms per TAB; this, a few ms.)
# Input through the environment, so no file name or typed text is ever parsed
# as awk code or as an awk assignment: __letme_word (letters, digits, . _ -
# only), __letme_names, __letme_recent, __letme_prod (files; /dev/null for none).
# Matching without regular expressions except for the scattered letters, where
# the one special character a name can hold, '.', is bracketed.
__letme_rank_awk='
BEGIN {
    w = tolower(ENVIRON["__letme_word"]); wl = length(w)
    for (i = 1; i <= wl; i++) {
        c = substr(w, i, 1)
        re = re (i > 1 ? ".*" : "") (c == "." ? "[.]" : c)
    }
    while ((getline name < ENVIRON["__letme_recent"]) > 0)
        if (!(name in rank)) rank[name] = ++nrank
    if (wl <= 1)
        while ((getline name < ENVIRON["__letme_prod"]) > 0) prod[name] = 1
    # Tiers: 1 starts with the word, 2 contains it, 3 has its letters in order.
    while ((getline name < ENVIRON["__letme_names"]) > 0) {
        t = 1
        if (wl) {
            low = tolower(name)
            k = index(low, w)
            if (k == 1) {
                if (low == w) { exact = exact name "\n"; np++; continue }
            } else if (np) {
                continue
            } else if (k) {
                t = 2
            } else if (low ~ re) {
                t = 3
            } else {
                continue
            }
        }
        if (t == 1) np++
        if (name in rank) rec[t, rank[name]] = name
        else if (name in prod) last[t, ++nl[t]] = name
        else rest[t, ++nr[t]] = name
    }
    printf "%s", exact
    lo = np ? 1 : 2; hi = np ? 1 : 3
    for (i = 1; i <= nrank; i++)
        for (t = lo; t <= hi; t++) if ((t, i) in rec) print rec[t, i]
    for (t = lo; t <= hi; t++) for (i = 1; i <= nr[t]; i++) print rest[t, i]
    for (t = lo; t <= hi; t++) for (i = 1; i <= nl[t]; i++) print last[t, i]
}'

# __letme_accounts WORD : COMPREPLY = the account names in $__letme_dir matching
# WORD, in letme's order. Account names are letters, digits and . _ - only, so a
# WORD with anything else matches nothing. The history and the production names
# only reorder names of the catalog; they are read only when they are the
# user's own files.
__letme_accounts() {
    local word=$1 context=${__letme_dir##*/} recent=/dev/null prod=/dev/null
    COMPREPLY=()
    [[ -z $word || $word =~ ^[A-Za-z0-9._-]+$ ]] || return 0
    if [[ $context =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ && -O $__letme_state_dir/recent/$context ]]; then
        recent=$__letme_state_dir/recent/$context
    fi
    [[ -O $__letme_dir/prod ]] && prod=$__letme_dir/prod
    if command -v awk >/dev/null 2>&1; then
        # $(...), not mapfile < <(...): bash reads a pipe one byte per system call, which made
        # 10,000 names cost ~100 ms. Names hold no space or glob character; each line is one
        # word, and globbing is off meanwhile (put back as it was). `\builtin exec`: bash reads
        # the text of $(...) again when it runs, with the user's aliases on, and exec (neither an
        # alias nor a function) makes awk the one process started: with the redirection, bash
        # would otherwise fork once more.
        local IFS=$'\n' had_noglob=0
        [[ $- == *f* ]] && had_noglob=1
        set -f
        # shellcheck disable=SC2207 # split on newlines only, no globbing: see above
        COMPREPLY=($(__letme_word=$word __letme_names=$__letme_dir/names __letme_recent=$recent \
            __letme_prod=$prod \builtin exec awk "$__letme_rank_awk" 2>/dev/null))
        ((had_noglob)) || set +f
        return 0
    fi
    # No awk: the same order in bash, slowly.
    local -a names=() first=() recents=() rest=() last=() recent_names=() production=()
    local name i
    local -A in_history=() in_prod=()
    mapfile -t names <"$__letme_dir/names"
    __letme_fuzzy "$word" "${names[@]}"
    mapfile -t recent_names <"$recent"
    for ((i = ${#recent_names[@]} - 1; i >= 0; i--)); do
        [[ -n ${recent_names[i]} ]] && in_history[${recent_names[i]}]=$i
    done
    if ((${#word} <= 1)); then
        mapfile -t production <"$prod"
        for name in "${production[@]}"; do
            [[ -n $name ]] && in_prod[$name]=1
        done
    fi
    for name in "${COMPREPLY[@]}"; do
        if [[ -n $word && ${name,,} == "${word,,}" ]]; then
            first+=("$name")
        elif [[ -n ${in_history[$name]+set} ]]; then
            recents[${in_history[$name]}]=$name
        elif [[ -n ${in_prod[$name]+set} ]]; then
            last+=("$name")
        else
            rest+=("$name")
        fi
    done
    COMPREPLY=("${first[@]}" "${recents[@]}" "${rest[@]}" "${last[@]}")
}

# Fuzzy matches that do not start with what was typed ("xmpl4": example4,
# example14, …) share a prefix that is not the word: readline would put it in
# place of the word on TAB and drop what was typed. So a TAB on them keeps the
# word (and rings the bell, as for any ambiguous TAB); the next TAB lists them.
# With show-all-if-ambiguous or -unmodified, the word itself is listed with them,
# which makes readline keep it. Menu completion (TAB bound to menu-complete)
# cycles through them as they are.
__letme_keep_typed() {
    local cur=$1
    ((${#COMPREPLY[@]} > 1)) && [[ -n $cur && ${COMPREPLY[0],,} != "${cur,,}"* ]] || return 0
    case ${COMP_TYPE-} in
        9) COMPREPLY=("$cur" "$cur ") ;;
        33 | 64) COMPREPLY+=("$cur") ;;
    esac
    return 0
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

# __letme_command_line START : complete the words from START on as a command line
# of their own (`letme exec NAME -- CMD ARGS`): through bash-completion when it is
# loaded (CMD's own completion for its arguments), else command names for CMD and
# file names after it.
__letme_command_line() {
    local start=$1
    if declare -F _comp_command_offset >/dev/null 2>&1; then
        _comp_command_offset "$start"
    elif declare -F _command_offset >/dev/null 2>&1; then
        _command_offset "$start"
    elif ((COMP_CWORD == start)); then
        # Commands, aliases, functions and builtins, as at the start of a line; readline sorts them and
        # drops the repeats (nosort is for letme's own ranked lists).
        compopt +o nosort 2>/dev/null || true
        mapfile -t COMPREPLY < <(\builtin compgen -c -- "${COMP_WORDS[COMP_CWORD]}" 2>/dev/null)
    else
        compopt -o default -o bashdefault 2>/dev/null || true
    fi
    return 0
}

__letme_flags() {
    local common='--help --config --context --debug --quiet'
    case $1 in
        use) __letme_flag_list="$common --role-arn --name --external-id --mode --region --mfa-code --role-session-name --force --yes --shell" ;;
        leave) __letme_flag_list="$common --shell" ;;
        allow) __letme_flag_list="$common --shell" ;;
        deny) __letme_flag_list="$common --shell" ;;
        dir) __letme_flag_list="$common --shell" ;;
        back) __letme_flag_list="$common --mfa-code --yes --shell" ;;
        status) __letme_flag_list="$common --verify --json" ;;
        shell) __letme_flag_list="$common --role-arn --name --external-id --mode --region --mfa-code --role-session-name --force" ;;
        exec) __letme_flag_list="$common --role-arn --name --external-id --region --mfa-code --role-session-name --shell" ;;
        refresh) __letme_flag_list="$common --mfa-code --background --apply --no-prompt --shell" ;;
        obtain | ob) __letme_flag_list="$common --role-arn --name --external-id --mfa-code --role-session-name --renew --region --force --credential-process --v1" ;;
        credential-process) __letme_flag_list="$common --role-arn --name --external-id --mfa-code --role-session-name --renew" ;;
        remove | rm) __letme_flag_list="$common --force" ;;
        reset) __letme_flag_list="$common --all --yes" ;;
        list | ls) __letme_flag_list="$common --tag --json --names" ;;
        init) __letme_flag_list="$common --remove" ;;
        config) __letme_flag_list="$common --json --force" ;;
        config-file) __letme_flag_list="$common --force --print" ;;
        console) __letme_flag_list="$common --role-arn --name --external-id --region --mfa-code --print --json" ;;
        doctor) __letme_flag_list="$common --json --no-network" ;;
        demo) __letme_flag_list="$common --shell --accounts" ;;
        '') __letme_flag_list="$common --version" ;;
        *) __letme_flag_list=$common ;;
    esac
}

__letme_complete() {
    __letme_candidates
    __letme_keep_typed "${COMP_WORDS[COMP_CWORD]}"
}

# COMPREPLY = what may follow the words before the cursor, best first.
__letme_candidates() {
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
            --config | --context | --region | --mode | --mfa-code | --inline-mfa | --role-session-name | --role-arn | --name | --external-id | --shell | --tag) option=$word ;;
            --)
                # `letme exec ACCOUNT -- CMD`: the rest is an ordinary command line.
                [[ $sub == exec ]] && __letme_command_line $((i + 1))
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
        --mfa-code | --inline-mfa | --role-session-name | --role-arn | --name | --external-id | --tag) return 0 ;;
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
                [[ -r $__letme_dir/names ]] && __letme_accounts "$cur"
            fi
            ;;
        hook) [[ -z $account ]] && __letme_fuzzy "$cur" bash zsh fish powershell ;;
        source) [[ -z $account ]] && __letme_fuzzy "$cur" add remove list credentials ;;
        config)
            if [[ -z $account ]]; then
                __letme_fuzzy "$cur" list show use path validate migrate
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

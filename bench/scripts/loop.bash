# shellcheck shell=bash
# Times shell functions inside one live bash, the way a prompt or a Tab press runs them.
# Usage: bash loop.bash N REPS WHAT ACCOUNT FRAGMENT
#   WHAT: empty | prompt | complete | dirprompt | dirwalk; env BENCH_HISTORY
#   dirprompt: the prompt function 12 directories deep in a tree whose allowed .letme gave the account
#   (per-directory accounts; PWD unchanged between prompts, as at most prompts); dirwalk: the same after a
#   cd inside the tree (the walk up the 12 parents with [[ -f ]], the nearest file unchanged: no letme).
# Loads `letme hook bash`, switches to ACCOUNT through the letme function (cached credentials), then
# prints "<function> <microseconds for N calls>" REPS times. With N=0 it only does the set-up, which is
# how the bench subtracts set-up forks when it counts the processes the loop starts (strace).
set -u
export LC_ALL=C
n=$1 reps=$2 what=$3 account=$4 fragment=$5
eval "$(letme hook bash)" || exit 1
letme use "$account" 2>/dev/null || exit 1
# Completion reads the history of recent accounts (<state>/recent/<context>) that `letme use` keeps:
# BENCH_HISTORY=none removes it (the rows measured before there was one); otherwise it stays as the
# bench and the `use` above left it.
if [[ ${BENCH_HISTORY-} == none ]]; then
    command rm -rf -- "$__letme_state_dir/recent"
fi

__bench_empty() { :; }
if [[ $what == dir* ]]; then
    tree=$HOME/bench-tree
    deep=$tree/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12
    command mkdir -p -- "$deep" || exit 1
    printf 'account = "%s"\n' "$account" >"$tree/.letme"
    command chmod 644 -- "$tree/.letme"
    letme allow -q -- "$tree" || exit 1
    letme leave -q
    cd -- "$deep" || exit 1
    __letme_precmd  # enters the tree: one letme, which switches (set-up, subtracted as the rest is)
    [[ ${LETME_DIR-} == "$tree/.letme" ]] || { echo "the .letme tree did not switch the shell" >&2; exit 1; }
fi
# A cd inside the tree: PWD differs from the one the hook saw last, so it walks up again.
__bench_walk() {
    __letme_dir_pwd=''
    __letme_precmd "$@"
}
if declare -F __letme_precmd >/dev/null; then
    prompt_fn=__letme_precmd
else
    prompt_fn=__letme_segment
fi
spec=$(complete -p letme 2>/dev/null) || spec=''
complete_fn=''
if [[ $spec =~ -F\ ([^ ]+) ]]; then
    complete_fn=${BASH_REMATCH[1]}
fi
__bench_complete() {
    COMP_WORDS=(letme use "$fragment")
    COMP_CWORD=2
    COMP_LINE="letme use $fragment"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$complete_fn" letme "$fragment" use
}
case $what in
    empty) fn=__bench_empty ;;
    prompt | dirprompt) fn=$prompt_fn ;;
    dirwalk) fn=__bench_walk ;;
    complete)
        [[ -n $complete_fn ]] || { echo "no completion function for letme" >&2; exit 1; }
        fn=__bench_complete
        ;;
    *) exit 2 ;;
esac
for ((rep = 0; rep < reps; rep++)); do
    t0=${EPOCHREALTIME/./}
    for ((i = 0; i < n; i++)); do
        "$fn" "$EPOCHSECONDS"
    done
    t1=${EPOCHREALTIME/./}
    echo "$fn $((t1 - t0))"
done
if [[ $what == complete ]]; then
    echo "matches ${#COMPREPLY[@]}"
elif [[ $what == prompt || $what == dir* ]]; then
    __letme_segment "$EPOCHSECONDS"
    echo "segment ${__letme_ps1-}"
fi

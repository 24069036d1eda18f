# Times the prompt function inside one live zsh, as precmd runs it.
# Usage: zsh -f loop.zsh N REPS WHAT ACCOUNT   (WHAT: empty | prompt | dirprompt | dirwalk); see loop.bash.
export LC_ALL=C
zmodload zsh/datetime zsh/mathfunc
n=$1 reps=$2 what=$3 account=$4
eval "$(letme hook zsh)" || exit 1
letme use "$account" 2>/dev/null || exit 1

__bench_empty() { : }
if [[ $what == dir* ]]; then
    tree=$HOME/bench-tree
    deep=$tree/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12
    command mkdir -p -- $deep || exit 1
    print -r -- "account = \"$account\"" >$tree/.letme
    command chmod 644 -- $tree/.letme
    letme allow -q -- $tree || exit 1
    letme leave -q
    cd -- $deep || exit 1
    __letme_precmd  # enters the tree: one letme, which switches (set-up, subtracted as the rest is)
    [[ ${LETME_DIR-} == $tree/.letme ]] || { print -u2 "the .letme tree did not switch the shell"; exit 1 }
fi
__bench_walk() {
    __letme_dir_pwd=''
    __letme_precmd "$@"
}
prompt_fn=''
for f in $precmd_functions; do
    [[ $f == *letme* ]] && { prompt_fn=$f; break }
done
[[ -n $prompt_fn ]] || prompt_fn=__letme_segment
case $what in
    empty) fn=__bench_empty ;;
    prompt | dirprompt) fn=$prompt_fn ;;
    dirwalk) fn=__bench_walk ;;
    *) exit 2 ;;
esac
for (( rep = 0; rep < reps; rep++ )); do
    t0=$EPOCHREALTIME
    for (( i = 0; i < n; i++ )); do
        $fn $EPOCHSECONDS
    done
    t1=$EPOCHREALTIME
    print -r -- "$fn $(( int((t1 - t0) * 1e6) ))"
done
if [[ $what == prompt || $what == dir* ]]; then
    print -r -- "segment ${(%)__letme_ps1-}"
fi

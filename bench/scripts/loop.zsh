# Times the prompt function inside one live zsh, as precmd runs it.
# Usage: zsh -f loop.zsh N REPS WHAT ACCOUNT   (WHAT: empty | prompt); see loop.bash.
export LC_ALL=C
zmodload zsh/datetime zsh/mathfunc
n=$1 reps=$2 what=$3 account=$4
eval "$(letme hook zsh)" || exit 1
letme use "$account" 2>/dev/null || exit 1

__bench_empty() { : }
prompt_fn=''
for f in $precmd_functions; do
    [[ $f == *letme* ]] && { prompt_fn=$f; break }
done
[[ -n $prompt_fn ]] || prompt_fn=__letme_segment
case $what in
    empty) fn=__bench_empty ;;
    prompt) fn=$prompt_fn ;;
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
if [[ $what == prompt ]]; then
    print -r -- "segment ${(%)__letme_ps1-}"
fi

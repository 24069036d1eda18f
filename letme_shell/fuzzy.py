"""Ranking names for the picker and for "did you mean" (stdlib only, no imports at start-up cost)."""

from __future__ import annotations

from collections.abc import Iterable


def subsequence_score(query: str, name: str) -> int | None:
    """Lower is better; None when `query` is not a subsequence of `name` (case-insensitive).

    Prefix matches rank first, then contiguous substrings, then scattered
    subsequences ranked by how spread out the matched letters are.
    """
    q, n = query.lower(), name.lower()
    if not q:
        return len(n)
    if n.startswith(q):
        return len(n) - len(q)
    found = n.find(q)
    if found >= 0:
        return 1000 + found + len(n)
    pos, first, gaps = 0, -1, 0
    for ch in q:
        nxt = n.find(ch, pos)
        if nxt < 0:
            return None
        if first < 0:
            first = nxt
        else:
            gaps += nxt - pos
        pos = nxt + 1
    return 2000 + first + 10 * gaps + len(n)


def rank(query: str, names: Iterable[str]) -> list[str]:
    """The names matching `query`, best first; with no query, all of them in the order given."""
    if not query:
        return list(names)
    scored = [(score, name) for name in names if (score := subsequence_score(query, name)) is not None]
    return [name for _, name in sorted(scored)]


def suggest(query: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """Close names for an unknown one: fuzzy subsequence matches first, then edit distance."""
    import difflib

    names = list(names)
    picks = rank(query, names)[:limit]
    for close in difflib.get_close_matches(query, names, n=limit, cutoff=0.6):
        if close not in picks:
            picks.append(close)
    return picks[:limit]

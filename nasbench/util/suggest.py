""""Did you mean ...?" for names a user types (strategies, tables, presets, subcommands, choices).

Kept apart from `nasbench.errors` so that it stays a leaf: it imports only the standard library.
"""
from __future__ import annotations

import difflib
from typing import Iterable


def close_match(word: object, choices: Iterable[object], cutoff: float = 0.6) -> str | None:
    """The choice closest to `word` (case-insensitive, `difflib.get_close_matches`), or None.

    Args:
        word: the word as typed.
        choices: the valid names.
        cutoff: the `difflib` similarity cutoff.

    Returns:
        The closest choice, or None.
    """
    if not isinstance(word, str) or not word:
        return None
    names = [str(c) for c in choices]
    lowered: dict[str, str] = {}
    for n in names:
        lowered.setdefault(n.lower(), n)
    hit = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[hit[0]] if hit else None


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """`"; did you mean 'x'?"` to append to a one-line refusal, or "" when nothing is close.

    Args:
        word: the word as typed.
        choices: the valid names.

    Returns:
        The suffix, or "".
    """
    hit = close_match(word, choices)
    return f"; did you mean {hit!r}?" if hit is not None and hit != word else ""

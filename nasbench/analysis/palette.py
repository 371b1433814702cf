"""One colour per strategy, the same in every figure, table and report.

Colours come from Okabe and Ito's colour-blind-safe set (eight hues) and Paul Tol's muted set
(nine more), so that up to seventeen strategies are told apart without relying on red against
green. Each built-in strategy has a fixed colour; any other name (a plug-in, a label such as
`evolution@2`) gets one from the same list chosen by a stable hash of its name, so a strategy
keeps its colour across runs, machines and result directories.
"""
from __future__ import annotations

import hashlib

#: Okabe & Ito (2008), black left out (it is used for optimum lines and annotations)
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#999999",  # grey
)
#: Paul Tol's "muted" scheme, for strategies beyond the first eight
TOL_MUTED: tuple[str, ...] = (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
    "#DDCC77", "#CC6677", "#882255", "#AA4499",
)
COLOURS: tuple[str, ...] = OKABE_ITO + TOL_MUTED

#: fixed colours of the built-in strategies (the main job's four first, in its order)
FIXED: dict[str, str] = {
    "random": OKABE_ITO[7],
    "evolution": OKABE_ITO[0],
    "reinforce": OKABE_ITO[1],
    "gradient": OKABE_ITO[2],
    "local_search": OKABE_ITO[3],
    "bananas": OKABE_ITO[4],
    "darts": OKABE_ITO[5],
    "gdas": TOL_MUTED[0],
    "mo_random": OKABE_ITO[7],
    "mo_evolution": OKABE_ITO[0],
    "optuna-tpe": TOL_MUTED[1],
    "optuna-gp": TOL_MUTED[2],
    "optuna-random": TOL_MUTED[4],
    "optuna-nsga2": TOL_MUTED[5],
    "smac": TOL_MUTED[6],
    "sh": TOL_MUTED[3],
    "hyperband": TOL_MUTED[7],
    "asha": TOL_MUTED[8],
    "bohb": OKABE_ITO[6],
    "proxy-random": TOL_MUTED[1],
    "proxy-evolution": OKABE_ITO[5],
    "async-evolution": TOL_MUTED[2],
}


def strategy_colour(label: str) -> str:
    """The hex colour of a strategy label.

    Args:
        label: a strategy name or a run label; a label `name@k` or `name[...]` whose
            name is built in keeps the built-in colour only when written exactly as the name.

    Returns:
        A `#RRGGBB` string, the same for the same label everywhere.
    """
    if label in FIXED:
        return FIXED[label]
    digest = hashlib.sha256(label.encode("utf-8")).digest()
    return COLOURS[int.from_bytes(digest[:4], "big") % len(COLOURS)]


def strategy_colours(labels: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Colours of several labels.

    Built-in names keep theirs; where two labels would share a colour by hash, the later one
    moves to the next unused colour.

    Args:
        labels: strategy names or run labels.

    Returns:
        `{label: "#RRGGBB"}`.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for lab in labels:
        if lab in FIXED:
            out[lab] = FIXED[lab]
            used.add(FIXED[lab])
    for lab in labels:
        if lab in out:
            continue
        c = strategy_colour(lab)
        if c in used:
            free = [x for x in COLOURS if x not in used]
            c = free[0] if free else c
        out[lab] = c
        used.add(c)
    return out

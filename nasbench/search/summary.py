"""What `nasbench compare` reports about a results directory: `summary.csv`, `pairs.csv`,
`summary.tex` and the verdict on every pair of strategies."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..stats.significance import ALPHA, PairTest, compare_pairs
from ..util.atomic import atomic_write
from .results import ResultsDir, final_rows, open_results, summarise
from .summary_tex import TEX_FILE, resolve_baseline, summary_tex

SUMMARY_FILE = "summary.csv"  # one row per strategy
PAIRS_FILE = "pairs.csv"  # one row per pair of strategies: the test, the effect size, the verdict


def final_values(results: Any) -> tuple[dict[str, np.ndarray], str]:
    """The final incumbent test value of each run, per strategy.

    Args:
        results: a results directory or its path.

    Returns:
        `({label: values}, metric)`: the values per strategy label in config order, and the
        test metric's name.
    """

    res = results if isinstance(results, ResultsDir) else open_results(results)
    fin = final_rows(res.frame())
    cfg = res.provenance["config"]
    order = [s["label"] for s in cfg["strategies"]]
    metric = cfg.get("protocol", {}).get("test_metric", "test value")
    return {k: fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64) for k in order
            if (fin.strategy == k).any()}, metric


def pairwise(results: Any, alpha: float | None = None) -> list:
    """Every pair of strategies of a results directory tested on the final test value of its runs.

    See `nasbench.stats.significance`.

    Args:
        results: a results directory or its path.
        alpha: the significance level (None: `ALPHA`).

    Returns:
        The `PairTest` list.
    """

    values, metric = final_values(results)
    return compare_pairs(values, ALPHA if alpha is None else alpha, metric)


def write_summary(results: Any, baseline: str | None = None) -> tuple[Path, Path]:
    """Write `summary.csv` (per strategy, as `nasbench.search.runner.summarise`),
    `pairs.csv` (per pair) and `summary.tex` (`nasbench.search.summary_tex`, markers against
    `baseline`, default `random` where present) into the results directory, atomically.

    Args:
        results: a results directory or its path.
        baseline: `summary.tex`'s baseline label (None: `random` if the comparison has it).

    Returns:
        The paths of `summary.csv` and `pairs.csv`.
    """


    res = results if isinstance(results, ResultsDir) else open_results(results)
    s = summarise(res)
    s.index.name = "strategy"
    resolve_baseline([str(k) for k in s.index], baseline)  # a bad label refuses before anything is written
    tests = pairwise(res)
    pairs = pd.DataFrame([p.to_dict() for p in tests], columns=[f.name for f in dataclasses.fields(PairTest)])
    paths = (res.path / SUMMARY_FILE, res.path / PAIRS_FILE)
    for frame, path, index in ((s, paths[0], True), (pairs, paths[1], False)):
        atomic_write(path, frame.to_csv(index=index), res.path)  # never through a planted link
    _write_tex(res, s, tests, baseline)
    return paths


def _write_tex(res: Any, summary: Any, tests: list, baseline: str | None) -> Path:

    values, metric = final_values(res)
    path = res.path / TEX_FILE
    atomic_write(path, summary_tex(summary, values, tests, baseline, metric), res.path)
    return path


def write_summary_tex(results: Any, baseline: str | None = None) -> Path:
    """Rewrite only `summary.tex` of a results directory (e.g. with another baseline).

    Args:
        results: a results directory or its path.
        baseline: the markers' baseline label (None: `random` if present).

    Returns:
        The path written.
    """

    res = results if isinstance(results, ResultsDir) else open_results(results)
    s = summarise(res)
    resolve_baseline([str(k) for k in s.index], baseline)
    return _write_tex(res, s, pairwise(res), baseline)


def format_verdicts(pairs: list, alpha: float | None = None) -> str:
    """The verdicts in words, significant pairs first, under a one-line header saying how.

    Args:
        pairs: the `PairTest` list.
        alpha: the level the verdicts used (None: `ALPHA`).

    Returns:
        The text ("" for no pairs).
    """

    if not pairs:
        return ""
    tested = sum(1 for p in pairs if np.isfinite(p.p_holm))
    runs = sorted({n for p in pairs for n in (p.runs_a, p.runs_b)})
    runs_txt = f"{runs[0]}" if len(runs) == 1 else f"{runs[0]}..{runs[-1]}"
    head = (f"which differences are real (two-sided Mann-Whitney U on the final test value, {runs_txt} runs per "
            f"strategy, Holm-corrected over {tested} pair{'s' if tested != 1 else ''}, significant if p < "
            f"{ALPHA if alpha is None else alpha}):")
    ordered = [p for p in pairs if p.significant] + [p for p in pairs if not p.significant]
    return "\n".join([head] + [f"  {p.verdict}" for p in ordered])

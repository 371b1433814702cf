"""`summary.tex`: a results directory's summary as a booktabs `tabular` ready for `\\input`
(needs `\\usepackage{booktabs}`; nothing else).

One row per strategy: runs, the final test value as mean +- sample standard deviation, the mean
regret, the number of distinct final cells and the share of runs ending on the optimum's value. The
best value of each numeric column is bold (every strategy whose printed value ties it). A marker
after the mean says the strategy is significantly better (up arrow) or worse (down arrow) than the
baseline by the verdicts of `pairs.csv` (two-sided Mann-Whitney U, Holm over all pairs); the
baseline is `random` where the comparison has it, unless another label is chosen.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .plot_options import PlotOptionError

TEX_FILE = "summary.tex"
DEFAULT_BASELINE = "random"
_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
UP, DOWN = r"$^{\uparrow}$", r"$^{\downarrow}$"


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters.

    Args:
        text: the text (any value: converted with `str`).

    Returns:
        `text` with LaTeX's special characters escaped.
    """
    return "".join(_ESCAPES.get(c, c) for c in str(text))


def resolve_baseline(labels: Sequence[str], baseline: str | None) -> str | None:
    """The baseline label of a comparison.

    Args:
        labels: the comparison's strategy labels.
        baseline: the chosen label, or None for `random` where present.

    Returns:
        A label of `labels`, or None (no markers) when none was chosen and there is no `random`.

    Raises:
        PlotOptionError: a chosen label that is not a strategy of the comparison.
    """
    if baseline is None:
        return DEFAULT_BASELINE if DEFAULT_BASELINE in labels else None
    if baseline not in labels:
        raise PlotOptionError(f"baseline {baseline!r} is not a strategy of this comparison; "
                              f"choose one of {', '.join(labels)}")
    return baseline


def _bold_best(cells: list[str], higher_better: bool) -> list[str]:
    """Bold the cells whose printed number is the best (ties all bold); cells that do not parse stay."""
    nums = []
    for c in cells:
        try:
            nums.append(float(c.rstrip("%")))
        except ValueError:
            nums.append(float("nan"))
    finite = [v for v in nums if np.isfinite(v)]
    if not finite:
        return cells
    best = max(finite) if higher_better else min(finite)
    return [rf"\textbf{{{c}}}" if np.isfinite(v) and v == best else c for c, v in zip(cells, nums)]


def summary_tex(summary: Any, values: dict[str, np.ndarray], pairs: Sequence, baseline: str | None = None,
                metric: str = "test value", alpha: float = 0.05) -> str:
    """The LaTeX text of `summary.tex`.

    Args:
        summary: the frame of `nasbench.search.results.summarise` (index: strategy labels).
        values: label -> final test values of its runs (for the sample standard deviation).
        pairs: the `PairTest` verdicts of the comparison.
        baseline: the label the markers compare against (None: `random` if present, else no markers).
        metric: the test metric's name, for the header comment.
        alpha: the level the verdicts used.

    Returns:
        The file's text (comment lines, then one `tabular`).
    """
    labels = [str(k) for k in summary.index]
    base = resolve_baseline(labels, baseline)
    verdict = {}
    for p in pairs:
        if base in (p.a, p.b) and p.significant:
            other = p.b if p.a == base else p.a
            verdict[other] = UP if p.better == other else DOWN
    means, stds, regrets, finals, shares = [], [], [], [], []
    for k, r in summary.iterrows():
        v = np.asarray(values.get(str(k), []), dtype=np.float64)
        v = v[np.isfinite(v)]
        means.append(f"{r.test_mean:.2f}")
        stds.append(f"{np.std(v, ddof=1):.2f}" if len(v) > 1 else "--")
        regrets.append(f"{r.regret_mean:.2f}")
        finals.append(f"{int(r.distinct_finals)}" if "distinct_finals" in summary.columns else "--")
        shares.append(f"{100 * r.optimum_share:.0f}" if "optimum_share" in summary.columns else "--")
    means_b, regrets_b, shares_b = _bold_best(means, True), _bold_best(regrets, False), _bold_best(shares, True)
    rows = []
    for i, k in enumerate(labels):
        name = tex_escape(k) + (r" \textit{(baseline)}" if k == base else "")
        rows.append(f"{name} & {int(summary.iloc[i].runs)} & {means_b[i]} $\\pm$ {stds[i]}{verdict.get(k, '')} & "
                    f"{regrets_b[i]} & {finals[i]} & {shares_b[i]} \\\\")
    note = (f"{UP}/{DOWN}: significantly better/worse than {tex_escape(base)} (two-sided Mann-Whitney U, "
            f"Holm over all pairs, $p<{alpha:g}$)" if base else "no baseline: no significance markers")
    lines = [
        f"% summary.tex written by nasbench: final {metric} of the incumbent, mean $\\pm$ sample standard",
        "% deviation over runs; bold: the best value of the column; needs \\usepackage{booktabs}",
        r"\begin{tabular}{lrlrrr}",
        r"\toprule",
        rf"Strategy & Runs & {tex_escape(metric)} & Regret & Final cells & On optimum (\%) \\",
        r"\midrule",
        *rows,
        r"\bottomrule",
        rf"\multicolumn{{6}}{{l}}{{\footnotesize {note}}} \\",
        r"\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["DEFAULT_BASELINE", "TEX_FILE", "resolve_baseline", "summary_tex", "tex_escape"]

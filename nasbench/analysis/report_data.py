"""What a report page shows, read from a results directory: records only, no HTML.

`table_report` reads one results directory (`summary.csv`, `pairs.csv`, `results.csv`,
`config.json`, `provenance.json`); `multi_report` a multi-table directory (its
`multitable.json`, `aggregate.csv`, `aggregate.json` and every table's directory).

Files are read by column name and extra columns are kept, so a `summary.csv` or `pairs.csv`
with more columns than the ones named here shows them all. The numbers of `summary.csv` are kept as the
exact strings of the file (`CsvTable`), so the page can show the very numbers of the file.

Regret curves (`CurveSet`) are averaged only where every run of a strategy has an
incumbent: a curve starts at the first point where all its runs have one, so its mean never
jumps because the set of averaged runs changed.
"""
from __future__ import annotations

import csv
import json
import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .palette import strategy_colours
from ..search.results import ResultsDir, final_rows, open_results

#: smallest regret drawn on a log axis (0 would be off the axis); hover shows the true value
REGRET_FLOOR = 1e-3
CURVE_POINTS = 200


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's header and rows as the file's own strings (first column: the row's name)."""

    columns: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        """The strings of one column.

        Args:
            name: the column's header.

        Returns:
            Its cells, top to bottom (an empty list if the file has no such column).
        """
        if name not in self.columns:
            return []
        i = self.columns.index(name)
        return [r[i] if i < len(r) else "" for r in self.rows]


@dataclass(frozen=True)
class Curve:
    """One strategy's curve: `x` the budget points, `mean`/`se` over runs (or tables) there,
    `n` how many were averaged at each point (all of them: the curve starts where all have a value)."""

    label: str
    colour: str
    x: list[float]
    mean: list[float]
    se: list[float]
    n: int


@dataclass(frozen=True)
class CurveSet:
    """One figure of curves."""

    key: str
    title: str
    x_label: str
    y_label: str
    log_x: bool
    log_y: bool
    curves: list[Curve]
    floor: float = REGRET_FLOOR
    unit: str = "run"  # what a curve averages over: runs, or tables


@dataclass(frozen=True)
class Distribution:
    """The final test values of one strategy's runs (`runs`: their run numbers)."""

    label: str
    colour: str
    values: list[float]
    runs: list[int]


@dataclass(frozen=True)
class PairVerdict:
    """One row of `pairs.csv`: `better` is the label found better where significant, else ''."""

    a: str
    b: str
    significant: bool
    better: str
    p: float
    delta: float
    verdict: str


@dataclass(frozen=True)
class TableReport:
    """Everything a report shows about one results directory."""

    path: Path
    table: str
    test_metric: str
    optimum: float
    labels: list[str]
    colours: dict[str, str]
    summary: CsvTable
    pairs: list[PairVerdict]
    curves: list[CurveSet]
    finals: list[Distribution]
    config: dict[str, Any]
    provenance: dict[str, Any]
    rerun: str


@dataclass(frozen=True)
class MultiReport:
    """Everything a report shows about a multi-table directory."""

    path: Path
    tables: list[str]
    labels: list[str]
    colours: dict[str, str]
    aggregate: CsvTable
    tests: dict[str, Any]
    curves: CurveSet
    per_table: list[TableReport]
    rerun: str
    manifest: dict[str, Any] = field(default_factory=dict)


# -- reading files -----------------------------------------------------------------------------
def read_csv_table(path: Path) -> CsvTable:
    """Read a CSV file as the file's own strings.

    Args:
        path: the file (absent: a table with no columns and no rows).

    Returns:
        Its `CsvTable`.
    """
    if not path.is_file():
        return CsvTable([], [])
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    return CsvTable(rows[0], rows[1:]) if rows else CsvTable([], [])


def _float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def read_pairs(path: Path) -> list[PairVerdict]:
    """Read `pairs.csv` by column name; other columns are ignored.

    Args:
        path: the file; it needs `a` and `b` and may have `significant`, `better`,
            `p_holm` (else `p_adj`, else `p`), `cliffs_delta` and `verdict`.

    Returns:
        One `PairVerdict` per row (none for an absent file or one without `a`/`b`).
    """
    t = read_csv_table(path)
    if "a" not in t.columns or "b" not in t.columns:
        return []
    p_col = next((c for c in ("p_holm", "p_adj", "p") if c in t.columns), "")
    cols = {c: t.column(c) for c in ("a", "b", "significant", "better", "cliffs_delta", "verdict")}
    ps = t.column(p_col) if p_col else []
    out = []
    for i in range(len(t.rows)):
        def get(name: str) -> str:
            return cols[name][i] if cols[name] else ""

        sig = get("significant").strip().lower() in ("true", "1", "yes")
        delta = _float(get("cliffs_delta"))
        better = get("better")
        if sig and not better and math.isfinite(delta) and delta != 0:
            better = get("a") if delta > 0 else get("b")
        out.append(PairVerdict(get("a"), get("b"), sig, better if sig else "", _float(ps[i]) if ps else float("nan"),
                               delta, get("verdict")))
    return out


# -- curves ------------------------------------------------------------------------------------
def _finite(values: np.ndarray) -> list[float]:
    return [float(v) if math.isfinite(v) else float("nan") for v in values]


def complete_mean(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and standard error over rows at the points where every row has a value.

    Args:
        values: (rows, points); rows are runs or tables, NaN where a row has no value yet.

    Returns:
        (boolean mask of the points kept, mean there, standard error there; 0 with one row).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0)
    keep = np.all(np.isfinite(values), axis=0)
    v = values[:, keep]
    mean = v.mean(axis=0)
    se = v.std(axis=0, ddof=1) / math.sqrt(len(v)) if len(v) > 1 else np.zeros(v.shape[1])
    return keep, mean, se


def _grid(values: np.ndarray, log: bool) -> np.ndarray:
    v = values[np.isfinite(values)]
    if not len(v):
        return np.zeros(0)
    hi = float(v.max())
    pos = v[v > 0]
    lo = float(pos.min()) if len(pos) else 1.0
    if log and hi > lo:
        return np.geomspace(lo, hi, CURVE_POINTS)
    if not log and hi - lo + 1 <= CURVE_POINTS:
        return np.arange(max(lo, 1.0), hi + 1)
    return np.linspace(max(lo, 1.0), hi, CURVE_POINTS)


def regret_curves(frame, best: float, colours: dict[str, str], x: str, x_label: str) -> CurveSet:
    """The incumbent's test regret against a budget axis, per strategy.

    Args:
        frame: a results table (`results.csv`).
        best: the table's optimum test value (regret = best - incumbent's test value).
        colours: strategy label -> colour.
        x: `step` (a linear grid of queries) or `sim_time` (a log grid of seconds).
        x_label: the axis title.

    Returns:
        The `CurveSet`, mean and s.e. over all runs at each point kept.
    """
    from .plots import anytime

    log = x == "sim_time"
    grid = _grid(frame[x].to_numpy(dtype=np.float64), log)
    curves = []
    for label, runs in anytime(frame, x, grid).items():
        keep, mean, se = complete_mean(best - runs)
        curves.append(Curve(str(label), colours.get(str(label), "#000000"), _finite(grid[keep]), _finite(mean),
                            _finite(se), int(runs.shape[0])))
    what = "queries" if x == "step" else "time"
    return CurveSet(f"regret-{what}", f"Test regret of the incumbent against {'queries' if x == 'step' else 'time'}",
                    x_label, "test regret (mean ± s.e. over runs)", log, True, curves)


def _time_label(frame) -> str:
    if "worker" in frame.columns and len(frame):
        n = int(frame["worker"].max()) + 1
        return f"simulated wall-clock (s), {n} worker{'s' if n > 1 else ''}"
    return "simulated training time (s)"


# -- the exact command to rerun ----------------------------------------------------------------
def rerun_command(config: dict[str, Any], out: Path) -> str:
    """The shell command that reruns a comparison: the config written as YAML, then compare on it.

    Args:
        config: a `config.json` mapping (what the results depend on).
        out: the results directory to name in `--out`.

    Returns:
        The command (a here-document and `nasbench compare rerun.yaml --out OUT`).
    """
    import yaml

    text = yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    return (f"cat > rerun.yaml <<'EOF'\n{text}EOF\n"
            f"nasbench compare rerun.yaml --out {shlex.quote(str(out))}")


# -- one results directory ---------------------------------------------------------------------
def table_report(results: ResultsDir | str | Path) -> TableReport:
    """Read the report's contents from one finished results directory.

    Args:
        results: a results directory written by `nasbench compare` (or its ResultsDir).

    Returns:
        The `TableReport` of that directory.
    """
    from ..search.summary import PAIRS_FILE, SUMMARY_FILE, write_summary

    res = results if isinstance(results, ResultsDir) else open_results(results)
    if not (res.path / SUMMARY_FILE).is_file():
        write_summary(res)  # a directory from before summary.csv existed
    prov = res.provenance
    config = res.config
    labels = [s["label"] for s in config["strategies"]]
    colours = strategy_colours(labels)
    frame = res.frame()
    best = float(prov["optimum"]["best_test"])
    curves: list[CurveSet] = []
    finals: list[Distribution] = []
    if len(frame):
        curves.append(regret_curves(frame, best, colours, "step", "queries"))
        curves.append(regret_curves(frame, best, colours, "sim_time", _time_label(frame)))
        fin = final_rows(frame)
        for k in labels:
            rows = fin[fin.strategy == k]
            vals = rows["incumbent_test"].to_numpy(dtype=np.float64)
            ok = np.isfinite(vals)
            finals.append(Distribution(k, colours[k], [float(v) for v in vals[ok]],
                                       [int(r) for r in rows["run"].to_numpy()[ok]]))
    return TableReport(res.path, str(config["table"]), str(prov["optimum"].get("test_metric", "test value")), best,
                       labels, colours, read_csv_table(res.path / SUMMARY_FILE), read_pairs(res.path / PAIRS_FILE),
                       curves, finals, config, prov, rerun_command(config, res.path))


# -- a multi-table directory -------------------------------------------------------------------
def multi_report(path: str | Path) -> MultiReport:
    """Read the report's contents from a finished multi-table results directory.

    Args:
        path: a directory written by `nasbench compare --table a,b,...`.

    Returns:
        The `MultiReport` of that directory (with each table's `TableReport`).
    """
    from ..search.multitable import AGGREGATE_CSV, AGGREGATE_JSON, MANIFEST, normalised_curves, open_multi, \
        strategy_labels, write_aggregate

    multi = open_multi(path)
    if not (multi.path / AGGREGATE_CSV).is_file() or not (multi.path / AGGREGATE_JSON).is_file():
        write_aggregate(multi)
    labels = strategy_labels(multi)
    colours = strategy_colours(labels)
    grid, curves = normalised_curves(multi)
    kind = multi.budget.get("kind", "queries")
    out = []
    for k in labels:
        keep, mean, se = complete_mean(curves[k])
        out.append(Curve(k, colours[k], _finite(grid[keep]), _finite(mean), _finite(se), len(multi.tables)))
    cs = CurveSet("normalised-regret", "Normalised regret averaged over tables",
                  f"fraction of the budget used ({kind})",
                  f"normalised regret (mean ± s.e. over {len(multi.tables)} tables)", False, True, out, 1e-4, "table")
    per = [table_report(multi.dirs[t]) for t in multi.tables]
    config = dict(per[0].config)
    config["table"] = list(multi.tables)
    return MultiReport(multi.path, list(multi.tables), labels, colours, read_csv_table(multi.path / AGGREGATE_CSV),
                       json.loads((multi.path / AGGREGATE_JSON).read_text()), cs, per,
                       rerun_command(config, multi.path), json.loads((multi.path / MANIFEST).read_text()))


__all__ = ["CsvTable", "Curve", "CurveSet", "Distribution", "MultiReport", "PairVerdict", "REGRET_FLOOR",
           "TableReport", "complete_mean", "multi_report", "read_csv_table", "read_pairs", "regret_curves",
           "rerun_command", "table_report"]

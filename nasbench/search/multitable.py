"""Several benchmarks in one comparison: the same strategies on each table, then an aggregate.

```python
from nasbench.search.runner import ExperimentConfig
from nasbench.search.multitable import run_tables, format_aggregate
multi = run_tables(ExperimentConfig(table="nb201-cifar10,nb201-cifar100", out="results/multi"))
print(format_aggregate(multi))
```

`config.table` names the tables separated by commas (a config file may give a list). The
directory `out` then holds:

    multitable.json   the tables, each one's results folder, optimum and median test value
    <table>/          a normal results directory per table (resumable on its own, `nasbench plot`-able)
    aggregate.csv     one row per strategy: mean rank over tables, mean normalised regret, and
                      per table its rank, normalised regret, test mean and queries
    aggregate.json    the Friedman test and Nemenyi critical difference over tables

Protocol and budget: each table runs under its own preset (`config.preset`'s family; see
`nasbench.search.budgets.table_preset`; a table without one gets `Protocol()` and 100 queries)
unless the config gives them, which then apply as given to every table (a `seconds` budget buys
different numbers of queries where training times differ). `multitable.json` records each
table's protocol and budget.

Normalised regret of a run on table `t` (`normalised_regret`): 0 the best cell, 1 a typical cell
(the table's median test value), so tables of different difficulty can be averaged.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import defaults
from ..util.atomic import atomic_write, check_dir, check_writable
from ..util.checksummed import read_json
from ..util.interrupt import Interrupted, interrupted
from ..util.locking import exclusive_dir
from .budgets import is_multi, join_tables, split_tables, table_dir_name  # noqa: F401  (part of this module's face)
from .compare_ray import connect
from .config import default_config as command_default
from .runner import (ConfigError, ExperimentConfig, ResultsDir, check_proxy_strategies, check_results_dir,
                     check_runnable, final_rows, load_benchmark, open_results, run_comparison)

MANIFEST = "multitable.json"
AGGREGATE_CSV = "aggregate.csv"
AGGREGATE_JSON = "aggregate.json"
DEFAULT_OUT = defaults.OUT_SEVERAL_TABLES


def default_config(**overrides: Any) -> ExperimentConfig:
    """What `nasbench compare --table a,b,...` runs without a config file (`nasbench.defaults.COMMAND`).

    Args:
        **overrides: fields to set, by name (None: not given); each table runs under its own preset
            protocol and budget unless `protocol`/`budget` are given.

    Returns:
        The config.
    """
    return command_default(**overrides)


# -- running -----------------------------------------------------------------------------------
@dataclass
class MultiResults:
    """A multi-table results directory: the per-table results and the aggregate over them."""

    path: Path
    tables: list[str]
    dirs: dict[str, ResultsDir]
    optimum: dict[str, float]
    median: dict[str, float]
    budget: dict[str, Any] = field(default_factory=dict)  #: the budget shared by all tables ({} if they differ)
    budgets: dict[str, dict[str, Any]] = field(default_factory=dict)  #: table -> its budget

    def budget_of(self, table: str) -> dict[str, Any]:
        """The budget `table` ran under (a directory recording one shared budget: that one).

        Args:
            table: one of `tables`.

        Returns:
            The budget's keys (`kind`, `amount`).
        """
        return self.budgets.get(table) or self.budget

    def frame(self, table: str):
        """One table's results as a data frame.

        Args:
            table: one of `tables`.

        Returns:
            The frame of that table's `ResultsDir`.
        """
        return self.dirs[table].frame()


def is_multitable_dir(path: str | os.PathLike) -> bool:
    """Whether `path` is a multi-table results directory (it holds the manifest).

    Args:
        path: a directory.

    Returns:
        True when it is.
    """
    return (Path(path) / MANIFEST).is_file()


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not is_multitable_dir(out):
        raise ConfigError(f"{out} exists and is not a multi-table results directory; choose an empty or new directory")


def run_tables(config: ExperimentConfig, verify: bool | None = None) -> MultiResults:
    """Run `config` on each of its tables into `config.out/<table>/`, then write the aggregate.

    Args:
        config: the comparison, with several tables.
        verify: whether loading each table checks its SHA-256, as `nasbench.load`.

    Returns:
        The finished multi-table results.

    Raises:
        ConfigError: on fewer than two tables, a table given twice, or an unusable `config.out`.
    """
    from ..strategies import ProtocolError, SearchView

    tables = split_tables(config.table)
    if len(tables) < 2:
        raise ConfigError(f"table: a multi-table comparison needs at least two tables, got {tables}")
    names = [table_dir_name(t) for t in tables]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"table: {dup[0]!r} given twice; name each table once")
    out = Path(config.out)
    _check_out(out)
    benches, optimum, median, subs = {}, {}, {}, {}
    for t, name in zip(tables, names):  # load and check every table before running any
        sub = subs[t] = table_config(config, t, str(out / name))
        try:
            bench = load_benchmark(t, verify)
        except Exception as exc:
            raise ConfigError(f"table {t}: {str(exc).splitlines()[0]}") from None
        try:
            view = SearchView(bench, sub.protocol)
            if sub.protocol.test_metric not in bench.metric_names:
                raise ProtocolError(f"test_metric {sub.protocol.test_metric!r} not in the table; it has: "
                                    f"{', '.join(bench.metric_names)}")
        except ProtocolError as exc:
            raise ConfigError(f"table {t}: protocol: {exc}") from None
        try:
            check_proxy_strategies(bench, sub, view.candidates)
            check_dir(sub.out, out)  # a planted link at <out>/<table>: refused before anything runs
            check_runnable(bench, sub)  # every strategy on every table, before the first table runs
        except ConfigError as exc:
            raise ConfigError(f"table {t}: {exc}") from None
        test = np.asarray(bench.query_many(view.candidates, sub.protocol.test_metric, None, "mean"), dtype=float)
        benches[t] = bench
        optimum[t], median[t] = float(np.nanmax(test)), float(np.nanmedian(test))
    budgets = {t: subs[t].budget.to_dict() for t in tables}
    shared = budgets[tables[0]] if all(b == budgets[tables[0]] for b in budgets.values()) else {}
    tests = {subs[t].protocol.test_metric for t in tables}
    if config.executor == "ray":  # connect (or refuse: no Ray, no cluster) before writing anything
        connect(config.address, ConfigError)
    manifest = {"tables": [{"table": t, "dir": n, "optimum": optimum[t], "median": median[t],
                            "protocol": subs[t].protocol.to_dict(), "budget": budgets[t]}
                           for t, n in zip(tables, names)],
                "test_metric": tests.pop() if len(tests) == 1 else "", "budget": shared,
                "protocol_source": budget_source(config),
                "normalised_regret": "(optimum - final test value) / (optimum - median test value over the table's cells)"}
    _check_manifest(out, manifest)
    check_writable([out / MANIFEST, out / AGGREGATE_CSV, out / AGGREGATE_JSON])
    with exclusive_dir(out, f"multi-table results directory {out}"):  # one writer; a refused one writes nothing
        return _run_locked(config, subs, out, benches, optimum, median, manifest)


def _check_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Refuse a directory whose manifest records other tables, test metric or budget (nothing is written)."""
    if not is_multitable_dir(out):
        return
    old = read_json(out / MANIFEST, "move the directory away or choose another one")
    if not isinstance(old, dict) or not isinstance(old.get("tables"), list):
        raise ConfigError(f"{out / MANIFEST}: not a multi-table manifest; move the directory away or choose another one")
    was = [e.get("table") if isinstance(e, dict) else e for e in old["tables"]]
    now = [e["table"] for e in manifest["tables"]]
    diff = [k for k in ("test_metric", "budget") if old.get(k) != manifest[k]]
    if was != now or diff:
        what = f"tables {', '.join(map(str, was))}" if was != now else ", ".join(diff)
        raise ConfigError(f"{out} holds a multi-table comparison of other {what}; choose another directory")


def _run_locked(config: ExperimentConfig, subs: dict[str, ExperimentConfig], out: Path, benches: dict,
                optimum: dict[str, float], median: dict[str, float], manifest: dict[str, Any]) -> MultiResults:
    """`run_tables` after every check, with `out` locked; `subs`: each table's own configuration."""
    tables = list(subs)
    for t in tables:  # again under the lock: another writer may have finished meanwhile
        try:
            check_results_dir(Path(subs[t].out), subs[t])
        except ConfigError as exc:
            raise ConfigError(f"table {t}: {exc}") from None
    _write_json(out / MANIFEST, manifest)  # first: an interrupted run is resumed as a multi-table directory
    dirs = {}
    for t in tables:
        try:
            dirs[t] = run_comparison(subs[t], benches[t])
        except ConfigError as exc:
            raise ConfigError(f"table {t}: {exc}") from None
        except Interrupted as exc:  # the finished tables' runs are kept too
            raise interrupted(exc, (exc.kept or 0) + len(dirs) * config.runs * len(config.strategies)) from None
        benches[t] = None  # free it
    multi = MultiResults(out, tables, dirs, optimum, median, manifest["budget"],
                         {e["table"]: e["budget"] for e in manifest["tables"]})
    write_aggregate(multi)
    return multi


def table_config(config: ExperimentConfig, table: str, out: str) -> ExperimentConfig:
    """One table's part of a multi-table `config` (protocol and budget: the config's, else the table's preset).

    Args:
        config: the multi-table config.
        table: one of its tables.
        out: that table's results directory.

    Returns:
        The table's config.

    Raises:
        ConfigError: when the table's config is invalid (the message names the table).
    """
    try:
        return dataclasses.replace(config, table=table, out=out)
    except ConfigError as exc:
        raise ConfigError(f"table {table}: {exc}") from None


def budget_source(config: ExperimentConfig) -> str:
    """In words, where a multi-table config's protocol and budget come from.

    Args:
        config: the multi-table config.

    Returns:
        One line, "protocol: ...; budget: ...".
    """
    proto = ("given, on every table" if config.protocol is not None
             else f"each table's {config.preset} preset (none: its last epoch's valid_acc)")
    budget = (f"given ({config.budget.amount:g} {config.budget.kind}, on every table)" if config.budget is not None
              else "each table's preset (none: 100 queries)" if config.protocol is None
              else "100 queries on every table")
    return f"protocol: {proto}; budget: {budget}"


def open_multi(path: str | os.PathLike) -> MultiResults:
    """Open a finished multi-table results directory.

    Args:
        path: the directory.

    Returns:
        Its results.

    Raises:
        ConfigError: when `path` is not a multi-table results directory or its manifest is bad.
    """
    p = Path(path)
    if not is_multitable_dir(p):
        raise ConfigError(f"{p} is not a multi-table results directory (no {MANIFEST})")
    m = read_json(p / MANIFEST, "rerun the same `nasbench compare` with --resume to rewrite it")
    _check_manifest_fields(p / MANIFEST, m)
    tables = [e["table"] for e in m["tables"]]
    return MultiResults(p, tables, {e["table"]: open_results(p / e["dir"]) for e in m["tables"]},
                        {e["table"]: float(e["optimum"]) for e in m["tables"]},
                        {e["table"]: float(e["median"]) for e in m["tables"]}, m.get("budget", {}),
                        {e["table"]: e["budget"] for e in m["tables"] if e.get("budget")})


def _check_manifest_fields(path: Path, m: Any) -> None:
    """Refuse a manifest with missing or mistyped fields, or a table folder not a plain name."""
    fix = "rerun the same `nasbench compare` with --resume to rewrite it"
    ok = isinstance(m, dict) and isinstance(m.get("tables"), list) and len(m["tables"]) >= 1
    for e in m.get("tables", []) if ok else []:
        ok = ok and isinstance(e, dict) and isinstance(e.get("table"), str) and isinstance(e.get("dir"), str) \
            and all(isinstance(e.get(k), (int, float)) and not isinstance(e.get(k), bool) for k in ("optimum", "median"))
        if ok and (e["dir"] in (".", "..") or not re.fullmatch(r"[A-Za-z0-9_.+-]+", e["dir"])):
            raise ConfigError(f"{path}: table folder {e['dir']!r} is not a folder name inside {path.parent}; {fix}")
    if not ok:
        raise ConfigError(f"{path}: not a multi-table manifest (a list of tables, each with table, dir, optimum and "
                          f"median); {fix}")


def _write_json(path: Path, obj: Any) -> None:
    atomic_write(path, json.dumps(obj, indent=2), path.parent)


# -- the aggregate -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Aggregate:
    """`per_table`: one row per (table, strategy); `table`: one row per strategy (aggregate.csv);
    `cd`: Friedman test and Nemenyi critical difference over tables (None with fewer than 2
    strategies); `nemenyi`: (better, worse) pairs whose mean ranks differ by more than the CD."""

    per_table: Any
    table: Any
    cd: Any
    nemenyi: list[tuple[str, str]]
    labels: list[str]


def strategy_labels(multi: MultiResults) -> list[str]:
    """The strategies' labels, in the order of the comparison's config.

    Args:
        multi: the multi-table results.

    Returns:
        The labels.
    """
    first = multi.dirs[multi.tables[0]]
    return [s["label"] for s in first.config["strategies"]]


def normalised_regret(values: np.ndarray, optimum: float, median: float) -> np.ndarray:
    """Normalised regret `(optimum - value) / (optimum - median)`: 0 the best cell, 1 a median cell.

    Args:
        values: test values.
        optimum: the table's best test value.
        median: the table's median test value.

    Returns:
        The regrets; NaN where the table's optimum equals its median.
    """
    span = optimum - median
    with np.errstate(all="ignore"):
        return (optimum - np.asarray(values, dtype=np.float64)) / span if span > 0 else np.full(np.shape(values), np.nan)


def aggregate(multi: MultiResults) -> Aggregate:
    """Aggregate a multi-table comparison: regrets and ranks per table, and the tests over tables.

    Args:
        multi: the multi-table results.

    Returns:
        The aggregate.
    """
    import pandas as pd

    from ..stats.significance import critical_difference

    labels = strategy_labels(multi)
    rows = []
    for t in multi.tables:
        fin = final_rows(multi.frame(t))
        for k in labels:
            v = fin.loc[fin.strategy == k, "incumbent_test"].to_numpy(dtype=np.float64)
            q = fin.loc[fin.strategy == k, "step"].to_numpy(dtype=np.float64)
            nr = normalised_regret(v, multi.optimum[t], multi.median[t])
            rows.append({"table": t, "strategy": k, "runs": int(np.isfinite(v).sum()),
                         "test_mean": float(np.nanmean(v)) if np.isfinite(v).any() else np.nan,
                         "norm_regret_mean": float(np.nanmean(nr)) if np.isfinite(nr).any() else np.nan,
                         "queries_mean": float(np.mean(q)) if len(q) else np.nan})
    per = pd.DataFrame(rows)
    scores = per.pivot(index="table", columns="strategy", values="test_mean").reindex(index=multi.tables,
                                                                                        columns=labels)
    ranks = scores.rank(axis=1, ascending=False, method="average")  # 1 = best on that table
    per["rank"] = [ranks.loc[t, k] for t, k in zip(per.table, per.strategy)]
    agg = pd.DataFrame(index=pd.Index(labels, name="strategy"))
    agg["tables"] = scores.notna().sum(axis=0)
    agg["mean_rank"] = ranks.mean(axis=0)
    agg["norm_regret_mean"] = per.groupby("strategy")["norm_regret_mean"].mean().reindex(labels)
    for col in ("rank", "norm_regret_mean", "test_mean", "queries_mean"):
        wide = per.pivot(index="strategy", columns="table", values=col).reindex(index=labels)
        for t in multi.tables:
            agg[f"{col.replace('_mean', '') if col == 'norm_regret_mean' else col}:{t}"] = wide[t]
    cd, nemenyi = None, []
    complete = scores.dropna()
    if len(labels) >= 2 and len(complete) >= 2:
        cd = critical_difference(complete.to_numpy(), labels)
        if cd.friedman_p < 0.05:
            for i, a in enumerate(labels):
                for j, b in enumerate(labels):
                    if cd.mean_ranks[j] - cd.mean_ranks[i] > cd.cd:
                        nemenyi.append((a, b))
    return Aggregate(per, agg, cd, nemenyi, labels)


def write_aggregate(multi: MultiResults) -> Aggregate:
    """Write `aggregate.csv` and `aggregate.json` into the multi-table directory (atomically).

    Args:
        multi: the multi-table results.

    Returns:
        The aggregate written.
    """
    agg = aggregate(multi)
    atomic_write(multi.path / AGGREGATE_CSV, agg.table.to_csv(), multi.path)
    cd = agg.cd
    _write_json(multi.path / AGGREGATE_JSON, {
        "tables": multi.tables, "strategies": agg.labels,
        "mean_rank": {k: float(v) for k, v in agg.table["mean_rank"].items()},
        "friedman": None if cd is None else {"statistic": cd.friedman_stat, "p": cd.friedman_p, "n_tables": cd.n,
                                             "test": "Friedman" if len(agg.labels) >= 3 else "Wilcoxon signed-rank"},
        "nemenyi_cd": None if cd is None else cd.cd,
        "nemenyi_better": [list(p) for p in agg.nemenyi]})
    return agg


def format_aggregate(multi: MultiResults, agg: Aggregate | None = None) -> str:
    """The aggregate as a table, and the Friedman / Nemenyi result in words.

    Args:
        multi: the multi-table results.
        agg: the aggregate (None: computed from `multi`).

    Returns:
        The text.
    """
    agg = agg or aggregate(multi)
    short = {t: table_dir_name(t) for t in multi.tables}
    width = max(8, *(len(s) for s in short.values()))
    head = f"{'strategy':<14}{'mean rank':>10}{'norm. regret':>14}" + "".join(f"{'rank ' + short[t]:>{width + 7}}"
                                                                             for t in multi.tables)
    lines = [f"across {len(multi.tables)} tables (normalised regret: 0 = the table's best cell, 1 = its median cell)",
             head]
    for k, r in agg.table.iterrows():
        lines.append(f"{k:<14}{r.mean_rank:>10.2f}{r.norm_regret_mean:>14.3f}"
                     + "".join(f"{r[f'rank:{t}']:>{width + 7}.1f}" for t in multi.tables))
    cd = agg.cd
    if cd is None:
        lines.append("no test over tables: it needs at least 2 strategies and 2 tables with results")
        return "\n".join(lines)
    test = "Friedman test" if len(agg.labels) >= 3 else "Wilcoxon signed-rank test"
    p = "p<0.001" if cd.friedman_p < 0.001 else f"p={cd.friedman_p:.2g}"
    if cd.friedman_p < 0.05:
        lines.append(f"the strategies' ranks differ across the {cd.n} tables ({test} over tables, {p})")
        for a, b in agg.nemenyi:
            i, j = agg.labels.index(a), agg.labels.index(b)
            lines.append(f"  {a} ranks better than {b} across tables (mean rank {cd.mean_ranks[i]:.2f} vs "
                         f"{cd.mean_ranks[j]:.2f}; Nemenyi critical difference {cd.cd:.2f})")
        if not agg.nemenyi:
            lines.append(f"  but no single pair's mean ranks differ by more than the Nemenyi critical difference "
                         f"{cd.cd:.2f}")
    else:
        lines.append(f"no detectable difference in the strategies' ranks across the {cd.n} tables ({test} over "
                     f"tables, {p}; with {cd.n} tables only large, consistent differences can show)")
    return "\n".join(lines)


# -- curves ------------------------------------------------------------------------------------
BUDGET_AXIS = {"queries": "step", "seconds": "sim_time", "epochs": "epochs", "worker-seconds": "sim_time"}


def normalised_curves(multi: MultiResults, points: int = 100) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Mean normalised regret of the incumbent over runs, on each table, along the budget.

    Args:
        multi: the multi-table results.
        points: the number of points on the grid of budget fractions.

    Returns:
        The grid (fractions of each table's own budget), and for each label an array of shape
        (tables, grid): NaN until every run on the table has an incumbent.
    """
    from ..stats.curve_stats import anytime

    grid = np.linspace(0.01, 1.0, points)
    labels = strategy_labels(multi)
    out = {k: np.full((len(multi.tables), points), np.nan) for k in labels}
    for ti, t in enumerate(multi.tables):
        budget = multi.budget_of(t)  # each table's own budget: the tables' budgets may differ
        amount = float(budget.get("amount", 0)) or None
        x = BUDGET_AXIS.get(budget.get("kind", "queries"), "step")
        frame = multi.frame(t)
        total = amount or float(frame[x].max())
        curves = anytime(frame, x, grid * total)
        for k in labels:
            if k in curves:
                nr = normalised_regret(curves[k], multi.optimum[t], multi.median[t])
                out[k][ti] = nr.mean(axis=0)  # NaN while some run has no incumbent
    return grid, out


__all__ = ["AGGREGATE_CSV", "AGGREGATE_JSON", "Aggregate", "DEFAULT_OUT", "budget_source", "MANIFEST", "MultiResults", "aggregate",
           "default_config", "format_aggregate",
           "is_multi", "is_multitable_dir", "join_tables", "normalised_curves", "normalised_regret", "open_multi",
           "run_tables", "split_tables", "table_config", "table_dir_name", "write_aggregate"]

"""A results directory on disk and what is read back from it: `ResultsDir`, the checked
`results.csv` reader, the run files (written with their checksum line, read back verified:
`finished_runs`), the checks before a comparison writes (`check_results_dir`,
`check_planted`), the final incumbents and the per-strategy summary. The runner that writes
it is `nasbench.search.runner`; the layout is described there."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..util.atomic import check_dir, check_target, check_writable
from ..util.checksummed import DamagedFile, read_json, read_run_file, sha256_bytes, write_run_file
from .config import COLUMNS, ConfigError, ExperimentConfig, StrategySpec

# -- results directory -------------------------------------------------------------------------
@dataclass
class ResultsDir:
    """A results directory on disk."""

    path: Path

    @property
    def config(self) -> dict[str, Any]:
        return read_json(self.path / "config.json", _FIX)

    @property
    def provenance(self) -> dict[str, Any]:
        return read_json(self.path / "provenance.json", _FIX)

    @property
    def table_path(self) -> Path:
        return self.path / "results.csv"

    def frame(self):
        """The tidy table, checked (`read_results_csv`) and, where `provenance.json`
        records them, against its row count and SHA-256."""
        rec = self.provenance.get("results_file")
        return read_results_csv(self.table_path, rec if isinstance(rec, dict) else None)

    def run_file(self, label: str, run: int) -> Path:
        """The path of one run's file.

        Args:
            label: the strategy's label.
            run: the run number.

        Returns:
            `runs/<label>/<run, five digits>.csv` under the directory.
        """
        return self.path / "runs" / label / f"{run:05d}.csv"


_INT_COLUMNS = ("run", "step", "cell", "incumbent")


_FIX = "rerun the same `nasbench compare` with --resume to rebuild it from the run files"


def read_results_csv(path: str | os.PathLike, expect: dict[str, Any] | None = None):
    """A `results.csv` as a DataFrame, refusing (ConfigError naming the file, line and column) a
    file cut short, a row with missing or extra fields, a non-number in a numeric column, and a
    missing or fractional run, step or cell number.

    Args:
        path: the file.
        expect: `{"rows": n, "sha256": hex}` as `provenance.json` records it (`results_file`):
            a file with other rows or bytes (cut at a line boundary, altered) is refused too.

    Returns:
        The table as a pandas DataFrame.

    Raises:
        ConfigError: on a cut, empty, malformed or incomplete file (naming it).
    """
    import pandas as pd

    path = Path(path)
    raw = path.read_bytes()
    text = raw.decode()
    fix = _FIX
    if text and not text.endswith("\n"):
        raise ConfigError(f"{path}: the last line is cut short (an interrupted write?); {fix}")
    lines = text.split("\n")[:-1]
    if not lines:
        raise ConfigError(f"{path}: empty file; {fix}")
    n = lines[0].count(",")
    for i, line in enumerate(lines[1:], start=2):
        if line.count(",") != n:
            raise ConfigError(f"{path}: line {i} has {line.count(',') + 1} fields, the header {n + 1}; {fix}")
    try:
        df = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ConfigError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ConfigError(f"{path}: no column(s) {', '.join(missing)}; a results table has {', '.join(COLUMNS)}")
    for c in df.columns:
        if c == "strategy" or (c not in COLUMNS and not c.startswith("obj_")):
            continue
        col = df[c]
        if col.dtype.kind not in "iuf":
            num = pd.to_numeric(col, errors="coerce")
            bad = np.flatnonzero(num.isna().to_numpy() & col.notna().to_numpy())
            if len(bad):
                raise ConfigError(f"{path}: line {bad[0] + 2}, column {c}: {col.iloc[bad[0]]!r} is not a number")
            df[c] = col = num
        if c in _INT_COLUMNS:
            v = col.to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(v) | (v != np.round(v)))
            if len(bad):
                x = col.iloc[bad[0]]
                raise ConfigError(f"{path}: line {bad[0] + 2}, column {c}: {getattr(x, 'item', lambda: x)()!r} "
                                  "is not a whole number")
            df[c] = col.astype(np.int64)
    rows = len(lines) - 1
    # last: the checks above name the line where a damage shows; a table of no rows is refused as
    # holding no runs by every reader, whatever provenance.json records
    if expect is not None and rows > 0:
        if "rows" in expect and rows != expect["rows"]:
            raise ConfigError(f"{path}: {rows} rows where provenance.json records {expect['rows']} (cut or altered); "
                              f"{fix}")
        if "sha256" in expect and sha256_bytes(raw) != expect["sha256"]:
            raise ConfigError(f"{path}: content does not match the SHA-256 provenance.json records (altered); {fix}")
    return df


# -- writing and resuming ---------------------------------------------------------------------
def check_results_dir(out: str | os.PathLike, config: ExperimentConfig) -> None:
    """Refuse (ConfigError) a directory that is not empty and not a results directory, holds
    results of another config, or of this one without `config.resume`; nothing is written.

    Args:
        out: the results directory.
        config: the comparison to run into it.
    """
    _check_dir(Path(out), config)


def _check_dir(out: Path, config: ExperimentConfig) -> None:
    """Refuse to mix results of different configs; same config needs resume=True."""
    cfg_file = out / "config.json"
    if not out.exists() or not any(out.iterdir()):
        return
    if not cfg_file.is_file():
        raise ConfigError(f"{out} exists and is not a results directory; choose an empty or new directory")
    old = read_json(cfg_file, "move the directory away or choose another one")
    if not isinstance(old, dict) or not isinstance(old.get("strategies", []), list) or \
            not all(isinstance(s, dict) and "label" in s for s in old.get("strategies", [])):
        raise ConfigError(f"{cfg_file}: not the config of a comparison (altered?); move the directory away or choose "
                          "another one")
    new = json.loads(json.dumps(config.identity()))
    diff = [k for k in new if k != "runs" and k != "strategies" and old.get(k) != new.get(k)]
    old_s = {s["label"]: s for s in old.get("strategies", [])}
    diff += [f"strategies.{s['label']}" for s in new["strategies"] if s["label"] in old_s and old_s[s["label"]] != s]
    if diff:
        raise ConfigError(f"{out} holds results of another config (differs in: {', '.join(diff)}); "
                          "choose another directory")
    if not config.resume:
        raise ConfigError(f"{out} already holds results of this config; pass resume to continue it "
                          "(finished runs are kept) or choose another directory")


def write_run(path: Path, cols: dict[str, list], root: Path) -> None:
    """Write a run file atomically: a plain CSV (floats as repr, which round-trips) and its checksum line.

    Args:
        path: the run file.
        cols: the run's columns, by name.
        root: the results directory.
    """
    names = list(cols)
    body = "\n".join(",".join(map(repr, row)) for row in zip(*cols.values())).replace("'", "")
    write_run_file(path, ",".join(names) + "\n" + body + ("\n" if body else ""), root)


def check_planted(res: ResultsDir, config: ExperimentConfig, todo: list[tuple[StrategySpec, int]],
                  more: tuple[str, ...] = ()) -> None:
    """Refuse a symbolic link (or special file) planted at a folder or file a comparison will
    write, or at its temporary name, naming it; called before anything is written.

    Args:
        res: the results directory.
        config: the comparison.
        todo: the (strategy, run) pairs whose run files it will write.
        more: the names of further files it writes into the directory.
    """
    for s in config.strategies:
        check_dir(res.run_file(s.label, 0).parent, res.path)
    check_writable([res.run_file(s.label, r) for s, r in todo] +
                   [res.path / n for n in ("config.json", "provenance.json", "results.csv", *more)])


def finished_runs(res: ResultsDir, config: ExperimentConfig
                  ) -> tuple[dict[tuple[str, int], str], list[tuple[StrategySpec, int]]]:
    """The finished runs of `config` in `res` and the runs still to do. A run file cut short,
    altered or without its checksum line is to do again, said in one line on stderr.

    Args:
        res: the results directory.
        config: the comparison.

    Returns:
        ({(label, run): CSV text} of the whole run files, [(strategy, run) still to do]).
    """
    kept: dict[tuple[str, int], str] = {}
    todo: list[tuple[StrategySpec, int]] = []
    damaged: list[str] = []
    for s in config.strategies:
        for r in range(config.runs):
            f = res.run_file(s.label, r)
            if not os.path.lexists(f):
                todo.append((s, r))
                continue
            check_target(f)  # a folder, FIFO or device there: refused (a FIFO would hang the read)
            try:
                if not os.path.isfile(f):  # a link to anything but a regular file: redone (the link replaced)
                    raise DamagedFile(f"{f}: a link to no regular file")
                kept[(s.label, r)] = read_run_file(f)
            except DamagedFile as exc:
                damaged.append(str(exc))
                todo.append((s, r))
    if damaged:
        more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
        print(f"nasbench compare: {damaged[0]}{more}; redoing {'that run' if not more else 'those runs'}",
              file=sys.stderr)
    return kept, todo


def open_results(path: str | os.PathLike) -> ResultsDir:
    """Open a finished results directory.

    Args:
        path: the directory.

    Returns:
        The results directory.

    Raises:
        ConfigError: when `config.json`, `provenance.json` or `results.csv` is missing.
    """
    p = Path(path)
    for f in ("config.json", "provenance.json", "results.csv"):
        if not (p / f).is_file():
            raise ConfigError(f"{p} is not a finished results directory (no {f})")
    return ResultsDir(p)



def final_rows(frame):
    """The last row of every (strategy, run): the final incumbent.

    Args:
        frame: the results' data frame.

    Returns:
        rows (pandas.DataFrame): one row per (strategy, run).
    """
    return frame.sort_values(["strategy", "run", "step"]).groupby(["strategy", "run"], sort=False).tail(1)


def summarise(results: ResultsDir | str | os.PathLike):
    """Summarise a comparison: one row per strategy.

    The columns: runs, mean/sample std (ddof 1)/s.e. of the final incumbent's test value, its
    regret, mean queries, mean simulated time, how often the best cell was found (`found_best`:
    the table's best cell itself), how many different cells the runs ended on (`distinct_finals`)
    and the share of runs whose final incumbent has the optimum's test value (`optimum_share`;
    cells that tie the optimum count), so that convergence to one cell is visible.

    Args:
        results: a results directory, or its path.

    Returns:
        summary (pandas.DataFrame): one row per strategy, indexed by strategy in the config's order.

    Raises:
        ConfigError: when a path is not a finished results directory.
    """
    import pandas as pd

    res = results if isinstance(results, ResultsDir) else open_results(results)
    df = res.frame()
    prov = res.provenance
    best = prov["optimum"]["best_test"]
    order = [s["label"] for s in prov["config"]["strategies"]]
    fin = final_rows(df)
    g = fin.groupby("strategy")
    out = pd.DataFrame({
        "runs": g.size(),
        "test_mean": g["incumbent_test"].mean(),
        "test_std": g["incumbent_test"].std(ddof=1),  # sample std, as in summary.tex and the literature
        "test_se": g["incumbent_test"].sem(),
        "regret_mean": best - g["incumbent_test"].mean(),
        "valid_mean": g["incumbent_valid"].mean(),
        "queries_mean": g["step"].mean(),
        "sim_time_mean": g["sim_time"].mean(),
        "found_best": g["incumbent"].apply(lambda s: float(np.mean(s == prov["optimum"]["best_test_cell"]))),
        "distinct_finals": g["incumbent"].nunique(),
        "optimum_share": g["incumbent_test"].apply(lambda s: float(np.mean(s.to_numpy() >= best - 1e-9))),
    })
    return out.reindex([o for o in order if o in out.index])


def format_summary(summary, optimum: float | None = None) -> str:
    """The summary as a text table.

    Args:
        summary: `summarise`'s data frame.
        optimum: the table's best test value, shown when given.

    Returns:
        The text.
    """
    extra = "distinct_finals" in summary.columns and "optimum_share" in summary.columns
    head = ("strategy", "runs", "test mean", "± std", "regret", "queries", "sim time") + (
        ("final cells", "on optimum") if extra else ())
    widths = [14, 5, 11, 8, 9, 9, 11] + ([12, 11] if extra else [])
    rows = [(str(name), f"{int(r.runs)}", f"{r.test_mean:.3f}", f"{r.test_std:.3f}", f"{r.regret_mean:.3f}",
             f"{r.queries_mean:.1f}", f"{r.sim_time_mean:.0f}")
            + ((f"{int(r.distinct_finals)}", f"{100 * r.optimum_share:.0f}%") if extra else ())
            for name, r in summary.iterrows()]
    for row in rows:  # wide values widen their column; at least one space between columns
        widths = [max(w, len(v) + 1) for w, v in zip(widths, row)]

    def line(cells) -> str:
        return "".join(f"{v:<{w}}" if i == 0 else f"{v:>{w}}" for i, (v, w) in enumerate(zip(cells, widths)))

    lines = [line(head)] + [line(row) for row in rows]
    if optimum is not None:
        lines.append(f"optimum test {optimum:.3f}")
    return "\n".join(lines)

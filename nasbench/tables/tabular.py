"""The tabular benchmark in memory: one tensor per metric, rows x runs x epochs.

This is the object that `nasbench.load` returns for a table; it implements the contract of
`nasbench.tables.benchmark.Benchmark` from recorded arrays.
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

import numpy as np

from .benchmark import Benchmark, FreshRunPrediction, Query, QueryError, TableMeta
from ..util.checks import quiet_nan_stats
from .fileformat import TableError
from .noise import fresh_seed_estimate
from .query_errors import UnknownEpoch, UnknownMetric
from ..space import N_CELLS, CellLike, get_space, ops_table
from .table_hash import table_sha256
from .table_summary import summarise_table


class TabularBenchmark(Benchmark):
    """A benchmark answered from recorded arrays, one per metric (rows x runs x epochs).

    The contract's public methods check every query; this class implements its lookups on the
    arrays (`_lookup`, `_runs`, ...), each given a checked `Query`. The arrays stay available
    under the argument names below.

    Args:
        meta: what the table says about itself (space, dataset, recipe, `extra`).
        arch_row: (15,625,) the row holding each cell, -1 where not covered.
        row_arch: (rows,) the cell each row holds.
        seeds: the nominal seeds, one per run slot.
        epochs: the recorded epoch numbers, 1-based and increasing.
        metrics: metric name -> float array (rows, runs, epochs), NaN where a run is missing; a
            metric in `mean_only` has one run slot holding the mean over seeds (published data
            that gives only means).
        run_seed: (rows, runs) the seed of each run slot, -1 where the seed is not recorded;
            None: every row has the nominal seeds.
        mean_only: the metrics held only as seed means.
        params: parameters per row, or None.
        flops: FLOPs per row, or None.
        latency: device -> latency per row.
        name: the table's name (default: the dataset of `meta`).
        sha256: the content's hash (`read_table` sets the recomputed one and `stored_sha256`).
        proxies: proxy name -> a zero-cost proxy per row (NaN where not computed), served by
            `query` as a metric of no epoch and no seed (see `nasbench.zero_cost`).
        proxy_seconds: proxy name -> the seconds its computation took for the row's cell (NaN
            where not recorded), served by `proxy_cost_many`.

    Raises:
        TableError: indices or shapes that disagree (a row pointer past the rows, a metric of
            another shape, repeated seeds, epochs that do not increase ...).
    """

    kind: ClassVar[str] = "table"

    def __init__(
        self,
        meta: TableMeta,
        arch_row: np.ndarray,
        row_arch: np.ndarray,
        seeds: np.ndarray,
        epochs: np.ndarray,
        metrics: dict[str, np.ndarray],
        run_seed: np.ndarray | None = None,
        mean_only: Sequence[str] = (),
        params: np.ndarray | None = None,
        flops: np.ndarray | None = None,
        latency: dict[str, np.ndarray] | None = None,
        name: str = "",
        sha256: str = "",
        proxies: dict[str, np.ndarray] | None = None,
        proxy_seconds: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.meta = meta
        self.space = get_space(meta.space)
        self.space_name = meta.space
        self.name = name or meta.dataset
        self.sha256 = sha256
        self.stored_sha256 = sha256  # read_table: the file's own, where sha256 is recomputed
        self.arch_row = np.asarray(arch_row, dtype=np.int64)
        self.row_arch = np.asarray(row_arch, dtype=np.int64)
        self.seeds = np.asarray(seeds, dtype=np.int64)
        self.epochs = np.asarray(epochs, dtype=np.int64)
        n_rows = len(self.row_arch)
        if self.arch_row.shape != (N_CELLS,):
            raise TableError(f"arch_row must have {N_CELLS} entries, got {self.arch_row.shape}")
        self.metrics = {k: np.asarray(v, dtype=np.float64) for k, v in metrics.items()}
        self.mean_only = frozenset(mean_only)
        for k, v in self.metrics.items():
            runs = 1 if k in self.mean_only else len(self.seeds)
            if v.shape != (n_rows, runs, len(self.epochs)):
                raise TableError(f"metric {k!r} has shape {v.shape}, expected {(n_rows, runs, len(self.epochs))}")
        self.run_seed = (
            np.broadcast_to(self.seeds, (n_rows, len(self.seeds))).copy()
            if run_seed is None else np.asarray(run_seed, dtype=np.int64)
        )
        self.params = None if params is None else np.asarray(params, dtype=np.float64)
        self.flops = None if flops is None else np.asarray(flops, dtype=np.float64)
        self.latency = {k: np.asarray(v, dtype=np.float64) for k, v in (latency or {}).items()}
        self.proxies = {k: np.asarray(v, dtype=np.float64) for k, v in (proxies or {}).items()}
        self.proxy_seconds = {k: np.asarray(v, dtype=np.float64) for k, v in (proxy_seconds or {}).items()}
        self._check_layout()
        self._epoch_pos = {int(e): i for i, e in enumerate(self.epochs)}
        self._seed_pos = {int(s): i for i, s in enumerate(self.seeds)}
        self._last = len(self.epochs) - 1
        self._mean_cache: dict[str, np.ndarray] = {}
        self._avail_cache: dict[str, np.ndarray] = {}
        self._slot_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._col_cache: dict[tuple[str, int], np.ndarray] = {}

    def _check_layout(self) -> None:
        """Check that indices and shapes agree, so that no query can index past an array.

        Every `arch_row` entry is -1 or a row, every row's own cell (`row_arch`) points back to
        it, one seed per run slot, increasing epochs, per-row arrays of one entry per row.
        """
        ar, ra, n = self.arch_row, self.row_arch, len(self.row_arch)
        for k, v in (("row_arch", ra), ("seeds", self.seeds), ("epochs", self.epochs)):
            if v.ndim != 1:
                raise TableError(f"{k} must be 1-D, got shape {v.shape}")
        bad = np.flatnonzero((ar < -1) | (ar >= n))
        if len(bad):
            i = int(bad[0])
            raise TableError(f"arch_row[{i}] = {int(ar[i])} points outside the {n} rows (allowed: -1 or 0..{n - 1})")
        bad = np.flatnonzero((ra < 0) | (ra >= N_CELLS))
        if len(bad):
            raise TableError(f"row_arch[{int(bad[0])}] = {int(ra[bad[0]])} is not a cell index (0..{N_CELLS - 1})")
        bad = np.flatnonzero(ar[ra] != np.arange(n))
        if len(bad):
            r = int(bad[0])
            raise TableError(f"row {r} holds cell {int(ra[r])} (row_arch), but arch_row[{int(ra[r])}] = {int(ar[ra[r]])}")
        if len(np.unique(self.seeds)) != len(self.seeds):
            raise TableError(f"seeds repeat: {self.seeds.tolist()}")
        if len(self.epochs) and (self.epochs[0] < 1 or (np.diff(self.epochs) <= 0).any()):
            raise TableError(f"epochs must increase from 1 or more, got {self.epochs.tolist()}")
        if self.run_seed.shape != (n, len(self.seeds)):
            raise TableError(f"run_seed has shape {self.run_seed.shape}, expected {(n, len(self.seeds))}")
        per_row = {"params": self.params, "flops": self.flops, **{f"latency/{k}": v for k, v in self.latency.items()},
                   **{f"proxies/{k}": v for k, v in self.proxies.items()},
                   **{f"proxy_seconds/{k}": v for k, v in self.proxy_seconds.items()}}
        for k, v in per_row.items():
            if v is not None and v.shape != (n,):
                raise TableError(f"{k} has shape {v.shape}, expected ({n},) (one per row)")

    # -- what is in the table -------------------------------------------------------------
    @property
    def metric_names(self) -> tuple[str, ...]:
        """The metrics the table holds (the keys of `metrics`)."""
        return tuple(self.metrics)

    @property
    def n_rows(self) -> int:
        """The number of rows (one recorded result each)."""
        return len(self.row_arch)

    @property
    def covered(self) -> np.ndarray:
        """Official indices of the cells this table answers for (increasing)."""
        return np.nonzero(self.arch_row >= 0)[0]

    @property
    def proxy_names(self) -> tuple[str, ...]:
        """The zero-cost proxies this table holds (`query` serves each as a metric)."""
        return tuple(self.proxies)

    @property
    def timed_proxy_names(self) -> tuple[str, ...]:
        """The proxies whose compute seconds the table records (`proxy_seconds/<name>`)."""
        return tuple(self.proxy_seconds)

    def __repr__(self) -> str:
        return (f"TabularBenchmark({self.name!r}, space={self.space_name}, dataset={self.meta.dataset}, "
                f"cells={len(self.covered)}, rows={self.n_rows}, seeds={self.seeds.tolist()}, "
                f"epochs={self.epochs[0]}..{self.epochs[-1]} ({len(self.epochs)}))")


    # -- the lookups of the contract (arguments checked by Benchmark) -------------------------
    def _locate(self, idx: np.ndarray) -> np.ndarray:
        return self.arch_row.take(idx)

    def _locate_one(self, idx: int) -> int:
        return int(self.arch_row[idx])

    def _lookup(self, rows: np.ndarray, q: Query) -> np.ndarray:
        if q.proxy:
            return self.proxies[q.metric].take(rows)  # at initialisation: no epoch, no seed
        e = self._epoch_pos[q.epoch]
        if q.seed == "mean":
            return self._mean_column(q.metric, e).take(rows)
        arr = self.metrics[q.metric]
        if q.seed == "random":
            return arr[rows, self._random_slots(rows, q.metric, q.rng), e]
        return self._by_seed(arr, rows, q.metric, int(q.seed), e)

    def _lookup_one(self, row: int, q: Query) -> float:
        if q.proxy:
            return float(self.proxies[q.metric][row])
        e = self._epoch_pos[q.epoch]
        if q.seed == "mean":
            return float(self._mean(q.metric)[row, e])
        arr = self.metrics[q.metric]
        if q.seed == "random":
            return float(arr[row, self._random_slot(row, q.metric, q.rng), e])
        return float(self._by_seed(arr, np.array([row]), q.metric, int(q.seed), e)[0])

    def _runs(self, rows: np.ndarray, q: Query) -> np.ndarray:
        """(len(cells), run slots) of the recorded runs; one slot for a mean-only metric."""
        return np.asarray(self.metrics[q.metric][rows, :, self._epoch_pos[q.epoch]], dtype=np.float64)

    def _run_seeds(self, rows: np.ndarray) -> np.ndarray:
        return self.run_seed[rows]

    def _objective(self, rows: np.ndarray, name: str) -> np.ndarray:
        if name == "params" and self.params is not None:
            return self.params[rows]
        if name == "flops" and self.flops is not None:
            return self.flops[rows]
        return self.latency[name.split(":", 1)[1]][rows]

    def _proxy_seconds(self, rows: np.ndarray, name: str) -> np.ndarray:
        return self.proxy_seconds[name].take(rows)

    def _fresh_run_prediction(self, rows: np.ndarray, q: Query) -> FreshRunPrediction:
        """The seed mean, each cell's recorded sd, and the expectation on fresh seeds.

        The expectation is corrected for the winner's curse
        (`nasbench.tables.noise.fresh_seed_estimate`).
        """
        metric = q.metric
        mean = np.asarray(self._mean_column(metric, self._epoch_pos[q.epoch]).take(rows), dtype=np.float64)
        if metric in self.mean_only:  # no runs: nothing to pool or correct
            sd_all, runs = np.full(self.n_rows, np.nan), np.ones(len(rows))
        else:
            sd_all = self.seed_std(metric)
            runs = (~np.isnan(self.metrics[metric][rows, :, -1])).sum(axis=1).astype(float)
        est = fresh_seed_estimate(self.seed_mean(metric), sd_all, mean, runs)
        return FreshRunPrediction(mean=mean, sd=sd_all[rows], runs=runs, pooled=est.pooled_sd, pooled_src="table",
                                  expected=est.expected, pred_model_sd=np.zeros(len(rows)),
                                  n_sd_rows=int(np.isfinite(sd_all).sum()))

    # -- table-only helpers ---------------------------------------------------------------------
    def _metric(self, metric: str) -> np.ndarray:
        try:
            return self.metrics[metric]
        except (KeyError, TypeError):
            raise UnknownMetric(metric, self.kind, (*self.metrics, *self.proxies)) from None

    def _epoch(self, epoch: int | None) -> int:
        if epoch is None:
            return self._last
        try:
            return self._epoch_pos[int(epoch)]
        except (KeyError, TypeError, ValueError):
            raise UnknownEpoch(epoch, self.kind, self.held, self.epochs) from None

    def _mean(self, metric: str) -> np.ndarray:
        m = self._mean_cache.get(metric)
        if m is None:
            arr = self._metric(metric)
            with quiet_nan_stats():
                m = np.nanmean(arr, axis=1)
            self._mean_cache[metric] = m
        return m

    def _mean_column(self, metric: str, e: int) -> np.ndarray:
        """Contiguous seed means of one epoch: a 1-D gather is the fastest vectorised lookup."""
        key = (metric, e)
        col = self._col_cache.get(key)
        if col is None:
            col = self._col_cache[key] = np.ascontiguousarray(self._mean(metric)[:, e])
        return col

    def _by_seed(self, arr: np.ndarray, rows: np.ndarray, metric: str, seed: int, e: int) -> np.ndarray:
        slot = self._seed_pos[seed]
        vals = arr[rows, slot, e].copy()
        vals[self.run_seed[rows, slot] != seed] = np.nan  # seed not recorded for that row
        return vals

    def _random_slots(self, rows: np.ndarray, metric: str, rng: np.random.Generator) -> np.ndarray:
        """For each row, one of its recorded run slots, uniformly (one uniform draw per row)."""
        if metric in self.mean_only:
            return np.zeros(len(rows), dtype=np.int64)
        slots, counts = self._slot_table(metric)
        pick = (rng.random(len(rows)) * counts[rows]).astype(np.int64)
        return slots[rows, pick]

    def _random_slot(self, row: int, metric: str, rng: np.random.Generator) -> int:
        if metric in self.mean_only:
            return 0
        slots, counts = self._slot_table(metric)
        return int(slots[row, int(rng.random() * counts[row])])

    def _slot_table(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, runs) recorded slots first, and (rows,) how many are recorded.

        The count is at least 1, so that a row with no runs yields NaN rather than an error.
        """
        t = self._slot_cache.get(metric)
        if t is None:
            avail = self._available(metric)
            slots = np.argsort(~avail, axis=1, kind="stable")
            counts = np.maximum(avail.sum(axis=1), 1)
            t = self._slot_cache[metric] = (slots, counts)
        return t

    def _available(self, metric: str) -> np.ndarray:
        """(rows, runs): which run slots hold a value at the last epoch."""
        a = self._avail_cache.get(metric)
        if a is None:
            a = self._avail_cache[metric] = ~np.isnan(self._metric(metric)[:, :, -1])
        return a

    @property
    def objective_names(self) -> tuple[str, ...]:
        """The per-cell properties the table records: `params`, `flops`, then `latency:<device>`."""
        own = (("params",) if self.params is not None else ()) + (("flops",) if self.flops is not None else ())
        return own + tuple(f"latency:{d}" for d in sorted(self.latency))

    def content_sha256(self) -> str:
        """The SHA-256 that names the table's content.

        Returns:
            The stored hash, or for a table built in memory the hash its file would carry.
        """
        if self.sha256:
            return self.sha256
        return table_sha256(self)

    def result_key(self, cell: int) -> int:
        """The key of a cell's recorded result: its row.

        Args:
            cell: an official index.

        Returns:
            The row; -1 where the cell is not covered.
        """
        return int(self.arch_row[cell])

    def summary(self) -> Any:
        """What `nasbench info` prints.

        Returns:
            The table's summary (`nasbench.tables.table_summary.summarise_table`).
        """
        return summarise_table(self)

    def params_of(self, cell: CellLike) -> float:
        """The parameter count of one cell.

        Args:
            cell: a covered cell, as `query` takes it.

        Returns:
            Parameters (M).

        Raises:
            QueryError: the table records no params, or the cell is not covered.
        """
        if self.params is None:
            raise QueryError("this table records no params")
        return float(self.params[self._position(cell)])

    def to_frame(self, epoch: int | None = None):
        """The table as a pandas DataFrame, one row per covered cell.

        Args:
            epoch: the epoch of the metrics; None: the last.

        Returns:
            A DataFrame indexed by official index with the arch string, the row, the seed mean of
            every metric at `epoch`, the number of recorded runs, params, FLOPs and latencies
            (those recorded).

        Raises:
            QueryError: an epoch the table does not hold.
        """
        import pandas as pd
        from ..space import format_arch_str

        cov = self.covered
        rows = self.arch_row[cov]
        e = self._epoch(epoch)
        table = ops_table()
        data: dict[str, Any] = {
            "index": cov,
            "arch_str": [format_arch_str(table[i]) for i in cov],
            "row": rows,
        }
        for m in self.metrics:
            data[m] = self._mean(m)[rows, e]
        if "valid_acc" in self.metrics and "valid_acc" not in self.mean_only:
            data["n_runs"] = self._available("valid_acc")[rows].sum(axis=1)
        if self.params is not None:
            data["params"] = self.params[rows]
        if self.flops is not None:
            data["flops"] = self.flops[rows]
        for d, v in self.latency.items():
            data[f"latency_{d}"] = v[rows]
        return pd.DataFrame(data).set_index("index")

    def seed_mean(self, metric: str = "valid_acc", epoch: int | None = None) -> np.ndarray:
        """Per-row mean over recorded runs.

        Args:
            metric: one of `metric_names`.
            epoch: one the table holds; None: the last.

        Returns:
            float64 array, one value per row (NaN where a row has no run); a copy.

        Raises:
            QueryError: an unknown metric or epoch.
        """
        return self._mean(metric)[:, self._epoch(epoch)].copy()

    def seed_std(self, metric: str = "valid_acc", epoch: int | None = None) -> np.ndarray:
        """Per-row standard deviation over recorded runs (ddof=1).

        Args:
            metric: one of `metric_names`, not one held only as seed means.
            epoch: one the table holds; None: the last.

        Returns:
            float64 array, one value per row (NaN with fewer than 2 runs).

        Raises:
            QueryError: an unknown metric or epoch, or a metric held only as seed means.
        """
        if metric in self.mean_only:
            raise QueryError(f"metric {metric!r} holds only seed means in this table")
        arr = self._metric(metric)[:, :, self._epoch(epoch)]
        with quiet_nan_stats():
            n = (~np.isnan(arr)).sum(axis=1)
            sd = np.nanstd(arr, axis=1, ddof=1)
        sd[n < 2] = np.nan
        return sd




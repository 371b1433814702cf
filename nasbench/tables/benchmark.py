"""The benchmark contract (`Benchmark`) and the records every kind shares.

`Benchmark` is the type strategies, the runner, validation and the CLI take; a recorded
table (`nasbench.tables.tabular.TabularBenchmark`) and a fitted surrogate
(`surrogates.benchmark.SurrogateBenchmark`) implement it, and a new kind is one module
that subclasses it (`tests/frame_benchmark.py` is a small example). `nasbench.load` returns
one for every source.

The contract's public methods check a query once (cell, metric, epoch, seed, rng) and pass the
checked `Query` to the subclass's small protected lookups; the refusals are the error
classes of `nasbench.tables.query_errors`, whose messages live with them. This module imports the
space, the errors and the metadata record only: never an implementation.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np

from .records import CORE_METRICS, Best, FreshRunPrediction, Query, SeedLike
from .query_errors import (BadMode, BadSeedWord, MeanOnlySeed, NeedRng, NoObjective, NotCovered, QueryError,
                           UnknownEpoch, UnknownMetric, UnknownProxy, UnknownSeed)
from ..space import N_CELLS, CellLike, check_index, format_arch_str, ops_table, to_cell, to_indices
from .meta import TableDetails, TableMeta

__all__ = ["Benchmark", "Best", "CORE_METRICS", "FreshRunPrediction", "Query", "QueryError", "SeedLike",
           "TableDetails", "TableMeta"]

_STR_INDEX: dict[str, int] = {}


def _cell_index(cell: CellLike) -> int:
    """The official index of one cell (an index, an arch string, a `Cell`)."""
    if type(cell) is int:
        return cell if 0 <= cell < N_CELLS else check_index(cell)
    if isinstance(cell, str):
        if not _STR_INDEX:
            _STR_INDEX.update((format_arch_str(ops), i) for i, ops in enumerate(ops_table()))
        idx = _STR_INDEX.get(cell)
        return to_cell(cell).index if idx is None else idx
    return to_cell(cell).index


class Benchmark(ABC):
    """The benchmark contract: everything strategies, the runner, validation and the CLI may ask.

    Whatever answers it (a recorded table, a fitted surrogate, a new kind) holds the attributes
    below. The public methods check a query once (cells, metric, epoch, seed, rng) before a subclass
    is asked; a failed check raises a `QueryError` subclass of `nasbench.tables.query_errors`, in
    the same words for every kind. Optional capabilities are declared here with their "none"
    default, never discovered: `objective_names`, `proxy_names` and `timed_proxy_names` are empty
    tuples, `measured_runs` says whether `runs` are measured trainings.

    A subclass implements `metric_names`, `covered`, `summary` and the lookups, each given
    checked arguments: `_lookup(positions, query)` (values, one per position),
    `_runs(positions, query)`, `_fresh_run_prediction(positions, query)`; optionally
    `_locate` / `_locate_one` (cell index -> its position in the kind's arrays, -1 where not
    covered; default: the index itself), `_lookup_one` (a faster single value),
    `_epochs_of(metric)` (default: `epochs`), `_run_seeds(positions)` (default: the nominal
    seeds), `_objective(positions, name)` and `_proxy_seconds(positions, name)`.

    Attributes:
        name: the benchmark's name (e.g. `nb201-cifar10`).
        space_name: the search space's name.
        meta: what the benchmark says about itself (`TableMeta`; its typed `details`).
        epochs: the epochs held, 1-based and increasing.
        seeds: the nominal seed of each run slot.
        mean_only: metrics held only as seed means.
        sha256: the content's hash as recomputed ("" where nothing is hashed).
        stored_sha256: the hash the file stated.
        kind: the word messages use for this kind ("this table has ...").
        held: how its epochs came to be ("epoch 7 not recorded").
        measured_runs: True where `runs` are measured trainings whose seed numbers a retraining
            can reproduce (a table); False where they are model draws (a surrogate).
    """

    kind: ClassVar[str] = "benchmark"
    held: ClassVar[str] = "recorded"
    measured_runs: ClassVar[bool] = True

    name: str
    space_name: str
    meta: TableMeta
    epochs: np.ndarray
    seeds: np.ndarray
    mean_only: frozenset[str] = frozenset()
    sha256: str = ""
    stored_sha256: str = ""

    # -- what it holds ----------------------------------------------------------------------
    @property
    @abstractmethod
    def metric_names(self) -> tuple[str, ...]:
        """Every metric `query` answers (`time` among them where costs are known)."""

    @property
    @abstractmethod
    def covered(self) -> np.ndarray:
        """Official indices of the cells this benchmark answers for (increasing)."""

    @property
    def dataset(self) -> str:
        """The dataset of `meta`."""
        return self.meta.dataset

    @property
    def proxy_names(self) -> tuple[str, ...]:
        """The zero-cost proxies `query` serves as metrics of no epoch and no seed (none by default)."""
        return ()

    @property
    def timed_proxy_names(self) -> tuple[str, ...]:
        """The proxies whose compute seconds are recorded (`proxy_cost_many` answers for them)."""
        return ()

    @property
    def objective_names(self) -> tuple[str, ...]:
        """The per-cell properties it knows without training (`params`, `flops`, `latency:<device>`)."""
        return ()

    # -- the checks, once ---------------------------------------------------------------------
    def _positions(self, cells: Iterable[CellLike] | np.ndarray) -> np.ndarray:
        idx = to_indices(cells)
        pos = self._locate(idx)
        if pos.size and pos.min() < 0:
            raise NotCovered(int(idx[pos < 0][0]), self.kind, len(self.covered))
        return pos

    def _position(self, cell: CellLike) -> int:
        idx = _cell_index(cell)
        pos = self._locate_one(idx)
        if pos < 0:
            raise NotCovered(idx, self.kind, len(self.covered))
        return pos

    def _check(self, metric: str, epoch: int | None = None, seed: SeedLike = "mean",
               rng: np.random.Generator | None = None, proxies: bool = True) -> Query:
        """The query, checked: metric, then epoch, then seed (see the class docstring)."""
        proxy = False
        if metric not in self.metric_names:
            if not (proxies and metric in self.proxy_names):
                raise UnknownMetric(metric, self.kind, (*self.metric_names, *self.proxy_names))
            proxy = True
        epochs = self._epochs_of(metric)
        if epoch is None:
            e = int(epochs[-1])
        else:
            try:
                e = int(epoch)
            except (TypeError, ValueError):
                raise UnknownEpoch(epoch, self.kind, self.held, epochs) from None
            if e not in epochs:
                raise UnknownEpoch(epoch, self.kind, self.held, epochs)
        if proxy:
            return Query(metric, e, "mean", rng, proxy=True)
        if isinstance(seed, str):
            if seed == "random":
                if not isinstance(rng, np.random.Generator):
                    raise NeedRng(rng)
            elif seed != "mean":
                raise BadSeedWord(seed, self.seeds)
            return Query(metric, e, seed, rng)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise UnknownSeed(seed, self.seeds)
        if metric in self.mean_only:
            raise MeanOnlySeed(metric)
        if int(seed) not in self.seeds:
            raise UnknownSeed(seed, self.seeds)
        return Query(metric, e, int(seed), rng)

    # -- queries ------------------------------------------------------------------------------
    def query(self, cell: CellLike, metric: str = "valid_acc", epoch: int | None = None,
              seed: SeedLike = "mean", rng: np.random.Generator | None = None) -> float:
        """One value of `metric` for `cell`.

        Args:
            cell: an official index, an arch string or a `Cell`; covered.
            metric: one of `metric_names`, or a zero-cost proxy of `proxy_names`.
            epoch: one the metric has; None: the last.
            seed: `'mean'` (the seed mean), `'random'` (one of the cell's runs, drawn with
                `rng`) or a seed number of `seeds`.
            rng: a `numpy.random.Generator`, needed for `seed='random'`.

        Returns:
            The value (NaN where that run is missing).

        Raises:
            QueryError: a cell not covered, an unknown metric, epoch or seed, a seed of a metric
                held as the mean only, or `seed='random'` without `rng`.
            SpaceError: a cell that is not a cell of the space.
        """
        pos = self._position(cell)
        return float(self._lookup_one(pos, self._check(metric, epoch, seed, rng)))

    def query_many(self, cells: Iterable[CellLike] | np.ndarray, metric: str = "valid_acc",
                   epoch: int | None = None, seed: SeedLike = "mean",
                   rng: np.random.Generator | None = None) -> np.ndarray:
        """Vectorised `query` (an integer array of indices is fastest).

        Args:
            cells: the cells, each as `query` takes it.
            metric: as `query`.
            epoch: as `query`.
            seed: as `query` (`'random'`: one draw per cell).
            rng: as `query`.

        Returns:
            float64 array, one value per cell.

        Raises:
            QueryError: as `query`.
            SpaceError: as `query`.
        """
        pos = self._positions(cells)
        return self._lookup(pos, self._check(metric, epoch, seed, rng))

    def runs(self, cells: Iterable[CellLike] | np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        """Each cell's runs at `epoch`, what a search draws one of per training.

        Args:
            cells: covered cells.
            metric: one of `metric_names`.
            epoch: one the metric has; None: the last.

        Returns:
            (len(cells), slots): one column per seed slot, NaN where a run is missing; one column
            holding the mean for a metric in `mean_only`.

        Raises:
            QueryError: a cell not covered, an unknown metric (proxies included) or epoch.
            SpaceError: a cell that is not a cell of the space.
        """
        pos = self._positions(cells)
        return self._runs(pos, self._check(metric, epoch, proxies=False))

    def run_seeds(self, cells: Iterable[CellLike] | np.ndarray) -> np.ndarray:
        """The seed number of each of `runs`' slots per cell.

        Args:
            cells: covered cells.

        Returns:
            int64 array (len(cells), len(seeds)); -1 where the source does not record the seed
            (by default every slot's nominal seed, `seeds`).

        Raises:
            QueryError: a cell not covered.
            SpaceError: a cell that is not a cell of the space.
        """
        pos = self._positions(cells)
        return self._run_seeds(pos)

    def cost(self, cell: CellLike, epoch: int | None = None) -> float:
        """Simulated training seconds to reach an epoch: `cost_many` of one cell.

        Args:
            cell: a covered cell, as `query` takes it.
            epoch: one `time` has; None: the last.

        Returns:
            Seconds.

        Raises:
            QueryError: as `cost_many`.
            SpaceError: as `cost_many`.
        """
        pos = self._position(cell)
        return float(self._lookup_one(pos, self._check("time", epoch, proxies=False)))

    def cost_many(self, cells: Iterable[CellLike] | np.ndarray, epoch: int | None = None) -> np.ndarray:
        """Simulated training seconds to reach `epoch` per cell: the seed mean of `time`.

        Args:
            cells: covered cells.
            epoch: one `time` has; None: the last.

        Returns:
            float64 array, one value per cell.

        Raises:
            QueryError: a cell not covered, no `time` metric, or an epoch `time` does not have.
            SpaceError: a cell that is not a cell of the space.
        """
        pos = self._positions(cells)
        return self._lookup(pos, self._check("time", epoch, proxies=False))

    def values(self, metric: str = "valid_acc", epoch: int | None = None, seed: SeedLike = "mean",
               rng: np.random.Generator | None = None) -> np.ndarray:
        """One value per cell of the space, in official index order (NaN where not covered).

        Args:
            metric: as `query`.
            epoch: as `query`.
            seed: as `query`.
            rng: as `query`.

        Returns:
            float64 array of 15,625 values.

        Raises:
            QueryError: an unknown metric, epoch or seed (as `query`).
        """
        out = np.full(N_CELLS, np.nan)
        cov = self.covered
        out[cov] = self.query_many(cov, metric, epoch, seed, rng)
        return out

    def best(self, metric: str = "valid_acc", epoch: int | None = None, mode: str = "max") -> Best:
        """The covered cell with the best seed-mean `metric` (ties: lowest index).

        Args:
            metric: as `query`.
            epoch: as `query`.
            mode: `'max'` or `'min'`.

        Returns:
            The cell, its arch string and value.

        Raises:
            QueryError: a mode other than `'max'` or `'min'`, an unknown metric or epoch, or a
                metric with no value at that epoch.
        """
        if mode not in ("max", "min"):
            raise BadMode(mode)
        vals = self.values(metric, epoch)
        if np.all(np.isnan(vals)):
            raise QueryError(f"metric {metric!r} has no values at that epoch")
        idx = int(np.nanargmax(vals) if mode == "max" else np.nanargmin(vals))
        return Best(idx, to_cell(idx).to_str(), metric, float(vals[idx]))

    # -- objectives and proxies -----------------------------------------------------------
    def has_objective(self, name: str) -> bool:
        """Returns whether an objective is known (one of `objective_names`).

        Args:
            name: the objective's name.
        """
        return name in self.objective_names

    def objective_many(self, cells: Iterable[CellLike] | np.ndarray, name: str) -> np.ndarray:
        """Values of an objective known without training, per cell.

        Args:
            cells: covered cells.
            name: one of `objective_names`.

        Returns:
            float64 array, one value per cell.

        Raises:
            QueryError: an unknown objective or a cell not covered.
            SpaceError: a cell that is not a cell of the space.
        """
        if name not in self.objective_names:
            raise NoObjective(name, self.kind, self.objective_names)
        return self._objective(self._positions(cells), name)

    def proxy_cost_many(self, cells: Iterable[CellLike] | np.ndarray, names: str | Sequence[str]) -> np.ndarray:
        """Seconds it took to compute some proxies for each cell (one core, one thread).

        This is what a search is charged for scoring those cells by them. One computation ("pass")
        can yield several proxies (`meta.details.proxy_passes`); each proxy's recorded seconds are
        its share of its pass. A pass any of `names` needs is charged once, in full: the sum of the
        shares of every proxy of that pass the benchmark holds, whichever of them were asked for.

        Args:
            cells: covered cells.
            names: one proxy or several, each of `timed_proxy_names`.

        Returns:
            float64 array, one value per cell; NaN where a proxy's time is not recorded.

        Raises:
            QueryError: a name that is not a proxy or whose time is not recorded, or a cell not
                covered.
            SpaceError: a cell that is not a cell of the space.
        """
        wanted = (names,) if isinstance(names, str) else tuple(names)
        timed = self.timed_proxy_names
        for n in wanted:
            if n not in self.proxy_names:
                raise UnknownProxy(n, self.kind, self.proxy_names)
            if n not in timed:
                raise UnknownProxy(n, self.kind, self.proxy_names, untimed=True)
        pos = self._positions(cells)
        pass_of = {m: members for members in self.meta.details.proxy_passes.values() for m in members}
        total = np.zeros(len(pos))
        charged: set[tuple[str, ...]] = set()
        for n in wanted:
            group = pass_of.get(n, (n,))
            if group in charged:
                continue
            charged.add(group)
            own = self._proxy_seconds(pos, n)
            share = np.nansum([self._proxy_seconds(pos, m) for m in group if m in timed], axis=0)
            total += np.where(np.isnan(own), np.nan, share)
        return total

    # -- retraining and reporting ---------------------------------------------------------------
    def retrain_recipe(self) -> dict[str, Any]:
        """Returns the training recipe, with the data options (split seed, sizes) that reproduce the
        benchmark's runs added as `data_options` where recorded."""
        d = self.meta.details
        recipe = dict(self.meta.recipe or {})
        if d.data_options:
            recipe.setdefault("data_options", d.data_options)
        elif d.data:  # a generated table: its DataSpec (split, size)
            recipe.setdefault("data_options", {k: d.data[k] for k in ("split_seed", "downscale", "train_size",
                                                                      "valid_size", "test_size", "subset_seed")
                                               if k in d.data})
        return recipe

    def content_sha256(self) -> str:
        """Returns the SHA-256 that names what is served (`sha256`; "" where nothing is hashed)."""
        return self.sha256

    def data_spec(self) -> dict[str, Any]:
        """Returns the training data as recorded: a generated table's `DataSpec` fields (dataset, split
        seed, sizes, downscale); empty where the source did not record them (imported tables)."""
        return dict(self.meta.details.data)

    def result_key(self, cell: int) -> int:
        """The key of a cell's recorded result: cells with one key share one result (a table row).

        Args:
            cell: an official index.

        Returns:
            The key; -1 where the cell is not covered.
        """
        idx = int(cell)
        return idx if self._locate_one(idx) >= 0 else -1

    def fresh_run_prediction(self, cells: Iterable[CellLike] | np.ndarray, metric: str) -> FreshRunPrediction:
        """What a new training of each cell is predicted to give, for validation.

        Args:
            cells: covered cells.
            metric: one of `metric_names` (the last epoch's).

        Returns:
            The prediction (`FreshRunPrediction`).

        Raises:
            QueryError: an unknown metric or a cell not covered.
            SpaceError: a cell that is not a cell of the space.
        """
        pos = self._positions(cells)
        return self._fresh_run_prediction(pos, self._check(metric, None, proxies=False))

    @abstractmethod
    def summary(self) -> Any:
        """Returns what `nasbench info` prints: an object with `lines()` and `to_dict()`."""

    # -- what a subclass implements -----------------------------------------------------------
    def _locate(self, idx: np.ndarray) -> np.ndarray:
        """Positions of checked cell indices in the kind's arrays, -1 where not covered (default: the index)."""
        mask = np.zeros(N_CELLS, dtype=bool)
        mask[self.covered] = True
        return np.where(mask[idx], idx, -1)

    def _locate_one(self, idx: int) -> int:
        """`_locate` of one index."""
        return int(self._locate(np.array([idx], dtype=np.int64))[0])

    def _epochs_of(self, metric: str) -> np.ndarray:
        """The epochs `metric` has (default: `epochs`)."""
        return self.epochs

    @abstractmethod
    def _lookup(self, pos: np.ndarray, q: Query) -> np.ndarray:
        """One value per position (checked), float64."""

    def _lookup_one(self, pos: int, q: Query) -> float:
        """One value at one position (default: `_lookup` of one)."""
        return float(self._lookup(np.array([pos], dtype=np.int64), q)[0])

    @abstractmethod
    def _runs(self, pos: np.ndarray, q: Query) -> np.ndarray:
        """(len(pos), slots) runs of `q.metric` at `q.epoch`."""

    def _run_seeds(self, pos: np.ndarray) -> np.ndarray:
        """(len(pos), len(seeds)) seed of each run slot (default: the nominal seeds)."""
        return np.broadcast_to(np.asarray(self.seeds, dtype=np.int64), (len(pos), len(self.seeds))).copy()

    @abstractmethod
    def _fresh_run_prediction(self, pos: np.ndarray, q: Query) -> FreshRunPrediction:
        """The prediction of `q.metric` at the last epoch per position."""

    def _objective(self, pos: np.ndarray, name: str) -> np.ndarray:
        """Values of objective `name` (one of `objective_names`) per position."""
        raise NoObjective(name, self.kind, self.objective_names)

    def _proxy_seconds(self, pos: np.ndarray, name: str) -> np.ndarray:
        """Recorded compute seconds of proxy `name` (one of `timed_proxy_names`) per position."""
        raise UnknownProxy(name, self.kind, self.proxy_names, untimed=True)

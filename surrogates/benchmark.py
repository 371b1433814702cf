"""A surrogate benchmark: a table's interface answered by models, for all 15,625 cells.

`SurrogateBenchmark.fit(table, SurrogateConfig(...))` fits, per (metric, epoch), a regressor
(default: an ensemble of five boosted-tree models) on the table's seed-mean values of the
training cells (all covered cells, or a `train_fraction` of them), a noise model, and a runtime
model for `cost`. It then answers `query` / `query_many` / `cost` / `cost_many` /
`values` / `best` exactly as `nasbench.tables.benchmark.TabularBenchmark` does:

* `seed="mean"`: the model's prediction (deterministic);
* `seed="random"` (needs `rng`): prediction + N(0, sd(cell)^2), the draw of a fresh run;
* `seed=<one of bench.seeds>`: a fixed draw per (seed, cell), the same on every call;
* metrics the table holds only as seed means answer the mean for `"random"` and refuse a seed
  number, as the table does.

Noise (`SurrogateConfig.noise`): `"seed"` (default) regresses the log of the table's recorded
seed standard deviation (`TabularBenchmark.seed_std`) on the cell and rescales it so that the
mean predicted variance equals the mean recorded variance on the training cells; `"ensemble"`
uses the ensemble spread scaled by the same calibration; `"none"`. Accuracies are clipped to
[0, 100].

File format (HDF5, read by `nasbench.load`): attributes `format = "nasbench-surrogate"`,
`format_version`, `manifest` (JSON: metadata, each model's class, parameters and JSON state,
prediction fingerprints) and `sha256` (over the manifest and every array); datasets under
`arrays/` hold the rest (XGBoost boosters as their own UBJ bytes, torch state-dict tensors,
training features of refit-on-load models). No pickle anywhere. Loading checks format, version,
hash, and that every reloaded model reproduces its saved fingerprint predictions. Writing and
reading live in `surrogates.surrogate_file`, the seed-noise models in
`surrogates.seed_noise`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable

import numpy as np

from nasbench.tables.benchmark import Benchmark, FreshRunPrediction, Query, QueryError, TableMeta
from nasbench.tables.registry import FileFormat, register_format
from nasbench.space import N_CELLS, get_space

from .base import SurrogateError, SurrogateRegressor
# the fitting options and the file's constants: in surrogates.config (read by seed_noise and
# surrogate_file without importing this module), re-exported here, where they were
from .config import (_FINGERPRINT_CELLS, DEFAULT_METRICS, FORMAT, FORMAT_VERSION, NOISE_MODES,  # noqa: F401
                     SurrogateConfig, SurrogateFileError, _key)
from .encodings import ops_of
from .ensemble import EnsembleSurrogate
from .models import RuntimeModel
from .registry import make_estimator
from .seed_noise import _fit_noise, _noise_sd
from .surrogate_file import load_surrogate, save_surrogate, surrogate_source


def _with_seed(est: SurrogateRegressor, seed: int) -> SurrogateRegressor:
    if "random_state" in est.get_params(deep=False):
        est.set_params(random_state=seed)
    return est


class SurrogateBenchmark(Benchmark):
    """Answers like a `nasbench.tables.benchmark.TabularBenchmark` for every cell of the space.

    Built by `fit` or read by `load_surrogate_benchmark`, not by hand.

    Args:
        meta: the table metadata it answers under.
        config: how it was fitted.
        seeds: the seeds a query may name.
        epochs: the modelled epochs.
        models: one fitted regressor per (metric, epoch) key.
        noise_models: the seed-noise model of each key (None: no noise model).
        noise_scale: the calibration of each noise model.
        mean_only: the metrics the table holds only as seed means.
        runtime: the cost model (None: no `time`).
        time_epoch: the epoch the cost model was fitted at.
        train_cells: the cells it was fitted on.
        name: its name.
        source_sha256: the SHA-256 of the table it was fitted on.
        sha256: its own file's SHA-256 ("" until saved).
        source_table: the name of the table it was fitted on.
    """

    kind: ClassVar[str] = "surrogate"
    held: ClassVar[str] = "modelled"
    measured_runs: ClassVar[bool] = False

    def __init__(self, meta: TableMeta, config: SurrogateConfig, seeds: np.ndarray, epochs: np.ndarray,
                 models: dict[str, SurrogateRegressor], noise_models: dict[str, SurrogateRegressor | None],
                 noise_scale: dict[str, float], mean_only: Iterable[str], runtime: SurrogateRegressor | None,
                 time_epoch: int | None, train_cells: np.ndarray, name: str = "", source_sha256: str = "",
                 sha256: str = "", source_table: str = "") -> None:
        self.meta = meta
        self.config = config
        self.space_name = meta.space
        self.space = get_space(meta.space)
        self.name = name or f"surrogate-{meta.dataset}"
        self.seeds = np.asarray(seeds, dtype=np.int64)
        self.epochs = np.asarray(sorted(int(e) for e in epochs), dtype=np.int64)
        self.models = models
        self.noise_models = noise_models
        self.noise_scale = noise_scale
        self.mean_only = frozenset(mean_only)
        self.runtime = runtime
        self.time_epoch = time_epoch
        self.train_cells = np.asarray(train_cells, dtype=np.int64)
        self.source_sha256 = source_sha256
        #: the name of the table it was fitted on: a comparison on the surrogate uses that table's
        #: search preset (protocol and budget), where the surrogate models the preset's metrics
        self.source_table = source_table
        self.sha256 = sha256
        self.stored_sha256 = sha256  # load_surrogate_benchmark: the file's own, where sha256 is recomputed
        self._metrics = tuple(dict.fromkeys(k.split("@")[0] for k in models))
        self._mean: dict[str, np.ndarray] = {}
        self._sd: dict[str, np.ndarray] = {}
        self._z: dict[tuple[str, int], np.ndarray] = {}
        self._cost: np.ndarray | None = None
        self._X = ops_of(np.arange(N_CELLS))

    @property
    def run_seed(self) -> np.ndarray:
        """The seed of every (cell, run) slot: the table's seeds, for every cell."""
        return np.broadcast_to(self.seeds, (N_CELLS, len(self.seeds)))

    # -- fitting ------------------------------------------------------------------------------
    @classmethod
    def fit(cls, table: Benchmark, config: SurrogateConfig | None = None, progress: bool = False) -> "SurrogateBenchmark":
        """Fit a surrogate benchmark on a table.

        Args:
            table: the benchmark to learn from (its covered cells' seed means and seed spread).
            config: models, metrics, epochs, training cells, noise and seed (None: the defaults).
            progress: show a progress bar.

        Returns:
            The fitted surrogate benchmark.

        Raises:
            SurrogateError: an unknown noise mode, a bad seed, or a metric or epoch the table lacks.
        """
        cfg = dataclasses.replace(config) if config is not None else SurrogateConfig()
        if cfg.noise not in NOISE_MODES:
            raise SurrogateError(f"unknown noise mode {cfg.noise!r}; allowed: {', '.join(NOISE_MODES)}")
        if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, (int, np.integer)) or cfg.seed < 0:
            raise SurrogateError(f"seed must be a non-negative integer, got {cfg.seed!r}")
        names = tuple(table.metric_names)
        metrics = cfg.metrics or tuple(m for m in DEFAULT_METRICS if m in names)
        for m in metrics:
            if m not in names:
                raise SurrogateError(f"table has no metric {m!r}; it has: {', '.join(names)}")
        if not metrics:
            raise SurrogateError("the table has neither valid_acc nor test_acc; name metrics= explicitly")
        epochs = cfg.epochs or (int(table.epochs[-1]),)
        for e in epochs:
            if int(e) not in set(int(x) for x in table.epochs):
                raise SurrogateError(f"table has no epoch {e}; it has {table.epochs.tolist()}")
        cfg.metrics, cfg.epochs = tuple(metrics), tuple(int(e) for e in epochs)
        covered = np.asarray(table.covered, dtype=np.int64)
        rng = np.random.default_rng(cfg.seed)
        n_train = cfg.n_train if cfg.n_train is not None else int(round(cfg.train_fraction * len(covered)))
        if not 1 <= n_train <= len(covered):
            raise SurrogateError(f"n_train must lie in 1..{len(covered)} (the covered cells), got {n_train}")
        train = np.sort(rng.permutation(covered)[:n_train])
        X = ops_of(train)
        base = make_estimator(cfg.model, **cfg.model_params)
        models: dict[str, SurrogateRegressor] = {}
        noise_models: dict[str, SurrogateRegressor | None] = {}
        noise_scale: dict[str, float] = {}
        jobs = [(m, int(e)) for m in metrics for e in cfg.epochs]
        bar = _bar(len(jobs) + int(cfg.runtime), progress)
        for k, (m, e) in enumerate(jobs):
            y = np.asarray(table.query_many(train, m, e, "mean"), dtype=np.float64)
            ok = np.isfinite(y)
            from sklearn.base import clone

            est = _with_seed(clone(base), cfg.seed + 1000 * k)
            est.fit(X[ok], y[ok])
            key = _key(m, e)
            models[key] = est
            noise_models[key], noise_scale[key] = _fit_noise(table, m, e, train, X, est, cfg, k)
            bar.update(1)
        runtime, time_epoch = None, None
        if cfg.runtime and "time" in names:
            time_epoch = int(table.epochs[-1])
            t = np.asarray(table.query_many(train, "time", time_epoch, "mean"), dtype=np.float64)
            ok = np.isfinite(t) & (t > 0)
            runtime = RuntimeModel(random_state=cfg.seed).fit(X[ok], t[ok])
            bar.update(1)
        bar.close()
        name = f"surrogate-{table.name}"
        return cls(table.meta, cfg, table.seeds, np.array(cfg.epochs), models, noise_models, noise_scale,
                   [m for m in metrics if m in table.mean_only], runtime, time_epoch, train,
                   name=name, source_sha256=table.sha256, source_table=table.name)

    # -- what it answers ------------------------------------------------------------------------
    @property
    def metric_names(self) -> tuple[str, ...]:
        """The modelled metrics, and `time` when a runtime model was fitted."""
        return self._metrics + (("time",) if self.runtime is not None else ())

    @property
    def covered(self) -> np.ndarray:
        """Every cell of the space: a surrogate answers for all 15,625."""
        return np.arange(N_CELLS, dtype=np.int64)

    @property
    def n_rows(self) -> int:
        """One row per cell: 15,625."""
        return N_CELLS

    def __repr__(self) -> str:
        return (f"SurrogateBenchmark({self.name!r}, space={self.space_name}, dataset={self.meta.dataset}, "
                f"model={self.config.model}, trained on {len(self.train_cells)} cells, metrics={list(self._metrics)}, "
                f"epochs={self.epochs.tolist()}, noise={self.config.noise})")

    def _key_of(self, metric: str, epoch: int | None) -> str:
        """The model key of a modelled metric at an epoch, checked as the contract checks a query."""
        if metric == "time" and self.runtime is not None:
            return "time"
        return _key(metric, self._check(metric, epoch, proxies=False).epoch)

    def _means(self, key: str) -> np.ndarray:
        v = self._mean.get(key)
        if v is None:
            v = np.asarray(self.models[key].predict(self._X), dtype=np.float64)
            if key.split("@")[0].endswith("_acc"):
                v = np.clip(v, 0.0, 100.0)
            v.setflags(write=False)
            self._mean[key] = v
        return v

    def noise_sd(self, metric: str = "valid_acc", epoch: int | None = None) -> np.ndarray:
        """Standard deviation of `seed="random"` draws, per cell (15,625).

        Args:
            metric: a modelled metric.
            epoch: a modelled epoch (None: the last).

        Returns:
            The standard deviation per cell.
        """
        key = self._key_of(metric, epoch)
        if key == "time":
            return np.zeros(N_CELLS)
        sd = self._sd.get(key)
        if sd is None:
            sd = _noise_sd(self.models[key], self.noise_models.get(key), self.noise_scale.get(key, 0.0),
                           self.config.noise, self._X)
            sd.setflags(write=False)
            self._sd[key] = sd
        return sd

    def predict_std(self, metric: str = "valid_acc", epoch: int | None = None) -> np.ndarray:
        """The model's own (epistemic) spread per cell; zeros for a model without one.

        Args:
            metric: a modelled metric.
            epoch: a modelled epoch (None: the last).

        Returns:
            The spread per cell (15,625).
        """
        key = self._key_of(metric, epoch)
        est = self.models[key]
        if isinstance(est, EnsembleSurrogate) or hasattr(est, "gp_"):
            return np.asarray(est.predict(self._X, return_std=True)[1], dtype=np.float64)
        return np.zeros(N_CELLS)

    def _draw(self, key: str, idx: np.ndarray, seed: str | int, rng: np.random.Generator | None,
              metric: str) -> np.ndarray:
        """Values of a checked query: the mean, a fresh draw (`rng`) or the fixed draw of a seed."""
        mean = self._means(key)[idx]
        if seed == "mean" or metric in self.mean_only:
            return mean.copy()
        if seed == "random":
            assert rng is not None
            z = rng.standard_normal(len(idx))
        else:
            z = self._fixed_z(key, int(seed))[idx]
        vals = mean + self.noise_sd(metric, int(key.split("@")[1])) [idx] * z
        if metric.endswith("_acc"):
            vals = np.clip(vals, 0.0, 100.0)
        return vals

    def _fixed_z(self, key: str, seed: int) -> np.ndarray:
        z = self._z.get((key, seed))
        if z is None:
            tag = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")
            z = np.random.default_rng([self.config.seed, seed, tag]).standard_normal(N_CELLS)
            z.setflags(write=False)
            self._z[(key, seed)] = z
        return z

    # -- the lookups of the contract (arguments checked by Benchmark) -------------------------
    def _locate(self, idx: np.ndarray) -> np.ndarray:
        return idx  # every cell answered

    def _locate_one(self, idx: int) -> int:
        return idx

    def _epochs_of(self, metric: str) -> np.ndarray:
        """The modelled epochs; for `time` every epoch up to the runtime model's (linear in it)."""
        if metric == "time" and self.runtime is not None:
            assert self.time_epoch is not None
            return np.arange(1, self.time_epoch + 1)
        return self.epochs

    def _lookup(self, idx: np.ndarray, q: Query) -> np.ndarray:
        if q.metric == "time" and self.runtime is not None:
            assert self.time_epoch is not None
            return self._costs()[idx] * (q.epoch / self.time_epoch)
        return self._draw(_key(q.metric, q.epoch), idx, q.seed, q.rng, q.metric)

    def _runs(self, idx: np.ndarray, q: Query) -> np.ndarray:
        """(len(cells), seeds): the fixed draw of each table seed (the same on every call), so a
        search drawing one run per training sees a surrogate's runs as it sees a table's; one
        column holding the mean for a mean-only metric or the cost for `time`."""
        if q.metric == "time" or q.metric in self.mean_only or len(self.seeds) == 0:
            return self._lookup(idx, dataclasses.replace(q, seed="mean"))[:, None]
        return np.stack([self._lookup(idx, dataclasses.replace(q, seed=int(s))) for s in self.seeds], axis=1)

    def _fresh_run_prediction(self, idx: np.ndarray, q: Query) -> FreshRunPrediction:
        """The model's prediction, its seed-noise sd as each cell's sd, and its own uncertainty."""
        mean = np.asarray(self._lookup(idx, q), dtype=np.float64)
        noise = np.asarray(self.noise_sd(q.metric), dtype=np.float64)[idx]
        try:
            model_sd = np.asarray(self.predict_std(q.metric), dtype=np.float64)[idx]
        except Exception:
            model_sd = np.zeros(len(idx))
        nan = np.full(len(idx), np.nan)
        return FreshRunPrediction(mean=mean, sd=noise, runs=np.full(len(idx), np.inf), pooled=nan, pooled_src="",
                                  expected=nan, pred_model_sd=model_sd, n_sd_rows=0, surrogate=True)

    def _costs(self) -> np.ndarray:
        if self.runtime is None:
            raise QueryError("this surrogate has no runtime model (the table recorded no 'time')")
        if self._cost is None:
            c = np.asarray(self.runtime.predict(self._X), dtype=np.float64)
            c.setflags(write=False)
            self._cost = c
        return self._cost

    def result_key(self, cell: int) -> int:
        """The row of a cell's results: the cell's own index.

        Args:
            cell: an official cell index.

        Returns:
            The same index.
        """
        return int(cell)  # every cell answered on its own


    def summary(self) -> "SurrogateSummary":
        """What `nasbench info` prints for this surrogate.

        Returns:
            Its name, space, dataset, source, hash, training cells, metrics, epochs, seeds and config.
        """
        return SurrogateSummary({
            "surrogate": self.name, "space": self.space_name, "dataset": self.meta.dataset,
            "source": self.meta.source, "sha256": self.sha256, "fitted on cells": len(self.train_cells),
            "answers for cells": len(self.covered), "metrics": ", ".join(self._metrics),
            "epochs": self.epochs.tolist(), "seeds": self.seeds.tolist(), "config": dataclasses.asdict(self.config)})

    # -- saving ---------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> str:
        """Write the surrogate to `path` (HDF5, atomically).

        Args:
            path: the file to write.

        Returns:
            Its SHA-256.
        """
        return save_surrogate(self, path)


@dataclass(frozen=True)
class SurrogateSummary:
    """What `nasbench info` prints for a surrogate benchmark."""

    facts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The facts as a dict.

        Returns:
            A copy of the facts, by label.
        """
        return dict(self.facts)

    def lines(self) -> list[str]:
        """The facts as aligned text lines.

        Returns:
            One line per fact, label then value.
        """
        return [f"{k:<18}{v}" for k, v in self.facts.items()]


def _bar(total: int, on: bool):
    from nasbench.util.checks import progress_bar

    return progress_bar(total, on, desc="surrogate fit", unit="model")


def load_surrogate_benchmark(path: str | os.PathLike, verify: bool | None = None) -> SurrogateBenchmark:
    """Read a file written by `SurrogateBenchmark.save`.

    Args:
        path: the file.
        verify: check the file's hash (None: unless `$NASBENCH_NO_VERIFY_HASH=1`).

    Returns:
        The surrogate benchmark.

    Raises:
        surrogates.surrogate_file.SurrogateFileError: see `surrogates.surrogate_file.load_surrogate`.
    """
    return load_surrogate(path, verify, SurrogateBenchmark)


#: how `nasbench.load` reads a surrogate-benchmark file (found through the `nasbench.file_formats`
#: entry point, or registered here when this module is imported first)
FILE_FORMAT = FileFormat(FORMAT, load_surrogate_benchmark, surrogate_source)
register_format(FILE_FORMAT)

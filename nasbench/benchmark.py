"""The benchmark contract (:class:`Benchmark`) and the records every kind shares.

:class:`Benchmark` is the type strategies, the runner, validation and the CLI take; a recorded
table (:class:`nasbench.tabular.TabularBenchmark`, re-exported here) and a fitted surrogate
(:class:`surrogates.benchmark.SurrogateBenchmark`) implement it, and a new kind is one module
that subclasses it (``tests/frame_benchmark.py`` is a small example). ``nasbench.load`` returns
one for every source.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Iterable, Literal, Union

import numpy as np

from .space import N_CELLS, CellLike, to_cell
from .errors import NasbenchError

SeedLike = Union[Literal["mean", "random"], int]

#: metrics every table stores (cumulative training seconds is ``time``)
CORE_METRICS: tuple[str, ...] = (
    "train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss", "time",
)


class QueryError(NasbenchError, ValueError):
    """A query names a metric, epoch, seed or cell the benchmark does not hold."""


@dataclass(frozen=True)
class TableMeta:
    """Everything a table says about itself besides the numbers."""

    space: str
    dataset: str
    split_sizes: dict[str, int]
    recipe: dict[str, Any]
    code_version: str
    source: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Any, where: str, error: type[Exception]) -> "TableMeta":
        """The metadata a file stores, checked by type: the text fields are strings,
        ``split_sizes`` maps names to non-negative integers, ``recipe`` and ``extra`` are mappings.

        Args:
            d: the stored mapping (parsed from the file).
            where: the file, for the messages.
            error: the project error to raise (one line naming the field and its type).

        Returns:
            The metadata.
        """
        if not isinstance(d, dict):
            raise error(f"{where}: metadata must be a mapping, got {type(d).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise error(f"{where}: unknown metadata field {unknown[0]!r}; allowed: {', '.join(names)}")
        for k in ("space", "dataset", "code_version", "source", "notes"):
            if k in d and not isinstance(d[k], str):
                raise error(f"{where}: metadata {k} must be a string, got {type(d[k]).__name__}")
        for k in ("split_sizes", "recipe", "extra"):
            if k in d and not (isinstance(d[k], dict) and all(isinstance(x, str) for x in d[k])):
                raise error(f"{where}: metadata {k} must be a mapping with string keys, got {type(d[k]).__name__}")
        bad = [k for k, v in d.get("split_sizes", {}).items()
               if isinstance(v, bool) or not isinstance(v, int) or v < 0]
        if bad:
            raise error(f"{where}: metadata split_sizes[{bad[0]!r}] must be a non-negative integer, "
                        f"got {d['split_sizes'][bad[0]]!r}")
        missing = [k for k in ("space", "dataset", "split_sizes", "recipe", "code_version") if k not in d]
        if missing:
            raise error(f"{where}: metadata lacks {', '.join(missing)}")
        return cls(**d)


@dataclass(frozen=True)
class Best:
    """The best cell of a table by one metric."""

    index: int
    arch_str: str
    metric: str
    value: float


class Benchmark(ABC):
    """The benchmark contract: everything strategies, the runner, validation and the CLI may ask
    of a benchmark, whatever answers it (a recorded table, a fitted surrogate, a new kind).

    * **identity**: ``name``, ``space_name``, ``meta`` (:class:`TableMeta`: dataset, recipe,
      source), ``sha256`` (the content's hash as recomputed, "" where nothing is hashed) and
      ``stored_sha256`` (what the file said, which differs only when loaded with the check off);
    * **fidelities and seeds**: ``epochs`` (1-based, increasing), ``seeds`` (the nominal seed of
      each run slot), ``mean_only`` (metrics held only as seed means), ``metric_names``;
    * **queries**: ``query`` / ``query_many`` (metric, epoch: None = the last, seed: 'mean',
      'random' with ``rng``, or a seed number), ``values``, ``best``, and ``runs``: every run of
      each cell (what a search draws one of per training);
    * **costs**: ``cost`` / ``cost_many``, simulated training seconds to reach an epoch;
    * **objectives** known without training (``params``, ``flops``, ``latency:<device>``):
      ``objective_names``, ``has_objective``, ``objective_many``;
    * **retraining**: ``retrain_recipe()``, the recipe and data options that reproduce a run,
      ``data_spec()``, the training data as recorded, ``measured_runs``, and
      ``fresh_run_prediction()``: what a new training of a cell is expected to give;
    * ``covered`` and ``result_key()``: the cells it answers for, and which share one result;
      ``summary()``: what ``nasbench info`` prints.

    A new kind subclasses this in one module and implements the abstract members; the bad-query
    messages below are shared so that every kind refuses the same mistakes in the same words.
    """

    #: the word messages use for this kind ("this table has ...")
    kind: ClassVar[str] = "benchmark"
    #: how its epochs came to be ("epoch 7 not recorded")
    held: ClassVar[str] = "recorded"
    #: True where ``runs`` are measured trainings whose seed numbers a retraining can reproduce
    #: (a table); False where they are model draws (a surrogate)
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
        """Every metric ``query`` answers (``time`` among them where costs are known)."""

    @property
    @abstractmethod
    def covered(self) -> np.ndarray:
        """Official indices of the cells this benchmark answers for."""

    @property
    def dataset(self) -> str:
        return self.meta.dataset

    # -- queries ------------------------------------------------------------------------------
    @abstractmethod
    def query(self, cell: CellLike, metric: str = "valid_acc", epoch: int | None = None,
              seed: SeedLike = "mean", rng: np.random.Generator | None = None) -> float:
        """One value of ``metric`` for ``cell`` at ``epoch`` (None: the last)."""

    @abstractmethod
    def query_many(self, cells: Iterable[CellLike] | np.ndarray, metric: str = "valid_acc",
                   epoch: int | None = None, seed: SeedLike = "mean",
                   rng: np.random.Generator | None = None) -> np.ndarray:
        """Vectorised :meth:`query`."""

    @abstractmethod
    def runs(self, cells: np.ndarray, metric: str, epoch: int | None = None) -> np.ndarray:
        """(len(cells), slots): each cell's runs at ``epoch``, one column per seed slot, NaN where
        a run is missing; one column holding the mean for a metric in ``mean_only``."""

    @abstractmethod
    def cost_many(self, cells: Iterable[CellLike] | np.ndarray, epoch: int | None = None) -> np.ndarray:
        """Simulated training seconds to reach ``epoch`` per cell."""

    def cost(self, cell: CellLike, epoch: int | None = None) -> float:
        return float(self.cost_many([cell], epoch)[0])

    def values(self, metric: str = "valid_acc", epoch: int | None = None, seed: SeedLike = "mean",
               rng: np.random.Generator | None = None) -> np.ndarray:
        """One value per cell of the space, in official index order (NaN where not covered)."""
        out = np.full(N_CELLS, np.nan)
        cov = self.covered
        out[cov] = self.query_many(cov, metric, epoch, seed, rng)
        return out

    def best(self, metric: str = "valid_acc", epoch: int | None = None, mode: str = "max") -> Best:
        """The covered cell with the best seed-mean ``metric`` (ties: lowest index)."""
        if mode not in ("max", "min"):
            raise QueryError(f"mode {mode!r} not allowed; use 'max' or 'min'")
        vals = self.values(metric, epoch)
        if np.all(np.isnan(vals)):
            raise QueryError(f"metric {metric!r} has no values at that epoch")
        idx = int(np.nanargmax(vals) if mode == "max" else np.nanargmin(vals))
        return Best(idx, to_cell(idx).to_str(), metric, float(vals[idx]))

    # -- objectives known without training --------------------------------------------------
    @property
    def objective_names(self) -> tuple[str, ...]:
        """The per-cell properties it knows (``params``, ``flops``, ``latency:<device>``)."""
        return ()

    def has_objective(self, name: str) -> bool:
        return name in self.objective_names

    def objective_many(self, cells: np.ndarray, name: str) -> np.ndarray:
        """Values of objective ``name`` per cell (one of :attr:`objective_names`)."""
        raise self.no_objective(name)

    def no_objective(self, name: str) -> QueryError:
        return QueryError(f"objective {name!r}: this {self.kind} records no such values; it has: "
                          f"{', '.join(self.objective_names) or '(none)'}")

    # -- retraining and reporting ---------------------------------------------------------------
    def retrain_recipe(self) -> dict[str, Any]:
        """The training recipe, with the data options (split seed, sizes) that reproduce the
        benchmark's runs where it records them."""
        extra = self.meta.extra
        recipe = dict(self.meta.recipe or {})
        if extra.get("data_options"):
            recipe.setdefault("data_options", extra["data_options"])
        elif extra.get("data"):  # a generated table: its DataSpec (split, size)
            spec = extra["data"]
            recipe.setdefault("data_options", {k: spec[k] for k in ("split_seed", "downscale", "train_size",
                                                                  "valid_size", "test_size", "subset_seed")
                                               if k in spec})
        return recipe

    def content_sha256(self) -> str:
        """The SHA-256 that names what is served (``sha256``; "" where nothing is hashed)."""
        return self.sha256

    def data_spec(self) -> dict[str, Any]:
        """The training data as recorded (a generated table's DataSpec fields: dataset, split seed,
        sizes, downscale); empty where the source did not record it (imported tables)."""
        return dict(self.meta.extra.get("data") or {})

    def result_key(self, cell: int) -> int:
        """Cells with one key share one recorded result (a table row); -1: not covered."""
        return int(cell) if int(cell) in set(self.covered.tolist()) else -1

    @abstractmethod
    def fresh_run_prediction(self, cells: np.ndarray, metric: str) -> dict[str, Any]:
        """What a new training of each cell is predicted to give, for validation: ``mean``, ``sd``
        (the cell's own run-to-run sd), ``runs`` (how many runs the mean rests on; inf for a
        model), ``pooled`` / ``pooled_src`` (the sd differences are measured in), ``expected``
        (winner's-curse-corrected mean, NaN where none), ``pred_model_sd`` (the model's own
        uncertainty) and ``n_sd_rows``."""

    @abstractmethod
    def summary(self) -> Any:
        """What ``nasbench info`` prints: an object with ``lines()`` and ``to_dict()``."""

    # -- the shared refusals -------------------------------------------------------------------
    def unknown_metric(self, metric: object) -> QueryError:
        return QueryError(f"unknown metric {metric!r}; this {self.kind} has: {', '.join(self.metric_names)}")

    def unknown_epoch(self, epoch: object) -> QueryError:
        return QueryError(f"epoch {epoch!r} not {self.held}; this {self.kind} has epochs {_ranges(self.epochs)}")

    def unknown_seed(self, seed: object) -> QueryError:
        return QueryError(f"seed {seed!r} not in this table; allowed: 'mean', 'random', or one of "
                          f"{self.seeds.tolist()}")

    def bad_seed_word(self, seed: object) -> QueryError:
        return QueryError(f"seed {seed!r} not allowed; use 'mean', 'random' or one of {self.seeds.tolist()}")

    @staticmethod
    def mean_only_seed(metric: str) -> QueryError:
        return QueryError(f"metric {metric!r} holds only the mean over seeds in this table; use seed='mean'")

    @staticmethod
    def need_rng(rng: np.random.Generator | None) -> np.random.Generator:
        if not isinstance(rng, np.random.Generator):
            got = "" if rng is None else f", got {type(rng).__name__}"
            raise QueryError(f"seed='random' needs rng=numpy.random.Generator (numpy.random.default_rng(...)){got}")
        return rng

    def seed_number(self, seed: object) -> int:
        """A seed given as a number (a Python or numpy integer), else :meth:`unknown_seed`."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise self.unknown_seed(seed)
        return int(seed)


def _ranges(values: np.ndarray) -> str:
    """'1..12' for consecutive values, else a short list."""
    v = [int(x) for x in values]
    if not v:
        return "(none)"
    if v == list(range(v[0], v[-1] + 1)) and len(v) > 2:
        return f"{v[0]}..{v[-1]}"
    return ", ".join(map(str, v))


def __getattr__(name: str) -> Any:
    """``TabularBenchmark``, the table kind, stays importable from here (loaded on first use, so
    that this module and :mod:`nasbench.tabular` do not import each other at load time)."""
    if name == "TabularBenchmark":
        from .tabular import TabularBenchmark

        return TabularBenchmark
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Optuna's samplers as strategies, through Optuna's ask/tell (`pip install 'nasbench[optuna]'`).

* `optuna-tpe`: `TPESampler` (multivariate by default, Optuna 5's default);
* `optuna-gp`: `GPSampler` (Gaussian process over the six categorical edges; torch);
* `optuna-random`: `RandomSampler`;
* `optuna-nsga2`: `NSGAIISampler`, multi-objective (validation value maximised, the
  protocol's objectives minimised), like `mo_evolution`.

Each run gets a fresh in-memory study whose sampler seed is drawn from the run's spawned generator,
so a run repeats bit for bit (for a given Optuna release). Cells are the six edges as categorical
parameters `edge_1_0` ... `edge_3_2` over the op names; the study is told only the validation
value (and, for NSGA-II, the objectives), as every strategy. On a partial table a proposal outside
the table is told as failed and asked again (64 tries, then a random covered cell is enqueued).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..space import OPS, to_cell
from .base import Capabilities, Params, Strategy, StrategyError, check_positive

_OP_ID = {name: i for i, name in enumerate(OPS)}
_MAX_TRIES = 64


def _optuna() -> Any:
    from ..util.extras import quiet_optuna

    return quiet_optuna()


@dataclass(frozen=True)
class OptunaParams(Params):
    """The base of the Optuna strategies' parameters: checking them checks that Optuna is installed."""

    def check(self) -> None:
        _optuna()  # a missing extra is a config error, before any run starts


class OptunaStrategy(Strategy):
    """Base: a study per run; subclasses build the sampler."""

    Params: ClassVar[type[Params]] = OptunaParams
    #: the multi-objective sampler sizes its study by the objectives
    capabilities = Capabilities(needs={"objectives"}, libraries=("optuna",))

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        optuna = _optuna()
        from .cellspace import EDGE_NAMES, optuna_distributions

        self._names = EDGE_NAMES
        self._dists = optuna_distributions()
        seed = int(self.rng.integers(0, 2**32 - 1))
        mo = self.capabilities.multi_objective
        directions = ["maximize"] + (["minimize"] * len(context.objectives) if mo else [])
        self.study = optuna.create_study(sampler=self.make_sampler(optuna, seed), directions=directions)
        self._pending: dict[int, list[Any]] = {}
        self._fail = optuna.trial.TrialState.FAIL

    def make_sampler(self, optuna: Any, seed: int) -> Any:
        """The Optuna sampler of the run's study (each subclass builds its own).

        Args:
            optuna: the imported `optuna` module.
            seed: the sampler's seed, drawn from the run's generator.

        Returns:
            The sampler.
        """
        raise NotImplementedError

    def _index(self, params: dict[str, Any]) -> int:
        return to_cell(tuple(_OP_ID[params[n]] for n in self._names)).index

    def ask(self) -> int:
        study = self.study
        for _ in range(_MAX_TRIES):
            trial = study.ask(self._dists)
            i = self._index(trial.params)
            if self.is_candidate(i):
                break
            study.tell(trial, state=self._fail)
        else:
            i = self.random_index()
            study.enqueue_trial({n: OPS[o] for n, o in zip(self._names, to_cell(i).ops)})
            trial = study.ask(self._dists)
        self._pending.setdefault(i, []).append(trial)
        return i

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Tell the Optuna trial that asked for the cell (the oldest such trial).

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).

        Raises:
            StrategyError: the cell was not asked.
        """
        trials = self._pending.get(index)
        if not trials:
            raise StrategyError(f"{self.name}: told cell {index}, which was not asked")
        trial = trials.pop(0)
        if not trials:
            del self._pending[index]
        values = [float(value), *map(float, objectives)] if self.capabilities.multi_objective else float(value)
        self.study.tell(trial, values)


def _check_startup_trials(strategy: str, n: Any) -> None:
    """The random trials before a model-based sampler fits: an integer >= 0 (TPE and GP alike)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise StrategyError(f"{strategy}: n_startup_trials must be an integer >= 0, got {n!r}")


@dataclass(frozen=True)
class TPEParams(OptunaParams):
    #: random trials before the Parzen estimators are used (Optuna's default)
    """The parameters of `optuna-tpe`."""

    n_startup_trials: int = 10
    #: candidates scored by expected improvement per ask (Optuna's default)
    n_ei_candidates: int = 24
    #: one joint estimator over all edges (Optuna 5's default) instead of one per edge
    multivariate: bool = True

    def check(self) -> None:
        check_positive(self, "n_ei_candidates")
        _check_startup_trials("optuna-tpe", self.n_startup_trials)
        super().check()


class OptunaTPE(OptunaStrategy):
    """Optuna's TPE sampler through ask/tell."""

    name = "optuna-tpe"
    Params = TPEParams

    def make_sampler(self, optuna: Any, seed: int) -> Any:
        """Optuna's `TPESampler` with this strategy's parameters.

        Args:
            optuna: the imported `optuna` module.
            seed: the sampler's seed.

        Returns:
            The sampler.
        """
        p = self.params
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=p.n_startup_trials,
                                          n_ei_candidates=p.n_ei_candidates, multivariate=p.multivariate)


@dataclass(frozen=True)
class GPParams(OptunaParams):
    #: random trials before the Gaussian process is fitted (Optuna's default)
    """The parameters of `optuna-gp`."""

    n_startup_trials: int = 10
    #: True: no observation noise in the GP (the signal here is one noisy training, so False)
    deterministic_objective: bool = False

    def check(self) -> None:
        _check_startup_trials("optuna-gp", self.n_startup_trials)
        super().check()


class OptunaGP(OptunaStrategy):
    """Optuna's Gaussian-process sampler through ask/tell (fits a GP per ask)."""

    name = "optuna-gp"
    Params = GPParams

    def make_sampler(self, optuna: Any, seed: int) -> Any:
        """Optuna's `GPSampler` with this strategy's parameters.

        Args:
            optuna: the imported `optuna` module.
            seed: the sampler's seed.

        Returns:
            The sampler.
        """
        p = self.params
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=p.n_startup_trials,
                                         deterministic_objective=p.deterministic_objective)


class OptunaRandom(OptunaStrategy):
    """Optuna's random sampler through ask/tell (the bridge's own overhead, against `random`)."""

    name = "optuna-random"
    Params = OptunaParams

    def make_sampler(self, optuna: Any, seed: int) -> Any:
        """Optuna's `RandomSampler`.

        Args:
            optuna: the imported `optuna` module.
            seed: the sampler's seed.

        Returns:
            The sampler.
        """
        return optuna.samplers.RandomSampler(seed=seed)


@dataclass(frozen=True)
class NSGA2Params(OptunaParams):
    #: individuals per generation (Optuna's default)
    """The parameters of `optuna-nsga2`."""

    population_size: int = 50
    #: probability of crossover between two parents (Optuna's default)
    crossover_prob: float = 0.9
    #: probability of swapping each edge's op in uniform crossover (Optuna's default)
    swapping_prob: float = 0.5
    #: probability of mutating each edge; negative: Optuna's default, 1 / number of edges
    mutation_prob: float = -1.0

    def check(self) -> None:
        if isinstance(self.population_size, bool) or not isinstance(self.population_size, int) \
                or self.population_size < 2:
            raise StrategyError(f"optuna-nsga2: population_size must be an integer >= 2, got {self.population_size!r}")
        for n in ("crossover_prob", "swapping_prob"):
            if not 0.0 <= getattr(self, n) <= 1.0:
                raise StrategyError(f"optuna-nsga2: {n} must lie in [0, 1], got {getattr(self, n)!r}")
        if self.mutation_prob > 1.0:
            raise StrategyError(f"optuna-nsga2: mutation_prob must be <= 1 (negative: default), got {self.mutation_prob!r}")
        super().check()


class OptunaNSGA2(OptunaStrategy):
    """Optuna's NSGA-II sampler (multi-objective) through ask/tell."""

    name = "optuna-nsga2"
    Params = NSGA2Params
    capabilities = Capabilities(multi_objective=True, needs={"objectives"}, libraries=("optuna",))

    def make_sampler(self, optuna: Any, seed: int) -> Any:
        """Optuna's `NSGAIISampler` with this strategy's parameters (`mutation_prob` < 0: Optuna's default).

        Args:
            optuna: the imported `optuna` module.
            seed: the sampler's seed.

        Returns:
            The sampler.
        """
        p = self.params
        return optuna.samplers.NSGAIISampler(
            seed=seed, population_size=p.population_size, crossover_prob=p.crossover_prob,
            swapping_prob=p.swapping_prob, mutation_prob=None if p.mutation_prob < 0 else p.mutation_prob)


OPTUNA_STRATEGIES = (OptunaTPE, OptunaGP, OptunaRandom, OptunaNSGA2)

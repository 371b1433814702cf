"""Proxy-guided search: zero-cost proxies spend a little compute to choose which cells to train.

After Abdelfattah, Mehrotra, Dudziak & Lane, "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021):
*zero-cost warmup* scores a large random sample of cells with a proxy before the search and
starts it from the best of them (on NAS-Bench-201 they warmed aging evolution up with 3,000
cells scored by synflow), and *zero-cost move proposal* lets the proxy choose among candidate
mutations.

* `proxy-random`: score `sample` random cells by the proxy, train them best first; when all
  are trained, score another `sample` (warm-up ranking as a search of its own).
* `proxy-evolution`: regularised evolution (population 10, tournament 10 where `evolution`
  defaults to NAS-Bench-201's 3; one-op mutation, the oldest dies) whose initial population is the proxy's top `population`
  cells among `warmup` random cells scored, and optionally (`move_candidates` > 1) whose
  child is the proxy's best of that many mutations of the parent (move proposal).

Every scored cell is charged the seconds the table records for computing the proxy for it
(`SearchContext.proxies`; a pass that serves several proxies is charged once, whole), through
each job's `overhead` (`ask_job`): the runner adds them to the job's cost (its `cost` and
`sim_time`), so that a `seconds` budget pays for the scoring. A cell is scored (and charged)
at most once per run. Cells whose proxy is undefined (NaN: a cell whose output does not depend
on its input) rank last.

Defaults: the paper's warm-up of 3,000 cells and synflow. It computed them on a GPU; the seconds
charged here are this project's single-core CPU seconds as the table records them (synflow on
CIFAR-10 about 0.12 s per cell, so about 350 s for the warm-up: 2.9% of NAS-Bench-201's CIFAR-10
budget of 12,000 s, 0.05% / 0.01% of CIFAR-100's and ImageNet16-120's). A proxy with a costlier
pass charges proportionally more; lower `warmup`/`sample` to keep its share.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .base import Capabilities, Job, JobStrategy, Params, StrategyError, check_positive
from .evolution import age_in, tournament_parent
from .zero_cost_inputs import ProxyInputError


def _check_proxy(strategy: str, name: object) -> None:
    if not isinstance(name, str) or not name:
        raise StrategyError(f"{strategy}: proxy must be a proxy name such as 'synflow', got {name!r}")


class ProxyGuided(JobStrategy, register=False):
    """Base: the proxy's values, scoring with its cost charged as each job's `overhead`."""

    capabilities = Capabilities(needs={"proxies"})

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        inputs = context.proxies
        name = self.params.proxy
        if inputs is None:
            raise StrategyError(f"{self.name}: the table has no zero-cost proxies (proxy {name!r} asked)")
        try:
            inputs.require(name, self._cands)
        except ProxyInputError as exc:
            raise StrategyError(f"{self.name}: {exc}") from None
        self._inputs = inputs
        v = np.asarray(inputs.values[name], dtype=np.float64)
        self._score = np.where(np.isfinite(v), v, -np.inf)
        self._scored = np.zeros(len(v), dtype=bool)
        self._pending = 0.0

    def ask_job(self) -> Job:
        """A job of `ask()`'s cell, charged the proxies computed since the last job.

        Returns:
            The job, its `overhead` the simulated seconds of proxy computation `ask` spent.
        """
        cell = self.ask()
        return Job(cell, overhead=self.overhead())

    def overhead(self) -> float:
        """Simulated seconds of proxy computation since the last ask (reset on reading).

        Returns:
            The seconds.
        """
        s, self._pending = self._pending, 0.0
        return s

    def score(self, cells: np.ndarray) -> np.ndarray:
        """The proxy of some cells; charges those not scored before in this run.

        Args:
            cells: official indices.

        Returns:
            The proxy value of each (-inf where not finite).
        """
        cells = np.asarray(cells, dtype=np.int64)
        new = np.unique(cells[~self._scored[cells]])
        if len(new):
            self._pending += self._inputs.cost((self.params.proxy,), new)
            self._scored[new] = True
        return self._score[cells]

    def sample_unscored(self, n: int) -> np.ndarray:
        """Up to `n` distinct candidate cells not scored yet, uniformly.

        Args:
            n: how many.

        Returns:
            Official indices (all unscored candidates where fewer than `n` remain).
        """
        pool = self._cands[~self._scored[self._cands]]
        if len(pool) <= n:
            return pool.copy()
        return self.rng.choice(pool, size=n, replace=False)

    def ranked(self, cells: np.ndarray) -> np.ndarray:
        """Cells scored and sorted, best proxy first (ties: lower index first).

        Args:
            cells: official indices.

        Returns:
            The same indices, reordered.
        """
        s = self.score(cells)
        return np.asarray(cells, dtype=np.int64)[np.lexsort((cells, -s))]


@dataclass(frozen=True)
class ProxyRandomParams(Params):
    #: the zero-cost proxy ranking the cells (one the table holds for all its cells)
    """The parameters of `proxy-random`."""

    proxy: str = "synflow"
    #: cells scored per batch (Abdelfattah et al.'s warm-up size)
    sample: int = 3000

    def check(self) -> None:
        _check_proxy("proxy-random", self.proxy)
        check_positive(self, "sample")
        if not isinstance(self.sample, int):
            raise StrategyError("proxy-random: sample must be an integer")


class ProxyRandom(ProxyGuided):
    """Zero-cost warm-up ranking: score random cells by a proxy (charged), train the best first."""

    name = "proxy-random"
    Params = ProxyRandomParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._queue: deque[int] = deque()
        self._asked: set[int] = set()

    def ask(self) -> int:
        while not self._queue:
            batch = self.sample_unscored(self.params.sample)
            if not len(batch):  # every candidate scored and asked: plain random from here
                return self.random_index()
            self._queue.extend(int(i) for i in self.ranked(batch) if int(i) not in self._asked)
        i = self._queue.popleft()
        self._asked.add(i)
        return i

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Ignored: the proxy ranking decides the queries.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        pass


@dataclass(frozen=True)
class ProxyEvolutionParams(Params):
    """The parameters of `proxy-evolution`."""

    population: int = 10
    sample_size: int = 10
    #: the zero-cost proxy (one the table holds for all its cells)
    proxy: str = "synflow"
    #: random cells scored before the search; the initial population is their top `population`
    warmup: int = 3000
    #: mutations of the parent scored per child, the proxy's best becomes the child (1: plain mutation)
    move_candidates: int = 1

    def check(self) -> None:
        _check_proxy("proxy-evolution", self.proxy)
        check_positive(self, "population", "sample_size", "warmup", "move_candidates")
        for n in ("population", "sample_size", "warmup", "move_candidates"):
            if not isinstance(getattr(self, n), int):
                raise StrategyError(f"proxy-evolution: {n} must be an integer")


class ProxyEvolution(ProxyGuided):
    """Regularised evolution with a zero-cost warm-up (and optional zero-cost move proposal)."""

    name = "proxy-evolution"
    Params = ProxyEvolutionParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._pop: deque[tuple[int, float]] = deque()
        self._told = 0
        self._init: deque[int] | None = None

    def ask(self) -> int:
        p = self.params
        if self._told < p.population:
            if self._init is None:
                warm = self.sample_unscored(max(p.warmup, p.population))
                self._init = deque(int(i) for i in self.ranked(warm)[:p.population])
            return self._init.popleft() if self._init else self.random_index()
        best_i = tournament_parent(self._pop, p.sample_size, self.rng.random)
        if p.move_candidates == 1:
            return self.mutate(best_i)
        kids = np.array([self.mutate(best_i) for _ in range(p.move_candidates)], dtype=np.int64)
        return int(kids[int(np.argmax(self.score(kids)))])

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Age the cell into the population (the oldest member leaves once it is full).

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        age_in(self._pop, index, value, self.params.population)
        self._told += 1

"""Asynchronous regularised evolution with ASHA early stopping of every trial.

Regularised (aging) evolution (Real et al., "Regularized Evolution for Image Classifier
Architecture Search", AAAI 2019) run asynchronously: a free worker starts a child of a tournament
winner at once, without waiting for other workers. Each trial trains rung by rung and is stopped at
a rung unless its value is at least the `1 - 1/eta` quantile of the values recorded at that rung
before it (the first trial at a rung always continues): the *stopping* rule of asynchronous
Hyperband (Li et al., MLSys 2020; Ray Tune's `ASHAScheduler`, syne-tune's `type="stopping"`),
which syne-tune pairs with its regularised-evolution searcher. A continuing trial goes on at once
on the worker that just freed (it resumes from its rung, charged the extra epochs only where the
levels are resumable).

A trial joins the population when it ends (stopped, or at the highest rung), the oldest member
leaving once there are `population`. Fitness is the pair (rung reached, value there): a trial
that survived more rungs beats one stopped earlier, and values are compared within a rung only
(a value at epoch 3 and one at epoch 12 are not comparable). Until `population` trials have
ended, new trials are random cells.

Defaults: `population` 10 and `sample_size` 10 (a tournament of 10; `evolution` defaults
to NAS-Bench-201's 3, so to isolate early stopping and asynchrony compare with
`--param async-evolution.sample_size=3` or `--param evolution.sample_size=10`); `eta` 3 and
rungs as `asha`, `sh` and `hyperband` (`rungs`).
"""
from __future__ import annotations

from bisect import insort
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .base import Capabilities, Job, JobStrategy, Params, StrategyError, TrialResult, check_positive
from .rungs import Rungs, check_eta, rung_ladder


@dataclass(frozen=True)
class Member:
    """An ended trial in the population: its cell, the rung it reached and its value there."""

    cell: int
    rung: int
    value: float

    @property
    def fitness(self) -> tuple[int, float]:
        """`(rung, value)`: a higher rung beats any value at a lower one."""
        return self.rung, self.value


@dataclass(frozen=True)
class AsyncEvolutionParams(Params):
    """The parameters of `async-evolution`."""

    population: int = 10
    sample_size: int = 10
    #: reduction factor of the stopping rule: a trial continues if in the top 1/eta of its rung
    eta: int = 3

    def check(self) -> None:
        check_positive(self, "population", "sample_size")
        if not isinstance(self.population, int) or not isinstance(self.sample_size, int):
            raise StrategyError("async-evolution: population and sample_size must be integers")
        check_eta("async-evolution", self.eta)


class AsyncEvolution(JobStrategy):
    """Asynchronous regularised evolution; each trial stopped at ASHA rungs unless in the top 1/eta."""

    name = "async-evolution"
    Params = AsyncEvolutionParams
    capabilities = Capabilities(multi_fidelity=True, needs={"fidelities"})

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        #: per rung: every value recorded there, ascending (for the stopping quantile)
        self._recorded: defaultdict[int, list[float]] = defaultdict(list)
        #: trials that passed a rung, to be resumed to the next on the next free worker
        self._continue: deque[Job] = deque()
        #: the most recent ended trials, oldest first
        self._pop: deque[Member] = deque()
        self._ended = 0

    @cached_property
    def rungs(self) -> Rungs:
        """The rungs (computed at the first job: the strategy can be built without fidelities)."""
        return rung_ladder(self.context.fidelities, self.params.eta, "async-evolution")

    def ask_job(self) -> Job:
        if self._continue:
            return self._continue.popleft()
        return Job(self._new_cell(), self.rungs.levels[0])

    def _new_cell(self) -> int:
        p = self.params
        if self._ended < p.population:
            return self.random_index()
        pop, rnd, n = self._pop, self.rng.random, len(self._pop)
        best = pop[int(rnd() * n)]
        for _ in range(p.sample_size - 1):
            m = pop[int(rnd() * n)]
            if m.fitness > best.fitness:
                best = m
        return self.mutate(best.cell)

    def tell_result(self, result: TrialResult) -> None:
        """Promote the trial to the next rung where its value is in the rung's top 1/eta so far, else
        add it to the population (a missing, NaN, value stops the trial and loses every tournament).

        Args:
            result: the finished job.
        """
        k = self.rungs.rung_of(result.level)
        v, rec = result.value, self._recorded[k]
        if v != v:  # a missing (NaN) value: stopped, not recorded, last in every tournament
            keep, v = False, float("-inf")
        else:
            keep = not rec or v >= float(np.percentile(rec, 100.0 * (1.0 - 1.0 / self.params.eta)))
            insort(rec, v)
        if keep and k < self.rungs.top:
            self._continue.append(Job(result.cell, self.rungs.levels[k + 1], result.trial))
            return
        self._pop.append(Member(result.cell, k, v))
        self._ended += 1
        if len(self._pop) > self.params.population:
            self._pop.popleft()

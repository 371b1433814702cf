"""Successive halving and Hyperband (Li et al., JMLR 2018), synchronous, on the table's fidelities.

Rungs. The published algorithms use a continuous resource: a bracket `s` starts
`n = ceil((s_max + 1) / (s + 1) * eta**s)` configurations at `R * eta**-s` and keeps the best
`1/eta` at each rung, up to the maximum `R`; `s_max = floor(log_eta(R / r_min))`, eta = 3.
A table records discrete levels (`fidelity`), so the rungs are the
distinct levels nearest (in log epochs) to `top / eta**k`, k = 0, 1, ..., down to the lowest
level (`rung_levels`), and `s_max` is their number minus one:

* CPU tables (epochs 1..12): rungs at 1, 4 and 12 epochs (s_max = 2). Hyperband's brackets: 9
  cells at 1 epoch -> 3 resumed to 4 -> 1 resumed to 12; 5 at 4 -> 1 at 12; 3 at 12. Successive
  halving runs the first (most aggressive) bracket over and over.
* nb201-cifar10 (12- and 200-epoch schedules): rungs at 12 and 200 epochs (s_max = 1): 3 cells on
  the 12-epoch schedule -> the best one trained afresh on the 200-epoch schedule (charged in full:
  that level is not resumable); then 2 cells at 200 epochs.

Promotions resume the trial (charged the extra epochs where the levels are resumable). Both are
synchronous: a rung's jobs are handed to free workers in parallel, then `ask_job` returns None
(the workers idle) until the whole rung is told; a bracket starts when the previous one ends.
With `parallel_brackets=True` a worker that would idle starts the next bracket instead (the
parallel scheme of BOHB, Falkner et al. 2018; with one worker nothing changes).
"""
from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass

from .base import Capabilities, Job, JobStrategy, Params, StrategyError, TrialResult
from .fidelity import Fidelities


def rung_levels(fid: Fidelities, eta: float) -> list[int]:
    """Level indices of the rungs, lowest first.

    The rungs are the distinct levels nearest in log epochs to `top_epochs / eta**k`, down to the
    lowest level (a target below it by more than half a step of eta ends the list).

    Args:
        fid: the table's fidelity levels.
        eta: the reduction factor.

    Returns:
        The level index of each rung, lowest first; the last is the top level.
    """
    epochs = [math.log(e) for e in fid.epochs]
    top = fid.top
    rungs = [top]
    k = 1
    while True:
        target = epochs[top] - k * math.log(eta)
        if target < epochs[0] - 0.5 * math.log(eta):
            break
        idx = min(range(top + 1), key=lambda j: (abs(epochs[j] - target), -j))
        if idx < rungs[-1]:
            rungs.append(idx)
        k += 1
    return rungs[::-1]


class Bracket:
    """One bracket of successive halving.

    New trials of `cells` start at `rungs[0]`; the best `1/eta` of each rung (by value; ties: the
    earlier trial) are resumed to the next rung.

    Args:
        rungs: the level index of each rung, lowest first.
        cells: the official indices of the bracket's first-rung cells.
        eta: the reduction factor.
    """

    def __init__(self, rungs: list[int], cells: list[int], eta: int) -> None:
        self.rungs, self.eta = rungs, eta
        self.rung = 0
        self.todo = [Job(i, rungs[0], None) for i in cells][::-1]  # popped from the end, in order
        self.pending: list[Job] = []  # handed out, not yet told
        self.told: list[TrialResult] = []

    @property
    def done(self) -> bool:
        """True once every rung is told."""
        return not self.todo and not self.pending and self.rung >= len(self.rungs)

    def next_job(self) -> Job | None:
        """The next job of the current rung; None once all are handed out (the rung waits at its
        barrier, or the bracket is done).
        """
        if not self.todo:
            return None
        job = self.todo.pop()
        self.pending.append(job)
        return job

    def owns(self, r: TrialResult) -> Job | None:
        """The pending job a result answers.

        Args:
            r: the finished trial.

        Returns:
            Its resumed trial, or a new trial of its cell and level; None where the bracket did not
            hand it out.
        """
        for job in self.pending:
            if (job.trial == r.trial if job.trial is not None else (job.cell, job.level) == (r.cell, r.level)):
                return job
        return None

    def tell(self, r: TrialResult) -> None:
        """Record a finished trial; the last of a rung promotes the best `1/eta` to the next rung.

        Args:
            r: the finished trial.

        Raises:
            StrategyError: the bracket did not hand out that trial.
        """
        job = self.owns(r)
        if job is None:
            raise StrategyError(f"trial {r.trial} (cell {r.cell}, level {r.level}) was not asked by this bracket")
        self.pending.remove(job)
        self.told.append(r)
        if self.pending or self.todo:
            return
        self.rung += 1
        if self.rung >= len(self.rungs):
            return
        keep = max(1, len(self.told) // self.eta)
        best = sorted(self.told, key=lambda t: (-_num(t.value), t.trial))[:keep]
        self.todo = [Job(t.cell, self.rungs[self.rung], t.trial) for t in best][::-1]
        self.told = []


def _num(v: float) -> float:
    return v if v == v else float("-inf")  # NaN last


@dataclass(frozen=True)
class SuccessiveHalvingParams(Params):
    #: the fraction kept at each rung is 1/eta (Li et al.: 3)
    """The parameters of `sh`."""

    eta: int = 3
    #: cells in the first rung; 0: eta ** (number of rungs - 1), Hyperband's most aggressive bracket
    n: int = 0
    #: True: a worker that would idle at a rung barrier starts the next bracket (BOHB's parallel
    #: scheme, Falkner et al. 2018); False: brackets strictly one after another
    parallel_brackets: bool = False

    def check(self) -> None:
        if isinstance(self.eta, bool) or not isinstance(self.eta, int) or self.eta < 2:
            raise StrategyError(f"{type(self).__name__.removesuffix('Params').lower()}: eta must be an integer >= 2, "
                                f"got {self.eta!r}")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise StrategyError(f"sh: n must be a non-negative integer (0: eta ** (rungs - 1)), got {self.n!r}")


class SynchronousBrackets(JobStrategy, register=False):
    """Shared by SH and Hyperband (and a base for model-based variants): brackets, each
    synchronous, one after another, or with `params.parallel_brackets` a new one whenever every
    running bracket waits at a barrier. Subclasses define `_new_bracket`; `sample_cells`
    draws a new bracket's cells (uniformly at random, distinct; override it to sample from a model)."""

    capabilities = Capabilities(multi_fidelity=True, needs={"fidelities"})

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._active: list[Bracket] = []
        self._rungs: list[int] | None = None

    def _all_rungs(self) -> list[int]:
        if self._rungs is None:
            fid = self.context.fidelities
            if fid is None or len(fid.levels) < 2:
                raise StrategyError(f"{self.name} needs a table with several fidelity levels "
                                    f"({'none given' if fid is None else fid.describe()})")
            self._rungs = rung_levels(fid, self.params.eta)
        return self._rungs

    def new_cell(self) -> int:
        """The cell of one new trial: uniform (BOHB overrides it with its model)."""
        return self.random_index()

    def sample_cells(self, n: int) -> list[int]:
        """Cells for a new bracket's first rung, drawn from `new_cell`.

        Args:
            n: how many cells.

        Returns:
            `n` official indices, distinct where the table has enough.
        """
        seen: set[int] = set()
        out = []
        for _ in range(n):
            i = self.new_cell()
            for _ in range(100):
                if i not in seen:
                    break
                i = self.new_cell()
            seen.add(i)
            out.append(i)
        return out

    @abstractmethod
    def _new_bracket(self) -> Bracket:
        """The next bracket (called when the previous one has ended)."""

    def ask_job(self) -> Job | None:
        self._active = [b for b in self._active if not b.done]
        for b in self._active:
            job = b.next_job()
            if job is not None:
                return job
        if self._active and not getattr(self.params, "parallel_brackets", False):
            return None  # the barrier: wait for the running rung
        b = self._new_bracket()
        self._active.append(b)
        return b.next_job()

    def tell_result(self, result: TrialResult) -> None:
        """Hand the result to the oldest bracket waiting for it.

        Args:
            result: the finished job.

        Raises:
            StrategyError: no bracket asked for the trial.
        """
        # the oldest bracket waiting for this job (two brackets may wait for a new trial of the same
        # cell and level; either may take either result, each still holds one trial of it)
        for b in self._active:
            if b.owns(result) is not None:
                b.tell(result)
                return
        raise StrategyError(f"trial {result.trial} (cell {result.cell}) was not asked by {self.name}")


class SuccessiveHalving(SynchronousBrackets):
    """Successive halving (Jamieson & Talwalkar 2016): n cells at the lowest rung, the best 1/eta go on."""

    name = "sh"
    Params = SuccessiveHalvingParams

    def _new_bracket(self) -> Bracket:
        rungs = self._all_rungs()
        eta = self.params.eta
        return Bracket(rungs, self.sample_cells(self.params.n or eta ** (len(rungs) - 1)), eta)


@dataclass(frozen=True)
class HyperbandParams(Params):
    #: the fraction kept at each rung is 1/eta (Li et al.: 3)
    """The parameters of `hyperband`."""

    eta: int = 3
    #: True: a worker that would idle at a rung barrier starts the next bracket (BOHB's parallel scheme)
    parallel_brackets: bool = False

    def check(self) -> None:
        SuccessiveHalvingParams(eta=self.eta).check()


class Hyperband(SynchronousBrackets):
    """Hyperband (Li et al. 2018): successive-halving brackets s = s_max..0, repeated until the budget ends."""

    name = "hyperband"
    Params = HyperbandParams

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        self._s = -1

    def _new_bracket(self) -> Bracket:
        rungs = self._all_rungs()
        s_max, eta = len(rungs) - 1, self.params.eta
        self._s = s_max if self._s <= 0 else self._s - 1
        s = self._s
        n = math.ceil((s_max + 1) / (s + 1) * eta ** s)
        return Bracket(rungs[s_max - s:], self.sample_cells(n), eta)


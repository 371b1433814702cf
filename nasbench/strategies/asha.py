"""ASHA: asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
Tuning", MLSys 2020, Algorithm 2, promotion type).

Whenever a worker is free, look at the rungs from the second highest down: the first rung holding a
trial that is among its top `floor(n / eta)` (`n` results at that rung so far) and has not been
promoted yet gives the job: that trial is resumed to the next rung. Otherwise a new random cell is
started at the lowest rung. It never waits (a free worker always gets a job), so a promotion may
come from an incomplete rung: the price of never idling, which Li et al. show costs little.

Defaults: `eta` = 3 (syne-tune's and HpBandSter's reduction factor, and that of our `sh` and
`hyperband`; Ray Tune's ASHAScheduler uses 4: `--param asha.eta=4`) and early-stopping rate
`s` = 0 (new cells start at the lowest rung). The rungs are those of `sh` and `hyperband`
(`rungs`), so the three compare on one ladder. Ties at a rung rank the
earlier result first.
"""
from __future__ import annotations

from bisect import insort
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from .base import Capabilities, Job, JobStrategy, Params, TrialResult
from .rungs import Rungs, check_eta, rung_ladder


@dataclass(frozen=True)
class AshaParams(Params):
    #: reduction factor: the top 1/eta of a rung is promoted, rungs eta times apart
    """The parameters of `asha`."""

    eta: int = 3

    def check(self) -> None:
        check_eta("asha", self.eta)


class Asha(JobStrategy):
    """ASHA: asynchronous successive halving, promotes the top 1/eta of each rung, never waits."""

    name = "asha"
    Params = AshaParams
    capabilities = Capabilities(multi_fidelity=True, needs={"fidelities"})

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        #: per rung: (-value, trial, cell) of every result there, best first
        self._board: defaultdict[int, list[tuple[float, int, int]]] = defaultdict(list)
        #: per rung: the trials promoted out of it
        self._promoted: defaultdict[int, set[int]] = defaultdict(set)

    @cached_property
    def rungs(self) -> Rungs:
        """The rungs (computed at the first job: the strategy can be built without fidelities)."""
        return rung_ladder(self.context.fidelities, self.params.eta, "asha")

    def ask_job(self) -> Job:
        lv = self.rungs.levels
        for k in range(self.rungs.top - 1, -1, -1):
            board, done = self._board[k], self._promoted[k]
            for _, trial, cell in board[:len(board) // self.params.eta]:
                if trial not in done:
                    done.add(trial)
                    return Job(cell, lv[k + 1], trial)
        return Job(self.random_index(), lv[0])

    def tell_result(self, result: TrialResult) -> None:
        """Record the result on its rung's leaderboard (a missing, NaN, value ranks last).

        Args:
            result: the finished job.
        """
        v = result.value
        key = -v if v == v else float("inf")  # a missing (NaN) value ranks last
        insort(self._board[self.rungs.rung_of(result.level)], (key, result.trial, result.cell))

"""The runner's event loop: one search with N simulated parallel workers and fidelities.

Each worker trains one job (:class:`~nasbench.strategies.base.Job`) at a time. Whenever workers
are free (lowest worker id first) the strategy is asked (``ask_job``); a job's simulated finish is
its start plus its cost, and finished jobs are told (``tell_result``) one at a time in order of
finish time (a heap; ties in the order the jobs were started). ``ask_job`` returning None leaves
the worker idle until the next finish; if nothing is running either, the run ends.

Budgets (``Budget.kind``), checked when a job would start:

* ``queries``: jobs started (= finished) in all;
* ``seconds``: simulated wall-clock: a job that would finish after the budget is not started and
  its worker retires (the strategy was asked, as a one-worker run asks the query it cannot pay);
* ``worker-seconds``: total charged cost over all workers; ``epochs``: total epochs charged; a job
  that would overrun either is not started and its worker retires.

With one worker and a single-fidelity strategy this is exactly the sequential loop of
:func:`nasbench.experiment.run_one` (same asks, draws, tells and rows; tested).

Incumbent: the best value at the highest fidelity level any finished job has reached (a run's
first result at a higher level replaces a better-looking value at a lower one), ties keep the
earlier; single-fidelity strategies see one level, so it is the best value seen.
"""
from __future__ import annotations

import heapq
from bisect import insort
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .strategies.base import Job, Strategy, StrategyError, TrialResult
from .strategies.protocol import MAX_QUERIES, Budget, SearchView

if TYPE_CHECKING:
    from .strategies.fidelity import FidelityView


@dataclass
class _Trial:
    """A trial's state in the loop: its cell, the level it has reached, its recorded-run slot."""

    cell: int
    level: int
    slot: int
    running: bool


@dataclass(frozen=True)
class LoopSetup:
    """What the loop reads besides the strategy: the protocol's view, the fidelities (None unless
    the strategy is multi-fidelity), the protocol's level index, test values and objectives."""

    view: SearchView
    fidelities: "FidelityView | None"
    protocol_level: int
    test: list[float]
    objectives: list[list[float]] | None
    budget: Budget
    workers: int


def run_events(setup: LoopSetup, strategy: Strategy, noise: np.random.Generator) -> dict[str, list]:
    """One search; the columns of its finished jobs in finish order (without strategy/run/step)."""
    kind, limit = setup.budget.kind, float(setup.budget.amount)
    n_workers = setup.workers if not strategy.max_workers else min(setup.workers, strategy.max_workers)
    mf = strategy.multi_fidelity
    fv = setup.fidelities
    if mf and fv is None:
        raise StrategyError(f"strategy {strategy.name!r} is multi-fidelity but the run has no fidelities")
    levels = fv.fidelities.levels if fv is not None else ()
    observe = setup.view.observe
    own_cost = strategy.own_cost if strategy.prices_queries else None
    overhead = strategy.overhead if strategy.charges_overhead else None
    objs, test = setup.objectives, setup.test
    plain_ask = type(strategy).ask_job is Strategy.ask_job
    plain_tell = type(strategy).tell_result is Strategy.tell_result
    ask, ask_job, tell, tell_result = strategy.ask, strategy.ask_job, strategy.tell, strategy.tell_result
    epq, plevel = setup.view.epochs_per_query, setup.protocol_level

    free = list(range(n_workers))
    heap: list[tuple] = []
    trials: list[_Trial] = []
    now = spent_w = spent_e = 0.0
    done_e = 0.0
    started = seq = 0
    inc, inc_v, inc_lv = -1, float("-inf"), -1
    cols: dict[str, list] = {k: [] for k in ("sim_time", "epochs", "cell", "value", "cost", "incumbent",
                                             "incumbent_valid", "incumbent_test", "worker", "start", "level",
                                             "fidelity_epochs", "trial")}
    (c_sim, c_eps, c_cell, c_val, c_cost, c_inc, c_incv, c_inct, c_w, c_start, c_lv, c_fe,
     c_trial) = cols.values()
    while True:
        while free and started < MAX_QUERIES:
            if kind == "queries" and started >= limit:
                free.clear()
                break
            job = Job(ask()) if plain_ask else ask_job()
            if job is None:
                break
            if mf:
                tid, level, v, c, ep = _resolve(job, trials, fv, noise)
            else:
                v, c = observe(job.cell, noise)
                if own_cost is not None:
                    c = own_cost()
                tid, level, ep = started, plevel, epq
            if overhead is not None:  # the strategy's own compute since its last ask (proxies it scored),
                c += overhead()       # done by the worker that runs this job, before training
            w = free[0]
            if (kind == "seconds" and now + c > limit) or (kind == "worker-seconds" and spent_w + c > limit) \
                    or (kind == "epochs" and spent_e + ep > limit):
                free.pop(0)  # this worker retires; the job is not run
                if mf and job.trial is None:
                    trials.pop()  # the trial never started
                elif mf:
                    trials[tid].running = False
                continue
            free.pop(0)
            spent_w += c
            spent_e += ep
            started += 1
            seq += 1
            heapq.heappush(heap, (now + c, seq, w, now, tid, job.cell, level, v, c, ep))
        if not heap:
            break
        finish, _, w, start, tid, cell, level, v, c, ep = heapq.heappop(heap)
        now = finish
        done_e += ep
        o = tuple(objs[cell]) if objs is not None else ()
        if mf:
            t = trials[tid]
            t.running, t.level = False, level
        if plain_tell:
            tell(cell, v, c, o)
        else:
            tell_result(TrialResult(tid, cell, level, v, c, w, start, finish, o))
        if level > inc_lv or (level == inc_lv and v > inc_v):
            inc, inc_v, inc_lv = cell, v, level
        c_sim.append(finish)
        c_eps.append(done_e)
        c_cell.append(cell)
        c_val.append(v)
        c_cost.append(c)
        c_inc.append(inc)
        c_incv.append(inc_v)
        c_inct.append(test[inc])
        c_w.append(w)
        c_start.append(start)
        c_lv.append(level)
        c_fe.append(levels[level].epochs if mf else epq)
        c_trial.append(tid)
        insort(free, w)
    return cols


def _resolve(job: Job, trials: list[_Trial], fv: "FidelityView", noise: np.random.Generator
             ) -> tuple[int, int, float, float, float]:
    """(trial id, level, value, charged cost, charged epochs) of a multi-fidelity job; registers
    a new trial or marks a resumed one running."""
    fid = fv.fidelities
    level = fid.protocol_level if job.level is None else job.level
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level <= fid.top:
        raise StrategyError(f"job level {job.level!r} out of range; the table has levels 0..{fid.top} "
                            f"({fid.describe()})")
    level = int(level)
    cell = int(job.cell)
    if job.trial is None:
        slot = fv.draw_slot(level, cell, noise)
        trials.append(_Trial(cell, level, slot, True))
        v, c = fv.observe(level, cell, slot)
        return len(trials) - 1, level, v, c, float(fid.levels[level].epochs)
    tid = job.trial
    if not isinstance(tid, (int, np.integer)) or not 0 <= tid < len(trials):
        raise StrategyError(f"job resumes trial {tid!r}, which was never started")
    t = trials[tid]
    if t.cell != cell or t.running or level <= t.level:
        why = (f"it trains cell {t.cell}, not {cell}" if t.cell != cell else "it is still running" if t.running
               else f"it is already at level {t.level}")
        raise StrategyError(f"job resumes trial {tid} to level {level}, but {why}")
    if not fid.resumable(t.level, level):  # a fresh training of the longer schedule: a new recorded run
        t.slot = fv.draw_slot(level, cell, noise)
    t.running = True
    v, _ = fv.observe(level, cell, t.slot)
    return tid, level, v, fid.resume_cost(t.level, level, cell), float(fid.resume_epochs(t.level, level))

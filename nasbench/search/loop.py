"""The runner's event loop: one search with N simulated parallel workers and fidelities.

Each worker trains one job (`Job`) at a time. Whenever workers
are free (lowest worker id first) the strategy is asked (`ask_job`); a job's simulated finish is
its start plus its cost, and finished jobs are told (`tell_result`) one at a time in order of
finish time (a heap; ties in the order the jobs were started). `ask_job` returning None leaves
the worker idle until the next finish; if nothing is running either, the run ends. A job's cost
is the table's recorded training cost of its cell, or the strategy's own price (`Job.cost`),
plus the strategy's overhead (`Job.overhead`: the compute it spent choosing the job).

A classic strategy (`Strategy`, not a `JobStrategy`) is asked and told through its `ask`/`tell`
directly: the base's `Job(self.ask())` adapter, without the allocations. With one worker, one
fidelity and a classic strategy each job starts when the one before it finishes, so the loop
needs no heap and records its rows column by column (`_run_sequential`, the common case);
otherwise `_run_workers` runs the general loop. Both give the same rows.

Budgets (`Budget.kind`), checked when a job would start:

* `queries`: jobs started (= finished) in all;
* `seconds`: simulated wall-clock: a job that would finish after the budget is not started and
  its worker retires (the strategy was asked, as a one-worker run asks the query it cannot pay);
* `worker-seconds`: total charged cost over all workers; `epochs`: total epochs charged; a job
  that would overrun either is not started and its worker retires.

This is the suite's one search loop: one worker is the ordinary case (every `compare` run goes
through it), several workers and multi-fidelity strategies are the same loop with more free
workers and levels.

Incumbent: the best value at the highest fidelity level any finished job has reached (a run's
first result at a higher level replaces a better-looking value at a lower one), ties keep the
earlier; single-fidelity strategies see one level, so it is the best value seen.
"""
from __future__ import annotations

import heapq
import math
from bisect import insort
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import TYPE_CHECKING

import numpy as np

from ..strategies.base import Job, JobStrategy, Strategy, StrategyError, TrialResult
from ..strategies.protocol import MAX_QUERIES, Budget, SearchView

if TYPE_CHECKING:
    from ..strategies.fidelity import FidelityView


@dataclass
class _Trial:
    """A trial's state in the loop: its cell, the level it has reached, its recorded-run slot."""

    cell: int
    level: int
    slot: int
    running: bool


@dataclass(frozen=True)
class LoopSetup:
    """What the loop reads besides the strategy.

    Attributes:
        view: the protocol's view of the table.
        fidelities: the fidelity view (None unless the strategy is multi-fidelity).
        protocol_level: the protocol's level index.
        test: the test value of each cell (official index order), for the report.
        objectives: the objectives of each cell in multi-objective runs, else None.
        budget: the run's budget.
        workers: simulated parallel workers.
    """

    view: SearchView
    fidelities: "FidelityView | None"
    protocol_level: int
    test: list[float]
    objectives: np.ndarray | None
    budget: Budget
    workers: int


#: the columns `run_events` returns, in this order
EVENT_COLUMNS = ("sim_time", "epochs", "cell", "value", "cost", "incumbent", "incumbent_valid", "incumbent_test",
                 "worker", "start", "level", "fidelity_epochs", "trial")


def run_events(setup: LoopSetup, strategy: Strategy, noise: np.random.Generator) -> dict[str, list]:
    """One search; the columns of its finished jobs in finish order (without strategy/run/step).

    Args:
        setup: the protocol's view, fidelities, test values, objectives, budget and workers.
        strategy: the strategy: a classic `Strategy` is asked and told through its `ask`/`tell`,
            a `JobStrategy` through its `ask_job`/`tell_result`.
        noise: the generator of the run's recorded-seed draws.

    Returns:
        `{column: values}` for `EVENT_COLUMNS`, one value per finished job.

    Raises:
        StrategyError: a multi-fidelity strategy without fidelities, or a job with a level out
            of range or a trial it cannot resume.
    """
    caps = strategy.capabilities
    n_workers = setup.workers if not caps.max_workers else min(setup.workers, caps.max_workers)
    if caps.multi_fidelity and setup.fidelities is None:
        raise StrategyError(f"strategy {strategy.name!r} is multi-fidelity but the run has no fidelities")
    if n_workers == 1 and not caps.multi_fidelity and not isinstance(strategy, JobStrategy):
        return _run_sequential(setup, strategy, noise)
    return _run_workers(setup, strategy, noise, n_workers)


def _run_sequential(setup: LoopSetup, strategy: Strategy, noise: np.random.Generator) -> dict[str, list]:
    """`run_events` with one worker, one fidelity and a classic strategy.

    Each job starts when the one before it finishes, so no queue; per job the loop keeps only the
    cell, value and cost (and where the incumbent changes); the other columns are built after it
    (the running sums by `accumulate`, the same additions in the same order): the same rows as
    the event loop.

    Args:
        setup: as for `run_events`.
        strategy: a classic strategy (its `ask`/`tell` are called).
        noise: the generator of the run's recorded-seed draws.

    Returns:
        `{column: values}` for `EVENT_COLUMNS`.
    """
    kind, limit = setup.budget.kind, float(setup.budget.amount)
    ask, tell, observe = strategy.ask, strategy.tell, setup.view.observe
    objs, epq = setup.objectives, setup.view.epochs_per_query
    cells: list[int] = []
    values: list[float] = []
    costs: list[float] = []
    add_cell, add_value, add_cost = cells.append, values.append, costs.append
    changes: list[tuple[int, int, float]] = []  # (job, cell, value) where the incumbent changes
    inc, inc_v = -1, float("-inf")
    budgeted = kind != "queries"  # queries: the number of jobs is known, nothing to check per job
    steps = range(min(MAX_QUERIES, math.ceil(limit)) if not budgeted else MAX_QUERIES)
    # seconds and worker-seconds are the same with one worker; epochs: each job charges epq
    stop = limit if kind in ("seconds", "worker-seconds") else float("inf")
    e_stop = limit if kind == "epochs" else float("inf")
    if objs is not None:  # multi-objective: the cell's objectives are told too
        tell_strategy = tell

        def tell(cell: int, v: float, c: float, _: tuple) -> None:
            tell_strategy(cell, v, c, tuple(objs[cell].tolist()))
    now = done_e = 0.0
    for step in steps:
        cell = ask()
        v, c = observe(cell, noise)
        if budgeted:
            if now + c > stop or done_e + epq > e_stop:
                break  # the one worker retires; the job is not run
            now += c
            done_e += epq
        tell(cell, v, c, ())
        if v > inc_v or inc < 0:
            inc, inc_v = cell, v
            changes.append((step, cell, v))
        add_cell(cell)
        add_value(v)
        add_cost(c)
    n = len(cells)
    test = setup.test
    incs: list[int] = []
    inc_vs: list[float] = []
    inc_ts: list[float] = []
    for (first, cell, v), end in zip(changes, [*(ch[0] for ch in changes[1:]), n]):
        k = end - first
        incs += [cell] * k
        inc_vs += [v] * k
        inc_ts += [test[cell]] * k
    sim = list(accumulate(costs, initial=0.0))  # 0.0, then each finish: the loop's running sum
    return {"sim_time": sim[1:], "epochs": list(accumulate(repeat(epq, n), initial=0.0))[1:], "cell": cells,
            "value": values, "cost": costs, "incumbent": incs, "incumbent_valid": inc_vs, "incumbent_test": inc_ts,
            "worker": [0] * n, "start": sim[:n], "level": [setup.protocol_level] * n, "fidelity_epochs": [epq] * n,
            "trial": list(range(n))}


def _run_workers(setup: LoopSetup, strategy: Strategy, noise: np.random.Generator, n_workers: int
                 ) -> dict[str, list]:
    """`run_events` in general: several workers (a heap of running jobs), fidelities, jobs."""
    kind, limit = setup.budget.kind, float(setup.budget.amount)
    mf = strategy.capabilities.multi_fidelity
    fv = setup.fidelities
    levels = fv.fidelities.levels if fv is not None else ()
    observe = setup.view.observe
    objs, test = setup.objectives, setup.test
    jobs = isinstance(strategy, JobStrategy)  # else a classic strategy: its ask/tell are called directly
    ask, ask_job, tell, tell_result = strategy.ask, strategy.ask_job, strategy.tell, strategy.tell_result
    epq, plevel = setup.view.epochs_per_query, setup.protocol_level
    by_queries = kind == "queries"
    cap = min(MAX_QUERIES, math.ceil(limit)) if by_queries else MAX_QUERIES  # jobs started in all
    by_seconds, by_worker_seconds, by_epochs = kind == "seconds", kind == "worker-seconds", kind == "epochs"
    plain = not jobs and not mf  # a cell asked, looked up and charged its recorded cost

    free = list(range(-n_workers + 1, 1))  # free workers as negative ids, ascending: pop() is the lowest id
    heap: list[tuple] = []
    trials: list[_Trial] = []
    rows: list[tuple] = []  # one tuple per finished job, EVENT_COLUMNS in order (transposed at the end)
    now = spent_w = spent_e = 0.0
    done_e = 0.0
    started = 0
    inc, inc_v, inc_lv = -1, float("-inf"), -1
    last = None  # the job started last, held out of the heap until another one starts
    level, ep, job = plevel, epq, None
    fid_epochs = [lv.epochs for lv in levels] if mf else [epq] * (plevel + 1)  # epochs charged per level
    while True:
        while free and started < cap:
            if plain:  # level and ep stay the protocol's
                cell = ask()
                v, c = observe(cell, noise)
                tid = started
            else:
                if jobs:
                    job = ask_job()
                    if job is None:
                        break
                    cell = job.cell
                else:
                    job, cell = None, ask()
                if mf:
                    tid, level, v, c, ep = _resolve(job if job is not None else Job(cell), trials, fv, noise)
                else:
                    v, c = observe(cell, noise)
                    tid, level, ep = started, plevel, epq
                if job is not None:  # what the job costs beyond the table: the strategy's price, its overhead
                    if job.cost is not None:
                        c = job.cost
                    if job.overhead:  # the strategy's own compute (proxies it scored), done by the
                        c += job.overhead  # worker that runs this job, before training
            if not by_queries and ((by_seconds and now + c > limit) or (by_worker_seconds and spent_w + c > limit)
                                   or (by_epochs and spent_e + ep > limit)):
                free.pop()  # this worker retires; the job is not run
                if mf and (job is None or job.trial is None):
                    trials.pop()  # the trial never started
                elif mf:
                    trials[tid].running = False
                continue
            spent_w += c
            spent_e += ep
            started += 1
            if last is not None:
                heapq.heappush(heap, last)
            last = (now + c, started, -free.pop(), now, tid, cell, level, v, c, ep)
        if last is None:
            if not heap:
                break
            finish, _, w, start, tid, cell, level, v, c, ep = heapq.heappop(heap)
        elif heap:
            finish, _, w, start, tid, cell, level, v, c, ep = heapq.heappushpop(heap, last)
            last = None
        else:  # the only job running: it finishes next, no queue needed
            finish, _, w, start, tid, cell, level, v, c, ep = last
            last = None
        now = finish
        done_e += ep
        if mf:
            t = trials[tid]
            t.running, t.level = False, level
        o = tuple(objs[cell].tolist()) if objs is not None else ()
        if jobs:
            tell_result(TrialResult(tid, cell, level, v, c, w, start, finish, o))
        else:
            tell(cell, v, c, o)
        if level > inc_lv or (level == inc_lv and v > inc_v):
            inc, inc_v, inc_lv = cell, v, level
        rows.append((finish, done_e, cell, v, c, inc, inc_v, test[inc], w, start, level, fid_epochs[level], tid))
        insort(free, -w)
    if not rows:
        return {k: [] for k in EVENT_COLUMNS}
    return {k: list(col) for k, col in zip(EVENT_COLUMNS, zip(*rows))}


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

"""Small real comparisons for the report tests, run once per test session: ``single()`` on the
embedded nb201-cifar10 (published NAS-Bench-201 numbers; 3 strategies x 5 runs x 40 queries) and
``multi()`` on two SYNTHETIC tables written as .h5 files (mechanics only)."""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

STRATEGIES = ("random", "evolution", "local_search")


@functools.lru_cache(maxsize=None)
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="nasbench-report-tests-"))
    atexit.register(shutil.rmtree, root, True)
    return root


@functools.lru_cache(maxsize=None)
def single() -> Path:
    """A finished results directory of a small comparison on nb201-cifar10 (with its report.html)."""
    from nasbench.search.runner import ExperimentConfig, run_comparison
    from nasbench.analysis.report import write_report
    from nasbench.strategies import Budget, Protocol

    res = run_comparison(ExperimentConfig(table="nb201-cifar10", strategies=STRATEGIES, runs=5,
                                          budget=Budget("queries", 40), protocol=Protocol(), jobs=1,
                                          out=str(_root() / "single"), progress=False))
    write_report(res.path)
    return res.path


@functools.lru_cache(maxsize=None)
def multi() -> Path:
    """A finished multi-table results directory on two synthetic tables (with its report.html)."""
    from nasbench.search.runner import ExperimentConfig
    from nasbench.search.multitable import run_tables
    from nasbench.analysis.report import write_report
    from nasbench.strategies import Budget
    from nasbench.tables.hdf5 import write_table
    from synthetic import synthetic_table

    d = _root() / "tables"
    d.mkdir(exist_ok=True)
    for name, seed in (("a", 0), ("b", 1)):
        write_table(d / f"{name}.h5", synthetic_table(seed=seed))
    m = run_tables(ExperimentConfig(table=f"{d / 'a.h5'},{d / 'b.h5'}", strategies=STRATEGIES, runs=3,
                                    budget=Budget("queries", 15), out=str(_root() / "multi"), progress=False))
    write_report(m.path)
    return m.path

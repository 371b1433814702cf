"""Bit-for-bit guard for refactors: three small comparisons whose ``results.csv`` must equal the
files frozen in ``tests/data/golden/`` (written by the code before the benchmark-contract
refactor). A change to any strategy, the runner, the table reader or the surrogate that alters a
single result fails here.

* ``main``: the main job (the four default strategies under nb201-cifar10's preset protocol and
  budget), 2 runs each;
* ``multiobjective``: mo_random and mo_evolution on params and FLOPs, 2 runs, 60 queries;
* ``surrogate``: random and evolution, 2 runs, on an XGBoost surrogate of nb201-cifar10 fitted
  to 400 cells (the runner drawing seeded runs from the surrogate).

Regenerate (only when a change of results is intended and documented):
``PYTHONPATH=. python tests/test_golden.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
CASES = ("main", "multiobjective", "surrogate")


def _bench(case: str):
    import nasbench

    table = nasbench.load("nb201-cifar10")
    if case != "surrogate":
        return table
    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    return SurrogateBenchmark.fit(table, SurrogateConfig(model="xgb", model_params={"n_estimators": 50},
                                                         n_train=400, seed=3))


def run_case(case: str, out: Path) -> bytes:
    """The ``results.csv`` bytes of one golden comparison, written under ``out``."""
    from nasbench.experiment import ExperimentConfig, run_comparison
    from nasbench.strategies import Budget, Protocol

    if case == "main":
        cfg = ExperimentConfig(table="nb201-cifar10", runs=2, out=str(out), progress=False)
    elif case == "multiobjective":
        cfg = ExperimentConfig(table="nb201-cifar10", strategies=("mo_random", "mo_evolution"), runs=2,
                               budget=Budget("queries", 60), protocol=Protocol(objectives=("params", "flops")),
                               out=str(out), progress=False)
    else:
        cfg = ExperimentConfig(table="nb201-cifar10", strategies=("random", "evolution"), runs=2,
                               budget=Budget("queries", 60), protocol=Protocol(seed="random"),
                               out=str(out), progress=False)
    return run_comparison(cfg, _bench(case)).table_path.read_bytes()


@pytest.mark.parametrize("case", CASES)
def test_results_are_bit_identical_to_the_frozen_files(case, tmp_path):
    got = run_case(case, tmp_path / case)
    want = (GOLDEN / f"{case}.csv").read_bytes()
    assert len(got.splitlines()) > 100
    assert got == want, f"{case}: results.csv differs from tests/data/golden/{case}.csv"


if __name__ == "__main__":  # regenerate the frozen files
    import tempfile

    for c in (sys.argv[1:] or CASES):
        with tempfile.TemporaryDirectory() as d:
            (GOLDEN / f"{c}.csv").write_bytes(run_case(c, Path(d) / c))
            print(c, (GOLDEN / f"{c}.csv").stat().st_size, "bytes")

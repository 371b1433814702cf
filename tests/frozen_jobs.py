"""Small comparisons whose results.csv must not change under refactoring.

``python tests/frozen_jobs.py --write`` (run once, on the code before a refactor) stores the
SHA-256 of each job's results.csv in tests/data/frozen_results.json; tests/test_frozen_results.py
reruns the jobs and compares. The jobs: the default strategies plus local search and BANANAS on the
embedded NAS-Bench-201 CIFAR-10 table under its published protocol; a multi-objective one
(params); the default strategies on a small surrogate fitted to 10 % of that table; and the four
default strategies, six runs of 60 queries, seed 7, on nb201-digits (recorded before the search
loop became one).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

EXPECTED = Path(__file__).parent / "data" / "frozen_results.json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


JOBS = ("main", "multiobjective", "surrogate", "digits")


def run_jobs(out: Path, names: tuple[str, ...] = JOBS) -> dict[str, str]:
    """Run the named jobs under ``out``; the SHA-256 of each results.csv."""
    import nasbench
    from nasbench.experiment import ExperimentConfig, StrategySpec, run_comparison
    from nasbench.strategies import Budget, Protocol

    bench = nasbench.load("nb201-cifar10")
    digests = {}
    for name in names:
        if name == "digits":  # the rebuild's record: four strategies, six runs, 60 queries, seed 7
            cfg = ExperimentConfig(table="nb201-digits", strategies=("random", "evolution", "reinforce", "gradient"),
                                   runs=6, budget=Budget("queries", 60), seed=7, out=str(out / name), progress=False)
            b = nasbench.load("nb201-digits")
        elif name == "main":
            cfg = ExperimentConfig(table="nb201-cifar10",
                                   strategies=("random", "evolution", "reinforce", "gradient", "local_search",
                                               StrategySpec("bananas", {"n_init": 5, "members": 2, "fit_epochs": 20, "n_candidates": 20})),
                                   runs=2, budget=Budget("queries", 15), out=str(out / name), progress=False)
            b = bench
        elif name == "multiobjective":
            cfg = ExperimentConfig(table="nb201-cifar10", strategies=("mo_random", "mo_evolution"), runs=2,
                                   budget=Budget("queries", 20), protocol=Protocol(objectives=("params",)),
                                   out=str(out / name), progress=False)
            b = bench
        else:
            from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig
            from surrogates.models import XGBSurrogate

            b = SurrogateBenchmark.fit(bench, SurrogateConfig(
                model="ensemble", model_params={"base_estimator": XGBSurrogate(n_estimators=20), "n_members": 2},
                train_fraction=0.05, seed=1))
            cfg = ExperimentConfig(table="surrogate", strategies=("random", "evolution"), runs=2,
                                   budget=Budget("queries", 20), out=str(out / name), progress=False)
        res = run_comparison(cfg, bench=b)
        digests[name] = _sha(res.table_path)
    return digests


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        got = run_jobs(Path(d))
    print(json.dumps(got, indent=1))
    if "--write" in sys.argv:
        EXPECTED.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")

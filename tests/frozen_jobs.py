"""Small comparisons whose ``results.csv`` must not change under refactoring: the one helper of
tests/test_frozen_results.py.

Each job is stored one of two ways, both written by the code before a refactor:

* ``csv:<name>``: the whole ``results.csv``, in ``tests/data/golden/<name>.csv``, compared byte for
  byte (a failure shows which rows moved):

  - ``csv:main``: the main job (the four default strategies under nb201-cifar10's preset protocol
    and budget), 2 runs each;
  - ``csv:multiobjective``: mo_random and mo_evolution on params and FLOPs, 2 runs, 60 queries;
  - ``csv:surrogate``: random and evolution, 2 runs, on an XGBoost surrogate of nb201-cifar10
    fitted to 400 cells (the runner drawing seeded runs from the surrogate).

* ``sha256:<name>``: the SHA-256 of ``results.csv``, in ``tests/data/frozen_results.json``:

  - ``sha256:main``: the default strategies plus local search and BANANAS on the embedded
    NAS-Bench-201 CIFAR-10 table under its published protocol, 2 runs of 15 queries;
  - ``sha256:multiobjective``: mo_random and mo_evolution on params, 2 runs of 20 queries;
  - ``sha256:surrogate``: random and evolution on a small surrogate fitted to 5 % of that table;
  - ``sha256:digits``: the four default strategies, six runs of 60 queries, seed 7, on
    nb201-digits (recorded before the search loop became one).

Rewrite the stores (only when a change of results is intended, and say why in the commit):
``PYTHONPATH=. python tests/frozen_jobs.py --write [job ...]`` (without ``--write`` it prints what
the jobs give now).
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "golden"  #: csv:<name> -> GOLDEN / "<name>.csv"
EXPECTED = DATA / "frozen_results.json"  #: sha256:<name> -> EXPECTED[<name>]


@dataclass(frozen=True)
class Job:
    store: str  # "csv" or "sha256"
    name: str

    def __str__(self) -> str:
        return f"{self.store}:{self.name}"


JOBS = (*(Job("csv", n) for n in ("main", "multiobjective", "surrogate")),
        *(Job("sha256", n) for n in ("main", "multiobjective", "surrogate", "digits")))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frozen(job: Job) -> bytes | str:
    """What ``job`` gave when frozen: the file's bytes (csv) or the digest (sha256)."""
    if job.store == "csv":
        return (GOLDEN / f"{job.name}.csv").read_bytes()
    return json.loads(EXPECTED.read_text())[job.name]


def _config(job: Job, out: Path):
    from nasbench.search.runner import ExperimentConfig, StrategySpec
    from nasbench.strategies import Budget, Protocol

    out = str(out)
    if job.store == "csv":
        if job.name == "main":
            return ExperimentConfig(table="nb201-cifar10", runs=2, out=out, progress=False)
        if job.name == "multiobjective":
            return ExperimentConfig(table="nb201-cifar10", strategies=("mo_random", "mo_evolution"), runs=2,
                                    budget=Budget("queries", 60), protocol=Protocol(objectives=("params", "flops")),
                                    out=out, progress=False)
        return ExperimentConfig(table="nb201-cifar10", strategies=("random", "evolution"), runs=2,
                                budget=Budget("queries", 60), protocol=Protocol(seed="random"), out=out, progress=False)
    if job.name == "digits":  # the rebuild's record: four strategies, six runs, 60 queries, seed 7
        return ExperimentConfig(table="nb201-digits", strategies=("random", "evolution", "reinforce", "gradient"),
                                runs=6, budget=Budget("queries", 60), seed=7, out=out, progress=False)
    if job.name == "main":
        return ExperimentConfig(table="nb201-cifar10",
                                strategies=("random", "evolution", "reinforce", "gradient", "local_search",
                                            StrategySpec("bananas", {"n_init": 5, "members": 2, "fit_epochs": 20,
                                                                     "n_candidates": 20})),
                                runs=2, budget=Budget("queries", 15), out=out, progress=False)
    if job.name == "multiobjective":
        return ExperimentConfig(table="nb201-cifar10", strategies=("mo_random", "mo_evolution"), runs=2,
                                budget=Budget("queries", 20), protocol=Protocol(objectives=("params",)),
                                out=out, progress=False)
    return ExperimentConfig(table="surrogate", strategies=("random", "evolution"), runs=2,
                            budget=Budget("queries", 20), out=out, progress=False)


def _bench(job: Job, cifar10=None):
    import nasbench

    if job.name == "digits":
        return nasbench.load("nb201-digits")
    table = cifar10 if cifar10 is not None else nasbench.load("nb201-cifar10")
    if job.name != "surrogate":
        return table
    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    if job.store == "csv":
        return SurrogateBenchmark.fit(table, SurrogateConfig(model="xgb", model_params={"n_estimators": 50},
                                                             n_train=400, seed=3))
    from surrogates.models import XGBSurrogate

    return SurrogateBenchmark.fit(table, SurrogateConfig(
        model="ensemble", model_params={"base_estimator": XGBSurrogate(n_estimators=20), "n_members": 2},
        train_fraction=0.05, seed=1))


def run_job(job: Job, out: Path, cifar10=None) -> bytes:
    """The ``results.csv`` bytes of ``job``, run under ``out`` (``cifar10``: the loaded
    nb201-cifar10 table, to share one; loaded here when None)."""
    from nasbench.search.runner import run_comparison

    return run_comparison(_config(job, out / job.store / job.name), _bench(job, cifar10)).table_path.read_bytes()


def got_as_stored(job: Job, got: bytes) -> bytes | str:
    """``got`` (results.csv bytes) in the form ``job`` is stored in."""
    return got if job.store == "csv" else sha256(got)


if __name__ == "__main__":
    import tempfile

    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    chosen = [j for j in JOBS if not names or str(j) in names]
    digests = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    with tempfile.TemporaryDirectory() as d:
        for job in chosen:
            got = run_job(job, Path(d))
            if job.store == "csv":
                print(job, len(got), "bytes", "(unchanged)" if GOLDEN.joinpath(f"{job.name}.csv").exists()
                      and got == frozen(job) else "(differs)")
                if "--write" in sys.argv:
                    (GOLDEN / f"{job.name}.csv").write_bytes(got)
            else:
                digests[job.name] = sha256(got)
                print(job, digests[job.name])
    if "--write" in sys.argv and any(j.store == "sha256" for j in chosen):
        EXPECTED.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")

"""`provenance.json` of a results directory: the configuration, the package and library versions,
the table's SHA-256 and optimum, every strategy's class and resolved parameters, plug-ins, timings."""
from __future__ import annotations

import dataclasses
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Iterable

import numpy as np

from .._version import __version__
from ..strategies import make_params
from ..strategies.plugins import provenance as plugin_provenance
from ..tables.benchmark import Benchmark
from ..util.atomic import atomic_write
from ..util.checksummed import sha256_bytes
from .config import ExperimentConfig, StrategySpec, _strategy_class
from .one_run import _Shared
from .results import ResultsDir


def table_sha256(bench: Benchmark) -> str:
    """The table's content SHA-256, recomputed on load.

    Args:
        bench: the loaded table.

    Returns:
        The hex digest.
    """
    return bench.content_sha256()


def _stored_if_different(bench: Benchmark) -> dict[str, str]:
    """The file's stored SHA-256 where it differs from the recomputed one (loaded with the hash
    check off): provenance names what was served, and that the file did not match."""
    stored, sha = bench.stored_sha256, bench.sha256
    return {"stored_sha256_mismatch": stored or "(none)"} if sha and stored != sha else {}


def write_provenance(res: ResultsDir, config: ExperimentConfig, bench: Benchmark, shared: _Shared,
                      seconds: float, n_new: int, jobs: int, table_bytes: bytes) -> None:
    """Write `provenance.json` into the results directory (atomically).

    It records the config, the library versions, each strategy's class and resolved parameters,
    the table (name, SHA-256, dataset, cells), its optimum, the protocol, the checksum of
    `results.csv` and the last invocation.

    Args:
        res: the results directory.
        config: the comparison.
        bench: the table searched.
        shared: the search state every run shares (the view, the test values, the fidelities).
        seconds: the wall time of this invocation.
        n_new: the runs this invocation did.
        jobs: the worker processes it used.
        table_bytes: the bytes of `results.csv` as written.
    """
    import platform

    import numpy
    import pandas
    import torch


    test = np.array(shared.test)
    valid = shared.view.mean_values()
    best_t = int(np.nanargmax(test))
    best_v = int(np.nanargmax(valid))
    prov = {
        "config": config.identity(),
        "nasbench_version": __version__,
        "python": platform.python_version(), "numpy": numpy.__version__, "pandas": pandas.__version__,
        "torch": torch.__version__,
        "strategy_libraries": strategy_libraries(config.strategies),
        # each strategy's class and every parameter as run (the defaults resolved), by label
        "strategies": resolved_strategies(config.strategies),
        "table": {"name": bench.name, "sha256": table_sha256(bench),  # recomputed on load
                  **_stored_if_different(bench),
                  "dataset": bench.meta.dataset, "source": bench.meta.source,
                  "cells": int(len(shared.view.candidates))},
        "optimum": {"test_metric": config.protocol.test_metric, "best_test": float(test[best_t]),
                    "best_test_cell": best_t, "best_valid_mean": float(valid[best_v]), "best_valid_cell": best_v,
                    "test_of_best_valid": float(test[best_v])},
        "protocol_note": shared.view.note,
        "signal_epoch": shared.view.epoch, "epochs_per_query": shared.view.epochs_per_query,
        "columns": list(config.columns),
        # what results.csv holds, checked when it is read back (nasbench.search.results.read_results_csv)
        "results_file": {"rows": max(table_bytes.count(b"\n") - 1, 0), "sha256": sha256_bytes(table_bytes)},
        "last_invocation": {"seconds": round(seconds, 3), "runs_done": n_new, "jobs": jobs,
                            "executor": config.executor, **({"address": config.address} if config.address else {})},
    }

    plugins = plugin_provenance({s.label: _strategy_class(s.name) for s in config.strategies}, config.imports)
    if plugins:  # strategies from outside the package: module, version, file and its SHA-256
        prov["plugins"] = plugins
    if config.timed:  # only then: one-worker provenance keeps its keys
        prov["workers"] = config.workers
        if shared.fidelities is not None:
            fid = shared.fidelities.fidelities
            prov["fidelities"] = {"protocol_level": fid.protocol_level,
                                  "levels": [{**dataclasses.asdict(lv), "mean_cost": m}
                                             for lv, m in zip(fid.levels, fid.mean_cost)]}
    path = res.path / "provenance.json"
    atomic_write(path, json.dumps(prov, indent=2), res.path)


def resolved_strategies(specs: Iterable[StrategySpec]) -> dict[str, dict[str, Any]]:
    """Each strategy's class (module.qualname) and all its parameters, the defaults resolved.

    Args:
        specs: the comparison's strategies.

    Returns:
        label -> `{"name", "class", "params"}` (what `config.json`'s overrides alone do not say).
    """
    out = {}
    for s in specs:
        cls = _strategy_class(s.name)
        params = dataclasses.asdict(make_params(s.name, s.params))
        out[s.label] = {"name": s.name, "class": f"{cls.__module__}.{cls.__qualname__}",
                        "params": json.loads(json.dumps(params, default=repr))}
    return out


def strategy_libraries(specs: Iterable[StrategySpec]) -> dict[str, str]:
    """The installed version of every library the strategies declare (`capabilities.libraries`).

    Args:
        specs: the comparison's strategies.

    Returns:
        Version by distribution name, sorted, e.g. `{"optuna": "5.0.0"}` for a comparison with
        optuna-tpe; "not installed" for a missing one.
    """
    names = sorted({lib for s in specs for lib in _strategy_class(s.name).capabilities.libraries}, key=str.lower)
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # a strategy that runs without it installed
            out[name] = "not installed"
    return out

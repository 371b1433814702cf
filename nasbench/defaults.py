"""Every default of a comparison, in one table: the Python API, config files, `nasbench compare`
and several-table comparisons read their defaults here and nowhere else.

One rule decides which column applies:

* **The library** (`ExperimentConfig(...)` in Python) is small and serial: `LIBRARY`
  (10 runs, 1 process, `results`). A library call states what it wants.
* **The command** (`nasbench compare`, with flags, a config file or both, and
  `ExperimentConfig.from_file` / `from_dict`, which read a config file the way the command
  does) runs the main job: `COMMAND` (100 runs on one table, 10 per table on several; every
  core, or with `executor = "ray"` every CPU of the cluster; `results/default`, or
  `results/tables` for several tables). A key a config file leaves out means the same as the
  flag left out: `nasbench compare` and `nasbench compare empty.toml` run the same comparison.

Keys the two columns share (table, strategies, seed, executor, workers, preset, the budget's
fallback) are given once, in `SHARED`. This module imports nothing of the project: it sits at
the bottom of the import graph.

The budget and protocol are not defaults of their own: left out, they are the table's published
preset in the family `preset` (`nasbench.strategies.protocol`), and for a table without a
preset `FALLBACK_BUDGET_KIND` / `FALLBACK_BUDGET_AMOUNT` (100 queries) and
`Protocol()`. A budget given in part (`--budget 6000`, or `[budget] amount = 6000`) takes its
missing key from the budget that would apply without it (see
`nasbench.search.config.complete_budget`), with and without a config file alike.
"""
from __future__ import annotations

import os
from typing import Any

#: the table searched when none is given: NAS-Bench-201's published CIFAR-10 results
TABLE = "nb201-cifar10"
#: the strategies compared when none are given: random search, regularised evolution, REINFORCE
#: and the cheap gradient method
STRATEGIES = ("random", "evolution", "reinforce", "gradient")
#: the root seed of a comparison
SEED = 0
#: where runs execute: local processes
EXECUTOR = "local"
#: simulated parallel workers inside each run
WORKERS = 1
#: the preset family that gives each table its protocol and budget
PRESET = "nas-bench-201"
#: a table without a preset (or a comparison that sets only the protocol) gets this budget
FALLBACK_BUDGET_KIND = "queries"
FALLBACK_BUDGET_AMOUNT = 100

SHARED: dict[str, Any] = {"table": TABLE, "strategies": STRATEGIES, "seed": SEED, "executor": EXECUTOR,
                          "workers": WORKERS, "preset": PRESET}

#: the Python API's column (`ExperimentConfig(...)`)
LIBRARY: dict[str, Any] = {"runs": 10, "jobs": 1, "out": "results"}

#: runs per strategy of the main job on one table: enough to tell real differences from noise
RUNS = 100
#: runs per strategy on each table of a several-table comparison
RUNS_SEVERAL_TABLES = 10
#: results directory of the main job, and of a several-table comparison
OUT = "results/default"
OUT_SEVERAL_TABLES = "results/tables"
#: `jobs` meaning "one Ray actor per CPU of the cluster" (`executor = "ray"`)
JOBS_ALL_RAY_CPUS = 0


def all_cores() -> int:
    """The command's `jobs` with local processes: every core of this machine."""
    return os.cpu_count() or 1


def command_defaults(several_tables: bool, executor: str | None) -> dict[str, Any]:
    """The command column (`COMMAND`) for a comparison on one or several tables, run locally
    or on Ray: `runs`, `jobs` and `out`.

    Args:
        several_tables: whether the comparison runs on more than one table.
        executor: the executor name (`ray` or another), None for the local default.

    Returns:
        The defaults of `runs`, `jobs` and `out`.
    """
    return {"runs": RUNS_SEVERAL_TABLES if several_tables else RUNS,
            "jobs": JOBS_ALL_RAY_CPUS if executor == "ray" else all_cores(),
            "out": OUT_SEVERAL_TABLES if several_tables else OUT}


#: the command's column, as a table (`jobs`: every core; with Ray 0, every CPU of the cluster)
COMMAND: dict[str, Any] = {"runs": f"{RUNS} ({RUNS_SEVERAL_TABLES} per table with several tables)",
                           "jobs": "all cores (executor ray: 0, all the cluster's CPUs)",
                           "out": f"{OUT} ({OUT_SEVERAL_TABLES} with several tables)"}

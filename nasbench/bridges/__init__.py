"""Our benchmarks in the shapes other optimisers expect, and those libraries as optional extras.

* `nasbench.strategies.cellspace`: the cell as a ConfigSpace `ConfigurationSpace` (edges `edge_1_0`
  ... `edge_3_2`, op names as choices) and an Optuna search space; configurations <-> cells.
* `HPOBenchBenchmark`: HPOBench's exact shape, `objective_function(configuration,
  fidelity=None, rng=None, data_seed=...)` -> `{'function_value': 100 - acc, 'cost': seconds,
  'info'}` (minimised, HPOBench's keys), fidelity `epoch` 12 or 200 on the NAS-Bench-201 tables;
  HPOBench's class names (`Cifar10ValidNasBench201Benchmark` ...) on the embedded tables.
* `OptunaProblem`: OptunaHub's shape (`search_space`, `directions`, `metric_names`,
  `evaluate`, `reseed`, `__call__`); an `optunahub.benchmarks.BaseProblem` where optunahub is
  installed. `optunahub_package/` in the repository lays it out for OptunaHub's registry.
* `nasbench.bridges.synetune`: syne-tune's tabular blackbox (`to_blackbox`, `simulated_backend`).

Optuna, ConfigSpace, optunahub and syne-tune are imported only when used (`pip install
'nasbench[optuna,configspace,optunahub,synetune]'`).
"""
from __future__ import annotations

from ..strategies.cellspace import (EDGE_NAMES, HPOBENCH_NAMES, cell_to_config, cell_to_dict, config_to_cell,
                        configuration_space, fidelity_space, optuna_distributions)
from ..util.extras import MissingExtra, require
from .hpobench import (Cifar10ValidNasBench201Benchmark, Cifar100NasBench201Benchmark, HPOBenchBenchmark,
                       ImageNetNasBench201Benchmark, UnknownKeyword)
from .optuna_problem import OptunaProblem

__all__ = ["Cifar100NasBench201Benchmark", "Cifar10ValidNasBench201Benchmark", "EDGE_NAMES", "HPOBENCH_NAMES",
           "HPOBenchBenchmark", "ImageNetNasBench201Benchmark", "UnknownKeyword", "MissingExtra", "OptunaProblem", "cell_to_config",
           "cell_to_dict", "config_to_cell", "configuration_space", "fidelity_space", "optuna_distributions",
           "require"]

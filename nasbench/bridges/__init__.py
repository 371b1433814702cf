"""Our benchmarks in the shapes other optimisers expect, and those libraries as optional extras.

* :mod:`.cellspace`: the cell as a ConfigSpace ``ConfigurationSpace`` (edges ``edge_1_0`` ...
  ``edge_3_2``, op names as choices) and an Optuna search space; configurations <-> cells.
* :class:`HPOBenchBenchmark`: ``objective_function(configuration, fidelity, seed)`` ->
  ``{'function_value': 100 - acc, 'cost': seconds, 'info'}`` (minimised, HPOBench's convention).
* :class:`OptunaProblem`: OptunaHub-style ``search_space``/``directions``/``evaluate``/``__call__``.

Optuna and ConfigSpace are imported only when used (``pip install 'nasbench[optuna,configspace]'``).
"""
from __future__ import annotations

from .cellspace import (EDGE_NAMES, HPOBENCH_NAMES, cell_to_config, cell_to_dict, config_to_cell,
                        configuration_space, fidelity_space, optuna_distributions)
from .extras import MissingExtra, require
from .hpobench import HPOBenchBenchmark
from .optuna_problem import OptunaProblem

__all__ = ["EDGE_NAMES", "HPOBENCH_NAMES", "HPOBenchBenchmark", "MissingExtra", "OptunaProblem", "cell_to_config",
           "cell_to_dict", "config_to_cell", "configuration_space", "fidelity_space", "optuna_distributions",
           "require"]

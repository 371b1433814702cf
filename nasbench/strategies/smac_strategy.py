"""SMAC3 as a strategy, through its ask/tell (`pip install 'nasbench[smac]'`).

`smac`: SMAC's hyperparameter-optimisation facade (random-forest surrogate, log expected
improvement, local and random search over the ConfigSpace of the cell; `nasbench.strategies.cellspace`).
SMAC minimises, so it is told `-value`. The scenario is `deterministic` (each configuration is
asked once, as a real search would not retrain a cell); its seed is drawn from the run's spawned
generator, so a run repeats bit for bit. SMAC keeps its run history in a temporary directory that
is removed with the strategy. A proposal outside a partial table is told as crashed (64 tries, then a
random covered cell is evaluated instead and told under SMAC's last proposal's key).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any

from .base import Capabilities, Params, Strategy, StrategyError

_MAX_TRIES = 64


def _smac() -> Any:
    from ..util.extras import require

    require("ConfigSpace")
    return require("smac")


@dataclass(frozen=True)
class SMACParams(Params):
    #: random configurations before the random forest is used (SMAC's own default is 10 per hyperparameter)
    """The parameters of `smac`."""

    n_initial: int = 10
    #: fraction of asks drawn at random (SMAC's hyperparameter-optimisation default)
    random_probability: float = 0.2

    def check(self) -> None:
        if isinstance(self.n_initial, bool) or not isinstance(self.n_initial, int) or self.n_initial < 1:
            raise StrategyError(f"smac: n_initial must be an integer >= 1, got {self.n_initial!r}")
        if not 0.0 <= self.random_probability <= 1.0:
            raise StrategyError(f"smac: random_probability must lie in [0, 1], got {self.random_probability!r}")
        _smac()


def _never_called(config: Any, seed: int = 0) -> float:
    raise RuntimeError("the smac strategy is driven by ask/tell")


class SMAC(Strategy):
    """SMAC3's random-forest Bayesian optimisation (hyperparameter-optimisation facade) through ask/tell."""

    name = "smac"
    Params = SMACParams
    capabilities = Capabilities(libraries=("smac", "ConfigSpace"))

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        smac = _smac()
        from smac.runhistory.dataclasses import TrialValue
        from smac.runhistory.enumerations import StatusType

        from .cellspace import config_to_cell, configuration_space

        self._to_cell = config_to_cell
        self._value, self._crashed = TrialValue, StatusType.CRASHED
        seed = int(self.rng.integers(0, 2**31 - 1))
        self._dir = tempfile.TemporaryDirectory(prefix="nasbench-smac-")
        facade = smac.HyperparameterOptimizationFacade
        scenario = smac.Scenario(configuration_space(seed), deterministic=True, n_trials=10**9, seed=seed,
                                 output_directory=self._dir.name)
        p = self.params
        self.smac = facade(
            scenario, _never_called, overwrite=True, logging_level=40,
            initial_design=facade.get_initial_design(scenario, n_configs=p.n_initial),
            intensifier=facade.get_intensifier(scenario, max_config_calls=1),
            random_design=facade.get_random_design(scenario, probability=p.random_probability))
        self._pending: dict[int, list[Any]] = {}

    def ask(self) -> int:
        for k in range(_MAX_TRIES):
            info = self.smac.ask()
            i = self._to_cell(info.config)
            if self.is_candidate(i):
                break
            if k == _MAX_TRIES - 1:
                i = self.random_index()
                break
            self.smac.tell(info, self._value(cost=float("inf"), status=self._crashed))
        self._pending.setdefault(i, []).append(info)
        return i

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Tell SMAC the trial that asked for the cell (the value negated, the cost as its time).

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).

        Raises:
            StrategyError: the cell was not asked.
        """
        infos = self._pending.get(index)
        if not infos:
            raise StrategyError(f"smac: told cell {index}, which was not asked")
        info = infos.pop(0)
        if not infos:
            del self._pending[index]
        self.smac.tell(info, self._value(cost=-float(value), time=float(cost)))

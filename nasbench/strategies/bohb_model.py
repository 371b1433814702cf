"""BOHB's configuration sampler: observations per budget and the model-based proposal.

Falkner, Klein & Hutter, ICML 2018, Algorithm 2: with probability `random_fraction` (1/3) a
proposal is a random cell; otherwise the model is fitted on the largest budget that has at least
`min_points_in_model + 2` observations (`min_points_in_model` defaults to d + 1 = 7, d = the
six edges) and proposes the best of `num_samples` draws by the density ratio
(`tpe_kde`); with no such budget yet the proposal is random. The losses
are the negated validation values. A proposal outside the table's cells (a partial table) falls
to the next best draw, and to a random cell if none of the draws is in the table.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..space import N_EDGES, N_OPS, indices_of_ops, ops_table
from .tpe_kde import DensityRatio


@dataclass(frozen=True)
class ModelSettings:
    """The model's parameters (BOHB's defaults are set by the strategy's Params)."""

    min_points_in_model: int
    top_n_percent: float
    num_samples: int
    random_fraction: float
    bandwidth_factor: float
    min_bandwidth: float


class BohbModel:
    """Observations `(cell, value)` per fidelity level and proposals from them.

    Args:
        settings: the model's parameters.
    """

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self._ops = ops_table()
        #: per fidelity level: the cells observed there and their values
        self._cells: defaultdict[int, list[int]] = defaultdict(list)
        self._values: defaultdict[int, list[float]] = defaultdict(list)
        self._fitted: dict[int, tuple[int, DensityRatio]] = {}
        #: proposals made by the model and at random (for tests and reports)
        self.model_proposals = 0
        self.random_proposals = 0

    def observe(self, level: int, cell: int, value: float) -> None:
        """Record a value observed at a fidelity level (a NaN value is ignored).

        Args:
            level: the fidelity level.
            cell: official index of the cell.
            value: the validation value there.
        """
        if value == value:  # a missing (NaN) value tells the model nothing
            self._cells[level].append(int(cell))
            self._values[level].append(float(value))

    def model_level(self) -> int | None:
        """The largest level with enough observations for a model, or None."""
        need = self.settings.min_points_in_model + 2
        return max((k for k, c in self._cells.items() if len(c) >= need), default=None)

    def _ratio(self, k: int) -> DensityRatio:
        n = len(self._cells[k])
        cached = self._fitted.get(k)
        if cached is None or cached[0] != n:
            s = self.settings
            codes = self._ops[np.asarray(self._cells[k], dtype=np.int64)]
            ratio = DensityRatio.fit(codes, -np.asarray(self._values[k]), N_OPS, s.top_n_percent / 100.0,
                                     s.min_points_in_model, s.min_bandwidth)
            self._fitted[k] = cached = (n, ratio)
        return cached[1]

    def propose(self, rng: np.random.Generator, random_cell: Callable[[], int],
                is_candidate: Callable[[int], bool]) -> int:
        """The next cell.

        It is random with probability `random_fraction` or while no level has enough observations,
        else the model's best draw that is a cell of the table (random where no draw is).

        Args:
            rng: the strategy's random generator.
            random_cell: draws a random candidate cell.
            is_candidate: whether the table answers for a cell.

        Returns:
            The official index of the cell.
        """
        s = self.settings
        k = self.model_level()
        if k is None or rng.random() < s.random_fraction:
            self.random_proposals += 1
            return random_cell()
        draws = self._ratio(k).propose(rng, s.num_samples, s.bandwidth_factor, s.min_bandwidth)
        for cell in indices_of_ops(draws.reshape(-1, N_EDGES)):
            if is_candidate(int(cell)):
                self.model_proposals += 1
                return int(cell)
        self.random_proposals += 1
        return random_cell()

"""How the embedded tables are made: `presets` gives each one's data, recipe and seeds, so
that `nasbench generate --preset NAME` reproduces it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .config import DataSpec

@dataclass(frozen=True)
class Preset:
    """How an embedded table is made: `nasbench generate --preset NAME` reproduces it."""

    data: DataSpec
    recipe: dict[str, Any]
    seeds: tuple[int, ...] = (777, 888, 999)
    seed_groups: tuple[tuple[int, ...], ...] | None = None



def _tiny_recipe(**changes: Any) -> dict[str, Any]:
    from ..training.train import Recipe

    # NAS-Bench-201's recipe at C=8, N=1 (one cell per stage), 12 epochs, no augmentation
    return asdict(Recipe(epochs=12, C=8, N=1, **changes))


def presets() -> dict[str, Preset]:
    """The embedded tables' generation presets, by name (`nasbench generate --preset NAME`).

    Returns:
        Each preset by its table's name.
    """
    return {
        "nb201-digits": Preset(DataSpec("digits"), _tiny_recipe()),
        "nb201-fashion-mnist": Preset(
            DataSpec("fashion-mnist", downscale=4, train_size=2000, valid_size=2000, test_size=2000),
            _tiny_recipe(cpu_channels_last=True), seed_groups=((777,), (888, 999))),
    }

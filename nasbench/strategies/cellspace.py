"""The cell and its fidelity as ConfigSpace / Optuna search spaces, and configurations <-> cells.

A configuration names each of the six edges `edge_<to>_<from>` (`edge_1_0` ... `edge_3_2`,
the arch-string order) with its op name as the value (`none`, `skip_connect`, `nor_conv_1x1`,
`nor_conv_3x3`, `avg_pool_3x3`). HPOBench's NAS-Bench-201 names (`1<-0` ... `3<-2`) are
accepted on input as well. The fidelity is `epoch`: the epochs the benchmark holds (1-based).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..tables.benchmark import Benchmark
from ..space import EDGES, N_CELLS, OPS, Cell, SpaceError
from ..util.extras import require

#: hyperparameter names, one per edge in arch-string order
EDGE_NAMES: tuple[str, ...] = tuple(f"edge_{to}_{frm}" for to, frm in EDGES)
#: HPOBench's names for the same edges (accepted on input)
HPOBENCH_NAMES: tuple[str, ...] = tuple(f"{to}<-{frm}" for to, frm in EDGES)
_OP_ID = {name: i for i, name in enumerate(OPS)}
_NAMES = frozenset(EDGE_NAMES) | frozenset(HPOBENCH_NAMES)


def configuration_space(seed: int | None = None, hpobench_names: bool = False) -> Any:
    """A `ConfigSpace.ConfigurationSpace` of the cell: six categorical edges over the five ops.

    Args:
        seed: the configuration space's seed (None: ConfigSpace's default).
        hpobench_names: name the edges as HPOBench does (`1<-0` ...) instead of `edge_1_0` ...

    Returns:
        The configuration space; every edge defaults to `none`.

    Raises:
        MissingExtra: ConfigSpace is not installed.
    """
    cs_mod = require("ConfigSpace")
    names = HPOBENCH_NAMES if hpobench_names else EDGE_NAMES
    cs = cs_mod.ConfigurationSpace(name="nb201-cell", seed=seed)
    cs.add([cs_mod.Categorical(n, list(OPS), default="none") for n in names])
    return cs


def epoch_list(bench: Benchmark) -> list[int]:
    """The epochs a benchmark holds.

    Args:
        bench: the benchmark.

    Returns:
        Its epochs, as a list of `int`.
    """
    return [int(e) for e in np.asarray(bench.epochs)]


def fidelity_space(bench: Benchmark, seed: int | None = None) -> Any:
    """A ConfigSpace with one fidelity, `epoch`.

    `epoch` is an integer range when the benchmark holds every epoch 1..E (default E, HPOBench's
    convention), else an ordinal over the epochs it holds (one epoch: a one-value ordinal).

    Args:
        bench: the benchmark whose epochs are offered.
        seed: the configuration space's seed.

    Returns:
        The fidelity space.

    Raises:
        MissingExtra: ConfigSpace is not installed.
    """
    cs_mod = require("ConfigSpace")
    epochs = epoch_list(bench)
    cs = cs_mod.ConfigurationSpace(name="nb201-fidelity", seed=seed)
    if len(epochs) > 1 and epochs == list(range(epochs[0], epochs[-1] + 1)):
        hp = cs_mod.UniformIntegerHyperparameter("epoch", lower=epochs[0], upper=epochs[-1], default_value=epochs[-1])
    else:
        hp = cs_mod.OrdinalHyperparameter("epoch", sequence=epochs, default_value=epochs[-1])
    cs.add(hp)
    return cs


def config_to_cell(config: Mapping[str, Any]) -> int:
    """The official index of a configuration.

    Args:
        config: a ConfigSpace `Configuration`, an Optuna params dict, or any mapping of the six
            edge names (ours or HPOBench's) to op names.

    Returns:
        The official index of the cell.

    Raises:
        SpaceError: `config` is not a mapping, has an unknown key, lacks an edge, or names an
            unknown op (one line each).
    """
    if isinstance(config, (str, bytes)) or not (hasattr(config, "keys") and hasattr(config, "get")):
        raise SpaceError(f"a configuration is a mapping of the six edge names to op names, got "
                         f"{type(config).__name__}; edges: {', '.join(EDGE_NAMES)}")
    keys = list(config.keys())
    unknown = [k for k in keys if k not in _NAMES]
    if unknown:
        raise SpaceError(f"configuration key {unknown[0]!r} unknown; allowed: {', '.join(EDGE_NAMES)} "
                         f"(or HPOBench's {', '.join(HPOBENCH_NAMES)})")
    if type(config) is not dict:
        config = {k: config[k] for k in keys}  # one read per key (a ConfigSpace Configuration's is slow)
    get = config.get
    ops = []
    for ours, theirs in zip(EDGE_NAMES, HPOBENCH_NAMES):
        v = get(ours, None)
        if v is None:
            v = get(theirs, None)
        if v is None:
            raise SpaceError(f"configuration has no edge {ours!r} (or {theirs!r}); it needs: {', '.join(EDGE_NAMES)}")
        if not isinstance(v, str) or v not in _OP_ID:
            raise SpaceError(f"edge {ours}: op {v!r} unknown; allowed: {', '.join(OPS)}")
        ops.append(_OP_ID[v])
    return Cell(tuple(ops)).index


def cell_to_dict(index: int, hpobench_names: bool = False) -> dict[str, str]:
    """`{edge name: op name}` of a cell (an Optuna params dict).

    Args:
        index: anything `to_cell` reads.
        hpobench_names: use HPOBench's edge names instead of ours.

    Returns:
        The op name of each edge.
    """
    from ..space import to_cell

    names = HPOBENCH_NAMES if hpobench_names else EDGE_NAMES
    return {n: OPS[o] for n, o in zip(names, to_cell(index).ops)}


def cell_to_config(index: int, cs: Any = None) -> Any:
    """The ConfigSpace `Configuration` of a cell.

    Args:
        index: anything `to_cell` reads.
        cs: the configuration space (default: `configuration_space()`); its edge names, ours or
            HPOBench's, are used.

    Returns:
        The configuration.

    Raises:
        MissingExtra: ConfigSpace is not installed.
    """
    cs_mod = require("ConfigSpace")
    cs = configuration_space() if cs is None else cs
    hpobench = HPOBENCH_NAMES[0] in cs
    return cs_mod.Configuration(cs, values=cell_to_dict(index, hpobench_names=hpobench))


def optuna_distributions() -> dict[str, Any]:
    """Optuna's search space of the cell: one `CategoricalDistribution` over the op names per edge.

    Returns:
        `{edge name: distribution}`.

    Raises:
        MissingExtra: Optuna is not installed.
    """
    optuna = require("optuna")
    return {n: optuna.distributions.CategoricalDistribution(list(OPS)) for n in EDGE_NAMES}


assert len(EDGE_NAMES) == 6 and N_CELLS == 5 ** 6

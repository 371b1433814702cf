"""Which tables a comparison names, and what it runs under by default: a comma-separated
`table` as a list of tables, each table's preset (protocol and budget) in a preset family, and a
budget given in part made whole, the same with and without a config file."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Sequence

from .. import defaults
from ..errors import ConfigError
from ..strategies import Budget, ProtocolError
from ..strategies.protocol import Preset, check_preset_name, preset_for
from ..tables.registry import source_table_of


def split_tables(table: str | Sequence[str]) -> list[str]:
    """Split a table list: `"a, b,c"` or `["a", "b"]` -> `["a", "b", "c"]`.

    Args:
        table: one name, a comma-separated string of names, or a list of names.

    Returns:
        The names, stripped; one name (no comma) gives a list of one.

    Raises:
        ConfigError: when an item is not a string or no name is given.
    """
    items = table.split(",") if isinstance(table, str) else list(table)
    if not all(isinstance(t, str) for t in items):
        raise ConfigError(f"table must be a name, a comma-separated string or a list of names, got {table!r}")
    out = [t.strip() for t in items if t.strip()]
    if not out:
        raise ConfigError("table: give at least one table")
    return out


def join_tables(value: Any) -> Any:
    """A config file's `table = ["a", "b"]` as the comma string `ExperimentConfig.table` holds.

    Args:
        value: a config file's `table` value.

    Returns:
        A list or tuple joined with commas; anything else unchanged.
    """
    if isinstance(value, (list, tuple)):
        return ",".join(split_tables(value))
    return value


def is_multi(table: str) -> bool:
    """Whether `table` names several tables (separated by commas).

    Args:
        table: a config's `table`.

    Returns:
        True for several tables.
    """
    return isinstance(table, str) and "," in table and len(split_tables(table)) > 1


def table_dir_name(table: str) -> str:
    """The folder of a table's results.

    Args:
        table: a table name or path.

    Returns:
        Its name, or a path's file stem, with unsafe characters replaced by `_`.
    """
    name = Path(table).stem if (os.sep in table or table.endswith((".h5", ".hdf5", ".csv"))) else table
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name) or "table"


def several_tables(table: Any) -> bool:
    """Whether a config's `table` names several tables (separated by commas).

    Args:
        table: a config's `table` value (any type).

    Returns:
        True for a string naming more than one table.
    """
    return isinstance(table, str) and len([t for t in table.split(",") if t.strip()]) > 1


def table_preset(table: str, family: str = defaults.PRESET) -> Preset | None:
    """The preset of one table in `family`: an embedded NAS-Bench-201 table's (or a file's named
    like one), or, for a surrogate file, the preset of the table it was fitted on where it models
    that preset's signal and test metric.

    Args:
        table: a table name or path.
        family: the preset family.

    Returns:
        The preset, or None where the table has none.
    """
    preset = preset_for(table, family)
    if preset is None:
        source = source_table_of(table)
        preset = preset_for(source, family) if source else None
        if preset is not None and not source_table_of(table, (preset.protocol.metric, preset.protocol.test_metric)):
            preset = None
    return preset


def fallback_budget() -> Budget:
    """The budget of a table without a preset, or of a comparison that gives only its protocol."""
    return Budget(defaults.FALLBACK_BUDGET_KIND, defaults.FALLBACK_BUDGET_AMOUNT)


def base_budget(table: str, family: str = defaults.PRESET) -> Budget:
    """The budget a comparison on `table` runs under when it gives none.

    That is the table's preset in `family`, else `fallback_budget`. Several tables
    (comma-separated): their presets' budget where they all share one, else their shared kind with
    the fallback amount, else the fallback.

    Args:
        table: a table name or path, or several separated by commas.
        family: the preset family.

    Returns:
        The budget.

    Raises:
        ConfigError: when `family` is not a preset family.
    """
    try:
        check_preset_name(family)
    except ProtocolError as exc:
        raise ConfigError(str(exc)) from None
    tables = [t.strip() for t in table.split(",") if t.strip()] if isinstance(table, str) else []
    budgets = [p.budget if p else None for p in (table_preset(t, family) for t in tables or [defaults.TABLE])]
    if None in budgets:
        return fallback_budget()
    if len(set(budgets)) == 1:
        return budgets[0]
    kinds = {b.kind for b in budgets}
    return Budget(kinds.pop(), defaults.FALLBACK_BUDGET_AMOUNT) if len(kinds) == 1 else fallback_budget()


def complete_budget(given: dict[str, Any] | Budget, table: str, family: str = defaults.PRESET) -> Budget:
    """A budget given in part (a flag, a config file's key, or both: `{"amount": 6000}`) made whole.

    Each missing key (`kind`, `amount`) is the one of `base_budget`, the budget that would apply
    without it. So `--budget 6000` on nb201-cifar10 is 6,000 seconds (its preset counts seconds),
    on a table without a preset 6,000 queries, with and without a config file.

    Args:
        given: the keys given, or a whole `Budget` (returned as it is).
        table: the comparison's table (or tables, comma-separated).
        family: the preset family.

    Returns:
        The whole budget.
    """
    if isinstance(given, Budget):
        return given
    if {"kind", "amount"} <= set(given):
        return Budget(**given)
    base = base_budget(table, family)
    return Budget(given.get("kind", base.kind), given.get("amount", base.amount))

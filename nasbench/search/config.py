"""The comparison's configuration: what to compare and how (`ExperimentConfig`), built from
arguments, configuration files (`nasbench.search.config_file`: a bad key is named with its file and
line) and `--param` overrides, with the default budgets of `nasbench.search.budgets`; one merge of
file and flags (`command_config`), so a flag means the same with and without a file;
`default_config` is the main job. The runner is `nasbench.search.runner`."""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any

from .. import defaults
from ..errors import ConfigError, LimitError
from ..strategies import Budget, Protocol, ProtocolError, StrategyError, make_params
from ..strategies.plugins import load_plugins
from ..util.executors import EXECUTORS
from ..util.limits import MAX_JOBS, MAX_RUNS, MAX_STRATEGIES, MAX_WORKERS, check_count
from ..strategies import STRATEGIES, get_strategy
from ..strategies.protocol import check_preset_name
from .budgets import (base_budget, complete_budget, fallback_budget, is_multi, join_tables,  # noqa: F401
                      several_tables, split_tables, table_dir_name, table_preset)
from .config_file import (BUDGET_KEYS, PROTOCOL_KEYS, TOP_KEYS, file_imports, parse_overrides,  # noqa: F401
                          protocol_type_error, raise_now, read_config_file, strategy_names_now, where)
from .plot_options import PlotOptionError, PlotOptions
from .plot_options import from_dict as plot_options_from_dict

DEFAULT_TABLE = defaults.TABLE  # NAS-Bench-201's published CIFAR-10 results (data/nb201-cifar10.h5)
DEFAULT_RUNS = defaults.RUNS  # runs per strategy of the main job: enough to tell real differences from noise
COLUMNS = ("strategy", "run", "step", "sim_time", "epochs", "cell", "value", "cost", "incumbent",
           "incumbent_valid", "incumbent_test")
#: columns added after COLUMNS when a config simulates several workers or has a multi-fidelity
#: strategy (`ExperimentConfig.timed`): which worker ran the job, when it started (`sim_time` is
#: its finish), the fidelity level (index) and its epochs, and the trial id (a resumed trial keeps it)
TIMED_COLUMNS = ("worker", "start", "level", "fidelity_epochs", "trial")




# -- config ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StrategySpec:
    """A strategy by registry name, its parameter overrides, and a label (default: the name)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))
        if not self.label:
            object.__setattr__(self, "label", self.name)
        if not isinstance(self.label, str) or not re.fullmatch(r"[A-Za-z0-9_+-]+", self.label):
            # no dots or slashes: the label names the folder runs/<label>/ ('..' would be the folder above)
            raise ConfigError(f"strategy label {self.label!r} may use letters, digits and _ + - only "
                              "(no dots or slashes: it names the folder runs/<label>/)")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "params": dict(sorted(self.params.items()))}


@dataclass(frozen=True)
class ExperimentConfig:
    """What to compare and how. `table`: embedded name, .h5 path, or a NAS-Bench-201 CSV path.

    `protocol` and `budget` left as None are resolved from the table's published preset in the
    family `preset` (`nasbench.strategies.protocol.NAMED_PRESETS`: `nas-bench-201`, the
    default, searches the NAS-Bench-201 tables on their 12-epoch signal with NAS-Bench-201's
    12,000 simulated seconds; `nats-bench` with NATS-Bench's 20,000 / 40,000 / 120,000 s); a
    surrogate file fitted on such a table keeps that table's preset; for any other table, or when
    only the protocol is given, `Protocol()` and 100 queries (`nasbench.defaults`). With several tables (names
    separated by commas) they stay None unless given: each table is run under its own preset
    (`nasbench.search.multitable`).

    Where the runs execute changes no result: `jobs` processes here (`executor="local"`) or
    `jobs` Ray actors on the cluster at `address` (`executor="ray"`; `jobs=0`: one per CPU
    of the cluster). Not to be confused with simulated workers inside one search."""

    table: str = defaults.TABLE
    strategies: tuple[StrategySpec, ...] = tuple(StrategySpec(n) for n in defaults.STRATEGIES)
    runs: int = defaults.LIBRARY["runs"]
    budget: Budget | None = None
    protocol: Protocol | None = None
    seed: int = defaults.SEED
    jobs: int = defaults.LIBRARY["jobs"]
    out: str = defaults.LIBRARY["out"]
    resume: bool = False
    progress: bool = True
    executor: str = defaults.EXECUTOR  # where runs execute: "local" (processes here) or "ray" (actors on a cluster)
    address: str | None = None  # the Ray cluster's address (executor "ray"; None: a local instance)
    #: simulated parallel workers of each run (the runner's event loop); 1: sequential search
    workers: int = defaults.WORKERS
    #: how figures and summary.tex are drawn (width preset, band, baseline): changes no result
    plots: PlotOptions = PlotOptions()
    #: the preset family that resolves an unset protocol and budget (not part of the identity: the
    #: resolved protocol and budget are)
    preset: str = defaults.PRESET
    #: plug-in modules imported before the strategies are looked up (`nasbench.strategies.plugins`): module
    #: names or .py paths. Not part of the identity (the strategies' names and parameters are; each
    #: plug-in's version and file hash go into provenance.json)
    imports: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_plain_types(self)
        _load_imports(self)
        _check_counts(self)
        try:
            check_preset_name(self.preset)
        except ProtocolError as exc:
            raise ConfigError(str(exc)) from None
        if not several_tables(self.table):  # several: each table's own preset (nasbench.search.multitable)
            preset = table_preset(self.table, self.preset) if self.protocol is None else None
            if self.protocol is None:
                object.__setattr__(self, "protocol", preset.protocol if preset else Protocol())
            if self.budget is None:
                object.__setattr__(self, "budget", preset.budget if preset else fallback_budget())
        specs = tuple(StrategySpec(s) if isinstance(s, str) else s for s in self.strategies)
        object.__setattr__(self, "strategies", specs)
        if not specs:
            raise ConfigError("strategies: give at least one")
        labels = [s.label for s in specs]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ConfigError(f"strategies: label {dup[0]!r} used twice; give each entry its own label")
        for s in specs:
            try:
                make_params(s.name, s.params)
            except StrategyError as exc:
                raise ConfigError(str(exc)) from None
        _check_executor(self)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed!r}")
        if not isinstance(self.plots, PlotOptions):
            raise ConfigError(f"plots must be PlotOptions(width, band, baseline), got {self.plots!r}")
        if self.plots.baseline is not None and self.plots.baseline not in labels:
            raise ConfigError(f"plots.baseline {self.plots.baseline!r} is not a strategy of this comparison; "
                              f"choose one of {', '.join(labels)}")
        if self.protocol is not None and self.protocol.objectives:
            single = [s.label for s in specs if not _strategy_class(s.name).capabilities.multi_objective]
            if single:
                multi = " / ".join(n for n, c in STRATEGIES.items() if c.capabilities.multi_objective)
                raise ConfigError(f"protocol.objectives is set but {single[0]!r} is single-objective; use {multi}")

    def identity(self) -> dict[str, Any]:
        """What the results depend on (not jobs, executor, address, out, resume, progress)."""
        d = {"table": self.table, "strategies": [s.to_dict() for s in self.strategies], "runs": self.runs,
             "budget": self.budget.to_dict() if self.budget else None,
             "protocol": self.protocol.to_dict() if self.protocol else None, "seed": self.seed}
        if self.workers != 1:  # only then: one-worker results directories keep their identity
            d["workers"] = self.workers
        return d

    @property
    def timed(self) -> bool:
        """True if the results carry `TIMED_COLUMNS` (several workers, or a multi-fidelity
        strategy): such runs go through the runner's event loop."""
        return self.workers != 1 or any(_strategy_class(s.name).capabilities.multi_fidelity for s in self.strategies)

    @property
    def columns(self) -> tuple[str, ...]:
        """The results' columns before any `obj_*` ones."""
        return COLUMNS + TIMED_COLUMNS if self.timed else COLUMNS

    def to_dict(self) -> dict[str, Any]:
        return {**self.identity(), "jobs": self.jobs, "executor": self.executor, "address": self.address,
                "out": self.out, "preset": self.preset, **({"imports": list(self.imports)} if self.imports else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any], lines: dict[str, int] | None = None, source: str = "") -> "ExperimentConfig":
        """A config from a mapping, checked key by key.

        Args:
            d: the mapping (a config file's keys, or `to_dict`'s output).
            lines: the line of each dotted key in `source`, to name it in errors.
            source: the file the mapping came from ("" for none).

        Returns:
            The config.

        Raises:
            ConfigError: on an unknown key or a value of the wrong type.
        """
        return _config_from_dict(d, lines or {}, source)

    @classmethod
    def from_file(cls, path: str | os.PathLike, **overrides: Any) -> "ExperimentConfig":
        """The file's config with `overrides` on top, as `nasbench compare FILE` runs it.

        Args:
            path: the config file.
            **overrides: fields to set (None: keep the file's value); see `command_config`.

        Returns:
            The config.
        """
        return command_config(path, **overrides)


def command_config(path: str | os.PathLike | None = None, **overrides: Any) -> "ExperimentConfig":
    """What `nasbench compare [FILE] [flags]` runs.

    The command's defaults (`nasbench.defaults.COMMAND`), under the config file's keys (if `path`
    is given), under `overrides` (the flags). One merge with and without a file, so a flag means
    the same in both: a dict for `budget`, `protocol` or `plots` overrides only the keys it has
    (`{"amount": 50}` keeps the kind the file gives, else the table's preset's; see
    `complete_budget`); `strategies` replaces the list, keeping the file's `params` of the
    strategies still in it; `imports` adds to the file's.

    Args:
        path: the config file, or None for none.
        **overrides: the flags, by field name (None: not given).

    Returns:
        The config.

    Raises:
        ConfigError: on a bad file, key or value.
    """
    d, lines = read_config_file(path) if path is not None else ({}, {})
    source = str(path) if path is not None else ""
    flag_budget = overrides.get("budget")
    if isinstance(d.get("budget"), dict) and "amount" not in d["budget"] and set(d["budget"]) <= set(BUDGET_KEYS) \
            and not (isinstance(flag_budget, Budget) or (isinstance(flag_budget, dict) and "amount" in flag_budget)):
        raise ConfigError(f"{where('budget', lines, source)}budget needs an amount, e.g. "
                          f"budget = {{kind = \"seconds\", amount = 12000}} (or --budget)")
    _merge_overrides(d, {k: v for k, v in overrides.items() if v is not None})
    return _config_from_dict(d, lines, source)


def _merge_overrides(d: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Put flag values over a config file's mapping `d` (in the file's own form)."""
    for k, v in overrides.items():
        if isinstance(v, (Budget, Protocol)):
            v = v.to_dict()
        elif isinstance(v, PlotOptions):
            v = dataclasses.asdict(v)
        elif k in ("budget", "protocol", "plots") and isinstance(v, dict):
            base = d.get(k)
            if k == "budget" and isinstance(base, (int, float)) and not isinstance(base, bool):
                base = {"amount": base}  # a bare amount: the kind comes from below (complete_budget)
            if isinstance(base, dict):
                v = {**base, **v}
        elif k == "strategies" and isinstance(v, (list, tuple)):
            v = [s.to_dict() if isinstance(s, StrategySpec) else s for s in v]
            keep = {s if isinstance(s, str) else s.get("label") or s.get("name") for s in v} | \
                   {s if isinstance(s, str) else s.get("name") for s in v}
            if isinstance(d.get("params"), dict):
                d["params"] = {name: p for name, p in d["params"].items() if name in keep}
        elif k == "imports" and isinstance(v, (list, tuple)):  # flags add to the file's (absolute paths)
            base = d.get(k, [])
            v = [*([base] if isinstance(base, str) else base if isinstance(base, list) else []), *v]
        d[k] = v




def _check_plain_types(cfg: "ExperimentConfig") -> None:
    """The keys a config file can give the wrong type: `table` and `out` are strings (a path
    is taken as one), `resume` and `progress` true or false, `strategies` a list."""
    for name, what in (("table", "a table name or path"), ("out", "a directory path")):
        v = getattr(cfg, name)
        if isinstance(v, os.PathLike):
            object.__setattr__(cfg, name, os.fspath(v))
        elif name == "table" and isinstance(v, (tuple, list)) and v and all(isinstance(t, str) and t for t in v):
            pass  # several tables
        elif not isinstance(v, str) or not v.strip():
            raise ConfigError(f"{name} must be {what} (a string), got {v!r}")
    for name in ("resume", "progress"):
        v = getattr(cfg, name)
        if not isinstance(v, bool):
            raise ConfigError(f"{name} must be true or false, got {v!r}")
    if not isinstance(cfg.strategies, (tuple, list)):
        raise ConfigError(f"strategies must be a list of strategy names, got {cfg.strategies!r}")


def _load_imports(cfg: "ExperimentConfig") -> None:
    """`imports` is a list of module names or .py paths; each is imported (once per process)."""
    v = cfg.imports
    if isinstance(v, str):
        v = (v,)
    if not isinstance(v, (tuple, list)) or not all(isinstance(s, str) and s.strip() for s in v):
        raise ConfigError(f"imports must be a list of module names or .py file paths, got {cfg.imports!r}")
    object.__setattr__(cfg, "imports", tuple(s.strip() for s in v))
    load_plugins(cfg.imports)


def _check_counts(cfg: "ExperimentConfig") -> None:
    """`runs`, `workers`, `jobs` and the number of strategies lie within `nasbench.util.limits`
    (`jobs` 0 means one Ray actor per CPU of the cluster, with executor ray only)."""
    check_count(cfg.runs, "runs", MAX_RUNS, ConfigError)
    check_count(cfg.workers, "workers", MAX_WORKERS, ConfigError)
    if not (cfg.executor == "ray" and type(cfg.jobs) is int and cfg.jobs == 0):
        check_count(cfg.jobs, "jobs", MAX_JOBS, ConfigError)
    if len(cfg.strategies) > MAX_STRATEGIES:
        raise LimitError(f"strategies: {len(cfg.strategies):,} given, beyond the maximum of {MAX_STRATEGIES} "
                         f"in one comparison")


def _check_executor(cfg: "ExperimentConfig") -> None:
    """`executor` is one of `nasbench.util.executors.EXECUTORS`; `address` only with Ray."""
    if cfg.executor not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {cfg.executor!r}")
    if cfg.address is not None and (not isinstance(cfg.address, str) or not cfg.address.strip()):
        raise ConfigError(f"address must be a Ray cluster address (host:port), got {cfg.address!r}")
    if cfg.address is not None and cfg.executor != "ray":
        raise ConfigError("address is a Ray cluster's address: give it with executor ray (--executor ray)")


def _strategy_class(name: str):
    try:
        return get_strategy(name)
    except StrategyError as exc:
        raise ConfigError(str(exc)) from None


def _config_from_dict(d: dict[str, Any], lines: dict[str, int], source: str) -> ExperimentConfig:
    def err(key: str, msg: str) -> ConfigError:
        return ConfigError(f"{where(key, lines, source)}{msg}")

    for k in d:
        if k not in TOP_KEYS:
            return raise_now(err(k, f"unknown key {k!r}; valid: {', '.join(TOP_KEYS)}"))
    kw: dict[str, Any] = {}
    if "imports" in d:  # first: the strategies below may come from them
        kw["imports"] = file_imports(d["imports"], source, err)
    for k in ("table", "runs", "seed", "jobs", "out", "resume", "progress", "executor", "address", "workers", "preset"):
        if k in d:
            kw[k] = d[k]
    if "table" in kw:  # several tables: a list, or names separated by commas (nasbench.search.multitable)
        kw["table"] = join_tables(kw["table"])
    # a key the file (and the flags) leave out takes the command's default (nasbench.defaults)
    for k, v in defaults.command_defaults(several_tables(kw.get("table")), kw.get("executor")).items():
        kw.setdefault(k, v)
    if "budget" in d:
        b = d["budget"]
        if isinstance(b, (int, float)) and not isinstance(b, bool):
            b = {"amount": b}  # a bare amount: the kind of the budget below it (complete_budget)
        if not isinstance(b, dict):
            raise err("budget", f"budget must be a table with kind and amount, got {b!r}")
        for k in b:
            if k not in BUDGET_KEYS:
                raise err(f"budget.{k}", f"unknown key 'budget.{k}'; valid: {', '.join(BUDGET_KEYS)}")
        try:
            kw["budget"] = complete_budget(b, kw.get("table", defaults.TABLE), kw.get("preset", defaults.PRESET))
        except ProtocolError as exc:
            raise err("budget", str(exc)) from None
        except ConfigError as exc:
            raise err("preset" if "preset" in d else "budget", str(exc)) from None
    if "protocol" in d:
        p = d["protocol"]
        if not isinstance(p, dict):
            raise err("protocol", "protocol must be a table")
        for k in p:
            if k not in PROTOCOL_KEYS:
                raise err(f"protocol.{k}", f"unknown key 'protocol.{k}'; valid: {', '.join(PROTOCOL_KEYS)}")
            bad = protocol_type_error(k, p[k])
            if bad:
                raise err(f"protocol.{k}", f"protocol.{k} must be {bad}, got {p[k]!r}")
        try:
            kw["protocol"] = Protocol(**p)
        except (ProtocolError, TypeError) as exc:
            raise err("protocol", str(exc)) from None
    if "plots" in d:
        try:
            kw["plots"] = plot_options_from_dict(d["plots"])
        except (PlotOptionError, TypeError) as exc:
            key = next((f"plots.{k}" for k in ("width", "band", "baseline") if f"plots.{k}" in str(exc)), "plots")
            raise err(key, str(exc)) from None
    params = d.get("params", {}) or {}
    if not isinstance(params, dict):
        raise err("params", "params must be a table of tables: [params.<strategy>]")
    for k, v in params.items():
        if not isinstance(v, dict):
            raise err(f"params.{k}", f"params.{k} must be a table of parameter values, got {v!r}")
    if "strategies" in d:
        raw = d["strategies"]
        if isinstance(raw, str):
            raw = [s.strip() for s in raw.split(",") if s.strip()]
        if not isinstance(raw, (list, tuple)) or not raw:
            raise err("strategies", f"strategies must be a non-empty list of strategy names or tables, got {raw!r}; "
                                    f"valid names: {', '.join(strategy_names_now())}")
        if len(raw) > MAX_STRATEGIES:
            raise err("strategies", f"strategies: {len(raw):,} given, beyond the maximum of {MAX_STRATEGIES} in one "
                                    f"comparison")
        specs = []
        for entry in raw:
            try:
                if isinstance(entry, str):
                    _strategy_class(entry)
                    specs.append(StrategySpec(entry, params.get(entry, {})))
                elif isinstance(entry, dict):
                    e = dict(entry)
                    name = e.pop("name", None)
                    if name is None:
                        raise ConfigError("a strategy table needs name = '...'")
                    _strategy_class(name)
                    label = e.pop("label", "")
                    extra = e.pop("params", {})
                    if not isinstance(extra, dict):
                        raise ConfigError(f"strategy {label or name!r}: params must be a table, got {extra!r}")
                    specs.append(StrategySpec(name, {**params.get(label or name, {}), **extra, **e}, label))
                else:
                    raise ConfigError(f"a strategy is a name or a table, got {entry!r}")
            except ConfigError as exc:
                raise err("strategies", str(exc)) from None
        kw["strategies"] = tuple(specs)
    elif params:
        kw["strategies"] = tuple(StrategySpec(n, params.get(n, {})) for n in defaults.STRATEGIES)
    unknown_p = [k for k in params if k not in {s.label for s in kw.get("strategies", ())} | {s.name for s in kw.get("strategies", ())}]
    if unknown_p:
        raise err(f"params.{unknown_p[0]}", f"params.{unknown_p[0]}: no such strategy in this config")
    try:
        return ExperimentConfig(**kw)
    except ConfigError as exc:
        key = str(exc).split(" ", 1)[0].rstrip(":")
        raise err(key if key in lines else "strategies", str(exc)) from None
    except ProtocolError as exc:
        raise err("protocol", str(exc)) from None


def default_config(**overrides: Any) -> ExperimentConfig:
    """The main job, what `nasbench compare` runs with no arguments.

    Random search, regularised evolution, REINFORCE and the cheap gradient method,
    `DEFAULT_RUNS` runs each on `DEFAULT_TABLE` under its published protocol (the table's preset,
    unless `protocol`/`budget` are given), on all cores: the command's defaults
    (`nasbench.defaults.COMMAND`) under `overrides`.

    Args:
        **overrides: fields to set, by name (None: not given).

    Returns:
        The config.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    several = several_tables(given.get("table", defaults.TABLE))
    base: dict[str, Any] = {"table": defaults.TABLE,
                            "strategies": tuple(StrategySpec(n) for n in defaults.STRATEGIES),
                            **defaults.command_defaults(several, given.get("executor"))}
    base.update(given)
    return ExperimentConfig(**base)



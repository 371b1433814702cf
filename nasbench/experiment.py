"""The comparison runner: strategies x runs on a benchmark -> a tidy results directory.

>>> from nasbench.experiment import ExperimentConfig, run_comparison, summarise
>>> res = run_comparison(ExperimentConfig(table="nb201-cifar10", runs=5, out="results/demo"))
>>> print(summarise(res))

A results directory holds::

    config.json       the config that defines the results (table, strategies+params, budget,
                      protocol, root seed, runs)
    provenance.json   config, package and library versions, the table's SHA-256 and optimum, timings
    runs/<label>/<run>.csv   one file per finished run (what makes a run resumable)
    results.csv       the tidy table: one row per query (see COLUMNS)
    summary.csv       one row per strategy (:func:`summarise`)
    pairs.csv         one row per pair of strategies: test, effect size, verdict (nasbench.summary)

Seeds: run ``r`` of strategy label ``L`` uses ``SeedSequence(seed, spawn_key=(crc32(L), r))``,
split into the strategy's generator and the generator that draws which recorded training run a
query sees; so results do not depend on ``jobs``, on the order of work, or on which other
strategies are in the config.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .atomic import atomic_path
from .benchmark import Benchmark
from .space import N_CELLS
from .strategies import (DEFAULT_STRATEGIES, Budget, Protocol, ProtocolError, SearchContext, SearchView,
                         StrategyError, make_params, make_strategy)
from .strategies.protocol import BUDGET_KINDS, MAX_QUERIES, objective_values, preset_for

DEFAULT_TABLE = "nb201-cifar10"  # NAS-Bench-201's published CIFAR-10 results (data/nb201-cifar10.h5)
DEFAULT_RUNS = 100  # runs per strategy of the main job: enough to tell real differences from noise
COLUMNS = ("strategy", "run", "step", "sim_time", "epochs", "cell", "value", "cost", "incumbent",
           "incumbent_valid", "incumbent_test")


class ConfigError(ValueError):
    """A bad experiment config (one line, names the key and, for files, the line)."""


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
        if not re.fullmatch(r"[A-Za-z0-9_.+-]+", self.label):
            raise ConfigError(f"strategy label {self.label!r} may use letters, digits and _ . + - only")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "params": dict(sorted(self.params.items()))}


@dataclass(frozen=True)
class ExperimentConfig:
    """What to compare and how. ``table``: embedded name, .h5 path, or a NAS-Bench-201 CSV path.

    ``protocol`` and ``budget`` left as None are resolved from the table's published preset
    (:data:`~nasbench.strategies.protocol.PRESETS`: NAS-Bench-201's protocol for ``nb201-cifar10``
    and the nearest one the data allow for ``nb201-cifar100``, ``nb201-imagenet16-120``); for any
    other table, or when only the protocol is given, ``Protocol()`` and 100 queries."""

    table: str = DEFAULT_TABLE
    strategies: tuple[StrategySpec, ...] = tuple(StrategySpec(n) for n in DEFAULT_STRATEGIES)
    runs: int = 10
    budget: Budget | None = None
    protocol: Protocol | None = None
    seed: int = 0
    jobs: int = 1
    out: str = "results"
    resume: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        _check_plain_types(self)
        preset = preset_for(self.table) if self.protocol is None else None
        if self.protocol is None:
            object.__setattr__(self, "protocol", preset.protocol if preset else Protocol())
        if self.budget is None:
            object.__setattr__(self, "budget", preset.budget if preset else Budget("queries", 100))
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
        for name in ("runs", "jobs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.protocol.objectives:
            single = [s.label for s in specs if not _strategy_class(s.name).multi_objective]
            if single:
                raise ConfigError(f"protocol.objectives is set but {single[0]!r} is single-objective; "
                                  "use mo_random / mo_evolution")

    def identity(self) -> dict[str, Any]:
        """What the results depend on (not jobs, out, resume, progress)."""
        return {"table": self.table, "strategies": [s.to_dict() for s in self.strategies], "runs": self.runs,
                "budget": self.budget.to_dict(), "protocol": self.protocol.to_dict(), "seed": self.seed}

    def to_dict(self) -> dict[str, Any]:
        return {**self.identity(), "jobs": self.jobs, "out": self.out}

    @classmethod
    def from_dict(cls, d: dict[str, Any], lines: dict[str, int] | None = None, source: str = "") -> "ExperimentConfig":
        return _config_from_dict(d, lines or {}, source)

    @classmethod
    def from_file(cls, path: str | os.PathLike, **overrides: Any) -> "ExperimentConfig":
        """The file's config with ``overrides`` (None: keep the file's value) on top. A dict for
        ``budget`` or ``protocol`` overrides only the keys it has (``{"amount": 50}`` keeps the
        file's budget kind); ``strategies`` replaces the list, keeping the file's ``params`` of the
        strategies still in it."""
        d, lines = read_config_file(path)
        _merge_overrides(d, {k: v for k, v in overrides.items() if v is not None})
        return _config_from_dict(d, lines, str(path))


def _merge_overrides(d: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Put flag values over a config file's mapping ``d`` (in the file's own form)."""
    for k, v in overrides.items():
        if isinstance(v, (Budget, Protocol)):
            v = v.to_dict()
        elif k in ("budget", "protocol") and isinstance(v, dict):
            base = d.get(k)
            if k == "budget" and isinstance(base, (int, float)) and not isinstance(base, bool):
                base = {"kind": "queries", "amount": base}
            if isinstance(base, dict):
                v = {**base, **v}
        elif k == "strategies" and isinstance(v, (list, tuple)):
            v = [s.to_dict() if isinstance(s, StrategySpec) else s for s in v]
            keep = {s if isinstance(s, str) else s.get("label") or s.get("name") for s in v} | \
                   {s if isinstance(s, str) else s.get("name") for s in v}
            if isinstance(d.get("params"), dict):
                d["params"] = {name: p for name, p in d["params"].items() if name in keep}
        d[k] = v


def _check_plain_types(cfg: "ExperimentConfig") -> None:
    """The keys a config file can give the wrong type: ``table`` and ``out`` are strings (a path
    is taken as one), ``resume`` and ``progress`` true or false, ``strategies`` a list."""
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


def _strategy_class(name: str):
    from .strategies import get_strategy

    try:
        return get_strategy(name)
    except StrategyError as exc:
        raise ConfigError(str(exc)) from None


_TOP_KEYS = ("table", "strategies", "runs", "budget", "protocol", "seed", "jobs", "out", "resume", "progress", "params")
_BUDGET_KEYS = tuple(f.name for f in dataclasses.fields(Budget))
_PROTOCOL_KEYS = tuple(f.name for f in dataclasses.fields(Protocol))


def _where(key: str, lines: dict[str, int], source: str) -> str:
    line = lines.get(key)
    while line is None and "." in key:  # a key inside an inline table: the table's line
        key = key.rsplit(".", 1)[0]
        line = lines.get(key)
    if source and line:
        return f"{source}:{line}: "
    return f"{source}: " if source else ""


def _config_from_dict(d: dict[str, Any], lines: dict[str, int], source: str) -> ExperimentConfig:
    def err(key: str, msg: str) -> ConfigError:
        return ConfigError(f"{_where(key, lines, source)}{msg}")

    for k in d:
        if k not in _TOP_KEYS:
            return _raise(err(k, f"unknown key {k!r}; valid: {', '.join(_TOP_KEYS)}"))
    kw: dict[str, Any] = {}
    for k in ("table", "runs", "seed", "jobs", "out", "resume", "progress"):
        if k in d:
            kw[k] = d[k]
    if "table" in kw:  # several tables: a list, or names separated by commas (nasbench.multitable)
        from .multitable import join_tables

        kw["table"] = join_tables(kw["table"])
    kw.setdefault("jobs", os.cpu_count() or 1)  # a config file runs on all cores unless it says otherwise
    if "budget" in d:
        b = d["budget"]
        if isinstance(b, (int, float)) and not isinstance(b, bool):
            b = {"kind": "queries", "amount": b}
        if not isinstance(b, dict):
            raise err("budget", f"budget must be a table with kind and amount, got {b!r}")
        for k in b:
            if k not in _BUDGET_KEYS:
                raise err(f"budget.{k}", f"unknown key 'budget.{k}'; valid: {', '.join(_BUDGET_KEYS)}")
        try:
            kw["budget"] = Budget(**b)
        except ProtocolError as exc:
            raise err("budget", str(exc)) from None
    if "protocol" in d:
        p = d["protocol"]
        if not isinstance(p, dict):
            raise err("protocol", "protocol must be a table")
        for k in p:
            if k not in _PROTOCOL_KEYS:
                raise err(f"protocol.{k}", f"unknown key 'protocol.{k}'; valid: {', '.join(_PROTOCOL_KEYS)}")
            bad = _protocol_type_error(k, p[k])
            if bad:
                raise err(f"protocol.{k}", f"protocol.{k} must be {bad}, got {p[k]!r}")
        try:
            kw["protocol"] = Protocol(**p)
        except (ProtocolError, TypeError) as exc:
            raise err("protocol", str(exc)) from None
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
                                    f"valid names: {', '.join(_strategy_names())}")
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
        kw["strategies"] = tuple(StrategySpec(n, params.get(n, {})) for n in DEFAULT_STRATEGIES)
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


def _raise(exc: Exception):
    raise exc


def _strategy_names() -> list[str]:
    from .strategies.registry import strategy_names

    return strategy_names()


def _protocol_type_error(key: str, v: Any) -> str:
    """What ``protocol.<key>`` must be, if ``v`` is not that (else "")."""
    if key in ("metric", "seed", "test_metric"):
        return "" if isinstance(v, str) and v else "a non-empty string"
    if key in ("epoch", "cost_epoch", "train_epochs"):
        ok = v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)
        return "" if ok else "a positive integer (an epoch number)"
    if key == "cost_factor":
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v > 0
        return "" if ok else "a positive finite number"
    if key == "objectives":
        ok = isinstance(v, (list, tuple)) and all(isinstance(o, str) and o for o in v)
        return "" if ok else "a list of names (params, flops, latency:<device>)"
    return ""


def read_config_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, int]]:
    """(mapping, line of each dotted key) from a TOML (.toml) or YAML (.yaml/.yml) file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such config file")
    text = p.read_text()
    suffix = p.suffix.lower()
    if suffix == ".toml":
        import tomllib

        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: {exc}") from None
        return d, _toml_lines(text)
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            d = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: {str(exc).splitlines()[0]}") from None
        if not isinstance(d, dict):
            raise ConfigError(f"{p}: the top level must be a mapping")
        lines: dict[str, int] = {}
        _yaml_lines(node, "", lines)
        return d, lines
    raise ConfigError(f"{p}: config files are .toml, .yaml or .yml")


def _toml_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    section = ""
    for n, raw in enumerate(text.splitlines(), start=1):
        s = raw.split("#", 1)[0].strip()
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?$", s)
        if m:
            section = m.group(1).replace('"', "").replace("'", "")
            lines.setdefault(section, n)
            lines.setdefault(section.split(".")[0], n)
            continue
        m = re.match(r"^([\"']?)([A-Za-z0-9_.:-]+)\1\s*=", s)
        if m:
            key = f"{section}.{m.group(2)}" if section else m.group(2)
            lines.setdefault(key, n)
    return lines


def _yaml_lines(node: Any, prefix: str, out: dict[str, int]) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = f"{prefix}{k.value}"
            out.setdefault(key, k.start_mark.line + 1)
            _yaml_lines(v, key + ".", out)


def parse_overrides(items: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``["evolution.sample_size=3", "reinforce.lr=0.01"]`` -> {label: {param: value}} (for CLI flags)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.+-]+?)\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", item)
        if not m:
            raise ConfigError(f"parameter {item!r} must look like strategy.param=value")
        label, key, value = m.groups()
        try:
            v: Any = json.loads(value)
        except json.JSONDecodeError:
            v = value
        out.setdefault(label, {})[key] = v
    return out


# -- loading the benchmark ---------------------------------------------------------------------
def load_benchmark(table: str) -> Benchmark:
    """An embedded table, an .h5 table or surrogate file, or a NAS-Bench-201 CSV: the one entry
    point :func:`nasbench.load` (kept under this name for callers of the runner)."""
    from .registry import load

    return load(table)


def table_sha256(bench: Benchmark) -> str:
    return bench.content_sha256()


def _stored_if_different(bench: Benchmark) -> dict[str, str]:
    """The file's stored SHA-256 where it differs from the recomputed one (loaded with the hash
    check off): provenance names what was served, and that the file did not match."""
    stored, sha = bench.stored_sha256, bench.sha256
    return {"stored_sha256_mismatch": stored or "(none)"} if sha and stored != sha else {}


# -- one run ---------------------------------------------------------------------------------
@dataclass
class _Shared:
    """Everything a run needs, built once per process."""

    view: SearchView
    test: list[float]
    objectives: np.ndarray | None
    context_kw: dict[str, Any]
    budget: Budget
    seed: int


def run_seed(root: int, label: str, run: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(root, spawn_key=(zlib.crc32(label.encode()), run))


def run_one(shared: _Shared, spec: StrategySpec, run: int) -> dict[str, list]:
    """One search; returns the tidy columns of its queries."""
    s_seq, n_seq = run_seed(shared.seed, spec.label, run).spawn(2)
    ctx = SearchContext(rng=np.random.default_rng(s_seq), **shared.context_kw)
    strategy = make_strategy(spec.name, ctx, spec.params)
    noise = np.random.default_rng(n_seq)
    view, test, budget = shared.view, shared.test, shared.budget
    observe = view.observe
    own_cost = getattr(strategy, "own_cost", None)
    objs = shared.objectives.tolist() if shared.objectives is not None else None
    kind, limit, epq = budget.kind, float(budget.amount), view.epochs_per_query
    cells: list[int] = []
    values: list[float] = []
    costs: list[float] = []
    sim: list[float] = []
    eps: list[float] = []
    inc_l: list[int] = []
    inc_v_l: list[float] = []
    inc_t_l: list[float] = []
    t = e = 0.0
    inc, inc_v = -1, float("-inf")
    step = 0
    ask, tell = strategy.ask, strategy.tell
    while step < MAX_QUERIES:
        if kind == "queries" and step >= limit:
            break
        i = ask()
        v, c = observe(i, noise)
        if own_cost is not None:
            c = own_cost()
        if kind == "seconds" and t + c > limit:
            break
        if kind == "epochs" and e + epq > limit:
            break
        t += c
        e += epq
        step += 1
        tell(i, v, c, tuple(objs[i]) if objs is not None else ())
        if v > inc_v or inc < 0:
            inc, inc_v = i, v
        cells.append(i)
        values.append(v)
        costs.append(c)
        sim.append(t)
        eps.append(e)
        inc_l.append(inc)
        inc_v_l.append(inc_v)
        inc_t_l.append(test[inc])
    n = len(cells)
    cols = {"strategy": [spec.label] * n, "run": [run] * n, "step": list(range(1, n + 1)), "sim_time": sim,
            "epochs": eps, "cell": cells, "value": values, "cost": costs, "incumbent": inc_l,
            "incumbent_valid": inc_v_l, "incumbent_test": inc_t_l}
    if objs is not None:
        arr = shared.objectives[np.array(cells, dtype=np.int64)] if n else np.zeros((0, shared.objectives.shape[1]))
        for j, name in enumerate(shared.context_kw["objectives"]):
            cols[f"obj_{name}"] = arr[:, j].tolist()
    return cols


# -- results directory -------------------------------------------------------------------------
@dataclass
class ResultsDir:
    """A results directory on disk."""

    path: Path

    @property
    def config(self) -> dict[str, Any]:
        return json.loads((self.path / "config.json").read_text())

    @property
    def provenance(self) -> dict[str, Any]:
        return json.loads((self.path / "provenance.json").read_text())

    @property
    def table_path(self) -> Path:
        return self.path / "results.csv"

    def frame(self):
        """The tidy table, checked (:func:`read_results_csv`)."""
        return read_results_csv(self.table_path)

    def run_file(self, label: str, run: int) -> Path:
        return self.path / "runs" / label / f"{run:05d}.csv"


_INT_COLUMNS = ("run", "step", "cell", "incumbent")


def read_results_csv(path: str | os.PathLike):
    """A ``results.csv`` as a DataFrame, refusing (ConfigError naming the file, line and column) a
    file cut short, a row with missing or extra fields, a non-number in a numeric column, and a
    missing or fractional run, step or cell number."""
    import pandas as pd

    path = Path(path)
    text = path.read_text()
    fix = "rerun the same `nasbench compare` with --resume to rebuild it from the run files"
    if text and not text.endswith("\n"):
        raise ConfigError(f"{path}: the last line is cut short (an interrupted write?); {fix}")
    lines = text.split("\n")[:-1]
    if not lines:
        raise ConfigError(f"{path}: empty file; {fix}")
    n = lines[0].count(",")
    for i, line in enumerate(lines[1:], start=2):
        if line.count(",") != n:
            raise ConfigError(f"{path}: line {i} has {line.count(',') + 1} fields, the header {n + 1}; {fix}")
    try:
        df = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ConfigError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ConfigError(f"{path}: no column(s) {', '.join(missing)}; a results table has {', '.join(COLUMNS)}")
    for c in df.columns:
        if c == "strategy" or (c not in COLUMNS and not c.startswith("obj_")):
            continue
        col = df[c]
        if col.dtype.kind not in "iuf":
            num = pd.to_numeric(col, errors="coerce")
            bad = np.flatnonzero(num.isna().to_numpy() & col.notna().to_numpy())
            if len(bad):
                raise ConfigError(f"{path}: line {bad[0] + 2}, column {c}: {col.iloc[bad[0]]!r} is not a number")
            df[c] = col = num
        if c in _INT_COLUMNS:
            v = col.to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(v) | (v != np.round(v)))
            if len(bad):
                x = col.iloc[bad[0]]
                raise ConfigError(f"{path}: line {bad[0] + 2}, column {c}: {getattr(x, 'item', lambda: x)()!r} "
                                  "is not a whole number")
            df[c] = col.astype(np.int64)
    return df


def open_results(path: str | os.PathLike) -> ResultsDir:
    p = Path(path)
    for f in ("config.json", "provenance.json", "results.csv"):
        if not (p / f).is_file():
            raise ConfigError(f"{p} is not a finished results directory (no {f})")
    return ResultsDir(p)


def _check_dir(out: Path, config: ExperimentConfig) -> None:
    """Refuse to mix results of different configs; same config needs resume=True."""
    cfg_file = out / "config.json"
    if not out.exists() or not any(out.iterdir()):
        return
    if not cfg_file.is_file():
        raise ConfigError(f"{out} exists and is not a results directory; choose an empty or new directory")
    old = json.loads(cfg_file.read_text())
    new = json.loads(json.dumps(config.identity()))
    diff = [k for k in new if k != "runs" and k != "strategies" and old.get(k) != new.get(k)]
    old_s = {s["label"]: s for s in old.get("strategies", [])}
    diff += [f"strategies.{s['label']}" for s in new["strategies"] if s["label"] in old_s and old_s[s["label"]] != s]
    if diff:
        raise ConfigError(f"{out} holds results of another config (differs in: {', '.join(diff)}); "
                          "choose another directory")
    if not config.resume:
        raise ConfigError(f"{out} already holds results of this config; pass resume to continue it "
                          "(finished runs are kept) or choose another directory")


def _write_run(path: Path, cols: dict[str, list]) -> None:
    """A plain CSV (floats as repr, which round-trips), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(cols)
    body = "\n".join(",".join(map(repr, row)) for row in zip(*cols.values())).replace("'", "")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(",".join(names) + "\n" + body + ("\n" if body else ""))
    os.replace(tmp, path)


_WORKER: dict[str, Any] = {}


def _work(task: tuple[StrategySpec, list[int], str]) -> list[tuple[str, int, dict[str, list]]]:
    spec, runs, out = task
    res = ResultsDir(Path(out))
    done = []
    for r in runs:
        cols = run_one(_WORKER["shared"], spec, r)
        _write_run(res.run_file(spec.label, r), cols)
        done.append((spec.label, r, cols))
    return done


def _build_shared(bench: Benchmark, config: ExperimentConfig) -> _Shared:
    proto = config.protocol
    view = SearchView(bench, proto)
    if proto.test_metric not in bench.metric_names:
        raise ConfigError(f"protocol.test_metric {proto.test_metric!r} not in the table; it has: "
                          f"{', '.join(bench.metric_names)}")
    test = np.full(N_CELLS, np.nan)
    cov = view.candidates
    test[cov] = bench.query_many(cov, proto.test_metric, None, "mean")
    objectives = objective_values(bench, proto.objectives) if proto.objectives else None
    ctx = {"candidates": cov, "dataset": bench.dataset, "recipe": bench.retrain_recipe(),
           "objectives": tuple(proto.objectives), "epoch_seconds": _epoch_seconds(bench, cov)}
    return _Shared(view, test.tolist(), objectives, ctx, config.budget, config.seed)


def _epoch_seconds(bench: Benchmark, cov: np.ndarray) -> np.ndarray | None:
    """The table's training seconds per epoch of every cell (for DARTS/GDAS's cost model); None
    where the benchmark records no training time."""
    if "time" not in bench.metric_names:
        return None
    last = int(np.asarray(bench.epochs)[-1])
    out = np.full(N_CELLS, np.nan)
    out[cov] = np.asarray(bench.cost_many(cov, last), dtype=np.float64) / last
    return out


def run_comparison(config: ExperimentConfig, bench: Benchmark | None = None) -> ResultsDir:
    """Run every (strategy, run) not yet finished in ``config.out``; write the tidy table.

    One writer at a time: the directory is locked (:mod:`nasbench.locking`) for the whole call and
    a second writer is refused at once; a directory this call created is removed again if the call
    fails before writing into it."""
    from .locking import LockHeld, exclusive

    out = Path(config.out)
    _check_dir(out, config)  # a refusal before anything is created
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive(out, f"results directory {out}"):
            return _run_comparison(config, bench)
    except LockHeld:
        raise
    except BaseException:
        if created:
            try:
                out.rmdir()  # only if still empty
            except OSError:
                pass
        raise


def _run_comparison(config: ExperimentConfig, bench: Benchmark | None = None) -> ResultsDir:
    """:func:`run_comparison` with the directory locked."""
    import pandas as pd

    t0 = time.perf_counter()
    out = Path(config.out)
    _check_dir(out, config)
    if bench is None:
        try:
            bench = load_benchmark(config.table)
        except Exception as exc:  # TableError and friends: one line
            raise ConfigError(f"table: {str(exc).splitlines()[0]}") from None
    try:
        shared = _build_shared(bench, config)
    except ProtocolError as exc:
        raise ConfigError(f"protocol: {exc}") from None
    check_budget_cap(config.budget, shared.view)
    out.mkdir(parents=True, exist_ok=True)
    res = ResultsDir(out)
    _write_text(out / "config.json", json.dumps(config.identity(), indent=2))
    todo = [(s, r) for s in config.strategies for r in range(config.runs) if not res.run_file(s.label, r).is_file()]
    _WORKER["shared"] = shared
    tasks = _chunks(todo, config.jobs, str(out))
    bar = _progress(len(todo), config.progress)
    fresh: dict[tuple[str, int], dict[str, list]] = {}
    try:
        if config.jobs == 1 or len(tasks) <= 1:
            results: Iterable = map(_work, tasks)
        else:
            import multiprocessing as mp

            from .executors import die_with_parent

            # never more processes than tasks; each dies with this one (a kill -9 leaves no orphan)
            pool = ProcessPoolExecutor(min(config.jobs, len(tasks)), mp_context=mp.get_context("fork"),
                                       initializer=die_with_parent, initargs=(os.getpid(),))
            results = pool.map(_work, tasks)
        for done in results:
            for label, r, cols in done:
                fresh[(label, r)] = cols
            bar.update(len(done))
    finally:
        bar.close()
        _WORKER.clear()
        if config.jobs > 1 and len(tasks) > 1:
            pool.shutdown()
    frames = []
    for s in config.strategies:
        for r in range(config.runs):
            cols = fresh.get((s.label, r))
            frames.append(pd.DataFrame(cols) if cols is not None else
                          pd.read_csv(res.run_file(s.label, r)))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    with atomic_path(res.table_path) as tmp:  # a kill mid-write leaves the old table whole
        table.to_csv(tmp, index=False)
    _write_provenance(res, config, bench, shared, time.perf_counter() - t0, len(todo))
    from .summary import write_summary

    write_summary(res)
    return res


def _chunks(todo: list[tuple[StrategySpec, int]], jobs: int, out: str) -> list[tuple[StrategySpec, list[int], str]]:
    """Group runs per strategy into about 4 x jobs tasks (fewer process hand-offs)."""
    tasks = []
    by: dict[str, tuple[StrategySpec, list[int]]] = {}
    for s, r in todo:
        by.setdefault(s.label, (s, []))[1].append(r)
    n_tasks = max(1, 4 * jobs)
    per = max(1, -(-len(todo) // n_tasks))
    for s, runs in by.values():
        per_s = 1 if s.name in ("darts", "gdas") else per
        for k in range(0, len(runs), per_s):
            tasks.append((s, runs[k:k + per_s], out))
    return tasks


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool):
    if not show or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="runs", unit="run", file=sys.stderr, leave=False)


def _write_provenance(res: ResultsDir, config: ExperimentConfig, bench: Benchmark, shared: _Shared,
                      seconds: float, n_new: int) -> None:
    import platform

    import numpy
    import pandas
    import torch

    from . import __version__

    test = np.array(shared.test)
    valid = shared.view.mean_values()
    best_t = int(np.nanargmax(test))
    best_v = int(np.nanargmax(valid))
    meta = getattr(bench, "meta", None)
    prov = {
        "config": config.identity(),
        "nasbench_version": __version__,
        "python": platform.python_version(), "numpy": numpy.__version__, "pandas": pandas.__version__,
        "torch": torch.__version__,
        "table": {"name": getattr(bench, "name", config.table), "sha256": table_sha256(bench),  # recomputed on load
                  **_stored_if_different(bench),
                  "dataset": getattr(meta, "dataset", ""), "source": getattr(meta, "source", ""),
                  "cells": int(len(shared.view.candidates))},
        "optimum": {"test_metric": config.protocol.test_metric, "best_test": float(test[best_t]),
                    "best_test_cell": best_t, "best_valid_mean": float(valid[best_v]), "best_valid_cell": best_v,
                    "test_of_best_valid": float(test[best_v])},
        "protocol_note": shared.view.note,
        "signal_epoch": shared.view.epoch, "epochs_per_query": shared.view.epochs_per_query,
        "columns": list(COLUMNS),
        "last_invocation": {"seconds": round(seconds, 3), "runs_done": n_new, "jobs": config.jobs},
    }
    _write_text(res.path / "provenance.json", json.dumps(prov, indent=2))


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def check_budget_cap(budget: Budget, view: SearchView) -> None:
    """Refuse a seconds or epochs budget that could need more than :data:`MAX_QUERIES` queries in
    one run (at the table's cheapest query), rather than cutting runs short at the cap."""
    if budget.kind == "epochs":
        per, unit = view.epochs_per_query, "epochs"
    elif budget.kind == "seconds":
        costs = np.asarray(view._cost[view.candidates], dtype=np.float64)
        costs = costs[np.isfinite(costs) & (costs > 0)]
        if not len(costs):
            return
        per, unit = float(costs.min()), "s"
    else:
        return
    if per > 0 and budget.amount > MAX_QUERIES * per:
        raise ConfigError(f"budget: {budget.amount:g} {budget.kind} could take more than the cap of {MAX_QUERIES:,} "
                          f"queries per run (the cheapest query charges {per:.3g} {unit}); the largest budget allowed "
                          f"here is {MAX_QUERIES * per:.6g} {budget.kind}")


# -- summaries -------------------------------------------------------------------------------
def final_rows(frame):
    """The last row of every (strategy, run): the final incumbent."""
    return frame.sort_values(["strategy", "run", "step"]).groupby(["strategy", "run"], sort=False).tail(1)


def summarise(results: ResultsDir | str | os.PathLike):
    """One row per strategy: runs, mean/std/s.e. of the final incumbent's test value, its regret,
    mean queries, mean simulated time, how often the best cell was found."""
    import pandas as pd

    res = results if isinstance(results, ResultsDir) else open_results(results)
    df = res.frame()
    prov = res.provenance
    best = prov["optimum"]["best_test"]
    order = [s["label"] for s in prov["config"]["strategies"]]
    fin = final_rows(df)
    g = fin.groupby("strategy")
    out = pd.DataFrame({
        "runs": g.size(),
        "test_mean": g["incumbent_test"].mean(),
        "test_std": g["incumbent_test"].std(ddof=0),
        "test_se": g["incumbent_test"].sem(),
        "regret_mean": best - g["incumbent_test"].mean(),
        "valid_mean": g["incumbent_valid"].mean(),
        "queries_mean": g["step"].mean(),
        "sim_time_mean": g["sim_time"].mean(),
        "found_best": g["incumbent"].apply(lambda s: float(np.mean(s == prov["optimum"]["best_test_cell"]))),
    })
    return out.reindex([o for o in order if o in out.index])


def format_summary(summary, optimum: float | None = None) -> str:
    head = ("strategy", "runs", "test mean", "± std", "regret", "queries", "sim time")
    widths = [14, 5, 11, 8, 9, 9, 11]
    rows = [(str(name), f"{int(r.runs)}", f"{r.test_mean:.3f}", f"{r.test_std:.3f}", f"{r.regret_mean:.3f}",
             f"{r.queries_mean:.1f}", f"{r.sim_time_mean:.0f}") for name, r in summary.iterrows()]
    for row in rows:  # wide values widen their column; at least one space between columns
        widths = [max(w, len(v) + 1) for w, v in zip(widths, row)]

    def line(cells) -> str:
        return "".join(f"{v:<{w}}" if i == 0 else f"{v:>{w}}" for i, (v, w) in enumerate(zip(cells, widths)))

    lines = [line(head)] + [line(row) for row in rows]
    if optimum is not None:
        lines.append(f"optimum test {optimum:.3f}")
    return "\n".join(lines)


def default_config(**overrides: Any) -> ExperimentConfig:
    """The main job: random search, regularised evolution, REINFORCE and the cheap gradient method,
    ``DEFAULT_RUNS`` runs each on ``DEFAULT_TABLE`` under its published protocol (the table's
    preset, unless ``protocol``/``budget`` are given), on all cores."""
    base = dict(table=DEFAULT_TABLE, strategies=tuple(StrategySpec(n) for n in DEFAULT_STRATEGIES),
                runs=DEFAULT_RUNS, jobs=os.cpu_count() or 1, out="results/default")
    base.update({k: v for k, v in overrides.items() if v is not None})
    return ExperimentConfig(**base)


__all__ = [
    "BUDGET_KINDS", "COLUMNS", "ConfigError", "DEFAULT_RUNS", "DEFAULT_TABLE", "ExperimentConfig", "ResultsDir", "StrategySpec",
    "default_config", "format_summary", "load_benchmark", "open_results", "parse_overrides", "read_config_file",
    "run_comparison", "run_one", "run_seed", "summarise",
]

"""Reading a comparison's configuration file: TOML, YAML or a results directory's `config.json`,
parsed within the limits of `nasbench.util.parsing`, with the line of every key (so that an error
names the file and line), the checks of its keys' types, and the `--param label.key=value` flags."""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import yaml

from ..errors import ConfigError
from ..strategies import Budget, Protocol
from ..strategies.plugins import PluginError, is_path, load_plugin
from ..strategies.registry import strategy_names
from ..util.checks import parse_value
from ..util.parsing import parse_json, parse_toml, parse_yaml, read_config_text


TOP_KEYS = ("table", "strategies", "runs", "budget", "protocol", "seed", "jobs", "out", "resume", "progress", "params",
             "executor", "address", "workers", "plots", "preset", "imports")


BUDGET_KEYS = tuple(f.name for f in dataclasses.fields(Budget))


PROTOCOL_KEYS = tuple(f.name for f in dataclasses.fields(Protocol))


def where(key: str, lines: dict[str, int], source: str) -> str:
    """The "file:line: " prefix naming a key in errors.

    Args:
        key: a dotted key; a key inside an inline table falls back to the table's line.
        lines: the line of each dotted key.
        source: the file ("" for none).

    Returns:
        `"source:line: "`, `"source: "` without a line, or "" without a source.
    """
    line = lines.get(key)
    while line is None and "." in key:  # a key inside an inline table: the table's line
        key = key.rsplit(".", 1)[0]
        line = lines.get(key)
    if source and line:
        return f"{source}:{line}: "
    return f"{source}: " if source else ""


def file_imports(raw: Any, source: str, err) -> tuple[str, ...]:
    """A config file's `imports`, imported now.

    A relative .py path is relative to the file's folder (kept absolute, so that the config loads
    from any directory); a failure names the line.

    Args:
        raw: the `imports` value (a string or a list of strings).
        source: the config file ("" for none: relative to the working directory).
        err: builds the error for a key and a message.

    Returns:
        The module names and absolute .py paths, in order.

    Raises:
        PluginError: when an import fails.
    """
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(s, str) and s.strip() for s in raw):
        raise err("imports", f"imports must be a list of module names or .py file paths, got {raw!r}")
    base = Path(source).parent if source else Path.cwd()
    out = []
    for s in raw:
        s = s.strip()
        if is_path(s):
            p = Path(s).expanduser()
            s = str(p if p.is_absolute() else (base / p).absolute())
        try:
            load_plugin(s)
        except PluginError as exc:
            raise PluginError(str(err("imports", str(exc)))) from None
        out.append(s)
    return tuple(out)


def raise_now(exc: Exception):
    """Raise `exc` (for use where an expression is needed).

    Args:
        exc: the exception to raise.

    Raises:
        Exception: `exc`, always.
    """
    raise exc


def strategy_names_now() -> list[str]:
    return strategy_names()


def protocol_type_error(key: str, v: Any) -> str:
    """What `protocol.<key>` must be, if `v` is not that.

    Args:
        key: a protocol field's name.
        v: its value.

    Returns:
        A description of the type expected, or "" when `v` fits (or the key is not checked here).
    """
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
    """Read a config file.

    A TOML (.toml) or YAML (.yaml/.yml) file, or the `config.json` a comparison writes into its
    results directory (no line numbers), parsed within the limits of `nasbench.util.parsing`
    (size, depth, no YAML aliases).

    Args:
        path: the file.

    Returns:
        The mapping, and the line of each dotted key.

    Raises:
        ConfigError: when the file is missing, of another kind, unreadable or not a mapping.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such config file")
    suffix = p.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml", ".json"):
        raise ConfigError(f"{p}: config files are .toml, .yaml or .yml (or a results directory's config.json)")
    text = read_config_text(p, ConfigError)
    if suffix == ".toml":
        return parse_toml(text, str(p), ConfigError), _toml_lines(text)
    if suffix == ".json":
        d = parse_json(text, str(p), ConfigError)
        if not isinstance(d, dict):
            raise ConfigError(f"{p}: the top level must be a mapping")
        return d, {}
    d, node = parse_yaml(text, str(p), ConfigError)
    d = {} if d is None else d
    if not isinstance(d, dict):
        raise ConfigError(f"{p}: the top level must be a mapping")
    lines: dict[str, int] = {}
    _yaml_lines(node, "", lines)
    return d, lines


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
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = f"{prefix}{k.value}"
            out.setdefault(key, k.start_mark.line + 1)
            _yaml_lines(v, key + ".", out)


def parse_overrides(items: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Strategy parameters given as flags: `["evolution.sample_size=3"]` -> `{label: {param: value}}`.

    Values are read as `nasbench.util.checks.parse_value` reads them, like the surrogates' `--param`.

    Args:
        items: the `strategy.param=value` strings.

    Returns:
        The parameters of each strategy label.

    Raises:
        ConfigError: when an item does not look like `strategy.param=value`.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.+-]+?)\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", item)
        if not m:
            raise ConfigError(f"parameter {item!r} must look like strategy.param=value")
        label, key, value = m.groups()
        out.setdefault(label, {})[key] = parse_value(value)
    return out

"""Strategies from outside the package: plug-in modules and the `nasbench.strategies` entry points.

A plug-in is a Python module that defines `nasbench.strategies.base.Strategy` subclasses;
importing it registers them (a subclass that sets `name` registers itself, or
`nasbench.strategies.register` adds a class). It reaches a comparison in three ways:

* `nasbench compare --import MODULE` (repeatable), or `imports = ["MODULE", ...]` in a config
  file: `MODULE` is an importable module name (`my_pkg.my_strategies`, found on `sys.path`
  / `PYTHONPATH`) or the path of a `.py` file (anything ending in `.py` or holding a path
  separator; in a config file a relative path is relative to the file's folder). A file is
  imported under its stem as module name (`./softmax_evo.py` -> `softmax_evo`);
* an installed distribution that declares entry points in the group `nasbench.strategies`
  (`[project.entry-points."nasbench.strategies"] my_strategy = "my_pkg.strategies:MyStrategy"`):
  they are loaded when a strategy name is not a built-in one, and for `--list-strategies`. An
  entry point may name a module (importing it registers its strategies) or a strategy class
  (registered if it is not yet);
* any module imported before the comparison runs (the Python API).

Worker processes (`--jobs`) and Ray actors (`--executor ray`) import the same modules before
they build a strategy (`worker_imports`), so a plug-in need not be installed where the runs
execute as long as its file or module can be found there (a file path must exist on each Ray node).

A plug-in that fails to import is one line, `PluginError`, naming the module and the cause.
`provenance.json` records every plug-in that a comparison's strategies come from
(`provenance`): module, version (its `__version__`, else its distribution's version, else
null), file and the SHA-256 of that file.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import NasbenchError

#: the entry-point group a distribution declares its strategies in
ENTRY_POINT_GROUP = "nasbench.strategies"


class PluginError(NasbenchError, ImportError):
    """A plug-in module (`--import`, `imports`, an entry point) that cannot be imported."""


@dataclass(frozen=True)
class Plugin:
    """A loaded plug-in.

    Attributes:
        spec: the module name or path as given.
        module: the module name it was imported as.
        file: its file (None where it has none).
        strategies: the strategy names it registered (those whose class is defined in it).
    """

    spec: str
    module: str
    file: str | None
    strategies: tuple[str, ...]


#: the plug-ins imported by `load_plugin`, by spec as given
_LOADED: dict[str, Plugin] = {}
#: module name -> file, for the modules imported from a file path (workers import them the same way)
_FROM_FILE: dict[str, str] = {}
_ENTRY_POINTS: dict[str, Any] = {}  # "loaded": True once the group was loaded


def is_path(spec: str) -> bool:
    """Whether a plug-in spec names a file rather than a module.

    Args:
        spec: a module name or a file path.

    Returns:
        True where `spec` ends in `.py` or holds a path separator.
    """
    return spec.endswith(".py") or "/" in spec or (os.sep != "/" and os.sep in spec)


def _cause(exc: BaseException, file: str | None = None) -> str:
    """`ErrorType: message (file, line N)` in one line, the line being the deepest frame in `file`."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{text} ({Path(exc.filename or file or '?').name}, line {exc.lineno})"
    where = None
    for fr in traceback.extract_tb(exc.__traceback__):
        if file is None or os.path.abspath(fr.filename) == os.path.abspath(file):
            where = fr
    if where is not None and file is not None:
        text += f" ({Path(where.filename).name}, line {where.lineno})"
    return text


def _module_file(module: Any) -> str | None:
    f = getattr(module, "__file__", None)
    return os.path.abspath(f) if f else None


def _strategies_of(module_name: str) -> tuple[str, ...]:
    from .base import REGISTRY

    return tuple(n for n, c in REGISTRY.items() if c.__module__ == module_name)


def load_plugin(spec: str, base: str | os.PathLike | None = None) -> Plugin:
    """Import a plug-in once; what it registered.

    Args:
        spec: a module name or the path of a `.py` file.
        base: the folder a relative path is taken from (None: the working directory).

    Returns:
        The loaded plug-in.

    Raises:
        PluginError: one line naming the module and the cause (not found, or an error while
            importing it, e.g. a strategy name already taken).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise PluginError(f"a plug-in is a module name or a .py file path, got {spec!r}")
    spec = spec.strip()
    key = spec if base is None or not is_path(spec) else str(Path(base) / spec)
    if key in _LOADED:
        return _LOADED[key]
    if is_path(spec):
        plugin = _load_file(spec, Path(base) / spec if base is not None else Path(spec))
    else:
        plugin = _load_module(spec)
    _LOADED[key] = plugin
    return plugin


def _load_module(name: str) -> Plugin:
    from .base import StrategyError

    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise PluginError(f"cannot import plug-in {name!r}: no module named {exc.name!r} on the Python path "
                              "(install it, add its folder to PYTHONPATH, or give the path of its .py file)") from None
        raise PluginError(f"plug-in {name!r} failed to import: {_cause(exc)}") from None
    except StrategyError as exc:
        raise PluginError(f"plug-in {name!r} failed to import: {exc}") from None
    except Exception as exc:  # anything its code raises
        raise PluginError(f"plug-in {name!r} failed to import: {_cause(exc)}") from None
    return Plugin(name, name, _module_file(module), _strategies_of(name))


def _load_file(spec: str, path: Path) -> Plugin:
    from .base import StrategyError

    path = path.expanduser()
    if path.suffix != ".py":
        raise PluginError(f"plug-in {spec!r}: a plug-in file is a .py file")
    if not path.is_file():
        raise PluginError(f"cannot import plug-in {spec!r}: no such file {str(path)!r}")
    path = path.resolve()
    name = path.stem
    if not name.isidentifier():
        raise PluginError(f"plug-in {spec!r}: the file name must be a Python identifier (it becomes the module "
                          f"name), got {name!r}")
    old = sys.modules.get(name)
    if old is not None:
        if _module_file(old) == str(path):
            return Plugin(spec, name, str(path), _strategies_of(name))
        taken = _module_file(old) or "a built-in module"
        raise PluginError(f"plug-in {spec!r}: module name {name!r} is taken by {taken}; rename the file")
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:  # pragma: no cover - a .py file always has one
        raise PluginError(f"cannot import plug-in {spec!r}: not a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module  # before running it: dataclasses and pickling look it up there
    try:
        loader_spec.loader.exec_module(module)
    except StrategyError as exc:
        sys.modules.pop(name, None)
        raise PluginError(f"plug-in {spec!r} failed to import: {exc}") from None
    except Exception as exc:
        sys.modules.pop(name, None)
        raise PluginError(f"plug-in {spec!r} failed to import: {_cause(exc, str(path))}") from None
    _FROM_FILE[name] = str(path)
    return Plugin(spec, name, str(path), _strategies_of(name))


def load_plugins(specs: Iterable[str], base: str | os.PathLike | None = None) -> list[Plugin]:
    """`load_plugin` of each, in order.

    Args:
        specs: module names or `.py` paths.
        base: the folder relative paths are taken from (None: the working directory).

    Returns:
        The loaded plug-ins.

    Raises:
        PluginError: the first plug-in that cannot be imported.
    """
    return [load_plugin(s, base) for s in specs]


# -- entry points -----------------------------------------------------------------------------
def entry_points() -> list[Any]:
    """The installed entry points of the group `nasbench.strategies`."""
    from importlib.metadata import entry_points as eps

    return list(eps(group=ENTRY_POINT_GROUP))


def load_entry_points() -> list[str]:
    """Load every entry point of `nasbench.strategies` (once per process).

    Returns:
        The strategy names registered by them.

    Raises:
        PluginError: a broken entry point, naming it and its distribution.
    """
    if _ENTRY_POINTS.get("loaded"):
        return list(_ENTRY_POINTS.get("names", []))
    from .base import REGISTRY, Strategy, StrategyError, register_strategy

    _ENTRY_POINTS["loaded"] = True  # a failure is reported once, not at every unknown name
    before = set(REGISTRY)
    for ep in entry_points():
        dist = getattr(ep, "dist", None)
        where = f"entry point {ep.name!r} ({ep.value})" + (f" of {dist.name} {dist.version}" if dist else "")
        try:
            obj = ep.load()
            if isinstance(obj, type) and issubclass(obj, Strategy) and obj.name and obj.name not in REGISTRY:
                register_strategy(obj)
        except StrategyError as exc:
            raise PluginError(f"{where} failed to load: {exc}") from None
        except ModuleNotFoundError as exc:
            raise PluginError(f"{where} failed to load: no module named {exc.name!r}") from None
        except Exception as exc:
            raise PluginError(f"{where} failed to load: {_cause(exc)}") from None
    _ENTRY_POINTS["names"] = [n for n in REGISTRY if n not in before]
    return list(_ENTRY_POINTS["names"])


# -- workers and provenance -------------------------------------------------------------------
def _is_builtin(cls: type) -> bool:
    return cls.__module__ == "nasbench" or cls.__module__.startswith("nasbench.")


def worker_imports(imports: Iterable[str], strategy_classes: Iterable[type]) -> tuple[str, ...]:
    """What a worker process imports before building a strategy.

    Args:
        imports: the plug-ins given (`--import`, `imports`).
        strategy_classes: the classes of the comparison's strategies.

    Returns:
        `imports` as resolved here (absolute paths for files), then the module of every non-built-in
        strategy class (its file where it was imported from one; classes defined in `__main__` cannot
        be imported again), each once.
    """
    out: list[str] = []
    for s in imports:
        p = next((p for p in _LOADED.values() if p.spec == s), None)
        out.append(p.file if p is not None and is_path(s) and p.file else s)
    for cls in strategy_classes:
        mod = cls.__module__
        if _is_builtin(cls) or mod == "__main__":
            continue
        out.append(_FROM_FILE.get(mod, mod))
    return tuple(dict.fromkeys(out))


def init_worker(specs: Iterable[str]) -> None:
    """A worker's import of the plug-ins before any strategy is built.

    Args:
        specs: what `worker_imports` returned.

    Raises:
        PluginError: a plug-in cannot be imported.
    """
    for s in specs:
        if is_path(s) or s not in sys.modules:
            load_plugin(s)


def sha256_file(path: str) -> str | None:
    """The SHA-256 of a file's bytes.

    Args:
        path: the file.

    Returns:
        The hex digest, or None where the file cannot be read.
    """
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def module_version(module_name: str) -> str | None:
    """The version of a plug-in module.

    Args:
        module_name: the module's import name.

    Returns:
        The module's `__version__` (or its top-level package's), else the version of the installed
        distribution that provides it, else None.
    """
    from importlib import metadata

    top = module_name.split(".")[0]
    for name in (module_name, top):
        mod = sys.modules.get(name)
        v = getattr(mod, "__version__", None) if mod is not None else None
        if isinstance(v, str) and v:
            return v
    if top in _FROM_FILE:  # a file given by path: no distribution of its own
        return None
    try:
        dists = metadata.packages_distributions().get(top, [])
    except Exception:  # pragma: no cover - broken metadata of some installed package
        dists = []
    for d in dists:
        try:
            return metadata.version(d)
        except metadata.PackageNotFoundError:  # pragma: no cover
            continue
    return None


def provenance(strategy_classes: dict[str, type], imports: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The plug-ins of a comparison, as `provenance.json` records them.

    Args:
        strategy_classes: the comparison's strategies, label -> class.
        imports: the plug-ins given (`--import`, `imports`).

    Returns:
        One record per plug-in module the strategies come from and per module in `imports`: module,
        version, file, SHA-256 of the file, the strategies (labels) of this comparison it provides,
        and its source (`entry point`, `file` or `module`).
    """
    mods: dict[str, list[str]] = {}
    for label, cls in strategy_classes.items():
        if not _is_builtin(cls):
            mods.setdefault(cls.__module__, []).append(label)
    for s in imports:
        p = next((p for p in _LOADED.values() if p.spec == s), None)
        mods.setdefault(p.module if p is not None else s, [])
    ep_modules = {ep.value.split(":")[0].strip(): ep for ep in (entry_points() if _ENTRY_POINTS.get("loaded") else [])}
    out = []
    for name, labels in mods.items():
        module = sys.modules.get(name)
        file = _FROM_FILE.get(name) or (_module_file(module) if module is not None else None)
        ep = ep_modules.get(name)
        source = "entry point" if ep is not None else ("file" if name in _FROM_FILE else "module")
        version = module_version(name)
        if version is None and ep is not None and getattr(ep, "dist", None) is not None:
            version = ep.dist.version
        out.append({"module": name, "version": version, "file": file,
                    "sha256": sha256_file(file) if file else None, "strategies": labels, "source": source})
    return out


__all__ = ["ENTRY_POINT_GROUP", "Plugin", "PluginError", "entry_points", "init_worker", "load_entry_points",
           "load_plugin", "load_plugins", "provenance", "worker_imports"]

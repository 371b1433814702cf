"""Strategies from outside the package: `compare --import`, config `imports`, entry points of the
group nasbench.strategies, plug-ins in worker processes and Ray actors, their provenance, and the
public conformance checks of nasbench.testing."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nasbench.strategies import plugins
from nasbench.cli import main
from nasbench.strategies import (STRATEGIES, Budget, Capabilities, Job, JobStrategy, Params, Strategy, StrategyError,
                                 register)
from nasbench.strategies.base import REGISTRY, check_positive
from nasbench.testing import ContractError, check_benchmark, check_strategy

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''\
"""Softmax-tournament evolution: a strategy kept outside the repository."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench.strategies import Params, Strategy

__version__ = "0.3.1"


@dataclass(frozen=True)
class SoftmaxEvoParams(Params):
    population: int = 10
    temperature: float = 1.0


class SoftmaxEvo(Strategy):
    """Evolution with softmax parent selection."""

    name = "{name}"
    Params = SoftmaxEvoParams

    def __init__(self, context, params=None):
        super().__init__(context, params)
        self.pop = []

    def ask(self):
        if len(self.pop) < self.params.population:
            return self.random_index()
        v = np.array([p[1] for p in self.pop]) / self.params.temperature
        w = np.exp(v - v.max())
        return self.mutate(self.pop[int(self.rng.choice(len(self.pop), p=w / w.sum()))][0])

    def tell(self, index, value, cost, objectives=()):
        self.pop = (self.pop + [(index, value)])[-self.params.population:]
'''


def _write_plugin(folder: Path, module: str, name: str) -> Path:
    path = folder / f"{module}.py"
    path.write_text(PLUGIN.format(name=name))
    return path


@pytest.fixture
def clean_registry(tmp_path):
    """Plug-ins imported by a test are forgotten afterwards (registry, their modules, loader caches)."""
    reg, mods = dict(REGISTRY), set(sys.modules)
    saved = (dict(plugins._LOADED), dict(plugins._FROM_FILE), dict(plugins._ENTRY_POINTS))
    yield
    REGISTRY.clear()
    REGISTRY.update(reg)
    for m in set(sys.modules) - mods:
        f = getattr(sys.modules[m], "__file__", None) or ""
        if f.startswith(str(tmp_path)) or m == "strategy_plugin":
            del sys.modules[m]
    for cache, old in zip((plugins._LOADED, plugins._FROM_FILE, plugins._ENTRY_POINTS), saved):
        cache.clear()
        cache.update(old)


def _compare(*args: str, env_path: str = str(ROOT)) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": env_path}
    return subprocess.run([sys.executable, "-m", "nasbench.cli", "compare", "--table", "nb201-digits", "--runs", "2",
                           "--budget", "10", "--budget-kind", "queries", "--no-plots", "--no-progress", *args],
                          env=env, capture_output=True, text=True, timeout=600)


# -- the command line -------------------------------------------------------------------------------
def test_a_strategy_file_outside_the_repository_runs_with_two_jobs(tmp_path):
    (tmp_path / "mine").mkdir()
    plug = _write_plugin(tmp_path / "mine", "softmax_evo", "softmax_evo")
    out = tmp_path / "res"
    r = _compare("--import", str(plug), "--strategies", "softmax_evo,random", "--jobs", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "softmax_evo" in r.stdout
    assert len(list((out / "runs" / "softmax_evo").glob("*.csv"))) == 2
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["last_invocation"]["jobs"] == 2
    (rec,) = prov["plugins"]
    assert rec == {"module": "softmax_evo", "version": "0.3.1", "file": str(plug.resolve()),
                   "sha256": hashlib.sha256(plug.read_bytes()).hexdigest(), "strategies": ["softmax_evo"],
                   "source": "file"}
    assert prov["strategies"]["softmax_evo"] == {"name": "softmax_evo", "class": "softmax_evo.SoftmaxEvo",
                                                 "params": {"population": 10, "temperature": 1.0}}
    assert prov["strategies"]["random"]["params"] == {"dedupe": False}  # resolved defaults, built-ins too
    assert "imports" not in json.loads((out / "config.json").read_text())  # the identity: names and params


def test_import_by_module_name_and_list_strategies(tmp_path, clean_registry, capsys, monkeypatch):
    _write_plugin(tmp_path, "plug_by_name", "by_name_evo")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["compare", "--import", "plug_by_name", "--list-strategies"]) == 0
    listing = capsys.readouterr().out
    assert "by_name_evo: Evolution with softmax parent selection." in listing and "temperature = 1.0" in listing
    assert main(["compare", "--import", "plug_by_name", "--strategies", "by_name_evo", "--table", "nb201-digits",
                 "--runs", "1", "--budget", "5", "--budget-kind", "queries", "--jobs", "1", "--no-plots",
                 "--no-progress", "--param", "by_name_evo.population=3", "--out", str(tmp_path / "r")]) == 0
    prov = json.loads((tmp_path / "r" / "provenance.json").read_text())
    assert prov["strategies"]["by_name_evo"]["params"] == {"population": 3, "temperature": 1.0}
    assert prov["plugins"][0]["module"] == "plug_by_name" and prov["plugins"][0]["source"] == "module"


@pytest.mark.parametrize("code, spec, expected", [
    ("x = 1 / 0\n", "broken_plug.py", "plug-in '{path}' failed to import: ZeroDivisionError: division by zero "
                                      "(broken_plug.py, line 1)"),
    ("import no_such_dependency_xyz\n", "broken_plug.py",
     "plug-in '{path}' failed to import: ModuleNotFoundError: No module named 'no_such_dependency_xyz'"),
    ("def f(:\n", "broken_plug.py", "plug-in '{path}' failed to import: SyntaxError: invalid syntax"),
    ("from nasbench.strategies import Strategy\nclass R(Strategy):\n    name = 'random'\n", "broken_plug.py",
     "plug-in '{path}' failed to import: strategy name 'random' is taken by nasbench.strategies.random_search"),
    ("", "no_such_plugin_module_xyz", "cannot import plug-in 'no_such_plugin_module_xyz': no module named "
                                      "'no_such_plugin_module_xyz' on the Python path"),
    ("", "missing_file.py", "cannot import plug-in '{path}': no such file"),
])
def test_a_plugin_that_fails_to_import_is_one_line(tmp_path, clean_registry, capsys, monkeypatch, code, spec,
                                                    expected):
    path = tmp_path / spec
    if code:
        path.write_text(code)
    monkeypatch.chdir(tmp_path)
    arg = f"./{spec}" if spec.endswith(".py") else spec  # named as given
    assert main(["compare", "--import", arg, "--strategies", "random", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nasbench compare: error: "), err
    assert expected.format(path=arg) in err, err
    assert not (tmp_path / "r").exists()
    assert "broken_plug" not in sys.modules  # a failed import leaves nothing half-registered


def test_unknown_strategy_points_at_import(clean_registry, capsys):
    assert main(["compare", "--strategies", "no_such_strategy_xyz", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "unknown strategy 'no_such_strategy_xyz'; valid: random" in err and "--import MODULE" in err


# -- config files ---------------------------------------------------------------------------------------
def test_config_file_imports_are_relative_to_the_file(tmp_path, clean_registry, monkeypatch):
    from nasbench.search.runner import ExperimentConfig, run_comparison

    (tmp_path / "cfg").mkdir()
    plug = _write_plugin(tmp_path / "cfg", "cfg_plug", "cfg_evo")
    f = tmp_path / "cfg" / "c.toml"
    f.write_text('imports = ["cfg_plug.py"]\ntable = "nb201-digits"\nstrategies = ["cfg_evo", "random"]\nruns = 1\n'
                 'budget = {kind = "queries", amount = 5}\njobs = 1\nprogress = false\n'
                 '[params.cfg_evo]\ntemperature = 0.5\n')
    monkeypatch.chdir(ROOT)  # another folder than the file's
    cfg = ExperimentConfig.from_file(f, out=str(tmp_path / "r"))
    assert cfg.imports == (str(plug),) and cfg.strategies[0].params == {"temperature": 0.5}
    assert cfg.to_dict()["imports"] == [str(plug)] and "imports" not in cfg.identity()
    res = run_comparison(cfg)
    assert res.provenance["plugins"][0]["sha256"] == hashlib.sha256(plug.read_bytes()).hexdigest()
    assert res.provenance["strategies"]["cfg_evo"]["params"] == {"population": 10, "temperature": 0.5}
    bad = tmp_path / "cfg" / "bad.toml"
    bad.write_text('table = "nb201-digits"\nimports = ["nowhere.py"]\n')
    with pytest.raises(plugins.PluginError, match=r"bad\.toml:2: cannot import plug-in .*nowhere\.py.*no such file"):
        ExperimentConfig.from_file(bad)
    bad.write_text('imports = "cfg_plug.py"\nimports2 = 1\n')
    with pytest.raises(Exception, match="unknown key 'imports2'"):
        ExperimentConfig.from_file(bad)
    with pytest.raises(Exception, match="imports must be a list of module names or .py file paths"):
        ExperimentConfig(imports=(3,))


def test_flag_imports_add_to_the_file_imports(tmp_path, clean_registry):
    from nasbench.search.runner import ExperimentConfig

    a = _write_plugin(tmp_path, "plug_a", "evo_a")
    b = _write_plugin(tmp_path, "plug_b", "evo_b")
    f = tmp_path / "c.yaml"
    f.write_text("imports: [plug_a.py]\ntable: nb201-digits\nstrategies: [evo_a, evo_b]\n")
    cfg = ExperimentConfig.from_file(f, imports=(str(b),))
    assert cfg.imports == (str(a), str(b))


# -- workers ----------------------------------------------------------------------------------------------
def _module_of(name: str) -> str:
    from nasbench.strategies import get_strategy

    return get_strategy(name).__module__


def test_spawned_workers_import_the_plugins_before_building_strategies(tmp_path, clean_registry):
    """With a start method that does not fork, a worker knows a plug-in only by importing it."""
    import multiprocessing as mp

    from nasbench.search.runner import ExperimentConfig, plugin_imports
    from nasbench.strategies.registry import describe

    plug = _write_plugin(tmp_path, "spawn_plug", "spawn_evo")
    cfg = ExperimentConfig(table="nb201-digits", strategies=("spawn_evo",), imports=(str(plug),), out="unused")
    specs = plugin_imports(cfg)
    assert specs == (str(plug),)
    with mp.get_context("spawn").Pool(1, initializer=plugins.init_worker, initargs=(specs,)) as pool:
        assert pool.map(describe, ["spawn_evo"])[0].startswith("spawn_evo: Evolution with softmax")
    # a strategy registered by a module imported before the comparison (the Python API) is found too
    sys.path.insert(0, str(tmp_path))
    try:
        _write_plugin(tmp_path, "api_plug", "api_evo")
        __import__("api_plug")
    finally:
        sys.path.remove(str(tmp_path))
    cfg = ExperimentConfig(table="nb201-digits", strategies=("api_evo",), out="unused")
    assert plugin_imports(cfg) == ("api_plug",)


@pytest.mark.slow  # ~20 s: a local Ray instance in a fresh process
def test_a_strategy_file_runs_on_ray_actors(tmp_path):
    pytest.importorskip("ray")
    (tmp_path / "mine").mkdir()
    plug = _write_plugin(tmp_path / "mine", "ray_softmax_evo", "ray_softmax_evo")
    out = tmp_path / "res"
    r = _compare("--import", str(plug), "--strategies", "ray_softmax_evo", "--executor", "ray", "--jobs", "2",
                 "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["last_invocation"]["executor"] == "ray"
    assert prov["plugins"][0]["module"] == "ray_softmax_evo" and prov["plugins"][0]["file"] == str(plug.resolve())
    assert len(list((out / "runs" / "ray_softmax_evo").glob("*.csv"))) == 2


# -- entry points -------------------------------------------------------------------------------------------
def _fake_distribution(root: Path, value: str = "fake_nb_strats:FakeClimb") -> None:
    """An installed distribution without pip: a dist-info folder and its module, on sys.path."""
    (root / "fake_nb_strats.py").write_text(textwrap.dedent('''
        from nasbench.strategies import Strategy


        class FakeClimb(Strategy, register=False):  # registered through the entry point
            """Random cells, from an installed package."""

            name = "fake_climb"

            def ask(self):
                return self.random_index()

            def tell(self, index, value, cost, objectives=()):
                pass
        '''))
    info = root / "fake_nasbench_plugin-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-nasbench-plugin\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[nasbench.strategies]\nfake_climb = {value}\n")


def test_entry_points_register_installed_strategies_lazily(tmp_path, clean_registry, monkeypatch, capsys):
    from nasbench.search.runner import ExperimentConfig, run_comparison

    _fake_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins._ENTRY_POINTS.clear()
    assert "fake_climb" not in STRATEGIES and "fake_nb_strats" not in sys.modules  # nothing loaded yet
    assert [ep.name for ep in plugins.entry_points()] == ["fake_climb"]
    cfg = ExperimentConfig(table="nb201-digits", strategies=("fake_climb",), runs=1, jobs=1, progress=False,
                           out=str(tmp_path / "r"))
    assert STRATEGIES["fake_climb"].__module__ == "fake_nb_strats"
    res = run_comparison(dataclasses.replace(cfg, budget=Budget("queries", 5)))
    (rec,) = res.provenance["plugins"]
    assert (rec["module"], rec["version"], rec["source"]) == ("fake_nb_strats", "1.2.3", "entry point")
    assert rec["sha256"] == hashlib.sha256((tmp_path / "fake_nb_strats.py").read_bytes()).hexdigest()
    assert main(["compare", "--list-strategies"]) == 0
    assert "fake_climb: Random cells, from an installed package." in capsys.readouterr().out


def test_a_broken_entry_point_is_one_line_naming_it_and_its_distribution(tmp_path, clean_registry, monkeypatch,
                                                                          capsys):
    _fake_distribution(tmp_path, value="fake_nb_missing_module:Nothing")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins._ENTRY_POINTS.clear()
    assert main(["compare", "--strategies", "fake_climb", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ("entry point 'fake_climb' (fake_nb_missing_module:Nothing) of fake-nasbench-plugin 1.2.3 failed to "
            "load: no module named 'fake_nb_missing_module'") in err
    assert main(["compare", "--strategies", "random", "--list-strategies"]) == 0  # built-ins need no entry point


# -- registration ----------------------------------------------------------------------------------------------
def test_register_is_public_and_refuses_a_taken_or_bad_name(clean_registry):
    class Mine(Strategy, register=False):
        name = "mine_registered"

        def ask(self):
            return self.random_index()

        def tell(self, index, value, cost, objectives=()):
            pass

    assert register(Mine) is Mine and STRATEGIES["mine_registered"] is Mine
    assert register(Mine) is Mine  # the same class again: a no-op

    class Other(Mine, register=False):
        name = "random"

    with pytest.raises(StrategyError, match=r"strategy name 'random' is taken by "
                                            r"nasbench\.strategies\.random_search\.RandomSearch; choose another name"):
        register(Other)
    Other.name = "has space"
    with pytest.raises(StrategyError, match="may use letters, digits and _ \\+ - only"):
        register(Other)
    with pytest.raises(StrategyError, match="register takes a Strategy subclass"):
        register(dict)


# -- nasbench.testing ----------------------------------------------------------------------------------------
SLOW_CHECKS = {"darts", "gdas", "optuna-gp", "smac"}  # 20-25 s each: supernet training, GP and SMAC fits


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_CHECKS else n
                                  for n in STRATEGIES])
def test_check_strategy_passes_on_every_builtin(name):
    check_strategy(STRATEGIES[name])


def test_check_strategy_passes_on_a_contributed_module(clean_registry):
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from strategy_plugin import HillClimb
    finally:
        sys.path.remove(str(ROOT / "tests"))
    check_strategy(HillClimb)


def _broken(**attrs):
    """A strategy (not registered) with ``attrs`` replacing the working defaults."""
    def ask(self):
        return self.random_index()

    def tell(self, index, value, cost, objectives=()):
        pass

    body = {"name": "broken_one", "ask": ask, "tell": tell, "__qualname__": "Broken", **attrs}
    return type("Broken", (JobStrategy if "ask_job" in attrs else Strategy,), body, register=False)


@dataclasses.dataclass(frozen=True)
class _NoDefault(Params):
    size: int


@dataclasses.dataclass(frozen=True)
class _TupleParam(Params):
    sizes: tuple = (1, 2)


@dataclasses.dataclass(frozen=True)
class _BadDefault(Params):
    size: int = 0

    def check(self):
        check_positive(self, "size")


@pytest.mark.parametrize("attrs, message", [
    ({"ask": lambda self: 15625}, "ask() returned 15625, not a cell of the table"),
    ({"ask": lambda self: 3.0}, "ask() returned 3.0 (float), not a cell index (an int)"),
    ({"ask": lambda self: int(np.random.randint(15625))}, "not deterministic: two searches with the same seed differ "
                                                          "at query 1"),
    ({"ask": lambda self: self.context.dataset and 0}, "reads SearchContext.dataset but does not declare it"),
    ({"tell": lambda self, *a, **k: 1 / 0}, "the search raised ZeroDivisionError: division by zero"),
    ({"Params": _NoDefault}, "parameter 'size' has no default"),
    ({"Params": _TupleParam}, "parameters do not round-trip through a config file"),
    ({"Params": _BadDefault}, "the default parameters fail their own check"),
    ({"name": "random"}, "name 'random' is taken by nasbench.strategies.random_search.RandomSearch"),
    ({"name": "has space"}, "name may use letters, digits and _ + - only"),
    ({"name": ""}, "has no name"),
    ({"ask_job": lambda self: None}, "ask_job() returned None before any job ran"),
    ({"ask_job": lambda self: self.random_index()}, "not a Job (or None)"),
    ({"ask_job": lambda self: Job(self.random_index(), cost=-1.0)},
     "ask_job().cost is -1.0; it must be finite seconds"),
    ({"ask_job": lambda self: Job(self.random_index(), overhead=float("nan"))},
     "ask_job().overhead is nan; it must be finite seconds"),
    ({"capabilities": Capabilities(libraries="optuna")}, "libraries must be a tuple of distribution names"),
])
def test_check_strategy_names_what_broke(attrs, message):
    cls = _broken(**attrs)
    with pytest.raises(ContractError) as info:
        check_strategy(cls)
    assert isinstance(info.value, AssertionError)
    assert message in str(info.value), str(info.value)
    assert "broken_one" not in STRATEGIES  # registered only for the check


def test_check_strategy_refuses_what_is_not_a_strategy():
    with pytest.raises(ContractError, match="not a subclass of nasbench.strategies.Strategy"):
        check_strategy(dict)
    with pytest.raises(ContractError, match="does not implement tell"):
        check_strategy(type("Half", (Strategy,), {"name": "half", "ask": lambda self: 0}, register=False))


def test_check_benchmark_passes_on_tables_and_a_new_kind():
    import nasbench

    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from frame_benchmark import FrameBenchmark
    finally:
        sys.path.remove(str(ROOT / "tests"))
    table = nasbench.load("nb201-digits")
    check_benchmark(table)
    frame = FrameBenchmark(table.to_frame(), table.meta, int(table.epochs[-1]),
                           metrics=("valid_acc", "test_acc", "time"), name="frame-digits")
    check_benchmark(frame)

    class Inconsistent(FrameBenchmark):
        def query(self, cell, metric="valid_acc", epoch=None, seed="mean", rng=None):
            return super().query(cell, metric, epoch, seed, rng) + 1.0

    with pytest.raises(ContractError, match=r"benchmark 'bad' \(Inconsistent\): query\(\d+, 'valid_acc'\) = .* but "
                                            r"query_many gives"):
        check_benchmark(Inconsistent(table.to_frame(), table.meta, int(table.epochs[-1]),
                                     metrics=("valid_acc", "test_acc", "time"), name="bad"))

    class Lenient(FrameBenchmark):
        def query(self, cell, metric="valid_acc", epoch=None, seed="mean", rng=None):
            return float("nan") if metric == "no-such-metric" else super().query(cell, metric, epoch, seed, rng)

    with pytest.raises(ContractError, match="an unknown metric must raise QueryError, but the query answered"):
        check_benchmark(Lenient(table.to_frame(), table.meta, int(table.epochs[-1]),
                                metrics=("valid_acc", "test_acc", "time"), name="lenient"))

"""One table of defaults and one merge of file and flags (issue 24, item 4): each ``nasbench
compare`` flag gives the same :class:`ExperimentConfig` as the config key it stands for, with and
without a config file under it; a key left out of the file means the same as the flag left out.
Mechanics only: no comparison runs (the configs are built, not run)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasbench import defaults
from nasbench.cli import build_parser
from nasbench.cli.compare import compare_config
from nasbench.search.runner import ExperimentConfig, default_config
from nasbench.strategies import Budget, Protocol

PLUGIN = Path(__file__).resolve().parent / "strategy_plugin.py"


def _flags(*argv: str) -> ExperimentConfig:
    return compare_config(build_parser().parse_args(["compare", *argv]))


def _file(tmp_path: Path, text: str, *argv: str) -> ExperimentConfig:
    f = tmp_path / "c.toml"
    f.write_text(text)
    return compare_config(build_parser().parse_args(["compare", str(f), *argv]))


# (flags, the same in a config file's keys)
KEY_BY_KEY = [
    (["--table", "nb201-digits"], 'table = "nb201-digits"'),
    (["--table", "nb201-digits,nb201-fashion-mnist"], 'table = ["nb201-digits", "nb201-fashion-mnist"]'),
    (["--strategies", "random,evolution"], 'strategies = ["random", "evolution"]'),
    (["--runs", "7"], "runs = 7"),
    (["--seed", "5"], "seed = 5"),
    (["--jobs", "3"], "jobs = 3"),
    (["--out", "results/x"], 'out = "results/x"'),
    (["--resume"], "resume = true"),
    (["--no-progress"], "progress = false"),
    (["--executor", "ray"], 'executor = "ray"'),
    (["--executor", "ray", "--address", "h:1"], 'executor = "ray"\naddress = "h:1"'),
    (["--workers", "4"], "workers = 4"),
    (["--preset", "nats-bench"], 'preset = "nats-bench"'),
    (["--budget", "6000"], "budget = 6000"),
    (["--budget", "6000"], "budget = {amount = 6000}"),
    (["--budget-kind", "queries"], 'budget = {kind = "queries"}\n# (an amount from the preset)'),
    (["--budget", "50", "--budget-kind", "queries"], 'budget = {kind = "queries", amount = 50}'),
    (["--table", "nb201-digits", "--budget", "50"], 'table = "nb201-digits"\nbudget = 50'),
    (["--metric", "valid_acc"], 'protocol = {metric = "valid_acc"}'),
    (["--epoch", "12"], "protocol = {epoch = 12}"),
    (["--seed-mode", "mean"], 'protocol = {seed = "mean"}'),
    (["--strategies", "mo_random", "--objectives", "params,flops"],
     'strategies = ["mo_random"]\nprotocol = {objectives = ["params", "flops"]}'),
    (["--width", "one-column"], 'plots = {width = "one-column"}'),
    (["--band", "iqr"], 'plots = {band = "iqr"}'),
    (["--baseline", "evolution"], 'plots = {baseline = "evolution"}'),
    (["--param", "evolution.sample_size=3"], "[params.evolution]\nsample_size = 3"),
    (["--import", str(PLUGIN), "--strategies", "hill_climb"], f'imports = ["{PLUGIN}"]\nstrategies = ["hill_climb"]'),
]


@pytest.fixture
def forget_plugins():
    """The plug-in a case imports is forgotten afterwards (registry, module, loader caches)."""
    import sys

    from nasbench.strategies import plugins
    from nasbench.strategies.base import REGISTRY

    reg, mods = dict(REGISTRY), set(sys.modules)
    saved = (dict(plugins._LOADED), dict(plugins._FROM_FILE), dict(plugins._ENTRY_POINTS))
    yield
    REGISTRY.clear()
    REGISTRY.update(reg)
    for m in set(sys.modules) - mods:
        if m == "strategy_plugin":
            del sys.modules[m]
    for cache, old in zip((plugins._LOADED, plugins._FROM_FILE, plugins._ENTRY_POINTS), saved):
        cache.clear()
        cache.update(old)


@pytest.mark.parametrize("flags, text", KEY_BY_KEY, ids=[" ".join(f) for f, _ in KEY_BY_KEY])
def test_each_flag_means_its_config_key(flags, text, tmp_path, forget_plugins):
    if "--budget-kind" in flags and "--budget" not in flags:  # a kind alone: the file needs an amount
        assert _flags(*flags) == _file(tmp_path, "", *flags)
        return
    by_flag, by_file = _flags(*flags), _file(tmp_path, text)
    assert by_flag == by_file
    # the flag over a file that leaves the key out means the same as without the file
    assert _file(tmp_path, "", *flags) == by_flag


@pytest.mark.parametrize("text, flags", [
    ("runs = 3", ["--runs", "7"]), ("seed = 1", ["--seed", "5"]), ("jobs = 2", ["--jobs", "3"]),
    ('out = "results/y"', ["--out", "results/x"]), ('table = "nb201-fashion-mnist"', ["--table", "nb201-digits"]),
    ('strategies = ["reinforce"]', ["--strategies", "random,evolution"]), ("workers = 2", ["--workers", "4"]),
    ('budget = {kind = "seconds", amount = 9000}', ["--budget", "50", "--budget-kind", "queries"]),
    ('protocol = {metric = "valid_acc", epoch = 12}', ["--metric", "valid_acc", "--epoch", "12"]),
    ('plots = {band = "ci95"}', ["--band", "iqr"]), ('preset = "nats-bench"', ["--preset", "nas-bench-201"]),
])
def test_a_flag_wins_over_the_files_value_of_its_key(text, flags, tmp_path):
    assert _file(tmp_path, text, *flags) == _flags(*flags)


def test_no_file_and_an_empty_file_run_the_same_comparison(tmp_path):
    assert _flags() == _file(tmp_path, "") == default_config()
    cfg = _flags()
    assert (cfg.table, cfg.runs, cfg.jobs, cfg.out) == (defaults.TABLE, defaults.RUNS, os.cpu_count() or 1,
                                                        defaults.OUT)
    assert tuple(s.name for s in cfg.strategies) == defaults.STRATEGIES
    several = _flags("--table", "nb201-digits,nb201-fashion-mnist")
    assert (several.runs, several.out) == (defaults.RUNS_SEVERAL_TABLES, defaults.OUT_SEVERAL_TABLES)
    assert several.jobs == (os.cpu_count() or 1)
    assert _flags("--executor", "ray").jobs == defaults.JOBS_ALL_RAY_CPUS


def test_budget_flag_keeps_the_kind_below_it(tmp_path):
    """--budget 6000 on nb201-cifar10 is 6,000 seconds (its preset's kind), with or without a file;
    over a file's budget it keeps the file's kind; on a table without a preset, queries."""
    assert _flags("--budget", "6000").budget == Budget("seconds", 6000)
    assert _file(tmp_path, 'table = "nb201-cifar10"', "--budget", "6000").budget == Budget("seconds", 6000)
    assert _file(tmp_path, "budget = 6000").budget == Budget("seconds", 6000)
    assert _file(tmp_path, 'budget = {kind = "epochs", amount = 90}', "--budget", "60").budget == Budget("epochs", 60)
    assert _flags("--table", "nb201-digits", "--budget", "60").budget == Budget("queries", 60)
    assert _flags("--budget-kind", "queries", "--budget", "60").budget == Budget("queries", 60)
    # a protocol flag alone replaces the whole preset: the budget falls back (100 queries) as before
    assert _flags("--metric", "valid_acc").budget == Budget(defaults.FALLBACK_BUDGET_KIND,
                                                            defaults.FALLBACK_BUDGET_AMOUNT)
    assert _flags("--metric", "valid_acc").protocol == Protocol(metric="valid_acc")
    # several tables: the kind their presets share
    assert _flags("--table", "nb201-cifar10,nb201-cifar100", "--budget", "60").budget == Budget("seconds", 60)


def test_the_library_keeps_its_small_serial_defaults():
    cfg = ExperimentConfig()
    assert (cfg.runs, cfg.jobs, cfg.out) == (defaults.LIBRARY["runs"], defaults.LIBRARY["jobs"],
                                             defaults.LIBRARY["out"])
    assert (cfg.table, cfg.seed, cfg.executor, cfg.workers, cfg.preset) == (
        defaults.TABLE, defaults.SEED, defaults.EXECUTOR, defaults.WORKERS, defaults.PRESET)


def test_no_default_is_retyped_outside_the_table():
    """The literal defaults live in nasbench/defaults.py only (the CLI and the config readers)."""
    root = Path(__file__).resolve().parents[1] / "nasbench"
    for rel in ("search/config.py", "search/multitable.py", "cli/compare.py", "cli/reproduce.py"):
        text = (root / rel).read_text()
        for literal in ('"results/default"', '"results/tables"', "runs=10", "runs=100", "os.cpu_count()",
                        'Budget("queries", 100)'):
            assert literal not in text, (rel, literal)


def test_the_cli_never_sets_the_environment(monkeypatch):
    """--no-verify-hash travels as verify=False; the CLI sets no environment variable."""
    import nasbench.cli as cli

    root = Path(cli.__file__).resolve().parent
    for p in root.glob("*.py"):
        assert "os.environ[" not in p.read_text() and "putenv" not in p.read_text(), p

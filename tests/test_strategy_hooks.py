"""Strategies register themselves and declare their hooks; the runner asks the class, never its name.
Uses the SYNTHETIC table of tests/synthetic.py (invented numbers; mechanics only)."""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from nasbench.search.runner import ExperimentConfig, StrategySpec, _chunks, prepare_search, run_comparison, run_one
from nasbench.strategies import (STRATEGIES, Budget, Capabilities, Job, JobStrategy, Params, SearchContext, Strategy,
                                 StrategyError, describe, make_strategy)
from nasbench.strategies.base import REGISTRY, register_strategy


@pytest.fixture
def clean_registry():
    """Strategies a test defines leave the registry as they found it."""
    before = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(before)
    sys.modules.pop("strategy_plugin", None)


def test_a_strategy_is_one_module(tmp_path, bench, clean_registry):
    assert "hill_climb" not in STRATEGIES
    plugin = importlib.import_module("strategy_plugin")
    assert STRATEGIES["hill_climb"] is plugin.HillClimb
    assert describe("hill_climb").splitlines() == ["hill_climb: First-improvement hill climbing with random restarts.",
                                                   "  restart = 20 (int)"]
    cfg = ExperimentConfig(table="synthetic", strategies=("random", StrategySpec("hill_climb", {"restart": 5})),
                           runs=2, budget=Budget("queries", 40), out=str(tmp_path / "a"), progress=False)
    df = run_comparison(cfg, bench).frame()
    hc = df[df.strategy == "hill_climb"]
    assert len(hc) == 80 and hc.groupby("run").step.max().tolist() == [40, 40]
    # the climb finds better cells than its random starts: the incumbent rises within a run
    assert (hc.groupby("run").incumbent.nunique() > 1).all()
    again = run_comparison(ExperimentConfig(**{**cfg.__dict__, "out": str(tmp_path / "b")}), bench).frame()
    assert df.equals(again)
    with pytest.raises(Exception, match="restart must be > 0"):
        ExperimentConfig(table="synthetic", strategies=(StrategySpec("hill_climb", {"restart": 0}),))


def test_registration_rules(clean_registry):
    class Base(Strategy, register=False):
        name = "not_registered"

        def ask(self) -> int:
            return self.random_index()

        def tell(self, index, value, cost, objectives=()) -> None:
            pass

    assert "not_registered" not in REGISTRY

    class Child(Base):  # inherits a name but sets none of its own: not registered either
        pass

    assert "not_registered" not in REGISTRY and register_strategy(Base) is Base and REGISTRY["not_registered"] is Base
    with pytest.raises(StrategyError, match="strategy name 'random' is taken by nasbench.strategies.random_search"):
        class Clash(Base):
            name = "random"
    with pytest.raises(StrategyError, match="needs names 'datset', not a SearchContext field; valid: rng"):
        class Typo(Base):
            name = "typo"
            capabilities = Capabilities(needs={"datset"})
    assert "typo" not in REGISTRY and REGISTRY["random"].__module__ == "nasbench.strategies.random_search"
    with pytest.raises(StrategyError, match="needs must be a set of SearchContext field names"):
        Capabilities(needs="dataset")
    assert Capabilities(needs=["dataset"]).needs == frozenset({"dataset"})


def test_every_strategy_declares_its_hooks():
    for name, cls in STRATEGIES.items():
        caps = cls.capabilities
        assert cls.name == name and issubclass(cls.Params, Params) and isinstance(caps, Capabilities)
        assert isinstance(caps.trains_networks, bool) and isinstance(caps.multi_fidelity, bool)
        assert isinstance(caps.multi_objective, bool) and isinstance(caps.needs, frozenset)
        assert not hasattr(cls, "own_cost") and not hasattr(cls, "prices_queries"), name  # the price is the Job's
        assert not caps.multi_fidelity or issubclass(cls, JobStrategy), name
    darts = STRATEGIES["darts"].capabilities
    assert darts.trains_networks and darts.needs >= {"dataset", "recipe"}
    assert issubclass(STRATEGIES["darts"], JobStrategy) and not issubclass(STRATEGIES["random"], JobStrategy)


def test_needs_are_declared_honestly():
    """Every SearchContext field a strategy's code reads (``context.X``) beyond rng, space and
    candidates is in its declared ``needs``."""
    import dataclasses
    import inspect
    import re

    optional = {f.name for f in dataclasses.fields(SearchContext)} - {"rng", "space", "candidates"}
    for name, cls in STRATEGIES.items():
        src = "".join(inspect.getsource(c) for c in cls.__mro__ if issubclass(c, Strategy) and c is not Strategy)
        read = set(re.findall(r"context\.(\w+)", src)) & optional
        assert read <= cls.capabilities.needs, (name, sorted(read - cls.capabilities.needs))
    assert STRATEGIES["darts"].capabilities.needs == {"dataset", "recipe", "epoch_seconds"}


def test_runner_asks_the_hooks(bench, clean_registry):
    """A strategy that trains networks gets one run per task and its own cost is what the runner
    charges, whatever its name."""

    @dataclass(frozen=True)
    class P(Params):
        pass

    class Priced(JobStrategy):
        name = "priced"
        Params = P
        capabilities = Capabilities(trains_networks=True)

        def ask_job(self) -> Job:
            cell = self.random_index()
            return Job(cell, cost=7.0 + cell % 3)

        def tell(self, index, value, cost, objectives=()) -> None:
            pass

    cfg = ExperimentConfig(table="synthetic", strategies=("random", "priced"), runs=3, budget=Budget("queries", 6),
                           progress=False)
    todo = [(s, r) for s in cfg.strategies for r in range(3)]
    tasks = _chunks(todo, 1, "x")
    assert [len(runs) for s, runs, _ in tasks if s.name == "priced"] == [1, 1, 1]
    assert [len(runs) for s, runs, _ in tasks if s.name == "random"] == [2, 1]  # 6 runs in ~4 tasks
    cols = run_one(prepare_search(bench, cfg), cfg.strategies[1], 0)
    assert cols["cost"] == [7.0 + c % 3 for c in cols["cell"]]
    with pytest.raises(StrategyError, match=r"defines ask_job\(\) but derives from Strategy, .* derive it from "
                                            "JobStrategy"):
        class Unpriced(Strategy, register=False):
            def ask_job(self) -> Job:
                return Job(0, cost=1.0)

    assert not hasattr(STRATEGIES["random"](SearchContext(rng=np.random.default_rng(0))), "own_cost")


def test_undeclared_context_field_is_refused(tmp_path, bench, clean_registry):
    """The runner gives a strategy only the SearchContext fields its ``needs`` declares (besides
    rng, space and candidates): a plug-in that reads another one fails with the fix in the message,
    and declaring it makes the same strategy run."""

    class Sneaky(Strategy):
        name = "sneaky"

        def __init__(self, context, params=None) -> None:
            super().__init__(context, params)
            self._ds = context.dataset  # not declared

        def ask(self) -> int:
            return self.random_index()

        def tell(self, index, value, cost, objectives=()) -> None:
            pass

    cfg = ExperimentConfig(table="synthetic", strategies=("sneaky",), runs=1, budget=Budget("queries", 5),
                           out=str(tmp_path / "a"), progress=False)
    with pytest.raises(StrategyError, match=r"strategy .*Sneaky reads SearchContext\.dataset but does not declare "
                                            r"it: add 'dataset' to its needs"):
        run_one(prepare_search(bench, cfg), cfg.strategies[0], 0)

    class Honest(Sneaky):
        name = "honest"
        capabilities = Capabilities(needs={"dataset"})

    cols = run_one(prepare_search(bench, cfg), StrategySpec("honest"), 0)
    assert len(cols["cell"]) == 5
    ctx = make_strategy("honest", SearchContext(rng=np.random.default_rng(0), dataset="digits")).context
    assert ctx.dataset == "digits" and ctx.full and ctx.space is not None
    with pytest.raises(StrategyError, match="SearchContext.recipe"):
        ctx.recipe

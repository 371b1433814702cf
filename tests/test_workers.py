"""The training workers generate and validate share, and the helpers they used to spell out twice."""
from __future__ import annotations

from dataclasses import asdict

import pytest
import torch

import nasbench.training.workers as workers
from nasbench.training.datasets import load_data_spec, load_dataset
from nasbench.generation.config import DataSpec, GenerateConfig
from nasbench.training.train import Recipe, RecipeError, recipe_from_dict


def test_load_data_spec_reads_every_field():
    spec = DataSpec("digits", downscale=2, train_size=300, valid_size=100, test_size=100, split_seed=3, subset_seed=5)
    want = load_dataset("digits", downscale=2, train_size=300, valid_size=100, test_size=100, split_seed=3,
                        subset_seed=5)
    for got in (load_data_spec(spec), load_data_spec(asdict(spec))):
        assert got.split_sizes == want.split_sizes and torch.equal(got.train_x, want.train_x)
        assert torch.equal(got.test_y, want.test_y)
    d = load_data_spec({"dataset": "digits"})  # missing fields take load_dataset's defaults
    assert torch.equal(d.train_x, load_dataset("digits").train_x)


def test_recipe_from_dict_lives_beside_recipe():
    r = Recipe(epochs=3, C=8, N=1)
    assert recipe_from_dict({**asdict(r), "optimizer": "SGD", "loss": "CE"}) == r
    with pytest.raises(RecipeError, match="unknown recipe field.s. chanels; allowed: .*C"):
        recipe_from_dict({"chanels": 16})
    from nasbench.generation.config import recipe_from_dict as from_generate

    assert from_generate(asdict(r)) == r


@pytest.mark.parametrize("who", ["generate", "validate"])
def test_both_go_through_one_runner(monkeypatch, who):
    """Never more workers than tasks, nothing started for no task: one rule for both callers."""
    asked = []
    monkeypatch.setattr(workers, "pool_map", lambda fn, tasks, jobs, *a: asked.append((fn.__module__, jobs)) or iter(()))
    if who == "generate":
        import nasbench.generation.train_units as units

        cfg = GenerateConfig(DataSpec("digits"), {"epochs": 1}, seeds=(1,), jobs=8)
        run = lambda todo: units.trained_units(cfg, todo)  # noqa: E731
    else:
        from nasbench.validation.train import _results, _Unit

        run = lambda todo: _results(todo, (), 8, "local", None, False)  # noqa: E731
        mk = _Unit
    todo = [(0, (1,)), (1, (1,)), (2, (1,))] if who == "generate" else [mk(c, (1,), "k", "c", "r") for c in range(3)]
    module = {"generate": "nasbench.generation.train_units", "validate": "nasbench.validation.train"}[who]
    assert list(run(todo)) == [] and asked == [(module, 3)]
    assert list(run([])) == [] and len(asked) == 1


def test_one_job_trains_here_and_clears_the_state():
    seen = []

    def fn(task):
        seen.append((task, workers.WORKER["recipe"].epochs, workers.WORKER["data"].num_classes))
        return task * 2

    init = ({"dataset": "digits", "train_size": 200, "valid_size": 50, "test_size": 50}, asdict(Recipe(epochs=2, C=4, N=1)),
            None, "cpu", 1)
    assert list(workers.run_tasks(fn, [1, 2], 1, init)) == [2, 4]
    assert seen == [(1, 2, 10), (2, 2, 10)] and workers.WORKER == {}
    workers.run_tasks(fn, [3], 1, init)  # a generator: nothing is set up before it is iterated
    assert workers.WORKER == {}

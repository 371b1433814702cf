"""Trainer: recipe validation, determinism, stacked == single, augmentation."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nasbench.training.datasets import load_dataset
from nasbench.space import Cell
from nasbench.training.train import METRICS, Recipe, RecipeError, random_crop_flip, record_to_dict, train_cell, train_many

TINY = Recipe(epochs=2, batch_size=128, C=4, N=1)


@pytest.fixture(scope="module")
def digits():
    torch.set_num_threads(1)
    return load_dataset("digits", train_size=300, valid_size=100, test_size=100)


@pytest.mark.parametrize("bad", [{"epochs": 0}, {"epochs": -3}, {"batch_size": 0}, {"lr": 0.0}, {"schedule": "step"}])
def test_bad_recipe(bad):
    with pytest.raises(RecipeError):
        Recipe(**bad)


def test_recipe_is_json():
    d = Recipe().to_dict()
    assert json.loads(json.dumps(d))["augment"] is False and d["nesterov"] and d["lr"] == 0.1


def test_cosine_reaches_zero():
    r = Recipe()
    assert r.lr_at(0, 100) == 0.1 and r.lr_at(100, 100) == pytest.approx(0.0, abs=1e-12)


def test_bit_identical_runs(digits):
    cell = Cell.from_index(11)
    torch.manual_seed(1)
    a = train_cell(cell, digits, TINY, seed=777)
    torch.manual_seed(2)  # the global RNG does not matter
    b = train_cell(cell, digits, TINY, seed=777)
    for m in METRICS:
        assert getattr(a, m).shape == (2,)
        if m != "train_time":
            assert np.array_equal(getattr(a, m), getattr(b, m)), m
    assert np.all(np.diff(a.train_time) > 0) and 0 <= a.valid_acc[-1] <= 100
    c = train_cell(cell, digits, TINY, seed=888)
    assert not np.array_equal(a.train_loss, c.train_loss)
    json.dumps(record_to_dict(a))


def test_stacked_matches_single_first_epoch(digits):
    """The stack follows each model's own trajectory; grouped convs may round differently, so
    compare after one short epoch where the trajectories have not yet diverged."""
    r = Recipe(epochs=1, batch_size=300, C=4, N=1)
    cells = [Cell.from_index(11), Cell.from_index(11), Cell.from_index(0)]
    seeds = [777, 888, 999]
    stacked = train_many(cells, seeds, digits, r)
    for rec, cell, seed in zip(stacked, cells, seeds):
        single = train_cell(cell, digits, r, seed)
        np.testing.assert_allclose(rec.train_loss, single.train_loss, rtol=1e-5)
        np.testing.assert_allclose(rec.valid_loss, single.valid_loss, rtol=1e-3)


def test_mismatched_seeds(digits):
    with pytest.raises(RecipeError):
        train_many([Cell.from_index(0)] * 2, [1], digits, TINY)


def test_random_crop_flip_is_seeded_and_shape_preserving():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).view(2, 1, 5, 5)
    a = random_crop_flip(x, 2, torch.Generator().manual_seed(0))
    b = random_crop_flip(x, 2, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b)
    assert torch.equal(random_crop_flip(x, 0, torch.Generator().manual_seed(0), flip=False), x)


def test_augmented_training_runs(digits):
    rec = train_cell(Cell.from_index(3), digits, Recipe(epochs=1, batch_size=128, C=4, N=1, augment=True,
                                                        crop_padding=1), seed=1)
    assert np.isfinite(rec.train_loss).all()


def test_cpu_channels_last_is_deterministic_and_recorded(digits):
    fast = Recipe(epochs=2, batch_size=128, C=4, N=1, cpu_channels_last=True)
    assert fast.to_dict()["cpu_channels_last"] is True and TINY.to_dict()["cpu_channels_last"] is False
    a = train_cell(Cell.from_index(11), digits, fast, seed=777)
    b = train_cell(Cell.from_index(11), digits, fast, seed=777)
    for m in METRICS:
        if m != "train_time":
            assert np.array_equal(getattr(a, m), getattr(b, m)), m
    assert 0 <= a.valid_acc[-1] <= 100

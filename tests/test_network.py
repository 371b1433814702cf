"""Network: skeleton, counts against published NAS-Bench-201 numbers, pruning/role-seeded init."""
from __future__ import annotations

import collections

import numpy as np
import pytest
import torch

from nasbench.training.counts import count_all, count_flops, count_params
from nasbench.training.network import NB201Network, build_network, count_module_flops, count_module_params
from nasbench.space import Cell, all_cells, class_table, functional_key


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_flops_of_published_cells():
    for index, flops in ((0, 15.64737), (11, 113.95137), (284, 11.71521)):
        assert count_flops(Cell.from_index(index), 16, 5, 10, 3, input_size=32) == pytest.approx(flops, abs=1e-9)
    assert count_params(Cell.from_index(11)) == 802_426


@pytest.mark.parametrize("index", [0, 11, 284, 5, 15624])
@pytest.mark.parametrize("size", [(16, 5, 10, 3, 32), (8, 1, 10, 1, 7)])
def test_analytic_counts_match_module(index, size):
    C, N, L, cin, hw = size
    cell = Cell.from_index(index)
    net = NB201Network(cell, C, N, L, cin, prune=False)
    assert count_module_params(net) == count_params(cell, C, N, L, cin)
    assert count_module_flops(net, hw) == pytest.approx(count_flops(cell, C, N, L, cin, hw), rel=1e-12)
    assert net(torch.zeros(2, cin, hw, hw)).shape == (2, L)


def test_params_of_all_cells_match_published(nb201_table):
    """Against the published params of all 15,625 cells (the embedded nb201-cifar10 table): equal except
    in the 150 cells whose published record is a class sibling's (tests/test_embedded.py has the rest)."""
    pub = nb201_table.params[nb201_table.arch_row]
    params, _ = count_all(16, 5, 10, 3)
    ours = np.round(params / 1e6, 6)
    mismatch = set(np.nonzero(np.abs(ours - pub) > 1e-9)[0].tolist())
    assert len(mismatch) == 150
    assert mismatch == {int(k) for k in nb201_table.meta.extra["params_computed"]}
    sibling = {}
    cls, _ = class_table("nb201")
    for i in range(15625):
        sibling.setdefault(int(cls[i]), set()).add(float(ours[i]))
    assert all(float(pub[i]) in sibling[int(cls[i])] for i in mismatch)  # each is the count of a class member


def _classes_with_one_key(n: int) -> list[list[int]]:
    cls, _ = class_table("nb201")
    members: dict[int, list[int]] = collections.defaultdict(list)
    for c in all_cells():
        members[int(cls[c.index])].append(c.index)
    out = []
    for idx in members.values():
        if len(idx) > 2 and len({functional_key(Cell.from_index(i)) for i in idx}) == 1:
            out.append(idx[:3])
        if len(out) == n:
            break
    return out


def test_pruned_members_of_a_class_are_identical():
    x = torch.randn(4, 1, 8, 8)
    for idx in _classes_with_one_key(4):
        nets = []
        for i in idx:
            torch.manual_seed(123)
            nets.append(build_network(Cell.from_index(i), C=4, N=1, in_channels=1, prune=True))
        n0 = sum(v.numel() for v in nets[0].state_dict().values())
        assert all(sum(v.numel() for v in n.state_dict().values()) == n0 for n in nets)
        outs = [n(x) for n in nets]  # train mode (batch statistics), then eval (running statistics)
        evals = [n.eval()(x) for n in nets]
        for o, e in zip(outs[1:], evals[1:]):
            assert torch.equal(o, outs[0]) and torch.equal(e, evals[0])


def test_nb201_classes_that_are_not_one_function():
    # |avg_pool~0|+|conv1x1~0|skip~1|+|conv1x1~0|skip~1|skip~2| has two 1x1 convs; its class sibling
    # |conv1x1~0|+|avg_pool~0|skip~1|+|avg_pool~0|skip~1|skip~2| uses one 1x1 conv twice
    a = Cell.from_str("|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|")
    b = Cell.from_str("|nor_conv_1x1~0|+|avg_pool_3x3~0|skip_connect~1|+|avg_pool_3x3~0|skip_connect~1|skip_connect~2|")
    cls, _ = class_table("nb201")
    assert cls[a.index] == cls[b.index]
    assert functional_key(a) != functional_key(b)
    assert count_module_params(build_network(a, 4, 1, 10, 1)) != count_module_params(build_network(b, 4, 1, 10, 1))


def test_stack_equals_single_models():
    cells = [Cell.from_index(i) for i in (0, 11, 284)]
    x = torch.randn(4, 1, 7, 7)
    stacked = NB201Network(cells, 4, 1, 10, 1, prune=True, seeds=[1, 2, 3])
    out = stacked(x.repeat(1, 3, 1, 1))
    assert out.shape == (4, 3, 10)
    for k, c in enumerate(cells):
        single = NB201Network(c, 4, 1, 10, 1, prune=True, seeds=k + 1)
        torch.testing.assert_close(out[:, k], single(x), rtol=1e-5, atol=1e-5)


def test_dead_cell_outputs_zeros():
    net = build_network(Cell((0, 0, 0, 0, 0, 0)), C=4, N=1, in_channels=1)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 10)

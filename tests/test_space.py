import csv

import numpy as np
import pytest

from nasbench.space import (
    CANONICAL_RULES, N_CELLS, NB201, OPS, Cell, SpaceError, canonical_key, class_table, effective_edges,
    encode_ops, format_arch_str, mutate, neighbour_table, neighbours, ops_table, parse_arch_str, to_cell,
    to_indices,
)
from conftest import NB201_CSV, need


def test_official_order_matches_every_published_row():
    with open(need(NB201_CSV)) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == N_CELLS
    for r in rows:
        idx = int(r["arch_index"])
        assert Cell.from_index(idx).to_str() == r["arch_str"]
        assert Cell.from_str(r["arch_str"]).index == idx


def test_all_strings_round_trip():
    table = ops_table()
    assert table.shape == (N_CELLS, 6)
    assert len({tuple(r) for r in table}) == N_CELLS
    for i, row in enumerate(table):
        s = format_arch_str(row)
        assert parse_arch_str(s) == tuple(int(o) for o in row)
        assert to_cell(s).index == i


def test_known_indices():
    # NAS-Bench-201's own checks in generate_meta_info
    assert Cell.from_index(0).to_str() == "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    assert Cell.from_index(9).to_str() == "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    assert Cell.from_index(123).to_str() == "|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"


def test_class_counts():
    assert len(class_table("nb201")[1]) == 6466
    assert len(class_table("fine")[1]) == 5390
    assert len(class_table("functional")[1]) == 5260


def test_class_table_consistency():
    cls, rep = class_table("nb201")
    assert (cls[rep] == np.arange(len(rep))).all()  # each representative is in its own class
    assert (rep == np.sort(rep)).all()  # classes numbered by lowest index
    # canonical keys agree within a class
    for k in (0, 1, 17, 500):
        members = np.nonzero(cls == k)[0][:5]
        keys = {canonical_key(int(m)) for m in members}
        assert len(keys) == 1


def test_canonical_rules_known_cases():
    # all-none output: every such cell is one class
    a = Cell.from_names(["nor_conv_3x3"] * 3 + ["none"] * 3)
    b = Cell.from_names(["avg_pool_3x3", "skip_connect", "none", "none", "none", "none"])
    assert canonical_key(a) == canonical_key(b) == "#+#+#"
    # fine rule merges a direct sum with the same sum through a skip, nb201 keeps them apart
    x = Cell.from_names(["nor_conv_3x3", "none", "none", "nor_conv_3x3", "skip_connect", "none"])
    y = Cell.from_names(["nor_conv_3x3", "none", "skip_connect", "none", "skip_connect", "skip_connect"])
    assert canonical_key(x, "fine") == canonical_key(y, "fine")
    assert canonical_key(x, "nb201") != canonical_key(y, "nb201")
    with pytest.raises(SpaceError, match="allowed: nb201, fine"):
        canonical_key(x, "bogus")
    assert CANONICAL_RULES == ("nb201", "fine", "functional")
    # the functional rule keeps x (two independent convs) and y (one conv reaching node 3 twice) apart
    assert canonical_key(x, "functional") != canonical_key(y, "functional")


def test_effective_edges():
    # node 1 fed only by 'none' is zero: its outgoing edges are dead
    c = Cell.from_names(["none", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "avg_pool_3x3", "nor_conv_1x1"])
    assert effective_edges(c) == (False, True, False, True, False, True)
    # node 2 does not reach the output
    c = Cell.from_names(["nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "skip_connect", "none"])
    assert effective_edges(c) == (True, False, False, True, True, False)


@pytest.mark.parametrize("bad, msg", [
    ("|nor_conv_3x3~0|,|nor_conv_3x3~0|nor_conv_3x3~1|,|none~0|none~1|none~2|", "separated by '\\+'"),
    ("|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|", "unknown op 'conv'"),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|none~0|none~1|none~2|", "node 2 must have 2"),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~2|+|none~0|none~1|none~2|", "must come from node 1"),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2", "must start and end"),
    ("|nor_conv_3x3|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|", "op~source"),
    ("", "3 node groups"),
])
def test_malformed_strings(bad, msg):
    with pytest.raises(SpaceError, match=msg):
        to_cell(bad)


@pytest.mark.parametrize("bad", [-1, N_CELLS, 10**9])
def test_index_out_of_range(bad):
    with pytest.raises(SpaceError, match="out of range; allowed: 0..15624"):
        to_cell(bad)
    with pytest.raises(SpaceError, match="out of range"):
        to_indices(np.array([0, bad]))


def test_other_cell_forms():
    c = Cell.from_index(42)
    assert to_cell(c.op_names) == c
    assert to_cell(list(c.ops)) == c
    assert to_cell(str(c.index)) == c
    with pytest.raises(SpaceError, match="6 edges"):
        to_cell((1, 2, 3))
    with pytest.raises(SpaceError, match="op id 7"):
        Cell((0, 0, 0, 0, 0, 7))
    with pytest.raises(SpaceError, match="cannot read"):
        to_cell(3.5)


def test_mutation_and_neighbours():
    rng = np.random.default_rng(0)
    c = Cell.from_index(100)
    for _ in range(50):
        m = mutate(c, rng)
        assert sum(a != b for a, b in zip(m.ops, c.ops)) == 1
    nb = neighbours(c)
    assert len(nb) == 24 and len(set(nb)) == 24 and c not in nb
    assert sorted(x.index for x in nb) == sorted(neighbour_table()[100].tolist())
    # symmetry: j is a neighbour of i iff i is a neighbour of j
    t = neighbour_table()
    assert all(100 in t[j] for j in t[100])


def test_sampling_uniform_and_seeded():
    a = NB201.sample_indices(np.random.default_rng(1), 1000)
    b = NB201.sample_indices(np.random.default_rng(1), 1000)
    assert (a == b).all() and a.min() >= 0 and a.max() < N_CELLS
    ops = ops_table()[NB201.sample_indices(np.random.default_rng(2), 50000)]
    freq = np.bincount(ops.ravel(), minlength=len(OPS)) / ops.size
    assert np.allclose(freq, 0.2, atol=0.01)


def test_encodings():
    idx = np.array([0, 1, 2])
    oh = NB201.encode(idx, "onehot")
    assert oh.shape == (3, 30) and (oh.sum(axis=1) == 6).all()
    adj = NB201.encode(idx, "adjacency")
    assert adj.shape == (3, 58)
    path = NB201.encode(idx, "path")
    assert path.shape == (3, 84)
    # cell with only none edges has no path; all-conv3x3 has exactly the 4 paths
    assert encode_ops(np.zeros(6, dtype=int), "path").sum() == 0
    assert encode_ops(np.full(6, 3), "path").sum() == 3  # 0->1->3 and 0->2->3 share one feature
    # a cell whose 0->3 edge is none but a 2-hop path exists
    assert encode_ops(np.array([2, 0, 0, 0, 3, 0]), "path").sum() == 1
    with pytest.raises(SpaceError, match="allowed: onehot"):
        NB201.encode(idx, "bogus")

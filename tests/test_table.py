import re
import warnings

import h5py
import numpy as np
import pytest

import nasbench
from nasbench.tables.benchmark import QueryError, TableMeta
from nasbench.tables.tabular import TabularBenchmark
from nasbench.space import Cell, SpaceError
from nasbench.tables.hdf5 import HashMismatchWarning, TableError, read_table, verify_table, write_table


def small_table() -> TabularBenchmark:
    """A synthetic 3-cell table for mechanics only (not a benchmark)."""
    rng = np.random.default_rng(0)
    cells = np.array([5, 50, 500])
    arch_row = np.full(15625, -1)
    arch_row[cells] = [0, 1, 2]
    m = {k: rng.random((3, 3, 4)) * 100 for k in ("valid_acc", "test_acc", "train_loss")}
    m["time"] = np.cumsum(np.ones((3, 3, 4)), axis=2)
    m["valid_acc"][1, 2, :] = np.nan  # a missing run
    meta = TableMeta(space="nb201", dataset="toy", split_sizes={"train": 10, "valid": 5, "test": 5},
                     recipe={"epochs": 4}, code_version="test")
    return TabularBenchmark(meta, arch_row, cells, np.array([1, 2, 3]), np.arange(1, 5), m,
                            params=np.array([0.1, 0.2, 0.3]), flops=np.array([1.0, 2.0, 3.0]),
                            latency={"cpu": np.array([1.0, 1.5, 2.0])})


def test_round_trip(tmp_path):
    t = small_table()
    p = tmp_path / "t.h5"
    digest = write_table(p, t)
    r = read_table(p)
    assert r.sha256 == digest and verify_table(p).ok
    for k in t.metrics:
        np.testing.assert_array_equal(r.metrics[k], t.metrics[k])
    assert r.meta == t.meta
    assert r.query(50, "valid_acc", 2, 1) == t.metrics["valid_acc"][1, 0, 1]
    # readable with h5py alone
    with h5py.File(p) as f:
        assert f.attrs["format_version"] == 1
        assert f["arch_row"][50] == 1
        assert f["metrics/valid_acc"].shape == (3, 3, 4)
    assert not list(tmp_path.glob("*.tmp"))


def test_query_semantics():
    t = small_table()
    a = t.metrics["valid_acc"]
    assert t.query(5) == pytest.approx(a[0, :, -1].mean())
    assert t.query(50) == pytest.approx(np.nanmean(a[1, :, -1]))  # missing run ignored, not invented
    assert t.query(Cell.from_index(5), epoch=1, seed=2) == a[0, 1, 0]
    assert t.query(Cell.from_index(5).to_str(), epoch=1, seed=2) == a[0, 1, 0]
    assert t.query(Cell.from_index(5).op_names, epoch=1, seed=2) == a[0, 1, 0]
    assert np.isnan(t.query(50, seed=3))
    # random seed draws only recorded runs, reproducibly
    draws = [t.query(50, seed="random", rng=np.random.default_rng(s)) for s in range(60)]
    assert set(np.round(draws, 9)) == set(np.round(a[1, :2, -1], 9))
    d1 = t.query_many(np.array([5, 50, 500] * 10), seed="random", rng=np.random.default_rng(3))
    d2 = t.query_many(np.array([5, 50, 500] * 10), seed="random", rng=np.random.default_rng(3))
    np.testing.assert_array_equal(d1, d2)
    assert not np.isnan(d1).any()
    np.testing.assert_allclose(t.query_many([5, 500], "test_acc", 3), [t.query(5, "test_acc", 3), t.query(500, "test_acc", 3)])
    assert t.cost(5, 2) == 2.0 and t.cost_many(np.array([5, 50])).tolist() == [4.0, 4.0]
    assert t.best("test_acc").index in (5, 50, 500)
    df = t.to_frame()
    assert list(df.index) == [5, 50, 500] and "params" in df and "latency_cpu" in df


def test_per_row_seed_statistics():
    """seed_mean / seed_std: per result row, over recorded runs only; sd needs 2 runs."""
    t = small_table()
    a = t.metrics["valid_acc"]
    np.testing.assert_allclose(t.seed_mean(), np.nanmean(a[:, :, -1], axis=1))
    np.testing.assert_allclose(t.seed_mean(epoch=2), np.nanmean(a[:, :, 1], axis=1))
    np.testing.assert_allclose(t.seed_std(), np.nanstd(a[:, :, -1], axis=1, ddof=1))
    t.seed_mean()[:] = -1  # a copy: the table's own means are untouched
    assert t.query(5) == pytest.approx(a[0, :, -1].mean())
    a[2, 1:, -1] = np.nan  # one run left: a mean, no sd
    one = TabularBenchmark(t.meta, t.arch_row, t.row_arch, t.seeds, t.epochs, t.metrics)
    assert one.seed_mean()[2] == a[2, 0, -1] and np.isnan(one.seed_std()[2])


@pytest.mark.parametrize("kwargs, msg", [
    ({"metric": "acc"}, "unknown metric 'acc'; this table has: valid_acc, test_acc"),
    ({"epoch": 9}, "epoch 9 not recorded; this table has epochs 1..4"),
    ({"seed": 7}, r"seed 7 not in this table; allowed: 'mean', 'random', or one of \[1, 2, 3\]"),
    ({"seed": "median"}, "not allowed"),
    ({"seed": "random"}, "needs rng"),
])
def test_query_errors(kwargs, msg):
    with pytest.raises(QueryError, match=msg):
        small_table().query(5, **kwargs)


def test_uncovered_and_invalid_cells():
    t = small_table()
    with pytest.raises(QueryError, match="not covered"):
        t.query(6)
    with pytest.raises(QueryError, match="not covered"):
        t.query_many(np.array([5, 6]))
    with pytest.raises(SpaceError, match="out of range"):
        t.query(-3)
    with pytest.raises(SpaceError, match="unknown op"):
        t.query("|foo~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_bad_files(tmp_path):
    with pytest.raises(TableError, match="no such file"):
        read_table(tmp_path / "missing.h5")
    txt = tmp_path / "x.h5"
    txt.write_text("hello")
    with pytest.raises(TableError, match="not an HDF5 file"):
        read_table(txt)
    good = tmp_path / "good.h5"
    write_table(good, small_table())
    trunc = tmp_path / "trunc.h5"
    trunc.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(TableError, match="truncated or corrupt"):
        read_table(trunc)
    other = tmp_path / "v2.h5"
    other.write_bytes(good.read_bytes())
    with h5py.File(other, "r+") as f:
        f.attrs["format_version"] = 2
    with pytest.raises(TableError, match="format version 2; this nasbench .* reads version 1"):
        read_table(other)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2]
    with pytest.raises(TableError, match="not a nasbench table"):
        nasbench.load(foreign)
    with pytest.raises(TableError, match="no table named"):
        nasbench.load("no-such-table")


def test_verify_detects_single_flip(tmp_path):
    p = tmp_path / "t.h5"
    write_table(p, small_table())
    assert verify_table(p).ok
    with h5py.File(p, "r+") as f:
        d = f["metrics/test_acc"]
        v = d[2, 1, 3]
        d[2, 1, 3] = np.nextafter(v, np.inf)  # the smallest possible change
    assert not verify_table(p).ok
    q = tmp_path / "u.h5"
    write_table(q, small_table())
    with h5py.File(q, "r+") as f:
        f.attrs["dataset"] = "other"
    assert not verify_table(q).ok


def _tamper(path, name, value, rehash=False):
    """Replace one array of a table file (its shape may change). ``rehash``: store the hash of the
    new content, as a buggy writer would; otherwise the stored hash goes stale, as after tampering."""
    from nasbench.tables.hdf5 import _read_contents, compute_sha256

    with h5py.File(path, "r+") as f:
        del f[name]
        f.create_dataset(name, data=value)
    if rehash:
        c = _read_contents(path)
        with h5py.File(path, "r+") as f:
            f.attrs["sha256"] = compute_sha256(c.arrays, c.attrs, c.mean_only)


def test_load_refuses_a_modified_table(tmp_path, monkeypatch):
    p = tmp_path / "t.h5"
    stored = write_table(p, small_table())
    with h5py.File(p, "r+") as f:
        d = f["metrics/valid_acc"]
        d[0, 0, 3] = np.nextafter(d[0, 0, 3], np.inf)  # one flipped bit of one value
    computed = verify_table(p).computed
    msg = (rf"{re.escape(str(p))}: SHA-256 mismatch \(stored {stored[:12]}\.\.\., computed {computed[:12]}\.\.\.\): the table was "
           rf"altered or is corrupt; `nasbench verify` reports it; to load it anyway \(forensic use\) pass "
           rf"verify=False, --no-verify-hash or set NASBENCH_NO_VERIFY_HASH=1")
    for load in (read_table, nasbench.load):
        with pytest.raises(TableError, match=msg):
            load(p)
    with pytest.warns(HashMismatchWarning, match="loaded anyway"):
        t = nasbench.load(p, verify=False)
    assert t.sha256 == computed and t.stored_sha256 == stored  # what is served, and what the file claims
    assert t.query(5, "valid_acc", 4, 1) == np.nextafter(small_table().metrics["valid_acc"][0, 0, 3], np.inf)
    monkeypatch.setenv("NASBENCH_NO_VERIFY_HASH", "1")
    with pytest.warns(HashMismatchWarning):
        assert read_table(p).sha256 == computed
    with pytest.raises(TableError, match="SHA-256 mismatch"):  # an explicit verify=True wins
        read_table(p, verify=True)
    monkeypatch.setenv("NASBENCH_NO_VERIFY_HASH", "0")
    with pytest.raises(TableError, match="SHA-256 mismatch"):
        read_table(p)
    q = tmp_path / "u.h5"  # metadata is covered too
    write_table(q, small_table())
    with h5py.File(q, "r+") as f:
        f.attrs["dataset"] = "other"
    with pytest.raises(TableError, match="SHA-256 mismatch"):
        read_table(q)
    with h5py.File(q, "r+") as f:  # a table without a stored hash is not trusted either
        del f.attrs["sha256"]
    with pytest.raises(TableError, match=r"stored \(none\)"):
        read_table(q)


@pytest.mark.parametrize("name, value, msg", [
    ("arch_row", np.where(np.arange(15625) == 50, 7, small_table().arch_row).astype(np.int32),
     r"arch_row\[50\] = 7 points outside the 3 rows \(allowed: -1 or 0\.\.2\)"),
    ("arch_row", np.where(np.arange(15625) == 9, -5, small_table().arch_row).astype(np.int32),
     r"arch_row\[9\] = -5 points outside"),
    ("arch_row", np.full(100, -1, dtype=np.int32), "arch_row must have 15625 entries"),
    ("arch_row", small_table().arch_row.astype(np.float64), "arch_row must hold integers, it holds float64"),
    ("row_arch", np.array([5, 500, 50], dtype=np.int32), r"row 1 holds cell 500 \(row_arch\), but arch_row\[500\] = 2"),
    ("row_arch", np.array([5, 50, 99999], dtype=np.int32), r"row_arch\[2\] = 99999 is not a cell index"),
    ("seeds", np.array([1, 2], dtype=np.int64), r"metric '\w+' has shape \(3, 3, 4\), expected \(3, 2, 4\)"),
    ("seeds", np.array([1, 1, 3], dtype=np.int64), r"seeds repeat: \[1, 1, 3\]"),
    ("epochs", np.arange(1, 4, dtype=np.int32), r"metric '\w+' has shape \(3, 3, 4\), expected \(3, 3, 3\)"),
    ("epochs", np.array([1, 3, 2, 4], dtype=np.int32), r"epochs must increase from 1 or more, got \[1, 3, 2, 4\]"),
    ("run_seed", np.ones((2, 3), dtype=np.int64), r"run_seed has shape \(2, 3\), expected \(3, 3\)"),
    ("params", np.ones(4), r"params has shape \(4,\), expected \(3,\) \(one per row\)"),
    ("latency/cpu", np.ones(2), r"latency/cpu has shape \(2,\)"),
])
@pytest.mark.parametrize("rehash", [True, False], ids=["consistent-hash", "hash-opted-out"])
def test_inconsistent_arrays_are_a_table_error_at_load(tmp_path, name, value, msg, rehash):
    """A bad layout is one TableError at load, whether a buggy writer stored a matching hash or
    the file was altered and loaded with the hash check off; never an IndexError later."""
    p = tmp_path / "t.h5"
    write_table(p, small_table())
    _tamper(p, name, value, rehash=rehash)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HashMismatchWarning)
        with pytest.raises(TableError, match=f"{re.escape(str(p))} is inconsistent: {msg}") as exc:
            nasbench.load(p, verify=rehash)
    assert "\n" not in str(exc.value)


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "t.h5"
    write_table(p, small_table())
    before = p.read_bytes()
    real = h5py.Group.create_dataset
    calls = []

    def failing(self, name, *a, **k):  # fail half-way through writing the arrays
        calls.append(name)
        if len(calls) > 3:
            raise OSError("disk full")
        return real(self, name, *a, **k)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing)
    with pytest.raises(OSError, match="disk full"):
        write_table(p, small_table())
    assert p.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_nb201_h5_load_and_query(nb201_h5):
    bench = nasbench.load(nb201_h5)
    assert bench.query(6111, "test_acc") == pytest.approx(94.37333, abs=1e-4)
    assert verify_table(nb201_h5).ok
    v = bench.query_many(np.arange(15625), "valid_acc", seed="random", rng=np.random.default_rng(0))
    assert not np.isnan(v).any()  # random draws only recorded runs, also for two-seed cells

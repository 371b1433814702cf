import bz2
import os
import pickle

import numpy as np
import pytest

from nasbench.importers import ImportError_, import_any, import_csv, import_nats_simple, import_nb201_pth
from nasbench.safe_pickle import NATS_ALLOWED, loads
from conftest import NATS_SAMPLE, need


def _nats_record(idx: int):
    raw = bz2.decompress((need(NATS_SAMPLE) / f"{idx:06d}.pickle.pbz2").read_bytes())
    return loads(raw, NATS_ALLOWED, "test")


def test_nats_sample_exact_values():
    bench = import_nats_simple(need(NATS_SAMPLE))
    assert sorted(bench.covered.tolist()) == [0, 11, 284]
    v = bench.query(11, "valid_acc", epoch=200, seed=777)
    assert v == pytest.approx(87.748, abs=1e-6)
    rec = _nats_record(11)["200"]["all_results"][("cifar10-valid", 777)]
    assert v == rec["eval_acc1es"]["x-valid@199"]
    assert bench.query(11, "test_acc", 200, 888) == rec_test(11, 888)
    assert bench.query(11, "train_loss", 1, 999) == _nats_record(11)["200"]["all_results"][("cifar10-valid", 999)]["train_losses"][0]
    assert bench.params_of(11) == pytest.approx(0.802426)
    assert bench.flops.tolist() == pytest.approx([15.64737, 113.95137, 11.71521])
    # cumulative time: epochs sum up
    t = [bench.query(11, "time", e, 777) for e in (1, 2, 200)]
    assert t[0] < t[1] < t[2]
    # the test set is evaluated only at the last epoch for cifar10-valid: earlier epochs are NaN
    assert np.isnan(bench.query(11, "test_acc", 100, 777))


def rec_test(idx, seed):
    return _nats_record(idx)["200"]["all_results"][("cifar10-valid", seed)]["eval_acc1es"]["ori-test@199"]


def test_nats_other_dataset_and_schedule():
    bench = import_nats_simple(need(NATS_SAMPLE), dataset="cifar100", schedule="12")
    assert bench.epochs.tolist() == list(range(1, 13))
    rec = _nats_record(284)["12"]["all_results"]
    seed = [s for (d, s) in rec if d == "cifar100"][0]
    expect = rec[("cifar100", seed)]["eval_acc1es"]["x-test@11"]
    assert bench.query(284, "test_acc", 12, seed) == expect


def test_nats_partial_and_bad_dirs(tmp_path):
    (tmp_path / "000011.pickle.pbz2").write_bytes((need(NATS_SAMPLE) / "000011.pickle.pbz2").read_bytes())
    bench = import_nats_simple(tmp_path)
    assert bench.covered.tolist() == [11]
    with pytest.raises(ImportError_, match="not a directory"):
        import_nats_simple(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImportError_, match="no NNNNNN.pickle.pbz2"):
        import_nats_simple(empty)
    with pytest.raises(ImportError_, match="unknown dataset 'cifar11'; allowed"):
        import_nats_simple(tmp_path, dataset="cifar11")


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/nasbench_pwned_marker",))


def test_crafted_pickle_is_refused(tmp_path):
    marker = "/tmp/nasbench_pwned_marker"
    if os.path.exists(marker):
        os.remove(marker)
    d = tmp_path / "evil"
    d.mkdir()
    (d / "000001.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps({"200": _Evil()})))
    with pytest.raises(ImportError_, match=r"asks to load posix\.system.*refused"):
        import_nats_simple(d)
    assert not os.path.exists(marker)


def _pth_object():
    """The NAS-Bench-201 .pth structure, filled with the real NATS records of the sample."""
    from collections import OrderedDict
    from nasbench.space import Cell

    infos = OrderedDict()
    for idx in (0, 11, 284):
        rec = _nats_record(idx)
        infos[idx] = {"less": rec["12"], "full": rec["200"]}
    return {"meta_archs": [Cell.from_index(i).to_str() for i in range(15625)], "arch2infos": infos,
            "evaluated_indexes": set(infos)}


@pytest.mark.parametrize("zip_format", [True, False])
def test_nb201_pth(tmp_path, zip_format):
    torch = pytest.importorskip("torch")
    path = tmp_path / "NAS-Bench-201-test.pth"
    torch.save(_pth_object(), path, _use_new_zipfile_serialization=zip_format)
    bench = import_nb201_pth(path)
    assert sorted(bench.covered.tolist()) == [0, 11, 284]
    assert bench.query(11, "valid_acc", 200, 777) == pytest.approx(87.748, abs=1e-6)
    less = import_nb201_pth(path, schedule="12")
    assert less.epochs[-1] == 12
    assert less.query(11, "valid_acc", 12, 777) == _nats_record(11)["12"]["all_results"][("cifar10-valid", 777)]["eval_acc1es"]["x-valid@11"]


def test_nb201_pth_refuses_forbidden_class(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "evil.pth"
    torch.save({"meta_archs": [], "arch2infos": {1: _Evil()}}, path)
    with pytest.raises(ImportError_, match="refused"):
        import_nb201_pth(path)
    (tmp_path / "junk.pth").write_bytes(b"not a torch file at all")
    with pytest.raises(ImportError_, match="not a"):
        import_nb201_pth(tmp_path / "junk.pth")


def test_nb201_csv_best_cell(nb201_table):
    best = nb201_table.best("test_acc")
    assert best.index == 6111 and best.value == pytest.approx(94.373, abs=1e-3)
    assert nb201_table.best("valid_acc").value == pytest.approx(91.607, abs=1e-3)
    assert len(nb201_table.covered) == 15625
    # 3-seed cells carry their seeds, 2-seed cells do not
    assert nb201_table.query(1, "valid_acc", seed=888) == pytest.approx(90.716)
    n_runs = (~np.isnan(nb201_table.metrics["valid_acc"][:, :, 0])).sum(axis=1)
    assert (n_runs == 3).sum() == 8169 and (n_runs == 2).sum() == 7456
    assert nb201_table.params_of(0) == pytest.approx(0.129306)
    assert set(nb201_table.latency) >= {"1080ti_1", "pixel3", "fpga"}
    assert {"valid_acc_s12", "test_acc_s12", "time", "valid_test_acc"} <= set(nb201_table.metric_names)


def test_tidy_csv(tmp_path):
    rows = ["arch_index,seed,epoch,valid_acc,test_acc,time,params"]
    for idx in (3, 7):
        for seed in (1, 2):
            for ep in (1, 2):
                rows.append(f"{idx},{seed},{ep},{idx + seed + ep},{idx * 2 + ep},{ep * 1.5},{idx / 10}")
    p = tmp_path / "t.csv"
    p.write_text("\n".join(rows))
    bench = import_csv(p, dataset="toy")
    assert bench.meta.dataset == "toy" and bench.covered.tolist() == [3, 7]
    assert bench.query(7, "valid_acc", 2, 1) == 10
    assert bench.query(3, "valid_acc", 1) == pytest.approx(5.5)
    assert bench.cost(3) == 3.0
    p.write_text("arch_index,seed,epoch,foo\n1,1,1,2")
    with pytest.raises(ImportError_, match="no metric columns"):
        import_csv(p)
    p.write_text("arch_index,seed,epoch,valid_acc,bar\n1,1,1,2,3")
    with pytest.raises(ImportError_, match="unknown column"):
        import_csv(p)
    p.write_text("arch_index,seed,epoch,valid_acc\n1,1,1,2\n1,1,1,3")
    with pytest.raises(ImportError_, match="more than once"):
        import_csv(p)
    p.write_text("arch_index,seed,epoch,valid_acc\n99999,1,1,2")
    with pytest.raises(ImportError_, match="out of range"):
        import_csv(p)
    with pytest.raises(ImportError_, match="no such file"):
        import_csv(tmp_path / "missing.csv")
    with pytest.raises(ImportError_, match="unknown import format"):
        import_any("json", p)


TIDY_HEAD = "arch_index,seed,epoch,valid_acc,params\n"


@pytest.mark.parametrize("body, msg", [
    ("0,777,1,50,1\n0,,2,50,1\n", "column seed, row 1 (line 3): nan; seed must be a whole number in 0..9223372036854775807"),
    ("0,99999999999999999999,1,50,1\n", "column seed, row 0 (line 2): 99999999999999999999"),
    ("0,9223372036854775808,1,50,1\n", "column seed, row 0 (line 2): 9223372036854775808"),
    ("0,-1,1,50,1\n", "column seed, row 0 (line 2): -1; seed must be a whole number in 0.."),
    ("0,1.5,1,50,1\n", "column seed, row 0 (line 2): 1.5"),
    ("0,abc,1,50,1\n", "column seed, row 0 (line 2): 'abc'"),
    ("0,777,,50,1\n0,777,1,50,1\n", "column epoch, row 0 (line 2): nan; epoch must be a whole number in 1.."),
    ("0,777,0,50,1\n", "column epoch, row 0 (line 2): 0"),
    ("0,777,1,inf,1\n", "column valid_acc, row 0 (line 2): inf; valid_acc must be a finite number"),
    ("0,777,1,50,1\n0,777,2,-inf,1\n", "column valid_acc, row 1 (line 3): -inf"),
    ("0,777,1,high,1\n", "column valid_acc, row 0 (line 2): 'high'"),
    ("0,777,1,50,inf\n", "column params, row 0 (line 2): inf"),
    ("0,777,1,50,1\n0,888,1,51,2\n", "column params: cell 0 has different values (1 and 2)"),
])
def test_tidy_csv_bad_values(tmp_path, capsys, body, msg):
    from nasbench.cli import main

    src, out = tmp_path / "t.csv", tmp_path / "t.h5"
    src.write_text(TIDY_HEAD + body)
    with pytest.raises(ImportError_) as exc:
        import_csv(src)
    assert str(exc.value) == f"{src}: {msg}" or str(exc.value).startswith(f"{src}: {msg}")
    assert main(["import", "--format", "csv", str(src), str(out)]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_tidy_csv_per_cell_columns_repeat_or_leave_blanks(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text(TIDY_HEAD + "0,777,1,50,1.5\n0,888,1,51,1.5\n4,777,1,40,\n4,777,2,45,3\n9,1,1,30,\n")
    bench = import_csv(src)
    assert bench.params_of(0) == 1.5 and bench.params_of(4) == 3 and np.isnan(bench.params_of(9))
    assert bench.seeds.tolist() == [1, 777, 888] and bench.run_seed.min() >= -1

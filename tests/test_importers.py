import bz2
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from nasbench.tables.import_common import ImportError_
from nasbench.tables.import_nats import NATS_CELL_MAX_BYTES, _bz2_capped, import_nats_simple
from nasbench.tables.import_pth import import_nb201_pth
from nasbench.tables.importers import import_any, import_csv
from nasbench.util.safe_pickle import NATS_ALLOWED, PTH_ALLOWED, ForbiddenPickle, loads
from conftest import NATS_SAMPLE, NB201_CSV, need
from crafted_pickles import dtype_op as _dtype_op, forged_void as _forged_void, u as _u


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


# -- crafted pickles that use only allow-listed names ------------------------------------------
def _nats_forged() -> bytes:  # {'200': {'arch_index': 0, 'arch_str': <void>, 'all_results': {}}}
    return (b"\x80\x04}" + _u("200") + b"}(" + _u("arch_index") + b"K\x00" + _u("arch_str") + _forged_void()
            + _u("all_results") + b"}us.")


def _pth_forged() -> bytes:  # {'meta_archs': [<void>], 'arch2infos': {0: {'full': {}}}}
    return (b"\x80\x04}(" + _u("meta_archs") + b"]" + _forged_void() + b"a" + _u("arch2infos") + b"}K\x00}"
            + _u("full") + b"}ssu.")


def test_forged_pointer_payload_crashes_plain_numpy():
    """The payload of the next test is real: unrestricted, numpy builds the forged scalar and
    touching it kills the process (run in a subprocess)."""
    code = ("import pickle, sys; d = pickle.loads(sys.stdin.buffer.read()); "
            "print(repr(d['200']['arch_str']), flush=True)")
    r = subprocess.run([sys.executable, "-c", code], input=_nats_forged(), capture_output=True, timeout=60)
    if r.returncode == 1 and b"Error" in r.stderr:  # a numpy that checks the state itself
        pytest.skip(f"this numpy refuses the crafted dtype state: {r.stderr.decode().strip().splitlines()[-1]}")
    assert r.returncode < 0, (r.returncode, r.stdout, r.stderr)  # killed by a signal (SIGSEGV)


def test_forged_pointer_pickle_is_refused(tmp_path):
    d = tmp_path / "nats"
    d.mkdir()
    (d / "000000.pickle.pbz2").write_bytes(bz2.compress(_nats_forged()))
    with pytest.raises(ImportError_, match=r"asks for numpy\.dtype\('V8'\); refused \(allowed: f4, f8, i4, i8\)"):
        import_nats_simple(d)
    pth = tmp_path / "forged.pth"
    with zipfile.ZipFile(pth, "w") as z:
        z.writestr("archive/data.pkl", _pth_forged())
    with pytest.raises(ImportError_, match=r"numpy\.dtype\('V8'\); refused"):
        import_nb201_pth(pth)
    # one line at the CLI, exit 2, nothing written
    r = subprocess.run([sys.executable, "-m", "nasbench.cli", "import", "--format", "nb201-pth", str(pth),
                        str(tmp_path / "out.h5")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "refused" in r.stderr
    assert not (tmp_path / "out.h5").exists()


def test_unpickler_numpy_rules():
    f8 = np.dtype("f8").__reduce__()[2]
    ok = b"\x80\x04" + b"cnumpy.core.multiarray\nscalar\n(" + _dtype_op("f8") + b"(K\x03" + _u("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb" + b"C\x08" + struct.pack("<d", 87.748) + b"tR."
    assert f8 == (3, "<", None, None, None, -1, -1, 0)
    v = loads(ok, NATS_ALLOWED, "t")
    assert type(v) is np.float64 and v == 87.748
    big = ok.replace(_u("<"), _u(">")).replace(struct.pack("<d", 87.748), struct.pack(">d", 87.748))
    assert loads(big, NATS_ALLOWED, "t") == 87.748
    with pytest.raises(ForbiddenPickle, match=r"numpy\.dtype\('O8'\); refused"):  # an object dtype
        loads(b"\x80\x04" + _dtype_op("O8") + b".", NATS_ALLOWED, "t")
    flags = ok.replace(b"K\x00tb", b"K\x3ftb")  # the plain dtype, but flags that are not its own
    with pytest.raises(ForbiddenPickle, match=r"restores numpy\.dtype\('f8'\) with the state"):
        loads(flags, NATS_ALLOWED, "t")
    short = ok.replace(b"C\x08" + struct.pack("<d", 87.748), b"C\x04abcd")
    with pytest.raises(ForbiddenPickle, match="allowed: exactly 8 bytes"):
        loads(short, NATS_ALLOWED, "t")
    with pytest.raises(ForbiddenPickle, match="scalar"):  # scalar() of something that is not a checked dtype
        loads(b"\x80\x04cnumpy.core.multiarray\nscalar\n(" + _u("f8") + b"C\x08" + b"\0" * 8 + b"tR.", NATS_ALLOWED, "t")
    with pytest.raises(ForbiddenPickle, match="_codecs.encode"):  # only latin1, as protocol 2 stores bytes
        loads(b"\x80\x02c_codecs\nencode\n(" + _u("x") + _u("zlib") + b"tR.", PTH_ALLOWED, "t")


def test_decompression_bomb_is_refused(tmp_path):
    one = bz2.compress(b"\0" * (16 << 20))  # 16 MiB of zeros -> ~45 bytes
    d = tmp_path / "bomb"
    d.mkdir()
    bomb = d / "000000.pickle.pbz2"
    bomb.write_bytes(one * 100)  # ~4.5 KB that decompresses to 1,600 MiB
    assert bomb.stat().st_size < 8000
    with pytest.raises(ImportError_, match=r"decompresses to more than 4,194,304 bytes.*decompression bomb"):
        import_nats_simple(d)
    multi = tmp_path / "multi.bz2"  # several streams, as bz2.decompress reads them
    multi.write_bytes(bz2.compress(b"abc") + bz2.compress(b"def" * 1000))
    assert _bz2_capped(multi, 1 << 20) == b"abc" + b"def" * 1000
    multi.write_bytes(bz2.compress(b"abc" * 1000)[:-4])
    with pytest.raises(ValueError, match="ended before the end-of-stream"):
        _bz2_capped(multi, 1 << 20)


def test_published_cell_files_fit_the_cap():
    """The published cell files decompress to ~326 KB, a tenth of the cap, exactly as bz2 does."""
    for f in need(NATS_SAMPLE).glob("0*.pickle.pbz2"):
        raw = _bz2_capped(f, NATS_CELL_MAX_BYTES)
        assert raw == bz2.decompress(f.read_bytes()) and 300_000 < len(raw) < NATS_CELL_MAX_BYTES // 10


def test_pth_zip_bomb_is_refused(tmp_path):
    pth = tmp_path / "bomb.pth"
    with zipfile.ZipFile(pth, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\0" * (8 << 20))  # 8 MiB -> ~8 KB
    with pytest.raises(ImportError_, match=r"more than 20x; torch\.save stores it uncompressed\); refused"):
        import_nb201_pth(pth)


def test_nb201_csv_best_cell(nb201_imported):
    bench = nb201_imported
    best = bench.best("test_acc")
    assert best.index == 6111 and best.value == pytest.approx(94.373, abs=1e-3)
    assert bench.best("valid_acc").value == pytest.approx(91.607, abs=1e-3)
    assert len(bench.covered) == 15625
    # 3-seed cells carry their seeds, 2-seed cells do not
    assert bench.query(1, "valid_acc", seed=888) == pytest.approx(90.716)
    n_runs = (~np.isnan(bench.metrics["valid_acc"][:, :, 0])).sum(axis=1)
    assert (n_runs == 3).sum() == 8169 and (n_runs == 2).sum() == 7456
    assert (bench.run_seed[n_runs == 2] == -1).all() and (bench.run_seed[n_runs == 3] == [777, 888, 999]).all()
    assert bench.params_of(0) == pytest.approx(0.129306)
    assert set(bench.latency) >= {"1080ti_1", "pixel3", "fpga"}
    assert {"valid_acc_s12", "test_acc_s12", "time", "valid_test_acc", "valid_acc_published_mean"} <= set(bench.metric_names)


def test_nb201_csv_keeps_every_column(nb201_imported):
    """Every column of the wide CIFAR-10 CSV is in the table, value for value."""
    import pandas as pd

    df = pd.read_csv(need(NB201_CSV))
    bench = nb201_imported
    rows = bench.arch_row[df.arch_index.to_numpy()]
    for metric, column in (("valid_acc_published_mean", "cifar10_valid__valid_acc_200ep_mean"),
                           ("test_acc", "cifar10__test_acc_200ep_mean"),
                           ("valid_test_acc", "cifar10_valid__test_acc_200ep_mean"),
                           ("valid_acc_s12", "cifar10_valid__valid_acc_12ep"),
                           ("test_acc_s12", "cifar10__test_acc_12ep"),
                           ("time", "cifar10_valid__train_time_s_200ep")):
        assert bench.metrics[metric][rows, 0, 0].tolist() == df[column].tolist(), metric
    for device in [c.removeprefix("latency_ms__") for c in df.columns if c.startswith("latency_ms__")]:
        assert bench.latency[device][rows].tolist() == df[f"latency_ms__{device}"].tolist()
    assert bench.params[rows].tolist() == df.params_mb.tolist()
    per_seed = [json.loads(s) for s in df.cifar10_valid__valid_acc_200ep_per_seed]
    assert [bench.metrics["valid_acc"][r, : len(v), 0].tolist() for r, v in zip(rows, per_seed)] == per_seed


def test_nb201_csv_published_quirks(nb201_imported):
    """The published mean is over fewer runs in 2,418 cells; 150 params belong to a sibling."""
    import pandas as pd

    bench = nb201_imported
    assert "In 2,418 cells it is not the mean of the listed runs: in 2,210 two-run cells it is the second " \
           "run alone, in 208 three-run cells the mean of the first two" in bench.meta.notes
    dis = pd.read_csv(need(NB201_CSV.parent / "params_disagreements.csv"))
    computed = {int(k): v for k, v in bench.meta.extra["params_computed"].items()}
    assert sorted(computed) == sorted(dis.arch_index.tolist()) and len(computed) == 150
    assert [computed[i] for i in dis.arch_index] == pytest.approx(dis.params_mb_from_arch_str.tolist(), abs=1e-9)
    assert [bench.params_of(i) for i in dis.arch_index] == dis.params_mb_published.tolist()


def _cell_str(i: int) -> str:
    from nasbench.space import Cell

    return Cell.from_index(i).to_str()


def _wide2_csv(path, rows):
    """A small file in the CIFAR-100 / ImageNet16-120 wide layout."""
    head = ["arch_index", "arch_str"] + [f"{p}__{c}" for p in ("cifar100", "imagenet16_120")
                                         for c in ("valid_acc_200ep_per_seed", "valtest_acc_200ep_per_seed",
                                                   "train_time_s_200ep", "params_mb")]
    lines = [",".join(head)]
    for i, v, vt in rows:
        fields = [str(i), _cell_str(i)] + [f'"{v}"', f'"{vt}"', "100.5", "0.2", f'"{v}"', f'"{vt}"', "300.0", "0.3"]
        lines.append(",".join(fields))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_wide2_layout(tmp_path):
    """CIFAR-100 / ImageNet16-120 layout: per-seed x-valid, ori-test, x-test derived; FLOPs counted."""
    from nasbench.training.counts import count_all

    p = _wide2_csv(tmp_path / "w.csv", [(11, [67.72, 68.18, 66.46], [67.29, 67.93, 67.37]),
                                         (5, [60.0, 61.0], [60.5, 60.75])])
    bench = import_csv(p, dataset="cifar100")
    assert bench.meta.dataset == "cifar100" and bench.covered.tolist() == [5, 11]
    assert set(bench.metric_names) == {"valid_acc", "test_acc", "valtest_acc", "time"}
    assert bench.query(11, "test_acc", seed=777) == 66.86  # 2 * 67.29 - 67.72, no float residue
    assert bench.query(11, "valtest_acc", seed=999) == 67.37 and bench.query(11, "valid_acc", seed=888) == 68.18
    assert bench.run_seed[bench.arch_row[5]].tolist() == [-1, -1, -1]  # two runs, seeds not recorded
    assert bench.query(5, "test_acc") == pytest.approx((61.0 + 60.5) / 2)
    assert bench.query(5, "time") == 100.5 and bench.params_of(5) == 0.2
    _, flops = count_all(16, 5, 100, 3, 32)
    assert bench.flops[bench.arch_row[11]] == pytest.approx(113.95722, abs=1e-9) == flops[11]
    img = import_csv(p, dataset="imagenet16-120")  # case-insensitive
    assert img.meta.dataset == "ImageNet16-120" and img.query(5, "time") == 300.0
    assert img.flops[img.arch_row[11]] == pytest.approx(28.49548, abs=1e-9)
    # the params of a cell that differ from its network's count by a convolution are listed with the count
    assert set(img.meta.extra["params_computed"]) == {"5", "11"}


def test_wide2_layout_errors(tmp_path):
    p = _wide2_csv(tmp_path / "w.csv", [(11, [67.72, 68.18, 66.46], [67.29, 67.93, 67.37])])
    with pytest.raises(ImportError_, match=r"holds NAS-Bench-201 results of cifar100 and ImageNet16-120: choose "
                                           r"one with --dataset \(allowed: cifar100, ImageNet16-120\)"):
        import_csv(p)
    with pytest.raises(ImportError_, match=r"holds no 'cifar10' results; allowed --dataset: cifar100, ImageNet16-120"):
        import_csv(p, dataset="cifar10")
    bad = _wide2_csv(tmp_path / "b.csv", [(11, [67.72, 68.18, 66.46], [67.29, 67.93])])
    with pytest.raises(ImportError_, match="row 0: 3 cifar100 validation values but 2 valtest values"):
        import_csv(bad, dataset="cifar100")
    bad.write_text(p.read_text().replace('"[67.72, 68.18, 66.46]"', '"oops"', 1))
    with pytest.raises(ImportError_, match="cifar100__valid_acc_200ep_per_seed must be a list like"):
        import_csv(bad, dataset="cifar100")
    bad.write_text(p.read_text().replace(",100.5,", ",fast,", 1))
    with pytest.raises(ImportError_, match="column cifar100__train_time_s_200ep must hold numbers"):
        import_csv(bad, dataset="cifar100")
    c10 = tmp_path / "c10.csv"
    c10.write_text(f'arch_index,arch_str,cifar10_valid__valid_acc_200ep_per_seed\n11,{_cell_str(11)},"[1, 2]"\n')
    with pytest.raises(ImportError_, match="holds cifar10 only, not 'cifar100'"):
        import_csv(c10, dataset="cifar100")


def test_wide_cifar10_published_mean_quirk(tmp_path):
    """The mean column is kept as published; the notes count the cells where it is over fewer runs."""
    p = tmp_path / "c10.csv"
    p.write_text("arch_index,arch_str,cifar10_valid__valid_acc_200ep_mean,cifar10_valid__valid_acc_200ep_per_seed\n"
                 f'1,{_cell_str(1)},90.0,"[89.0, 90.0, 91.0]"\n'  # the mean of all runs
                 f'2,{_cell_str(2)},85.616,"[85.608, 85.624, 85.436]"\n'  # the mean of the first two
                 f'3,{_cell_str(3)},71.368,"[72.62, 71.368]"\n'  # the second run alone
                 f'4,{_cell_str(4)},50.0,"[40.0, 41.0]"\n')  # neither
    bench = import_csv(p)
    assert bench.query(2, "valid_acc_published_mean") == 85.616
    assert bench.query(2, "valid_acc") == pytest.approx((85.608 + 85.624 + 85.436) / 3)
    assert bench.query(3, "valid_acc") == pytest.approx((72.62 + 71.368) / 2)
    assert ("In 3 cells it is not the mean of the listed runs: in 1 two-run cells it is the second run alone, "
            "in 1 three-run cells the mean of the first two (seeds 777, 888), in 1 neither") in bench.meta.notes
    # no params column: params and FLOPs are the network's own counts
    assert bench.params_of(1) == pytest.approx(0.802426) and bench.meta.extra["params_computed"] == {}
    assert bench.flops[bench.arch_row[1]] == pytest.approx(113.95137, abs=1e-9)


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

"""Zero-cost proxies: values checked by hand on tiny networks, the resumable journal, the
``proxies/<name>`` group of a table file (hashed, served by query)."""
from __future__ import annotations

import json
import math

import h5py
import numpy as np
import pytest
import torch
from torch import nn

from nasbench.cli import main
from nasbench.training.network import build_network
from nasbench.space import Cell, class_table
from nasbench.tables.hdf5 import TableError, read_table, write_table
from nasbench.zero_cost.batch import BatchSpec, make_batch
from nasbench.zero_cost.compute import ProxyError, Setup, class_order, read_journal, run
from nasbench.zero_cost.proxies import PROXY_NAMES, _jacob_naswot, compute_proxies, parse_proxies, synflow
from nasbench.zero_cost.store import with_proxies
from synthetic import synthetic_table

TINY = dict(C=2, N=1, num_classes=10, in_channels=3)


def tiny_batch(size: int = 4, hw: int = 8) -> object:
    return make_batch(BatchSpec("gaussian", size, hw, hw, 3, 10, seed=0))


def test_synflow_of_a_linear_net_is_layers_times_the_path_sum():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Linear(4, 2, bias=False))
    w1, w2 = net[0].weight.detach().abs().double(), net[1].weight.detach().abs().double()
    R = float((w2 @ w1 @ torch.ones(3, dtype=torch.float64)).sum())
    # each layer's |theta * dR/dtheta| sums to R (the synaptic flow is conserved layer by layer)
    assert synflow(net, (1, 3)) == pytest.approx(2 * R, rel=1e-12)
    # and by hand for the first layer: theta_ij * dR/dtheta_ij = (sum_k |w2|_ki) * |w1|_ij
    by_hand = float((w2.sum(0)[:, None] * w1).sum() + (w2 * (w1.sum(1))[None, :]).sum())
    assert synflow(net, (1, 3)) == pytest.approx(by_hand, rel=1e-12)
    assert net[0].weight.min() < 0  # the network itself is left unchanged


def test_snip_and_grad_norm_match_autograd_on_a_tiny_cell():
    b = tiny_batch()
    net = build_network(Cell.from_index(6111), **TINY, seed=3)
    vals, secs = compute_proxies(net, b, ("snip", "grad_norm"))
    net.zero_grad()
    torch.nn.functional.cross_entropy(net(b.x), b.y).backward()
    ws = [m.weight for m in net.modules() if isinstance(m, nn.Conv2d)] + [net.classifier.weight]
    with torch.no_grad():
        assert vals["snip"] == pytest.approx(float(sum((w * w.grad).abs().sum() for w in ws)), rel=1e-5)
    assert vals["grad_norm"] == pytest.approx(float(sum(w.grad.norm() for w in ws)), rel=1e-5)
    assert set(secs) == {"snip", "grad_norm"} and all(s >= 0 for s in secs.values())


def test_naswot_kernel_by_hand():
    # identical inputs switch every ReLU the same way: K is all-equal, singular, log|K| undefined
    net = build_network(Cell.from_index(6111), **TINY, seed=0)
    x = torch.randn(1, 3, 8, 8).repeat(4, 1, 1, 1)
    assert math.isnan(_jacob_naswot(net, x)["naswot"])
    # distinct inputs: K_ii = number of ReLU units (the diagonal is the largest entry)
    got = _jacob_naswot(net, torch.randn(4, 3, 8, 8))
    assert math.isfinite(got["naswot"]) and math.isfinite(got["jacob_cov"])
    # jacob_cov of B examples is at most -B (the bound reached when the Jacobians are uncorrelated)
    assert got["jacob_cov"] <= -4 + 1e-6


def test_equal_functional_class_equal_proxies_and_dead_cell_is_nan():
    cls, rep = class_table("functional")
    k = int(np.bincount(cls).argmax())
    a, c = np.nonzero(cls == k)[0][:2]
    b = tiny_batch()
    va, _ = compute_proxies(build_network(int(a), **TINY, seed=1), b)
    vc, _ = compute_proxies(build_network(int(c), **TINY, seed=1), b)
    assert set(va) == set(PROXY_NAMES)
    assert va == pytest.approx(vc, rel=1e-6, nan_ok=True)
    dead, _ = compute_proxies(build_network(Cell((0,) * 6), **TINY, seed=1), b)  # all "none": no path
    assert math.isnan(dead["zen"]) and math.isnan(dead["jacob_cov"]) and dead["synflow"] == 0.0


def test_parse_proxies_names_the_allowed():
    assert parse_proxies("") == PROXY_NAMES
    assert parse_proxies("synflow, snip") == ("synflow", "snip")
    with pytest.raises(ValueError, match="unknown proxy bogus; allowed: synflow"):
        parse_proxies("synflow,bogus")


def _setup(table: str = "t") -> Setup:
    return Setup(table, 2, 1, 10, 0, BatchSpec("gaussian", 4, 8, 8, 3, 10, 0))


def test_journal_resumes_after_a_kill_and_refuses_another_setup(tmp_path):
    j = tmp_path / "t.jsonl"
    assert run(_setup(), j, ("synflow", "snip"), limit=3, progress=False) == 3
    with open(j, "a") as f:
        f.write('{"class": 99, "index": 1')  # a kill mid-write
    header, done = read_journal(j)
    assert header["batch"]["kind"] == "gaussian" and len(done) == 3
    assert set(done) == {int(k) for k in class_order(0)[:3]}
    # resume: the truncated line is ignored, the 3 done classes are not recomputed
    with open(j) as f:
        text = f.read()
    with open(j, "w") as f:
        f.write(text[: text.rindex("\n") + 1])
    assert run(_setup(), j, ("synflow", "snip"), limit=5, progress=False) == 2
    assert run(_setup(), j, ("synflow",), limit=5, progress=False) == 0
    assert run(_setup(), j, ("grad_norm",), limit=2, progress=False) == 2  # a new proxy, same classes
    _, done = read_journal(j)
    assert len(done) == 5 and all("grad_norm" in done[int(k)]["values"] for k in class_order(0)[:2])
    other = Setup("t", 2, 1, 10, 1, BatchSpec("gaussian", 4, 8, 8, 3, 10, 0))
    with pytest.raises(ProxyError, match="another setup"):
        run(other, j, ("synflow",), limit=1, progress=False)


def test_proxies_group_is_hashed_and_served_by_query(tmp_path, capsys):
    j = tmp_path / "t.jsonl"
    run(_setup(), j, ("synflow",), limit=4, progress=False)
    _, done = read_journal(j)
    bench = with_proxies(synthetic_table(), j)
    cls, rep = class_table("functional")
    k0 = int(class_order(0)[0])
    members = np.nonzero(cls == k0)[0]
    assert np.isfinite(bench.proxies["synflow"]).sum() == sum(int((cls == k).sum()) for k in done)
    path = tmp_path / "t.h5"
    write_table(path, bench)
    back = read_table(path)
    want = done[k0]["values"]["synflow"]
    assert back.query(int(members[-1]), "synflow") == want
    assert back.query_many(members, "synflow") == pytest.approx([want] * len(members))
    assert back.meta.extra["proxies"]["computed"]["synflow"]["classes"] == 4
    assert main(["query", str(path), str(int(members[-1])), "--metric", "synflow"]) == 0
    assert f"synflow={want:.6g}" in capsys.readouterr().out
    # an unknown metric names the proxies among what is allowed
    assert main(["query", str(path), "1", "--metric", "synflw"]) == 2
    assert "synflow" in capsys.readouterr().err
    # the group is covered by the SHA-256: altering one value is refused on load
    with h5py.File(path, "r+") as f:
        f["proxies/synflow"][int(bench.arch_row[members[0]])] = 1.0
    with pytest.raises(TableError, match="SHA-256 mismatch"):
        read_table(path)


def test_proxy_seconds_are_stored_hashed_and_charge_a_shared_pass_once(tmp_path):
    from nasbench.tables.benchmark import QueryError
    from nasbench.tables.tabular import TabularBenchmark

    j = tmp_path / "t.jsonl"
    run(_setup(), j, ("synflow", "snip", "grad_norm"), limit=3, progress=False)
    _, done = read_journal(j)
    path = tmp_path / "t.h5"
    write_table(path, with_proxies(synthetic_table(), j))
    back = read_table(path)
    assert back.proxy_names == ("grad_norm", "snip", "synflow")
    cls, _ = class_table("functional")
    k = int(class_order(0)[0])
    cells = np.nonzero(cls == k)[0]
    secs = done[k]["seconds"]
    assert secs["snip"] == secs["grad_norm"] > 0  # one pass, split evenly
    rows = back.arch_row[cells]
    assert back.proxy_seconds["synflow"][rows] == pytest.approx([secs["synflow"]] * len(cells))
    grad_pass = secs["snip"] + secs["grad_norm"]
    # snip alone costs its whole pass; snip with grad_norm costs that pass once, not twice
    assert back.proxy_cost_many(cells[:1], "snip")[0] == pytest.approx(grad_pass)
    assert back.proxy_cost_many(cells[:1], ["snip", "grad_norm"])[0] == pytest.approx(grad_pass)
    assert back.proxy_cost_many(cells[:1], ["synflow", "snip"])[0] == pytest.approx(grad_pass + secs["synflow"])
    other = int(np.nonzero(~np.isin(cls, list(done)))[0][0])
    assert np.isnan(back.proxy_cost_many([other], "synflow")[0])  # not computed: not recorded
    assert back.meta.extra["proxies"]["passes"]["grad"] == ["snip", "grad_norm", "fisher"]
    with pytest.raises(QueryError, match="unknown proxy 'fisher'; this table has: grad_norm, snip, synflow"):
        back.proxy_cost_many(cells, "fisher")
    with h5py.File(path, "r+") as f:  # covered by the SHA-256
        f["proxy_seconds/snip"][int(rows[0])] = 1.0
    with pytest.raises(TableError, match="SHA-256 mismatch"):
        read_table(path)


def test_surrogate_encoding_appends_the_tables_complete_proxies(tmp_path):
    from nasbench.tables.tabular import TabularBenchmark
    from nasbench.space import SpaceError, ops_table
    from surrogates.encodings import encode
    from surrogates.registry import make_estimator

    base = synthetic_table()
    full = 10.0 ** ops_table().sum(axis=1)  # mechanics only: a made-up proxy of every cell
    part = full.copy()
    part[::2] = np.nan

    def table(proxies: dict, name: str) -> str:
        b = TabularBenchmark(meta=base.meta, arch_row=base.arch_row, row_arch=base.row_arch, seeds=base.seeds,
                             epochs=base.epochs, metrics=base.metrics, params=base.params, proxies=proxies)
        write_table(tmp_path / name, b)
        return str(tmp_path / name)

    path = table({"full": full, "part": part}, "t.h5")
    ops = ops_table()[[5, 6111, 15624]]
    X = encode(ops, f"combined+zc:{path}")
    assert X.shape == (3, encode(ops, "combined").shape[1] + 1)  # "part" is not complete: left out
    assert X[:, -1] == pytest.approx(np.log10(1 + full[[5, 6111, 15624]]), rel=1e-6)
    est = make_estimator("xgb", encoding=f"combined+zc:{path}", n_estimators=5).fit(ops_table()[:50], np.arange(50.0))
    assert est.predict(ops).shape == (3,)
    with pytest.raises(SpaceError, match="holds no zero-cost proxy for all of its cells"):
        encode(ops, f"combined+zc:{table({'part': part}, 'p.h5')}")


def _script(name: str):
    from conftest import load_script

    return load_script(name)


def test_report_and_compute_scripts(tmp_path, capsys):
    j = tmp_path / "nb201-cifar10.jsonl"
    run(Setup("nb201-cifar10", 2, 1, 10, 0, BatchSpec("gaussian", 4, 8, 8, 3, 10, 0)), j, ("synflow", "snip"),
        limit=6, progress=False)
    _, done = read_journal(j)
    cls, _ = class_table("functional")
    cells = sum(int((cls == k).sum()) for k in done)
    rep = _script("zero_cost_report")
    assert rep.main(["--tables", "nb201-cifar10", "--from-journals", "--journals", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.split()[:2] == ["synflow", "test_acc"])
    assert line.split()[2:4] == [str(cells), "6"] and line.split()[-1] == "0.74"
    assert "batch: Gaussian N(0,1) 3x8x8, batch 4" in out and "snip" in out
    # the cost per pass: snip's pass is charged in full (its share is all of it when computed alone)
    snip_pass = np.mean([r["seconds"]["snip"] for r in done.values()])
    line = next(ln for ln in out.splitlines() if ln.split()[:1] == ["snip+grad_norm+fisher"])
    assert line.split()[1] == "6" and float(line.split()[4]) == pytest.approx(snip_pass, abs=6e-4)
    assert rep.main(["--tables", "nb201-cifar11"]) == 2
    assert "unknown table nb201-cifar11; allowed: nb201-cifar10" in capsys.readouterr().err
    comp = _script("compute_proxies")
    assert comp.main(["--table", "nb201-cifar10", "--proxies", "synflow,bogus"]) == 2
    assert "unknown proxy bogus; allowed:" in capsys.readouterr().err


def _own_data_table(tmp_path, name: str = "t.h5"):
    """A small table 'trained here' on digits with a C=2, N=1 recipe (the proxies' own-data path)."""
    import dataclasses

    base = synthetic_table()
    meta = dataclasses.replace(base.meta, recipe={"C": 2, "N": 1, "epochs": 4},
                               extra={"data": {"dataset": "digits", "downscale": 1, "split_seed": 0, "subset_seed": 0,
                                               "train_size": None, "valid_size": None, "test_size": None}})
    path = tmp_path / name
    write_table(path, _with_meta(base, meta))
    return path


def _with_meta(base, meta):
    from nasbench.tables.tabular import TabularBenchmark

    return TabularBenchmark(meta=meta, arch_row=base.arch_row, row_arch=base.row_arch, seeds=base.seeds,
                            epochs=base.epochs, metrics=base.metrics, params=base.params)


def test_cli_proxies_limit_resume_write_and_refusals(tmp_path, capsys):
    path = _own_data_table(tmp_path)
    journal = tmp_path / "t.proxies.jsonl"
    args = ["proxies", str(path), "--proxies", "synflow,snip", "--no-progress"]
    assert main([*args, "--limit", "2"]) == 0
    assert "2 classes computed now; 2 of 5,260 classes of the table have synflow, snip" in capsys.readouterr().out
    header, done = read_journal(journal)
    assert header["batch"]["kind"] == "train" and header["C"] == 2 and header["data"]["dataset"] == "digits"
    assert "own training images 1x8x8" in header["batch_describe"]
    assert set(done) == {int(k) for k in class_order(0)[:2]}
    # resume: the 2 done classes are not recomputed, 1 more is
    assert main([*args, "--limit", "3"]) == 0
    assert "1 classes computed now" in capsys.readouterr().out
    before = journal.read_bytes()
    # another batch size is another setup: refused, nothing appended
    assert main([*args, "--limit", "4", "--batch-size", "8"]) == 2
    assert "was computed with another setup" in capsys.readouterr().err and journal.read_bytes() == before
    assert main(["proxies", str(path), "--proxies", "synflw"]) == 2
    assert "unknown proxy synflw; allowed: synflow, zen, snip" in capsys.readouterr().err
    assert main(["proxies", str(path), "--jobs", "0"]) == 2
    assert "--jobs must be a positive integer, got 0" in capsys.readouterr().err
    other = tmp_path / "not-a-journal.jsonl"
    other.write_text("hello\n")
    assert main([*args, "--journal", str(other)]) == 2
    assert "is not a proxy journal" in capsys.readouterr().err and other.read_text() == "hello\n"
    # two processes share the journal: 2 more classes, no line lost or repeated
    assert main([*args, "--limit", "5", "--jobs", "2", "--write"]) == 0
    out = capsys.readouterr().out
    assert "2 classes computed now; 5 of 5,260" in out and f"wrote {path}" in out
    lines = [json.loads(x) for x in journal.read_text().splitlines()[1:]]
    assert sorted(r["class"] for r in lines) == sorted(int(k) for k in class_order(0)[:5])
    back = read_table(path)  # folded, and hashed
    cls, _ = class_table("functional")
    k = int(class_order(0)[4])
    cells = np.nonzero(cls == k)[0]
    _, done = read_journal(journal)
    assert back.query(int(cells[0]), "snip") == pytest.approx(done[k]["values"]["snip"])
    assert np.isfinite(back.proxies["synflow"]).sum() == sum(int((cls == c).sum()) for c in done)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    n_cells = sum(int((cls == c).sum()) for c in done)
    assert f"synflow: {n_cells:,} of 15,625 cells with a value" in out
    assert "the table's own training images 1x8x8, batch 16" in out


def test_cli_proxies_refuses_to_write_a_published_nb201_table(capsys):
    assert main(["proxies", "nb201-cifar100", "--write", "--limit", "1", "--no-progress"]) == 2
    assert "fold its journal with `python scripts/build_nb201_tables.py --write`" in capsys.readouterr().err


def test_generate_with_proxies_folds_them_into_the_table_and_keeps_them(tmp_path, capsys):
    out = tmp_path / "g.h5"
    tiny = ["generate", "--dataset", "digits", "--epochs", "1", "--channels", "2", "--cells-per-stage", "1",
            "--seeds", "1", "--out", str(out), "--no-progress"]
    assert main([*tiny, "--limit", "2", "--proxies", "synflow,jacob_cov"]) == 0
    assert "zero-cost proxies synflow, jacob_cov for 2 of 2 trained classes" in capsys.readouterr().out
    bench = read_table(out)
    rows = bench.arch_row[bench.covered]
    assert set(bench.proxy_names) == {"synflow", "jacob_cov"} and np.isfinite(bench.proxies["synflow"][rows]).all()
    assert "own training images 1x8x8" in bench.meta.extra["proxies"]["stand_in_batch"]
    assert bench.meta.extra["proxies"]["network"]["C"] == 2
    assert main(["query", str(out), str(int(bench.covered[0])), "--metric", "synflow"]) == 0
    capsys.readouterr()
    # one more training without --proxies: the rebuilt table keeps the proxies it had
    assert main([*tiny, "--limit", "1"]) == 0
    again = read_table(out)
    assert len(again.covered) > len(bench.covered)
    assert again.query(int(bench.covered[0]), "synflow") == bench.query(int(bench.covered[0]), "synflow")
    assert main([*tiny, "--limit", "1", "--proxies", "synflo"]) == 2
    assert "unknown proxy synflo; allowed:" in capsys.readouterr().err

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
from nasbench.network import build_network
from nasbench.space import Cell, class_table
from nasbench.table import TableError, read_table, write_table
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
    from nasbench.benchmark import QueryError

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
    from nasbench.benchmark import TabularBenchmark
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
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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
    assert "stand-in batch: Gaussian N(0,1) 3x8x8, batch 4" in out and "snip" in out
    assert rep.main(["--tables", "nb201-cifar11"]) == 2
    assert "unknown table nb201-cifar11; allowed: nb201-cifar10" in capsys.readouterr().err
    comp = _script("compute_proxies")
    assert comp.main(["--table", "nb201-cifar10", "--proxies", "synflow,bogus"]) == 2
    assert "unknown proxy bogus; allowed:" in capsys.readouterr().err

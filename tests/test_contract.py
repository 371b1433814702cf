"""The benchmark contract (nasbench.tables.benchmark.Benchmark): both kinds implement it, consumers use
only it, a new kind (tests/frame_benchmark.py) and a new encoding (tests/node_ops_encoding.py)
each plug in by one module, and the file-format helpers are shared."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.tables.benchmark import Benchmark, QueryError


@pytest.fixture(scope="module")
def frame_bench(nb201_table):
    from frame_benchmark import FrameBenchmark

    return FrameBenchmark(nb201_table.to_frame(), nb201_table.meta, int(nb201_table.epochs[-1]),
                          metrics=("valid_acc", "test_acc", "time"), name="frame-cifar10")


def test_both_kinds_implement_the_contract(nb201_table):
    from synthetic import synthetic_table

    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    sb = SurrogateBenchmark.fit(synthetic_table(), SurrogateConfig(model="knn", n_train=300, metrics=("valid_acc",)))
    cells = np.array([0, 11, 15624])
    for b in (nb201_table, sb):
        assert isinstance(b, Benchmark)
        assert b.runs(cells, "valid_acc").shape == (3, len(b.seeds))
        assert b.summary().lines() and b.summary().to_dict()
    assert np.allclose(np.nanmean(nb201_table.runs(cells, "valid_acc"), axis=1), nb201_table.query_many(cells, "valid_acc"))
    for k, seed in enumerate(sb.seeds):  # a surrogate's runs: its fixed draw per seed
        assert sb.runs(cells, "valid_acc")[:, k].tolist() == sb.query_many(cells, "valid_acc", seed=int(seed)).tolist()
    assert nb201_table.content_sha256() == nb201_table.sha256 and len(nb201_table.sha256) == 64
    mem = synthetic_table()  # built in memory: the hash its file would carry
    assert mem.sha256 == "" and len(mem.content_sha256()) == 64
    assert not hasattr(sb, "arch_row") and not hasattr(sb, "params")  # no pretend table layout
    assert sb.objective_names == () and not sb.has_objective("params")
    with pytest.raises(QueryError, match="objective 'params': this surrogate records no such values"):
        sb.objective_many(np.array([0]), "params")
    assert nb201_table.has_objective("params") and "latency:pixel3" in nb201_table.objective_names
    assert nb201_table.objective_many(np.array([11]), "params")[0] == nb201_table.params_of(11)
    assert sb.result_key(7) == 7 and nb201_table.result_key(7) == int(nb201_table.arch_row[7])
    assert nb201_table.measured_runs and not sb.measured_runs
    # the shared refusals: the same words, the kind named
    with pytest.raises(QueryError, match="unknown metric 'loss'; this surrogate has: valid_acc"):
        sb.query(0, "loss")
    with pytest.raises(QueryError, match="unknown metric 'loss'; this table has: "):
        nb201_table.query(0, "loss")
    with pytest.raises(QueryError, match="epoch 7 not modelled; this surrogate has epochs 4"):
        sb.query(0, epoch=7)
    for b in (nb201_table, sb):
        with pytest.raises(QueryError, match="seed='random' needs rng"):
            b.query(0, seed="random")
        with pytest.raises(QueryError, match="seed 'x' not allowed"):
            b.query(0, seed="x")


def test_an_incomplete_kind_cannot_be_built():
    class Half(Benchmark):
        def query(self, *a, **k):
            return 0.0

    with pytest.raises(TypeError, match="abstract"):
        Half()


def test_retrain_recipe_merges_the_recorded_data_options(nb201_table):
    import dataclasses

    from frame_benchmark import FrameBenchmark

    meta = dataclasses.replace(nb201_table.meta, recipe={"epochs": 3},
                               extra={"data": {"dataset": "cifar10", "split_seed": 5, "train_size": 100, "x": 1}})
    fb = FrameBenchmark(nb201_table.to_frame().head(50), meta, 200, metrics=("valid_acc",))
    assert fb.retrain_recipe() == {"epochs": 3, "data_options": {"split_seed": 5, "train_size": 100}}
    assert fb.data_spec()["x"] == 1
    meta2 = dataclasses.replace(meta, extra={"data_options": {"split_seed": 9}})
    assert FrameBenchmark(nb201_table.to_frame().head(5), meta2, 200, ("valid_acc",)).retrain_recipe()["data_options"] == \
        {"split_seed": 9}


def test_a_new_kind_runs_through_the_comparison_runner(tmp_path, nb201_table, frame_bench):
    """The frame answers with the table's own seed means: a seed-mean comparison on it writes
    the same results.csv, byte for byte, as on the table."""
    from nasbench.search.runner import ExperimentConfig, run_comparison
    from nasbench.strategies import Budget, Protocol

    def cfg(out, strategies=("random", "evolution", "local_search"), **kw):
        return ExperimentConfig(table="nb201-cifar10", strategies=strategies, runs=2, budget=Budget("queries", 40),
                                protocol=Protocol(seed="mean", **kw), out=str(tmp_path / out), progress=False)

    a = run_comparison(cfg("table"), nb201_table).table_path.read_bytes()
    b = run_comparison(cfg("frame"), frame_bench).table_path.read_bytes()
    assert len(a.splitlines()) == 1 + 3 * 2 * 40 and a == b
    mo = run_comparison(cfg("mo", ("mo_random",), objectives=("params",)), frame_bench).frame()
    assert mo.obj_params.notna().all()
    with pytest.raises(Exception, match="objective 'flops': the table records no such values; it has: params"):
        from frame_benchmark import FrameBenchmark

        fb = FrameBenchmark(nb201_table.to_frame().drop(columns=["flops"]), nb201_table.meta, 200, ("valid_acc", "test_acc", "time"))
        run_comparison(cfg("mo2", ("mo_random",), objectives=("flops",)), fb)
    # the shared refusals speak of the frame
    with pytest.raises(QueryError, match="unknown metric 'loss'; this frame has: valid_acc, test_acc, time"):
        frame_bench.query(0, "loss")
    with pytest.raises(QueryError, match="epoch 12 not recorded; this frame has epochs 200"):
        frame_bench.query(0, epoch=12)
    assert frame_bench.best("valid_acc").index == nb201_table.best("valid_acc").index


def test_validation_predictions_come_from_the_contract(nb201_table, frame_bench):
    from nasbench.validation.run import _predictions

    cells = [11, 500]
    p = _predictions(frame_bench, cells, "valid_acc")
    assert p.mean.tolist() == nb201_table.query_many(cells, "valid_acc").tolist() and (p.runs == 1).all()
    t = _predictions(nb201_table, cells, "valid_acc")
    assert t.pooled_src == "table" and (t.runs == 3).all() and np.isfinite(t.expected).all()


def test_one_load_for_every_source(tmp_path, nb201_table):
    import nasbench
    from nasbench.search.runner import load_benchmark
    from nasbench.tables.hdf5 import write_table

    assert load_benchmark("nb201-cifar10").sha256 == nb201_table.sha256
    p = tmp_path / "t.h5"
    write_table(p, nb201_table)
    assert nasbench.load(p).sha256 == load_benchmark(str(p)).sha256 == nb201_table.sha256


def test_load_takes_a_csv():
    from conftest import NB201_CSV, need

    import nasbench

    b = nasbench.load(need(NB201_CSV))
    assert isinstance(b, Benchmark) and len(b.covered) == 15625


def test_a_new_encoding_plugs_in_by_one_module(nb201_table):
    from scipy.stats import kendalltau

    import node_ops_encoding  # noqa: F401  (registers node_in_ops)
    from surrogates import XGBSurrogate, encode, encoding_names, ops_of, register_encoding
    from nasbench.space import SpaceError

    assert "node_in_ops" in encoding_names()
    f = encode(ops_of([0, 11]), "node_in_ops")
    assert f.shape == (2, 15) and f.sum(axis=1).tolist() == [6.0, 6.0]  # six edges, each counted once
    rng = np.random.default_rng(0)
    cells = rng.permutation(15625)
    train, test = cells[:600], cells[600:2600]
    y = nb201_table.query_many(train, "valid_acc")
    m = XGBSurrogate(encoding="node_in_ops", n_estimators=100).fit(ops_of(train), y)
    tau = kendalltau(m.predict(ops_of(test)), nb201_table.query_many(test, "valid_acc"))[0]
    assert tau > 0.5
    with pytest.raises(SpaceError, match="taken"):
        register_encoding("node_in_ops", lambda ops: ops)
    with pytest.raises(SpaceError, match="unknown encoding 'nope'; allowed: .*node_in_ops"):
        encode(ops_of([0]), "nope")


def test_file_format_helpers_are_shared():
    import nasbench.tables.hdf5 as table_mod
    import surrogates.benchmark as sur_mod
    import surrogates.surrogate_file as sur_file
    from nasbench.tables import fileformat

    assert table_mod.check_hash is fileformat.check_hash is sur_file.check_hash
    assert table_mod.TableError is fileformat.TableError
    assert issubclass(sur_mod.SurrogateFileError, fileformat.TableError)


def test_strategies_take_neighbours_from_the_space():
    """Strategy.mutate and local search ask the context's space, not a module-level table."""
    import dataclasses

    from nasbench.space import NB201, NB201Space, SpaceError, get_space, neighbour_table
    from nasbench.strategies.base import SearchContext
    from nasbench.strategies.registry import make_strategy

    class FirstEdgeOnly(NB201Space):
        def neighbour_table(self):
            return neighbour_table()[:, :4]  # only the first edge's four other ops

    space = FirstEdgeOnly()
    ctx = SearchContext(rng=np.random.default_rng(0), space=space)
    s = make_strategy("evolution", ctx, {})
    kids = {s.mutate(11) for _ in range(200)}
    assert kids == set(neighbour_table()[11, :4].tolist())
    ls = make_strategy("local_search", dataclasses.replace(ctx, rng=np.random.default_rng(1)), {})
    first = ls.ask()
    ls.tell(first, 50.0, 1.0)
    assert ls.ask() in set(neighbour_table()[first, :4].tolist())
    assert get_space("nb201") is NB201 and len(NB201.edges) == 6
    with pytest.raises(SpaceError, match="unknown space 'nb301'; allowed: nb201"):
        get_space("nb301")


def test_info_prints_any_kind_through_its_summary(tmp_path, capsys):
    import json

    from synthetic import synthetic_table

    from nasbench.cli import main
    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    sb = SurrogateBenchmark.fit(synthetic_table(), SurrogateConfig(model="knn", n_train=300, metrics=("valid_acc",)))
    p = tmp_path / "s.h5"
    sb.save(p)
    assert main(["info", str(p)]) == 0
    out = capsys.readouterr().out
    assert "fitted on cells   300" in out and "metrics           valid_acc" in out
    assert main(["info", str(p), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["answers for cells"] == 15625 and facts["sha256"] == sb.sha256 and facts["config"]["model"] == "knn"


def test_the_contract_checks_once_and_kinds_only_look_up(nb201_table, frame_bench):
    """The base class checks every query before a kind's lookup runs; the refusals are error
    classes that carry their messages; records are typed; capabilities are declared."""
    import dataclasses

    from nasbench.tables import query_errors as qe
    from nasbench.tables.benchmark import FreshRunPrediction, Query

    seen = []

    class Spy(type(frame_bench)):
        def _lookup(self, pos, q):
            seen.append(q)
            return super()._lookup(pos, q)

    spy = Spy(nb201_table.to_frame(), nb201_table.meta, int(nb201_table.epochs[-1]), metrics=("valid_acc", "time"), name="spy")
    assert spy.query(11) == nb201_table.query(11)
    assert seen == [Query("valid_acc", int(nb201_table.epochs[-1]), "mean", None)]
    for kwargs, err in (({"metric": "loss"}, qe.UnknownMetric), ({"epoch": 3}, qe.UnknownEpoch),
                        ({"seed": "x"}, qe.BadSeedWord), ({"seed": "random"}, qe.NeedRng),
                        ({"seed": 777}, qe.MeanOnlySeed)):
        with pytest.raises(err):
            spy.query(11, **kwargs)
    missing = int(np.setdiff1d(np.arange(15625), spy.covered)[0]) if len(spy.covered) < 15625 else None
    if missing is not None:
        with pytest.raises(qe.NotCovered, match=f"cell {missing} is not covered by this frame"):
            spy.query_many([missing])
    assert len(seen) == 1, "no lookup runs for a refused query"
    with pytest.raises(qe.UnknownSeed, match=r"seed 5 not in this table; allowed: 'mean', 'random', or one of \[777"):
        nb201_table.query(11, seed=5)
    p = nb201_table.fresh_run_prediction([11, 500], "valid_acc")
    assert isinstance(p, FreshRunPrediction) and dataclasses.is_dataclass(p) and not p.surrogate
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.mean = None
    assert spy.proxy_names == () and spy.timed_proxy_names == () and nb201_table.proxy_names == tuple(nb201_table.proxies)
    with pytest.raises(qe.UnknownProxy, match="unknown proxy 'synflow'; this frame has: none"):
        spy.proxy_cost_many([11], "synflow")
    assert spy.run_seeds([11]).shape == (1, 0) and (nb201_table.run_seeds([11]) == nb201_table.run_seed[nb201_table.arch_row[11]]).all()
    d = dataclasses.replace(nb201_table.meta, extra={"data": {"split_seed": 3}, "seed_groups": [[1, 2]], "other": 1}).details
    assert d.data == {"split_seed": 3} and d.seed_groups == [[1, 2]] and d.training == {} and d.proxy_passes == {}
    assert nb201_table.meta.with_extra(x=1).extra == {**nb201_table.meta.extra, "x": 1} and "x" not in nb201_table.meta.extra

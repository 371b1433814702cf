"""Surrogate estimators, their evaluation and the surrogate benchmark.

Mechanics run on the SYNTHETIC table of tests/synthetic.py (invented numbers); quality checks
on the real NAS-Bench-201 table skip where ../shared/data is absent."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from nasbench.tables.benchmark import QueryError
from nasbench.space import SpaceError
from surrogates import (ENCODINGS, EnsembleSurrogate, GINSurrogate, GPSurrogate, KNNSurrogate, MLPSurrogate,
                        RandomForestSurrogate, RuntimeModel, SurrogateError, XGBSurrogate, encode, encode_graph,
                        ops_of)
from surrogates.benchmark import (SurrogateBenchmark, SurrogateConfig, SurrogateFileError,
                                  load_surrogate_benchmark)
from surrogates.encodings import canonical_ops, effective_table
from surrogates.registry import from_spec, spec_of
from synthetic import synthetic_table

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def small_models():
    """Every estimator, sized to fit in well under a second."""
    return {
        "xgb": XGBSurrogate(n_estimators=20),
        "rf": RandomForestSurrogate(n_estimators=10),
        "gp": GPSurrogate(optimize=False),
        "knn": KNNSurrogate(n_neighbors=3),
        "mlp": MLPSurrogate(hidden=16, epochs=3, min_steps=5),
        "gin": GINSurrogate(hidden=8, layers=2, epochs=3, min_steps=5),
        "ensemble": EnsembleSurrogate(XGBSurrogate(n_estimators=10), n_members=3),
        "runtime": RuntimeModel(n_estimators=20),
    }


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    idx = rng.choice(15625, 120, replace=False)
    X = ops_of(idx)
    c = canonical_ops(X)
    y = 50 + 5 * (c == 3).sum(1) + 2 * (c == 2).sum(1) + rng.normal(0, 0.5, len(idx))
    return X, y


@pytest.fixture(scope="module")
def synth():
    return synthetic_table()


# -- encodings ---------------------------------------------------------------------------------
def test_encodings_shapes_and_reuse_of_space():
    from nasbench.space import encode_ops

    X = ops_of(np.arange(50))
    for kind in ENCODINGS:
        F = encode(X, kind)
        assert F.shape[0] == 50 and F.dtype == np.float32
    for kind in ("onehot", "path", "adjacency"):
        np.testing.assert_array_equal(encode(X, kind), encode_ops(X, kind))
    assert encode(X, "combined").shape[1] == 30 + 84 + 5
    g = encode_graph(X)
    assert g.nodes.shape == (50, 8, 7) and g.adj.shape == (50, 8, 8)


def test_canonical_zeroes_ineffective_edges():
    from nasbench.space import effective_edges

    X = ops_of(np.arange(15625))
    c = canonical_ops(X)
    for i in (0, 1, 77, 5000, 15624):
        eff = effective_edges(i)
        assert all((c[i, e] == X[i, e]) if eff[e] else c[i, e] == 0 for e in range(6))
    assert effective_table().shape == (15625, 6)
    # cells with the same canonical ops share all canonical encodings
    cell = ops_of([0])
    assert np.array_equal(encode(cell, "canonical"), encode(canonical_ops(cell), "canonical"))


def test_bad_cells_are_one_line_errors():
    for bad in (np.array([[0, 1, 2, 3, 4, 5]]), np.zeros((2, 5)), np.array([[0.5, 0, 0, 0, 0, 0]]),
                np.array([[-1, 0, 0, 0, 0, 0]])):
        with pytest.raises(SpaceError) as exc:
            XGBSurrogate().fit(bad, np.ones(len(bad)))
        assert "\n" not in str(exc.value)
    with pytest.raises(SpaceError):
        ops_of([15625])


# -- scikit-learn API --------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(small_models()))
def test_clone_and_cross_val_score(name, data):
    X, y = data
    est = small_models()[name]
    c = clone(est)
    assert spec_of(c) == spec_of(est) and c is not est
    c.set_params(**{k: v for k, v in est.get_params(deep=False).items()})
    yy = y * 10 if name == "runtime" else y  # the runtime model wants positive seconds
    sc = cross_val_score(c, X, yy, cv=3, scoring="r2")
    assert sc.shape == (3,) and np.all(np.isfinite(sc))
    fitted = clone(est).fit(X, yy)
    info, arrays = fitted.get_state()
    json.dumps(info)  # the state is JSON
    back = from_spec(json.loads(json.dumps(spec_of(fitted)))).set_state(info, arrays)
    np.testing.assert_array_equal(back.predict(X[:20]), fitted.predict(X[:20]))


def test_pipeline_and_ensemble_std(data):
    X, y = data
    pipe = Pipeline([("id", FunctionTransformer(lambda a: a)), ("m", XGBSurrogate(n_estimators=20))])
    assert cross_val_score(pipe, X, y, cv=2).shape == (2,)
    ens = EnsembleSurrogate(XGBSurrogate(n_estimators=10), n_members=3).fit(X, y)
    mean, std = ens.predict(X[:10], return_std=True)
    assert mean.shape == std.shape == (10,) and np.all(std >= 0) and np.any(std > 0)
    mixed = EnsembleSurrogate(estimators=[XGBSurrogate(n_estimators=10), KNNSurrogate(n_neighbors=3)],
                              bootstrap=False).fit(X, y)
    assert len(mixed.members_) == 2


def test_fit_is_reproducible(data):
    X, y = data
    for est in (XGBSurrogate(n_estimators=20), MLPSurrogate(hidden=8, epochs=2, min_steps=4)):
        a = clone(est).fit(X, y).predict(X)
        b = clone(est).fit(X, y).predict(X)
        np.testing.assert_array_equal(a, b)


def test_bad_fit_input(data):
    X, y = data
    with pytest.raises(SurrogateError, match="needs at least 5 training cells, got 3") as exc:
        KNNSurrogate(n_neighbors=5).fit(X[:3], y[:3])
    assert "\n" not in str(exc.value)
    with pytest.raises(SurrogateError, match="needs at least"):
        EnsembleSurrogate(KNNSurrogate(n_neighbors=5)).fit(X[:2], y[:2])
    with pytest.raises(SurrogateError, match="NaN"):
        XGBSurrogate().fit(X[:5], [1, 2, np.nan, 4, 5])
    with pytest.raises(SurrogateError, match="cells but y has"):
        XGBSurrogate().fit(X[:5], y[:4])
    with pytest.raises(SurrogateError, match="unknown target_transform"):
        XGBSurrogate(target_transform="cube").fit(X, y)
    with pytest.raises(ValueError, match="unknown encoding"):
        XGBSurrogate(encoding="morse").fit(X, y)
    for est in small_models().values():
        with pytest.raises(NotFittedError):
            est.predict(X[:2])


# -- evaluation --------------------------------------------------------------------------------
def test_evaluate_and_plots(synth, tmp_path):
    from surrogates.evaluation import evaluate, log_sizes, plot_evaluation, scores

    ev = evaluate(synth, {"xgb": XGBSurrogate(n_estimators=20), "knn": KNNSurrogate()}, sizes=[10, 40],
                  repeats=2, test_size=500, seed=1)
    assert len(ev.runs) == 2 * 2 * 2
    summ = ev.summary
    for col in ("r2_mean", "kendall_tau_std", "sparse_kendall_tau_mean", "spearman_mean", "precision_at_10_mean",
                "mae_mean", "fit_s_mean", "predict_s_mean"):
        assert col in summ.columns
    assert (summ["n_test_mean"] == 500).all()
    again = evaluate(synth, {"xgb": XGBSurrogate(n_estimators=20)}, sizes=[10, 40], repeats=2, test_size=500, seed=1)
    np.testing.assert_array_equal(again.runs["kendall_tau"], ev.runs[ev.runs.model == "xgb"]["kendall_tau"])
    paths = plot_evaluation(ev, tmp_path)
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)
    s = scores(np.array([1.0, 2, 3, 4]), np.array([1.04, 2.0, 3.1, 3.9]), top_k=(2,))
    assert s["kendall_tau"] == 1.0 and s["precision_at_2"] == 1.0 and s["sparse_kendall_tau"] == 1.0
    assert log_sizes(10, 5000, 9)[0] == 10 and log_sizes(10, 5000, 9)[-1] == 5000
    with pytest.raises(SurrogateError, match="leaves no test cells"):
        evaluate(synth, {"xgb": XGBSurrogate()}, sizes=[15625])


# -- surrogate benchmark -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def sbench(synth):
    cfg = SurrogateConfig(model="ensemble", model_params={"base_estimator": XGBSurrogate(n_estimators=30),
                                                          "n_members": 2},
                          train_fraction=0.1, epochs=(2, 4), seed=3)
    return SurrogateBenchmark.fit(synth, cfg)


def test_surrogate_answers_like_a_table(sbench, synth):
    from scipy.stats import kendalltau

    b = sbench
    assert set(b.metric_names) == {"valid_acc", "test_acc", "time"}
    assert len(b.train_cells) == 1562 and len(b.covered) == 15625
    cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    v = b.query(cell)
    assert v == b.query(cell) == b.query(to_idx(cell)) == b.query_many([to_idx(cell)])[0]
    assert isinstance(v, float)
    assert b.query(cell, epoch=2) != v
    rng = np.random.default_rng(0)
    draws = b.query_many(np.full(2000, 11), seed="random", rng=rng)
    assert draws.std() > 0 and abs(draws.mean() - b.query(11)) < 0.2
    assert b.query(11, seed=2) == b.query(11, seed=2) != b.query(11, seed=3)
    tau = kendalltau(b.values(), synth.values())[0]
    assert tau > 0.5  # the synthetic numbers depend on ineffective edges too, which the default encoding drops
    assert b.cost(11) > 0 and b.cost(11, epoch=2) == pytest.approx(b.cost(11) / 2)
    assert b.query(11, "time") == b.cost(11)
    assert b.best("test_acc").value == pytest.approx(np.max(b.values("test_acc")))
    # the recorded seed noise of the synthetic table is 0.5 (sd of a single run)
    sd = b.noise_sd("valid_acc")
    assert 0.2 < np.sqrt(np.mean(sd**2)) < 1.0
    # every run of every cell, as a table gives them (one slot per seed, fixed draws)
    runs = b.runs(np.arange(15625), "valid_acc", 2)
    assert runs.shape == (15625, 3) and b.runs(np.arange(15625), "valid_acc").shape == (15625, 3)
    assert runs[11, 1] == b.query(11, epoch=2, seed=int(b.seeds[1]))


def to_idx(cell):
    from nasbench.space import to_cell

    return to_cell(cell).index


def test_surrogate_query_errors(sbench):
    b = sbench
    for call, kind in [(lambda: b.query(0, "loss"), QueryError), (lambda: b.query(0, epoch=3), QueryError),
                       (lambda: b.query(0, seed=42), QueryError), (lambda: b.query(0, seed="random"), QueryError),
                       (lambda: b.query(0, seed="bogus"), QueryError), (lambda: b.query(15625), SpaceError),
                       (lambda: b.query("|foo~0|"), SpaceError), (lambda: b.query_many([0, -1]), SpaceError),
                       (lambda: b.cost(0, epoch=99), QueryError)]:
        with pytest.raises(kind) as exc:
            call()
        assert "\n" not in str(exc.value)
    with pytest.raises(SurrogateError, match="no metric"):
        SurrogateBenchmark.fit(synthetic_table(), SurrogateConfig(metrics=("nope",)))
    with pytest.raises(SurrogateError, match="noise mode"):
        SurrogateBenchmark.fit(synthetic_table(), SurrogateConfig(noise="loud"))


def test_save_load_identical(sbench, tmp_path):
    import nasbench

    path = tmp_path / "s.h5"
    digest = sbench.save(path)
    back = nasbench.load(path)
    assert isinstance(back, SurrogateBenchmark) and back.sha256 == digest
    for metric in ("valid_acc", "test_acc", "time"):
        for e in (2, 4):
            np.testing.assert_array_equal(back.values(metric, e), sbench.values(metric, e))
    np.testing.assert_array_equal(back.values(seed=1), sbench.values(seed=1))
    np.testing.assert_array_equal(back.noise_sd(), sbench.noise_sd())
    np.testing.assert_array_equal(back.predict_std(), sbench.predict_std())
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(back.values(seed="random", rng=r1), sbench.values(seed="random", rng=r2))
    np.testing.assert_array_equal(back.train_cells, sbench.train_cells)
    # no pickle in the file: only HDF5 attributes (JSON text) and numeric datasets
    import h5py

    with h5py.File(path) as f:
        json.loads(f.attrs["manifest"])
        kinds = set()
        f["arrays"].visititems(lambda n, o: kinds.add(o.dtype.kind) if isinstance(o, h5py.Dataset) else None)
    assert kinds <= {"u", "i", "f"}


def test_load_refuses_other_version_wrong_hash_and_others(sbench, tmp_path):
    import h5py

    path = tmp_path / "s.h5"
    sbench.save(path)
    bad_ver = tmp_path / "v.h5"
    bad_ver.write_bytes(path.read_bytes())
    with h5py.File(bad_ver, "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(SurrogateFileError, match="version 99") as exc:
        load_surrogate_benchmark(bad_ver)
    assert "\n" not in str(exc.value)
    bad_hash = tmp_path / "h.h5"
    bad_hash.write_bytes(path.read_bytes())
    with h5py.File(bad_hash, "a") as f:
        arr = f["arrays/train_cells"]
        arr[0] = arr[0] + 1
    with pytest.raises(SurrogateFileError, match="SHA-256 mismatch") as exc:
        load_surrogate_benchmark(bad_hash)
    assert "\n" not in str(exc.value)
    with h5py.File(bad_hash, "a") as f:  # a tampered manifest is caught too
        f["arrays/train_cells"][0] = sbench.train_cells[0]
        f.attrs["manifest"] = str(f.attrs["manifest"]).replace('"noise": "seed"', '"noise": "none"')
    with pytest.raises(SurrogateFileError, match="SHA-256 mismatch"):
        load_surrogate_benchmark(bad_hash)
    not_h5 = tmp_path / "x.h5"
    not_h5.write_text("hello")
    with pytest.raises(SurrogateFileError, match="not an HDF5"):
        load_surrogate_benchmark(not_h5)
    with pytest.raises(SurrogateFileError, match="no such file"):
        load_surrogate_benchmark(tmp_path / "missing.h5")


def test_wrong_hash_opt_out_loads_with_a_warning(sbench, tmp_path, monkeypatch):
    """Forensic use: verify=False (or NASBENCH_NO_VERIFY_HASH=1) loads a surrogate file whose hash
    does not match, warns, and reports the recomputed hash beside the stored one."""
    import h5py

    import nasbench
    from nasbench.tables.hdf5 import HashMismatchWarning

    path = tmp_path / "s.h5"
    stored = sbench.save(path)
    with h5py.File(path, "a") as f:
        f.attrs["manifest"] = str(f.attrs["manifest"]).replace('"name": "', '"name": "x', 1)
    with pytest.raises(SurrogateFileError, match=r"stored .*, computed .*to load it anyway \(forensic use\) pass "
                                                 r"verify=False, --no-verify-hash or set NASBENCH_NO_VERIFY_HASH=1"):
        nasbench.load(path)
    with pytest.warns(HashMismatchWarning, match="surrogate file was altered or is corrupt; loaded anyway"):
        back = nasbench.load(path, verify=False)
    assert back.name.startswith("x") and back.stored_sha256 == stored and back.sha256 != stored
    np.testing.assert_array_equal(back.values(), sbench.values())
    monkeypatch.setenv("NASBENCH_NO_VERIFY_HASH", "1")
    with pytest.warns(HashMismatchWarning):
        assert load_surrogate_benchmark(path).sha256 == back.sha256
    with pytest.raises(SurrogateFileError, match="SHA-256 mismatch"):
        load_surrogate_benchmark(path, verify=True)


def test_surrogate_drives_every_strategy(sbench, tmp_path):
    strategies = pytest.importorskip("nasbench.strategies")
    experiment = pytest.importorskip("nasbench.search.runner")
    cfg = experiment.ExperimentConfig(table="surrogate", strategies=tuple(strategies.DEFAULT_STRATEGIES), runs=2,
                                      budget=strategies.Budget("queries", 30), out=str(tmp_path / "res"),
                                      progress=False)
    res = experiment.run_comparison(cfg, bench=sbench)
    df = res.frame()
    assert set(df["strategy"]) == set(strategies.DEFAULT_STRATEGIES)
    assert (df.groupby(["strategy", "run"]).size() == 30).all()
    assert np.isfinite(df["incumbent_test"]).all()


def test_simple_random_search_loop(sbench):
    rng = np.random.default_rng(0)
    best, spent = -np.inf, 0.0
    for _ in range(50):
        i = int(rng.integers(15625))
        best = max(best, sbench.query(i, seed="random", rng=rng))
        spent += sbench.cost(i)
    assert 0 < best <= 100 and spent > 0


# -- quality on the real table -----------------------------------------------------------------
def test_quality_on_nb201(nb201_table):
    """The suite's default XGBoost beats the plain one-hot baseline at 300 cells (one split)."""
    from surrogates.evaluation import evaluate

    ev = evaluate(nb201_table, {"base": XGBSurrogate(encoding="onehot", target_transform="identity",
                                                     n_estimators=100, learning_rate=0.3, subsample=1.0,
                                                     colsample_bytree=1.0),
                                "xgb": XGBSurrogate(n_estimators=200, learning_rate=0.1)},
                  sizes=[300], repeats=1, test_size=3000)
    tau = ev.runs.set_index("model")["kendall_tau"]
    assert tau["xgb"] > 0.75 and tau["xgb"] > tau["base"] + 0.03


@pytest.mark.slow
def test_surrogate_of_nb201_save_load(nb201_table, tmp_path):
    s = SurrogateBenchmark.fit(nb201_table, SurrogateConfig(train_fraction=0.1))
    # the modelled metrics that the table holds as seed means only: the 200-epoch test accuracy and
    # the 12-epoch validation signal (NAS-Bench-201 publishes both as means)
    assert s.mean_only == {"test_acc", "valid_acc_s12"}
    rng = np.random.default_rng(0)
    assert s.query(0, "test_acc", seed="random", rng=rng) == s.query(0, "test_acc")
    with pytest.raises(QueryError, match="only the mean"):
        s.query(0, "test_acc", seed=777)
    s.save(tmp_path / "nb.h5")
    back = load_surrogate_benchmark(tmp_path / "nb.h5")
    np.testing.assert_array_equal(back.values(), s.values())

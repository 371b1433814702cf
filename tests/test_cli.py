import subprocess
import sys

import h5py
import pytest

from nasbench.cli import main
from conftest import NATS_SAMPLE, NB201_CSV, need

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_info_query_verify(tmp_path, capsys):
    out_h5 = tmp_path / "c10.h5"
    code, out, err = run(capsys, "import", "--format", "csv", str(need(NB201_CSV)), str(out_h5))
    assert code == 0, err
    code, out, _ = run(capsys, "info", str(out_h5))
    assert code == 0 and "15,625 of 15,625" in out and "seed noise" in out
    # published CIFAR-10 (cifar10-valid, 200 epochs): cells differ far more than seeds, the top 1 % do not
    assert "valid_acc 0.297 points" in out and "over all cells 12.801 points = 43.2 x seed noise" in out
    assert "top 1% of cells 0.152 points = 0.51 x seed noise" in out
    code, out, _ = run(capsys, "query", str(out_h5), BEST, "--metric", "test_acc")
    assert code == 0 and out.startswith("6111\t") and "94.3733" in out
    code, out, _ = run(capsys, "query", str(out_h5), "1", "--seed", "888")
    assert code == 0 and "90.716" in out
    code, out, _ = run(capsys, "verify", str(out_h5))
    assert code == 0 and out.startswith("OK")
    with h5py.File(out_h5, "r+") as f:
        f["metrics/valid_acc"][7, 0, 0] += 0.001
    code, _, err = run(capsys, "verify", str(out_h5))
    assert code == 1 and "MISMATCH" in err
    # refuses to overwrite
    code, _, err = run(capsys, "import", "--format", "csv", str(NB201_CSV), str(out_h5))
    assert code == 2 and "--force" in err


def test_import_nats(tmp_path, capsys):
    out_h5 = tmp_path / "nats.h5"
    code, out, err = run(capsys, "import", "--format", "nats-simple", str(need(NATS_SAMPLE)), str(out_h5))
    assert code == 0, err
    code, out, _ = run(capsys, "query", str(out_h5), "11", "--epoch", "200", "--seed", "777")
    assert "valid_acc=87.748" in out


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    from test_table import small_table
    from nasbench.tables.hdf5 import write_table

    p = tmp_path_factory.mktemp("cli") / "toy.h5"
    write_table(p, small_table())
    return p


@pytest.mark.parametrize("argv, msg", [
    (["query", "{t}", "|nor_conv_3x3~0|,|none~0|none~1|,|none~0|none~1|none~2|"], "separated by '+'"),
    (["query", "{t}", "|bad_op~0|+|none~0|none~1|+|none~0|none~1|none~2|"], "unknown op 'bad_op'"),
    (["query", "{t}", "|none~0|+|none~0|+|none~0|none~1|none~2|"], "node 2 must have 2 incoming"),
    (["query", "{t}", "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|"], "must come from node 0"),
    (["query", "{t}", "15625"], "out of range; allowed: 0..15624"),
    (["query", "{t}", "5", "--metric", "acc"], "unknown metric 'acc'; this table has: test_acc, time, train_loss, valid_acc"),
    (["query", "{t}", "5", "--epoch", "99"], "epoch 99 not recorded; this table has epochs 1..4"),
    (["query", "{t}", "5", "--seed", "4"], "seed 4 not in this table; allowed"),
    (["query", "{t}", "6"], "not covered"),
    (["info", "/no/such/file.h5"], "no such file"),
    (["info", "no-such-table-name"], "no table named"),
    (["import", "--format", "nats-simple", "/no/such/dir", "{tmp}/o.h5"], "not a directory"),
])
def test_bad_input_one_line_exit_2(argv, msg, table_path, tmp_path, capsys):
    argv = [a.format(t=table_path, tmp=tmp_path) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert msg in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_files_exit_2(tmp_path, table_path, capsys):
    notes = tmp_path / "notes.h5"
    notes.write_text("plain text")
    trunc = tmp_path / "trunc.h5"
    trunc.write_bytes(table_path.read_bytes()[:2000])
    v2 = tmp_path / "v2.h5"
    v2.write_bytes(table_path.read_bytes())
    with h5py.File(v2, "r+") as f:
        f.attrs["format_version"] = 99
    for path, msg in ((notes, "not an HDF5 file"), (trunc, "truncated"), (v2, "format version 99")):
        for cmd in ("info", "verify"):
            code, _, err = run(capsys, cmd, str(path))
            assert code == 2 and msg in err and len(err.strip().splitlines()) == 1


def test_modified_table_is_refused_by_every_loading_command(tmp_path, capsys, monkeypatch):
    """One flipped value: info, query, compare, surrogate fit/eval and validate refuse the table
    (exit 2, one line naming the file, both hash prefixes and the opt-out) and write nothing;
    --no-verify-hash loads it with one warning line, and provenance records the recomputed hash."""
    import json
    import os

    import numpy as np
    from synthetic import synthetic_table
    from nasbench.tables.hdf5 import verify_table, write_table

    monkeypatch.delenv("NASBENCH_NO_VERIFY_HASH", raising=False)
    p = tmp_path / "syn.h5"
    stored = write_table(p, synthetic_table())
    with h5py.File(p, "r+") as f:
        d = f["metrics/valid_acc"]
        d[11, 0, 3] = np.nextafter(d[11, 0, 3], np.inf)
    computed = verify_table(p).computed
    cmp_out, sur_out, val_out = tmp_path / "cmp", tmp_path / "sur.h5", tmp_path / "val"
    compare = ["compare", "--table", str(p), "--out", str(cmp_out), "--runs", "1", "--budget", "5",
               "--strategies", "random", "--no-plots", "--no-progress"]
    for argv in (["info", str(p)], ["query", str(p), "5"], compare,
                 ["surrogate", "fit", "--table", str(p), "--out", str(sur_out), "--model", "xgb", "--n-train", "50",
                  "--no-progress"],
                 ["surrogate", "eval", "--table", str(p), "--out", str(tmp_path / "ev"), "--sizes", "20",
                  "--repeats", "1", "--no-progress"],
                 ["validate", "--cells", "5", "--table", str(p), "--out", str(val_out), "--no-plots", "--no-progress"]):
        code, _, err = run(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1, (argv, err)
        assert f"{p}: SHA-256 mismatch (stored {stored[:12]}..., computed {computed[:12]}...)" in err, (argv, err)
        assert "--no-verify-hash" in err
    assert not any(x.exists() for x in (cmp_out, sur_out, val_out, tmp_path / "ev"))
    code, stdout, err = run(capsys, "query", str(p), "5", "--no-verify-hash")
    assert code == 0 and stdout.startswith("5\t")
    assert err.startswith("nasbench query: warning: ") and "loaded anyway" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, *compare, "--no-verify-hash")
    assert code == 0, err
    prov = json.loads((cmp_out / "provenance.json").read_text())
    assert prov["table"]["sha256"] == computed and prov["table"]["stored_sha256_mismatch"] == stored
    assert "NASBENCH_NO_VERIFY_HASH" not in os.environ  # the flag holds for its command only
    code, _, err = run(capsys, "info", str(p))
    assert code == 2 and "SHA-256 mismatch" in err


def test_bad_layout_is_one_line_exit_2(tmp_path, table_path, capsys):
    """An arch_row that points past the rows, stored with a matching hash (a buggy writer)."""
    import numpy as np
    from test_table import _tamper

    p = tmp_path / "bad.h5"
    p.write_bytes(table_path.read_bytes())
    with h5py.File(p) as f:
        arch_row = f["arch_row"][()]
    arch_row[50] = 7
    _tamper(p, "arch_row", arch_row, rehash=True)
    for argv in (["info", str(p)], ["query", str(p), "50"], ["query", str(p), "50", "--no-verify-hash"],
                 ["verify", str(p)]):  # the hash matches, but an OK from verify means the file loads
        code, _, err = run(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert f"{p} is inconsistent: arch_row[50] = 7 points outside the 3 rows" in err


def test_console_script_help():
    r = subprocess.run([sys.executable, "-m", "nasbench.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "info" in r.stdout and "query" in r.stdout
    r = subprocess.run([sys.executable, "-m", "nasbench.cli", "query"], capture_output=True, text=True)
    assert r.returncode == 2


@pytest.mark.parametrize("argv, msg", [
    (["bogus"], "invalid choice: 'bogus'"),
    (["query"], "the following arguments are required: table"),
    (["compare", "--runs", "x"], "invalid int value: 'x'"),
    (["generate", "--cpu-memory-format", "nhwc"], "invalid choice: 'nhwc' (choose from 'channels_last', 'contiguous')"),
    (["surrogate", "fit"], "required: --table, --out"),
])
def test_usage_errors_are_one_line(argv, msg):
    r = subprocess.run([sys.executable, "-m", "nasbench.cli", *argv], capture_output=True, text=True)
    assert r.returncode == 2 and msg in r.stderr and "--help)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_main_job_runs_on_the_default_embedded_table(tmp_path, capsys):
    """The README's first command, shrunk to 2 runs: no --table, so the embedded default benchmark
    (NAS-Bench-201 CIFAR-10) under its preset: NAS-Bench-201's protocol and 12,000 s budget."""
    import json

    import nasbench
    from nasbench.search.runner import DEFAULT_STRATEGIES, DEFAULT_TABLE
    from nasbench.tables.hdf5 import TableError

    try:
        bench = nasbench.load(DEFAULT_TABLE)
    except TableError as exc:
        pytest.skip(f"embedded default table {DEFAULT_TABLE} not present: {str(exc).splitlines()[0]}")
    out = tmp_path / "default"
    code, stdout, err = run(capsys, "compare", "--out", str(out), "--runs", "2", "--no-progress")
    assert code == 0, err
    assert all(name in stdout for name in DEFAULT_STRATEGIES)
    assert f"optimum test {bench.best('test_acc').value:.3f}" in stdout and "optimum test 94.373" in stdout
    assert (out / "results.csv").is_file() and (out / "figures" / "final_test.pdf").is_file()
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["table"] == "nb201-cifar10" and cfg["budget"] == {"kind": "seconds", "amount": 12000}
    assert cfg["protocol"]["metric"] == "valid_acc_s12" and cfg["protocol"]["cost_factor"] == 12 / 200
    import pandas as pd

    fin = pd.read_csv(out / "results.csv").groupby(["strategy", "run"]).tail(1)
    assert (fin["sim_time"] <= 12000).all() and (fin["step"] > 50).all()  # ~100 queries of ~120 s each


def test_compare_plot_and_errors(nb201_h5, tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, err = run(capsys, "compare", "--table", str(nb201_h5), "--out", str(out), "--runs", "2",
                            "--budget", "20", "--budget-kind", "queries", "--strategies", "random,evolution",
                            "--no-progress")  # a bare --budget keeps the preset's kind (seconds): 20 queries asked
    assert code == 0, err
    assert "random" in stdout and "evolution" in stdout and "optimum test 94.373" in stdout
    assert (out / "results.csv").is_file() and (out / "figures" / "regret_vs_queries.png").is_file()
    code, stdout, _ = run(capsys, "plot", str(out), "--out", str(tmp_path / "figs"))
    assert code == 0 and (tmp_path / "figs" / "final_test.pdf").is_file()
    for argv, msg in (
        (["compare", "--table", str(nb201_h5), "--out", str(out), "--runs", "2", "--budget", "20",
          "--budget-kind", "queries", "--strategies", "random,evolution", "--no-progress"], "resume"),
        (["compare", "--table", str(nb201_h5), "--out", str(tmp_path / "x"), "--strategies", "random,annealing"],
         "unknown strategy 'annealing'; valid: random"),
        (["compare", "--table", str(nb201_h5), "--out", str(tmp_path / "x"), "--param", "evolution.pop=3"],
         "has no parameter 'pop'; valid: population"),
        (["compare", "--table", str(nb201_h5), "--out", str(tmp_path / "x"), "--runs", "0"], "runs must be a positive"),
        (["compare", "--table", str(nb201_h5), "--out", str(tmp_path / "x"), "--budget", "0"], "budget amount"),
        (["plot", str(tmp_path / "nothing")], "no results directory"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, (argv, err)


def test_surrogate_fit_query_verify(nb201_h5, tmp_path, capsys):
    out = tmp_path / "sur.h5"
    code, _, err = run(capsys, "surrogate", "fit", "--table", str(nb201_h5), "--out", str(out), "--model", "xgb",
                       "--n-train", "300", "--no-progress")
    assert code == 0, err
    code, stdout, _ = run(capsys, "query", str(out), "6111", "--metric", "test_acc")
    assert code == 0 and stdout.startswith("6111\t")
    code, stdout, _ = run(capsys, "info", str(out))
    assert code == 0 and "fitted on cells   300" in stdout
    code, stdout, _ = run(capsys, "verify", str(out))
    assert code == 0 and stdout.startswith("OK")
    code, _, err = run(capsys, "surrogate", "fit", "--table", str(nb201_h5), "--out", str(tmp_path / "s2.h5"),
                       "--model", "svm")
    assert code == 2 and "unknown model 'svm'" in err
    code, _, err = run(capsys, "surrogate", "eval", "--table", str(nb201_h5), "--sizes", "0")
    assert code == 2 and "--sizes must be positive" in err


# -- flags over a config file, and bad input that must write nothing (SYNTHETIC table: mechanics only)
def _config_json(out):
    import json

    return json.loads((out / "config.json").read_text())


@pytest.mark.parametrize("flags, check", [
    (["--budget", "50"], lambda c: c["budget"] == {"kind": "seconds", "amount": 50.0}),
    (["--budget-kind", "queries"], lambda c: c["budget"] == {"kind": "queries", "amount": 3}),
    (["--strategies", "random"], lambda c: [s["label"] for s in c["strategies"]] == ["random"]),
    (["--metric", "valid_acc"], lambda c: c["protocol"]["metric"] == "valid_acc" and c["protocol"]["epoch"] == 3),
    (["--seed-mode", "mean"], lambda c: c["protocol"]["seed"] == "mean" and c["protocol"]["metric"] == "time"),
    (["--epoch", "2"], lambda c: c["protocol"]["epoch"] == 2 and c["protocol"]["metric"] == "time"),
    (["--runs", "2", "--seed", "5"], lambda c: c["runs"] == 2 and c["seed"] == 5),
])
def test_flags_override_the_config_file(flags, check, synthetic_h5, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'table = "{synthetic_h5}"\nstrategies = ["random", "evolution"]\nruns = 1\n'
                   'budget = {kind = "seconds", amount = 3}\nprotocol = {metric = "time", epoch = 3}\n'
                   f'out = "{tmp_path / "file-out"}"\nprogress = false\n[params.evolution]\nsample_size = 3\n')
    out = tmp_path / "o"
    code, _, err = run(capsys, "compare", str(cfg), "--out", str(out), "--no-plots", *flags)
    assert code == 0, err
    c = _config_json(out)
    assert check(c), c
    assert c["table"] == str(synthetic_h5) and not (tmp_path / "file-out").exists()
    for s in c["strategies"]:
        assert s["params"] == ({"sample_size": 3} if s["label"] == "evolution" else {})


@pytest.mark.parametrize("name, text, msg", [
    ("c.toml", "strategies = 5\n", "c.toml:1: strategies must be a non-empty list"),
    ("c.yaml", "strategies:\n", "c.yaml:1: strategies must be a non-empty list"),
    ("c.yaml", "out: 5\n", "c.yaml:1: out must be a directory path"),
    ("c.toml", 'resume = "yes"\n', "c.toml:1: resume must be true or false"),
])
def test_config_file_wrong_types_exit_2(name, text, msg, tmp_path, capsys):
    cfg = tmp_path / name
    cfg.write_text(text)
    code, _, err = run(capsys, "compare", str(cfg), "--no-plots", "--no-progress")
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written


@pytest.mark.parametrize("flags, msg", [
    (["--strategies", ""], "--strategies names no strategy; give a comma-separated list of: random, evolution"),
    (["--strategies", " , "], "--strategies names no strategy"),
    (["--budget", "1e9"], "budget of 1e+09 queries is beyond the cap of 1,000,000 queries per run"),
    (["--budget", "inf"], "budget amount must be a positive finite number, got inf"),
    (["--budget", "nan"], "budget amount must be a positive finite number, got nan"),
    (["--budget-kind", "seconds", "--budget", "1e15"], "could take more than the cap of 1,000,000 queries per run"),
    (["--budget-kind", "epochs", "--budget", "1e9"], "the largest budget allowed here is 4e+06 epochs"),
    (["--param", "evolution.population=1e308"], "evolution: population = 1e+308 is out of range; integer parameters"),
    (["--param", "evolution.sample_size=2e6"], "evolution: sample_size = 2e+06 is out of range"),
    (["--param", "reinforce.lr=inf"], "reinforce: lr = inf is out of range; numbers must be finite"),
    (["--param", "reinforce.lr=1e308"], "reinforce: lr = 1e+308 is out of range"),
    (["--param", "gradient.temperature=-1e300"], "gradient: temperature = -1e+300 is out of range"),
])
def test_compare_bad_flags_exit_2_and_write_nothing(flags, msg, synthetic_h5, tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = run(capsys, "compare", "--table", str(synthetic_h5), "--runs", "1", "--budget", "5", "--out", str(out),
                       "--no-progress", *flags)
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()

"""The bad-input suite: every input a careless user or an attacker can give (flags, configuration
files, table and surrogate files, dataset files, journals, arguments of the Python API) is refused
with the project's error, which the command line turns into exit 2 and one line on stderr.

Each case is one row: an id, how to build its inputs in a fresh folder, the argv of ``nasbench``
(run in-process: fast) or a Python callable, and a fragment of the expected message. Cases that
would exhaust memory or hang if their guard regressed run in a subprocess with a heap limit
(``RLIMIT_DATA`` 500 MB: ``RLIMIT_AS`` would stop torch from importing at all) and a 20 s timeout.
The tables here are SYNTHETIC (mechanics only). Faults of other kinds (cut files, signals,
symlinks, ``validate``) have their own test files.
"""
from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import pytest

import nasbench
from nasbench.cli import main
from nasbench.errors import NasbenchError

REPO = Path(__file__).resolve().parents[1]


# -- inputs ------------------------------------------------------------------------------------
def _toy(tmp: Path) -> Path:
    """The 3-cell SYNTHETIC table of test_table, as a file."""
    from test_table import small_table
    from nasbench.tables.hdf5 import write_table

    p = tmp / "toy.h5"
    if not p.exists():
        write_table(p, small_table())
    return p


def _cifar_like(tmp: Path) -> Path:
    """A SYNTHETIC full table recorded as dataset cifar10 (proxies run on a stand-in batch)."""
    from synthetic import synthetic_table
    from nasbench.tables.hdf5 import write_table

    p = tmp / "c10.h5"
    write_table(p, synthetic_table(dataset="cifar10"))
    return p


def _set_attr(tmp: Path, name: str, value) -> None:
    """Change one attribute of the toy table and store the hash of the new content (a buggy
    writer), so that the check under test, not the hash, answers."""
    from nasbench.tables.hdf5 import _read_contents, compute_sha256

    p = _toy(tmp)
    with h5py.File(p, "r+") as f:
        f.attrs[name] = value
    try:
        c = _read_contents(p)
    except NasbenchError:
        return  # the attribute is refused before the hash is computed
    with h5py.File(p, "r+") as f:
        f.attrs["sha256"] = compute_sha256(c.arrays, c.attrs, c.mean_only)


def _huge_array(tmp: Path) -> None:
    """The toy table with one metric declaring 15625 x 3 x 20000 float64 (7.5 GB, no data written)."""
    p = _toy(tmp)
    with h5py.File(p, "r+") as f:
        del f["metrics/valid_acc"]
        f.create_dataset("metrics/valid_acc", shape=(15625, 3, 20000), dtype="f8", chunks=(1, 3, 20000))


def _write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return setup


def _fifo(name: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        os.mkfifo(tmp / name)
    return setup


def _journal(*lines) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        _cifar_like(tmp)
        (tmp / "j.jsonl").write_text("".join(json.dumps(x) + "\n" for x in ({"header": {}},) + lines))
    return setup


_BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))
_CSV_HEAD = "arch_index,seed,epoch,valid_acc,test_acc,time\n"


@dataclass(frozen=True)
class Case:
    """One bad input: ``argv`` of ``nasbench`` ({tmp}: the case's folder, {toy}: the toy table),
    prepared by ``setup``; ``env`` set while it runs; ``isolate``: run in a subprocess with the
    memory and time guard."""

    id: str
    argv: tuple[str, ...]
    msg: str
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    isolate: bool = False
    code: int = 2


COMPARE = ("compare", "--table", "{toy}", "--runs", "1", "--budget", "3", "--no-plots", "--no-progress",
           "--out", "{tmp}/out")
CASES = [
    # -- counts beyond their stated maxima (issue 23 item 6), and zero or negative (item 8)
    Case("runs-1e10", (*COMPARE, "--runs", "10000000000"), "runs 10,000,000,000 is beyond the maximum of 10,000",
         isolate=True),
    Case("workers-1e7", (*COMPARE, "--workers", "10000000"), "workers 10,000,000 is beyond the maximum of 1,024",
         isolate=True),
    Case("jobs-huge", (*COMPARE, "--jobs", "100000"), "jobs 100,000 is beyond the maximum of 512"),
    Case("jobs-0", (*COMPARE, "--jobs", "0"), "jobs must be a positive integer, got 0"),
    Case("jobs-negative", (*COMPARE, "--jobs", "-3"), "jobs must be a positive integer, got -3"),
    Case("strategies-20000", ("compare", "{tmp}/c.toml", "--no-plots", "--no-progress"),
         "strategies: 20,000 given, beyond the maximum of 64",
         _write("c.toml", "strategies = [" + ", ".join(['"random"'] * 20000) + "]\n"), isolate=True),
    Case("proxies-threads", ("proxies", "{toy}", "--threads", "100000"), "--threads 100,000 is beyond the maximum of 256"),
    Case("proxies-jobs-0", ("proxies", "{toy}", "--jobs", "0"), "--jobs must be a positive integer, got 0"),
    Case("proxies-jobs-negative", ("proxies", "{toy}", "--jobs", "-3"), "--jobs must be a positive integer, got -3"),
    Case("proxies-limit-huge", ("proxies", "{toy}", "--limit", "100000000000"), "--limit 100,000,000,000 is beyond"),
    Case("proxies-limit-float", ("proxies", "{toy}", "--limit", "1e11"), "invalid int value: '1e11'"),
    Case("proxies-batch-huge", ("proxies", "{toy}", "--batch-size", "10000000"), "--batch-size 10,000,000 is beyond"),
    Case("verify-retrain-huge", ("verify", "{toy}", "--retrain", "1000000000"),
         "--retrain 1,000,000,000 is beyond the maximum of 1,000"),
    Case("generate-jobs-0", ("generate", "--dataset", "digits", "--out", "{tmp}/g.h5", "--jobs", "0"),
         "jobs must be a positive integer, got 0"),
    Case("generate-limit-huge", ("generate", "--dataset", "digits", "--out", "{tmp}/g.h5", "--limit", "100000000000"),
         "limit 100,000,000,000 is beyond the maximum of 10,000,000"),
    Case("generate-epochs-huge", ("generate", "--dataset", "digits", "--out", "{tmp}/g.h5", "--epochs", "1000000000"),
         "epochs 1,000,000,000 is beyond the maximum of 10,000"),
    Case("surrogate-eval-repeats-huge", ("surrogate", "eval", "--table", "{toy}", "--repeats", "100000000"),
         "--repeats 100,000,000 is beyond the maximum of 10,000"),
    Case("query-rng-seed-negative", ("query", "{toy}", "5", "--seed", "random", "--rng-seed", "-1"),
         "--rng-seed must be a non-negative integer, got -1"),
    Case("surrogate-fit-seed-negative", ("surrogate", "fit", "--table", "{toy}", "--out", "{tmp}/s.h5", "--model",
                                         "knn", "--seed", "-1"), "seed must be a non-negative integer, got -1"),
    Case("surrogate-eval-seed-negative", ("surrogate", "eval", "--table", "{toy}", "--models", "knn", "--sizes", "2",
                                          "--repeats", "1", "--out", "{tmp}/se", "--seed", "-1"),
         "seed must be a non-negative integer, got -1"),
    # -- configuration files: size, depth, aliases, non-regular files
    Case("yaml-billion-laughs", ("compare", "{tmp}/c.yaml"), "YAML anchors and aliases (&name, *name) are not allowed",
         _write("c.yaml", _BILLION_LAUGHS), isolate=True),
    Case("yaml-deep", ("compare", "{tmp}/c.yaml"), "nested more than 32 levels deep",
         _write("c.yaml", "runs: " + "[" * 5000 + "]" * 5000 + "\n")),
    Case("yaml-deep-block", ("compare", "{tmp}/c.yaml"), "nested more than 32 levels deep",
         _write("c.yaml", "".join(" " * i + f"k{i}:\n" for i in range(40)) + " " * 40 + "v: 1\n")),
    Case("toml-deep", ("compare", "{tmp}/c.toml"), "nested more than 32 levels deep",
         _write("c.toml", "runs = " + "[" * 5000 + "]" * 5000 + "\n")),
    Case("toml-deep-dotted", ("compare", "{tmp}/c.toml"), "nested more than 32 levels deep",
         _write("c.toml", "params." + ".".join(f"k{i}" for i in range(40)) + " = 1\n")),
    Case("config-too-big", ("compare", "{tmp}/c.toml"), "may hold at most 1,048,576 bytes",
         _write("c.toml", "# " + "x" * (2 << 20) + "\n")),
    Case("config-fifo", ("compare", "{tmp}/c.toml"), "is not a regular file", _fifo("c.toml"), isolate=True),
    Case("param-deep", (*COMPARE, "--param", "random.x=" + "[" * 100000), "parameter value nested too deeply"),
    Case("budget-without-amount", ("compare", "{tmp}/c.toml"), "c.toml:2: budget needs an amount",
         _write("c.toml", 'strategies = ["random"]\nbudget = {kind = "seconds"}\n')),
    Case("label-with-dots", ("compare", "{tmp}/c.toml"), "strategy label 'a.b' may use letters, digits and _ + - only",
         _write("c.toml", 'strategies = [{name = "random", label = "a.b"}]\n')),
    Case("label-dotdot", ("compare", "{tmp}/c.toml"), "strategy label '..' may use letters",
         _write("c.toml", 'strategies = [{name = "random", label = ".."}]\n')),
    # -- table files: FIFO, declared sizes, metadata of the wrong type (items 6, 7)
    Case("table-fifo", ("info", "{tmp}/t.h5"), "is not a regular file", _fifo("t.h5"), isolate=True),
    Case("table-array-7GB", ("info", "{toy}"), "declares 7,500,000,000 bytes", _huge_array, isolate=True),
    Case("meta-extra-string", ("info", "{toy}"), "metadata extra must be a mapping with string keys, got str",
         lambda tmp: _set_attr(tmp, "extra", '"abc"')),
    Case("meta-split-sizes-list", ("info", "{toy}"), "metadata split_sizes must be a mapping",
         lambda tmp: _set_attr(tmp, "split_sizes", "[1, 2]")),
    Case("meta-recipe-scalar", ("query", "{toy}", "5"), "metadata recipe must be a mapping",
         lambda tmp: _set_attr(tmp, "recipe", "5")),
    Case("meta-dataset-array", ("info", "{toy}"), "attribute dataset must be text, got ndarray",
         lambda tmp: _set_attr(tmp, "dataset", np.array([1, 2]))),
    Case("meta-version-array", ("info", "{toy}"), "has table format version [1 1]",
         lambda tmp: _set_attr(tmp, "format_version", np.array([1, 1]))),
    Case("meta-mean-only-scalar", ("info", "{toy}"), "attribute mean_only must be a list of metric names, got 5",
         lambda tmp: _set_attr(tmp, "mean_only", "5")),
    Case("meta-extra-deep", ("info", "{toy}"), "attribute extra: nested more than 32 levels deep",
         lambda tmp: _set_attr(tmp, "extra", "[" * 5000 + "]" * 5000)),
    Case("hash-env-maybe", ("info", "{toy}"), "NASBENCH_NO_VERIFY_HASH='maybe': allowed values are 1",
         _toy, env={"NASBENCH_NO_VERIFY_HASH": "maybe"}),
    Case("hash-env-false", ("query", "{toy}", "5"), "NASBENCH_NO_VERIFY_HASH='false': allowed values are 1",
         _toy, env={"NASBENCH_NO_VERIFY_HASH": "false"}),
    # -- CSV import, also through info, query and compare (item 8)
    Case("csv-long-row", ("import", "--format", "csv", "{tmp}/r.csv", "{tmp}/o.h5"),
         "r.csv:3: 8 fields, but the header has 6", _write("r.csv", _CSV_HEAD + "5,1,1,90,90,10\n1,50,1,10,90,10,7,7\n")),
    Case("csv-short-row", ("info", "{tmp}/r.csv"), "r.csv:2: 4 fields, but the header has 6",
         _write("r.csv", _CSV_HEAD + "5,1,1,90\n")),
    Case("csv-short-row-query", ("query", "{tmp}/r.csv", "5"), "r.csv:3: 5 fields",
         _write("r.csv", _CSV_HEAD + "5,1,1,90,90,10\n6,1,1,90,90\n")),
    Case("csv-column-slash", ("import", "--format", "csv", "{tmp}/r.csv", "{tmp}/o.h5"),
         "column name 'latency_a/b' holds '/'",
         _write("r.csv", _CSV_HEAD.strip() + ",latency_a/b\n5,1,1,90,90,10,1\n")),
    Case("csv-column-dotdot", ("import", "--format", "csv", "{tmp}/r.csv", "{tmp}/o.h5"),
         "column name 'latency_..' holds", _write("r.csv", _CSV_HEAD.strip() + ",latency_..\n5,1,1,90,90,10,1\n")),
    Case("csv-negative-index", ("info", "{tmp}/r.csv"), "arch_index -1 out of range 0..15624",
         _write("r.csv", _CSV_HEAD + "-1,1,1,90,90,10\n")),
    Case("csv-fifo", ("info", "{tmp}/r.csv"), "is not a regular file", _fifo("r.csv"), isolate=True),
    # -- proxies: journal lines (item 7), --data-dir for a stand-in batch (item 8)
    Case("journal-line-array", ("proxies", "{tmp}/c10.h5", "--journal", "{tmp}/j.jsonl", "--limit", "1",
                                "--no-progress"), "j.jsonl: line 2 is damaged (a JSON list, not a record)",
         _journal([1, 2])),
    Case("journal-line-null", ("proxies", "{tmp}/c10.h5", "--journal", "{tmp}/j.jsonl", "--limit", "1",
                               "--no-progress"), "j.jsonl: line 2 is damaged (a JSON NoneType, not a record)",
         _journal(None)),
    Case("journal-class-negative", ("proxies", "{tmp}/c10.h5", "--journal", "{tmp}/j.jsonl", "--limit", "1",
                                    "--no-progress"), "j.jsonl: line 2 is damaged ('class' is not a non-negative whole number)",
         _journal({"class": -1, "index": 5, "values": {}})),
    Case("journal-index-out-of-range", ("proxies", "{tmp}/c10.h5", "--journal", "{tmp}/j.jsonl", "--limit", "1",
                                        "--no-progress"), "j.jsonl: index must be an integer in 0..15624, got 99999",
         _journal({"class": 3, "index": 99999, "values": {}})),
    Case("proxies-data-dir-unread", ("proxies", "{tmp}/c10.h5", "--data-dir", "{tmp}", "--limit", "1"),
         "records no dataset of its own", lambda tmp: _cifar_like(tmp) and None),
    # -- flags that do not go together (item 8)
    Case("generate-preset-and-dataset", ("generate", "--preset", "nb201-digits", "--dataset", "digits"),
         "--dataset with --preset"),
    Case("compare-address-without-ray", (*COMPARE, "--address", "10.0.0.1:6379"),
         "address is a Ray cluster's address: give it with executor ray"),
    Case("generate-address-without-ray", ("generate", "--dataset", "digits", "--out", "{tmp}/g.h5", "--address",
                                          "10.0.0.1:6379"), "give it with executor ray"),
]


def _prepare(case: Case, tmp: Path) -> list[str]:
    if case.setup is not None:
        case.setup(tmp)
    toy = tmp / "toy.h5"
    if "{toy}" in " ".join(case.argv) and not toy.exists():
        _toy(tmp)
    return [a.format(tmp=tmp, toy=toy) for a in case.argv]


def _heap_limit() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_DATA, (500 << 20, 500 << 20))


def _run_isolated(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "nasbench.cli", *argv], capture_output=True, text=True, timeout=20,
                          preexec_fn=_heap_limit, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", **env})
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line(case: Case, tmp_path, capsys, monkeypatch):
    argv = _prepare(case, tmp_path)
    if case.isolate:
        code, err = _run_isolated(argv, case.env)
    else:
        for k, v in case.env.items():
            monkeypatch.setenv(k, v)
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
        err = capsys.readouterr().err
    assert code == case.code, err
    assert case.msg in err, err
    assert len(err.strip().splitlines()) <= 2 and "Traceback" not in err, err


# -- dataset files ---------------------------------------------------------------------------
def _idx(dims: tuple[int, ...], payload: int | None = None, magic: bytes = b"\x00\x00\x08") -> bytes:
    head = magic + bytes([len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    n = int(np.prod(dims)) if payload is None else payload
    return head + bytes(n)


@pytest.mark.parametrize("content, msg", [
    (b"\x00\x00", "truncated IDX header (2 bytes"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header (6 bytes, 16 declared)"),
    (_idx((60000,), magic=b"\x12\x34\x08"), "not an IDX file (magic bytes 12340801"),
    (_idx((60000,), magic=b"\x00\x00\x0d"), "idx type 0xd is not unsigned byte"),
    (_idx((4_000_000_000,), payload=0), "IDX header declares shape (4000000000,); allowed: up to (60000,)"),
    (_idx((100,), payload=50), "IDX header declares 100 bytes of data, the file holds 50"),
    (_idx((100, 2)), "IDX header declares shape (100, 2); allowed: up to (60000,)"),
], ids=["short", "cut-dims", "magic", "type", "huge-dims", "cut-data", "extra-dim"])
def test_malformed_idx_is_one_line(content, msg, tmp_path):
    from nasbench.training.datasets import DatasetError, _read_idx

    (tmp_path / "train-labels-idx1-ubyte").write_bytes(content)
    with pytest.raises(DatasetError, match=msg.replace("(", r"\(").replace(")", r"\)")) as exc:
        _read_idx(tmp_path, "train-labels-idx1-ubyte")
    assert "\n" not in str(exc.value)


_GZIP_BOMB = """
import gzip, struct, sys
from pathlib import Path
d = Path(sys.argv[1])
with gzip.open(d / "train-images-idx3-ubyte.gz", "wb", compresslevel=1) as f:
    f.write(b"\\x00\\x00\\x08\\x03" + struct.pack(">3I", 60000, 28, 28))
    zeros = bytes(1 << 20)
    for _ in range(64):  # 64 MB of zeros after the header (the file holds 47 MB): 64 KB on disk
        f.write(zeros)
from nasbench.training.datasets import DatasetError, _read_idx
try:
    _read_idx(d, "train-images-idx3-ubyte")
except DatasetError as exc:
    print(exc)
"""


def test_gzip_bomb_in_a_dataset_dir_reads_at_most_the_expected_size(tmp_path):
    proc = subprocess.run([sys.executable, "-c", _GZIP_BOMB, str(tmp_path)], capture_output=True, text=True,
                          timeout=60, preexec_fn=_heap_limit, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "holds more than the 47,040,016 bytes expected of it" in proc.stdout


# -- surrogate files -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def surrogate_file(tmp_path_factory):
    from synthetic import synthetic_table
    from surrogates.benchmark import SurrogateBenchmark, SurrogateConfig

    p = tmp_path_factory.mktemp("sur") / "s.h5"
    SurrogateBenchmark.fit(synthetic_table(), SurrogateConfig(model="knn", n_train=200, noise="none",
                                                              metrics=("valid_acc",))).save(p)
    return p


def _rehash_surrogate(p: Path) -> None:
    from surrogates.surrogate_file import _digest

    with h5py.File(p, "r+") as f:
        arrays = {}
        f["arrays"].visititems(lambda n, o: arrays.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
        f.attrs["sha256"] = _digest(str(f.attrs["manifest"]), arrays)


def _surrogate_weights(f) -> None:
    name = next(n for n in ("arrays/model/valid_acc@4/train_F",) if n in f)
    del f[name]
    f.create_dataset(name, data=np.ones((200, 3)))


def _surrogate_meta(f) -> None:
    m = json.loads(str(f.attrs["manifest"]))
    m["meta"]["extra"] = "abc"
    f.attrs["manifest"] = json.dumps(m)


def _surrogate_deep(f) -> None:
    f.attrs["manifest"] = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("tamper, msg", [
    (_surrogate_weights, "has an inconsistent manifest or model weights"),
    (_surrogate_meta, "metadata extra must be a mapping with string keys, got str"),
    (_surrogate_deep, "manifest: nested more than 32 levels deep"),
], ids=["wrong-shape-weights", "meta-extra-string", "manifest-deep"])
def test_bad_surrogate_file_is_one_line(tamper, msg, surrogate_file, tmp_path, capsys):
    p = tmp_path / "s.h5"
    p.write_bytes(surrogate_file.read_bytes())
    with h5py.File(p, "r+") as f:
        tamper(f)
    _rehash_surrogate(p)
    code = main(["query", str(p), "5"])
    err = capsys.readouterr().err
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err


# -- the Python API (item 9) -------------------------------------------------------------------
def _edges(cell: int) -> dict:
    from nasbench.strategies.cellspace import cell_to_dict

    return cell_to_dict(cell)


def _hpo(bench):
    from nasbench.bridges.hpobench import HPOBenchBenchmark

    return HPOBenchBenchmark(bench)


def _optuna(bench, **kw):
    from nasbench.bridges.optuna_problem import OptunaProblem

    return OptunaProblem(bench, **kw)


API_CASES = [
    ("query-seed-none", lambda b: b.query(5, seed=None), "seed None not in this table"),
    ("query-seed-float", lambda b: b.query(5, seed=1.5), "seed 1.5 not in this table"),
    ("query-rng-int", lambda b: b.query(5, seed="random", rng=3), "seed='random' needs rng=numpy.random.Generator"),
    ("query-many-seed-none", lambda b: b.query_many([5, 6], seed=None), "seed None not in this table"),
    ("hpo-config-none", lambda b: _hpo(b).objective_function(None), "a configuration is a mapping"),
    ("hpo-config-list", lambda b: _hpo(b).objective_function([1, 2]), "got list"),
    ("hpo-config-string", lambda b: _hpo(b).objective_function("|none~0|"), "got str"),
    ("hpo-config-extra-key", lambda b: _hpo(b).objective_function({**_edges(5), "lr": 0.1}),
     "configuration key 'lr' unknown"),
    ("hpo-op-unhashable", lambda b: _hpo(b).objective_function({**_edges(5), "edge_1_0": ["none"]}),
     "edge edge_1_0: op ['none'] unknown"),
    ("hpo-fidelity-list", lambda b: _hpo(b).objective_function(_edges(5), fidelity=[200]),
     "fidelity must be a mapping like {'epoch': 4} or None, got list"),
    ("hpo-unknown-keyword", lambda b: _hpo(b).objective_function(_edges(5), seed=1),
     "objective_function() got an unknown keyword 'seed' (HPOBench's name is data_seed)"),
    ("hpo-fidelity-keyword", lambda b: _hpo(b).objective_function(_edges(5), epoch=4),
     "unknown keyword 'epoch' (a fidelity: pass fidelity={'epoch': ...})"),
    ("hpo-data-seed-string", lambda b: _hpo(b).objective_function(_edges(5), data_seed="777"),
     "data_seed '777' not allowed"),
    ("hpo-rng-float", lambda b: _hpo(b).objective_function(_edges(5), rng=0.5), "rng must be an int"),
    ("optuna-test-objective", lambda b: _optuna(b, objectives=("test_acc",)), "objective 'test_acc' is a test metric"),
    ("optuna-epoch-negative", lambda b: _optuna(b, epoch=-1), "epoch -1 not recorded"),
    ("optuna-epoch-string", lambda b: _optuna(b, epoch="last"), "epoch 'last' not recorded"),
    ("load-csv-long-row", lambda b: nasbench.load(b.csv_path), "r.csv:2: 7 fields, but the header has 6"),
]


@pytest.fixture(scope="module")
def api_bench(tmp_path_factory):
    from synthetic import synthetic_table

    bench = synthetic_table()
    csv = tmp_path_factory.mktemp("api") / "r.csv"
    csv.write_text(_CSV_HEAD + "5,1,1,90,90,10,3\n")
    bench.csv_path = csv
    return bench


@pytest.mark.parametrize("call, msg", [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES])
def test_python_api_raises_the_project_error(call, msg, api_bench):
    with pytest.raises(NasbenchError) as exc:
        call(api_bench)
    assert msg in str(exc.value) and "\n" not in str(exc.value)


def test_every_project_exception_keeps_its_builtin_base():
    """Each error class is a NasbenchError and still what callers catch (ValueError, ...)."""
    import pickle

    from nasbench.util.extras import MissingExtra
    from nasbench.training.datasets import DatasetPickleError
    from nasbench.util.locking import LockHeld
    from nasbench.util.safe_pickle import ForbiddenPickle
    from nasbench.strategies import ProtocolError, StrategyError
    from surrogates.benchmark import SurrogateFileError

    for cls, base in ((ProtocolError, ValueError), (StrategyError, ValueError), (LockHeld, ValueError),
                      (MissingExtra, ImportError), (ForbiddenPickle, pickle.UnpicklingError),
                      (DatasetPickleError, pickle.UnpicklingError), (SurrogateFileError, ValueError)):
        assert issubclass(cls, NasbenchError) and issubclass(cls, base), cls


def test_a_bug_is_a_traceback_not_exit_2(monkeypatch):
    """main() answers the project's errors only: any other exception propagates (exit 1 with a
    traceback at the console), so that a bug never looks like bad input."""
    import nasbench.cli.tables as tables

    def boom(args):
        raise KeyError("a bug")

    monkeypatch.setattr(tables, "cmd_info", boom)
    with pytest.raises(KeyError):
        main(["info", "nb201-cifar10"])

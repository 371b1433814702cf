"""`nasbench verify --retrain`: bit-identity where the machine fingerprint matches, statistical
agreement elsewhere, and a failure when a table's numbers were not produced by its recipe."""
from __future__ import annotations

import dataclasses
import numpy as np
import pytest

import nasbench
from nasbench.tables.tabular import TabularBenchmark
from nasbench.generation.config import DataSpec, GenerateConfig
from nasbench.generation.generate import generate
from nasbench.tables.hdf5 import write_table


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny table trained for real: 3 digits cells x 2 seeds (stacked), 2 epochs, C=2, N=1."""
    out = tmp_path_factory.mktemp("retrain") / "tiny.h5"
    generate(out, GenerateConfig(DataSpec("digits"), {"epochs": 2, "C": 2, "N": 1}, seeds=(1, 2),
                                 seed_groups=((1, 2),), limit=6), progress=False)
    return out


def _variant(src, dst, shift=0.0, extra=None):
    """A copy of a table with the final valid_acc moved by ``shift`` and ``extra`` replaced."""
    b = nasbench.load(src)
    metrics = {k: v.copy() for k, v in b.metrics.items()}
    metrics["valid_acc"][:, :, -1] += shift
    meta = dataclasses.replace(b.meta, extra=b.meta.extra if extra is None else extra)
    write_table(dst, TabularBenchmark(meta, b.arch_row, b.row_arch, b.seeds, b.epochs, metrics, run_seed=b.run_seed,
                                      params=b.params, flops=b.flops, latency=b.latency, name="variant"))
    return dst


@dataclasses.dataclass
class _Run:
    returncode: int
    stdout: str
    stderr: str


def _verify(capsys, *args):
    """The CLI in this process (no interpreter start per call)."""
    from nasbench.cli import main

    capsys.readouterr()
    rc = main(["verify", *map(str, args)])
    out, err = capsys.readouterr()
    return _Run(rc, out, err)


def test_generated_table_records_this_machine_and_retrains_bit_identically(tiny, capsys):
    from nasbench.training.fingerprint import current, of_table

    bench = nasbench.load(tiny)
    assert current(threads=1).matches(of_table(bench.meta.extra))
    r = _verify(capsys, tiny, "--retrain", 3)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS bit-identity" in r.stdout and "fingerprints match" in r.stdout


def test_bit_identity_is_required_where_the_fingerprint_matches(tiny, capsys, tmp_path):
    """A change far below the seed noise passes a statistical check, but not a bit-identity one."""
    from nasbench.generation.retrain_check import check_retraining

    moved = _variant(tiny, tmp_path / "moved.h5", shift=1e-9)
    r = _verify(capsys, moved, "--retrain", 3)
    assert r.returncode == 1 and "FAIL bit-identity" in r.stdout, r.stdout + r.stderr
    report = check_retraining(nasbench.load(moved), 3, mode="statistical")
    assert report.passed and not report.bit_identical and report.max_abs_z < 1e-3


def test_unknown_or_other_fingerprint_gets_the_statistical_check(tiny, capsys, tmp_path):
    from nasbench.training.fingerprint import current

    extra = dict(nasbench.load(tiny).meta.extra)
    del extra["fingerprint"]
    unknown = _variant(tiny, tmp_path / "unknown.h5", extra=extra)
    r = _verify(capsys, unknown, "--retrain", 3)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "statistical check (the table records no fingerprint)" in r.stdout
    assert "PASS statistical" in r.stdout and "6 of 6 runs also bit-identical" in r.stdout
    other = dataclasses.replace(current(threads=1), cpu_model="Some Other CPU", torch_cpu_capability="AVX2")
    elsewhere = _variant(tiny, tmp_path / "other.h5", extra={**extra, "fingerprint": other.to_dict()})
    r = _verify(capsys, elsewhere, "--retrain", 2)
    assert r.returncode == 0 and "fingerprints differ in cpu_model, torch_cpu_capability" in r.stdout, r.stdout


def test_statistical_check_fails_a_table_its_recipe_did_not_make(tiny, capsys, tmp_path):
    bench = nasbench.load(tiny)
    extra = {k: v for k, v in bench.meta.extra.items() if k != "fingerprint"}
    sd = np.nanmean(bench.seed_std("valid_acc"))
    wrong = _variant(tiny, tmp_path / "wrong.h5", shift=max(20 * sd, 5.0), extra=extra)
    r = _verify(capsys, wrong, "--retrain", 3)
    assert r.returncode == 1 and "FAIL statistical" in r.stdout, r.stdout + r.stderr


def test_bad_input_is_exit_2_with_one_line(tiny, capsys, tmp_path):
    from tests.synthetic import synthetic_table

    synthetic = tmp_path / "synthetic.h5"
    write_table(synthetic, synthetic_table())
    for args, msg in (((tiny, "--retrain", 0), "--retrain takes a positive number"),
                      ((tiny, "--retrain", 1, "--seed", -1), "--seed must be a non-negative integer"),
                      ((synthetic, "--retrain", 2), "records no training recipe and data split")):
        r = _verify(capsys, *args)
        assert r.returncode == 2 and msg in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_pick_units_takes_every_pass_in_turn():
    from nasbench.generation.retrain_check import pick_units

    b = nasbench.load(_embedded("nb201-fashion-mnist"))
    units = pick_units(b, 5, seed=3)
    assert [g for _, g in units] == [[777], [888, 999], [777], [888, 999], [777]]
    assert len({r for r, _ in units}) == 5
    assert units == pick_units(b, 5, seed=3) and units != pick_units(b, 5, seed=4)


def _embedded(name):
    from nasbench.tables.registry import data_dirs

    path = data_dirs()[-1] / f"{name}.h5"
    if not path.exists():
        pytest.skip(f"{path} not generated yet")
    return path

"""The scripts run end to end on a tiny budget (their figures are read by people, not asserted)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _run(*args: str, script: str = "bench_train.py") -> str:
    proc = subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_bench_train_cpu_report():
    out = _run("--epochs", "1", "--cells", "0", "--K", "2", "--rounds", "2")
    assert "plain loop" in out and ") the plain loop" in out
    assert "contiguous; nb201-digits" in out and "channels_last; nb201-fashion-mnist" in out
    assert "stacked K=2" in out


def test_bench_train_gpu_report_code_path_on_cpu():
    """The GPU report's code (GPU-resident data, augmentation, autocast, roofline) on CPU sizes."""
    out = _run("--gpu-path-on-cpu", "--gpu-epochs", "2", "--gpu-K", "1", "2", "--gpu-cells", "0")
    assert "not GPU numbers" in out and "img/s" in out
    rows = [line for line in out.splitlines() if line.startswith("0 (given)")]
    assert len(rows) == 2, out


def test_table_report_on_digits(tmp_path):
    """Info, the main job and real validation of its best cell (1 epoch), then the README paragraph."""
    out = _run("--table", "nb201-digits", "--runs", "1", "--budget", "10", "--top-k", "2", "--validate-epochs", "1",
               "--out", str(tmp_path), script="table_report.py")
    assert "mean seed std of valid_acc 0.561 points" in out  # the complete digits table
    assert "`nb201-digits` (15,780 trainings, 15,625 cells)" in out and "(optimum 99.41)" in out
    assert "interquartile range 0.92 (robust std 1.2x the noise)" in out
    assert "Validating its top 2 with seeds [1, 2, 3]" in out
    assert (tmp_path / "compare" / "results.csv").is_file() and (tmp_path / "validate" / "validation.csv").is_file()



def test_bench_load_reports_the_hash_check_on_each_embedded_table():
    out = _run("--repeats", "1", script="bench_load.py")
    for name in ("nb201-digits.h5", "nb201-fashion-mnist.h5"):
        assert name in out
    from nasbench.registry import embedded_names

    n = len(embedded_names())  # every embedded table, the NAS-Bench-201 ones included
    assert n >= 2 and out.count("load + check") == n and out.count("budget") == n


def test_bench_malloc_runs_and_results_are_identical():
    out = _run("--rounds", "1", "--epochs", "1", "--cells", "0", script="bench_malloc.py")
    assert "keep_freed_memory" in out and "results identical: True" in out


def test_compare_recipes_on_the_embedded_tables():
    """Separation of two recipes on the cells both trained: the numbers `nasbench info` gives per row."""
    import numpy as np
    import nasbench
    from nasbench.summary import IQR_PER_SD

    out = _run("nb201-digits", "nb201-fashion-mnist", script="compare_recipes.py")
    assert "5260 cells trained in both with 2+ runs" in out
    digits = nasbench.load("nb201-digits")
    means = np.nanmean(digits.metrics["valid_acc"][:, :, -1], axis=1)
    noise = np.nanmean(digits.seed_std("valid_acc"))
    iqr = np.subtract(*np.percentile(means, [75, 25]))
    assert f"{'nb201-digits':<28} {noise:6.3f} {iqr:6.3f} {iqr / IQR_PER_SD / noise:18.2f}" in out
    assert "Spearman of the cells' seed means between the two tables: +" in out
    bad = subprocess.run([sys.executable, str(SCRIPTS / "compare_recipes.py"), "nb201-digits", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "no table named 'nope'" in bad.stderr and bad.stderr.count("\n") == 1


def _need_embedded(*names: str) -> None:
    import pytest

    from nasbench.registry import resolve
    from nasbench.table import TableError

    for name in names:
        try:
            resolve(name)
        except TableError:
            pytest.skip(f"embedded table {name} not present")


def test_reproduce_nb201_script_wraps_the_command(tmp_path):
    """The script is ``nasbench reproduce nb201`` (tests/test_reproduce.py tests the command on all
    three datasets): the paper's numbers are printed beside ours under the table's preset."""
    _need_embedded("nb201-cifar10")
    out = _run("--datasets", "cifar10", "--runs", "2", "--jobs", "1", "--out", str(tmp_path), "--no-progress",
               script="reproduce_nb201.py")
    assert "NAS-Bench-201 cifar10 (nb201-cifar10): 2 runs each" in out and "budget 12,000 simulated s" in out
    assert (tmp_path / "cifar10" / "results.csv").is_file()
    assert "93.70 ± 0.36" in out and "93.92 ± 0.30" in out  # Table 5 beside ours
    rows = [line for line in out.splitlines() if line.startswith("optimal")]
    assert len(rows) == 1 and rows[0].count("94.37") == 2


def test_reproduce_nb201_bad_dataset_is_exit_2():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "reproduce_nb201.py"), "--datasets", "cifar11"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown dataset 'cifar11'; valid: cifar10, cifar100, imagenet16-120" in proc.stderr


def test_bench_search_small():
    _need_embedded("nb201-cifar10")
    out = _run("--queries", "200", "--gradient-runs", "1", "--skip-repro", "--skip-main", script="bench_search.py")
    assert "baseline: naive dict-of-dicts random search" in out
    assert "warm refits (default, refit_epochs=20)" in out and "cold refits (refit_epochs=0)" in out


def test_bench_portability_reports_each_setting_against_the_default():
    out = _run("--rounds", "1", "--epochs", "1", "--train-size", "200", "--repeats", "1", "--only", "5", "7",
               script="bench_portability.py")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines() if line.startswith("| ")}
    assert "| default | " in rows["default"] and "1.00x" in rows["default"]
    # settings that keep the same kernels here give the same numbers (a changed default would show)
    assert rows["torch.use_deterministic_algorithms(True)"].split(" | ")[3] == "yes"
    assert "ATEN_CPU_CAPABILITY=avx2" in rows

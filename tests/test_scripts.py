"""The scripts run end to end on a tiny budget (their figures are read by people, not asserted).

Each script runs in a fresh process as ``python scripts/<name>.py`` in a test marked ``slow`` (seconds
each: interpreter, imports, the script's own children); the default set runs the same code in this
process (``*_in_process``, the script loaded as a module and its ``main`` or report function called),
and keeps one fast subprocess test of a script's command line (``test_reproduce_nb201_bad_dataset_is_exit_2``).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import load_script

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _run(*args: str, script: str = "bench_train.py") -> str:
    proc = subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(autouse=True)
def _own_sys_path(monkeypatch):
    """A script loaded here may put its folders on sys.path: the next test gets the old list back."""
    monkeypatch.setattr(sys, "path", list(sys.path))


@pytest.fixture
def one_thread():
    """torch on one thread while a script's trainer runs here (as the scripts do), restored after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _cpu_report(out: str) -> None:
    assert "plain loop" in out and ") the plain loop" in out
    assert "contiguous; nb201-digits" in out and "channels_last; nb201-fashion-mnist" in out
    assert "stacked K=2" in out


@pytest.mark.slow
def test_bench_train_cpu_report():
    _cpu_report(_run("--epochs", "1", "--cells", "0", "--K", "2", "--rounds", "2"))


def test_bench_train_cpu_report_in_process(capsys, one_thread):
    load_script("bench_train").cpu_report(argparse.Namespace(size=7, epochs=1, threads=1, rounds=1, cells=[0], K=[2]))
    _cpu_report(capsys.readouterr().out)


def _gpu_report(out: str) -> None:
    assert "not GPU numbers" in out and "img/s" in out
    rows = [line for line in out.splitlines() if line.startswith("0 (given)")]
    assert len(rows) == 2, out


@pytest.mark.slow
def test_bench_train_gpu_report_code_path_on_cpu():
    """The GPU report's code (GPU-resident data, augmentation, autocast, roofline) on CPU sizes."""
    _gpu_report(_run("--gpu-path-on-cpu", "--gpu-epochs", "2", "--gpu-K", "1", "2", "--gpu-cells", "0"))


def test_bench_train_gpu_report_code_path_in_process(capsys, one_thread):
    from nasbench.space import to_cell

    load_script("bench_train").gpu_report("cpu", [("given", to_cell(0))], 2, [1, 2], small=True)
    _gpu_report(capsys.readouterr().out)


TABLE_REPORT = ("--table", "nb201-digits", "--runs", "1", "--budget", "10", "--top-k", "2", "--validate-epochs", "1")


@pytest.mark.slow
def test_table_report_on_digits(tmp_path):
    """Info, the main job and real validation of its best cell (1 epoch), then the README paragraph."""
    _table_report(_run(*TABLE_REPORT, "--out", str(tmp_path), script="table_report.py"), tmp_path)


def test_table_report_on_digits_in_process(tmp_path, capsys, one_thread):
    assert load_script("table_report").main([*TABLE_REPORT, "--out", str(tmp_path)]) == 0
    _table_report(capsys.readouterr().out, tmp_path)


def _table_report(out: str, tmp_path: Path) -> None:
    assert "mean seed std of valid_acc 0.561 points" in out  # the complete digits table
    assert "`nb201-digits` (15,780 trainings, 15,625 cells)" in out and "(optimum 99.41)" in out
    assert "interquartile range 0.92 (robust std 1.2x the noise)" in out
    assert "Validating its top 2 with seeds [1, 2, 3]" in out
    assert (tmp_path / "compare" / "results.csv").is_file() and (tmp_path / "validate" / "validation.csv").is_file()



@pytest.mark.slow
def test_bench_load_reports_the_hash_check_on_each_embedded_table():
    _bench_load(_run("--repeats", "1", script="bench_load.py"))


def test_bench_load_in_process(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench_load.py", "--repeats", "1"])
    assert load_script("bench_load").main() == 0
    _bench_load(capsys.readouterr().out)


def _bench_load(out: str) -> None:
    for name in ("nb201-digits.h5", "nb201-fashion-mnist.h5"):
        assert name in out
    from nasbench.tables.registry import embedded_names

    n = len(embedded_names())  # every embedded table, the NAS-Bench-201 ones included
    assert n >= 2 and out.count("load + check") == n and out.count("budget") == n


MALLOC = ("--rounds", "1", "--epochs", "1", "--cells", "0")


@pytest.mark.slow
def test_bench_malloc_runs_and_results_are_identical():
    out = _run(*MALLOC, script="bench_malloc.py")
    assert "keep_freed_memory" in out and "results identical: True" in out


def test_bench_malloc_in_process(capsys, monkeypatch, one_thread):
    """The script's child (glibc's default first, then keep_freed_memory, which stays set in this
    process as tests/test_executors.py leaves it) run here instead of in two fresh processes, and the
    script's report built from their lines."""
    import json

    mod = load_script("bench_malloc")
    measured = {}
    for mode in ("default", "keep"):
        monkeypatch.setattr(sys, "argv", ["-c", mode, MALLOC[3], MALLOC[5]])
        exec(compile(mod.CHILD, "bench_malloc.CHILD", "exec"), {"__name__": "bench_malloc_child"})
        measured[mode] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    monkeypatch.setattr(mod, "_measure", lambda mode, epochs, cells: measured[mode])
    monkeypatch.setattr(sys, "argv", ["bench_malloc.py", *MALLOC])
    mod.main()
    out = capsys.readouterr().out
    assert "keep_freed_memory" in out and "results identical: True" in out


@pytest.mark.slow
def test_compare_recipes_on_the_embedded_tables():
    """Separation of two recipes on the cells both trained: the numbers `nasbench info` gives per row."""
    _compare_recipes(_run("nb201-digits", "nb201-fashion-mnist", script="compare_recipes.py"))
    bad = subprocess.run([sys.executable, str(SCRIPTS / "compare_recipes.py"), "nb201-digits", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "no table named 'nope'" in bad.stderr and bad.stderr.count("\n") == 1


def test_compare_recipes_in_process(capsys):
    mod = load_script("compare_recipes")
    assert mod.main(["nb201-digits", "nb201-fashion-mnist"]) == 0
    _compare_recipes(capsys.readouterr().out)
    assert mod.main(["nb201-digits", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no table named 'nope'" in err and err.count("\n") == 1


def _compare_recipes(out: str) -> None:
    import numpy as np
    import nasbench
    from nasbench.tables.table_summary import IQR_PER_SD

    assert "5260 cells trained in both with 2+ runs" in out
    digits = nasbench.load("nb201-digits")
    means = np.nanmean(digits.metrics["valid_acc"][:, :, -1], axis=1)
    noise = np.nanmean(digits.seed_std("valid_acc"))
    iqr = np.subtract(*np.percentile(means, [75, 25]))
    assert f"{'nb201-digits':<28} {noise:6.3f} {iqr:6.3f} {iqr / IQR_PER_SD / noise:18.2f}" in out
    assert "Spearman of the cells' seed means between the two tables: +" in out


def _need_embedded(*names: str) -> None:
    import pytest

    from nasbench.tables.registry import resolve
    from nasbench.tables.hdf5 import TableError

    for name in names:
        try:
            resolve(name)
        except TableError:
            pytest.skip(f"embedded table {name} not present")


REPRODUCE = ("--datasets", "cifar10", "--runs", "2", "--jobs", "1", "--no-progress")


@pytest.mark.slow
def test_reproduce_nb201_script_wraps_the_command(tmp_path):
    """The script is ``nasbench reproduce nb201`` (tests/test_reproduce.py tests the command on all
    three datasets): the paper's numbers are printed beside ours under the table's preset."""
    _need_embedded("nb201-cifar10")
    _reproduce(_run(*REPRODUCE, "--out", str(tmp_path), script="reproduce_nb201.py"), tmp_path)


def test_reproduce_nb201_script_in_process(tmp_path, capsys):
    """Also writes its results page (the page test of tests/test_results_page.py, in this process)."""
    from test_results_page import reproduction_page

    _need_embedded("nb201-cifar10")
    args = [*REPRODUCE, "--out", str(tmp_path), "--page", str(tmp_path / "reproduction.md")]
    assert load_script("reproduce_nb201").main(args) == 0
    _reproduce(capsys.readouterr().out, tmp_path)
    reproduction_page(tmp_path / "reproduction.md", args)


def _reproduce(out: str, tmp_path: Path) -> None:
    assert "NAS-Bench-201 cifar10 (nb201-cifar10): 2 runs each" in out and "budget 12,000 simulated s" in out
    assert (tmp_path / "cifar10" / "results.csv").is_file()
    assert "93.70 ± 0.36" in out and "93.92 ± 0.30" in out  # Table 5 beside ours
    rows = [line for line in out.splitlines() if line.startswith("optimal")]
    assert len(rows) == 1 and rows[0].count("94.37") == 2


def test_reproduce_nb201_bad_dataset_is_exit_2():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "reproduce_nb201.py"), "--datasets", "cifar11"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown dataset 'cifar11'; valid: cifar10, cifar100, imagenet16-120" in proc.stderr


BENCH_SEARCH = ("--gradient-runs", "1", "--skip-repro", "--skip-main")


@pytest.mark.slow
def test_bench_search_small():
    _need_embedded("nb201-cifar10")
    _bench_search(_run("--queries", "200", *BENCH_SEARCH, script="bench_search.py"))


def test_bench_search_in_process(capsys):
    """Smaller still: the printed parts do not depend on the number of queries or event runs."""
    _need_embedded("nb201-cifar10")
    assert load_script("bench_search").main(["--queries", "50", "--event-runs", "1", *BENCH_SEARCH]) == 0
    _bench_search(capsys.readouterr().out)


def _bench_search(out: str) -> None:
    assert "baseline: naive dict-of-dicts random search" in out
    assert "warm refits (default, refit_epochs=20)" in out and "cold refits (refit_epochs=0)" in out


PORTABILITY = ("--rounds", "1", "--epochs", "1", "--train-size", "200", "--repeats", "1", "--only", "5", "7")


def _portability_rows(out: str) -> dict[str, str]:
    return {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines() if line.startswith("| ")}


@pytest.mark.slow  # each setting needs a fresh process (set before torch loads): ~3 processes that train
def test_bench_portability_reports_each_setting_against_the_default():
    out = _run(*PORTABILITY, script="bench_portability.py")
    rows = _portability_rows(out)
    assert "| default | " in rows["default"] and "1.00x" in rows["default"]
    # settings that keep the same kernels here give the same numbers (a changed default would show)
    assert rows["torch.use_deterministic_algorithms(True)"].split(" | ")[3] == "yes"
    assert "ATEN_CPU_CAPABILITY=avx2" in rows


def test_bench_portability_in_process(capsys, monkeypatch, one_thread):
    """The default setting's worker trains here and the table is built from its line; the other
    settings (which must start a fresh process) are stood in for by the default's result, so only
    the subprocess test above says whether they give the same numbers."""
    import json

    mod = load_script("bench_portability")
    mod.worker("default", 1, 200, 1)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["seconds"] > 0 and len(line["sha256"]) == 64 and len(line["valid_acc"]) == 1
    monkeypatch.setattr(mod, "run_setting", lambda name, args: dict(line))
    monkeypatch.setattr(sys, "argv", ["bench_portability.py", *PORTABILITY])
    mod.main()
    rows = _portability_rows(capsys.readouterr().out)
    assert "| default | " in rows["default"] and "1.00x" in rows["default"]
    assert rows["torch.use_deterministic_algorithms(True)"].split(" | ")[3] == "yes"
    assert "ATEN_CPU_CAPABILITY=avx2" in rows

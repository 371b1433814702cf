"""The speed scripts run end to end on a tiny budget (their figures are read by people, not asserted)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _run(*args: str) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPTS / "bench_train.py"), *args], capture_output=True, text=True,
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

"""`compare --executor ray`: the same results files as a local run, resumable after a kill,
and one-line refusals (no Ray, no cluster, an address without Ray) that write nothing.

The session's one local Ray instance (2 CPUs, ``ray_local`` of tests/conftest.py) serves the tests
on Ray, which run after every other test; the refusals that need Ray not to be connected run before."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasbench.cli import main
from nasbench.search.runner import ConfigError, ExperimentConfig, run_comparison
from nasbench.strategies import Budget
from nasbench.util.checksummed import read_run_file

ROOT = Path(__file__).resolve().parents[1]
FILES = ("results.csv", "summary.csv", "pairs.csv", "config.json")


def _cfg(out: Path, **kw) -> ExperimentConfig:
    base = dict(table="nb201-cifar10", strategies=("random", "evolution", "reinforce", "gradient"), runs=3,
                budget=Budget("queries", 20), out=str(out), progress=False, jobs=2)
    base.update(kw)
    return ExperimentConfig(**base)


def _same_files(a: Path, b: Path) -> None:
    names = sorted(str(p.relative_to(a)) for p in a.rglob("*.csv"))
    assert names == sorted(str(p.relative_to(b)) for p in b.rglob("*.csv"))
    assert "runs/random/00001.csv" in names
    for n in [*names, "config.json"]:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    pa, pb = (json.loads((d / "provenance.json").read_text()) for d in (a, b))
    ia, ib = pa.pop("last_invocation"), pb.pop("last_invocation")
    assert pa == pb  # provenance differs in the invocation (time, executor) only
    assert {ia["executor"], ib["executor"]} <= {"local", "ray"}


# -- refusals (Ray not connected yet) -----------------------------------------------------------
def test_address_without_ray_executor_is_one_line(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["compare", "--address", "127.0.0.1:6379", "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--executor ray" in err and not out.exists()


def test_executor_in_config_files_and_flags(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('table = "nb201-cifar10"\nexecutor = "ray"\naddress = "10.0.0.1:6379"\n')
    cfg = ExperimentConfig.from_file(f)
    assert (cfg.executor, cfg.address, cfg.jobs) == ("ray", "10.0.0.1:6379", 0)  # 0: all the cluster's CPUs
    assert ExperimentConfig.from_file(f, jobs=3).jobs == 3
    assert "executor" not in cfg.identity() and "address" not in cfg.identity()  # results do not depend on them
    with pytest.raises(ConfigError, match="executor must be one of local, ray, got 'dask'"):
        ExperimentConfig(executor="dask")
    with pytest.raises(ConfigError, match="jobs"):
        ExperimentConfig(jobs=0)  # 0 means "all the cluster's CPUs" with Ray only
    with pytest.raises(ConfigError, match="address is a Ray cluster's address"):
        ExperimentConfig.from_file(f, executor="local")


def test_ray_missing_names_the_extra_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed: `import ray` fails
    out = tmp_path / "r"
    with pytest.raises(ConfigError, match=r"--executor ray needs Ray: pip install 'nasbench\[ray\]'"):
        run_comparison(_cfg(out, executor="ray"))
    assert not out.exists()


def test_unreachable_address_is_refused_at_once_and_writes_nothing(tmp_path, capsys):
    pytest.importorskip("ray")
    import ray

    if ray.is_initialized():
        pytest.skip("Ray already connected in this process")
    out = tmp_path / "r"
    t0 = time.monotonic()
    assert main(["compare", "--executor", "ray", "--address", "127.0.0.1:1", "--out", str(out), "--no-plots",
                 "--runs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "cannot reach a Ray cluster at 127.0.0.1:1" in err[-1] and "ray start --head" in err[-1]
    assert not out.exists() and not ray.is_initialized()
    assert time.monotonic() - t0 < 60  # Ray alone retries for many minutes


# -- on a local Ray instance ----------------------------------------------------------------------
# ray_local: the session's one local Ray instance (2 CPUs, tests/conftest.py); its tests run last
@pytest.fixture(scope="module")
def local_ref(tmp_path_factory):
    return run_comparison(_cfg(tmp_path_factory.mktemp("local") / "res")).path


def test_ray_results_equal_local_byte_for_byte(tmp_path, ray_local, local_ref):
    res = run_comparison(_cfg(tmp_path / "ray", executor="ray", jobs=0))  # 0: one actor per cluster CPU
    _same_files(local_ref, res.path)
    inv = res.provenance["last_invocation"]
    assert inv["executor"] == "ray" and inv["jobs"] == 2 and inv["runs_done"] == 12


def test_ray_resumes_a_partial_directory(tmp_path, ray_local, local_ref):
    part = tmp_path / "part"
    shutil.copytree(local_ref, part)
    for label, r in (("random", 0), ("evolution", 2), ("gradient", 1)):
        (part / "runs" / label / f"{r:05d}.csv").unlink()
    (part / "results.csv").unlink()
    keep = part / "runs" / "reinforce" / "00001.csv"
    mtime = keep.stat().st_mtime_ns
    res = run_comparison(_cfg(part, executor="ray", resume=True))
    assert res.provenance["last_invocation"]["runs_done"] == 3 and keep.stat().st_mtime_ns == mtime
    _same_files(local_ref, part)


@pytest.mark.slow  # ~20 s: three comparisons in fresh processes
def test_killed_ray_comparison_keeps_finished_runs_and_resumes(tmp_path, ray_local):
    """SIGINT mid-comparison (the CLI on this module's cluster, by its address): every run file
    there is whole, and --resume completes files identical to an uninterrupted local run."""
    out, ref = tmp_path / "killed", tmp_path / "ref"
    base = [sys.executable, "-m", "nasbench.cli", "compare", "--table", "nb201-cifar10", "--strategies",
            "random,gradient", "--runs", "12", "--budget", "50", "--budget-kind", "queries", "--jobs", "2",
            "--no-plots", "--no-progress"]
    ray_args = ["--executor", "ray", "--address", ray_local.get_runtime_context().gcs_address]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([*base, *ray_args, "--out", str(out)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("runs/gradient/*.csv")) and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]  # interrupted mid-way, not finished
    done = sorted(out.glob("runs/*/*.csv"))
    assert 12 <= len(done) < 24 and not (out / "results.csv").exists()
    for f in done:  # each one whole (its trailer's row count and checksum hold): a header and 50 queries
        text = read_run_file(f)
        assert text.endswith("\n") and text.count("\n") == 51, f
    subprocess.run([*base, *ray_args, "--out", str(out), "--resume"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    subprocess.run([*base, "--out", str(ref)], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600)
    _same_files(ref, out)


def test_multitable_compare_runs_on_ray(tmp_path, ray_local):
    cfg = ExperimentConfig(table="nb201-digits,nb201-fashion-mnist", strategies=("random", "evolution"), runs=2,
                           budget=Budget("queries", 10), out=str(tmp_path / "local"), progress=False, jobs=1)
    from nasbench.search.multitable import AGGREGATE_CSV, run_tables

    a = run_tables(cfg)
    b = run_tables(dataclasses.replace(cfg, out=str(tmp_path / "ray"), executor="ray", jobs=2))
    for t in a.tables:
        _same_files(a.dirs[t].path, b.dirs[t].path)
        assert b.dirs[t].provenance["last_invocation"]["executor"] == "ray"
    assert (a.path / AGGREGATE_CSV).read_bytes() == (b.path / AGGREGATE_CSV).read_bytes()


def test_an_error_in_a_ray_task_is_raised_as_itself_in_one_line(ray_local):
    """Not Ray's coloured, multi-line wrapper naming the actor: the task's own exception."""
    from nasbench.util.executors import keep_freed_memory, ray_map
    from nasbench.space import SpaceError, to_cell

    with pytest.raises(SpaceError) as info:
        list(ray_map(to_cell, ["not-a-cell"], 1, keep_freed_memory))
    msg = str(info.value)
    assert "\n" not in msg and "\x1b[" not in msg and "ray::" not in msg and "not-a-cell" in msg

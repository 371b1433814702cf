"""SIGINT and SIGTERM stop a command at once, keep every finished result and leave no process behind;
kill -9 leaves no worker behind. Comparisons run on SYNTHETIC tables of tests/synthetic.py (invented
numbers; mechanics only), each search run slowed by a sleep (which changes no result) so that the
work left when the signal arrives is known and far longer than stopping may take."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from nasbench.util._reaper import _start_time, descendants
from nasbench.cli import main
from nasbench.generation.journal import journal_path
from synthetic import synthetic_table

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc, process groups, SIGKILL")

REPO = Path(__file__).resolve().parents[1]
LINE = "interrupted: {n} run{s} kept; rerun with --resume"

# The CLI with every search run slowed by argv[1] seconds (forked pool workers inherit the patch).
SLOWED = textwrap.dedent("""
    import sys, time
    import nasbench.search.runner as ex
    from nasbench.cli import main
    run_one, pause = ex.run_one, float(sys.argv[1])
    def slowed(*a, **k):
        time.sleep(pause)
        return run_one(*a, **k)
    ex.run_one = slowed
    sys.exit(main(sys.argv[2:]))
""")


@pytest.fixture(scope="module")
def tables(synthetic_tables):
    """conftest's a.h5 and b.h5, and slowed.py beside them."""
    (synthetic_tables / "slowed.py").write_text(SLOWED)
    return synthetic_tables


def _env() -> dict[str, str]:
    path = str(REPO) + (":" + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    return {**os.environ, "PYTHONPATH": path}


def _alive(procs: dict[int, str]) -> list[int]:
    """The processes of a snapshot that still run (same start time: not a reused pid); zombies count as gone."""
    out = []
    for pid, started in procs.items():
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and _start_time(pid) == started:
            out.append(pid)
    return out


def _reap(procs: dict[int, str], within: float) -> list[int]:
    """Wait up to ``within`` seconds for the processes to end; kill and return those that did not."""
    deadline = time.monotonic() + within
    while _alive(procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _alive(procs)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


@dataclass(frozen=True)
class Stopped:
    """A command stopped by a signal: exit status, stderr, seconds from the signal to the exit, and the
    processes it had started (snapshot just before the signal)."""

    code: int
    err: str
    seconds: float
    started: dict[int, str]


def _stop(argv: list[str], ready, sig: int, group: bool = False, timeout: float = 120.0) -> Stopped:
    """Run ``argv`` in its own session, wait until ``ready()``, send ``sig`` (to its whole process
    group with ``group``, as a terminal's Ctrl-C does) and wait for it to exit."""
    proc = subprocess.Popen(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not ready(proc.pid):
            if proc.poll() is not None:
                pytest.fail(f"exited before the signal ({proc.returncode}): {proc.stderr.read()[-1500:]}")
            if time.monotonic() > deadline:
                pytest.fail("never got ready for the signal")
            time.sleep(0.02)
        started = descendants(proc.pid)
        t0 = time.monotonic()
        os.killpg(proc.pid, sig) if group else proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        return Stopped(proc.returncode, err, time.monotonic() - t0, started)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _run_files(out: Path) -> list[Path]:
    return sorted(out.glob("**/runs/*/*.csv"))


def _same_results(a: Path, b: Path) -> None:
    names = sorted(str(p.relative_to(a)) for p in a.rglob("*.csv"))
    assert names == sorted(str(p.relative_to(b)) for p in b.rglob("*.csv")) and names
    for n in [*names, *(str(p.relative_to(a)) for p in a.rglob("config.json"))]:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


# -- compare: interrupted at once, resumed byte for byte ---------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One interrupted comparison: ``runs`` per strategy (random, evolution) on ``tables``, each run
    slowed by ``pause`` seconds; the signal once ``after`` run files exist."""

    id: str
    sig: int
    group: bool
    args: tuple[str, ...]
    tables: str = "a"
    runs: int = 20
    pause: float = 0.5
    after: int = 2


CASES = [
    Case("sigint-jobs2", signal.SIGINT, False, ("--jobs", "2")),
    Case("sigterm-to-the-group-3-workers", signal.SIGTERM, True, ("--jobs", "2", "--workers", "3")),
]
SLOW_CASES = [  # ~10 s each
    Case("sigint-multitable-second-table", signal.SIGINT, False, ("--jobs", "2"), tables="a,b", runs=8, pause=0.6,
         after=16 + 2),
    Case("sigterm-jobs2", signal.SIGTERM, False, ("--jobs", "2")),
    Case("ctrl-c-to-the-group-jobs1", signal.SIGINT, True, ("--jobs", "1")),
]


def _compare_argv(tables: Path, case: Case, out: Path) -> list[str]:
    names = ",".join(str(tables / f"{t}.h5") for t in case.tables.split(","))
    return ["compare", "--table", names, "--strategies", "random,evolution", "--runs", str(case.runs), "--budget",
            "20", "--budget-kind", "queries", "--out", str(out), "--no-plots", "--no-progress", *case.args]


@pytest.mark.parametrize("case", [*CASES, *(pytest.param(c, marks=pytest.mark.slow) for c in SLOW_CASES)],
                         ids=[c.id for c in [*CASES, *SLOW_CASES]])
def test_signal_stops_compare_at_once_keeps_finished_runs_and_resume_is_identical(tmp_path, tables, case, capsys):
    out = tmp_path / "stopped"
    argv = _compare_argv(tables, case, out)
    st = _stop([sys.executable, str(tables / "slowed.py"), str(case.pause), *argv],
               lambda pid: len(_run_files(out)) >= case.after, case.sig, case.group)
    kept = len(_run_files(out))
    total = case.runs * 2 * len(case.tables.split(","))
    assert st.code == 128 + case.sig, st.err[-2000:]
    n = kept
    assert st.err.splitlines() == [LINE.format(n=n, s="" if n == 1 else "s")]
    assert case.after <= kept < total
    left = (total - kept) * case.pause / 2  # seconds of work still queued for the two workers
    if left >= 6:  # enough work left to tell stopping from waiting, even on a loaded machine
        assert st.seconds < left / 2, (st.seconds, left)  # stopped, not waited for
    assert not _reap(st.started, 2.0), "processes outlived the interrupted compare"
    if case.tables == "a":
        assert not (out / "results.csv").exists()  # stopped before the table was written
    # --resume finishes it; the files equal an uninterrupted run's
    assert main([*argv, "--resume"]) == 0
    ref = tmp_path / "ref"
    assert main([*_compare_argv(tables, case, ref)]) == 0
    capsys.readouterr()
    _same_results(ref, out)


def test_a_second_signal_while_stopping_exits_at_once(tmp_path, tables):
    """A stop that is slow to clean up (a worker that will not die is simulated by a hanging
    clean-up) ends at the second signal."""
    hang = tmp_path / "hang.py"
    hang.write_text(textwrap.dedent("""
        import sys, time
        import nasbench.search.runner as ex
        from nasbench.cli import main
        def run_one(*a, **k):
            try:
                time.sleep(3600)
            finally:
                time.sleep(3600)  # the clean-up after the first signal never ends
        ex.run_one = run_one
        sys.exit(main(sys.argv[1:]))
    """))
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, str(hang), *_compare_argv(tables, Case("x", 0, False, ("--jobs", "1")),
                                                                      out)],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.2)
        deadline = time.monotonic() + 60
        while not (out / "config.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None  # still cleaning up
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130 and err.splitlines() == ["interrupted again: stopped at once"]


# -- worker pools of proxies and generate ------------------------------------------------------------------
def _proxies_table(tmp_path: Path) -> Path:
    """A table 'trained here' on digits with a C=2, N=1 recipe (its proxies use its own data)."""
    import dataclasses

    from nasbench.tables.tabular import TabularBenchmark
    from nasbench.tables.hdf5 import write_table

    base = synthetic_table()
    meta = dataclasses.replace(base.meta, recipe={"C": 2, "N": 1, "epochs": 4},
                               extra={"data": {"dataset": "digits", "downscale": 1, "split_seed": 0, "subset_seed": 0,
                                               "train_size": None, "valid_size": None, "test_size": None}})
    path = tmp_path / "t.h5"
    write_table(path, TabularBenchmark(meta=meta, arch_row=base.arch_row, row_arch=base.row_arch, seeds=base.seeds,
                                       epochs=base.epochs, metrics=base.metrics, params=base.params))
    return path


def _journal_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def _pool_argv(kind: str, tmp_path: Path, computing: bool) -> tuple[list[str], object]:
    """A command with two worker processes, and when to signal it: once both workers exist (they
    may still be importing), or with ``computing`` once results are being written."""
    cli = [sys.executable, "-m", "nasbench.cli"]
    if kind == "proxies":
        table = _proxies_table(tmp_path)
        journal = tmp_path / "t.proxies.jsonl"
        argv = [*cli, "proxies", str(table), "--proxies", "synflow", "--jobs", "2", "--no-progress"]
    else:
        journal = journal_path(tmp_path / "g.h5")
        argv = [*cli, "generate", "--dataset", "digits", "--epochs", "2", "--channels", "2", "--cells-per-stage",
                "1", "--seeds", "1", "--out", str(tmp_path / "g.h5"), "--jobs", "2", "--limit", "200",
                "--no-progress", "--save-every", "0"]
    seen: list[float] = []

    def ready(pid: int) -> bool:
        if computing:
            return len(descendants(pid)) >= 2 and _journal_lines(journal) >= 3
        if len(descendants(pid)) < 2:
            return False
        seen.append(time.monotonic())
        return seen[-1] - seen[0] > 0.5  # both workers started half a second ago

    return argv, ready


@dataclass(frozen=True)
class Pool:
    """A command with a worker pool (``kind``), the signal, to the group or not, once ``computing``."""

    kind: str
    sig: int
    group: bool = False
    computing: bool = False

    @property
    def id(self) -> str:
        return f"{self.kind}-{signal.Signals(self.sig).name}{'-group' if self.group else ''}" \
               f"{'-computing' if self.computing else ''}"


POOLS = [Pool("proxies", signal.SIGTERM), Pool("proxies", signal.SIGKILL), Pool("generate", signal.SIGINT, group=True)]
SLOW_POOLS = [  # ~15-40 s each on a shared 2-core machine
    Pool("proxies", signal.SIGINT, group=True), Pool("generate", signal.SIGTERM), Pool("generate", signal.SIGKILL),
    Pool("proxies", signal.SIGKILL, computing=True), Pool("proxies", signal.SIGINT, True, computing=True),
    Pool("generate", signal.SIGTERM, computing=True)]


@pytest.mark.parametrize("pool", [*POOLS, *(pytest.param(p, marks=pytest.mark.slow) for p in SLOW_POOLS)],
                         ids=[p.id for p in [*POOLS, *SLOW_POOLS]])
def test_signal_stops_a_worker_pool_and_kill_9_leaves_no_worker(tmp_path, pool):
    """SIGINT/SIGTERM: exit 130/143 with one line; kill -9: the workers die with their parent
    (PR_SET_PDEATHSIG, or at start-up when the parent is already gone). Either way no worker is left."""
    argv, ready = _pool_argv(pool.kind, tmp_path, pool.computing)
    st = _stop(argv, ready, pool.sig, pool.group)
    assert len(st.started) >= 2
    if pool.sig == signal.SIGKILL:
        assert st.code == -signal.SIGKILL
        assert not _reap(st.started, 5.0), "worker processes outlived the killed command"
        return
    assert st.code == 128 + pool.sig, st.err[-2000:]
    assert st.err.splitlines() == ["interrupted: finished work is kept; rerun the same command to resume"]
    assert not _reap(st.started, 2.0), "worker processes outlived the interrupted command"


# -- Ray ---------------------------------------------------------------------------------------------------
def test_ray_address_without_a_host_is_one_line(tmp_path, capsys):
    pytest.importorskip("ray")
    out = tmp_path / "r"
    assert main(["compare", "--executor", "ray", "--address", ":6379", "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["nasbench compare: error: Ray address ':6379' names no host; give host:port, "
                                "e.g. 127.0.0.1:6379"]
    assert not out.exists()


def _ray_argv(tables: Path, out: Path, runs: int = 150) -> list[str]:
    return [sys.executable, "-m", "nasbench.cli", "compare", "--table", str(tables / "a.h5"), "--strategies",
            "random,evolution", "--runs", str(runs), "--budget", "300", "--budget-kind", "queries", "--out", str(out),
            "--no-plots", "--no-progress", "--executor", "ray", "--jobs", "2"]


RAY = [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGKILL, False)]


@pytest.mark.slow  # ~20 s each: a local Ray instance in a fresh process
@pytest.mark.parametrize("sig,group", RAY, ids=[f"{signal.Signals(s).name}{'-group' if g else ''}" for s, g in RAY])
def test_signal_under_ray_stops_the_local_instance(tmp_path, tables, sig, group, capsys):
    """The local Ray instance the command started goes with it: at once after SIGINT/SIGTERM (one line,
    no C++ stack dump), and within seconds after kill -9 (the watcher of nasbench.util._reaper)."""
    pytest.importorskip("ray")
    out = tmp_path / "ray"
    st = _stop(_ray_argv(tables, out), lambda pid: len(_run_files(out)) >= 4, sig, group, timeout=300)
    assert len(st.started) >= 4  # gcs, raylet, agents, workers, the watcher
    if sig == signal.SIGKILL:
        assert st.code == -signal.SIGKILL
        assert not _reap(st.started, 10.0), "Ray processes outlived the killed driver"
        return
    kept = len(_run_files(out))
    assert st.code == 128 + sig, st.err[-3000:]
    lines = [ln for ln in st.err.splitlines() if "WARNING" not in ln]  # Ray's start-up warnings, if any
    assert lines == [LINE.format(n=kept, s="" if kept == 1 else "s")], st.err[-3000:]
    assert "SIGTERM received" not in st.err and "Traceback" not in st.err
    assert st.seconds < 10, st.seconds
    assert not _reap(st.started, 3.0), "Ray processes outlived the interrupted compare"
    # finished locally (results do not depend on the executor), equal to an uninterrupted local run
    argv = _ray_argv(tables, out)[3:-4]
    assert main([*argv, "--resume"]) == 0
    ref = tmp_path / "ref"
    assert main([*_ray_argv(tables, ref)[3:-4]]) == 0
    capsys.readouterr()
    _same_results(ref, out)
    assert json.loads((out / "provenance.json").read_text())["last_invocation"]["executor"] == "local"

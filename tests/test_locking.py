"""One writer per results directory and per journal, workers that die with a killed `compare`, and a
results table rewritten atomically. The comparisons run on the SYNTHETIC table of tests/synthetic.py
(invented numbers; mechanics only)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nasbench.cli import main
from nasbench.util.locking import LockHeld, exclusive, holder_pid

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses flock, /proc and SIGKILL")

REPO = Path(__file__).resolve().parents[1]

# Runs the CLI waiting, once it holds the lock (before writing anything) until the file argv[1] exists,
# and in every search run until argv[2] exists: a writer that holds its lock for as long as the test
# wants, with no timing guesswork.
GATED = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import nasbench.search.runner as ex
    from nasbench.cli import main
    def gated(f, gate):
        def g(*a, **k):
            while not gate.exists():
                time.sleep(0.02)
            return f(*a, **k)
        return g
    ex.prepare_checked = gated(ex.prepare_checked, Path(sys.argv[1]))
    ex.run_one = gated(ex.run_one, Path(sys.argv[2]))
    sys.exit(main(sys.argv[3:]))
""")

# Runs the CLI and dies by SIGKILL halfway through writing results.csv (a kill during the rewrite).
KILLED_MID_WRITE = textwrap.dedent("""
    import os, signal, sys
    import pandas as pd
    from nasbench.cli import main
    orig = pd.DataFrame.to_csv
    def torn(self, path=None, *a, **k):
        if path is None or not str(path).split("/")[-1].startswith("results.csv"):
            return orig(self, path, *a, **k)
        text = orig(self, None, *a, **k)
        with open(path, "w") as fh:
            fh.write(text[: len(text) // 2])
            fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    pd.DataFrame.to_csv = torn
    sys.exit(main(sys.argv[1:]))
""")


def _script(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_leftovers():
    """Kill what a test started if it failed before its writer finished (it may wait on a gate)."""
    yield
    while _STARTED:
        p = _STARTED.pop()
        if p.poll() is None:
            p.kill()
            p.wait()


def _popen(*argv: str) -> subprocess.Popen:
    import os

    path = f"{REPO}" + (":" + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": path})
    _STARTED.append(proc)
    return proc


def _wait_for(cond, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        if proc.poll() is not None:
            pytest.fail(f"{what}: the writer exited early: {proc.stderr.read().decode()[-800:]}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"timed out waiting for {what}")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _compare_args(table: Path, out: Path, *extra: str) -> list[str]:
    return ["compare", "--table", str(table), "--strategies", "random,evolution", "--runs", "3", "--budget", "20",
            "--out", str(out), "--no-plots", "--no-progress", *extra]


def test_second_compare_is_refused_and_the_first_finishes_intact(tmp_path, synthetic_h5, capsys):
    out, gate = tmp_path / "res", tmp_path / "gate"
    first = _popen(str(_script(tmp_path, "gated.py", GATED)), str(gate), str(gate),
                   *_compare_args(synthetic_h5, out, "--seed", "0"))
    _wait_for(lambda: holder_pid(out) == first.pid, first, "the first writer to lock the directory")
    # a second writer with another seed (before: both exited 0 and left a mix) and one resuming
    for extra in (["--seed", "1"], ["--seed", "0", "--resume"], ["--seed", "0"]):
        code = main(_compare_args(synthetic_h5, out, *extra))
        err = capsys.readouterr().err
        assert code == 2, err
        assert len(err.strip().splitlines()) == 1
        assert f"results directory {out} is being written by process {first.pid}" in err
    assert list(out.iterdir()) == []  # the second writers wrote nothing
    gate.touch()
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr.decode()[-800:]
    # the first writer's results are exactly what the same config gives alone
    assert main(_compare_args(synthetic_h5, tmp_path / "alone", "--seed", "0")) == 0
    capsys.readouterr()
    assert (out / "results.csv").read_bytes() == (tmp_path / "alone" / "results.csv").read_bytes()
    assert json.loads((out / "config.json").read_text())["seed"] == 0


def test_lock_names_the_holder_and_dies_with_it(tmp_path):
    target = tmp_path / "journal.jsonl"
    holder = _popen("-c", "import sys, time; from nasbench.util.locking import exclusive\n"
                          f"with exclusive({str(target)!r}, 'x'):\n    print('held', flush=True); time.sleep(600)")
    assert holder.stdout.readline().strip() == b"held"
    with pytest.raises(LockHeld, match=f"journal {target} is being written by process {holder.pid}"):
        with exclusive(target, f"journal {target}"):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with exclusive(target, "journal"):  # released by the kernel when the holder died
        pass


def test_second_generate_on_a_journal_is_refused(tmp_path, capsys):
    import os

    from nasbench.generation.journal import journal_path

    out = tmp_path / "t.h5"
    jpath = journal_path(out)
    jpath.write_text("")
    with exclusive(jpath, "journal"):  # another generate holds it (flock: another open file excludes too)
        code = main(["generate", "--dataset", "digits", "--out", str(out), "--epochs", "1", "--channels", "2",
                     "--limit", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1
    assert f"generation journal {jpath} is being written by process {os.getpid()}" in err
    assert jpath.read_text() == "" and not out.exists()  # nothing trained, nothing written


def test_kill_9_of_compare_with_jobs_leaves_no_worker(tmp_path, synthetic_h5):
    out, setup, gate = tmp_path / "res", tmp_path / "setup", tmp_path / "gate"
    setup.touch()  # the run gate never opens: the workers would wait for ever
    proc = _popen(str(_script(tmp_path, "gated.py", GATED)), str(setup), str(gate),
                  *_compare_args(synthetic_h5, out, "--jobs", "2"))
    _wait_for(lambda: len(_children(proc.pid)) >= 2, proc, "two worker processes")
    time.sleep(0.3)  # let the workers run their initialiser
    workers = _children(proc.pid)
    assert all(_alive(w) for w in workers)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:  # clean up before failing
        import os

        os.kill(w, signal.SIGKILL)
    assert not survivors, "worker processes outlived the killed compare"
    with exclusive(out, "results"):  # nobody holds the directory any more
        pass


def test_kill_during_the_results_rewrite_leaves_the_old_table_whole(tmp_path, synthetic_h5, capsys):
    out = tmp_path / "res"
    assert main(_compare_args(synthetic_h5, out)) == 0
    capsys.readouterr()
    old = (out / "results.csv").read_bytes()
    (out / "runs" / "evolution" / "00002.csv").unlink()  # so that a resume rewrites the table
    proc = _popen(str(_script(tmp_path, "killed.py", KILLED_MID_WRITE)), *_compare_args(synthetic_h5, out, "--resume"))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert (out / "results.csv").read_bytes() == old  # whole: the old table, not half of the new one
    assert main(_compare_args(synthetic_h5, out, "--resume")) == 0
    capsys.readouterr()
    assert (out / "results.csv").read_bytes() == old  # rebuilt whole (same config, same numbers)

"""The generator: kill -9 and resume, no lost or doubled rows, exact retraining, refusals."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nasbench
from nasbench.generation.config import DataSpec, GenerateConfig, GenerateError
from nasbench.generation.generate import generate
from nasbench.generation.journal import _parse, journal_path

TINY = ["--dataset", "digits", "--epochs", "2", "--channels", "2", "--cells-per-stage", "1", "--seeds", "1", "2",
        "--no-progress", "--save-every", "0"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "nasbench.cli", "generate", *args]


def _units(path: Path) -> list[dict]:
    lines = path.read_text().splitlines(keepends=True)
    bodies = [_parse(line) for line in lines[1:]]
    return [b for b in bodies if b is not None]


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.slow  # a generator killed in a fresh process (test_signals.py kills one in the default set)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and SIGKILL")
def test_kill_minus_9_and_resume(tmp_path):
    out = tmp_path / "t.h5"
    jpath = journal_path(out)
    proc = subprocess.Popen(_cli("--out", str(out), "--jobs", "2", "--limit", "40", *TINY),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        if jpath.exists() and len(jpath.read_text().splitlines()) >= 5:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"no progress: {proc.stderr.read().decode()[-500:]}")
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)
    assert all(not Path(f"/proc/{w}").exists() or "zombie" in Path(f"/proc/{w}/status").read_text().lower()
               for w in workers), "worker processes outlived the killed generator"
    before = _units(jpath)
    assert len(before) >= 4
    with open(jpath, "a") as fh:  # a write torn by the kill
        fh.write('{"crc":"0000","body":{"kind":"unit","cell":1,')
    r = subprocess.run(_cli("--out", str(out), "--jobs", "1", "--limit", "6", *TINY), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    after = _units(jpath)
    keys = [(u["cell"], u["seed"]) for u in after]
    assert len(keys) == len(set(keys)) == len(before) + 6  # nothing lost, nothing doubled
    assert after[: len(before)] == before
    assert all(line.endswith("\n") and _parse(line) for line in jpath.read_text().splitlines(keepends=True))
    bench = nasbench.load(out)
    for u in after:
        assert bench.query(u["cell"], "valid_acc", 2, u["seed"]) == u["run"]["valid_acc"][-1]
    assert nasbench.verify_table(out).ok
    # seed-major: all seed-1 trainings come before any seed-2 training in the work order
    assert [u["seed"] for u in after] == sorted(u["seed"] for u in after) or len(after) < 5260


def test_resume_after_a_torn_journal_line_in_process(tmp_path):
    """The resume half of the test above in this process: a journal cut off mid-line (as kill -9
    leaves it) resumes with nothing lost and nothing doubled."""
    out = tmp_path / "t.h5"
    jpath = journal_path(out)

    def cfg(limit: int) -> GenerateConfig:
        return GenerateConfig(DataSpec("digits"), {"epochs": 2, "C": 2, "N": 1}, seeds=(1, 2), limit=limit,
                              save_every=0)

    generate(out, cfg(2), progress=False)
    before = _units(jpath)
    assert len(before) == 2
    with open(jpath, "a") as fh:  # a write torn by a kill
        fh.write('{"crc":"0000","body":{"kind":"unit","cell":1,')
    generate(out, cfg(3), progress=False)
    after = _units(jpath)
    keys = [(u["cell"], u["seed"]) for u in after]
    assert len(keys) == len(set(keys)) == len(before) + 3  # nothing lost, nothing doubled
    assert after[: len(before)] == before
    assert all(line.endswith("\n") and _parse(line) for line in jpath.read_text().splitlines(keepends=True))
    bench = nasbench.load(out)
    for u in after:
        assert bench.query(u["cell"], "valid_acc", 2, u["seed"]) == u["run"]["valid_acc"][-1]
    assert nasbench.verify_table(out).ok
    assert [u["seed"] for u in after] == sorted(u["seed"] for u in after) or len(after) < 5260


def test_retraining_reproduces_the_journal(tmp_path):
    import torch

    from nasbench.training.datasets import load_dataset
    from nasbench.generation.config import recipe_from_dict
    from nasbench.training.train import train_cell

    out = tmp_path / "r.h5"
    cfg = GenerateConfig(DataSpec("digits"), {"epochs": 2, "C": 2, "N": 1}, seeds=(5,), limit=2)
    generate(out, cfg, progress=False)
    units = _units(journal_path(out))
    assert len(units) == 2
    header = _parse(journal_path(out).read_text().splitlines(keepends=True)[0])
    torch.set_num_threads(1)
    data = load_dataset(header["identity"]["data"]["dataset"])
    rec = train_cell(units[0]["cell"], data, recipe_from_dict(header["identity"]["recipe"]), units[0]["seed"])
    for m in ("train_loss", "valid_acc", "valid_loss", "test_acc"):
        assert getattr(rec, m).tolist() == units[0]["run"][m], m


def test_refusals(tmp_path):
    out = tmp_path / "t.h5"
    cfg = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(1,), limit=1)
    generate(out, cfg, progress=False)
    table_bytes = out.read_bytes()
    journal_bytes = journal_path(out).read_bytes()
    other = GenerateConfig(DataSpec("digits"), {"epochs": 2, "C": 2, "N": 1}, seeds=(1,), limit=1)
    with pytest.raises(GenerateError, match="different recipe; refusing to mix"):
        generate(out, other, progress=False)
    assert out.read_bytes() == table_bytes and journal_path(out).read_bytes() == journal_bytes
    foreign = tmp_path / "foreign.h5"
    foreign.write_bytes(table_bytes)
    with pytest.raises(GenerateError, match="no generation journal"):
        generate(foreign, cfg, progress=False)
    for bad, msg in ((dict(seeds=()), "seeds"), (dict(jobs=0), "jobs"), (dict(executor="dask"), "executor")):
        with pytest.raises(ValueError, match=msg):
            generate(tmp_path / "x.h5", GenerateConfig(DataSpec("digits"), {"epochs": 1}, **{"seeds": (1,), **bad}),
                     progress=False)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        generate(tmp_path / "x.h5", GenerateConfig(DataSpec("digits"), {"epochs": 0}), progress=False)
    with pytest.raises(ValueError, match="unknown dataset"):
        generate(tmp_path / "x.h5", GenerateConfig(DataSpec("mnist"), {"epochs": 1}), progress=False)
    with pytest.raises(ValueError, match="no train-images"):
        generate(tmp_path / "x.h5", GenerateConfig(DataSpec("fashion-mnist"), {"epochs": 1}, data_dir=str(tmp_path)),
                 progress=False)


CLI_BAD_INPUT = [
    (["--dataset", "digits", "--out", "{tmp}/a.h5", "--epochs", "0"], "--epochs must be a positive integer"),
    (["--dataset", "digits", "--out", "{tmp}/a.h5", "--jobs", "0"], "--jobs must be a positive integer"),
    (["--dataset", "nope", "--out", "{tmp}/a.h5"], "unknown dataset 'nope'"),
    (["--dataset", "digits", "--out", "{tmp}/a.h5", "--space", "nb101"], "unknown space 'nb101'"),
    (["--preset", "nb201-cifar"], "unknown preset"),
    (["--dataset", "fashion-mnist", "--data-dir", "{tmp}", "--out", "{tmp}/a.h5"], "no train-images"),
]


# in a fresh process: the first case in the default set, the rest marked slow (their in-process twins follow)
@pytest.mark.parametrize("argv, msg", [CLI_BAD_INPUT[0], *(pytest.param(*c, marks=pytest.mark.slow)
                                                          for c in CLI_BAD_INPUT[1:])])
def test_cli_bad_input(argv, msg, tmp_path):
    r = subprocess.run(_cli(*[a.format(tmp=tmp_path) for a in argv]), capture_output=True, text=True)
    assert r.returncode == 2
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, msg", CLI_BAD_INPUT)
def test_cli_bad_input_in_process(argv, msg, tmp_path, capsys):
    from nasbench.cli import main

    try:
        code = main(["generate", *[a.format(tmp=tmp_path) for a in argv]])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert msg in err and len(err.strip().splitlines()) == 1, err


def test_functional_classes_share_rows(tmp_path):
    from nasbench.space import class_table

    out = tmp_path / "f.h5"
    generate(out, GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(3,), limit=3),
             progress=False)
    bench = nasbench.load(out)
    cls, _ = class_table("functional")
    for cell in bench.row_arch:
        members = np.nonzero(cls == cls[cell])[0]
        vals = bench.query_many(members, "valid_acc", seed=3)
        assert (vals == vals[0]).all()
        assert len(bench.covered) >= len(bench.row_arch)


def test_ray_executor_matches_local(tmp_path, ray_local):
    """On the session's local Ray instance (conftest's ``ray_local``)."""
    cfg = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(4,), limit=3)
    generate(tmp_path / "local.h5", cfg, progress=False)
    generate(tmp_path / "ray.h5", GenerateConfig(cfg.data, cfg.recipe, cfg.seeds, limit=3, jobs=2, executor="ray"),
             progress=False)
    local = {(u["cell"], u["seed"]): u["run"] for u in _units(journal_path(tmp_path / "local.h5"))}
    remote = {(u["cell"], u["seed"]): u["run"] for u in _units(journal_path(tmp_path / "ray.h5"))}
    assert local.keys() == remote.keys() and len(local) == 3
    for k in local:  # same trainings, same numbers (time aside)
        for m in ("train_loss", "valid_acc", "test_acc"):
            assert local[k][m] == remote[k][m]


def test_journal_without_a_newer_recipe_field_resumes(tmp_path):
    """A journal written before a recipe field existed trained with the field's default: resuming
    it with the default spelled out works; with another value it is refused."""
    out = tmp_path / "t.h5"
    cfg = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(1,), limit=1)
    generate(out, cfg, progress=False)
    jpath = journal_path(out)
    lines = jpath.read_text().splitlines(keepends=True)
    head = _parse(lines[0])
    assert "cpu_channels_last" not in head["identity"]["recipe"]
    explicit = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1, "cpu_channels_last": False},
                              seeds=(1,), limit=1)
    report = generate(out, explicit, progress=False)
    assert report.trained_now == 1 and len(_units(jpath)) == 2
    other = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1, "cpu_channels_last": True},
                           seeds=(1,), limit=1)
    before = jpath.read_bytes()
    with pytest.raises(GenerateError, match="different recipe; refusing to mix"):
        generate(out, other, progress=False)
    assert jpath.read_bytes() == before



def test_journal_without_seed_groups_resumes_one_seed_per_pass(tmp_path):
    from nasbench.generation.journal import _line

    out = tmp_path / "t.h5"
    plain = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(1, 2), limit=1)
    generate(out, plain, progress=False)
    jpath = journal_path(out)
    lines = jpath.read_text().splitlines(keepends=True)
    head = _parse(lines[0])
    del head["identity"]["seed_groups"]  # as written before seed groups existed
    jpath.write_text(_line(head) + "".join(lines[1:]))
    assert generate(out, plain, progress=False).trained_now == 1
    stacked = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(1, 2), seed_groups=((1, 2),),
                             limit=1)
    with pytest.raises(GenerateError, match="different stacking of seeds"):
        generate(out, stacked, progress=False)


def test_stacked_seed_groups_reproduce_and_resume_whole(tmp_path):
    """A group of seeds trains as one stacked network: its rows are reproduced exactly by
    retraining the same stack; a group left half-written by a kill is trained again whole,
    without doubling the half that was recorded."""
    import torch

    from nasbench.training.datasets import load_dataset
    from nasbench.training.train import Recipe, train_many

    out = tmp_path / "g.h5"
    recipe = {"epochs": 2, "C": 2, "N": 1}
    cfg = GenerateConfig(DataSpec("digits"), recipe, seeds=(1, 2, 3), seed_groups=((1, 2), (3,)), limit=4)
    report = generate(out, cfg, progress=False)
    jpath = journal_path(out)
    units = _units(jpath)
    assert report.trained_now == 4 and report.total == 3 * 5260
    assert [u["seed"] for u in units] == [1, 2, 1, 2] and all(u["stack"] == [1, 2] for u in units)
    assert _parse(jpath.read_text().splitlines(keepends=True)[0])["identity"]["seed_groups"] == [[1, 2], [3]]
    torch.set_num_threads(1)
    data = load_dataset("digits")
    recs = train_many([units[0]["cell"]] * 2, [1, 2], data, Recipe(**recipe))
    for rec, unit in zip(recs, units[:2]):
        for m in ("train_loss", "valid_acc", "test_acc"):
            assert getattr(rec, m).tolist() == unit["run"][m], m
    bench = nasbench.load(out)
    assert bench.meta.extra["seed_groups"] == [[1, 2], [3]]
    row = bench.arch_row[units[0]["cell"]]
    assert bench.metrics["valid_acc"][row, 1].tolist() == units[1]["run"]["valid_acc"]

    # a kill between the two lines of the last group: drop its second line
    lines = jpath.read_text().splitlines(keepends=True)
    jpath.write_text("".join(lines[:-1]))
    report = generate(out, cfg, progress=False)
    again = _units(jpath)
    keys = [(u["cell"], u["seed"]) for u in again]
    assert len(keys) == len(set(keys)), "a unit was doubled"
    assert again[:3] == units[:3] and report.trained_now >= 1
    lost = next(u for u in again if (u["cell"], u["seed"]) == (units[3]["cell"], units[3]["seed"]))
    for m in ("train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss"):  # times differ, of course
        assert lost["run"][m] == units[3]["run"][m], f"the regrown half of the group differs in {m}"


def test_bad_seed_groups(tmp_path):
    for groups in (((1,), (1, 2)), ((1,),), ((1, 2), ())):
        with pytest.raises(GenerateError, match="must split the seeds"):
            generate(tmp_path / "x.h5", GenerateConfig(DataSpec("digits"), {"epochs": 1}, seeds=(1, 2),
                                                       seed_groups=groups), progress=False)
    r = subprocess.run(_cli("--dataset", "digits", "--out", str(tmp_path / "y.h5"), "--seed-groups", "1", "2,x"),
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--seed-groups takes groups like 777 888,999" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "y.h5").exists()


def test_journal_records_the_machine_fingerprint_and_a_change_of_machine(tmp_path, monkeypatch):
    """The header records this machine's fingerprint and each unit its id; a journal continued under
    another fingerprint is not refused: a machine line is appended and the table lists both. A
    journal older than fingerprints resumes, and a table built only from its units records none."""
    from nasbench.training.fingerprint import current
    from nasbench.generation.journal import _line

    out = tmp_path / "t.h5"
    cfg = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(1,), limit=2)
    generate(out, cfg, progress=False)
    jpath = journal_path(out)
    lines = jpath.read_text().splitlines(keepends=True)
    head = _parse(lines[0])
    here = current(threads=1)
    assert head["fingerprint"] == here.to_dict()
    assert all(u["fingerprint"] == here.id and "_machine" not in u for u in _units(jpath))
    assert nasbench.load(out).meta.extra["fingerprint"] == here.to_dict()

    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")  # another fingerprint (a recorded kernel setting)
    assert generate(out, cfg, progress=False).trained_now == 2
    bodies = _units(jpath)
    kinds = [b["kind"] for b in bodies]
    assert kinds == ["unit", "unit", "machine", "unit", "unit"]
    assert bodies[2]["fingerprint"]["settings"] == {"MKL_CBWR": "COMPATIBLE"}
    extra = nasbench.load(out).meta.extra
    assert extra["fingerprint"] is None
    assert sorted(f["trainings"] for f in extra["fingerprints"]) == [2, 2]
    assert generate(out, cfg, progress=False).trained_now == 2  # the same machine again: no new machine line
    assert [b["kind"] for b in _units(jpath)].count("machine") == 1

    legacy = tmp_path / "legacy.h5"
    monkeypatch.delenv("MKL_CBWR")
    generate(legacy, cfg, progress=False)
    lpath = journal_path(legacy)
    old = [_parse(line) for line in lpath.read_text().splitlines(keepends=True)]
    del old[0]["fingerprint"]
    for u in old[1:]:
        del u["fingerprint"]
    lpath.write_text("".join(_line(b) for b in old))
    cut = GenerateConfig(DataSpec("digits"), {"epochs": 1, "C": 2, "N": 1}, seeds=(1,), limit=1)
    from nasbench.generation.journal import Journal
    from nasbench.generation.journal_table import build_table

    assert "fingerprint" not in build_table(Journal.open(lpath, {"identity": cut.identity()})).meta.extra
    assert generate(legacy, cut, progress=False).trained_now == 1  # resumes, recording this machine
    extra = nasbench.load(legacy).meta.extra
    assert extra["fingerprint"] is None and sorted((f["fingerprint"] is None, f["trainings"])
                                                   for f in extra["fingerprints"]) == [(False, 1), (True, 2)]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize("argv, msg", [
    (["--device", "tpu"], "unknown device 'tpu'; allowed: cpu, cuda, cuda:N"),
    (["--device", "cuda:x"], "unknown device 'cuda:x'"),
    pytest.param(["--device", "cuda"], "device cuda: no CUDA GPU is available to torch",
                 marks=pytest.mark.skipif(_cuda(), reason="a GPU is present here")),
    (["--seeds", str(2**64)], f"seeds must be integers in 0..{2**63 - 1} (2^63 - 1), got {2**64}"),
    (["--seeds", "1", "-5"], "seeds must be integers in 0..9223372036854775807 (2^63 - 1), got -5"),
    (["--seed-groups", "1,-2"], "seeds must be integers in 0..9223372036854775807 (2^63 - 1), got -2"),
    (["--save-every", "-1"], "save_every must be a number of seconds >= 0 (inf: only at the end), got -1.0"),
    (["--save-every", "nan"], "save_every must be a number of seconds >= 0 (inf: only at the end), got nan"),
])
def test_cli_bad_input_writes_nothing(argv, msg, tmp_path, capsys):
    from nasbench.cli import main

    out = tmp_path / "a.h5"
    code = main(["generate", "--dataset", "digits", "--out", str(out), "--epochs", "1", "--limit", "1",
                 "--no-progress", *argv])
    err = capsys.readouterr().err
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []  # no journal, no table


def test_never_more_workers_than_trainings(monkeypatch):
    import nasbench.generation.train_units as units
    import nasbench.training.workers as workers

    asked = []
    monkeypatch.setattr(workers, "pool_map", lambda fn, tasks, jobs, *a: asked.append(jobs) or iter(()))
    cfg = GenerateConfig(DataSpec("digits"), {"epochs": 1}, seeds=(1,), jobs=8)
    list(units.trained_units(cfg, [(0, (1,)), (1, (1,)), (2, (1,))]))
    assert asked == [3]
    assert list(units.trained_units(cfg, [])) == [] and asked == [3]  # nothing to do: no worker started

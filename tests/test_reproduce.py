"""`nasbench reproduce nb201`: NAS-Bench-201's Table 5 rerun on the embedded tables, every row
with a number or a reason, sample standard deviations, verdicts, one-line errors."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nasbench.cli import main
from nasbench.validation.reproduce import (DATASETS, PAPER_TABLE5, Published, ReproduceError, Sample, Verdict, check_runs,
                                parse_datasets, reproduce, reproduction_config)
from nasbench.strategies.protocol import preset_for

METHODS = ("RSPS", "DARTS-V1", "DARTS-V2", "GDAS", "SETN", "ENAS", "REA", "RS", "REINFORCE", "BOHB", "ResNet")


def _need(*datasets: str) -> None:
    from nasbench.validation.reproduce import table_of
    from nasbench.tables.registry import resolve
    from nasbench.tables.hdf5 import TableError

    for d in datasets:
        try:
            resolve(table_of(d))
        except TableError:
            pytest.skip(f"embedded table {table_of(d)} not present")


def _row_line(out: str, method: str) -> str:
    lines = [line for line in out.splitlines() if line.split() and line.split()[0] == method]
    assert len(lines) == 1, (method, out)
    return lines[0]


def test_sample_std_is_ddof_1_and_se_is_ours():
    s = Sample.of([1.0, 2.0, 3.0, 4.0])
    assert s.std == pytest.approx(np.std([1, 2, 3, 4], ddof=1)) and s.std != pytest.approx(np.std([1, 2, 3, 4]))
    assert s.se == pytest.approx(s.std / 2) and s.n == 4
    assert math.isnan(Sample.of([5.0]).std)


def test_verdicts():
    paper = Published(93.92, 0.30)
    near = Verdict.of(Sample(93.93, 0.39, 500), paper)  # the tournament-3 figure
    assert near.within_std and near.within_2se
    far = Verdict.of(Sample(94.09, 0.32, 500), paper)  # tournament 10: 0.17 = 12 SE off, inside the paper's std
    assert far.within_std and not far.within_2se and "out of 2SE" in far.text()
    out = Verdict.of(Sample(93.50, 0.30, 500), paper)
    assert not out.within_std and not out.within_2se and "out of std" in out.text()
    # the bound is two of OUR standard errors: the same difference passes with few runs
    assert Verdict.of(Sample(94.09, 0.32, 10), paper).within_2se
    assert not Verdict.of(Sample(90.83, 0.1, 500), Published(90.83)).within_std  # a single number has no std


def test_paper_table_has_every_row_and_reasons():
    assert tuple(r.method for r in PAPER_TABLE5) == METHODS
    for r in PAPER_TABLE5:
        assert (r.strategy is None) == bool(r.reason), r.method
        for d in DATASETS:
            assert 10 < r.on(d).test.mean < 100
    assert {r.method: r.strategy for r in PAPER_TABLE5 if r.strategy} == {
        "REA": "evolution", "RS": "random", "REINFORCE": "reinforce"}


def test_config_takes_each_tables_preset_and_nb201_settings(tmp_path):
    for d in DATASETS:
        cfg = reproduction_config(d, 5, 1, str(tmp_path / d))
        preset = preset_for(cfg.table)
        assert cfg.protocol == preset.protocol and cfg.budget == preset.budget
        specs = {s.name: s.params for s in cfg.strategies}
        assert specs["evolution"] == {"population": 10, "sample_size": 3}
        assert specs["reinforce"]["lr"] == 0.001 and specs["reinforce"]["ema_momentum"] == 0.9
        assert specs["random"] == {"dedupe": False}


def test_bad_input_is_refused():
    with pytest.raises(ReproduceError, match="unknown dataset 'cifar11'; valid: cifar10, cifar100, imagenet16-120"):
        parse_datasets("cifar10,cifar11")
    with pytest.raises(ReproduceError, match="names no dataset"):
        parse_datasets(" , ")
    assert parse_datasets("CIFAR10, cifar10,imagenet16-120") == ("cifar10", "imagenet16-120")
    for bad in (0, 1, -3, 2.5, True, "500", 10**6):
        with pytest.raises(ReproduceError, match="--runs must be an integer from 2"):
            check_runs(bad)


@pytest.mark.parametrize("args, message", [
    (["--datasets", "cifar11"], "unknown dataset 'cifar11'; valid: cifar10, cifar100, imagenet16-120"),
    (["--datasets", ","], "--datasets names no dataset"),
    (["--runs", "1"], "--runs must be an integer from 2"),
    (["--runs", "0"], "--runs must be an integer from 2"),
    (["--jobs", "0"], "--jobs must be a positive integer"),
    (["--sample-size", "0"], "--sample-size must be a positive integer"),
    (["--seed", "-1"], "--seed must be a non-negative integer"),
])
def test_cli_bad_input_is_one_line_exit_2(args, message, capsys, tmp_path):
    assert main(["reproduce", "nb201", "--out", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "r").exists()  # nothing written


def test_cli_unknown_benchmark_is_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "nb101"])
    assert exc.value.code == 2 and "invalid choice: 'nb101'" in capsys.readouterr().err


def test_cifar10_few_runs_every_row_number_or_reason(tmp_path, capsys):
    _need("cifar10")
    out_dir = tmp_path / "repro"
    assert main(["reproduce", "nb201", "--datasets", "cifar10", "--runs", "6", "--jobs", "1", "--out", str(out_dir),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    preset = preset_for("nb201-cifar10")
    assert f"6 runs each, seed 201; signal {preset.protocol.metric} (seed={preset.protocol.seed})" in out
    assert f"budget {preset.budget.amount:,.0f} simulated s" in out and "tournament 3" in out
    assert "NAS-Bench-201 (Dong & Yang, ICLR 2020), Table 5" in out
    for r in PAPER_TABLE5:
        line = _row_line(out, r.method)
        assert r.on("cifar10").test.text() in line  # the paper's number beside ours
        if r.reason:
            assert f"not reproduced: {r.reason}" in line
        else:
            assert "not reproduced" not in line and ("std" in line) and ("2SE" in line)
    assert "not reproduced: weight-sharing" in _row_line(out, "DARTS-V1")
    assert "per-epoch learning curves" in _row_line(out, "BOHB")
    assert "outside the cell space" in _row_line(out, "ResNet")
    opt = _row_line(out, "optimal")
    assert opt.count("94.37") == 2 and opt.count("91.61") == 2  # the paper's and the table's
    # our std is the sample std (ddof=1) of the final incumbents' test accuracy
    df = pd.read_csv(out_dir / "cifar10" / "results.csv")
    fin = df.sort_values(["strategy", "run", "step"]).groupby(["strategy", "run"]).tail(1)
    for method, strategy in (("REA", "evolution"), ("RS", "random"), ("REINFORCE", "reinforce")):
        t = fin[fin["strategy"] == strategy]["incumbent_test"].to_numpy()
        assert len(t) == 6
        assert f"{t.mean():.2f} ± {t.std(ddof=1):.2f}" in _row_line(out, method)
    # an existing results directory is refused (one line) unless --resume, which reuses its runs
    assert main(["reproduce", "nb201", "--datasets", "cifar10", "--runs", "6", "--jobs", "1",
                 "--out", str(out_dir), "--no-progress"]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["reproduce", "nb201", "--datasets", "cifar10", "--runs", "6", "--jobs", "1", "--out", str(out_dir),
                 "--no-progress", "--resume"]) == 0
    again = capsys.readouterr().out
    assert _row_line(again, "REA") == _row_line(out, "REA")


def test_cli_page_writes_the_results_page(tmp_path, capsys):
    """`--page PATH` writes the results page: the command with every setting, the machine, the date,
    the reports verbatim and the verdicts read from them; rerunning the named command rewrites it."""
    _need("cifar10")
    page, out_dir = tmp_path / "reproduction.md", tmp_path / "out"
    assert main(["reproduce", "nb201", "--datasets", "cifar10", "--runs", "3", "--jobs", "1", "--out", str(out_dir),
                 "--no-progress", "--page", str(page)]) == 0
    captured = capsys.readouterr()
    assert f"wrote {page}" in captured.err
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# NAS-Bench-201 reproduction\n\n- **Command:** `nasbench reproduce nb201 --datasets "
                           f"cifar10 --runs 3 --jobs 1 --seed 201 --sample-size 3 --out {out_dir} --no-progress "
                           f"--page {page}`\n")
    for field in ("Machine", "Wall time", "Date", "Commit"):
        assert f"- **{field}:** " in text
    report = captured.out.strip()
    assert report.startswith("NAS-Bench-201 cifar10 (nb201-cifar10): 3 runs each") and report in text
    assert "rerun rows lie within the paper's standard deviation" in text
    assert "- cifar10, test accuracy against the paper: REA " in text


def test_cli_page_in_a_missing_folder_is_refused_before_running(tmp_path, capsys):
    page = tmp_path / "no-such-folder" / "reproduction.md"
    assert main(["reproduce", "nb201", "--datasets", "cifar10", "--runs", "3", "--jobs", "1",
                 "--out", str(tmp_path / "r"), "--no-progress", "--page", str(page)]) == 2
    err = capsys.readouterr().err
    assert f"folder {page.parent} does not exist" in err and err.count("\n") == 1, err
    assert not (tmp_path / "r").exists()  # nothing run


def test_three_datasets_small(tmp_path):
    """The code path on all three tables, each under its own preset (whatever it is), with the
    paper's numbers of each dataset beside ours."""
    _need(*DATASETS)
    lines = []
    results = reproduce(DATASETS, runs=3, jobs=1, out=str(tmp_path), emit=lines.append)
    assert [r.dataset for r in results] == list(DATASETS) and len(lines) == 3
    for res, text, paper_test in zip(results, lines, ("93.70 ± 0.36", "71.04 ± 1.07", "44.57 ± 1.25")):
        preset = preset_for(res.config.table)
        assert res.config.protocol == preset.protocol and res.config.budget == preset.budget
        assert paper_test in _row_line(text, "RS")
        assert (tmp_path / res.dataset / "results.csv").is_file()
        assert all((r.test is None) == bool(r.reason) for r in res.rows)
    assert [r.table_optimum.test.mean for r in results] == pytest.approx([94.37, 73.51, 47.31], abs=0.006)


@pytest.mark.slow
def test_cifar10_500_runs_against_the_paper(tmp_path):
    """The CIFAR-10 claims at 500 runs (README): REA within two of our standard errors of 93.92 and
    within the paper's std; random search and REINFORCE within the paper's std. Random search lands
    above 93.70 (the table's 12-epoch signal is a seed mean, less noisy than NAS-Bench-201's one
    seed per query, so its pick is better), by less than four standard errors."""
    _need("cifar10")
    (res,) = reproduce(("cifar10",), runs=500, jobs=2, out=str(tmp_path), emit=None)
    rea, rs, rl = res.row("REA"), res.row("RS"), res.row("REINFORCE")
    assert rea.test.n == rs.test.n == rl.test.n == 500
    assert rea.test_verdict.within_2se and rea.test_verdict.within_std, rea
    assert rs.test_verdict.within_std and rl.test_verdict.within_std, (rs, rl)
    assert 0 < rs.test_verdict.diff < 4 * rs.test.se, rs
    assert rea.test.std == pytest.approx(0.39, abs=0.03) and rs.test.std == pytest.approx(0.34, abs=0.03)

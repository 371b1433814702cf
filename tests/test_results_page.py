"""The results pages (docs/results/*.md): the helper's format, and each measuring script's ``--page``
on its smallest setting."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nasbench.analysis import results_page as rp

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _prov(**kw) -> rp.Provenance:
    return rp.Provenance("python scripts/x.py --n 1", 3.25, **kw)


def _has_provenance(text: str, command: str) -> None:
    assert f"- **Command:** `{command}`" in text
    assert re.search(r"^- \*\*Machine:\*\* .+, \d+ cores?; .*Python \d", text, re.M), text
    assert re.search(r"^- \*\*Date:\*\* \d{4}-\d\d-\d\d \d\d:\d\d UTC$", text, re.M), text
    assert re.search(r"^- \*\*Commit:\*\* \S+", text, re.M), text
    assert rp.GENERATED in text


def test_machine_names_cpu_cores_python_and_libraries():
    m = rp.machine()
    assert "core" in m and "Python" in m and "numpy" in m
    assert "GPU" in m  # either the device used or "no GPU used"


def test_page_has_title_command_machine_date_commit_and_body(tmp_path):
    path = rp.write_page(tmp_path / "p.md", "A title", "| a | b |\n| --- | --- |", _prov(), intro="What it is.")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# A title\n\n- **Command:**")
    _has_provenance(text, "python scripts/x.py --n 1")
    assert "- **Wall time:** 3.2 s" in text or "- **Wall time:** 3.3 s" in text
    assert text.index("What it is.") < text.index("| a | b |") and text.endswith("\n")


def test_a_command_holding_backticks_keeps_its_code_span():
    assert "- **Command:** `` python x.py --title 'a `b`' ``" in rp.Provenance("python x.py --title 'a `b`'").lines()


def test_commit_is_marked_when_the_code_differs(tmp_path):
    assert rp.git_commit(tmp_path) == "unknown (not a git checkout)"
    head = rp.git_commit()
    assert re.fullmatch(r"[0-9a-f]{4,}( \(with uncommitted changes\))?", head)


def test_a_section_is_replaced_alone_and_appended_when_new(tmp_path):
    page = tmp_path / "s.md"
    rp.write_page(page, "One", "first body", _prov(), section="one", page_title="The page")
    page.write_text(page.read_text() + "\nHand-written text between the sections.\n")
    rp.write_page(page, "Two", "second body", _prov(), section="two")
    rp.write_page(page, "One", "first body, remeasured", _prov(), section="one")
    text = page.read_text()
    assert text.startswith("# The page\n")
    assert "first body, remeasured" in text and "first body\n" not in text
    assert text.index("remeasured") < text.index("Hand-written") < text.index("second body")
    assert text.count("<!-- results:one begin -->") == 1 and text.count("## One") == 1
    page.write_text(text.replace("<!-- results:two end -->", ""))
    with pytest.raises(ValueError, match="one marker"):
        rp.write_page(page, "Two", "x", _prov(), section="two")
    with pytest.raises(ValueError, match="section key"):
        rp.write_page(page, "Bad", "x", _prov(), section="Bad Key")


def test_page_options_are_taken_off_the_arguments():
    opts, rest = rp.pop_page(["--runs", "2", "--page", "a.md", "--page-section=cpu", "--page-title", "T"])
    assert opts == {"page": "a.md", "section": "cpu", "title": "T"} and rest == ["--runs", "2"]
    assert rp.pop_page(["--runs", "2"]) == ({}, ["--runs", "2"])
    with pytest.raises(SystemExit):
        rp.pop_page(["--page"])
    with pytest.raises(SystemExit):
        rp.pop_page(["--page-section", "x"])


def test_run_to_page_writes_the_output_verbatim_and_only_on_success(tmp_path, capsys):
    seen = []

    def ok(argv):
        seen.append((list(argv), sys.argv[1:]))
        print("measured 1.5x")
        return 0

    page = tmp_path / "r.md"
    assert rp.run_to_page(ok, ["--n", "3", "--page", str(page)], "python scripts/m.py", "Measured",
                          intro="Intro.", section="m", page_title="Page") == 0
    assert seen == [(["--n", "3"], ["--n", "3"])]
    text = page.read_text()
    _has_provenance(text, f"python scripts/m.py --n 3 --page {page}")
    assert "```text\nmeasured 1.5x\n```" in text and "<!-- results:m begin -->" in text
    assert "measured 1.5x" in capsys.readouterr().out  # still printed
    bad = tmp_path / "bad.md"
    assert rp.run_to_page(lambda argv: 2, ["--page", str(bad)], "python scripts/m.py", "Measured") == 2
    assert not bad.exists()


def _run(script: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(SCRIPTS / script), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _need_embedded(*names: str) -> None:
    from nasbench.tables.registry import resolve
    from nasbench.tables.hdf5 import TableError

    for name in names:
        try:
            resolve(name)
        except TableError:
            pytest.skip(f"embedded table {name} not present")


@pytest.mark.slow
def test_reproduce_nb201_writes_its_page(tmp_path):
    """The script in a fresh process; tests/test_scripts.py::test_reproduce_nb201_script_in_process runs
    the same reproduction with ``--page`` in this process and checks the page with reproduction_page."""
    _need_embedded("nb201-cifar10")
    page = tmp_path / "reproduction.md"
    args = ["--datasets", "cifar10", "--runs", "2", "--jobs", "1", "--out", str(tmp_path / "out"), "--no-progress",
            "--page", str(page)]
    _run("reproduce_nb201.py", *args)
    reproduction_page(page, args)


def reproduction_page(page: Path, args: list[str]) -> None:
    """The page of ``scripts/reproduce_nb201.py <args>`` (``args`` with ``--page page``)."""
    text = page.read_text()
    out = args[args.index("--out") + 1]
    assert text.startswith("# NAS-Bench-201 reproduction\n")
    # the script is `nasbench reproduce nb201`, and the page names that command with every setting
    _has_provenance(text, "nasbench reproduce nb201 --datasets cifar10 --runs 2 --jobs 1 --seed 201 --sample-size 3 "
                    f"--out {out} --no-progress --page {page}")
    assert "```text\nNAS-Bench-201 cifar10 (nb201-cifar10): 2 runs each" in text
    assert "- cifar10, test accuracy against the paper: REA " in text and "rerun rows lie within" in text


def test_main_job_writes_its_page_from_summary_csv(tmp_path):
    _need_embedded("nb201-cifar10")
    page = tmp_path / "main-job.md"
    args = ["--runs", "2", "--jobs", "1", "--no-plots", "--no-progress", "--out", str(tmp_path / "mj"),
            "--page", str(page)]
    _run("main_job.py", *args)
    text = page.read_text()
    _has_provenance(text, "python scripts/main_job.py " + " ".join(args))
    assert "| strategy | test accuracy | regret | queries per run | runs on the optimum |" in text
    assert "| random search | " in text and "| cheap gradient | " in text
    assert "4 strategies x 2 runs" in text and "no plots" in text
    assert text.count("\n- ") >= 6  # one verdict per pair of the 4 strategies


@pytest.mark.slow
def test_bench_load_writes_its_section_of_the_speed_page(tmp_path):
    page = tmp_path / "speed.md"
    page.write_text((ROOT / "docs" / "results" / "speed.md").read_text())
    _run("bench_load.py", "--repeats", "1", "--page", str(page))
    text = page.read_text()
    assert text.count("<!-- results:loading begin -->") == 1 and "nb201-digits.h5" in text
    assert "<!-- results:queries begin -->" in text and "<!-- results:search-overhead begin -->" in text
    _has_provenance(text, f"python scripts/bench_load.py --repeats 1 --page {page}")


def test_bench_bridges_page_option_on_the_native_strategies(tmp_path):
    _need_embedded("nb201-cifar10")
    page = tmp_path / "bridges.md"
    _run("bench_bridges.py", "--queries", "5", "--rounds", "1", "--strategies", "", "--shapes", "",
         "--page", str(page), "--page-section", "native", "--page-title", "Native only")
    text = page.read_text()
    assert "<!-- results:native begin -->\n## Native only\n" in text and "per query" in text


def test_every_results_section_names_its_command_machine_and_date():
    for path in sorted((ROOT / "docs" / "results").glob("*.md")):
        if path.name == "index.md":
            continue
        for sec in re.split(r"(?m)^## ", path.read_text(encoding="utf-8"))[1:]:
            head = sec[:1500]
            assert re.search(r"^- \*\*Commands?:\*\* ", head, re.M), (path.name, sec[:80])
            assert "- **Machine:** " in head and "- **Date:** " in head, (path.name, sec[:80])


def test_every_script_with_a_page_option_is_listed_in_the_index():
    index = (ROOT / "docs" / "results" / "index.md").read_text(encoding="utf-8")
    for script in sorted(SCRIPTS.glob("*.py")):
        if "run_to_page" in script.read_text(encoding="utf-8") or "--page" in script.read_text(encoding="utf-8"):
            assert f"scripts/{script.name}" in index, script.name

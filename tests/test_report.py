"""report.html without a browser: the page parsed (stdlib HTMLParser) against the files of a small
real comparison on nb201-cifar10 (summary.csv, pairs.csv, results.csv, config.json) and of a
multi-table comparison on SYNTHETIC tables; the CLI's report command and its refusals."""
from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import report_results
from nasbench.cli import main
from nasbench.search.runner import ExperimentConfig, final_rows
from nasbench.analysis.palette import strategy_colours
from nasbench.analysis.report_data import PairVerdict, complete_mean, read_pairs
from nasbench.analysis.report_html import verdict_matrix

VOID = {"meta", "br", "link", "img", "input", "hr", "col", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node"] = field(default_factory=list)
    text: str = ""

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        out = []
        for c in self.children:
            if (tag is None or c.tag == tag) and all(c.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(c)
            out += c.find_all(tag, **attrs)
        return out


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):  # noqa: ANN001
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):  # noqa: ANN001
        self.stack[-1].children.append(Node("#text", {}, text=data))


def parse(path: Path) -> Node:
    p = _Tree()
    p.feed(path.read_text(encoding="utf-8"))
    return p.root


@pytest.fixture(scope="module")
def single() -> Path:
    return report_results.single()


@pytest.fixture(scope="module")
def page(single) -> Node:
    return parse(single / "report.html")


def _specs(page: Node) -> dict[str, dict]:
    """figure kind -> its Plotly spec (strict JSON: json.loads refuses NaN)."""
    out = {}
    for s in page.find_all("script"):
        if "figure-spec" in s.attrs.get("class", ""):
            fig = next(d for d in page.find_all("div") if d.attrs.get("id") == s.attrs["data-for"])
            out[fig.attrs["data-figure"]] = json.loads(s.all_text(), parse_constant=lambda c: pytest.fail(c))
    return out


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def test_summary_table_holds_the_numbers_of_summary_csv(single, page):
    with open(single / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    table = next(t for t in page.find_all("table") if t.attrs.get("data-file") == "summary.csv")
    assert len(rows) == len(report_results.STRATEGIES)
    for row in rows:
        tr = table.find_all("tr", data_strategy=row["strategy"])
        assert len(tr) == 1, row["strategy"]
        cells = {c.attrs["data-col"]: c for c in tr[0].children if c.tag in ("td", "th")}
        assert set(cells) == set(row)  # every column of the file, whatever its columns are
        for col, value in row.items():
            cell = cells[col]
            assert cell.attrs["data-value"] == value  # the file's own string
            if col == "strategy":
                assert cell.all_text() == value
                continue
            shown = cell.all_text()
            v = float(value)
            if math.isnan(v):
                assert shown == "n/a"
            else:  # the number shown is the file's, rounded to the digits shown
                assert abs(float(shown) - v) <= 0.5 * 10 ** -_decimals(shown) + 1e-12, (col, shown, value)


def test_verdict_matrix_matches_pairs_csv(single, page):
    pairs = pd.read_csv(single / "pairs.csv")
    assert len(pairs) == 3
    cells = {(c.attrs["data-row"], c.attrs["data-col"]): c for c in page.find_all("td") if "data-verdict" in c.attrs}
    assert len(cells) == 2 * len(pairs)
    for p in pairs.itertuples():
        ab, ba = cells[(p.a, p.b)], cells[(p.b, p.a)]
        assert ab.attrs["title"] == p.verdict == ba.attrs["title"]
        if p.significant:
            assert {ab.attrs["data-verdict"], ba.attrs["data-verdict"]} == {"better", "worse"}
            assert cells[(p.better, p.b if p.better == p.a else p.a)].attrs["data-verdict"] == "better"
        else:
            assert ab.attrs["data-verdict"] == ba.attrs["data-verdict"] == "same"


def test_verdict_matrix_symbols():
    pairs = [PairVerdict("x", "y", True, "y", 0.002, -0.9, "y finds better cells than x"),
             PairVerdict("x", "z", False, "", 0.4, 0.1, "no detectable difference between x and z"),
             PairVerdict("y", "z", False, "", float("nan"), float("nan"), "y vs z: not tested")]
    html = verdict_matrix(["x", "y", "z"], pairs, {})
    found = {(r, c): k for r, c, k in re.findall(r"data-row='(\w)' data-col='(\w)' data-verdict='(\w+)'", html)}
    assert found == {("x", "y"): "worse", ("y", "x"): "better", ("x", "z"): "same", ("z", "x"): "same",
                     ("y", "z"): "untested", ("z", "y"): "untested"}
    assert "▲" in html and "▼" in html


def test_read_pairs_tolerates_other_columns(tmp_path):
    """A pairs.csv with more (or renamed p) columns, e.g. from a post-hoc test, still reads."""
    (tmp_path / "pairs.csv").write_text("a,b,test,p_adj,significant,cliffs_delta,extra,verdict\n"
                                        "u,v,dunn,0.01,True,-0.8,1,v is better\n")
    (p,) = read_pairs(tmp_path / "pairs.csv")
    assert (p.a, p.b, p.significant, p.better, p.p, p.verdict) == ("u", "v", True, "v", 0.01, "v is better")
    assert read_pairs(tmp_path / "absent.csv") == []


def test_regret_curves_average_every_run_and_end_at_the_summary_regret(single, page):
    specs = _specs(page)
    assert {"regret-queries", "regret-time", "final-values"} <= set(specs)
    summary = pd.read_csv(single / "summary.csv", index_col="strategy")
    colours = strategy_colours(list(report_results.STRATEGIES))
    for kind in ("regret-queries", "regret-time"):
        means = [t for t in specs[kind]["data"] if t["meta"]["role"] == "mean"]
        assert [t["name"] for t in means] == list(report_results.STRATEGIES)
        for t in means:
            assert t["line"]["color"] == colours[t["name"]]  # the palette's colour, as in the figures
            regret = np.array([c[0] for c in t["customdata"]])
            assert regret[-1] == pytest.approx(summary.loc[t["name"], "regret_mean"], abs=1e-9)
            assert all(y > 0 for y in t["y"])  # drawable on the log axis
    # every point averages all 5 runs (none before every run has an incumbent): recomputed here
    frame = pd.read_csv(single / "results.csv")
    best = json.loads((single / "provenance.json").read_text())["optimum"]["best_test"]
    for t in (t for t in specs["regret-queries"]["data"] if t["meta"]["role"] == "mean"):
        runs = frame[frame.strategy == t["name"]]
        for x, (mean, _) in zip(t["x"], t["customdata"]):
            seen = runs[runs.step <= x].sort_values("step").groupby("run").tail(1)
            assert len(seen) == 5
            assert mean == pytest.approx(best - seen["incumbent_test"].mean(), abs=1e-9)
        assert t["x"][0] == runs.groupby("run")["step"].min().max()  # starts where the last run starts


def test_final_values_are_every_runs_final_incumbent(single, page):
    fig = _specs(page)["final-values"]
    fin = final_rows(pd.read_csv(single / "results.csv"))
    assert [t["name"] for t in fig["data"]] == list(report_results.STRATEGIES)
    for t in fig["data"]:
        want = fin.loc[fin.strategy == t["name"], "incumbent_test"].to_numpy()
        assert sorted(t["y"]) == pytest.approx(sorted(want))
        assert t["type"] == "violin" and len(t["text"]) == 5


def test_page_is_self_contained_and_fits_a_phone(single, page):
    text = (single / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""<(script|img|link|iframe)[^>]*\s(src|href)\s*=""", text, re.I)  # nothing loaded
    assert "https://cdn" not in text.split("<script>")[0]
    metas = {m.attrs.get("name"): m.attrs.get("content") for m in page.find_all("meta")}
    assert "width=device-width" in metas["viewport"]
    assert "@media (max-width" in text
    assert "Plotly.newPlot" in text and len(text) > 3_000_000  # plotly.js itself is inside


def test_rerun_command_recreates_the_config(single, page, tmp_path):
    pre = next(p for p in page.find_all("pre") if p.attrs.get("class") == "rerun").all_text()
    m = re.fullmatch(r"cat > rerun.yaml <<'EOF'\n(.*)EOF\nnasbench compare rerun.yaml --out (\S+)", pre, re.S)
    assert m, pre
    assert m.group(2) == str(single)
    (tmp_path / "rerun.yaml").write_text(m.group(1))
    cfg = ExperimentConfig.from_file(tmp_path / "rerun.yaml")
    assert cfg.identity() == json.loads((single / "config.json").read_text())


def test_page_shows_config_and_provenance(single, page):
    prov = json.loads((single / "provenance.json").read_text())
    text = page.all_text()
    assert prov["table"]["sha256"] in text and prov["nasbench_version"] in text
    ids = {n.attrs.get("id") for n in page.find_all()}
    assert {"summary", "verdicts", "curves", "finals", "config", "provenance", "rerun"} <= ids


def test_complete_mean_keeps_only_points_with_every_run():
    v = np.array([[np.nan, 5.0, 4.0, 1.0], [9.0, 9.0, 2.0, 2.0]])
    keep, mean, se = complete_mean(v)
    assert keep.tolist() == [False, True, True, True]
    assert mean.tolist() == [7.0, 3.0, 1.5]  # not 9 then 7: the first point (one run) is left out
    assert se[0] == pytest.approx(np.std([5, 9], ddof=1) / np.sqrt(2))


def test_multi_table_report():
    path = report_results.multi()
    page = parse(path / "report.html")
    agg = pd.read_csv(path / "aggregate.csv", index_col="strategy")
    table = next(t for t in page.find_all("table") if t.attrs.get("data-file") == "aggregate.csv")
    for k in report_results.STRATEGIES:
        (tr,) = table.find_all("tr", data_strategy=k)
        cell = next(c for c in tr.children if c.attrs.get("data-col") == "mean_rank")
        assert float(cell.attrs["data-value"]) == agg.loc[k, "mean_rank"]
    specs = _specs(page)
    heat = specs["ranks"]["data"][0]
    manifest = json.loads((path / "multitable.json").read_text())
    tables = [e["table"] for e in manifest["tables"]]
    assert heat["x"] == tables and heat["y"] == list(report_results.STRATEGIES)
    assert heat["z"] == [[agg.loc[k, f"rank:{t}"] for t in tables] for k in report_results.STRATEGIES]
    assert "normalised-regret" in specs
    # every table's own sections, summary included
    assert len([t for t in page.find_all("table") if t.attrs.get("data-file") == "summary.csv"]) == 2
    pre = next(p for p in page.find_all("pre") if p.attrs.get("class") == "rerun").all_text()
    yaml_text = re.search(r"<<'EOF'\n(.*)EOF\n", pre, re.S).group(1)
    import yaml

    assert yaml.safe_load(yaml_text)["table"] == tables


def test_cli_report_writes_the_page_and_refuses_bad_paths(single, tmp_path, capsys):
    out = tmp_path / "sub" / "r.html"
    assert main(["report", str(single), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (single / "report.html").read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no results directory" in err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a finished results directory" in capsys.readouterr().err
    assert main(["report", str(single), "--out", str(tmp_path)]) == 2  # a directory: refused, nothing written
    assert "is a directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_cli_compare_writes_report(tmp_path):
    out = tmp_path / "r"
    assert main(["compare", "--table", "nb201-cifar10", "--strategies", "random,evolution", "--runs", "2",
                 "--budget", "10", "--budget-kind", "queries", "--jobs", "1", "--out", str(out),
                 "--no-progress"]) == 0
    assert (out / "report.html").is_file() and (out / "figures").is_dir()
    nop = tmp_path / "n"
    assert main(["compare", "--table", "nb201-cifar10", "--strategies", "random", "--runs", "2", "--budget", "10",
                 "--budget-kind", "queries", "--jobs", "1", "--out", str(nop), "--no-progress", "--no-plots"]) == 0
    assert not (nop / "report.html").exists()


@pytest.mark.slow  # the script in a fresh process; the in-process test below runs the same code
def test_bench_report_script_runs_on_a_results_directory(single):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "scripts" / "bench_report.py"), "--results", str(single),
                          "--repeats", "1"], capture_output=True, text=True, check=True).stdout
    assert "report / figures" in out and "plotly.js" in out


def test_bench_report_script_in_process(single, capsys, monkeypatch):
    import sys

    from conftest import load_script

    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts the repository on it
    assert load_script("bench_report").main(["--results", str(single), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "report / figures" in out and "plotly.js" in out


def test_extra_columns_from_other_summaries_are_shown(single, tmp_path):
    """A summary.csv with more columns than today's (e.g. distinct final incumbents) shows them all."""
    import shutil

    d = tmp_path / "r"
    shutil.copytree(single, d)
    s = pd.read_csv(d / "summary.csv")
    s.insert(3, "distinct_incumbents", [5, 4, 3])
    s["note"] = ["x<y", "", "ok"]
    s.to_csv(d / "summary.csv", index=False)
    assert main(["report", str(d)]) == 0
    table = next(t for t in parse(d / "report.html").find_all("table") if t.attrs.get("data-file") == "summary.csv")
    (tr,) = table.find_all("tr", data_strategy="random")
    cells = {c.attrs["data-col"]: c.all_text() for c in tr.children if c.tag in ("td", "th")}
    assert cells["distinct_incumbents"] == "5" and cells["note"] == "x<y"
    assert list(cells) == list(s.columns)


def test_multi_report_without_a_test_over_tables():
    import dataclasses

    from nasbench.analysis.report import multi_html
    from nasbench.analysis.report_data import multi_report

    m = multi_report(report_results.multi())
    html = multi_html(dataclasses.replace(m, tests={"friedman": {"p": None}, "nemenyi_cd": None}), "")
    assert "p = n/a" in html
    assert "No test over tables" in multi_html(dataclasses.replace(m, tests={}), "")

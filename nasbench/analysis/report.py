"""One self-contained HTML page per results directory: `report.html`.

```python
from nasbench.analysis.report import write_report
write_report("results/default")          # -> results/default/report.html
```

It shows the summary (the numbers of `summary.csv`), which differences are real (`pairs.csv`
as a matrix), interactive regret curves (hover for values, click a legend entry to hide a
strategy), the final values of every run, the configuration, the provenance and the exact command
that reruns the comparison; for a multi-table directory also the ranks on each table, the tests
over tables, the normalised regret averaged over tables, and every table's own sections.

The page needs no network: plotly.js (from the installed `plotly` package) and the figures'
data are inlined. Colours come from `nasbench.analysis.palette`, the same as in the figures. The file
is written atomically; nothing else in the directory is changed (a `summary.csv` or
`aggregate.csv` missing from the directory is written first).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..search.config import ConfigError
from .report_data import MultiReport, TableReport, multi_report, table_report
from .report_html import (AGGREGATE_COLUMNS, SUMMARY_COLUMNS, csv_table, curve_figure, curve_note,
                          distribution_figure, esc, figure_div, flatten, key_values, page, pre, rank_figure,
                          verdict_matrix)

REPORT_FILE = "report.html"


class ReportError(ConfigError):
    """A report that cannot be written: no results directory, no plotly."""


def plotly_js() -> str:
    """The installed plotly package's plotly.js bundle (minified), to inline in the page.

    Returns:
        The JavaScript source.

    Raises:
        ReportError: when plotly is not installed.
    """
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise ReportError("the report needs plotly: pip install plotly") from None
    return get_plotlyjs()


def _plotly_version() -> str:
    try:
        from importlib.metadata import version

        return version("plotly")
    except Exception:  # noqa: BLE001 - only a label on the page
        return "unknown"


class _Figures:
    """Numbers the page's figures fig-1, fig-2, ... in the order they are placed."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, spec: dict, kind: str) -> str:
        self.n += 1
        return figure_div(spec, f"fig-{self.n}", kind)


def _table_sections(r: TableReport, figs: _Figures, prefix: str, level: int) -> list[tuple[str, str, str]]:
    """(anchor, heading, html) of one results directory's sections."""
    h = f"h{level}"
    optimum = f"optimum {r.test_metric} of the table: {r.optimum:.3f}"
    out = [(f"{prefix}summary", "Summary",
            f"<p class='note'>One row per strategy: the numbers of <code>summary.csv</code> (mean over runs of the "
            f"final incumbent; hover a heading for its column name). {esc(optimum)}.</p>"
            + csv_table(r.summary, SUMMARY_COLUMNS, "summary.csv")),
           (f"{prefix}verdicts", "Which differences are real",
            f"<p class='note'>From <code>pairs.csv</code>: every pair of strategies tested on the final "
            f"{esc(r.test_metric)} of its runs.</p>" + verdict_matrix(r.labels, r.pairs, r.colours))]
    if r.curves:
        out.append((f"{prefix}curves", "Regret curves",
                    "<p class='note'>Hover for values; click a strategy in the legend to hide or show it "
                    "(double-click: only it).</p>"
                    + "".join(figs(curve_figure(c), c.key) + curve_note(c) for c in r.curves)))
    if r.finals:
        out.append((f"{prefix}finals", "Final values",
                    figs(distribution_figure(r.finals, r.optimum, r.test_metric), "final-values")))
    return [(a, t, f"<{h} id='{esc(a)}'>{esc(t)}</{h}>{body}") for a, t, body in out]


def _provenance(prov: dict) -> str:
    rest = {k: v for k, v in prov.items() if k != "config"}
    return (key_values(flatten(rest))
            + f"<details><summary>provenance.json</summary>{pre(json.dumps(prov, indent=2))}</details>")


def _config_and_rerun(config: dict, rerun: str, path: Path) -> list[tuple[str, str, str]]:
    cfg = (key_values(flatten({k: v for k, v in config.items() if k != "strategies"}))
           + "<h3>Strategies</h3>"
           + key_values((s.get("label", s.get("name", "")), f"{s.get('name', '')} "
                         + (json.dumps(s.get("params", {}), sort_keys=True) if s.get("params") else "(defaults)"))
                        for s in config.get("strategies", []))
           + f"<details><summary>config.json</summary>{pre(json.dumps(config, indent=2))}</details>")
    run = ("<p class='note'>Writes the configuration to a file and runs it; the same configuration gives the "
           "same results (whatever the number of jobs or the executor).</p>" + pre(rerun, "rerun")
           + "<p class='note'>This page again, from the results directory:</p>"
           + pre(f"nasbench report {path}"))
    return [("config", "Configuration", f"<h2 id='config'>Configuration</h2>{cfg}"),
            ("rerun", "Rerun", f"<h2 id='rerun'>Rerun</h2>{run}")]


def table_html(r: TableReport, js: str) -> str:
    """The page of one results directory.

    Args:
        r: the directory's contents (`nasbench.analysis.report_data.table_report`).
        js: the plotly.js source to inline.

    Returns:
        The HTML document.
    """
    figs = _Figures()
    sections = _table_sections(r, figs, "", 2)
    config, rerun = _config_and_rerun(r.config, r.rerun, r.path)
    prov = f"<h2 id='provenance'>Provenance</h2>{_provenance(r.provenance)}"
    sections += [config, ("provenance", "Provenance", prov), rerun]
    runs = r.config.get("runs", "?")
    budget = r.config.get("budget", {})
    sub = (f"{len(r.labels)} strategies x {runs} runs on {r.table}, budget {budget.get('amount', '?'):g} "
           f"{budget.get('kind', '')}; {r.path}; nasbench {r.provenance.get('nasbench_version', '?')}, "
           f"plotly {_plotly_version()}") if isinstance(budget.get("amount"), (int, float)) else str(r.path)
    body = "".join(f"<section>{s}</section>" for _, _, s in sections)
    return page(f"nasbench report: {r.table}", sub, [(a, t) for a, t, _ in sections], body, js)


def multi_html(m: MultiReport, js: str) -> str:
    """The page of a multi-table directory: the comparison over tables, then each table's sections.

    Args:
        m: the directory's contents (`nasbench.analysis.report_data.multi_report`).
        js: the plotly.js source to inline.

    Returns:
        The HTML document.
    """
    figs = _Figures()
    ranks = [[_num(m.aggregate, lab, f"rank:{t}") for t in m.tables] for lab in m.labels]
    tests = m.tests.get("friedman")
    if tests:
        cd = m.tests.get("nemenyi_cd")
        better = m.tests.get("nemenyi_better") or []
        words = (f"{tests.get('test', 'Friedman')} test over {tests.get('n_tables', len(m.tables))} tables: "
                 f"statistic {_g(tests.get('statistic'))}, p = {_g(tests.get('p'))}; "
                 f"Nemenyi critical difference of mean ranks {_g(cd)}. "
                 + ("Pairs whose mean ranks differ by more: "
                    + ", ".join(f"{a} better than {b}" for a, b in better) + "." if better else
                    "No pair's mean ranks differ by more than it."))
    else:
        words = "No test over tables: it needs at least 2 strategies and 2 tables with results."
    over = ("<p class='note'>The numbers of <code>aggregate.csv</code>: mean rank over tables (1 = best), "
            "normalised regret (0 = a table's best cell, 1 = its median cell) and, per table, rank, normalised "
            "regret, test mean and queries.</p>" + csv_table(m.aggregate, AGGREGATE_COLUMNS, "aggregate.csv")
            + f"<p>{esc(words)}</p>" + figs(rank_figure(m.tables, m.labels, ranks), "ranks")
            + figs(curve_figure(m.curves), m.curves.key) + curve_note(m.curves))
    sections = [("tables", "Across tables", f"<h2 id='tables'>Across tables</h2>{over}")]
    for i, r in enumerate(m.per_table):
        inner = _table_sections(r, figs, f"t{i}-", 3)
        prov = f"<h3 id='t{i}-provenance'>Provenance</h3>{_provenance(r.provenance)}"
        sections.append((f"t{i}", r.table, f"<h2 id='t{i}'>{esc(r.table)}</h2>"
                         f"<p class='note'>results in {esc(r.path)}</p>" + "".join(s for _, _, s in inner) + prov))
    sections += _config_and_rerun({**m.per_table[0].config, "table": m.tables}, m.rerun, m.path)
    body = "".join(f"<section>{s}</section>" for _, _, s in sections)
    sub = f"{len(m.labels)} strategies on {len(m.tables)} tables ({', '.join(m.tables)}); {m.path}"
    return page("nasbench report: several tables", sub, [(a, t) for a, t, _ in sections], body, js)


def _g(x) -> str:
    """A number from a JSON file for reading (3 significant digits), or n/a."""
    return f"{x:.3g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else "n/a"


def _num(t, row: str, col: str) -> float:
    vals = t.column(col)
    names = t.column(t.columns[0]) if t.columns else []
    try:
        return float(vals[names.index(row)])
    except (ValueError, IndexError):
        return float("nan")


def report_html(results_dir: str | os.PathLike) -> str:
    """The report page of a results directory (single- or multi-table).

    Args:
        results_dir: a directory written by `nasbench compare`.

    Returns:
        The HTML document.

    Raises:
        ReportError: when the results directory does not exist.
    """
    from ..search.multitable import is_multitable_dir

    p = Path(results_dir)
    if not p.is_dir():
        raise ReportError(f"no results directory {p}")
    js = plotly_js()
    if is_multitable_dir(p):
        return multi_html(multi_report(p), js)
    return table_html(table_report(p), js)


def write_report(results_dir: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write the report page of a results directory, atomically.

    Args:
        results_dir: a directory written by `nasbench compare` (one table or several).
        out: the file to write (default `RESULTS_DIR/report.html`).

    Returns:
        The path written.

    Raises:
        ReportError: when the directory is missing, or `out` is a directory.
    """
    from ..util.atomic import atomic_path

    path = Path(out) if out is not None else Path(results_dir) / REPORT_FILE
    if path.is_dir():
        raise ReportError(f"--out {path} is a directory; give a file name such as {path / REPORT_FILE}")
    text = report_html(results_dir)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


__all__ = ["REPORT_FILE", "ReportError", "multi_html", "plotly_js", "report_html", "table_html", "write_report"]

"""The pieces of a report page as HTML strings: tables, the verdict matrix, Plotly figure specs,
key/value lists and the page around them.

Every text from a results directory is HTML-escaped; figure specs are strict JSON in
`<script type="application/json">` elements (NaN written as null, `</` escaped), drawn by
the inlined plotly.js when the page loads. Each table cell of a CSV keeps the file's exact string
in `data-value` and shows it rounded.
"""
from __future__ import annotations

import html
import json
import math
from typing import Any, Iterable

from .report_data import CsvTable, CurveSet, Distribution, PairVerdict

#: how columns of summary.csv are headed and rounded (others: their own name, 4 significant digits)
SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    "runs": ("runs", "d"),
    "test_mean": ("test mean", ".3f"),
    "test_std": ("± std", ".3f"),
    "test_se": ("± s.e.", ".3f"),
    "regret_mean": ("regret", ".3f"),
    "valid_mean": ("valid mean", ".3f"),
    "queries_mean": ("queries", ".1f"),
    "sim_time_mean": ("sim time (s)", ".0f"),
    "found_best": ("share on best cell", ".2f"),
    "distinct_finals": ("final cells", "d"),
    "optimum_share": ("share on optimum", ".2f"),
}
#: how columns of aggregate.csv are headed and rounded (a per-table column is `<kind>:<table>`)
AGGREGATE_COLUMNS: dict[str, tuple[str, str]] = {
    "tables": ("tables", "d"),
    "mean_rank": ("mean rank", ".2f"),
    "norm_regret_mean": ("norm. regret", ".3f"),
    "rank": ("rank", ".1f"),
    "norm_regret": ("norm. regret", ".3f"),
    "test_mean": ("test mean", ".3f"),
    "queries_mean": ("queries", ".1f"),
}

FIGURE_CONFIG = {"responsive": True, "displaylogo": False, "toImageButtonOptions": {"format": "svg"}}


def esc(text: Any) -> str:
    """Escape for HTML text and attribute values.

    Args:
        text: anything; `str(text)` is escaped.

    Returns:
        The escaped text.
    """
    return html.escape(str(text), quote=True)


def fmt_number(text: str, spec: str) -> str:
    """A CSV cell rounded by a format spec.

    Args:
        text: the cell as the file holds it.
        spec: `d` (an integer where whole, else 4 significant digits) or a format spec such as
            `.3f`.

    Returns:
        The number formatted; text that is no number as it is, an empty cell or NaN as `n/a`.
    """
    try:
        v = float(text)
    except (TypeError, ValueError):
        return text if text.strip() else "n/a"
    if not math.isfinite(v):
        return "n/a"
    if spec == "d":
        return f"{v:.0f}" if v == round(v) else f"{v:.4g}"
    return format(v, spec)


def csv_table(table: CsvTable, formats: dict[str, tuple[str, str]], name: str, row_key: str = "strategy") -> str:
    """A CSV table as an HTML table, every column in the file's order.

    Args:
        table: the file's contents.
        formats: column (or the part before `:`) -> (heading, format spec); others keep their
            name and show 4 significant digits.
        name: the file's name, put in the table's `data-file`.
        row_key: each row carries its first cell in `data-<row_key>`.

    Returns:
        The HTML; each cell holds the file's string in `data-value` and its column in `data-col`.
    """
    if not table.columns:
        return "<p class='note'>no such file</p>"
    head = []
    for c in table.columns:
        base, _, sub = c.partition(":")
        label = formats.get(base, (c, ""))[0]
        head.append(f"<th title='{esc(c)}' scope='col'>{esc(label)}"
                    + (f"<br><span class='sub'>{esc(sub)}</span>" if sub else "") + "</th>")
    body = []
    for row in table.rows:
        cells = []
        for i, c in enumerate(table.columns):
            v = row[i] if i < len(row) else ""
            if i == 0:
                cells.append(f"<th scope='row' data-col='{esc(c)}' data-value='{esc(v)}'>{esc(v)}</th>")
                continue
            spec = formats.get(c.partition(":")[0], ("", ".4g"))[1]
            cells.append(f"<td data-col='{esc(c)}' data-value='{esc(v)}'>{esc(fmt_number(v, spec))}</td>")
        body.append(f"<tr data-{row_key}='{esc(row[0] if row else '')}'>{''.join(cells)}</tr>")
    return (f"<div class='scroll'><table class='data' data-file='{esc(name)}'><thead><tr>{''.join(head)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _p_text(p: float) -> str:
    if not math.isfinite(p):
        return ""
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def verdict_matrix(labels: list[str], pairs: list[PairVerdict], colours: dict[str, str]) -> str:
    """The verdicts as a matrix, row strategy against column strategy.

    Args:
        labels: the strategies in order.
        pairs: the verdicts (`nasbench.analysis.report_data.read_pairs`).
        colours: strategy -> colour (a swatch beside each name).

    Returns:
        The HTML: ▲ the row finds better cells (significant), ▼ worse, = no detectable
        difference, · not tested; the verdict in words in each cell's `title`.
    """
    if not pairs:
        return "<p class='note'>no pairs to test (one strategy, or no pairs.csv)</p>"
    by_pair = {}
    for p in pairs:
        by_pair[(p.a, p.b)] = p
        by_pair[(p.b, p.a)] = p
    head = "".join(f"<th scope='col'>{_swatch(colours.get(k, '#000'))}{esc(k)}</th>" for k in labels)
    rows = []
    for r in labels:
        cells = []
        for c in labels:
            p = by_pair.get((r, c))
            if r == c or p is None:
                cells.append("<td class='diag'></td>")
                continue
            if not math.isfinite(p.p) and not p.significant:
                kind, sym = "untested", "·"
            elif p.significant and p.better == r:
                kind, sym = "better", "▲"
            elif p.significant:
                kind, sym = "worse", "▼"
            else:
                kind, sym = "same", "="
            cells.append(f"<td class='v-{kind}' data-row='{esc(r)}' data-col='{esc(c)}' data-verdict='{kind}' "
                         f"title='{esc(p.verdict)}'>{sym} <span class='sub'>{esc(_p_text(p.p))}</span></td>")
        rows.append(f"<tr><th scope='row'>{_swatch(colours.get(r, '#000'))}{esc(r)}</th>{''.join(cells)}</tr>")
    legend = ("<p class='note'>Row against column: <span class='v-better'>▲</span> the row finds better cells, "
              "<span class='v-worse'>▼</span> worse (significant after correction for the number of pairs), "
              "<span class='v-same'>=</span> no detectable difference, · not tested. Hover or tap a cell for the "
              "verdict in words; adjusted p under the symbol.</p>")
    words = "".join(f"<li>{esc(p.verdict)}</li>" for p in sorted(pairs, key=lambda p: not p.significant) if p.verdict)
    details = f"<details><summary>every verdict in words</summary><ul>{words}</ul></details>" if words else ""
    return (f"<div class='scroll'><table class='matrix'><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>{legend}{details}")


def _swatch(colour: str) -> str:
    return f"<span class='swatch' style='background:{esc(colour)}'></span>"


def _rgba(colour: str, alpha: float) -> str:
    c = colour.lstrip("#")
    if len(c) != 6:
        return colour
    return f"rgba({int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha})"


def _clean(obj: Any) -> Any:
    """`obj` with NaN and infinities as None (strict JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _axis(title: str, log: bool) -> dict[str, Any]:
    return {"title": {"text": title}, "type": "log" if log else "linear", "automargin": True,
            "gridcolor": "#e5e5e5", "zeroline": False}


def _layout(title: str, x: dict[str, Any], y: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title, "font": {"size": 14}}, "xaxis": x, "yaxis": y,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "legend": {"orientation": "h", "y": -0.25},
            "plot_bgcolor": "white", "paper_bgcolor": "white", "font": {"size": 12}, "height": 420, **extra}


def curve_figure(cs: CurveSet) -> dict[str, Any]:
    """The Plotly spec of a curve figure.

    Args:
        cs: the curves.

    Returns:
        `{"data", "layout"}`: per strategy a shaded ± s.e. band and the mean line in one legend
        group (a click on the legend entry hides both); hover shows mean ± s.e. and the count.
    """
    data = []
    for c in cs.curves:
        lo = [max(m - s, cs.floor) if cs.log_y else m - s for m, s in zip(c.mean, c.se)]
        hi = [max(m + s, cs.floor) if cs.log_y else m + s for m, s in zip(c.mean, c.se)]
        y = [max(m, cs.floor) if cs.log_y else m for m in c.mean]
        data.append({"type": "scatter", "x": c.x + c.x[::-1], "y": hi + lo[::-1], "fill": "toself",
                     "fillcolor": _rgba(c.colour, 0.18), "line": {"width": 0}, "hoverinfo": "skip",
                     "showlegend": False, "legendgroup": c.label, "name": c.label, "meta": {"role": "band"}})
        data.append({"type": "scatter", "mode": "lines", "x": c.x, "y": y, "name": c.label, "legendgroup": c.label,
                     "line": {"color": c.colour, "width": 2}, "customdata": [[m, s] for m, s in zip(c.mean, c.se)],
                     "hovertemplate": f"%{{customdata[0]:.4g}} ± %{{customdata[1]:.2g}} ({c.n} {cs.unit}s)<extra>"
                                      f"{esc(c.label)}</extra>",
                     "meta": {"role": "mean"}})
    layout = _layout(cs.title, _axis(cs.x_label, cs.log_x), _axis(cs.y_label, cs.log_y), hovermode="x unified")
    return {"data": data, "layout": layout}


def curve_note(cs: CurveSet) -> str:
    """What a reader must know about a curve figure: where curves start, how zero is drawn.

    Args:
        cs: the curves.

    Returns:
        The note's HTML paragraph.
    """
    text = (f"Each curve starts where every {cs.unit} has an incumbent, so its mean never jumps because the "
            "averaged set changed.")
    if cs.log_y:
        text += f" Log scale: values below {cs.floor:g} are drawn at {cs.floor:g} (hover shows the true value)."
    return f"<p class='note'>{esc(text)}</p>"


def distribution_figure(dists: list[Distribution], optimum: float, metric: str) -> dict[str, Any]:
    """The Plotly spec of the final values.

    Args:
        dists: per strategy, its runs' final test values.
        optimum: the table's best test value (a dashed line).
        metric: the test metric's name (the axis title).

    Returns:
        `{"data", "layout"}`: a violin with a box and every run's point per strategy.
    """
    data = [{"type": "violin", "y": d.values, "name": d.label, "legendgroup": d.label, "box": {"visible": True},
             "meanline": {"visible": True}, "points": "all", "jitter": 0.3, "pointpos": 0, "spanmode": "hard",
             "marker": {"size": 3, "color": d.colour}, "line": {"color": d.colour},
             "fillcolor": _rgba(d.colour, 0.3), "text": [f"run {r}" for r in d.runs],
             "hovertemplate": "%{text}: %{y:.3f}<extra>" + esc(d.label) + "</extra>"} for d in dists if d.values]
    x = {**_axis("", False), "type": "category"}
    layout = _layout(f"Final {metric} of the incumbent, every run", x, _axis(metric, False),
                     showlegend=False,
                     shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": optimum, "y1": optimum,
                              "line": {"color": "black", "width": 1, "dash": "dash"}}],
                     annotations=[{"text": f"optimum {optimum:.3f}", "xref": "paper", "x": 1, "y": optimum,
                                   "xanchor": "right", "yanchor": "bottom", "showarrow": False,
                                   "font": {"size": 10}}])
    return {"data": data, "layout": layout}


def rank_figure(tables: list[str], labels: list[str], ranks: list[list[float]]) -> dict[str, Any]:
    """Plotly spec of a heatmap of each strategy's rank (1 = best) on each table.

    Args:
        tables: the tables (columns).
        labels: the strategies (rows).
        ranks: `ranks[i][j]`: rank of strategy i on table j (NaN: n/a).

    Returns:
        `{"data", "layout"}`.
    """
    text = [["n/a" if not math.isfinite(v) else f"{v:g}" for v in row] for row in ranks]
    data = [{"type": "heatmap", "z": ranks, "x": tables, "y": labels, "text": text, "texttemplate": "%{text}",
             "colorscale": "Viridis", "reversescale": True, "colorbar": {"title": {"text": "rank"}},
             "hovertemplate": "%{y} on %{x}: rank %{text}<extra></extra>"}]
    cat = {**_axis("", False), "type": "category"}
    layout = _layout("Rank on each table (1 = best)", cat, dict(cat),
                     height=max(260, 80 + 40 * len(labels)))
    layout["yaxis"]["autorange"] = "reversed"
    return {"data": data, "layout": layout}


def figure_div(spec: dict[str, Any], fig_id: str, kind: str) -> str:
    """A figure's div and its spec as strict JSON (drawn by the page's script).

    Args:
        spec: the Plotly spec.
        fig_id: the div's id.
        kind: the figure's kind, put in `data-figure`.

    Returns:
        The HTML.
    """
    text = json.dumps(_clean(spec), allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    return (f"<div class='figure' id='{fig_id}' data-figure='{esc(kind)}'></div>"
            f"<script type='application/json' class='figure-spec' data-for='{fig_id}'>{text}</script>")


def key_values(items: Iterable[tuple[str, Any]]) -> str:
    """(key, value) pairs as a two-column HTML table.

    Args:
        items: the pairs.

    Returns:
        The HTML.
    """
    rows = "".join(f"<tr><th scope='row'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in items)
    return f"<div class='scroll'><table class='kv'><tbody>{rows}</tbody></table></div>"


def flatten(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested mappings as (dotted key, value) pairs; lists of plain values joined by commas.

    Args:
        d: the mapping.
        prefix: put before every key.

    Returns:
        The pairs, in the mapping's order.
    """
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += flatten(v, key + ".") if v else [(key, "")]
        elif isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
            out.append((key, ", ".join(map(str, v))))
        else:
            out.append((key, json.dumps(v) if isinstance(v, (list, dict)) else v))
    return out


def pre(text: str, cls: str = "") -> str:
    """Text in a `<pre>` element.

    Args:
        text: the text (escaped).
        cls: the element's class.

    Returns:
        The HTML.
    """
    return f"<pre class='{esc(cls)}'>{esc(text)}</pre>"


CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:12px}
header{background:#fff;border-bottom:1px solid #ddd;padding:12px}
header h1{font-size:1.3rem;margin:0 auto;max-width:1100px}
header p{margin:4px auto 0;max-width:1100px;color:#555;font-size:.9rem}
nav{max-width:1100px;margin:6px auto 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.9rem}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:10px 14px;margin:14px 0}
h2{font-size:1.15rem;margin:.2em 0 .5em}
h3{font-size:1rem;margin:1em 0 .4em}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;font-size:.88rem}
th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th[scope=row],table.kv th{text-align:left}
table.kv td{text-align:left;white-space:normal;word-break:break-all}
thead th{border-bottom:2px solid #bbb;vertical-align:bottom}
.sub{font-size:.75em;color:#666;font-weight:normal}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:4px;vertical-align:-1px}
table.matrix td{text-align:center;min-width:4.5em}
.v-better{background:#d7e9f7;color:#004c7a}.v-worse{background:#fbe0d0;color:#8a3300}
.v-same{background:#f2f2f2;color:#444}.v-untested{color:#999}.diag{background:#fafafa}
.figure{width:100%;min-height:300px}
pre{background:#f5f5f5;padding:8px;overflow-x:auto;font-size:.82rem;white-space:pre}
.note{color:#555;font-size:.85rem}
details summary{cursor:pointer;color:#0b5394}
@media (max-width:600px){body{font-size:14px}main{padding:6px}section{padding:8px}th,td{padding:3px 5px}}
"""

SCRIPT = """
document.querySelectorAll('script.figure-spec').forEach(function (s) {
  var spec = JSON.parse(s.textContent);
  Plotly.newPlot(s.getAttribute('data-for'), spec.data, spec.layout, %s);
});
""" % json.dumps(FIGURE_CONFIG)


def page(title: str, subtitle: str, nav: list[tuple[str, str]], body: str, plotly_js: str) -> str:
    """The whole HTML document, with no external resource.

    Args:
        title: the page's title and heading.
        subtitle: one line under the heading.
        nav: (anchor, text) of the sections, linked at the top.
        body: the sections' HTML.
        plotly_js: the plotly.js source, inlined in the head.

    Returns:
        The document.
    """
    links = "".join(f"<a href='#{esc(a)}'>{esc(t)}</a>" for a, t in nav)
    js = plotly_js.replace("</script", "<\\/script")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style><script>{js}</script></head><body>"
            f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p><nav>{links}</nav></header><main>{body}</main>"
            f"<script>{SCRIPT}</script></body></html>\n")


__all__ = ["AGGREGATE_COLUMNS", "SUMMARY_COLUMNS", "csv_table", "curve_figure", "curve_note", "distribution_figure",
           "esc", "figure_div", "flatten", "fmt_number", "key_values", "page", "pre", "rank_figure", "verdict_matrix"]

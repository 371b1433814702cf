"""MkDocs hook: pages that are generated from the code at build time, so they cannot drift.

A page holds a marker such as ``<!-- generated: cli -->``; :func:`on_page_markdown` replaces it with
Markdown built from the code: the command line from :func:`nasbench.cli.build_parser`, the
configuration keys and their defaults from the :class:`nasbench.search.config.ExperimentConfig`,
``Budget``, ``Protocol`` and ``PlotOptions`` dataclasses, and the preset families from
:data:`nasbench.strategies.protocol.NAMED_PRESETS`. ``python scripts/docs_hooks.py cli`` prints one.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import os
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


# -- the command line ------------------------------------------------------------------------
def _argument_rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| argument | default | what it does |", "| --- | --- | --- |"]
    for a in parser._actions:
        if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if a.option_strings:
            name = ", ".join(a.option_strings)
            if a.nargs != 0:
                name += " " + (a.metavar or a.dest.upper())
        else:
            name = a.metavar or a.dest
        choices = f" (one of {', '.join(map(str, a.choices))})" if a.choices and not isinstance(a.choices, dict) else ""
        default = "" if a.default is None or a.default is argparse.SUPPRESS or a.nargs == 0 else f"`{a.default}`"
        rows.append(f"| `{_cell(name)}` | {_cell(default)} | {_cell((a.help or '').replace('%%', '%') + choices)} |")
    return rows


def _subcommands(parser: argparse.ArgumentParser, prog: str):
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            helps = {c.dest: c.help for c in a._choices_actions}
            for name, sub in a.choices.items():
                yield f"{prog} {name}", helps.get(name, ""), sub
                yield from _subcommands(sub, f"{prog} {name}")


def cli_markdown() -> str:
    """Every subcommand of ``nasbench``: what it does, its usage line and a table of its arguments."""
    from nasbench.cli import build_parser

    os.environ["COLUMNS"] = "100"  # a stable wrapping of the usage lines
    out: list[str] = []
    for prog, help_, sub in _subcommands(build_parser(), "nasbench"):
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
            out += [f"## `{prog}`", "", help_ or "", ""]
            continue
        sub.prog = prog
        usage = sub.format_usage().removeprefix("usage: ").rstrip()
        out += [f"## `{prog}`", "", (help_ or "")[:1].upper() + (help_ or "")[1:].rstrip(".") + ".", ""]
        if sub.description:
            out += [sub.description, ""]
        out += ["```text", usage, "```", ""] + _argument_rows(sub) + [""]
    return "\n".join(out)


# -- the configuration keys ------------------------------------------------------------------
def _field_comments(cls: type) -> dict[str, str]:
    """The ``#:`` lines above a field and the comment at the end of its line, by field name."""
    lines, _ = inspect.getsourcelines(cls)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    comments: dict[str, str] = {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    for node in body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            i = node.lineno - 1
            text = []
            j = i - 1
            while j >= 0 and lines[j].strip().startswith("#:"):
                text.insert(0, lines[j].strip()[2:].strip())
                j -= 1
            if "  # " in lines[i]:
                text.append(lines[i].split("  # ", 1)[1].strip())
            comments[node.target.id] = " ".join(text)
    return comments


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        v = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        v = f.default_factory()  # type: ignore[misc]
    else:
        return ""
    if isinstance(v, tuple) and v and hasattr(v[0], "name"):
        return "`" + ", ".join(s.name for s in v) + "`"
    if dataclasses.is_dataclass(v):
        return "see below"
    if v is None:
        return "`None`"
    return f"`{v!r}`" if isinstance(v, str) else f"`{v}`"


def _compare_help() -> dict[str, str]:
    """The help of each ``nasbench compare`` flag by its destination: the meaning of the key it sets."""
    from nasbench.cli import build_parser

    for prog, _, sub in _subcommands(build_parser(), "nasbench"):
        if prog == "nasbench compare":
            return {a.dest: a.help or "" for a in sub._actions if a.help}
    return {}


def _fields_table(cls: type, prefix: str, none_means: dict[str, str], fallback: dict[str, str] | None = None,
                  replace: dict[str, str] | None = None) -> list[str]:
    comments = _field_comments(cls)
    for k, v in (fallback or {}).items():
        if not comments.get(k):
            comments[k] = v
    rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for f in dataclasses.fields(cls):
        default = (replace or {}).get(f.name) or _default(f)
        if f.name in none_means:
            default += f" ({none_means[f.name]})"
        rows.append(f"| `{prefix}{f.name}` | `{_cell(f.type)}` | {_cell(default)} | {_cell(comments.get(f.name, ''))} |")
    return rows


def config_markdown() -> str:
    """The keys of a comparison's config file, with the defaults of the dataclasses that hold them."""
    from nasbench.search.config import TOP_KEYS, ExperimentConfig
    from nasbench.search.plot_options import PlotOptions
    from nasbench.strategies.protocol import Budget, Protocol

    doc = inspect.getdoc(ExperimentConfig) or ""
    fields = {f.name for f in dataclasses.fields(ExperimentConfig)}
    extra = [k for k in TOP_KEYS if k not in fields]
    out = ["### `ExperimentConfig`", "", doc, ""]
    from nasbench import defaults

    both = {k: f"{_cell(v)} (config files and `nasbench compare`); `{defaults.LIBRARY[k]}` in "
               f"`ExperimentConfig(...)`" for k, v in defaults.COMMAND.items()}
    out += _fields_table(ExperimentConfig, "", {"budget": "the table's preset", "protocol": "the table's preset"},
                         {k: v for k, v in _compare_help().items() if k in fields}, both)
    if extra:
        out += ["", "Keys of a config file that are not fields: " + ", ".join(f"`{k}`" for k in extra)
                + " (`params.<strategy>`: a table of that strategy's parameters, as `--param STRATEGY.KEY=VALUE`)."]
    for cls, prefix in ((Budget, "budget."), (Protocol, "protocol."), (PlotOptions, "plots.")):
        out += ["", f"### `{prefix.rstrip('.')}` (`{cls.__name__}`)", "", inspect.getdoc(cls) or "", ""]
        out += _fields_table(cls, prefix, {})
    return "\n".join(out)


def presets_markdown() -> str:
    """Each preset family and table: its budget and what it searches, as the code states it."""
    from nasbench.strategies.protocol import DEFAULT_PRESET, NAMED_PRESETS

    out = ["| family | table | budget | protocol |", "| --- | --- | --- | --- |"]
    for family, tables in NAMED_PRESETS.items():
        name = f"`{family}`" + (" (default)" if family == DEFAULT_PRESET else "")
        for table, preset in tables.items():
            p = preset.protocol
            proto = f"signal `{p.metric}` (seed `{p.seed}`), cost x{p.cost_factor:g} of the recorded time, reported `{p.test_metric}`"
            out.append(f"| {name} | `{table}` | {preset.budget.amount:,.0f} {preset.budget.kind} | {_cell(proto)} |")
    return "\n".join(out)


def strategies_markdown() -> str:
    """Every registered strategy: its first docstring line and its parameters with their defaults."""
    from nasbench.strategies.registry import STRATEGIES, param_specs

    out = ["| strategy | what it is | parameters (default) |", "| --- | --- | --- |"]
    for name, cls in STRATEGIES.items():
        doc = (cls.__doc__ or sys.modules[cls.__module__].__doc__ or "").strip()
        first = " ".join(doc.split("\n\n")[0].split()) if doc else cls.__module__
        params = ", ".join(f"`{n}` = `{d!r}`" for n, d, _ in param_specs(cls))
        out.append(f"| `{name}` | {_cell(first)} | {_cell(params)} |")
    return "\n".join(out)


def _layers() -> list[tuple[str, ...]]:
    """The architecture's layers, bottom first, as `tests/test_import_graph.py` states and checks them."""
    tree = ast.parse((ROOT / "tests" / "test_import_graph.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "LAYERS":
            return [tuple(x) for x in ast.literal_eval(node.value)]
    raise RuntimeError("tests/test_import_graph.py defines no LAYERS")


def _first_sentence(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    para = " ".join(doc.split("\n\n")[0].split())
    end = para.find(". ")
    return para if end < 0 else para[: end + 1]


def modules_markdown() -> str:
    """Every module of the two packages, layer by layer from the top: its first docstring sentence and size."""
    layers = _layers()
    rows: dict[int, list[str]] = {}
    for pkg in ("nasbench", "surrogates"):
        for f in sorted((ROOT / pkg).rglob("*.py")):
            mod = ".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            best, depth = None, -1  # the layer of the longest name that holds the module
            for i, names in enumerate(layers):
                for n in names:
                    if (mod == n or mod.startswith(n + ".")) and n.count(".") > depth:
                        best, depth = i, n.count(".")
            lines = len(f.read_text(encoding="utf-8").splitlines())
            rows.setdefault(best, []).append(f"| `{mod}` | {_cell(_first_sentence(f))} | {lines} |")
    out = ["| module | what it holds | lines |", "| --- | --- | --- |"]
    for i in sorted(rows, reverse=True):
        out += rows[i]
    return "\n".join(out)


GENERATORS = {"cli": cli_markdown, "config": config_markdown, "presets": presets_markdown,
              "strategies": strategies_markdown, "modules": modules_markdown}


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (the MkDocs hook's signature)
    for name, make in GENERATORS.items():
        marker = f"<!-- generated: {name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown


if __name__ == "__main__":
    print(GENERATORS[sys.argv[1]]())

"""Every code block of the README and the documentation site runs, so a renamed flag, key or
function breaks a test instead of the reader.

* ``python`` blocks are executed, each in a fresh namespace, from the repository root;
* ``bash``/``sh``/``shell``/``console`` blocks: every command line starting with ``nasbench`` or
  ``python -m nasbench`` (backslash continuations joined, ``#`` comments dropped) is parsed by
  :func:`nasbench.cli.build_parser`; the strategies a ``compare`` line names and its ``--param``
  overrides are checked against the strategy registry. The commands are not run (some take hours);
* ``toml`` blocks are comparison configs: read by ``ExperimentConfig.from_dict``;
* ``text`` blocks are output and are not run.

A Python block that needs an optional extra (optuna, optunahub, ConfigSpace, smac, ray, syne-tune) is
skipped, saying so, where that extra is not installed; CI installs them all.

A fenced block needs one of these languages. A block that must not be executed (it needs data or
hours) carries ``<!-- docs-test: skip -->`` on the line before its fence; keep such blocks rare.
"""
from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_MAX_BYTES = 15_000
SKIP_MARKER = "<!-- docs-test: skip -->"
SHELL = {"bash", "sh", "shell", "console"}
KNOWN = SHELL | {"python", "toml", "text"}
#: the optional extras a block may need; without them it is skipped, saying which
OPTIONAL = {"optuna", "optunahub", "ConfigSpace", "smac", "ray", "syne_tune"}
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> list[Path]:
    return [README] + sorted((ROOT / "docs").rglob("*.md"))


def blocks_of(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file (fences may be indented, e.g. in a list)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j == len(lines):
            raise AssertionError(f"{path}:{i + 1}: code block never closed")
        body = [ln[len(indent):] if ln.startswith(indent) else ln for ln in lines[i + 1:j]]
        prev = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        out.append(Block(path, i + 1, lang, "\n".join(body) + "\n", prev == SKIP_MARKER))
        i = j + 1
    return out


ALL = [b for p in doc_files() for b in blocks_of(p)]


def _of(*langs: str) -> list:
    return [pytest.param(b, id=b.id) for b in ALL if b.lang in langs]


def test_readme_fits_on_a_screen():
    size = README.stat().st_size
    assert size <= README_MAX_BYTES, f"README.md is {size:,} bytes; at most {README_MAX_BYTES:,}"


def test_readme_keeps_the_two_commands():
    text = README.read_text(encoding="utf-8")
    commands = [ln.split("#")[0].strip() for b in blocks_of(README) if b.lang in SHELL for ln in b.code.splitlines()]
    assert "nasbench compare" in commands and "python -m pytest" in commands, text[:500]


def test_every_block_has_a_known_language():
    bad = [f"{b.id} ({b.lang or 'no language'})" for b in ALL if b.lang not in KNOWN]
    assert not bad, "tag each fenced block with one of " + ", ".join(sorted(KNOWN)) + ": " + ", ".join(bad)


def test_skipped_blocks_stay_rare():
    skipped = [b.id for b in ALL if b.skip]
    assert len(skipped) <= 3, f"too many blocks skipped with {SKIP_MARKER}: {skipped}"


@pytest.mark.parametrize("block", _of("python"))
def test_python_block_runs(block: Block, monkeypatch):
    if block.skip:
        pytest.skip(f"marked {SKIP_MARKER}")
    import types

    from nasbench.strategies.registry import STRATEGIES

    monkeypatch.chdir(ROOT)
    mod = types.ModuleType("docs_block")  # a real module: dataclasses look their module up in sys.modules
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    before = dict(STRATEGIES)  # a block that defines a strategy registers it: undone after the block
    ns = mod.__dict__
    try:
        exec(compile(block.code, block.id, "exec"), ns)
    except ImportError as exc:  # an optional extra (optuna, ConfigSpace, smac) not installed here
        missing = getattr(exc, "name", None) or ""
        if missing.split(".")[0] in OPTIONAL or type(exc).__name__ == "MissingExtra":
            pytest.skip(f"needs an optional extra: {exc}")
        raise
    finally:
        for name in set(STRATEGIES) - set(before):
            del STRATEGIES[name]


def command_lines(code: str) -> list[list[str]]:
    """The ``nasbench`` command lines of a shell block, as argv lists without the program name."""
    joined = re.sub(r"\\\n\s*", " ", code)
    out = []
    for line in joined.splitlines():
        line = line.strip().removeprefix("$ ")
        words = shlex.split(line, comments=True)
        if words[:1] == ["nasbench"]:
            out.append(words[1:])
        elif words[:3] in (["python", "-m", "nasbench"], ["python", "-m", "nasbench.cli"]):
            out.append(words[3:])
    return out


def _check_strategies(args, where: str) -> None:
    """The strategy names and ``--param`` overrides a ``compare`` line gives exist."""
    from nasbench.search.config import parse_overrides
    from nasbench.strategies.registry import STRATEGIES, make_params

    plugin = bool(getattr(args, "imports", None))  # a plug-in's strategies are known once it is imported
    names = [s for s in (args.strategies or "").split(",") if s]
    unknown = [s for s in names if s not in STRATEGIES]
    assert plugin or not unknown, f"{where}: unknown strategies {unknown}"
    for name, params in parse_overrides(args.param or []).items():
        if plugin and name in unknown:
            continue
        assert name in STRATEGIES, f"{where}: --param for unknown strategy {name!r}"
        make_params(name, params)  # raises on an unknown or badly typed parameter


@pytest.mark.parametrize("block", _of(*SHELL))
def test_shell_block_commands_parse(block: Block, capsys):
    from nasbench.cli import build_parser

    for argv in command_lines(block.code):
        where = f"{block.id}: nasbench {' '.join(argv)}"
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:
            err = capsys.readouterr().err.strip()
            pytest.fail(f"{where}: does not parse (exit {exc.code}): {err}")
        if args.command == "compare":
            _check_strategies(args, where)


@pytest.mark.parametrize("block", _of("toml"))
def test_toml_block_is_a_valid_config(block: Block):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from nasbench.search.config import ExperimentConfig

    ExperimentConfig.from_dict(tomllib.loads(block.code), source=block.id)


def test_the_collector_sees_the_docs():
    """Guards the collector itself: the README's blocks and a generated-page marker are found."""
    langs = {b.lang for b in blocks_of(README)}
    assert {"python", "bash"} <= langs
    assert command_lines("nasbench compare \\\n  --runs 2   # two\npip install x\n") == [["compare", "--runs", "2"]]
    assert len([b for b in ALL if b.lang == "python"]) >= 5


def _hooks():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts" / "docs_hooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_generated_pages_build_from_the_code():
    """Each ``<!-- generated: NAME -->`` marker names a generator of scripts/docs_hooks.py (the MkDocs
    hook), and each generator runs: the CLI page has every subcommand, the configuration page every
    key a config file accepts, so the site cannot silently lose a section where mkdocs is absent."""
    from nasbench.cli import build_parser
    from nasbench.search.config import TOP_KEYS

    hooks = _hooks()
    markers = {m for p in doc_files() for m in re.findall(r"<!-- generated: (\S+) -->", p.read_text(encoding="utf-8"))}
    assert markers == set(hooks.GENERATORS), (markers, set(hooks.GENERATORS))
    cli = hooks.cli_markdown()
    for name in build_parser()._subparsers._group_actions[0].choices:  # type: ignore[union-attr]
        assert f"## `nasbench {name}`" in cli
    config = hooks.config_markdown()
    for key in TOP_KEYS:
        assert f"`{key}`" in config
    assert "`nb201-imagenet16-120` | 72,000 seconds" in hooks.presets_markdown()
    assert "| `evolution` |" in hooks.strategies_markdown()


def test_readme_links_resolve():
    """The README's relative links (into docs/, to the figure) name files that exist."""
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "the README links into the documentation"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to missing files: {missing}"


def _quick(argv: list[str]) -> bool:
    """A command of the documentation that answers in a second from an embedded table, with nothing
    written: `info` and `query` on an embedded table, `compare --list-strategies` without plug-ins."""
    from nasbench.tables.registry import embedded_names

    if argv[:1] in (["info"], ["query"]):
        return len(argv) > 1 and argv[1] in embedded_names()
    return argv[:1] == ["compare"] and argv[1:] == ["--list-strategies"]


QUICK = [pytest.param(b, argv, id=f"{b.id}:{' '.join(argv)}") for b in ALL if b.lang in SHELL
         for argv in command_lines(b.code) if _quick(argv)]


@pytest.mark.parametrize("block,argv", QUICK)
def test_quick_shell_commands_run(block: Block, argv: list[str], capsys):
    """The commands a reader types first do not only parse: they run and exit 0."""
    from nasbench.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, f"{block.id}: nasbench {' '.join(argv)} exited {code}: {err.strip()}"
    assert out.strip(), f"{block.id}: nasbench {' '.join(argv)} printed nothing"


def test_some_shell_commands_run():
    """Guards `_quick`: the first tutorial's info, query and --list-strategies are among them."""
    assert {tuple(p.values[1][:1]) for p in QUICK} >= {("info",), ("query",), ("compare",)}

"""No import cycles among the package's modules, no import that runs back up the layers of the
architecture, and every module imports on its own.

The graph holds every import of a module, at the top level and inside functions alike (an import
inside a function hides a cycle from the interpreter, not from the design); imports under
`if TYPE_CHECKING:` are not run and do not count. `from pkg import name` counts as an import of
`pkg.name` where that is a module, else of `pkg` itself (its `__init__`)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nasbench", "surrogates")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    return out


def _resolve(mod: str, is_pkg: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, at any depth, except those under `if TYPE_CHECKING:`."""
    out: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for st in _imports(ast.parse(path.read_text())):
            if isinstance(st, ast.Import):
                targets = [a.name for a in st.names]
            else:
                base = _resolve(mod, is_pkg, st.level, st.module)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in st.names]
            for t in targets:
                while t and t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t in mods and t != mod:
                    graph[mod].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                c = visit(n)
                if c:
                    return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            c = visit(m)
            if c:
                return c
    return None


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


#: the layers of the architecture, bottom first: a module imports its own layer or lower ones only
LAYERS: tuple[tuple[str, ...], ...] = (
    ("nasbench.errors", "nasbench._version", "nasbench.defaults"),
    ("nasbench.util",),
    ("nasbench.stats",),
    ("nasbench.space",),
    ("nasbench.training",),
    ("nasbench.tables",),
    ("nasbench.zero_cost",),
    ("nasbench.generation",),
    ("surrogates",),
    ("nasbench.strategies",),
    ("nasbench.bridges",),
    ("nasbench.search",),
    ("nasbench.analysis",),
    ("nasbench.validation",),
    ("nasbench.testing",),
    ("nasbench",),  # the package's face: nasbench.load and friends
    ("nasbench.cli", "nasbench.__main__"),
)


def layer_of(module: str) -> int:
    """The index in `LAYERS` of the longest prefix that names `module` or a package holding it."""
    best, depth = -1, -1
    for i, names in enumerate(LAYERS):
        for n in names:
            if (module == n or module.startswith(n + ".")) and n.count(".") > depth:
                best, depth = i, n.count(".")
    assert best >= 0, f"{module} is in no layer of LAYERS"
    return best


def test_no_import_runs_back_up():
    up = [f"{m} -> {t}" for m, targets in import_graph().items() for t in targets if layer_of(t) > layer_of(m)]
    assert not up, "imports that run back up the layers: " + "; ".join(sorted(up))


def test_the_layer_check_sees_a_climb():
    assert layer_of("nasbench.search.runner") > layer_of("nasbench.strategies.base") > layer_of("nasbench.space")
    assert layer_of("nasbench.cli.compare") == len(LAYERS) - 1 and layer_of("nasbench") == len(LAYERS) - 2


def test_the_checker_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    g = import_graph()
    assert "nasbench.strategies.base" in g["nasbench.strategies.registry"]
    assert "nasbench.space" in g["nasbench.strategies.base"]
    assert "nasbench.strategies.plugins" in g["nasbench.strategies.registry"]  # inside a function: counted


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_every_module_imports_in_a_fresh_interpreter(order):
    """All modules imported in one fresh interpreter, in file order and in reverse (a cycle through
    a partly initialised module fails in one of them)."""
    mods = [m for m in _modules() if not m.endswith("__main__")]
    if order == "reverse":
        mods = mods[::-1]
    code = "import importlib\nfor m in %r:\n    importlib.import_module(m)\n" % mods
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


def test_version_matches_pyproject():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    from nasbench import __version__

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == __version__

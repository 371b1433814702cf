"""Docstrings in one style: Google sections, Markdown (rendered by mkdocstrings).

Walks `nasbench/` and `surrogates/` with `ast` (nothing is imported) and checks that:

* no docstring (module, class, function) holds a reStructuredText role such as `:func:` or a
  double backtick;
* every public function, and every public method of a public class, that takes a parameter
  besides `self`/`cls` has a docstring with an `Args:` section. Properties and their setters
  are exempt; so are names starting with `_`.
"""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nasbench", "surrogates")
RST_ROLE = re.compile(r":(func|class|mod|data|meth|attr|exc|obj):`")
DOUBLE_BACKTICK = re.compile(r"(?<!`)``(?!`)")  # a Markdown code fence (```) is fine
Def = (ast.FunctionDef, ast.AsyncFunctionDef)


@functools.lru_cache(maxsize=1)
def _sources() -> tuple[tuple[str, str, ast.Module], ...]:
    """(path, text, tree) of every module of the packages, parsed once for both tests."""
    out = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            text = path.read_text(encoding="utf-8")
            out.append((rel, text, ast.parse(text, filename=rel)))
    return tuple(out)


def _is_property(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Name) and dec.id in {"property", "cached_property"}:
            return True
        if isinstance(dec, ast.Attribute) and dec.attr in {"setter", "deleter", "cached_property"}:
            return True
    return False


def _takes_parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> bool:
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args]
    if method and names and names[0] in {"self", "cls"}:
        names = names[1:]
    return bool(names or a.kwonlyargs or a.vararg or a.kwarg)


def _public_functions(tree: ast.Module):
    """(node, qualified name) of the module's public functions and its public classes' public methods."""
    for node in tree.body:
        if isinstance(node, Def) and not node.name.startswith("_"):
            yield node, node.name, False
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, Def) and not item.name.startswith("_"):
                    yield item, f"{node.name}.{item.name}", True


def test_no_rst_in_docstrings():
    bad = []
    for rel, text, tree in _sources():
        if not (RST_ROLE.search(text) or DOUBLE_BACKTICK.search(text)):
            continue  # nothing to find in this file's docstrings
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Module, ast.ClassDef) + Def):
                continue
            doc = ast.get_docstring(node, clean=False)
            if doc and (RST_ROLE.search(doc) or DOUBLE_BACKTICK.search(doc)):
                line = node.body[0].lineno
                bad.append(f"{rel}:{line} {getattr(node, 'name', '<module>')}")
    assert not bad, "docstrings with RST roles or double backticks (use Markdown):\n" + "\n".join(bad)


def test_public_functions_document_args():
    bad = []
    for rel, _, tree in _sources():
        for fn, name, method in _public_functions(tree):
            if _is_property(fn) or not _takes_parameters(fn, method):
                continue
            doc = ast.get_docstring(fn) or ""
            if "Args:" not in doc:
                bad.append(f"{rel}:{fn.lineno} {name}")
    assert not bad, "public functions without an Args: section in their docstring:\n" + "\n".join(bad)

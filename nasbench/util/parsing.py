"""Bounded parsing of configuration text: JSON, TOML and YAML.

Contract: a configuration file is a regular file of at most
`nasbench.util.limits.MAX_CONFIG_BYTES`, nested at most `nasbench.util.limits.MAX_CONFIG_DEPTH`
levels deep; YAML may not use anchors or aliases (`&a` / `*a`: the "billion laughs" expansion
needs them, and no configuration of this suite does). The depth is measured before the parser runs
(the parsers recurse and would end in a `RecursionError` thousands of levels down), so every
refusal is one line of the caller's project error naming the file.
"""
from __future__ import annotations

import json
import os
from typing import Any

from ..errors import NasbenchError
from .limits import MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, check_regular_file


def read_config_text(path: str | os.PathLike, error: type[NasbenchError], what: str = "config") -> str:
    """The text of a configuration file after the checks: a regular file, at most
    `MAX_CONFIG_BYTES`, UTF-8.

    Args:
        path: the file.
        error: the project error to raise.
        what: what the file is, for the messages.

    Returns:
        The text.
    """
    p = check_regular_file(path, what, error)
    with open(p, "rb") as fh:
        raw = fh.read(MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise error(f"{p}: a {what} file may hold at most {MAX_CONFIG_BYTES:,} bytes; this one holds more")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{p}: not UTF-8 text (byte {exc.start})") from None


def bracket_depth(text: str, comment: str = "") -> int:
    """The deepest nesting of `[`/`{` in `text` outside quoted strings (and, with `comment`
    such as `"#"`, outside comments to the end of the line); linear, no recursion.

    Args:
        text: the text to scan.
        comment: the comment marker; "" for none.

    Returns:
        The deepest nesting.
    """
    depth = deepest = 0
    quote = ""
    escaped = in_comment = False
    for ch in text:
        if in_comment:
            in_comment = ch != "\n"
        elif quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif comment and ch == comment:
            in_comment = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def value_depth(value: Any) -> int:
    """The nesting depth of parsed data (a scalar 0, `[1]` 1, `{"a": [1]}` 2); iterative.

    Args:
        value: the parsed data.

    Returns:
        The nesting depth.
    """
    deepest = 0
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            items = list(v.values())
        elif isinstance(v, (list, tuple)):
            items = list(v)
        else:
            continue
        deepest = max(deepest, d + 1)
        if d + 1 > MAX_CONFIG_DEPTH:
            return d + 1
        stack.extend((x, d + 1) for x in items)
    return deepest


def _too_deep(source: str, error: type[NasbenchError]) -> NasbenchError:
    return error(f"{source}: nested more than {MAX_CONFIG_DEPTH} levels deep (the maximum of a configuration)")


def _check_depth(value: Any, source: str, error: type[NasbenchError]) -> Any:
    if value_depth(value) > MAX_CONFIG_DEPTH:
        raise _too_deep(source, error)
    return value


def parse_json(text: str, source: str, error: type[NasbenchError]) -> Any:
    """JSON text -> value, refusing malformed text, and text nested deeper than `MAX_CONFIG_DEPTH`.

    Args:
        text: the JSON text.
        source: the file (or attribute) it came from, for the messages.
        error: the project error to raise.

    Returns:
        The parsed value.
    """
    if bracket_depth(text) > MAX_CONFIG_DEPTH:
        raise _too_deep(source, error)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise error(f"{source}: not valid JSON ({str(exc).splitlines()[0]})") from None


def parse_toml(text: str, source: str, error: type[NasbenchError]) -> dict[str, Any]:
    """TOML text -> mapping, with the depth limit (brackets and dotted keys alike).

    Args:
        text: the TOML text.
        source: the file it came from, for the messages.
        error: the project error to raise.

    Returns:
        The parsed mapping.
    """
    import tomllib

    if bracket_depth(text, comment="#") > MAX_CONFIG_DEPTH:
        raise _too_deep(source, error)
    try:
        d = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise error(f"{source}: {str(exc).splitlines()[0]}") from None
    return _check_depth(d, source, error)


def parse_yaml(text: str, source: str, error: type[NasbenchError]) -> tuple[Any, Any]:
    """YAML text -> (value, node tree for line numbers), refusing anchors and aliases and nesting
    deeper than `MAX_CONFIG_DEPTH` (counted over the parser's events, before composing).

    Args:
        text: the YAML text.
        source: the file it came from, for the messages.
        error: the project error to raise.

    Returns:
        (the value as `yaml.safe_load` gives it, the composed root node or None).
    """
    import yaml

    try:
        depth = 0
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                line = ev.start_mark.line + 1
                raise error(f"{source}:{line}: YAML anchors and aliases (&name, *name) are not allowed in a "
                            f"configuration; write the values out")
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_CONFIG_DEPTH:
                    raise _too_deep(source, error)
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        value = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise error(f"{source}: {str(exc).splitlines()[0]}") from None
    return value, node


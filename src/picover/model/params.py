"""Parameters by dotted path: listing them and changing them.

A model is a tree of frozen attrs objects and mappings; a parameter's path
names the branches down to a number, e.g. ``"consolation.award"`` or
``"frequency.base_rate.retail"``. Changing one rebuilds the branches above it
(``attrs.evolve``), so every object stays immutable and validated.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Mapping
from typing import Any

import attrs


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every numeric leaf of ``tree`` by dotted path.

    Examples
    --------
    >>> flatten({"a": {"b": 1.0, "c": "text"}, "d": 2})
    {'a.b': 1.0, 'd': 2}
    """
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if _is_number(value):
            out[path] = value
        elif isinstance(value, Mapping):
            out.update(flatten(value, path + "."))
        elif attrs.has(type(value)):
            fields = {f.name: getattr(value, f.name) for f in attrs.fields(type(value)) if f.init}
            out.update(flatten(fields, path + "."))
    return out


def is_parameter(tree: Mapping[str, Any], path: Any) -> bool:
    """Whether ``path`` names a numeric leaf of ``tree`` (a key of :func:`flatten`'s
    result, found without listing every leaf).

    Examples
    --------
    >>> is_parameter({"a": {"b": 1.0, "c": "text"}}, "a.b"), is_parameter({"a": {"c": "x"}}, "a.c")
    (True, False)
    """
    if not isinstance(path, str):
        return False
    node: Any = tree
    for key in path.split("."):
        if isinstance(node, Mapping):
            if key not in node:
                return False
            node = node[key]
        elif attrs.has(type(node)):
            field = attrs.fields_dict(type(node)).get(key)
            if field is None or not field.init:
                return False
            node = getattr(node, key)
        else:
            return False
    return _is_number(node)


def update(tree: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``tree`` with the leaves at the given paths replaced.

    Raises
    ------
    ValueError
        For a path that is not a numeric parameter, naming the closest valid ones.

    Examples
    --------
    >>> update({"a": {"b": 1.0}}, {"a.b": 2.0})
    {'a': {'b': 2.0}}
    """
    out = dict(tree)
    for path, value in changes.items():
        if not is_parameter(tree, path):
            valid = flatten(tree)
            close = difflib.get_close_matches(str(path), list(valid), n=5, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"unknown parameter {path!r}{hint} (valid parameters: {', '.join(sorted(valid))})"
            )
        head, *rest = str(path).split(".")
        out[head] = _set(out[head], rest, value, path)
    return out


def _set(node: Any, rest: list[str], value: Any, path: str) -> Any:
    if not rest:
        return value
    key, *more = rest
    if isinstance(node, Mapping):
        copy = dict(node)
        copy[key] = _set(copy[key], more, value, path)
        return copy
    try:
        return attrs.evolve(node, **{key: _set(getattr(node, key), more, value, path)})
    except (TypeError, ValueError) as exc:
        # Named once, at the outermost object that refused the value.
        text = str(exc)
        raise type(exc)(text if text.startswith(f"{path}: ") else f"{path}: {text}") from None

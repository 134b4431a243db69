"""A read-only mapping for the dict-valued fields of frozen classes.

attrs' ``frozen`` stops attributes being rebound, not a dict attribute being
edited in place; presets are cached and shared, so an in-place edit would
leak into every later caller. ``types.MappingProxyType`` would do, but it
cannot be pickled, and models travel to worker processes (dask).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V], Generic[K, V]):
    """An immutable copy of a mapping, picklable, equal to any mapping with the same items."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))


def freeze(data: Mapping[Any, Any]) -> FrozenMap[Any, Any]:
    """``data`` as a :class:`FrozenMap` (an attrs converter, so typed loosely)."""
    return data if isinstance(data, FrozenMap) else FrozenMap(data)

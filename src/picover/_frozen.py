"""A read-only mapping for the dict-valued fields of frozen classes.

attrs' ``frozen`` stops attributes being rebound, not a dict attribute being
edited in place; presets are cached and shared, so an in-place edit would
leak into every later caller. ``types.MappingProxyType`` would do, but it
cannot be pickled, and models travel to worker processes (dask).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

import attrs
import numpy as np

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


def lock(value: Any) -> Any:
    """``value`` with every numpy array in it (itself, or inside the mappings,
    tuples and lists it is) made read-only in place, for freshly unpickled
    state, which owns its arrays.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.arange(3.0)
    >>> lock(FrozenMap({"x": a}))["x"].flags.writeable
    False
    """
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, Mapping):
        for item in value.values():
            lock(item)
    elif isinstance(value, tuple | list):
        for item in value:
            lock(item)
    return value


C = TypeVar("C", bound=type)


def read_only_when_unpickled(cls: C) -> C:
    """Class decorator (outside ``attrs.frozen``): an unpickled copy's arrays are read-only.

    numpy does not pickle an array's ``writeable`` flag, so a frozen result
    sent to a dask worker, or saved and loaded, came back with arrays that
    could be edited under its cached figures.

    Examples
    --------
    >>> import copy, attrs, numpy as np
    >>> @read_only_when_unpickled
    ... @attrs.frozen
    ... class Held:
    ...     values: np.ndarray
    >>> copy.deepcopy(Held(np.arange(2.0))).values.flags.writeable  # as pickle does
    False
    """

    def __getstate__(self: Any) -> dict[str, Any]:
        return {a.name: getattr(self, a.name) for a in attrs.fields(type(self))}

    def __setstate__(self: Any, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, lock(value))

    cls.__getstate__ = __getstate__  # type: ignore[assignment]
    cls.__setstate__ = __setstate__  # type: ignore[attr-defined]
    return cls

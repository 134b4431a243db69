"""A progress bar for long batches and sweeps, when tqdm is installed and it helps.

tqdm is an optional extra. The bar appears only on a terminal, and only once
the work has run for two seconds, so short calls and scripts writing to files
stay quiet.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def checked(value: Any) -> bool | None:
    """A ``progress`` argument as given, once it is None, True or False.

    Checked when the call starts, not when a bar would first show: a mistake
    must not wait for a long run to surface.

    Examples
    --------
    >>> checked(None), checked(True)
    (None, True)
    >>> checked("yes")
    Traceback (most recent call last):
    ...
    TypeError: progress must be True, False or None; got str 'yes'
    """
    if value is None or isinstance(value, bool | np.bool_):
        return None if value is None else bool(value)
    raise TypeError(f"progress must be True, False or None; got {type(value).__name__} {value!r}")


def track(
    items: Iterable[T], label: str, enabled: bool | None = None, total: int | None = None
) -> Iterator[T]:
    """Iterate over ``items``, with a bar if ``enabled`` (None: when stderr is a terminal).

    ``total`` is the number of items, for an iterator that cannot say it.

    Examples
    --------
    >>> list(track([1, 2], "work", enabled=False))
    [1, 2]
    """
    show = sys.stderr.isatty() if enabled is None else enabled
    if show:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar: Any = tqdm(items, desc=label, total=total, delay=2.0, leave=False)
            yield from bar
            return
    yield from items

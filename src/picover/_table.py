"""A small immutable table of named columns, used for every tabular result.

picover does not depend on pandas: results keep numpy columns, print as an
aligned text table, convert to a list of dicts, and to a DataFrame when pandas
happens to be installed.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import numpy as np

from picover import _checks
from picover._frozen import FrozenMap, read_only_when_unpickled


def _freeze_columns(columns: Mapping[str, Any]) -> FrozenMap[str, np.ndarray]:
    frozen: dict[str, np.ndarray] = {}
    lengths = set()
    for name, values in columns.items():
        if not isinstance(name, str):
            raise TypeError(f"table column names must be strings; got {name!r}")
        arr = np.array(values)  # a copy: the table must not share memory with the caller
        if arr.dtype.kind == "U":
            items = list(values)
            if not all(isinstance(v, str | np.str_) for v in items):
                # Mixed numbers and words stay what they are (numpy would make all text).
                arr = np.empty(len(items), dtype=object)
                arr[:] = items
        if arr.ndim != 1:
            raise ValueError(f"table column {name!r} must be one-dimensional; got {arr.shape}")
        arr.flags.writeable = False
        frozen[name] = arr
        lengths.add(len(arr))
    if len(lengths) > 1:
        sizes = {name: len(arr) for name, arr in frozen.items()}
        raise ValueError(f"table columns must have equal lengths; got {sizes}")
    return FrozenMap(frozen)


def _width(text: str) -> int:
    """Columns ``text`` takes on a terminal: Hangul and other wide characters two.

    Examples
    --------
    >>> _width("KB"), _width("삼성화재")
    (2, 8)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_value(value: Any) -> str:
    """Format one cell: money-sized numbers with thousands separators.

    Examples
    --------
    >>> format_value(1234567.8)
    '1,234,568'
    >>> format_value(0.00123)
    '0.00123'
    >>> format_value(float("nan"))  # no value (a minimum where there is no duty)
    '-'
    """
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return "-"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == 0.0:
            return "0"
        if abs(x) >= 1e3:
            return f"{x:,.0f}"
        if abs(x) < 1e-4:
            return f"{x:.3e}"
        return f"{x:.4g}"
    return str(value)


@read_only_when_unpickled
@attrs.frozen(eq=False)
class Table:
    """Named, equal-length, read-only columns.

    Parameters
    ----------
    columns : mapping of str to array-like
        Column name to values; names say the unit (``loss_krw``).
    title : str, optional
        A heading printed above the table.

    Examples
    --------
    >>> t = Table({"loss_krw": [1e6, 2e6], "probability": [0.1, 0.01]})
    >>> t.to_records()[1]
    {'loss_krw': 2000000.0, 'probability': 0.01}
    >>> len(t)
    2
    """

    columns: Mapping[str, np.ndarray] = attrs.field(converter=_freeze_columns)
    title: str = attrs.field(default="", validator=_checks.kind(str))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        if not isinstance(name, str):
            # A row number or slice would read as rows, which a table of columns has not.
            raise TypeError(
                f"a table is indexed by column name (a str); got {type(name).__name__} "
                f"{name!r}; for rows, use to_records()"
            )
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns are {list(self.columns)}") from None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_records())

    def to_records(self) -> list[dict[str, Any]]:
        """Rows as a list of dicts of Python scalars.

        Examples
        --------
        >>> Table({"loss_krw": [1e6, 2e6], "probability": [0.1, 0.01]}).to_records()
        [{'loss_krw': 1000000.0, 'probability': 0.1}, {'loss_krw': 2000000.0, 'probability': 0.01}]
        """
        names = list(self.columns)
        cols = [self.columns[n].tolist() for n in names]
        return [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]

    def to_pandas(self) -> Any:
        """Return a ``pandas.DataFrame`` (pandas is an optional dependency).

        Raises
        ------
        ImportError
            If pandas is not installed.

        Examples
        --------
        >>> t = Table({"loss_krw": [1e6, 2e6], "probability": [0.1, 0.01]})
        >>> try:
        ...     frame = t.to_pandas()
        ... except ImportError:  # pandas not installed: nothing to check
        ...     frame = None
        >>> frame is None or (list(frame.columns), frame["loss_krw"].tolist()) == (
        ...     ["loss_krw", "probability"], [1e6, 2e6])
        True
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install pandas") from exc
        return pd.DataFrame({name: np.asarray(col) for name, col in self.columns.items()})

    def __str__(self) -> str:
        names = list(self.columns)
        cells = [[format_value(v) for v in self.columns[n]] for n in names]
        widths = [
            max([_width(n)] + [_width(c) for c in col]) for n, col in zip(names, cells, strict=True)
        ]
        lines = [self.title] if self.title else []
        # Words read from the left, numbers line up on the right.
        left = [all(isinstance(v, str) for v in self.columns[n].tolist()) for n in names]

        def align(text: str, width: int, to_left: bool) -> str:
            pad = " " * (width - _width(text))
            return text + pad if to_left else pad + text

        header = (align(n, w, lft) for n, w, lft in zip(names, widths, left, strict=True))
        lines.append("  ".join(header).rstrip())
        lines.append("  ".join("-" * w for w in widths))
        for i in range(len(self)):
            row = (align(c[i], w, lft) for c, w, lft in zip(cells, widths, left, strict=True))
            lines.append("  ".join(row).rstrip())
        return "\n".join(lines)

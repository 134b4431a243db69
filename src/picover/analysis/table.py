"""Reading a table of organisations: a dict of columns, a list of rows, or a DataFrame.

Every value is checked before any arithmetic; an error names the row
(counting from 0, or by a DataFrame's own index labels: see :class:`Rows`) and
the column, and a column whose name is close to a known one is refused as a
likely typo. Other columns are carried through.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover.model.exposure import ENTITY_TYPES, FIRST_HISTORY_YEAR, LAST_HISTORY_YEAR

REQUIRED = ("records", "annual_sales", "sector")
#: Optional columns and their defaults.
OPTIONAL: dict[str, Any] = {
    "name": "",
    "years_observed": 0,
    "incidents": 0,
    "entity_type": "private",
    "ict_provider": False,
    "equivalent_cover": False,
    "processing_outsourced": False,
}


#: Columns of numbers, and of yes/no flags: a CSV file gives them as text.
NUMBERS = ("records", "annual_sales", "years_observed", "incidents")
FLAGS = ("ict_provider", "equivalent_cover", "processing_outsourced")
_YES, _NO = ("true", "yes", "1"), ("false", "no", "0")


@attrs.frozen(eq=False)
class Rows:
    """How messages name a table's rows: by position from 0, or, for a DataFrame
    whose index is not those positions, by its index label with the position
    beside it (``df.loc`` finds the one, ``df.iloc`` the other).

    Examples
    --------
    >>> Rows().name(3), Rows(np.array(["a", "b"])).name(1)
    ('row 3', "row 'b' (position 1)")
    >>> Rows().names([4, 9, 12], most=2)
    'rows 4, 9 and 1 more'
    """

    labels: NDArray[Any] | None = None

    def name(self, i: int) -> str:
        """The row at position ``i``, as messages name it."""
        if self.labels is None:
            return f"row {i}"
        return f"row {_plain(self.labels[i])!r} (position {i})"

    def names(self, positions: Sequence[int] | NDArray[np.intp], most: int = 5) -> str:
        """The first ``most`` of the rows at ``positions``, and how many more there are."""
        shown = [self.name(int(i)).removeprefix("row ") for i in positions[:most]]
        more = len(positions) - len(shown)
        listed = ", ".join(shown) + (f" and {more:,} more" if more else "")
        return f"{'row' if len(positions) == 1 else 'rows'} {listed}"


def _index_labels(frame: Any) -> NDArray[Any] | None:
    """A DataFrame's index labels, or None when they are the positions 0, 1, 2, ...
    (the default index: "row 3" then says all)."""
    labels = np.asarray(frame.index)
    if labels.dtype.kind in "iu" and np.array_equal(labels, np.arange(labels.size)):
        return None
    return labels


def from_text(rows: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Rows read from a CSV file, their numbers and yes/no flags parsed from text.

    Thousands may be grouped (``"40,000"``); flags read ``true``/``false``,
    ``yes``/``no`` or ``1``/``0``. Only a file's text is read so: a table
    given from Python is taken as given, and text in it is refused. Errors
    name the row (counted from 0) and the column.

    Examples
    --------
    >>> from_text([{"records": "40,000", "sector": "retail", "ict_provider": "yes"}])
    [{'records': 40000.0, 'sector': 'retail', 'ict_provider': True}]
    """
    out = []
    for i, row in enumerate(rows):
        parsed: dict[str, Any] = dict(row)
        for name in (*NUMBERS, *FLAGS):
            if name in row and not isinstance(row[name], str):
                raise TypeError(
                    f"row {i}, column {name!r}: from_text reads a file's text; got "
                    f"{row[name]!r} (pass values from Python to price_portfolio as they are)"
                )
        for name in NUMBERS:
            if name in row:
                try:
                    parsed[name] = _checks.text_number("x", row[name])
                except ValueError:
                    raise ValueError(
                        f"row {i}, column {name!r}: {row[name]!r} is not a number (thousands "
                        "grouped by threes, as 1,000,000, are allowed)"
                    ) from None
                if not math.isfinite(parsed[name]):  # "nan", "inf", or "1e400": as written
                    raise ValueError(
                        f"row {i}, column {name!r}: {row[name]!r} is not a finite number"
                    )
        for name in FLAGS:
            if name in row:
                word = row[name].strip().lower()
                if word not in _YES + _NO:
                    raise ValueError(
                        f"row {i}, column {name!r}: {row[name]!r} is not true or false (write "
                        "true/false, yes/no or 1/0)"
                    )
                parsed[name] = word in _YES
        out.append(parsed)
    return out


def as_columns(table: Any) -> dict[str, NDArray[Any]]:
    """Columns of ``table`` as numpy arrays of equal length, in the order given.

    Examples
    --------
    >>> cols = as_columns([{"records": 10, "annual_sales": 1e9, "sector": "retail"}])
    >>> cols["records"].tolist(), cols["sector"].tolist()
    ([10], ['retail'])
    """
    if _is_frame(table):
        names = list(table.columns)
        twice = sorted({str(c) for c in names if names.count(c) > 1})
        if twice:
            raise ValueError(f"the table has more than one column named {twice}")
        raw: Mapping[Any, Any] = {c: table[c].to_numpy() for c in table.columns}
    elif isinstance(table, Mapping):
        raw = {k: _column(v) for k, v in table.items()}
    elif isinstance(table, Sequence) and not isinstance(table, str):
        rows = list(table)
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise TypeError(f"row {i} must be a mapping of column to value; got {row!r}")
        names = list(dict.fromkeys(k for row in rows for k in row))
        for i, row in enumerate(rows):
            missing = [n for n in names if n not in row]
            if missing:
                raise ValueError(f"row {i} has no value for column(s) {missing}")
        # Object arrays keep each value's own type (a "5" among numbers stays text).
        raw = {n: np.array([row[n] for row in rows], dtype=object) for n in names}
    else:
        raise TypeError(
            "the table must be a dict of columns, a list of row dicts or a pandas DataFrame; "
            f"got {type(table).__name__}"
        )
    for name, values in raw.items():
        if not isinstance(name, str):
            # A frame read without a header has columns 0, 1, 2: a name made up from
            # a number would hide that.
            raise TypeError(
                f"column names must be text; got {type(name).__name__} {name!r} (a table "
                "read without its header row?)"
            )
        _refuse_masked(name, values)
    cols = {str(k): np.asarray(v) for k, v in raw.items()}
    lengths = {k: v.shape for k, v in cols.items()}
    if any(len(s) != 1 for s in lengths.values()) or len({s[0] for s in lengths.values()}) > 1:
        raise ValueError(f"table columns must be 1-D and of equal length; got shapes {lengths}")
    return cols


def _refuse_masked(column: str, values: Any) -> None:
    """A masked array's masked cells hold no value: np.asarray would hand on the
    data under the mask, to be priced as if it were the organisation's."""
    if isinstance(values, np.ma.MaskedArray) and values.ndim == 1:
        masked = np.flatnonzero(np.ma.getmaskarray(values))
        if masked.size:
            raise ValueError(
                f"row {int(masked[0])}, column {column!r}: the value is masked (missing); give "
                f"a value, or leave the row out ({masked.size:,} masked in the column)"
            )


def _missing(value: Any) -> bool:
    """Whether a cell holds no value: None, NaN, pandas' NA or NaT, or numpy's masked."""
    if value is None or value is np.ma.masked:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _is_frame(table: Any) -> bool:
    """Whether ``table`` is a pandas DataFrame (pandas itself is optional)."""
    return hasattr(table, "to_dict") and hasattr(table, "columns")


def _column(values: Any) -> Any:
    """A column given as a Python sequence, as an array that keeps what each value
    is: numpy would quietly make True a 1, 10 a complex 10+0j beside 1+2j, 1
    the text '1' beside 'a', b'x' the text 'x' beside 'y', and fail on a list
    among numbers without naming the row. A lone text is not a column (it would
    be read letter by letter)."""
    if isinstance(values, str | bytes):
        raise TypeError(
            f"a table column must be a list or array of values; got the text {values!r}"
        )
    if isinstance(values, np.ndarray) or not isinstance(values, Sequence):
        return values
    items = list(values)
    arr: NDArray[Any] | None = None
    # numpy would make a masked cell NaN: kept as it is, to be named as missing.
    if not any(v is np.ma.masked for v in items):
        with contextlib.suppress(TypeError, ValueError):  # ragged: a list among the values
            arr = np.asarray(items)
    if (
        arr is None
        or arr.ndim != 1
        or arr.dtype.kind not in "iufUS"
        or (arr.dtype.kind in "iuf" and any(isinstance(v, bool | np.bool_) for v in items))
        or (arr.dtype.kind == "U" and not all(isinstance(v, str) for v in items))
        or (arr.dtype.kind == "S" and not all(isinstance(v, bytes) for v in items))
    ):
        kept = np.empty(len(items), dtype=object)
        kept[:] = items
        return kept
    return arr


def organisations(
    table: Any,
    sectors: Sequence[str],
    reserved: Sequence[str] = (),
    *,
    most_years: int = LAST_HISTORY_YEAR - FIRST_HISTORY_YEAR + 1,
    years_note: str = "",
) -> tuple[dict[str, NDArray[Any]], list[str], Rows]:
    """Checked columns of a table of organisations, with defaults for optional ones,
    the names of the columns the table gave, and how messages name its rows.

    Parameters
    ----------
    table : dict of columns, list of row dicts or pandas DataFrame
        Columns ``records``, ``annual_sales`` (KRW) and ``sector``; optional
        ``name``, ``years_observed`` and ``incidents`` (a history summary,
        taken to have the current record count every year), ``entity_type``,
        ``ict_provider``, ``equivalent_cover`` and ``processing_outsourced``
        (True or False, or the numbers 1 and 0).
    sectors : sequence of str
        The sectors the model knows.
    reserved : sequence of str
        Names the result will use for its own columns (the outputs): a table
        column so named would be mistaken for one, or overwritten.
    most_years : int
        The most ``years_observed`` a row may give (a quote's date sets it: see
        :func:`picover.price_portfolio`), and ``years_note`` why, for the message.
    """
    cols = as_columns(table)
    rows = Rows(_index_labels(table)) if _is_frame(table) else Rows()
    known = set(REQUIRED) | set(OPTIONAL)
    for name in cols:
        if name in reserved:
            raise ValueError(
                f"column {name!r} has the name of an output; rename it (outputs: "
                f"{', '.join(reserved)})"
            )
        if not name.strip():
            raise ValueError(f"a column has no name ({name!r}): a trailing comma in a header?")
        if name not in known:
            close = _near(name, known)
            if close:
                raise ValueError(
                    f"column {name!r} is not known; did you mean {close!r}? (columns picover "
                    "does not read are carried through: rename it if that is all it is for)"
                )
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise ValueError(f"the table lacks required column(s) {missing}; it has {list(cols)}")
    n = len(next(iter(cols.values())))
    if n == 0:
        raise ValueError("the table has no rows")
    # Observed years without their incident count would be read as years without
    # incidents, and lower every rate quietly. (Incidents without years are
    # refused below unless all are 0, which is no history.)
    if "years_observed" in cols and "incidents" not in cols:
        raise ValueError(
            "the table has column 'years_observed' but not 'incidents': a history summary "
            "needs both (incidents 0 where none occurred)"
        )
    out = dict(cols)
    # The bounds of an Organisation, checked here whatever the outputs asked for.
    out["records"] = _numbers(cols["records"], "records", rows, low=1.0, high=1e10, whole=True)
    out["annual_sales"] = _numbers(cols["annual_sales"], "annual_sales", rows, low=0.0, high=1e16)
    out["sector"] = _choices(cols["sector"], "sector", sectors, rows)
    for name, default in OPTIONAL.items():
        if name not in cols:
            out[name] = np.full(n, default)
    out["years_observed"] = _numbers(out["years_observed"], "years_observed", rows, low=0.0,
                                     high=most_years, whole=True, note=years_note)  # fmt: skip
    out["incidents"] = _numbers(out["incidents"], "incidents", rows, low=0.0, high=1e12,
                                whole=True)  # fmt: skip
    for name in ("records", "years_observed", "incidents"):
        out[name] = out[name].astype(np.int64)  # counts, checked whole and bounded above
    bad = np.flatnonzero((out["incidents"] > 0) & (out["years_observed"] == 0))
    if bad.size:
        raise ValueError(
            f"{rows.name(int(bad[0]))}, column 'incidents': {out['incidents'][bad[0]]:g} "
            "incidents with years_observed 0; give the number of years the incidents were "
            "observed in"
        )
    out["entity_type"] = _choices(out["entity_type"], "entity_type", ENTITY_TYPES, rows)
    for name in ("ict_provider", "equivalent_cover", "processing_outsourced"):
        out[name] = _flags(out[name], name, rows)
    return out, list(cols), rows


def _near(name: str, known: set[str]) -> str | None:
    """The known column ``name`` was likely meant to be, if any: the same but for
    case, spaces or hyphens ("ICT Provider"); a letter or two off ("recods");
    its first word or words ("ict", "entity", "annual"); or it followed by more
    ("incident_count", "records_2024"; not for ``name`` or ``sector``, whose
    variants such as "name_en" or "sector_code" are ordinary columns to carry
    through)."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
    if close:
        return close[0]
    for k in sorted(known):
        if k.startswith(key + "_"):
            return k
        stem = k[:-1] if k.endswith("s") else k
        if k not in ("name", "sector") and (key.startswith(k + "_") or key.startswith(stem + "_")):
            return k
    return None


def _numbers(
    values: NDArray[Any],
    column: str,
    rows: Rows,
    *,
    low: float,
    high: float = math.inf,
    whole: bool = False,
    note: str = "",
) -> NDArray[Any]:
    if values.dtype.kind in "iuf":
        arr = values.astype(np.float64)
    else:
        # Taken as given: text, booleans and other objects are refused (a CSV file's
        # text is parsed by from_text before it gets here).
        arr = np.empty(values.size)
        for i, v in enumerate(values.tolist()):
            if isinstance(v, str):
                raise ValueError(
                    f"{rows.name(i)}, column {column!r}: {v!r} is text, not a number (give "
                    "numbers; a CSV file is read by `picover portfolio`)"
                )
            if isinstance(v, bool) or not isinstance(v, int | float | np.number):
                what = (
                    "the value is missing; give a number" if _missing(v)
                    else f"{_plain(v)!r} is not a number"
                )  # fmt: skip
                raise ValueError(f"{rows.name(i)}, column {column!r}: {what}")
            arr[i] = v
    bad = ~np.isfinite(arr) | (arr < low) | (arr > high)
    if whole:
        bad |= np.isfinite(arr) & (arr != np.floor(arr))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        kind = "a whole number" if whole else "a number"
        span = f">= {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]"
        # NaN in a float column is how a frame marks a missing value.
        what = (
            "the value is missing" if math.isnan(arr[i]) else f"{_shown(values[i])} is not allowed"
        )
        raise ValueError(f"{rows.name(i)}, column {column!r}: {what}; expected {kind} {span}{note}")
    return arr


def _shown(value: Any) -> str:
    """A value for a message: a whole float as the whole number a file wrote (-5,
    not -5.0, for a CSV cell read as a float)."""
    v = _plain(value)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return repr(int(v))
    return repr(v)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _choices(values: NDArray[Any], column: str, allowed: Sequence[str], rows: Rows) -> NDArray[Any]:
    # Bytes are not text: astype(str) would decode b"retail" to "retail" unasked.
    if values.dtype.kind == "S" or (
        values.dtype == object and any(isinstance(v, bytes) for v in values.tolist())
    ):
        i = next(i for i, v in enumerate(values.tolist()) if isinstance(v, bytes))
        raise ValueError(
            f"{rows.name(i)}, column {column!r}: {values.tolist()[i]!r} is bytes, not text; "
            "decode it first"
        )
    # A copy either way: the result must not share memory with the caller's table.
    texts = values.copy() if values.dtype.kind == "U" else values.astype(str)
    # A comparison per allowed value: the lists are short, and np.isin would
    # sort a million strings.
    bad = np.ones(texts.shape, dtype=bool)
    for value in allowed:
        bad &= texts != value
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        options = ", ".join(sorted(allowed))
        # Not 'None' or 'nan': that would read as a value that was given.
        what = "the value is missing" if _missing(values[i]) else (
            f"unknown value {str(texts[i])!r}"
        )  # fmt: skip
        raise ValueError(f"{rows.name(i)}, column {column!r}: {what}; known: {options}")
    return texts


def _flags(values: NDArray[Any], column: str, rows: Rows) -> NDArray[np.bool_]:
    if values.dtype == bool:
        return values
    out = np.empty(values.size, dtype=bool)
    for i, v in enumerate(values.tolist()):
        # True and False, or the numbers 1 and 0: a frame's integer column, numpy's
        # own in an object column, or a float column (pandas reads a 0/1 column
        # with a blank cell as floats, and fillna(0) leaves them floats). Text is
        # a CSV file's, parsed by from_text.
        if isinstance(v, str):
            raise ValueError(
                f"{rows.name(i)}, column {column!r}: {v!r} is text, not true or false (give "
                "True or False; a CSV file is read by `picover portfolio`)"
            )
        # (NaN is no 0 or 1; v in (0, 1) says so.)
        flag = isinstance(v, bool | np.bool_)
        if not (flag or (isinstance(v, numbers.Real) and v in (0, 1))):
            what = (
                "the value is missing; give True or False" if _missing(v)
                else f"{_plain(v)!r} is not true or false"
            )  # fmt: skip
            raise ValueError(f"{rows.name(i)}, column {column!r}: {what}")
        out[i] = bool(v)
    return out

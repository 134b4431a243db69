"""Input checks shared by every layer.

Each check names the argument, shows the offending value and says what is
allowed, so that a user reading the message knows what to change. Nothing is
clipped or coerced: a value is accepted as given or rejected.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def number(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a real number in range.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        What the caller passed.
    low, high : float
        Bounds of the allowed interval.
    low_open, high_open : bool
        Whether the bound itself is excluded.
    allow_inf : bool
        Whether ``+inf`` (or ``-inf``) is an allowed value.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (bools and strings are refused).
    ValueError
        If it is NaN, infinite (unless allowed) or out of range.

    Examples
    --------
    >>> number("limit", 5e8, low=0.0)
    500000000.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return number(
                name,
                value.item(),
                low=low,
                high=high,
                low_open=low_open,
                high_open=high_open,
                allow_inf=allow_inf,
            )
        raise TypeError(f"{name} must be a real number; got {_describe(value)}")
    try:
        x = float(value)
    except OverflowError:  # an int beyond any float (a 400-digit number in a file)
        raise ValueError(f"{name} must be finite; got {_whole_text(int(value))}") from None  # type: ignore[call-overload]
    if math.isnan(x):
        raise ValueError(f"{name} must be a number; got NaN")
    if math.isinf(x) and not allow_inf:
        raise ValueError(f"{name} must be finite; got {x}")
    if (x < low) or (low_open and x == low) or (x > high) or (high_open and x == high):
        raise ValueError(f"{name} must be {_interval(low, high, low_open, high_open)}; got {x!r}")
    return x


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int after checking it is a whole number in range.

    Floats that hold a whole number (``3.0``) are accepted; ``3.5`` is not.

    Examples
    --------
    >>> integer("incidents", 3.0, low=0)
    3
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number; got {value!r}")
    if isinstance(value, numbers.Integral):
        k = int(value)
    elif isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x) or x != math.floor(x):
            raise ValueError(f"{name} must be a whole number; got {x!r}")
        k = int(x)
    else:
        raise TypeError(f"{name} must be a whole number; got {_describe(value)}")
    if (low is not None and k < low) or (high is not None and k > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise ValueError(f"{name} must be a whole number in [{lo}, {hi}]; got {_whole_text(k)}")
    return k


def shape(name: str, value: Any) -> tuple[int, ...]:
    """An array shape from None (a single value: ``()``), a count, or a tuple of counts.

    Examples
    --------
    >>> shape("size", None), shape("size", 3), shape("size", (2, 3))
    ((), (3,), (2, 3))
    """
    if value is None:
        return ()
    if isinstance(value, tuple | list):
        return tuple(integer(f"{name}[{i}]", v, low=0) for i, v in enumerate(value))
    return (integer(name, value, low=0),)


def _whole_text(k: int) -> str:
    # Python refuses to print ints of over 4,300 digits, and a 400-digit one helps no one.
    if abs(k) < 10**30:
        return str(k)
    try:
        return f"a number of {len(str(abs(k))):,} digits"
    except ValueError:
        return "a number of over 4,300 digits"


def array(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
    ndim: int | None = None,
) -> FloatArray:
    """Return ``value`` as a float array after checking every element.

    The message names the first offending position and its value.

    Examples
    --------
    >>> array("q", [0.5, 0.99], low=0.0, high=1.0, low_open=True, high_open=True)
    array([0.5 , 0.99])
    >>> array("ladder", [True, 2.0])
    Traceback (most recent call last):
    ...
    TypeError: ladder must be a number or an array of numbers; got [True, 2.0]
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raw = np.asarray(None)  # ragged nesting: refused below
    # Text and booleans would convert quietly ("5" -> 5.0, True -> 1.0): refuse them,
    # also a True among numbers in a list, which numpy makes 1.0 without a trace.
    mixed = (
        isinstance(value, list | tuple)
        and raw.dtype.kind in "iuf"
        and any(isinstance(v, bool | np.bool_) for v in np.asarray(value, dtype=object).reshape(-1))
    )
    if raw.dtype.kind not in "iuf" or mixed:
        raise TypeError(f"{name} must be a number or an array of numbers; got {_describe(value)}")
    arr = raw.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-dimensional array; got shape {arr.shape}")
    bad = np.isnan(arr)
    if not allow_inf:
        bad |= np.isinf(arr)
    bad |= (arr < low) | (arr > high)
    if low_open:
        bad |= arr == low
    if high_open:
        bad |= arr == high
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f" at index {where[0] if len(where) == 1 else where}" if arr.ndim else ""
        finite = "" if allow_inf else "finite and "
        raise ValueError(
            f"{name} must be {finite}{_interval(low, high, low_open, high_open)}; "
            f"got {float(arr[where] if arr.ndim else arr.item())!r}{at}"
        )
    return arr


def probabilities(name: str, value: Any) -> FloatArray:
    """``value`` as a read-only 1-D array of probabilities >= 0 summing to 1 within
    1e-9, divided by its sum (only rounding-level differences get that far).

    Examples
    --------
    >>> probabilities("pmf", [0.7, 0.3]).tolist()
    [0.7, 0.3]
    >>> probabilities("pmf", [0.7, 0.4])
    Traceback (most recent call last):
    ...
    ValueError: pmf must sum to 1 (within 1e-9); it sums to 1.1
    """
    arr = array(name, value, low=0.0, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{name} must have at least one entry")
    total = float(arr.sum())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1 (within 1e-9); it sums to {total!r}")
    out = arr / total
    out.flags.writeable = False
    return out


def probability_levels(name: str, value: Any) -> FloatArray:
    """Check levels strictly inside (0, 1), as quantile and TVaR levels must be.

    Examples
    --------
    >>> probability_levels("q", 0.995)
    array(0.995)
    """
    return array(name, value, low=0.0, high=1.0, low_open=True, high_open=True)


def one_of(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """Check that ``value`` is one of the allowed strings.

    Examples
    --------
    >>> one_of("method", "fft", ("fft", "mc"))
    'fft'
    """
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {_describe(value)}")
    return value


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if math.isinf(low) and math.isinf(high):
        return "a real number"
    if math.isinf(high):
        return f"{'>' if low_open else '>='} {low:g}"
    if math.isinf(low):
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def _label(instance: Any, attribute: Any) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def to_float(value: Any) -> Any:
    """An attrs converter: a real number (int, numpy scalar, 0-d array, Fraction) as a float.

    Anything else, and ints too large for a float, pass through unchanged for
    the validator to refuse with a message; stored amounts are then always
    plain floats (hashable, formattable).

    Examples
    --------
    >>> import fractions
    >>> to_float(np.array(5.0)), to_float(fractions.Fraction(3, 2)), to_float("5")
    (5.0, 1.5, '5')
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    try:
        return float(value)
    except OverflowError:
        return value


def real(*, allow_nan: bool = False, **bounds: Any) -> Callable[[Any, Any, Any], None]:
    """An attrs validator applying :func:`number` with these bounds.

    The message names the class and field, e.g. ``Poisson.mu must be >= 0``.
    With ``allow_nan`` a NaN passes too: results use it for "not defined"
    (a rate on line without a limit, say).

    Examples
    --------
    >>> import attrs
    >>> @attrs.frozen
    ... class Rate:
    ...     mu: float = attrs.field(validator=real(low=0.0))
    >>> Rate(-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Rate.mu must be >= 0; got -1.0
    """

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        if allow_nan and isinstance(value, float | np.floating) and math.isnan(value):
            return
        number(_label(instance, attribute), value, **bounds)

    return validate


def kind(*types: type) -> Callable[[Any, Any, Any], None]:
    """An attrs validator: the value is an instance of one of ``types``.

    Unlike ``attrs.validators.instance_of``, the message is one plain line.

    Examples
    --------
    >>> import attrs
    >>> @attrs.frozen
    ... class Shop:
    ...     sector: str = attrs.field(validator=kind(str))
    >>> Shop(3)
    Traceback (most recent call last):
    ...
    TypeError: Shop.sector must be a str; got int 3
    """
    names = " or ".join(t.__name__ for t in types)

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, types):
            raise TypeError(
                f"{_label(instance, attribute)} must be a {names}; "
                f"got {type(value).__name__} {_describe(value)}"
            )

    return validate


def among(allowed: Any) -> Callable[[Any, Any, Any], None]:
    """An attrs validator: the value is one of ``allowed`` (a one-line message naming them).

    Examples
    --------
    >>> import attrs
    >>> @attrs.frozen
    ... class Clause:
    ...     when: str = attrs.field(validator=among(("first", "every")))
    >>> Clause("second")
    Traceback (most recent call last):
    ...
    ValueError: Clause.when must be one of 'first', 'every'; got 'second'
    """
    options = ", ".join(repr(a) for a in allowed)

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        try:
            known = value in allowed
        except TypeError:  # unhashable, say
            known = False
        if not known:
            raise ValueError(
                f"{_label(instance, attribute)} must be one of {options}; got {_describe(value)}"
            )

    return validate


def flag(instance: Any, attribute: Any, value: Any) -> None:
    """An attrs validator for a truth value: ``bool`` or numpy's ``bool_``.

    Examples
    --------
    >>> import attrs
    >>> @attrs.frozen
    ... class Row:
    ...     compliant: bool = attrs.field(validator=flag)
    >>> Row(1)
    Traceback (most recent call last):
    ...
    TypeError: Row.compliant must be True or False; got int 1
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(
            f"{_label(instance, attribute)} must be True or False; "
            f"got {type(value).__name__} {_describe(value)}"
        )


def whole(**bounds: Any) -> Callable[[Any, Any, Any], None]:
    """An attrs validator applying :func:`integer` with these bounds.

    Examples
    --------
    >>> import attrs
    >>> @attrs.frozen
    ... class Count:
    ...     n: int = attrs.field(validator=whole(low=0))
    >>> Count(2).n
    2
    """

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        integer(_label(instance, attribute), value, **bounds)

    return validate


# Digits grouped by threes with commas or underscores (one kind), as people write
# amounts; anything else with a separator ("3,5", "1_0e9") is refused, not read.
_GROUPED = re.compile(
    r"[+-]?\d{1,3}(?:(,)\d{3}(?:,\d{3})*|(_)\d{3}(?:_\d{3})*)(?:\.\d*)?(?:[eE][+-]?\d+)?"
)


def text_number(name: str, text: str) -> float:
    """A number written in a text file; thousands may be grouped: ``"1,000,000"``, ``"1_000_000"``.

    A separator anywhere else is refused rather than dropped: ``"3,5"`` (a
    decimal comma) is not 35.

    Examples
    --------
    >>> text_number("sales", "1,200,000.5")
    1200000.5
    >>> text_number("sales", "3,5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sales must be a number (thousands grouped by threes, ...); got '3,5'
    """
    plain = text.strip()
    if "," in plain or "_" in plain:
        if not _GROUPED.fullmatch(plain):
            raise ValueError(
                f"{name} must be a number (thousands grouped by threes, as 1,000,000, are "
                f"allowed); got {text!r}"
            )
        plain = plain.replace(",", "").replace("_", "")
    try:
        return float(plain)
    except ValueError:
        raise ValueError(f"{name} must be a number; got {text!r}") from None


def day(name: str, value: Any) -> datetime.date:
    """A calendar day: a ``datetime.date``, or the date of a ``datetime``.

    Examples
    --------
    >>> day("as_of", datetime.datetime(2025, 3, 1, 12, 0))
    datetime.date(2025, 3, 1)
    """
    # A datetime is a date subclass, but comparing one with a date raises.
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raise TypeError(f"{name} must be a datetime.date; got {_describe(value)}")

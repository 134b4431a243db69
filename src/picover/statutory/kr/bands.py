"""The minimum-coverage tables: one band per row of ``data/kr_minimum_coverage.csv``."""

from __future__ import annotations

import itertools
from importlib import resources
from typing import Any

import attrs
import numpy as np

from picover import _checks, _csv

_DATA_FILE = "kr_minimum_coverage.csv"
_COLUMNS = (
    "rule",
    "subjects_min",
    "subjects_max_exclusive",
    "sales_min_krw",
    "sales_min_inclusive",
    "sales_max_krw",
    "sales_max_inclusive",
    "minimum_coverage_krw",
    "status",
    "source",
)


def format_krw(amount: float) -> str:
    # Whole amounts print without decimals; fractional ones keep every digit so
    # that a figure just below a threshold never prints as the threshold itself.
    return f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,}"


@attrs.frozen(kw_only=True)
class CoverageBand:
    """One cell of a minimum-coverage table: a subjects band crossed with a sales band.

    Parameters
    ----------
    rule : str
        Key of the rule version whose table this row belongs to.
    subjects_min : int
        Lowest number of data subjects (users) in the band, included.
    subjects_max : int or None
        Upper edge of the subjects band, excluded (None: unbounded).
    sales_min : float
        Lower edge of the previous-year sales band (KRW).
    sales_min_inclusive : bool
        Whether ``sales_min`` itself belongs to the band.
    sales_max : float or None
        Upper edge of the sales band (KRW; None: unbounded).
    sales_max_inclusive : bool
        Whether ``sales_max`` itself belongs to the band.
    amount : float
        Minimum coverage (KRW).
    status, source : str
        How far the row is verified, and where it comes from.

    Examples
    --------
    >>> band = CoverageBand(rule="x", subjects_min=10_000, subjects_max=100_000,
    ...     sales_min=1e9, sales_min_inclusive=True, sales_max=5e9,
    ...     sales_max_inclusive=True, amount=5e7, status="", source="")
    >>> band.contains(10_000, 5e9), band.contains(100_000, 5e9)
    (True, False)
    >>> band.describe()
    'data subjects in [10,000, 100,000), annual sales in [1,000,000,000, 5,000,000,000] KRW'
    """

    rule: str = attrs.field(validator=_checks.kind(str))
    subjects_min: int = attrs.field(validator=_checks.whole(low=0))
    subjects_max: int | None = attrs.field(
        validator=attrs.validators.optional(_checks.whole(low=1))
    )
    sales_min: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    sales_min_inclusive: bool = attrs.field(validator=_checks.kind(bool))
    sales_max: float | None = attrs.field(
        validator=attrs.validators.optional(_checks.real(low=0.0))
    )
    sales_max_inclusive: bool = attrs.field(validator=_checks.kind(bool))
    amount: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True)
    )
    status: str = attrs.field(validator=_checks.kind(str))
    source: str = attrs.field(validator=_checks.kind(str))

    def __attrs_post_init__(self) -> None:
        if self.subjects_max is not None and self.subjects_max <= self.subjects_min:
            raise ValueError(
                f"subjects band [{self.subjects_min:,}, {self.subjects_max:,}) is empty"
            )
        if self.sales_max is None:
            if self.sales_max_inclusive:
                raise ValueError("an unbounded sales band cannot include its upper edge")
        elif self.sales_max < self.sales_min or (
            self.sales_max == self.sales_min
            and not (self.sales_min_inclusive and self.sales_max_inclusive)
        ):
            raise ValueError(f"sales band {self._sales_text()} KRW is empty")

    def contains(self, data_subjects: int, annual_sales: float) -> bool:
        """Whether an organisation with these figures falls in this band.

        Examples
        --------
        >>> band = CoverageBand(rule="x", subjects_min=1, subjects_max=None,
        ...     sales_min=5e9, sales_min_inclusive=False, sales_max=None,
        ...     sales_max_inclusive=False, amount=1.0, status="", source="")
        >>> band.contains(1, 5e9), band.contains(1, 5e9 + 1)
        (False, True)
        """
        return bool(self.contains_arrays(data_subjects, annual_sales))

    def contains_arrays(self, data_subjects: Any, annual_sales: Any) -> Any:
        """:meth:`contains` element by element over broadcast arrays (a boolean array).

        Examples
        --------
        >>> band = CoverageBand(rule="x", subjects_min=1, subjects_max=None,
        ...     sales_min=5e9, sales_min_inclusive=False, sales_max=None,
        ...     sales_max_inclusive=False, amount=1.0, status="", source="")
        >>> band.contains_arrays([1, 1], [5e9, 5e9 + 1]).tolist()
        [False, True]
        """
        subjects, sales = np.asarray(data_subjects), np.asarray(annual_sales)
        inside = subjects >= self.subjects_min
        if self.subjects_max is not None:
            inside = inside & (subjects < self.subjects_max)
        inside = inside & (
            (sales > self.sales_min) | ((sales == self.sales_min) & self.sales_min_inclusive)
        )
        if self.sales_max is not None:
            inside = inside & (
                (sales < self.sales_max) | ((sales == self.sales_max) & self.sales_max_inclusive)
            )
        return inside

    def describe(self, subjects_label: str = "data subjects") -> str:
        """The band's edges in words, e.g. for a reason.

        ``subjects_label`` names the count (the 2019 rule counted users).

        Examples
        --------
        >>> band = CoverageBand(rule="x", subjects_min=1_000_000, subjects_max=None,
        ...     sales_min=8e10, sales_min_inclusive=False, sales_max=None,
        ...     sales_max_inclusive=False, amount=1e9, status="", source="")
        >>> band.describe()
        'data subjects in [1,000,000, inf), annual sales in (80,000,000,000, inf) KRW'
        """
        high = "inf" if self.subjects_max is None else f"{self.subjects_max:,}"
        subjects = f"[{self.subjects_min:,}, {high})"
        return f"{subjects_label} in {subjects}, annual sales in {self._sales_text()} KRW"

    def _sales_text(self) -> str:
        low = f"{'[' if self.sales_min_inclusive else '('}{format_krw(self.sales_min)}"
        if self.sales_max is None:
            return f"{low}, inf)"
        return f"{low}, {format_krw(self.sales_max)}{']' if self.sales_max_inclusive else ')'}"


def _flag(column: str, text: str) -> bool:
    if text in ("yes", "no", ""):
        return text == "yes"
    raise ValueError(f"{column} must be 'yes', 'no' or empty; got {text!r}")


def _band_from_row(row: dict[str, str]) -> CoverageBand:
    def cell(column: str) -> str:
        return (row.get(column) or "").strip()

    def figure(column: str) -> float | None:
        text = cell(column)
        return (
            None if not text else _checks.number(column, _checks.text_number(column, text), low=0.0)
        )

    def required(column: str) -> float:
        value = figure(column)
        if value is None:
            raise ValueError(f"{column} is empty")
        return value

    subjects_max = figure("subjects_max_exclusive")
    return CoverageBand(
        rule=cell("rule"),
        subjects_min=_checks.integer("subjects_min", required("subjects_min")),
        subjects_max=(
            None
            if subjects_max is None
            else _checks.integer("subjects_max_exclusive", subjects_max)
        ),
        sales_min=required("sales_min_krw"),
        sales_min_inclusive=_flag("sales_min_inclusive", cell("sales_min_inclusive")),
        sales_max=figure("sales_max_krw"),
        sales_max_inclusive=_flag("sales_max_inclusive", cell("sales_max_inclusive")),
        amount=required("minimum_coverage_krw"),
        status=cell("status"),
        source=cell("source"),
    )


def _parse_bands(text: str, origin: str) -> tuple[CoverageBand, ...]:
    try:
        header, rows = _csv.table(text, first_row=1)
    except ValueError as exc:
        raise ValueError(f"{origin}: {exc}") from None
    if tuple(header) != _COLUMNS:
        raise ValueError(f"{origin}: columns must be {list(_COLUMNS)}; got {header}")
    bands = []
    for i, row in enumerate(rows, start=1):
        try:
            bands.append(_band_from_row(row))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{origin}: row {i}: {exc}") from None
    return tuple(bands)


def _load_bands() -> tuple[CoverageBand, ...]:
    path = resources.files("picover.statutory") / "data" / _DATA_FILE
    return _parse_bands(path.read_text(encoding="utf-8"), _DATA_FILE)


_BANDS = _load_bands()


def bands_of(table: str) -> tuple[CoverageBand, ...]:
    return tuple(b for b in _BANDS if b.rule == table)


def check_grid(table: str, bands: tuple[CoverageBand, ...]) -> None:
    """Raise unless the bands tile [lowest edges, inf) x [lowest edges, inf) exactly once."""
    where = f"{_DATA_FILE}: table {table!r}"
    if not bands:
        raise ValueError(f"{where} has no rows")
    subjects = sorted({(b.subjects_min, b.subjects_max) for b in bands}, key=lambda s: s[0])
    for (_, prev_max), (next_min, _) in itertools.pairwise(subjects):
        if prev_max != next_min:
            raise ValueError(f"{where}: subjects bands leave a gap or overlap at {next_min:,}")
    if subjects[-1][1] is not None:
        raise ValueError(f"{where}: the top subjects band must be unbounded")
    sales = sorted(
        {(b.sales_min, b.sales_min_inclusive, b.sales_max, b.sales_max_inclusive) for b in bands},
        key=lambda s: (s[0], not s[1]),
    )
    for prev, nxt in itertools.pairwise(sales):
        # Adjacent bands must meet at one edge that exactly one of them includes.
        if prev[2] != nxt[0] or prev[3] == nxt[1]:
            raise ValueError(f"{where}: sales bands leave a gap or overlap at {format_krw(nxt[0])}")
    if sales[-1][2] is not None:
        raise ValueError(f"{where}: the top sales band must be unbounded")
    cells = [
        ((b.subjects_min, b.subjects_max), (b.sales_min, b.sales_min_inclusive)) for b in bands
    ]
    if len(set(cells)) != len(cells) or len(cells) != len(subjects) * len(sales):
        raise ValueError(
            f"{where}: needs exactly one row per subjects band and sales band "
            f"({len(subjects)} x {len(sales)}); got {len(cells)} rows"
        )

"""The Korean duty to insure against personal-information leak liability.

Three rule versions are known (see :data:`RULES`):

``network_act_2019``
    Network Act Art. 32-3 and its Enforcement Decree: information and
    communications service providers with previous-year sales of at least
    50 million KRW storing a daily average of at least 1,000 users. In force
    from 2019-06-13; fines (20 million KRW) for not insuring apply from
    2020-01-01 after a grace period.
``pipa_2023``
    Personal Information Protection Act Art. 39-9 and Enforcement Decree
    Art. 48-7: every personal-information controller with previous-year
    sales of at least 1 billion KRW *and* at least 10,000 data subjects,
    unless exempt. Newly covered controllers must comply from 2024-09-15;
    before that date ``network_act_2019`` applies.
``reform_2025_proposal``
    The PIPC plan of 2025-03-26 (sales of at least 150 billion KRW and at
    least 1 million data subjects). Not in force: used only when a caller
    asks for it with ``rule="reform_2025_proposal"``.

Insurance, mutual aid or a reserve of the same amount all satisfy the duty.

The thresholds and dates are data on each :class:`RuleVersion` below and the
minimum amounts are one row each in the package file
``data/kr_minimum_coverage.csv`` (with its status and source), so a
correction is a one-line change. Several items come from news reports and
insurer material, not from the law text, and **should be checked against the
official text** (law.go.kr) before relying on them:

- every minimum amount except the top tier of 1 billion KRW;
- the exact wording of the band edges (implemented as: the lowest sales band
  includes both its edges, "over 5 billion up to 80 billion" excludes 5 and
  includes 80 billion, "over 80 billion" excludes 80 billion; subject bands
  include their lower and exclude their upper edge);
- the 2024-09-15 compliance date of ``pipa_2023``;
- the ``pipa_2023`` exemptions;
- the status of ``reform_2025_proposal``.

Choices where the sources are silent:

- During the ``network_act_2019`` grace period (2019-06-13 to 2019-12-31)
  ``required`` is True, as the decree already applied; the reasons say that
  fines apply only from 2020-01-01.
- ``network_act_2019`` knows no exemptions: the exemption flags of an
  :class:`~picover.model.exposure.Organisation` are ignored under it (the
  reasons say so). Its user count is taken to be ``Organisation.records``, and a
  party receiving personal information from a provider (also covered) should
  set ``ict_provider=True``.
- ``entity_type="public"`` is treated as exempt under ``pipa_2023``, with a
  reason warning that a March 2024 decree change brought some public bodies
  in, so the user should check.
- A rule forced with ``rule=`` is applied even on dates when it is not in
  force, with a reason saying so.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable
from datetime import date
from importlib import resources
from typing import Any

import attrs
import numpy as np

from picover import _checks
from picover.model.exposure import ENTITY_TYPES, Organisation

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


def _krw(amount: float) -> str:
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

    rule: str = attrs.field(validator=attrs.validators.instance_of(str))
    subjects_min: int = attrs.field(validator=_checks.whole(low=0))
    subjects_max: int | None = attrs.field(
        validator=attrs.validators.optional(_checks.whole(low=1))
    )
    sales_min: float = attrs.field(validator=_checks.real(low=0.0))
    sales_min_inclusive: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    sales_max: float | None = attrs.field(
        validator=attrs.validators.optional(_checks.real(low=0.0))
    )
    sales_max_inclusive: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    amount: float = attrs.field(validator=_checks.real(low=0.0, low_open=True))
    status: str = attrs.field(validator=attrs.validators.instance_of(str))
    source: str = attrs.field(validator=attrs.validators.instance_of(str))

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
        low = f"{'[' if self.sales_min_inclusive else '('}{_krw(self.sales_min)}"
        if self.sales_max is None:
            return f"{low}, inf)"
        return f"{low}, {_krw(self.sales_max)}{']' if self.sales_max_inclusive else ')'}"


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
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ValueError(f"{origin}: columns must be {list(_COLUMNS)}; got {reader.fieldnames}")
    bands = []
    for i, row in enumerate(reader, start=1):
        if None in row:
            raise ValueError(f"{origin}: row {i}: more cells than column names")
        try:
            bands.append(_band_from_row(row))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{origin}: row {i}: {exc}") from None
    return tuple(bands)


def _load_bands() -> tuple[CoverageBand, ...]:
    path = resources.files(__package__ or "picover.statutory") / "data" / _DATA_FILE
    return _parse_bands(path.read_text(encoding="utf-8"), _DATA_FILE)


_BANDS = _load_bands()


def _bands(table: str) -> tuple[CoverageBand, ...]:
    return tuple(b for b in _BANDS if b.rule == table)


def _check_grid(table: str, bands: tuple[CoverageBand, ...]) -> None:
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
            raise ValueError(f"{where}: sales bands leave a gap or overlap at {_krw(nxt[0])}")
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


def _band_tuple(bands: Iterable[CoverageBand]) -> tuple[CoverageBand, ...]:
    return tuple(bands)


@attrs.frozen(kw_only=True)
class RuleVersion:
    """One version of the duty to insure: who must insure, from when, and the minimum table.

    Parameters
    ----------
    key : str
        Identifier, e.g. ``"pipa_2023"``; pass it as ``rule=`` to force this version.
    title : str
        A one-line description.
    basis : str
        Legal basis (articles).
    in_force : datetime.date or None
        First date the version governs (selected by date from then on until a
        later version takes over); None for a proposal, which is only used on request.
    enforced_from : datetime.date or None
        First date a fine applies for not insuring, when later than ``in_force``
        (a grace period); None when fines apply from ``in_force``.
    sales_threshold : float
        Previous-year sales (KRW) at or above which the duty applies.
    subjects_threshold : int
        Data subjects (users) at or above which the duty applies; both
        thresholds must be met.
    subjects_label : str
        What the count is called in this version (for reasons).
    ict_only : bool
        Whether only information and communications service providers are covered.
    exemptions_apply : bool
        Whether the exemptions (public, non-profit, small business, equivalent
        cover, outsourced processing) are recognised.
    fine_krw : float or None
        Administrative fine for not insuring, when known.
    table : str
        Key of the minimum-coverage table used (a proposal may reuse an earlier one).
    bands : tuple of CoverageBand
        That table's rows; defaults to the rows of ``table`` in the package data.
    status, source : str
        How far the thresholds and dates are verified, and where they come from.

    Examples
    --------
    >>> from datetime import date
    >>> r = rule_for(date(2025, 1, 1))
    >>> r.key, r.in_force, r.sales_threshold, r.subjects_threshold
    ('pipa_2023', datetime.date(2024, 9, 15), 1000000000.0, 10000)
    """

    key: str = attrs.field(validator=attrs.validators.instance_of(str))
    title: str = attrs.field(validator=attrs.validators.instance_of(str))
    basis: str = attrs.field(validator=attrs.validators.instance_of(str))
    in_force: date | None = attrs.field(
        validator=attrs.validators.optional(attrs.validators.instance_of(date))
    )
    enforced_from: date | None = attrs.field(
        validator=attrs.validators.optional(attrs.validators.instance_of(date))
    )
    sales_threshold: float = attrs.field(validator=_checks.real(low=0.0))
    subjects_threshold: int = attrs.field(validator=_checks.whole(low=1))
    subjects_label: str = attrs.field(validator=attrs.validators.instance_of(str))
    ict_only: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    exemptions_apply: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    fine_krw: float | None = attrs.field(validator=attrs.validators.optional(_checks.real(low=0.0)))
    table: str = attrs.field(validator=attrs.validators.instance_of(str))
    bands: tuple[CoverageBand, ...] = attrs.field(converter=_band_tuple, repr=False)
    status: str = attrs.field(validator=attrs.validators.instance_of(str))
    source: str = attrs.field(validator=attrs.validators.instance_of(str))

    @bands.default
    def _default_bands(self) -> tuple[CoverageBand, ...]:
        return _bands(self.table)

    def __attrs_post_init__(self) -> None:
        if self.in_force is None and self.enforced_from is not None:
            raise ValueError(f"rule {self.key!r}: enforced_from needs an in_force date")
        if (
            self.in_force is not None
            and self.enforced_from is not None
            and self.enforced_from < self.in_force
        ):
            raise ValueError(f"rule {self.key!r}: enforced_from is before in_force")
        for band in self.bands:
            if not isinstance(band, CoverageBand) or band.rule != self.table:
                raise ValueError(f"rule {self.key!r}: every band must be a row of {self.table!r}")
        _check_grid(self.table, self.bands)
        # The thresholds must fall inside the table, or an organisation that
        # must insure would have no minimum amount.
        lowest = min(self.bands, key=lambda b: (b.sales_min, not b.sales_min_inclusive))
        if self.subjects_threshold < min(b.subjects_min for b in self.bands) or not (
            lowest.contains(lowest.subjects_min, self.sales_threshold)
            or self.sales_threshold > lowest.sales_min
        ):
            raise ValueError(
                f"rule {self.key!r}: the thresholds ({self.subjects_threshold:,} subjects, "
                f"{_krw(self.sales_threshold)} KRW) fall below table {self.table!r}"
            )

    def grace_period(self, as_of: date) -> bool:
        """Whether ``as_of`` is after the version came into force but before fines apply.

        Examples
        --------
        >>> from datetime import date
        >>> rule_for(date(2019, 7, 1)).grace_period(date(2019, 7, 1))
        True
        """
        return (
            self.in_force is not None
            and self.enforced_from is not None
            and self.in_force <= as_of < self.enforced_from
        )


_NETWORK_ACT_2019 = RuleVersion(
    key="network_act_2019",
    title="Network Act rule: information and communications service providers",
    basis="Network Act Art. 32-3 and its Enforcement Decree",
    in_force=date(2019, 6, 13),
    enforced_from=date(2020, 1, 1),
    sales_threshold=50_000_000.0,
    subjects_threshold=1_000,
    subjects_label="daily-average users stored",
    ict_only=True,
    exemptions_apply=False,
    fine_krw=20_000_000.0,
    table="network_act_2019",
    status="thresholds and dates as reported; amounts unverified",
    source="ajunews 20190515130007499 (2019-05-15); maeilmarketing.com idxno=5718",
)
_PIPA_2023 = RuleVersion(
    key="pipa_2023",
    title="PIPA rule: all personal-information controllers",
    basis="PIPA Art. 39-9 and Enforcement Decree Art. 48-7 (amendment in force 2023-09-15)",
    in_force=date(2024, 9, 15),  # unverified: the decree's transitional clause
    enforced_from=None,
    sales_threshold=1_000_000_000.0,
    subjects_threshold=10_000,
    subjects_label="data subjects",
    ict_only=False,
    exemptions_apply=True,
    fine_krw=None,
    table="pipa_2023",
    status="thresholds verified; start date and exemptions unverified",
    source="korea.kr policy news 148941039 (2025-03-27); PIPA Art. 39-7 (prighter.com)",
)
_REFORM_2025_PROPOSAL = RuleVersion(
    key="reform_2025_proposal",
    title="PIPC reform proposal of 2025-03-26, opt-in; minimum table as pipa_2023",
    basis="PIPC plan of 2025-03-26; decree change not confirmed",
    in_force=None,
    enforced_from=None,
    sales_threshold=150_000_000_000.0,
    subjects_threshold=1_000_000,
    subjects_label="data subjects",
    ict_only=False,
    exemptions_apply=True,
    fine_krw=None,
    table="pipa_2023",  # the plan changes the thresholds, not the amounts
    status="proposal; decree change unverified",
    source="PIPC plan of 2025-03-26 (news reports)",
)

#: The rule versions, oldest first. Date selection uses those with an ``in_force`` date.
RULES: tuple[RuleVersion, ...] = (_NETWORK_ACT_2019, _PIPA_2023, _REFORM_2025_PROPOSAL)

_KEYS = tuple(r.key for r in RULES)
_BY_DATE = tuple(
    sorted((r for r in RULES if r.in_force is not None), key=lambda r: r.in_force or date.min)
)


def _day(as_of: Any) -> date:
    return _checks.day("as_of", as_of)


def _in_force_on(day: date) -> RuleVersion | None:
    current = None
    for r in _BY_DATE:
        if r.in_force is not None and r.in_force <= day:
            current = r
    return current


def _earliest() -> RuleVersion:
    return _BY_DATE[0]


def rule_for(as_of: date, rule: str | None = None) -> RuleVersion:
    """The rule version that applies on ``as_of``, or the one named by ``rule``.

    Parameters
    ----------
    as_of : datetime.date
        The date (a ``datetime`` counts as its date).
    rule : str, optional
        A key of :data:`RULES` to force that version whatever the date.

    Raises
    ------
    ValueError
        If ``rule`` is not a known key, or no rule was in force on ``as_of``.
    TypeError
        If ``as_of`` is not a date.

    Examples
    --------
    >>> from datetime import date
    >>> rule_for(date(2024, 9, 14)).key, rule_for(date(2024, 9, 15)).key
    ('network_act_2019', 'pipa_2023')
    >>> rule_for(date(2030, 1, 1), rule="reform_2025_proposal").key
    'reform_2025_proposal'
    """
    day = _day(as_of)
    if rule is not None:
        key = _checks.one_of("rule", rule, _KEYS)
        return next(r for r in RULES if r.key == key)
    current = _in_force_on(day)
    if current is None:
        first = _earliest()
        raise ValueError(
            f"no statutory insurance rule was in force on {day.isoformat()}; the earliest, "
            f"{first.key!r}, is in force from {first.in_force}"
        )
    return current


def _threshold_reasons(rule: RuleVersion, subjects: int, sales: float) -> tuple[bool, list[str]]:
    sales_ok = sales >= rule.sales_threshold
    subjects_ok = subjects >= rule.subjects_threshold
    reasons = [
        f"annual sales {_krw(sales)} KRW {'>=' if sales_ok else '<'} "
        f"{_krw(rule.sales_threshold)} KRW" + ("" if sales_ok else " (threshold not met)"),
        f"{rule.subjects_label} {subjects:,} {'>=' if subjects_ok else '<'} "
        f"{rule.subjects_threshold:,}" + ("" if subjects_ok else " (threshold not met)"),
    ]
    return sales_ok and subjects_ok, reasons


def _band(rule: RuleVersion, subjects: int, sales: float) -> CoverageBand:
    met, figures = _threshold_reasons(rule, subjects, sales)
    if not met:
        raise ValueError(
            f"below the thresholds of rule {rule.key!r}, so no minimum coverage applies: "
            + "; ".join(figures)
        )
    for band in rule.bands:
        if band.contains(subjects, sales):
            return band
    # Unreachable after the grid check in RuleVersion; kept so a bad table fails loudly.
    raise ValueError(  # pragma: no cover
        f"table {rule.table!r} has no band for {subjects:,} subjects and {_krw(sales)} KRW"
    )


def minimum_coverage(
    data_subjects: int, annual_sales: float, *, as_of: date, rule: str | None = None
) -> float:
    """The minimum coverage (KRW) for an organisation within a rule's scope.

    This looks up the amount only; whether the organisation must insure at
    all (its kind, the exemptions) is :func:`obligation`'s job.

    Parameters
    ----------
    data_subjects : int
        Data subjects (users) whose information is stored, >= 0.
    annual_sales : float
        Previous-year sales (KRW), >= 0.
    as_of : datetime.date
        The date whose rule applies.
    rule : str, optional
        Force a rule version by key (see :data:`RULES`).

    Returns
    -------
    float
        Insurance, mutual aid or reserve required (KRW).

    Raises
    ------
    ValueError
        If the figures are below the rule's thresholds, an argument is
        negative or NaN, ``rule`` is unknown, or no rule was in force on ``as_of``.
    TypeError
        If an argument has the wrong type.

    Examples
    --------
    >>> from datetime import date
    >>> minimum_coverage(250_000, 12e9, as_of=date(2025, 1, 1))
    200000000.0
    >>> minimum_coverage(5_000, 1e8, as_of=date(2023, 1, 1))
    50000000.0
    """
    subjects = _checks.integer("data_subjects", data_subjects, low=0)
    sales = _checks.number("annual_sales", annual_sales, low=0.0)
    return _band(rule_for(as_of, rule), subjects, sales).amount


def _reason_tuple(reasons: Iterable[str]) -> tuple[str, ...]:
    # A lone string would otherwise become one reason per character.
    if isinstance(reasons, str):
        raise TypeError("Obligation.reasons must be a sequence of strings, not one string")
    items = tuple(reasons)
    for reason in items:
        if not isinstance(reason, str):
            raise TypeError(f"Obligation.reasons must hold strings; got {type(reason).__name__}")
    return items


@attrs.frozen(kw_only=True)
class Obligation:
    """Whether an organisation must hold leak liability cover on a date, and why.

    Parameters
    ----------
    required : bool
        Whether it must hold insurance, mutual aid or a reserve.
    rule : RuleVersion or None
        The rule version applied (None when no rule was in force).
    reasons : tuple of str
        Each threshold met or not with the figures, each exemption that
        applies, and notes (grace period, forced rule).
    minimum_coverage : float or None
        Minimum amount (KRW) when required, else None.
    as_of : datetime.date
        The date assessed.

    Examples
    --------
    >>> from datetime import date
    >>> from picover.model.exposure import Organisation
    >>> org = Organisation(records=50_000, annual_sales=2e9, sector="retail")
    >>> print(obligation(org, as_of=date(2025, 1, 1)))
    Leak liability cover on 2025-01-01: required
    rule: pipa_2023 (PIPA rule: all personal-information controllers)
    minimum coverage: 50,000,000 KRW (insurance, mutual aid or a reserve)
    reasons:
      - annual sales 2,000,000,000 KRW >= 1,000,000,000 KRW
      - data subjects 50,000 >= 10,000
      - minimum 50,000,000 KRW for data subjects in [10,000, 100,000), annual sales in
        [1,000,000,000, 5,000,000,000] KRW (table status: thresholds verified; amount and
        start date unverified)
    """

    required: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    rule: RuleVersion | None = attrs.field(
        validator=attrs.validators.optional(attrs.validators.instance_of(RuleVersion))
    )
    reasons: tuple[str, ...] = attrs.field(converter=_reason_tuple)
    minimum_coverage: float | None = attrs.field(
        validator=attrs.validators.optional(_checks.real(low=0.0))
    )
    as_of: date = attrs.field(validator=attrs.validators.instance_of(date))

    def __attrs_post_init__(self) -> None:
        if self.required != (self.minimum_coverage is not None):
            raise ValueError("Obligation.minimum_coverage must be given exactly when required")
        if self.required and self.rule is None:
            raise ValueError("Obligation.rule must be given when required")

    def __str__(self) -> str:
        lines = [
            f"Leak liability cover on {self.as_of.isoformat()}: "
            + ("required" if self.required else "not required")
        ]
        lines.append(
            "rule: none in force"
            if self.rule is None
            else f"rule: {self.rule.key} ({self.rule.title})"
        )
        if self.minimum_coverage is not None:
            lines.append(
                f"minimum coverage: {_krw(self.minimum_coverage)} KRW "
                "(insurance, mutual aid or a reserve)"
            )
        lines.append("reasons:")
        lines.extend(f"  - {reason}" for reason in self.reasons)
        return "\n".join(lines)


def _exemptions(org: Organisation) -> list[tuple[str, str]]:
    """The exemptions ``org`` claims, as (short label, reason) pairs."""
    found = []
    if org.entity_type == "public":
        found.append(
            (
                "public institution",
                "exempt as a public institution (entity_type 'public'); but a March 2024 "
                "decree change brought some public bodies under the duty: check whether "
                "this one is",
            )
        )
    if org.entity_type == "non_profit":
        found.append(
            (
                "non-profit",
                "exempt as a non-profit corporation or organisation (entity_type 'non_profit')",
            )
        )
    if org.entity_type == "small_business":
        found.append(
            (
                "small business owner",
                "exempt as a small business owner (entity_type 'small_business')",
            )
        )
    if org.equivalent_cover:
        found.append(
            (
                "equivalent cover",
                "exempt: already holds equivalent cover under another law (equivalent_cover)",
            )
        )
    if org.processing_outsourced:
        found.append(
            (
                "processing outsourced",
                "exempt: all processing is outsourced to a party that holds the cover "
                "(processing_outsourced)",
            )
        )
    return found


def _forced_note(rule: RuleVersion, day: date) -> str | None:
    if rule.in_force is None:
        return f"rule {rule.key!r} is a proposal, not in force; applied because it was requested"
    if day < rule.in_force:
        return (
            f"rule {rule.key!r} is not yet in force on {day.isoformat()} (in force from "
            f"{rule.in_force.isoformat()}); applied because it was requested"
        )
    current = _in_force_on(day)
    if current is not None and current is not rule:
        return (
            f"rule {rule.key!r} was superseded by {current.key!r} on {current.in_force}; "
            "applied because it was requested"
        )
    return None


def require_krw(currency: str) -> None:
    """Refuse a model in another currency: the law's sales bands and minimums are in KRW.

    Examples
    --------
    >>> require_krw("KRW")  # passes
    >>> require_krw("USD")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the Korean statutory check compares amounts in KRW ...
    """
    if currency != "KRW":
        raise ValueError(
            "the Korean statutory check compares amounts in KRW (sales bands, minimum "
            f"coverage); the model's currency is {currency!r}: price in KRW to check the duty"
        )


def obligation(org: Organisation, *, as_of: date, rule: str | None = None) -> Obligation:
    """Whether ``org`` must hold leak liability cover on ``as_of``, the minimum, and why.

    Parameters
    ----------
    org : Organisation
        Its ``records`` count as the data subjects (users) stored and its
        ``annual_sales`` as the previous year's sales (KRW).
    as_of : datetime.date
        The date assessed; selects the rule version unless ``rule`` is given.
    rule : str, optional
        Force a rule version by key (see :data:`RULES`), e.g. the opt-in
        ``"reform_2025_proposal"``; it is applied even on a date when it is
        not in force, with a reason saying so.

    Returns
    -------
    Obligation
        Before 2019-06-13 (and no ``rule``) ``required`` is False with a
        reason saying no duty existed.

    Raises
    ------
    TypeError
        If ``org`` is not an Organisation or ``as_of`` not a date.
    ValueError
        If ``rule`` is not a known key.

    Examples
    --------
    >>> from datetime import date
    >>> from picover.model.exposure import Organisation
    >>> org = Organisation(records=5_000, annual_sales=1e8, sector="retail", ict_provider=True)
    >>> obligation(org, as_of=date(2024, 9, 14)).required
    True
    >>> res = obligation(org, as_of=date(2024, 9, 15))
    >>> res.required, res.rule.key, res.minimum_coverage
    (False, 'pipa_2023', None)
    >>> res.reasons[0]
    'annual sales 100,000,000 KRW < 1,000,000,000 KRW (threshold not met)'
    """
    if not isinstance(org, Organisation):
        raise TypeError(f"org must be an Organisation; got {type(org).__name__}")
    day = _day(as_of)
    if rule is None and _in_force_on(day) is None:
        first = _earliest()
        return Obligation(
            required=False,
            rule=None,
            reasons=(
                f"no statutory duty to insure existed on {day.isoformat()}: the earliest "
                f"rule, {first.key!r}, is in force from {first.in_force}",
            ),
            minimum_coverage=None,
            as_of=day,
        )
    version = rule_for(day, rule)
    reasons: list[str] = []
    if rule is not None:
        note = _forced_note(version, day)
        if note is not None:
            reasons.append(note)
    in_scope = True
    if version.ict_only:
        in_scope = org.ict_provider
        reasons.append(
            "an information and communications service provider, within the scope of "
            f"rule {version.key!r}"
            if in_scope
            else f"not an information and communications service provider: rule "
            f"{version.key!r} covers only those"
        )
    met, figures = _threshold_reasons(version, org.records, org.annual_sales)
    reasons.extend(figures)
    exemptions = _exemptions(org)
    if version.exemptions_apply:
        reasons.extend(text for _, text in exemptions)
    elif exemptions:
        reasons.append(
            f"rule {version.key!r} recognises no exemptions, so these were not applied: "
            + ", ".join(label for label, _ in exemptions)
        )
    required = in_scope and met and not (version.exemptions_apply and exemptions)
    amount = None
    if required:
        band = _band(version, org.records, org.annual_sales)
        amount = band.amount
        reasons.append(
            f"minimum {_krw(amount)} KRW for {band.describe(version.subjects_label)} "
            f"(table status: {band.status})"
        )
    if version.grace_period(day):
        fine = "" if version.fine_krw is None else f" ({_krw(version.fine_krw)} KRW)"
        reasons.append(
            f"grace period: the decree applies from {version.in_force}, so the duty is counted "
            f"as required, but fines{fine} for not insuring apply only from "
            f"{version.enforced_from}"
        )
    return Obligation(
        required=required, rule=version, reasons=tuple(reasons), minimum_coverage=amount, as_of=day
    )


def obligation_arrays(
    records: Any,
    annual_sales: Any,
    *,
    as_of: date,
    ict_provider: Any = False,
    entity_type: Any = "private",
    equivalent_cover: Any = False,
    processing_outsourced: Any = False,
    rule: str | None = None,
) -> tuple[Any, Any]:
    """:func:`obligation` for many organisations at once: who must insure and the minimum.

    Arguments broadcast against each other. Returns a boolean array
    ``required`` and a float array of minimum amounts (KRW; NaN where no duty
    applies). The reasons are not assembled: call :func:`obligation` for one
    organisation's explanation.

    Examples
    --------
    >>> from datetime import date
    >>> req, amount = obligation_arrays([5_000, 50_000, 3_000_000], [1e8, 2e9, 120e9],
    ...                                 as_of=date(2025, 1, 1))
    >>> req.tolist(), amount.tolist()[1:]
    ([False, True, True], [50000000.0, 1000000000.0])
    """
    day = _day(as_of)
    subjects = np.asarray(_checks.array("records", records, low=0.0))
    sales = np.asarray(_checks.array("annual_sales", annual_sales, low=0.0))
    kinds = np.asarray(entity_type)
    unknown = set(kinds[~np.isin(kinds, np.array(ENTITY_TYPES))].reshape(-1).tolist())
    if unknown:
        raise ValueError(f"entity_type must be one of {list(ENTITY_TYPES)}; got {sorted(unknown)}")
    ict, equivalent, outsourced = (
        np.asarray(v, dtype=bool) for v in (ict_provider, equivalent_cover, processing_outsourced)
    )
    shape = np.broadcast_shapes(subjects.shape, sales.shape, kinds.shape, ict.shape)
    if rule is None and _in_force_on(day) is None:
        return np.zeros(shape, dtype=bool), np.full(shape, np.nan)
    version = rule_for(day, rule)
    required = (sales >= version.sales_threshold) & (subjects >= version.subjects_threshold)
    if version.ict_only:
        required = required & ict
    if version.exemptions_apply:
        exempt = (kinds != "private") | equivalent | outsourced
        required = required & ~exempt
    required = np.broadcast_to(required, shape)
    amount = np.full(shape, np.nan)
    for band in version.bands:
        inside = band.contains_arrays(subjects, sales)
        amount = np.where(np.broadcast_to(inside, shape) & required, band.amount, amount)
    return required.copy(), amount

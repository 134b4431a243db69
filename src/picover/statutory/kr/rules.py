"""The versions of the Korean duty to insure: thresholds, dates and which table applies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from picover import _checks
from picover.statutory.kr.bands import CoverageBand, bands_of, check_grid, format_krw


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
        Whether the exemptions of PIPA Art. 39-7(2) (the decree's public and
        non-profit bodies, a small business owner that has entrusted its
        processing, equivalent cover under another law) are recognised.
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

    key: str = attrs.field(validator=_checks.kind(str))
    title: str = attrs.field(validator=_checks.kind(str))
    basis: str = attrs.field(validator=_checks.kind(str))
    in_force: date | None = attrs.field(validator=attrs.validators.optional(_checks.kind(date)))
    enforced_from: date | None = attrs.field(
        validator=attrs.validators.optional(_checks.kind(date))
    )
    sales_threshold: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0)
    )
    subjects_threshold: int = attrs.field(validator=_checks.whole(low=1))
    subjects_label: str = attrs.field(validator=_checks.kind(str))
    ict_only: bool = attrs.field(validator=_checks.kind(bool))
    exemptions_apply: bool = attrs.field(validator=_checks.kind(bool))
    fine_krw: float | None = attrs.field(validator=attrs.validators.optional(_checks.real(low=0.0)))
    table: str = attrs.field(validator=_checks.kind(str))
    bands: tuple[CoverageBand, ...] = attrs.field(converter=_band_tuple, repr=False)
    status: str = attrs.field(validator=_checks.kind(str))
    source: str = attrs.field(validator=_checks.kind(str))

    @bands.default
    def _default_bands(self) -> tuple[CoverageBand, ...]:
        return bands_of(self.table)

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
        check_grid(self.table, self.bands)
        # The thresholds must fall inside the table, or an organisation that
        # must insure would have no minimum amount.
        lowest = min(self.bands, key=lambda b: (b.sales_min, not b.sales_min_inclusive))
        if self.subjects_threshold < min(b.subjects_min for b in self.bands) or not (
            lowest.contains(lowest.subjects_min, self.sales_threshold)
            or self.sales_threshold > lowest.sales_min
        ):
            raise ValueError(
                f"rule {self.key!r}: the thresholds ({self.subjects_threshold:,} subjects, "
                f"{format_krw(self.sales_threshold)} KRW) fall below table {self.table!r}"
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
    basis=(
        "Network Act Art. 32-3 and its Enforcement Decree; from 2020 the same duty as "
        "PIPA Art. 39-9 (a special rule for these providers, on the same criteria)"
    ),
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
    source=(
        "ajunews 20190515130007499 (2019-05-15); maeilmarketing.com idxno=5718 (both: a "
        "20,000,000 KRW administrative fine for not insuring, whatever the number of violations)"
    ),
)
_PIPA_2023 = RuleVersion(
    key="pipa_2023",
    title="PIPA rule: all personal-information controllers",
    basis=(
        "PIPA Art. 39-7 (numbered Art. 39-9 before the amendment in force 2023-09-15) and "
        "Enforcement Decree Art. 48-7"
    ),
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
    source=(
        "korea.kr policy news 148941039 (2025-03-27); PIPA Art. 39-7, 'Moved from Article "
        "39-9' (prighter.com, Korean PIPA, Art. 39-7)"
    ),
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


def as_of_day(as_of: Any) -> date:
    return _checks.day("as_of", as_of)


def in_force_on(day: date) -> RuleVersion | None:
    current = None
    for r in _BY_DATE:
        if r.in_force is not None and r.in_force <= day:
            current = r
    return current


def earliest() -> RuleVersion:
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
    day = as_of_day(as_of)
    if rule is not None:
        key = _checks.one_of("rule", rule, _KEYS)
        return next(r for r in RULES if r.key == key)
    current = in_force_on(day)
    if current is None:
        first = earliest()
        raise ValueError(
            f"no statutory insurance rule was in force on {day.isoformat()}; the earliest, "
            f"{first.key!r}, is in force from {first.in_force}"
        )
    return current


def threshold_reasons(rule: RuleVersion, subjects: int, sales: float) -> tuple[bool, list[str]]:
    sales_ok = sales >= rule.sales_threshold
    subjects_ok = subjects >= rule.subjects_threshold
    reasons = [
        f"annual sales {format_krw(sales)} KRW {'>=' if sales_ok else '<'} "
        f"{format_krw(rule.sales_threshold)} KRW" + ("" if sales_ok else " (threshold not met)"),
        f"{rule.subjects_label} {subjects:,} {'>=' if subjects_ok else '<'} "
        f"{rule.subjects_threshold:,}" + ("" if subjects_ok else " (threshold not met)"),
    ]
    return sales_ok and subjects_ok, reasons


def band_for(rule: RuleVersion, subjects: int, sales: float) -> CoverageBand:
    met, figures = threshold_reasons(rule, subjects, sales)
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
        f"table {rule.table!r} has no band for {subjects:,} subjects and {format_krw(sales)} KRW"
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
    return band_for(rule_for(as_of, rule), subjects, sales).amount

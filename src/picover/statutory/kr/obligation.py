"""Whether an organisation must insure on a date, and its minimum amount: one or a book."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs
import numpy as np

from picover import _checks
from picover.model.exposure import ENTITY_TYPES, Organisation
from picover.statutory.kr.bands import format_krw
from picover.statutory.kr.rules import (
    RuleVersion,
    as_of_day,
    band_for,
    earliest,
    in_force_on,
    rule_for,
    threshold_reasons,
)


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

    required: bool = attrs.field(validator=_checks.kind(bool))
    rule: RuleVersion | None = attrs.field(
        validator=attrs.validators.optional(_checks.kind(RuleVersion))
    )
    reasons: tuple[str, ...] = attrs.field(converter=_reason_tuple)
    minimum_coverage: float | None = attrs.field(
        validator=attrs.validators.optional(_checks.real(low=0.0))
    )
    as_of: date = attrs.field(validator=_checks.kind(date))

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
                f"minimum coverage: {format_krw(self.minimum_coverage)} KRW "
                "(insurance, mutual aid or a reserve)"
            )
        lines.append("reasons:")
        lines.extend(f"  - {reason}" for reason in self.reasons)
        return "\n".join(lines)


def _exemptions(org: Organisation) -> list[tuple[str, str]]:
    """The exemptions of PIPA Art. 39-7(2) that ``org`` meets, as (short label,
    reason) pairs. The Act's second exemption needs two things at once: a
    micro enterprise (small business owner) that has entrusted its processing
    to a processor the decree prescribes."""
    found = []
    if org.entity_type == "public":
        found.append(
            (
                "public institution",
                "exempt as a public institution (entity_type 'public'): the Act exempts the "
                "public institutions the Enforcement Decree prescribes, not every public "
                "body (a March 2024 decree change is reported to have brought some under "
                "the duty; unverified): check that this one is prescribed",
            )
        )
    if org.entity_type == "non_profit":
        found.append(
            (
                "non-profit",
                "exempt as a non-profit corporation or organisation (entity_type "
                "'non_profit'), as the Enforcement Decree prescribes them: check",
            )
        )
    if org.entity_type == "small_business" and org.processing_outsourced:
        found.append(
            (
                "small business owner with processing outsourced",
                "exempt as a small business owner (entity_type 'small_business') that has "
                "entrusted its processing to a processor the decree prescribes "
                "(processing_outsourced)",
            )
        )
    if org.equivalent_cover:
        found.append(
            (
                "equivalent cover",
                "exempt: already holds equivalent cover under another law (equivalent_cover)",
            )
        )
    return found


def _half_exemption(org: Organisation) -> str | None:
    """Why one of the two conditions of the small-business exemption exempts nothing
    alone (None when neither or both are claimed)."""
    if org.entity_type == "small_business" and not org.processing_outsourced:
        return (
            "not exempt as a small business owner alone: PIPA Art. 39-7(2) exempts a "
            "small business owner only when it has entrusted its processing to a processor "
            "the decree prescribes (processing_outsourced is False)"
        )
    if org.processing_outsourced and org.entity_type != "small_business":
        return (
            "not exempt by outsourcing alone: PIPA Art. 39-7(2) exempts a controller that "
            "has entrusted its processing only when it is a small business owner "
            f"(entity_type is {org.entity_type!r})"
        )
    return None


def _forced_note(rule: RuleVersion, day: date) -> str | None:
    if rule.in_force is None:
        return f"rule {rule.key!r} is a proposal, not in force; applied because it was requested"
    if day < rule.in_force:
        return (
            f"rule {rule.key!r} is not yet in force on {day.isoformat()} (in force from "
            f"{rule.in_force.isoformat()}); applied because it was requested"
        )
    current = in_force_on(day)
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
    day = as_of_day(as_of)
    if rule is None and in_force_on(day) is None:
        first = earliest()
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
    met, figures = threshold_reasons(version, org.records, org.annual_sales)
    reasons.extend(figures)
    exemptions = _exemptions(org)
    half = _half_exemption(org)
    if version.exemptions_apply:
        reasons.extend(text for _, text in exemptions)
        if half is not None:
            reasons.append(half)
    elif exemptions:
        reasons.append(
            f"rule {version.key!r} recognises no exemptions, so these were not applied: "
            + ", ".join(label for label, _ in exemptions)
        )
    required = in_scope and met and not (version.exemptions_apply and exemptions)
    amount = None
    if required:
        band = band_for(version, org.records, org.annual_sales)
        amount = band.amount
        reasons.append(
            f"minimum {format_krw(amount)} KRW for {band.describe(version.subjects_label)} "
            f"(table status: {band.status})"
        )
    if version.grace_period(day):
        fine = "" if version.fine_krw is None else f" ({format_krw(version.fine_krw)} KRW)"
        reasons.append(
            f"grace period: the decree applies from {version.in_force}, so the duty is counted "
            f"as required, but fines{fine} for not insuring apply only from "
            f"{version.enforced_from}"
        )
    return Obligation(
        required=required, rule=version, reasons=tuple(reasons), minimum_coverage=amount, as_of=day
    )


def _flags(name: str, value: Any) -> Any:
    # np.asarray(["false"], dtype=bool) is True: only real truth values pass.
    flags = np.asarray(value)
    if flags.dtype != np.bool_:
        raise TypeError(
            f"{name} must be True/False or an array of them; got {flags.dtype} values "
            f"{flags.reshape(-1)[:3].tolist()}"
        )
    return flags


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

    Arguments broadcast against each other. The reasons are not assembled:
    call :func:`obligation` for one organisation's explanation.

    Parameters
    ----------
    records : array-like of float
        Data subjects (users) stored by each organisation.
    annual_sales : array-like of float
        Previous year's sales (KRW).
    as_of : datetime.date
        The date assessed; selects the rule version unless ``rule`` is given.
    ict_provider, equivalent_cover, processing_outsourced : bool or array-like of bool
        The flags of :class:`~picover.model.exposure.Organisation`; only
        True and False are accepted (default False).
    entity_type : str or array-like of str
        One of ``"private"`` (the default), ``"public"``, ``"non_profit"``
        and ``"small_business"``.
    rule : str, optional
        Force a rule version by key (see :data:`RULES`), as for :func:`obligation`.

    Returns
    -------
    required : numpy.ndarray of bool
        Whether each organisation must insure.
    minimum : numpy.ndarray of float
        Its minimum amount (KRW), NaN where no duty applies. Both have the
        arguments' broadcast shape (0-d for scalars).

    Examples
    --------
    >>> from datetime import date
    >>> req, amount = obligation_arrays([5_000, 50_000, 3_000_000], [1e8, 2e9, 120e9],
    ...                                 as_of=date(2025, 1, 1))
    >>> req.tolist(), amount.tolist()[1:]
    ([False, True, True], [50000000.0, 1000000000.0])
    >>> req, _ = obligation_arrays(50_000, 2e9, as_of=date(2025, 1, 1),
    ...                            entity_type=["private", "public", "private"],
    ...                            equivalent_cover=[False, False, True])
    >>> req.tolist()  # the same figures, and two exemptions
    [True, False, False]
    """
    day = as_of_day(as_of)
    subjects = np.asarray(_checks.array("records", records, low=0.0))
    sales = np.asarray(_checks.array("annual_sales", annual_sales, low=0.0))
    kinds = np.asarray(entity_type)
    unknown = set(kinds[~np.isin(kinds, np.array(ENTITY_TYPES))].reshape(-1).tolist())
    if unknown:
        raise ValueError(f"entity_type must be one of {list(ENTITY_TYPES)}; got {sorted(unknown)}")
    ict, equivalent, outsourced = (
        _flags(name, v)
        for name, v in (
            ("ict_provider", ict_provider),
            ("equivalent_cover", equivalent_cover),
            ("processing_outsourced", processing_outsourced),
        )
    )
    named = {
        "records": subjects, "annual_sales": sales, "entity_type": kinds,
        "ict_provider": ict, "equivalent_cover": equivalent,
        "processing_outsourced": outsourced,
    }  # fmt: skip
    try:
        shape = np.broadcast_shapes(*(v.shape for v in named.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in named.items() if v.shape)
        raise ValueError(
            f"the arguments must have one length per organisation (or be single values); "
            f"got shapes {shapes}"
        ) from None
    if rule is None and in_force_on(day) is None:
        return np.zeros(shape, dtype=bool), np.full(shape, np.nan)
    version = rule_for(day, rule)
    required = (sales >= version.sales_threshold) & (subjects >= version.subjects_threshold)
    if version.ict_only:
        required = required & ict
    if version.exemptions_apply:
        # Art. 39-7(2): the decree's public and non-profit bodies; a small business
        # owner that has entrusted its processing (both at once); equivalent cover.
        exempt = (
            np.isin(kinds, ("public", "non_profit"))
            | ((kinds == "small_business") & outsourced)
            | equivalent
        )
        required = required & ~exempt
    required = np.broadcast_to(required, shape)
    amount = np.full(shape, np.nan)
    for band in version.bands:
        inside = band.contains_arrays(subjects, sales)
        amount = np.where(np.broadcast_to(inside, shape) & required, band.amount, amount)
    return required.copy(), amount

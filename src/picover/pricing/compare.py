"""``compare``: several insurers' offers for one organisation, priced under one model.

Each offer is a policy and the premium asked for it. Under the same model
every offer gets the same yardsticks: what the organisation can expect to
recover, how much of the premium that is, what it keeps and how bad that can
get, how likely the limit is to run out, and whether the policy meets the
statutory duty. Amounts are in the model's currency.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from picover import _checks
from picover._table import Table
from picover.engine.lossdist import LossDistribution
from picover.model.breach_model import BreachModel, model_or_preset
from picover.model.exposure import Organisation
from picover.model.policy import Policy
from picover.pricing.quote import (
    _as_of,
    check_history,
    compliance,
    exhaustion,
    other_terms,
    retained_incidents,
    retained_is_exact,
    retained_loss,
)


def _premium(value: Any) -> float:
    # Checked before it becomes a float: text or a bool must not pass as a premium.
    return _checks.number("Offer.premium", value, low=0.0, low_open=True)


@attrs.frozen
class Offer:
    """An insurer's offer: a policy and its premium (currency units).

    Examples
    --------
    >>> Offer("Insurer A", Policy(limit=1e9, retention=1e7), premium=2.0e7).premium
    20000000.0
    """

    insurer: str = attrs.field(validator=_checks.kind(str))
    policy: Policy = attrs.field(validator=_checks.kind(Policy))
    premium: float = attrs.field(converter=_premium)


@attrs.frozen
class OfferRow:
    """One offer under the common model (currency units; probabilities in [0, 1]).

    Attributes
    ----------
    insurer : str
    premium : float
    limit, retention : float
        The policy's aggregate limit and retention per incident.
    expected_recovery : float
        Expected annual payment by the insurer under the model.
    value_ratio : float
        expected_recovery / premium: what each unit of premium buys back on average.
    implied_loss_ratio : float
        The same quotient read from the insurer's side: the loss ratio the
        premium implies under this model (tables show ``value_ratio`` only).
    expected_retained : float
        Expected annual loss the organisation keeps.
    retained_tvar99 : float
        Mean of its worst 1% of years of retained loss.
    p_exhaust : float
        Probability that the year's payments reach the limit.
    compliant : bool or None
        Whether the policy meets the statutory duty (see :class:`Compliance`; None when
        no duty applies).
    other_terms : str
        The policy's terms besides its limit and retention (sublimits, the
        investigation clause, ...), in words, so that offers differing only
        there are told apart.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> (row,) = pc.compare(shop, [Offer("A", Policy(limit=1e8), premium=1.5e6)],
    ...                     as_of=datetime.date(2025, 1, 1))
    >>> row.insurer, row.limit, row.compliant  # KRW; the minimum is 50 million KRW
    ('A', 100000000.0, True)
    >>> row.value_ratio < 1  # expected KRW recovered per KRW of premium
    True
    """

    insurer: str = attrs.field(validator=_checks.kind(str))
    premium: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True)
    )
    limit: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True, allow_inf=True)
    )
    retention: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    expected_recovery: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0)
    )
    # Infinite for a premium so small that the ratio overflows.
    value_ratio: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, allow_inf=True)
    )
    implied_loss_ratio: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, allow_inf=True)
    )
    expected_retained: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0)
    )
    retained_tvar99: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0)
    )
    p_exhaust: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    compliant: bool | None = attrs.field(validator=attrs.validators.optional(_checks.flag))
    other_terms: str = attrs.field(default="", validator=_checks.kind(str))


_SORT_KEYS = tuple(f.name for f in attrs.fields(OfferRow) if f.name != "other_terms")
# Columns of the table: implied_loss_ratio repeats value_ratio's number.
_SHOWN = (*(k for k in _SORT_KEYS if k != "implied_loss_ratio"), "other_terms")
#: Whether larger is better for each column: the order that puts the best offer
#: first (insurers alphabetically; premiums, retentions and risks kept, low first).
LARGER_IS_BETTER = {
    "insurer": False,
    "premium": False,
    "limit": True,
    "retention": False,
    "expected_recovery": True,
    "value_ratio": True,
    "implied_loss_ratio": True,
    "expected_retained": False,
    "retained_tvar99": False,
    "p_exhaust": False,
    "compliant": True,
}


@attrs.frozen
class Comparison:
    """Offer rows, sortable, as a table, records or a pandas DataFrame.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> rows = pc.compare(shop, [
    ...     Offer("A", Policy(limit=1e8, retention=1e6), premium=1.5e6),  # KRW
    ...     Offer("B", Policy(limit=3e7), premium=0.8e6),
    ... ], as_of=datetime.date(2025, 1, 1))
    >>> len(rows), [r.insurer for r in rows.sorted("premium", descending=False)]
    (2, ['B', 'A'])
    >>> list(rows.table().columns)[:3]  # money columns are labelled with the currency
    ['insurer', 'premium_krw', 'limit_krw']
    """

    rows: tuple[OfferRow, ...] = attrs.field(
        validator=attrs.validators.deep_iterable(_checks.kind(OfferRow), _checks.kind(tuple))
    )
    currency: str = attrs.field(default="KRW", validator=_checks.kind(str))

    def __iter__(self) -> Iterator[OfferRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> OfferRow:
        return self.rows[i]

    def sorted(self, by: str = "value_ratio", *, descending: bool | None = None) -> Comparison:
        """The rows ordered by one attribute, best first unless ``descending`` says
        otherwise (see :data:`LARGER_IS_BETTER`; ``None`` compliance sorts last).

        ``by`` is any attribute of :class:`OfferRow` but ``other_terms``; the
        default puts the most expected recovery per unit of premium first.

        Examples
        --------
        >>> import datetime, picover as pc
        >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
        >>> rows = pc.compare(shop, [
        ...     pc.Offer("A", pc.Policy(limit=1e8, retention=1e6), premium=1.5e6),  # KRW
        ...     pc.Offer("B", pc.Policy(limit=3e7), premium=0.8e6),
        ... ], as_of=datetime.date(2025, 1, 1))
        >>> [r.insurer for r in rows.sorted("limit")], [r.insurer for r in rows.sorted("premium")]
        (['A', 'B'], ['B', 'A'])
        >>> best = rows.sorted()
        >>> bool(best[0].value_ratio >= best[1].value_ratio)
        True
        """
        _checks.one_of("by", by, _SORT_KEYS)
        if descending is None:
            descending = LARGER_IS_BETTER[by]
        known = [r for r in self.rows if getattr(r, by) is not None]
        unknown = [r for r in self.rows if getattr(r, by) is None]
        known.sort(key=lambda r: getattr(r, by), reverse=descending)
        return attrs.evolve(self, rows=(*known, *unknown))

    def table(self) -> Table:
        """The rows as a table; money columns carry the currency in their names.

        One row per offer, in this comparison's order; ``implied_loss_ratio``
        is left out, as it repeats ``value_ratio``.

        Examples
        --------
        >>> import datetime, picover as pc
        >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
        >>> rows = pc.compare(shop, [
        ...     pc.Offer("A", pc.Policy(limit=1e8, retention=1e6), premium=1.5e6),  # KRW
        ...     pc.Offer("B", pc.Policy(limit=3e7), premium=0.8e6),
        ... ], as_of=datetime.date(2025, 1, 1))
        >>> t = rows.table()
        >>> t["limit_krw"].tolist(), t["compliant"].tolist()  # 30 million KRW is below the minimum
        ([100000000.0, 30000000.0], [True, False])
        """
        unit = self.currency.lower()
        money = {"premium", "limit", "retention", "expected_recovery", "expected_retained",
                 "retained_tvar99"}  # fmt: skip
        cols: dict[str, list[Any]] = {}
        for name in _SHOWN:
            label = f"{name}_{unit}" if name in money else name
            cols[label] = [
                ("n/a" if v is None else v) if name == "compliant" else v
                for v in (getattr(r, name) for r in self.rows)
            ]
        return Table(cols)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per offer, keyed by :class:`OfferRow`'s attribute names
        (amounts in :attr:`currency`).

        Examples
        --------
        >>> import datetime, picover as pc
        >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
        >>> rows = pc.compare(shop, [
        ...     pc.Offer("A", pc.Policy(limit=1e8, retention=1e6), premium=1.5e6),  # KRW
        ...     pc.Offer("B", pc.Policy(limit=3e7), premium=0.8e6),
        ... ], as_of=datetime.date(2025, 1, 1))
        >>> [(r["insurer"], r["premium"]) for r in rows.to_records()]
        [('A', 1500000.0), ('B', 800000.0)]
        """
        return [attrs.asdict(r) for r in self.rows]

    def to_pandas(self) -> Any:
        """A pandas DataFrame of :meth:`table` (pandas is optional: without it,
        ImportError, and the example below checks nothing).

        Examples
        --------
        >>> import datetime, picover as pc
        >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
        >>> rows = pc.compare(shop, [pc.Offer("A", pc.Policy(limit=1e8), premium=1.5e6)],
        ...                   as_of=datetime.date(2025, 1, 1))
        >>> try:
        ...     frame = rows.to_pandas()
        ... except ImportError:  # pandas not installed
        ...     frame = None
        >>> frame is None or list(frame["premium_krw"]) == [1.5e6]
        True
        """
        frame = self.table().to_pandas()
        frame.attrs["currency"] = self.currency  # as a book's frame has it
        return frame

    def __str__(self) -> str:
        return str(self.table())


def compare(
    org: Organisation,
    offers: Sequence[Offer],
    *,
    model: BreachModel | None = None,
    as_of: datetime.date | None = None,
) -> Comparison:
    """Compare insurers' offers for ``org`` under one model.

    All offers are priced from the same ground-up losses (and the same
    simulated years where a retained TVaR needs them), so differences
    between rows come from the terms alone.

    Parameters
    ----------
    org : Organisation
        The organisation seeking cover.
    offers : sequence of Offer
        At least one; each insurer may appear once, since rows are told
        apart by insurer.
    model : BreachModel, optional
        Default: the Korean preset ``BreachModel.preset("kr")``.
    as_of : datetime.date, optional
        Date of the statutory check (default: today).

    Returns
    -------
    Comparison
        One :class:`OfferRow` per offer, in the order given; amounts in the
        model's currency.

    Raises
    ------
    TypeError
        If an offer is not an :class:`Offer`.
    ValueError
        If ``offers`` is empty or names an insurer twice.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
    >>> rows = pc.compare(org, [
    ...     pc.Offer("A", pc.Policy(limit=1e9, retention=1e7), premium=1.5e7),
    ...     pc.Offer("B", pc.Policy(limit=5e8, retention=1e7), premium=0.8e7),
    ... ], as_of=datetime.date(2025, 1, 1))
    >>> [r.compliant for r in rows]
    [True, False]
    """
    model = model_or_preset(model)
    if isinstance(offers, Offer | str | bytes) or not isinstance(offers, Iterable):
        hint = " (wrap one offer in a list)" if isinstance(offers, Offer) else ""
        raise TypeError(f"offers must be a sequence of Offer; got {type(offers).__name__}{hint}")
    offer_list = list(offers)
    if not offer_list:
        raise ValueError("offers must hold at least one Offer")
    for i, offer in enumerate(offer_list):
        if not isinstance(offer, Offer):
            raise TypeError(f"offers[{i}] must be a picover Offer; got {type(offer).__name__}")
    names = [offer.insurer for offer in offer_list]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        # Rows are told apart by insurer: two of one name would be indistinguishable.
        raise ValueError(f"offers name the insurer(s) {repeated} more than once")
    day = _as_of(as_of)
    check_history(org, day, model)
    # Offers share what their retained losses are computed from: the ground-up
    # distribution, and one set of simulated years (the comparison between
    # offers is then free of simulation noise).
    exact = [retained_is_exact(offer.policy) for offer in offer_list]
    ground_up = model.annual_loss(org) if any(exact) else None
    incidents = None if all(exact) else retained_incidents(model, org)
    expected = model.expected_losses(org)
    rows = []
    for i, offer in enumerate(offer_list):
        try:
            rows.append(_row(model, org, offer, day, ground_up, incidents, expected))
        except (TypeError, ValueError) as exc:
            # Which of several offers is at fault is half the message.
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(f"offers[{i}] (insurer {offer.insurer!r}): {exc}") from exc
    return Comparison(tuple(rows), currency=model.currency)


def _row(
    model: BreachModel,
    org: Organisation,
    offer: Offer,
    day: datetime.date,
    ground_up: LossDistribution | None,
    incidents: Any,
    expected: Any,
) -> OfferRow:
    """One offer's row of :func:`compare`, from the losses the offers share."""
    policy = offer.policy
    loss = model.annual_loss(org, policy)
    recovery = loss.mean()
    kept = retained_loss(
        model, org, policy, loss, ground_up=ground_up, incidents=incidents, expected=expected
    )
    return OfferRow(
        insurer=offer.insurer,
        premium=offer.premium,
        limit=policy.limit,
        retention=policy.retention,
        expected_recovery=recovery,
        value_ratio=recovery / offer.premium,
        implied_loss_ratio=recovery / offer.premium,
        expected_retained=kept.mean,
        retained_tvar99=kept.tvar99,
        p_exhaust=exhaustion(loss, policy.limit),
        compliant=compliance(org, policy, day, model.currency, model).compliant,
        other_terms=other_terms(policy, model.currency),
    )

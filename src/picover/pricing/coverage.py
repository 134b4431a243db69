"""``recommend_coverage``: how much cover to buy, from a market ladder of limits.

Two rules:

- ``"exceedance"`` (default): the smallest limit on the ladder whose
  probability of being exceeded by the year's ground-up covered loss is at
  most ``target`` (1%: a one-in-a-hundred-year loss is covered);
- ``"cost_of_risk"``: the limit and retention that minimise the total cost of
  risk, premium + expected retained loss + a charge on the retained loss's
  risk (``risk_charge * (TVaR 99% - mean)`` of what is kept).

Either way the answer is never below the statutory minimum when the
organisation must insure, and ``rule`` says what decided it.
"""

from __future__ import annotations

import datetime
import math
import warnings
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from picover import _checks
from picover._table import Table
from picover.engine.compound import DEFAULT_TAIL_TOL
from picover.engine.frequency import prob_any
from picover.model.annual import fft_loss
from picover.model.breach_model import BreachModel, model_or_preset
from picover.model.exposure import Organisation
from picover.model.policy import Policy
from picover.pricing.premium import PremiumBasis, premium_basis
from picover.pricing.quote import (
    RETAINED_SEED,
    RETAINED_SIMS,
    _as_of,
    check_history,
    paid_noise,
    retained_mean,
    tvar_with_mean,
)
from picover.statutory import kr

#: Limits commonly offered in the Korean market (KRW): 50 million to 100 billion.
DEFAULT_LADDER = (
    5e7, 1e8, 2e8, 3e8, 5e8, 1e9, 2e9, 3e9, 5e9, 1e10, 2e10, 3e10, 5e10, 1e11,
)  # fmt: skip
#: Retentions per incident tried by the cost-of-risk rule (KRW).
DEFAULT_RETENTIONS = (0.0, 1e6, 5e6, 1e7, 5e7, 1e8)
RULES = ("exceedance", "cost_of_risk")
#: What may decide a recommendation (its ``rule``).
DECIDERS = ("exceedance", "cost_of_risk", "statutory minimum", "top of ladder")
#: The first cap sits this far above the rung it must cover (P(loss > L) needs L < cap).
_CAP_MARGIN = 1.0 + 1e-6
#: A cap is at most this many times the rung asked about, so that a far cap does
#: not coarsen the bucket beside it: on the model's longest grid (16,384 points)
#: the bucket is then at most 1/256 of the rung. A shorter grid's bucket is set
#: by the typical incident (16 points to it), or by _RESOLUTION.
_SPAN = 64.0
#: Nor need the bucket be finer than 1/_RESOLUTION of the rung a grid is built
#: for (grids have power-of-two lengths: it lies between 1/512 and 1/256 of the
#: rung). A big firm's typical incident can be a thousandth of the rungs in
#: question, and a grid to the cap with 16 points to it would be 8 to 16 times
#: longer. Against grids of 2^17 points, P(loss > rung) on such grids was off by
#: 0.08% in the median and 1% at most (240 recommendations for big firms, in
#: review), about as close as the first rung's own grid (up to 2%). A limit
#: changes only where P(loss > rung) lies within that of the target.
_RESOLUTION = 256.0


@attrs.frozen(eq=False)
class Recommendation:
    """A recommended cover (currency units).

    Attributes
    ----------
    limit : float
        The recommended aggregate limit.
    retention : float
        The recommended retention per incident (0 under the exceedance rule).
    rule : str
        What decided: ``"exceedance"``, ``"cost_of_risk"``, ``"statutory minimum"``
        or ``"top of ladder"`` (no limit on the ladder met the target).
    exceedance : float
        P(the year's ground-up covered loss > limit); for a limit beyond any
        plausible year, the bound P(loss > the grid's end) (at most 1e-6).
    target : float
        The exceedance target asked for.
    statutory_minimum : float or None
        The minimum amount when the organisation must insure.
    candidates : Table
        Every limit (and retention) considered, with its figures: amounts in
        columns named with the currency (``limit_krw``; under the cost-of-risk
        rule also ``retention_krw``, ``premium_krw``, ``retained_mean_krw``,
        ``retained_tvar99_krw``, ``cost_of_risk_krw``, and
        ``cost_of_risk_se_krw``, the standard error the simulated TVaR leaves
        in each cost), and ``exceedance_probability``.
    currency : str
        Unit of every amount (the model's).

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> rec = recommend_coverage(shop, as_of=datetime.date(2025, 1, 1))
    >>> rec.limit, rec.statutory_minimum  # KRW: the ladder's first rung meets the target
    (50000000.0, 50000000.0)
    >>> rec.rule, rec.exceedance <= rec.target, rec.currency
    ('exceedance', True, 'KRW')
    """

    limit: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True)
    )
    retention: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    rule: str = attrs.field(validator=_checks.among(DECIDERS))
    exceedance: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    target: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0, low_open=True)
    )
    statutory_minimum: float | None = attrs.field(
        validator=attrs.validators.optional(_checks.real(low=0.0, low_open=True))
    )
    candidates: Table = attrs.field(validator=_checks.kind(Table))
    currency: str = attrs.field(default="KRW", validator=_checks.kind(str))

    def __str__(self) -> str:
        lines = [
            f"amounts in {self.currency}",
            f"recommended limit      {self.limit:>20,.0f}",
            f"retention per incident {self.retention:>20,.0f}",
            f"decided by             {self.rule:>20}",
            f"P(loss > limit)        {self.exceedance:>20.4%}",
        ]
        if self.statutory_minimum is not None:
            lines.append(f"statutory minimum      {self.statutory_minimum:>20,.0f}")
        return "\n".join(lines)


def _ladder(value: Any, name: str, positive: bool = False) -> np.ndarray:
    """Amounts on offer, strictly increasing (limits, ``positive``: a limit of 0 covers nothing)."""
    arr = _checks.array(name, value, low=0.0, low_open=positive, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one amount")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing; got {arr.tolist()}")
    return arr


def limits_ladder(value: Any) -> tuple[float, ...]:
    """A ladder of limits, checked as :func:`recommend_coverage` checks it, as a tuple
    of floats (currency units): for the settings that carry one.

    Examples
    --------
    >>> limits_ladder([1e8, 5e8])
    (100000000.0, 500000000.0)
    """
    return tuple(float(v) for v in _ladder(value, "ladder", positive=True))


def recommend_coverage(
    org: Organisation,
    *,
    model: BreachModel | None = None,
    target: float = 0.01,
    ladder: Sequence[float] = DEFAULT_LADDER,
    rule: str = "exceedance",
    retentions: Sequence[float] = DEFAULT_RETENTIONS,
    premium: PremiumBasis | None = None,
    risk_charge: float = 0.1,
    as_of: datetime.date | None = None,
) -> Recommendation:
    """Recommend a limit (and, for ``rule="cost_of_risk"``, a retention) for ``org``.

    Parameters
    ----------
    org : Organisation
    model : BreachModel, optional
        Default: the Korean preset.
    target : float
        Largest acceptable probability that the year's covered loss exceeds
        the limit, in (0, 1) (default 1%).
    ladder : sequence of float
        Limits on offer, increasing (currency units; default 50 million to 100 billion KRW).
    rule : {"exceedance", "cost_of_risk"}
    retentions : sequence of float
        Retentions per incident tried by the cost-of-risk rule.
    premium : PremiumBasis, optional
        How premiums are set for the cost-of-risk rule.
    risk_charge : float
        Price of the retained loss's risk per unit of TVaR 99% over its mean.
    as_of : datetime.date, optional
        Date of the statutory check (default: today).

    Examples
    --------
    >>> import datetime, picover as pc
    >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
    >>> rec = pc.recommend_coverage(org, as_of=datetime.date(2025, 1, 1))
    >>> rec.limit >= 1e9 and rec.exceedance <= 0.01
    True
    """
    model = model_or_preset(model)
    tgt = _checks.number("target", target, low=0.0, high=1.0, low_open=True, high_open=True)
    limits = _ladder(ladder, "ladder", positive=True)
    _checks.one_of("rule", rule, RULES)
    # Checked whatever the rule (the exceedance rule sets no premium and tries no
    # retention): a mistake passed over in silence would surface only when the
    # rule changes.
    charge = _checks.number("risk_charge", risk_charge, low=0.0)
    basis = premium_basis(premium)
    tried_retentions = _ladder(retentions, "retentions")
    minimum = _minimum(org, model, _as_of(as_of))

    exceedance = _Exceedance(model, org, tgt, limits, minimum)
    if rule == "exceedance":
        limit, decided, tried = _climb(exceedance, limits, tgt, minimum)
        unit = model.currency.lower()
        table = Table({f"limit_{unit}": limits[: len(tried)], "exceedance_probability": tried})
        rec = Recommendation(
            limit=limit,
            retention=0.0,
            rule=decided,
            exceedance=exceedance(limit),
            target=tgt,
            statutory_minimum=minimum,
            candidates=table,
            currency=model.currency,
        )
        if rec.exceedance > tgt:
            # The best the ladder (or the law) gives is still short of the target:
            # a limit that looks decided must not hide it.
            warnings.warn(
                f"no limit on the ladder meets the target: P(loss > {rec.limit:,.0f}) = "
                f"{rec.exceedance:.3g} against {tgt:.3g} at the recommended limit "
                f"({rec.rule}; the ladder ends at {float(limits[-1]):,.0f} "
                f"{model.currency}); give a ladder reaching higher",
                RuntimeWarning,
                stacklevel=2,
            )
        return rec
    return _cost_of_risk(
        model,
        org,
        limits,
        tried_retentions,
        basis,
        charge,
        tgt,
        minimum,
        exceedance,
    )


def _exceedance_limit(
    org: Organisation,
    *,
    model: BreachModel | None = None,
    target: float = 0.01,
    ladder: Sequence[float] = DEFAULT_LADDER,
    as_of: datetime.date | None = None,
) -> float:
    """The limit :func:`recommend_coverage` recommends under the exceedance rule
    (currency units), without the figures it reports, for books.

    When the year's chance of any incident is itself below ``target`` (with
    a margin of 1e-9 for rounding on the grid) every rung meets the target,
    whatever the losses: the first rung is the answer (or the statutory
    minimum above it), and no grid is needed. That is about half of a mixed
    book. Parameters as for :func:`recommend_coverage`.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> model, day = pc.BreachModel.preset("kr"), datetime.date(2025, 1, 1)
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> _exceedance_limit(shop, model=model, as_of=day)  # KRW; no grid
    50000000.0
    >>> pc.recommend_coverage(shop, model=model, as_of=day).limit  # the same, with a grid
    50000000.0
    """
    return _limit_and_shortfall(org, model=model, target=target, ladder=ladder, as_of=as_of)[0]


def _limit_and_shortfall(
    org: Organisation,
    *,
    model: BreachModel | None = None,
    target: float = 0.01,
    ladder: Sequence[float] = DEFAULT_LADDER,
    as_of: datetime.date | None = None,
) -> tuple[float, float | None]:
    """The limit of :func:`_exceedance_limit`, and P(loss > that limit) when even
    it misses the target (None when it meets it): the case
    :func:`recommend_coverage` warns of, which a book reports for all its rows at once.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> day = datetime.date(2025, 1, 1)
    >>> big = pc.Organisation(records=30_000_000, annual_sales=9e11, sector="online_platform")
    >>> limit, short = _limit_and_shortfall(big, ladder=[5e7, 1e8], as_of=day)
    >>> limit, short > 0.01  # KRW: the statutory minimum, above the ladder, still misses 1%
    (1000000000.0, True)
    """
    model = model_or_preset(model)
    tgt = _checks.number("target", target, low=0.0, high=1.0, low_open=True, high_open=True)
    limits = _ladder(ladder, "ladder", positive=True)
    minimum = _minimum(org, model, _as_of(as_of))
    incident = _incident(model, org)
    if incident + 1e-9 <= tgt:
        # On the grid too P(loss > L) <= P(loss > 0) <= P(an incident): its rounding
        # is far below the margin.
        first = float(limits[0])
        return (first if minimum is None or first >= minimum else minimum), None
    exceedance = _Exceedance(model, org, tgt, limits, minimum, incident)
    limit, _, tried = _climb(exceedance, limits, tgt, minimum)
    if tried[-1] <= tgt:
        # A rung met the target, and P(loss > L) only falls as L grows: a statutory
        # minimum above the rung meets it too (not read again: a grid of its own).
        return limit, None
    # As recommend_coverage reads it: on the same grids, so the same figure.
    short = exceedance(limit)
    return limit, (short if short > tgt else None)


def _incident(model: BreachModel, org: Organisation) -> float:
    """P(at least one incident in the year)."""
    return prob_any(model.frequency(org).counts())


def _minimum(org: Organisation, model: BreachModel, day: datetime.date) -> float | None:
    """The statutory minimum amount when ``org`` must insure on ``day`` (else None)."""
    if not isinstance(org, Organisation):
        raise TypeError(f"org must be a picover Organisation; got {type(org).__name__}")
    check_history(org, day, model)
    kr.require_krw(model.currency)
    duty = kr.obligation(org, as_of=day)
    return duty.minimum_coverage if duty.required else None


def _climb(
    exceedance: _Exceedance, ladder: np.ndarray, target: float, minimum: float | None
) -> tuple[float, str, list[float]]:
    """Up the ladder until a rung meets the target (rungs above are not needed):
    the limit, what decided it, and the exceedance probability of each rung tried."""
    tried: list[float] = []
    for lim in ladder:
        tried.append(exceedance(float(lim)))
        if tried[-1] <= target:
            limit, decided = float(lim), "exceedance"
            break
    else:
        limit, decided = float(ladder[-1]), "top of ladder"
    if minimum is not None and limit < minimum:
        limit, decided = minimum, "statutory minimum"
    return limit, decided, tried


class _Exceedance:
    """P(the year's ground-up covered loss > L), on a grid sized for L.

    The covered loss is what a policy without retention or limits would pay.
    It is computed capped at an annual limit A above L: capping changes
    nothing below A, and the grid then ends at A, so P(loss > L) is read off
    it to the grid's accuracy and the grid is no longer than the question
    needs (its length, and the time, grow with A). The first cap is the rung
    of ``ladder`` that surely meets the target, or the statutory ``minimum``
    if that is higher (the recommendation then needs P(loss > minimum)), but
    at most ``_SPAN`` times the first L asked about, so that the bucket stays
    fine beside it.
    A larger L recomputes the same way: A is the smaller of that rung and
    ``_SPAN`` times L, or four times L beyond the rung. Each grid's bucket
    need not be finer than L / ``_RESOLUTION``, with L the rung it is built
    for (larger rungs then read the same grid).

    The rung is the first at or above a bound on the loss exceeded with
    probability p = ``target``, from the exact mean and variance (no grid):
    Cantelli's inequality, P(X >= m + t) <= s^2 / (s^2 + t^2), applied to the
    loss in years with an incident (probability q): P(S > b) <= p once b =
    m + s sqrt((1 - p / q) / (p / q)), with m and s that loss's mean and
    standard deviation; and b = 0 when q <= p. Most firms have q below 1%,
    and their first cap is the first rung.
    """

    def __init__(
        self,
        model: BreachModel,
        org: Organisation,
        target: float,
        ladder: np.ndarray,
        minimum: float | None,
        incident: float | None = None,
    ) -> None:
        self.model, self.org = model, org
        self.policy = Policy()
        q = _incident(model, org) if incident is None else incident
        bound = _quantile_bound(model, org, self.policy, target, ladder, q)
        self.guess = max(bound, minimum or 0.0)
        self.guess *= _CAP_MARGIN
        self.cap = 0.0
        self.covered: Any = None

    def __call__(self, limit: float) -> float:
        if not limit < self.cap:
            # No further than SPAN times the rung asked about: a grid's bucket
            # grows with its end, and must stay fine beside the rung.
            self.cap = min(self.guess, _SPAN * limit) if limit < self.guess else 4.0 * limit
            model, policy = self.model, attrs.evolve(self.policy, limit=self.cap)
            self.covered = fft_loss(
                model, self.org, model.frequency(self.org).counts(), model.terms(policy),
                DEFAULT_TAIL_TOL, None, None, limit / _RESOLUTION,
            )  # fmt: skip
        covered = self.covered
        if covered.tail_mass > 0 and limit > covered.tail_from:
            # A cap far beyond any plausible year does not stretch the grid: beyond
            # its end only P(loss > end), below the engine's tail tolerance, is known.
            return float(covered.tail_mass)
        return float(covered.sf(limit))


def _quantile_bound(
    model: BreachModel,
    org: Organisation,
    policy: Policy,
    target: float,
    ladder: np.ndarray,
    q: float,
) -> float:
    """The first rung of ``ladder`` at or above a bound on the yearly payment under
    ``policy`` exceeded with probability ``target`` (the bound itself beyond the
    top rung; see :class:`_Exceedance`), given ``q``, P(an incident in the year)."""
    mean, var = model._plain_moments(org, policy)
    if var is None:
        # A category without second moments: the grid's own rough reach.
        bound = 2.0 * model.reach(org, policy, tol=target)
    elif q <= target:
        bound = 0.0
    else:
        m = mean / q
        s2 = max((var + mean * mean) / q - m * m, 0.0)
        share = target / q
        bound = m + math.sqrt(s2 * (1.0 - share) / share)
    above = ladder[ladder >= bound]
    return float(above[0]) if above.size else bound


def _cost_of_risk(
    model: BreachModel,
    org: Organisation,
    limits: np.ndarray,
    retentions: np.ndarray,
    basis: PremiumBasis,
    charge: float,
    target: float,
    minimum: float | None,
    exceedance: _Exceedance,
) -> Recommendation:
    candidates = limits if minimum is None else np.unique(np.append(limits, minimum))
    # One set of simulated incidents prices the retained risk of every candidate
    # (common random numbers), so the comparison between them is not noise.
    incidents = model.simulate_incidents(org, n_sims=RETAINED_SIMS, seed=RETAINED_SEED)
    insurable = [c for c, cat in model.costs.items() if cat.insurable]
    ground = incidents.yearly(np.sum([incidents.costs[c] for c in insurable], axis=0))
    ground_mean = model.expected_losses(org)["total"]
    rows: list[tuple[float, float, float, float, float, float, float]] = []
    for r in retentions:
        for lim in candidates:
            policy = Policy(limit=float(lim), retention=float(r))
            loss = model.annual_loss(org, policy)
            gross = basis.apply(loss).gross
            # The retained mean is exact; its TVaR takes the tail from that mean.
            mean = retained_mean(ground_mean, loss.mean(), paid_noise(loss))
            kept = ground - incidents.payments(model.terms(policy))
            worst, se = tvar_with_mean(kept, kept.size, mean, 0.99)
            cost = gross + mean + charge * (worst - mean)
            # The cost's only simulated part is the TVaR: its noise, for judging
            # how clearly the best candidate wins.
            rows.append((float(lim), float(r), gross, mean, worst, cost, charge * se))
    names = ("limit", "retention", "premium", "retained_mean", "retained_tvar99",
             "cost_of_risk", "cost_of_risk_se")  # fmt: skip
    unit = model.currency.lower()
    table = Table({f"{name}_{unit}": [row[i] for row in rows] for i, name in enumerate(names)})
    unconstrained = min(rows, key=lambda row: row[5])
    legal = [row for row in rows if minimum is None or row[0] >= minimum]
    best = min(legal, key=lambda row: row[5])
    # The law decided only if it moved the answer onto the minimum itself.
    forced = minimum is not None and best[0] == minimum and unconstrained[0] < minimum
    decided = "statutory minimum" if forced else "cost_of_risk"
    return Recommendation(
        limit=best[0],
        retention=best[1],
        rule=decided,
        exceedance=exceedance(best[0]),
        target=target,
        statutory_minimum=minimum,
        candidates=table,
        currency=model.currency,
    )

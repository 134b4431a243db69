"""``quote``: everything an underwriter needs about one organisation under one policy.

A quote prices the insured annual loss distribution with a
:class:`~picover.pricing.premium.PremiumBasis`, and reports beside it the
ground-up and insured expected losses by category, the rate on line, the
probability that the aggregate limit is exhausted, what the organisation
keeps, its frequency with credibility, and the statutory check. Amounts are
in the model's currency.
"""

from __future__ import annotations

import datetime
import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np

from picover import _checks
from picover._frozen import freeze
from picover._table import Table
from picover.engine.lossdist import LossDistribution
from picover.model.breach_model import BreachModel, model_or_preset
from picover.model.exposure import Organisation
from picover.model.frequency import FrequencyEstimate
from picover.model.policy import Policy
from picover.model.simulate import SimulatedIncidents
from picover.pricing.premium import Premium, PremiumBasis, premium_basis
from picover.statutory import kr
from picover.statutory.kr import Obligation

#: Simulated years behind the retained-loss TVaR when it has no exact form.
RETAINED_SIMS = 100_000
#: Seed of that simulation, fixed so that a quote is reproducible.
RETAINED_SEED = 20_260_901


_by_category = attrs.validators.deep_mapping(
    _checks.kind(str), _checks.real(low=0.0), _checks.kind(Mapping)
)


@attrs.frozen
class Retained:
    """What the organisation keeps: ground-up (insurable) loss minus the insurer's payment.

    ``tvar99`` is exact (from the ground-up distribution) when the retained
    loss is a function of the year's ground-up total, i.e. the policy has no
    per-incident terms, sublimits or exclusions; otherwise it comes from
    ``n_sims`` simulated years and the exact mean (see :func:`tvar_with_mean`),
    and ``tvar99_se`` is its standard error.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> q = pc.quote(shop, pc.Policy(limit=5e7, investigation="every"),
    ...              as_of=datetime.date(2025, 1, 1))
    >>> q.retained.method, q.retained.n_sims, q.retained.tvar99_se
    ('exact', None, 0.0)
    >>> 0 < q.retained.mean < q.retained.tvar99  # KRW a year
    True
    """

    mean: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    tvar99: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    tvar99_se: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    method: str = attrs.field(validator=_checks.among(("exact", "mc")))
    n_sims: int | None = attrs.field(validator=attrs.validators.optional(_checks.whole(low=1)))


@attrs.frozen
class Compliance:
    """The statutory duty and whether the policy meets it.

    ``compliant`` is None when there is no duty. Otherwise it says whether
    the most the policy can pay for one leak reaches the minimum amount the
    law sets, and whether it covers the damages owed to data subjects (the
    model's categories triggered by liability: consolation payments), which
    is what the law makes the organisation insure. The most it pays for one
    leak is its coinsurance share of the per-incident limit, less the
    aggregate retention, capped at the aggregate limit; for the damages, the
    same with their sublimit. ``shortfall`` says what falls short ("" when
    compliant). A retention per incident is not judged, nor how often an
    aggregate retention leaves a leak unpaid: the decree sets an amount, not
    how a policy shares each loss (an assumption, to check against the
    decree's text); read them from the quote.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> c = compliance(shop, pc.Policy(limit=3e7), datetime.date(2025, 1, 1))
    >>> c.required, c.minimum_coverage, c.compliant  # KRW: 30 million is below 50 million
    (True, 50000000.0, False)
    """

    obligation: Obligation = attrs.field(validator=_checks.kind(Obligation))
    compliant: bool | None = attrs.field(validator=attrs.validators.optional(_checks.flag))
    shortfall: str = attrs.field(default="", validator=_checks.kind(str))

    @property
    def required(self) -> bool:
        """Whether the organisation must insure (the obligation's answer).

        Examples
        --------
        >>> import datetime, picover as pc
        >>> shop = pc.Organisation(records=5_000, annual_sales=3e9, sector="retail")
        >>> compliance(shop, pc.Policy(limit=3e7), datetime.date(2025, 1, 1)).required
        False
        """
        return self.obligation.required

    @property
    def minimum_coverage(self) -> float | None:
        """The minimum amount the law sets (KRW), or None without a duty.

        Examples
        --------
        >>> import datetime, picover as pc
        >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
        >>> compliance(shop, pc.Policy(limit=3e7), datetime.date(2025, 1, 1)).minimum_coverage
        50000000.0
        """
        return self.obligation.minimum_coverage


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(eq=False)
class Quote:
    """A priced policy for one organisation (currency units throughout).

    Attributes
    ----------
    organisation, policy : Organisation, Policy
    expected_ground_up, expected_insured : mapping of str to float
        Expected annual loss by category plus ``"total"`` (read-only; KRW a
        year in the preset). The ground-up total
        sums the insurable categories, and fines too when the policy covers
        them, so that it compares with the insured total.
    loss : LossDistribution
        The insured annual loss.
    premium : Premium
        ``pure``, ``risk_load``, ``expenses``, ``profit``, ``gross``.
    rate_on_line : float
        Gross premium over the aggregate limit (NaN for an unlimited policy).
    p_exhaust : float
        Probability that the year's payments reach the aggregate limit (for a
        limit beyond the grid, the bound P(payment > the grid's end); see
        :func:`exhaustion`).
    retained : Retained
        The organisation's expected retained loss and its TVaR 99%.
    frequency : FrequencyEstimate
        Prior and posterior incidents per year and the credibility weight.
    statutory : Compliance
        The statutory check on ``as_of`` and whether the policy meets it.
    currency : str
    outside_total : tuple of str
        Categories the totals leave out: the uninsurable ones the policy does
        not cover (fines, by default). Their costs are the organisation's
        whatever the policy, and are reported by category only.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> q = pc.quote(shop, pc.Policy(limit=5e7, retention=1e6), as_of=datetime.date(2025, 1, 1))
    >>> q.currency, q.statutory.compliant
    ('KRW', True)
    >>> q.expected_insured["total"] < q.expected_ground_up["total"]  # expected KRW a year
    True
    >>> round(q.rate_on_line, 4)  # gross premium per KRW of limit
    0.0225
    """

    organisation: Organisation = attrs.field(validator=_checks.kind(Organisation))
    policy: Policy = attrs.field(validator=_checks.kind(Policy))
    # Read-only: attrs' frozen stops rebinding, not an edit in place.
    expected_ground_up: Mapping[str, float] = attrs.field(converter=freeze, validator=_by_category)
    expected_insured: Mapping[str, float] = attrs.field(converter=freeze, validator=_by_category)
    loss: LossDistribution = attrs.field(validator=_checks.kind(LossDistribution))
    premium: Premium = attrs.field(validator=_checks.kind(Premium))
    # NaN for a policy without an aggregate limit.
    rate_on_line: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, allow_nan=True)
    )
    p_exhaust: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    retained: Retained = attrs.field(validator=_checks.kind(Retained))
    frequency: FrequencyEstimate = attrs.field(validator=_checks.kind(FrequencyEstimate))
    statutory: Compliance = attrs.field(validator=_checks.kind(Compliance))
    currency: str = attrs.field(validator=_checks.kind(str))
    outside_total: tuple[str, ...] = attrs.field(default=(), converter=_names)

    @property
    def total_label(self) -> str:
        """``"total"``, saying which categories it leaves out, if any.

        Examples
        --------
        >>> import datetime, picover as pc
        >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
        >>> pc.quote(shop, pc.Policy(limit=5e7), as_of=datetime.date(2025, 1, 1)).total_label
        'total (without fines)'
        """
        if not self.outside_total:
            return "total"
        return f"total (without {', '.join(self.outside_total)})"

    def by_category(self) -> Table:
        """Expected ground-up and insured annual loss by category, and their totals.

        One row per category of the model, then the totals (labelled as in
        :attr:`total_label`); amounts in :attr:`currency`, the column names
        saying so.

        Examples
        --------
        >>> import datetime, math, picover as pc
        >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
        >>> q = pc.quote(shop, pc.Policy(limit=5e7, retention=1e6), as_of=datetime.date(2025, 1, 1))
        >>> t = q.by_category()
        >>> list(t.columns), str(t["category"][-1])
        (['category', 'ground_up_krw', 'insured_krw'], 'total (without fines)')
        >>> math.isclose(t["insured_krw"][:-1].sum(), t["insured_krw"][-1])  # parts add up
        True
        """
        names = list(self.expected_ground_up)
        unit = self.currency.lower()
        return Table(
            {
                "category": [self.total_label if n == "total" else n for n in names],
                f"ground_up_{unit}": [self.expected_ground_up[n] for n in names],
                f"insured_{unit}": [self.expected_insured.get(n, 0.0) for n in names],
            }
        )

    def __str__(self) -> str:
        cur = self.currency
        name = self.organisation.name or "organisation"
        p = self.policy
        lines = [
            f"Quote for {name}: {self.organisation.records:,} records, sector "
            f"{self.organisation.sector} (amounts in {cur})",
            f"policy: {_terms(p)}",
            "",
            str(self.frequency),
            "",
            str(self.by_category()),
            "",
            str(self.premium),
            f"{'rate on line':<24}"
            + (
                f"{self.rate_on_line:>18.4%}"
                if math.isfinite(p.limit)
                else f"{'n/a (no limit)':>18}"
            ),
            f"{'P(limit exhausted)':<24}"
            + (f"{self.p_exhaust:>18.4%}" if math.isfinite(p.limit) else f"{'n/a (no limit)':>18}"),
            f"{'retained loss, mean':<24}{self.retained.mean:>18,.0f}",
            f"{'retained loss, TVaR 99%':<24}{self.retained.tvar99:>18,.0f}",
            "",
            str(self.statutory.obligation),
        ]
        if self.statutory.compliant is not None:
            lines.append(
                "the policy meets the statutory minimum"
                if self.statutory.compliant
                else f"the policy does NOT meet the statutory minimum: {self.statutory.shortfall}"
            )
        return "\n".join(lines)


def exhaustion(loss: LossDistribution, limit: float) -> float:
    """P(the year's payment reaches the aggregate ``limit``): the atom at it (0 for
    no limit). A limit beyond the grid, where only P(payment > the grid's end) is
    known, gets that probability as a bound (at most the grid's tail tolerance).

    Examples
    --------
    >>> d = LossDistribution([0.0, 5e6, 1e7], [0.9, 0.07, 0.03])  # KRW; capped at 1e7
    >>> exhaustion(d, 1e7)
    0.03
    """
    if not math.isfinite(limit):
        return 0.0
    if loss.tail_mass > 0 and limit > loss.tail_from:
        return float(loss.tail_mass)
    return float(loss.pmf(limit))


def _terms(p: Policy) -> str:
    """Every term of a policy that differs from none (currency units), in one line."""
    limit = f"limit {p.limit:,.0f}" if math.isfinite(p.limit) else "no limit"
    return f"{limit}, retention {p.retention:,.0f} per incident, {other_terms(p)}"


def other_terms(p: Policy, currency: str = "") -> str:
    """A policy's terms besides its limit and retention per incident, in one line
    (the investigation clause always); amounts in currency units, followed by
    ``currency`` when given.

    Examples
    --------
    >>> other_terms(Policy(limit=1e9, sublimits={"investigation": 5e7}, coinsurance=0.8), "KRW")
    'coinsurance 0.8, sublimit investigation 50,000,000 KRW, investigation first'
    """
    unit = f" {currency}" if currency else ""
    parts = []
    if math.isfinite(p.per_incident_limit):
        parts.append(f"per-incident limit {p.per_incident_limit:,.0f}{unit}")
    if p.aggregate_retention:
        parts.append(f"aggregate retention {p.aggregate_retention:,.0f}{unit}")
    if p.coinsurance != 1.0:
        parts.append(f"coinsurance {p.coinsurance:.4g}")
    parts += [f"sublimit {c} {v:,.0f}{unit}" for c, v in p.sublimits.items()]
    if p.covers is not None:
        parts.append(f"covers {', '.join(sorted(p.covers)) or 'nothing'}")
    parts.append(f"investigation {p.investigation}")
    return ", ".join(parts)


def _as_of(value: Any) -> datetime.date:
    return datetime.date.today() if value is None else _checks.day("as_of", value)


def check_history(org: Organisation, day: datetime.date, model: BreachModel) -> None:
    """Refuse a history that a quote on ``day`` under ``model`` cannot take as given.

    Years after ``day``'s are refused: a quote cannot learn from the future.
    So is the year of ``day`` itself, not yet over: its exposure would count
    as a whole year, and its incidents so far as a whole year's (a history
    summary in a table likewise ends the year before). So are incident costs
    under a category the model does not know: the model does not use past
    costs, and a misspelt category would sit in the underwriter's file
    unnoticed.

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> late = pc.Organisation(1000, 1e9, "retail", history=pc.IncidentHistory.from_rows(
    ...     [{"year": 2030, "records_held": 1000, "incidents": 3}]))
    >>> check_history(late, datetime.date(2025, 3, 1), model)
    Traceback (most recent call last):
    ...
    ValueError: Organisation.history holds year 2030, after the date of the quote (2025-03-01)
    """
    if org.history is None:
        return
    future = [y.year for y in org.history.years if y.year > day.year]
    if future:
        raise ValueError(
            f"Organisation.history holds year {max(future)}, after the date of the quote ({day})"
        )
    if org.history.years and org.history.years[-1].year == day.year:
        raise ValueError(
            f"Organisation.history holds year {day.year}, not over on the date of the quote "
            f"({day}): it would count as a whole year observed; leave it out, or quote as of "
            "a later date"
        )
    stray = org.history.unknown_costs(model.costs)
    if stray is not None:
        year, i, unknown = stray
        raise ValueError(
            f"Organisation.history, year {year}, incident {i}: cost category {unknown[0]!r} is "
            f"not one of the model's ({', '.join(model.costs)})"
        )


def compliance(
    org: Organisation,
    policy: Policy,
    as_of: datetime.date,
    currency: str = "KRW",
    model: BreachModel | None = None,
) -> Compliance:
    """The statutory duty on ``as_of`` and whether ``policy`` meets it (see
    :class:`Compliance`).

    ``currency`` is that of the policy's amounts; the law's are KRW.
    ``model`` names the categories the policy covers (default: the Korean preset).

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> day = datetime.date(2025, 1, 1)
    >>> compliance(shop, pc.Policy(limit=5e7), day).compliant  # the minimum is 50 million KRW
    True
    >>> tiny = pc.Organisation(records=5_000, annual_sales=2e8, sector="retail")
    >>> c = compliance(tiny, pc.Policy(limit=5e7), day)
    >>> c.required, c.compliant  # no duty to insure: nothing to meet
    (False, None)
    >>> c = compliance(shop, pc.Policy(limit=1e9, covers=["investigation"]), day)
    >>> c.compliant, c.shortfall
    (False, 'it does not cover consolation')
    """
    kr.require_krw(currency)
    duty = kr.obligation(org, as_of=as_of)
    minimum = duty.minimum_coverage
    if not duty.required or minimum is None:
        return Compliance(duty, None)
    costs = model_or_preset(model).costs
    covered = policy.covered(costs)
    short = []
    share = policy.coinsurance
    if policy.limit < minimum:
        short.append(f"the limit {policy.limit:,.0f} is below the minimum {minimum:,.0f}")
    if policy.per_incident_limit < minimum:
        short.append(
            f"the per-incident limit {policy.per_incident_limit:,.0f} is below the minimum "
            f"{minimum:,.0f}"
        )
    else:
        # Each limit may reach the minimum while the policy still pays less for any
        # one leak: its share of the per-incident limit, less the aggregate retention.
        most = min(
            max(share * policy.per_incident_limit - policy.aggregate_retention, 0.0),
            policy.limit,
        )
        if most < minimum and policy.limit >= minimum:
            how = f"the per-incident limit {policy.per_incident_limit:,.0f}"
            if share < 1.0:
                how = f"{share:.6g} of {how}"
            if policy.aggregate_retention > 0:
                how += f" less the aggregate retention {policy.aggregate_retention:,.0f}"
            short.append(
                f"the most it pays for one leak, {most:,.0f} ({how}), is below the minimum "
                f"{minimum:,.0f}"
            )
    # A model without liability-triggered categories has no damages to check.
    damages = [c for c, cat in costs.items() if cat.trigger == "liability" and cat.insurable]
    missing = [c for c in damages if c not in covered]
    if missing:
        short.append(f"it does not cover {', '.join(missing)}")
    # A sublimit tighter than the per-incident limit caps the damages one leak can be
    # paid as that limit caps the whole (the share of it, less the aggregate retention).
    retention = policy.aggregate_retention
    capped = []
    for c in damages:
        sub = policy.sublimit(c)
        if c not in covered or not sub < policy.per_incident_limit:
            continue
        pays = min(max(share * sub - retention, 0.0), policy.limit)
        if pays < minimum:
            how = "" if share == 1.0 else f" at coinsurance {share:.6g}"
            if retention > 0:
                how += f" less the aggregate retention {retention:,.0f}"
            capped.append(f"{c} ({sub:,.0f}{how}, paying at most {pays:,.0f})" if how else
                          f"{c} ({sub:,.0f})")  # fmt: skip
    if capped:
        short.append(f"the sublimit of {', '.join(capped)} is below the minimum {minimum:,.0f}")
    return Compliance(duty, not short, "; ".join(short))


def retained_loss(
    model: BreachModel,
    org: Organisation,
    policy: Policy,
    insured: LossDistribution,
    ground_up: LossDistribution | None = None,
    incidents: SimulatedIncidents | None = None,
    expected: Mapping[str, float] | None = None,
) -> Retained:
    """Expected retained loss (exact) and its TVaR 99% (exact or simulated).

    ``insured`` is the policy's insured annual loss; ``ground_up`` the
    ground-up one, ``incidents`` the years simulated by
    :func:`retained_incidents` and ``expected`` the ground-up expected losses
    by category, when already at hand (several offers share them). What is kept is counted over the
    insurable categories and any other the policy covers (an endorsement for
    penalty surcharges); uncovered surcharges are reported apart, as in
    :meth:`BreachModel.expected_losses`.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> model = pc.BreachModel.preset("kr")
    >>> policy = pc.Policy(limit=5e7, retention=1e6)  # KRW
    >>> kept = retained_loss(model, shop, policy, model.annual_loss(shop, policy))
    >>> kept.method, kept.n_sims  # a retention per incident: the TVaR is simulated
    ('mc', 100000)
    >>> paid = model.annual_loss(shop, policy).mean()
    >>> math.isclose(kept.mean + paid, model.expected_losses(shop)["total"])  # KRW a year
    True
    """
    kept_categories = borne(model, policy)
    gu_mean = model.expected_losses(org) if expected is None else expected
    mean = retained_mean(
        math.fsum(gu_mean[c] for c in kept_categories), insured.mean(), paid_noise(insured)
    )
    if retained_is_exact(policy):
        # Then the payment is min((G - d)+, l) of the year's ground-up total G.
        gu = model.annual_loss(org) if ground_up is None else ground_up
        kept = gu.support - np.minimum(
            np.maximum(gu.support - policy.aggregate_retention, 0.0), policy.limit
        )
        order = np.argsort(kept, kind="stable")
        values, inverse = np.unique(kept[order], return_inverse=True)
        dist = LossDistribution(
            values, np.bincount(inverse, weights=gu.probs[order]), currency=gu.currency
        )
        # Years beyond the ground-up grid are one atom at their mean, which may keep
        # nothing while the years themselves do (a limit far out): what the grid
        # misses of the exact retained mean lies in those years, the largest, all
        # within the worst 1% (their probability is at most the tail tolerance).
        # A year keeps G - min((G - d)+, l): G below d, d up to d + l, G - l above,
        # linear in G on each piece. Where the tail lies within one piece (wholly
        # above d + l, or above d with no limit) the atom keeps exactly the
        # tail's mean: what else separates the two means is the grids' own
        # rounding at the terms, which the tail does not hold (and which, a
        # hundred times over, would only overstate the TVaR).
        d, limit = policy.aggregate_retention, policy.limit
        linear = gu.tail_from >= d + limit or (math.isinf(limit) and gu.tail_from >= d)
        missing = 0.0 if gu.tail_mass == 0 or linear else max(mean - dist.mean(), 0.0)
        level = 0.99
        tvar = float(dist.tvar(level)) + missing / (1.0 - level)
        if math.isinf(limit):
            tvar = min(tvar, d)  # no year keeps more than the retention
        return Retained(mean, tvar, 0.0, "exact", None)
    active = retained_incidents(model, org) if incidents is None else incidents
    kept = active.yearly(
        np.sum([active.costs[c] for c in kept_categories], axis=0)
    ) - active.payments(model.terms(policy))
    tvar, se = tvar_with_mean(kept, RETAINED_SIMS, mean, 0.99)
    return Retained(mean, tvar, se, "mc", RETAINED_SIMS)


def tvar_with_mean(values: np.ndarray, size: int, mean: float, level: float) -> tuple[float, float]:
    """TVaR at ``level`` of a loss R >= 0 from ``size`` simulated years and its exact mean.

    ``values`` are the simulated years' losses (those not given are zero).
    With v the simulated VaR, the TVaR is the mean of Z = v + (R - v)+ / (1 - level)
    over the years; the exact E[R] serves as a control variate:

        TVaR = mean(Z) + c (E[R] - mean(R)),   c = cov(Z, R) / var(R),

    the regression estimator. When fewer than 1 - level of the years lose
    anything, Z = R / (1 - level) and c = 1 / (1 - level): the TVaR is
    E[R] / (1 - level), exactly, and a year far beyond the simulated ones (a
    limit exhausted once in 10^5 years, say) counts through E[R] even when no
    simulated year shows it. Otherwise what the simulation missed, E[R] -
    mean(R), is placed in the tail in the proportion c the simulated years
    suggest; since losses too rare to simulate may sit higher still, the
    standard error adds the difference from placing all of it there,
    (1 / (1 - level) - c) (E[R] - mean(R)), to the sampling error. The result
    is at least v and E[R], as any TVaR is. Losses far rarer than one year
    in ``size`` that carry much of the TVaR can still leave it low and the
    error optimistic. Returns the TVaR and its standard error.

    Examples
    --------
    >>> tvar_with_mean(np.array([]), 1000, 0.5, 0.99)  # no simulated loss, E[R] = 0.5
    (50.0, 0.0)
    >>> values = np.arange(1.0, 1001.0)  # 1..1000: worst 1% are 991..1000, mean 995.5
    >>> tvar_with_mean(values, 1000, 500.5, 0.99)[0]  # the sample's own mean: no correction
    995.5
    """
    share = 1.0 - level
    v = float(_worst(values, share, size)[0])
    n_zero = size - values.size  # years not given: R = 0 and Z = v
    z = v + np.maximum(values - v, 0.0) / share
    z_mean = (float(z.sum()) + n_zero * v) / size
    r_mean = float(values.sum()) / size
    # Centred sums, the years not given included, to keep their precision.
    dz, dr = z - z_mean, values - r_mean
    var_z = (float((dz * dz).sum()) + n_zero * (v - z_mean) ** 2) / size
    var_r = (float((dr * dr).sum()) + n_zero * r_mean**2) / size
    cov = (float((dz * dr).sum()) - n_zero * (v - z_mean) * r_mean) / size
    # Without spread in R the sample cannot fit c: every simulated year then lies
    # at or below v, and what E[R] adds lies above it, counted in full.
    c = cov / var_r if var_r > 0 else 1.0 / share
    tvar = z_mean + c * (mean - r_mean)
    sampling = max(var_z - c * cov, 0.0) / size if var_r > 0 else 0.0
    unseen = (1.0 / share - c) * max(mean - r_mean, 0.0)
    return max(tvar, v, mean), math.sqrt(sampling + unseen * unseen)


def borne(model: BreachModel, policy: Policy) -> list[str]:
    """Categories whose cost the organisation bears before insurance and the policy
    may pay: the insurable ones, plus any the policy covers by endorsement (fines)."""
    return [c for c, cat in model.costs.items() if cat.insurable or c in (policy.covers or ())]


def ground_up_for(
    model: BreachModel, policy: Policy, expected: Mapping[str, float]
) -> dict[str, float]:
    """The ground-up ``expected`` losses by category, their ``"total"`` summing the
    insurable categories and any other the policy covers (:func:`borne`), so that
    it compares with the insured total (currency units, KRW in the preset).

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> gu = model.expected_losses(pc.Organisation(3_000_000, 120e9, "retail"))  # KRW a year
    >>> covers_fines = pc.Policy(limit=1e9, covers={"consolation", "fines"})
    >>> math.isclose(ground_up_for(model, covers_fines, gu)["total"], gu["total"] + gu["fines"])
    True
    """
    out = dict(expected)
    out["total"] = math.fsum(expected[c] for c in borne(model, policy))
    return out


def retained_mean(borne: float, paid: float, rounding: float = 0.0) -> float:
    """Expected retained loss: what is borne less what the policy pays (currency units).

    Both are exact up to ``rounding``, how far the paid mean may stray
    (:func:`paid_noise`: the transform's rounding, or a simulation's noise).
    A difference within that, or within 1e-9 of the borne total, is zero: a
    policy that pays everything leaves nothing, not a residue of either
    sign. A payment above the borne loss by more is numerical trouble: a
    ``RuntimeWarning`` gives the figures and the retained loss is 0.

    Examples
    --------
    >>> retained_mean(1e6, 1e6 + 1e-7), retained_mean(1e6, 4e5)
    (0.0, 600000.0)
    """
    kept = borne - paid
    if abs(kept) <= max(1e-9 * abs(borne), rounding):
        return 0.0
    if kept < 0:
        warnings.warn(
            f"the insured mean {paid:,.6g} exceeds the expected loss it covers "
            f"({borne:,.6g}) by {-kept:.3g}, more than rounding: the FFT grid is too wide "
            "for amounts this small (a limit far beyond any plausible loss?); the retained "
            "loss is reported as 0",
            RuntimeWarning,
            stacklevel=3,
        )
        return 0.0
    return kept


def paid_noise(insured: LossDistribution) -> float:
    """How far the insured mean may stray from the exact one (currency units): the
    transform's rounding on an FFT grid (some 1e-12 of its end), or three standard
    errors of a simulated mean.

    Examples
    --------
    >>> paid_noise(LossDistribution.from_samples([0.0, 2.0, 4.0]))  # 3 * 1.633 / sqrt(3)
    2.82842712474619
    """
    if insured.bucket is not None:
        return 1e-12 * insured.bucket * insured.support.size
    if insured.method == "mc" and insured.n_sims:
        return 3.0 * insured.std() / math.sqrt(insured.n_sims)
    return 0.0


def retained_is_exact(policy: Policy) -> bool:
    """Whether the retained loss is a function of the year's ground-up total, so
    that its TVaR follows exactly from the ground-up distribution."""
    return (
        not policy.has_incident_terms
        and not policy.sublimits
        and policy.covers is None
        and policy.investigation == "every"
    )


def retained_incidents(model: BreachModel, org: Organisation) -> SimulatedIncidents:
    """The simulated incidents behind a retained-loss TVaR (fixed seed), numbered by
    the years that have one: a year without an incident keeps nothing."""
    incidents = model.simulate_incidents(org, n_sims=RETAINED_SIMS, seed=RETAINED_SEED)
    year = np.cumsum(incidents.is_first, dtype=np.int64) - 1
    return SimulatedIncidents(
        int(year[-1]) + 1 if year.size else 0, year, incidents.is_first, incidents.costs
    )


def _worst(values: np.ndarray, share: float, size: int | None = None) -> np.ndarray:
    """The largest ``share`` of ``size`` non-negative values, those not given being
    zero (sorting only the positive ones, since most simulated years keep nothing)."""
    size = values.size if size is None else size
    m = size - int((1.0 - share) * size)
    positive = np.sort(values[values > 0])
    if positive.size >= m:
        return positive[positive.size - m :]
    return np.concatenate((np.zeros(m - positive.size), positive))


def quote(
    org: Organisation,
    policy: Policy,
    *,
    model: BreachModel | None = None,
    premium: PremiumBasis | None = None,
    method: str = "fft",
    seed: Any = None,
    n_sims: int | None = None,
    tail_tol: float | None = None,
    as_of: datetime.date | None = None,
) -> Quote:
    """Price ``policy`` for ``org``.

    Parameters
    ----------
    org : Organisation
    policy : Policy
    model : BreachModel, optional
        Default: the Korean preset ``BreachModel.preset("kr")``.
    premium : PremiumBasis, optional
        Default: ``PremiumBasis()`` (6% cost of capital on the 99% TVaR,
        25% expenses, 5% profit).
    method : {"fft", "mc"}
        How the insured distribution is computed.
    seed : int, numpy Generator or SeedSequence, optional
        ``method="mc"`` only: the same seed gives the same quote.
    n_sims : int, optional
        ``method="mc"`` only: simulated years (default as for
        :meth:`BreachModel.annual_loss <picover.BreachModel.annual_loss>`).
    tail_tol : float, optional
        ``method="fft"`` only: the probability the grid may leave beyond its
        end (default as for ``annual_loss``).
    as_of : datetime.date, optional
        Date of the statutory check (default: today).

    Returns
    -------
    Quote

    Examples
    --------
    >>> import datetime, picover as pc
    >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
    >>> q = pc.quote(org, pc.Policy(limit=1e9, retention=1e7), as_of=datetime.date(2025, 1, 1))
    >>> q.premium.gross > q.premium.pure > 0
    True
    >>> q.statutory.required, q.statutory.minimum_coverage, q.statutory.compliant
    (True, 1000000000.0, True)
    """
    model = model_or_preset(model)
    if not isinstance(org, Organisation):
        raise TypeError(f"org must be a picover Organisation; got {type(org).__name__}")
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a picover Policy; got {type(policy).__name__}")
    basis = premium_basis(premium)
    _checks.one_of("method", method, ("fft", "mc"))
    day = _as_of(as_of)
    check_history(org, day, model)
    loss = model.annual_loss(
        org, policy, method=method, seed=seed, n_sims=n_sims, tail_tol=tail_tol
    )
    expected = model.expected_losses(org)
    price = basis.apply(loss)
    limit = policy.limit
    return Quote(
        organisation=org,
        policy=policy,
        expected_ground_up=ground_up_for(model, policy, expected),
        expected_insured=model.allocate(org, policy, loss.mean()),
        loss=loss,
        premium=price,
        rate_on_line=price.gross / limit if math.isfinite(limit) else math.nan,
        p_exhaust=exhaustion(loss, limit),
        retained=retained_loss(model, org, policy, loss, expected=expected),
        frequency=model.frequency(org),
        statutory=compliance(org, policy, day, model.currency, model),
        currency=model.currency,
        outside_total=tuple(c for c in model.costs if c not in borne(model, policy)),
    )

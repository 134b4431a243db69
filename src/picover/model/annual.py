"""One organisation's annual leak loss on the FFT grid, under a policy's terms.

The grid carries each incident's covered cost X (see
:class:`~picover.model.incident.IncidentBuilder`); payments, and the year's
total, lie on c times it (c the coinsurance). The grid is automatic unless
the caller gives one: it is sized from a rough reach of the year's payments
(:mod:`picover.model.sizing`), then grown while the policy's terms beyond it
could still move the mean by more than a tolerance (the bounds of
:mod:`picover.model.payment`), and refined while a coarse bucket could bias
the payment at a retention.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from picover.engine import fft
from picover.engine.compound import (
    NEAR,
    checked_payment,
    grid_too_short,
    toward_annual_end,
    warn_grid_left,
)
from picover.engine.frequency import Frequency, prob_any
from picover.engine.lossdist import TAIL_VARIANCE_SHARE, LossDistribution
from picover.engine.terms import annual_terms_error, apply_annual_terms, unresolved_tail
from picover.model import payment, sizing
from picover.model.exposure import Organisation
from picover.model.incident import IncidentBuilder, fine_outcomes
from picover.model.policy import Terms

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel

_MAX_REGRIDS = 6
#: Share of the mean above which the rough estimate of the grid's bias at a
#: retention (or retention plus per-incident limit) makes the bucket shrink.
KINK_BIAS_TRIGGER = 2e-4
#: Share of the mean above which that estimate, on the finished grid, warns
#: (the estimate errs high, by 2 to 15).
KINK_BIAS_WARN = 1e-3
#: Share of the mean payment above which the estimate of the grid's bias at the
#: annual terms' bends makes the bucket shrink: higher than at a retention,
#: since shrinking the year's grid costs about three times the build (the
#: estimate errs high by about 2.6, so true errors from about 4e-4 on).
ANNUAL_BIAS_TRIGGER = 1e-3


def fft_loss(
    model: BreachModel,
    org: Organisation,
    freq: Frequency,
    terms: Terms,
    tol: float,
    bucket: float | None,
    n_buckets: int | None,
    coarsest: float = 0.0,
) -> LossDistribution:
    """The annual loss of ``org`` on the FFT grid, ground-up or under ``terms``
    (see :meth:`BreachModel.annual_loss <picover.BreachModel.annual_loss>`).

    ``freq`` is the year's incident count, ``tol`` the tail tolerance, and
    ``bucket`` and ``n_buckets`` the caller's grid (None: automatic).
    ``coarsest`` (currency units, automatic grids only): the bucket need not
    be finer than about this, whatever the typical incident (see
    :func:`picover.model.sizing.grid`).

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> org = pc.Organisation(records=50_000, annual_sales=5e9, sector="retail")
    >>> freq = model.frequency(org).counts()
    >>> d = fft_loss(model, org, freq, model.terms(None), 1e-6, None, None)
    >>> round(d.mean() / model.expected_losses(org)["total"], 9)  # the mean is exact
    1.0
    """
    ctx = model._context(org)
    cut_points = model._cut_points(org.records, terms, ctx)
    k, w = model._nodes_at(org.records, cut_points)
    n_mean = freq.mean()
    p_any = prob_any(freq)
    if n_mean == 0 or not terms.first:
        return LossDistribution([0.0], [1.0], method="fft", currency=model.currency)
    reach = sizing.year_reach(model, freq, terms, k, w, ctx, tol)
    automatic = bucket is None and n_buckets is None
    # Quadrature segments outside [1, R] leave nodes of weight zero: they add
    # nothing to the mixture but would cost a transform each.
    k_used, w_used = (k, w) if np.all(w > 0) else (k[w > 0], w[w > 0])
    annual_end = terms.aggregate_retention + terms.aggregate_limit
    # Grid points for the policy's amounts, most needed first (the bucket may
    # not honour them all): retentions, where a payment's mean feels the
    # grid, then the limits, which only cap it. Payments, and the year's
    # total, lie on c times the covered cost's grid: an annual amount A is a
    # grid point when A / c is one of X's. (A given bucket need divide only
    # the per-incident amounts: annual terms map the year's atoms exactly.)
    c = terms.coinsurance
    annual = [terms.aggregate_retention / c, terms.aggregate_limit / c]
    anchors = [
        terms.retention,
        *(annual[:1] if bucket is None else []),
        terms.per_incident_limit,
        terms.retention + terms.per_incident_limit,
        *(annual[1:] if bucket is None else []),
        *terms.sublimits.values(),
    ]

    def grid_for(reach: float, keep: float | None = None) -> tuple[float, int]:
        # One grid carries the incident's covered cost X, and c times it the
        # payments and the year's total (a payment c (X - r) is then a grid
        # point when r is one, however small c). Payments beyond X's grid are
        # a tail atom, so X's grid must reach r + reach / c for the payments
        # to cover the total's range, and r + per-incident limit for every
        # larger incident to pay the limit.
        # A per-incident limit far beyond that (more than NEAR times) is left
        # beyond the grid, its error bounded below: reaching it would stretch
        # the grid until the transform's rounding swamps the losses.
        top = terms.retention + reach / terms.coinsurance
        need = terms.retention + terms.per_incident_limit
        if math.isfinite(need) and (not automatic or (binds and need <= NEAR * top)):
            top = max(top, need)
        return sizing.grid(model, top, k, w, ctx, terms, bucket, n_buckets, anchors, keep, coarsest)

    # Terms beyond the grid leave an error in the mean, bounded below; the grid
    # grows to them while that bound exceeds this share of the mean (plus 1e-9
    # of a bucket, for payments that are all but never made: a small firm's
    # yearly mean can be far below one bucket, so a bucket's share would be a
    # loose tolerance). Under a retention (per incident or annual), 1e-7: still below
    # the grid's own accuracy there (each category's discretisation spreads
    # the sum a little, and a retention feels it: 1e-6 or more of the mean on
    # the automatic grid), which a grid stretched to far terms, with a coarser
    # bucket, would only worsen. Otherwise the mean is exact on any grid: 1e-9.
    far_tol = 1e-7 if terms.retention > 0 or terms.aggregate_retention > 0 else 1e-9
    # Before any grid the payment's mean is unknown: the covered cost's mean
    # stands in (it is larger, so the loop may still grow the grid).
    covered = n_mean * payment.covered_mean(model, terms.first, k, w, ctx, terms)
    binds = True  # whether the per-incident limit can matter at all
    # Whether the tail's bound says an aggregate limit beyond the reach matters.
    felt = False
    if (
        automatic
        and terms.coinsurance * terms.per_incident_limit >= reach
        and terms.aggregate_retention == 0
        and annual_end > reach
    ):
        # Only the tail sets the reach: a per-incident limit within it bounds
        # it already, and an aggregate retention, or an aggregate limit within
        # it, sets it. An aggregate limit beyond it may still matter to the
        # mean (the tail's bound says), and then the grid must grow to it: a
        # shorter one would only have further to grow.
        unfelt = math.isinf(annual_end)
        if not unfelt:
            h_rough = grid_for(reach)[0]
            bound = payment.year_excess(
                model, freq, k_used, w_used, ctx, terms, h_rough, annual_end
            )
            unfelt = bound <= far_tol * c * covered + 1e-9 * c * h_rough
            felt = not unfelt and math.isfinite(bound)
        if unfelt:
            body = sizing.coarse_reach(model, freq, terms, k_used, w_used, ctx, reach, tol)
            if body is not None:
                reach = sizing.year_reach(model, freq, terms, k, w, ctx, tol, body)
    keep: float | None = None  # the bucket to keep when the grid is stretched
    excess = None
    if automatic:
        h_plain = sizing.grid(
            model, terms.retention + reach / terms.coinsurance, k, w, ctx, terms, None, None,
            anchors, None, coarsest,
        )[0]  # fmt: skip
        excess = payment.paid_excess(model, k_used, w_used, ctx, terms, True, h_plain)
    # A retention within a hundred times the mean covered cost (per incident, or
    # a year's) is surely reached: the bound below (about a millisecond) is
    # worth computing only beyond that.
    far_retention = terms.retention * n_mean > 100.0 * covered or (
        terms.aggregate_retention > 100.0 * covered
    )
    if excess is not None and far_retention:
        # Retentions so far out that the incidents' own tails show nothing is
        # paid, to 1e-9 of a bucket: the payment is 0, with no grid stretched
        # out to them (where rounding would make up a payment).
        most = n_mean * float(excess(np.zeros(1))[0])
        if terms.aggregate_retention > 0:
            most = min(
                most,
                payment.year_excess(
                    model, freq, k_used, w_used, ctx, terms, h_plain, terms.aggregate_retention
                ),
            )
        if most <= 1e-9 * c * h_plain:
            return LossDistribution([0.0], [1.0], method="fft", currency=model.currency)
    if excess is not None and math.isfinite(terms.per_incident_limit):
        # A limit that the incidents' own tails show never binds (its error in
        # the mean, bounded as in the loop below, is within far_tol) needs no
        # grid out to it: reaching it would only coarsen the bucket.
        cut = terms.coinsurance * terms.per_incident_limit
        error = n_mean * float(excess(np.array([cut]))[0])
        binds = error > far_tol * max(c * covered, c * h_plain)

    if automatic and reach < annual_end < math.inf and math.isinf(terms.per_incident_limit):
        # Unbounded payments leave years beyond the grid, short of the aggregate
        # retention plus limit, where the annual terms are inexact. Start there
        # when that grid is no coarser: the tail then pays the limit exactly,
        # and quantiles and the variance see it. (A coarser one is reached only
        # if the loop below finds the error too large.)
        wider = max(2.0 * reach, annual_end)
        if grid_for(wider)[0] <= grid_for(reach)[0]:
            reach = wider
        elif felt:
            # The loop below would find the error too large on the first grid,
            # throw it away and grow as it does here, keeping its bucket.
            keep = grid_for(reach)[0]
            reach = toward_annual_end(reach, terms.aggregate_retention, terms.aggregate_limit)
    # Incidents whose costs are all fixed given K (crisis management, say) in
    # one of their outcomes: those outcomes are mixed over a fine rule of K.
    fine = None
    if any(any(fine_outcomes(model.costs, names)) for names in (terms.first, terms.later)):
        fine = model._fine_nodes(org.records, cut_points)
    # Whether the bucket was checked against the bias at the policy's bends
    # (payments without a retention or per-incident limit have none).
    refined = terms.retention == 0 and math.isinf(terms.per_incident_limit)
    # And at the annual terms' bends, where a year's costs put on the grid one
    # by one (on average, in a year with an incident) spread the total.
    annual_bends = terms.aggregate_retention > 0 or math.isfinite(terms.aggregate_limit)
    refined_annual = False
    parts = (p_any * len(terms.first) + (n_mean - p_any) * len(terms.later)) / p_any
    for attempt in range(_MAX_REGRIDS):
        h, n = grid_for(reach, keep)
        builder = IncidentBuilder(
            model.costs, model.litigation, k_used, w_used, ctx, terms.sublimits, h, n, fine
        )
        covered_later = builder.grid(terms.later)
        covered_first = covered_later if terms.first == terms.later else builder.grid(terms.first)
        later = payment.payment(covered_later, terms, strict=not automatic)
        first = (
            later
            if covered_first is covered_later
            else payment.payment(covered_first, terms, strict=not automatic)
        )
        exact = p_any * first.mean() + (n_mean - p_any) * later.mean()
        if automatic and not refined:
            # Each category's discretisation spreads the incident's cost a
            # little, and a retention (or the limit above it) feels that as a
            # bias that falls with the square of the bucket. Where its rough
            # estimate is a visible share of the mean (a retention far out in
            # a small firm's incidents), the bucket shrinks by 2 or 4 (grids
            # have power-of-two lengths), aiming at half that share.
            bias = p_any * payment.kink_bias(covered_first, len(terms.first), terms) + (
                n_mean - p_any
            ) * payment.kink_bias(covered_later, len(terms.later), terms)
            refined = True
            if bias > KINK_BIAS_TRIGGER * exact and attempt < _MAX_REGRIDS - 1:
                finer = _finer(h, n, bias, exact, KINK_BIAS_TRIGGER)
                # Only when the grid can take it: at its most points, or with
                # the policy's amounts to keep on grid points, it may not.
                if grid_for(reach, finer)[0] < h:
                    keep = finer if keep is None else min(keep, finer)
                    continue
        if automatic:
            # A per-incident limit left beyond the grid: grow the grid while
            # its bounded error in the mean matters.
            beyond = p_any * payment.payment_error(
                covered_first,
                terms,
                payment.paid_excess(model, k_used, w_used, ctx, terms, True, h),
            ) + (n_mean - p_any) * payment.payment_error(
                covered_later,
                terms,
                payment.paid_excess(model, k_used, w_used, ctx, terms, False, h),
            )
            if beyond > far_tol * exact + 1e-9 * c * h:
                if attempt < _MAX_REGRIDS - 1:
                    reach *= 4.0
                    keep = h if keep is None else keep
                    continue
                warnings.warn(
                    f"the per-incident limit {terms.per_incident_limit:,.6g} lies beyond "
                    f"the grid's end {h * (n - 1):,.6g}; the mean may be too high by up "
                    f"to {beyond:,.6g}",
                    RuntimeWarning,
                    stacklevel=3,
                )
        # The year's grid ends where the payments' grids end: beyond, only their
        # tails are known, by their means.
        n_year = min(n, later.probs.size, first.probs.size)
        # Payments of the per-incident limit, and the annual terms, are amounts
        # the year's support must hold exactly where they fall on it.
        amounts = (
            c * terms.per_incident_limit,
            terms.aggregate_retention,
            terms.aggregate_limit,
            terms.aggregate_retention + terms.aggregate_limit,
        )
        agg = fft.aggregate(
            freq, later, n_year, exact, first=None if first is later else first, amounts=amounts
        )
        if automatic and not refined_annual and annual_bends:
            # The same bias at the annual terms' bends, from the year's total:
            # each category of each incident spreads it a little.
            refined_annual = True
            bias = payment.annual_kink_bias(agg, parts, terms)
            mean_paid = _annual_mean(agg, terms)
            if bias > ANNUAL_BIAS_TRIGGER * mean_paid and attempt < _MAX_REGRIDS - 1:
                finer = _finer(h, n, bias, mean_paid, ANNUAL_BIAS_TRIGGER)
                if grid_for(reach, finer)[0] < h:
                    keep = finer if keep is None else min(keep, finer)
                    continue
        error = annual_terms_error(agg, terms.aggregate_retention, terms.aggregate_limit)
        if error > 0 and agg.top >= terms.aggregate_retention and math.isfinite(annual_end):
            # That bound sees only the tail's mean; the error is also at most
            # E[(S - d - l)+], which the incidents' costs bound much more tightly.
            error = min(
                error, payment.year_excess(model, freq, k_used, w_used, ctx, terms, h, annual_end)
            )
        if not automatic:
            if error > 1e-9 * (exact + c * h):
                if bucket is None and attempt < _MAX_REGRIDS - 1:
                    # n_buckets alone sets how many points, not where the grid ends:
                    # it grows toward the annual terms, as an automatic grid would.
                    reach = toward_annual_end(
                        reach, terms.aggregate_retention, terms.aggregate_limit
                    )
                    continue
                raise grid_too_short(agg, terms.aggregate_retention, terms.aggregate_limit, error)
            break
        if error > far_tol * exact + 1e-9 * c * h:
            reach = toward_annual_end(reach, terms.aggregate_retention, terms.aggregate_limit)
            keep = h if keep is None else keep
        elif (
            agg.top < annual_end < math.inf
            and tail_variance_share(agg, terms) > TAIL_VARIANCE_SHARE
            and grid_for(max(2.0 * reach, annual_end), h)[0] <= h
        ):
            # The terms' error in the mean is negligible, but the tail beyond
            # the grid carries enough of the variance that var() would warn. The
            # annual end is within reach at this bucket: there the tail pays the
            # limit exactly, and the variance and quantiles see it. (Otherwise a
            # longer grid only adds rounding.)
            reach = max(2.0 * reach, annual_end)
            keep = h if keep is None else keep
        elif unresolved_tail(agg, terms.aggregate_retention, terms.aggregate_limit) > tol:
            reach *= 2.0
        else:
            break
    else:
        warn_grid_left(agg, tol, _MAX_REGRIDS, error, far_tol * exact + 1e-9 * c * h)
    if automatic and (terms.retention > 0 or math.isfinite(terms.per_incident_limit)):
        # A bucket too coarse beside the retention: a grid stretched far (heavy
        # tails, a small tail tolerance) at its most points, whose bucket could
        # not shrink enough. (A grid given by the caller is the caller's.)
        bias = p_any * payment.kink_bias(covered_first, len(terms.first), terms) + (
            n_mean - p_any
        ) * payment.kink_bias(covered_later, len(terms.later), terms)
        if bias > KINK_BIAS_WARN * exact:
            warnings.warn(
                f"the grid's bucket ({h:,.6g}) is coarse beside the policy's retention "
                f"({terms.retention:,.6g}) or limit: the mean payment ({exact:,.6g}) may "
                f"be off by up to about {bias:,.3g} ({bias / exact:.1%}), most likely too "
                f"high; the grid reaches {h * (n - 1):,.6g} for the tail tolerance "
                f"{tol:.3g}: a larger tail_tol, or a finer bucket that divides the "
                "retention, gives a sharper figure",
                RuntimeWarning,
                stacklevel=3,
            )
    if not automatic:
        # The caller's grid, coarser than the costs it carries: quantiles and
        # probabilities move by a bucket, then more than a typical incident.
        cost = float(sizing.typical(model, terms, k[None, :], w[None, :], ctx)[0])
        if h > cost:
            warnings.warn(
                f"the grid's bucket ({h:,.6g}) exceeds a typical incident's covered cost "
                f"({cost:,.6g}): the body of the distribution is coarse (the mean stays "
                "exact; quantiles, cdf and TVaR may be off by a bucket); pass "
                + ("a larger n_buckets" if bucket is None else "a smaller bucket")
                + " for more detail",
                RuntimeWarning,
                stacklevel=3,
            )
    if automatic and annual_bends:
        bias = payment.annual_kink_bias(agg, parts, terms)
        mean_paid = _annual_mean(agg, terms)
        if bias > KINK_BIAS_WARN * mean_paid:
            warnings.warn(
                f"the grid's bucket ({agg.bucket:,.6g}) is coarse beside the policy's "
                f"{_annual_bends_named(terms)}: the mean "
                f"payment ({mean_paid:,.6g}) may be off by up to about {bias:,.3g} "
                f"({bias / mean_paid:.1%}), most likely too high; the grid reaches "
                f"{agg.top:,.6g} for the tail tolerance {tol:.3g}: a larger tail_tol, "
                "or a finer bucket, gives a sharper figure",
                RuntimeWarning,
                stacklevel=3,
            )
    if annual_bends:
        paid = apply_annual_terms(
            agg, terms.aggregate_retention, terms.aggregate_limit, model.currency
        )
        return checked_payment(paid, exact, agg)
    if terms.retention == 0 and math.isinf(terms.per_incident_limit):
        # Payments are c times the covered costs: the year's variance is known
        # in closed form, tail and all.
        var = payment.exact_var(model, freq, k_used, w_used, ctx, terms, first.mean(), later.mean())
    else:
        var = payment.paid_var(
            model, freq, k_used, w_used, ctx, terms, (covered_later, later), (covered_first, first)
        )
    return apply_annual_terms(agg, 0.0, math.inf, model.currency, math.nan if var is None else var)


def warn_off_grid(terms: Terms, dist: LossDistribution) -> None:
    """Warn when the per-incident limit's payment lies within the year's grid
    but between its points: no bucket near it divides both the retention and
    the retention plus the limit, so what is paid at the limit is placed on
    the points around it. For a distribution handed to the caller, whose
    probabilities near the limit would be quietly off (a mean needs no
    warning: the placing keeps it)."""
    h = dist.bucket
    if h is None:  # nothing is paid: no grid
        return
    paid = terms.coinsurance * terms.per_incident_limit
    top = min(h * (dist.support.size - 1), terms.aggregate_retention + terms.aggregate_limit)
    if not h < paid < top:
        return
    m = round(paid / h)
    if abs(paid / h - m) > 1e-9 * m:
        off = abs(paid - m * h) / terms.coinsurance
        warnings.warn(
            f"the per-incident limit ({terms.per_incident_limit:,.0f}) falls between the "
            f"grid's points (bucket {h / terms.coinsurance:,.6g}, the nearest {off:,.3g} "
            f"away): no bucket near it divides both the retention ({terms.retention:,.0f}) "
            "and the retention plus the limit, so what is paid at the limit is placed on the "
            "points around it, which keeps the mean; probabilities and quantiles within a "
            "bucket of the limit are not exact (amounts with a larger common divisor, such "
            "as round ones, keep both on the grid)",
            RuntimeWarning,
            stacklevel=3,
        )


def _finer(h: float, n: int, bias: float, mean: float, trigger: float) -> float:
    """A bucket 2 or 4 times finer than ``h`` for a grid of ``n`` points (grids
    have power-of-two lengths), aiming at half the ``trigger``'s share of the
    mean for a bias falling with the square of the bucket."""
    wanted = math.sqrt(bias / (0.5 * trigger * mean))
    # The power of two at or below the shrunk grid's length: asking for a
    # bucket just under it would double the grid again. (For a grid of 2^k
    # points this asks for half the factor; asking for all of it let the
    # alignment to the retention stretch heavy tails' grids to 4e5 points.)
    points = 2.0 ** math.floor(math.log2((2 if wanted <= 2 else 4) * (n - 1)))
    return h * (n - 1) / points * (1.0 + 1e-9)


def _annual_bends_named(terms: Terms) -> str:
    """The annual terms' bends, as a warning names them."""
    if terms.aggregate_retention == 0:
        return f"aggregate limit ({terms.aggregate_limit:,.6g})"
    named = f"aggregate retention ({terms.aggregate_retention:,.6g})"
    return f"{named} or limit" if math.isfinite(terms.aggregate_limit) else named


def _annual_paid(agg: fft.Aggregate, terms: Terms) -> NDArray[np.float64]:
    """The year's payment under the annual terms at each point of the grid (and the tail)."""
    return np.minimum(
        np.maximum(agg.support - terms.aggregate_retention, 0.0), terms.aggregate_limit
    )


def _annual_mean(agg: fft.Aggregate, terms: Terms) -> float:
    """The mean of the year's payment under the annual terms, on the grid."""
    return float((agg.probs * _annual_paid(agg, terms)).sum())


def tail_variance_share(agg: fft.Aggregate, terms: Terms) -> float:
    """The tail atom's share of the variance of the year's payment under the annual terms."""
    if agg.tail_mass == 0.0:
        return 0.0
    paid = _annual_paid(agg, terms)
    mean = float((agg.probs * paid).sum())
    spread = (paid - mean) ** 2 * agg.probs
    total = float(spread.sum())
    return float(spread[-1]) / total if total > 0 else 0.0

"""The shortcuts taken for speed give the same answers as the plain computations.

Each test pins one of them: reused scratch arrays never leak into results,
the closed-form lognormal quantile is scipy's, the in-place lognormal grids
equal the straightforward formula, quadrature nodes of zero weight and the
wrap-around and regrid predictions change nothing but the time, and the
retained loss simulated on active years only equals the one over all years.
"""

from __future__ import annotations

import importlib
import math

import attrs
import numpy as np
import pytest
from scipy import special, stats

import picover as pc
from picover.engine.severity import ScipySeverity
from picover.model import sizing
from picover.model.costs import CostContext, LognormalCost

incident = importlib.import_module("picover.model.incident")
quote_module = importlib.import_module("picover.pricing.quote")

MODEL = pc.BreachModel.preset("kr")


def org(records: float) -> pc.Organisation:
    return pc.Organisation(records=int(records), annual_sales=5e10, sector="retail")


def test_results_do_not_share_the_scratch_arrays():
    sev = stats.lognorm(2.0, scale=3e5)
    first = pc.compound(stats.poisson(0.3), sev)
    kept = first.probs.copy()
    pc.compound(stats.poisson(2.0), stats.lognorm(1.0, scale=1e4))
    pc.compound(stats.nbinom(2, 0.5), sev, first_severity=stats.lognorm(1.0, scale=5e5))
    assert np.array_equal(first.probs, kept)
    assert first.mean() == pytest.approx(0.3 * float(sev.mean()), rel=1e-12)


@pytest.mark.parametrize("loc", [0.0, 7.0])
@pytest.mark.parametrize("q", [0.0, 1e-12, 0.25, 0.5, 0.999999, 1.0, 1.5, -0.5])
def test_closed_form_lognormal_quantile_is_scipys(q, loc):
    dist = stats.lognorm(1.7, loc=loc, scale=2e5)
    ours = ScipySeverity(dist).ppf(q)
    assert np.array_equal(ours, np.asarray(dist.ppf(q)), equal_nan=True)
    levels = np.array([0.1, 0.5, 0.9])
    assert np.array_equal(ScipySeverity(dist).ppf(levels), dist.ppf(levels))


def _lognormal_grid_reference(cost, k, bucket, n, limit):
    """The straightforward (allocating) form of LognormalCost.on_grid."""
    m = n if math.isinf(limit) else min(n, math.ceil(limit / bucket - 1e-9) + 2)
    x = bucket * np.arange(m, dtype=np.float64)
    med = np.asarray(cost.median_at(k), dtype=np.float64)[:, None]
    s = cost.sigma
    mean = med * math.exp(s * s / 2.0)
    with np.errstate(divide="ignore"):
        u = (np.log(x)[None, :] - np.log(med)) / s

    def stop_loss(u, x):
        sf = special.ndtr(-u)
        return sf, mean * special.ndtr(s - u) - x * sf

    sf, pi = stop_loss(u, x[None, :])
    if math.isfinite(limit):
        u_l = (math.log(limit) - np.log(med)) / s
        _, pi_l = stop_loss(u_l, limit)
        below = x[None, :] < limit
        pi = np.where(below, pi - pi_l, 0.0)
        sf = np.where(below, sf, 0.0)
    probs = np.zeros((k.size, n))
    d = pi[:, :-1] - pi[:, 1:]
    probs[:, 0] = 1.0 - d[:, 0] / bucket
    probs[:, 1 : m - 1] = (d[:, :-1] - d[:, 1:]) / bucket
    probs[:, m - 1] = d[:, -1] / bucket - sf[:, -1]
    np.maximum(probs, 0.0, out=probs)
    return probs, sf[:, -1]


@pytest.mark.parametrize("limit", [math.inf, 4e7, 3e8, 2.5e6])
def test_lognormal_cost_grid_equals_the_plain_formula(limit):
    cost = LognormalCost(median=3.4e7, elasticity=0.4, sigma=1.2)
    k, _ = MODEL._nodes(3e6)
    probs, tail, _ = cost.on_grid(k, CostContext(3e6, 1e11), 9e5, 1112, limit)
    ref_probs, ref_tail = _lognormal_grid_reference(cost, k, 9e5, 1112, limit)
    assert np.array_equal(probs, ref_probs)
    assert np.array_equal(tail, ref_tail)


@pytest.mark.parametrize("records", [1e4, 1e5])
def test_nodes_of_zero_weight_change_nothing(records):
    o = org(records)
    k, w = MODEL._nodes(o.records)
    assert (w == 0).any()  # the case this covers
    terms = MODEL.terms(None)

    def grid(k, w):
        builder = incident.IncidentBuilder(
            MODEL.costs, MODEL.litigation, k, w, MODEL._context(o), terms.sublimits, 2e6, 4096
        )
        return builder.grid(terms.first)

    full, used = grid(k, w), grid(k[w > 0], w[w > 0])
    np.testing.assert_allclose(used.probs, full.probs, rtol=0, atol=1e-15)
    assert used.tail_prob == pytest.approx(full.tail_prob, abs=1e-14)  # 1 - sum: rounding
    assert used.mean() == pytest.approx(full.mean(), rel=1e-12)


@pytest.mark.parametrize("records", [3e6, 5e7])
def test_predicting_wrap_around_changes_nothing(records, monkeypatch):
    o = org(records)
    policy = pc.Policy(limit=1e9, retention=1e7)
    predicted = MODEL.annual_loss(o, policy)
    used = []
    original = incident._wraps

    def never(n, names, total_for):
        used.append(original(n, names, total_for))
        return False

    monkeypatch.setattr(incident, "_wraps", never)
    tried = MODEL.annual_loss(o, policy)
    assert any(used)  # the prediction did skip a failed try
    assert np.array_equal(predicted.support, tried.support)
    np.testing.assert_allclose(predicted.probs, tried.probs, rtol=0, atol=1e-15)


def test_the_wrap_prediction_never_claims_a_plan_that_would_pass(monkeypatch):
    # A ground-up grid long enough for every sum: the usual plan passes, and the
    # prediction must not send it to the (less precise at the top) strong plan.
    used = []
    original = incident._wraps

    def spy(n, names, total_for):
        used.append(original(n, names, total_for))
        return used[-1]

    monkeypatch.setattr(incident, "_wraps", spy)
    MODEL.annual_loss(org(1e5))
    assert used  # (the grid's sizing pass asks too, on its own coarse grid)
    assert not any(used)


def test_a_finite_aggregate_limit_beyond_the_reach_takes_one_grid(monkeypatch):
    o = org(1e4)
    policy = pc.Policy(limit=5e9, sublimits={"investigation": 5e7}, coinsurance=0.9)
    sizes = []
    original = incident.IncidentBuilder.grid

    def counting(self, names):
        sizes.append(self.n)
        return original(self, names)

    monkeypatch.setattr(incident.IncidentBuilder, "grid", counting)
    dist = MODEL.annual_loss(o, policy)
    assert len(set(sizes)) == 1  # no grid was thrown away
    assert dist.tail_mass == 0.0
    # Independently of this FFT (an aggregate limit sends expected_losses through
    # it): the closed form without the limit, less what the limit cuts off,
    # E[(S - 5e9)+] = 0.61 KRW, read off an unlimited grid reaching 5e10.
    free = attrs.evolve(policy, limit=math.inf)
    beyond = MODEL.annual_loss(o, free, tail_tol=1e-12).layer(5e9)
    expected = MODEL.expected_losses(o, free)["total"] - beyond
    # 1e-8 of the mean resolves that cut (1.3e-5 of it) a thousand times over;
    # the two grids' own rounding is about 1e-9.
    assert dist.mean() == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("records", [3e3, 4e4, 3e5, 3e6])
@pytest.mark.parametrize(
    ("policy", "tol"),
    [(None, 1e-6), (pc.Policy(retention=1e7), 1e-6), (None, 1e-4), (pc.Policy(limit=1e14), 1e-6)],
)
def test_sizing_the_grid_by_a_coarse_pass_changes_nothing_but_the_time(
    records, policy, tol, monkeypatch
):
    # The coarse pass shortens the grid to about twice the loss exceeded with
    # probability tol (a fifth to a half of the rough reach here). Against the
    # rough reach's grid: the same mean; quantiles and TVaR up to the tail the
    # longer grid resolves within a bucket of either grid; the tail beyond
    # still below tol. (Limits only lower payments; 1e14 is far beyond reach.)
    o = org(records)
    sized = MODEL.annual_loss(o, policy, tail_tol=tol)
    monkeypatch.setattr(sizing, "coarse_reach", lambda *args: None)
    rough = MODEL.annual_loss(o, policy, tail_tol=tol)
    assert sized.tail_mass <= tol
    if records >= 4e4 and tol == 1e-6:  # long grids: the pass runs and shortens them
        assert sized.tail_from < 0.6 * rough.tail_from
    assert sized.mean() == pytest.approx(rough.mean(), rel=1e-7)
    h = max(sized.bucket, rough.bucket)
    for q in (0.99, 0.999, 1 - 10 * tol):
        assert float(sized.ppf(q)) == pytest.approx(float(rough.ppf(q)), abs=2 * h)
    assert float(sized.tvar(0.99)) == pytest.approx(float(rough.tvar(0.99)), rel=1e-3)


def test_a_retention_in_the_far_tail_keeps_the_rough_reach(monkeypatch):
    # A small firm's payments above 3e8 are all in its far tail (the chance of
    # any payment is far below the tolerance): the pass, which would end the
    # grid near 0, leaves the rough reach alone, and the mean is the layer's.
    o = pc.Organisation(1_000, 1e9, "retail")
    policy = pc.Policy(
        covers={"attorney_fees"}, retention=3e8, per_incident_limit=2e10, investigation="none"
    )
    sized = MODEL.annual_loss(o, policy)
    monkeypatch.setattr(sizing, "coarse_reach", lambda *args: None)
    rough = MODEL.annual_loss(o, policy)
    assert sized.bucket == rough.bucket
    assert sized.mean() == rough.mean()


@pytest.mark.parametrize(
    "policy",
    [
        pc.Policy(limit=1e9, retention=1e7),
        pc.Policy(limit=2e9, retention=5e6, investigation="every", per_incident_limit=1e9),
        pc.Policy(limit=1e9, aggregate_retention=1e6, retention=1e5),
    ],
)
def test_retained_loss_on_active_years_equals_all_years(policy):
    o = org(3e6)
    loss = MODEL.annual_loss(o, policy)
    retained = quote_module.retained_loss(MODEL, o, policy, loss)
    incidents = MODEL.simulate_incidents(
        o, n_sims=quote_module.RETAINED_SIMS, seed=quote_module.RETAINED_SEED
    )
    insurable = [incidents.costs[c] for c, cat in MODEL.costs.items() if cat.insurable]
    kept = incidents.yearly(np.sum(insurable, axis=0)) - incidents.payments(MODEL.terms(policy))
    assert retained.method == "mc"
    # On all years, written out: VaR v, Z = v + (R - v)+ / 0.01, and the exact
    # mean as control variate with the fitted coefficient c.
    v = float(np.sort(kept)[kept.size - 1000])
    z = v + np.maximum(kept - v, 0.0) / 0.01
    cov = np.cov(z, kept, bias=True)
    c = cov[0, 1] / cov[1, 1]
    tvar = z.mean() + c * (retained.mean - kept.mean())
    assert retained.tvar99 == pytest.approx(max(tvar, v, retained.mean), rel=1e-9)

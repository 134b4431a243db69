"""The breach model: consistency of closed forms, FFT and Monte Carlo; the clauses; monotonicity."""

from __future__ import annotations

import datetime
import itertools
import math

import attrs
import numpy as np
import pytest
from scipy import integrate, stats

import picover as pc

MODEL = pc.BreachModel.preset("kr")
# For Monte Carlo checks the rate is raised (modifier) so that each run holds
# tens of thousands of incidents and the central limit theorem applies.
BUSY = MODEL.with_params({"frequency.modifier": 20.0})
POLICIES = {
    "ground-up": None,
    "retention": pc.Policy(limit=1e9, retention=1e7),
    "sublimit": pc.Policy(limit=5e9, sublimits={"investigation": 5e7}, coinsurance=0.9),
    # A cap on the damages bends within the claimants' binomial (1e6 KRW is ten).
    "consolation cap": pc.Policy(limit=5e9, sublimits={"consolation": 1e6}),
    "layers": pc.Policy(
        limit=2e8, per_incident_limit=1e8, aggregate_retention=5e6, investigation="every"
    ),
}


def org(records: float, sector: str = "retail", **kw) -> pc.Organisation:
    return pc.Organisation(records=int(records), annual_sales=5e10, sector=sector, **kw)


@pytest.mark.parametrize("records", [1e3, 1e4, 1e5, 1e6, 1e7, 1e8])
# Only the policies whose expected loss has a closed form over K: under a
# retention or annual terms expected_losses *is* the FFT mean, so the
# independent check of those is the Monte Carlo test below.
@pytest.mark.parametrize("policy", ["ground-up", "sublimit", "consolation cap"])
def test_expected_losses_equal_the_fft_mean(records, policy):
    o = org(records)
    expected = MODEL.expected_losses(o, POLICIES[policy])["total"]
    dist = MODEL.annual_loss(o, POLICIES[policy])
    assert dist.mean() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("records", [1e3, 1e5, 1e8])
@pytest.mark.parametrize("policy", list(POLICIES))
def test_expected_losses_agree_with_monte_carlo(records, policy):
    o = org(records)
    expected = BUSY.expected_losses(o, POLICIES[policy])
    sims = BUSY.simulate(o, POLICIES[policy], n_sims=200_000, seed=int(records) % 9973)
    se = sims.insured.std() / math.sqrt(sims.n_sims)
    # Four standard errors: 24 such checks, and heavy right tails skew a sample
    # mean low (the consolation cap at 1e5 records sat at -3.1 se with its seed;
    # eight further seeds of 5e5 years averaged +0.1 se).
    assert abs(sims.insured.mean() - expected["total"]) <= 4 * se
    if policy == "ground-up":
        for name, cost in sims.by_category.items():
            se_c = cost.std() / math.sqrt(cost.size)
            assert abs(cost.mean() - expected[name]) <= 3 * se_c + 1e-9, name


def test_expected_losses_agree_with_fft_distribution_quantiles_from_monte_carlo():
    o = org(3e6)
    policy = POLICIES["retention"]
    dist = BUSY.annual_loss(o, policy)
    sims = BUSY.simulate(o, policy, n_sims=200_000, seed=3).insured
    for q in (0.9, 0.99):
        x = float(dist.ppf(q))
        p_mc = float(np.mean(sims <= x))
        slack = float(dist.cdf(x + dist.bucket) - dist.cdf(x - dist.bucket))
        assert abs(p_mc - float(dist.cdf(x))) <= 4 * math.sqrt(q * (1 - q) / sims.size) + slack


# -- the investigation clause ---------------------------------------------------


@pytest.mark.parametrize("shape", [math.inf, 2.0], ids=["poisson", "negative-binomial"])
def test_investigation_first_incident_only(shape):
    model = MODEL.with_params({"frequency.shape": shape, "frequency.modifier": 30.0})
    o = org(2e6)
    freq = model.frequency(o)
    n_dist = freq.dist
    assert n_dist.dist.name == ("poisson" if math.isinf(shape) else "nbinom")
    only = {"covers": ["investigation"]}
    first = model.expected_losses(o, pc.Policy(**only, investigation="first"))
    every = model.expected_losses(o, pc.Policy(**only, investigation="every"))
    # Covering the investigation while paying none of it is a contradiction.
    with pytest.raises(ValueError, match="covers names 'investigation' but investigation='none'"):
        pc.Policy(**only, investigation="none")
    none = model.expected_losses(o, pc.Policy(investigation="none"))
    per_incident = model.expected_losses(o)["investigation"] / freq.posterior_mean  # E[I]
    p_any = 1.0 - float(n_dist.pmf(0))
    assert first["investigation"] == pytest.approx(p_any * per_incident, rel=1e-12)
    assert every["investigation"] == pytest.approx(freq.posterior_mean * per_incident, rel=1e-12)
    assert none["investigation"] == 0.0
    # The FFT is exact for the clause: the first incident's severity differs.
    dist = model.annual_loss(o, pc.Policy(**only, investigation="first"))
    assert dist.mean() == pytest.approx(p_any * per_incident, rel=1e-9)
    sims = model.simulate(o, pc.Policy(**only, investigation="first"), n_sims=100_000, seed=1)
    se = sims.insured.std() / math.sqrt(sims.n_sims)
    assert abs(sims.insured.mean() - dist.mean()) <= 3 * se


def test_first_incident_clause_lowers_the_insured_cost():
    o = org(2e6)
    first = MODEL.expected_losses(o, pc.Policy(investigation="first"))["total"]
    every = MODEL.expected_losses(o, pc.Policy(investigation="every"))["total"]
    assert first < every


# -- frequency and credibility ---------------------------------------------------


def test_credibility_matches_a_hand_worked_poisson_gamma_example():
    # Prior: 0.1 incidents/year at 1e6 records, gamma shape 2 (rate 2 / 0.1 = 20).
    # Five years, exposures (R_t / R)^0.6 with R_t = R: w = 5; incidents 3.
    # Posterior gamma(2 + 3, 20 + 5): mean 5 / 25 = 0.2; Z = 5 / 25 = 0.2;
    # check: 0.2 * (3 / 5) + 0.8 * 0.1 = 0.12 + 0.08 = 0.2.
    model = MODEL.with_params(
        {
            "frequency.base_rate.retail": 0.1,
            "frequency.reference_records": 1e6,
            "frequency.shape": 2.0,
        }
    )
    history = pc.IncidentHistory.from_rows(
        [
            {"year": 2019 + i, "records_held": 1_000_000, "incidents": n}
            for i, n in enumerate([1, 0, 2, 0, 0])
        ]
    )
    est = model.frequency(org(1e6, history=history))
    assert est.prior_mean == pytest.approx(0.1)
    assert est.posterior_mean == pytest.approx(0.2)
    assert est.credibility == pytest.approx(0.2)
    assert est.posterior_mean == pytest.approx(
        est.credibility * est.observed_rate + (1 - est.credibility) * est.prior_mean
    )
    assert est.dist.mean() == pytest.approx(0.2)
    # Predictive negative binomial: variance = mean + mean^2 / shape' = 0.2 + 0.04 / 5.
    assert est.dist.var() == pytest.approx(0.2 + 0.04 / 5)


def test_without_a_history_the_posterior_is_the_prior_exactly():
    est = MODEL.frequency(org(3e6))
    assert est.posterior_mean == est.prior_mean  # not shape / (shape / prior), rounded
    assert est.credibility == 0.0


def test_history_exposure_weights_smaller_past_years_less():
    # Half the records five years ago: that year counts (0.5)^0.6 = 0.66 of a year.
    model = MODEL.with_params(
        {"frequency.reference_records": 1e6, "frequency.base_rate.retail": 0.1}
    )
    history = pc.IncidentHistory.from_rows(
        [{"year": 2020, "records_held": 500_000, "incidents": 0}]
    )
    est = model.frequency(org(1e6, history=history))
    assert est.exposure_observed == pytest.approx(0.5**0.6)


@pytest.mark.parametrize("elasticity", [0.0, 0.6])
def test_a_year_holding_no_records_adds_no_exposure(elasticity):
    # A year with no records held observed nothing. With elasticity 0 it once
    # counted a full year, since (0 / R) ** 0 = 1: one clean year at 3e6 records
    # gives w = 1 and, with shape 1.5 and rate 0.05, the posterior mean
    # 1.5 / (1.5 / 0.05 + 1) = 1.5 / 31 = 0.048387, not 1.5 / 32.
    model = MODEL.with_params(
        {
            "frequency.base_rate.retail": 0.05,
            "frequency.reference_records": 3e6,
            "frequency.size_elasticity": elasticity,
            "frequency.shape": 1.5,
        }
    )
    history = pc.IncidentHistory.from_rows(
        [
            {"year": 2021, "records_held": 0, "incidents": 0},
            {"year": 2022, "records_held": 3_000_000, "incidents": 0},
        ]
    )
    est = model.frequency(org(3e6, history=history))
    assert est.exposure_observed == pytest.approx(1.0)
    assert est.posterior_mean == pytest.approx(1.5 / 31)


def test_incidents_in_the_history_raise_the_cost():
    rows = lambda n: [  # noqa: E731
        {"year": 2020 + i, "records_held": 3_000_000, "incidents": n if i < 3 else 0}
        for i in range(5)
    ]
    clean = org(3e6, history=pc.IncidentHistory.from_rows(rows(0)))
    hit = org(3e6, history=pc.IncidentHistory.from_rows(rows(1)))  # 3 incidents in 5 years
    assert MODEL.frequency(hit).posterior_mean > MODEL.frequency(clean).posterior_mean
    assert MODEL.expected_losses(hit)["total"] > MODEL.expected_losses(clean)["total"]
    assert MODEL.frequency(clean).credibility > 0


def test_certain_rate_ignores_history():
    model = MODEL.with_params({"frequency.shape": math.inf})
    history = pc.IncidentHistory.from_rows([{"year": 2020, "records_held": 10, "incidents": 5}])
    est = model.frequency(org(1e4, history=history))
    assert est.credibility == 0.0
    assert est.posterior_mean == est.prior_mean
    assert est.dist.dist.name == "poisson"


# -- monotonicity and linearity ------------------------------------------------


def test_expected_loss_rises_with_records():
    totals = [MODEL.expected_losses(org(r))["total"] for r in np.logspace(1, 9, 17)]
    assert all(b > a for a, b in itertools.pairwise(totals))


def test_consolation_is_linear_in_award_and_claim_rate_up_to_the_cap():
    o = org(5e6)

    def consolation(award: float, rate: float) -> float:
        model = MODEL.with_params({"consolation.award": award, "consolation.claim_rate": rate})
        return model.expected_losses(o)["consolation"]

    base = consolation(1e5, 0.003)
    assert consolation(2e5, 0.003) == pytest.approx(2 * base, rel=1e-12)
    assert consolation(3e5, 0.003) == pytest.approx(3 * base, rel=1e-12)
    assert consolation(1e5, 0.009) == pytest.approx(3 * base, rel=1e-12)
    # Beyond the statutory cap (3,000,000 KRW per person) the award stops counting.
    assert consolation(5e6, 0.003) == pytest.approx(consolation(3e6, 0.003), rel=1e-12)
    assert consolation(3e6, 0.003) == pytest.approx(30 * base, rel=1e-12)


def test_consolation_hand_computation():
    # Whole-database breach only: K = R. E = E[N] * p_suit(R) * q * c * R * award.
    model = MODEL.with_params({"breach_size.p_total": 1.0})
    o = org(2e6)
    n = model.frequency(o).posterior_mean
    expected = n * 1.0 * 0.5 * 0.003 * 2e6 * 1e5  # p_suit(2e6) = 1 above 1e6 records
    assert model.expected_losses(o)["consolation"] == pytest.approx(expected, rel=1e-12)


def test_fines_are_reported_but_not_in_the_total_or_the_cover():
    o = org(5e6)
    gu = MODEL.expected_losses(o)
    assert gu["fines"] > 0
    assert gu["total"] == pytest.approx(
        sum(v for k, v in gu.items() if k not in ("fines", "total"))
    )
    insured = MODEL.expected_losses(o, pc.Policy())
    assert insured["fines"] == 0.0
    endorsed = MODEL.expected_losses(o, pc.Policy(covers=["fines", "consolation"]))
    assert endorsed["fines"] == pytest.approx(gu["fines"])


def test_insured_never_exceeds_ground_up_nor_the_limit():
    # Each year the insurer pays at most min(S, limit) of the ground-up total S
    # (which counts every incident's investigation), so on average at most
    # E[min(S, limit)], read off the ground-up distribution (to its grid's
    # rounding, 1e-6 here).
    o = org(3e6)
    ground_up = MODEL.annual_loss(o)
    for policy in POLICIES.values():
        if policy is None:
            continue
        insured = MODEL.expected_losses(o, policy)["total"]
        assert insured <= ground_up.lev(policy.limit) * (1 + 1e-6)
        dist = MODEL.annual_loss(o, policy)
        assert dist.support[-1] <= policy.limit


def test_aggregate_retention_beyond_the_reach_of_the_losses():
    # The grid must reach the retention before the annual terms can act on its
    # tail (a grid ending short of it used to give a negative tail_from).
    o = org(4e4)
    # A grid of given length spans the rough reach (1.15e10), past every layer
    # below; the automatic one ends where the tail thins out, about 2.7e9.
    ground_up = MODEL.annual_loss(o, n_buckets=2**15)
    assert ground_up.tail_from > 1.1e10
    every = {"investigation": "every"}  # as the ground-up loss counts it
    retentions = (1e8, 1e9, 1e10, 3e10)
    insured = [
        MODEL.expected_losses(o, pc.Policy(limit=1e9, aggregate_retention=d, **every))["total"]
        for d in retentions
    ]
    # Within the ground-up grid, the insured mean is the ground-up distribution's
    # layer 1e9 xs d (terms applied in the engine vs. read off the distribution;
    # their grids differ, whence the tolerance).
    for d, value in zip(retentions[:-1], insured, strict=False):
        assert value == pytest.approx(ground_up.layer(d, 1e9), rel=1e-4, abs=1e-3)
    # E[min((G - d)+, l)] falls as d rises, up to the FFT's rounding (on a grid
    # reaching 3e10, some 1e-7 of the mean).
    for less, more in itertools.pairwise(insured):
        assert 0 <= more <= less + 1e-6 * ground_up.mean()
    dist = MODEL.annual_loss(o, pc.Policy(limit=1e9, aggregate_retention=3e10, **every))
    assert dist.tail_from >= 0
    # Against the layer read off a ground-up grid that reaches 3.1e10 (a bucket of
    # 1e6 KRW, still fine beside this firm's incidents); the grids differ.
    far = MODEL.annual_loss(o, bucket=1e6, n_buckets=2**15)
    assert far.tail_from > 3.1e10
    assert dist.mean() == pytest.approx(far.layer(3e10, 1e9), rel=1e-3)


@pytest.mark.parametrize("records", [10, 3e6])
@pytest.mark.parametrize("terms", [{"limit": 1e20}, {"per_incident_limit": 1e20}, {"limit": 1e14}])
def test_limits_far_beyond_any_loss_change_nothing(records, terms):
    # A limit no year can reach must give the unlimited mean: the grid is not
    # stretched to it (rounding would swamp the losses), and the mean stays exact
    # up to the transform's rounding (below 1e-5, or it would warn).
    o = org(records)
    dist = MODEL.annual_loss(o, pc.Policy(investigation="every", **terms))
    assert dist.mean() == pytest.approx(MODEL.expected_losses(o)["total"], rel=1e-5)
    # The incidents' own tails (stop_loss of each category) show that no year
    # gets near the limit: the grid is the unlimited one, and so is the mean.
    unlimited = MODEL.annual_loss(o, pc.Policy(investigation="every"))
    assert dist.bucket == unlimited.bucket
    assert dist.mean() == pytest.approx(unlimited.mean(), rel=1e-12)


@pytest.mark.parametrize(
    ("records", "sector", "terms"),
    [
        # A far aggregate limit with an aggregate retention: the retention stays on
        # a grid point (the far limit is no anchor).
        (100_000, "retail", {"aggregate_retention": 52_382_809.0, "limit": 1e14}),
        (102_460_797, "retail",
         {"aggregate_retention": 5.24e7, "coinsurance": 0.877, "limit": 2.4e14}),
        # Two heavy tails (investigation and attorney fees) under a retention: the
        # limit's bounded error is below the grid's own accuracy, so no stretching.
        (100_885, "healthcare", {"retention": 7.3e7, "limit": 6.8e11}),
        (1_183_553, "healthcare", {"retention": 7.3e7, "limit": 1.29e12}),
        # A per-incident limit within reach of the grid that still never binds.
        (30_302_154, "retail", {"retention": 3.17e6, "investigation": "none",
                                "per_incident_limit": 2.05e12}),
        # A far per-incident limit with an aggregate retention beyond the grid: the
        # payment's tail stays a tail, which the annual terms see.
        (44, "retail",
         {"retention": 1.8e8, "aggregate_retention": 4e8, "per_incident_limit": 1e14}),
    ],
)  # fmt: skip
def test_far_terms_leave_the_grid_and_the_mean_alone(records, sector, terms):
    o = pc.Organisation(records=records, annual_sales=1e10, sector=sector)
    far = pc.Policy(**terms)
    near = pc.Policy(**{k: v for k, v in terms.items() if "limit" not in k})
    got, base = MODEL.annual_loss(o, far), MODEL.annual_loss(o, near)
    assert got.bucket == base.bucket
    assert got.mean() == pytest.approx(base.mean(), rel=1e-12)


@pytest.mark.parametrize("limit", [1e9, 1e10, 1e12])
def test_a_policy_paying_only_the_first_investigation(limit):
    # Later incidents pay nothing (no categories: their excess is 0, not unknown).
    # The year pays min(X, L) for the first incident's investigation X, so
    # E = P(N >= 1) sum_i w_i (E[X | k_i] - E[(X - L)+ | k_i]), lognormal closed forms.
    o = pc.Organisation(records=100_000, annual_sales=1e10, sector="retail")
    got = MODEL.annual_loss(o, pc.Policy(covers={"investigation"}, limit=limit)).mean()
    k, w = MODEL._nodes(o.records)
    ctx = MODEL._context(o)
    cost = MODEL.costs["investigation"]
    p_any = 1.0 - float(MODEL.frequency(o).counts().pmf(0))
    want = p_any * float((w * (cost.mean(k, ctx) - cost.stop_loss(k, ctx, limit))).sum())
    assert got == pytest.approx(want, rel=1e-9)


class _NoStopLoss:
    """A lognormal cost that offers only the required methods (no ``stop_loss``)."""

    def __init__(self, base: pc.LognormalCost) -> None:
        self.base, self.trigger, self.insurable = base, base.trigger, base.insurable

    def mean(self, k, ctx):  # type: ignore[no-untyped-def]
        return self.base.mean(k, ctx)

    def limited_mean(self, k, ctx, limit):  # type: ignore[no-untyped-def]
        return self.base.limited_mean(k, ctx, limit)

    def severity(self, k, ctx):  # type: ignore[no-untyped-def]
        return self.base.severity(k, ctx)

    def rvs(self, k, ctx, rng):  # type: ignore[no-untyped-def]
        return self.base.rvs(k, ctx, rng)


def test_far_limits_without_stop_loss_still_give_the_unlimited_mean():
    # Without stop_loss the tails are unknown beyond the grid: the grid grows
    # toward the limit instead, and the mean is still right.
    costs = dict(MODEL.costs)
    costs["attorney_fees"] = _NoStopLoss(MODEL.costs["attorney_fees"])
    model = pc.BreachModel(
        frequency_model=MODEL.frequency_model,
        breach_size=MODEL.breach_size,
        litigation=MODEL.litigation,
        costs=costs,
    )
    o = org(1e5)
    far = model.annual_loss(o, pc.Policy(limit=1e13, retention=1e7))
    near = model.annual_loss(o, pc.Policy(retention=1e7))
    assert far.support.size > near.support.size
    assert far.mean() == pytest.approx(near.mean(), rel=1e-6)


@pytest.mark.parametrize("k", [1.0, 37.5, 1e4, 3.3e5])
def test_each_category_stop_loss_matches_its_distribution(k):
    # stop_loss(k, ctx, x) = E[(C - x)+ | K = k, trigger], against the engine's
    # closed forms (lognormal) and atoms (the others) of the same category;
    # below zero, E[(C - x)+] = E[C] - x.
    ctx = pc.model.costs.CostContext(1e6, 1e11)
    x = np.array([-5.0, 0.0, 1e5, 1e7, 3e8, 1e9, 1e11])
    for name, category in MODEL.costs.items():
        got = category.stop_loss(k, ctx, x)
        want = category.severity(k, ctx).sf_stop_loss(np.maximum(x, 0.0))[1] + np.maximum(-x, 0.0)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-6), name


@pytest.mark.parametrize("k", [1.0, 37.5, 1e4, 3.3e5])
@pytest.mark.parametrize("limit", [math.inf, 2e6, 3e8])
def test_each_category_second_moment_matches_its_distribution(k, limit):
    # second_moment(k, ctx, L) = E[min(C, L)^2 | K = k, trigger]: against the
    # atoms of the discrete categories, and for the lognormal ones against
    # 2 * integral of t S(t) over [0, L] (or the lognormal's E[X^2]) by quad.
    ctx = pc.model.costs.CostContext(1e6, 1e11)
    for name, category in MODEL.costs.items():
        got = float(np.asarray(category.second_moment(k, ctx, limit)))
        sev = category.severity(k, ctx)
        atoms = sev.atoms()
        if atoms is not None:
            want = float(atoms[1] @ np.minimum(atoms[0], limit) ** 2)
        elif math.isinf(limit):
            want = float(sev.dist.moment(2))
        else:
            sf = sev.dist.sf
            want = 2 * integrate.quad(lambda t, sf=sf: t * sf(t), 0, limit, limit=200)[0]
        assert got == pytest.approx(want, rel=1e-9), (name, k, limit)


@pytest.mark.parametrize("records", [1e3, 1e6])
def test_the_incident_stop_loss_bound_holds_on_the_grid(records):
    # The bound on E[(X - x)+] for one incident's covered cost, against the
    # exact stop-loss of the incident's grid distribution (continuous costs move
    # up by less than a bucket per category there, hence the shift of 5 buckets).
    from picover.model.incident import IncidentBuilder, stop_loss_bound

    o = org(records)
    k, w = MODEL._nodes(o.records)
    ctx = MODEL._context(o)
    names = tuple(c for c, cat in MODEL.costs.items() if cat.insurable)
    caps = dict.fromkeys(names, math.inf)
    h, n = 1e6, 4096
    grid = IncidentBuilder(MODEL.costs, MODEL.litigation, k, w, ctx, caps, h, n).grid(names)
    values = np.append(h * np.arange(grid.probs.size), grid.tail_mean)
    probs = np.append(grid.probs, grid.tail_prob)
    x = np.array([0.0, 1e6, 1e7, 1e8, 1e9, 3e9])
    exact = np.array([(probs * np.maximum(values - t, 0.0)).sum() for t in x])
    bound = stop_loss_bound(
        MODEL.costs, MODEL.litigation, k, w, ctx, caps, names, np.maximum(x - 5 * h, 0.0)
    )
    assert np.all(bound >= exact * (1 - 1e-9) - 1e-9 * exact[0])
    # ... and it is not loose where it matters (far out, a heavy tail drives both).
    assert bound[0] == pytest.approx(exact[0], rel=1e-9)


@pytest.mark.parametrize("limit", [1e9, math.inf])
def test_aggregate_retention_far_beyond_the_losses_pays_nothing(limit):
    # A 1,000-record shop cannot lose 1e11 in a year: nothing is paid, the grid is
    # not stretched to the retention (it used to be, until rounding paid 3,798 KRW
    # at 1e17), and a finite limit does not crash on the tail's payment. The
    # incidents' own tails bound the payment below 1e-9 of a bucket: it is 0,
    # with no warning (the suite turns warnings into errors).
    o = org(1e3)
    for retention in (1e11, 1e13, 1e17):
        paid = MODEL.annual_loss(o, pc.Policy(limit=limit, aggregate_retention=retention))
        assert paid.mean() == 0.0
        assert paid.support.size == 1


def test_a_retention_near_the_losses_still_warns_that_the_payment_is_rough():
    # Where the bound cannot show the payment is nothing, the grid's figure stands,
    # with the warning: here a 1,000-record shop with a 1e10 annual retention.
    o = org(1e3)
    with pytest.warns(RuntimeWarning, match="the figure is rough"):
        paid = MODEL.annual_loss(o, pc.Policy(aggregate_retention=1e10))
    assert 0.0 <= paid.mean() <= 1e-6 * MODEL.expected_losses(o)["total"]


# -- breach size quadrature ----------------------------------------------------


@pytest.mark.parametrize("records", [1, 10, 250, 1e3, 1e5, 1e7, 1e9])
@pytest.mark.parametrize("power", [0.3, 0.76, 1.0])
def test_breach_size_quadrature_is_accurate_across_sizes(records, power):
    size = pc.PowerLawSize(p_total=0.1, k_min=250.0, exponent=0.5)
    k, w = size.nodes(records, breakpoints=(1e4, 1e6))
    assert w.sum() == pytest.approx(1.0, rel=1e-14)
    assert np.all((k >= 1) & (k <= records))
    got = float((w * k**power).sum())
    r, a, k0 = float(records), 0.5, 250.0
    if r <= k0:
        exact = r**power
    else:
        norm = k0**-a - r**-a
        partial = integrate.quad(
            lambda x: x**power * a * x ** (-a - 1) / norm, k0, r, limit=200, points=[1e4, 1e6]
        )[0]
        exact = 0.1 * r**power + 0.9 * partial
    assert got == pytest.approx(exact, rel=1e-8)


def test_other_breach_sizes():
    for size in (
        pc.FixedFractionSize(0.3),
        pc.BetaFractionSize(0.5, 4.0),
        pc.EmpiricalSize([0.001, 0.1, 1.0], [0.7, 0.2, 0.1]),
    ):
        model = pc.BreachModel(
            frequency_model=MODEL.frequency_model,
            breach_size=size,
            litigation=MODEL.litigation,
            costs=MODEL.costs,
        )
        o = org(1e6)
        k, w = size.nodes(1e6)
        assert float((k * w).sum()) == pytest.approx(size.mean(1e6), rel=1e-9)
        rng = np.random.default_rng(0)
        draws = size.rvs(np.full(200_000, 1e6), rng)
        assert draws.mean() == pytest.approx(size.mean(1e6), rel=0.02)
        assert model.annual_loss(o).mean() == pytest.approx(
            model.expected_losses(o)["total"], rel=1e-6
        )


# -- extending the model -----------------------------------------------------------


def test_a_user_category_plugs_in_without_touching_the_engine():
    interruption = pc.LognormalCost(median=2e7, elasticity=0.2, sigma=0.8)
    model = pc.BreachModel(
        frequency_model=MODEL.frequency_model,
        breach_size=MODEL.breach_size,
        litigation=MODEL.litigation,
        costs={**MODEL.costs, "business_interruption": interruption},
    )
    o = org(1e6)
    before = MODEL.expected_losses(o)["total"]
    after = model.expected_losses(o)
    assert after["total"] > before
    assert model.annual_loss(o).mean() == pytest.approx(after["total"], rel=1e-6)
    assert "business_interruption.median" in model.parameters()


def test_parameters_and_sources():
    params = MODEL.parameters()
    assert params["consolation.award"] == 1e5
    assert params["frequency.base_rate.retail"] == pytest.approx(0.0016)
    assert set(params) == set(MODEL.sources)
    for path, source in MODEL.sources.items():
        assert len(source) > 20, path
    with pytest.raises(ValueError, match=r"did you mean consolation\.award"):
        MODEL.with_params({"consolation.awards": 1.0})
    with pytest.raises(ValueError, match=r"consolation\.claim_rate"):
        MODEL.with_params({"consolation.claim_rate": 2.0})


def test_nbinom_frequency_scipy_object_is_consistent():
    est = MODEL.frequency(org(1e6))
    counts = est.counts()
    k = np.arange(6)
    assert np.allclose(counts.pmf(k), est.dist.pmf(k), rtol=1e-12)
    assert isinstance(est.dist, stats.distributions.rv_frozen)


def test_tail_variance_share_by_hand():
    # Payment min((S - 1)+, 10) on atoms 0, 1, 2 and a tail atom at 5:
    # paid 0, 0, 1, 4 with probabilities 1/2, 1/4, 1/8, 1/8; mean 5/8;
    # variance = 1/8 (3/8)^2 + 1/8 (27/8)^2 + 3/4 (5/8)^2 = (9 + 729 + 150) / 512;
    # the tail's share = (729 / 512) / (888 / 512) = 729 / 888.
    from picover.engine.fft import Aggregate
    from picover.model.annual import tail_variance_share
    from picover.model.policy import Terms

    agg = Aggregate(1.0, np.array([0.0, 1.0, 2.0, 5.0]), np.array([0.5, 0.25, 0.125, 0.125]),
                    0.125, 5.0)  # fmt: skip
    terms = Terms(("a",), ("a",), {"a": math.inf}, 0.0, math.inf, 1.0, 1.0, 10.0)
    assert tail_variance_share(agg, terms) == pytest.approx(729 / 888, rel=1e-12)


def test_recommendation_without_second_moments_falls_back_on_the_reach():
    # A category without second_moment leaves the variance unknown: the first
    # cap comes from the grid's rough reach instead of Cantelli's bound, and the
    # recommendation is the same as with the lognormal's own methods (the
    # exceedances agree to the grids' accuracy: they differ only in length).
    costs = dict(MODEL.costs)
    costs["attorney_fees"] = _NoStopLoss(MODEL.costs["attorney_fees"])
    model = attrs.evolve(MODEL, costs=costs)
    o = pc.Organisation(records=2_000_000, annual_sales=5e10, sector="retail")
    assert model._plain_moments(o, pc.Policy())[1] is None
    day = datetime.date(2018, 1, 1)  # no statutory minimum to decide for both
    got = pc.recommend_coverage(o, model=model, as_of=day)
    want = pc.recommend_coverage(o, model=MODEL, as_of=day)
    assert got.rule == want.rule == "exceedance"
    assert got.limit == want.limit
    assert got.exceedance == pytest.approx(want.exceedance, rel=0.02)


@pytest.mark.parametrize(
    "name", ["investigation", "attorney_fees", "consolation", "crisis_management", "fines"]
)
def test_each_categorys_ppf_against_its_own_draws(name):
    # The sizing of the grid reads a category's ppf(q, k, ctx); here it is checked
    # against the empirical quantile of 200,000 draws at two breach sizes (whole
    # records, where the consolation's rounding up is exact). The binomial and
    # surcharge quantiles are steps, so the draws must find the same step; a
    # lognormal's empirical 99% quantile has a relative standard error of about
    # sigma * sqrt(0.01 * 0.99 / n) / phi(2.33) = 0.4% for sigma 1; 2% is 5 of them.
    model = pc.BreachModel.preset("kr")
    cost = model.costs[name]
    ctx = pc.model.costs.CostContext(records=5e6, annual_sales=2e11)
    rng = np.random.default_rng(7)
    for k in (3e3, 2e5):
        draws = cost.rvs(np.full(200_000, k), ctx, rng)
        for q in (0.5, 0.9, 0.99):
            expected = float(np.quantile(draws, q, method="inverted_cdf"))
            got = float(cost.ppf(q, k, ctx))
            assert got == pytest.approx(expected, rel=0.02, abs=1.0), (k, q)


@pytest.mark.parametrize("records", [1e3, 1e5, 3e6, 5e7])
@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-6])
@pytest.mark.parametrize("policy", [None, pc.Policy(limit=1e9, retention=1e7)])
def test_the_reach_is_exceeded_no_more_often_than_promised(records, tol, policy):
    # reach(tol) is a bound from the largest incident and the count, computed
    # without a distribution: the distribution, on a grid reaching far beyond
    # (tail_tol 1e-9), exceeds it with probability at most tol.
    o = org(records)
    x = MODEL.reach(o, policy, tol=tol)
    dist = MODEL.annual_loss(o, policy, tail_tol=1e-9)
    beyond = dist.tail_mass if x > dist.tail_from else float(dist.sf(x))
    assert beyond <= tol

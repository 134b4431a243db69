"""Premium principles by hand; quotes, recommendations and comparisons."""

from __future__ import annotations

import datetime
import itertools
import math

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import picover as pc
from picover.pricing.quote import ground_up_for, retained_loss, retained_mean, tvar_with_mean

DAY = datetime.date(2025, 1, 1)
MODEL = pc.BreachModel.preset("kr")
# Losses 0, 1 and 5 million KRW with probabilities 0.9, 0.08, 0.02.
SMALL = pc.LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
MEAN = 0.08e6 + 0.1e6  # 180,000
VAR = 0.08 * 1e12 + 0.02 * 25e12 - MEAN**2  # E[S^2] - mean^2


def shop(**kw) -> pc.Organisation:
    return pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail", **kw)


# -- premium principles, each against a hand computation ----------------------------


def test_expected_value_principle():
    assert pc.ExpectedValue(0.3).risk_load(SMALL) == pytest.approx(0.3 * 180_000)


def test_standard_deviation_principle():
    assert pc.StandardDeviation(0.5).risk_load(SMALL) == pytest.approx(0.5 * math.sqrt(VAR))


def test_cost_of_capital_on_var_and_tvar():
    # VaR 99%: P(S <= 1e6) = 0.98 < 0.99, so VaR = 5e6; TVaR 99% = 5e6 (the atom).
    # VaR 95% = 1e6; TVaR 95% = (0.02 * 5e6 + 0.03 * 1e6) / 0.05 = 2.6e6.
    assert pc.CostOfCapital(0.1, 0.99, "var").risk_load(SMALL) == pytest.approx(0.1 * (5e6 - MEAN))
    assert pc.CostOfCapital(0.1, 0.95, "var").risk_load(SMALL) == pytest.approx(0.1 * (1e6 - MEAN))
    assert pc.CostOfCapital(0.1, 0.95, "tvar").risk_load(SMALL) == pytest.approx(
        0.1 * (2.6e6 - MEAN)
    )


def test_wang_transform_by_hand():
    # Premium = integral of g(P(S > x)) dx = 1e6 * g(0.1) + 4e6 * g(0.02).
    lam = 0.25
    g = lambda u: norm.cdf(norm.ppf(u) + lam)  # noqa: E731
    expected = 1e6 * g(0.1) + 4e6 * g(0.02) - MEAN
    assert pc.WangTransform(lam).risk_load(SMALL) == pytest.approx(expected, rel=1e-12)
    assert pc.WangTransform(0.0).risk_load(SMALL) == 0.0  # the identity: no load at all
    # A small lam keeps its digits: the load is about lam times the integral of
    # phi(Phi^-1(u)) over the steps (the first-order term of g), 1e-9 of the mean.
    tiny = 1e-9
    first_order = tiny * (1e6 * norm.pdf(norm.ppf(0.1)) + 4e6 * norm.pdf(norm.ppf(0.02)))
    assert pc.WangTransform(tiny).risk_load(SMALL) == pytest.approx(first_order, rel=1e-6)


def test_premium_basis_keeps_every_component():
    basis = pc.PremiumBasis(pc.ExpectedValue(0.2), expense_ratio=0.25, profit_margin=0.05)
    p = basis.apply(SMALL)
    # (180,000 + 36,000) / 0.7 = 308,571.43
    assert p.gross == pytest.approx(216_000 / 0.7)
    assert p.expenses == pytest.approx(0.25 * p.gross)
    assert p.profit == pytest.approx(0.05 * p.gross)
    assert p.pure + p.risk_load + p.expenses + p.profit == pytest.approx(p.gross)
    assert p.minimum_uplift == 0.0
    floor = pc.PremiumBasis(pc.ExpectedValue(0.2), minimum=1e6).apply(SMALL)
    assert floor.gross == 1e6
    assert floor.pure + floor.risk_load + floor.expenses + floor.profit + floor.minimum_uplift == (
        pytest.approx(1e6)
    )
    assert "gross premium" in str(floor)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pc.PremiumBasis(expense_ratio=0.7, profit_margin=0.4), "below 1"),
        (lambda: pc.PremiumBasis(expense_ratio=-0.1), "expense_ratio"),
        (lambda: pc.CostOfCapital(level=1.0), "level"),
        (lambda: pc.CostOfCapital(measure="es"), "measure"),
        (lambda: pc.ExpectedValue(-1.0), "loading"),
        (lambda: pc.PremiumBasis(principle="ev"), "principle"),
    ],
)
def test_premium_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_wang_needs_the_whole_distribution():
    from scipy import stats

    heavy = pc.compound(stats.poisson(0.3), stats.lognorm(2.0, scale=1e5), tail_tol=1e-3,
                        n_buckets=1024)  # fmt: skip
    with pytest.raises(ValueError, match="beyond the grid"):
        pc.WangTransform(0.3).risk_load(heavy)


# -- quotes -------------------------------------------------------------------------------


def test_quote_figures_are_consistent():
    policy = pc.Policy(limit=1e9, retention=1e7)
    q = pc.quote(shop(name="online retailer"), policy, as_of=DAY)
    assert q.expected_insured["total"] == pytest.approx(q.loss.mean(), rel=1e-12)
    assert q.expected_insured["total"] == pytest.approx(
        MODEL.expected_losses(shop(), policy)["total"], rel=1e-9
    )
    assert sum(v for k, v in q.expected_insured.items() if k != "total") == pytest.approx(
        q.expected_insured["total"]
    )
    assert q.premium.pure == pytest.approx(q.loss.mean())
    assert q.rate_on_line == pytest.approx(q.premium.gross / 1e9)
    assert q.p_exhaust == pytest.approx(float(q.loss.sf(1e9 - 1)))
    assert q.retained.mean == pytest.approx(
        q.expected_ground_up["total"] - q.expected_insured["total"]
    )
    assert q.retained.method == "mc"
    assert q.retained.tvar99 > q.retained.mean
    assert q.frequency.prior_mean == pytest.approx(MODEL.frequency(shop()).prior_mean)
    assert q.statutory.required
    assert q.statutory.compliant is True
    text = str(q)
    for fragment in ("online retailer", "gross premium", "rate on line", "pipa_2023", "KRW"):
        assert fragment in text


def test_quote_retained_loss_is_exact_when_it_can_be():
    # Annual terms only, every category, investigation every time: the retained
    # loss is min(G, d) + (G - d - l)+ of the year's ground-up total G.
    policy = pc.Policy(limit=5e8, aggregate_retention=1e7, investigation="every")
    q = pc.quote(shop(), policy, as_of=DAY)
    assert q.retained.method == "exact"
    sims = MODEL.simulate(shop(), policy, n_sims=200_000, seed=4)
    ground = sum(v for k, v in sims.by_category.items() if k != "fines")
    kept = np.sort(ground - sims.insured)
    worst = kept[int(0.99 * kept.size) :]
    se = worst.std() / math.sqrt(worst.size)
    assert abs(worst.mean() - q.retained.tvar99) <= 4 * se + 0.01 * q.retained.tvar99


def test_below_the_minimum_is_flagged():
    q = pc.quote(shop(), pc.Policy(limit=5e8), as_of=DAY)
    assert q.statutory.minimum_coverage == 1e9
    assert q.statutory.compliant is False
    assert "does NOT meet the statutory minimum: the limit 500,000,000 is below" in str(q)


@pytest.mark.parametrize(
    ("terms", "shortfall"),
    [
        (dict(limit=1e9, covers=[]), "it does not cover consolation"),
        (dict(limit=1e9, per_incident_limit=1.0), "the per-incident limit 1 is below the minimum"),
        (dict(limit=2e9, per_incident_limit=1e9), ""),
        # The decree sets an amount: a retention per incident is not judged, nor a
        # share of an unlimited incident (a large enough leak still pays the limit).
        (dict(limit=1e9, retention=1e7, coinsurance=0.5), ""),
        # But a share of a per-incident limit caps what one leak pays: half of
        # 1.5e9 is 7.5e8; and 1.2e9 less an aggregate retention of 3e8 is 9e8.
        (
            dict(limit=1e9, per_incident_limit=1.5e9, coinsurance=0.5),
            "the most it pays for one leak, 750,000,000 (0.5 of the per-incident limit",
        ),
        (
            dict(limit=1e9, per_incident_limit=1.2e9, aggregate_retention=3e8),
            "the most it pays for one leak, 900,000,000 (the per-incident limit "
            "1,200,000,000 less the aggregate retention 300,000,000)",
        ),
        (dict(limit=1e9, per_incident_limit=2e9, coinsurance=0.5), ""),
        # The damages' sublimit, too, pays only its share: 0.8 of 1.2e9 is 9.6e8;
        # and less an aggregate retention, as the per-incident limit does.
        (
            dict(limit=1e9, sublimits={"consolation": 1.2e9}, coinsurance=0.8),
            "consolation (1,200,000,000 at coinsurance 0.8, paying at most 960,000,000)",
        ),
        (
            dict(limit=1e9, sublimits={"consolation": 1.2e9}, aggregate_retention=3e8),
            "consolation (1,200,000,000 less the aggregate retention 300,000,000, paying at "
            "most 900,000,000)",
        ),
    ],
)
def test_what_a_policy_can_pay_for_a_leak_must_reach_the_minimum(terms, shortfall):
    # A policy that covers no damages to data subjects, or caps a leak at 1 KRW,
    # once showed as compliant: only its aggregate limit was read.
    q = pc.quote(shop(), pc.Policy(**terms), as_of=DAY)
    assert q.statutory.minimum_coverage == 1e9
    assert q.statutory.compliant is (shortfall == "")
    assert shortfall in q.statutory.shortfall
    rows = pc.compare(shop(), [pc.Offer("A", pc.Policy(**terms), premium=1e7)], as_of=DAY)
    assert rows[0].compliant is q.statutory.compliant


def test_an_aggregate_retention_alone_does_not_cap_what_a_leak_can_pay():
    # Without a per-incident limit a large enough leak pays the whole limit,
    # however far the aggregate retention: how often it pays is not judged.
    from picover.pricing.quote import compliance

    far = compliance(shop(), pc.Policy(limit=1e9, aggregate_retention=1e12), DAY)
    assert far.compliant is True
    assert far.shortfall == ""
    capped = compliance(
        shop(), pc.Policy(limit=1e9, per_incident_limit=1e12, aggregate_retention=1e12), DAY
    )
    assert capped.compliant is False
    assert "the most it pays for one leak, 0 " in capped.shortfall


def test_quote_before_the_duty_applies():
    small = pc.Organisation(records=5_000, annual_sales=2e9, sector="retail")
    q = pc.quote(small, pc.Policy(limit=5e7), as_of=DAY)
    assert q.statutory.required is False
    assert q.statutory.compliant is None


def test_quote_errors():
    with pytest.raises(TypeError, match="policy must be a picover Policy"):
        pc.quote(shop(), {"limit": 1e9})
    with pytest.raises(TypeError, match="premium must be a PremiumBasis"):
        pc.quote(shop(), pc.Policy(), premium=0.2)
    with pytest.raises(TypeError, match="as_of must be a datetime.date"):
        pc.quote(shop(), pc.Policy(), as_of="2025-01-01")
    with pytest.raises(ValueError, match="seed applies to method='mc' only"):
        pc.quote(shop(), pc.Policy(), seed=1, as_of=DAY)


def test_a_simulated_quote_repeats_with_its_seed():
    policy = pc.Policy(limit=1e9, retention=1e7)
    first, again, other = (
        pc.quote(shop(), policy, method="mc", seed=s, as_of=DAY) for s in (7, 7, 8)
    )
    assert first.premium.gross == again.premium.gross
    assert first.premium.gross != other.premium.gross


def test_quote_ground_up_total_counts_what_the_policy_covers():
    # A finance firm with 1e12 KRW of sales: the fines (a share of sales) dwarf the
    # rest, and an endorsement covers them.
    firm = pc.Organisation(records=20_000, annual_sales=1e12, sector="finance")
    q = pc.quote(firm, pc.Policy(limit=1e10, covers=["fines", "consolation"]), as_of=DAY)
    gu = q.expected_ground_up
    assert gu["total"] == pytest.approx(sum(v for k, v in gu.items() if k != "total"))
    assert q.expected_insured["total"] <= gu["total"]
    assert q.expected_insured["fines"] == pytest.approx(gu["fines"], rel=1e-9)  # no limit bites
    # Without the endorsement the ground-up total leaves the fines out, as the model does.
    plain = pc.quote(firm, pc.Policy(limit=1e10), as_of=DAY)
    assert plain.expected_ground_up["total"] == MODEL.expected_losses(firm)["total"]
    assert plain.expected_ground_up["total"] == pytest.approx(gu["total"] - gu["fines"])


@pytest.mark.parametrize(
    ("records", "sales", "terms"),
    [
        (40_000, 3e9, {}),  # the limit is exhausted once in about 10^5 years
        (40_000, 3e9, {"aggregate_retention": 1e6}),
        (3_000_000, 120e9, {"aggregate_retention": 5e7}),
    ],
)
def test_simulated_retained_tvar_agrees_with_the_exact_one(records, sales, terms):
    # A sublimit of 1e18 changes nothing but sends the retained TVaR down the
    # simulated path; the exact path reads it off the ground-up distribution.
    o = pc.Organisation(records=records, annual_sales=sales, sector="retail")
    exact = pc.quote(o, pc.Policy(limit=1e9, investigation="every", **terms), as_of=DAY).retained
    policy = pc.Policy(limit=1e9, investigation="every", sublimits={"investigation": 1e18}, **terms)
    simulated = pc.quote(o, policy, as_of=DAY).retained
    assert (exact.method, simulated.method) == ("exact", "mc")
    assert simulated.mean == pytest.approx(exact.mean, rel=1e-9)
    # Within 3 standard errors, plus the exact figure's own grid accuracy.
    tolerance = 3 * simulated.tvar99_se + 1e-5 * exact.tvar99
    assert abs(simulated.tvar99 - exact.tvar99) <= tolerance


def test_exact_retained_tvar_is_the_ground_up_grids_own_when_its_tail_is_beyond_the_terms():
    # Policy with an aggregate retention: the retained loss is G - min((G - d)+, l)
    # of the year's ground-up total G. The ground-up grid's tail lies beyond
    # d + l, where that is linear in G, so the TVaR is the grid's own, sorted by
    # hand (discrete_summary). It was 88,000 KRW higher: the two grids' rounding
    # at d, a hundred times over, counted as years the tail hides.
    from tests.reference import discrete_summary

    org = pc.Organisation(records=3_000_000, annual_sales=5e10, sector="retail")
    policy = pc.Policy(limit=5e8, aggregate_retention=2e7, investigation="every")
    gu = MODEL.annual_loss(org)
    assert gu.tail_from > policy.aggregate_retention + policy.limit
    g = gu.support
    kept = g - np.minimum(np.maximum(g - policy.aggregate_retention, 0.0), policy.limit)
    _, by_hand = discrete_summary(kept, gu.probs, 0.99)
    got = retained_loss(MODEL, org, policy, MODEL.annual_loss(org, policy), gu)
    assert got.method == "exact"
    assert got.tvar99 == pytest.approx(by_hand, rel=1e-9)


@pytest.mark.parametrize("records", [3_000_000, 20_000_000])
def test_without_a_limit_no_year_keeps_more_than_the_aggregate_retention(records):
    # An unlimited policy with an aggregate retention d leaves min(G, d) a year:
    # its TVaR is at most d, and here (more than 1% of years reach d) exactly d,
    # as sorting the ground-up grid by hand says. It once read 11.7 million for
    # d = 10 million: the grids' rounding, counted a hundred times as hidden tail.
    from tests.reference import discrete_summary

    org = pc.Organisation(records=records, annual_sales=5e11, sector="retail")
    policy = pc.Policy(aggregate_retention=1e7, investigation="every")
    q = pc.quote(org, policy, as_of=DAY)
    gu = MODEL.annual_loss(org)
    _, by_hand = discrete_summary(np.minimum(gu.support, 1e7), gu.probs, 0.99)
    assert q.retained.method == "exact"
    assert q.retained.tvar99 <= 1e7
    assert q.retained.tvar99 == pytest.approx(by_hand, rel=1e-12)


def test_a_policy_that_pays_everything_leaves_nothing():
    # Unlimited, no retention, every incident's investigation: the insured mean is
    # the ground-up one up to the FFT's rounding, which must not surface as a
    # negative (or positive) retained loss.
    big = pc.Organisation(records=30_000_000, annual_sales=1e11, sector="retail")
    q = pc.quote(big, pc.Policy(investigation="every"), as_of=DAY)
    assert q.expected_insured["total"] == pytest.approx(q.expected_ground_up["total"], rel=1e-9)
    assert (q.retained.mean, q.retained.tvar99) == (0.0, 0.0)


def test_far_limits_keep_the_premium_and_the_recommendation_sound():
    # Limits beyond any plausible year change the premium by no more than grid
    # accuracy, and never lower it below a smaller limit's.
    o = pc.Organisation(records=1_000_000, annual_sales=1e11, sector="online_platform")
    gross = [
        pc.quote(o, pc.Policy(limit=lim, investigation="every"), as_of=DAY).premium.gross
        for lim in (1e10, 1e11, 1e13, 3e13, 1e14)
    ]
    for smaller, larger in itertools.pairwise(gross):
        assert larger >= smaller * (1 - 1e-3)
    # A tiny organisation under the cost-of-risk rule, whose ladder runs far beyond
    # its losses: the exceedance beyond the grid is the tail bound, not an error.
    tiny = pc.Organisation(records=10, annual_sales=1e9, sector="healthcare")
    rec = pc.recommend_coverage(tiny, rule="cost_of_risk", as_of=DAY)
    assert 0.0 <= rec.exceedance <= 1e-6


def test_simulated_quote_keeps_nothing_under_full_cover():
    # method="mc": the insured mean is simulated, the ground-up exact; their gap
    # within three standard errors is noise, not a retained loss.
    shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    policy = pc.Policy(investigation="every")
    for seed in range(5):
        insured = MODEL.annual_loss(shop, policy, method="mc", seed=seed)
        se = insured.std() / math.sqrt(insured.n_sims)
        assert abs(insured.mean() - MODEL.expected_losses(shop)["total"]) <= 4 * se  # noise
        assert retained_loss(MODEL, shop, policy, insured).mean == 0.0


def test_a_payment_above_the_loss_beyond_rounding_warns():
    assert retained_mean(1e6, 1e6 * (1 + 1e-12)) == 0.0  # rounding: nothing kept
    with pytest.warns(RuntimeWarning, match="exceeds the expected loss it covers"):
        assert retained_mean(1e6, 1.1e6) == 0.0


def test_tvar_with_mean_against_the_plain_sample():
    # With the sample's own mean, the control variate adds nothing: the sample's TVaR.
    rng = np.random.default_rng(5)
    values = rng.lognormal(0.0, 1.0, 50_000) * (rng.random(50_000) < 0.3)
    worst = np.sort(values)[-500:]
    plain = float(worst.mean())
    same, se = tvar_with_mean(values, values.size, float(values.mean()), 0.99)
    assert same == pytest.approx(plain, rel=1e-12)
    assert 0 < se <= float(worst.std()) / math.sqrt(500)  # never worse than the plain sample
    # The correction is the regression on R of Z = v + (R - v)+ / 0.01, by hand; the
    # error adds the unplaced part (100 - c) * 1 of the missing mean.
    v = float(worst[0])
    z = v + np.maximum(values - v, 0.0) / 0.01
    cov = np.cov(z, values, bias=True)
    c = cov[0, 1] / cov[1, 1]
    shifted, se = tvar_with_mean(values, values.size, float(values.mean()) + 1.0, 0.99)
    assert shifted == pytest.approx(plain + c, rel=1e-9)
    sampling = (cov[0, 0] - c * cov[0, 1]) / values.size
    assert se == pytest.approx(math.sqrt(sampling + (1 / 0.01 - c) ** 2), rel=1e-6)
    # Rare losses (fewer than 1% of years): the TVaR is E[R] / 0.01 whatever the
    # sample shows. Seven years of 1e4 in 5e4 make a sample mean of 1.4; an exact
    # mean of 1e4 (losses the sample missed) gives 1e4 / 0.01 = 1e6.
    rare = np.zeros(50_000)
    rare[:7] = 1e4
    tvar, se = tvar_with_mean(rare, rare.size, 1e4, 0.99)
    assert tvar == pytest.approx(1e6, rel=1e-12)
    assert se == pytest.approx(0.0, abs=1e-6)
    # Years not given count as zero losses.
    assert tvar_with_mean(rare[:7], rare.size, 1e4, 0.99)[0] == pytest.approx(1e6, rel=1e-12)
    # A TVaR is at least the VaR and the mean, whatever the noise in the correction.
    low, _ = tvar_with_mean(values, values.size, 0.0, 0.99)
    assert low >= v


# -- monotonicity, by hypothesis over organisations and policies -----------------------

ORGS = st.builds(
    lambda r, s, sector: pc.Organisation(records=r, annual_sales=s, sector=sector),
    st.integers(min_value=100, max_value=50_000_000),
    st.floats(min_value=1e8, max_value=1e12),
    st.sampled_from(sorted(MODEL.frequency_model.base_rate)),
)
LIMITS = st.sampled_from([5e7, 1e8, 5e8, 1e9, 5e9])
RETENTIONS = st.sampled_from([0.0, 1e6, 1e7, 5e7])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(org=ORGS, limit=LIMITS, retention=RETENTIONS)
def test_premium_rises_with_limit_and_falls_with_retention(org, limit, retention):
    basis = pc.PremiumBasis(pc.StandardDeviation(0.1))

    def gross(lim: float, ret: float) -> float:
        return basis.apply(MODEL.annual_loss(org, pc.Policy(limit=lim, retention=ret))).gross

    base = gross(limit, retention)
    assert gross(2 * limit, retention) >= base * (1 - 1e-9)
    assert gross(limit, retention + 1e7) <= base * (1 + 1e-9)


COVERS = st.sampled_from(
    [None, ["fines", "consolation"], [*MODEL.costs]]  # the default, and with an endorsement
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    org=ORGS,
    limit=LIMITS,
    retention=RETENTIONS,
    clause=st.sampled_from(["first", "every"]),
    covers=COVERS,
)
def test_insured_never_exceeds_ground_up_nor_the_limit(org, limit, retention, clause, covers):
    policy = pc.Policy(limit=limit, retention=retention, investigation=clause, covers=covers)
    insured = MODEL.expected_losses(org, policy)
    # What the quote reports as ground-up: its total counts the endorsed fines.
    ground = ground_up_for(MODEL, policy, MODEL.expected_losses(org))
    # The FFT's rounding on a grid up to the limit moves the insured mean by some
    # 1e-16 of the limit per grid point: a KRW-millionth on a tiny expected loss.
    slack = 1e-12 * limit
    assert insured["total"] <= ground["total"] * (1 + 1e-9) + slack
    assert insured["total"] <= limit
    for name in ground:
        if name != "total":
            assert insured[name] <= ground[name] * (1 + 1e-9) + slack


@settings(max_examples=20, deadline=None)
@given(org=ORGS)
def test_first_incident_clause_lowers_investigation_as_the_model_predicts(org):
    first = MODEL.expected_losses(org, pc.Policy(investigation="first"))["investigation"]
    every = MODEL.expected_losses(org, pc.Policy(investigation="every"))["investigation"]
    freq = MODEL.frequency(org)
    p_any = 1 - float(freq.dist.pmf(0))
    assert first == pytest.approx(every * p_any / freq.posterior_mean, rel=1e-9)
    assert first <= every


# -- recommended coverage ---------------------------------------------------------------


@pytest.mark.parametrize("records", [20_000, 300_000, 3_000_000, 30_000_000])
def test_recommendation_meets_target_and_statutory_minimum(records):
    org = pc.Organisation(records=records, annual_sales=120e9, sector="online_platform")
    rec = pc.recommend_coverage(org, as_of=DAY)
    duty = pc.statutory.kr.obligation(org, as_of=DAY)
    assert rec.limit >= duty.minimum_coverage
    assert rec.exceedance <= 0.01 or rec.rule == "top of ladder"
    # Recomputed on another grid (capped at twice the limit): equal to the grid's
    # accuracy, a small fraction of the probability near the limit.
    covered = MODEL.annual_loss(org, pc.Policy(limit=2 * rec.limit))
    assert rec.exceedance == pytest.approx(float(covered.sf(rec.limit)), rel=0.01)
    if rec.rule == "exceedance":
        # The next smaller rung would not have met the target.
        smaller = [x for x in pc.pricing.DEFAULT_LADDER if x < rec.limit]
        if smaller:
            assert float(covered.sf(smaller[-1])) > 0.01
    assert rec.rule in ("exceedance", "statutory minimum", "top of ladder")


@pytest.mark.parametrize("records", [2_000, 60_000, 4_000_000, 30_000_000])
@pytest.mark.parametrize("target", [0.01, 0.002])
def test_recommendation_first_cap_covers_the_answer(records, target):
    # The first grid is capped at the rung at or above Cantelli's bound on the
    # loss in years with an incident (probability q), which no distribution's
    # quantile exceeds: the answer's rung lies below the cap, so one grid
    # answers the whole ladder.
    from picover.pricing.coverage import _Exceedance

    org = pc.Organisation(records=records, annual_sales=8e10, sector="online_platform")
    minimum = pc.statutory.kr.obligation(org, as_of=DAY).minimum_coverage
    ladder = np.asarray(pc.pricing.DEFAULT_LADDER)
    exceedance = _Exceedance(MODEL, org, target, ladder, minimum)
    uncapped = MODEL.annual_loss(org, pc.Policy())
    assert exceedance.guess > float(uncapped.ppf(1.0 - target))
    rec = pc.recommend_coverage(org, target=target, as_of=DAY)
    assert exceedance.guess > rec.limit
    # By hand: S given an incident has mean m / q and second moment
    # (v + m^2) / q; Cantelli at p / q. The cap is within the ladder's widest
    # step (2.5 times) of that bound, or the first rung, or the minimum.
    mean, var = MODEL._plain_moments(org, pc.Policy())
    q = 1.0 - float(MODEL.frequency(org).counts().pmf(0))
    share = target / q
    bound = 0.0
    if share < 1:
        m = mean / q
        bound = m + math.sqrt(((var + mean**2) / q - m**2) * (1 - share) / share)
    assert exceedance.guess <= max(2.5 * bound, ladder[0], minimum or 0.0) * 1.000001


@pytest.mark.parametrize("records", [3_000, 60_000, 2_000_000])
@pytest.mark.parametrize("side", [1.0 + 1e-6, 1.0 - 1e-6, 3.0])
def test_a_books_limit_needs_no_grid_when_an_incident_is_rarer_than_the_target(records, side):
    # _exceedance_limit (what price_portfolio uses) answers the first rung, or the
    # statutory minimum above it, with no grid when q = P(an incident) is below
    # the target: P(loss > L) <= q. Just below q, the grid decides. Either way
    # the limit is recommend_coverage's. A 2018 date has no statutory duty, so
    # the first rung itself must come out.
    from picover.pricing.coverage import _exceedance_limit

    org = pc.Organisation(records=records, annual_sales=5e10, sector="online_platform")
    q = 1.0 - float(MODEL.frequency(org).counts().pmf(0))
    target = min(q * side, 0.5)
    for day in (DAY, datetime.date(2018, 1, 1)):
        got = _exceedance_limit(org, model=MODEL, target=target, as_of=day)
        rec = pc.recommend_coverage(org, model=MODEL, target=target, as_of=day)
        assert got == rec.limit
        if side > 1:
            duty = pc.statutory.kr.obligation(org, as_of=day)
            floor = duty.minimum_coverage if duty.required else 0.0
            assert got == max(pc.pricing.DEFAULT_LADDER[0], floor)
            assert rec.exceedance <= q * (1 + 1e-12)


def test_a_far_rungs_grid_is_no_finer_than_it_needs():
    # A big firm whose answer lies beyond the first grid's cap: the later grid's
    # bucket is at most 1/256 of the rung asked about (not 1/16 of the typical
    # incident, a thousand times smaller), and the exceedance probabilities on it
    # agree with a grid of 2^17 points to 0.5%.
    org = pc.Organisation(records=21_445_099, annual_sales=3e10, sector="retail")
    rec = pc.recommend_coverage(org, model=MODEL, as_of=DAY)
    table = rec.candidates
    far = [i for i, lim in enumerate(table["limit_krw"]) if lim > 64 * table["limit_krw"][0]]
    assert far, "the answer should lie beyond the first grid"
    fine = MODEL.annual_loss(org, pc.Policy(limit=2.0 * rec.limit), n_buckets=2**17)
    for i in far:
        want = float(fine.sf(table["limit_krw"][i]))
        assert table["exceedance_probability"][i] == pytest.approx(want, rel=5e-3)
    # The bucket: between 1/512 and 1/256 of the first far rung (grids have
    # power-of-two lengths); 1/16 of a typical incident would be about 2e6.
    from picover.pricing.coverage import _Exceedance

    minimum = pc.statutory.kr.obligation(org, as_of=DAY).minimum_coverage
    exceedance = _Exceedance(MODEL, org, 0.01, np.asarray(table["limit_krw"]), minimum)
    rung = float(table["limit_krw"][far[0]])
    exceedance(float(table["limit_krw"][0]))
    exceedance(rung)
    bucket = float(exceedance.covered.support[1])
    assert rung / 512 <= bucket <= rung / 256


def test_a_sparse_ladder_keeps_the_grid_fine_beside_each_rung():
    # Rungs a hundred times apart: the rung that surely meets the target is
    # 1e12, but a grid out there would have buckets of 6e7 beside a rung of 1e8
    # (P(loss > 1e8) came out 22% high). Each grid ends at most 64 times past
    # the rung asked about. Reference: 2^16 points up to twice the rung.
    model = MODEL.with_params({"attorney_fees.sigma": 2.5})
    org = pc.Organisation(records=30_000_000, annual_sales=5e10, sector="finance")
    rec = pc.recommend_coverage(org, model=model, target=0.05, ladder=[1e8, 1e10, 1e12], as_of=DAY)
    fine = model.annual_loss(org, pc.Policy(limit=2e8), n_buckets=2**16)
    got = rec.candidates["exceedance_probability"][0]
    assert got == pytest.approx(float(fine.sf(1e8)), rel=0.01)
    assert rec.limit == 5e8  # 1e8 meets the target; the law asks for 5e8
    assert rec.rule == "statutory minimum"


def test_recommendation_says_when_the_ladder_is_too_short():
    org = pc.Organisation(records=50_000_000, annual_sales=1e12, sector="telecom")
    # Before any statutory duty (2018), so that no minimum overrides the ladder.
    short = r"no limit on the ladder meets the target: P\(loss > 100,000,000\) = 0\.\d+"
    with pytest.warns(RuntimeWarning, match=short + r" against 0\.0001.*top of ladder"):
        rec = pc.recommend_coverage(
            org, ladder=[5e7, 1e8], target=1e-4, as_of=datetime.date(2018, 1, 1)
        )
    assert rec.statutory_minimum is None
    assert rec.rule == "top of ladder"
    assert rec.limit == 1e8
    assert rec.exceedance > 1e-4
    assert rec.candidates["limit_krw"].tolist() == [5e7, 1e8]
    # The law's minimum (1e9 KRW from 2025) above the ladder decides the limit,
    # which still misses the target (a reviewer's case: 4.4% against 1%): it warns.
    with pytest.warns(RuntimeWarning, match=r"P\(loss > 1,000,000,000\) = 0\.0\d+ against 0\.01 .*"
                      r"statutory minimum; the ladder ends at 10,000,000 KRW"):  # fmt: skip
        rec = pc.recommend_coverage(org, ladder=[1e6, 1e7], as_of=DAY)
    assert (rec.rule, rec.limit) == ("statutory minimum", 1e9)


def test_recommendation_by_cost_of_risk():
    org = pc.Organisation(records=200_000, annual_sales=3e9, sector="retail")
    rec = pc.recommend_coverage(
        org, rule="cost_of_risk", ladder=[1e8, 3e8, 1e9], retentions=[0.0, 1e7], as_of=DAY
    )
    table = rec.candidates
    best = int(np.argmin(table["cost_of_risk_krw"]))
    assert rec.limit == table["limit_krw"][best]
    assert rec.retention == table["retention_krw"][best]
    assert rec.limit >= 1e8  # statutory minimum for 200,000 subjects and 3bn sales
    assert rec.rule in ("cost_of_risk", "statutory minimum")
    # Each cost's simulated part: risk_charge (0.1) times the TVaR's standard error,
    # positive where anything is kept, and small beside the cost itself.
    se = np.asarray(table["cost_of_risk_se_krw"])
    assert np.all(se >= 0)
    assert np.all(se <= 0.01 * np.asarray(table["cost_of_risk_krw"]))
    # Row by row, each figure from its definition: the premium is the quote's,
    # the retained mean the ground-up total less the insured mean, and the cost
    # premium + retained mean + 0.1 (retained TVaR 99% - retained mean).
    ground_up = MODEL.expected_losses(org)["total"]
    for row in table.to_records():
        policy = pc.Policy(limit=row["limit_krw"], retention=row["retention_krw"])
        q = pc.quote(org, policy, as_of=DAY)
        assert row["premium_krw"] == pytest.approx(q.premium.gross, rel=1e-12)
        assert row["retained_mean_krw"] == pytest.approx(ground_up - q.loss.mean(), rel=1e-9)
        assert row["retained_tvar99_krw"] == pytest.approx(q.retained.tvar99, rel=1e-9)
        by_hand = (
            row["premium_krw"] + row["retained_mean_krw"]
            + 0.1 * (row["retained_tvar99_krw"] - row["retained_mean_krw"])
        )  # fmt: skip
        assert row["cost_of_risk_krw"] == pytest.approx(by_hand, rel=1e-12)


def test_the_risk_charge_decides_between_keeping_and_insuring():
    # Without a charge for the retained tail, insuring a KRW of loss costs the
    # premium's loading on it and saves only that KRW: the least cover wins, the
    # lowest limit with the largest retention. With a charge of 1 the cost is the
    # premium plus the retained TVaR, and the widest limit wins. No duty before
    # 2019, so the statutory minimum does not decide.
    org = pc.Organisation(records=2_000_000, annual_sales=3e10, sector="retail")
    day = datetime.date(2018, 1, 1)
    ladder, retentions = [1e8, 1e9, 1e10], [0.0, 5e7]
    cheap = pc.recommend_coverage(org, rule="cost_of_risk", ladder=ladder,
                                  retentions=retentions, risk_charge=0.0, as_of=day)  # fmt: skip
    assert (cheap.limit, cheap.retention) == (1e8, 5e7)
    wary = pc.recommend_coverage(org, rule="cost_of_risk", ladder=ladder,
                                 retentions=retentions, risk_charge=1.0, as_of=day)  # fmt: skip
    assert wary.limit == 1e10
    assert cheap.statutory_minimum is None


def test_recommendation_errors():
    with pytest.raises(ValueError, match="target must be"):
        pc.recommend_coverage(shop(), target=1.5, as_of=DAY)
    with pytest.raises(ValueError, match="ladder must be strictly increasing"):
        pc.recommend_coverage(shop(), ladder=[1e9, 5e8], as_of=DAY)
    with pytest.raises(ValueError, match="rule must be one of"):
        pc.recommend_coverage(shop(), rule="cheapest", as_of=DAY)
    # The exceedance rule tries no retention, but a bad one is still refused: it
    # would otherwise surface only when the rule changed.
    with pytest.raises(ValueError, match=r"retentions must be finite.*got nan at index 0"):
        pc.recommend_coverage(shop(), retentions=[math.nan], as_of=DAY)
    # A True among the limits is no limit of 1 KRW.
    with pytest.raises(TypeError, match=r"ladder must be a number or an array of numbers"):
        pc.recommend_coverage(shop(), ladder=[True, 1e8], as_of=DAY)
    # A limit of 0 covers nothing: refused by name, not deep inside as a Policy's limit.
    with pytest.raises(ValueError, match=r"ladder must be finite and > 0; got 0.0 at index 0"):
        pc.recommend_coverage(shop(), ladder=[0.0, 1e8], as_of=DAY)
    from picover.pricing.coverage import _exceedance_limit

    with pytest.raises(ValueError, match=r"ladder must be finite and > 0; got 0.0 at index 0"):
        _exceedance_limit(shop(), model=MODEL, ladder=[0.0, 1e8], as_of=DAY)
    with pytest.raises(ValueError, match="target must be"):
        _exceedance_limit(shop(), model=MODEL, target=0.0, as_of=DAY)
    # Retentions may start at 0.
    rec = pc.recommend_coverage(
        shop(), rule="cost_of_risk", ladder=[1e8], retentions=[0.0], as_of=DAY
    )
    assert rec.retention == 0.0


# -- comparing offers --------------------------------------------------------------------


def test_compare_three_offers():
    offers = [
        pc.Offer("A", pc.Policy(limit=1e9, retention=1e7), premium=2.0e7),
        pc.Offer("B", pc.Policy(limit=2e9, retention=5e7), premium=1.8e7),
        pc.Offer("C", pc.Policy(limit=5e8), premium=1.0e7),
    ]
    rows = pc.compare(shop(), offers, as_of=DAY)
    assert [r.insurer for r in rows] == ["A", "B", "C"]
    for row, offer in zip(rows, offers, strict=True):
        q = pc.quote(shop(), offer.policy, as_of=DAY)
        assert row.expected_recovery == pytest.approx(q.loss.mean(), rel=1e-12)
        assert row.value_ratio == pytest.approx(row.expected_recovery / offer.premium)
        assert row.p_exhaust == pytest.approx(q.p_exhaust)
        assert row.expected_retained == pytest.approx(q.retained.mean)
        # The offers share one simulation with the quote's seed: the same figure exactly.
        assert row.retained_tvar99 == q.retained.tvar99
    assert [r.compliant for r in rows] == [True, True, False]
    by_value = rows.sorted("value_ratio")
    assert [r.value_ratio for r in by_value] == sorted((r.value_ratio for r in rows), reverse=True)
    cheapest = rows.sorted("premium")  # best first: the cheapest
    assert [r.premium for r in cheapest] == sorted(r.premium for r in rows)
    assert [r.insurer for r in rows.sorted("insurer")] == sorted(r.insurer for r in rows)
    assert [r.p_exhaust for r in rows.sorted("p_exhaust")] == sorted(r.p_exhaust for r in rows)
    cheapest = rows.sorted("premium", descending=False)
    assert cheapest[0].insurer == "C"
    records = rows.to_records()
    assert records[0]["insurer"] == "A"
    assert "value_ratio" in records[0]
    assert "premium_krw" in str(rows)
    frame = rows.to_pandas()
    assert frame.attrs["currency"] == "KRW"
    assert frame["premium_krw"].tolist() == [r.premium for r in rows]


def test_compare_errors():
    with pytest.raises(ValueError, match="at least one Offer"):
        pc.compare(shop(), [], as_of=DAY)
    with pytest.raises(TypeError, match=r"offers\[0\] must be a picover Offer"):
        pc.compare(shop(), [("A", 1e6)], as_of=DAY)
    with pytest.raises(ValueError, match="Offer.premium must be > 0"):
        pc.Offer("A", pc.Policy(), premium=-1.0)
    with pytest.raises(ValueError, match="by must be one of"):
        pc.compare(shop(), [pc.Offer("A", pc.Policy(limit=1e9), 1e7)], as_of=DAY).sorted("cost")
    # One offer not in a list, and an offer whose terms the model refuses: each
    # named, not "'Offer' object is not iterable" or a bare message about a policy.
    a = pc.Offer("A", pc.Policy(limit=1e9), 1e7)
    with pytest.raises(TypeError, match=r"offers must be a sequence of Offer; got Offer \(wrap"):
        pc.compare(shop(), a, as_of=DAY)
    b = pc.Offer("B", pc.Policy(limit=1e9, sublimits={"legal": 1e7}), 1e7)
    with pytest.raises(ValueError, match=r"offers\[1\] \(insurer 'B'\): .*unknown cost category"):
        pc.compare(shop(), [a, b], as_of=DAY)
    # A table is read by column; rows come from to_records.
    table = pc.compare(shop(), [a], as_of=DAY).table()
    with pytest.raises(TypeError, match=r"indexed by column name \(a str\); got slice"):
        table[:2]


def test_default_premium_moves_smoothly_across_the_limit_atom():
    # The retailer's limit is exhausted with probability ~0.5%: a VaR-99.5%
    # capital jumps to the limit between these frequencies, and a VaR-based
    # premium with it (the control below). TVaR at the same level grows about in
    # step with the pure premium. (The default basis holds capital to the 99%
    # TVaR; the 99.5% level is where this book's atom crosses.)
    policy = pc.Policy(limit=1e9, retention=1e7)
    bases = {
        measure: pc.PremiumBasis(pc.CostOfCapital(level=0.995, measure=measure))
        for measure in ("tvar", "var")
    }
    gross = {measure: [] for measure in bases}
    pure, p_exhaust = [], []
    for modifier in (0.85, 0.95, 1.05):
        model = MODEL.with_params({"frequency.modifier": modifier})
        loss = model.annual_loss(shop(), policy)
        for measure, basis in bases.items():
            gross[measure].append(basis.apply(loss).gross)
        pure.append(loss.mean())
        p_exhaust.append(float(loss.pmf(policy.limit)))
    assert min(p_exhaust) < 0.005 < max(p_exhaust)  # the atom crosses the VaR level
    growth = lambda g, i: (g[i] / g[i - 1]) / (pure[i] / pure[i - 1])  # noqa: E731
    assert all(growth(gross["tvar"], i) < 1.2 for i in (1, 2))
    assert max(growth(gross["var"], i) for i in (1, 2)) > 1.5  # the jump TVaR avoids


def test_sorting_puts_unknown_compliance_last_either_way():
    rows = pc.compare(shop(), [pc.Offer("A", pc.Policy(limit=5e8), premium=1e7)], as_of=DAY)
    known = rows[0]
    unknown = attrs.evolve(known, insurer="", compliant=None)
    both = attrs.evolve(rows, rows=(unknown, known))
    for descending in (True, False):
        ordered = both.sorted("compliant", descending=descending)
        assert [r.compliant for r in ordered] == [False, None]
        by_name = both.sorted("insurer", descending=descending)  # "" sorts like any name
        assert [r.insurer for r in by_name] == (["A", ""] if descending else ["", "A"])


def test_a_model_in_another_currency_cannot_meet_the_korean_law():
    usd = attrs.evolve(MODEL, currency="USD")
    policy = pc.Policy(limit=1e6)
    for call in (
        lambda: pc.quote(shop(), policy, model=usd, as_of=DAY),
        lambda: pc.recommend_coverage(shop(), model=usd, as_of=DAY),
        lambda: pc.compare(shop(), [pc.Offer("A", policy, premium=1e4)], model=usd, as_of=DAY),
        lambda: pc.price_portfolio(
            {"records": [1000], "annual_sales": [1e6], "sector": ["retail"]}, policy, model=usd
        ),
    ):
        with pytest.raises(ValueError, match="the model's currency is 'USD'"):
            call()
    # What does not touch the law still works, in USD.
    assert usd.annual_loss(shop()).currency == "USD"


def test_retained_loss_of_a_surcharge_only_endorsement():
    # Covering only the surcharges, without limit, the insurer pays exactly the
    # expected fines and the organisation keeps every insurable cost:
    # retained = (insurable total + fines) - fines = the ground-up total.
    gu = MODEL.expected_losses(shop())
    q = pc.quote(shop(), pc.Policy(covers={"fines"}), as_of=DAY)
    assert q.premium.pure == pytest.approx(gu["fines"], rel=1e-6)
    assert q.retained.mean == pytest.approx(gu["total"], rel=1e-6)


def _history_calls(org):
    return (
        lambda: pc.quote(org, pc.Policy(limit=1e9), as_of=DAY),
        lambda: pc.recommend_coverage(org, as_of=DAY),
        lambda: pc.compare(org, [pc.Offer("A", pc.Policy(limit=1e9), 1e6)], as_of=DAY),
        # A sensitivity run prices as a quote would.
        lambda: pc.sensitivity.tornado(
            org, pc.Policy(limit=1e9), as_of=DAY, params={"consolation.award": (5e4, 2e5)}
        ),
    )


def test_a_history_from_after_the_quote_date_is_refused():
    late = pc.Organisation(
        records=40_000, annual_sales=3e9, sector="retail",
        history=pc.IncidentHistory.from_rows([{"year": 2030, "records_held": 40_000,
                                               "incidents": 3}]),
    )  # fmt: skip
    for call in _history_calls(late):
        with pytest.raises(ValueError, match="history holds year 2030, after the date"):
            call()


def test_a_history_year_not_yet_over_is_refused():
    # Year 2025 on 2025-03-01: two months observed would count as a whole year
    # without incidents, and lower the rate. A table's summary ends the year
    # before the quote for the same reason.
    current = pc.Organisation(
        records=40_000, annual_sales=3e9, sector="retail",
        history=pc.IncidentHistory.from_rows([{"year": DAY.year, "records_held": 40_000,
                                               "incidents": 0}]),
    )  # fmt: skip
    for call in _history_calls(current):
        with pytest.raises(ValueError, match=f"year {DAY.year}, not over on the date"):
            call()
    later = datetime.date(DAY.year + 1, 1, 1)
    assert pc.quote(current, pc.Policy(limit=1e9), as_of=later).frequency.years_observed == 1


def test_a_history_cost_under_a_category_the_model_lacks_is_refused():
    # The model keeps past costs for the file only; a misspelt category there
    # would go unnoticed, so a quote names it. A known one passes.
    def org(category):
        rows = [{"year": 2023, "records_held": 40_000, "incidents": 2,
                 "records_affected": [100, 200], "costs": [{}, {category: 5e6}]}]  # fmt: skip
        return pc.Organisation(40_000, 3e9, "retail", history=pc.IncidentHistory.from_rows(rows))

    for call in _history_calls(org("consolaton")):
        with pytest.raises(ValueError, match=r"year 2023, incident 2: cost category 'consolaton'"):
            call()
    assert pc.quote(org("consolation"), pc.Policy(limit=1e9), as_of=DAY).premium.gross > 0


def test_offers_from_one_insurer_name_twice_are_refused():
    offers = [pc.Offer("A", pc.Policy(limit=1e9), 1e6), pc.Offer("A", pc.Policy(limit=2e9), 2e6)]
    with pytest.raises(ValueError, match=r"insurer\(s\) \['A'\] more than once"):
        pc.compare(shop(), offers, as_of=DAY)


def test_a_model_that_is_not_one_is_refused_by_name():
    org = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    calls = [
        lambda: pc.quote(org, pc.Policy(limit=5e7), model="kr", as_of=DAY),
        lambda: pc.recommend_coverage(org, model="kr", as_of=DAY),
        lambda: pc.price_portfolio([{"records": 10, "annual_sales": 1e9, "sector": "retail"}],
                                   model="kr", outputs=("expected_ground_up",), as_of=DAY),
        lambda: pc.sensitivity.sweep(org, model="kr", grid={"consolation.award": [1e5]},
                                     as_of=DAY),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(TypeError, match="model must be a picover BreachModel .* got str"):
            call()


def test_a_custom_principle_must_return_a_number_that_keeps_the_premium_positive():
    class Text:
        def risk_load(self, dist):
            return "5"

    class Discount:
        def risk_load(self, dist):
            return -1e15

    with pytest.raises(TypeError, match=r"Text.risk_load\(\) must be a real number; got '5'"):
        pc.quote(shop(), pc.Policy(limit=1e9), premium=pc.PremiumBasis(Text()), as_of=DAY)
    with pytest.raises(ValueError, match=r"Discount.risk_load\(\) is -1e\+15, more negative"):
        pc.quote(shop(), pc.Policy(limit=1e9), premium=pc.PremiumBasis(Discount()), as_of=DAY)


def test_a_printed_quote_shows_every_term():
    policy = pc.Policy(retention=1e6, per_incident_limit=5e7, coinsurance=0.9,
                       sublimits={"investigation": 1e7})  # fmt: skip
    text = str(pc.quote(shop(), policy, as_of=DAY))
    assert (
        "policy: no limit, retention 1,000,000 per incident, per-incident limit 50,000,000, "
        "coinsurance 0.9, sublimit investigation 10,000,000, investigation first"
    ) in text
    assert "n/a (no limit)" in text
    assert "nan" not in text


def test_the_retained_tvar_is_never_below_its_mean():
    # A limit beyond the ground-up grid: every year the grid holds keeps nothing,
    # and what is kept (E[(G - l)+], from the exact means) lies in the years beyond
    # it, all within the worst 1%. So TVaR 99% = E[R] / 0.01 (it once came out 0,
    # below the mean).
    org = pc.Organisation(records=300_000, annual_sales=1e10, sector="retail")
    q = pc.quote(org, pc.Policy(limit=1e10, investigation="every"), as_of=DAY)
    assert q.retained.method == "exact"
    assert q.retained.mean > 0
    assert q.retained.tvar99 == pytest.approx(q.retained.mean / 0.01, rel=1e-9)


def test_a_sublimit_on_the_damages_below_the_minimum_fails_the_duty():
    q = pc.quote(shop(), pc.Policy(limit=1e9, sublimits={"consolation": 1.0}), as_of=DAY)
    assert q.statutory.compliant is False
    assert "the sublimit of consolation (1) is below the minimum 1,000,000,000" in (
        q.statutory.shortfall
    )
    with pytest.raises(TypeError, match="org must be a picover Organisation; got str"):
        pc.recommend_coverage("shop", as_of=DAY)


def test_the_total_row_says_what_it_leaves_out():
    # Fines are uninsurable by default: the totals leave them out, and say so;
    # a policy that covers them by endorsement brings them into both totals.
    plain = pc.quote(shop(), pc.Policy(limit=1e9), as_of=DAY)
    assert plain.outside_total == ("fines",)
    assert plain.by_category().columns["category"][-1] == "total (without fines)"
    gu = plain.expected_ground_up
    kept = [v for k, v in gu.items() if k not in ("total", "fines")]
    assert gu["total"] == pytest.approx(sum(kept))
    endorsed = pc.quote(shop(), pc.Policy(limit=1e9, covers={"consolation", "fines"}), as_of=DAY)
    assert endorsed.outside_total == ()
    assert endorsed.total_label == "total"
    assert endorsed.expected_ground_up["total"] == pytest.approx(
        sum(v for k, v in endorsed.expected_ground_up.items() if k != "total")
    )


def test_a_comparison_shows_each_offers_other_terms_once():
    # Two offers alike but for a sublimit are told apart in the table, and the
    # value ratio appears once (the implied loss ratio is the same number).
    sublimited = pc.Policy(limit=1e9, sublimits={"investigation": 5e7})
    offers = [pc.Offer("A", pc.Policy(limit=1e9), 2e6), pc.Offer("B", sublimited, 2e6)]
    rows = pc.compare(shop(), offers, as_of=DAY)
    cols = rows.table().columns
    assert "implied_loss_ratio" not in cols
    assert rows[0].implied_loss_ratio == rows[0].value_ratio
    assert cols["other_terms"].tolist() == [
        "investigation first",
        "sublimit investigation 50,000,000 KRW, investigation first",
    ]


def test_a_simulated_quote_agrees_with_the_exact_one():
    # method="mc": the insured mean within four standard errors of the FFT's, and
    # the premium's parts those of the premium basis applied to the simulated loss.
    policy = pc.Policy(limit=1e9, retention=1e7)
    exact = pc.quote(shop(), policy, as_of=DAY)
    mc = pc.quote(shop(), policy, method="mc", seed=11, as_of=DAY)
    se = mc.loss.std() / math.sqrt(mc.loss.n_sims)
    assert abs(mc.premium.pure - exact.premium.pure) <= 4 * se
    assert mc.premium == pc.PremiumBasis().apply(mc.loss)
    assert mc.loss.method == "mc"


def test_a_quote_passes_its_engine_options_on():
    # n_sims for a simulated quote, tail_tol for the grid, each refused with the
    # other method, as annual_loss refuses them.
    policy = pc.Policy(limit=1e9, retention=1e7)
    mc = pc.quote(shop(), policy, method="mc", n_sims=2_000, seed=3, as_of=DAY)
    assert mc.loss.n_sims == 2_000
    same = MODEL.annual_loss(shop(), policy, method="mc", n_sims=2_000, seed=3)
    assert np.array_equal(mc.loss.support, same.support)
    assert np.array_equal(mc.loss.probs, same.probs)
    fine = pc.quote(shop(), policy, tail_tol=1e-10, as_of=DAY)
    assert fine.loss.tail_mass <= 1e-10
    with pytest.raises(ValueError, match="n_sims applies to method='mc' only"):
        pc.quote(shop(), policy, n_sims=10, as_of=DAY)
    with pytest.raises(ValueError, match="tail_tol applies to method='fft' only"):
        pc.quote(shop(), policy, method="mc", tail_tol=1e-3, as_of=DAY)

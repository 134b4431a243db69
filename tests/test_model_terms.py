"""The insured mean under a policy's amounts, against adaptive integration over K.

Bends of the insured cost in K are found where the amounts meet nearly fixed
costs, and the quadrature is accurate across them; the grid's bias at a
retention stays small; far layers on small firms keep their mean."""

from __future__ import annotations

import math
import os
import warnings

import attrs
import numpy as np
import pytest
from scipy import integrate, optimize, stats

import picover as pc
from picover.model.bends import bends
from picover.model.costs import CostContext
from picover.model.vectorised import expected_losses_arrays

MODEL = pc.BreachModel.preset("kr")
SIZE = MODEL.breach_size  # p_total 0.1, k_min 250, exponent 0.5
CM = MODEL.costs["crisis_management"]  # 1e7 + 500 K
CONSOLATION = MODEL.costs["consolation"]  # 100,000 x Binomial(K, 0.003): mean 300 K


def over_k(g, records: float, bends_at=()) -> float:
    """E[g(K)] under the preset's power law, by adaptive integration in K."""
    a, k0, p = SIZE.exponent, SIZE.k_min, SIZE.p_total
    r = float(records)
    norm = k0**-a - r**-a
    points = sorted(b for b in (1e4, 1e6, *bends_at) if k0 < b < r)
    partial = integrate.quad(
        lambda k: g(k) * a * k ** (-a - 1) / norm, k0, r, points=points or None, limit=400,
        epsabs=0.0, epsrel=1e-11,
    )[0]  # fmt: skip
    return p * g(r) + (1 - p) * partial


def test_bends_by_hand():
    ctx = CostContext(1e6, 1e10)
    inf = math.inf
    # Crisis management alone meets a 5e7 retention where 1e7 + 500 K = 5e7:
    # K = 80,000; with consolation (liable outcome) where 1e7 + 800 K = 5e7: K = 50,000.
    got = bends(
        MODEL.costs, [("crisis_management", "consolation")],
        {"crisis_management": inf, "consolation": inf}, [5e7], ctx, 1.0, 1e6,
    )  # fmt: skip
    assert got == pytest.approx([5e4, 8e4], rel=1e-6)
    # A consolation sublimit of 1e8 is met where 300 K = 1e8.
    got = bends(MODEL.costs, [("consolation",)], {"consolation": 1e8}, [], ctx, 1.0, 1e6)
    assert got == pytest.approx([1e8 / 300], rel=1e-6)
    # Amounts out of reach (a retention below the fixed 1e7, or beyond 1e7 + 800 R):
    # no bends at all.
    for amount in (5e6, 1e12):
        got = bends(
            MODEL.costs, [("crisis_management", "consolation")],
            {"crisis_management": inf, "consolation": inf}, [amount], ctx, 1.0, 1e6,
        )  # fmt: skip
        assert got.shape == (0,)


def test_an_incident_alone_bends_at_the_annual_terms():
    # Retention 1e7, coinsurance 0.5: an incident alone in its year pays
    # 0.5 (X - 1e7), which meets the aggregate retention 5e7 at X = 1.1e8 and the
    # aggregate limit above it (5e7 + 3e8) at X = 7.1e8. Crisis management alone
    # (no suit, no investigation covered) is 1e7 + 500 K: K = 2e5 and 1.4e6.
    org = pc.Organisation(10_000_000, 1e11, "retail")
    policy = pc.Policy(limit=3e8, retention=1e7, aggregate_retention=5e7, coinsurance=0.5,
                       investigation="none")  # fmt: skip
    cuts = MODEL._cut_points(org.records, MODEL.terms(policy), MODEL._context(org))
    for k in (2e5, 1.4e6):
        assert min(abs(np.asarray(cuts) / k - 1.0)) < 1e-6


def test_the_annual_limit_as_a_bend_keeps_the_mean_with_few_nodes():
    # A reviewer's case: crisis management at 5,000 KRW a record (within the range
    # its sources give) makes one incident exhaust the annual limit at K near 3.8e5.
    # Without that bend the 8 nodes' mean was 1.5e-3 above 64 nodes' (and a
    # simulation of 2e8 years: 22,580,440 +- 13,693 KRW), their TVaR 99% 3e-3.
    model = MODEL.with_params({"crisis_management.per_record": 5000.0})
    org = pc.Organisation(records=6_904_981, annual_sales=1.0567e10, sector="retail")
    policy = pc.Policy(retention=38_780_277.95, limit=1_913_376_277.16)
    few, many = (attrs.evolve(model, nodes=n).annual_loss(org, policy) for n in (8, 32))
    assert few.mean() == pytest.approx(many.mean(), rel=5e-5)
    assert float(few.tvar(0.99)) == pytest.approx(float(many.tvar(0.99)), rel=5e-4)


def test_a_fine_bends_with_and_without_being_levied():
    fine = MODEL.costs["fines"]  # sales x 0.005 (K / 1e6) ** 0.25 when levied
    ctx = CostContext(1e6, 1e11)
    costs = {"crisis_management": CM, "fines": fine}
    got = bends(
        costs, [("crisis_management", "fines")],
        {"crisis_management": math.inf, "fines": math.inf}, [3e8], ctx, 1.0, 1e6,
    )  # fmt: skip
    # Not levied: 1e7 + 500 K = 3e8 at K = 580,000. Levied: 1e7 + 500 K +
    # 5e8 (K / 1e6) ** 0.25 = 3e8 has its root below K = 1e6 (at K = 1e6 the sum
    # is 1.01e9 > 3e8), found by brentq here.
    from scipy import optimize

    levied = optimize.brentq(lambda k: 1e7 + 500 * k + 5e8 * (k / 1e6) ** 0.25 - 3e8, 1.0, 1e6)
    assert got == pytest.approx(sorted([levied, 5.8e5]), rel=1e-6)


def test_bends_per_organisation_match_one_at_a_time():
    records = np.array([3e3, 5e4, 1e6, 3e7])
    sales = np.array([1e9, 5e10, 1e11, 1e12])
    fine = MODEL.costs["fines"]
    costs = {"crisis_management": CM, "consolation": CONSOLATION, "fines": fine}
    names = [("crisis_management", "consolation", "fines")]
    subs = {"crisis_management": math.inf, "consolation": 2e8, "fines": 1e9}
    many = bends(costs, names, subs, [4e7, 9e8], CostContext(records[:, None], sales[:, None]),
                 1.0, records)  # fmt: skip
    for i, (r, s) in enumerate(zip(records, sales, strict=True)):
        one = bends(costs, names, subs, [4e7, 9e8], CostContext(r, s), 1.0, r)
        row = many[i][~np.isnan(many[i])]
        np.testing.assert_allclose(row, one, rtol=1e-12)


def test_bends_do_not_depend_on_the_order_of_the_name_sets():
    # Soft bends are kept greedily; the model passes the first incident's and
    # the later ones' categories as a set, whose order varies from run to run.
    # Here the order used to decide which of two nearby soft bends was kept
    # (3.1e6 or 3.5e6): a premium differed by 1e-6 between runs.
    model = MODEL.with_params({"consolation.award": 3e5})
    org = pc.Organisation(20_000_000, 2e12, "online_platform")
    terms = model.terms(pc.Policy(limit=1e10, retention=1e8, per_incident_limit=5e9))
    assert terms.first != terms.later  # investigation for the first incident only
    ctx = CostContext(float(org.records), float(org.annual_sales))
    amounts = [terms.retention, terms.retention + terms.per_incident_limit]

    def found(name_sets):
        return bends(model.costs, name_sets, terms.sublimits, amounts, ctx, 1.0, org.records,
                     model._breakpoints())  # fmt: skip

    one = found([terms.first, terms.later])
    np.testing.assert_array_equal(one, found([terms.later, terms.first]))
    assert one.size >= 4  # the soft bends are in play


def test_a_premium_is_the_same_whatever_the_hash_seed():
    # Set and frozenset orders change with PYTHONHASHSEED: nothing the model
    # computes may follow them. Seeds 0 and 2 split the case above.
    import subprocess
    import sys

    script = (
        "import picover as pc\n"
        "m = pc.BreachModel.preset('kr').with_params({'consolation.award': 3e5})\n"
        "o = pc.Organisation(20_000_000, 2e12, 'online_platform')\n"
        "p = pc.Policy(limit=1e10, retention=1e8, per_incident_limit=5e9)\n"
        "print(repr(m.annual_loss(o, p).mean()))\n"
    )
    means = set()
    for seed in ("0", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        means.add(run.stdout)
    assert len(means) == 1, means


@pytest.mark.parametrize("records", [3_944, 150_000, 898_007, 3_000_000])
@pytest.mark.parametrize(
    ("retention", "limit"), [(1.0971622e7, math.inf), (2.449e7, 5.6e7), (3e8, 1e9), (6e7, 2e8)]
)
def test_a_fixed_cost_under_a_retention_and_a_limit(records, retention, limit):
    # Crisis management alone is certain given K and lands on the grid with its
    # mean kept, mixed over the fine rule of K. The grid takes the retention as
    # a point, but not always the retention plus limit: there the payment is
    # concave, and the costs split between the two grid points around it pay
    # a little less than they should (1.5e-7 of the mean at most here; over
    # the 8 usual nodes few costs fell that close). Before its bends were
    # breakpoints the error reached 1e-3.
    o = pc.Organisation(records, 1e10, "retail")
    policy = pc.Policy(
        covers={"crisis_management"}, retention=retention, per_incident_limit=limit,
        coinsurance=0.8,
    )  # fmt: skip

    def paid(k: float) -> float:
        return 0.8 * min(max(float(CM.mean(k, None)) - retention, 0.0), limit)

    kinks = [(retention - 1e7) / 500, (retention + limit - 1e7) / 500]
    exact = MODEL.frequency(o).posterior_mean * over_k(paid, records, kinks)
    got = MODEL.expected_losses(o, policy)["total"]
    # That and the quadrature's own accuracy, about 1e-8 (docs/model.md); a
    # payment that is never made comes out as rounding, far below a won.
    assert got == pytest.approx(exact, rel=3e-7, abs=1e-6)


def test_a_fixed_cost_alone_is_smooth_on_the_grid():
    # Crisis management alone, 1e7 + 500 K, is as spread out as K. On the grid
    # each amount c is split between the two points around it, so the grid's
    # cdf at point x is E[clip((x + h - C) / h, 0, 1)] exactly. Each cost is
    # at least 1e7 + 500 x 250 and lands at most a bucket lower, so below
    # twice that less two buckets a year holds at most one incident, and
    # P(S <= x) = P(N = 0) + P(N = 1) E[...], integrated here adaptively.
    # Over the 8 usual nodes the cost was lumps and this was 6.5e-4 off.
    o = pc.Organisation(3_000_000, 1e11, "retail")
    d = MODEL.annual_loss(o, pc.Policy(covers={"crisis_management"}))
    h = d.bucket
    freq = MODEL.frequency(o).counts()
    for j in range(int(1.0125e7 / h), int((2.025e7 - 2 * h) / h) + 1):
        x = j * h

        def ramp(k: float, x: float = x) -> float:
            return min(max((x + h - float(CM.mean(k, None))) / h, 0.0), 1.0)

        cdf = freq.pmf(0) + freq.pmf(1) * over_k(ramp, 3e6, [(x - 1e7) / 500, (x + h - 1e7) / 500])
        assert float(d.cdf(x)) == pytest.approx(cdf, abs=5e-8), x


def test_fixed_costs_together_are_smooth_on_the_grid():
    # Crisis management and an insured fine (none, or a share of sales, with a
    # chance rising with K) are both atoms given K: on the fine rule their
    # sums are placed on the grid, so the cdf at a grid point x is, as above,
    # P(N = 0) + P(N = 1) E[(1 - p(K)) r(CM) + p(K) r(CM + fine)], with r the
    # ramp clip((x + h - c) / h, 0, 1).
    costs = dict(MODEL.costs)
    costs["fines"] = attrs.evolve(costs["fines"], insurable=True)
    model = attrs.evolve(MODEL, costs=costs)
    fine = costs["fines"]
    o = pc.Organisation(3_000_000, 1e9, "retail")
    ctx = CostContext(3e6, 1e9)
    d = model.annual_loss(o, pc.Policy(covers={"crisis_management", "fines"}))
    h = d.bucket
    freq = model.frequency(o).counts()

    def with_fine(k: float) -> float:
        return float(CM.mean(k, None) + fine.amount(k, ctx))

    for j in range(int(1.0125e7 / h), int((2.025e7 - 2 * h) / h) + 1):
        x = j * h

        def ramp(c: float, x: float = x) -> float:
            return min(max((x + h - c) / h, 0.0), 1.0)

        def paid(k: float) -> float:
            p = float(fine.probability(k))
            return (1 - p) * ramp(float(CM.mean(k, None))) + p * ramp(with_fine(k))

        kinks = [(x - 1e7) / 500, (x + h - 1e7) / 500]
        for t in (x, x + h):  # where the sum with the fine meets the ramp's ends
            if with_fine(250.0) < t < with_fine(3e6):
                kinks.append(optimize.brentq(lambda k, t=t: with_fine(k) - t, 250.0, 3e6))
        cdf = freq.pmf(0) + freq.pmf(1) * over_k(paid, 3e6, kinks)
        assert float(d.cdf(x)) == pytest.approx(cdf, abs=5e-8), x


@pytest.mark.parametrize("nodes", [2, 3, 4, 5, 8])
def test_the_fine_rule_keeps_the_mean_of_the_usual_nodes(nodes):
    # With 2 nodes per segment the usual nodes put the chance of no suit 1e-4
    # off the fine rule's (0.882642 against 0.882742 here): mixing that outcome
    # over the fine rule made a grid holding probability 1.00009 and a mean
    # 3.4e-3 off expected_losses, with a warning. Such an outcome stays on the
    # usual nodes.
    model = attrs.evolve(MODEL, nodes=nodes)
    o = pc.Organisation(100_000, 1e11, "finance")
    for policy in (pc.Policy(investigation="none"), pc.Policy(covers={"crisis_management"})):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = model.annual_loss(o, policy).mean()
        assert got == pytest.approx(model.expected_losses(o, policy)["total"], rel=1e-9)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda k: (500.0 * k, np.ones_like(k)), r"of one shape, \(len\(k\), atoms\)"),
        (lambda k: (500.0 * k[:, None], np.full((k.size, 1), 0.5)), "summing to 1"),
    ],
)
def test_atoms_of_the_wrong_shape_or_mass_are_refused(answer, message):
    # Amounts without the atoms' axis once gave a grid "holding probability
    # 3561", renormalised with a mere warning.
    from picover.model.costs import LinearCost

    @attrs.frozen
    class Careless(LinearCost):
        def atoms(self, k, ctx, limit):
            return answer(np.asarray(k))

    model = attrs.evolve(MODEL, costs={**MODEL.costs, "crisis_management": Careless(1e7, 500.0)})
    o = pc.Organisation(100_000, 1e11, "retail")
    with pytest.raises(ValueError, match="atoms\\(\\) of the cost category 'crisis_management'"):
        model.annual_loss(o, pc.Policy(investigation="none"))
    with pytest.raises(ValueError, match=message):
        model.annual_loss(o, pc.Policy(investigation="none"))


def test_without_investigation_the_nodes_leave_no_lumps():
    # Without investigation an incident without a suit costs crisis management
    # alone: over the usual nodes it was lumps, and P(loss > x) moved by 5e-5
    # between 8 and 64 nodes near the 99% quantile (2.3e7). Mixed over the fine
    # rule it moves by 2e-5 at most, wherever x is: in the outcomes with a suit
    # crisis management is still over the nodes, its lumps spread out by the
    # attorneys' fees.
    o = pc.Organisation(3_000_000, 1e11, "retail")
    bare = pc.Policy(limit=1e8, investigation="none")
    x = np.linspace(1.1e7, 9e7, 300)
    few = MODEL.annual_loss(o, bare).sf(x)
    many = attrs.evolve(MODEL, nodes=64).annual_loss(o, bare).sf(x)
    np.testing.assert_allclose(few, many, rtol=0, atol=3e-5)


def _capped_consolation(k: float, limit: float) -> float:
    """E[min(award M, limit)] for the preset's claimants M, summed over M: a real K
    mixes Binomial(floor K, c) and Binomial(floor K + 1, c) with weight K - floor K
    on the second (so that E[M] = c K), and only counts within 12 standard
    deviations of c K carry any mass worth summing."""
    c, award = CONSOLATION.claim_rate, CONSOLATION.paid_award
    lo = math.floor(k)
    spread = 12.0 * math.sqrt(c * (lo + 1)) + 3.0
    m = np.arange(max(0, math.floor(c * k - spread)), math.ceil(c * k + spread) + 1)
    pmf = (1 - (k - lo)) * stats.binom.pmf(m, lo, c) + (k - lo) * stats.binom.pmf(m, lo + 1, c)
    return float((pmf * np.minimum(award * m, limit)).sum())


def test_the_capped_consolation_by_hand():
    # K = 1,000 claimants' count M ~ Binomial(1000, 0.003), each paid 1e5, capped
    # at 2e5: E = 1e5 P(M = 1) + 2e5 P(M >= 2), with P(M = 0) = 0.997^1000 and
    # P(M = 1) = 3 * 0.997^999. The mean itself, 3e5, would say min(E[C], L) = 2e5.
    p0, p1 = 0.997**1000, 3 * 0.997**999
    by_hand = 1e5 * p1 + 2e5 * (1 - p0 - p1)
    assert by_hand == pytest.approx(175_173.72, abs=0.01)
    assert _capped_consolation(1000.0, 2e5) == pytest.approx(by_hand, rel=1e-12)
    assert float(CONSOLATION.limited_mean(1000.0, None, 2e5)) == pytest.approx(by_hand, rel=1e-9)
    # A real K mixes the two whole counts around it.
    mixed = 0.25 * _capped_consolation(1000.0, 2e5) + 0.75 * _capped_consolation(1001.0, 2e5)
    assert float(CONSOLATION.limited_mean(1000.75, None, 2e5)) == pytest.approx(mixed, rel=1e-9)


@pytest.mark.parametrize("records", [3_944, 400_000, 3_000_000, 30_000_000])
@pytest.mark.parametrize("sublimit", [3e7, 1e8, 2e9])
def test_a_consolation_sublimit_in_closed_form(records, sublimit):
    # Consolation's claimant count concentrates around 0.003 K, so its sublimited
    # mean bends near 300 K = sublimit. Before that was a breakpoint the error
    # reached 2.7e-3; the binomial's own spread leaves the bend slightly soft,
    # whence 1e-4 here (the exact calculation of the numerical review found 1.6e-5).
    o = pc.Organisation(records, 1e10, "retail")
    policy = pc.Policy(covers={"consolation"}, sublimits={"consolation": sublimit})
    lit = MODEL.litigation

    def paid(k: float) -> float:
        # Summed here over the claimants, not through the category's own
        # limited_mean, which the closed form itself uses.
        return float(lit.probability("liability", k) * _capped_consolation(k, sublimit))

    exact = MODEL.frequency(o).posterior_mean * over_k(paid, records, [sublimit / 300])
    got = MODEL.expected_losses(o, policy)["total"]
    assert got == pytest.approx(exact, rel=1e-4)


def test_batch_expected_losses_match_single_ones_with_bends():
    # Endorsed fines under a sublimit bend at a K that depends on each
    # organisation's sales: the batch must split each organisation as a single
    # call does.
    rng = np.random.default_rng(5)
    n = 60
    records = np.rint(np.exp(rng.uniform(np.log(1e3), np.log(3e7), n)))
    sales = np.exp(rng.uniform(np.log(1e9), np.log(1e12), n))
    sectors = rng.choice(sorted(MODEL.frequency_model.base_rate), n)
    policy = pc.Policy(
        covers={"fines", "consolation", "crisis_management", "investigation"},
        sublimits={"fines": 2e8, "consolation": 5e8, "crisis_management": 4e8},
    )
    batch = expected_losses_arrays(MODEL, records, sales, sectors, policy=policy, chunk=17)
    for i in range(n):
        o = pc.Organisation(int(records[i]), float(sales[i]), str(sectors[i]))
        single = MODEL.expected_losses(o, policy)
        for name, value in single.items():
            assert batch[name][i] == pytest.approx(value, rel=1e-12, abs=1e-12), (i, name)


@pytest.mark.parametrize(
    ("records", "retention"), [(1_132, 1.9e7), (1_132, 3e7), (5_000, 4e7), (50_000, 2e7)]
)
def test_the_grid_bias_at_a_retention_stays_small(records, retention):
    # Investigation (lognormal) plus crisis management (certain given K): the
    # grid spreads the sum slightly, which a retention far out in a small firm's
    # incidents feels as a bias falling with the square of the bucket (3.1e-4
    # for the 50,000-record firm before the bucket was sized against it). Given K
    # the payment is the lognormal's stop-loss at r - cm(K), in closed form.
    o = pc.Organisation(records, 1e9, "retail")
    policy = pc.Policy(
        covers={"investigation", "crisis_management"}, retention=retention, investigation="every"
    )
    inv = MODEL.costs["investigation"]

    def paid(k: float) -> float:
        return float(inv.stop_loss(k, None, retention - float(CM.mean(k, None))))

    exact = MODEL.frequency(o).posterior_mean * over_k(paid, records, [(retention - 1e7) / 500])
    got = MODEL.expected_losses(o, policy)["total"]
    assert got == pytest.approx(exact, rel=1.5e-4)


@pytest.mark.parametrize(
    ("records", "retention", "limit"),
    [(3_270, 5.4e8, 1.7e10), (1_000, 3e8, 2e10), (2e4, 1e9, 5e10)],
)
def test_a_far_layer_on_a_small_firm_keeps_its_mean(records, retention, limit):
    # Attorney fees alone, in a layer far out: the yearly mean (about 10 KRW) is
    # far below one bucket of the grid that reaches the limit. The grid's
    # tolerance was once a share of a bucket, and zeroing the transform's
    # negative rounding raised the mean: errors of 2e-5 to 4e-4. Reference:
    # P(suit | K) times the lognormal's layer, pi(r) - pi(r + l), over K.
    o = pc.Organisation(int(records), 1e9, "retail")
    policy = pc.Policy(
        covers={"attorney_fees"}, retention=retention, per_incident_limit=limit,
        investigation="none",
    )  # fmt: skip
    att = MODEL.costs["attorney_fees"]

    def paid(k: float) -> float:
        layer = att.stop_loss(k, None, retention) - att.stop_loss(k, None, retention + limit)
        return float(MODEL.litigation.p_suit(k) * layer)

    exact = MODEL.frequency(o).posterior_mean * over_k(paid, records)
    got = MODEL.expected_losses(o, policy)["total"]
    assert got == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize(
    ("records", "sublimit", "retention", "limit"),
    [
        (734_364, 15_065_173.38, 46_011_407.98, 9_574_412.16),
        (38_970, 6_412_288.1, 18_487_329.34, math.inf),
    ],
)
def test_a_low_investigation_sublimit_bends_sharply(records, sublimit, retention, limit):
    # Investigation capped far below its median (about 1e8 here) is nearly fixed
    # at the cap, and crisis management is certain: with investigation paid on
    # every incident and nothing else covered, the payment given K is the layer of
    # min(I, L) above r - cm(K), in closed form from the lognormal's stop-loss.
    # Treated as a soft bend the error reached 1.7e-2 (the numerical review).
    o = pc.Organisation(records, 2e10, "services")
    policy = pc.Policy(
        covers={"investigation", "crisis_management"}, investigation="every",
        retention=retention, per_incident_limit=limit, sublimits={"investigation": sublimit},
    )  # fmt: skip
    inv = MODEL.costs["investigation"]

    def capped_excess(k: float, x: float) -> float:
        # E[(min(I, L) - x)+] = pi(min(x, L)) - pi(L) for x < L, else 0.
        if x >= sublimit:
            return 0.0
        return float(inv.stop_loss(k, None, max(x, 0.0)) - inv.stop_loss(k, None, sublimit)) + max(
            -x, 0.0
        )

    def paid(k: float) -> float:
        base = retention - float(CM.mean(k, None))
        layer = capped_excess(k, base)
        if math.isfinite(limit):
            layer -= capped_excess(k, base + limit)
        return layer

    bends_at = [(retention - sublimit - 1e7) / 500, (retention - 1e7) / 500]
    if math.isfinite(limit):
        bends_at += [(retention + limit - sublimit - 1e7) / 500, (retention + limit - 1e7) / 500]
    exact = MODEL.frequency(o).posterior_mean * over_k(paid, records, bends_at)
    got = MODEL.expected_losses(o, policy)["total"]
    assert got == pytest.approx(exact, rel=1e-4)


def test_a_breach_size_taking_one_list_of_breakpoints_still_works_in_batch():
    # The protocol's first form: nodes() given one sequence of floats. Per-
    # organisation bends reach it organisation by organisation, and the batch
    # still equals single calls.
    import attrs

    from picover.model.breach import PowerLawSize

    @attrs.frozen
    class ListOnly(PowerLawSize):
        def nodes(self, records, breakpoints=(), n=8):
            cuts = sorted(float(b) for b in breakpoints if b > 0)
            return super().nodes(records, cuts, n)

    model = attrs.evolve(MODEL, breach_size=ListOnly(p_total=0.1, k_min=250.0, exponent=0.5))
    policy = pc.Policy(sublimits={"consolation": 1e8, "crisis_management": 3e8})
    records, sales = [1e6, 1e4, 3e7], [1e10, 1e9, 1e12]
    batch = expected_losses_arrays(model, records, sales, ["retail"] * 3, policy=policy)
    for i in range(3):
        o = pc.Organisation(int(records[i]), sales[i], "retail")
        single = model.expected_losses(o, policy)["total"]
        assert batch["total"][i] == pytest.approx(single, rel=1e-12)
        # ...and equal to the preset's own breach size, which takes arrays.
        assert single == pytest.approx(MODEL.expected_losses(o, policy)["total"], rel=1e-12)


def test_most_nodes_bounds_the_nodes_of_every_organisation():
    # Batches size their chunks by this bound: it must hold whatever bends appear.
    records = np.array([300.0, 5e3, 8e4, 1e6, 3e7, 1e9])
    ctx = CostContext(records[:, None], np.full((6, 1), 1e11))
    for policy in (
        None,
        pc.Policy(retention=5e7, per_incident_limit=3e8, sublimits={"consolation": 1e8}),
        pc.Policy(
            covers={"fines", "crisis_management", "consolation", "attorney_fees"},
            sublimits={"fines": 1e9, "crisis_management": 2e8},
            retention=4e8,
            investigation="none",
        ),
    ):
        k, _ = MODEL._nodes(records, MODEL.terms(policy), ctx)
        assert k.shape[-1] <= MODEL.most_nodes(policy)


def test_a_custom_category_answering_constants_prices_like_one_answering_arrays():
    # A cost fixed whatever K may answer a plain number rather than one per node;
    # under a retention and a limit it must price exactly as the array version.
    import attrs

    from picover.model.costs import LinearCost

    @attrs.frozen
    class Constant(LinearCost):
        def mean(self, k, ctx):
            return self.fixed

        def levels(self, k, ctx):
            return (self.fixed,)

    policy = pc.Policy(
        retention=4e7, per_incident_limit=1e8, investigation="none",
        covers={"legal_notice", "crisis_management"},
    )  # fmt: skip
    o = pc.Organisation(200_000, 5e10, "retail")
    totals = []
    for cost in (Constant(3e7, 0.0), LinearCost(3e7, 0.0)):
        model = attrs.evolve(MODEL, costs={**MODEL.costs, "legal_notice": cost})
        totals.append(model.expected_losses(o, policy)["total"])
    assert totals[0] == pytest.approx(totals[1], rel=1e-12)


def test_an_aggregate_retention_beyond_reach_of_capped_payments_pays_nothing_quietly():
    # Each payment is at most the per-incident limit (1e9), so the year passes
    # the aggregate retention (1e10) only with 11 incidents or more. By hand,
    # E[(S - d)+] <= E[N 1e9; N >= 11], far below a KRW: the mean is 0, found
    # without a grid and without the warning that a payment is too small to resolve.
    o = pc.Organisation(3_000_000, 5e9, "retail")
    policy = pc.Policy(limit=1e9, aggregate_retention=1e10, per_incident_limit=1e9)
    freq = MODEL.frequency(o).counts()
    n = np.arange(11, 400)
    assert 1e9 * float(np.sum(n * freq.pmf(n))) < 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = MODEL.annual_loss(o, policy)
    assert loss.mean() == 0.0
    # Within reach (3 incidents of a million-record breach pass 2e9) it pays.
    assert MODEL.annual_loss(o, attrs.evolve(policy, aggregate_retention=2e9)).mean() > 0


def test_a_given_grid_ending_short_of_the_retention_raises_with_the_figures():
    # Beyond the grid only the tail's mean is known, and (X - r)+ is not linear
    # across r: the payment, mean and variance alike, would be unknown (it was
    # once 80% low, silently). The automatic grid always reaches the retention.
    o = pc.Organisation(40_000, 1e9, "retail")
    policy = pc.Policy(retention=1e9)
    with pytest.raises(ValueError, match=r"ends at 6\.3e\+07, short of the deductible 1e\+09"):
        MODEL.annual_loss(o, policy, bucket=1e6, n_buckets=64)
    assert MODEL.annual_loss(o, policy).mean() == pytest.approx(
        MODEL.annual_loss(o, policy, n_buckets=2**14).mean(), rel=1e-3
    )


@pytest.mark.parametrize(
    ("policy", "warned"),
    [
        # A bucket of about 1.3e8, far beyond a 1e7 retention, which the grid
        # can neither divide nor shrink enough to resolve: the mean came out 5%
        # high, once silently. A grid of 2^18 points has a bucket of 1e7, which
        # divides the retention: there its mean is the exact one (E[X] less
        # E[min(X, r)] on a grid of r / 4000, to 1e-15).
        (
            pc.Policy(retention=1e7),
            r"bucket \(1\.26487e\+08\) is coarse beside the policy.s retention \(1e\+07\)",
        ),
        # A bucket of about 2.2e8 even after shrinking it, beside a 1e7
        # aggregate retention: each category of each incident spreads the
        # year's total, and the mean came out 5% high, silently (13.6% for a
        # 3e7 retention).
        (
            pc.Policy(aggregate_retention=1e7),
            r"bucket \(2\.18361e\+08\) is coarse beside the policy.s aggregate retention",
        ),
    ],
)
def test_a_bucket_too_coarse_for_the_retention_warns_with_the_figures(policy, warned):
    # Heavy attorney fees (sigma 2.5) and a busy firm stretch the grid to its
    # most points, with a bucket far coarser than the policy's retention.
    model = MODEL.with_params({"attorney_fees.sigma": 2.5, "frequency.modifier": 20.0})
    o = pc.Organisation(300_000, 5e10, "retail")
    with pytest.warns(RuntimeWarning, match=warned):
        coarse = model.annual_loss(o, policy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fine = model.annual_loss(o, policy, n_buckets=2**18)
    assert coarse.mean() > 1.01 * fine.mean()


def test_a_bucket_dividing_the_retention_coarsely_still_warns():
    # A bucket of 3.3e7 divides a 1e8 retention, three to one, but the spread
    # of each category's cost still moves the mean: 1.8% high against grids of
    # buckets r / 16 and r / 64 (290,801 and 290,665 KRW), which agree.
    model = MODEL.with_params({"attorney_fees.sigma": 2.5, "frequency.modifier": 20.0})
    o = pc.Organisation(10_000, 5e10, "retail")
    policy = pc.Policy(retention=1e8)
    with pytest.warns(RuntimeWarning, match=r"bucket \(3\.33333e\+07\) is coarse beside"):
        coarse = model.annual_loss(o, policy, tail_tol=1e-9)
    fine = model.annual_loss(o, policy, bucket=6.25e6, n_buckets=2**18, tail_tol=1e-9)
    assert coarse.mean() > 1.01 * fine.mean()


def test_an_aggregate_retention_refines_the_bucket():
    # Each category of each incident spreads the year's total a little on the
    # grid, and (S - d)+ is convex at d: a bucket of 1.4e6 beside a 3e7
    # aggregate retention put the mean 3.8e-4 high, silently, against a grid 8
    # times finer. The bias is estimated from the year's grid (here at 1.1e-3,
    # erring high) and the bucket shrinks: 9e-5 off.
    o = pc.Organisation(3_000, 1e11, "retail")
    policy = pc.Policy(aggregate_retention=3e7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = MODEL.annual_loss(o, policy)
    fine = MODEL.annual_loss(o, policy, bucket=got.bucket / 8, n_buckets=8 * got.probs.size - 7)
    assert got.mean() == pytest.approx(fine.mean(), rel=1e-4)


@pytest.mark.parametrize(
    ("records", "policy"),
    [
        (1000, pc.Policy(retention=1e7, investigation="none")),
        (2000, pc.Policy(retention=3e7, sublimits={"investigation": 2e7})),
    ],
)
def test_a_fixed_cost_at_the_retention_raises_no_false_alarm(records, policy):
    # The crisis fee (plus, capped, the investigation) sits exactly at the
    # retention and the other costs above it: the payment is linear there and the
    # grid's mean has no bias to warn of (it once warned of up to 0.3% and 0.9%).
    # Against a grid 64 times finer.
    o = pc.Organisation(records=records, annual_sales=1e9, sector="retail")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = MODEL.annual_loss(o, policy).mean()
    fine = MODEL.annual_loss(o, policy, n_buckets=2**17).mean()
    assert got == pytest.approx(fine, rel=3e-4)


def test_n_buckets_alone_grows_the_grid_to_the_annual_terms():
    # More points than the automatic grid's should mean a finer grid, not an
    # error: n_buckets sets how many points, and the grid still grows to the
    # aggregate retention plus limit (5.005e9) as an automatic one does. The
    # means agree to the grids' accuracy under an aggregate retention (1e-4).
    model = MODEL.with_params({"consolation.award": 5e6})
    rows = [{"year": 2015, "records_held": 493_553, "incidents": 3},
            {"year": 2016, "records_held": 665_884, "incidents": 2},
            {"year": 2017, "records_held": 600_299, "incidents": 2}]  # fmt: skip
    history = pc.IncidentHistory.from_rows(rows)
    org = pc.Organisation(1_470_057, 1.2279e9, "telecom", history=history)
    policy = pc.Policy(limit=5e9, per_incident_limit=5e9, aggregate_retention=5e6,
                       coinsurance=0.3, sublimits={"investigation": 1e9})  # fmt: skip
    auto = model.annual_loss(org, policy)
    finer = model.annual_loss(org, policy, n_buckets=2**16)
    assert finer.bucket < auto.bucket
    assert finer.tail_mass == 0.0  # the tail pays the limit: the grid reached 5.005e9
    assert finer.mean() == pytest.approx(auto.mean(), rel=1e-4)


def test_a_per_incident_limit_off_the_grid_warns_where_the_distribution_is_handed_over():
    # 1,234,000 and 51,234,000 share no divisor above 2,000 KRW, far below the
    # bucket (about 1.8e5): the grid takes the retention, and the payment of the
    # limit is placed on the points around it. A reviewer's 2e7 simulated years
    # put P(payment > limit) at 0.03% where the grid gave 1%.
    org = pc.Organisation(records=2_730_626, annual_sales=2e10, sector="public")
    off = pc.Policy(retention=1_234_000, per_incident_limit=5e7)
    with pytest.warns(RuntimeWarning, match=r"per-incident limit \(50,000,000\) falls between "
                      r"the grid's points \(bucket 1\d\d,\d\d\d, the nearest [\d,.e+]+ away\).*"
                      r"retention \(1,234,000\).*keeps the mean"):  # fmt: skip
        MODEL.annual_loss(org, off)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MODEL.expected_losses(org, off)  # a mean: the placing keeps it
        d = MODEL.annual_loss(org, pc.Policy(retention=1e7, per_incident_limit=5e7))
    assert 5e7 in d.support  # on the grid: its atom is where it belongs

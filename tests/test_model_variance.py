"""The exact variance of a year's loss when payments are proportional to the costs."""

from __future__ import annotations

import math
import warnings

import attrs
import numpy as np
import pytest

import picover as pc

MODEL = pc.BreachModel.preset("kr")


def test_variance_by_hand_for_a_fixed_breach_size():
    # Every breach exposes half of 100,000 records (K = 50,000), and the rate is
    # certain (Poisson): Var(S) = lambda E[X^2], with X the incident's cost.
    model = attrs.evolve(
        MODEL.with_params({"frequency.shape": math.inf}), breach_size=pc.FixedFractionSize(0.5)
    )
    o = pc.Organisation(100_000, 1e10, "retail")
    lam = model.frequency(o).posterior_mean
    k = 5e4

    def lognormal(median: float, sigma: float) -> tuple[float, float]:
        mean = median * math.exp(sigma**2 / 2)
        return mean, mean**2 * (math.exp(sigma**2) - 1)  # mean, variance

    inv = lognormal(33.75e6 * (k / 1e4) ** 0.4, 1.0)
    att = lognormal(10.125e6 * (k / 1e4) ** 0.3, 1.5)
    claimants = k * 0.003
    cons = (1e5 * claimants, 1e10 * claimants * 0.997)  # 1e5 x Binomial(50,000, 0.003)
    cm = 1e7 + 500 * k
    p_suit = 0.05 + 0.95 * math.log10(k / 1e4) / 2  # linear in log10 K from 1e4 to 1e6
    none = inv[1] + (inv[0] + cm) ** 2
    suit = inv[1] + att[1] + (inv[0] + cm + att[0]) ** 2
    liable = inv[1] + att[1] + cons[1] + (inv[0] + cm + att[0] + cons[0]) ** 2
    second = (1 - p_suit) * none + p_suit * (0.5 * suit + 0.5 * liable)

    assert model.annual_loss(o).var() == pytest.approx(lam * second, rel=1e-12)
    covered = pc.Policy(coinsurance=0.7, investigation="every")
    assert model.annual_loss(o, covered).var() == pytest.approx(0.49 * lam * second, rel=1e-12)


@pytest.mark.parametrize("policy", [None, pc.Policy(), pc.Policy(sublimits={"consolation": 1e8})])
def test_variance_agrees_with_monte_carlo(policy):
    # Busy (a rate twenty times the preset's) so that each simulated year holds
    # about one incident; the sample variance's standard error comes from the
    # sample's fourth central moment. The first-incident clause (Policy()
    # pays investigation once a year) takes the formula's first/later split.
    busy = MODEL.with_params({"frequency.modifier": 20.0})
    o = pc.Organisation(3_000_000, 5e10, "retail")
    exact = busy.annual_loss(o, policy).var()
    sims = busy.simulate(o, policy, n_sims=400_000, seed=11).insured
    centred = sims - sims.mean()
    sample = float(np.mean(centred**2))
    se = math.sqrt((float(np.mean(centred**4)) - sample**2) / sims.size)
    assert abs(sample - exact) <= 4 * se


def test_no_warning_for_an_unlimited_cover_and_the_grid_agrees():
    # The grid alone sees the tail beyond it as one atom (a lower bound, with a
    # warning); the closed form needs neither. A short grid and a long one agree
    # with it to their discretisation.
    o = pc.Organisation(30_000, 1e10, "retail")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = MODEL.annual_loss(o).var()
        MODEL.annual_loss(o).std()
    # A grid reaching far into the tail (a probability of 1e-9 beyond it, not
    # the default 1e-6), so that the atom's missing spread is small.
    grid = attrs.evolve(MODEL.annual_loss(o, tail_tol=1e-9), exact_var=math.nan)
    with pytest.warns(RuntimeWarning, match="lower bounds"):
        short = grid.var()
    assert short < exact
    assert short == pytest.approx(exact, rel=3e-3)


def test_annual_terms_keep_the_grid_variance():
    # Under an aggregate limit or retention the year's payment is not a sum of
    # the incidents' payments: no formula, and the grid's own variance is
    # reported (here the limit caps the tail, so nothing is missing from it).
    o = pc.Organisation(3_000_000, 5e10, "retail")
    for policy in (pc.Policy(limit=1e9), pc.Policy(aggregate_retention=1e8)):
        assert math.isnan(MODEL.annual_loss(o, policy).exact_var)


@pytest.mark.parametrize("records", [3_000, 40_000, 3_000_000, 20_000_000])
@pytest.mark.parametrize(
    "terms",
    [{}, {"coinsurance": 0.7, "sublimits": {"consolation": 2e8}}, {"investigation": "every"}],
)
def test_a_retention_of_one_krw_keeps_the_closed_form_variance(records, terms):
    # A retention of 1 KRW takes at most 1 KRW from each incident: the variance
    # is the closed form's, to the grid's discretisation of each incident. The
    # year's own grid misses the spread of the tail beyond it (up to 5% of the
    # variance here); the incidents' payments and the categories' second
    # moments restore it.
    o = pc.Organisation(records, 3e10, "retail")
    closed = MODEL.annual_loss(o, pc.Policy(**terms)).var()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = MODEL.annual_loss(o, pc.Policy(retention=1.0, **terms)).var()
    assert got == pytest.approx(closed, rel=1e-3)


@pytest.mark.parametrize(
    ("policy", "known"),
    [
        (pc.Policy(retention=1e7), True),
        (pc.Policy(retention=3e7, per_incident_limit=5e8, coinsurance=0.8), True),
        (pc.Policy(retention=1e7, per_incident_limit=1e11), True),  # reached by the grid
        (pc.Policy(retention=1e7, per_incident_limit=1e12), False),  # left beyond it
    ],
)
def test_variance_under_per_incident_terms_agrees_with_monte_carlo(policy, known):
    # As without terms: a busy firm, and the sample variance's standard error
    # from its fourth central moment (about 3%: a sanity check; the test above
    # is the sharp one). A limit left beyond the grid leaves the tail's spread
    # unknown: the grid's variance, a lower bound.
    busy = MODEL.with_params({"frequency.modifier": 20.0})
    o = pc.Organisation(300_000, 5e10, "retail")
    loss = busy.annual_loss(o, policy)
    assert math.isnan(loss.exact_var) != known
    sims = busy.simulate(o, policy, n_sims=400_000, seed=12).insured
    centred = sims - sims.mean()
    sample = float(np.mean(centred**2))
    se = math.sqrt((float(np.mean(centred**4)) - sample**2) / sims.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the lower bound's warning
        var = loss.var()
    if known:
        assert abs(sample - var) <= 4 * se
    else:
        assert var <= sample + 4 * se


@pytest.mark.parametrize(
    "policy", [pc.Policy(), pc.Policy(coinsurance=0.6, sublimits={"consolation": 2e8})]
)
@pytest.mark.parametrize("records", [3_000, 400_000, 20_000_000])
def test_moments_without_a_grid_agree_with_the_grid(records, policy):
    # The grid's mean is exact, and its variance (from the probabilities, tail
    # atom included) approaches the exact one: within 1% on the automatic grid.
    o = pc.Organisation(records, 5e10, "retail")
    mean, var = MODEL._plain_moments(o, policy)
    loss = MODEL.annual_loss(o, policy)
    assert mean == pytest.approx(loss.mean(), rel=1e-9)
    x, p = loss.support, loss.probs
    on_grid = float(np.sum(p * (x - loss.mean()) ** 2))
    assert var == pytest.approx(on_grid, rel=0.01)


@pytest.mark.parametrize(
    ("records", "retention"), [(1_000, 1e8), (40_000, 1e8), (40_000, 1e9), (300_000, 1e9)]
)
def test_a_retention_far_out_keeps_the_variance_within_its_bound(records, retention):
    # Below the retention the grid's discretisation spread (up to h^2 / 4 per
    # category) does not cancel: it is bounded by 1% of the payment's second
    # moment, or the variance is left unknown. Reference: a grid of 2^18
    # points, whose buckets are 10 to 30 times finer (its spread a hundred to
    # a thousand times smaller).
    o = pc.Organisation(records, 5e10, "retail")
    policy = pc.Policy(retention=retention)
    got = MODEL.annual_loss(o, policy)
    fine = MODEL.annual_loss(o, policy, n_buckets=2**18)
    assert not math.isnan(got.exact_var)
    assert got.bucket > 10 * fine.bucket
    assert got.var() == pytest.approx(fine.var(), rel=1e-2)


def test_a_retention_in_a_small_firms_far_tail_leaves_the_variance_unknown():
    # A 1e9 retention on a 1,000-record shop: the discretisation's spread below
    # it could be a fifth of the payment's second moment, so no variance is
    # claimed beyond the grid's own lower bound, which says so.
    o = pc.Organisation(1_000, 5e10, "retail")
    loss = MODEL.annual_loss(o, pc.Policy(retention=1e9))
    assert math.isnan(loss.exact_var)
    with pytest.warns(RuntimeWarning, match="lower bounds"):
        loss.var()


def test_a_share_rescales_the_payments_exactly():
    # Payments c (X - r) lie on c times X's grid, so the year's payment is c
    # times the c = 1 payment on the same grid: std / c and mean / c do not move
    # (on X's own bucket, rounding each payment to it added up to 45% to the
    # standard deviation at c = 0.01).
    small = pc.Organisation(records=1200, annual_sales=3e8, sector="retail")
    whole = MODEL.annual_loss(small, pc.Policy(retention=1e7))
    for c in (0.9, 0.05, 0.01):
        part = MODEL.annual_loss(small, pc.Policy(retention=1e7, coinsurance=c))
        assert part.std() / c == pytest.approx(whole.std(), rel=1e-9)
        assert part.mean() / c == pytest.approx(whole.mean(), rel=1e-9)
        assert part.ppf(0.999) / c == pytest.approx(whole.ppf(0.999), rel=1e-9)


@pytest.mark.parametrize("c", [1e-3, 1e-6])
def test_a_tiny_share_under_an_aggregate_limit_keeps_the_mean(c):
    # A 1e9 limit that no year of c X reaches: the mean is c times the ground-up
    # covered mean, in closed form. (The grid once sized the year on the covered
    # costs' scale; at c = 1e-6 every payment fell in one bucket of 6e10 that the
    # limit then cut: 1.6% of the mean was left, silently.)
    org = pc.Organisation(3_000_000, 1.2e11, "retail")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = MODEL.expected_losses(org, pc.Policy(limit=1e9, coinsurance=c))["total"]
    want = MODEL.expected_losses(org, pc.Policy(coinsurance=c))["total"]
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("c", [1e-3, 1e-6])
def test_a_tiny_share_takes_the_same_grid_as_the_whole(c):
    # The stop-loss bounds once allowed payments to round up by X's bucket h, not
    # by c h: loose by h / c, they made a far per-incident limit look binding (a
    # grid 16 times longer, the 99.5% quantile 21% off) and missed a retention so
    # far out that nothing is paid.
    org = pc.Organisation(records=170_453, annual_sales=6.9e9, sector="retail")
    policy = pc.Policy(per_incident_limit=1e12, investigation="every")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tail's share of the variance, alike in both
        whole = MODEL.annual_loss(org, policy)
        part = MODEL.annual_loss(org, attrs.evolve(policy, coinsurance=c))
    assert part.support.size == whole.support.size
    assert part.bucket / c == pytest.approx(whole.bucket, rel=1e-12)
    assert part.ppf(0.995) / c == pytest.approx(whole.ppf(0.995), rel=1e-9)
    far = pc.Organisation(records=21_711, annual_sales=9.7e8, sector="healthcare")
    nothing = pc.Policy(
        retention=1e11, per_incident_limit=1e12, investigation="none", coinsurance=c
    )
    paid = MODEL.annual_loss(far, nothing)
    assert (paid.support.size, paid.mean()) == (1, 0.0)

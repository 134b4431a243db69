"""The FFT engine against exact references: Panjer recursion and closed forms."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

import picover as pc
from tests.reference import (
    discrete_summary,
    layer_atoms,
    lognormal_lev,
    panjer_binom,
    panjer_nbinom,
    panjer_poisson,
)

UNIT = 1e6  # lattice span in KRW
# The warning of a grid coarser than the median claim.
COARSE = "the grid's bucket .* exceeds the median claim"
SEV_PMF = np.array([0.0, 0.25, 0.3, 0.1, 0.05, 0.2, 0.0, 0.0, 0.1])  # losses 1..8 million


def _reference(freq: str, params: tuple, f: np.ndarray, n_out: int) -> np.ndarray:
    if freq == "poisson":
        return panjer_poisson(*params, f, n_out)
    if freq == "nbinom":
        return panjer_nbinom(*params, f, n_out)
    return panjer_binom(*params, f, n_out)


FREQS = [
    ("poisson", (0.3,), stats.poisson(0.3)),
    ("poisson", (4.0,), stats.poisson(4.0)),
    ("nbinom", (2.5, 0.4), stats.nbinom(2.5, 0.4)),
    ("binom", (6, 0.35), stats.binom(6, 0.35)),
]

TERMS = [
    # deductible, limit, coinsurance, aggregate deductible, aggregate limit (KRW)
    (0.0, math.inf, 1.0, 0.0, math.inf),
    (1e6, 4e6, 1.0, 0.0, math.inf),
    (2e6, 5e6, 0.5, 0.0, math.inf),
    (0.0, math.inf, 1.0, 3e6, math.inf),
    (1e6, 6e6, 0.8, 2e6, 1.2e7),
]


@pytest.mark.parametrize(("name", "params", "frozen"), FREQS)
@pytest.mark.parametrize(("d", "lim", "share", "agg_d", "agg_l"), TERMS)
def test_lattice_matches_panjer(name, params, frozen, d, lim, share, agg_d, agg_l):
    # Reference: per-occurrence terms on the atoms, Panjer on their lattice, then
    # the annual terms applied atom by atom.
    values = UNIT * np.arange(SEV_PMF.size)
    y, py = layer_atoms(values, SEV_PMF, d, lim, share)
    span = share * UNIT
    f = np.bincount(np.rint(y / span).astype(int), weights=py)
    g = _reference(name, params, f, 400)
    assert g.sum() > 1 - 1e-12
    s = span * np.arange(g.size)
    ref_x, ref_p = layer_atoms(s, g, agg_d, agg_l, 1.0)

    dist = pc.compound(
        frozen,
        pc.lattice(SEV_PMF, bucket=UNIT),
        deductible=d,
        limit=lim,
        coinsurance=share,
        aggregate_deductible=agg_d,
        aggregate_limit=agg_l,
    )
    inside = ref_x <= min(dist.tail_from, ref_x[-1])
    ref_cdf = np.cumsum(ref_p)
    assert np.allclose(dist.cdf(ref_x[inside]), ref_cdf[inside], rtol=0, atol=1e-9)
    # Exact means: nothing was discretised.
    assert dist.mean() == pytest.approx(float(np.dot(ref_x, ref_p)), rel=1e-9)
    for q in (0.5, 0.9, 0.99, 0.999):
        if np.any(np.abs(ref_cdf - q) < 1e-7):
            continue  # a quantile at a jump is ill-conditioned for any method
        var, tvar = discrete_summary(ref_x, ref_p, q)
        assert float(dist.ppf(q)) == pytest.approx(var, rel=1e-12)
        assert float(dist.tvar(q)) == pytest.approx(tvar, rel=1e-9)


def test_lattice_severity_from_scipy_rv_discrete_is_exact_off_integers():
    # Atoms at multiples of 0.5 million: the grid is their lattice, no smearing.
    values = np.array([0.5, 1.5, 4.0]) * UNIT
    probs = np.array([0.5, 0.3, 0.2])
    sev = stats.rv_discrete(values=(values / UNIT, probs))()
    dist_scaled = pc.compound(
        stats.poisson(1.2),
        pc.lattice(np.bincount([1, 3, 8], weights=probs, minlength=9), bucket=0.5 * UNIT),
    )
    dist = pc.compound(stats.poisson(1.2), sev)
    f = np.bincount([1, 3, 8], weights=probs, minlength=9)
    g = panjer_poisson(1.2, f, 200)
    x = 0.5 * np.arange(200)  # in units of the scipy distribution
    inside = x <= dist.tail_from
    assert inside.sum() > 30
    assert np.allclose(dist.cdf(x[inside]), np.cumsum(g)[inside], atol=1e-9)
    assert np.allclose(dist_scaled.cdf(UNIT * x[inside]), np.cumsum(g)[inside], atol=1e-9)
    assert dist.bucket == pytest.approx(0.5)


def test_a_lattice_without_a_decimal_step_is_still_exact():
    # A bucket of 1/3 KRW has no 9-decimal divisor: the lattice's own step is used,
    # and the year's pmf is Panjer's at every multiple of 1/3.
    f = np.array([0.2, 0.3, 0.1, 0.4])
    dist = pc.compound(stats.poisson(2.0), pc.lattice(f, bucket=1 / 3))
    assert dist.bucket == 1 / 3
    k = np.arange(30)  # the grid reaches 10 KRW, where P(S > 10) = 7e-9
    assert np.allclose(dist.pmf(k / 3), panjer_poisson(2.0, f, 30), rtol=0, atol=1e-13)


@pytest.mark.parametrize(
    ("terms", "layered", "span"),
    [
        # A deductible of one step: payments 0 (0.5), 1/3 (0.1), 2/3 (0.4).
        ({"deductible": 1 / 3}, [0.5, 0.1, 0.4], 1 / 3),
        # Half of each claim: the same probabilities on steps of 1/6.
        ({"coinsurance": 0.5}, [0.2, 0.3, 0.1, 0.4], 1 / 6),
        # A limit at the top claim changes nothing.
        ({"limit": 1.0}, [0.2, 0.3, 0.1, 0.4], 1 / 3),
        # A limit of 2/3 merges the top two claims.
        ({"limit": 2 / 3}, [0.2, 0.3, 0.5], 1 / 3),
    ],
)
def test_a_lattice_without_a_decimal_step_stays_exact_under_terms(terms, layered, span):
    # Whole steps of 1/3 as deductible and limit keep the payments on a lattice (of
    # share / 3): it must be used as is, not an ordinary grid that splits each atom
    # between grid points (the pmf at 1/3 was 0). The year is Panjer's on the
    # payments' own pmf; with the deductible, for instance, P(S = 1/3) = e^-1 * 0.2
    # (one non-zero payment, Poisson(2 * 0.5), and it is 1/3 with chance 0.1 / 0.5).
    f = np.array([0.2, 0.3, 0.1, 0.4])
    dist = pc.compound(stats.poisson(2.0), pc.lattice(f, bucket=1 / 3), **terms)
    assert dist.bucket == pytest.approx(span, rel=1e-15)
    k = np.arange(int(dist.tail_from / span + 1e-9) + 1)  # the grid's own reach
    assert k.size >= 15
    ref = panjer_poisson(2.0, np.array(layered), k.size)
    assert np.allclose(dist.pmf(k * span), ref, rtol=0, atol=1e-13)
    if "deductible" in terms:
        assert float(dist.pmf(1 / 3)) == pytest.approx(0.2 * math.exp(-1.0), rel=1e-12)


def test_a_fine_lattice_whose_claims_share_a_coarser_step_uses_that_step():
    # Claims of 100,000 to 500,000 KRW given on a 1-KRW lattice: the grid's bucket
    # is their common step of 100,000 KRW, not 1 KRW (a grid that fine cannot reach
    # the year's tail, and an ordinary grid put P(S = 1e6) 2.5 times too low).
    pmf = np.zeros(500_001)
    pmf[100_000::100_000] = 0.2
    dist = pc.compound(stats.poisson(20.0), pc.lattice(pmf, bucket=1.0))
    assert dist.bucket == 1e5
    ref = panjer_poisson(20.0, np.array([0.0, 0.2, 0.2, 0.2, 0.2, 0.2]), 60)
    k = np.arange(60)
    assert np.allclose(dist.pmf(k * 1e5), ref, rtol=0, atol=1e-13)


def test_lattices_of_steps_without_decimals_share_their_common_step():
    # A first event on steps of 1/3 KRW and later ones on steps of 1/2: neither has
    # a decimal divisor, but both are multiples of 1/6, where the year is exact.
    # Reference: the direct sum over n on the 1/6 lattice (first claim, then n - 1).
    f1 = np.array([0.0, 0.5, 0.5])  # 1/3 or 2/3
    f = np.array([0.0, 0.7, 0.3])  # 1/2 or 1
    on_sixths = (np.bincount([0, 2, 4], weights=np.r_[f1], minlength=5),
                 np.bincount([0, 3, 6], weights=np.r_[f], minlength=7))  # fmt: skip
    lam, n_max, size = 1.2, 40, 400
    ref = np.zeros(size)
    ref[0] = math.exp(-lam)
    conv = np.zeros(size)
    conv[: on_sixths[0].size] = on_sixths[0]
    for n in range(1, n_max):
        ref += stats.poisson.pmf(n, lam) * conv
        conv = np.convolve(conv, on_sixths[1])[:size]
    dist = pc.compound(
        stats.poisson(lam), pc.lattice(f, bucket=1 / 2), first_severity=pc.lattice(f1, bucket=1 / 3)
    )
    assert dist.bucket == pytest.approx(1 / 6, rel=1e-15)
    k = np.arange(int(dist.tail_from * 6 + 1e-9))  # short of the tail, known in total only
    assert k.size >= 40
    assert np.allclose(dist.pmf(k / 6), ref[: k.size], rtol=0, atol=1e-12)


def test_amounts_a_millionth_off_a_lattice_keep_their_own_points():
    # 1,000,000.5 KRW is not a multiple of 1,000,000: on their exact lattice (1.5
    # KRW) the two amounts are kept exactly, P(S = 1,000,000.5) = 0.1 e^-0.1 / 2.
    small = pc.compound(stats.poisson(0.1), pc.empirical([1000.5, 3000.0]))
    assert float(small.pmf(1000.5)) == pytest.approx(0.05 * math.exp(-0.1), rel=1e-12)
    # At a million, that lattice would need 10 million points: the coarser one it
    # nearly is (1,000,000) serves, each amount split by a millionth; the mean stays.
    big = pc.compound(stats.poisson(0.1), pc.empirical([1e6 + 0.5, 3e6]))
    assert big.bucket == 1e6
    assert big.mean() == pytest.approx(0.1 * (2e6 + 0.25), rel=1e-12)
    assert float(big.pmf(1e6)) == pytest.approx(0.05 * math.exp(-0.1), rel=1e-6)


def test_first_event_severity_matches_direct_convolution():
    # S = Y'_1 + Y_2 + ... + Y_N, summed directly over n on the lattice.
    f = np.array([0.0, 0.6, 0.3, 0.1])
    f1 = np.array([0.0, 0.0, 0.0, 0.5, 0.5])  # the first event costs 3 or 4 more
    lam = 1.7
    n_max = 40
    size = 5 * n_max
    ref = np.zeros(size)
    ref[0] = math.exp(-lam)
    conv = np.zeros(size)
    conv[: f1.size] = f1
    for n in range(1, n_max):
        ref += stats.poisson.pmf(n, lam) * conv
        conv = np.convolve(conv, f)[:size]
    dist = pc.compound(
        stats.poisson(lam), pc.lattice(f, bucket=UNIT), first_severity=pc.lattice(f1, bucket=UNIT)
    )
    x = UNIT * np.arange(60)
    assert np.allclose(dist.cdf(x), np.cumsum(ref)[:60], atol=1e-10)
    p_any = 1 - math.exp(-lam)
    expected = p_any * 3.5e6 + (lam - p_any) * UNIT * np.dot(np.arange(4), f)
    assert dist.mean() == pytest.approx(expected, rel=1e-12)


def test_first_event_severity_with_negative_binomial_large_mean():
    # Many events: the shifted generating function must stay accurate where |phi| is small.
    f = np.array([0.0, 0.5, 0.5])
    f1 = np.array([0.0, 0.0, 0.0, 1.0])
    r, p = 3.0, 0.2
    dist = pc.compound(
        stats.nbinom(r, p), pc.lattice(f, bucket=1.0), first_severity=pc.lattice(f1, bucket=1.0)
    )
    # Direct: S = 3 + sum of N - 1 claims when N >= 1.
    k = np.arange(400)
    pn = stats.nbinom.pmf(k, r, p)
    size = 1200
    ref = np.zeros(size)
    ref[0] = pn[0]
    conv = np.zeros(size)
    conv[3] = 1.0
    for n in range(1, 400):
        ref += pn[n] * conv
        conv = np.convolve(conv, f)[:size]
    x = np.arange(150.0)
    assert np.allclose(dist.cdf(x), np.cumsum(ref)[:150], atol=1e-10)


def test_compound_mean_and_variance_closed_form_lattice():
    lam = 2.3
    x = UNIT * np.arange(SEV_PMF.size)
    ey = np.dot(x, SEV_PMF)
    ey2 = np.dot(x**2, SEV_PMF)
    dist = pc.compound(stats.poisson(lam), pc.lattice(SEV_PMF, bucket=UNIT), tail_tol=1e-12)
    assert dist.mean() == pytest.approx(lam * ey, rel=1e-12)
    assert dist.var() == pytest.approx(lam * ey2, rel=1e-9)  # compound Poisson: lam E[Y^2]
    assert dist.std() == pytest.approx(math.sqrt(lam * ey2), rel=1e-9)

    r, p = 1.5, 0.3
    en, vn = stats.nbinom.mean(r, p), stats.nbinom.var(r, p)
    dist = pc.compound(stats.nbinom(r, p), pc.lattice(SEV_PMF, bucket=UNIT), tail_tol=1e-12)
    assert dist.mean() == pytest.approx(en * ey, rel=1e-12)
    assert dist.var() == pytest.approx(en * (ey2 - ey**2) + vn * ey**2, rel=1e-8)


@pytest.mark.parametrize(
    "severity",
    [
        stats.lognorm(2.0, scale=2e6 * math.exp(-2.0)),
        stats.pareto(1.5, scale=1e5),
        stats.gamma(0.5, scale=4e6),
        stats.weibull_min(0.6, scale=1e6),
        stats.lomax(2.5, scale=3e6),
        stats.genpareto(0.4, scale=1e6),
        stats.expon(scale=2e6),
        stats.uniform(loc=1e6, scale=4e6),
        stats.beta(2.0, 5.0, loc=1e6, scale=9e6),
        stats.invgauss(0.8, scale=2e6),  # no closed form: numeric stop-loss
    ],
    ids=lambda s: s.dist.name,
)
def test_mean_is_exact_for_continuous_severities(severity):
    # The mean is E[N] E[X] whatever the grid, heavy tails included (on 256
    # points a heavy tail's grid is coarser than the median claim, and says so).
    for kwargs in ({}, {"n_buckets": 256}):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", COARSE, RuntimeWarning)
            dist = pc.compound(stats.poisson(0.3), severity, **kwargs)
        assert dist.mean() == pytest.approx(0.3 * severity.mean(), rel=1e-9)


def test_lognormal_sigma_2_keeps_its_mean_on_a_coarse_grid():
    # Open-source FFT libraries lose about 1% of this mean on default settings;
    # the tail beyond the grid is kept here as an atom at its conditional mean.
    sev = stats.lognorm(2.0, scale=2e6 * math.exp(-2.0))
    with pytest.warns(RuntimeWarning, match=COARSE):
        dist = pc.compound(stats.poisson(0.3), sev, n_buckets=1024)
    assert dist.mean() == pytest.approx(6e5, rel=1e-9)
    assert dist.tail_mass > 0
    assert dist.support[-1] > dist.tail_from


@pytest.mark.parametrize(("d", "width"), [(0.0, 5e6), (1e6, 4e6), (2.5e6, math.inf), (5e5, 2e7)])
def test_layer_of_one_lognormal_claim_matches_limited_expected_value(d, width):
    # A single certain claim: E[min((X - d)+, w)] = LEV(d + w) - LEV(d), exact on
    # the grid points because the discretisation keeps E[min(X, x)] there.
    mu, sigma = math.log(1e6), 1.2
    sev = stats.lognorm(sigma, scale=math.exp(mu))
    dist = pc.compound(stats.binom(1, 1.0), sev, bucket=5e4, n_buckets=4001)
    top = d + width
    expected = (sev.mean() if math.isinf(top) else lognormal_lev(top, mu, sigma)) - lognormal_lev(
        d, mu, sigma
    )
    assert dist.layer(d, width) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("d", "lim"), [(0.0, 5e6), (1e6, 4e6), (3e5, math.inf)])
def test_per_occurrence_terms_on_lognormal_give_lev_means(d, lim):
    mu, sigma = math.log(2e5), 2.0
    sev = stats.lognorm(sigma, scale=math.exp(mu))
    lam = 0.7
    dist = pc.compound(stats.poisson(lam), sev, deductible=d, limit=lim, coinsurance=0.9)
    top = sev.mean() if math.isinf(lim) else lognormal_lev(d + lim, mu, sigma)
    expected = lam * 0.9 * (top - lognormal_lev(d, mu, sigma))
    assert dist.mean() == pytest.approx(expected, rel=1e-9)
    assert dist.tail_mass <= 1e-6


def test_aggregate_limit_caps_every_year():
    sev = stats.lognorm(2.0, scale=3e5)
    dist = pc.compound(stats.poisson(0.5), sev, limit=1e7, aggregate_limit=1.5e7)
    assert dist.support[-1] == pytest.approx(1.5e7)
    assert dist.tail_mass == 0.0
    assert float(dist.sf(1.5e7)) == 0.0
    # The atom at the aggregate limit is the probability of exhausting it.
    uncapped = pc.compound(stats.poisson(0.5), sev, limit=1e7, bucket=dist.bucket, n_buckets=4000)
    p_reach = float(uncapped.sf(1.5e7) + uncapped.pmf(1.5e7))  # P(S >= limit)
    assert float(dist.pmf(1.5e7)) == pytest.approx(p_reach, abs=1e-12)


def test_aggregate_deductible_beyond_the_reach_of_the_losses():
    # E[(S - d)+] for a deductible far in the tail, against a reference by
    # conditioning on the count: P(N=1) pi(d) + P(N=2) E[pi(d - X)] + P(N=3) 3 pi(d),
    # pi the lognormal stop-loss transform; E[pi(d - X)] by quadrature in ln x
    # (below d) plus its closed form above d. The N=3 term is one big jump among
    # three; it weighs 2e-5 of the total.
    lam, s, scale, d = 0.01, 2.0, 3e5, 5e10
    sev = stats.lognorm(s, scale=scale)
    m = float(sev.mean())

    def pi(y: float) -> float:
        if y <= 0:
            return m - y
        z = math.log(y / scale) / s
        return m * special.ndtr(s - z) - y * special.ndtr(-z)

    z_d = math.log(d / scale) / s
    above = (m - d) * special.ndtr(-z_d) + m * special.ndtr(s - z_d)
    below = integrate.quad(
        lambda u: stats.norm.pdf((u - math.log(scale)) / s) / s * pi(d - math.exp(u)),
        math.log(scale) - 12 * s,
        math.log(d),
        points=[math.log(d) - 1, math.log(d) - 0.01],
        limit=1000,
        epsabs=0,
        epsrel=1e-12,
    )[0]
    n = stats.poisson(lam)
    reference = n.pmf(1) * pi(d) + n.pmf(2) * (below + above) + n.pmf(3) * 3 * pi(d)
    with pytest.warns(RuntimeWarning, match="exceeds the median claim"):
        dist = pc.compound(n, sev, aggregate_deductible=d)  # the grid must reach d
    assert dist.mean() == pytest.approx(reference, rel=1e-3)
    assert dist.tail_from >= 0
    # A user's grid that ends before the deductible is refused, with the figures.
    with pytest.raises(ValueError, match=r"before the aggregate deductible \(5e\+10\)"):
        pc.compound(n, sev, aggregate_deductible=d, bucket=1e4, n_buckets=1024)


def test_far_aggregate_limit_on_a_very_heavy_tail():
    # Pareto(1.3) losses over a 1e8 deductible, rare (rate 1e-4): with one event at
    # most, as here to within 1e-4, E[min(S, L)] = rate * (pi(d) - pi(d + L)), pi the
    # Pareto stop-loss transform s^b a^(1 - b) / (b - 1).
    b, s, rate, d = 1.3, 1e5, 1e-4, 1e8

    def pi(a: float) -> float:
        return s**b * a ** (1 - b) / (b - 1)

    sev = stats.pareto(b, scale=s)
    near = pc.compound(stats.poisson(rate), sev, deductible=d, aggregate_limit=1e11)
    assert near.mean() == pytest.approx(rate * (pi(d) - pi(d + 1e11)), rel=1e-4)
    # So far out that reaching it, as the tail demands, swamps the mean in rounding:
    # a warning gives the figure.
    with pytest.warns(RuntimeWarning) as caught:
        pc.compound(stats.poisson(rate), sev, deductible=d, aggregate_limit=1e14)
    assert any("FFT rounding on a grid reaching 1e+14" in str(w.message) for w in caught)


def test_a_limit_far_beyond_any_plausible_year_leaves_the_grid_alone():
    # Poisson(2) x lognormal(1.5, 1e7): E[(S - 1.0003e12)+] is below 0.1 KRW (a
    # year of n claims exceeds 1e12 only by what its claims exceed 1e12 / n), 1e-8
    # of the payment's mean. Stretching the grid to the limit, 40 times further,
    # took 1e-3 of that mean (a bucket of 1.4e7 under a deductible of 3e8).
    sev = stats.lognorm(1.5, scale=1e7)
    unlimited = pc.compound(stats.poisson(2), sev, aggregate_deductible=3e8)
    far = pc.compound(stats.poisson(2), sev, aggregate_deductible=3e8, aggregate_limit=1e12)
    assert far.bucket == unlimited.bucket
    assert far.mean() == pytest.approx(unlimited.mean(), rel=1e-7)
    # A finer grid reaching 1.4e11 (1.4 million points) agrees to 3e-6.
    fine = pc.compound(stats.poisson(2), sev, bucket=1e5, tail_tol=1e-9)
    assert far.mean() == pytest.approx(fine.layer(3e8), rel=1e-5)


def test_a_deductible_taking_nearly_everything_says_the_figure_is_rough():
    # Poisson(1) x lognormal(2): E[(S - 3e12)+] is about 0.046 KRW on a total of
    # 7.4e6, beyond what a grid reaching 3e12 resolves (1e-9 of its bucket): warned.
    sev = stats.lognorm(2.0, scale=1e6)
    with pytest.warns(RuntimeWarning) as caught:
        pc.compound(stats.poisson(1.0), sev, aggregate_deductible=3e12)
    assert any("the figure is rough" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    ("freq", "totals"),
    [
        (stats.poisson(0.8), lambda f, n: panjer_poisson(0.8, f, n)),
        (stats.nbinom(2.0, 0.4), lambda f, n: panjer_nbinom(2.0, 0.4, f, n)),
    ],
)
def test_excess_bound_holds_against_exact_panjer(freq, totals):
    # E[(S - c)+] exactly, from the Panjer distribution of S on the lattice 0..400,
    # for claims of 1..6 with a heavy last atom; the bound must never fall below it,
    # and for c far above the mean it must be small (it is what spares far grids).
    from picover.engine.compound import excess_bound
    from picover.engine.frequency import as_frequency
    from picover.engine.severity import AtomicSeverity

    f = np.array([0.0, 0.4, 0.25, 0.15, 0.1, 0.05, 0.05])
    g = totals(f, 401)
    s = np.arange(g.size, dtype=float)
    sev = AtomicSeverity(np.arange(f.size, dtype=float), f)
    n = as_frequency(freq)
    for c in (0.5, 2.0, 5.0, 20.0, 60.0):
        exact = float((np.maximum(s - c, 0.0) * g).sum())
        assert excess_bound(n, sev, None, c) >= exact * (1 - 1e-12)
    assert excess_bound(n, sev, None, 200.0) < 1e-6


def test_amounts_in_cents_fall_back_to_an_ordinary_grid():
    # Three claims to the cent share a 0.01 KRW lattice: 1.25e8 points would keep
    # them exact, more than any grid; an ordinary grid still keeps the mean.
    # E[S] = 3 (12,345.67 + 54,321.98 + 99,999.99) / 3 = 166,667.64 KRW.
    dist = pc.compound(stats.poisson(3), pc.empirical([12345.67, 54321.98, 99999.99]))
    assert dist.mean() == pytest.approx(166_667.64, rel=1e-9)
    assert dist.bucket > 0.01


def test_a_tail_tolerance_near_the_float_spacing_still_reaches():
    # ppf(1 - 1e-14 / 200) rounds to ppf(1) = inf; the reach must come from isf.
    sev = stats.lognorm(1.0, scale=1e6)
    dist = pc.compound(stats.poisson(100), sev, tail_tol=1e-14)
    assert dist.mean() == pytest.approx(100 * sev.mean(), rel=1e-9)
    assert dist.tail_mass < 1e-12


def test_a_mean_below_what_the_grid_resolves_is_not_given_quietly():
    # E[S] = 1e-14 * e^0.5 * 1e6 = 1.6e-8 KRW: P(S > 0) = 1e-14 is below the
    # transform's rounding, and the grid's mean is off by more than half.
    sev = stats.lognorm(1.0, scale=1e6)
    # What the grid resolves is 1e-9 of its bucket here, not the transform's noise.
    with pytest.warns(RuntimeWarning, match="below what this grid resolves") as caught:
        dist = pc.compound(stats.poisson(1e-14), sev)
    said = next(str(w.message) for w in caught if "below what" in str(w.message))
    assert f"({1e-9 * dist.bucket:.3g}, 1e-9 of a bucket of {dist.bucket:,.6g})" in said
    # A million times more claims are resolved: exact mean, no warning.
    dist = pc.compound(stats.poisson(1e-8), sev)
    assert dist.mean() == pytest.approx(1e-8 * sev.mean(), rel=1e-6)


def test_many_claims_a_year_keep_their_quantiles():
    # 100,000 claims a year: each claim's rounding to the grid adds h^2 / 6 to the
    # year's variance, and on 32,768 points that tripled it (the 99% quantile read
    # 3.27 standard deviations out). The reference is the Cornish-Fisher expansion,
    # whose error here is O(1 / lam) = 1e-5 sd: with skewness g = e^1.5 / sqrt(lam)
    # and excess kurtosis k = e^4 / lam for a lognormal(1) claim,
    # z + (z^2 - 1) g / 6 + (z^3 - 3z) k / 24 - (2z^3 - 5z) g^2 / 36.
    lam = 1e5
    sev = stats.lognorm(1.0, scale=1e5)
    dist = pc.compound(stats.poisson(lam), sev)
    mean, sd = lam * sev.mean(), math.sqrt(lam * sev.moment(2))
    g, k = math.exp(1.5) / math.sqrt(lam), math.exp(4.0) / lam
    z = stats.norm.ppf(0.99)
    cornish = z + (z**2 - 1) * g / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * g**2 / 36
    assert (dist.ppf(0.99) - mean) / sd == pytest.approx(cornish, abs=0.005)


def test_many_claims_under_a_limit_keep_their_spread():
    # As above under a per-claim limit of 10 million KRW: the grid's bucket must
    # again be fine enough that rounding adds under 0.5% to the variance (it added
    # 87% when the limited claim's second moment was unknown). The reference is
    # lam E[min(X, L)^2], with E[min(X, L)^2] = e^(2 mu + 2 s^2) Phi(z - 2 s) +
    # L^2 Phi(-z), z = (ln L - mu) / s, for a lognormal(s) claim of median e^mu.
    lam, s, median, lim = 1e5, 1.0, 1e5, 1e7
    z = (math.log(lim) - math.log(median)) / s
    square = median**2 * math.exp(2 * s * s) * stats.norm.cdf(z - 2 * s)
    square += lim**2 * stats.norm.sf(z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dist = pc.compound(stats.poisson(lam), stats.lognorm(s, scale=median), limit=lim)
    # The grid's own spread (var() would give the exact figure, which it now knows).
    mean = dist.support @ dist.probs
    assert (dist.support - mean) ** 2 @ dist.probs == pytest.approx(lam * square, rel=0.005)
    assert dist.var() == pytest.approx(lam * square, rel=1e-6)


def test_claims_too_many_for_the_grid_say_how_far_the_quantiles_move():
    with pytest.warns(RuntimeWarning, match=r"with 1,000,000 claims a year, rounding each"):
        pc.compound(stats.poisson(1e6), stats.lognorm(1.0, scale=1e5))
    # A lattice on the grid rounds nothing, however many claims.
    dist = pc.compound(stats.poisson(1e6), pc.empirical([1e5, 3e5]))
    assert dist.mean() == pytest.approx(2e11, rel=1e-9)


def test_degenerate_inputs_give_a_point_mass_at_zero():
    assert pc.compound(stats.poisson(0.0), stats.expon()).mean() == 0.0
    d = pc.compound(stats.poisson(1.0), stats.uniform(0, 1), deductible=2.0)
    assert d.mean() == 0.0
    assert float(d.cdf(0.0)) == 1.0


def test_no_loss_probability_is_within_one_bucket_of_exact():
    # P(S = 0) = exp(-lam * P(X > d)) for Poisson counts. The mean-preserving
    # discretisation moves part of each claim below one bucket to zero, so the
    # grid's P(S = 0) is at most lam * P(d < X <= d + h) too high, never lower.
    sev = stats.lognorm(1.5, scale=1e6)
    d, lam = 5e5, 2.0
    dist = pc.compound(stats.poisson(lam), sev, deductible=d)
    exact = math.exp(-lam * sev.sf(d))
    slack = lam * (sev.cdf(d + dist.bucket) - sev.cdf(d))
    assert exact <= float(dist.pmf(0.0)) <= exact * math.exp(slack)


def test_masses_added_on_the_grid_equal_their_transform():
    # A mixture's part known on the grid may skip the transform (``plus``):
    # inverting the rest and adding it gives what transforming it with the
    # rest gives, to rounding.
    from picover.engine import fft

    rng = np.random.default_rng(3)
    a, b = rng.random(300), rng.random(300)
    a, b = 0.6 * a / a.sum(), 0.4 * b / b.sum()
    mean = float(np.arange(300) @ (a + b))

    def both(plan):
        return plan.forward(a) + plan.forward(b)

    def first(plan):
        return plan.forward(a)

    whole = fft.transform(300, both, 1.0, mean)
    split = fft.transform(300, first, 1.0, mean, plus=b)
    np.testing.assert_allclose(split.probs, whole.probs, rtol=0, atol=1e-15)
    assert split.tail_mass == pytest.approx(whole.tail_mass, abs=1e-15)


def test_a_limit_on_the_grid_is_a_point_of_the_support_exactly():
    # The bucket is 5e7 / 174, and 174 times it rounds to 50000000.00000001: the
    # limit's own atom then counted in P(loss > 5e7), 4.3%. Each payment is at most
    # the limit, so exceeding it takes two claims: P(N >= 2) = 1 - 1.3 e^-0.3 = 3.7%.
    d = pc.compound(stats.poisson(0.3), stats.lognorm(1.5, scale=1e7), deductible=1_234_000,
                    limit=5e7)  # fmt: skip
    assert {5e7, 1e8} <= set(d.support)  # the limit, and twice it
    assert d.sf(5e7) < 1.0 - 1.3 * math.exp(-0.3)
    assert d.pmf(5e7) > 0.03  # one claim alone beyond 5.1234e7: 0.3 e^-0.3 P(X > it) = 0.0307
    assert d.sf(5e7) + d.pmf(5e7) == pytest.approx(float(d.sf(5e7 - d.bucket / 2)), abs=1e-15)


def test_every_amount_on_the_grid_keeps_its_point():
    # The payment cap 0.7 x 1.1e7 is 7699999.999999999 in floating point; the
    # annual limit 7e7 must still be a point of its own, its atom whole (a
    # reviewer: a support built from the cap alone put 69999999.99999999 beside
    # 7e7 and split the exhausted years' probability between them).
    d = pc.compound(stats.poisson(3), stats.lognorm(s=1.5, scale=5e6), limit=1.1e7,
                    coinsurance=0.7, aggregate_limit=7e7)  # fmt: skip
    assert d.support[-1] == 7e7
    assert not (d.support[:-1] > 7e7 - d.bucket / 2).any()
    assert d.pmf(7e7) == pytest.approx(float(d.sf(7e7 - d.bucket / 2)), rel=1e-12)
    assert 0.7 * 1.1e7 in d.support  # one claim at the cap


# -- the same, by hypothesis over severities and terms --------------------------------

LATTICE_CASES = st.tuples(
    st.lists(st.integers(min_value=0, max_value=9), min_size=2, max_size=15).filter(
        lambda w: sum(w[1:]) > 0
    ),
    st.sampled_from(FREQS),
    st.integers(min_value=0, max_value=6),  # deductible, in lattice units
    st.sampled_from([math.inf, 1, 2, 3, 5, 8]),  # limit, in lattice units
    st.sampled_from([1.0, 0.5, 0.25]),  # coinsurance (keeps payments on a lattice)
    st.integers(min_value=0, max_value=10),  # aggregate deductible, in payment units
    st.sampled_from([math.inf, 1, 4, 12, 30]),  # aggregate limit, in payment units
)


@settings(max_examples=60, deadline=None)
@given(case=LATTICE_CASES)
def test_lattice_matches_panjer_for_any_severity_and_terms(case):
    # As above, over drawn severities and terms: every amount a multiple of the
    # lattice (or of coinsurance times it, for the annual terms), so the FFT
    # must agree with Panjer to rounding.
    weights, (name, params, frozen), d, lim, share, agg_d, agg_l = case
    pmf = np.array(weights, dtype=np.float64) / sum(weights)
    span = share * UNIT
    d, lim, agg_d, agg_l = d * UNIT, lim * UNIT, agg_d * span, agg_l * span
    y, py = layer_atoms(UNIT * np.arange(pmf.size), pmf, d, lim, share)
    g = _reference(name, params, np.bincount(np.rint(y / span).astype(int), weights=py), 600)
    ref_x, ref_p = layer_atoms(span * np.arange(g.size), g, agg_d, agg_l, 1.0)
    with warnings.catch_warnings():
        # Grids coarser than a drawn median claim, and payments the terms leave
        # rough, warn; neither changes the lattice answer.
        warnings.simplefilter("ignore", RuntimeWarning)
        dist = pc.compound(
            frozen, pc.lattice(pmf, bucket=UNIT), deductible=d, limit=lim, coinsurance=share,
            aggregate_deductible=agg_d, aggregate_limit=agg_l,
        )  # fmt: skip
    assert dist.mean() == pytest.approx(float(np.dot(ref_x, ref_p)), rel=1e-9, abs=1e-6)
    inside = ref_x <= min(dist.tail_from, ref_x[-1])
    assert np.allclose(dist.cdf(ref_x[inside]), np.cumsum(ref_p)[inside], rtol=0, atol=1e-9)


def test_claims_all_on_one_grid_point_do_not_trip_the_rounding_warning():
    # 50 claims a year for sure, each capped at 1,000 (a grid point): the year is
    # exactly 50,000, with no rounding at all. The rounding estimate (h^2/6 a claim)
    # exceeds the grid's variance of 0; that must not be divided by (it was), nor warn.
    pmf = np.zeros(51)
    pmf[50] = 1.0
    d = pc.compound(pmf, stats.uniform(5e3, 1e3), limit=1e3)
    assert abs(d.mean() - 5e4) <= 1e-6 * 5e4
    assert d.sf(5e4 + d.bucket) < 1e-9


def test_a_year_that_cannot_vary_is_not_divided_by_in_the_rounding_warning():
    # An exact variance of 0 (a sure count of sure claims) gives the rounding share
    # nothing to be a share of: warn_blur must return quietly, not divide by zero.
    from picover.engine.compound import warn_blur
    from picover.engine.fft import Aggregate

    agg = Aggregate(1.0, np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_blur(agg, blur=10.0, n_mean=50.0, exact_var=0.0, automatic=True)


@pytest.mark.parametrize(
    ("exact_var", "advice"),
    [(0.4, "stops at 4,194,304 points"), (math.nan, "second moment is infinite or unknown")],
)
def test_the_rounding_warning_says_whether_the_grid_sized_itself_for_it(exact_var, advice):
    # A grid of variance 0.5 whose rounding is estimated at 0.1: 25% of the 0.4
    # left, moving quantiles 2.5 sd out by 2.5 (sqrt 0.5 - sqrt 0.4) = 0.19, more
    # than the bucket of 0.1. The automatic grid refines itself only from a known
    # variance; without one, saying it "stops at" its cap would be false.
    from picover.engine.compound import warn_blur
    from picover.engine.fft import Aggregate

    agg = Aggregate(0.1, np.array([0.0, 1.0, 2.0]), np.array([0.25, 0.5, 0.25]), 0.0, 0.0)
    with pytest.warns(RuntimeWarning, match=r"adds 25\.00% to the year's variance") as caught:
        warn_blur(agg, blur=0.1, n_mean=1e6, exact_var=exact_var, automatic=True)
    assert advice in str(caught[0].message)


@pytest.mark.parametrize("bucket", [5000.0, 3000.0])
def test_the_rounding_estimate_matches_what_the_grid_adds_under_a_limit(bucket):
    # 10,000 lognormal claims a year capped at 20,000 KRW, 95% of them at the cap.
    # Capped claims are atoms: on the grid when 20,000 is a multiple of the bucket
    # (5,000), else each adds f (1 - f) h^2 with f = 2/3 (3,000). Only the 5% below
    # the cap are spread, adding h^2 / 6 each. The estimate must match the variance
    # the grid really adds over the exact one (it charged h^2 / 6 to every claim,
    # 17 times too much at 5,000); 1% allows for h^2 / 6 being an average.
    from picover.engine.grid import rounding_variance
    from picover.engine.severity import Layered, ScipySeverity

    lam, lim, sev = 1e4, 2e4, stats.lognorm(1.0, scale=1e5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # coarser than the median claim
        dist = pc.compound(stats.poisson(lam), sev, limit=lim, bucket=bucket)
    mean = dist.support @ dist.probs
    added = (dist.support - mean) ** 2 @ dist.probs - dist.exact_var
    estimate = rounding_variance([(Layered(ScipySeverity(sev), limit=lim), lam)], bucket)
    assert estimate == pytest.approx(added, rel=0.01)


def test_a_small_annual_deductible_does_not_multiply_a_large_grid():
    # 100,000 claims a year need a grid of about a million points (bucket ~24,000
    # KRW); landing an annual deductible of 3,000 KRW on a grid point cut the
    # bucket to 3,000 and made 8.4 million. Past the grid's own size the anchor
    # gives way, and the deductible is still applied exactly: the year is never
    # below 3,000, so E[(S - 3,000)+] = E[S] - 3,000 = 1e10 e^0.5 - 3,000.
    dist = pc.compound(
        stats.poisson(1e5), stats.lognorm(1.0, scale=1e5), aggregate_deductible=3000.0
    )
    assert dist.support.size <= 4_194_304 + 1
    assert dist.mean() == pytest.approx(1e10 * math.exp(0.5) - 3000.0, rel=1e-9)

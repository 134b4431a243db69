"""LossDistribution: hand-computed figures, immutability, the tail beyond the grid."""

from __future__ import annotations

import math

import attrs
import numpy as np
import pytest
from scipy import stats

import picover as pc

# Losses 0, 1, 5 and 10 million KRW with probabilities 0.6, 0.25, 0.1, 0.05.
X = np.array([0.0, 1e6, 5e6, 1e7])
P = np.array([0.6, 0.25, 0.1, 0.05])


@pytest.fixture
def small() -> pc.LossDistribution:
    return pc.LossDistribution(X, P)


def test_moments_by_hand(small):
    assert small.mean() == pytest.approx(0.25e6 + 0.5e6 + 0.5e6)  # 1.25e6
    second = 0.25 * 1e12 + 0.1 * 25e12 + 0.05 * 100e12  # 7.75e12
    assert small.var() == pytest.approx(second - 1.25e6**2)
    assert small.std() == pytest.approx(math.sqrt(second - 1.25e6**2))


def test_cdf_sf_pmf_vectorised(small):
    x = np.array([-1.0, 0.0, 5e5, 1e6, 7e6, 1e7, 2e7])
    assert np.allclose(small.cdf(x), [0, 0.6, 0.6, 0.85, 0.95, 1.0, 1.0])
    assert np.allclose(small.sf(x), [1, 0.4, 0.4, 0.15, 0.05, 0.0, 0.0])
    assert np.allclose(small.pmf(x), [0, 0.6, 0, 0.25, 0, 0.05, 0])
    assert isinstance(small.cdf(1e6), float)


def test_ppf_and_tvar_split_the_atom(small):
    assert np.allclose(small.ppf([0.5, 0.6, 0.61, 0.9, 0.96]), [0, 0, 1e6, 5e6, 1e7])
    # TVaR 0.9: the worst 10% are 5% at 10M and 5% of the 10% atom at 5M -> 7.5M.
    assert float(small.tvar(0.9)) == pytest.approx(7.5e6)
    # TVaR 0.8: 5% at 10M, 10% at 5M, 5% of the 1M atom: (0.5 + 0.5 + 0.05) / 0.2 M.
    assert float(small.tvar(0.8)) == pytest.approx(1.05e6 / 0.2)
    assert float(small.tvar(1e-12)) == pytest.approx(small.mean(), rel=1e-9)


def test_layers_by_hand(small):
    # 4M xs 1M: 0.1 * 4M + 0.05 * 4M = 0.6M.
    assert small.layer(1e6, 4e6) == pytest.approx(0.6e6)
    assert small.layer(0.0) == pytest.approx(small.mean())
    assert np.allclose(small.layer([0.0, 5e6], [1e6, math.inf]), [0.4e6, 0.25e6])


def test_exceedance_table(small):
    t = small.exceedance([1e6, 5e6])
    assert list(t.columns) == ["loss_krw", "exceedance_probability", "return_period_years"]
    assert np.allclose(t["exceedance_probability"], [0.15, 0.05])
    assert np.allclose(t["return_period_years"], [1 / 0.15, 20.0])
    default = small.exceedance()
    assert len(default) == 9
    assert "loss_krw" in str(default)
    # 20-year loss: exceeded with probability at most 5% -> 5M (P(> 5M) = 0.05).
    by_period = small.exceedance(return_periods=[2.0, 20.0, 100.0])
    assert np.allclose(by_period["loss_krw"], [0.0, 5e6, 1e7])
    assert np.allclose(by_period["exceedance_probability"], [0.5, 0.05, 0.01])


def test_a_long_return_period_keeps_the_digits_of_its_probability():
    # 1 - 1/7e13 rounds to 1 - 7.1e-14 + 7e-17: ppf(1 - p) would answer a 0.1%
    # different probability, which 2.6 billion KRW out moves the loss by 0.3%.
    d = pc.compound(stats.poisson(2), stats.lognorm(1, scale=1e6), tail_tol=1e-14)
    table = d.exceedance(return_periods=[10.0, 7e13])
    assert np.array_equal(table["loss_krw"], d.isf([0.1, 1 / 7e13]))
    assert float(d.sf(table["loss_krw"][1])) <= 1 / 7e13


def test_result_is_immutable(small):
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        small.method = "mc"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        small.support[0] = 1.0


def test_input_arrays_are_copied():
    x = X.copy()
    d = pc.LossDistribution(x, P)
    x[1] = 2e6
    assert d.support[1] == 1e6


@pytest.mark.parametrize(
    ("support", "probs", "match"),
    [
        ([0.0, 1.0], [0.5, 0.6], "sum to 1"),
        ([1.0, 0.0], [0.5, 0.5], "strictly increasing"),
        ([-1.0, 0.0], [0.5, 0.5], "support"),
        ([0.0, np.nan], [0.5, 0.5], "support"),
        ([0.0, 1.0], [-0.1, 1.1], "probs"),
        ([0.0, 1.0], [1.0], "equal-length"),
    ],
)
def test_bad_distributions_are_refused(support, probs, match):
    with pytest.raises(ValueError, match=match):
        pc.LossDistribution(support, probs)


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5, 1.5, np.nan])
def test_levels_outside_the_open_unit_interval_are_refused(small, q):
    with pytest.raises(ValueError, match=r"q must be .*\(0, 1\)"):
        small.ppf(q)
    with pytest.raises(ValueError, match=r"q must be"):
        small.tvar(q)


def test_questions_beyond_the_grid_raise_with_the_figures():
    sev = stats.lognorm(2.0, scale=2e6 * math.exp(-2.0))
    d = pc.compound(stats.poisson(0.3), sev, n_buckets=1024, tail_tol=1e-3)
    assert d.tail_mass > 0
    beyond = d.tail_from * 1.5
    with pytest.raises(ValueError, match="beyond the grid") as err:
        d.cdf(beyond)
    assert f"{d.tail_mass:.3g}" in str(err.value)
    with pytest.raises(ValueError, match="quantile lies beyond the grid"):
        d.ppf(1 - d.tail_mass / 2)
    with pytest.raises(ValueError, match="beyond the grid"):
        d.layer(0.0, beyond)
    # What needs only the tail's mean stays available and exact.
    assert d.layer(1e6) == pytest.approx(d.mean() - d.layer(0.0, 1e6))
    q = 1 - 2 * d.tail_mass
    assert float(d.tvar(q)) > float(d.ppf(q))
    with pytest.raises(ValueError, match="beyond the grid"):
        d.exceedance(return_periods=[2 / d.tail_mass])


def test_from_samples():
    d = pc.LossDistribution.from_samples([0.0, 5.0, 5.0, 10.0], currency="USD")
    assert d.method == "mc"
    assert d.n_sims == 4
    assert d.currency == "USD"
    assert np.allclose(d.probs, [0.25, 0.5, 0.25])
    assert "loss_usd" in d.exceedance([5.0]).columns
    assert "n_sims=4" in repr(d)


def test_variance_is_exact_or_warns_when_the_tail_beyond_the_grid_matters():
    # Poisson(0.3) x lognormal(sigma=3): Var = 0.3 * E[X^2] = 0.3 * exp(18). The
    # grid keeps a tail of ~3e-7 whose own spread carries most of that variance;
    # without terms the closed form gives it all the same.
    # (On 4,096 points the grid is coarser than the median claim, and says so.)
    coarse = "the grid's bucket .* exceeds the median claim"
    with pytest.warns(RuntimeWarning, match=coarse):
        d = pc.compound(stats.poisson(0.3), stats.lognorm(3.0), n_buckets=2**12)
    assert d.tail_mass > 0
    assert d.var() == pytest.approx(0.3 * math.exp(18), rel=1e-12)
    # Past a deductible of 0.5 the layer's second moment is integrated, and the
    # variance again exact: 0.3 E[(X - d)+^2], with E[(X - d)+^2] =
    # e^(2 s^2) Phi(2 s - z) - 2 d e^(s^2 / 2) Phi(s - z) + d^2 Phi(-z), z = ln(d) / s.
    with pytest.warns(RuntimeWarning, match=coarse):
        d = pc.compound(stats.poisson(0.3), stats.lognorm(3.0), deductible=0.5, n_buckets=2**12)
    assert d.tail_mass > 0
    z = math.log(0.5) / 3.0
    square = math.exp(18) * stats.norm.cdf(6 - z) - math.exp(4.5) * stats.norm.cdf(3 - z)
    square += 0.25 * stats.norm.cdf(-z)
    assert d.var() == pytest.approx(0.3 * square, rel=1e-6)
    # A family without closed-form moments (log-logistic, c = 2.2) past a deductible
    # leaves the second moment unknown: the grid's variance, a lower bound, and a
    # warning that says so. Its E[X^2] = 2 pi / c / sin(2 pi / c) is at least that.
    d = pc.compound(stats.poisson(0.3), stats.fisk(2.2), deductible=0.5, n_buckets=2**12)
    assert d.tail_mass > 0
    with pytest.warns(RuntimeWarning, match=r"of the variance even as a single atom"):
        var = d.var()
    b = math.pi / 2.2
    assert var < 0.3 * 2 * b / math.sin(2 * b)
    # A repr shows the std without the warning, which belongs to var() and std().
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "std=" in repr(d)


def test_below_the_support_cdf_is_exactly_0_and_sf_exactly_1():
    # The masses of an FFT result sum to 1 only up to rounding; below the smallest
    # loss the answers are exact nonetheless.
    d = pc.compound(stats.poisson(2.0), stats.lognorm(1.0, scale=1e6), deductible=5e5)
    assert abs(float(d.probs.sum()) - 1.0) < 1e-12
    assert d.cdf(-1.0) == 0.0
    assert d.sf(-1.0) == 1.0
    assert d.cdf([-math.inf, -1.0]).tolist() == [0.0, 0.0]
    # Masses summing to 1 + 1e-10 (allowed: within 1e-9) still give probabilities.
    over = pc.LossDistribution([0.0, 1.0, 2.0], [0.0, 0.5, 0.5 + 1e-10])
    assert over.sf(1.0) == pytest.approx(0.5 + 1e-10, abs=1e-15)
    assert over.sf(0.0) == 1.0  # the masses above 0 sum to 1 + 1e-10
    assert over.cdf(0.0) == 0.0


def test_variance_is_silent_without_a_tail(small):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert small.var() == pytest.approx((X**2 * P).sum() - (X * P).sum() ** 2, rel=1e-12)


@pytest.mark.parametrize(
    "frequency", [stats.poisson(1.3), stats.nbinom(2, 0.4), stats.binom(5, 0.3)]
)
def test_exact_variance_matches_the_lattice_grid_with_a_first_event_apart(frequency):
    # On a lattice the grid holds the distribution exactly (no discretisation)
    # up to a tail below 1e-9, whose spread moves the variance by ~1e-8, so its
    # own variance checks the closed form, first event apart and per-occurrence
    # terms included.
    later = pc.lattice([0.1, 0.4, 0.3, 0.2], bucket=1e6)
    first = pc.lattice([0.0, 0.0, 0.5, 0.0, 0.5], bucket=1e6)
    d = pc.compound(frequency, later, first_severity=first, limit=2.5e6, coinsurance=0.8)
    assert d.tail_mass < 1e-9
    assert not math.isnan(d.exact_var)
    on_grid = float(((d.support - d.mean()) ** 2 * d.probs).sum())
    assert d.var() == pytest.approx(on_grid, rel=1e-7)
    # Treating the first event like the others would be far off.
    alike = pc.compound(frequency, later, limit=2.5e6, coinsurance=0.8)
    assert abs(alike.var() - d.var()) > 1e-3 * d.var()


def test_exact_variance_of_a_compound_lognormal_by_hand():
    # Negative binomial N (n = 2, p = 0.4): E[N] = 3, Var(N) = 7.5. Lognormal X
    # (sigma 1.2, scale 1e6): E[X] = e^0.72 1e6, E[X^2] = e^2.88 1e12.
    # Var(S) = E[N] Var(X) + Var(N) E[X]^2.
    d = pc.compound(stats.nbinom(2, 0.4), stats.lognorm(1.2, scale=1e6))
    mean, square = math.exp(0.72) * 1e6, math.exp(2.88) * 1e12
    assert d.var() == pytest.approx(3 * (square - mean**2) + 7.5 * mean**2, rel=1e-12)
    # A layer is integrated: Poisson(1) claims capped at 5 vary by E[min(X, 5)^2] =
    # e^(2 s^2) Phi(z - 2 s) + 25 Phi(-z), z = ln(5) / s, s = 1.2.
    z = math.log(5.0) / 1.2
    capped = math.exp(2.88) * stats.norm.cdf(z - 2.4) + 25.0 * stats.norm.sf(z)
    layer = pc.compound(stats.poisson(1.0), stats.lognorm(1.2), limit=5.0)
    assert layer.exact_var == pytest.approx(capped, rel=1e-9)
    # Families whose moments scipy would only integrate numerically keep the grid's.
    assert math.isnan(pc.compound(stats.poisson(1.0), stats.fisk(2.2)).exact_var)


def _exact_tvar(d, q):
    """TVaR at q over the distribution's own atoms, in exact fractions."""
    from fractions import Fraction

    need = Fraction(1) - Fraction(q)
    left, total = need, Fraction(0)
    for x, p in zip(d.support[::-1], d.probs[::-1], strict=True):
        take = min(Fraction(p), left)
        total += take * Fraction(x)
        left -= take
        if left == 0:
            break
    return float(total / need)


@pytest.mark.parametrize("q", [0.5, 0.99, 1 - 1e-10, 1 - 1e-13, 1 - 1e-14])
def test_tvar_keeps_its_digits_as_q_nears_one(q):
    # The VaR atom's share is (1 - q) - P(loss > VaR), not P(loss <= VaR) - q: the
    # latter cancelled to 0.35% off at q = 1 - 1e-14. Reference: exact fractions.
    d = pc.compound(stats.poisson(2), pc.lattice([0, 1.0]), aggregate_limit=30, tail_tol=1e-14)
    assert d.tvar(q) == pytest.approx(_exact_tvar(d, q), rel=1e-12)
    assert d.tvar(q) <= d.support[-1]


def test_pmf_beyond_the_grid_is_refused_as_cdf_is():
    d = pc.compound(stats.poisson(1.0), pc.lattice([0, 1.0]), tail_tol=1e-3)  # ends at 6
    with pytest.raises(ValueError, match=r"pmf at 7 lies beyond the grid: P\(loss > 6\)"):
        d.pmf(7.0)
    # Within the grid the Poisson pmf itself (lattice: exact).
    assert d.pmf(3.0) == pytest.approx(stats.poisson(1.0).pmf(3), rel=1e-12)


def test_exhaustion_of_a_limit_beyond_the_grid_is_the_tail_bound():
    from picover.pricing.quote import exhaustion

    d = pc.compound(stats.poisson(1.0), pc.lattice([0, 1.0]), tail_tol=1e-3)
    assert exhaustion(d, 100.0) == d.tail_mass  # P(loss > 6): a bound on P(loss >= 100)
    capped = pc.compound(stats.poisson(1.0), pc.lattice([0, 1.0]), aggregate_limit=3.0)
    assert exhaustion(capped, 3.0) == pytest.approx(stats.poisson(1.0).sf(2), rel=1e-12)


def test_an_annual_limit_answers_cdf_and_sf_beyond_the_grid():
    # Grid 0, 1, 2 and a tail of 0.1 beyond 2 with mean 6, all payments <= 10:
    # P(loss > 10) = 0 and P(loss <= 10) = 1 are known; between 2 and 10, and the
    # mass exactly at 10, are not.
    d = pc.LossDistribution([0.0, 1.0, 2.0, 6.0], [0.5, 0.3, 0.1, 0.1], tail_mass=0.1,
                            tail_from=2.0, upper=10.0)  # fmt: skip
    assert d.sf([10.0, 11.0]).tolist() == [0.0, 0.0]
    assert d.cdf(10.0) == 1.0
    for ask in (lambda: d.sf(9.0), lambda: d.cdf(3.0), lambda: d.pmf(10.0)):
        with pytest.raises(ValueError, match="beyond the grid"):
            ask()
    assert d.pmf(11.0) == 0.0
    # A layer reaching past 10 is unlimited in effect: E[(loss - 1)+] = 0.1 * 1 + 0.1 * 5.
    assert d.layer(1.0, 20.0) == pytest.approx(0.6, rel=1e-15)
    with pytest.raises(ValueError, match="beyond the grid"):
        d.layer(3.0, 20.0)  # E[(loss - 3)+] needs the tail's shape
    with pytest.raises(ValueError, match=r"upper \(5\) is below the largest loss \(6\)"):
        attrs.evolve(d, upper=5.0)


def test_the_annual_limit_bounds_a_model_distribution_whose_grid_ends_short_of_it():
    # A small firm under a 5e9 annual limit: the grid ends near 1e8, yet no year
    # pays more than the limit (the reviewer's case).
    model = pc.BreachModel.preset("kr")
    org = pc.Organisation(7_063, 4.25e12, "online_platform")
    policy = pc.Policy(limit=5e9, retention=1e7, per_incident_limit=1e9,
                       sublimits={"investigation": 3e7, "attorney_fees": 3e7})  # fmt: skip
    d = model.annual_loss(org, policy)
    assert d.tail_mass > 0
    assert d.tail_from < 5e9 == d.upper
    assert (d.sf(5e9), d.cdf(5e9)) == (0.0, 1.0)


def test_isf_median_and_lev_by_hand(small):
    # P(loss > 0) = 0.4, P(loss > 1M) = 0.15, P(loss > 5M) = 0.05, P(loss > 10M) = 0.
    assert small.isf([0.5, 0.4, 0.39, 0.1501, 0.05, 0.049]).tolist() == [0, 0, 1e6, 1e6, 5e6, 1e7]
    assert small.median() == 0.0
    # E[min(loss, 3M)] = 0.25 * 1M + 0.15 * 3M = 0.7M; no cap gives the mean.
    assert small.lev(3e6) == pytest.approx(0.7e6, rel=1e-15)
    assert small.lev([0.0, 1e7, math.inf]).tolist() == [0.0, small.mean(), small.mean()]
    with pytest.raises(ValueError, match=r"u must be .*>= 0.*got -1"):
        small.lev(-1.0)
    with pytest.raises(ValueError, match="p must be .*in \\(0, 1\\); got 1.0"):
        small.isf(1.0)


def test_isf_keeps_the_digits_of_a_rare_level():
    # A 1e-12 chance of a large loss: ppf(1 - 1e-12) is blurred by 1 - 1e-12's
    # rounding (1e-16 relative), isf(p) is not.
    d = pc.LossDistribution([0.0, 1.0, 2.0], [0.5, 0.5 - 1e-12, 1e-12])
    assert d.isf(1.0000001e-12) == 1.0  # exceeded with probability 1e-12 <= p
    assert d.isf(0.9999999e-12) == 2.0
    rng = np.random.default_rng(4)
    probs = rng.dirichlet(np.ones(50))
    d = pc.LossDistribution(np.arange(50.0), probs)
    p = rng.uniform(0.01, 0.99, 200)
    assert np.array_equal(d.isf(p), d.ppf(1.0 - p))


def test_quantiles_beyond_the_grid_are_refused_with_the_figures():
    d = pc.LossDistribution([0.0, 1.0, 2.0, 6.0], [0.5, 0.3, 0.1, 0.1], tail_mass=0.1,
                            tail_from=2.0)  # fmt: skip
    assert d.isf(0.1) == 2.0  # P(loss > 2) = 0.1 exactly: known
    with pytest.raises(ValueError, match=r"probability 0\.05 lies beyond the grid.*below 0\.05"):
        d.isf(0.05)
    with pytest.raises(ValueError, match=r"the 0\.95 quantile lies beyond the grid"):
        d.ppf(0.95)
    with pytest.raises(ValueError, match="beyond the grid"):
        d.lev(3.0)  # E[min(loss, 3)] needs the tail's shape
    assert d.lev(math.inf) == pytest.approx(d.mean(), rel=1e-15)


def test_rvs_follow_the_masses_and_the_seed(small):
    before = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global state is the point
    x = small.rvs(200_000, seed=11)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002 - untouched
    assert np.array_equal(x, small.rvs(200_000, seed=11))
    assert np.array_equal(x, small.rvs(200_000, seed=np.random.default_rng(11)))
    counts = np.array([(x == v).sum() for v in X])
    assert counts.sum() == x.size
    # Chi-square goodness of fit, 3 degrees of freedom: fails by chance with probability 1e-6.
    chi2 = float((((counts - x.size * P) ** 2) / (x.size * P)).sum())
    assert chi2 < stats.chi2(3).isf(1e-6)
    assert isinstance(small.rvs(seed=1), float)
    assert small.rvs((2, 3), seed=1).shape == (2, 3)
    assert small.rvs(0, seed=1).shape == (0,)
    with pytest.raises(ValueError, match=r"size must be a whole number in \[0, inf\]; got -1"):
        small.rvs(-1)
    with pytest.raises(TypeError, match="seed must be"):
        small.rvs(3, seed="x")


def test_rvs_reach_a_rare_atom_at_its_own_probability():
    # Inverted from the top: an atom of 1e-3 is drawn about 1e-3 of the time
    # (1,000 in 1e6 draws, standard error 32: 5 of them allow 160).
    d = pc.LossDistribution([0.0, 1.0, 1e9], [0.5, 0.5 - 1e-3, 1e-3])
    hits = int((d.rvs(1_000_000, seed=2) == 1e9).sum())
    assert abs(hits - 1_000) < 160


def test_rvs_warn_when_the_tail_beyond_the_grid_carries_the_variance():
    # Tail 0.1 beyond 2, as one atom at 6. The mean is 1.1 and the variance
    # 0.5 * 1.21 + 0.3 * 0.01 + 0.1 * 0.81 + 0.1 * 24.01 = 3.09, of which the atom
    # carries 2.401 / 3.09 = 77.7%.
    d = pc.LossDistribution([0.0, 1.0, 2.0, 6.0], [0.5, 0.3, 0.1, 0.1], tail_mass=0.1,
                            tail_from=2.0)  # fmt: skip
    with pytest.warns(RuntimeWarning, match=r"carries 77\.7% of the variance.*draws there"):
        x = d.rvs(1_000, seed=0)
    assert set(np.unique(x)) <= {0.0, 1.0, 2.0, 6.0}


def test_pmf_takes_the_nearest_atom_when_atoms_lie_within_the_tolerance():
    # Atoms 2 apart at 1e13 are within 1e-12 * 1e13 = 10 of each other: each x must
    # read its own atom (the first within reach would give 0.7 three times).
    d = pc.LossDistribution([1e13, 1e13 + 2, 1e13 + 4], [0.7, 0.2, 0.1])
    assert d.pmf([1e13, 1e13 + 2, 1e13 + 4]).tolist() == [0.7, 0.2, 0.1]
    assert d.pmf(5.0) == 0.0


def test_pmf_of_a_single_atom():
    # One atom: both neighbours of every x are that atom.
    d = pc.LossDistribution([5e6], [1.0])
    assert d.pmf([4e6, 5e6, 6e6]).tolist() == [0.0, 1.0, 0.0]

"""Count distributions and atomic severities speak LossDistribution's vocabulary.

Every method is checked against a reference computed independently of the
class: scipy's frozen distributions for the closed-form counts, the Poisson
pmf integrated against the rate's density (scipy.integrate.quad) for a mixed
Poisson, and plain numpy sums over the atoms for empirical and lattice
severities. Quantiles are checked by their definition (the smallest k with
P(N <= k) >= q) against the reference's cdf or sf, not against another
quantile routine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

import picover as pc
from picover.engine.frequency import (
    Binomial,
    MixedPoisson,
    NegativeBinomial,
    PmfFrequency,
    Poisson,
    as_frequency,
)

LEVELS = np.array([1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999999])
TAILS = np.array([0.5, 0.1, 1e-3, 1e-8, 1e-15, 1e-20])
COUNTS = np.concatenate([np.arange(-2.0, 31.0), [0.5, 2.7, -0.5, math.inf, -math.inf]])

# -- counts with a scipy reference ---------------------------------------------

PMF = np.array([0.55, 0.25, 0.0, 0.15, 0.05])


def _closed_form_cases():
    preset = pc.BreachModel.preset("kr")
    counts = preset.frequency(pc.Organisation(3_000_000, 1e11, "retail")).counts()
    assert isinstance(counts, NegativeBinomial)  # the preset's gamma prior
    return [
        pytest.param(Poisson(0.3), stats.poisson(0.3), id="poisson"),
        pytest.param(Poisson(120.0), stats.poisson(120.0), id="poisson-large"),
        pytest.param(NegativeBinomial(0.8, 0.4), stats.nbinom(0.8, 0.4), id="nbinom"),
        pytest.param(Binomial(12, 0.3), stats.binom(12, 0.3), id="binom"),
        pytest.param(counts, stats.nbinom(counts.n, counts.p), id="preset-counts"),
        pytest.param(
            PmfFrequency(PMF), stats.rv_discrete(values=(np.arange(PMF.size), PMF)), id="pmf"
        ),
    ]


CLOSED = _closed_form_cases()


@pytest.mark.parametrize(("freq", "ref"), CLOSED)
def test_count_moments_match_scipy(freq, ref):
    assert freq.mean() == pytest.approx(float(ref.mean()), rel=1e-12)
    assert freq.var() == pytest.approx(float(ref.var()), rel=1e-12)
    assert freq.std() == pytest.approx(float(ref.std()), rel=1e-12)
    assert freq.median() == float(ref.median())


@pytest.mark.parametrize(("freq", "ref"), CLOSED)
def test_count_pmf_cdf_sf_match_scipy(freq, ref):
    finite = COUNTS[np.isfinite(COUNTS)]  # scipy's pmf at inf may be NaN
    for method in ("pmf", "cdf", "sf"):
        got = getattr(freq, method)(finite)
        want = getattr(ref, method)(finite)
        assert np.allclose(got, want, rtol=1e-12, atol=1e-300), method
    for method, at_inf in (("pmf", [0.0, 0.0]), ("cdf", [1.0, 0.0]), ("sf", [0.0, 1.0])):
        assert getattr(freq, method)([math.inf, -math.inf]).tolist() == at_inf, method
    # The far tail keeps its digits: sf is summed from the top, not taken from 1 - cdf.
    far = float(ref.isf(1e-12))
    assert freq.sf(far) == pytest.approx(float(ref.sf(far)), rel=1e-9)


@pytest.mark.parametrize(("freq", "ref"), CLOSED)
def test_count_quantiles_by_their_definition(freq, ref):
    k = freq.ppf(LEVELS)
    assert np.array_equal(k, np.floor(k))
    # The smallest count whose cdf reaches the level.
    assert np.all(ref.cdf(k) >= LEVELS * (1 - 1e-12))
    assert np.all((k == 0) | (ref.cdf(k - 1) < LEVELS))
    p = TAILS
    k = freq.isf(p)
    # The smallest count exceeded with probability at most p, even where p is far
    # below what 1 - p can hold (scipy's own isf is off there).
    assert np.all(ref.sf(k) <= p * (1 + 1e-9))
    assert np.all((k == 0) | (ref.sf(k - 1) > p))


def test_poisson_isf_is_exact_where_scipy_is_not():
    f = Poisson(100.0)
    assert float(stats.poisson.sf(stats.poisson.isf(1e-16, 100.0), 100.0)) > 1e-16  # scipy
    k = f.isf(1e-16)
    assert stats.poisson.sf(k, 100.0) <= 1e-16 < stats.poisson.sf(k - 1, 100.0)
    assert math.isnan(stats.poisson.isf(1e-20, 0.3))  # scipy gives up below 1e-17
    assert Poisson(0.3).isf(1e-20) == 14.0


def test_degenerate_counts():
    for f in (Poisson(0.0), NegativeBinomial(2.0, 1.0), Binomial(3, 0.0), PmfFrequency([1.0])):
        assert f.pmf(0) == 1.0
        assert f.cdf(0) == 1.0
        assert f.sf(0) == 0.0
        assert f.ppf([0.01, 0.99]).tolist() == [0.0, 0.0]
        assert f.isf(1e-9) == 0.0
        assert f.std() == 0.0
        assert f.rvs(5, seed=0).tolist() == [0] * 5


# -- mixed Poisson against the integral over the rate -----------------------------

RATES = [
    pytest.param(pc.pert(0.1, 0.3, 1.0), id="pert"),
    pytest.param(stats.lognorm(0.5, scale=0.2), id="lognorm"),
    pytest.param(stats.gamma(2.0, scale=0.25), id="gamma"),
]


def _mixed(rate, integrand):
    """E[integrand(Lambda)] by quad over the rate's support (split at its median)."""
    lo, hi = (float(v) for v in rate.support())
    mid = float(rate.median())
    total = 0.0
    for a, b in ((lo, mid), (mid, hi)):
        total += integrate.quad(
            lambda lam: integrand(lam) * rate.pdf(lam), a, b, epsabs=1e-14, epsrel=1e-12, limit=200
        )[0]
    return total


@pytest.mark.parametrize("rate", RATES)
def test_mixed_poisson_against_quadrature(rate):
    f = pc.mixed_poisson(rate)
    k = np.arange(8)
    pmf = np.array([_mixed(rate, lambda lam, j=j: stats.poisson.pmf(j, lam)) for j in k])
    sf = np.array([_mixed(rate, lambda lam, j=j: stats.poisson.sf(j, lam)) for j in k])
    assert np.allclose(f.pmf(k), pmf, rtol=1e-9, atol=1e-15)
    assert np.allclose(f.cdf(k), np.cumsum(pmf), rtol=1e-9, atol=1e-15)
    assert np.allclose(f.sf(k), sf, rtol=1e-9, atol=1e-15)
    assert f.mean() == pytest.approx(float(rate.mean()), rel=1e-9)
    assert f.var() == pytest.approx(float(rate.mean() + rate.var()), rel=1e-9)
    assert f.std() == pytest.approx(math.sqrt(rate.mean() + rate.var()), rel=1e-9)
    assert f.cdf(2.5) == f.cdf(2)
    assert f.cdf(-1) == 0.0
    assert f.sf(math.inf) == 0.0
    # Quantiles by definition against the integrated cdf and sf.
    cdf = np.cumsum(pmf)
    levels = np.array([0.05, 0.5, 0.9, 0.99, 0.999])
    q = f.ppf(levels).astype(int)
    assert np.all(cdf[q] >= levels)
    assert np.all((q == 0) | (cdf[q - 1] < levels))
    p = np.array([0.5, 0.1, 1e-3])
    i = f.isf(p).astype(int)
    assert np.all(sf[i] <= p * (1 + 1e-9))
    assert np.all((i == 0) | (sf[i - 1] > p))
    assert f.median() == float(f.ppf(0.5))


def test_mixed_poisson_draws_follow_the_mixture():
    rate = pc.pert(0.1, 0.3, 1.0)
    f = pc.mixed_poisson(rate)
    n = f.rvs(200_000, seed=7)
    # Monte Carlo: each frequency within 5 standard errors of the integrated pmf.
    for k in range(3):
        p = _mixed(rate, lambda lam, k=k: stats.poisson.pmf(k, lam))
        assert abs(float((n == k).mean()) - p) < 5 * math.sqrt(p * (1 - p) / n.size)


# -- the vocabulary's shape: floats for scalars, arrays for arrays ---------------


def _all_counts():
    return [
        Poisson(0.3),
        NegativeBinomial(0.8, 0.4),
        Binomial(12, 0.3),
        PmfFrequency(PMF),
        MixedPoisson(pc.pert(0.1, 0.3, 1.0)),
        pc.BreachModel.preset("kr").frequency(pc.Organisation(3_000_000, 1e11, "retail")).counts(),
    ]


@pytest.mark.parametrize("freq", _all_counts(), ids=type)
def test_counts_return_a_float_for_a_scalar_and_an_array_otherwise(freq):
    for method, arg in (("pmf", 0), ("cdf", 1), ("sf", 1), ("ppf", 0.5), ("isf", 0.01)):
        scalar = getattr(freq, method)(arg)
        assert type(scalar) is float, method
        vector = getattr(freq, method)([arg, arg])
        assert isinstance(vector, np.ndarray), method
        assert vector.shape == (2,), method
        assert vector.tolist() == [scalar, scalar], method
        grid = getattr(freq, method)(np.full((2, 3), arg))
        assert grid.shape == (2, 3), method
    for method in ("mean", "var", "std", "median"):
        assert type(getattr(freq, method)()) is float, method
    assert isinstance(freq.pgf(np.array([0.5 + 0j])), np.ndarray)


def test_preset_counts_take_a_vector_of_levels():
    # The review's example: this raised TypeError.
    counts = pc.BreachModel.preset("kr").frequency(pc.Organisation(3_000_000, 1e11, "retail"))
    assert counts.counts().ppf([0.5, 0.99]).shape == (2,)


@pytest.mark.parametrize("freq", _all_counts(), ids=type)
@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5, math.nan, [0.5, math.nan]])
def test_bad_levels_name_the_argument(freq, bad):
    with pytest.raises(ValueError, match=r"^q must be finite and in \(0, 1\)"):
        freq.ppf(bad)
    with pytest.raises(ValueError, match=r"^p must be finite and in \(0, 1\)"):
        freq.isf(bad)


@pytest.mark.parametrize("freq", _all_counts(), ids=type)
def test_bad_counts_name_the_argument(freq):
    for method in ("pmf", "cdf", "sf"):
        with pytest.raises(ValueError, match="^k must be a real number; got nan"):
            getattr(freq, method)([1.0, math.nan])
        with pytest.raises(TypeError, match="^k must be a number"):
            getattr(freq, method)("1")


# -- draws ---------------------------------------------------------------------------


@pytest.mark.parametrize("freq", _all_counts(), ids=type)
def test_count_draws_are_reproducible_and_leave_numpy_alone(freq):
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global state is the point
    a = freq.rvs(1000, seed=3)
    assert a.dtype == np.int64
    assert a.shape == (1000,)
    assert np.array_equal(a, freq.rvs(1000, seed=3))
    assert np.array_equal(a, freq.rvs(1000, seed=np.random.SeedSequence(3)))
    assert np.array_equal(a, freq.rvs(1000, seed=np.random.default_rng(3)))
    # The engine's positional generator gives the same stream.
    assert np.array_equal(a, freq.rvs(1000, np.random.default_rng(3)))
    assert np.array_equal(a, freq.rvs(1000, rng=np.random.default_rng(3)))
    assert freq.rvs((2, 5), seed=1).shape == (2, 5)
    one = freq.rvs(seed=3)
    assert type(one) is int
    assert one == freq.rvs(None, np.random.default_rng(3))
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_count_draws_follow_the_distribution():
    for freq, ref in (
        (Poisson(2.5), stats.poisson(2.5)),
        (NegativeBinomial(2, 0.4), stats.nbinom(2, 0.4)),
    ):
        n = freq.rvs(200_000, seed=11)
        # Mean within 5 standard errors.
        assert abs(n.mean() - ref.mean()) < 5 * ref.std() / math.sqrt(n.size)


def test_rvs_takes_rng_or_seed_not_both():
    with pytest.raises(TypeError, match="rng or seed, not both"):
        Poisson(1.0).rvs(3, np.random.default_rng(0), seed=1)
    with pytest.raises(ValueError, match="size must be a whole number"):
        Poisson(1.0).rvs(-1, seed=0)


def test_as_frequency_keeps_the_vocabulary():
    f = as_frequency(stats.poisson(0.3))
    assert f.cdf(0) == pytest.approx(math.exp(-0.3), rel=1e-15)


# -- empirical and lattice severities against sums over their atoms ---------------

SAMPLES = np.array([3e6, 1e6, 7e6, 3e6, 0.0, 2.5e7, 1e6, 3e6])
LATTICE = np.array([0.1, 0.0, 0.35, 0.25, 0.0, 0.2, 0.1])
BUCKET = 5e5


def _severities():
    """Each severity with its atoms as plain arrays (the reference's input)."""
    values, counts = np.unique(SAMPLES, return_counts=True)
    grid = BUCKET * np.arange(LATTICE.size)
    return [
        pytest.param(pc.empirical(SAMPLES), values, counts / SAMPLES.size, id="empirical"),
        pytest.param(pc.lattice(LATTICE, bucket=BUCKET), grid, LATTICE, id="lattice"),
    ]


SEVERITIES = _severities()
POINTS = np.array([-1.0, 0.0, 4e5, 5e5, 1e6, 1.2e6, 3e6, 2.5e6, 7e6, 2.5e7, 3e7, math.inf])


@pytest.mark.parametrize(("sev", "x", "p"), SEVERITIES)
def test_severity_functions_are_sums_over_the_atoms(sev, x, p):
    below = x[None, :] <= POINTS[:, None]
    assert np.allclose(sev.cdf(POINTS), (p * below).sum(axis=1), rtol=1e-14, atol=0)
    assert np.allclose(sev.sf(POINTS), (p * ~below).sum(axis=1), rtol=1e-14, atol=0)
    at = x[None, :] == POINTS[:, None]
    assert np.allclose(sev.pmf(POINTS), (p * at).sum(axis=1), rtol=1e-14, atol=0)
    limits = POINTS[POINTS >= 0]
    lev = (np.minimum(x[None, :], limits[:, None]) * p).sum(axis=1)
    assert np.allclose(sev.lev(limits), lev, rtol=1e-14, atol=0)
    mean = float((x * p).sum())
    assert sev.mean() == pytest.approx(mean, rel=1e-14)
    assert sev.var() == pytest.approx(float(((x - mean) ** 2 * p).sum()), rel=1e-13)
    assert sev.std() == pytest.approx(math.sqrt(((x - mean) ** 2 * p).sum()), rel=1e-13)
    assert sev.lev(math.inf) == pytest.approx(mean, rel=1e-14)
    # TVaR as the mean of the worst 1 - q: the sorted atoms' masses from the top,
    # the one straddling the level counted in part.
    for q in (0.3, 0.8, 0.95):
        top = np.cumsum(p[::-1])
        share = np.clip((1 - q) - np.concatenate([[0.0], top[:-1]]), 0.0, p[::-1])
        assert sev.tvar(q) == pytest.approx(float((share * x[::-1]).sum() / (1 - q)), rel=1e-12)


def test_empirical_matches_its_samples():
    sev = pc.empirical(SAMPLES)
    assert sev.var() == pytest.approx(float(SAMPLES.var()), rel=1e-13)
    assert sev.cdf(3e6) == float((SAMPLES <= 3e6).mean())
    assert sev.lev(5e6) == pytest.approx(float(np.minimum(SAMPLES, 5e6).mean()), rel=1e-14)
    levels = np.array([0.01, 0.3, 0.55, 0.7, 0.9, 0.99])  # off the steps (multiples of 1/8)
    ref = np.quantile(SAMPLES, levels, method="inverted_cdf")
    assert np.array_equal(sev.ppf(levels), ref)


@pytest.mark.parametrize(("sev", "x", "p"), SEVERITIES)
def test_severity_quantiles_by_their_definition(sev, x, p):
    cdf = np.cumsum(p)
    sf = np.array([p[i + 1 :].sum() for i in range(p.size)])
    levels = np.array([1e-9, 0.05, 0.33, 0.5, 0.8, 0.97, 1 - 1e-9])
    v = sev.ppf(levels)
    i = np.searchsorted(x, v)
    assert np.array_equal(x[i], v)  # an atom
    assert np.all(cdf[i] >= levels)
    assert np.all((i == 0) | (cdf[np.maximum(i - 1, 0)] < levels))
    tails = np.array([0.5, 0.12, 1e-3, 1e-12])
    v = sev.isf(tails)
    i = np.searchsorted(x, v)
    assert np.array_equal(x[i], v)
    assert np.all(sf[i] <= tails)
    assert np.all((i == 0) | (sf[np.maximum(i - 1, 0)] > tails))
    assert sev.median() == float(sev.ppf(0.5))
    # The ends of the support, as the engine asks for them.
    assert sev.ppf(0.0) == x[p > 0][0]
    assert sev.ppf(1.0) == x[p > 0][-1]


def test_a_tiny_tail_atom_keeps_its_digits():
    sev = pc.lattice([1.0, 1e-18], bucket=1.0)
    assert sev.sf(0.0) == pytest.approx(1e-18, rel=1e-12)  # 1 - cdf(0) would be 0
    assert sev.isf(1e-17) == 0.0
    assert sev.isf(1e-19) == 1.0


@pytest.mark.parametrize(("sev", "x", "p"), SEVERITIES)
def test_severities_return_a_float_for_a_scalar_and_an_array_otherwise(sev, x, p):
    for method, arg in (
        ("cdf", 1e6),
        ("sf", 1e6),
        ("pmf", 1e6),
        ("ppf", 0.5),
        ("isf", 0.1),
        ("lev", 2e6),
    ):
        scalar = getattr(sev, method)(arg)
        assert type(scalar) is float, method
        vector = getattr(sev, method)([arg, arg])
        assert isinstance(vector, np.ndarray), method
        assert vector.tolist() == [scalar, scalar], method
        assert getattr(sev, method)(np.full((2, 3), arg)).shape == (2, 3), method
    for method in ("mean", "var", "std", "median"):
        assert type(getattr(sev, method)()) is float, method


@pytest.mark.parametrize(("sev", "x", "p"), SEVERITIES)
def test_severity_bad_arguments_name_the_argument(sev, x, p):
    for bad in (-0.1, 1.5, math.nan, [0.5, math.nan]):
        with pytest.raises(ValueError, match=r"^q must be finite and in \[0, 1\]"):
            sev.ppf(bad)
    for bad in (0.0, 1.0, -0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match=r"^p must be finite and in \(0, 1\)"):
            sev.isf(bad)
    for method in ("cdf", "sf", "pmf"):
        with pytest.raises(ValueError, match="^x must be a real number; got nan"):
            getattr(sev, method)(math.nan)
    with pytest.raises(ValueError, match="^u must be >= 0"):
        sev.lev(-1.0)


@pytest.mark.parametrize(("sev", "x", "p"), SEVERITIES)
def test_severity_draws_are_reproducible_and_leave_numpy_alone(sev, x, p):
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global state is the point
    a = sev.rvs(1000, seed=3)
    assert a.dtype == np.float64
    assert np.isin(a, x[p > 0]).all()
    assert np.array_equal(a, sev.rvs(1000, seed=3))
    assert np.array_equal(a, sev.rvs(1000, seed=np.random.default_rng(3)))
    assert np.array_equal(a, sev.rvs(1000, np.random.default_rng(3)))  # the engine's call
    assert sev.rvs((4, 5), seed=0).shape == (4, 5)
    one = sev.rvs(seed=3)
    assert type(one) is float
    assert one == sev.rvs(seed=3)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    # Each atom drawn about as often as its probability (within 5 standard errors).
    draws = sev.rvs(100_000, seed=4)
    freq = np.array([(draws == v).mean() for v in x])
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / draws.size))


def test_severity_repr_and_identity():
    sev = pc.empirical(SAMPLES)
    assert repr(sev) == "AtomicSeverity(atoms=5, range=[0, 2.5e+07], mean=5.375e+06, samples=8)"
    lat = pc.lattice(LATTICE, bucket=BUCKET)
    assert repr(lat) == "AtomicSeverity(atoms=5, range=[0, 3e+06], mean=1.525e+06)"
    # Still compared and hashed by identity, as before: two equal inputs are two severities.
    twin = pc.empirical(SAMPLES)
    assert sev == sev
    assert sev != twin
    assert hash(sev) == object.__hash__(sev)
    assert len({sev, twin}) == 2


def test_a_level_on_a_step_is_on_it():
    # Ten atoms of 0.1 sum to 0.7999999999999999 at the eighth: the 0.8 quantile is
    # still the eighth atom, as numpy's inverted-cdf quantile and LossDistribution say.
    values = np.arange(1.0, 11.0)
    levels = np.arange(1, 10) / 10
    ref = np.quantile(values, levels, method="inverted_cdf")
    assert np.array_equal(pc.empirical(values).ppf(levels), ref)
    assert np.array_equal(pc.LossDistribution(values, [0.1] * 10).ppf(levels), ref)
    assert np.array_equal(PmfFrequency([0.1] * 10).ppf(levels), ref - 1)
    # Every atom is the quantile at its own cdf.
    for sev, x, p in (param.values for param in SEVERITIES):
        atoms = x[p > 0]
        assert np.array_equal(sev.ppf(sev.cdf(atoms)), atoms)
    counts = PmfFrequency(PMF)
    k = np.flatnonzero(PMF)[:-1].astype(float)
    assert np.array_equal(counts.ppf(counts.cdf(k)), k)


def test_a_mixed_poissons_repr_names_its_rate():
    # The frozen scipy rate's own repr is a memory address; the family and its
    # arguments say what the count is.
    count = pc.mixed_poisson(stats.gamma(2.0, scale=0.1))
    assert repr(count) == "MixedPoisson(rate=gamma(2, scale=0.1))"


@pytest.mark.parametrize(
    ("count", "p", "expected"),
    [
        # Beyond 2^53 floats are not every whole number: the search ends where its
        # ends are neighbours (it once ran for ever). Normal and geometric figures:
        (Poisson(2e16), 0.6, 2e16 - 0.2533 * math.sqrt(2e16)),  # mu + z sqrt(mu)
        (NegativeBinomial(1.0, 1e-17), 0.5, math.log(2) / 1e-17),  # a geometric's median
        (Poisson(1e17), 0.4, 1e17 + 0.2533 * math.sqrt(1e17)),
    ],
)
def test_isf_of_counts_beyond_whole_floats(count, p, expected):
    assert count.isf(p) == pytest.approx(expected, rel=1e-9)

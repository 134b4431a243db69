"""FFT against Monte Carlo, within stated standard errors, for heavy tails and terms.

Every comparison allows four standard errors (a false alarm about once in
16,000 checks) plus, for probabilities, the discretisation's own error of one
bucket's worth of density.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import picover as pc
from tests.reference import lognormal_lev

N_SIMS = 400_000
Z = 4.0

LOGNORMAL = stats.lognorm(2.0, scale=2e6 * math.exp(-2.0))  # mean 2e6, sigma 2
PARETO = stats.pareto(1.5, scale=1e5)  # infinite variance


def _mean_agrees(fft: pc.LossDistribution, mc: pc.LossDistribution) -> None:
    se = mc.std() / math.sqrt(mc.n_sims)
    assert abs(fft.mean() - mc.mean()) <= Z * se, (fft.mean(), mc.mean(), se)


def _lev_agrees(fft: pc.LossDistribution, mc: pc.LossDistribution, x: float, n_mean: float) -> None:
    # E[min(S, x)] has finite variance whatever the tail: a fair check for Pareto.
    # Spreading each claim over its bucket moves E[min(S, x)] by at most h / 4 per
    # claim (min is concave and 1-Lipschitz), hence the slack E[N] h / 4.
    samples = np.repeat(mc.support, np.rint(mc.probs * mc.n_sims).astype(int))
    capped = np.minimum(samples, x)
    se = capped.std() / math.sqrt(capped.size)
    slack = n_mean * fft.bucket / 4
    assert abs(fft.layer(0.0, x) - capped.mean()) <= Z * se + slack


def _cdf_agrees(fft: pc.LossDistribution, mc: pc.LossDistribution, x: float, slack: float) -> None:
    p = float(fft.cdf(x))
    se = math.sqrt(max(p * (1 - p), 1e-12) / mc.n_sims)
    assert abs(float(mc.cdf(x)) - p) <= Z * se + slack, (x, float(mc.cdf(x)), p, se)


@pytest.mark.parametrize(
    ("freq", "sev"),
    [
        (stats.poisson(0.3), LOGNORMAL),
        (stats.nbinom(1.5, 0.6), LOGNORMAL),
        (stats.poisson(0.5), PARETO),
    ],
)
def test_heavy_tails_match_monte_carlo(freq, sev):
    mc = pc.compound(freq, sev, method="mc", n_sims=N_SIMS, seed=20261127)
    # The default grid, then one eight times finer: the bucket's slack, which
    # on the default grid is up to all of E[min(S, 1e5)] and a fifth of the
    # tail beyond the 90% quantile, shrinks with it (under 2% of each limited
    # mean from 1e6 on, under 4% of that tail), so the finer grid checks the shape
    # closely; the means are exact on both.
    for fft, limits in (
        (pc.compound(freq, sev), (1e5, 1e6, 1e7, 1e8)),
        (pc.compound(freq, sev, n_buckets=2**18), (1e6, 1e7, 1e8)),
    ):
        if sev is LOGNORMAL:
            _mean_agrees(fft, mc)
        for x in limits:
            _lev_agrees(fft, mc, x, freq.mean())
        for q in (0.9, 0.99, 0.999):
            x = float(fft.ppf(q))
            # Within a bucket of the grid point the cdf may differ by the density there.
            slack = float(fft.cdf(x + fft.bucket) - fft.cdf(max(x - fft.bucket, 0.0)))
            _cdf_agrees(fft, mc, x, slack)


@pytest.mark.parametrize("sev", [LOGNORMAL, PARETO], ids=["lognormal", "pareto"])
def test_policy_terms_match_monte_carlo(sev):
    terms = dict(
        deductible=2e5, limit=5e7, coinsurance=0.8, aggregate_deductible=1e5, aggregate_limit=8e7
    )
    freq = stats.poisson(0.8)
    fft = pc.compound(freq, sev, **terms)
    mc = pc.compound(freq, sev, method="mc", n_sims=N_SIMS, seed=7, **terms)
    _mean_agrees(fft, mc)
    assert fft.tail_mass == 0.0
    p_cap = float(fft.pmf(8e7))
    assert abs(float(mc.pmf(8e7)) - p_cap) <= Z * math.sqrt(max(p_cap, 1e-6) / N_SIMS)
    for q in (0.95, 0.995):
        tv_fft = float(fft.tvar(q))
        tv_mc = float(mc.tvar(q))
        # TVaR is a mean over (1 - q) of the years: its error shrinks like sd / sqrt(n (1 - q)).
        tail = np.sort(np.repeat(mc.support, np.rint(mc.probs * N_SIMS).astype(int)))
        worst = tail[int(q * N_SIMS) :]
        se = worst.std() / math.sqrt(worst.size) + abs(float(mc.ppf(q)) - tv_mc) / math.sqrt(
            worst.size
        )
        assert abs(tv_fft - tv_mc) <= Z * se + fft.bucket


def test_first_event_severity_matches_monte_carlo():
    investigation = stats.lognorm(1.0, scale=3e7)
    rest = stats.lognorm(1.5, scale=1e7)
    freq = stats.nbinom(0.8, 0.5)
    fft = pc.compound(freq, rest, first_severity=investigation, limit=1e9)
    mc = pc.compound(
        freq, rest, first_severity=investigation, limit=1e9, method="mc", n_sims=N_SIMS, seed=11
    )
    _mean_agrees(fft, mc)
    p0 = stats.nbinom.pmf(0, 0.8, 0.5)
    en = stats.nbinom.mean(0.8, 0.5)
    lev_first = lognormal_lev(1e9, math.log(3e7), 1.0)
    lev_rest = lognormal_lev(1e9, math.log(1e7), 1.5)
    expected = (1 - p0) * lev_first + (en - (1 - p0)) * lev_rest
    assert fft.mean() == pytest.approx(expected, rel=1e-6)


def test_mixed_poisson_counts_years_with_no_event_and_with_several():
    rate = pc.pert(0.1, 0.3, 1.0)
    freq = pc.mixed_poisson(rate)
    sev = pc.pert(1e6, 3e6, 1e7)
    fft = pc.compound(freq, sev)
    mc = pc.compound(freq, sev, method="mc", n_sims=N_SIMS, seed=5)
    _mean_agrees(fft, mc)
    # A year without an event has probability E[exp(-Lambda)] > 0, and years
    # with two events exist: a rate-times-loss shortcut would give neither.
    from scipy import integrate

    p_none = integrate.quad(lambda lam: math.exp(-lam) * rate.pdf(lam), 0.1, 1.0)[0]
    assert float(fft.pmf(0.0)) == pytest.approx(p_none, rel=1e-10)
    assert float(fft.sf(1.2e7)) > 0  # only reachable with two or more events
    assert freq.var() == pytest.approx(rate.mean() + rate.var(), rel=1e-10)


def test_same_seed_same_result_and_global_state_untouched():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global state is the point
    a = pc.compound(stats.poisson(0.4), LOGNORMAL, method="mc", n_sims=10_000, seed=3)
    b = pc.compound(stats.poisson(0.4), LOGNORMAL, method="mc", n_sims=10_000, seed=3)
    c = pc.compound(stats.poisson(0.4), LOGNORMAL, method="mc", n_sims=10_000, seed=4)
    assert np.array_equal(a.support, b.support)
    assert np.array_equal(a.probs, b.probs)
    assert not np.array_equal(a.support, c.support)
    gen = np.random.default_rng(3)
    d = pc.compound(stats.poisson(0.4), LOGNORMAL, method="mc", n_sims=10_000, seed=gen)
    assert np.array_equal(a.support, d.support)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002

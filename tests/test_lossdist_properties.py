"""Properties every LossDistribution must have, checked by hypothesis against
sums written out directly over the atoms (no shared code with the class).

The distributions drawn are small discrete ones, with atoms at 0 and ties in
the cumulative probabilities made likely, since a quantile or TVaR that
splits an atom is where off-by-one mistakes hide.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from picover import LossDistribution


@st.composite
def distributions(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=1, max_value=12))
    steps = draw(st.lists(st.integers(min_value=1, max_value=50), min_size=n, max_size=n))
    start = draw(st.sampled_from([0, 0, 3]))  # an atom at 0 in most draws
    support = (start + np.cumsum(steps) - steps[0]) * 1e5
    # Integer weights over a power of two: many cumulative probabilities are
    # exact binary fractions, so levels asked for fall exactly on them.
    weights = np.array(
        draw(st.lists(st.integers(min_value=0, max_value=8), min_size=n, max_size=n)),
        dtype=np.float64,
    )
    if weights.sum() == 0:
        weights[-1] = 1.0
    return support.astype(np.float64), weights / weights.sum()


LEVELS = st.sampled_from([0.01, 0.2, 0.25, 0.5, 0.6, 0.75, 0.8, 0.9, 0.95, 0.99, 0.999]) | (
    st.floats(min_value=1e-6, max_value=1 - 1e-6)
)


def _on_a_step(dist: tuple[np.ndarray, np.ndarray], cut: int) -> float | None:
    """The level of the step after atom ``cut`` as a user would type it: the exact
    fraction of the integer weights, rounded once (None for the last atom)."""
    p = dist[1]
    weights = np.rint(p / p[p > 0].min() * 840).astype(int)  # back to integer ratios
    part, total = int(weights[: cut + 1].sum()), int(weights.sum())
    return part / total if 0 < part < total else None


def _quantile_by_hand(x: np.ndarray, p: np.ndarray, q: float) -> float:
    """The smallest atom whose cumulative probability reaches q, in exact rational
    arithmetic: the weights are small integers over their sum, so a level typed
    on a step (0.75 for 3 of 4 equal weights) is decided without rounding."""
    from fractions import Fraction

    weights = [Fraction(float(pi)).limit_denominator(10_000) for pi in p]
    level = Fraction(q).limit_denominator(10**12)
    total = Fraction(0)
    for xi, wi in zip(x, weights, strict=True):
        total += wi
        if total >= level:
            return float(xi)
    return float(x[-1])


@settings(max_examples=300, deadline=None)
@given(dist=distributions(), q=LEVELS, cut=st.integers(min_value=0, max_value=11), on=st.booleans())
def test_quantile_and_tvar_against_sums_over_the_atoms(dist, q, cut, on):
    x, p = dist
    if on and cut < x.size and _on_a_step(dist, cut) is not None:
        q = _on_a_step(dist, cut)  # a level exactly on a step, where rounding bites
    d = LossDistribution(x, p)
    var = float(d.ppf(q))
    cum = np.cumsum(p)
    assert var == _quantile_by_hand(x, p, q)
    # TVaR as the mean of the quantile function over (q, 1): integrate the step
    # function exactly, atom by atom.
    lo = np.concatenate([[0.0], cum[:-1]])
    overlap = np.clip(np.minimum(cum, 1.0) - np.maximum(lo, q), 0.0, None)
    by_hand = float((overlap * x).sum() / (1.0 - q))
    assert float(d.tvar(q)) == pytest.approx(by_hand, rel=1e-9, abs=1e-6)
    assert float(d.tvar(q)) >= var * (1 - 1e-12)
    assert float(d.tvar(q)) >= d.mean() * (1 - 1e-12)


@settings(max_examples=300, deadline=None)
@given(dist=distributions(), q=LEVELS, cut=st.integers(min_value=0, max_value=11), on=st.booleans())
def test_cdf_sf_isf_and_median_agree(dist, q, cut, on):
    x, p = dist
    if on and cut < x.size and _on_a_step(dist, cut) is not None:
        q = _on_a_step(dist, cut)
    d = LossDistribution(x, p)
    v = float(d.ppf(q))
    # The defining inequalities of the quantile: P(L <= v) >= q, P(L < v) < q.
    assert float(d.cdf(v)) >= q - 1e-12
    below = float(p[x < v].sum())
    assert below < q + 1e-12
    assert float(d.cdf(v)) + float(d.sf(v)) == pytest.approx(1.0, abs=1e-15)
    assert float(d.isf(1.0 - q)) == v
    assert d.median() == float(d.ppf(0.5))


@settings(max_examples=200, deadline=None)
@given(
    dist=distributions(),
    a=st.floats(min_value=0, max_value=6e7),
    w=st.floats(min_value=1.0, max_value=6e7),
)
def test_layers_and_limited_values_against_sums_over_the_atoms(dist, a, w):
    x, p = dist
    d = LossDistribution(x, p)
    mean = float((x * p).sum())
    assert d.mean() == pytest.approx(mean, rel=1e-12)
    assert float(d.var()) == pytest.approx(float(((x - mean) ** 2 * p).sum()), rel=1e-9, abs=1e-3)
    lev = float((np.minimum(x, a) * p).sum())
    assert float(d.lev(a)) == pytest.approx(lev, rel=1e-9, abs=1e-6)
    in_layer = float((np.clip(x - a, 0.0, w) * p).sum())
    assert float(d.layer(a, w)) == pytest.approx(in_layer, rel=1e-9, abs=1e-6)
    # Layers stack: [a, a + w) and everything above it make the excess over a.
    above = float(d.layer(a + w))
    assert float(d.layer(a)) == pytest.approx(in_layer + above, rel=1e-9, abs=1e-6)
    assert float(d.lev(math.inf)) == pytest.approx(mean, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(dist=distributions(), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_draws_land_on_the_atoms_and_repeat_with_the_seed(dist, seed):
    x, p = dist
    d = LossDistribution(x, p)
    draws = d.rvs(2_000, seed=seed)
    assert np.isin(draws, x[p > 0]).all()  # never an atom of probability 0
    assert np.array_equal(draws, d.rvs(2_000, seed=seed))

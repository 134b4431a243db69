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
    grid = attrs.evolve(MODEL.annual_loss(o), exact_var=math.nan)
    with pytest.warns(RuntimeWarning, match="lower bounds"):
        short = grid.var()
    assert short < exact
    assert short == pytest.approx(exact, rel=3e-3)


def test_terms_that_cut_payments_keep_the_grid_variance():
    # Under a retention or a limit the payment is not a multiple of the cost:
    # no closed form, and the grid's own variance is reported.
    o = pc.Organisation(3_000_000, 5e10, "retail")
    for policy in (
        pc.Policy(retention=1e7),
        pc.Policy(limit=1e9),
        pc.Policy(per_incident_limit=1e9),
    ):
        assert math.isnan(MODEL.annual_loss(o, policy).exact_var)


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

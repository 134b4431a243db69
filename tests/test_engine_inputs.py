"""Input helpers, accepted input kinds, and clear errors for bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import picover as pc

SEV = stats.lognorm(1.0, scale=1e6)


def test_pert_shape_and_moments():
    d = pc.pert(1e6, 3e6, 1e7)
    assert d.mean() == pytest.approx((1e6 + 4 * 3e6 + 1e7) / 6)
    assert d.support() == (1e6, 1e7)
    grid = np.linspace(1e6, 1e7, 90_001)
    assert grid[np.argmax(d.pdf(grid))] == pytest.approx(3e6, rel=1e-3)
    sharp = pc.pert(0.0, 5.0, 10.0, shape=40.0)
    assert sharp.std() < pc.pert(0.0, 5.0, 10.0).std()


def test_lognormal_from_interval():
    d = pc.lognormal_from_interval(1e6, 1e8, level=0.8)
    assert float(d.cdf(1e8) - d.cdf(1e6)) == pytest.approx(0.8, abs=1e-12)
    assert float(d.median()) == pytest.approx(1e7)
    assert float(d.cdf(1e6)) == pytest.approx(0.1, abs=1e-12)  # centred in logs


def test_helpers_work_as_severities_and_rates():
    d = pc.compound(pc.mixed_poisson(pc.pert(0.05, 0.2, 0.6)), pc.lognormal_from_interval(1e6, 1e8))
    expected = pc.pert(0.05, 0.2, 0.6).mean() * pc.lognormal_from_interval(1e6, 1e8).mean()
    assert d.mean() == pytest.approx(expected, rel=1e-9)


def test_mixed_poisson_with_gamma_rate_is_negative_binomial():
    f = pc.mixed_poisson(stats.gamma(2.0, scale=0.25))
    k = np.arange(10)
    assert np.allclose(f.pmf(k), stats.nbinom.pmf(k, 2.0, 1 / 1.25), atol=1e-15)


def test_mixed_poisson_with_other_rates_by_quadrature():
    rate = stats.lognorm(0.5, scale=0.2)
    f = pc.mixed_poisson(rate)
    assert f.mean() == pytest.approx(rate.mean(), rel=1e-10)
    assert f.var() == pytest.approx(rate.mean() + rate.var(), rel=1e-10)


def test_empirical_and_lattice_severities():
    samples = np.array([1e6, 2e6, 2e6, 7e6])
    d = pc.compound(stats.poisson(1.0), pc.empirical(samples))
    assert d.mean() == pytest.approx(samples.mean(), rel=1e-12)
    assert d.bucket == pytest.approx(1e6)  # the samples' lattice: no smearing
    lat = pc.compound(stats.binom(1, 1.0), pc.lattice([0.2, 0.0, 0.8], bucket=5e5))
    assert np.allclose(lat.cdf([0.0, 5e5, 1e6]), [0.2, 0.2, 1.0])


def test_non_lattice_samples_keep_the_mean():
    samples = np.random.default_rng(0).lognormal(13, 1.5, 500)
    d = pc.compound(stats.poisson(0.7), pc.empirical(samples))
    assert d.mean() == pytest.approx(0.7 * samples.mean(), rel=1e-9)


def test_explicit_frequency_pmf():
    pmf = [0.5, 0.3, 0.2]
    d = pc.compound(pmf, pc.lattice([0.0, 1.0], bucket=1.0))
    assert np.allclose(d.pmf([0.0, 1.0, 2.0]), pmf)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(frequency=stats.geom(0.3)), TypeError, "generating function.*geom"),
        (dict(frequency=stats.poisson(-1.0)), ValueError, "Poisson.mu must be >= 0"),
        (dict(frequency=stats.poisson(np.nan)), ValueError, "Poisson.mu must be a number"),
        (dict(frequency=stats.nbinom(2, 1.5)), ValueError, r"NegativeBinomial.p must be in \(0, 1"),
        (dict(frequency=stats.binom(2.5, 0.5)), ValueError, "binom n must be a whole number"),
        (dict(frequency=stats.poisson(1.0, loc=1)), ValueError, "must start at 0"),
        (dict(frequency="poisson"), TypeError, "frequency must be"),
        (dict(frequency=[0.5, 0.6]), ValueError, "sum to 1"),
        (dict(frequency=[0.5, -0.5, 1.0]), ValueError, "frequency pmf must be"),
        (dict(severity=[1.0, 2.0]), TypeError, "ambiguous"),
        (dict(severity="lognormal"), TypeError, "severity must be"),
        # The field is named once: "severity: severity must..." read as a stutter.
        (dict(severity=stats.norm(0, 1)), ValueError, "^severity: losses must be >= 0"),
        (dict(severity=stats.pareto(0.9)), ValueError, "^severity: pareto has an infinite"),
        (dict(severity=stats.lognorm(np.nan)), ValueError, "^severity: parameters must be finite"),
        (dict(limit=-1.0), ValueError, "limit must be > 0"),
        (dict(limit=0.0), ValueError, "limit must be > 0"),
        (dict(deductible=np.nan), ValueError, "deductible must be a number"),
        (dict(deductible=-5.0), ValueError, "deductible must be >= 0"),
        (dict(coinsurance=1.5), ValueError, r"coinsurance must be in \[1e-06, 1\]"),
        # Below that the payments' squares underflow: a variance of 0 (a reviewer).
        (dict(coinsurance=1e-300), ValueError, r"coinsurance must be in \[1e-06, 1\]"),
        (
            dict(frequency=stats.poisson([0.3, 0.4])),
            TypeError,
            r"frequency: the scipy distribution's mu must be one number",
        ),
        (
            dict(severity=stats.lognorm([1.0, 2.0])),
            TypeError,
            r"severity: the scipy distribution's s must be one number",
        ),
        (dict(frequency=stats.poisson), TypeError, r"not yet frozen: call it"),
        (
            dict(severity=stats.rv_discrete(values=([0, 10], [0.5, 0.5]))),
            TypeError,
            r"got rv_sample \(a scipy distribution not yet frozen",
        ),
        (dict(aggregate_limit=-1.0), ValueError, "aggregate_limit must be > 0"),
        (dict(aggregate_deductible="10"), TypeError, "aggregate_deductible must be a real number"),
        (dict(method="exact"), ValueError, "method must be one of"),
        (dict(n_sims=1000), ValueError, "n_sims applies to method='mc' only"),
        (dict(method="mc", bucket=1.0), ValueError, "bucket applies to method='fft' only"),
        (dict(method="mc", n_sims=0), ValueError, "n_sims must be a whole number"),
        (dict(method="mc", seed="x"), TypeError, "seed must be"),
        (dict(bucket=-1.0), ValueError, "bucket must be > 0"),
        (dict(n_buckets=1), ValueError, "n_buckets must be a whole number"),
        (dict(n_buckets=2**40), ValueError, r"n_buckets must be a whole number in \[2, 33554432\]"),
        (dict(tail_tol=0.0), ValueError, "tail_tol must be"),
        (dict(tail_tol=1.0), ValueError, "tail_tol must be"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match):
    args = {"frequency": stats.poisson(0.3), "severity": SEV} | kwargs
    with pytest.raises(error, match=match):
        pc.compound(**args)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pc.pert(3, 2, 1), "low < high"),
        (lambda: pc.pert(1, 5, 3), "mode"),
        (lambda: pc.pert(1, 2, np.inf), "high must be finite"),
        (lambda: pc.lognormal_from_interval(0, 10), "low must be > 0"),
        (lambda: pc.lognormal_from_interval(10, 1), "low < high"),
        (lambda: pc.lognormal_from_interval(1, 10, level=1.0), "level must be"),
        (lambda: pc.mixed_poisson(stats.norm(0, 1)), "rate must be >= 0"),
        (lambda: pc.mixed_poisson(0.3), "rate must be a frozen scipy"),
        (lambda: pc.empirical([]), "at least one"),
        (lambda: pc.empirical([1.0, -2.0]), "samples must be"),
        (lambda: pc.lattice([0.5, 0.4], bucket=1.0), "sum to 1"),
        (lambda: pc.lattice([1.0], bucket=0.0), "bucket must be > 0"),
    ],
)
def test_helper_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_too_short_user_grid_with_an_aggregate_limit_raises():
    with pytest.raises(ValueError, match="aggregate deductible plus limit"):
        pc.compound(
            stats.poisson(0.5),
            stats.lognorm(2.0, scale=1e6),
            aggregate_limit=1e10,
            bucket=1e4,
            n_buckets=1000,
        )


def test_coarse_automatic_grid_warns_with_the_figures():
    with pytest.warns(RuntimeWarning, match="exceeds the median claim"):
        pc.compound(stats.poisson(0.3), stats.lognorm(3.5, scale=1e5))


def test_a_coarse_grid_of_the_callers_warns_too():
    # 16 points for a year of lognormal claims with median 3e5: a bucket of 2.7e8
    # put the 99% quantile at 0 (1.2e7 on the automatic grid) without a word.
    freq, sev = stats.poisson(0.3), stats.lognorm(2.0, scale=3e5)
    with pytest.warns(RuntimeWarning, match=r"bucket \(2\.7\d+e\+08\) exceeds the median "
                      r"claim \(300,000\).*off by a bucket.*larger n_buckets for"):  # fmt: skip
        pc.compound(freq, sev, n_buckets=16)
    with pytest.warns(RuntimeWarning, match=r"off by a bucket\); pass a smaller bucket for"):
        pc.compound(freq, sev, bucket=1e6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pc.compound(freq, sev, bucket=1e5, n_buckets=2**16)  # fine enough: quiet
    # The model's grids likewise, against a typical incident's covered cost.
    model = pc.BreachModel.preset("kr")
    org = pc.Organisation(3_000_000, 1e11, "retail")
    with pytest.warns(RuntimeWarning, match="exceeds a typical incident's covered cost"):
        model.annual_loss(org, pc.Policy(limit=1e9), n_buckets=16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.annual_loss(org, pc.Policy(limit=1e9), n_buckets=256)


@pytest.mark.parametrize("sev", [stats.poisson(3.0), stats.geom(0.2), stats.nbinom(3, 0.4)])
def test_standard_discrete_families_are_severities(sev):
    # scipy's isf gives nan (Poisson) or inf (geometric) that far out; the
    # tabulation finds its end from sf instead. Compound Poisson(1): the mean is
    # E[X] and the variance E[X^2] (closed forms), to the engine's tail tolerance.
    d = pc.compound(stats.poisson(1.0), sev)
    assert d.mean() == pytest.approx(float(sev.mean()), rel=1e-12)
    assert d.var() == pytest.approx(float(sev.var() + sev.mean() ** 2), rel=1e-5)


def test_claims_rarer_than_the_tolerance_still_get_a_grid():
    # The reach once came out 0 (no claim within the tolerance): a bucket of 0.
    for freq, kw in [(stats.poisson(1e-7), {}), (stats.poisson(0.1), {"tail_tol": 0.5})]:
        d = pc.compound(freq, stats.expon(scale=1e5), **kw)
        assert d.mean() == pytest.approx(freq.mean() * 1e5, rel=1e-9)


def test_a_count_beyond_what_the_transform_resolves_is_refused():
    # A mean of 1e12 events a year: the transform's rounding (1e-16 an event)
    # would add up to 1e-4 of every probability.
    with pytest.raises(ValueError, match="frequency: a mean of 1e[+]12 events a year"):
        pc.compound(stats.nbinom(1, 1e-12), stats.lognorm(1, scale=1e5))


def test_a_lattice_pmf_is_named_as_the_argument():
    with pytest.raises(ValueError, match=r"^pmf must sum to 1 \(within 1e-9\); it sums to 0.9"):
        pc.lattice([0.5, 0.4])


def test_mixed_poisson_on_wide_and_heavy_rates():
    # Quadrature rounding (-1e-57) once tripped the pmf check; a rate whose 1e-15
    # quantile is millions a year is refused at once, not tabulated for minutes.
    rate = pc.lognormal_from_interval(0.05, 5)
    assert pc.mixed_poisson(rate).mean() == pytest.approx(float(rate.mean()), rel=1e-9)
    with pytest.raises(ValueError, match="would need tabulating"):
        pc.mixed_poisson(pc.lognormal_from_interval(0.01, 10))
    # As docs/engine.md says: a 90% interval spanning 100 is taken (above), 500
    # refused, with a way out named.
    with pytest.raises(ValueError, match="or a gamma rate, whose mixture is negative binomial"):
        pc.mixed_poisson(pc.lognormal_from_interval(0.01, 5))


def test_the_chance_of_any_event_keeps_its_digits():
    from picover.engine.frequency import Binomial, NegativeBinomial, Poisson, prob_any

    assert prob_any(Poisson(1e-13)) == pytest.approx(-np.expm1(-1e-13), rel=1e-15)
    assert prob_any(NegativeBinomial(2.0, 1 - 1e-14)) == pytest.approx(2e-14, rel=1e-12)
    assert prob_any(Binomial(3, 1e-15)) == pytest.approx(3e-15, rel=1e-12)
    # With a first event of its own the mean keeps its digits for rare events: at
    # 1e-10 a year 1 - exp(-1e-10) is 8e-9 off.
    d = pc.compound(
        stats.poisson(1e-10), stats.expon(scale=1e5), first_severity=stats.expon(scale=2e5)
    )
    assert d.mean() == pytest.approx(2e5 * 1e-10, rel=1e-9)


@pytest.mark.parametrize("deductible", [1e8, 1e10])
def test_a_deductible_deep_in_the_tail_keeps_the_mean(deductible):
    # P(claim > 1e10) is 4e-10: the grid once sized itself on a few mean payments
    # (15 KRW, buckets of 0.01 KRW) and the stop-loss differences cancelled, leaving
    # 5e-9 of the mean. Closed form: E[(X - d)+] = m Phi(s - u) - d Phi(-u).
    import math

    from scipy.special import ndtr

    s, mu = 1.5, math.log(1e6)
    u = (math.log(deductible) - mu) / s
    exact = 0.7 * (math.exp(mu + s * s / 2) * ndtr(s - u) - deductible * ndtr(-u))
    d = pc.compound(stats.poisson(0.7), stats.lognorm(s, scale=1e6), deductible=deductible)
    assert d.mean() == pytest.approx(exact, rel=1e-6)


def test_a_discrete_tail_too_heavy_to_tabulate_is_refused_at_once():
    # zipf(1.5) has an infinite mean; scipy's search for its 1e-17 quantile once
    # took all the memory there was.
    with pytest.raises(ValueError, match="zipf has more than 10,000,000 support points"):
        pc.compound(stats.poisson(1.0), stats.zipf(1.5))


def test_messages_name_the_real_trouble():
    freq = stats.poisson(1.0)
    with pytest.raises(ValueError, match=r"scipy's lognorm refuses these parameters \(\(-1,\)"):
        pc.compound(freq, stats.lognorm(-1))
    with pytest.raises(ValueError, match="scipy's nbinom refuses these parameters"):
        pc.compound(freq, stats.nbinom(float("nan"), 0.5))
    d = pc.compound(freq, stats.expon(scale=1e5))
    with pytest.raises(ValueError, match=r"no grid reaches so far \(the smallest tail_tol is"):
        d.ppf(1 - 1e-15)
    with pytest.raises(ValueError, match="return_periods: 1e\\+20 years is beyond any grid"):
        d.exceedance(return_periods=[1e20])
    with pytest.raises(TypeError, match="seed must be an int.*got True"):
        pc.compound(freq, stats.expon(scale=1e5), method="mc", seed=True)


def test_a_span_that_does_not_divide_the_values_is_refused():
    from picover.engine.severity import AtomicSeverity

    with pytest.raises(ValueError, match=r"span: every value must be a multiple of the span"):
        AtomicSeverity([0.5, 1.0], [0.5, 0.5], span=1 / 3)
    assert AtomicSeverity([1 / 3, 2 / 3], [0.5, 0.5], span=1 / 3).span == 1 / 3


_S, _MEDIAN, _LIM = 1.0, 1e5, 1e7
_Z = (math.log(_LIM) - math.log(_MEDIAN)) / _S


@pytest.mark.parametrize(
    ("base", "terms", "expected"),
    [
        # A lognormal's limited second moment:
        # e^(2 mu + 2 s^2) Phi(z - 2 s) + L^2 Phi(-z), z = (ln L - mu) / s.
        (
            stats.lognorm(_S, scale=_MEDIAN),
            {"limit": _LIM},
            _MEDIAN**2 * math.exp(2 * _S**2) * stats.norm.cdf(_Z - 2 * _S)
            + _LIM**2 * stats.norm.sf(_Z),
        ),
        # Pareto(2.5) from 1, S(t) = t^-2.5, past a deductible of 3:
        # 2 int_3^inf (t - 3) t^-2.5 dt = 2 (2 / sqrt 3 - 2 / (3 sqrt 3)) = 8 / (3 sqrt 3).
        (stats.pareto(2.5), {"deductible": 3.0}, 8.0 / (3.0 * math.sqrt(3.0))),
        # Half of each Pareto(2.5) loss: a quarter of E[X^2] = 2.5 / 0.5.
        (stats.pareto(2.5), {"share": 0.5}, 0.25 * 5.0),
        # An exponential is memoryless: (X - 1)+ is Exp(1) with chance e^-1.
        (stats.expon(), {"deductible": 1.0}, 2.0 * math.exp(-1.0)),
        # Pareto(1.5) has no second moment, and a layer without a limit inherits that.
        (stats.pareto(1.5), {}, math.inf),
        # A light-tailed body capped far out (it was refused as unknown): lognormal(0.3)
        # of median 1, L = 5: e^(2 s^2) Phi(z - 2 s) + L^2 Phi(-z), z = ln(5) / 0.3.
        (
            stats.lognorm(0.3),
            {"limit": 5.0},
            math.exp(0.18) * stats.norm.cdf(math.log(5.0) / 0.3 - 0.6)
            + 25.0 * stats.norm.sf(math.log(5.0) / 0.3),
        ),
        # A deductible at the top of a bounded loss leaves nothing to pay.
        (stats.uniform(), {"deductible": 1.0}, 0.0),
    ],
)
def test_a_layer_of_a_continuous_loss_knows_its_second_moment(base, terms, expected):
    # The many-claims grid rule needs the year's variance; under a limit it was
    # unknown for every continuous loss, and the rule did nothing.
    from picover.engine.severity import Layered, ScipySeverity

    got = Layered(ScipySeverity(base), **terms).second_moment()
    assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("base", "limit"),
    [
        (stats.gamma(5), 5.0),
        (stats.gamma(5), 20.0),
        (stats.weibull_min(3), 3.0),
        (stats.lognorm(0.5), 2.0),
    ],
)
def test_a_capped_light_tail_has_its_second_moment_by_any_route(base, limit):
    # E[min(X, L)^2] = int_0^L 2 y S(y) dy, by scipy's adaptive quadrature over the
    # loss: an independent route to what the layer integrates over probability.
    from scipy import integrate

    from picover.engine.severity import Layered, ScipySeverity

    ref = integrate.quad(lambda y: 2 * y * base.sf(y), 0, limit, epsabs=0, epsrel=1e-12)[0]
    got = Layered(ScipySeverity(base), limit=limit).second_moment()
    assert got == pytest.approx(ref, rel=1e-9)

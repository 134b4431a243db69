"""``compound``: the annual loss distribution of a frequency and a severity under terms."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover.engine import grid as _grid
from picover.engine.discretise import GridSeverity, discretise
from picover.engine.fft import Aggregate, aggregate
from picover.engine.frequency import Frequency, as_frequency, prob_any
from picover.engine.lossdist import LossDistribution
from picover.engine.severity import Layered, Severity, as_severity
from picover.engine.simulate import as_generator, simulate_years
from picover.engine.terms import annual_terms_error, apply_annual_terms, unresolved_tail

FloatArray = NDArray[np.float64]

#: Default probability allowed beyond an automatically chosen grid.
DEFAULT_TAIL_TOL = 1e-6
#: The smallest coinsurance (insurer's share) accepted: below about 1e-150 the
#: payments' squares underflow and the variance reads 0; 1e-6 leaves a wide margin.
MIN_COINSURANCE = 1e-6
#: Default number of simulated years for ``method="mc"``.
DEFAULT_N_SIMS = 100_000
# Relative error in the mean that the aggregate terms may make on the tail atom.
_TERMS_TOL = 1e-9
# The same for terms more than NEAR times beyond the grid's end: reaching them would
# coarsen every bucket, and under an annual deductible that costs the payment's mean
# more than this (a far limit took 1e-3 of it, over a bound of 1e-8); without one,
# the body's quantiles lose the detail.
_FAR_TERMS_TOL = 1e-7
#: How far (a multiple of the grid's end) the grid jumps to reach annual terms.
NEAR = 4.0
_MAX_REGRIDS = 6
#: Most events a year the FFT takes: the transform rounds each event's
#: transform by about 1e-16, and over E[N] events that adds up to E[N] 1e-16 of
#: every probability (1e-7 here, already a warning).
MAX_MEAN_COUNT = 1e9


class FFTOptions(NamedTuple):
    """Checked FFT grid controls (None: chosen automatically)."""

    tail_tol: float
    bucket: float | None
    n_buckets: int | None


def check_method_options(
    method: str,
    *,
    bucket: Any,
    n_buckets: Any,
    tail_tol: Any,
    n_sims: Any,
    seed: Any,
    min_buckets: int = 2,
) -> FFTOptions | int:
    """Check the controls of ``method``: FFT options, or the number of simulated years.

    Each control belongs to one method; giving it to the other is an error
    rather than being ignored.

    Examples
    --------
    >>> check_method_options("mc", bucket=None, n_buckets=None, tail_tol=None, n_sims=None,
    ...                      seed=1)
    100000
    >>> check_method_options("fft", bucket=None, n_buckets=64, tail_tol=None, n_sims=None,
    ...                      seed=None).n_buckets
    64
    """
    _checks.one_of("method", method, ("fft", "mc"))
    if method == "mc":
        for name, value in (("bucket", bucket), ("n_buckets", n_buckets), ("tail_tol", tail_tol)):
            if value is not None:
                raise ValueError(f"{name} applies to method='fft' only; got {name}={value!r}")
        return _checks.integer("n_sims", DEFAULT_N_SIMS if n_sims is None else n_sims, low=1)
    for name, value in (("n_sims", n_sims), ("seed", seed)):
        if value is not None:
            raise ValueError(f"{name} applies to method='mc' only; got {name}={value!r}")
    tol = _checks.number(
        "tail_tol",
        DEFAULT_TAIL_TOL if tail_tol is None else tail_tol,
        low=1e-14,
        high=1.0,
        high_open=True,
    )
    h = None if bucket is None else _checks.number("bucket", bucket, low=0.0, low_open=True)
    nb = (
        None
        if n_buckets is None
        else _checks.integer("n_buckets", n_buckets, low=min_buckets, high=_grid.HARD_MAX_BUCKETS)
    )
    return FFTOptions(tol, h, nb)


def grid_too_short(agg: Aggregate, agg_d: float, agg_l: float, error: float) -> ValueError:
    """The error for a user's grid that ends before the annual terms act."""
    # Unlimited, the payment is exact beyond the deductible; limited, beyond both.
    what, end = (
        ("aggregate deductible plus limit", agg_d + agg_l)
        if math.isfinite(agg_l)
        else ("aggregate deductible", agg_d)
    )
    return ValueError(
        f"the grid ends at {agg.top:,.6g}, before the {what} "
        f"({end:,.6g}), with probability {agg.tail_mass:.3g} beyond it: the annual "
        f"terms cannot be applied exactly (error up to {error:,.6g}); extend the grid "
        "(bucket * n_buckets)"
    )


def excess_bound(freq: Frequency, sev: Severity, first: Severity | None, c: float) -> float:
    """An upper bound on E[(S - c)+] for the year's total S (c > 0, currency units).

    ``first`` is the first event's severity, when it differs. In a year of n
    events the total exceeds c only by what its events exceed c / n, so
    (S - c)+ <= sum_i (X_i - c / n)+, and

        E[(S - c)+] <= sum_{n <= 256} P(N = n) (pi_1(c / n) + (n - 1) pi(c / n))
                       + max(E[X_1], E[X]) E[N; N > 256],

    pi and pi_1 the stop-loss transforms of the later and first events.

    Examples
    --------
    >>> from scipy import stats
    >>> from picover.engine.frequency import Poisson
    >>> from picover.engine.severity import ScipySeverity
    >>> sev = ScipySeverity(stats.expon(scale=1.0))  # E[(X - 30)+] = exp(-30)
    >>> b = excess_bound(Poisson(0.1), sev, None, 30.0)  # years of 3 events weigh most
    >>> 0.1 * math.exp(-30) < b < 1e-7
    True
    """
    later = _stop_loss_of(sev)
    lead = later if first is None else _stop_loss_of(first)
    biggest = max(sev.mean(), 0.0 if first is None else first.mean())
    return count_excess_bound(freq, later, lead, biggest, c)


def _stop_loss_of(sev: Severity) -> Callable[[FloatArray], FloatArray]:
    return lambda x: sev.sf_stop_loss(x)[1]


def count_excess_bound(
    freq: Frequency,
    stop_loss: Callable[[FloatArray], FloatArray],
    first_stop_loss: Callable[[FloatArray], FloatArray],
    biggest_mean: float,
    c: float,
) -> float:
    """:func:`excess_bound` from the events' stop-loss transforms, or bounds on them.

    ``stop_loss(x)`` and ``first_stop_loss(x)`` give (upper bounds on)
    E[(X - x)+] for a later and the first event at the points x > 0;
    ``biggest_mean`` is the larger of their means (currency units).
    """
    counts = np.arange(1, 257)
    p = np.asarray(freq.pmf(counts), dtype=np.float64)
    at = c / counts
    later = stop_loss(at)
    lead = later if first_stop_loss is stop_loss else first_stop_loss(at)
    within = float((p * (lead + (counts - 1) * later)).sum())
    beyond = max(freq.mean() - float((counts * p).sum()), 0.0)
    return within + biggest_mean * beyond


def toward_annual_end(top: float, agg_d: float, agg_l: float) -> float:
    """The next grid end when the annual terms act, inexactly, on the tail beyond ``top``.

    The terms are exact once the grid reaches the aggregate deductible plus
    limit (the deductible, when unlimited). The grid jumps there when it is
    near (within ``NEAR`` times the current end); otherwise it grows
    four-fold, as the tail shrinks. The error bound is loose (it cannot see
    how the tail spreads), and a grid stretched far to honour it would need
    buckets so coarse that they spread each loss and overstate what lies
    beyond a deductible, or so far that rounding swamps the losses.

    Examples
    --------
    >>> toward_annual_end(1e9, 0.0, 3e9)  # near: straight there
    3000000000.0
    >>> toward_annual_end(1e9, 0.0, 1e14)  # far: four-fold
    4000000000.0
    """
    end = agg_d + agg_l if math.isfinite(agg_l) else agg_d
    if end <= NEAR * top:
        return max(2.0 * top, end)
    return 4.0 * top


def warn_grid_left(
    agg: Aggregate, tail_tol: float, regrids: int, terms_error: float, terms_tol: float
) -> None:
    """Warn that the automatic grid gave up: annual terms still inexact, or too much tail."""
    if terms_error > terms_tol:
        warnings.warn(
            f"after {regrids} grids ending at up to {agg.top:,.6g}, the annual terms act on "
            f"a tail beyond the grid (P = {agg.tail_mass:.3g}): the mean may be off by up to "
            f"{terms_error:,.6g}",
            RuntimeWarning,
            stacklevel=4,
        )
        return
    warnings.warn(
        f"after {regrids} grids, probability {agg.tail_mass:.3g} still lies beyond "
        f"the grid's end {agg.top:,.6g} (tail_tol {tail_tol:.3g}); the mean and TVaR "
        "stay exact, quantiles beyond the grid are unavailable",
        RuntimeWarning,
        stacklevel=4,
    )


def compound(
    frequency: Any,
    severity: Any,
    *,
    deductible: float = 0.0,
    limit: float = math.inf,
    coinsurance: float = 1.0,
    aggregate_deductible: float = 0.0,
    aggregate_limit: float = math.inf,
    first_severity: Any = None,
    method: str = "fft",
    bucket: float | None = None,
    n_buckets: int | None = None,
    tail_tol: float | None = None,
    n_sims: int | None = None,
    seed: Any = None,
    currency: str = "KRW",
) -> LossDistribution:
    """Distribution of one year's total loss: a count of events, each with a loss.

    Per-occurrence terms apply to each event's loss in the order deductible,
    limit, coinsurance: the payment is ``coinsurance * min((X - deductible)+, limit)``.
    Aggregate terms apply to the year's total of payments: deductible, then limit.

    Parameters
    ----------
    frequency : scipy frozen poisson, nbinom or binom; pmf array; or :func:`mixed_poisson`
        Number of events in the year.
    severity : frozen scipy distribution, :func:`empirical` or :func:`lattice`
        Loss of one event (currency units, >= 0).
    deductible, limit, coinsurance : float
        Per-occurrence terms (currency units; coinsurance is the insurer's share in (0, 1]).
    aggregate_deductible, aggregate_limit : float
        Annual terms (currency units).
    first_severity : same kinds as ``severity``, optional
        Loss of the first event of the year when it differs from the others
        (say a one-off cost paid only once a year). The same per-occurrence terms apply.
    method : {"fft", "mc"}
        Exact on a grid by FFT, or Monte Carlo.
    bucket, n_buckets : float, int, optional
        FFT grid spacing (currency units) and number of points; chosen
        automatically by default, aligned with the limits and deductibles.
    tail_tol : float, optional
        FFT only: the largest probability the automatic grid may leave beyond
        its end, in [1e-14, 1) (default 1e-6). That probability is kept as one atom at its
        exact conditional mean; see :attr:`LossDistribution.tail_mass`.
    n_sims : int, optional
        Monte Carlo only: number of simulated years (default 100,000).
    seed : int, numpy Generator or SeedSequence, optional
        Monte Carlo only: the same seed gives the same result.
    currency : str, default "KRW"
        Unit of every amount, carried into the result.

    Returns
    -------
    LossDistribution

    Examples
    --------
    >>> from scipy import stats
    >>> d = compound(stats.poisson(0.3), stats.lognorm(s=2.0, scale=3e5))
    >>> round(d.mean() / (0.3 * float(stats.lognorm(s=2.0, scale=3e5).mean())), 9)
    1.0
    >>> capped = compound(stats.poisson(0.3), stats.lognorm(s=2.0, scale=3e5),
    ...                   limit=1e7, aggregate_limit=2e7)
    >>> bool(capped.ppf(0.9999) <= 2e7)
    True
    """
    d = _checks.number("deductible", deductible, low=0.0)
    lim = _checks.number("limit", limit, low=0.0, low_open=True, allow_inf=True)
    share = _checks.number("coinsurance", coinsurance, low=MIN_COINSURANCE, high=1.0)
    agg_d = _checks.number("aggregate_deductible", aggregate_deductible, low=0.0)
    agg_l = _checks.number(
        "aggregate_limit", aggregate_limit, low=0.0, low_open=True, allow_inf=True
    )
    options = check_method_options(
        method, bucket=bucket, n_buckets=n_buckets, tail_tol=tail_tol, n_sims=n_sims, seed=seed
    )
    if not isinstance(currency, str) or not currency:
        raise TypeError(f"currency must be a non-empty string; got {currency!r}")
    freq = as_frequency(frequency)
    sev = _layered(as_severity(severity), d, lim, share)
    first = (
        None
        if first_severity is None
        else _layered(as_severity(first_severity, "first_severity"), d, lim, share)
    )
    if not isinstance(options, FFTOptions):
        totals = simulate_years(
            freq,
            sev,
            options,
            as_generator(seed),
            first=first,
            aggregate_deductible=agg_d,
            aggregate_limit=agg_l,
        )
        return LossDistribution.from_samples(totals, currency=currency)
    return fft_compound(freq, sev, first, agg_d, agg_l, *options, currency)


def _layered(base: Severity, d: float, lim: float, share: float) -> Severity:
    if d == 0.0 and math.isinf(lim) and share == 1.0:
        return base
    return Layered(base, d, lim, share)


def fft_compound(
    freq: Frequency,
    sev: Severity,
    first: Severity | None,
    agg_d: float,
    agg_l: float,
    tail_tol: float,
    bucket: float | None,
    n_buckets: int | None,
    currency: str,
) -> LossDistribution:
    """The FFT path of :func:`compound`, on checked inputs."""
    n_mean = freq.mean()
    p_any = prob_any(freq)
    if first is None:
        sevs = [(sev, n_mean)]
        exact_mean = n_mean * sev.mean()
    else:
        sevs = [(sev, n_mean - p_any), (first, p_any)]
        exact_mean = p_any * first.mean() + (n_mean - p_any) * sev.mean()
    if n_mean == 0.0 or all(s.upper == 0.0 for s, _ in sevs):
        return LossDistribution([0.0], [1.0], method="fft", currency=currency)
    if n_mean > MAX_MEAN_COUNT:
        raise ValueError(
            f"frequency: a mean of {n_mean:.3g} events a year is more than the FFT "
            f"resolves (at most {MAX_MEAN_COUNT:.0e}: its rounding grows with the count); "
            "count the events in larger units (one per thousand claims, with the "
            "severity of their sum)"
        )

    top = _grid.reach(freq, sevs, tail_tol, agg_d, agg_l)
    anchors = [s.upper for s, _ in sevs] + [agg_l, agg_d, agg_d + agg_l]
    # The median claim sizes the automatic grid and checks any grid afterwards.
    median_claim = min(_grid._body_scale(s) for s, _ in sevs)
    body = median_claim if bucket is None and n_buckets is None else None
    exact_var = _exact_var(sev, first, freq, p_any)
    finest = (
        _grid.blur_bucket(_grid.rounded_count(sevs), exact_var) if body is not None else math.inf
    )
    if body is not None:
        # Claims rarer than the tolerance (a deductible deep in the tail) leave the
        # year's reach at a few mean claims, far below any claim that is made: a
        # grid there would cut each claim's stop-loss transform into cancelling
        # differences. It spans at least the median positive claim.
        top = max(top, body)
    end = agg_d + agg_l if math.isfinite(agg_l) else agg_d
    tol = _TERMS_TOL
    for _ in range(_MAX_REGRIDS):
        # Amounts beyond the grid's end need no grid point (and a far limit must
        # not push the deductible off one).
        near = [a for a in anchors if a <= top]
        grid = _grid.choose(
            freq,
            sevs,
            top=top,
            bucket=bucket,
            n_buckets=n_buckets,
            anchors=near,
            body=body,
            finest=finest,
        )
        agg = aggregate(
            freq,
            _on_grid(sev, grid),
            grid.n,
            exact_mean,
            first=None if first is None else _on_grid(first, grid),
            amounts=near,
        )
        error = annual_terms_error(agg, agg_d, agg_l)
        if error > 0 and agg.top >= agg_d and math.isfinite(agg_l):
            # That bound sees only the tail's mean; the error is also at most
            # E[(S - d - l)+], which the severities bound much more tightly.
            error = min(error, excess_bound(freq, sev, first, agg_d + agg_l))
        tol = _TERMS_TOL if end <= NEAR * agg.top else _FAR_TERMS_TOL
        if not grid.automatic:
            if error > tol * max(exact_mean, agg.bucket):
                raise grid_too_short(agg, agg_d, agg_l, error)
            break
        if error > tol * max(exact_mean, agg.bucket):
            # The severities' bound says the tail truly reaches that far: so must the
            # grid, to the deductible plus limit (the deductible when unlimited).
            top = max(2.0 * top, end)
        elif unresolved_tail(agg, agg_d, agg_l) > tail_tol:
            top *= 4.0
        else:
            break
    else:
        warn_grid_left(agg, tail_tol, _MAX_REGRIDS, error, tol * max(exact_mean, agg.bucket))
    if agg.bucket > median_claim:
        # The caller's grid too: a coarse one moves quantiles and probabilities by a
        # bucket, which is then more than a typical claim.
        warnings.warn(
            f"the grid's bucket ({agg.bucket:,.6g}) exceeds the median claim "
            f"({median_claim:,.6g}): the body of the distribution is coarse ("
            + (
                "the mean stays exact; "
                if agg_d == 0 and math.isinf(agg_l)
                else "the annual terms' mean feels a bucket's convexity; "
            )
            + "quantiles, cdf and TVaR may be off by a bucket); pass "
            + ("a larger n_buckets" if bucket is None else "a smaller bucket")
            + " for more detail",
            RuntimeWarning,
            stacklevel=3,
        )
    warn_blur(agg, _grid.rounding_variance(sevs, agg.bucket), n_mean, exact_var, body is not None)
    if agg_d > 0 or math.isfinite(agg_l):
        return checked_payment(apply_annual_terms(agg, agg_d, agg_l, currency), exact_mean, agg)
    # Without annual terms the year's variance is known from the severities'
    # second moments, the tail's spread included (the grid holds it as one atom).
    return apply_annual_terms(agg, agg_d, agg_l, currency, exact_var)


def warn_blur(
    agg: Aggregate, blur: float, n_mean: float, exact_var: float, automatic: bool
) -> None:
    """Warn when rounding ``n_mean`` claims a year to the grid widens the year's spread.

    Their rounding adds ``blur`` to the variance (see
    :func:`picover.engine.grid.rounding_variance`); above ``BLUR_SHARE`` of the year's
    variance, quantiles 2.5 standard deviations out move by more than 0.6% of a
    standard deviation, which it says when that is more than a bucket. The year's
    variance is the exact one where the severities know their second moments,
    else the grid's less the rounding's.
    """
    if math.isfinite(exact_var):
        variance = exact_var
    else:
        mean = float(agg.support @ agg.probs)
        variance = float((agg.support - mean) ** 2 @ agg.probs) - blur
    if variance <= 0.0:
        # A year that cannot vary (exactly), or a grid that varies less than the
        # estimate says rounding adds (claims sitting on grid points, a limit say): the
        # estimate has nothing to say against it.
        return
    # Quantiles z standard deviations out move by z (sqrt(1 + share) - 1) sd; within
    # a bucket, the grid's own resolution has said all there is to say.
    shift = 2.5 * (math.sqrt(variance + blur) - math.sqrt(variance))
    if not (blur > _grid.BLUR_SHARE * variance and shift > agg.bucket):
        return
    if not automatic:
        fix = "pass a smaller bucket"
    elif math.isfinite(exact_var):
        fix = (
            f"the automatic grid stops at {_grid.MAX_LATTICE_BUCKETS:,} points; pass a "
            "smaller bucket to go further"
        )
    else:
        # The automatic grid sizes itself for the rounding from the exact variance.
        fix = (
            "the claims' second moment is infinite or unknown, so the automatic grid "
            "did not size itself for this; pass a smaller bucket"
        )
    warnings.warn(
        f"with {n_mean:,.0f} claims a year, rounding each to the grid's bucket "
        f"({agg.bucket:,.6g}) adds {blur / variance:.2%} to the year's variance "
        f"({variance:.6g}): quantiles, cdf and TVaR 2.5 standard deviations out may be "
        f"off by about {shift:,.6g} (the mean stays exact); {fix}",
        RuntimeWarning,
        stacklevel=4,
    )


def compound_variance(
    freq: Frequency,
    later: tuple[float, float],
    first: tuple[float, float] | None = None,
    p_any: float | None = None,
) -> float:
    """Var(S) for S = F + Y_2 + ... + Y_N (0 when N = 0), from (mean, second moment)
    of the later events' Y and of the first event's F (the same as Y when None).

    With M = (N - 1)+: E[S^2] = P(N >= 1) E[F^2] + 2 E[F] E[Y] E[M] + E[M] E[Y^2]
    + E[M (M - 1)] E[Y]^2, where E[M] = E[N] - P(N >= 1) and E[M (M - 1)] =
    E[N^2] - 3 E[N] + 2 P(N >= 1). Without a first event apart this is
    E[N] Var(Y) + Var(N) E[Y]^2. ``p_any``, P(N >= 1), may be passed when known.

    Examples
    --------
    >>> from picover.engine.frequency import Poisson
    >>> compound_variance(Poisson(2.0), (3.0, 10.0))  # lambda E[Y^2]
    20.0
    """
    y_mean, y_square = later
    f_mean, f_square = later if first is None else first
    n_mean = freq.mean()
    n_square = freq.var() + n_mean * n_mean
    if p_any is None:
        p_any = prob_any(freq)
    m_mean = n_mean - p_any
    m_pairs = n_square - 3.0 * n_mean + 2.0 * p_any
    square = (
        p_any * f_square
        + 2.0 * f_mean * y_mean * m_mean
        + m_mean * y_square
        + m_pairs * y_mean * y_mean
    )
    mean = p_any * f_mean + m_mean * y_mean
    return max(square - mean * mean, 0.0)


def _exact_var(sev: Severity, first: Severity | None, freq: Frequency, p_any: float) -> float:
    """The compound variance when every severity knows a finite second moment, else NaN."""
    parts = []
    for s in (sev,) if first is None else (sev, first):
        moment = getattr(s, "second_moment", None)
        square = math.inf if moment is None else float(moment())
        if not math.isfinite(square):
            return math.nan
        parts.append((s.mean(), square))
    return compound_variance(freq, parts[0], parts[-1], p_any)


def checked_payment(paid: LossDistribution, total_mean: float, agg: Aggregate) -> LossDistribution:
    """``paid`` (the year's payment under annual terms), with a warning when its mean
    is too small for the grid to resolve.

    The year's total is exact in mean to about 1e-9 of its mean or the bucket,
    whichever is larger; when the terms take nearly everything (a deductible
    far out) and leave a mean within ten times that, the payment is known only
    roughly, and the caller hears of it with the figures.
    """
    accuracy = 1e-9 * max(abs(total_mean), agg.bucket)
    paid_mean = paid.mean()
    if total_mean > 0.0 and paid_mean < min(10.0 * accuracy, 0.01 * total_mean):
        warnings.warn(
            f"the mean payment ({paid_mean:.3g}) is within ten times of what this grid "
            f"resolves ({accuracy:.3g}, the year's total being {total_mean:,.6g}): the "
            "annual terms take nearly everything, and the figure is rough",
            RuntimeWarning,
            stacklevel=4,
        )
    return paid


def _on_grid(sev: Severity, grid: _grid.Grid) -> GridSeverity:
    n = grid.n
    if math.isfinite(sev.upper):
        # A bounded severity needs points only up to its bound.
        n = min(n, math.ceil(sev.upper / grid.bucket - 1e-9) + 2)
    return discretise(sev, grid.bucket, max(n, 2))

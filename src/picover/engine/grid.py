"""Choosing the grid (bucket size and length) for the FFT engine.

The grid must reach far enough that little probability lies beyond it and be
fine enough to resolve a typical claim. Where it can, it is also aligned so
that the per-occurrence limit, the aggregate deductible and limit, and the
atoms of a discrete severity fall exactly on grid points: then those terms are
applied with no discretisation error at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

import attrs
import numpy as np

from picover.engine.frequency import Frequency
from picover.engine.severity import FloatArray, Severity, off_step

#: Default largest number of grid points chosen automatically (a user may ask for more).
DEFAULT_MAX_BUCKETS = 2**15
#: Largest grid used automatically to keep a discrete severity exact.
MAX_LATTICE_BUCKETS = 2**22
#: Largest grid accepted at all.
HARD_MAX_BUCKETS = 2**25
#: Smallest automatic grid.
MIN_BUCKETS = 2**10
#: Grid points per median claim aimed at by the automatic choice.
POINTS_PER_MEDIAN = 32

_DECIMALS = 9


def float_gcd(values: Iterable[float], rel: float = 1e-12) -> float | None:
    """Greatest common divisor of positive amounts given to at most 9 decimals.

    Returns None when the amounts share no such divisor (irrational ratios).
    ``rel`` is how far, relative to each amount, it may lie from a multiple of
    the divisor: the default allows only float rounding.

    Examples
    --------
    >>> float_gcd([1e6, 2.5e5, 7.5e6])
    250000.0
    >>> float_gcd([0.3, 0.2])
    0.1
    >>> float_gcd([1_000_000.5, 3e6]), float_gcd([1_000_000.5, 3e6], rel=1e-6)
    (1.5, 1000000.0)
    """
    arr = np.asarray([v for v in values if v > 0 and math.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return None
    for k in range(_DECIMALS + 1):
        scaled = arr * 10.0**k
        if scaled.max() >= 2**53:
            return None
        ints = np.rint(scaled)
        if np.all(np.abs(scaled - ints) <= rel * np.maximum(scaled, 1.0)):
            g = int(np.gcd.reduce(ints.astype(np.int64)))
            return g / 10.0**k
    return None


@attrs.frozen
class Grid:
    """A grid 0, h, ..., (n - 1) h and whether it was chosen automatically.

    Examples
    --------
    >>> Grid(bucket=1e5, n=1025, automatic=True).top  # 1,024 buckets of 100,000 KRW
    102400000.0
    """

    bucket: float
    n: int
    automatic: bool

    @property
    def top(self) -> float:
        return self.bucket * (self.n - 1)


def _exceeded(sev: Severity, p: float) -> float:
    """The claim exceeded with probability ``p``, from the top where the severity allows.

    ``ppf(1 - p)`` loses ``p`` once it nears the float spacing below 1 (1.1e-16):
    at 1e-16 it asks for the 100 % point, which is infinite for unbounded claims.
    """
    isf = getattr(sev, "isf", None)
    return float(isf(p)) if isf is not None else float(sev.ppf(1.0 - p))


def _body_scale(sev: Severity) -> float:
    """Median of a claim given it is positive: the scale the grid must resolve."""
    positive = float(sev.sf_stop_loss(np.array([0.0]))[0][0])
    if not positive > 0:  # no claim pays anything (or P(claim > 0) underflows)
        return max(sev.upper, 1.0) if math.isfinite(sev.upper) else 1.0
    # A deductible deep in the tail leaves P(claim > 0) = 5e-10: read from the top.
    med = _exceeded(sev, positive / 2.0)
    return med if 0 < med < math.inf else max(sev.upper, 1.0) if math.isfinite(sev.upper) else 1.0


def reach(
    freq: Frequency,
    sevs: list[tuple[Severity, float]],
    tail_tol: float,
    aggregate_deductible: float,
    aggregate_limit: float,
) -> float:
    """A loss that the annual total exceeds with probability about ``tail_tol`` or less.

    ``sevs`` pairs each severity with the expected number of claims it makes.
    Heavy tails are reached by one large claim (the single-big-jump estimate),
    light ones by many claims; bounded claims give a hard bound.

    Examples
    --------
    >>> from scipy import stats
    >>> from picover.engine.frequency import Poisson
    >>> from picover.engine.severity import ScipySeverity
    >>> sev = ScipySeverity(stats.lognorm(1.0, scale=1e6))  # median claim 1 million KRW
    >>> far = reach(Poisson(0.5), [(sev, 0.5)], 1e-6, 0.0, math.inf)
    >>> near = reach(Poisson(0.5), [(sev, 0.5)], 1e-3, 0.0, math.inf)
    >>> near < far  # a smaller tail probability needs a longer grid
    True
    >>> reach(Poisson(0.5), [(sev, 0.5)], 1e-6, 0.0, 1e7)  # an annual limit caps the reach
    10000000.0
    """
    mean_claim = max(sev.mean() for sev, _ in sevs)
    n_high = freq.ppf(1.0 - tail_tol / 2.0)
    top = 1.5 * n_high * mean_claim
    for sev, count in sevs:
        if count > tail_tol / 2.0:
            top = max(top, 1.25 * _exceeded(sev, tail_tol / (2.0 * count)))
    # At least one claim's mean: with claims rarer than the tolerance the tail atom
    # holds nearly everything, and a grid of zero length would have no bucket.
    top = max(top, mean_claim)
    upper = max(sev.upper for sev, _ in sevs)
    if math.isfinite(upper):
        top = min(top, upper * max(freq.ppf(1.0 - tail_tol / 4.0), 1.0))
    if aggregate_deductible > 0:
        top = max(top, aggregate_deductible + min(top, aggregate_limit))
    if math.isfinite(aggregate_limit):
        top = min(top, aggregate_deductible + aggregate_limit)
    if not math.isfinite(top):
        raise ValueError(
            f"the year's total has no finite reach (mean count {freq.mean():.3g}, largest "
            f"mean claim {mean_claim:.3g}, tail_tol {tail_tol:.3g}): no grid can hold it; "
            "give an aggregate_limit or a larger tail_tol"
        )
    return top


def choose(
    freq: Frequency,
    sevs: list[tuple[Severity, float]],
    *,
    top: float,
    bucket: float | None,
    n_buckets: int | None,
    anchors: list[float],
    max_buckets: int = DEFAULT_MAX_BUCKETS,
    body: float | None = None,
    finest: float = math.inf,
) -> Grid:
    """Pick the grid that reaches ``top``, honouring a user's bucket or length.

    ``anchors`` are amounts that should land on grid points (limits,
    deductibles), most important first. ``body``, the smallest median claim
    of ``sevs``, is computed when not given. ``finest`` is the largest bucket
    whose rounding of every claim leaves the year's spread as it is (see
    :func:`blur_bucket`): the automatic grid may grow past ``max_buckets``,
    up to ``MAX_LATTICE_BUCKETS``, to come under it.

    Examples
    --------
    >>> from picover.engine.frequency import Poisson
    >>> from picover.engine.severity import AtomicSeverity
    >>> sev = AtomicSeverity([1e6, 5e6], [0.8, 0.2])  # claims of 1 or 5 million KRW
    >>> choose(Poisson(0.5), [(sev, 0.5)], top=2e7, bucket=None, n_buckets=None,
    ...        anchors=[1e7])  # the claims' own lattice: exact
    Grid(bucket=1000000.0, n=21, automatic=True)
    >>> choose(Poisson(0.5), [(sev, 0.5)], top=2e7, bucket=5e5, n_buckets=None, anchors=[])
    Grid(bucket=500000.0, n=41, automatic=False)
    """
    if bucket is not None and n_buckets is not None:
        return Grid(bucket, n_buckets, automatic=False)
    lattice = _lattice(sevs)
    if lattice is None or _points(top, lattice) > MAX_LATTICE_BUCKETS:
        # Amounts within a millionth of a coarser lattice (1,000,000.5 and 3,000,000)
        # fare better on it, each split by that millionth between its two points,
        # than on an ordinary grid, which splits them by up to a bucket.
        lattice = _lattice(sevs, rel=1e-6)

    if not top > 0:  # every claim is 0: any bucket holds the year
        top = 1.0
    if bucket is not None:
        return Grid(bucket, length(top, bucket), automatic=False)
    if n_buckets is not None:
        h = top / (n_buckets - 1) if top > 0 else 1.0
        return Grid(h, n_buckets, automatic=False)

    if lattice is not None and _points(top, lattice) <= MAX_LATTICE_BUCKETS:
        # A discrete severity is exact on its own lattice, made finer only as far
        # as the limits and deductibles need to land on grid points too.
        h = align(lattice, [lattice, *anchors])
        return Grid(h, length(top, h), automatic=True)
    if body is None:
        body = min(_body_scale(sev) for sev, _ in sevs)
    want = 2 ** math.ceil(math.log2(max(top * POINTS_PER_MEDIAN / body, 1.0)))
    # Many claims a year: each one's rounding to the grid adds up (see blur_bucket),
    # which no count of points per median claim foresees.
    blurred = 2 ** math.ceil(math.log2(max(top / finest, 1.0)))
    most = max(max_buckets, min(blurred, MAX_LATTICE_BUCKETS))
    n = int(min(max(want, blurred, MIN_BUCKETS), most))
    h = top / (n - 1) * (1.0 + 1e-12)  # exactly n points: a power of two transforms fastest
    # Landing the anchors on grid points may cut the bucket by up to 8; past the
    # largest grid that is sized for its own sake, the least important anchors give
    # way (an annual deductible of 3,000 KRW under a year of 16 billion made 8
    # million points), and the terms are applied off the grid's points.
    for keep in range(len(anchors), -1, -1):
        aligned = align(h, anchors[:keep])
        if _points(top, aligned) <= max(n, MAX_LATTICE_BUCKETS):
            break
    return Grid(aligned, length(top, aligned), automatic=True)


#: Share of the year's variance that the claims' rounding to the grid may add:
#: it widens the year's spread by half that, so quantiles 2.5 standard deviations
#: out move by about 0.6% of a standard deviation.
BLUR_SHARE = 0.005


def blur_bucket(n_mean: float, variance: float) -> float:
    """The largest bucket whose rounding of each claim adds ``BLUR_SHARE`` of the variance.

    ``n_mean`` counts the claims a year that the grid rounds (see
    :func:`rounded_count`).

    The grid keeps a claim's mean by splitting it between the two grid points
    around it, which adds f (1 - f) h^2 to its variance (f the fraction of the
    bucket h it lies past the lower point): h^2 / 6 on average for a continuous
    claim. Over a year of ``n_mean`` claims that is n_mean h^2 / 6, against the
    year's ``variance`` (currency units squared). Few claims leave this far
    coarser than the body of a claim needs; 10,000 a year do not.

    Examples
    --------
    >>> round(blur_bucket(1e4, 7.4e14))  # 10,000 claims a year, std 27 million KRW
    47117
    >>> blur_bucket(0.5, math.inf)
    inf
    """
    if not (n_mean > 0 and variance > 0):
        return math.inf
    return math.sqrt(6.0 * BLUR_SHARE * variance / n_mean)


def rounded_count(sevs: list[tuple[Severity, float]]) -> float:
    """How many of the year's claims the grid rounds: those of a continuous loss
    that a layer leaves between 0 and its cap (payments of 0 and of the limit sit
    on grid points, the limit being an anchor), and every claim otherwise.

    Examples
    --------
    >>> from scipy import stats
    >>> from picover.engine.severity import Layered, ScipySeverity
    >>> y = Layered(ScipySeverity(stats.expon()), deductible=math.log(2.0))
    >>> rounded_count([(y, 10.0)])  # half the claims fall below the deductible
    5.0
    """
    return sum(count * _layer_split(sev)[0] for sev, count in sevs)


def _layer_split(sev: Severity) -> tuple[float, float, float]:
    """(P(0 < Y < cap), P(Y = cap), cap) for a layer of a continuous loss (see
    :meth:`~picover.engine.severity.Layered.rounded_parts`); (1, 0, inf) for
    anything else, every claim of which is spread."""
    parts = getattr(sev, "rounded_parts", None)
    if parts is None or sev.atoms() is not None:
        return 1.0, 0.0, math.inf
    spread, at_cap, cap = parts()
    return float(spread), float(at_cap), float(cap)


def rounding_variance(sevs: list[tuple[Severity, float]], h: float) -> float:
    """What rounding the year's claims to a grid of bucket ``h`` adds to its variance.

    Each claim x is split between the grid points around it, adding f (1 - f) h^2
    (f = x / h less its whole part): summed exactly over a discrete severity's
    atoms (0 on its lattice), h^2 / 6 for a continuous one (f evenly spread),
    times the claims each severity makes (currency units squared). A layer of a
    continuous loss pays 0 and its limit as atoms: only its payments between
    are spread, and the limit only when it is off the grid.

    Examples
    --------
    >>> from picover.engine.severity import AtomicSeverity
    >>> sev = AtomicSeverity([1e6, 5e6], [0.8, 0.2])
    >>> rounding_variance([(sev, 2.0)], 5e5)  # on its lattice: nothing
    0.0
    >>> round(rounding_variance([(sev, 2.0)], 3e5) / 3e5**2, 6)  # f = 1/3 and 2/3
    0.444444
    """
    total = 0.0
    for sev, count in sevs:
        atoms = sev.atoms()
        if atoms is None:
            spread, at_cap, cap = _layer_split(sev)
            off = float(_split(np.array([cap]), h)[0]) if at_cap > 0.0 else 0.0
            total += count * h * h * (spread / 6.0 + at_cap * off)
            continue
        total += count * h * h * float(atoms[1] @ _split(atoms[0], h))
    return total


def _split(x: FloatArray, h: float) -> FloatArray:
    """f (1 - f) for amounts ``x`` on a grid of bucket ``h`` (0 for those on it)."""
    steps = x / h
    f = np.where(off_step(x, h), steps - np.floor(steps), 0.0)
    return f * (1.0 - f)


def _span(sev: Severity, rel: float = 1e-12) -> float | None:
    """The step every claim of ``sev`` is a multiple of: None when there is none (not
    discrete, or no decimal step), 0 when every claim is 0 (any step fits).

    A severity's own ``span`` (a lattice's bucket) is a step, not necessarily the
    coarsest: claims of 1e5, 2e5, ... on a 1-KRW lattice share a step of 1e5, and a
    grid of 1-KRW buckets would be needlessly fine, so the whole multiples of the
    span are reduced to their greatest common divisor (exact integers, which a span
    of 1/3 keeps free of decimals).

    Examples
    --------
    >>> from picover.engine.severity import AtomicSeverity
    >>> _span(AtomicSeverity([1e5, 3e5], [0.5, 0.5], span=1.0))
    100000.0
    >>> _span(AtomicSeverity([2 / 3, 4 / 3], [0.5, 0.5], span=1 / 3)) == 2 / 3
    True
    """
    span = getattr(sev, "span", None)
    atoms = sev.atoms()
    if atoms is None:
        return None if span is None else float(span)
    positive = atoms[0][atoms[0] > 0]
    if positive.size == 0:
        return 0.0
    if span is None:
        return float_gcd(positive, rel)
    steps = np.rint(positive / span)
    if steps.max() >= 2**53:
        return float(span)
    return float(span) * int(np.gcd.reduce(steps.astype(np.int64)))


def _lattice(sevs: list[tuple[Severity, float]], rel: float = 1e-12) -> float | None:
    """The step shared by the claims of every severity (see :func:`_span`), or None."""
    found = [_span(sev, rel) for sev, _ in sevs]
    if any(s is None for s in found):
        return None
    spans = [s for s in found if s]  # claims of 0 only fit any lattice
    if not spans:
        return None
    if all(s == spans[0] for s in spans):
        return spans[0]
    found_gcd = float_gcd(spans, rel)
    return found_gcd if found_gcd is not None else _ratio_gcd(spans)


def _ratio_gcd(spans: list[float]) -> float | None:
    """The common step of spans in simple ratios to one another (1/3 and 1/2 share
    1/6), which have no decimal divisor; None when some ratio is no fraction of
    denominator up to 1,000 (to 1e-12).

    Examples
    --------
    >>> _ratio_gcd([1 / 3, 1 / 2]) * 6
    1.0
    >>> _ratio_gcd([1.0, math.pi]) is None
    True
    """
    unit = min(spans)
    ratios = [Fraction(s / unit).limit_denominator(1000) for s in spans]
    if any(abs(float(r) * unit - s) > 1e-12 * s for r, s in zip(ratios, spans, strict=True)):
        return None
    lcm = math.lcm(*(r.denominator for r in ratios))
    steps = math.gcd(*(r.numerator * (lcm // r.denominator) for r in ratios))
    return unit * steps / lcm


def align(h: float, anchors: list[float]) -> float:
    """The largest bucket <= h dividing as many leading anchors as possible.

    An anchor is dropped when honouring it would need a bucket under h / 8.

    Examples
    --------
    >>> align(3e5, [1e6])  # a limit of 1 million KRW is 4 buckets: on a grid point
    250000.0
    >>> align(3e5, [1e6, 123_457.0])  # the second anchor would need a bucket of 1 KRW
    250000.0
    >>> align(3e5, [])
    300000.0
    """
    g: float | None = None
    for a in anchors:
        if not (a > 0 and math.isfinite(a)):
            continue
        g2 = a if g is None else float_gcd([g, a])
        if g2 is None or g2 < h / 8.0:
            break
        g = g2
    if g is None:
        return h
    return g / math.ceil(g / h - 1e-9)


def _points(top: float, h: float) -> int:
    return math.ceil(top / h - 1e-9) + 1


def length(top: float, h: float) -> int:
    """Number of points 0, h, 2h, ... of a grid reaching ``top`` (at least 2).

    Raises
    ------
    ValueError
        If more than ``HARD_MAX_BUCKETS`` points would be needed.

    Examples
    --------
    >>> length(1e6, 1e5), length(1e6, 3e5), length(0.0, 1.0)
    (11, 5, 2)
    """
    n = _points(top, h)
    if n > HARD_MAX_BUCKETS:
        raise ValueError(
            f"the grid would need {n:,} buckets of {h:.6g} to reach {top:.6g}; the most "
            f"allowed is {HARD_MAX_BUCKETS:,}: choose a larger bucket"
        )
    return max(n, 2)

"""Monte Carlo years: the cross-check of the FFT engine, with the same terms.

Each simulated year draws its number of events, then each event's loss (the
first event of the year from its own severity when one is given), applies the
per-occurrence terms to each loss, adds them up and applies the aggregate
terms. Everything is vectorised over years; a seed or a Generator makes the
result reproducible, and numpy's global generator is never touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    # For annotations only: the count and severity classes draw through
    # as_generator, so importing them here would be circular.
    from picover.engine.frequency import Frequency
    from picover.engine.severity import Severity

FloatArray = NDArray[np.float64]

# Claims drawn per vectorised chunk (bounds memory for very frequent events).
_CHUNK_CLAIMS = 2**22


def as_generator(seed: Any) -> np.random.Generator:
    """A Generator from an int seed, a SeedSequence, a Generator, or None (fresh entropy).

    Examples
    --------
    >>> float(as_generator(1).random()) == float(as_generator(1).random())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool):  # an int to numpy, but surely not meant as a seed
        raise TypeError(
            f"seed must be an int, a numpy SeedSequence or Generator, or None; got {seed}"
        )
    if seed is None or isinstance(seed, int | np.integer | np.random.SeedSequence):
        if isinstance(seed, int | np.integer) and seed < 0:
            raise ValueError(f"seed must be >= 0; got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(
        "seed must be an int, a numpy SeedSequence or Generator, or None; "
        f"got {type(seed).__name__}"
    )


def simulate_years(
    freq: Frequency,
    sev: Severity,
    n_sims: int,
    rng: np.random.Generator,
    *,
    first: Severity | None = None,
    aggregate_deductible: float = 0.0,
    aggregate_limit: float = np.inf,
) -> FloatArray:
    """Simulated annual totals (currency units), one per year.

    Parameters
    ----------
    freq, sev : Frequency, Severity
        Events per year and each event's payment (per-occurrence terms applied).
    n_sims : int
        Number of years.
    rng : numpy.random.Generator
    first : Severity, optional
        Payment of the first event of each year, when it differs.
    aggregate_deductible, aggregate_limit : float
        Annual terms applied to each year's total.

    Examples
    --------
    >>> from picover.engine.frequency import Poisson
    >>> from picover.engine.severity import AtomicSeverity
    >>> s = simulate_years(Poisson(1.0), AtomicSeverity([2.0], [1.0]), 5, as_generator(0))
    >>> bool(np.all(s % 2 == 0))
    True
    """
    counts = freq.rvs(n_sims, rng)
    totals = np.zeros(n_sims)
    per_year = max(float(freq.mean()), 1e-12)
    step = max(1, int(_CHUNK_CLAIMS / per_year))
    for start in range(0, n_sims, step):
        n_year = counts[start : start + step]
        n_claims = int(n_year.sum())
        if n_claims == 0:
            continue
        year = np.repeat(np.arange(n_year.size), n_year)
        losses = sev.rvs(n_claims, rng)
        if first is not None:
            # The first claim of each year with any claim sits at the year's offset.
            firsts = (np.cumsum(n_year) - n_year)[n_year > 0]
            losses[firsts] = first.rvs(firsts.size, rng)
        totals[start : start + step] = np.bincount(year, weights=losses, minlength=n_year.size)
    return np.minimum(np.maximum(totals - aggregate_deductible, 0.0), aggregate_limit)

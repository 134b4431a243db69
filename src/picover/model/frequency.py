"""How often an organisation has a leak: a prior from its size and sector, updated by its history.

The prior mean is ``base_rate[sector] * (R / R_ref) ** size_elasticity * modifier``
incidents a year. The true rate is uncertain: Lambda ~ Gamma(shape, mean=prior),
so with ``shape`` small the prior is vague and the organisation's own history
moves it more. Observed years t with n_t incidents and exposures
w_t = (R_t / R) ** size_elasticity give the conjugate posterior
Gamma(shape + sum n_t, shape / prior + sum w_t) (Buhlmann credibility for the
Poisson-gamma pair), and next year's count is negative binomial. An infinite
shape means a certain rate: the count is Poisson and history is ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from scipy import stats

from picover import _checks
from picover._frozen import FrozenMap
from picover.engine.frequency import Frequency, NegativeBinomial, Poisson
from picover.model.exposure import Organisation


def _base_rates(value: Mapping[str, float]) -> FrozenMap[str, float]:
    rates = dict(value)
    if not rates:
        raise ValueError("FrequencyModel.base_rate needs at least one sector")
    for sector, rate in rates.items():
        if not isinstance(sector, str) or not sector:
            raise TypeError(f"sector names must be non-empty strings; got {sector!r}")
        _checks.number(f"FrequencyModel.base_rate[{sector!r}]", rate, low=0.0, low_open=True)
    return FrozenMap(rates)


@attrs.frozen
class FrequencyModel:
    """Parameters of the incident frequency.

    Parameters
    ----------
    base_rate : mapping of str to float
        Incidents per year of an organisation holding ``reference_records``
        records, by sector.
    reference_records : float
        The size R_ref at which ``base_rate`` applies.
    size_elasticity : float
        Exponent of (records / R_ref) in the rate.
    shape : float
        Shape of the gamma prior of the rate (``inf``: the rate is certain).
    modifier : float
        A multiplier for underwriting judgement (security controls, etc.).

    Examples
    --------
    >>> fm = FrequencyModel({"retail": 0.002}, 1e4, 0.6, 2.0)
    >>> round(fm.prior_mean(1e6, "retail"), 6)
    0.031698
    """

    base_rate: Mapping[str, float] = attrs.field(converter=_base_rates)
    reference_records: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True)
    )
    size_elasticity: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=2.0)
    )
    shape: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True, allow_inf=True)
    )
    modifier: float = attrs.field(
        converter=_checks.to_float, default=1.0, validator=_checks.real(low=0.0, low_open=True)
    )

    def rate_for(self, sector: str) -> float:
        """The base rate of a sector (incidents a year at ``reference_records``);
        an unknown sector is an error listing the known ones.

        Examples
        --------
        >>> fm = FrequencyModel({"retail": 0.002, "finance": 0.004}, 1e4, 0.6, 2.0)
        >>> fm.rate_for("retail")
        0.002
        >>> fm.rate_for("mining")
        Traceback (most recent call last):
        ...
        ValueError: unknown sector 'mining'; the model knows: finance, retail
        """
        try:
            return self.base_rate[sector]
        except KeyError:
            known = ", ".join(sorted(self.base_rate))
            raise ValueError(f"unknown sector {sector!r}; the model knows: {known}") from None

    def prior_mean(self, records: Any, sector: str) -> Any:
        """Prior expected incidents per year (vectorised over ``records``).

        Examples
        --------
        >>> fm = FrequencyModel({"retail": 0.1}, 1e6, 0.6, 2.0)
        >>> fm.prior_mean(np.array([1e5, 1e6, 1e7]), "retail").round(6).tolist()  # 0.1 * 10 ** 0.6
        [0.025119, 0.1, 0.398107]
        """
        ratio = records / self.reference_records
        return check_rate(self.rate_for(sector) * ratio**self.size_elasticity * self.modifier)


#: Most incidents a year the model accepts for an organisation: beyond, its
#: parameters are surely wrong (and the count's quantiles take minutes).
MAX_INCIDENT_RATE = 1e4


def check_rate(prior: Any) -> Any:
    """``prior`` (incidents a year), refused where it exceeds ``MAX_INCIDENT_RATE``.

    Examples
    --------
    >>> check_rate(0.3)
    0.3
    >>> check_rate(3e7)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the frequency model gives 3e+07 incidents a year, above 10,000: check ...
    """
    worst = float(np.max(prior)) if np.size(prior) else 0.0
    if not worst <= MAX_INCIDENT_RATE:
        raise ValueError(
            f"the frequency model gives {worst:.6g} incidents a year, above "
            f"{MAX_INCIDENT_RATE:,.0f}: check frequency.base_rate, reference_records, "
            "size_elasticity and modifier"
        )
    return prior


@attrs.frozen
class FrequencyEstimate:
    """Next year's incident count for one organisation, and how history moved it.

    Attributes
    ----------
    prior_mean : float
        Expected incidents a year before looking at the history.
    posterior_mean : float
        Expected incidents a year after it.
    credibility : float
        Weight Z of the organisation's own experience:
        ``posterior_mean = Z * observed_rate + (1 - Z) * prior_mean``.
    shape, rate : float
        Parameters of the gamma distribution of the yearly rate (posterior).
    years_observed, incidents_observed : int
        What the history held.
    exposure_observed : float
        Sum of the observed years' exposures, in units of the current size.

    Examples
    --------
    >>> fm = FrequencyModel({"retail": 0.1}, 1e6, 0.6, 2.0)
    >>> est = estimate(fm, Organisation(1_000_000, 5e9, "retail"))  # no history
    >>> est.prior_mean, est.posterior_mean, est.credibility  # incidents a year, weight
    (0.1, 0.1, 0.0)
    >>> round(float(est.dist.mean()), 12), round(est.counts().mean(), 12)
    (0.1, 0.1)
    """

    prior_mean: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    posterior_mean: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    credibility: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    # Infinite for a certain rate (a Poisson count).
    shape: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True, allow_inf=True)
    )
    rate: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, low_open=True, allow_inf=True)
    )
    years_observed: int = attrs.field(validator=_checks.whole(low=0))
    incidents_observed: int = attrs.field(validator=_checks.whole(low=0))
    exposure_observed: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0)
    )

    @property
    def dist(self) -> Any:
        """Next year's count: scipy frozen ``nbinom`` (``poisson`` when the rate is certain).

        Examples
        --------
        >>> fm = FrequencyModel({"retail": 0.1}, 1e6, 0.6, 2.0)
        >>> est = estimate(fm, Organisation(1_000_000, 5e9, "retail"))
        >>> round(float(est.dist.pmf(0)), 6)  # P(no incident next year): (20 / 21) ** 2
        0.907029
        """
        if math.isinf(self.shape):
            return stats.poisson(self.posterior_mean)
        return stats.nbinom(self.shape, self.rate / (self.rate + 1.0))

    def counts(self) -> Frequency:
        """Next year's count as an engine frequency (no scipy object built).

        Examples
        --------
        >>> fm = FrequencyModel({"retail": 0.1}, 1e6, 0.6, 2.0)
        >>> est = estimate(fm, Organisation(1_000_000, 5e9, "retail"))
        >>> round(est.counts().mean(), 12)  # incidents a year
        0.1
        """
        if math.isinf(self.shape):
            return Poisson(self.posterior_mean)
        return NegativeBinomial(self.shape, self.rate / (self.rate + 1.0))

    @property
    def observed_rate(self) -> float:
        """Incidents per unit of exposure in the history (NaN without history).

        Examples
        --------
        >>> from picover.model.exposure import IncidentHistory
        >>> fm = FrequencyModel({"retail": 0.1}, 1e6, 0.6, 2.0)
        >>> h = IncidentHistory.from_rows([{"year": y, "records_held": 1_000_000, "incidents": n}
        ...                                for y, n in [(2022, 1), (2023, 2)]])
        >>> estimate(fm, Organisation(1_000_000, 5e9, "retail", history=h)).observed_rate  # a year
        1.5
        """
        if self.exposure_observed == 0:
            return math.nan
        return self.incidents_observed / self.exposure_observed

    def __str__(self) -> str:
        lines = [
            f"prior mean      {self.prior_mean:.4g} incidents/year",
            f"posterior mean  {self.posterior_mean:.4g} incidents/year",
            f"credibility Z   {self.credibility:.3f} "
            f"({self.incidents_observed} incidents in {self.years_observed} years)",
        ]
        return "\n".join(lines)


def estimate(model: FrequencyModel, org: Organisation) -> FrequencyEstimate:
    """The frequency of ``org`` under ``model``, updated by its history.

    Examples
    --------
    >>> from picover.model.exposure import IncidentHistory
    >>> fm = FrequencyModel({"retail": 0.1}, 1e6, 0.6, 2.0)
    >>> h = IncidentHistory.from_rows(
    ...     [{"year": y, "records_held": 1_000_000, "incidents": n}
    ...      for y, n in [(2021, 1), (2022, 0), (2023, 2)]])
    >>> est = estimate(fm, Organisation(1_000_000, 5e9, "retail", history=h))
    >>> round(est.posterior_mean, 6), round(est.credibility, 6)  # (2 + 3) / (20 + 3), 3 / 23
    (0.217391, 0.130435)
    """
    prior = float(model.prior_mean(org.records, org.sector))
    history = org.history
    n_obs = history.total_incidents if history is not None else 0
    years = len(history.years) if history is not None else 0
    w_obs = history.exposure(org.records, model.size_elasticity) if history is not None else 0.0
    if math.isinf(model.shape):
        return FrequencyEstimate(prior, prior, 0.0, math.inf, math.inf, years, n_obs, w_obs)
    prior_rate = model.shape / prior  # gamma rate parameter: mean = shape / rate
    shape = model.shape + n_obs
    rate = prior_rate + w_obs
    return FrequencyEstimate(
        prior_mean=prior,
        # Nothing observed: the prior itself, not shape / (shape / prior) rounded.
        posterior_mean=prior if n_obs == 0 and w_obs == 0 else shape / rate,
        credibility=w_obs / rate,
        shape=shape,
        rate=rate,
        years_observed=years,
        incidents_observed=n_obs,
        exposure_observed=w_obs,
    )

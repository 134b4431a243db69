"""Expected losses of many organisations at once, as numpy arrays.

The same closed forms as :meth:`BreachModel.expected_losses`, broadcast over
organisations: quadrature nodes of the breach size have shape
(organisations, nodes), every cost category's conditional mean broadcasts
against them, and the credibility-weighted frequency is a formula of arrays.
Work is done in chunks so memory stays bounded whatever the number of
organisations.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover.model.costs import CostContext
from picover.model.frequency import check_rate

if TYPE_CHECKING:
    from picover.model.breach_model import BreachModel
    from picover.model.policy import Policy

FloatArray = NDArray[np.float64]

#: Organisations per chunk (each chunk holds a few arrays of chunk x nodes floats).
#: Small enough that those arrays (under 1 MB) are reused from the allocator's
#: heap: larger ones are fresh pages each time, and faulting them in costs as
#: much as the arithmetic (1.5 s instead of 2 s for a million organisations).
CHUNK = 4_000


def frequency_arrays(
    model: BreachModel,
    records: FloatArray,
    sectors: NDArray[Any],
    incidents: FloatArray,
    exposure: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Prior mean, posterior mean, credibility and P(N >= 1) for each organisation.

    ``incidents`` and ``exposure`` summarise each history (total incidents and
    the sum of (R_t / R) ** size_elasticity over observed years; 0 when none).
    """
    fm = model.frequency_model
    # Sector names to base rates by binary search: sorting a million strings is slow.
    names = np.array(sorted(fm.base_rate), dtype=str)
    codes = np.minimum(np.searchsorted(names, sectors), names.size - 1)
    unknown = names[codes] != sectors
    if unknown.any():
        fm.rate_for(str(np.asarray(sectors)[unknown][0]))  # raises, naming the sector
    base = np.array([fm.base_rate[n] for n in names])[codes]
    prior = check_rate(base * (records / fm.reference_records) ** fm.size_elasticity * fm.modifier)
    if math.isinf(fm.shape):
        return prior, prior, np.zeros_like(prior), -np.expm1(-prior)
    rate = fm.shape / prior + exposure
    shape = fm.shape + incidents
    posterior = shape / rate
    # Negative binomial P(N = 0) = (rate / (rate + 1)) ** shape.
    p_any = -np.expm1(shape * np.log(rate / (rate + 1.0)))
    return prior, posterior, exposure / rate, p_any


def expected_losses_arrays(
    model: BreachModel,
    records: Any,
    annual_sales: Any,
    sectors: Any,
    *,
    incidents: Any = 0.0,
    exposure: Any = 0.0,
    policy: Policy | None = None,
    chunk: int = CHUNK,
) -> dict[str, FloatArray]:
    """Expected annual loss by category and ``"total"`` for arrays of organisations (currency).

    Same meaning as :meth:`BreachModel.expected_losses`; only policies
    whose expected payment is in closed form are accepted (sublimits,
    covered categories, the investigation clause and coinsurance, but no
    retention, per-incident limit or annual terms: those need the
    distribution). ``incidents`` and ``exposure`` summarise each history
    (total incidents, and the sum over observed years of
    (R_t / R) ** size_elasticity). Organisations are processed ``chunk`` at
    a time.

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> out = expected_losses_arrays(model, [1e4, 3e6], [1e9, 120e9], ["retail", "retail"])
    >>> one = model.expected_losses(pc.Organisation(3_000_000, 120e9, "retail"))
    >>> bool(np.isclose(out["total"][1], one["total"], rtol=1e-12))
    True
    """
    r = _checks.array("records", records, low=1.0, ndim=1)
    sales = _checks.array("annual_sales", annual_sales, low=0.0, ndim=1)
    sec = np.asarray(sectors)
    inc = np.broadcast_to(_checks.array("incidents", incidents, low=0.0), r.shape)
    expo = np.broadcast_to(_checks.array("exposure", exposure, low=0.0), r.shape)
    if not (sales.shape == r.shape == sec.shape):
        raise ValueError(
            f"records, annual_sales and sectors must have one entry per organisation; got "
            f"{r.shape}, {sales.shape} and {sec.shape}"
        )
    terms = model.terms(policy)
    if policy is not None and (
        terms.retention > 0 or math.isfinite(terms.per_incident_limit) or policy.has_annual_terms
    ):
        raise ValueError(
            "expected_losses_arrays covers policies without a retention, per-incident limit or "
            "annual terms; price those through their distribution (picover.price_portfolio)"
        )
    _, n_mean, _, p_any = frequency_arrays(model, r, sec, inc, expo)
    out = {name: np.empty(r.size) for name in model.costs}
    step = _checks.integer("chunk", chunk, low=1)
    for start in range(0, r.size, step):
        part = slice(start, start + step)
        ctx = CostContext(r[part][:, None], sales[part][:, None])
        k, w = model._nodes(r[part], terms, ctx)
        # Each trigger's weight w * P(trigger | K) once for all its categories.
        weighted = {t: w * p for t, p in model.litigation.probabilities(k).items()}
        for name, category in model.costs.items():
            if policy is None:
                mean = category.mean(k, ctx)
                out[name][part] = n_mean[part] * (weighted[category.trigger] * mean).sum(axis=-1)
            elif name in terms.first:
                mean = category.limited_mean(k, ctx, terms.sublimits[name])
                per = (weighted[category.trigger] * mean).sum(axis=-1)
                count = n_mean[part] if name in terms.later else p_any[part]
                out[name][part] = terms.coinsurance * count * per
            else:
                out[name][part] = 0.0
    included = [c for c, cat in model.costs.items() if policy is not None or cat.insurable]
    out["total"] = np.sum([out[c] for c in included], axis=0) if included else np.zeros(r.size)
    return out

"""An insurance policy's terms, applied in a fixed order.

1. Per category: covered or not, and a per-incident sublimit.
2. Cause investigation is paid for the first incident of the year only
   (``investigation="first"``, the usual Korean wording), for every incident
   (``"every"``) or not at all (``"none"``).
3. Per incident: the retention on the covered sum, then the per-incident
   limit, then coinsurance (the insurer's share).
4. Per year: the aggregate retention, then the aggregate limit (the
   "coverage amount" of the policy).

Amounts are in the model's currency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from picover import _checks
from picover._frozen import FrozenMap

# The smallest share of a payment a policy may pay: the engine's (see compound).
from picover.engine.compound import MIN_COINSURANCE

INVESTIGATION_CLAUSES = ("first", "every", "none")


def _sublimits(value: Mapping[str, float]) -> FrozenMap[str, float]:
    if not isinstance(value, Mapping):
        raise TypeError(
            f"Policy.sublimits must be a mapping of category name to amount; got {value!r}"
        )
    out = {}
    for name, amount in value.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"Policy.sublimits keys must be category names; got {name!r}")
        out[name] = _checks.number(
            f"Policy.sublimits[{name!r}]", amount, low=0.0, low_open=True, allow_inf=True
        )
    return FrozenMap(out)


def _covers(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    # A mapping would give its keys, whatever its values say ({"fines": False}).
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"Policy.covers must be a collection of category names; got {value!r}")
    out = frozenset(value)
    for name in out:
        if not isinstance(name, str) or not name:
            raise TypeError(f"Policy.covers must hold category names; got {name!r}")
    return out


@attrs.frozen
class Policy:
    """The terms of a personal-information leak liability policy.

    Parameters
    ----------
    limit : float
        Aggregate limit per year: the coverage amount (currency units).
    retention : float
        Retention (deductible) per incident, on the sum of covered costs.
    per_incident_limit : float
        Most paid for one incident, after the retention.
    aggregate_retention : float
        Retention per year, on the year's total after per-incident terms.
    coinsurance : float
        The insurer's share of each incident's payment, in [1e-6, 1] (a
        smaller share would stretch the grids, which divide amounts by it,
        beyond what floating point holds; no policy pays so little).
    sublimits : mapping of str to float
        Per-incident sublimit by cost category, e.g. ``{"investigation": 5e7}``.
    covers : collection of str, optional
        The categories covered; by default every category the model marks
        insurable (all but penalty surcharges in the Korean preset).
    investigation : {"first", "every", "none"}
        Which incidents' cause investigation is paid.

    Examples
    --------
    >>> p = Policy(limit=1e9, retention=1e7, sublimits={"investigation": 5e7})
    >>> p.investigation
    'first'
    >>> Policy(limit=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Policy.limit must be > 0; got -1.0
    """

    limit: float = attrs.field(
        converter=_checks.to_float,
        default=math.inf,
        validator=_checks.real(low=0.0, low_open=True, allow_inf=True),
    )
    retention: float = attrs.field(
        converter=_checks.to_float, default=0.0, validator=_checks.real(low=0.0)
    )
    per_incident_limit: float = attrs.field(
        converter=_checks.to_float,
        default=math.inf,
        validator=_checks.real(low=0.0, low_open=True, allow_inf=True),
    )
    aggregate_retention: float = attrs.field(
        converter=_checks.to_float, default=0.0, validator=_checks.real(low=0.0)
    )
    coinsurance: float = attrs.field(
        converter=_checks.to_float,
        default=1.0,
        validator=_checks.real(low=MIN_COINSURANCE, high=1.0),
    )
    sublimits: Mapping[str, float] = attrs.field(factory=dict, converter=_sublimits)
    covers: frozenset[str] | None = attrs.field(default=None, converter=_covers)
    investigation: str = attrs.field(
        default="first", validator=_checks.among(INVESTIGATION_CLAUSES)
    )

    def __attrs_post_init__(self) -> None:
        if self.investigation == "none" and "investigation" in (self.covers or ()):
            raise ValueError(
                "Policy.covers names 'investigation' but investigation='none' pays no cause "
                "investigation; drop one of them"
            )

    def covered(self, categories: Mapping[str, Any]) -> list[str]:
        """The covered categories among the model's, checking every name the policy uses.

        Raises
        ------
        ValueError
            If the policy names a category the model does not have.

        Examples
        --------
        >>> import picover as pc
        >>> costs = pc.BreachModel.preset("kr").costs
        >>> Policy(limit=1e9).covered(costs)  # every insurable category: not fines
        ['investigation', 'attorney_fees', 'consolation', 'crisis_management']
        >>> Policy(limit=1e9, covers={"consolation", "fines"}).covered(costs)
        ['consolation', 'fines']
        """
        known = set(categories)
        # covers is a set: sorted, so that the name an error gives never varies.
        for name in [*self.sublimits, *sorted(self.covers or ())]:
            if name not in known:
                raise ValueError(
                    f"the policy names an unknown cost category {name!r}; the model's "
                    f"categories are {sorted(known)}"
                )
        if self.covers is None:
            chosen = [c for c, cat in categories.items() if cat.insurable]
        else:
            chosen = [c for c in categories if c in self.covers]
        if self.investigation == "none":
            chosen = [c for c in chosen if c != "investigation"]
        idle = [c for c in self.sublimits if c not in chosen]
        if idle:
            raise ValueError(
                f"the policy sets a sublimit for {idle}, which it does not cover (it covers "
                f"{chosen}); drop the sublimit or cover the category"
            )
        return chosen

    def sublimit(self, category: str) -> float:
        """The per-incident sublimit of a category (currency units; ``inf`` when none).

        Examples
        --------
        >>> p = Policy(limit=1e9, sublimits={"investigation": 5e7})  # KRW
        >>> p.sublimit("investigation"), p.sublimit("consolation")
        (50000000.0, inf)
        """
        return self.sublimits.get(category, math.inf)

    @property
    def has_incident_terms(self) -> bool:
        """Whether a retention, per-incident limit or coinsurance acts on each incident's sum.

        Examples
        --------
        >>> Policy(limit=1e9).has_incident_terms, Policy(retention=1e7).has_incident_terms
        (False, True)
        """
        return self.retention > 0 or math.isfinite(self.per_incident_limit) or self.coinsurance < 1

    @property
    def has_annual_terms(self) -> bool:
        """Whether an aggregate retention or limit acts on the year's total.

        Examples
        --------
        >>> Policy().has_annual_terms, Policy(limit=1e9).has_annual_terms
        (False, True)
        """
        return self.aggregate_retention > 0 or math.isfinite(self.limit)

    @property
    def pays_in_closed_form(self) -> bool:
        """Whether the expected payment is a closed form over the breach size: no
        retention, per-incident limit or annual terms (sublimits, coinsurance and
        the categories covered act on each cost alone).

        Examples
        --------
        >>> Policy(sublimits={"investigation": 5e7}).pays_in_closed_form
        True
        >>> Policy(limit=1e9).pays_in_closed_form  # the year's total is capped: a distribution
        False
        """
        return (
            self.retention == 0
            and math.isinf(self.per_incident_limit)
            and not self.has_annual_terms
        )


@attrs.frozen
class Terms:
    """A policy resolved against a model: what is covered and how, per incident and year."""

    later: tuple[str, ...]
    first: tuple[str, ...]
    sublimits: Mapping[str, float]
    retention: float
    per_incident_limit: float
    coinsurance: float
    aggregate_retention: float
    aggregate_limit: float

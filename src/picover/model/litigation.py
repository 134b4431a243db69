"""Whether an incident is followed by a lawsuit, and whether the suit finds liability.

One lawsuit indicator is shared by attorney fees and consolation payments: a
suit happens with probability ``p_suit(K)``, rising with the records exposed
(linear in log10 K from ``p_suit_small`` up to ``k_small`` records to
``p_suit_large`` from ``k_large`` on); given a suit the organisation is held
liable with probability ``q_liable``. Given K and these outcomes, the cost
categories are independent.
"""

from __future__ import annotations

from typing import Any

import attrs

from picover import _checks
from picover.model.costs import log_ramp


@attrs.frozen
class Litigation:
    """Lawsuit and liability probabilities.

    Examples
    --------
    >>> lit = Litigation(p_suit_small=0.05, p_suit_large=1.0, q_liable=0.5)
    >>> float(lit.p_suit(1e5))  # half way in log10 K between 1e4 and 1e6
    0.525
    >>> float(lit.probability("liability", 1e6))
    0.5
    """

    p_suit_small: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    p_suit_large: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    q_liable: float = attrs.field(
        converter=_checks.to_float, validator=_checks.real(low=0.0, high=1.0)
    )
    k_small: float = attrs.field(
        converter=_checks.to_float, default=1e4, validator=_checks.real(low=1.0)
    )
    k_large: float = attrs.field(
        converter=_checks.to_float, default=1e6, validator=_checks.real(low=1.0)
    )

    def __attrs_post_init__(self) -> None:
        if not self.k_small < self.k_large:
            raise ValueError(
                f"Litigation needs k_small < k_large; got {self.k_small} and {self.k_large}"
            )

    def p_suit(self, k: Any) -> Any:
        """P(lawsuit | K = k) (broadcasts over k).

        Examples
        --------
        >>> lit = Litigation(p_suit_small=0.05, p_suit_large=1.0, q_liable=0.5)
        >>> lit.p_suit([1e3, 1e5, 1e7]).tolist()  # flat below 1e4 and above 1e6 records
        [0.05, 0.525, 1.0]
        """
        return log_ramp(k, self.k_small, self.k_large, self.p_suit_small, self.p_suit_large)

    def probability(self, trigger: str, k: Any) -> Any:
        """P(the trigger happens | K = k) for "incident", "suit" or "liability".

        Examples
        --------
        >>> lit = Litigation(p_suit_small=0.05, p_suit_large=1.0, q_liable=0.5)
        >>> lit.probability("incident", 1e5), float(lit.probability("liability", 1e5))
        (1.0, 0.2625)
        """
        if trigger == "incident":
            return 1.0
        if trigger == "suit":
            return self.p_suit(k)
        if trigger == "liability":
            return self.p_suit(k) * self.q_liable
        raise ValueError(f"unknown trigger {trigger!r}; expected incident, suit or liability")

    def probabilities(self, k: Any) -> dict[str, Any]:
        """P(trigger | K = k) for every trigger at once (the suit's ramp computed once).

        Examples
        --------
        >>> lit = Litigation(p_suit_small=0.05, p_suit_large=1.0, q_liable=0.5)
        >>> {t: float(p) for t, p in lit.probabilities(1e6).items()}
        {'incident': 1.0, 'suit': 1.0, 'liability': 0.5}
        """
        suit = self.p_suit(k)
        return {"incident": 1.0, "suit": suit, "liability": suit * self.q_liable}

    @property
    def breakpoints(self) -> tuple[float, float]:
        """Where p_suit changes slope (quadrature over K splits there), in records.

        Examples
        --------
        >>> Litigation(p_suit_small=0.05, p_suit_large=1.0, q_liable=0.5).breakpoints
        (10000.0, 1000000.0)
        """
        return (self.k_small, self.k_large)

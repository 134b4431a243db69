"""Premium principles: from an insured loss distribution to a premium, every part kept.

A principle gives the risk load on top of the pure premium E[S]; a
:class:`PremiumBasis` then grosses up for expenses and profit and applies a
minimum premium:

    gross = max(minimum, (pure + risk_load) / (1 - expense_ratio - profit_margin))

with ``expenses`` and ``profit`` the expense ratio and profit margin of the
formula's premium, ``(pure + risk_load) / (1 - expense_ratio - profit_margin)``;
when the minimum binds, whatever it adds over the formula is reported apart as
``minimum_uplift``, so that the parts always add up to ``gross``. Amounts are
in the distribution's currency.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
from scipy import special

from picover import _checks
from picover.engine.lossdist import LossDistribution


@runtime_checkable
class PremiumPrinciple(Protocol):
    """A rule for the risk load of a loss distribution.

    Any object with a ``risk_load(dist)`` method follows the protocol.

    Examples
    --------
    >>> class Flat:
    ...     def risk_load(self, dist):
    ...         return 10_000.0  # KRW, whatever the risk
    >>> isinstance(Flat(), PremiumPrinciple), isinstance(ExpectedValue(0.2), PremiumPrinciple)
    (True, True)
    >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])
    >>> PremiumBasis(Flat(), expense_ratio=0.0, profit_margin=0.0).apply(d).gross
    110000.0
    """

    def risk_load(self, dist: LossDistribution) -> float:
        """The charge for risk on top of ``dist.mean()`` (in the distribution's currency).

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])  # KRW
        >>> ExpectedValue(0.2).risk_load(d)  # any principle: here 20% of the 100,000 KRW mean
        20000.0
        """
        ...


@attrs.frozen
class ExpectedValue:
    """Risk load ``loading * E[S]``.

    Examples
    --------
    >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])
    >>> ExpectedValue(0.2).risk_load(d)
    20000.0
    """

    loading: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))

    def risk_load(self, dist: LossDistribution) -> float:
        """``loading`` times the mean of ``dist`` (currency units).

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])  # KRW
        >>> ExpectedValue(0.2).risk_load(d)  # 0.2 * 180,000 KRW
        36000.0
        """
        return self.loading * dist.mean()


@attrs.frozen
class StandardDeviation:
    """Risk load ``multiple * sd(S)``.

    Examples
    --------
    >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])
    >>> round(StandardDeviation(0.5).risk_load(d))  # 0.5 * 1e6 * sqrt(0.09)
    150000
    """

    multiple: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))

    def risk_load(self, dist: LossDistribution) -> float:
        """``multiple`` times the standard deviation of ``dist`` (currency units).

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])  # KRW
        >>> StandardDeviation(0.5).risk_load(d)  # 0.5 * 740,000 KRW
        370000.0
        """
        return self.multiple * dist.std()


@attrs.frozen
class CostOfCapital:
    """Risk load ``rate * (rho(S) - E[S])``: the cost of holding capital rho(S) - E[S].

    ``measure`` is ``"tvar"`` (tail value at risk, or expected shortfall, at
    ``level``) or ``"var"``. The defaults hold capital to the 99% TVaR, as
    the Swiss Solvency Test sets target capital (FOPI, White Paper of the
    Swiss Solvency Test, 2004, s. 2.5), charged at 6% a year, the Solvency II
    cost-of-capital rate (Delegated Regulation (EU) 2015/35, Art. 39).

    TVaR rather than VaR because a limited policy puts an atom at the limit:
    the VaR jumps to the limit once P(limit exhausted) passes ``1 - level``,
    so a VaR-based premium leaps under a small change of any parameter.

    Examples
    --------
    >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
    >>> CostOfCapital(rate=0.1, level=0.95, measure="var").risk_load(d)  # 0.1 * (1e6 - 1.8e5)
    82000.0
    """

    rate: float = attrs.field(
        converter=_checks.to_float, default=0.06, validator=_checks.real(low=0.0)
    )
    level: float = attrs.field(
        converter=_checks.to_float,
        default=0.99,
        validator=_checks.real(low=0.0, high=1.0, low_open=True, high_open=True),
    )
    measure: str = attrs.field(default="tvar", validator=_checks.among(("var", "tvar")))

    def risk_load(self, dist: LossDistribution) -> float:
        """``rate`` times the capital ``rho - mean`` of ``dist`` (currency units).

        ``rho`` is the TVaR or VaR at ``level``; capital below zero (a risk
        measure under the mean) is charged nothing.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])  # KRW
        >>> CostOfCapital().risk_load(d)  # 0.06 * (TVaR 99% of 5e6 - mean 1.8e5)
        289200.0
        >>> CostOfCapital(level=0.5, measure="var").risk_load(d)  # VaR 50% is 0, below the mean
        0.0
        """
        rho = float(dist.ppf(self.level) if self.measure == "var" else dist.tvar(self.level))
        return self.rate * max(rho - dist.mean(), 0.0)


@attrs.frozen
class WangTransform:
    """Risk load from Wang's transform: E[S] under g(u) = Phi(Phi^-1(u) + lam), minus E[S].

    The distorted premium is the integral of g(P(S > x)) over x (Wang 2000,
    J. Risk and Insurance 67:15-36); on a discrete distribution it is a finite
    sum. It needs the whole distribution, so a tail beyond the grid is an error.

    Examples
    --------
    >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])
    >>> round(WangTransform(0.0).risk_load(d), 6)
    0.0
    """

    lam: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))

    def risk_load(self, dist: LossDistribution) -> float:
        """The distorted mean of ``dist`` less its mean (currency units); an
        error when part of ``dist`` lies beyond its grid.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])  # KRW
        >>> round(WangTransform(0.5).risk_load(d))  # 1e6 * Phi(Phi^-1(0.1) + 0.5) - 1e5
        117239
        """
        if dist.tail_mass > 0:
            raise ValueError(
                f"the Wang transform needs the whole distribution but P(loss > "
                f"{dist.tail_from:,.6g}) = {dist.tail_mass:.3g} lies beyond the grid, whose "
                "shape it cannot know; price a policy whose limit the grid reaches (there "
                "the tail pays the limit), or compute the loss with a smaller tail_tol "
                "(BreachModel.annual_loss) and apply the basis to it"
            )
        if self.lam == 0.0:
            return 0.0  # g is the identity
        x = dist.support
        sf = np.asarray(dist.sf(x[:-1]), dtype=np.float64)
        distorted = special.ndtr(special.ndtri(sf) + self.lam)
        # The premium is x_0 plus each step's width times g(P(S > x_j)), and the
        # mean the same with P(S > x_j) itself: their difference step by step
        # keeps the digits a small load would lose as a difference of totals.
        return float((np.diff(x) * (distorted - sf)).sum())


@attrs.frozen
class Premium:
    """A premium and its parts (currency units).

    Attributes
    ----------
    pure : float
        Expected insured loss.
    risk_load : float
        The principle's charge for risk.
    expenses, profit : float
        The expense ratio's and the profit margin's shares of the formula's
        premium (of the gross premium unless the minimum binds).
    minimum_uplift : float
        What the minimum premium adds over the formula (0 when it does not bind).
    gross : float
        The premium charged: pure + risk_load + expenses + profit + minimum_uplift.
    principle : str
        The principle used.

    Examples
    --------
    >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])
    >>> p = PremiumBasis(ExpectedValue(0.2), minimum=2e5).apply(d)  # 200,000 KRW minimum
    >>> print(p)  # the formula gives (1e5 + 2e4) / 0.7 = 171,429 KRW: the minimum binds
    pure premium                       100,000
    risk load                           20,000
    expenses                            42,857
    profit                               8,571
    minimum premium uplift              28,571
    gross premium                      200,000
    >>> p.principle
    'ExpectedValue'
    """

    pure: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    risk_load: float = attrs.field(converter=_checks.to_float, validator=_checks.real())
    expenses: float = attrs.field(converter=_checks.to_float, validator=_checks.real())
    profit: float = attrs.field(converter=_checks.to_float, validator=_checks.real())
    minimum_uplift: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    gross: float = attrs.field(converter=_checks.to_float, validator=_checks.real(low=0.0))
    principle: str = attrs.field(validator=_checks.kind(str))

    def __str__(self) -> str:
        rows = [
            ("pure premium", self.pure),
            ("risk load", self.risk_load),
            ("expenses", self.expenses),
            ("profit", self.profit),
        ]
        if self.minimum_uplift:
            rows.append(("minimum premium uplift", self.minimum_uplift))
        rows.append(("gross premium", self.gross))
        return "\n".join(f"{label:<24}{value:>18,.0f}" for label, value in rows)


@attrs.frozen
class PremiumBasis:
    """How a premium is set: a principle, then expenses, profit and a minimum.

    Parameters
    ----------
    principle : PremiumPrinciple
        Default :class:`CostOfCapital` (6% a year on the capital to the 99% TVaR).
    expense_ratio : float
        Acquisition and administration expenses as a share of the formula's
        premium, which is the gross premium unless the minimum binds
        (default 0.25, an assumption; Korean non-life expense ratios are
        typically 20%-30%).
    profit_margin : float
        Profit as a share of the formula's premium, which is the gross
        premium unless the minimum binds (default 0.05, an assumption). It
        comes on top of the principle's risk load: under
        :class:`CostOfCapital` the load is already the return on the capital
        the risk needs, so the margin is a further one; pass 0 when the
        cost of capital is meant to be the whole profit.
    minimum : float
        Minimum gross premium (currency units; default 0).

    Examples
    --------
    >>> d = LossDistribution([0.0, 1e6], [0.9, 0.1])
    >>> p = PremiumBasis(ExpectedValue(0.2), expense_ratio=0.25, profit_margin=0.05).apply(d)
    >>> p.pure, p.risk_load, round(p.gross)  # (1e5 + 2e4) / 0.7
    (100000.0, 20000.0, 171429)
    """

    principle: PremiumPrinciple = attrs.field(
        factory=CostOfCapital,
        validator=_checks.kind(PremiumPrinciple),
    )
    expense_ratio: float = attrs.field(
        converter=_checks.to_float,
        default=0.25,
        validator=_checks.real(low=0.0, high=1.0, high_open=True),
    )
    profit_margin: float = attrs.field(
        converter=_checks.to_float,
        default=0.05,
        validator=_checks.real(low=0.0, high=1.0, high_open=True),
    )
    minimum: float = attrs.field(
        converter=_checks.to_float, default=0.0, validator=_checks.real(low=0.0)
    )

    def __attrs_post_init__(self) -> None:
        if self.expense_ratio + self.profit_margin >= 1.0:
            raise ValueError(
                "PremiumBasis: expense_ratio + profit_margin must be below 1; got "
                f"{self.expense_ratio} + {self.profit_margin}"
            )

    def apply(self, dist: LossDistribution) -> Premium:
        """The premium for the insured loss distribution ``dist``.

        Amounts in the distribution's currency (KRW for the preset model); a
        risk load that would make the premium negative is an error.

        Examples
        --------
        >>> d = LossDistribution([0.0, 1e6, 5e6], [0.9, 0.08, 0.02])
        >>> p = PremiumBasis(ExpectedValue(0.5), expense_ratio=0.2, profit_margin=0.0).apply(d)
        >>> p.pure, p.risk_load, p.gross  # (180,000 + 90,000) / 0.8 KRW
        (180000.0, 90000.0, 337500.0)
        >>> p.pure + p.risk_load + p.expenses + p.profit + p.minimum_uplift == p.gross
        True
        """
        pure = dist.mean()
        name = type(self.principle).__name__
        load = _checks.number(f"{name}.risk_load()", self.principle.risk_load(dist))
        if pure + load < 0:
            raise ValueError(
                f"{name}.risk_load() is {load:,.6g}, more negative than the pure premium "
                f"{pure:,.6g} is positive: the premium would be negative"
            )
        formula = (pure + load) / (1.0 - self.expense_ratio - self.profit_margin)
        gross = max(formula, self.minimum)
        return Premium(
            pure=pure,
            risk_load=load,
            expenses=self.expense_ratio * formula,
            profit=self.profit_margin * formula,
            minimum_uplift=gross - formula,
            gross=gross,
            principle=type(self.principle).__name__,
        )


def premium_basis(value: Any, name: str = "premium") -> PremiumBasis:
    """``value`` as the basis to price with: ``PremiumBasis()`` for None, else a
    :class:`PremiumBasis` instance, refused otherwise with what to pass instead (a
    principle alone sets the risk load, not expenses, profit or a minimum).

    Examples
    --------
    >>> premium_basis(None).expense_ratio
    0.25
    >>> premium_basis(ExpectedValue(0.2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: premium must be a PremiumBasis or None; got the principle ...: wrap it as ...
    """
    if value is None:
        return PremiumBasis()
    if isinstance(value, PremiumBasis):
        return value
    start = f"{name} must be a PremiumBasis or None; got"
    if isinstance(value, type):
        if issubclass(value, PremiumBasis):
            hint = "pass an instance: PremiumBasis(), or PremiumBasis(principle, ...)"
        elif callable(getattr(value, "risk_load", None)):
            hint = f"pass an instance wrapped in a basis: PremiumBasis({value.__name__}(...))"
        else:
            hint = "pass PremiumBasis(...), or None for the default"
        raise TypeError(f"{start} the class {value.__name__} itself; {hint}")
    if isinstance(value, PremiumPrinciple):
        shown = _checks._describe(value)
        raise TypeError(f"{start} the principle {shown}: wrap it as PremiumBasis({shown})")
    raise TypeError(f"{start} {type(value).__name__} {_checks._describe(value)}")

"""``BreachModel``: an organisation in, its annual leak losses out.

It ties the pieces together: how often incidents happen (``frequency``), how
many records each exposes (``breach_size``), whether lawsuits follow
(``litigation``) and what each cost category amounts to (``costs``), under a
policy's terms. Parameters are plain frozen objects, so any of them can be
changed with :meth:`BreachModel.with_params` using dotted paths such as
``"consolation.award"`` or ``"frequency.base_rate.retail"``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover._frozen import FrozenMap, freeze
from picover.engine import fft
from picover.engine import grid as _grid
from picover.engine.compound import (
    NEAR,
    FFTOptions,
    check_method_options,
    checked_payment,
    compound_variance,
    count_excess_bound,
    grid_too_short,
    toward_annual_end,
    warn_grid_left,
)
from picover.engine.discretise import GridSeverity
from picover.engine.frequency import Frequency, prob_any
from picover.engine.lossdist import TAIL_VARIANCE_SHARE, LossDistribution
from picover.engine.simulate import as_generator
from picover.engine.terms import (
    annual_terms_error,
    apply_annual_terms,
    apply_incident_terms,
    incident_terms_error,
    unresolved_tail,
)
from picover.model import params as _params
from picover.model import sizing
from picover.model.bends import bends, most
from picover.model.breach import (
    DEFAULT_NODES,
    BetaFractionSize,
    BreachSize,
    EmpiricalSize,
    FixedFractionSize,
    PowerLawSize,
)
from picover.model.costs import CostCategory, CostContext
from picover.model.exposure import Organisation
from picover.model.frequency import FrequencyEstimate, FrequencyModel, estimate
from picover.model.incident import (
    IncidentBuilder,
    expected_cost,
    second_moment,
    stop_loss_bound,
)
from picover.model.litigation import Litigation
from picover.model.policy import Policy
from picover.model.simulate import SimulatedIncidents

FloatArray = NDArray[np.float64]
#: A bound t -> E[(P - t)+] on a payment's stop-loss transform (currency units).
StopLoss = Callable[[FloatArray], FloatArray]

#: Largest grid the model chooses by itself (a user may pass n_buckets).
MODEL_MAX_BUCKETS = 2**14
# A grid extended to reach a far retention or limit keeps its bucket up to this
# many points: a coarser one would spread each incident's cost and overstate
# what lies beyond a retention.
EXTENDED_MAX_BUCKETS = 2**16
#: Grid points per typical incident cost aimed at by the automatic grid.
POINTS_PER_INCIDENT = 16
_MAX_REGRIDS = 6
#: The automatic grid sizes the year's reach by a coarse pass of SIZING_POINTS
#: points when its rough reach would need SIZING_MIN_POINTS or more, and then
#: reaches SIZING_MARGIN times the loss the pass finds at the tail tolerance,
#: unless more than SIZING_MEAN_SHARE of the mean lies beyond that loss (see
#: BreachModel._body). Choices: a pass costs about a 1,024-point build, and a
#: margin of 2 left every tail tested below the tolerance at the first try.
SIZING_POINTS = 512
SIZING_MIN_POINTS = 4096
SIZING_MARGIN = 2.0
SIZING_MEAN_SHARE = 1e-2
#: Largest share of an incident's payment second moment that the grid's
#: discretisation below the retention may leave unknown for the variance under
#: per-incident terms to be reported as known (see BreachModel._paid_var).
#: Against grids of 2^18 points the error was a third of that bound or less.
PAID_VAR_TOL = 1e-2
#: Share of the mean above which the rough estimate of the grid's bias at a
#: retention (or retention plus per-incident limit) makes the bucket shrink.
KINK_BIAS_TRIGGER = 2e-4
#: Share of the mean above which that estimate, on the finished grid, warns
#: (the estimate errs high, by 2 to 15).
KINK_BIAS_WARN = 1e-3


def _breach_size(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, BreachSize):
        raise TypeError(
            "'breach_size' must follow the BreachSize interface (nodes, rvs, mean), e.g. "
            f"PowerLawSize; got {type(value).__name__}"
        )


def _sources(value: Mapping[str, str]) -> FrozenMap[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(f"BreachModel.sources must be a mapping of path to text; got {value!r}")
    for path, text in value.items():
        if not isinstance(path, str) or not isinstance(text, str):
            raise TypeError(
                f"BreachModel.sources must map parameter paths to text; got {path!r}: {text!r}"
            )
    return FrozenMap(value)


def _costs(value: Mapping[str, CostCategory]) -> FrozenMap[str, CostCategory]:
    out = dict(value)
    if not out:
        raise ValueError("BreachModel.costs needs at least one cost category")
    for name, category in out.items():
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"cost category names must be non-empty without dots; got {name!r}")
        if not isinstance(category, CostCategory):
            raise TypeError(
                f"cost category {name!r} must follow the CostCategory interface (trigger, "
                "insurable, mean, limited_mean, severity, rvs); got "
                f"{type(category).__name__}"
            )
    return FrozenMap(out)


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


@attrs.frozen
class BreachModel:
    """The personal-information leak loss model.

    Parameters
    ----------
    frequency_model : FrequencyModel
        Incident frequency (dotted paths start with ``frequency.``).
    breach_size : BreachSize
        Records exposed per incident.
    litigation : Litigation
        Lawsuit and liability probabilities.
    costs : mapping of str to CostCategory
        The cost categories by name (dotted paths start with the name).
    currency : str
        Unit of every amount.
    name : str
        A label (the preset's name).
    sources : mapping of str to str
        For each parameter's dotted path, its source or "assumption".
    nodes : int
        Quadrature nodes per segment of log K.

    Examples
    --------
    >>> import picover as pc
    >>> model = pc.BreachModel.preset("kr")
    >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
    >>> losses = model.expected_losses(org)
    >>> losses["total"] == sum(v for k, v in losses.items() if k not in ("total", "fines"))
    True
    """

    frequency_model: FrequencyModel = attrs.field(validator=_checks.kind(FrequencyModel))
    breach_size: BreachSize = attrs.field(validator=_breach_size)
    litigation: Litigation = attrs.field(validator=_checks.kind(Litigation))
    costs: Mapping[str, CostCategory] = attrs.field(converter=_costs)
    currency: str = attrs.field(default="KRW", validator=_checks.kind(str))
    name: str = attrs.field(default="custom", validator=_checks.kind(str))
    sources: Mapping[str, str] = attrs.field(factory=dict, converter=_sources)
    nodes: int = attrs.field(default=DEFAULT_NODES, validator=_checks.whole(low=2, high=64))

    # -- construction ----------------------------------------------------------

    @classmethod
    def preset(cls, name: str = "kr") -> BreachModel:
        """Load a preset shipped with picover (``"kr"``: Korea, KRW).

        Every parameter of a preset names its source, or says it is an
        assumption; see :attr:`sources`.
        """
        from picover.model.presets import load_preset

        return load_preset(name)

    def parameters(self) -> dict[str, Any]:
        """Every numeric parameter by dotted path, e.g. ``{"consolation.award": 100000.0, ...}``."""
        return _params.flatten(self._namespace())

    def with_params(self, changes: Mapping[str, Any]) -> BreachModel:
        """A copy with parameters changed by dotted path.

        Examples
        --------
        >>> import picover as pc
        >>> m = pc.BreachModel.preset("kr").with_params({"consolation.award": 3e5})
        >>> m.costs["consolation"].award
        300000.0
        """
        namespace = _params.update(self._namespace(), changes)
        return attrs.evolve(
            self,
            frequency_model=namespace.pop("frequency"),
            breach_size=namespace.pop("breach_size"),
            litigation=namespace.pop("litigation"),
            costs=namespace,
        )

    def _namespace(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency_model,
            "breach_size": self.breach_size,
            "litigation": self.litigation,
            **self.costs,
        }

    # -- frequency -----------------------------------------------------------

    def frequency(self, org: Organisation) -> FrequencyEstimate:
        """Next year's incident count for ``org``, with prior, posterior and credibility."""
        _check_org(org)
        return estimate(self.frequency_model, org)

    # -- expected losses -------------------------------------------------------

    def _breakpoints(self) -> list[float]:
        """K where the costs bend whatever the policy: where the lawsuit and fine
        probabilities change slope."""
        breaks = [*self.litigation.breakpoints]
        for category in self.costs.values():
            for attr in ("k_small", "k_large"):
                value = getattr(category, attr, None)
                # TOML and users write whole numbers (30000): ints are breakpoints too.
                if not isinstance(value, bool) and isinstance(value, numbers.Real):
                    breaks.append(float(value))
        return sorted(set(breaks))

    def _bend_amounts(self, terms: Terms) -> list[float]:
        return [terms.retention, terms.retention + terms.per_incident_limit]

    def most_nodes(self, policy: Policy | None = None) -> int:
        """An upper bound on the quadrature nodes of K per organisation under
        ``policy`` (to size batched work by).

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> k, w = model._nodes(3e6)
        >>> model.most_nodes() >= k.size
        True
        """
        terms = self.terms(policy)
        bent = most(
            self.costs, {terms.first, terms.later}, terms.sublimits, self._bend_amounts(terms)
        )
        return (len(self._breakpoints()) + bent + 1) * self.nodes + 1

    def _nodes(
        self, records: Any, terms: Terms | None = None, ctx: CostContext | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Quadrature nodes and weights of K, split where the costs bend: where the
        lawsuit and fine probabilities change slope and, given ``terms`` and the
        organisations' ``ctx``, where nearly fixed costs meet the policy's amounts
        (see :mod:`picover.model.bends`)."""
        fixed: Any = self._breakpoints()
        if terms is not None and ctx is not None:
            bent = bends(
                self.costs,
                {terms.first, terms.later},
                terms.sublimits,
                self._bend_amounts(terms),
                ctx,
                1.0,
                records,
                fixed,
            )
            if bent.shape[-1] and bent.ndim == 1:
                fixed = sorted(set(fixed) | {float(b) for b in bent if not np.isnan(b)})
            elif bent.shape[-1]:
                shared = np.broadcast_to(np.asarray(fixed), (*bent.shape[:-1], len(fixed)))
                fixed = np.concatenate((shared, bent), axis=-1)
                if getattr(type(self.breach_size), "nodes", None) not in _PER_ORGANISATION_NODES:
                    return self._nodes_one_by_one(records, fixed)
        return self.breach_size.nodes(records, fixed, self.nodes)

    def _nodes_one_by_one(self, records: Any, points: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Nodes of a breach size that takes one sequence of breakpoints (the
        protocol's first form), organisation by organisation. Missing bends
        become breakpoints at R, which add only nodes of weight zero, so that
        every organisation has as many nodes."""
        r = np.asarray(records, dtype=np.float64).reshape(-1)
        rows = np.sort(np.where(np.isnan(points), r[:, None], points), axis=-1)
        pairs = [self.breach_size.nodes(r[i], rows[i].tolist(), self.nodes) for i in range(r.size)]
        sizes = {np.size(k) for k, _ in pairs}
        if len(sizes) > 1:
            raise ValueError(
                f"{type(self.breach_size).__name__}.nodes gave {sorted(sizes)} nodes for "
                "organisations given as many breakpoints; a breach size must give one node "
                "count per count of breakpoints (or accept an array of them per organisation)"
            )
        k = np.stack([np.ravel(k) for k, _ in pairs]).reshape(*np.shape(records), -1)
        w = np.stack([np.ravel(w) for _, w in pairs]).reshape(*np.shape(records), -1)
        return k, w

    def _context(self, org: Organisation) -> CostContext:
        return CostContext(float(org.records), float(org.annual_sales))

    def terms(self, policy: Policy | None) -> Terms:
        """Resolve ``policy`` against this model's categories (None: ground-up)."""
        if policy is None:
            insured = tuple(c for c, cat in self.costs.items() if cat.insurable)
            return Terms(
                insured,
                insured,
                dict.fromkeys(insured, math.inf),
                0.0,
                math.inf,
                1.0,
                0.0,
                math.inf,
            )
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a picover Policy or None; got {type(policy).__name__}")
        covered = policy.covered(self.costs)
        later = tuple(
            c for c in covered if not (c == "investigation" and policy.investigation == "first")
        )
        per_incident = policy.per_incident_limit
        if policy.coinsurance * per_incident >= policy.aggregate_retention + policy.limit:
            # An incident paying that much exhausts the year's limit on its own: the
            # per-incident limit never binds, and the grid need not reach it.
            per_incident = math.inf
        return Terms(
            later=later,
            first=tuple(covered),
            sublimits={c: policy.sublimit(c) for c in covered},
            retention=policy.retention,
            per_incident_limit=per_incident,
            coinsurance=policy.coinsurance,
            aggregate_retention=policy.aggregate_retention,
            aggregate_limit=policy.limit,
        )

    def expected_losses(self, org: Organisation, policy: Policy | None = None) -> dict[str, float]:
        """Expected annual loss by cost category plus ``"total"`` (currency units).

        Without a policy: ground-up, every incident's real costs (cause
        investigation included each time); ``total`` sums the insurable
        categories, and uninsurable ones (penalty surcharges) are reported
        under their own key only. With a policy: what the insurer pays. When
        the policy has no retention, per-incident limit or annual terms this
        is in closed form over K; otherwise the total is the mean of the
        insured annual distribution and it is allocated to categories in
        proportion to their expected covered (sublimited) cost.

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
        >>> gu = model.expected_losses(org)
        >>> ins = model.expected_losses(org, pc.Policy(limit=1e9, retention=1e7))
        >>> ins["total"] < gu["total"]
        True
        """
        freq = self.frequency(org)
        n_mean = freq.posterior_mean
        if policy is None:
            k, w = self._nodes(org.records)
            ctx = self._context(org)
            out = {
                c: n_mean * float(expected_cost(cat, self.litigation, k, w, ctx, math.inf))
                for c, cat in self.costs.items()
            }
            out["total"] = math.fsum(v for c, v in out.items() if self.costs[c].insurable)
            return out
        covered = self._covered_by_category(org, policy, freq)
        terms = self.terms(policy)
        closed_form = (
            terms.retention == 0
            and math.isinf(terms.per_incident_limit)
            and not policy.has_annual_terms
        )
        if closed_form:
            out = {c: terms.coinsurance * v for c, v in covered.items()}
            out["total"] = math.fsum(out.values())
            return out
        return self.allocate(org, policy, self.annual_loss(org, policy).mean(), covered)

    def _covered_by_category(
        self, org: Organisation, policy: Policy, freq: FrequencyEstimate | None = None
    ) -> dict[str, float]:
        """Expected covered cost a year by category: after sublimits and the
        investigation clause, before retention, limits and coinsurance."""
        freq = self.frequency(org) if freq is None else freq
        counts = freq.counts()
        p_any = prob_any(counts)
        ctx = self._context(org)
        terms = self.terms(policy)
        k, w = self._nodes(org.records, terms, ctx)
        out: dict[str, float] = {}
        for c, category in self.costs.items():
            if c not in terms.first:
                out[c] = 0.0
                continue
            count = freq.posterior_mean if c in terms.later else p_any
            per = expected_cost(category, self.litigation, k, w, ctx, terms.sublimits[c])
            out[c] = count * float(per)
        return out

    def allocate(
        self,
        org: Organisation,
        policy: Policy,
        total: float,
        covered: Mapping[str, float] | None = None,
    ) -> dict[str, float]:
        """Split an expected insured total between categories, plus ``"total"``.

        Each category gets a share proportional to its expected covered cost
        (after sublimits and the investigation clause, before retention and
        limits): the rule :meth:`expected_losses` uses when the policy has a
        retention or limits.
        """
        covered = self._covered_by_category(org, policy) if covered is None else covered
        base = math.fsum(covered.values())
        scale = total / base if base > 0 else 0.0
        out = {c: v * scale for c, v in covered.items()}
        out["total"] = total
        return out

    # -- distributions -----------------------------------------------------------

    def annual_loss(
        self,
        org: Organisation,
        policy: Policy | None = None,
        *,
        method: str = "fft",
        bucket: float | None = None,
        n_buckets: int | None = None,
        tail_tol: float | None = None,
        n_sims: int | None = None,
        seed: Any = None,
    ) -> LossDistribution:
        """The distribution of the annual loss: ground-up (no policy) or insured.

        Ground-up, the loss is the sum over the year's incidents of every
        insurable category's cost. Under a policy the terms apply in the
        order of :class:`~picover.Policy`; with ``investigation="first"``
        the first incident of the year has its own severity, and the FFT is
        exact for it.

        Parameters
        ----------
        org : Organisation
        policy : Policy, optional
        method : {"fft", "mc"}
        bucket, n_buckets, tail_tol : FFT grid controls (see :func:`picover.compound`).
            ``bucket`` is the grid of one incident's covered cost, and must
            divide the per-incident retention and limits; the payments, and
            the year's total, lie on ``coinsurance`` times it.
        n_sims, seed : Monte Carlo controls.

        Returns
        -------
        LossDistribution
        """
        options = check_method_options(
            method, bucket=bucket, n_buckets=n_buckets, tail_tol=tail_tol, n_sims=n_sims,
            seed=seed, min_buckets=16,
        )  # fmt: skip
        terms = self.terms(policy)
        freq = self.frequency(org).counts()
        if not isinstance(options, FFTOptions):
            totals = self.simulate(org, policy, n_sims=options, seed=seed).insured
            return LossDistribution.from_samples(totals, currency=self.currency)
        return self._fft(org, freq, terms, *options)

    def _fft(
        self,
        org: Organisation,
        freq: Frequency,
        terms: Terms,
        tol: float,
        bucket: float | None,
        n_buckets: int | None,
        coarsest: float = 0.0,
    ) -> LossDistribution:
        """The annual loss on the FFT grid (see :meth:`annual_loss`). ``coarsest``
        (currency units, automatic grids only): the bucket need not be finer
        than about this, whatever the typical incident (see :meth:`_grid`)."""
        ctx = self._context(org)
        k, w = self._nodes(org.records, terms, ctx)
        n_mean = freq.mean()
        p_any = prob_any(freq)
        if n_mean == 0 or not terms.first:
            return LossDistribution([0.0], [1.0], method="fft", currency=self.currency)
        reach = self._reach(org, freq, terms, k, w, ctx, tol)
        automatic = bucket is None and n_buckets is None
        # Quadrature segments outside [1, R] leave nodes of weight zero: they add
        # nothing to the mixture but would cost a transform each.
        k_used, w_used = (k, w) if np.all(w > 0) else (k[w > 0], w[w > 0])
        annual_end = terms.aggregate_retention + terms.aggregate_limit
        # Grid points for the policy's amounts, most needed first (the bucket may
        # not honour them all): retentions, where a payment's mean feels the
        # grid, then the limits, which only cap it. Payments, and the year's
        # total, lie on c times the covered cost's grid: an annual amount A is a
        # grid point when A / c is one of X's. (A given bucket need divide only
        # the per-incident amounts: annual terms map the year's atoms exactly.)
        c = terms.coinsurance
        annual = [terms.aggregate_retention / c, terms.aggregate_limit / c]
        anchors = [
            terms.retention,
            *(annual[:1] if bucket is None else []),
            terms.per_incident_limit,
            terms.retention + terms.per_incident_limit,
            *(annual[1:] if bucket is None else []),
            *terms.sublimits.values(),
        ]

        def grid_for(reach: float, keep: float | None = None) -> tuple[float, int]:
            # One grid carries the incident's covered cost X, and c times it the
            # payments and the year's total (a payment c (X - r) is then a grid
            # point when r is one, however small c). Payments beyond X's grid are
            # a tail atom, so X's grid must reach r + reach / c for the payments
            # to cover the total's range, and r + per-incident limit for every
            # larger incident to pay the limit.
            # A per-incident limit far beyond that (more than NEAR times) is left
            # beyond the grid, its error bounded below: reaching it would stretch
            # the grid until the transform's rounding swamps the losses.
            top = terms.retention + reach / terms.coinsurance
            need = terms.retention + terms.per_incident_limit
            if math.isfinite(need) and (not automatic or (binds and need <= NEAR * top)):
                top = max(top, need)
            return self._grid(top, k, w, ctx, terms, bucket, n_buckets, anchors, keep, coarsest)

        # Terms beyond the grid leave an error in the mean, bounded below; the grid
        # grows to them while that bound exceeds this share of the mean (plus 1e-9
        # of a bucket, for payments that are all but never made: a small firm's
        # yearly mean can be far below one bucket, so a bucket's share would be a
        # loose tolerance). Under a retention (per incident or annual), 1e-7: still below
        # the grid's own accuracy there (each category's discretisation spreads
        # the sum a little, and a retention feels it: 1e-6 or more of the mean on
        # the automatic grid), which a grid stretched to far terms, with a coarser
        # bucket, would only worsen. Otherwise the mean is exact on any grid: 1e-9.
        far_tol = 1e-7 if terms.retention > 0 or terms.aggregate_retention > 0 else 1e-9
        # Before any grid the payment's mean is unknown: the covered cost's mean
        # stands in (it is larger, so the loop may still grow the grid).
        covered = n_mean * self._covered_mean(terms.first, k, w, ctx, terms)
        binds = True  # whether the per-incident limit can matter at all
        # Whether the tail's bound says an aggregate limit beyond the reach matters.
        felt = False
        if (
            automatic
            and terms.coinsurance * terms.per_incident_limit >= reach
            and terms.aggregate_retention == 0
            and annual_end > reach
        ):
            # Only the tail sets the reach: a per-incident limit within it bounds
            # it already, and an aggregate retention, or an aggregate limit within
            # it, sets it. An aggregate limit beyond it may still matter to the
            # mean (the tail's bound says), and then the grid must grow to it: a
            # shorter one would only have further to grow.
            unfelt = math.isinf(annual_end)
            if not unfelt:
                h_rough = grid_for(reach)[0]
                bound = self._year_excess(freq, k_used, w_used, ctx, terms, h_rough, annual_end)
                unfelt = bound <= far_tol * c * covered + 1e-9 * c * h_rough
                felt = not unfelt and math.isfinite(bound)
            if unfelt:
                body = self._body(freq, terms, k_used, w_used, ctx, reach, tol)
                if body is not None:
                    reach = self._reach(org, freq, terms, k, w, ctx, tol, body)
        keep: float | None = None  # the bucket to keep when the grid is stretched
        excess = None
        if automatic:
            h_plain = self._grid(
                terms.retention + reach / terms.coinsurance, k, w, ctx, terms, None, None,
                anchors, None, coarsest,
            )[0]  # fmt: skip
            excess = self._paid_excess(k_used, w_used, ctx, terms, True, h_plain)
        # A retention within a hundred times the mean covered cost (per incident, or
        # a year's) is surely reached: the bound below (about a millisecond) is
        # worth computing only beyond that.
        far_retention = terms.retention * n_mean > 100.0 * covered or (
            terms.aggregate_retention > 100.0 * covered
        )
        if excess is not None and far_retention:
            # Retentions so far out that the incidents' own tails show nothing is
            # paid, to 1e-9 of a bucket: the payment is 0, with no grid stretched
            # out to them (where rounding would make up a payment).
            most = n_mean * float(excess(np.zeros(1))[0])
            if terms.aggregate_retention > 0:
                most = min(
                    most,
                    self._year_excess(
                        freq, k_used, w_used, ctx, terms, h_plain, terms.aggregate_retention
                    ),
                )
            if most <= 1e-9 * c * h_plain:
                return LossDistribution([0.0], [1.0], method="fft", currency=self.currency)
        if excess is not None and math.isfinite(terms.per_incident_limit):
            # A limit that the incidents' own tails show never binds (its error in
            # the mean, bounded as in the loop below, is within far_tol) needs no
            # grid out to it: reaching it would only coarsen the bucket.
            cut = terms.coinsurance * terms.per_incident_limit
            error = n_mean * float(excess(np.array([cut]))[0])
            binds = error > far_tol * max(c * covered, c * h_plain)

        if automatic and reach < annual_end < math.inf and math.isinf(terms.per_incident_limit):
            # Unbounded payments leave years beyond the grid, short of the aggregate
            # retention plus limit, where the annual terms are inexact. Start there
            # when that grid is no coarser: the tail then pays the limit exactly,
            # and quantiles and the variance see it. (A coarser one is reached only
            # if the loop below finds the error too large.)
            wider = max(2.0 * reach, annual_end)
            if grid_for(wider)[0] <= grid_for(reach)[0]:
                reach = wider
            elif felt:
                # The loop below would find the error too large on the first grid,
                # throw it away and grow as it does here, keeping its bucket.
                keep = grid_for(reach)[0]
                reach = toward_annual_end(reach, terms.aggregate_retention, terms.aggregate_limit)
        # Whether the bucket was checked against the bias at the policy's bends
        # (payments without a retention or per-incident limit have none).
        refined = terms.retention == 0 and math.isinf(terms.per_incident_limit)
        for attempt in range(_MAX_REGRIDS):
            h, n = grid_for(reach, keep)
            builder = IncidentBuilder(
                self.costs, self.litigation, k_used, w_used, ctx, terms.sublimits, h, n
            )
            covered_later = builder.grid(terms.later)
            covered_first = (
                covered_later if terms.first == terms.later else builder.grid(terms.first)
            )
            later = self._payment(covered_later, terms, strict=not automatic)
            first = (
                later
                if covered_first is covered_later
                else self._payment(covered_first, terms, strict=not automatic)
            )
            exact = p_any * first.mean() + (n_mean - p_any) * later.mean()
            if automatic and not refined:
                # Each category's discretisation spreads the incident's cost a
                # little, and a retention (or the limit above it) feels that as a
                # bias that falls with the square of the bucket. Where its rough
                # estimate is a visible share of the mean (a retention far out in
                # a small firm's incidents), the bucket shrinks by 2 or 4 (grids
                # have power-of-two lengths), aiming at half that share.
                bias = p_any * _kink_bias(covered_first, len(terms.first), terms) + (
                    n_mean - p_any
                ) * _kink_bias(covered_later, len(terms.later), terms)
                refined = True
                if bias > KINK_BIAS_TRIGGER * exact:
                    wanted = math.sqrt(bias / (0.5 * KINK_BIAS_TRIGGER * exact))
                    # The power of two at or below the shrunk grid's length: asking
                    # for a bucket just under it would double the grid again.
                    points = 2 ** math.floor(math.log2((2 if wanted <= 2 else 4) * (n - 1)))
                    finer = h * (n - 1) / points * (1.0 + 1e-9)
                    keep = finer if keep is None else min(keep, finer)
                    continue
            if automatic:
                # A per-incident limit left beyond the grid: grow the grid while
                # its bounded error in the mean matters.
                beyond = p_any * self._payment_error(
                    covered_first, terms, self._paid_excess(k_used, w_used, ctx, terms, True, h)
                ) + (n_mean - p_any) * self._payment_error(
                    covered_later, terms, self._paid_excess(k_used, w_used, ctx, terms, False, h)
                )
                if beyond > far_tol * exact + 1e-9 * c * h:
                    if attempt < _MAX_REGRIDS - 1:
                        reach *= 4.0
                        keep = h if keep is None else keep
                        continue
                    warnings.warn(
                        f"the per-incident limit {terms.per_incident_limit:,.6g} lies beyond "
                        f"the grid's end {h * (n - 1):,.6g}; the mean may be too high by up "
                        f"to {beyond:,.6g}",
                        RuntimeWarning,
                        stacklevel=3,
                    )
            # The year's grid ends where the payments' grids end: beyond, only their
            # tails are known, by their means.
            n_year = min(n, later.probs.size, first.probs.size)
            agg = fft.aggregate(freq, later, n_year, exact, first=None if first is later else first)
            error = annual_terms_error(agg, terms.aggregate_retention, terms.aggregate_limit)
            if error > 0 and agg.top >= terms.aggregate_retention and math.isfinite(annual_end):
                # That bound sees only the tail's mean; the error is also at most
                # E[(S - d - l)+], which the incidents' costs bound much more tightly.
                error = min(
                    error, self._year_excess(freq, k_used, w_used, ctx, terms, h, annual_end)
                )
            if not automatic:
                if error > 1e-9 * (exact + c * h):
                    raise grid_too_short(
                        agg, terms.aggregate_retention, terms.aggregate_limit, error
                    )
                break
            if error > far_tol * exact + 1e-9 * c * h:
                reach = toward_annual_end(reach, terms.aggregate_retention, terms.aggregate_limit)
                keep = h if keep is None else keep
            elif (
                agg.top < annual_end < math.inf
                and _tail_variance_share(agg, terms) > TAIL_VARIANCE_SHARE
                and grid_for(max(2.0 * reach, annual_end), h)[0] <= h
            ):
                # The terms' error in the mean is negligible, but the tail beyond
                # the grid carries enough of the variance that var() would warn. The
                # annual end is within reach at this bucket: there the tail pays the
                # limit exactly, and the variance and quantiles see it. (Otherwise a
                # longer grid only adds rounding.)
                reach = max(2.0 * reach, annual_end)
                keep = h if keep is None else keep
            elif unresolved_tail(agg, terms.aggregate_retention, terms.aggregate_limit) > tol:
                reach *= 2.0
            else:
                break
        else:
            warn_grid_left(agg, tol, _MAX_REGRIDS, error, far_tol * exact + 1e-9 * c * h)
        if automatic and (terms.retention > 0 or math.isfinite(terms.per_incident_limit)):
            # A bucket too coarse beside the retention: a grid stretched far (heavy
            # tails, a small tail tolerance) at its most points, whose bucket could
            # not shrink enough. (A grid given by the caller is the caller's.)
            bias = p_any * _kink_bias(covered_first, len(terms.first), terms) + (
                n_mean - p_any
            ) * _kink_bias(covered_later, len(terms.later), terms)
            if bias > KINK_BIAS_WARN * exact:
                warnings.warn(
                    f"the grid's bucket ({h:,.6g}) is coarse beside the policy's retention "
                    f"({terms.retention:,.6g}) or limit: the mean payment ({exact:,.6g}) may "
                    f"be off by up to about {bias:,.3g} ({bias / exact:.1%}), most likely too "
                    f"high; the grid reaches {h * (n - 1):,.6g} for the tail tolerance "
                    f"{tol:.3g}: a larger tail_tol, or a finer bucket that divides the "
                    "retention, gives a sharper figure",
                    RuntimeWarning,
                    stacklevel=3,
                )
        if terms.aggregate_retention > 0 or math.isfinite(terms.aggregate_limit):
            paid = apply_annual_terms(
                agg, terms.aggregate_retention, terms.aggregate_limit, self.currency
            )
            return checked_payment(paid, exact, agg)
        if terms.retention == 0 and math.isinf(terms.per_incident_limit):
            # Payments are c times the covered costs: the year's variance is known
            # in closed form, tail and all.
            var = self._exact_var(freq, k_used, w_used, ctx, terms, first.mean(), later.mean())
        else:
            var = self._paid_var(
                freq, k_used, w_used, ctx, terms, (covered_later, later), (covered_first, first)
            )
        return apply_annual_terms(
            agg, 0.0, math.inf, self.currency, math.nan if var is None else var
        )

    def _exact_var(
        self,
        freq: Frequency,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        terms: Terms,
        first_mean: float,
        later_mean: float,
    ) -> float | None:
        """Var(S) when payments are c times the covered costs: the first incident's
        and the later ones' second moments from the categories (currency units
        squared; None when a category offers no second moment)."""
        later = second_moment(self.costs, self.litigation, k, w, ctx, terms.sublimits, terms.later)
        first = (
            later
            if terms.first == terms.later
            else second_moment(self.costs, self.litigation, k, w, ctx, terms.sublimits, terms.first)
        )
        if later is None or first is None:
            return None
        c2 = terms.coinsurance**2
        return compound_variance(freq, (later_mean, c2 * later), (first_mean, c2 * first))

    def _plain_moments(self, org: Organisation, policy: Policy) -> tuple[float, float | None]:
        """The year's mean payment and its variance (currency units, and squared)
        without any grid, as if the policy paid its share of the covered costs
        within their sublimits: its retention and limits, per incident and per
        year, are ignored. The variance is None when a category offers no
        second moment."""
        terms = self.terms(policy)
        ctx = self._context(org)
        k, w = self._nodes(org.records, terms, ctx)
        freq = self.frequency(org).counts()

        c = terms.coinsurance
        later = c * self._covered_mean(terms.later, k, w, ctx, terms)
        first = (
            later
            if terms.first == terms.later
            else c * self._covered_mean(terms.first, k, w, ctx, terms)
        )
        p_any = prob_any(freq)
        mean = p_any * first + (freq.mean() - p_any) * later
        return mean, self._exact_var(freq, k, w, ctx, terms, first, later)

    def _covered_mean(
        self, names: tuple[str, ...], k: FloatArray, w: FloatArray, ctx: CostContext, terms: Terms
    ) -> float:
        """E[one incident's covered cost] over the categories ``names``, each within
        its sublimit (currency units)."""
        return math.fsum(
            float(expected_cost(self.costs[c], self.litigation, k, w, ctx, terms.sublimits[c]))
            for c in names
        )

    def _paid_var(
        self,
        freq: Frequency,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        terms: Terms,
        later: tuple[GridSeverity, GridSeverity],
        first: tuple[GridSeverity, GridSeverity],
    ) -> float | None:
        """Var(S) under per-incident terms alone, from each incident's (covered cost,
        payment) on the grid (currency units squared; None when unknown).

        The year's own grid sees the tail beyond it as one atom, without its
        spread, which for heavy tails is much of the variance. The incidents'
        grids do better: a payment that reaches its limit on the grid has a
        fixed tail; an unlimited one, c (X - r), has the spread of X's tail,
        E[X^2] - E[X^2; X on the grid] - P(tail) E[X | tail]^2, with E[X^2] from
        the categories. Exact but for the grid's discretisation of each
        incident. None when a limit lies beyond the grid, when a category
        offers no second moment, or when the discretisation's spread below the
        retention (which does not cancel) could exceed ``PAID_VAR_TOL`` of the
        payment's second moment: a retention far out in a small firm's costs.
        """
        moments = []
        for (covered, paid), names in ((later, terms.later), (first, terms.first)):
            square = _grid_second_moment(paid)
            if paid.tail_prob > 0:
                if math.isfinite(terms.per_incident_limit) or covered.top < terms.retention:
                    # The tail pays c min(X - r, l), or (a grid ending short of the
                    # retention) nothing over part of it: its spread is unknown.
                    return None
                whole = second_moment(
                    self.costs, self.litigation, k, w, ctx, terms.sublimits, names
                )
                if whole is None:
                    return None
                c2, h = terms.coinsurance**2, covered.bucket
                # E[X^2] less the grid's: the tail's spread, less the spread the
                # discretisation adds (each category's cost split between two grid
                # points: at most h^2 / 4 each). Above the retention that spread is
                # in the payment's grid too, and cancels; below it, it is missing.
                square += c2 * max(whole - _grid_second_moment(covered), 0.0)
                below = float(covered.probs[: math.ceil(terms.retention / h - 1e-9)].sum())
                if c2 * below * len(names) * h * h / 4.0 > PAID_VAR_TOL * square:
                    return None  # a far retention: the grid cannot tell the tail's spread
            moments.append((paid.mean(), square))
        return compound_variance(freq, moments[0], moments[1])

    def _payment(self, covered: GridSeverity, terms: Terms, strict: bool) -> GridSeverity:
        return _paid(covered, terms.retention, terms.per_incident_limit, terms.coinsurance, strict)

    def _payment_error(
        self, covered: GridSeverity, terms: Terms, excess: StopLoss | None = None
    ) -> float:
        """Bound on the error of a per-incident limit left beyond the grid.

        The tail atom's payment overstates the tail's by at most what the
        limit cuts off, E[c (X - r - l)+] = E[(c (X - r) - c l)+], which
        ``excess`` (a bound on E[(c (X - r)+ - t)+], see :meth:`_paid_excess`
        with the limit lifted) bounds far more tightly than the tail's mean.
        """
        error = incident_terms_error(
            covered, terms.retention, terms.per_incident_limit, terms.coinsurance
        )
        if error > 0 and excess is not None:
            cut = terms.coinsurance * terms.per_incident_limit
            error = min(error, float(excess(np.array([cut]))[0]))
        return error

    def _paid_excess(
        self,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        terms: Terms,
        first: bool,
        h: float,
    ) -> StopLoss | None:
        """A bound t -> E[(P - t)+] on one incident's payment P when X's grid has bucket ``h``.

        On the grid each of the m categories' costs moves up by less than a
        bucket at most, and the payment, on c times X's grid, by less than
        c h more (their tails beyond the grid are atoms at their means, which
        only lowers what lies above t), so P <= c (X + m h - r)+ + c h in the
        stop-loss order, and E[(P - t)+] <= c E[(X - s)+] with
        s = r - m h + t / c - h. The
        per-incident limit only lowers P. None when a category offers no
        ``stop_loss``. A custom category's ``on_grid`` must keep to the same
        rule (each cost moved up by less than a bucket, the tail beyond the grid
        an atom at its mean) for the bound to hold. The transform's rounding
        (about 1e-16 n^2 h on a grid of n points) is not in it: on very wide
        grids it can exceed the bound far out, where both are negligible.
        """
        names = terms.first if first else terms.later
        if any(getattr(self.costs[c], "stop_loss", None) is None for c in names):
            return None
        c, r, m = terms.coinsurance, terms.retention, len(names)

        def bound(t: FloatArray) -> FloatArray:
            s = r - m * h + np.asarray(t, dtype=np.float64) / c - h
            x = stop_loss_bound(
                self.costs, self.litigation, k, w, ctx, terms.sublimits, names, np.maximum(s, 0.0)
            )
            if x is None:  # not reached: every category has stop_loss
                raise RuntimeError("a category lost its stop_loss")
            # Below 0, E[(X - s)+] = E[X] - s: the bound at 0 plus -s.
            return c * (x + np.maximum(-s, 0.0))

        return bound

    def _year_excess(
        self,
        freq: Frequency,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        terms: Terms,
        h: float,
        at: float,
    ) -> float:
        """A bound on E[(S - at)+] for the year's total S of payments, X's grid
        having bucket ``h`` (inf when a category offers no ``stop_loss``)."""
        later = self._paid_excess(k, w, ctx, terms, False, h)
        first = self._paid_excess(k, w, ctx, terms, True, h)
        if later is None or first is None:
            return math.inf
        if terms.first == terms.later:
            first = later
        cap = terms.coinsurance * (terms.per_incident_limit + h)
        if math.isfinite(cap):
            # No payment on the grid exceeds c times the per-incident limit by a
            # bucket of its own (c h) or more (a limit between grid points is split
            # between the neighbours). The bounds above ignore the limit, which they must
            # elsewhere; here n payments sum to at most n times the cap.
            later, first = _capped(later, cap), _capped(first, cap)
        # Each payment's mean is at most its bound at 0.
        biggest = max(float(later(np.zeros(1))[0]), float(first(np.zeros(1))[0]))
        return count_excess_bound(freq, later, first, biggest, at)

    def reach(self, org: Organisation, policy: Policy | None = None, tol: float = 1e-6) -> float:
        """A rough yearly loss (currency units) exceeded with probability ``tol`` or less.

        A quick bound from the largest single incident and the count, without
        any distribution: what the automatic grid starts from. Useful to size
        questions about far tails.

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
        >>> bool(model.reach(org, tol=0.01) < model.reach(org, tol=1e-6))
        True
        """
        p = _checks.number("tol", tol, low=1e-14, high=1.0, low_open=True, high_open=True)
        terms, ctx = self.terms(policy), self._context(org)
        k, w = self._nodes(org.records, terms, ctx)
        return self._reach(org, self.frequency(org).counts(), terms, k, w, ctx, p)

    def _reach(
        self,
        org: Organisation,
        freq: Frequency,
        terms: Terms,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        tol: float,
        body: float | None = None,
    ) -> float:
        """A yearly total of payments exceeded with probability about ``tol`` or less
        (capped at the aggregate retention plus limit, beyond which all years pay
        alike; ``body``: see :func:`picover.model.sizing.reach`)."""
        return float(
            sizing.reach(
                self, terms, k[None, :], w[None, :], ctx, freq.mean(),
                freq.ppf(1.0 - tol / 2.0), freq.ppf(1.0 - tol / 4.0), tol, body,
            )[0]
        )  # fmt: skip

    def _body(
        self,
        freq: Frequency,
        terms: Terms,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        reach: float,
        tol: float,
    ) -> float | None:
        """A tighter reach for the year's payments before limits and annual terms,
        from a coarse pass, when the grid for ``reach`` would be long (else None).

        The rough reach is often several times the loss it is asked for, and
        every point it adds costs time or, once the grid has its most points,
        a coarser bucket. A pass on ``SIZING_POINTS`` points over the same
        range finds the loss x exceeded with probability ``tol``; the answer
        is ``SIZING_MARGIN`` times x plus a bucket per category (the
        discretisation may move each cost up by less than one). Limits only
        lower the payments, and are left out so that far ones change nothing.
        None too when the pass holds more than ``tol`` beyond its end, or when
        more than ``SIZING_MEAN_SHARE`` of the mean lies beyond x (a far
        retention, whose payments are all in the tail). The caller still
        checks the tail on its own grid and grows it if needed.
        """
        top = terms.retention + reach / terms.coinsurance
        anchors = [terms.retention]
        if self._grid(top, k, w, ctx, terms, None, None, anchors)[1] < SIZING_MIN_POINTS:
            return None
        h, n = self._grid(top, k, w, ctx, terms, None, SIZING_POINTS, anchors)
        builder = IncidentBuilder(self.costs, self.litigation, k, w, ctx, terms.sublimits, h, n)

        def paid(names: tuple[str, ...]) -> GridSeverity:
            return _paid(builder.grid(names), terms.retention, math.inf, terms.coinsurance, False)

        later = paid(terms.later)
        first = later if terms.first == terms.later else paid(terms.first)
        p_any = prob_any(freq)
        exact = p_any * first.mean() + (freq.mean() - p_any) * later.mean()
        n_year = min(n, later.probs.size, first.probs.size)
        agg = fft.aggregate(freq, later, n_year, exact, first=None if first is later else first)
        if agg.tail_mass > tol:
            return None
        # Beyond each grid point x_i (the tail atom included): the probability,
        # and the share of the mean.
        beyond_p = np.cumsum(agg.probs[::-1])[::-1][1:]
        beyond_m = np.cumsum((agg.support * agg.probs)[::-1])[::-1][1:]
        thin = (beyond_p <= tol) & (beyond_m <= SIZING_MEAN_SHARE * exact)
        if not thin.any():
            return None
        i = int(np.argmax(thin))
        # The year's grid is c times X's; each category's cost may have moved up by
        # less than a bucket of X's.
        return SIZING_MARGIN * agg.bucket * (i + len(terms.first))

    def _grid(
        self,
        top: float,
        k: FloatArray,
        w: FloatArray,
        ctx: CostContext,
        terms: Terms,
        bucket: float | None,
        n_buckets: int | None,
        anchors: list[float],
        keep: float | None = None,
        coarsest: float = 0.0,
    ) -> tuple[float, int]:
        """The grid's bucket and length (points) for a grid reaching ``top``.

        Automatic grids give the typical incident ``POINTS_PER_INCIDENT``
        buckets, within ``MODEL_MAX_BUCKETS`` points, but no more points than
        a bucket of ``coarsest`` needs (about ``top / coarsest``, rounded up
        to a power of two): a caller asking only about losses far beyond the
        typical incident says so, and is spared a fine grid. ``keep``, a
        bucket to keep while the grid is stretched, overrides both.
        """
        if bucket is not None:
            # Per-incident terms act on the discretised sum of costs: exact only for
            # retentions and limits on grid points, so a given bucket must divide them.
            off = [
                a for a in anchors if 0 < a < math.inf and _grid.float_gcd([a, bucket]) != bucket
            ]
            if off:
                raise ValueError(
                    f"bucket {bucket:,.6g} does not divide the policy amount(s) "
                    f"{', '.join(f'{a:,.6g}' for a in off)}: the per-incident terms would not be "
                    "exact; choose a bucket that divides them, or give n_buckets instead"
                )
            return bucket, n_buckets if n_buckets is not None else _grid.length(top, bucket)
        # Amounts beyond the grid's end need no grid point (a far limit must not
        # push the retention off one).
        anchors = [a for a in anchors if a <= top]
        if n_buckets is not None:
            # A target: the bucket shrinks, and the grid grows, until the policy's
            # amounts fall on grid points.
            h = _grid.align(top / (n_buckets - 1), anchors)
            return h, max(n_buckets, _grid.length(top, h))
        typical = float(sizing.typical(self, terms, k[None, :], w[None, :], ctx)[0])
        n = sizing.grid_points(top, typical, POINTS_PER_INCIDENT, MODEL_MAX_BUCKETS)
        if coarsest > 0.0:
            n = min(n, sizing.grid_points(top, coarsest, 1, MODEL_MAX_BUCKETS))
        if keep is not None:
            n = max(n, sizing.grid_points(top, keep, 1, EXTENDED_MAX_BUCKETS))
        h = _grid.align(top / (n - 1) * (1.0 + 1e-12), anchors)
        return h, _grid.length(top, h)

    # -- Monte Carlo ---------------------------------------------------------

    def simulate(
        self,
        org: Organisation,
        policy: Policy | None = None,
        *,
        n_sims: int = 100_000,
        seed: Any = None,
    ) -> SimulatedYears:
        """Simulate years event by event: ground-up costs by category and the insured total.

        Draws K from the breach-size distribution itself (not its quadrature
        nodes), so comparing with the FFT checks the quadrature too.
        """
        incidents = self.simulate_incidents(org, n_sims=n_sims, seed=seed)
        by_category = {name: incidents.yearly(c) for name, c in incidents.costs.items()}
        return SimulatedYears(by_category, incidents.payments(self.terms(policy)))

    def simulate_incidents(
        self, org: Organisation, *, n_sims: int = 100_000, seed: Any = None
    ) -> SimulatedIncidents:
        """Simulated incidents, to which any number of policies can then be applied."""
        from picover.model.simulate import simulate_incidents

        sims = _checks.integer("n_sims", n_sims, low=1)
        return simulate_incidents(self, org, sims, as_generator(seed))


def _paid(
    covered: GridSeverity, retention: float, limit: float, share: float, strict: bool
) -> GridSeverity:
    """One incident's payment ``share * min((X - retention)+, limit)`` from its
    covered cost X on a grid, on a bucket ``share`` times X's.

    The payment before the share lies on X's grid when the retention and
    limit are grid points (else it is split between neighbours keeping its
    mean); the share then only rescales the grid, exactly. On X's own bucket a
    share below 1 would split every payment between neighbours: a spread of up
    to h^2 / 4 that does not shrink with the share (45% on the standard
    deviation at a share of 0.01), and, for a tiny share, payments lumped in
    one bucket that an aggregate limit inside it cuts wrongly.

    Examples
    --------
    >>> g = GridSeverity(1.0, np.array([0.5, 0.25, 0.25]), 0.0, math.nan)
    >>> p = _paid(g, 1.0, math.inf, 0.1, True)
    >>> p.bucket, p.probs.tolist()  # payments 0, 0.1 (currency units)
    (0.1, [0.75, 0.25, 0.0])
    """
    paid = apply_incident_terms(covered, retention, limit, 1.0, strict)
    if share == 1.0:
        return paid
    return GridSeverity(share * paid.bucket, paid.probs, paid.tail_prob, share * paid.tail_mean)


def _grid_second_moment(g: GridSeverity) -> float:
    """E[X^2] on the grid, the mass beyond it as one atom at its mean (currency
    units squared; without the tail's spread)."""
    x = g.bucket * np.arange(g.probs.size)
    body = float((x * x * g.probs).sum())
    return body + (g.tail_prob * g.tail_mean**2 if g.tail_prob > 0 else 0.0)


def _capped(excess: StopLoss, cap: float) -> StopLoss:
    """A bound on E[(P - t)+] that knows P <= cap: zero from the cap on."""

    def bound(t: FloatArray) -> FloatArray:
        t = np.asarray(t, dtype=np.float64)
        return np.where(t >= cap, 0.0, excess(t))

    return bound


def _kink_bias(covered: GridSeverity, names: int, terms: Terms) -> float:
    """A rough estimate, meant to err high, of how far the grid moves one
    incident's mean payment at the policy's bends (currency units).

    Each of the ``names`` categories is put on the grid keeping its mean,
    which spreads it by a variance of at most h^2 / 4; one of them can be
    spread without effect (a lone cost's layer means are exact on the grid),
    so the sum's spread is at most (m - 1) h^2 / 4. A payment bending at an
    amount a (the retention, and the retention plus the per-incident limit)
    then moves by about half its bend's density times that variance:
    c f(a) (m - 1) h^2 / 8, with f(a) read from the grid around a, and never
    more than c a: the payment bends by min(X, a), which is in [0, a] on the
    grid and off it. Against
    finer grids it mostly came out 2 to 15 times the actual bias (a lone
    fixed cost near a, which has none, can make it far higher).

    Examples
    --------
    >>> g = GridSeverity(1.0, np.full(100, 0.01), 0.0, math.nan)  # density 0.01
    >>> t = Terms((), (), {}, 50.0, math.inf, 1.0, 0.0, math.inf)
    >>> _kink_bias(g, 3, t)  # 0.01 * 2 / 8
    0.0025
    >>> spike = np.zeros(100); spike[50:53] = [0.5, 0.3, 0.2]  # all at 50 and above
    >>> _kink_bias(GridSeverity(1.0, spike, 0.0, math.nan), 3, t)
    0.0
    """
    h = covered.bucket
    total = 0.0
    for a in (terms.retention, terms.retention + terms.per_incident_limit):
        if 0.0 < a < math.inf:
            j = round(a / h)
            if j + 2 < covered.probs.size:
                # The density at a: the smaller of its averages over the two
                # buckets either side (a itself left out). Rounding moves the
                # mean only where mass lies on both sides of the bend: a nearly
                # fixed cost at a (a crisis fee equal to the retention), with
                # the other costs above it, pays linearly and has no bias, and
                # its spike is no density. The point 0 holds every cost below
                # half a bucket, a lump and no density: with fewer than two
                # points between it and a, the average over the three buckets
                # around a stands in (too high, if anything).
                if j >= 3:
                    below = float(covered.probs[j - 2 : j].mean())
                    density = min(below, float(covered.probs[j + 1 : j + 3].mean())) / h
                else:
                    density = float(covered.probs[max(j - 1, 1) : j + 2].mean()) / h
                # The payment bends by min(X, a), which lies in [0, a] on and off
                # the grid: a bend can move the mean by a at most.
                total += min(density * max(names - 1, 0) * h * h / 8.0, a)
    return terms.coinsurance * total


# The nodes() methods that take an array of breakpoints per organisation (a
# subclass overriding nodes() may not).
_PER_ORGANISATION_NODES = {
    size.nodes for size in (PowerLawSize, FixedFractionSize, BetaFractionSize, EmpiricalSize)
}


def _tail_variance_share(agg: fft.Aggregate, terms: Terms) -> float:
    """The tail atom's share of the variance of the year's payment under the annual terms."""
    if agg.tail_mass == 0.0:
        return 0.0
    paid = np.minimum(
        np.maximum(agg.support - terms.aggregate_retention, 0.0), terms.aggregate_limit
    )
    mean = float((agg.probs * paid).sum())
    spread = (paid - mean) ** 2 * agg.probs
    total = float(spread.sum())
    return float(spread[-1]) / total if total > 0 else 0.0


@attrs.frozen(eq=False)
class SimulatedYears:
    """Simulated years: ground-up cost by category and the insured total (currency units)."""

    by_category: Mapping[str, FloatArray] = attrs.field(converter=freeze)
    insured: FloatArray

    @property
    def n_sims(self) -> int:
        return int(self.insured.size)


def model_or_preset(model: Any) -> BreachModel:
    """``model``, or the Korean preset when it is None; anything else is a TypeError.

    Examples
    --------
    >>> model_or_preset(None).name
    'kr'
    >>> model_or_preset("kr")
    Traceback (most recent call last):
    ...
    TypeError: model must be a picover BreachModel (e.g. BreachModel.preset("kr")) or None; got str
    """
    if model is None:
        return BreachModel.preset("kr")
    if not isinstance(model, BreachModel):
        raise TypeError(
            'model must be a picover BreachModel (e.g. BreachModel.preset("kr")) or None; '
            f"got {type(model).__name__}"
        )
    return model


def _check_org(org: Any) -> None:
    if not isinstance(org, Organisation):
        raise TypeError(f"org must be a picover Organisation; got {type(org).__name__}")

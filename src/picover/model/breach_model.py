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
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover._frozen import FrozenMap, freeze
from picover.engine.compound import DEFAULT_TAIL_TOL, FFTOptions, check_method_options
from picover.engine.frequency import prob_any
from picover.engine.lossdist import LossDistribution
from picover.engine.simulate import as_generator
from picover.model import annual, payment, sizing
from picover.model import params as _params
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
from picover.model.incident import expected_cost
from picover.model.litigation import Litigation
from picover.model.policy import Policy, Terms
from picover.model.simulate import SimulatedIncidents

FloatArray = NDArray[np.float64]


#: Width in ln K of the fine rule's segments for 8 nodes per segment (in
#: proportion for more or fewer): a cost proportional to K then moves by at most
#: about 0.3% from one node to the next, far below what a quantile of the
#: year's loss needs.
FINE_STEP = 0.016


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


#: Names no cost category may take: the first parts of the model's other parameter
#: paths, and of the policy's, premium's and organisation's in a sensitivity run.
RESERVED_NAMES = ("frequency", "breach_size", "litigation", "policy", "premium", "organisation")


def _costs(value: Mapping[str, CostCategory]) -> FrozenMap[str, CostCategory]:
    out = dict(value)
    if not out:
        raise ValueError("BreachModel.costs needs at least one cost category")
    for name, category in out.items():
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"cost category names must be non-empty without dots; got {name!r}")
        if name in RESERVED_NAMES:
            # A parameter's path starts with its branch's name: these name other branches.
            raise ValueError(
                f"cost category name {name!r} is taken: parameter paths starting with it name "
                f"other settings; choose a name other than {', '.join(RESERVED_NAMES)}"
            )
        if not isinstance(category, CostCategory):
            raise TypeError(
                f"cost category {name!r} must follow the CostCategory interface (trigger, "
                "insurable, mean, limited_mean, severity, rvs); got "
                f"{type(category).__name__}"
            )
        if callable(getattr(category, "quantile", None)) and not hasattr(category, "ppf"):
            # The optional hook's old name: ignored, it would leave grids sized the slow way.
            warnings.warn(
                f"cost category {name!r} ({type(category).__name__}) has quantile() but no "
                "ppf(): the optional quantile hook is named ppf(q, k, ctx); without it the "
                "grid is sized from severity(k, ctx).ppf one breach size at a time",
                UserWarning,
                stacklevel=3,  # the caller of BreachModel(...)
            )
    return FrozenMap(out)


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
        assumption; see :attr:`sources`. Presets are loaded once and shared:
        the model is immutable, so change it with :meth:`with_params`.

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> model.name, model.currency
        ('kr', 'KRW')
        >>> set(model.parameters()) == set(model.sources)  # every parameter has a source
        True
        """
        from picover.model.presets import load_preset

        return load_preset(name)

    def parameters(self) -> dict[str, Any]:
        """Every numeric parameter by dotted path, e.g. ``{"consolation.award": 100000.0, ...}``.

        The paths are those :meth:`with_params` takes; amounts are in
        :attr:`currency`.

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> params = model.parameters()
        >>> params["consolation.award"], params["frequency.base_rate.retail"]  # KRW; a rate
        (100000.0, 0.0016)
        >>> model.with_params({"consolation.award": 3e5}).parameters()["consolation.award"]
        300000.0
        """
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
        """Next year's incident count for ``org``, with prior, posterior and credibility.

        Examples
        --------
        >>> import picover as pc
        >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
        >>> est = pc.BreachModel.preset("kr").frequency(org)  # no history: the prior
        >>> round(est.prior_mean, 6), round(est.posterior_mean, 6), est.credibility  # a year
        (0.049022, 0.049022, 0.0)
        """
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
        """The covered costs X at which one incident's payment bends: the
        retention and the per-incident limit above it, and, for an incident
        alone in its year, where its payment meets the aggregate retention
        and the aggregate limit above that (short of the per-incident limit)."""
        r, c = terms.retention, terms.coinsurance
        top = r + terms.per_incident_limit
        annual = (terms.aggregate_retention, terms.aggregate_retention + terms.aggregate_limit)
        return [r, top, *(r + a / c for a in annual if r + a / c < top)]

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
        return self._nodes_at(records, self._cut_points(records, terms, ctx))

    def _cut_points(
        self, records: Any, terms: Terms | None = None, ctx: CostContext | None = None
    ) -> Any:
        """The breakpoints of :meth:`_nodes`: a list shared by all, or an array
        with a last axis per organisation (NaN for none)."""
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
        return fixed

    def _nodes_at(self, records: Any, fixed: Any) -> tuple[FloatArray, FloatArray]:
        """Nodes and weights of K split at the breakpoints ``fixed`` (see
        :meth:`_cut_points`)."""
        per_organisation = isinstance(fixed, np.ndarray) and fixed.ndim > 1
        takes_arrays = getattr(type(self.breach_size), "nodes", None) in _PER_ORGANISATION_NODES
        if per_organisation and not takes_arrays:
            return self._nodes_one_by_one(records, fixed)
        return self.breach_size.nodes(records, fixed, self.nodes)

    def _fine_nodes(self, records: float, fixed: list[float]) -> tuple[FloatArray, FloatArray]:
        """A fine rule of K for one organisation: the nodes at the breakpoints
        ``fixed`` (see :meth:`_cut_points`) with every segment cut further,
        about every ``FINE_STEP`` in ln K (for 8 nodes per segment), without
        nodes of weight zero. Costs that are fixed given K are mixed over it
        where nothing spread out covers them (see
        :class:`~picover.model.incident.IncidentBuilder`): over the usual
        nodes they would be a few lumps. A breach size whose nodes ignore
        breakpoints gives its usual nodes."""
        step = FINE_STEP * self.nodes / DEFAULT_NODES
        cuts = np.exp(np.arange(step, math.log(max(float(records), 1.0)), step))
        k, w = self.breach_size.nodes(records, np.union1d(fixed, cuts).tolist(), self.nodes)
        k, w = np.ravel(k), np.ravel(w)
        keep = w > 0
        return k[keep], w[keep]

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
        """Resolve ``policy`` against this model's categories (None: ground-up).

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> t = model.terms(pc.Policy(limit=1e9, sublimits={"investigation": 5e7}))  # KRW
        >>> set(t.first) - set(t.later)  # paid for the year's first incident only
        {'investigation'}
        >>> t.sublimits["investigation"], t.aggregate_limit
        (50000000.0, 1000000000.0)
        """
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
        # The grid's mean, without annual_loss's word on the distribution's shape.
        grid = annual.fft_loss(
            self, org, self.frequency(org).counts(), terms, DEFAULT_TAIL_TOL, None, None
        )
        return self.allocate(org, policy, grid.mean(), covered)

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
        retention or limits. ``total`` and the shares are in :attr:`currency`
        (KRW in the preset), as is ``covered``, the expected covered cost a
        year by category (computed when None).

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> org = pc.Organisation(records=3_000_000, annual_sales=120e9, sector="retail")
        >>> shares = model.allocate(org, pc.Policy(limit=1e9, retention=1e7), 1e8)  # 100M KRW
        >>> round(sum(v for c, v in shares.items() if c != "total")), shares["fines"]
        (100000000, 0.0)
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
            The organisation whose losses are modelled.
        policy : Policy, optional
            The insurance terms; None (the default) gives the ground-up loss.
        method : {"fft", "mc"}
            FFT on a grid (the default), or Monte Carlo through :meth:`simulate`.
        bucket, n_buckets, tail_tol : optional
            FFT grid controls (see :func:`picover.compound`).
            ``bucket`` is the grid of one incident's covered cost, and must
            divide the per-incident retention and limits; the payments, and
            the year's total, lie on ``coinsurance`` times it. ``n_buckets``
            alone sets how many points, and the grid's end still grows to
            the annual terms as an automatic grid's does.
        n_sims, seed : optional
            Monte Carlo controls: simulated years, and a seed that makes them
            reproducible.

        Returns
        -------
        LossDistribution
            Annual loss in :attr:`currency` (KRW for the preset).

        Examples
        --------
        >>> import math, picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> shop = pc.Organisation(records=50_000, annual_sales=5e9, sector="retail")
        >>> ground_up = model.annual_loss(shop)
        >>> math.isclose(ground_up.mean(), model.expected_losses(shop)["total"], rel_tol=1e-9)
        True
        >>> insured = model.annual_loss(shop, pc.Policy(limit=1e8, retention=1e7))
        >>> float(insured.support.max())  # never more than the 100 million KRW limit
        100000000.0
        >>> bool(insured.mean() < ground_up.mean())
        True
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
        dist = annual.fft_loss(self, org, freq, terms, *options)
        annual.warn_off_grid(terms, dist)
        return dist

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
        later = c * payment.covered_mean(self, terms.later, k, w, ctx, terms)
        first = (
            later
            if terms.first == terms.later
            else c * payment.covered_mean(self, terms.first, k, w, ctx, terms)
        )
        p_any = prob_any(freq)
        mean = p_any * first + (freq.mean() - p_any) * later
        return mean, payment.exact_var(self, freq, k, w, ctx, terms, first, later)

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
        return sizing.year_reach(self, self.frequency(org).counts(), terms, k, w, ctx, p)

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
        nodes), so comparing with the FFT checks the quadrature too. Each
        array has one entry per simulated year, in :attr:`currency`; the
        same ``seed`` gives the same years.

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> shop = pc.Organisation(records=50_000, annual_sales=5e9, sector="retail")
        >>> sims = model.simulate(shop, pc.Policy(limit=1e8), n_sims=20_000, seed=1)
        >>> sims.n_sims, sorted(sims.by_category)[:2]
        (20000, ['attorney_fees', 'consolation'])
        >>> insurable = sum(v for c, v in sims.by_category.items() if model.costs[c].insurable)
        >>> bool((sims.insured <= np.minimum(insurable, 1e8)).all())  # within loss and limit
        True
        """
        incidents = self.simulate_incidents(org, n_sims=n_sims, seed=seed)
        by_category = {name: incidents.yearly(c) for name, c in incidents.costs.items()}
        return SimulatedYears(by_category, incidents.payments(self.terms(policy)))

    def simulate_incidents(
        self, org: Organisation, *, n_sims: int = 100_000, seed: Any = None
    ) -> SimulatedIncidents:
        """Simulated incidents, to which any number of policies can then be applied.

        Examples
        --------
        >>> import picover as pc
        >>> model = pc.BreachModel.preset("kr")
        >>> shop = pc.Organisation(records=50_000, annual_sales=5e9, sector="retail")
        >>> inc = model.simulate_incidents(shop, n_sims=20_000, seed=1)
        >>> low, high = (inc.payments(model.terms(pc.Policy(limit=x))) for x in (1e7, 1e8))
        >>> inc.n_sims, bool((low <= high).all())  # the same incidents under two limits (KRW)
        (20000, True)
        """
        from picover.model.simulate import simulate_incidents

        sims = _checks.integer("n_sims", n_sims, low=1)
        return simulate_incidents(self, org, sims, as_generator(seed))


# The nodes() methods that take an array of breakpoints per organisation (a
# subclass overriding nodes() may not).
_PER_ORGANISATION_NODES = {
    size.nodes for size in (PowerLawSize, FixedFractionSize, BetaFractionSize, EmpiricalSize)
}


@attrs.frozen(eq=False)
class SimulatedYears:
    """Simulated years: ground-up cost by category and the insured total (currency units).

    Examples
    --------
    >>> years = SimulatedYears({"consolation": np.array([0.0, 3e8])}, np.array([0.0, 1e8]))
    >>> years.n_sims, float(years.insured.max())  # KRW
    (2, 100000000.0)
    """

    by_category: Mapping[str, FloatArray] = attrs.field(converter=freeze)
    insured: FloatArray

    @property
    def n_sims(self) -> int:
        """The number of simulated years.

        Examples
        --------
        >>> SimulatedYears({"consolation": np.zeros(3)}, np.zeros(3)).n_sims
        3
        """
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

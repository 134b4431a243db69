"""Sensitivity of any output to any parameter: tornado, sweep and elasticity.

A parameter is named by a dotted path: a model parameter
(``"consolation.award"``, ``"frequency.base_rate.retail"``: see
:meth:`BreachModel.parameters`), a policy term (``"policy.retention"``,
``"policy.sublimits.investigation"``), a premium setting
(``"premium.expense_ratio"``, ``"premium.principle.rate"``) or the
organisation's size (``"organisation.records"``, ``"organisation.annual_sales"``).
An unknown path is an error listing the valid ones.

Outputs: ``"premium"`` (gross), ``"pure_premium"`` and ``"expected_insured"``
(the expected insured loss), ``"expected_ground_up"``, ``"p_exhaust"``,
``"rate_on_line"`` and ``"recommended_limit"``. Amounts are in the model's currency.
"""

from __future__ import annotations

import datetime
import difflib
import itertools
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from picover import _checks
from picover._table import Table, format_value
from picover.analysis.progress import checked as checked_progress
from picover.analysis.threads import ordered_map, thread_count
from picover.model import params as _params
from picover.model.breach_model import BreachModel, model_or_preset
from picover.model.exposure import MAX_RECORDS, Organisation
from picover.model.policy import Policy
from picover.model.vectorised import FloatArray, expected_losses_arrays
from picover.pricing.coverage import DEFAULT_LADDER, limits_ladder, recommend_coverage
from picover.pricing.premium import PremiumBasis, premium_basis
from picover.pricing.quote import _as_of, borne, check_history, exhaustion, ground_up_for


@attrs.frozen
class Setting:
    """Everything an output depends on.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> s = pc.sensitivity.Setting(
    ...     org=pc.Organisation(records=40_000, annual_sales=3e9, sector="retail"),
    ...     policy=pc.Policy(limit=5e7), model=pc.BreachModel.preset("kr"),
    ...     premium=pc.PremiumBasis(), as_of=datetime.date(2025, 1, 1))
    >>> s.policy.limit  # KRW
    50000000.0
    >>> ev = pc.sensitivity.evaluate
    >>> ev(s, "expected_insured") < ev(s, "expected_ground_up")  # the policy pays part
    True
    """

    org: Organisation
    policy: Policy
    model: BreachModel
    premium: PremiumBasis
    as_of: datetime.date
    #: The recommendation's exceedance target (see :func:`picover.recommend_coverage`).
    target: float = attrs.field(
        default=0.01,
        converter=_checks.to_float,
        validator=_checks.real(low=0.0, high=1.0, low_open=True, high_open=True),
    )
    #: The limits the recommendation climbs (KRW), increasing.
    ladder: tuple[float, ...] = attrs.field(default=DEFAULT_LADDER, converter=limits_ladder)


def _premium(s: Setting) -> float:
    return s.premium.apply(s.model.annual_loss(s.org, s.policy)).gross


def _insured(s: Setting) -> float:
    return s.model.expected_losses(s.org, s.policy)["total"]


def _p_exhaust(s: Setting) -> float:
    return exhaustion(s.model.annual_loss(s.org, s.policy), s.policy.limit)


def _rate_on_line(s: Setting) -> float:
    problem = output_problem(s, "rate_on_line")
    if problem is not None:
        raise ValueError(problem)
    return _premium(s) / s.policy.limit


def output_problem(setting: Setting, output: str) -> str | None:
    """Why ``output`` has no value under ``setting`` (None when it has one), told
    from the setting alone: a run says so before it prices anything.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> s = pc.sensitivity.Setting(
    ...     org=pc.Organisation(records=40_000, annual_sales=3e9, sector="retail"),
    ...     policy=pc.Policy(), model=pc.BreachModel.preset("kr"),
    ...     premium=pc.PremiumBasis(), as_of=datetime.date(2025, 1, 1))
    >>> pc.sensitivity.output_problem(s, "rate_on_line")  # doctest: +ELLIPSIS
    "output 'rate_on_line' needs a policy with a finite limit (...), not inf"
    >>> pc.sensitivity.output_problem(s, "premium") is None
    True
    """
    if output == "rate_on_line" and math.isinf(setting.policy.limit):
        # Quote reports NaN here; a swing of NaNs would only hide the mistake.
        return (
            "output 'rate_on_line' needs a policy with a finite limit (it is the premium "
            "over the limit), not inf"
        )
    return None


OUTPUTS: dict[str, Callable[[Setting], float]] = {
    "premium": _premium,
    "pure_premium": _insured,
    "expected_insured": _insured,
    # As the quote reports it: with the categories the policy covers by endorsement.
    "expected_ground_up": lambda s: ground_up_for(
        s.model, s.policy, s.model.expected_losses(s.org)
    )["total"],
    "p_exhaust": _p_exhaust,
    "rate_on_line": _rate_on_line,
    "recommended_limit": lambda s: (
        recommend_coverage(
            s.org,
            model=s.model,
            target=s.target,
            ladder=s.ladder,
            premium=s.premium,
            as_of=s.as_of,
        ).limit
    ),
}
#: Outputs that are not amounts of money, and what they are.
UNITLESS = {"p_exhaust": "probability", "rate_on_line": "ratio"}


def unit(output: str, currency: str) -> str:
    """What ``output`` is measured in: the currency, or what it is when it is no amount.

    Examples
    --------
    >>> unit("premium", "KRW"), unit("p_exhaust", "KRW")
    ('KRW', 'probability')
    """
    return UNITLESS.get(output, currency)


def _namespace(s: Setting) -> dict[str, Any]:
    policy: dict[str, Any] = {
        f.name: getattr(s.policy, f.name)
        for f in attrs.fields(Policy)
        if f.name not in ("covers", "investigation", "sublimits")
    }
    # Every covered category may take a sublimit, not only those the policy already has
    # (one on a category it does not pay would be refused).
    policy["sublimits"] = {c: s.policy.sublimit(c) for c in s.policy.covered(s.model.costs)}
    return {"policy": policy, "premium": s.premium}


def parameters(setting: Setting) -> dict[str, Any]:
    """Every parameter a sensitivity run can change, by dotted path, with its value.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> s = pc.sensitivity.Setting(
    ...     org=pc.Organisation(records=40_000, annual_sales=3e9, sector="retail"),
    ...     policy=pc.Policy(limit=5e7), model=pc.BreachModel.preset("kr"),
    ...     premium=pc.PremiumBasis(), as_of=datetime.date(2025, 1, 1))
    >>> p = pc.sensitivity.parameters(s)
    >>> p["consolation.award"], p["policy.limit"], p["organisation.records"]  # KRW, KRW, count
    (100000.0, 50000000.0, 40000)
    """
    out = setting.model.parameters()
    out.update(_params.flatten(_namespace(setting)))
    out["organisation.records"] = setting.org.records
    out["organisation.annual_sales"] = setting.org.annual_sales
    return out


#: The first parts of the paths that name no parameter of the model.
_NOT_MODEL = ("policy", "premium", "organisation")
_ORGANISATION = ("organisation.records", "organisation.annual_sales")


def _is_path(setting: Setting, path: Any) -> bool:
    """Whether ``path`` is a key of :func:`parameters`, found without listing them all."""
    if not isinstance(path, str):
        return False
    if path.startswith("organisation."):
        return path in _ORGANISATION
    if path.split(".")[0] in _NOT_MODEL:
        return _params.is_parameter(_namespace(setting), path)
    return _params.is_parameter(setting.model._namespace(), path)


def apply(setting: Setting, changes: Mapping[str, float]) -> Setting:
    """The setting with parameters changed by dotted path.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> s = pc.sensitivity.Setting(
    ...     org=pc.Organisation(records=40_000, annual_sales=3e9, sector="retail"),
    ...     policy=pc.Policy(limit=5e7), model=pc.BreachModel.preset("kr"),
    ...     premium=pc.PremiumBasis(), as_of=datetime.date(2025, 1, 1))
    >>> s2 = pc.sensitivity.apply(s, {"policy.limit": 1e8, "consolation.award": 2e5})
    >>> s2.policy.limit, s2.model.costs["consolation"].award  # KRW
    (100000000.0, 200000.0)
    >>> s.policy.limit  # the original setting is unchanged
    50000000.0
    >>> pc.sensitivity.apply(s, {"policy.limt": 1e8})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown parameter 'policy.limt'; did you mean policy.limit, ...
    """
    for path in changes:
        if not _is_path(setting, path):
            # Listing every parameter walks every object: only to name the closest.
            valid = parameters(setting)
            close = difflib.get_close_matches(str(path), list(valid), n=4, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"unknown parameter {path!r}{hint} (valid: {', '.join(sorted(valid))})"
            )
    model_changes = {p: v for p, v in changes.items() if p.split(".")[0] not in _NOT_MODEL}
    other = {p: v for p, v in changes.items() if p.split(".")[0] in ("policy", "premium")}
    out = setting
    if model_changes:
        out = attrs.evolve(out, model=out.model.with_params(model_changes))
    if other:
        ns = _params.update(_namespace(out), other)
        terms = dict(ns["policy"])
        terms["sublimits"] = {c: v for c, v in terms["sublimits"].items() if math.isfinite(v)}
        policy = attrs.evolve(out.policy, **terms)
        out = attrs.evolve(out, policy=policy, premium=ns["premium"])
    if "organisation.records" in changes:
        records = _checks.integer(
            "organisation.records", changes["organisation.records"], low=1, high=MAX_RECORDS
        )
        out = attrs.evolve(out, org=attrs.evolve(out.org, records=records))
    if "organisation.annual_sales" in changes:
        sales = _checks.number("organisation.annual_sales", changes["organisation.annual_sales"])
        out = attrs.evolve(out, org=attrs.evolve(out.org, annual_sales=sales))
    return out


def _setting(
    org: Organisation,
    policy: Policy | None,
    model: BreachModel | None,
    premium: PremiumBasis | None,
    as_of: datetime.date | None,
    target: float = 0.01,
    ladder: Sequence[float] = DEFAULT_LADDER,
) -> Setting:
    if not isinstance(org, Organisation):
        raise TypeError(f"org must be a picover Organisation; got {type(org).__name__}")
    if policy is not None and not isinstance(policy, Policy):
        raise TypeError(f"policy must be a picover Policy or None; got {type(policy).__name__}")
    basis = premium_basis(premium)
    day = _as_of(as_of)
    base = model_or_preset(model)
    # As a quote would: a history cannot hold years after the date it is priced on.
    check_history(org, day, base)
    return Setting(
        org=org,
        policy=Policy() if policy is None else policy,
        model=base,
        premium=basis,
        as_of=day,
        target=target,  # checked by Setting
        ladder=ladder,
    )


def evaluate(setting: Setting, output: str) -> float:
    """One output for one setting.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> s = pc.sensitivity.Setting(
    ...     org=pc.Organisation(records=40_000, annual_sales=3e9, sector="retail"),
    ...     policy=pc.Policy(limit=5e7), model=pc.BreachModel.preset("kr"),
    ...     premium=pc.PremiumBasis(), as_of=datetime.date(2025, 1, 1))
    >>> round(pc.sensitivity.evaluate(s, "expected_ground_up"))  # KRW a year
    187117
    >>> pc.sensitivity.evaluate(s, "p_exhaust") < 0.01  # P(the 50 million KRW limit runs out)
    True
    """
    _checks.one_of("output", output, tuple(OUTPUTS))
    return float(OUTPUTS[output](setting))


@attrs.frozen
class Bar:
    """One parameter's bar: the output at the parameter's low and high values.

    Examples
    --------
    >>> bar = Bar("policy.retention", 0.0, 1e7, output_low=1.2e6, output_high=0.9e6)
    >>> bar.swing  # KRW of premium between a retention of 0 and of 10 million KRW
    300000.0
    """

    param: str = attrs.field(validator=_checks.kind(str))
    low: float = attrs.field(converter=_checks.to_float, validator=_checks.real(allow_inf=True))
    high: float = attrs.field(converter=_checks.to_float, validator=_checks.real(allow_inf=True))
    output_low: float = attrs.field(converter=_checks.to_float, validator=_checks.real())
    output_high: float = attrs.field(converter=_checks.to_float, validator=_checks.real())

    @property
    def swing(self) -> float:
        """|output_high - output_low|, in the output's unit (KRW for an amount).

        Examples
        --------
        >>> Bar("consolation.award", 5e4, 3e5, output_low=186_639.0, output_high=189_027.0).swing
        2388.0
        """
        return abs(self.output_high - self.output_low)


@attrs.frozen
class Tornado:
    """One-at-a-time sensitivity: bars sorted by swing, largest first.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> org = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> t = pc.sensitivity.tornado(
    ...     org, params={"consolation.award": (5e4, 3e5), "frequency.modifier": (0.5, 2.0)},
    ...     output="expected_ground_up", as_of=datetime.date(2025, 1, 1))
    >>> round(t.base_value)  # expected ground-up loss at the base point, KRW a year
    187117
    >>> [b.param for b in t.bars]  # the frequency moves the output most
    ['frequency.modifier', 'consolation.award']
    """

    output: str = attrs.field(validator=_checks.kind(str))
    base_value: float = attrs.field(converter=_checks.to_float, validator=_checks.real())
    bars: tuple[Bar, ...] = attrs.field(
        validator=attrs.validators.deep_iterable(_checks.kind(Bar), _checks.kind(tuple))
    )
    #: The unit of money of the outputs (see :func:`unit` for those that are no amounts).
    currency: str = attrs.field(default="KRW", validator=_checks.kind(str))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per bar (with its swing).

        Examples
        --------
        >>> bar = Bar("frequency.modifier", 0.5, 2.0, output_low=9e4, output_high=3.6e5)
        >>> Tornado("expected_ground_up", 1.8e5, (bar,)).to_records()  # outputs in KRW a year
        [{'param': 'frequency.modifier', 'low': 0.5, 'high': 2.0, 'output_low': 90000.0,
          'output_high': 360000.0, 'swing': 270000.0}]
        """
        return [attrs.asdict(b) | {"swing": b.swing} for b in self.bars]

    def table(self) -> Table:
        """The bars as a table, one row each.

        Examples
        --------
        >>> bar = Bar("frequency.modifier", 0.5, 2.0, output_low=9e4, output_high=3.6e5)
        >>> print(Tornado("expected_ground_up", 1.8e5, (bar,)).table())  # outputs in KRW a year
        param               low  high  output_low  output_high    swing
        ------------------  ---  ----  ----------  -----------  -------
        frequency.modifier  0.5     2      90,000      360,000  270,000
        """
        records = self.to_records()
        return Table({k: [r[k] for r in records] for k in records[0]} if records else {})

    def to_pandas(self) -> Any:
        """The bars as a pandas DataFrame (pandas is optional; without it, ImportError).

        Examples
        --------
        >>> bar = Bar("frequency.modifier", 0.5, 2.0, output_low=9e4, output_high=3.6e5)
        >>> try:
        ...     frame = Tornado("expected_ground_up", 1.8e5, (bar,)).to_pandas()
        ... except ImportError:  # pandas not installed: nothing to check
        ...     frame = None
        >>> frame is None or frame["swing"].tolist() == [270_000.0]  # KRW a year
        True
        """
        return _labelled(self.table().to_pandas(), self.output, self.currency)

    def __str__(self) -> str:
        # An amount as the table's amounts are shown (thousands grouped, not 1e+09).
        base = (
            f"{self.base_value:.6g}" if self.output in UNITLESS else format_value(self.base_value)
        )
        return (
            f"{self.output} ({unit(self.output, self.currency)}) at the base point: "
            f"{base}\n{self.table()}"
        )


def range_problem(values: Mapping[str, Any], path: str, low: float, high: float) -> str | None:
    """What is wrong with ``(low, high)`` as a tornado's range for ``path``, in plain
    words (None when nothing is); ``values`` are the parameters at the base point
    (see :func:`parameters`). A bar is drawn about the base point, so a range
    beside it is a slip.

    Examples
    --------
    >>> range_problem({"consolation.award": 1e5}, "consolation.award", 3e5, 1e5)
    'low 300,000 must be below high 100,000'
    >>> range_problem({"consolation.award": 1e5}, "consolation.award", 2e5, 3e5)
    'the range 200,000 to 300,000 must contain the base value, 100,000'
    """
    if not low < high:
        return f"low {_figure(low)} must be below high {_figure(high)}"
    at = float(values[path])
    if not low <= at <= high:
        return (
            f"the range {_figure(low)} to {_figure(high)} must contain the base value, "
            f"{_figure(at)}"
        )
    return None


def _figure(x: float) -> str:
    """A parameter's value in a message: whole amounts with thousands grouped."""
    return f"{x:,.0f}" if x.is_integer() and abs(x) < 1e15 else f"{x:g}"


def tornado(
    org: Organisation,
    policy: Policy | None = None,
    *,
    model: BreachModel | None = None,
    params: Mapping[str, tuple[float, float]],
    output: str = "premium",
    premium: PremiumBasis | None = None,
    as_of: datetime.date | None = None,
    target: float = 0.01,
    ladder: Sequence[float] = DEFAULT_LADDER,
    progress: bool | None = None,
    workers: int | None = None,
) -> Tornado:
    """Move each parameter alone to its low and high value; bars sorted by swing.

    Parameters
    ----------
    org : Organisation
    policy : Policy, optional
        The terms priced; None is an unlimited :class:`~picover.Policy` with no retention.
    model : BreachModel, optional
        Default: the Korean preset.
    params : mapping of str to (float, float)
        Each parameter's dotted path (see the module's docstring) and its low
        and high values, which must contain its value at the base point.
    output : str
        One of ``"premium"`` (gross), ``"pure_premium"``, ``"expected_insured"``,
        ``"expected_ground_up"``, ``"p_exhaust"``, ``"rate_on_line"`` and
        ``"recommended_limit"``: amounts in the model's currency a year,
        ``p_exhaust`` a probability, ``rate_on_line`` a ratio.
    premium : PremiumBasis, optional
        How the premium is built (default :class:`~picover.PremiumBasis`).
    as_of : datetime.date, optional
        The day priced on (default: today).
    target : float, default 0.01
        The exceedance probability ``"recommended_limit"`` aims at (as in
        :func:`~picover.recommend_coverage`).
    ladder : sequence of float
        The limits (KRW) ``"recommended_limit"`` climbs (as in
        :func:`~picover.recommend_coverage`).
    progress : bool, optional
        Show a progress bar (None: when tqdm is installed and on a terminal).
    workers : int, optional
        Threads evaluating settings at once: None or 1 for one, -1 for every
        CPU (see :func:`picover.price_portfolio`); the same numbers.

    Examples
    --------
    >>> import picover as pc
    >>> org = pc.Organisation(records=1_000_000, annual_sales=5e10, sector="retail")
    >>> t = pc.sensitivity.tornado(org, model=pc.BreachModel.preset("kr"),
    ...     params={"consolation.award": (5e4, 3e5), "litigation.q_liable": (0.3, 0.8)},
    ...     output="expected_ground_up")
    >>> [b.param for b in t.bars]
    ['consolation.award', 'litigation.q_liable']
    """
    base = _setting(org, policy, model, premium, as_of, target, ladder)
    _checks.one_of("output", output, tuple(OUTPUTS))
    progress = checked_progress(progress)
    if not isinstance(params, Mapping):
        raise TypeError(
            "params must map each parameter path to a (low, high) pair; got "
            f"{type(params).__name__}"
        )
    if not params:
        raise ValueError("params must name at least one parameter")
    values = _known(base, list(params))
    ranges = {}
    for path, pair in params.items():
        if not (isinstance(pair, Sequence | np.ndarray) and len(pair) == 2):
            raise ValueError(f"params[{path!r}] must be a (low, high) pair; got {pair!r}")
        # Infinity is a value some parameters take (a certain rate: frequency.shape);
        # the model's own checks refuse it where it is not.
        lo = _checks.number(f"params[{path!r}] low", pair[0], allow_inf=True)
        hi = _checks.number(f"params[{path!r}] high", pair[1], allow_inf=True)
        problem = range_problem(values, path, lo, hi)
        if problem is not None:
            raise ValueError(f"params[{path!r}]: {problem}")
        ranges[path] = (lo, hi)
    threads = thread_count(workers)
    # Settings that price alike are priced once: a tornado over every parameter
    # moves, say, the base rates of sectors the organisation is not in.
    settings = [base] + [apply(base, {path: v}) for path, pair in ranges.items() for v in pair]
    _check_defined(settings, output, [""] + [
        f"params[{path!r}] {side} {v:g}" for path, pair in ranges.items()
        for side, v in zip(("low", "high"), pair, strict=True)
    ])  # fmt: skip
    keys: list[tuple[Any, ...]] = []
    first: list[int] = []  # each setting's first alike setting
    for setting in settings:
        key = _pricing_key(setting)
        same = next((i for i, k in enumerate(keys) if k == key), None)
        first.append(len(keys) if same is None else first[same])
        keys.append(key)
    distinct = sorted(set(first))
    priced = ordered_map(
        lambda i: evaluate(settings[i], output), distinct, threads, "tornado", progress
    )
    outs = [dict(zip(distinct, priced, strict=True))[i] for i in first]
    pairs = zip(ranges.items(), outs[1::2], outs[2::2], strict=True)
    bars = [Bar(path, lo, hi, out_lo, out_hi) for (path, (lo, hi)), out_lo, out_hi in pairs]
    bars.sort(key=lambda b: b.swing, reverse=True)
    return Tornado(output, outs[0], tuple(bars), base.model.currency)


#: Outputs that :func:`output_problem` may find undefined.
_UNDEFINED_SOMEWHERE = ("rate_on_line",)


def _check_defined(settings: Sequence[Setting], output: str, labels: Sequence[str]) -> None:
    """Refuse, before any pricing, a run whose ``output`` is undefined at one of
    ``settings``, naming it by its label (none for the base point: the caller's
    own terms)."""
    for setting, label in zip(settings, labels, strict=True):
        problem = output_problem(setting, output)
        if problem is not None:
            raise ValueError(f"{label}: {problem}" if label else problem)


def _pricing_key(setting: Setting) -> tuple[Any, ...]:
    """What a setting's outputs depend on: two settings with equal keys price alike.

    The model enters a quote through the organisation's frequency estimate and
    its other branches; its frequency model's other entries (other sectors'
    base rates) and its labels do not.
    """
    model = setting.model
    rest = tuple(
        getattr(model, f.name)
        for f in attrs.fields(type(model))
        if f.name not in ("frequency_model", "name", "sources")
    )
    return (rest, model.frequency(setting.org), setting.org, setting.policy,
            setting.premium, setting.as_of, setting.target, setting.ladder)  # fmt: skip


@attrs.frozen(eq=False)
class Sweep:
    """A full-factorial grid of parameter values and the output at each point.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> org = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> s = pc.sensitivity.sweep(
    ...     org, grid={"consolation.award": [1e5, 2e5], "frequency.modifier": [1.0, 2.0]},
    ...     output="expected_ground_up", as_of=datetime.date(2025, 1, 1))
    >>> print(s)  # awards per claimant and expected losses in KRW
    expected_ground_up in KRW
    consolation.award  frequency.modifier  expected_ground_up
    -----------------  ------------------  ------------------
              100,000                   1             187,117
              100,000                   2             374,234
              200,000                   1             188,072
              200,000                   2             376,144
    """

    output: str = attrs.field(validator=_checks.kind(str))
    #: One row per grid point: the parameters' values, then the output.
    points: Table = attrs.field(validator=_checks.kind(Table))
    #: The unit of money of the output (see :func:`unit` for those that are no amounts).
    currency: str = attrs.field(default="KRW", validator=_checks.kind(str))

    def table(self) -> Table:
        """The grid points as a table (prints aligned), as every result gives one.

        Examples
        --------
        >>> table = Table({"consolation.award": [1e5, 2e5], "expected_ground_up": [1.87e5, 1.88e5]})
        >>> Sweep("expected_ground_up", table).table()["expected_ground_up"].tolist()  # KRW
        [187000.0, 188000.0]
        """
        return self.points

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per grid point.

        Examples
        --------
        >>> table = Table({"consolation.award": [1e5, 2e5], "expected_ground_up": [1.87e5, 1.88e5]})
        >>> Sweep("expected_ground_up", table).to_records()[1]  # KRW
        {'consolation.award': 200000.0, 'expected_ground_up': 188000.0}
        """
        return self.points.to_records()

    def to_pandas(self) -> Any:
        """The grid and its outputs as a pandas DataFrame (pandas is optional;
        without it, ImportError).

        Examples
        --------
        >>> table = Table({"consolation.award": [1e5, 2e5], "expected_ground_up": [1.87e5, 1.88e5]})
        >>> try:
        ...     frame = Sweep("expected_ground_up", table).to_pandas()
        ... except ImportError:  # pandas not installed: nothing to check
        ...     frame = None
        >>> frame is None or frame["expected_ground_up"].tolist() == [1.87e5, 1.88e5]  # KRW
        True
        """
        return _labelled(self.points.to_pandas(), self.output, self.currency)

    def __str__(self) -> str:
        return f"{self.output} in {unit(self.output, self.currency)}\n{self.points}"


def _labelled(frame: Any, output: str, currency: str) -> Any:
    """``frame`` with what its figures are in ``frame.attrs``, as a book's frame has
    its currency: the output, its unit and the model's currency."""
    frame.attrs.update(output=output, unit=unit(output, currency), currency=currency)
    return frame


def sweep(
    org: Organisation,
    policy: Policy | None = None,
    *,
    model: BreachModel | None = None,
    grid: Mapping[str, Sequence[float]],
    output: str = "premium",
    premium: PremiumBasis | None = None,
    as_of: datetime.date | None = None,
    target: float = 0.01,
    ladder: Sequence[float] = DEFAULT_LADDER,
    progress: bool | None = None,
    workers: int | None = None,
) -> Sweep:
    """The output at every combination of the grid's values.

    An expected loss swept over ``organisation.records`` or
    ``organisation.annual_sales`` is vectorised over the organisations (one
    numpy pass for each setting of the other parameters; equal to the
    point-by-point figures to about 1e-12 relative) wherever the policy pays
    in closed form (:attr:`~picover.Policy.pays_in_closed_form`; always for
    ``expected_ground_up``). Everything else is priced point by point.

    Parameters
    ----------
    org : Organisation
    policy : Policy, optional
        The terms priced; None is an unlimited :class:`~picover.Policy` with no retention.
    model : BreachModel, optional
        Default: the Korean preset.
    grid : mapping of str to sequence of float
        Each parameter's dotted path (see the module's docstring) and the
        values it takes.
    output : str
        One of ``"premium"`` (gross), ``"pure_premium"``, ``"expected_insured"``,
        ``"expected_ground_up"``, ``"p_exhaust"``, ``"rate_on_line"`` and
        ``"recommended_limit"``: amounts in the model's currency a year,
        ``p_exhaust`` a probability, ``rate_on_line`` a ratio.
    premium : PremiumBasis, optional
        How the premium is built (default :class:`~picover.PremiumBasis`).
    as_of : datetime.date, optional
        The day priced on (default: today).
    target : float, default 0.01
        The exceedance probability ``"recommended_limit"`` aims at (as in
        :func:`~picover.recommend_coverage`).
    ladder : sequence of float
        The limits (KRW) ``"recommended_limit"`` climbs (as in
        :func:`~picover.recommend_coverage`).
    progress : bool, optional
        Show a progress bar (None: when tqdm is installed and on a terminal).
    workers : int, optional
        Threads evaluating settings at once: None or 1 for one, -1 for every
        CPU (see :func:`picover.price_portfolio`); the same numbers.

    Examples
    --------
    >>> import picover as pc
    >>> org = pc.Organisation(records=1_000_000, annual_sales=5e10, sector="retail")
    >>> s = pc.sensitivity.sweep(org, grid={"consolation.award": [1e5, 2e5]},
    ...                          output="expected_ground_up")
    >>> len(s.to_records())
    2
    """
    base = _setting(org, policy, model, premium, as_of, target, ladder)
    _checks.one_of("output", output, tuple(OUTPUTS))
    progress = checked_progress(progress)
    if not isinstance(grid, Mapping):
        raise TypeError(
            f"grid must map each parameter path to its values; got {type(grid).__name__}"
        )
    if not grid:
        raise ValueError("grid must name at least one parameter")
    names = list(grid)
    _known(base, names)
    # Infinity is a value some parameters take (no sublimit); the model refuses it elsewhere.
    values = [
        _checks.array(f"grid[{n!r}]", grid[n], ndim=1, allow_inf=True).tolist() for n in names
    ]
    for name, axis in zip(names, values, strict=True):
        if not axis:
            raise ValueError(f"grid[{name!r}] must hold at least one value")
    threads = thread_count(workers)
    points = list(itertools.product(*values))
    if output in _UNDEFINED_SOMEWHERE:
        settings = [apply(base, dict(zip(names, point, strict=True))) for point in points]
        _check_defined(settings, output, [
            "grid point " + ", ".join(f"{n}={v:g}" for n, v in zip(names, point, strict=True))
            for point in points
        ])  # fmt: skip
    if output in _CLOSED_FORM_OUTPUTS and set(names) & set(_ORGANISATION):
        results = _over_organisations(base, names, points, output, threads, progress)
    else:
        results = ordered_map(
            lambda point: evaluate(apply(base, dict(zip(names, point, strict=True))), output),
            points, threads, "sweep", progress,
        )  # fmt: skip
    cols: dict[str, list[float]] = {n: [p[i] for p in points] for i, n in enumerate(names)}
    cols[output] = results
    return Sweep(output, Table(cols), base.model.currency)


#: Outputs that are closed forms over the breach size (for a policy that pays in
#: one: :attr:`picover.Policy.pays_in_closed_form`), so organisations vectorise.
_CLOSED_FORM_OUTPUTS = ("expected_ground_up", "expected_insured", "pure_premium")


def _over_organisations(
    base: Setting,
    names: list[str],
    points: list[tuple[float, ...]],
    output: str,
    threads: int,
    progress: bool | None,
) -> list[float]:
    """A sweep's expected losses with the organisation's record count and sales
    vectorised: one numpy pass over the organisations of each setting of the
    other parameters, as a book of organisations is priced (equal to the
    point-by-point figures to about 1e-12 relative). A setting whose policy
    needs the loss distribution is priced point by point."""
    org_axes = [i for i, n in enumerate(names) if n in _ORGANISATION]
    others = [n for n in names if n not in _ORGANISATION]
    groups: dict[tuple[float, ...], list[int]] = {}
    for j, point in enumerate(points):
        rest = tuple(v for i, v in enumerate(point) if i not in org_axes)
        groups.setdefault(rest, []).append(j)

    def group(item: tuple[tuple[float, ...], list[int]]) -> list[float]:
        rest, rows = item
        setting = apply(base, dict(zip(others, rest, strict=True)))
        # Each organisation as apply builds it, so every value meets the same checks.
        orgs = [apply(setting, {names[i]: points[j][i] for i in org_axes}).org for j in rows]
        if output != "expected_ground_up" and not setting.policy.pays_in_closed_form:
            return [evaluate(attrs.evolve(setting, org=o), output) for o in orgs]
        return [float(x) for x in _expected_arrays(setting, orgs, output)]

    results = [math.nan] * len(points)
    items = list(groups.items())
    for (_, rows), figures in zip(
        items, ordered_map(group, items, threads, "sweep", progress), strict=True
    ):
        for j, figure in zip(rows, figures, strict=True):
            results[j] = figure
    return results


def _expected_arrays(setting: Setting, orgs: list[Organisation], output: str) -> FloatArray:
    """The expected loss (``output``) of each of ``orgs`` under ``setting``, in one pass."""
    model = setting.model
    records = np.array([o.records for o in orgs], dtype=np.float64)
    e = model.frequency_model.size_elasticity
    history = orgs[0].history  # the organisations differ in records and sales only
    incidents = 0.0 if history is None else float(history.total_incidents)
    exposure = np.array([0.0 if o.history is None else o.history.exposure(o.records, e)
                         for o in orgs])  # fmt: skip
    args = (model, records, [o.annual_sales for o in orgs], [o.sector for o in orgs])
    if output == "expected_ground_up":
        # As a quote reports it: with the categories the policy covers by endorsement.
        by_category = expected_losses_arrays(*args, incidents=incidents, exposure=exposure)
        total: FloatArray = np.sum([by_category[c] for c in borne(model, setting.policy)], axis=0)
        return total
    return expected_losses_arrays(
        *args, incidents=incidents, exposure=exposure, policy=setting.policy
    )["total"]


@attrs.frozen
class Elasticity:
    """d log(output) / d log(parameter) at the base point.

    Examples
    --------
    >>> import datetime, picover as pc
    >>> org = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> (e,) = pc.sensitivity.elasticity(org, params=["organisation.records"],
    ...                                  output="expected_ground_up",
    ...                                  as_of=datetime.date(2025, 1, 1))
    >>> e.param, e.value
    ('organisation.records', 40000.0)
    >>> 0 < e.elasticity < 1  # 1% more records: less than 1% more expected loss
    True
    """

    param: str = attrs.field(validator=_checks.kind(str))
    value: float = attrs.field(converter=_checks.to_float, validator=_checks.real())
    elasticity: float = attrs.field(converter=_checks.to_float, validator=_checks.real())


@attrs.frozen
class Elasticities:
    """The elasticities of one output, one per parameter in the order asked.

    Iterates, indexes and unpacks as the tuple of :class:`Elasticity` it holds
    (``items``; it is no tuple itself, and equals only another Elasticities);
    indexing and ``in`` also take a parameter's path. ``to_records``, ``table``
    and ``to_pandas`` give it as every result does.
    Elasticities are ratios of relative changes: they have no unit, whatever the
    output's.

    Examples
    --------
    >>> es = Elasticities("premium", (Elasticity("consolation.award", 1e5, 0.4),))
    >>> es.to_records()
    [{'param': 'consolation.award', 'value': 100000.0, 'elasticity': 0.4}]
    >>> (e,) = es
    >>> e.elasticity, es["consolation.award"].value, "consolation.award" in es
    (0.4, 100000.0, True)
    """

    output: str = attrs.field(validator=_checks.kind(str))
    items: tuple[Elasticity, ...] = attrs.field(validator=_checks.kind(tuple))

    def __iter__(self) -> Iterator[Elasticity]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, key: object) -> bool:
        """A parameter's dotted path (as indexing takes it), or an Elasticity."""
        if isinstance(key, str):
            return any(e.param == key for e in self.items)
        return key in self.items

    def __getitem__(self, key: int | str) -> Elasticity:
        """By position, or by the parameter's dotted path."""
        if isinstance(key, str):
            for e in self.items:
                if e.param == key:
                    return e
            raise KeyError(f"no elasticity to {key!r}; params are {[e.param for e in self]}")
        if isinstance(key, bool) or not isinstance(key, int):
            raise TypeError(
                f"Elasticities are indexed by position (an int) or by a parameter's path "
                f"(a str); got {type(key).__name__} {key!r}"
            )
        return self.items[key]

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per parameter: its path, its value at the base point, the elasticity."""
        return [attrs.asdict(e) for e in self.items]

    def table(self) -> Table:
        """The elasticities as a table, one row per parameter."""
        records = self.to_records()
        return Table({k: [r[k] for r in records] for k in ("param", "value", "elasticity")})

    def to_pandas(self) -> Any:
        """The elasticities as a pandas DataFrame (pandas is optional; without it,
        ImportError), the output named in ``frame.attrs``."""
        frame = self.table().to_pandas()
        frame.attrs.update(output=self.output, unit="elasticity (no unit)")
        return frame

    def __str__(self) -> str:
        return f"elasticity of {self.output} (% change per 1% change)\n{self.table()}"


def elasticity(
    org: Organisation,
    policy: Policy | None = None,
    *,
    model: BreachModel | None = None,
    params: Sequence[str],
    output: str = "premium",
    premium: PremiumBasis | None = None,
    as_of: datetime.date | None = None,
    step: float = 1e-3,
    workers: int | None = None,
) -> Elasticities:
    """Elasticities by central differences in logs: a 1% rise in the parameter moves
    the output by about ``elasticity`` %.

    At a bound of the parameter's range (a coinsurance of 1, a single record)
    the step beyond it is not taken: the difference is one-sided there.
    Where the output jumps or bends at the base point (a statutory band's
    edge, say), the two one-sided differences disagree and a
    ``RuntimeWarning`` gives both. ``"recommended_limit"`` is refused: a
    rung of the ladder, it is a step function of every parameter, whose
    elasticity is 0 or undefined (a tornado or a sweep shows it). So is
    ``"p_exhaust"`` for a limit beyond the grid, where only a bound on it is
    known. Every parameter's steps are checked before any is priced, so a
    value outside a parameter's range is told before any pricing work.

    Parameters
    ----------
    org : Organisation
    policy : Policy, optional
        The terms priced; None is an unlimited :class:`~picover.Policy` with no retention.
    model : BreachModel, optional
        Default: the Korean preset.
    params : sequence of str
        The parameters' dotted paths (see the module's docstring).
    output : str
        One of ``"premium"`` (gross), ``"pure_premium"``, ``"expected_insured"``,
        ``"expected_ground_up"``, ``"p_exhaust"``, ``"rate_on_line"`` and
        ``"recommended_limit"``: amounts in the model's currency a year,
        ``p_exhaust`` a probability, ``rate_on_line`` a ratio.
    premium : PremiumBasis, optional
        How the premium is built (default :class:`~picover.PremiumBasis`).
    as_of : datetime.date, optional
        The day priced on (default: today).
    step : float, default 1e-3
        The relative step each way, in (0, 0.5].
    workers : int, optional
        Threads evaluating settings at once: None or 1 for one, -1 for every
        CPU (see :func:`picover.price_portfolio`); the same numbers.

    Examples
    --------
    >>> import picover as pc
    >>> org = pc.Organisation(records=1_000_000, annual_sales=5e10, sector="retail")
    >>> (e,) = pc.sensitivity.elasticity(org, params=["frequency.modifier"],
    ...                                  output="expected_ground_up")
    >>> round(e.elasticity, 6)  # expected losses are proportional to the frequency
    1.0
    """
    base = _setting(org, policy, model, premium, as_of)
    _checks.one_of("output", output, tuple(OUTPUTS))
    if output == "recommended_limit":
        raise ValueError(
            "output 'recommended_limit' has no elasticity: a rung of the ladder, it is a step "
            "function of every parameter (0 or undefined); use tornado or sweep to see it move"
        )
    if output == "p_exhaust":
        loss = base.model.annual_loss(base.org, base.policy)
        if loss.tail_mass > 0 and base.policy.limit > loss.tail_from:
            # Only a bound is known there: its log slope would be the grid's noise.
            raise ValueError(
                f"output 'p_exhaust' has no elasticity here: the limit "
                f"({base.policy.limit:,.6g}) lies beyond the grid, which ends at "
                f"{loss.tail_from:,.6g}, so P(exhausted) is known only as a bound "
                f"({loss.tail_mass:.3g}); the limit is all but never reached"
            )
    eps = _checks.number("step", step, low=0.0, high=0.5, low_open=True)
    if isinstance(params, str):
        raise TypeError(f"params must be a list of parameter paths; got the string {params!r}")
    paths = list(params)
    if not paths:
        raise ValueError("params must name at least one parameter")
    values = _known(base, paths)
    threads = thread_count(workers)
    # The settings first (a value outside a parameter's range is known before any
    # pricing), then every output at once.
    steps = []
    for path in paths:
        x = float(values[path])
        if x == 0 or not math.isfinite(x):
            raise ValueError(f"the elasticity to {path!r} is undefined at {x}")
        x_up, x_down = x * (1 + eps), x * (1 - eps)
        if path == "organisation.records":  # a count: step to whole numbers
            x_up, x_down = float(max(round(x_up), x + 1)), float(min(round(x_down), x - 1))
        ends = [(v, _within(base, path, v)) for v in (x_down, x_up)]
        # At a bound of the parameter's range, a one-sided difference.
        (x_down, down), (x_up, up) = [(v, s) if s is not None else (x, base) for v, s in ends]
        if x_down == x_up:
            raise ValueError(
                f"the elasticity to {path!r} at {x:g}: neither {ends[0][0]:g} nor "
                f"{ends[1][0]:g} is a valid value of it"
            )
        steps.append((path, x, x_down, x_up, down, up))
    # Each distinct setting priced once: the base point stands for every end at a
    # bound, and is wanted for the smoothness check of every two-sided difference.
    distinct = {id(s): s for *_, down, up in steps for s in (down, up)}
    if any(x_down < x < x_up for _, x, x_down, x_up, *_ in steps):
        distinct[id(base)] = base
    priced = ordered_map(lambda s: evaluate(s, output), list(distinct.values()), threads,
                         "elasticity")  # fmt: skip
    y = dict(zip(distinct, priced, strict=True))
    out = []
    for path, x, x_down, x_up, down, up in steps:
        y_down, y_up = y[id(down)], y[id(up)]
        if y_up <= 0 or y_down <= 0:
            raise ValueError(f"{output} is not positive near {path}={x:g}: no log elasticity")
        e = (math.log(y_up) - math.log(y_down)) / (math.log(x_up) - math.log(x_down))
        if x_down < x < x_up:
            _check_smooth(path, x, output, (x_down, x_up), (y_down, y_up), y[id(base)])
        out.append(Elasticity(path, x, e))
    return Elasticities(output, tuple(out))


def _check_smooth(
    path: str,
    x: float,
    output: str,
    xs: tuple[float, float],
    ys: tuple[float, float],
    y: float,
) -> None:
    """Warn when the one-sided log differences below and above ``x`` disagree
    by more than a tenth (or 0.01): the output jumps or bends there, and no
    single elasticity describes it."""
    if y <= 0:
        return
    below = (math.log(y) - math.log(ys[0])) / (math.log(x) - math.log(xs[0]))
    above = (math.log(ys[1]) - math.log(y)) / (math.log(xs[1]) - math.log(x))
    if abs(above - below) > 0.1 * max(abs(above), abs(below)) + 0.01:
        warnings.warn(
            f"{output} is not smooth in {path} at {x:g}: its elasticity is {below:.6g} "
            f"just below and {above:.6g} just above (a jump or a bend, such as a sublimit "
            "where a cost ends, or an output the grid resolves only to its bucket); the "
            "central figure averages them",
            RuntimeWarning,
            stacklevel=3,
        )


def _known(base: Setting, paths: Sequence[str]) -> dict[str, Any]:
    """Every parameter's value at the base point, once each path is checked (an
    unknown one is an error listing the valid ones)."""
    values = parameters(base)
    for path in paths:
        apply(base, {path: values.get(path, 0.0)})
    return values


def _within(base: Setting, path: str, value: float) -> Setting | None:
    """The setting with ``path`` at ``value``, or None when the value lies outside
    the parameter's range (its own check refuses it)."""
    try:
        return apply(base, {path: value})
    except ValueError:
        return None

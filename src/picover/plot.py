"""Figures of quotes, loss distributions, offers and tornado charts (an optional extra).

This module needs matplotlib, which picover does not install by default::

    pip install 'picover[plot]'

Every function returns a :class:`matplotlib.figure.Figure` built directly
(``Figure(...)``, not ``pyplot``): nothing is shown, no backend is chosen and
no global setting (``rcParams``) is changed, so the functions are safe in
servers, notebooks and tests alike. Save a figure with ``fig.savefig(path)``
(PNG, SVG, PDF, ... by the file's extension). Pass ``ax=`` to draw into axes
of a figure of your own instead; the figure returned is then that one.

Amounts are in the distribution's currency (KRW for the Korean preset); tick
labels abbreviate them: K thousand, M million, B billion, T trillion.
matplotlib is imported only when a function is called, so importing this
module costs nothing.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from picover.analysis.sensitivity import Tornado
from picover.engine.lossdist import LossDistribution
from picover.pricing.compare import Comparison
from picover.pricing.quote import Quote

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["breakdown", "exceedance", "offers", "quote_figure", "tornado"]

MISSING = "picover.plot needs matplotlib: pip install 'picover[plot]'"

#: Size of a one-panel figure in inches (at matplotlib's default 100 dpi, 720 x 450 pixels).
FIGSIZE = (7.2, 4.5)
#: Survival probabilities below this are rounding noise of the FFT, not drawn.
SF_FLOOR = 1e-12
#: Outputs of :func:`picover.sensitivity.tornado` that are not amounts.
_UNITLESS = {"p_exhaust": "probability", "rate_on_line": "premium / limit"}

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def _require() -> None:
    """Import matplotlib or raise ImportError saying how to install it."""
    try:
        # The package first: a submodule already imported would be found even
        # when the package itself is hidden.
        importlib.import_module("matplotlib")
        importlib.import_module("matplotlib.figure")
    except ImportError as exc:
        raise ImportError(MISSING) from exc


def _short(x: float) -> str:
    """An amount with a K/M/B/T suffix: 2.5e8 -> '250M', 1e9 -> '1B', 0.02 -> '0.02'."""
    if not math.isfinite(x):
        return str(x)
    for value, suffix in _SUFFIXES:
        if abs(x) >= value:
            return f"{x / value:.4g}{suffix}"
    return f"{x:.4g}"


def _amount_axis(axis: Any) -> None:
    """Tick labels of an amount axis (linear or log) as short amounts."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda x, _pos: _short(x)))
    if axis.get_scale() == "log":
        axis.set_minor_formatter(NullFormatter())
        low, high = sorted(axis.get_view_interval())
        if low > 0 and high / low < 100:  # two decades or less: label 1, 2 and 5 of each
            axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))


def _new(ax: Axes | None, figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    """The figure and axes to draw on: ``ax``'s own, or a new figure of one panel."""
    _require()
    from matplotlib.figure import Figure, SubFigure

    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    owner = ax.get_figure()
    while isinstance(owner, SubFigure):
        owner = owner.get_figure()
    if not isinstance(owner, Figure):
        raise ValueError("ax must belong to a figure")
    return owner, ax


def exceedance(
    quote_or_dist: Quote | LossDistribution,
    *,
    ax: Axes | None = None,
    limit: float | None = None,
    retention: float | None = None,
    levels: Sequence[float] = (0.99, 0.995),
) -> Figure:
    """The loss exceedance curve P(annual loss > x) on log-log axes.

    Parameters
    ----------
    quote_or_dist : Quote or LossDistribution
        A quote (its insured loss ``quote.loss`` is drawn, and its policy's
        aggregate limit and per-incident retention are marked) or a loss
        distribution.
    ax : matplotlib Axes, optional
        Axes to draw on; by default a new figure.
    limit, retention : float, optional
        Amounts to mark as vertical lines (currency units); for a quote they
        replace the policy's. Zero or infinite amounts are not drawn.
    levels : sequence of float
        Levels in (0, 1) whose value at risk (dashed) and tail value at risk
        (dotted) are marked. A VaR or TVaR of 0, which a log axis cannot
        show, or one beyond the distribution's grid (so unknown) is given in
        the legend only.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    A loss of 0 has no place on a log axis: the probability of any loss at
    all, P(loss > 0), is given in the title instead (on an FFT grid, of a
    loss of about half a bucket or more: smaller ones share the point 0).
    When part of the distribution lies beyond its grid (``dist.tail_mass >
    0``) the curve ends at ``dist.tail_from``.

    Examples
    --------
    >>> import picover as pc
    >>> from picover import plot
    >>> d = pc.LossDistribution([0, 1e6, 5e6], [0.9, 0.08, 0.02])
    >>> fig = plot.exceedance(d, limit=4e6)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_xscale()
    ('loss (KRW)', 'log')
    """
    if isinstance(quote_or_dist, Quote):
        dist = quote_or_dist.loss
        limit = quote_or_dist.policy.limit if limit is None else limit
        retention = quote_or_dist.policy.retention if retention is None else retention
        title = "Insured annual loss"
        if quote_or_dist.organisation.name:
            title += f": {quote_or_dist.organisation.name}"
    elif isinstance(quote_or_dist, LossDistribution):
        dist = quote_or_dist
        title = "Annual loss"
    else:
        raise TypeError(
            f"expected a Quote or a LossDistribution; got {type(quote_or_dist).__name__}"
        )
    fig, ax = _new(ax)
    cur = dist.currency

    atoms = dist.support[(dist.support > 0) & (dist.support <= dist.tail_from)]
    # P(loss > x) is constant from one atom to the next: a step after each atom,
    # and before the first one the probability of any loss (from half that atom).
    xs = np.concatenate([atoms[:1] / 2, atoms])
    ys = np.concatenate([[dist.sf(0.0)], np.asarray(dist.sf(atoms), dtype=np.float64)])
    n = int(np.count_nonzero(ys > SF_FLOOR))  # sf decreases: the first n are drawn
    if n and atoms.size:
        xs, ys = xs[: n + 1], ys[:n]
        if xs.size > n:  # the last level drawn lasts up to the next atom, then drops away
            ys = np.append(ys, ys[-1])
        ax.step(xs, ys, where="post", color="tab:blue", lw=1.5, label="P(loss > x)")
    else:
        empty = "no loss above 0" if n == 0 else "all loss lies beyond the grid"
        ax.text(0.5, 0.5, empty, ha="center", va="center", transform=ax.transAxes)
        ax.set_xlim(1.0, 10.0)
        ax.set_ylim(1e-3, 1.0)
    ax.set_xscale("log")
    ax.set_yscale("log")

    for amount, label, colour in ((limit, "limit", "black"), (retention, "retention", "grey")):
        if amount is not None and math.isfinite(amount) and amount > 0:
            ax.axvline(amount, color=colour, lw=1.2, label=f"{label} {_short(amount)} {cur}")

    colours = ("tab:red", "tab:purple", "tab:green", "tab:brown", "tab:olive")
    for i, q in enumerate(levels):
        colour = colours[i % len(colours)]
        for what, measure, ls in (("VaR", dist.ppf, "--"), ("TVaR", dist.tvar, ":")):
            try:
                value = float(measure(q))
            except ValueError:  # the quantile lies beyond the grid: unknown
                value = math.nan
            shown = f"{_short(value)} {cur}" if math.isfinite(value) else "beyond the grid"
            label = f"{what} {100 * q:g}%: {shown}"
            if value > 0:
                ax.axvline(value, color=colour, ls=ls, lw=1.2, label=label)
            else:  # 0 (not drawable on a log axis) or unknown: a legend entry only
                ax.plot([], [], color=colour, ls=ls, lw=1.2, label=label)

    p_any = float(dist.sf(0.0))
    ax.set_title(f"{title} (P(loss > 0) = {p_any:.3g})")
    ax.set_xlabel(f"loss ({cur})")
    ax.set_ylabel("P(annual loss > x)")
    _amount_axis(ax.xaxis)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return fig


def _label(name: str) -> str:
    return name.replace("_", " ")


def breakdown(quote: Quote, *, ax: Axes | None = None) -> Figure:
    """Expected annual loss by cost category, ground-up beside insured.

    Parameters
    ----------
    quote : Quote
        Its ``expected_ground_up`` and ``expected_insured`` are drawn (the
        ``"total"`` entry is left out). A category with a ground-up loss but
        nothing insured (penalty surcharges) is labelled "not insured".
    ax : matplotlib Axes, optional
        Axes to draw on; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import datetime
    >>> import picover as pc
    >>> from picover import plot
    >>> q = pc.quote(pc.Organisation(records=30_000, annual_sales=3e9, sector="retail"),
    ...              pc.Policy(limit=1e8), as_of=datetime.date(2025, 1, 1))
    >>> fig = plot.breakdown(q)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()][:2]
    ['investigation', 'attorney fees']
    """
    if not isinstance(quote, Quote):
        raise TypeError(f"expected a Quote; got {type(quote).__name__}")
    fig, ax = _new(ax)
    cur = quote.currency
    names = [n for n in quote.expected_ground_up if n != "total"]
    ground = [quote.expected_ground_up[n] for n in names]
    insured = [quote.expected_insured.get(n, 0.0) for n in names]
    pos = np.arange(len(names), dtype=np.float64)
    height = 0.38
    ax.barh(pos - height / 2, ground, height, color="tab:grey", label="ground-up")
    ax.barh(pos + height / 2, insured, height, color="tab:blue", label="insured")
    for p, g, i in zip(pos, ground, insured, strict=True):
        if g > 0 and i == 0:
            ax.text(0, p + height / 2, " not insured", va="center", fontsize="small")
    ax.set_yticks(pos, [_label(n) for n in names])
    ax.invert_yaxis()  # first category on top
    ax.set_xlabel(f"expected annual loss ({cur})")
    outside = f", without {', '.join(quote.outside_total)}" if quote.outside_total else ""
    # Two lines: on one, the totals and what they leave out ran past the figure's edge.
    ax.set_title(
        f"Expected loss by category ({cur} a year{outside}):\n"
        f"{_short(quote.expected_ground_up['total'])} ground-up, "
        f"{_short(quote.expected_insured['total'])} insured"
    )
    _amount_axis(ax.xaxis)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return fig


def quote_figure(quote: Quote) -> Figure:
    """One figure for a quote: the exceedance curve (left) and the breakdown (right).

    This is the figure that the command line's ``quote --plot FILE`` saves.

    Examples
    --------
    >>> import datetime
    >>> import picover as pc
    >>> from picover import plot
    >>> q = pc.quote(pc.Organisation(records=30_000, annual_sales=3e9, sector="retail"),
    ...              pc.Policy(limit=1e8), as_of=datetime.date(2025, 1, 1))
    >>> len(plot.quote_figure(q).axes)
    2
    """
    if not isinstance(quote, Quote):
        raise TypeError(f"expected a Quote; got {type(quote).__name__}")
    _require()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2 * FIGSIZE[0], FIGSIZE[1] + 0.5), layout="constrained")
    left, right = fig.subplots(1, 2, squeeze=True)
    exceedance(quote, ax=left)
    breakdown(quote, ax=right)
    org, p = quote.organisation, quote.policy
    who = org.name or f"{org.records:,} records, {org.sector}"
    limit = f"limit {_short(p.limit)}" if math.isfinite(p.limit) else "no limit"
    fig.suptitle(
        f"{who}: {limit}, retention {_short(p.retention)}, "
        f"gross premium {_short(quote.premium.gross)} ({quote.currency})"
    )
    return fig


def offers(comparison: Comparison, *, ax: Axes | None = None) -> Figure:
    """Offers side by side: premium, expected recovery and expected retained loss.

    Each insurer gets three bars; its value ratio (expected recovery per unit
    of premium) is written above them. An offer whose limit is below the
    statutory minimum (``compliant`` False) has hatched bars and its name
    marked "below statutory minimum".

    Parameters
    ----------
    comparison : Comparison
        The result of :func:`picover.compare`, in its row order.
    ax : matplotlib Axes, optional
        Axes to draw on; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import datetime
    >>> import picover as pc
    >>> from picover import plot
    >>> org = pc.Organisation(records=30_000, annual_sales=3e9, sector="retail")
    >>> rows = pc.compare(org, [pc.Offer("Hana", pc.Policy(limit=1e8), premium=2e6),
    ...                         pc.Offer("Minju", pc.Policy(limit=3e7), premium=1e6)],
    ...                   as_of=datetime.date(2025, 1, 1))
    >>> fig = plot.offers(rows)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['Hana', 'Minju\\n(below statutory minimum)']
    """
    if not isinstance(comparison, Comparison):
        raise TypeError(f"expected a Comparison; got {type(comparison).__name__}")
    rows = list(comparison)
    if not rows:
        raise ValueError("the comparison has no offers to plot")
    fig, ax = _new(ax, figsize=(FIGSIZE[0] + 1.5, FIGSIZE[1]))
    cur = comparison.currency
    pos = np.arange(len(rows), dtype=np.float64)
    width = 0.26
    series = (
        ("premium", "premium", "tab:orange"),
        ("expected_recovery", "expected recovery", "tab:blue"),
        ("expected_retained", "expected retained", "tab:grey"),
    )
    hatches = ["//" if r.compliant is False else "" for r in rows]
    for k, (field, label, colour) in enumerate(series):
        values = [float(getattr(r, field)) for r in rows]
        bars = ax.bar(pos + (k - 1) * width, values, width, color=colour, label=label)
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
    tops = [max(r.premium, r.expected_recovery, r.expected_retained) for r in rows]
    for p, r, top in zip(pos, rows, tops, strict=True):
        ax.annotate(
            f"value ratio {r.value_ratio:.3g}",
            (p, top),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="small",
        )
    names = [
        r.insurer + ("\n(below statutory minimum)" if r.compliant is False else "") for r in rows
    ]
    ax.set_xticks(pos, names)
    for tick, r in zip(ax.get_xticklabels(), rows, strict=True):
        if r.compliant is False:
            tick.set_color("tab:red")
    handles, labels = ax.get_legend_handles_labels()
    if any(hatches):
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//"))
        labels.append("below the statutory minimum")
    ax.set_ylabel(f"amount a year ({cur})")
    ax.set_title(f"Offers compared (expected amounts a year, {cur})")
    ax.margins(y=0.15)
    _amount_axis(ax.yaxis)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    return fig


def tornado(tornado: Tornado, *, ax: Axes | None = None) -> Figure:
    """A tornado chart: how far each parameter alone moves the output.

    Bars are sorted by swing, the largest on top. Each parameter's bar runs
    from the base value (the vertical line) to the output at the parameter's
    low value (blue) and at its high value (orange); the ends are labelled
    with those parameter values.

    Parameters
    ----------
    tornado : Tornado
        The result of :func:`picover.sensitivity.tornado`.
    ax : matplotlib Axes, optional
        Axes to draw on; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import datetime
    >>> import picover as pc
    >>> from picover import plot
    >>> org = pc.Organisation(records=30_000, annual_sales=3e9, sector="retail")
    >>> t = pc.sensitivity.tornado(org, output="expected_ground_up",
    ...     params={"consolation.award": (5e4, 3e5), "breach_size.p_total": (0.02, 0.3)},
    ...     as_of=datetime.date(2025, 1, 1))
    >>> fig = plot.tornado(t)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['breach_size.p_total', 'consolation.award']
    """
    if not isinstance(tornado, Tornado):
        raise TypeError(f"expected a Tornado; got {type(tornado).__name__}")
    if not tornado.bars:
        raise ValueError("the tornado has no bars to plot")
    bars = sorted(tornado.bars, key=lambda b: b.swing, reverse=True)
    fig, ax = _new(ax, figsize=(FIGSIZE[0], max(FIGSIZE[1], 1.2 + 0.45 * len(bars))))
    base = tornado.base_value
    pos = np.arange(len(bars), dtype=np.float64)
    for end, colour in (("low", "tab:blue"), ("high", "tab:orange")):
        outs = np.array([getattr(b, f"output_{end}") for b in bars], dtype=np.float64)
        label = f"parameter at its {end} value"
        ax.barh(pos, outs - base, 0.6, left=base, color=colour, alpha=0.85, label=label)
        for p, b, out in zip(pos, bars, outs, strict=True):
            right = out > base or (out == base and end == "high")
            ax.annotate(
                _short(getattr(b, end)),
                (out, p),
                xytext=(3 if right else -3, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize="small",
            )
    ax.axvline(base, color="black", lw=1.2, label=f"base {_short(base)}")
    ax.set_yticks(pos, [b.param for b in bars])
    ax.invert_yaxis()  # largest swing on top
    unit = _UNITLESS.get(tornado.output)
    ax.set_xlabel(f"{_label(tornado.output)} ({unit or 'KRW'})")
    if unit is None:
        _amount_axis(ax.xaxis)
    ax.margins(x=0.2)
    ax.set_title(f"Sensitivity of {_label(tornado.output)}, one parameter at a time")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return fig

"""picover.plot: every figure renders to valid PNG and SVG files and changes nothing global."""

from __future__ import annotations

import copy
import datetime
import io
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import picover as pc
from picover.analysis.sensitivity import Bar, Tornado

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from picover import plot  # noqa: E402

DAY = datetime.date(2025, 1, 1)
SMALL = pc.LossDistribution([0, 1e6, 5e6], [0.9, 0.08, 0.02])
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def shop() -> pc.Organisation:
    return pc.Organisation(records=30_000, annual_sales=3e9, sector="retail", name="shop")


@pytest.fixture(scope="module")
def quote(shop: pc.Organisation) -> Any:
    return pc.quote(shop, pc.Policy(limit=1e8, retention=1e6), as_of=DAY)


@pytest.fixture(scope="module")
def comparison(shop: pc.Organisation) -> pc.Comparison:
    return pc.compare(
        shop,
        [
            pc.Offer("Hana", pc.Policy(limit=1e8, retention=1e6), premium=2e6),
            pc.Offer("Minju", pc.Policy(limit=3e7), premium=1e6),  # below the 50M minimum
        ],
        as_of=DAY,
    )


@pytest.fixture(scope="module")
def tornado_result(shop: pc.Organisation) -> Tornado:
    return pc.sensitivity.tornado(
        shop,
        pc.Policy(limit=1e8),
        params={
            "consolation.award": (5e4, 3e5),
            "breach_size.p_total": (0.02, 0.3),
            "policy.retention": (0.0, 5e6),
        },
        output="premium",
        as_of=DAY,
    )


@pytest.fixture(scope="module")
def figures(
    quote: Any, comparison: pc.Comparison, tornado_result: Tornado
) -> dict[str, Callable[[], Figure]]:
    """Builders of every kind of figure, keyed by a name for the test ids."""
    unlimited = pc.quote(
        pc.Organisation(records=30_000, annual_sales=3e9, sector="retail"), pc.Policy(), as_of=DAY
    )
    return {
        "exceedance_quote": lambda: plot.exceedance(quote),
        "exceedance_unlimited_quote": lambda: plot.exceedance(unlimited),
        "exceedance_dist": lambda: plot.exceedance(SMALL, limit=4e6, retention=5e5),
        "breakdown": lambda: plot.breakdown(quote),
        "quote_figure": lambda: plot.quote_figure(quote),
        "offers": lambda: plot.offers(comparison),
        "tornado": lambda: plot.tornado(tornado_result),
    }


KINDS = [
    "exceedance_quote",
    "exceedance_unlimited_quote",
    "exceedance_dist",
    "breakdown",
    "quote_figure",
    "offers",
    "tornado",
]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("kind", KINDS)
def test_figure_renders_to_png_and_svg(kind: str, figures: dict[str, Any], tmp_path: Path) -> None:
    fig = figures[kind]()
    assert isinstance(fig, Figure)
    png, svg = tmp_path / f"{kind}.png", tmp_path / f"{kind}.svg"
    fig.savefig(png)
    fig.savefig(svg)
    assert png.is_file()
    assert svg.is_file()
    width, height = png_size(png)
    assert 300 <= width <= 4000
    assert 300 <= height <= 4000
    assert png.stat().st_size > 5_000
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text
    assert svg.stat().st_size > 5_000
    _titles_fit(fig)


def _titles_fit(fig: Figure) -> None:
    # As saved: the layout is redone on saving, and a plain draw can fit where it does not.
    fig.savefig(io.BytesIO(), format="png")
    box = fig.bbox
    for ax in fig.axes:
        title = ax.title
        if title.get_text():
            extent = title.get_window_extent()
            assert box.x0 - 1 <= extent.x0, title.get_text()
            assert extent.x1 <= box.x1 + 1, title.get_text()


def test_a_long_breakdown_title_stays_within_the_figure() -> None:
    # The retailer's totals leave its fines out: on one line, the title ran off the
    # figure's right edge.
    from picover.files import read

    case = read(Path(__file__).resolve().parents[1] / "examples" / "retailer.toml")
    q = pc.quote(case.organisation, case.policy, premium=case.premium, as_of=DAY)
    assert q.outside_total
    _titles_fit(plot.quote_figure(q))


def test_nothing_global_changes(figures: dict[str, Any], tmp_path: Path) -> None:
    backend = matplotlib.get_backend()
    before = copy.deepcopy(dict(matplotlib.rcParams))
    for kind in KINDS:
        figures[kind]().savefig(tmp_path / f"{kind}.png")
    assert dict(matplotlib.rcParams) == before
    assert matplotlib.get_backend() == backend


def test_no_pyplot_and_a_lazy_import() -> None:
    # In a fresh interpreter: importing picover.plot does not import matplotlib,
    # and drawing every figure never imports pyplot (which would pick a backend).
    code = textwrap.dedent(
        """
        import sys
        import picover as pc
        from picover import plot
        assert "matplotlib" not in sys.modules, "import picover.plot imported matplotlib"
        plot.exceedance(pc.LossDistribution([0, 1e6, 5e6], [0.9, 0.08, 0.02]))
        assert "matplotlib" in sys.modules
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_missing_matplotlib_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, quote: Any, comparison: pc.Comparison
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    message = "picover.plot needs matplotlib: pip install 'picover[plot]'"
    for draw in (
        lambda: plot.exceedance(SMALL),
        lambda: plot.breakdown(quote),
        lambda: plot.quote_figure(quote),
        lambda: plot.offers(comparison),
    ):
        with pytest.raises(ImportError) as info:
            draw()
        assert str(info.value) == message


def test_exceedance_marks_the_policy_and_the_risk_measures(quote: Any) -> None:
    ax = plot.exceedance(quote).axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert "limit 100M KRW" in labels
    assert "retention 1M KRW" in labels
    for q in (0.99, 0.995):
        var, tvar = float(quote.loss.ppf(q)), float(quote.loss.tvar(q))
        assert f"VaR {100 * q:g}%: {plot._short(var)} KRW" in labels
        assert f"TVaR {100 * q:g}%: {plot._short(tvar)} KRW" in labels
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlabel() == "loss (KRW)"
    # The curve is P(loss > x) at the atoms above 0, up to the last with a positive value.
    (curve,) = [line for line in ax.get_lines() if line.get_label() == "P(loss > x)"]
    x, y = curve.get_xdata(), curve.get_ydata()
    assert x[0] > 0
    assert y[0] == pytest.approx(float(quote.loss.sf(0.0)))
    assert y[-1] == pytest.approx(quote.p_exhaust)


def test_exceedance_stops_where_the_grid_ends() -> None:
    # Half a percent of probability lies beyond 1e7: the curve stops there, and
    # the 99.9% VaR and TVaR, which depend on how that tail is spread, are
    # reported as unknown rather than drawn.
    d = pc.LossDistribution(
        [0.0, 1e6, 1e7, 5e7], [0.9, 0.09, 0.005, 0.005], tail_mass=0.005, tail_from=1e7
    )
    ax = plot.exceedance(d, levels=(0.95, 0.999)).axes[0]
    (curve,) = [line for line in ax.get_lines() if line.get_label() == "P(loss > x)"]
    assert max(curve.get_xdata()) <= 1e7
    labels = ax.get_legend_handles_labels()[1]
    assert "VaR 99.9%: beyond the grid" in labels
    assert "TVaR 99.9%: beyond the grid" in labels
    assert "VaR 95%: 1M KRW" in labels
    assert f"TVaR 95%: {plot._short(float(d.tvar(0.95)))} KRW" in labels


def test_exceedance_of_no_loss_at_all() -> None:
    fig = plot.exceedance(pc.LossDistribution([0.0], [1.0]))
    assert "no loss above 0" in [t.get_text() for t in fig.axes[0].texts]


def test_breakdown_leaves_out_the_total(quote: Any) -> None:
    ax = plot.breakdown(quote).axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == [n.replace("_", " ") for n in quote.expected_ground_up if n != "total"]
    widths = sorted(p.get_width() for p in ax.patches)
    expected = sorted(
        [v for k, v in quote.expected_ground_up.items() if k != "total"]
        + [quote.expected_insured.get(k, 0.0) for k in quote.expected_ground_up if k != "total"]
    )
    assert widths == pytest.approx(expected)


def test_offers_annotates_value_and_marks_non_compliance(comparison: pc.Comparison) -> None:
    ax = plot.offers(comparison).axes[0]
    texts = [t.get_text() for t in ax.texts]
    for row in comparison:
        assert f"value ratio {row.value_ratio:.3g}" in texts
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["Hana", "Minju\n(below statutory minimum)"]
    assert "below the statutory minimum" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(ax.patches) == 3 * len(comparison)


def test_tornado_largest_swing_on_top() -> None:
    t = Tornado(
        "premium",
        100.0,
        (
            Bar("a", 1.0, 2.0, 95.0, 105.0),  # swing 10
            Bar("b", 0.1, 0.9, 80.0, 130.0),  # swing 50
            Bar("c", 3.0, 4.0, 99.0, 100.0),  # swing 1
        ),
    )
    ax = plot.tornado(t).axes[0]
    # y is inverted: the first tick is drawn on top.
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["b", "a", "c"]
    assert ax.yaxis_inverted()
    (base,) = [line for line in ax.get_lines() if line.get_label().startswith("base")]
    assert list(base.get_xdata()) == [100.0, 100.0]
    assert {"0.1", "0.9", "1", "2", "3", "4"} <= {tx.get_text() for tx in ax.texts}


def test_drawing_into_given_axes_returns_that_figure(quote: Any) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot.exceedance(quote, ax=left) is fig
    assert plot.breakdown(quote, ax=right) is fig
    assert len(fig.axes) == 2


def test_wrong_inputs_are_refused(quote: Any) -> None:
    with pytest.raises(TypeError, match="Quote or a LossDistribution"):
        plot.exceedance([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Quote"):
        plot.breakdown(SMALL)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no offers"):
        plot.offers(pc.Comparison(()))
    with pytest.raises(ValueError, match="no bars"):
        plot.tornado(Tornado("premium", 1.0, ()))


@pytest.mark.parametrize(
    ("x", "text"),
    [(0.0, "0"), (0.02, "0.02"), (950.0, "950"), (2.5e8, "250M"), (1e9, "1B"), (3e12, "3T")],
)
def test_short_amounts(x: float, text: str) -> None:
    assert plot._short(x) == text

"""docs/sources.md stays true to the preset, the premium defaults and the statutory table."""

from __future__ import annotations

import csv
import functools
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import picover as pc

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "sources.py"
PAGE = ROOT / "docs" / "sources.md"
STATUTORY_CSV = ROOT / "src" / "picover" / "statutory" / "data" / "kr_minimum_coverage.csv"


@functools.cache
def load_script() -> ModuleType:
    """docs/sources.py as a module (registered under a private name)."""
    name = "_picover_docs_sources"
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def rows_of(text: str) -> dict[str, list[str]]:
    """Table rows of the page by their first cell (a `dotted.path`), as lists of cells."""
    out = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            out.setdefault(cells[0].strip("`"), cells)
    return out


def test_the_committed_page_is_what_the_script_writes_now():
    assert page() == load_script().current(), (
        "docs/sources.md is out of date: run python docs/sources.py"
    )


def test_check_mode_exits_zero_when_current():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_check_mode_exits_one_with_a_message_when_stale(tmp_path, monkeypatch, capsys):
    script = load_script()
    stale = tmp_path / "sources.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(script, "OUTPUT", stale)
    assert script.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert stale.read_text(encoding="utf-8") == "old\n"  # --check does not write


def test_every_parameter_appears_with_its_value_and_source():
    model = pc.BreachModel.preset("kr")
    rows = rows_of(page())
    for path, value in model.parameters().items():
        assert f"`{path}`" in page(), path
        _, shown, source = rows[path]
        number = shown.split()[0].replace(",", "")
        assert float(number) == value, path
        assert source == " ".join(model.sources[path].split()), path


def test_every_component_has_a_section():
    model = pc.BreachModel.preset("kr")
    text = page()
    for heading in ("## Frequency", "## Breach size", "## Lawsuits and liability"):
        assert heading in text
    for name in model.costs:
        assert f"## Cost: {name.replace('_', ' ')}" in text


def test_premium_defaults():
    rows = rows_of(page())
    basis = pc.PremiumBasis()
    assert isinstance(basis.principle, pc.CostOfCapital)
    assert rows["premium.principle.rate"][1] == f"{basis.principle.rate:g} a year"
    assert rows["premium.principle.level"][1] == f"{basis.principle.level:g}"
    assert "Solvency II" in rows["premium.principle.rate"][2]
    assert rows["premium.expense_ratio"][1] == f"{basis.expense_ratio:g}"
    assert "assumption" in rows["premium.expense_ratio"][2]
    assert rows["premium.profit_margin"][1] == f"{basis.profit_margin:g}"
    assert "assumption" in rows["premium.profit_margin"][2]


def test_every_statutory_row_with_its_status():
    with STATUTORY_CSV.open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    lines = [line for line in page().splitlines() if line.startswith("| `")]
    for row in table:
        amount = f"{int(row['minimum_coverage_krw']):,}"
        assert any(
            line.startswith(f"| `{row['rule']}` |") and f"| {amount} | {row['status']} |" in line
            for line in lines
        ), row
    for rule in pc.statutory.kr.RULES:
        assert f"| `{rule.key}` |" in page()


def test_band_wording():
    script = load_script()
    assert script._subjects_band("10000", "100000") == "10,000 to under 100,000"
    assert script._subjects_band("1000000", "") == "1,000,000 or more"
    assert script._sales_band("5000000000", False, "80000000000", True) == (
        "over 5,000,000,000 up to 80,000,000,000"
    )
    assert script._sales_band("1000000000", True, "", False) == "from 1,000,000,000"


def test_docstring_parsing():
    script = load_script()
    described = script.docstring_parameters(pc.PremiumBasis)
    assert set(described) >= {"principle", "expense_ratio", "profit_margin", "minimum"}
    assert "default 0.25" in described["expense_ratio"]
    defaults = script.docstring_defaults(pc.CostOfCapital)
    assert defaults.startswith("The defaults hold capital to the 99% TVaR")


def test_the_page_has_no_doctest_prompts():
    assert ">>>" not in page()

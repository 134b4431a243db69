"""docs/calibration.md stays true to the preset, and the case data it uses is complete."""

from __future__ import annotations

import csv
import functools
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import picover as pc

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "calibration.py"
PAGE = ROOT / "docs" / "calibration.md"
CASES = ROOT / "tests" / "data" / "kr_cases.csv"
COLUMNS = [
    "case",
    "year_of_leak",
    "affected",
    "claimants",
    "award_per_claimant_krw",
    "outcome",
    "court_or_body",
    "source",
]


@functools.cache
def load_script() -> ModuleType:
    """docs/calibration.py as a module (registered first: its dataclass needs that)."""
    name = "_picover_docs_calibration"
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def read_cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_committed_page_is_what_the_script_writes_now():
    script = load_script()
    expected = script.render(pc.BreachModel.preset("kr"), script.load_cases())
    assert PAGE.read_text(encoding="utf-8") == expected, (
        "docs/calibration.md is out of date: run python docs/calibration.py"
    )


def test_check_mode_exits_zero_when_current():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_check_mode_exits_one_with_a_message_when_stale(tmp_path, monkeypatch):
    script = load_script()
    stale = tmp_path / "calibration.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(script, "OUTPUT", stale)
    assert script.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "old\n"  # --check does not write


def test_the_page_has_no_doctest_prompts():
    assert ">>>" not in PAGE.read_text(encoding="utf-8")


def test_case_data_has_eight_sourced_rows():
    with CASES.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == COLUMNS
    rows = read_cases()
    assert len(rows) == 8
    for row in rows:
        assert row["case"].strip()
        assert row["source"].strip(), row["case"]
        assert int(row["affected"]) > 0


def test_interpark_expected_claimants_by_hand():
    # Interpark 2016: K = 10,300,000 affected people. With the preset's claim
    # rate c, the expected claimants are c * K (0.003 * 10,300,000 = 30,900
    # at the time of writing) and the expected consolation given liability is
    # c * K * min(award, award_cap) (30,900 * 100,000 = 3,090,000,000 KRW).
    params = pc.BreachModel.preset("kr").parameters()
    (row,) = [r for r in read_cases() if r["case"] == "Interpark"]
    k = int(row["affected"])
    assert k == 10_300_000
    claimants = params["consolation.claim_rate"] * k
    paid = min(params["consolation.award"], params["consolation.award_cap"])

    script = load_script()
    (case,) = [c for c in script.load_cases() if c.name == "Interpark"]
    page_row = script.render(pc.BreachModel.preset("kr"), [case]).split("\n| Interpark |")[1]
    cells = [c.strip() for c in page_row.split("\n")[0].split("|")]
    # cells: year, K, actual claimants, expected claimants, ratio, award, paid, total, expected
    assert cells[3] == f"{claimants:,.0f}"
    assert cells[4] == script.ratio(2400 / claimants)
    assert cells[7] == f"{2400 * 100_000:,}"
    assert cells[8] == f"{claimants * paid:,.0f}"


@pytest.mark.parametrize(
    ("outcome", "liable", "decided"),
    [
        ("liable", True, True),
        ("not liable on appeal (first instance liable)", False, True),
        ("mediation award (acceptance unknown)", False, False),
        ("pending (claims 300000-500000)", False, False),
    ],
)
def test_outcome_classification(outcome, liable, decided):
    script = load_script()
    case = script.Case("x", "2020", 1, None, None, outcome)
    assert (case.liable, case.decided) == (liable, decided)

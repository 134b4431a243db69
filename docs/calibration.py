"""Write docs/calibration.md: the "kr" preset's consolation parameters beside Korean cases.

The page compares, for each case in tests/data/kr_cases.csv, the claimants and
consolation payments the preset expects given a suit and given liability with
what courts (or the PIPC mediation committee) decided, and summarises the
comparison in sentences generated from the numbers, so that the page stays true
when the preset or the data change.

Usage::

    python docs/calibration.py          # write docs/calibration.md
    python docs/calibration.py --check  # exit 1 if docs/calibration.md is out of date

This is a script, not part of the package: importing it has no side effects.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scipy import stats

import picover as pc

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "calibration.md"
CASES = HERE.parent / "tests" / "data" / "kr_cases.csv"

PARAMETERS = (
    "consolation.award",
    "consolation.award_cap",
    "consolation.claim_rate",
    "litigation.q_liable",
    "litigation.p_suit_small",
    "litigation.p_suit_large",
)
KRW_PARAMETERS = {"consolation.award", "consolation.award_cap"}
LEVEL = 0.9  # confidence level of the interval for the share of cases found liable


@dataclass(frozen=True)
class Case:
    """One row of kr_cases.csv; None where the reference gives no figure."""

    name: str
    year: str
    affected: int
    claimants: int | None
    award: float | None
    outcome: str

    @property
    def liable(self) -> bool:
        return self.outcome.startswith("liable")

    @property
    def decided(self) -> bool:
        """A court's finding on liability (not a mediation, not pending)."""
        return self.liable or self.outcome.startswith("not liable")


def _number(text: str) -> int | None:
    return int(text) if text.strip() else None


def load_cases(path: Path = CASES) -> list[Case]:
    """The cases of the CSV, in file order."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Case(
                name=row["case"],
                year=row["year_of_leak"],
                affected=int(row["affected"]),
                claimants=_number(row["claimants"]),
                award=None
                if not row["award_per_claimant_krw"].strip()
                else float(row["award_per_claimant_krw"]),
                outcome=row["outcome"],
            )
            for row in csv.DictReader(f)
        ]


def krw(x: float) -> str:
    return f"{x:,.0f}"


def pct(x: float) -> str:
    """A share as a percentage with three significant digits (0.003 -> 0.300%)."""
    return f"{100 * x:#.3g}".rstrip(".") + "%"


def ratio(x: float) -> str:
    return f"{x:#.3g}".rstrip(".")


def cases_(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def compare(a: float, b: float, above: str, below: str, equal: str) -> str:
    return above if a > b else below if a < b else equal


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _modes(values: list[float]) -> tuple[list[float], int]:
    counts = Counter(values)
    top = max(counts.values())
    return sorted(v for v, n in counts.items() if n == top), top


def consolation(model: pc.BreachModel) -> pc.ConsolationCost:
    """The model's consolation cost category."""
    cons = model.costs["consolation"]
    if not isinstance(cons, pc.ConsolationCost):
        raise TypeError(f"expected a ConsolationCost, got {type(cons).__name__}")
    return cons


def render(model: pc.BreachModel, cases: list[Case]) -> str:
    """The markdown page for ``model`` and ``cases``."""
    params = model.parameters()
    cons = consolation(model)
    rate, paid = cons.claim_rate, cons.paid_award
    p_suit = {c.name: float(model.litigation.p_suit(c.affected)) for c in cases}

    out = [
        "# Calibration: the Korean preset beside Korean cases",
        "",
        "This page sets the consolation parameters of the default Korean preset",
        '(`pc.BreachModel.preset("kr")`) beside the outcomes of Korean personal-information',
        "leak cases (`tests/data/kr_cases.csv`, copied from the project's reference notes with",
        "their sources). The preset pays consolation only when a lawsuit finds the organisation",
        "liable: each of the K affected people claims with probability `claim_rate`, and each",
        "claimant is paid `min(award, award_cap)` (the cap is a modelling choice taken from the",
        "statutory-damages ceiling of PIPA Art. 39-2; see the cap's source below). The",
        "comparison shows whether these values, and the probabilities of a suit and of",
        "liability, are in line with what courts and the PIPC mediation committee decided.",
        "",
        "Figures that the reference notes mark **unverified** came from secondary reports only",
        "and should be checked before they are relied on. In particular, for the 2014",
        "card-company case the affected count is of records; the number of people behind them",
        "is marked unverified, and per person that case's claim rate is higher than shown here.",
        "",
        "## The preset's parameters",
        "",
    ]
    rows = []
    for path in PARAMETERS:
        value = params[path]
        shown = f"{krw(value)} KRW" if path in KRW_PARAMETERS else f"{value:g}"
        rows.append([f"`{path}`", shown, model.sources.get(path, "")])
    out += _table(["parameter", "value", "source"], rows)

    out += [
        "",
        "## Cases",
        "",
        "Expected figures are the preset's: claimants `claim_rate * K` (given a suit), paid",
        "award `min(award, award_cap)`, consolation given liability `claim_rate * K * paid",
        "award`. For a mediation the claimants are the applicants; for a pending case they are",
        "those who have joined or announced a suit so far. Where the outcome was no liability",
        "on appeal, the award column holds the first-instance award that was reversed; for a",
        "mediation, the amount the committee proposed. Blank cells: no figure in the reference,",
        "or (actual total) no finding of liability.",
        "",
    ]
    header = [
        "case",
        "year",
        "affected K",
        "actual claimants",
        "expected claimants given a suit",
        "actual / expected",
        "actual award per claimant (KRW)",
        "preset paid award (KRW)",
        "actual total if liable (KRW)",
        "expected consolation given liability (KRW)",
        "preset p_suit(K)",
        "outcome",
    ]
    rows = []
    for c in cases:
        expected = rate * c.affected
        rows.append(
            [
                c.name,
                c.year,
                f"{c.affected:,}",
                f"{c.claimants:,}" if c.claimants is not None else "",
                f"{expected:,.0f}",
                ratio(c.claimants / expected) if c.claimants is not None and expected > 0 else "",
                krw(c.award) if c.award is not None else "",
                krw(paid),
                krw(c.claimants * c.award)
                if c.liable and c.claimants is not None and c.award is not None
                else "",
                krw(expected * paid),
                f"{p_suit[c.name]:.2f}",
                c.outcome,
            ]
        )
    out += _table(header, rows)

    out += ["", "## Summary", ""]
    out += _summary(model, cases, p_suit)
    out += [
        "",
        "---",
        "",
        "Generated by `docs/calibration.py` from the preset and `tests/data/kr_cases.csv`;",
        "do not edit by hand. Run `python docs/calibration.py` after changing either.",
        "",
    ]
    return "\n".join(out)


def _summary(model: pc.BreachModel, cases: list[Case], p_suit: dict[str, float]) -> list[str]:
    cons = consolation(model)
    rate, award, paid = cons.claim_rate, cons.award, cons.paid_award
    q = model.litigation.q_liable
    lines = []

    decided = [c for c in cases if c.decided]
    liable = [c for c in decided if c.liable]
    mediated = sum(c.outcome.startswith("mediation") for c in cases)
    pending = sum(c.outcome.startswith("pending") for c in cases)
    other = len(cases) - len(decided) - mediated - pending
    if decided:
        share = len(liable) / len(decided)
        ci = stats.binomtest(len(liable), len(decided)).proportion_ci(LEVEL)
        inside = "inside" if ci.low <= q <= ci.high else "outside"
        excluded = [
            f"mediation awards ({cases_(mediated)}), which are settlement proposals, not"
            " court findings",
            f"pending cases ({cases_(pending)}), which have no finding yet",
        ]
        if other:
            excluded.append(f"{cases_(other)} with another outcome")
        lines.append(
            f"- Liability: courts found liability in {len(liable)} of the {len(decided)} cases"
            f" they decided ({pct(share)}; {LEVEL:.0%} Clopper-Pearson interval"
            f" {pct(ci.low)}-{pct(ci.high)}). The preset's `q_liable` {pct(q)} is"
            f" {compare(q, share, 'above', 'below', 'equal to')} the observed share and"
            f" {inside} the interval. A case counts as liable when its outcome starts with"
            ' "liable", so a first-instance finding reversed on appeal counts as not liable.'
            f" Excluded from the share: {'; '.join(excluded)}."
        )

    known = [c for c in cases if c.claimants is not None and c.affected > 0]
    if known:
        shares = {c.name: c.claimants / c.affected for c in known if c.claimants is not None}
        lo = min(shares, key=shares.__getitem__)
        hi = max(shares, key=shares.__getitem__)
        median = statistics.median(shares.values())
        more = sum(s > rate for s in shares.values())
        inside = "inside" if shares[lo] <= rate <= shares[hi] else "outside"
        lines.append(
            f"- Claim rate: over the {len(known)} cases with a known number of claimants,"
            f" claimants per affected person have median {pct(median)} and range"
            f" from {pct(shares[lo])} in {lo} to {pct(shares[hi])} in {hi}. The preset's"
            f" `claim_rate` {pct(rate)} lies {inside} the observed range and"
            f" {compare(rate, median, 'above', 'below', 'at')} the median; in {more} of the"
            f" {len(known)} cases the actual claimants exceed the preset's expected number."
        )

    awards = [c.award for c in cases if c.award is not None and c.award > 0]
    if awards:
        modes, count = _modes(awards)
        liable_awards = sorted(c.award for c in liable if c.award is not None)
        if not liable_awards:
            in_liable = ""
        elif liable_awards[0] == liable_awards[-1]:
            in_liable = (
                f"; in the {cases_(len(liable_awards))} found liable the award was"
                f" {krw(liable_awards[0])} KRW"
            )
        else:
            in_liable = (
                f"; in the {cases_(len(liable_awards))} found liable the award ranged from"
                f" {krw(liable_awards[0])} to {krw(liable_awards[-1])} KRW"
            )
        cap = "binds" if cons.award_cap < award else "does not bind"
        modal = " and ".join(krw(m) for m in modes)
        lines.append(
            f"- Award: the modal positive award per claimant, at any stage (first instance,"
            f" final judgment or mediation), is {modal} KRW ({count} of {cases_(len(awards))})"
            f"{in_liable}. The preset's `award` {krw(award)} KRW is"
            f" {compare(award, max(modes), 'above', 'below', 'equal to')}"
            f" {'the' if len(modes) == 1 else 'the largest'} modal award; the cap"
            f" {krw(cons.award_cap)} KRW {cap}, so the preset pays {krw(paid)} KRW per claimant."
        )

    totals = [
        (c, c.claimants * c.award / (rate * c.affected * paid))
        for c in liable
        if c.claimants is not None and c.award is not None and rate * paid > 0
    ]
    if totals:
        listed = "; ".join(f"{c.name}: {ratio(r)}" for c, r in totals)
        lines.append(
            "- Totals: in the cases found liable, the actual total award divided by the"
            f" preset's expected consolation given liability is {listed}."
        )

    if p_suit:
        low, high = min(p_suit.values()), max(p_suit.values())
        span = f"{low:.2f} for all of them" if low == high else f"{low:.2f} to {high:.2f}"
        lines.append(
            "- Suits: every case here reached a court or the mediation committee; the"
            f" preset's `p_suit(K)` at their sizes is {span}."
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with ``--check`` report whether the page on disk is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    text = render(pc.BreachModel.preset("kr"), load_cases())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(f"{OUTPUT.name} is out of date: run python docs/calibration.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write docs/sources.md: every default of the "kr" preset, its value and its source.

The page lists each parameter of ``pc.BreachModel.preset("kr")`` by dotted path
(as ``model.parameters()`` and ``model.with_params`` name it), grouped by
component, with its value and the source text of ``model.sources``; then the
premium defaults (from ``PremiumBasis()`` and ``CostOfCapital()`` and their
docstrings) and the status and source of every row of the statutory minimum
coverage table. It is generated so that it stays true when a default changes.

Usage::

    python docs/sources.py          # write docs/sources.md
    python docs/sources.py --check  # exit 1 if docs/sources.md is out of date

This is a script, not part of the package: importing it has no side effects.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.resources
import inspect
import io
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

import picover as pc

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "sources.md"
STATUTORY_TABLE = ("picover.statutory", "data/kr_minimum_coverage.csv")

#: Headings of the model's components; a cost category is "Cost: <name>".
COMPONENTS = {
    "frequency": "Frequency: how often incidents happen",
    "breach_size": "Breach size: records exposed by one incident",
    "litigation": "Lawsuits and liability",
}
TRIGGERS = {
    "incident": "arises on every incident",
    "suit": "arises when a lawsuit follows",
    "liability": "arises when the organisation is held liable",
}
#: Units by the last part of a parameter's path (amounts in the model's currency).
AMOUNT_NAMES = {"median", "award", "award_cap", "fixed", "minimum"}
RECORD_NAMES = {"reference_records", "k_min", "k_small", "k_large"}
SALES_SHARE_NAMES = {"share_at_reference", "cap_share"}
#: What the premium basis's docstrings leave unsaid about a default, added after them.
PREMIUM_NOTES = {
    "premium.minimum": (
        "Assumption: no minimum, so a small risk is charged its technical premium; an "
        "insurer's own minimum for the product goes in `minimum=`."
    ),
}
#: The exchange rate behind the preset's US dollar figures (a comment in kr.toml).
USD_RATE_NOTE = (
    "Assumption: about the 2023-2025 average rate, which moved between 1,300 and 1,400; it "
    "converts the US dollar figures behind `investigation.median` and `attorney_fees.median`."
)


def unit(path: str, currency: str) -> str:
    """The unit of a parameter where it is evident from its path, else ''."""
    last = path.rsplit(".", 1)[-1]
    if last in AMOUNT_NAMES:
        return currency
    if last == "per_record":
        return f"{currency} per record exposed"
    if last in RECORD_NAMES:
        return "records"
    if last in SALES_SHARE_NAMES:
        return "of annual sales"
    if path.startswith("frequency.base_rate."):
        return "incidents a year"
    if last == "rate" and path.startswith("premium."):
        return "a year"
    return ""


def value_text(value: Any, unit_: str = "") -> str:
    """A value for the page: amounts and counts with thousands separators."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = f"`{value}`" if isinstance(value, str) else str(value)
    elif unit_ and unit_ not in {"of annual sales", "a year", "incidents a year"}:
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    else:
        shown = f"{value:g}"
    return f"{shown} {unit_}".rstrip()


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _rst_to_md(text: str) -> str:
    """Docstring markup to markdown: ``x`` and :class:`x` become `x`."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def docstring_parameters(obj: Any) -> dict[str, str]:
    """The numpy-style ``Parameters`` section of ``obj``'s docstring: name -> description."""
    lines = (inspect.getdoc(obj) or "").splitlines()
    try:
        start = next(
            i + 2
            for i, line in enumerate(lines[:-1])
            if line.strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"}
        )
    except StopIteration:
        raise LookupError(f"{obj.__qualname__} has no Parameters section") from None
    params: dict[str, list[str]] = {}
    names: list[str] = []
    for i, line in enumerate(lines[start:], start):
        if i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
            break  # the next section's title
        if line and not line[0].isspace():
            names = [n.strip() for n in line.split(":", 1)[0].split(",")]
            for name in names:
                params[name] = []
        elif line.strip():
            for name in names:
                params[name].append(line.strip())
    return {name: _rst_to_md(" ".join(words)) for name, words in params.items()}


def docstring_defaults(obj: Any) -> str:
    """From the first paragraph of ``obj``'s docstring that speaks of defaults, that sentence on."""
    for paragraph in (inspect.getdoc(obj) or "").split("\n\n"):
        text = " ".join(paragraph.split())
        match = re.search(r"\bdefaults?\b", text, flags=re.IGNORECASE)
        if match:
            start = text.rfind(". ", 0, match.start())
            return _rst_to_md(text[start + 2 if start >= 0 else 0 :])
    raise LookupError(f"{obj.__qualname__}'s docstring says nothing of its defaults")


def premium_rows(currency: str) -> list[list[str]]:
    """Rows (path, value, source) of the default premium basis."""
    basis = pc.PremiumBasis()
    described = docstring_parameters(pc.PremiumBasis)
    rows = []
    for field in attrs.fields(type(basis)):
        value = getattr(basis, field.name)
        path = f"premium.{field.name}"
        if field.name not in described:
            raise LookupError(f"PremiumBasis's docstring does not describe {field.name!r}")
        if attrs.has(type(value)):  # the premium principle and its own defaults
            rows.append([f"`{path}`", f"`{type(value).__name__}`", described[field.name]])
            principle_source = docstring_defaults(type(value))
            for sub in attrs.fields(type(value)):
                sub_path = f"{path}.{sub.name}"
                rows.append(
                    [
                        f"`{sub_path}`",
                        value_text(getattr(value, sub.name), unit(sub_path, currency)),
                        principle_source,
                    ]
                )
        else:
            source = " ".join(filter(None, [described[field.name], PREMIUM_NOTES.get(path)]))
            rows.append([f"`{path}`", value_text(value, unit(path, currency)), source])
    return rows


def setting_rows(model: pc.BreachModel) -> list[list[str]]:
    """Rows (setting, value, source) of what shapes the figures but is not a parameter."""
    rows = [
        [
            "`nodes`",
            str(model.nodes),
            "A numerical setting, not an estimate: Gauss-Legendre nodes per segment of log K "
            "(`[model] nodes` in a preset, `attrs.evolve(model, nodes=...)`). More nodes change "
            "quantiles slightly and cost time; [model.md](model.md#accuracy) gives both.",
        ]
    ]
    for name, cost in model.costs.items():
        if not cost.insurable:
            rows.append(
                [
                    f"`{name}` insurable",
                    "false",
                    "Assumption: left out of `total` and of the default cover. The statutory "
                    "cover (PIPA Art. 39-7) is for damages under Arts. 39 and 39-2, and typical "
                    "Korean wordings exclude surcharges unless an endorsement adds them "
                    "([breach_costs.md](reference-notes/breach_costs.md)); whether a surcharge "
                    "may be insured at all is not settled here. `insurable = true` in a preset "
                    "includes it.",
                ]
            )
    if model.currency == "KRW":
        rows.append(["USD to KRW", "1,350", USD_RATE_NOTE])
    return rows


def load_statutory_table() -> list[dict[str, str]]:
    """The rows of the package's minimum coverage table, in file order."""
    package, name = STATUTORY_TABLE
    text = importlib.resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _sales_band(low: str, low_inclusive: bool, high: str, high_inclusive: bool) -> str:
    """A sales band as the decree words it: 'over 5,000,000,000 up to 80,000,000,000'."""
    parts = []
    if low:
        parts.append(f"{'from' if low_inclusive else 'over'} {int(low):,}")
    if high:
        parts.append(f"{'up to' if high_inclusive else 'under'} {int(high):,}")
    return " ".join(parts) if parts else "any"


def _subjects_band(low: str, high: str) -> str:
    """A band of data subjects, lower edge included: '10,000 to under 100,000'."""
    if not high:
        return f"{int(low or 0):,} or more"
    return f"{int(low or 0):,} to under {int(high):,}"


def statutory_rows(rows: Iterable[Mapping[str, str]]) -> list[list[str]]:
    """Rows (rule, data subjects, sales, minimum, status, source) of the table."""
    out = []
    for r in rows:
        subjects = _subjects_band(r["subjects_min"], r["subjects_max_exclusive"])
        sales = _sales_band(
            r["sales_min_krw"],
            r["sales_min_inclusive"] == "yes",
            r["sales_max_krw"],
            r["sales_max_inclusive"] == "yes",
        )
        minimum = f"{int(r['minimum_coverage_krw']):,}"
        out.append([f"`{r['rule']}`", subjects, sales, minimum, r["status"], r["source"]])
    return out


def _date(day: datetime.date | None) -> str:
    return day.isoformat() if day is not None else "not in force"


def render(
    model: pc.BreachModel, statutory_table: list[dict[str, str]], rules: Iterable[Any]
) -> str:
    """The markdown page for ``model``, the statutory table's rows and the rule versions."""
    params = model.parameters()
    currency = model.currency
    groups: dict[str, list[str]] = {}
    for path in params:
        groups.setdefault(path.split(".", 1)[0], []).append(path)
    missing = [p for p in params if not model.sources.get(p, "").strip()]
    if missing:
        raise ValueError(f"parameters without a source: {', '.join(missing)}")

    out = [
        "# Sources of every default",
        "",
        'Every default parameter of the Korean preset (`pc.BreachModel.preset("kr")`) with its',
        "value and where it comes from: a publication, a figure derived from one (the derivation",
        "is given), or an assumption or judgement, with the range considered where the sources",
        "support one (a `reference_records`, which only fixes the scale at which another",
        "parameter applies, has none of its own). Parameters are named by the dotted paths that",
        "`model.parameters()`, `model.with_params(...)` and `pc.sensitivity` use; amounts are in",
        f"{currency}. The source texts are the preset's own (`model.sources`); the project's",
        "reference notes named in them (such as `kr_court_awards.csv` or `breach_costs.md`) hold",
        "the figures behind them, with their own sources, and are shipped with this site in",
        "[reference-notes](reference-notes/index.md).",
        f"The preset has {len(params)} parameters.",
        "",
        "Figures marked **unverified** came from secondary reports only and should be checked",
        "before they are relied on; [calibration.md](calibration.md) sets the consolation",
        "parameters beside Korean court outcomes.",
    ]
    for group, paths in groups.items():
        if group in COMPONENTS:
            title, note = COMPONENTS[group], ""
        elif group in model.costs:
            cost = model.costs[group]
            title = f"Cost: {group.replace('_', ' ')}"
            trigger = TRIGGERS.get(cost.trigger, f"trigger `{cost.trigger}`")
            cover = "insurable" if cost.insurable else "not insurable by default"
            note = f"A cost category (`{type(cost).__name__}`): {trigger}; {cover}."
        else:
            title, note = group.replace("_", " ").capitalize(), ""
        out += ["", f"## {title}", ""]
        if note:
            out += [note, ""]
        out += _table(
            ["parameter", "value", "source"],
            ([f"`{p}`", value_text(params[p], unit(p, currency)), model.sources[p]] for p in paths),
        )

    out += [
        "",
        "## Settings that are not parameters",
        "",
        "These shape the figures too but are not in `model.parameters()`, so they have no",
        "entry in `model.sources`.",
        "",
    ]
    out += _table(["setting", "value", "source"], setting_rows(model))

    out += [
        "",
        "## Premium defaults",
        "",
        "`pc.PremiumBasis()`, the basis every quote uses unless told otherwise, sets",
        "gross = max(minimum, (E[S] + risk load) / (1 - expense ratio - profit margin)), with the",
        "risk load from its principle (see [pricing.md](pricing.md)). Paths follow",
        "`pc.sensitivity`'s naming; the sources are the classes' docstrings.",
        "",
    ]
    out += _table(["parameter", "value", "source"], premium_rows(currency))

    out += [
        "",
        "## Statutory rule versions",
        "",
        "The rules of `pc.statutory.kr` (see [statutory.md](statutory.md)), each with the status",
        "of its figures.",
        "",
    ]
    out += _table(
        ["rule", "in force", "status", "source"],
        ([f"`{r.key}`", _date(r.in_force), r.status, r.source] for r in rules),
    )
    out += [
        "",
        "## Statutory minimum coverage table",
        "",
        "Each row of `picover/statutory/data/kr_minimum_coverage.csv`: data subjects, the",
        "previous year's sales (KRW) and the minimum amount (KRW), with the status of the figures",
        "and their source. A correction is one row of that file.",
        "",
    ]
    out += _table(
        ["rule", "data subjects", "sales (KRW)", "minimum (KRW)", "status", "source"],
        statutory_rows(statutory_table),
    )
    out += [
        "",
        "---",
        "",
        "Generated by `docs/sources.py` from the preset, the premium defaults and the statutory",
        "data; do not edit by hand. Run `python docs/sources.py` after changing any of them.",
        "",
    ]
    return "\n".join(out)


def current() -> str:
    """The page as the installed picover has it now."""
    return render(pc.BreachModel.preset("kr"), load_statutory_table(), pc.statutory.kr.RULES)


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with ``--check`` report whether the page on disk is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    text = current()
    if args.check:
        on_disk = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if on_disk != text:
            print(f"{OUTPUT.name} is out of date: run python docs/sources.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``picover`` command line: quote, recommend, compare, check, sensitivity, portfolio, presets.

Each command reads a TOML or JSON case file (see :mod:`picover.files`) and
prints an aligned table (amounts with thousands separators), JSON or CSV.
Exit status: 0 on success, 2 on bad input (one line on stderr, no
traceback), 1 on an internal error.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import difflib
import io
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from picover import _csv
from picover._table import Table
from picover.files import Case, InputError, read

if TYPE_CHECKING:
    from picover.analysis.sensitivity import Setting

#: Units for amounts: name -> (divisor, label).
UNITS = {"KRW": (1.0, "krw"), "1e6": (1e6, "million_krw"), "1e8": (1e8, "100m_krw")}


class UsageError(ValueError):
    """Bad command-line input (exit status 2)."""


def _need(case: Case, what: str, command: str) -> Any:
    value = getattr(case, what)
    if value is None or value == ():
        section = {"organisation": "[organisation]", "policy": "[policy]", "offers": "[[offers]]"}
        raise UsageError(f"{case.source}: '{command}' needs a {section[what]} section")
    return value


class Report:
    """What a command prints: titled tables (amount columns end in ``_krw``) and JSON."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.tables: list[tuple[str, dict[str, list[Any]]]] = []

    def add(self, title: str, columns: dict[str, list[Any]]) -> None:
        self.tables.append((title, columns))

    def render(self, fmt: str, unit: str) -> str:
        if fmt == "json":
            if unit != "KRW":
                # JSON carries full figures, named by field (a scaled copy would be a
                # second, ambiguous record of them).
                raise UsageError("--unit applies to the table and csv formats, not to json")
            return json.dumps(_jsonable(self.data), indent=2, ensure_ascii=False)
        divisor, label = UNITS[unit]
        parts = []
        for title, cols in self.tables:
            scaled = {}
            for name, values in cols.items():
                if name.endswith("_krw"):
                    name = name[: -len("krw")] + label
                    values = [v / divisor if isinstance(v, float | int) else v for v in values]
                scaled[name] = values
            if fmt == "csv":
                buf = io.StringIO()
                writer = csv.writer(buf, lineterminator="\n")
                writer.writerow(scaled)
                # An empty cell, as spreadsheets and pandas read a missing value, not "nan".
                writer.writerows(
                    ["" if isinstance(v, float) and math.isnan(v) else v for v in row]
                    for row in zip(*scaled.values(), strict=True)
                )
                parts.append(buf.getvalue().rstrip("\n"))
            else:
                parts.append(str(Table(scaled, title=title)))
        # CSV: one block per table (each with its own header), a blank line between.
        return "\n\n".join(parts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value


def _as_of(case: Case) -> datetime.date:
    return case.as_of if case.as_of is not None else datetime.date.today()


def _duty_rows(obligation: Any) -> dict[str, list[Any]]:
    minimum = obligation.minimum_coverage
    return {
        "item": ["required", "rule", "minimum coverage (KRW)"],
        "value": [
            obligation.required,
            obligation.rule.key if obligation.rule is not None else "none",
            "n/a" if minimum is None else minimum,
        ],
    }


def cmd_quote(case: Case, args: argparse.Namespace) -> tuple[Report, Any]:
    """The ``quote`` command: price the case's ``[policy]`` for its ``[organisation]``."""
    from picover.pricing.quote import quote

    org = _need(case, "organisation", "quote")
    policy = _need(case, "policy", "quote")
    q = quote(org, policy, model=case.model, premium=case.premium, as_of=_as_of(case))
    p = q.premium
    report = Report(
        {
            "organisation": org.name,
            "as_of": q.statutory.obligation.as_of,
            "records": org.records,
            "frequency": {
                "prior_mean": q.frequency.prior_mean,
                "posterior_mean": q.frequency.posterior_mean,
                "credibility": q.frequency.credibility,
            },
            "expected_ground_up_krw": dict(q.expected_ground_up),
            "expected_insured_krw": dict(q.expected_insured),
            "outside_total": list(q.outside_total),
            "premium_krw": {
                "pure": p.pure, "risk_load": p.risk_load, "expenses": p.expenses,
                "profit": p.profit, "minimum_uplift": p.minimum_uplift, "gross": p.gross,
            },
            "rate_on_line": q.rate_on_line,
            "p_exhaust": q.p_exhaust if math.isfinite(policy.limit) else None,
            "retained_krw": {"mean": q.retained.mean, "tvar99": q.retained.tvar99},
            "statutory": {
                "required": q.statutory.required,
                "rule": q.statutory.obligation.rule.key if q.statutory.obligation.rule else None,
                "minimum_coverage_krw": q.statutory.minimum_coverage,
                "compliant": q.statutory.compliant,
                "shortfall": q.statutory.shortfall,
                "reasons": list(q.statutory.obligation.reasons),
            },
        }
    )  # fmt: skip
    report.add(
        f"Expected annual loss by category: {org.name or 'organisation'}, {org.records:,} records",
        {name: col.tolist() for name, col in q.by_category().columns.items()},
    )
    report.add(
        "Premium",
        {
            "item": ["pure premium", "risk load", "expenses", "profit", "minimum uplift",
                     "gross premium", "retained loss, mean", "retained loss, TVaR 99%"],
            "amount_krw": [p.pure, p.risk_load, p.expenses, p.profit, p.minimum_uplift, p.gross,
                           q.retained.mean, q.retained.tvar99],
        },
    )  # fmt: skip
    unlimited = not math.isfinite(policy.limit)
    report.add(
        f"Risk and statutory check on {q.statutory.obligation.as_of.isoformat()}",
        {
            "item": ["incidents per year (posterior)", "credibility weight",
                     "rate on line", "P(limit exhausted)", "statutory duty", "rule",
                     "statutory minimum (KRW)", "policy meets the minimum", "what falls short"],
            "value": [q.frequency.posterior_mean, q.frequency.credibility,
                      "n/a (no limit)" if unlimited else q.rate_on_line,
                      "n/a (no limit)" if unlimited else q.p_exhaust, q.statutory.required,
                      _duty_rows(q.statutory.obligation)["value"][1],
                      _duty_rows(q.statutory.obligation)["value"][2],
                      "n/a" if q.statutory.compliant is None else q.statutory.compliant,
                      q.statutory.shortfall or "-"],
        },
    )  # fmt: skip
    return report, q


def cmd_recommend(case: Case, args: argparse.Namespace) -> tuple[Report, Any]:
    """The ``recommend`` command: a recommended limit (and retention) for ``[organisation]``."""
    from picover.pricing.coverage import recommend_coverage

    org = _need(case, "organisation", "recommend")
    rec = recommend_coverage(
        org, model=case.model, target=case.target, ladder=case.ladder, rule=args.rule,
        premium=case.premium, as_of=_as_of(case),
    )  # fmt: skip
    report = Report(
        {
            "limit_krw": rec.limit, "retention_krw": rec.retention, "rule": rec.rule,
            "exceedance": rec.exceedance, "target": rec.target,
            "statutory_minimum_krw": rec.statutory_minimum,
            "currency": case.model.currency,
            "candidates": rec.candidates.to_records(),
        }
    )  # fmt: skip
    report.add(
        "Recommended cover",
        {
            "item": ["limit", "retention per incident", "statutory minimum"],
            "amount_krw": [rec.limit, rec.retention,
                           "n/a" if rec.statutory_minimum is None else rec.statutory_minimum],
        },
    )  # fmt: skip
    decision: dict[str, list[Any]] = {
        "item": ["decided by", "P(loss > limit)", "target"],
        "value": [rec.rule, rec.exceedance, rec.target],
    }
    if case.policy is not None:
        # The recommendation is for the organisation's own losses, not for the
        # terms of a policy it may hold: say so rather than pass over them.
        decision["item"].append("the file's [policy]")
        decision["value"].append("not used: the cover is for the ground-up loss")
    report.add("Decision", decision)
    # Amounts already carry the unit in their names (limit_krw, ...).
    report.add("Candidates", {k: v.tolist() for k, v in rec.candidates.columns.items()})
    return report, rec


def cmd_compare(case: Case, args: argparse.Namespace) -> tuple[Report, Any]:
    """The ``compare`` command: the case's ``[[offers]]`` priced under one model."""
    from picover.pricing.compare import compare

    org = _need(case, "organisation", "compare")
    offers = _need(case, "offers", "compare")
    rows = compare(org, offers, model=case.model, as_of=_as_of(case))
    if args.sort_by:
        try:
            rows = rows.sorted(args.sort_by)  # best first
        except ValueError as exc:
            raise UsageError(str(exc).replace("by must be", "--sort-by must be", 1)) from None
    # Records name their fields without a unit: the one currency of every amount.
    report = Report({"currency": case.model.currency, "offers": rows.to_records()})
    table = rows.table().columns
    report.add(
        "Offers under one model",
        {k: [("n/a" if v == "n/a" else v) for v in col.tolist()] for k, col in table.items()},
    )
    return report, rows


def cmd_check(case: Case, args: argparse.Namespace) -> tuple[Report, Any]:
    """The ``check`` command: the statutory duty to insure and its minimum amount (KRW)."""
    from picover.statutory import kr

    org = _need(case, "organisation", "check")
    duty = kr.obligation(org, as_of=_as_of(case), rule=args.rule)
    report = Report(
        {
            "as_of": duty.as_of, "required": duty.required,
            "rule": duty.rule.key if duty.rule else None,
            "minimum_coverage_krw": duty.minimum_coverage, "reasons": list(duty.reasons),
        }
    )  # fmt: skip
    report.add(f"Statutory check on {duty.as_of.isoformat()}", _duty_rows(duty))
    report.add("Reasons", {"reason": list(duty.reasons)})
    return report, duty


def _param(text: str) -> tuple[str, float, float, str, str]:
    """``--param NAME=LOW:HIGH``: the name, both bounds, and both as typed (for messages)."""
    name, sep, rng = text.partition("=")
    low, sep2, high = rng.partition(":")
    if not (sep and sep2 and name):
        raise UsageError(f"--param must look like NAME=LOW:HIGH; got {text!r}")
    name = name.strip()
    return name, _bound(name, "LOW", low), _bound(name, "HIGH", high), low.strip(), high.strip()


def _bound(name: str, which: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--param {name}: {which} must be a number; got {text!r}") from None
    # float() reads 1e400 as inf too: only the written inf means infinity, as in a file.
    if not math.isfinite(value) and text.strip().lower().lstrip("+-") not in ("inf", "infinity"):
        if math.isnan(value):
            raise UsageError(f"--param {name}: {which} must be a number; got {text!r}")
        raise UsageError(
            f"--param {name}: {which} {text.strip()} is too large for a float; write inf if "
            "infinity is meant"
        )
    # And 1e-400 as 0: only a zero written as one means 0.
    if value == 0.0 and any(d in text.lower().split("e")[0] for d in "123456789"):
        raise UsageError(
            f"--param {name}: {which} {text.strip()} is too small for a float (it would read "
            "as 0); write 0 if zero is meant"
        )
    return value


def _check_params(
    setting: Setting,
    params: Mapping[str, tuple[float, float]],
    typed: Mapping[str, tuple[str, str]],
    output: str,
) -> None:
    """The ranges' mistakes, told as the flag's own and with the bounds as typed
    (``typed``): the library would name them as ``params[...]`` and the command
    line would put them on the case file. That includes a bound at which
    ``output`` has no value, which the library finds only once it prices."""
    from picover.analysis import sensitivity

    values = sensitivity.parameters(setting)
    for name, (lo, hi) in params.items():
        if name not in values:
            # The library's message lists all ~60 paths on one line: too long for a terminal.
            close = difflib.get_close_matches(name, list(values), n=4, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise UsageError(
                f"--param {name}: unknown parameter; {hint}'picover presets "
                f"{setting.model.name}' lists the model's parameters; the others are "
                "policy.<term>, policy.sublimits.<category>, premium.<setting>, "
                "organisation.records and organisation.annual_sales"
            )
        problem = sensitivity.range_problem(values, name, lo, hi)
        if problem is not None:
            raise UsageError(f"--param {name}: {problem}")
        for which, value, text in zip(("LOW", "HIGH"), (lo, hi), typed[name], strict=True):
            try:
                changed = sensitivity.apply(setting, {name: value})
            except (TypeError, ValueError) as exc:
                problem = _as_typed(str(exc).removeprefix(f"{name}: "), value, text)
                raise UsageError(f"--param {name}: {problem}") from None
            # Only where the bound made it so: a problem at the base point is the
            # case file's, and the library names it (before pricing) as such.
            problem = sensitivity.output_problem(changed, output)
            if problem is not None and sensitivity.output_problem(setting, output) is None:
                raise UsageError(f"--param {name}: {which} {text}: {problem}")


def _as_typed(message: str, value: float, text: str) -> str:
    """``message`` showing ``value`` as the user typed it (``-5``, not the ``-5.0``
    of the float the checks were given), when it ends by quoting it."""
    quoted = [f"got {value!r}"] + ([f"got {int(value)}"] if value.is_integer() else [])
    for ending in quoted:
        if message.endswith(ending):
            return message[: -len(ending)] + f"got {text}"
    return message


def _threads(workers: int | None) -> int:
    """``--workers`` as a thread count, its mistake told as the flag's own."""
    from picover.analysis.threads import thread_count

    try:
        return thread_count(workers)
    except ValueError as exc:
        raise UsageError(f"--workers: {exc}") from None


def cmd_sensitivity(case: Case, args: argparse.Namespace) -> tuple[Report, Any]:
    """The ``sensitivity`` command: a tornado of one output over the ``--param`` ranges."""
    from picover.analysis import sensitivity

    org = _need(case, "organisation", "sensitivity")
    # As quote does: a tornado of a premium needs the terms it prices (no silent default).
    policy = _need(case, "policy", "sensitivity")
    if not args.param:
        raise UsageError("sensitivity needs at least one --param NAME=LOW:HIGH")
    params: dict[str, tuple[float, float]] = {}
    typed: dict[str, tuple[str, str]] = {}
    for name, lo, hi, lo_text, hi_text in (_param(p) for p in args.param):
        if name in params:
            raise UsageError(f"--param {name} is given more than once")
        params[name] = (lo, hi)
        typed[name] = (lo_text, hi_text)
    setting = sensitivity.Setting(
        org=org, policy=policy, model=case.model, premium=case.premium, as_of=_as_of(case),
        target=case.target, ladder=case.ladder,
    )  # fmt: skip
    _check_params(setting, params, typed, args.output)
    threads = _threads(args.workers)
    t = sensitivity.tornado(
        org, policy, model=case.model, params=params, output=args.output,
        premium=case.premium, as_of=_as_of(case), target=case.target, ladder=case.ladder,
        workers=threads,
    )  # fmt: skip
    money = args.output not in sensitivity.UNITLESS
    out_name = f"{args.output}_krw" if money else args.output
    report = Report(
        {
            "currency": case.model.currency,
            "output": t.output,
            ("base_value_krw" if money else "base_value"): t.base_value,
            "bars": t.to_records(),
        }
    )
    base = f"{t.base_value:,.0f} {case.model.currency}" if money else f"{t.base_value:.6g}"
    report.add(
        f"Tornado of {t.output} (base {base})",
        {
            "param": [b.param for b in t.bars],
            "low": [b.low for b in t.bars],
            "high": [b.high for b in t.bars],
            f"{out_name}_at_low".replace("_krw_at_low", "_at_low_krw"): [
                b.output_low for b in t.bars
            ],
            f"{out_name}_at_high".replace("_krw_at_high", "_at_high_krw"): [
                b.output_high for b in t.bars
            ],
            ("swing_krw" if money else "swing"): [b.swing for b in t.bars],
        },
    )
    return report, t


def cmd_portfolio(args: argparse.Namespace) -> tuple[Report, Any]:
    """The ``portfolio`` command: price every row of a CSV table under one case's ``[policy]``."""
    from picover.analysis.batch import OUTPUTS, price_portfolio

    # Path("") is the current folder: name the empty argument instead.
    if not args.policy:
        raise UsageError("--policy: the case file path is empty")
    if not args.table:
        raise UsageError("the CSV table path is empty")
    policy_case = read(args.policy)
    policy = _need(policy_case, "policy", "portfolio --policy")
    path = Path(args.table)
    if not path.is_file():
        raise UsageError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not a column name
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text CSV file") from None
    from picover.analysis.table import from_text

    try:
        # Rows count from 0, as in price_portfolio's messages.
        rows = from_text(_csv.records(text))
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None
    if not rows:
        raise UsageError(f"{path}: the table has no rows")
    # An empty --outputs names no output (refused here), not all of them.
    outputs = args.outputs.split(",") if args.outputs is not None else list(OUTPUTS)
    for name in outputs:
        # The flag's own mistake, told as such (not as the table's).
        if name not in OUTPUTS:
            raise UsageError(
                f"--outputs: {name!r} is not an output; choose from {', '.join(OUTPUTS)}"
            )
        if outputs.count(name) > 1:
            raise UsageError(f"--outputs names {name!r} more than once")
    threads = _threads(args.workers)
    try:
        res = price_portfolio(
            rows, policy, model=policy_case.model, premium=policy_case.premium, outputs=outputs,
            as_of=_as_of(policy_case), target=policy_case.target, ladder=policy_case.ladder,
            progress=None, workers=threads,
        )  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    money = {"annual_sales", "expected_ground_up", "expected_insured", "premium",
             "recommended_limit", "statutory_minimum"}  # fmt: skip
    columns = {(f"{k}_krw" if k in money else k): v.tolist() for k, v in res.columns.items()}
    report = Report({"currency": policy_case.model.currency, "rows": res.to_records()})
    report.add(f"Portfolio of {len(res):,} organisations", columns)
    unused = []
    if policy_case.organisation is not None:
        unused.append("[organisation]")
    if policy_case.offers:
        unused.append("[[offers]]")
    if unused:
        # As recommend says of a [policy] it does not use: a section passed over in
        # silence would look as if it had counted. A warning (after the output, once
        # it succeeds) keeps the table and JSON the rows' own.
        warnings.warn(
            f"{policy_case.source}: {' and '.join(unused)} not used: portfolio prices the "
            "table's organisations under the file's [policy]",
            stacklevel=1,
        )
    return report, res


def cmd_presets(args: argparse.Namespace) -> Report:
    """The ``presets`` command: list the presets, or one preset's parameters and sources."""
    from picover.model.breach_model import BreachModel
    from picover.model.presets import available

    if args.name is None:
        report = Report({"presets": available()})
        report.add("Presets", {"preset": available()})
        return report
    model = BreachModel.preset(args.name)
    params = model.parameters()
    report = Report({"preset": args.name, "parameters": params, "sources": model.sources})
    report.add(
        f"Preset {args.name!r} ({model.currency}): every parameter and its source",
        {
            "parameter": list(params),
            "value": [float(v) for v in params.values()],
            "source": [model.sources[p] for p in params],
        },
    )
    return report


def _plot(kind: str, obj: Any, path: str) -> None:
    from picover import plot

    makers: dict[str, Callable[[Any], Any]] = {
        "quote": plot.quote_figure,
        "compare": plot.offers,
        "sensitivity": plot.tornado,
    }
    fig = makers[kind](obj)
    fig.savefig(_plot_target(path))


def _plot_target(path: str) -> Path:
    """Check ``--plot FILE`` before any work, so a typo does not cost a whole run."""
    target = Path(path)
    if target.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--plot {path!r}: the file must end in .png or .svg")
    if target.is_dir():
        raise UsageError(f"--plot {path}: that is a folder; name a file in it")
    if not target.resolve().parent.is_dir():
        raise UsageError(f"--plot {path}: the folder {target.parent} does not exist")
    existed = target.exists()
    try:
        # Appending creates a missing file but leaves an existing one as it is.
        target.open("ab").close()
    except OSError as exc:
        raise UsageError(f"--plot {path}: the file cannot be written ({exc.strerror})") from None
    if not existed:
        target.unlink()  # nothing left behind if the command then fails
    from picover import plot

    plot._require()  # matplotlib missing: say so now, not after the computation
    return target


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (then exit 2), as for bad input;
    ``picover COMMAND --help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the documentation and tests).

    Examples
    --------
    >>> args = build_parser().parse_args(["quote", "shop.toml", "--unit", "1e6"])
    >>> args.command, args.file, args.format, args.unit  # amounts in millions of KRW
    ('quote', 'shop.toml', 'table', '1e6')
    """
    parser = _Parser(
        prog="picover",
        description="Price personal-information leak liability insurance (amounts in KRW).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def workers(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help=f"threads pricing {what} at once (-1: one per CPU; default 1); same numbers",
        )

    def common(p: argparse.ArgumentParser, plot: bool = False, unit: bool = True) -> None:
        p.add_argument("--format", choices=("table", "json", "csv"), default="table")
        p.add_argument(
            "--unit",
            choices=tuple(UNITS),
            default="KRW",
            # Where amounts show as written, the option is kept only to refuse anything
            # but KRW with a reason; help does not offer it.
            help=(
                "amounts in KRW, millions (1e6) or hundreds of millions (1e8) of KRW"
                if unit
                else argparse.SUPPRESS
            ),
        )
        if plot:
            p.add_argument("--plot", metavar="FILE", help="also draw a figure (.png or .svg)")

    p = sub.add_parser("quote", help="price the case's [policy] for its [organisation]")
    p.add_argument("file")
    common(p, plot=True)
    p = sub.add_parser("recommend", help="recommend a limit (and retention)")
    p.add_argument("file")
    p.add_argument("--rule", choices=("exceedance", "cost_of_risk"), default="exceedance")
    common(p)
    p = sub.add_parser("compare", help="compare the case's [[offers]]")
    p.add_argument("file")
    p.add_argument(
        "--sort-by",
        dest="sort_by",
        default=None,
        help="order by a column, best first, e.g. value_ratio or premium",
    )
    common(p, plot=True)
    p = sub.add_parser("check", help="the statutory duty to insure and its minimum amount")
    p.add_argument("file")
    p.add_argument("--rule", default=None, help="force a rule version by key")
    common(p, unit=False)
    p = sub.add_parser("sensitivity", help="a tornado over parameters")
    p.add_argument("file")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=LOW:HIGH",
        help="a parameter by dotted path and its range (repeat for more)",
    )
    p.add_argument(
        "--output",
        default="premium",
        choices=(
            "premium",
            "pure_premium",
            "expected_insured",
            "expected_ground_up",
            "p_exhaust",
            "rate_on_line",
            "recommended_limit",
        ),
    )
    workers(p, "settings")
    common(p, plot=True)
    p = sub.add_parser("portfolio", help="price every organisation of a CSV table")
    p.add_argument("table", metavar="CSV")
    p.add_argument(
        "--policy",
        required=True,
        metavar="FILE",
        help="a case file whose [policy] (and [model], [premium]) apply to all rows",
    )
    p.add_argument("--outputs", default=None, help="comma-separated outputs (default: all)")
    workers(p, "blocks of rows")
    common(p)
    p = sub.add_parser("presets", help="list the presets, or show one with its sources")
    p.add_argument("name", nargs="?", default=None)
    common(p, unit=False)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Output goes to stdout; on bad input one line goes to stderr and the status is 2.

    Examples
    --------
    >>> run(["presets"])
    Presets
    preset
    ------
    kr
    0
    >>> run(["presets", "no-such-preset"])  # the error line is on stderr
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line usage error
        return int(exc.code or 0)
    # Numerical warnings reach the user as one line each, after the output, not as
    # Python's two-line form with a source path. (Only within this call: the
    # caller's warning filters are restored on return.)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = _run(args)
    seen: set[str] = set()
    for w in caught:
        text = " ".join(str(w.message).split())
        if text.endswith("give a ladder reaching higher"):
            text += " ([settings].ladder in the case file)"
        if text not in seen:
            seen.add(text)
            print(f"picover: warning: {text}", file=sys.stderr)
    return status


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command in ("check", "presets") and args.unit != "KRW":
            # They show amounts as written: the flag would change nothing.
            raise UsageError(
                f"--unit {args.unit} does not apply to '{args.command}', which shows amounts in "
                "KRW as written; it applies to quote, recommend, compare, sensitivity and "
                "portfolio"
            )
        if getattr(args, "plot", None) is not None:
            _plot_target(args.plot)
        obj = None
        if args.command == "presets":
            report = cmd_presets(args)
        elif args.command == "portfolio":
            report, obj = cmd_portfolio(args)
        else:
            case = read(args.file)
            commands: dict[str, Callable[[Case, argparse.Namespace], tuple[Report, Any]]] = {
                "quote": cmd_quote,
                "recommend": cmd_recommend,
                "compare": cmd_compare,
                "check": cmd_check,
                "sensitivity": cmd_sensitivity,
            }
            report, obj = commands[args.command](case, args)
        print(report.render(args.format, args.unit))
        if getattr(args, "plot", None) is not None:
            _plot(args.command, obj, args.plot)
        return 0
    except (InputError, UsageError) as exc:
        print(f"picover: error: {exc}", file=sys.stderr)
        return 2
    except (TypeError, ValueError) as exc:
        # Raised by picover's own checks on the figures given: still bad input,
        # from the file named (when the message does not say so already).
        source = str(getattr(args, "file", "") or "")
        where = f"{source}: " if source and not str(exc).startswith(source) else ""
        print(f"picover: error: {where}{exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"picover: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``| head``): not bad input
        raise
    except OSError as exc:  # a file named on the command line cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"picover: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the command line reports, never dumps a traceback
        print(f"picover: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def main() -> None:
    """Entry point of the ``picover`` console script.

    Runs :func:`run` on ``sys.argv`` and exits with its status (so it never
    returns; call :func:`run` to get the status instead).

    Examples
    --------
    >>> from importlib.metadata import entry_points
    >>> [ep.value for ep in entry_points(group="console_scripts", name="picover")]
    ['picover.cli:main']
    """
    if sys.stdout is None:  # started with standard output closed (``>&-``)
        if sys.stderr is not None:
            print("picover: error: standard output is closed", file=sys.stderr)
        sys.exit(2)
    try:
        status = run()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's advice: point stdout at devnull so the flush at exit cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        status = 1
    sys.exit(status)

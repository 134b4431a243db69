"""Pricing a whole book of organisations.

Expected losses are closed forms evaluated for all organisations at once
with numpy (in chunks, so memory stays bounded whatever the book's size);
the statutory check is vectorised too. Outputs that need a distribution (a
premium with a risk load, an expected insured loss under a retention or
limits, a recommended limit) are computed organisation by organisation with
exactly the functions :func:`picover.quote` and
:func:`picover.recommend_coverage` use, so a book's figures equal the single
quotes' (a recommended limit needs no grid at all when an incident in the
year is less likely than the target). ``workers`` prices blocks of rows in
threads of this process, and ``engine="dask"`` spreads them over a
``dask.distributed`` cluster; both return the one-thread numbers exactly.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover._frozen import FrozenMap, read_only_when_unpickled
from picover._table import Table
from picover.analysis import progress as _progress
from picover.analysis.table import organisations
from picover.analysis.threads import ordered_map, thread_count
from picover.model import vectorised
from picover.model.breach_model import BreachModel, model_or_preset
from picover.model.exposure import FIRST_HISTORY_YEAR, Organisation
from picover.model.policy import Policy
from picover.model.vectorised import expected_losses_arrays
from picover.pricing.coverage import DEFAULT_LADDER, _exceedance_limit, _ladder
from picover.pricing.premium import PremiumBasis
from picover.pricing.quote import _as_of, borne
from picover.statutory import kr

OUTPUTS = (
    "expected_ground_up",
    "expected_insured",
    "premium",
    "recommended_limit",
    "statutory_minimum",
    "obligation",
)
_DISTRIBUTION_OUTPUTS = {"premium", "recommended_limit"}
#: Bytes of working memory per organisation and quadrature node of the vectorised sums.
_BYTES_PER_NODE = 8 * 24


def _read_only_columns(columns: Mapping[str, Any]) -> FrozenMap[str, NDArray[Any]]:
    """Read-only copies of the columns: a result must not change under its reader,
    whether the reader edits it or the caller edits an array it carried through
    (a copy of a book's columns costs milliseconds beside pricing them)."""
    frozen = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray):  # anything else the validator refuses
            values = values.copy()
            values.flags.writeable = False
        frozen[name] = values
    return FrozenMap(frozen)


@read_only_when_unpickled
@attrs.frozen(eq=False)
class PortfolioResult:
    """A priced book: the input columns and the outputs, as numpy arrays.

    Money columns are in ``currency``; ``obligation`` is boolean and
    ``statutory_minimum`` is NaN where no duty applies.

    Examples
    --------
    >>> import picover as pc, datetime
    >>> res = pc.price_portfolio(
    ...     {"records": [5_000, 3_000_000], "annual_sales": [2e8, 120e9],
    ...      "sector": ["retail", "retail"]},
    ...     pc.Policy(limit=1e9), outputs=("expected_ground_up", "obligation"),
    ...     as_of=datetime.date(2025, 1, 1))
    >>> res.columns["obligation"].tolist()
    [False, True]
    """

    columns: Mapping[str, NDArray[Any]] = attrs.field(
        converter=_read_only_columns,
        validator=attrs.validators.deep_mapping(_checks.kind(str), _checks.kind(np.ndarray)),
    )
    currency: str = attrs.field(default="KRW", validator=_checks.kind(str))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self.columns[name]

    def table(self) -> Table:
        """The result as a :class:`~picover.Table` (prints aligned).

        Examples
        --------
        >>> import datetime, picover as pc
        >>> res = pc.price_portfolio(
        ...     {"records": [5_000, 3_000_000], "annual_sales": [2e8, 120e9],
        ...      "sector": ["retail", "retail"]},
        ...     outputs=("expected_ground_up", "obligation"), as_of=datetime.date(2025, 1, 1))
        >>> print(res.table())  # sales and expected losses in KRW (a year)
          records     annual_sales  sector  expected_ground_up  obligation
        ---------  ---------------  ------  ------------------  ----------
            5,000      200,000,000  retail              36,811          no
        3,000,000  120,000,000,000  retail          16,262,542         yes
        """
        return Table(self.columns)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict of Python scalars per organisation: the input columns, then the outputs.

        Examples
        --------
        >>> import datetime, picover as pc
        >>> res = pc.price_portfolio(
        ...     {"records": [5_000, 3_000_000], "annual_sales": [2e8, 120e9],
        ...      "sector": ["retail", "retail"]},
        ...     outputs=("expected_ground_up", "obligation"), as_of=datetime.date(2025, 1, 1))
        >>> rows = res.to_records()
        >>> rows[1]["records"], rows[1]["obligation"]
        (3000000, True)
        >>> shop = pc.Organisation(records=5_000, annual_sales=2e8, sector="retail")
        >>> expected = pc.BreachModel.preset("kr").expected_losses(shop)["total"]  # KRW a year
        >>> bool(abs(rows[0]["expected_ground_up"] - expected) < 1e-6 * expected)
        True
        """
        return self.table().to_records()

    def to_pandas(self) -> Any:
        """A pandas DataFrame (pandas is optional), its money columns' unit in
        ``frame.attrs["currency"]`` (the columns keep the names the result has).

        Without pandas this raises ImportError; the example below then checks nothing.

        Examples
        --------
        >>> import datetime, picover as pc
        >>> res = pc.price_portfolio(
        ...     {"records": [5_000, 3_000_000], "annual_sales": [2e8, 120e9],
        ...      "sector": ["retail", "retail"]},
        ...     outputs=("expected_ground_up", "obligation"), as_of=datetime.date(2025, 1, 1))
        >>> try:
        ...     frame = res.to_pandas()
        ... except ImportError:  # pandas not installed
        ...     frame = None
        >>> frame is None or (frame.attrs["currency"], list(frame["obligation"])) == (
        ...     "KRW", [False, True])
        True
        """
        frame = self.table().to_pandas()
        frame.attrs["currency"] = self.currency
        return frame

    def __str__(self) -> str:
        return f"amounts in {self.currency}\n{self.table()}"


def _policies(policy: Any, n: int) -> list[Policy] | None:
    if policy is None:
        return None
    if isinstance(policy, Policy):
        return [policy] * n
    # A mapping iterates as its keys: a dict of terms must not pass for policies.
    if isinstance(policy, Iterable) and not isinstance(policy, str | bytes | Mapping):
        out = list(policy)
        if len(out) != n:
            raise ValueError(f"give one policy, or one per organisation ({n}); got {len(out)}")
        for i, p in enumerate(out):
            if not isinstance(p, Policy):
                raise TypeError(f"policies[{i}] must be a picover Policy; got {type(p).__name__}")
        return out
    raise TypeError(f"policy must be a Policy or a sequence of them; got {type(policy).__name__}")


def price_portfolio(
    table: Any,
    policy: Policy | Sequence[Policy] | None = None,
    *,
    model: BreachModel | None = None,
    premium: PremiumBasis | None = None,
    outputs: Sequence[str] | None = None,
    as_of: datetime.date | None = None,
    target: float = 0.01,
    ladder: Sequence[float] = DEFAULT_LADDER,
    engine: str = "numpy",
    client: Any = None,
    partitions: int | None = None,
    max_memory: float = 2**30,
    progress: bool | None = None,
    workers: int | None = None,
) -> PortfolioResult:
    """Price every organisation of ``table`` (amounts in the model's currency).

    Parameters
    ----------
    table : dict of columns, list of row dicts or pandas DataFrame
        Columns ``records``, ``annual_sales`` and ``sector``; optional
        ``name``, ``years_observed`` and ``incidents`` (a history summary:
        the record count is taken to be the current one in each observed
        year), and the statutory flags ``entity_type``, ``ict_provider``,
        ``equivalent_cover`` and ``processing_outsourced``.
    policy : Policy or sequence of Policy, optional
        One policy for all, or one per row; needed for ``expected_insured``
        and ``premium``.
    model : BreachModel, optional
        Default: the Korean preset.
    premium : PremiumBasis, optional
        Default: ``PremiumBasis()``.
    outputs : sequence of str, optional
        Any of ``expected_ground_up``, ``expected_insured``, ``premium``,
        ``recommended_limit``, ``statutory_minimum``, ``obligation``. Default:
        all of them, or without a policy all but ``expected_insured`` and
        ``premium``.
    as_of : datetime.date, optional
        Date of the statutory check (default: today).
    target, ladder :
        The recommended limit's exceedance target and ladder (see
        :func:`picover.recommend_coverage`).
    engine : {"numpy", "dask"}
        In this process, or spread over a ``dask.distributed`` cluster.
    client : dask.distributed.Client, optional
        The cluster to use with ``engine="dask"`` (default: a LocalCluster
        started and closed for this call).
    partitions : int, optional
        Pieces the table is cut into for dask (default: 4 per worker).
    max_memory : float
        Upper bound (bytes) on the working memory of the vectorised sums (default 1 GiB).
    progress : bool, optional
        Show a progress bar (needs tqdm); by default only when stderr is a
        terminal, and only if the work takes more than two seconds.
    workers : int, optional
        Threads pricing blocks of rows at once in this process (with the
        default ``engine="numpy"``): None or 1 for one, a negative count
        backwards from the CPUs this process may use (-1: all of them), as in
        ``scipy.fft``. numpy's arithmetic and transforms run outside Python's
        global lock, so on two cores the expected losses took 0.55 to 0.7 of
        one thread's time; full quotes, whose bookkeeping holds the lock,
        0.65 to 1.0 of it.
        The numbers equal the one-thread run's exactly, and ``max_memory``
        bounds the vectorised sums of all threads together. After an error or
        an interrupt, blocks not yet started are dropped and running ones are
        waited for.

    Returns
    -------
    PortfolioResult

    Examples
    --------
    A book of two shops under one 50 million KRW policy; each premium (KRW)
    equals the single quote's:

    >>> import picover as pc, datetime
    >>> day = datetime.date(2025, 1, 1)
    >>> res = pc.price_portfolio(
    ...     {"records": [5_000, 40_000], "annual_sales": [2e8, 3e9],
    ...      "sector": ["retail", "retail"]},
    ...     pc.Policy(limit=5e7), outputs=("premium", "statutory_minimum"), as_of=day)
    >>> res["statutory_minimum"].tolist()  # KRW; NaN: the first shop need not insure
    [nan, 50000000.0]
    >>> shop = pc.Organisation(records=40_000, annual_sales=3e9, sector="retail")
    >>> bool(res["premium"][1] == pc.quote(shop, pc.Policy(limit=5e7), as_of=day).premium.gross)
    True
    """
    model = model_or_preset(model)
    basis = PremiumBasis() if premium is None else premium
    if isinstance(outputs, str):
        raise TypeError(f"outputs must be a list of output names; got the string {outputs!r}")
    if outputs is None:
        needs_policy = ("expected_insured", "premium")
        outputs = OUTPUTS if policy is not None else [o for o in OUTPUTS if o not in needs_policy]
    wanted = list(outputs)
    for name in wanted:
        _checks.one_of("outputs", name, OUTPUTS)
    twice = sorted({name for name in wanted if wanted.count(name) > 1})
    if twice:
        raise ValueError(f"outputs names {twice} more than once")
    if {"premium", "recommended_limit", "statutory_minimum", "obligation"} & set(wanted):
        kr.require_krw(model.currency)  # every one of these consults the KRW statutory check
    _checks.one_of("engine", engine, ("numpy", "dask"))
    if engine != "dask":
        for name, value in (("client", client), ("partitions", partitions)):
            if value is not None:
                raise ValueError(f"{name} applies to engine='dask' only; got {name}={value!r}")
    elif workers is not None:
        raise ValueError(
            f"workers applies to engine='numpy' only (a dask cluster has its own); got "
            f"workers={workers!r}"
        )
    threads = thread_count(workers)
    if partitions is not None:
        partitions = _checks.integer("partitions", partitions, low=1)
    memory = _checks.number("max_memory", max_memory, low=2**20)
    day = _as_of(as_of)
    if "recommended_limit" in wanted:
        # Checked before any work (each organisation's recommendation checks them again).
        _checks.number("target", target, low=0.0, high=1.0, low_open=True, high_open=True)
        _ladder(ladder, "ladder", positive=True)
    cols, given = organisations(table, sorted(model.frequency_model.base_rate), OUTPUTS)
    n = len(cols["records"])
    # The history summary's years end the year before the quote (1900 at the earliest).
    most = day.year - FIRST_HISTORY_YEAR
    late = np.flatnonzero(cols["years_observed"] > most)
    if late.size:
        i = int(late[0])
        raise ValueError(
            f"row {i}, column 'years_observed': {int(cols['years_observed'][i])} years before "
            f"{day.year} would start before {FIRST_HISTORY_YEAR}; at most {most} are allowed"
        )
    policies = _policies(policy, n)
    if policies is None and {"expected_insured", "premium"} & set(wanted):
        asked = [o for o in wanted if o in ("expected_insured", "premium")]
        raise ValueError(f"outputs {asked} need a policy; pass one, or leave them out")
    if engine == "dask":
        from picover.analysis.distributed import run_on_dask

        result: PortfolioResult = run_on_dask(
            cols, given, policies, model=model, premium=basis, outputs=wanted, as_of=day,
            target=target, ladder=ladder, client=client, partitions=partitions,
            max_memory=memory,
        )  # fmt: skip
        return result
    if threads > 1 and n > 1:
        # Each row's figures depend on that row alone, so blocks give the numbers of
        # one pass. Eight blocks a thread keep the threads busy to the end when
        # organisations differ in cost; more would only add each block's fixed work
        # (its statutory arrays, its result's copies).
        share = memory / threads

        def block(job: tuple[dict[str, NDArray[Any]], list[Policy] | None]) -> PortfolioResult:
            part, pols = job
            return _price(
                part, given, pols, model, basis, wanted, day, target, ladder, share, False
            )

        blocks = row_blocks(cols, policies, 8 * threads)
        return joined(ordered_map(block, blocks, threads, "pricing", progress), model.currency)
    return _price(
        cols, given, policies, model, basis, wanted, day, target, ladder, memory, progress
    )


def row_blocks(
    cols: dict[str, NDArray[Any]], policies: list[Policy] | None, pieces: int
) -> list[tuple[dict[str, NDArray[Any]], list[Policy] | None]]:
    """The table cut into ``pieces`` consecutive blocks of rows (fewer for a short
    table), each with its rows' policies."""
    n = len(cols["records"])
    bounds = np.linspace(0, n, min(n, pieces) + 1).astype(int)
    return [
        ({k: v[lo:hi] for k, v in cols.items()}, None if policies is None else policies[lo:hi])
        for lo, hi in itertools.pairwise(bounds)
    ]


def joined(results: Sequence[PortfolioResult], currency: str) -> PortfolioResult:
    """The blocks' results put back together, in the blocks' order."""
    columns = {k: np.concatenate([r.columns[k] for r in results]) for k in results[0].columns}
    return PortfolioResult(columns, currency=currency)


def _price(
    cols: dict[str, NDArray[Any]],
    given: list[str],
    policies: list[Policy] | None,
    model: BreachModel,
    basis: PremiumBasis,
    wanted: list[str],
    day: datetime.date,
    target: float,
    ladder: Sequence[float],
    max_memory: float,
    progress: bool | None,
) -> PortfolioResult:
    n = len(cols["records"])
    out: dict[str, NDArray[Any]] = {k: cols[k] for k in given}
    exposure = cols["years_observed"]  # every observed year at today's size: (R / R) ** e = 1

    def chunk_for(policy: Policy | None) -> int:
        # Chunks small enough to stay in cache run fastest; the memory bound may cut
        # further (a policy's bends add nodes).
        nodes = model.most_nodes(policy)
        return max(1, min(vectorised.CHUNK, int(max_memory // (_BYTES_PER_NODE * nodes))))

    if "expected_ground_up" in wanted:
        out["expected_ground_up"] = _ground_up(model, cols, exposure, policies, chunk_for(None))
    # policies is None only when neither output is wanted (checked by the caller).
    if policies is not None and ("expected_insured" in wanted or "premium" in wanted):
        insured = np.full(n, np.nan)
        closed = [i for i, p in enumerate(policies) if p.pays_in_closed_form]
        for p in {id(policies[i]): policies[i] for i in closed}.values():
            rows = np.array([i for i in closed if policies[i] is p])
            part = {k: v[rows] for k, v in cols.items()}
            insured[rows] = _expected(model, part, exposure[rows], p, chunk_for(p))
        premium = np.full(n, np.nan)
        need = [i for i in range(n) if "premium" in wanted or not policies[i].pays_in_closed_form]
        for i in _progress.track(need, "pricing", progress):
            loss = model.annual_loss(_organisation(cols, i, day), policies[i])
            insured[i] = loss.mean()
            if "premium" in wanted:
                premium[i] = basis.apply(loss).gross
        if "expected_insured" in wanted:
            out["expected_insured"] = insured
        if "premium" in wanted:
            out["premium"] = premium
    if "recommended_limit" in wanted:
        limits = np.empty(n)
        for i in _progress.track(range(n), "recommending", progress):
            limits[i] = _exceedance_limit(
                _organisation(cols, i, day),
                model=model,
                target=target,
                ladder=ladder,
                as_of=day,
            )
        out["recommended_limit"] = limits
    if "statutory_minimum" in wanted or "obligation" in wanted:
        required, minimum = kr.obligation_arrays(
            cols["records"], cols["annual_sales"], as_of=day, ict_provider=cols["ict_provider"],
            entity_type=cols["entity_type"], equivalent_cover=cols["equivalent_cover"],
            processing_outsourced=cols["processing_outsourced"],
        )  # fmt: skip
        if "statutory_minimum" in wanted:
            out["statutory_minimum"] = minimum
        if "obligation" in wanted:
            out["obligation"] = required
    return PortfolioResult(out, currency=model.currency)


def _distinct(policies: Sequence[Policy]) -> list[Policy]:
    """The distinct policy objects of a book (one, usually: checked first, fast)."""
    first = policies[0]
    if all(p is first for p in policies):
        return [first]
    return list({id(p): p for p in policies}.values())


def _ground_up(
    model: BreachModel,
    cols: dict[str, NDArray[Any]],
    exposure: NDArray[Any],
    policies: Sequence[Policy] | None,
    chunk: int,
) -> NDArray[np.float64]:
    """Each row's ground-up total as its quote reports it: the insurable categories,
    plus any its policy covers by endorsement (fines), so it compares with the insured."""
    by_category = expected_losses_arrays(
        model, cols["records"], cols["annual_sales"], cols["sector"],
        incidents=cols["incidents"], exposure=exposure, chunk=chunk,
    )  # fmt: skip
    total = by_category["total"]
    if policies is None:
        return total
    for p in _distinct(policies):
        extra = [c for c in borne(model, p) if not model.costs[c].insurable]
        if extra:
            rows = np.array([i for i, q in enumerate(policies) if q is p])
            total[rows] += np.sum([by_category[c][rows] for c in extra], axis=0)
    return total


def _expected(
    model: BreachModel,
    cols: dict[str, NDArray[Any]],
    exposure: NDArray[Any],
    policy: Policy | None,
    chunk: int,
) -> NDArray[np.float64]:
    return expected_losses_arrays(
        model, cols["records"], cols["annual_sales"], cols["sector"],
        incidents=cols["incidents"], exposure=exposure, policy=policy, chunk=chunk,
    )["total"]  # fmt: skip


def _organisation(cols: dict[str, NDArray[Any]], i: int, day: datetime.date) -> Organisation:
    years = int(cols["years_observed"][i])
    history = None
    if years:
        from picover.model.exposure import IncidentHistory

        # The summary's years end the year before the quote (the caller checked that
        # they start no earlier than a history may). Its incidents go in the first
        # year: only the totals matter.
        incidents = int(cols["incidents"][i])
        records = int(cols["records"][i])
        first = day.year - years
        history = IncidentHistory.from_rows(
            {"year": first + y, "records_held": records, "incidents": incidents if y == 0 else 0}
            for y in range(years)
        )
    return Organisation(
        records=int(cols["records"][i]),
        annual_sales=float(cols["annual_sales"][i]),
        sector=str(cols["sector"][i]),
        history=history,
        name=str(cols["name"][i]) or None,
        entity_type=str(cols["entity_type"][i]),
        ict_provider=bool(cols["ict_provider"][i]),
        equivalent_cover=bool(cols["equivalent_cover"][i]),
        processing_outsourced=bool(cols["processing_outsourced"][i]),
    )

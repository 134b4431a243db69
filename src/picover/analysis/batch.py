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
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from picover import _checks
from picover._frozen import FrozenMap, read_only_when_unpickled
from picover._table import Table
from picover.analysis import progress as _progress
from picover.analysis.table import Rows, organisations
from picover.analysis.threads import ordered_map, thread_count
from picover.model import vectorised
from picover.model.breach_model import BreachModel, model_or_preset
from picover.model.exposure import FIRST_HISTORY_YEAR, LAST_HISTORY_YEAR, Organisation
from picover.model.policy import Policy
from picover.model.vectorised import expected_losses_arrays
from picover.pricing.coverage import DEFAULT_LADDER, _ladder, _limit_and_shortfall
from picover.pricing.premium import PremiumBasis, premium_basis
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
        Default: ``PremiumBasis()``. A principle alone (``ExpectedValue(0.2)``)
        is refused: wrap it as ``PremiumBasis(ExpectedValue(0.2))``.
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

    Warns
    -----
    RuntimeWarning
        Once for the book when some rows' recommended limit (the ladder's top,
        or the statutory minimum above it) still misses ``target``, naming how
        many rows, the first few, and the first one's P(loss > limit), as
        :func:`picover.recommend_coverage` warns for one organisation.

    Errors name a row by its position from 0, or, for a DataFrame whose index
    is not 0, 1, 2, ..., by its index label with the position beside it.

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
    basis = premium_basis(premium)
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
    # Checked before any work (each organisation's recommendation checks them again),
    # and whatever the outputs: a mistake must not wait for "recommended_limit".
    _checks.number("target", target, low=0.0, high=1.0, low_open=True, high_open=True)
    _ladder(ladder, "ladder", positive=True)
    progress = _progress.checked(progress)
    # The history summary's years end the year before the quote, and a history lies
    # within the years HistoryYear allows.
    most = max(0, day.year - FIRST_HISTORY_YEAR) if day.year - 1 <= LAST_HISTORY_YEAR else 0
    cols, given, rows = organisations(
        table, sorted(model.frequency_model.base_rate), OUTPUTS, most_years=most,
        years_note=f" (the years observed end in {day.year - 1}, and a history starts in "
        f"{FIRST_HISTORY_YEAR} at the earliest)",
    )  # fmt: skip
    n = len(cols["records"])
    policies = _policies(policy, n)
    if policies is None and {"expected_insured", "premium"} & set(wanted):
        asked = [o for o in wanted if o in ("expected_insured", "premium")]
        raise ValueError(f"outputs {asked} need a policy; pass one, or leave them out")
    if engine == "dask":
        from picover.analysis.distributed import run_on_dask

        priced: _Priced = run_on_dask(
            cols, given, policies, model=model, premium=basis, outputs=wanted, as_of=day,
            target=target, ladder=ladder, client=client, partitions=partitions,
            max_memory=memory,
        )  # fmt: skip
    elif threads > 1 and n > 1:
        # Each row's figures depend on that row alone, so blocks give the numbers of
        # one pass. Eight blocks a thread keep the threads busy to the end when
        # organisations differ in cost; more would only add each block's fixed work
        # (its statutory arrays, its result's copies).
        share = memory / threads

        def block(job: tuple[dict[str, NDArray[Any]], list[Policy] | None]) -> _Priced:
            part, pols = job
            return _price(
                part, given, pols, model, basis, wanted, day, target, ladder, share, False
            )

        blocks = row_blocks(cols, policies, 8 * threads)
        priced = joined(ordered_map(block, blocks, threads, "pricing", progress), model.currency)
    else:
        priced = _price(
            cols, given, policies, model, basis, wanted, day, target, ladder, memory, progress
        )
    if priced.short.size:
        _warn_short(priced, rows, n, target, ladder, model.currency)
    return priced.result


@attrs.frozen(eq=False)
class _Priced:
    """A block of rows priced: its result, and the rows (positions in the block)
    whose recommended limit still misses the target, with P(loss > that limit) for each."""

    result: PortfolioResult
    short: NDArray[np.intp]
    exceedance: NDArray[np.float64]


def _warn_short(
    priced: _Priced, rows: Rows, n: int, target: float, ladder: Sequence[float], currency: str
) -> None:
    """One warning for the whole book, in recommend_coverage's words: a warning a row
    would bury the output under thousands of lines, and each names its row anyway."""
    first = int(priced.short[0])
    limit = float(priced.result.columns["recommended_limit"][first])
    warnings.warn(
        f"no limit on the ladder meets the target for {priced.short.size:,} of {n:,} "
        f"organisations ({rows.names(priced.short)}): P(loss > limit) is above {target:.3g} "
        f"at the recommended limit ({rows.name(first)}: P(loss > {limit:,.0f}) = "
        f"{priced.exceedance[0]:.3g} against {target:.3g}; the ladder ends at "
        f"{float(ladder[-1]):,.0f} {currency}); give a ladder reaching higher",
        RuntimeWarning,
        stacklevel=3,
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


def joined(blocks: Sequence[_Priced], currency: str) -> _Priced:
    """The blocks' results put back together, in the blocks' order."""
    results = [b.result for b in blocks]
    columns = {k: np.concatenate([r.columns[k] for r in results]) for k in results[0].columns}
    starts = np.cumsum([0] + [len(r) for r in results[:-1]])
    return _Priced(
        PortfolioResult(columns, currency=currency),
        np.concatenate([b.short + start for b, start in zip(blocks, starts, strict=True)]),
        np.concatenate([b.exceedance for b in blocks]),
    )


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
) -> _Priced:
    n = len(cols["records"])
    out: dict[str, NDArray[Any]] = {k: cols[k] for k in given}
    exposure = cols["years_observed"]  # every observed year at today's size: (R / R) ** e = 1

    def chunk_for(policy: Policy | None) -> int:
        # Chunks small enough to stay in cache run fastest; the memory bound may cut
        # further (a policy's bends add nodes).
        nodes = model.most_nodes(policy)
        return max(1, min(vectorised.CHUNK, int(max_memory // (_BYTES_PER_NODE * nodes))))

    groups = None if policies is None else _groups(policies)
    if "expected_ground_up" in wanted:
        out["expected_ground_up"] = _ground_up(model, cols, exposure, groups, chunk_for(None))
    # policies is None only when neither output is wanted (checked by the caller).
    if (
        policies is not None
        and groups is not None
        and ("expected_insured" in wanted or "premium" in wanted)
    ):
        insured = np.full(n, np.nan)
        for p, rows in groups:
            if p.pays_in_closed_form:
                part = cols if rows.size == n else {k: v[rows] for k, v in cols.items()}
                insured[rows] = _expected(model, part, exposure[rows], p, chunk_for(p))
        premium = np.full(n, np.nan)
        if "premium" in wanted:
            need: Sequence[int] = range(n)
        else:
            # Rows whose policy needs the distribution, in the table's order.
            need = np.sort(np.concatenate(
                [rows for p, rows in groups if not p.pays_in_closed_form] or [np.empty(0, int)]
            )).tolist()  # fmt: skip
        for i in _progress.track(need, "pricing", progress):
            loss = model.annual_loss(_organisation(cols, i, day), policies[i])
            insured[i] = loss.mean()
            if "premium" in wanted:
                premium[i] = basis.apply(loss).gross
        if "expected_insured" in wanted:
            out["expected_insured"] = insured
        if "premium" in wanted:
            out["premium"] = premium
    short: list[int] = []
    exceedance: list[float] = []
    if "recommended_limit" in wanted:
        limits = np.empty(n)
        for i in _progress.track(range(n), "recommending", progress):
            limits[i], missed = _limit_and_shortfall(
                _organisation(cols, i, day),
                model=model,
                target=target,
                ladder=ladder,
                as_of=day,
            )
            if missed is not None:
                short.append(i)
                exceedance.append(missed)
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
    return _Priced(
        PortfolioResult(out, currency=model.currency),
        np.array(short, dtype=np.intp),
        np.array(exceedance, dtype=np.float64),
    )


def _groups(policies: Sequence[Policy]) -> list[tuple[Policy, NDArray[np.intp]]]:
    """The book's distinct policies, each with its rows, in order of first appearance.

    Equal policies (attrs compares every term) price alike, so they form one
    group whether or not they are one object: a list built row by row holds
    as many equal copies as rows, and grouping those by identity priced each
    row alone. Each object is hashed once, rows are sorted into groups by
    numpy; an object that cannot be hashed (a subclass that turned hashing
    off) is a group of its own.
    """
    n = len(policies)
    first = policies[0]
    if all(p is first for p in policies):  # one policy for the book, usually: fast
        return [(first, np.arange(n))]
    ids = np.fromiter(map(id, policies), dtype=np.uint64, count=n)
    _, where, inverse = np.unique(ids, return_index=True, return_inverse=True)
    group_of: dict[Any, int] = {}
    label = np.empty(where.size, dtype=np.intp)
    for j in np.argsort(where):  # objects in order of first appearance
        p = policies[int(where[j])]
        key: Any = p
        try:
            hash(p)
        except TypeError:
            key = ("identity", id(p))
        label[j] = group_of.setdefault(key, len(group_of))
    row_group = label[inverse.ravel()]
    order = np.argsort(row_group, kind="stable")
    bounds = np.cumsum(np.bincount(row_group, minlength=len(group_of)))[:-1]
    return [(policies[int(rows[0])], rows) for rows in np.split(order, bounds)]


def _ground_up(
    model: BreachModel,
    cols: dict[str, NDArray[Any]],
    exposure: NDArray[Any],
    groups: Sequence[tuple[Policy, NDArray[np.intp]]] | None,
    chunk: int,
) -> NDArray[np.float64]:
    """Each row's ground-up total as its quote reports it: the insurable categories,
    plus any its policy covers by endorsement (fines), so it compares with the insured."""
    by_category = expected_losses_arrays(
        model, cols["records"], cols["annual_sales"], cols["sector"],
        incidents=cols["incidents"], exposure=exposure, chunk=chunk,
    )  # fmt: skip
    total = by_category["total"]
    for p, rows in groups or ():
        extra = [c for c in borne(model, p) if not model.costs[c].insurable]
        if extra:
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

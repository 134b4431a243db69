"""Running a book on a ``dask.distributed`` cluster (the optional ``dask`` extra).

The table is cut into row blocks; each block is priced by the same in-process
code on a worker, and the blocks are put back in order, so the numbers are the
ones :func:`picover.price_portfolio` gives in one process.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from numpy.typing import NDArray

from picover.model.breach_model import BreachModel
from picover.model.policy import Policy
from picover.pricing.premium import PremiumBasis


def _block(args: tuple[Any, ...]) -> Any:
    from picover.analysis.batch import _price

    return _price(*args)


def run_on_dask(
    cols: dict[str, NDArray[Any]],
    given: list[str],
    policies: list[Policy] | None,
    *,
    model: BreachModel,
    premium: PremiumBasis,
    outputs: list[str],
    as_of: datetime.date,
    target: float,
    ladder: Sequence[float],
    client: Any,
    partitions: int | None,
    max_memory: float,
) -> Any:
    """Price the rows in blocks on ``client`` (a LocalCluster when None): the joined
    blocks, with the rows whose recommended limit misses the target (warned of by
    the caller, once for the book: a worker's warnings stay on the worker)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "engine='dask' needs dask.distributed: pip install 'picover[dask]'"
        ) from exc
    from picover.analysis.batch import joined, row_blocks

    own = client is None
    cluster = None
    if own:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            processes=True, threads_per_worker=1, dashboard_address=None
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        jobs = []
        pieces = partitions if partitions is not None else 4 * workers
        for part, pols in row_blocks(cols, policies, pieces):
            args = (part, given, pols, model, premium, outputs, as_of, target, ladder,
                    max_memory, False)  # fmt: skip
            jobs.append(client.submit(_block, args, pure=False))
        results = client.gather(jobs)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return joined(results, model.currency)

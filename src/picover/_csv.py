"""Reading a CSV table into rows, refusing what the reader would silently pad or drop."""

from __future__ import annotations

import csv
import io


def records(text: str, first_row: int = 0) -> list[dict[str, str]]:
    """Rows of a CSV text as mappings from column name to cell (see :func:`table`).

    Examples
    --------
    >>> records("a,b\\n1,2\\n")
    [{'a': '1', 'b': '2'}]
    """
    return table(text, first_row)[1]


def table(text: str, first_row: int = 0) -> tuple[list[str], list[dict[str, str]]]:
    """The column names of a CSV text, and its rows as mappings from name to cell.

    ``csv.DictReader`` pads a short row with None and keeps only the last of
    two equal column names; both are refused here, naming the row (counted
    from ``first_row``, blank lines skipped) or the column.

    Examples
    --------
    >>> table("a,b\\n1,2\\n")
    (['a', 'b'], [{'a': '1', 'b': '2'}])
    >>> records("a,b\\n1\\n")
    Traceback (most recent call last):
    ...
    ValueError: row 0: 1 cell(s) for 2 column names
    >>> records("a,a\\n1,2\\n")
    Traceback (most recent call last):
    ...
    ValueError: column name(s) 'a' appear more than once
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return [], []
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        names = ", ".join(repr(name) for name in repeated)
        raise ValueError(f"column name(s) {names} appear more than once")
    rows: list[dict[str, str]] = []
    for cells in reader:
        if not cells:
            continue
        if len(cells) != len(header):
            raise ValueError(
                f"row {len(rows) + first_row}: {len(cells)} cell(s) for {len(header)} column names"
            )
        rows.append(dict(zip(header, cells, strict=True)))
    return header, rows

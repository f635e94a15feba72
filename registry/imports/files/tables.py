"""What reading a file gives: a :class:`Table` of text cells with the row numbers the
curator sees, or :class:`FileRejected`; and how each reader turns its records into
that table (the first non-blank record is the header)."""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter


class FileRejected(Exception):
    """The file cannot be read at all; ``str(error)`` is a message for the curator,
    translated, saying what is wrong and what to do. ``code`` names the problem for
    callers and tests that branch on it."""

    def __init__(self, message: str, *, code: str = "rejected"):
        super().__init__(message)
        self.code = code


@dataclass
class Row:
    # Where the curator finds the row: a workbook's sheet row number; in CSV and TSV
    # the row Excel shows it on (comment and header lines counted, a quoted cell over
    # two lines still one row); in JSON the record's position in the list, from 1.
    number: int
    # Header as written (stripped) -> cell text, stripped; '' when empty, never None.
    values: dict[str, str]


@dataclass
class Table:
    headers: list[str]  # as written, stripped, in file order; empty ones dropped
    rows: list[Row]  # blank rows skipped
    file_format: str  # 'csv' | 'tsv' | 'xlsx' | 'json'
    # 'utf-8-sig' | 'utf-8' | 'utf-16' | 'cp932' | 'cp1252' | 'latin-1'; '' for xlsx
    encoding: str
    sheet: str = ""  # the sheet read ('' unless xlsx)
    sheets: list[str] = field(default_factory=list)  # every worksheet of a workbook
    delimiter: str = ""  # what a CSV or TSV file was split on
    # Spreadsheet letters of columns with values but no header: the values are
    # dropped, so callers should tell the curator.
    headerless_columns: list[str] = field(default_factory=list)


def _is_comment(cells: list[str]) -> bool:
    """A record of one cell starting with "#": a comment line, not a row."""
    filled = [cell for cell in cells if cell]
    return len(filled) == 1 and cells[0].startswith("#")


def tabulate(
    records: Iterable[tuple[int, list[str]]], max_rows: int
) -> tuple[list[str], list[Row], list[str]] | None:
    """(headers, rows, headerless column letters) from (number, stripped cells); the
    first non-blank record is the header. None if there is no header."""
    records = iter(records)
    for _number, header_cells in records:
        if any(header_cells):
            break
    else:
        return None
    columns = [(index, header) for index, header in enumerate(header_cells) if header]
    reject_repeated_headers(
        [(get_column_letter(index + 1), header) for index, header in columns]
    )
    rows: list[Row] = []
    headerless: set[int] = set()
    for number, cells in records:
        headerless.update(
            index
            for index, cell in enumerate(cells)
            if cell and (index >= len(header_cells) or not header_cells[index])
        )
        if _is_comment(cells):
            continue  # e.g. the closing line of our CSV exports, "# rows exported: 12"
        values = {
            header: cells[index] if index < len(cells) else ""
            for index, header in columns
        }
        if not any(values.values()):
            continue
        if len(rows) == max_rows:
            raise FileRejected(too_many_rows_message(max_rows), code="too_many_rows")
        rows.append(Row(number=number, values=values))
    headers = [header for _index, header in columns]
    return headers, rows, [get_column_letter(index + 1) for index in sorted(headerless)]


def reject_repeated_headers(columns: list[tuple[str, str]]) -> None:
    """Refuse a header written twice: each row is a dict keyed by header, so one of
    the columns would be lost. ``columns`` are (where it is written, header)."""
    counts = Counter(header for _place, header in columns)
    for header, count in counts.items():
        if count > 1:
            places = [place for place, named in columns if named == header]
            raise FileRejected(
                _(
                    "The header “%(header)s” is written over more than one column "
                    "(%(columns)s). Each column needs a header of its own: rename or "
                    "delete the extra one."
                )
                % {"header": header, "columns": ", ".join(places)},
                code="repeated_header",
            )


def cell_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def scalar_text(value) -> str:
    """A cell's value as the text a curator typed: 2019 not 2019.0, TRUE not True."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    return str(value)


def _float_text(value: float) -> str:
    if value == 0:
        return "0"  # not '-0'
    # Excel keeps 15 significant digits: 0.1 + 0.2 is 0.3 there, and here.
    text = format(value, ".15g")
    if "e" in text:  # 1e-05 reads as 0.00001, 1e+20 as 100000000000000000000
        text = format(Decimal(text), "f")
    return text


def too_many_rows_message(max_rows: int, count: int | None = None) -> str:
    limit = f"{max_rows:,}"
    if count is None:  # counting stopped at the limit
        return _(
            "This file has more than %(limit)s rows; the limit is %(limit)s "
            "(IMPORT_MAX_ROWS). Split it into files of at most %(limit)s rows each "
            "and upload them one by one."
        ) % {"limit": limit}
    return _(
        "This file has %(count)s rows; the limit is %(limit)s (IMPORT_MAX_ROWS). "
        "Split it into files of at most %(limit)s rows each and upload them one by "
        "one."
    ) % {"limit": limit, "count": f"{count:,}"}


def empty_message() -> str:
    return _(
        "The file is empty. Check that you chose the right file and that it was saved "
        "with its header row and data."
    )

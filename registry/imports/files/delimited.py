"""Reading CSV and TSV text: the delimiter sniffed (',' or European Excel's ';', or
a tab), the comment lines our exports put before the header skipped, and each record
numbered as the spreadsheet row it is."""

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from .kinds import binary_kind, not_a_spreadsheet_message
from .tables import FileRejected, Table, cell_text, empty_message, tabulate
from .text import decode_text

# How much of a text file to search for control characters and for the header line:
# enough evidence either way, and bounded time on a large file.
BINARY_SAMPLE_CHARS = 65_536
BINARY_CONTROL_SHARE = 0.01


def read_delimited(
    data: bytes, file_format: str, max_rows: int, *, strict_quotes: bool = True
) -> Table:
    format_name = file_format.upper()
    kind = binary_kind(data)
    if kind == "xlsx":
        raise FileRejected(
            _(
                "This file is an Excel workbook (.xlsx), not %(format)s text: it was "
                "probably renamed. Upload it as .xlsx (choose the XLSX format), or "
                "open it in Excel and save it as “CSV UTF-8”."
            )
            % {"format": format_name},
            code="not_text",
        )
    if kind == "zip":
        raise FileRejected(
            _(
                "This file is a ZIP archive, not %(format)s text. Unzip it and upload "
                "the spreadsheet inside, as .xlsx or CSV."
            )
            % {"format": format_name},
            code="not_text",
        )
    if kind == "binary":
        raise FileRejected(_binary_message(format_name), code="not_text")
    if kind:
        raise FileRejected(not_a_spreadsheet_message(kind), code="not_text")
    text, encoding = decode_text(data)
    sample = text[:BINARY_SAMPLE_CHARS]
    controls = sum(1 for char in sample if _is_binary_control(char))
    if "\x00" in sample or controls > len(sample) * BINARY_CONTROL_SHARE:
        raise FileRejected(_binary_message(format_name), code="not_text")
    delimiter, has_sep_line = sniff_delimiter(text, file_format)
    lines = io.StringIO(text, newline="")
    # Comment lines are skipped as lines, not parsed: a quote in a comment must not
    # open a cell that runs on into the data.
    lines_before_header = 0
    first_line: list[str] = []
    for line in lines:
        stripped = line.strip()
        is_comment = stripped.lstrip('"').startswith("#")
        if (has_sep_line and lines_before_header == 0) or not stripped or is_comment:
            lines_before_header += 1
        else:
            first_line.append(line)
            break
    records = _csv_records(
        itertools.chain(first_line, lines),
        delimiter,
        lines_before_header,
        format_name,
        strict_quotes,
    )
    table = tabulate(records, max_rows)
    if table is None:
        raise FileRejected(empty_message(), code="empty")
    headers, rows, headerless = table
    return Table(
        headers=headers,
        rows=rows,
        file_format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        headerless_columns=headerless,
    )


def _is_binary_control(char: str) -> bool:
    # Tab, line breaks and form feed are text; other C0 controls mean binary content.
    return (char < " " and char not in "\t\n\r\x0b\x0c") or char == "\x7f"


def _binary_message(format_name: str) -> str:
    return _(
        "This file is not %(format)s text: it contains binary data (it may be another "
        "kind of file, renamed). Open the spreadsheet in Excel and save it as “CSV "
        "UTF-8” or as .xlsx, and upload that."
    ) % {"format": format_name}


def sniff_delimiter(text: str, file_format: str) -> tuple[str, bool]:
    """The delimiter, and whether the first line is Excel's 'sep=;' hint that names it.

    A CSV file is read with ',' unless its header line splits into more cells on ';'
    (European Excel) or on a tab (a TSV file named .csv).
    """
    first_line = text[:256].splitlines()[0] if text[:256].strip() else ""
    hint = re.fullmatch(r"sep=(.)", first_line.strip(), flags=re.IGNORECASE)
    if hint:
        return hint.group(1), True
    if file_format == "tsv":
        return "\t", False
    for line in text[:BINARY_SAMPLE_CHARS].splitlines():
        stripped = line.strip()
        if stripped and not stripped.lstrip('"').startswith("#"):
            counts = {d: len(next(csv.reader([line], delimiter=d))) for d in ",;\t"}
            return max(counts, key=lambda d: (counts[d], d == ",")), False
    return ",", False


def _csv_records(
    lines: Iterable[str],
    delimiter: str,
    line_offset: int,
    format_name: str,
    strict_quotes: bool,
) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each record: the row a spreadsheet shows it on, so a
    cell spanning several lines still counts one row. Messages about malformed text
    name lines, as a text editor shows them."""
    # Strict: a quote left open would otherwise swallow the rest of the file silently.
    reader = csv.reader(lines, delimiter=delimiter, strict=strict_quotes)
    previous_line = 0
    records = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            start = line_offset + previous_line + 1
            if "unexpected end of data" in str(error):
                message = _(
                    'A quoted cell starting on line %(line)s is never closed (a “"” is '
                    "missing), so the rest of the file cannot be read. Add the missing "
                    "quote, or save the file again from Excel."
                ) % {"line": start}
            else:
                message = _(
                    "Line %(line)s cannot be read as %(format)s (%(problem)s). Check "
                    "the quotes on that line: a cell with quotes in it must be "
                    "entirely "
                    'in quotes, each inner quote doubled ("").'
                ) % {
                    "line": line_offset + reader.line_num,
                    "format": format_name,
                    "problem": error,
                }
            raise FileRejected(message, code="malformed") from error
        records += 1
        yield line_offset + records, [cell_text(cell) for cell in cells]
        previous_line = reader.line_num

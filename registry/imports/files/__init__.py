"""Read an uploaded spreadsheet (CSV, TSV, XLSX or JSON) into a table of text cells.

Every importer starts here, so the problems of files as people have them are solved
once: Japanese Excel saves CSV in Shift_JIS (CP932) and Western Excel in cp1252; our
own exports put ``# …`` comment lines before the header and an "About" sheet after the
data; templates put an "Instructions" sheet first; a workbook may be a zip bomb, a
damaged download or a PDF renamed ``.xlsx``. The result is a :class:`Table` of stripped
text with the row numbers the curator sees in their spreadsheet, or
:class:`FileRejected` with a message saying what is wrong and what to do. Nothing
here knows what the columns mean: callers map headers to their columns with
:func:`match_headers`.

The work is done in ``text`` (decoding), ``kinds`` (what a file that is not text is),
``delimited`` (CSV and TSV), ``workbooks`` (XLSX), ``json_files`` (JSON), ``tables``
(records into a table) and ``headers`` (header matching); this module chooses the
reader.
"""

from collections.abc import Iterable
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .delimited import read_delimited, sniff_delimiter
from .headers import HeaderMatch, header_key, in_every_language, match_headers
from .json_files import read_json
from .kinds import binary_kind, not_a_spreadsheet_message
from .tables import FileRejected, Row, Table, empty_message
from .text import decode_text
from .workbooks import NOT_DATA_SHEETS, check_workbook, open_workbook, read_xlsx

FORMATS = ("csv", "tsv", "xlsx", "json")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
}


def read_table(
    data: bytes,
    *,
    file_name: str = "",
    file_format: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    skip_sheets: Iterable[str] = (),
    strict_quotes: bool = True,
) -> Table:
    """Read ``data`` as ``file_format`` (detected from ``file_name`` and the content
    when not given); raise :class:`FileRejected` if it cannot be read.

    ``sheet`` chooses a workbook's sheet by name, case-insensitively; without it the
    first visible sheet not named in ``skip_sheets`` is read. The limits default to
    ``settings.IMPORT_MAX_BYTES`` and ``settings.IMPORT_MAX_ROWS`` (data rows, blank
    rows not counted). A CSV or TSV file with a quote that does not open or close a
    cell is refused, unless ``strict_quotes`` is False: then the quote is read as text.
    """
    max_bytes = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    if len(data) > max_bytes:
        raise FileRejected(
            _(
                "This file is %(size)s bytes (%(size_readable)s); the limit is "
                "%(limit)s bytes (%(limit_readable)s, IMPORT_MAX_BYTES). Split it into "
                "smaller files and upload them one by one."
            )
            % {
                "size": f"{len(data):,}",
                "size_readable": filesizeformat(len(data)),
                "limit": f"{max_bytes:,}",
                "limit_readable": filesizeformat(max_bytes),
            },
            code="too_large",
        )
    if not data.strip():
        raise FileRejected(empty_message(), code="empty")
    file_format = file_format or detect_format(file_name, data)
    if file_format not in FORMATS:
        raise ValueError(
            f"Unknown file format {file_format!r}; expected one of {FORMATS}"
        )
    if file_format == "xlsx":
        return read_xlsx(data, sheet, max_bytes, max_rows, skip_sheets)
    if file_format == "json":
        return read_json(data, max_rows)
    return read_delimited(data, file_format, max_rows, strict_quotes=strict_quotes)


def detect_format(file_name: str, data: bytes) -> str:
    """'csv', 'tsv', 'xlsx' or 'json': by the file's extension, else by its content.

    A known extension wins even when the content disagrees, so that a workbook renamed
    ``.csv`` is rejected with a message saying so rather than read as something else.
    """
    known = EXTENSIONS.get(PurePath(file_name).suffix.lower())
    if known:
        return known
    kind = binary_kind(data)
    if kind in ("xlsx", "ods", "zip"):
        return "xlsx"  # the workbook reader says what else a zip is
    if kind:
        raise FileRejected(not_a_spreadsheet_message(kind), code="not_a_spreadsheet")
    text, _encoding = decode_text(data)
    if text.lstrip().startswith(("[", "{")):
        return "json"
    return "tsv" if sniff_delimiter(text, "csv")[0] == "\t" else "csv"


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "NOT_DATA_SHEETS",
    "FileRejected",
    "HeaderMatch",
    "Row",
    "Table",
    "check_workbook",
    "decode_text",
    "detect_format",
    "header_key",
    "in_every_language",
    "match_headers",
    "open_workbook",
    "read_table",
]

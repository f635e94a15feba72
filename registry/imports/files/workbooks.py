"""Opening XLSX workbooks: the one guard every workbook passes before openpyxl sees it
(a zip bomb, a damaged download or another file renamed ``.xlsx`` is refused), the
sheet to read, and cells as the text the curator typed."""

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from ..cells import quoted
from .kinds import (
    IMAGE_KINDS,
    binary_kind,
    is_workbook,
    not_a_spreadsheet_message,
    zip_kind,
)
from .tables import FileRejected, Table, cell_text, scalar_text, tabulate

# The sheets our template (registry.imports.template) and exports (registry.exports)
# put around the data: without a sheet named, the first other visible sheet is read.
NOT_DATA_SHEETS = ("Instructions", "Examples", "Lists", "About", "説明")

# A workbook is a zip of XML parts. These bound what one may unpack to before openpyxl
# sees it: real workbooks unpack to a few times their size (sheet XML compresses 10-20
# to 1), a zip bomb to a thousand times.
XLSX_MAX_EXPANSION = 20  # times IMPORT_MAX_BYTES, all parts together
XLSX_MAX_UNPACKED_BYTES = 500 * 1024 * 1024
XLSX_MAX_COMPRESSION_RATIO = 200
# A part smaller than this cannot hurt, whatever its ratio.
XLSX_RATIO_CHECKED_FROM_BYTES = 1024 * 1024
XLSX_MAX_PARTS = 10_000


def check_workbook(data: bytes, *, max_bytes: int) -> None:
    """Refuse, before openpyxl reads it, a file that is not an XLSX workbook or that
    would unpack to far more than a real one (a zip bomb): FileRejected says which."""
    archive = _open_workbook_zip(data)
    with archive:
        _check_unpacked_size(archive, max_bytes)


def open_workbook(data: bytes, *, max_bytes: int):
    """The workbook, read-only and values only, once :func:`check_workbook` has passed
    it: every importer opens an XLSX file this way. FileRejected if it cannot be read;
    the caller closes it."""
    check_workbook(data, max_bytes=max_bytes)
    try:
        return load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as error:  # openpyxl raises anything on a damaged workbook
        raise FileRejected(_damaged_workbook_message(), code="damaged") from error


def read_xlsx(
    data: bytes,
    sheet: str | None,
    max_bytes: int,
    max_rows: int,
    skip_sheets: Iterable[str],
) -> Table:
    workbook = open_workbook(data, max_bytes=max_bytes)
    try:
        worksheets = workbook.worksheets  # chart sheets left out: they hold no table
        names = [worksheet.title for worksheet in worksheets]
        worksheet = _choose_sheet(worksheets, sheet, skip_sheets)
        # Some programs write a wrong size into the sheet, which would cut rows or
        # columns off: read every cell there is instead.
        worksheet.reset_dimensions()
        records = (
            (number, [_xlsx_cell_text(cell) for cell in cells])
            for number, cells in enumerate(worksheet.iter_rows(), start=1)
        )
        try:
            table = tabulate(records, max_rows)
        except FileRejected:
            raise
        except Exception as error:
            raise FileRejected(_damaged_workbook_message(), code="damaged") from error
    finally:
        workbook.close()
    if table is None:
        raise FileRejected(
            _(
                "The sheet “%(sheet)s” is empty. Put the header row and the data on "
                "it, or choose another sheet (this workbook has: %(sheets)s)."
            )
            % {"sheet": worksheet.title, "sheets": quoted(names)},
            code="empty",
        )
    headers, rows, headerless = table
    return Table(
        headers=headers,
        rows=rows,
        file_format="xlsx",
        encoding="",
        sheet=worksheet.title,
        sheets=names,
        headerless_columns=headerless,
    )


def _open_workbook_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # zipfile raises several types on non-zip bytes
        kind = binary_kind(data)
        if kind in ("pdf", "ole2", *IMAGE_KINDS):
            message = not_a_spreadsheet_message(kind)
        elif kind is None:
            message = _(
                "This file is not a valid XLSX workbook: it is plain text, probably a "
                "CSV file renamed .xlsx. Upload it as .csv (choose the CSV format), or "
                "open it in Excel and save it as “Excel Workbook (.xlsx)”."
            )
        else:
            message = _(
                "This file is not a valid XLSX workbook: it may be damaged, "
                "incomplete, or a different format renamed .xlsx. Save it again from "
                "Excel as “Excel Workbook (.xlsx)” or as “CSV UTF-8”."
            )
        raise FileRejected(message, code="not_xlsx") from error
    names = set(archive.namelist())
    if not is_workbook(names):
        archive.close()
        kind = zip_kind(data)
        raise FileRejected(
            not_a_spreadsheet_message(kind)
            if kind == "ods"
            else _(
                "This file is a ZIP archive but not an Excel workbook (it may be a "
                "Word document or another archive renamed .xlsx). Save the spreadsheet "
                "from Excel as “Excel Workbook (.xlsx)” or “CSV UTF-8” and upload that."
            ),
            code="not_xlsx",
        )
    return archive


def _check_unpacked_size(archive: zipfile.ZipFile, max_bytes: int) -> None:
    """Refuse a workbook that would unpack to far more than any real one: zipfile stops
    each part at its declared size, so the declared sizes bound the work."""
    parts = archive.infolist()
    if len(parts) > XLSX_MAX_PARTS:
        raise FileRejected(
            _(
                "This workbook is made of %(count)s parts, more than the %(limit)s any "
                "real workbook needs, so it was not opened. Save the data again from "
                "Excel as “Excel Workbook (.xlsx)” or “CSV UTF-8”."
            )
            % {"count": f"{len(parts):,}", "limit": f"{XLSX_MAX_PARTS:,}"},
            code="zip_bomb",
        )
    unpacked_limit = min(XLSX_MAX_EXPANSION * max_bytes, XLSX_MAX_UNPACKED_BYTES)
    unpacked = sum(part.file_size for part in parts)
    if unpacked > unpacked_limit:
        raise FileRejected(
            _(
                "This workbook unpacks to %(size)s, more than the %(limit)s allowed, "
                "so it was not opened (it may be a “zip bomb”, or hold very large "
                "hidden parts such as images). Save the data alone as “CSV UTF-8”, or "
                "split it into smaller workbooks."
            )
            % {
                "size": filesizeformat(unpacked),
                "limit": filesizeformat(unpacked_limit),
            },
            code="zip_bomb",
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if (
            part.file_size > XLSX_RATIO_CHECKED_FROM_BYTES
            and ratio > XLSX_MAX_COMPRESSION_RATIO
        ):
            raise FileRejected(
                _(
                    "This workbook holds a part compressed %(ratio)s to 1, far more "
                    "than real spreadsheets are (it may be a “zip bomb”), so it was "
                    "not opened. Save the data again from Excel as “Excel Workbook "
                    "(.xlsx)” or “CSV UTF-8”."
                )
                % {"ratio": f"{ratio:,.0f}"},
                code="zip_bomb",
            )


def _damaged_workbook_message() -> str:
    return _(
        "This workbook is damaged or incomplete and cannot be read. Open it in Excel; "
        "if it opens, save it again as “Excel Workbook (.xlsx)” and upload the new "
        "file."
    )


def _choose_sheet(worksheets: list, sheet: str | None, skip_sheets: Iterable[str]):
    names = [worksheet.title for worksheet in worksheets]
    if sheet:
        wanted = sheet.strip().casefold()
        for worksheet in worksheets:
            if worksheet.title.strip().casefold() == wanted:
                return worksheet
        raise FileRejected(
            _(
                "This workbook has no sheet named “%(sheet)s”. Its sheets are: "
                "%(sheets)s. Choose one of these, or rename the sheet in Excel."
            )
            % {"sheet": sheet, "sheets": quoted(names)},
            code="unknown_sheet",
        )
    skipped = {name.strip().casefold() for name in skip_sheets}
    for worksheet in worksheets:
        # A hidden sheet holds lookups or workings the curator does not see.
        visible = worksheet.sheet_state == "visible"
        if visible and worksheet.title.strip().casefold() not in skipped:
            return worksheet
    raise FileRejected(
        _(
            "This workbook has no sheet of data to import: its sheets (%(sheets)s) are "
            "hidden or hold instructions. Put the data on a visible sheet of its own."
        )
        % {"sheets": quoted(names) or "—"},
        code="no_sheet",
    )


def _xlsx_cell_text(cell) -> str:
    value = cell.value
    if isinstance(value, dt.datetime):
        return _datetime_text(value, cell.number_format or "")
    return cell_text(scalar_text(value))


_FORMAT_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


def _datetime_text(value: dt.datetime, number_format: str) -> str:
    """An Excel date as ISO text to the precision its format shows: a cell typed
    '2019/3' in Japanese Excel is a date shown as year and month, read as '2019-03', so
    the importer keeps the month precision the curator meant."""
    tokens = _FORMAT_LITERALS.sub("", number_format).casefold()
    shows_time = "h" in tokens or "s" in tokens
    if shows_time and value.time() != dt.time(0):
        return value.isoformat(sep=" ", timespec="seconds")
    if "d" not in tokens and not shows_time:
        shows_year = "y" in tokens or "e" in tokens  # 'e' is the Japanese era year
        if shows_year and "m" in tokens:
            return f"{value.year:04d}-{value.month:02d}"
        if shows_year:
            return f"{value.year:04d}"
    return value.date().isoformat()

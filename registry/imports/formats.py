"""The admin's upload formats: django-import-export's CSV, TSV, XLSX and JSON, reading
through :func:`registry.imports.files.read_table`.

The library's own formats parse with tablib: text in the one encoding the admin is set
to, ',' only, the workbook's active sheet, cells as Python values, and no guard against
a zip bomb. These formats say they are binary, so the admin keeps the upload as the
bytes it was (see ``ImportMixin.write_to_tmp_storage`` and ``process_import``: a binary
format gets no encoding and its temporary file is read back in ``'rb'`` mode), and read
those bytes as every other importer does. The dataset they return carries the
:class:`~registry.imports.files.Table` (rows keep the numbers the curator sees) and the
original bytes, so a caller can read another sheet of the same upload.
"""

import contextlib
import contextvars

import tablib
from import_export.formats.base_formats import CSV, JSON, TSV, XLSX

from .files import NOT_DATA_SHEETS, read_table

# The admin makes a format object per upload and asks it for a dataset, knowing nothing
# of sheets; the sheet the curator named reaches it through this, set per request.
_requested_sheet: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "requested_sheet", default=None
)


@contextlib.contextmanager
def reading_sheet(name: str | None):
    """Datasets created inside this block are read from the sheet ``name``."""
    token = _requested_sheet.set(name or None)
    try:
        yield
    finally:
        _requested_sheet.reset(token)


class SheetFormat:
    """Reads uploads with read_table; mixed in before a django-import-export format."""

    file_format = ""
    skip_sheets = NOT_DATA_SHEETS

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream):
        """A dataset of the file's text cells; raises FileRejected if it cannot be read.

        ``dataset.table`` is the Table read and ``dataset.raw_bytes`` the upload."""
        # The admin passes bytes; a caller that read the file as text passes str.
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else in_stream
        table = read_table(
            data,
            file_format=self.file_format,
            sheet=_requested_sheet.get(),
            skip_sheets=self.skip_sheets,
        )
        dataset = tablib.Dataset(headers=table.headers)
        for row in table.rows:
            dataset.append([row.values[header] for header in table.headers])
        dataset.table = table
        dataset.raw_bytes = data
        return dataset


class TextExport:
    """Exports as the parent text format does, as bytes: a binary format's output is
    written out as it is (the admin and the ``export`` command encode only text)."""

    # Excel reads a CSV as UTF-8 (Japanese names) only when it starts with a BOM.
    export_encoding = "utf-8-sig"

    def export_data(self, dataset, **kwargs):
        encoding = self.encoding or self.export_encoding
        return super().export_data(dataset, **kwargs).encode(encoding)


class SheetCSV(SheetFormat, TextExport, CSV):
    file_format = "csv"


class SheetTSV(SheetFormat, TextExport, TSV):
    file_format = "tsv"


class SheetJSON(SheetFormat, TextExport, JSON):
    file_format = "json"
    export_encoding = "utf-8"


class SheetXLSX(SheetFormat, XLSX):
    file_format = "xlsx"


IMPORT_FORMATS = [SheetCSV, SheetXLSX, SheetTSV, SheetJSON]

"""What a file that is not text is, told by its first bytes (a workbook, an
OpenDocument spreadsheet, a PDF, an image, an old Excel file…), and the message that
says so to the curator."""

import codecs
import io
import zipfile

from django.utils.translation import gettext as _

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_SIGNATURES = (
    *((signature, "zip") for signature in ZIP_SIGNATURES),
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),  # Excel 97-2003, or encrypted Office
)
IMAGE_KINDS = ("PNG", "JPEG", "GIF", "TIFF", "WebP")


def is_zip(data: bytes) -> bool:
    """Whether the file is a ZIP archive, as every XLSX workbook is."""
    return data.startswith(ZIP_SIGNATURES)


def binary_kind(data: bytes) -> str | None:
    """What a file that is not text looks like: 'xlsx', 'ods', 'zip', 'pdf', 'ole2', an
    image type, or 'binary'; None if it may be text."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return zip_kind(data) if kind == "zip" else kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 text is half NUL bytes
    if b"\x00" in data:
        return "binary"
    return None


def zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                return "ods"
    except Exception:  # a damaged zip is still a zip, and not text
        return "zip"
    return "xlsx" if is_workbook(names) else "zip"


def is_workbook(names: set[str]) -> bool:
    return "[Content_Types].xml" in names and any(
        name.startswith("xl/") for name in names
    )


def not_a_spreadsheet_message(kind: str) -> str:
    if kind == "pdf":
        return _(
            "This file is a PDF document, not a spreadsheet. Upload the spreadsheet "
            "itself, saved as .xlsx or CSV."
        )
    if kind in IMAGE_KINDS:
        return _(
            "This file is an image (%(type)s), not a spreadsheet. Upload the "
            "spreadsheet itself, saved as .xlsx or CSV."
        ) % {"type": kind}
    if kind == "ole2":
        return _(
            "This file is an Excel 97-2003 workbook (.xls) or a password-protected "
            "Office file, which cannot be read. Open it in Excel, remove any password, "
            "and save it as “Excel Workbook (.xlsx)” or “CSV UTF-8”."
        )
    if kind == "ods":
        return _(
            "This file is an OpenDocument spreadsheet (.ods). Save it as “Excel "
            "Workbook (.xlsx)” or as CSV and upload that."
        )
    return _(
        "This file is not a spreadsheet that can be read (it may be another kind of "
        "file, renamed). Save the data as .xlsx, CSV, TSV or JSON and upload that."
    )

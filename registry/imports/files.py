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
"""

import codecs
import csv
import datetime as dt
import io
import itertools
import json
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "tsv", "xlsx", "json")
# The sheets our template (registry.imports.template) and exports (registry.exports)
# put around the data: without a sheet named, the first other visible sheet is read.
NOT_DATA_SHEETS = ("Instructions", "Examples", "Lists", "About", "説明")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
}

# A workbook is a zip of XML parts. These bound what one may unpack to before openpyxl
# sees it: real workbooks unpack to a few times their size (sheet XML compresses 10-20
# to 1), a zip bomb to a thousand times.
XLSX_MAX_EXPANSION = 20  # times IMPORT_MAX_BYTES, all parts together
XLSX_MAX_UNPACKED_BYTES = 500 * 1024 * 1024
XLSX_MAX_COMPRESSION_RATIO = 200
# A part smaller than this cannot hurt, whatever its ratio.
XLSX_RATIO_CHECKED_FROM_BYTES = 1024 * 1024
XLSX_MAX_PARTS = 10_000

# How much of a text file to weigh when telling Shift_JIS from cp1252, and to search for
# control characters: enough evidence either way, and bounded time on a large file.
ENCODING_EVIDENCE_RUNS = 5000
BINARY_SAMPLE_CHARS = 65_536
BINARY_CONTROL_SHARE = 0.01


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


@dataclass
class HeaderMatch:
    columns: dict[str, str]  # header as written -> canonical column
    unknown: list[str]  # headers naming no column
    duplicates: dict[str, list[str]]  # canonical column -> the headers naming it


def read_table(
    data: bytes,
    *,
    file_name: str = "",
    file_format: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    skip_sheets: Iterable[str] = (),
) -> Table:
    """Read ``data`` as ``file_format`` (detected from ``file_name`` and the content
    when not given); raise :class:`FileRejected` if it cannot be read.

    ``sheet`` chooses a workbook's sheet by name, case-insensitively; without it the
    first visible sheet not named in ``skip_sheets`` is read. The limits default to
    ``settings.IMPORT_MAX_BYTES`` and ``settings.IMPORT_MAX_ROWS`` (data rows, blank
    rows not counted).
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
        raise FileRejected(_empty_message(), code="empty")
    file_format = file_format or detect_format(file_name, data)
    if file_format not in FORMATS:
        raise ValueError(
            f"Unknown file format {file_format!r}; expected one of {FORMATS}"
        )
    if file_format == "xlsx":
        return _read_xlsx(data, sheet, max_bytes, max_rows, skip_sheets)
    if file_format == "json":
        return _read_json(data, max_rows)
    return _read_delimited(data, file_format, max_rows)


def detect_format(file_name: str, data: bytes) -> str:
    """'csv', 'tsv', 'xlsx' or 'json': by the file's extension, else by its content.

    A known extension wins even when the content disagrees, so that a workbook renamed
    ``.csv`` is rejected with a message saying so rather than read as something else.
    """
    known = EXTENSIONS.get(PurePath(file_name).suffix.lower())
    if known:
        return known
    kind = _binary_kind(data)
    if kind in ("xlsx", "ods", "zip"):
        return "xlsx"  # the workbook reader says what else a zip is
    if kind:
        raise FileRejected(_not_a_spreadsheet_message(kind), code="not_a_spreadsheet")
    text, _encoding = decode_text(data)
    if text.lstrip().startswith(("[", "{")):
        return "json"
    return "tsv" if _sniff_delimiter(text, "csv")[0] == "\t" else "csv"


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file as it was most probably saved; return (text, encoding).

    A byte-order mark is believed (UTF-8, or UTF-16 as Excel's "Unicode Text" writes).
    Otherwise UTF-8 if the bytes are valid UTF-8: other encodings of non-ASCII text
    almost never are. Otherwise the choice is between CP932 (Shift_JIS as Japanese
    Windows and Excel save it) and cp1252 (Western Windows), and many byte strings
    decode under both. Whichever decoding fails is out; when both succeed, the CP932
    reading is weighed (:func:`_reads_as_japanese`): Japanese text decodes into runs of
    kana and kanji, while Western text decoded as CP932 shows its accented letters and
    curly quotes as single stray kanji or half-width kana glued to Latin letters
    ('Montr饌l', 'S縊 Paulo'), or as private-use and control characters. Latin-1 is the
    last resort: it decodes anything.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _decode_declared(data, "utf-8-sig"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_declared(data, "utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    japanese = _decode_or_none(data, "cp932")
    western = _decode_or_none(data, "cp1252")
    if japanese is not None and (western is None or _reads_as_japanese(japanese)):
        return japanese, "cp932"
    if western is not None:
        return western, "cp1252"
    return data.decode("latin-1"), "latin-1"


def header_key(text: str) -> str:
    """The form headers are compared in: full-width letters made half-width (NFKC),
    case folded, dots dropped ('U.S.' is 'us'), and runs of spaces, underscores and
    hyphens made one space, so ' U.S. Institutions ', 'us_institutions' and
    'ＵＳ－Ｉｎｓｔｉｔｕｔｉｏｎｓ' all read 'us institutions'."""
    text = unicodedata.normalize("NFKC", text).casefold().replace(".", "")
    return re.sub(r"[\s_\-\u2010-\u2015\u2212]+", " ", text).strip()


def in_every_language(label) -> list[str]:
    """A column's label as each language of the site writes it: a sheet exported from
    a Japanese page has Japanese headers, and any curator may import it."""
    labels = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.append(str(label))
    return list(dict.fromkeys(labels))


def match_headers(
    headers: list[str], synonyms: dict[str, Iterable[str]]
) -> HeaderMatch:
    """Map each header to the canonical column it names (by :func:`header_key`).

    ``synonyms`` maps each canonical name to the spellings accepted for it; the
    canonical name itself is always accepted. Headers naming no column are ``unknown``;
    columns named by several headers are in ``duplicates`` (and every one of those
    headers is in ``columns``), which callers report as an error.
    """
    canonical_by_key: dict[str, str] = {}
    for canonical, spellings in synonyms.items():
        for spelling in (canonical, *spellings):
            key = header_key(spelling)
            claimed = canonical_by_key.setdefault(key, canonical)
            if claimed != canonical:
                raise ValueError(
                    f"The header spelling {spelling!r} is given for both {claimed!r} "
                    f"and {canonical!r}."
                )
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        canonical = canonical_by_key.get(header_key(header))
        if canonical is None:
            unknown.append(header)
        else:
            columns[header] = canonical
    headers_by_column: dict[str, list[str]] = {}
    for header, canonical in columns.items():
        headers_by_column.setdefault(canonical, []).append(header)
    duplicates = {
        canonical: named_by
        for canonical, named_by in headers_by_column.items()
        if len(named_by) > 1
    }
    return HeaderMatch(columns=columns, unknown=unknown, duplicates=duplicates)


# Decoding


def _decode_declared(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise FileRejected(
            _(
                "The file says it is Unicode text (%(encoding)s) but byte %(position)s "
                "(line %(line)s) is not. Open it in Excel or a text editor and save it "
                "again as “CSV UTF-8”."
            )
            % {
                "encoding": encoding.upper().removesuffix("-SIG"),
                "position": f"{error.start:,}",
                "line": data.count(b"\n", 0, error.start) + 1,
            },
            code="encoding",
        ) from error


def _decode_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _reads_as_japanese(text: str) -> bool:
    """Whether ``text``, decoded as CP932, reads as Japanese rather than as Western
    bytes forced into CP932.

    Each run of non-ASCII characters is evidence. For Japanese: a run of two or more
    characters (a word in kanji or kana), or a single character that only Japanese text
    produces (kana, full-width letters, CJK punctuation: their lead bytes are not
    letters in cp1252), or a single kanji standing apart from Latin letters
    ('2019年3月'). Against: a control, private-use or unassigned character (how
    cp1252's € or ö decode), or a single kanji or half-width kana touching a Latin
    letter, which is how an accented letter or curly quote decodes, swallowing the
    letter after it.
    """
    evidence = 0
    for match in itertools.islice(
        _NON_ASCII_RUN.finditer(text), ENCODING_EVIDENCE_RUNS
    ):
        run = match.group()
        if any(unicodedata.category(char) in ("Cc", "Co", "Cn") for char in run):
            evidence -= 2
        elif len(run) > 1 or _only_in_japanese(run):
            evidence += len(run)
        else:
            before = text[match.start() - 1 : match.start()]
            after = text[match.end() : match.end() + 1]
            evidence += -1 if _is_latin_letter(before + after) else 1
    return evidence > 0


def _only_in_japanese(char: str) -> bool:
    # CJK symbols and punctuation, hiragana, katakana; full-width ASCII forms.
    return "\u3000" <= char <= "\u30ff" or "\uff01" <= char <= "\uff5e"


def _is_latin_letter(chars: str) -> bool:
    return any(char.isascii() and char.isalpha() for char in chars)


# What a file that is not text is


_SIGNATURES = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),  # Excel 97-2003, or encrypted Office
)
_IMAGE_KINDS = ("PNG", "JPEG", "GIF", "TIFF", "WebP")


def _binary_kind(data: bytes) -> str | None:
    """What a file that is not text looks like: 'xlsx', 'ods', 'zip', 'pdf', 'ole2', an
    image type, or 'binary'; None if it may be text."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return _zip_kind(data) if kind == "zip" else kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 text is half NUL bytes
    if b"\x00" in data:
        return "binary"
    return None


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                return "ods"
    except Exception:  # a damaged zip is still a zip, and not text
        return "zip"
    return "xlsx" if _is_workbook(names) else "zip"


def _is_workbook(names: set[str]) -> bool:
    return "[Content_Types].xml" in names and any(
        name.startswith("xl/") for name in names
    )


def _not_a_spreadsheet_message(kind: str) -> str:
    if kind == "pdf":
        return _(
            "This file is a PDF document, not a spreadsheet. Upload the spreadsheet "
            "itself, saved as .xlsx or CSV."
        )
    if kind in _IMAGE_KINDS:
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


# CSV and TSV


def _read_delimited(data: bytes, file_format: str, max_rows: int) -> Table:
    format_name = file_format.upper()
    kind = _binary_kind(data)
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
        raise FileRejected(_not_a_spreadsheet_message(kind), code="not_text")
    text, encoding = decode_text(data)
    sample = text[:BINARY_SAMPLE_CHARS]
    controls = sum(1 for char in sample if _is_binary_control(char))
    if "\x00" in sample or controls > len(sample) * BINARY_CONTROL_SHARE:
        raise FileRejected(_binary_message(format_name), code="not_text")
    delimiter, has_sep_line = _sniff_delimiter(text, file_format)
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
        itertools.chain(first_line, lines), delimiter, lines_before_header, format_name
    )
    table = _tabulate(records, max_rows)
    if table is None:
        raise FileRejected(_empty_message(), code="empty")
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


def _sniff_delimiter(text: str, file_format: str) -> tuple[str, bool]:
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
    lines: Iterable[str], delimiter: str, line_offset: int, format_name: str
) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each record: the row a spreadsheet shows it on, so a
    cell spanning several lines still counts one row. Messages about malformed text
    name lines, as a text editor shows them."""
    # Strict: a quote left open would otherwise swallow the rest of the file silently.
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
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
        yield line_offset + records, [_cell_text(cell) for cell in cells]
        previous_line = reader.line_num


def _cell_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


# Rows into a table, for CSV, TSV and XLSX


def _tabulate(
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
    _reject_repeated_headers(
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
        values = {
            header: cells[index] if index < len(cells) else ""
            for index, header in columns
        }
        if not any(values.values()):
            continue
        if len(rows) == max_rows:
            raise FileRejected(_too_many_rows_message(max_rows), code="too_many_rows")
        rows.append(Row(number=number, values=values))
    headers = [header for _index, header in columns]
    return headers, rows, [get_column_letter(index + 1) for index in sorted(headerless)]


def _reject_repeated_headers(columns: list[tuple[str, str]]) -> None:
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


def _too_many_rows_message(max_rows: int, count: int | None = None) -> str:
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


def _empty_message() -> str:
    return _(
        "The file is empty. Check that you chose the right file and that it was saved "
        "with its header row and data."
    )


# XLSX


def check_workbook(data: bytes, *, max_bytes: int) -> None:
    """Refuse, before openpyxl reads it, a file that is not an XLSX workbook or that
    would unpack to far more than a real one (a zip bomb): FileRejected says which.
    Every reader of a workbook calls it first."""
    archive = _open_workbook_zip(data)
    with archive:
        _check_unpacked_size(archive, max_bytes)


def _read_xlsx(
    data: bytes,
    sheet: str | None,
    max_bytes: int,
    max_rows: int,
    skip_sheets: Iterable[str],
) -> Table:
    check_workbook(data, max_bytes=max_bytes)
    try:
        workbook = load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as error:  # openpyxl raises anything on a damaged workbook
        raise FileRejected(_damaged_workbook_message(), code="damaged") from error
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
            table = _tabulate(records, max_rows)
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
            % {"sheet": worksheet.title, "sheets": _sheet_list(names)},
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
        kind = _binary_kind(data)
        if kind in ("pdf", "ole2", *_IMAGE_KINDS):
            message = _not_a_spreadsheet_message(kind)
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
    if not _is_workbook(names):
        archive.close()
        kind = _zip_kind(data)
        raise FileRejected(
            _not_a_spreadsheet_message(kind)
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
            % {"sheet": sheet, "sheets": _sheet_list(names)},
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
        % {"sheets": _sheet_list(names) or "—"},
        code="no_sheet",
    )


def _sheet_list(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def _xlsx_cell_text(cell) -> str:
    value = cell.value
    if isinstance(value, dt.datetime):
        return _datetime_text(value, cell.number_format or "")
    return _cell_text(_scalar_text(value))


def _scalar_text(value) -> str:
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


# JSON


def _read_json(data: bytes, max_rows: int) -> Table:
    text, encoding = decode_text(data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileRejected(
            _(
                "This file is not valid JSON: %(problem)s at line %(line)s, column "
                "%(column)s. Correct it there, or export the data again."
            )
            % {"problem": error.msg, "line": error.lineno, "column": error.colno},
            code="invalid_json",
        ) from error
    except (ValueError, RecursionError) as error:  # a 5,000-digit number; deep nesting
        raise FileRejected(
            _(
                "This JSON file cannot be read: it holds a number or nesting too large "
                "for a spreadsheet. Export the data again as a list of flat records."
            ),
            code="invalid_json",
        ) from error
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        records = document["results"]
    elif isinstance(document, list):
        records = document
    else:
        raise FileRejected(
            _(
                "This JSON file holds no list of records. It must be a list of objects "
                "([{…}, {…}]) or an object with a “results” list, as the registry's "
                "exports are."
            ),
            code="invalid_json",
        )
    if len(records) > max_rows:
        raise FileRejected(
            _too_many_rows_message(max_rows, len(records)), code="too_many_rows"
        )
    headers: dict[str, str] = {}  # header -> the key as written, in first-seen order
    rows: list[Row] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise FileRejected(
                _(
                    "Record %(number)s of this JSON file is not an object ({…}) but "
                    "%(value)s. Each record must be an object of column names and "
                    "values."
                )
                % {"number": number, "value": _json_type(record)},
                code="invalid_json",
            )
        values: dict[str, str] = {}
        for key, value in record.items():
            header = key.strip()
            if not header:
                continue
            written = headers.setdefault(header, key)
            if written != key:
                _reject_repeated_headers(
                    [(f"“{written}”", header), (f"“{key}”", header)]
                )
            values[header] = _json_value_text(value, number, key)
        if any(values.values()):
            rows.append(Row(number=number, values=values))
    if not headers:
        raise FileRejected(_empty_message(), code="empty")
    for row in rows:
        row.values = {header: row.values.get(header, "") for header in headers}
    return Table(
        headers=list(headers), rows=rows, file_format="json", encoding=encoding
    )


def _json_value_text(value, number: int, key: str) -> str:
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        text = "; ".join(text for text in map(_json_scalar_text, value) if text)
    elif isinstance(value, dict | list):
        raise FileRejected(
            _(
                "Record %(number)s of this JSON file has nested data under “%(key)s” "
                "(%(value)s), which a spreadsheet cell cannot hold. Give it a text, a "
                "number, or a list of plain values."
            )
            % {"number": number, "key": key, "value": _json_type(value)},
            code="nested_json",
        )
    else:
        text = _json_scalar_text(value)
    # JSON may spell a null character (\u0000); no database stores one in text.
    if "\x00" in text:
        raise FileRejected(
            _(
                "Record %(number)s of this JSON file has a null character (\\u0000) "
                "under “%(key)s”. Remove it and upload the file again."
            )
            % {"number": number, "key": key},
            code="null_character",
        )
    return text


def _json_scalar_text(value) -> str:
    return _cell_text(_scalar_text(value))


def _json_type(value) -> str:
    if isinstance(value, dict):
        return _("an object")
    if isinstance(value, list):
        return _("a list")
    return _("a plain value")

"""What every official list's parser shares: the formats and their titles, a row read
as a ``ListRecord``, the ``ParsedList`` a parser returns, ``ListRejected``, and CSV
rows read through the one file reader (``registry.imports.files``)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import AliasKind, IdentifierScheme, Institution
from ...models.institutions import IDENTIFIER_PATTERNS
from ..cells import ALIAS_MAX
from ..files import FileRejected, read_table
from ..files.kinds import is_zip

NAME_MAX = Institution._meta.get_field("name").max_length


class ListFormat:
    MEXT = "mext"
    IPEDS = "ipeds"
    CARNEGIE = "carnegie"
    ROR = "ror"


FORMATS = (ListFormat.MEXT, ListFormat.IPEDS, ListFormat.CARNEGIE, ListFormat.ROR)
LIST_TITLES = {
    ListFormat.MEXT: gettext_lazy("a MEXT university list (大学一覧)"),
    ListFormat.IPEDS: gettext_lazy("an IPEDS directory file (HD)"),
    ListFormat.CARNEGIE: gettext_lazy(
        "the Carnegie Classification public data workbook"
    ),
    ListFormat.ROR: gettext_lazy("a ROR CSV extract"),
}
SCHEME_OF = {
    ListFormat.MEXT: IdentifierScheme.MEXT,
    ListFormat.IPEDS: IdentifierScheme.IPEDS,
    ListFormat.CARNEGIE: IdentifierScheme.IPEDS,
    ListFormat.ROR: IdentifierScheme.ROR,
}


class ListRejected(Exception):
    """The file cannot be read as the list it was given as; nothing was read."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class ListRecord:
    """One list row as the registry would hold it."""

    row: int
    name: str
    country: str
    name_ja: str = ""
    institution_type: str = ""
    region_code: str = ""
    city: str = ""
    website: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    # scheme -> value: the row's own identifiers.
    identifiers: dict[str, str] = field(default_factory=dict)
    # (scheme, value) of institutions it took over (IPEDS NEWID): kept, like a
    # merged university's old codes.
    former_identifiers: list[tuple[str, str]] = field(default_factory=list)
    # (text, language, kind)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    research_classification: str = ""
    # The Carnegie basic class's label, shown where the classification conflicts.
    carnegie_basic: str = ""
    enrollment_band: str = ""
    creatable: bool = False
    match_by_website: bool = True

    @property
    def label(self) -> str:
        code = ", ".join(
            f"{IdentifierScheme(scheme).label} {value}"
            for scheme, value in self.identifiers.items()
        )
        return f"{self.name} ({code})" if code else self.name


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self):
        return _("Row %(row)s: %(message)s") % {
            "row": self.row,
            "message": self.message,
        }


@dataclass
class ParsedList:
    list_format: str
    rows: int = 0
    records: list[ListRecord] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str = ""
    sheet: str = ""
    # (scheme, value) of every row, in scope or not: who else the file describes.
    identifiers: set[tuple[str, str]] = field(default_factory=set)

    def identify(self, scheme: str, value: str) -> bool:
        """Note ``value`` among the file's identifiers if it is one of ``scheme``;
        whether it is."""
        if not IDENTIFIER_PATTERNS[scheme][0].match(value):
            return False
        self.identifiers.add((scheme, value))
        return True

    def add_record(self, row: int, name: str, **fields) -> None:
        """A row in scope, as the registry would hold it (the name cut to fit)."""
        self.records.append(ListRecord(row=row, name=name[:NAME_MAX], **fields))

    def add_errors(self, row: int, messages: list[str]) -> bool:
        """Note the errors of a row (none: nothing); whether it had any."""
        self.errors += [RowError(row, message) for message in messages]
        return bool(messages)


# IPEDS's codes for "not applicable" and "not reported": a blank cell.
SENTINELS = {"-1", "-2", "-3"}
# The encodings the reader finds, as the lists' summaries have always named them: a
# list is UTF-8 (with or without a BOM), Shift_JIS as Microsoft extends it (MEXT's
# Excel downloads), or Windows-1252 (IPEDS, which says Latin-1).
ENCODING_NAMES = {
    "utf-8-sig": "utf-8",
    "cp1252": "windows-1252",
    "latin-1": "windows-1252",
}


def list_title(list_format: str) -> str:
    """ "A MEXT university list (大学一覧)", to start a sentence."""
    title = str(LIST_TITLES[list_format])
    return title[:1].upper() + title[1:]


def column_key(text) -> str:
    """A column name as the parsers look it up: lower case, spaces squeezed."""
    return " ".join(str(text or "").replace("\ufeff", "").split()).lower()


def require(headers: list[str], required: Iterable[str], list_format: str) -> None:
    """Refuse a file that lacks a column the list has (``headers`` as column_key
    gives them), naming what it has instead."""
    present = set(headers)
    missing = [name for name in required if name not in present]
    if missing:
        found = [name for name in headers if name][:15]
        raise ListRejected(
            _(
                "This is not %(list)s: the columns %(missing)s are missing. "
                "The file has %(found)s."
            )
            % {
                "list": LIST_TITLES[list_format],
                "missing": ", ".join(missing),
                "found": ", ".join(found) + ("…" if len(headers) > 15 else "")
                if found
                else _("no column names"),
            }
        )


def read_list_rows(
    data: bytes, *, list_format: str, required: Iterable[str], sheet: str | None
) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """The data rows of a list published as CSV, as (row number, {column_key: text}),
    and the encoding it was read in. Row 1 is the header, as a spreadsheet shows it."""
    if sheet:
        raise ListRejected(
            _("%(list)s is a CSV file: it has no sheets to choose from.")
            % {"list": list_title(list_format)}
        )
    if is_zip(data):
        raise ListRejected(
            _("%(list)s is read from a CSV file; this is an Excel workbook.")
            % {"list": list_title(list_format)}
        )
    try:
        # A list is read whole, as published: the upload limits (IMPORT_MAX_BYTES,
        # IMPORT_MAX_ROWS) are for curators' sheets, and no file has more rows than
        # bytes. Its quotes are read as the publisher wrote them: IPEDS has a stray
        # quote inside a quoted cell (Prince George's Community College's URL).
        table = read_table(
            data,
            file_format="csv",
            max_bytes=len(data),
            max_rows=len(data),
            strict_quotes=False,
        )
    except FileRejected as error:
        raise ListRejected(str(error)) from None
    columns = {header: column_key(header) for header in table.headers}
    require(list(columns.values()), required, list_format)
    rows = [
        (row.number, {columns[header]: text for header, text in row.values.items()})
        for row in table.rows
    ]
    return rows, ENCODING_NAMES.get(table.encoding, table.encoding)


def cell_value(row: dict[str, str], name: str) -> str:
    """A cell with IPEDS's "not applicable" / "not reported" codes read as blank."""
    text = row.get(name, "")
    return "" if text in SENTINELS else text


def english_kind(text: str) -> str:
    """ "AAMU", "ASU-BEEBE" are acronyms; "Penn State", "UPenn" other names."""
    compact = text.replace("-", "").replace("&", "").replace(".", "")
    if " " not in text and compact.isalnum() and text.upper() == text:
        return AliasKind.ACRONYM
    return AliasKind.ALTERNATIVE


def usable_alias(text: str) -> bool:
    return (
        sum(c.isalnum() for c in text) >= 2
        and text.lower() not in {"n/a", "na", "none", "null"}
        and len(text) <= ALIAS_MAX
    )

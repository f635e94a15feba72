"""Official institution lists, imported as published: MEXT, IPEDS, Carnegie and ROR.

The registry holds the U.S. and Japanese higher-education institutions that could take
part in a partnership. Each official list describes some of them; imported one after
another they should enrich one record per institution, never duplicate it. So every
list row is first read into a normalized ``ListRecord``, then *matched* to the registry:

1. by an identifier of the list's scheme (MEXT school code, IPEDS UNITID, ROR ID;
   Carnegie rows carry the UNITID). A merged institution keeps its predecessors'
   codes, so Tokyo Institute of Technology, still in the 2022 MEXT list, is found as
   the Institute of Science Tokyo by its old code. IPEDS ``NEWID`` says which closed
   UNITIDs a row took over (Penn State's 495767 → 214777): they find it too, and
   it keeps them;
2. else by the website's host (lower case, without ``www.``), when no other row of
   the file in scope has the same host and one institution of that country has it;
3. else by name: the row's English or Japanese name, folded by
   ``resolver.normalize_name``, against every institution's names, Japanese names and
   aliases in the same country. Only an unambiguous name matches: a name that two
   institutions carry, or that two rows of the file share (IPEDS branch campuses), is
   reported and the row is neither merged nor created. A former name (an alias of
   that kind) finds the merged institution first, as an old code would.

Website and name see the registry as it was before the file (the rows of one list are
different institutions, so what the file itself adds never matches another of its
rows) and pass over institutions another row of the file identifies. An institution
they find that holds *another* identifier of the list's scheme, one the file lacks (a
successor's, a record ROR replaced), is reported, not merged. Several rows meeting
one institution by identifier or former name are a merged institution and its
predecessors: a predecessor (a row not under the institution's current name) gives it
its codes and its names as former names, not its other facts. By website or name,
only a row under the institution's current name may share it; the others are
reported.

A matched institution is enriched: missing identifiers added, the list's names added
as aliases unless the institution already has that name (compared folded, without
spaces, so "TokaiUniversity" is "Tokai University"), blank fields filled. A field a
curator has filled is never overwritten; a different value is reported as a conflict
(except ROR's city, a GeoNames place rather than the postal city).

Rows that match nothing are created where the list's scope says so:

- **mext** (大学一覧 CSV, UTF-8 or CP932): every university in the list, national,
  public and private. MEXT lost the spaces of most private universities' English
  names ("TokaiUniversity"); they are put back for the record's name. The prefecture
  is the one the school code encodes (how MEXT files the university); where the
  address says otherwise (東京福祉大学, 東海大学) that is reported. Cities are not
  filled: the list has them in Japanese only, and nothing is romanized by guess.
- **ipeds** (HD directory file as NCES publishes it, Latin-1 or UTF-8): degree-granting
  (``DEGGRANT`` 1), active (``CYACTIVE`` 1, no ``CLOSEDAT``, ``PSEFLAG`` 1)
  institutions in a state or territory the registry has, except administrative
  offices (``SECTOR`` 0: system offices are not institutions). The rest is skipped
  with its reason. Research classification and enrollment band are left to the
  Carnegie list, which defines them.
- **carnegie** (the 2021 public data workbook: ``Data`` sheet, labels in ``Values``):
  enriches any institution it matches with its research classification (read from
  the basic class's label) and enrollment band; creates only doctoral universities
  (R1, R2, doctoral/professional) and special-focus research institutions, the
  partners a research registry needs.
- **ror** (CSV extract: ``ror_id``, ``name``, ``types``, ``status``…): active
  education records of the U.S. and Japan enrich institutions already in the
  registry (ROR ID, Japanese name, city, website, aliases) and create none: ROR's
  education records include schools, centres and junior colleges, and the extract
  covers only records changed since 2022. A record with a ROR parent (a campus or a
  unit) is not matched by website, which it often shares with its parent. ROR keeps
  Tokyo Institute of Technology and Tokyo Medical and Dental University as active
  records: found by their former names, they give the Institute of Science Tokyo
  their ROR IDs, as a merger keeps its predecessors' codes.

A file is *planned* whole first; a plan with any error (a malformed code, an unknown
type, a record that fails validation) writes nothing and lists the errors with their
row numbers. A plan without errors is applied in one transaction; the import is
recorded as an ``ImportBatch`` and every history entry it writes links to it. A file
imported twice changes nothing, and records nothing, the second time.
"""

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..models import (
    AliasKind,
    Country,
    EnrollmentBand,
    IdentifierScheme,
    ImportBatch,
    ImportChannel,
    ImportKind,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionRedirect,
    InstitutionType,
    Language,
    Region,
    ResearchClassification,
    recording_import,
)
from ..models.institutions import IDENTIFIER_PATTERNS
from ..reference_data import describe_errors
from ..resolver import normalize_name
from ..search import agreements_of, fold, refresh_agreement_index
from ..slugs import free_slug
from .files import FileRejected, check_workbook

BULK_BATCH = 500
# Conflicts, ambiguities and notes listed one by one in a summary; the rest counted.
LISTED = 200


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


def _list_title(list_format: str) -> str:
    """ "A MEXT university list (大学一覧)", to start a sentence."""
    title = str(LIST_TITLES[list_format])
    return title[:1].upper() + title[1:]


class ListRejected(Exception):
    """The file cannot be read as the list it was given as; nothing was read."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


# -- records ---------------------------------------------------------------------------


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


# -- reading files ---------------------------------------------------------------------

SENTINELS = {"-1", "-2", "-3"}
# Windows-1252 bytes read as Latin-1 land in the C1 controls (IPEDS writes an en dash
# as 0x96): give them their Windows-1252 meaning where it has one.
C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252", errors="ignore") or chr(code)
    for code in range(0x80, 0xA0)
}
ENCODINGS = {
    ListFormat.MEXT: ("utf-8-sig", "cp932"),
    ListFormat.IPEDS: ("utf-8-sig", "latin-1"),
    ListFormat.ROR: ("utf-8-sig", "latin-1"),
}
ZIP_MAGIC = b"PK\x03\x04"


def _decode(data: bytes, encodings: Iterable[str]) -> tuple[str, str]:
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "latin-1":
            text = text.translate(C1_AS_CP1252)
            encoding = "windows-1252"
        return text, encoding.removesuffix("-sig")
    raise ListRejected(
        _("The file is not text in any of the encodings tried (%(encodings)s).")
        % {"encodings": ", ".join(encodings)}
    )


def _header(text) -> str:
    return " ".join(str(text or "").replace("\ufeff", "").split()).lower()


def _require(headers: Iterable[str], required: Iterable[str], list_format: str):
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


def read_csv_rows(
    data: bytes, *, list_format: str, required: Iterable[str], sheet: str | None
) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """The data rows as (row number, {lower-case column: text}), and the encoding.
    Row 1 is the header, as a spreadsheet shows it."""
    if sheet:
        raise ListRejected(
            _("%(list)s is a CSV file: it has no sheets to choose from.")
            % {"list": _list_title(list_format)}
        )
    if data.startswith(ZIP_MAGIC):
        raise ListRejected(
            _("%(list)s is read from a CSV file; this is an Excel workbook.")
            % {"list": _list_title(list_format)}
        )
    try:
        text, encoding = _decode(data, ENCODINGS[list_format])
    except ListRejected:
        # Another list in another encoding (IPEDS's Latin-1 given as MEXT): say
        # which columns it lacks rather than that it cannot be decoded.
        first_line = data.split(b"\n", 1)[0].decode("latin-1")
        _require(
            [_header(cell) for cell in next(csv.reader([first_line]), [])],
            required,
            list_format,
        )
        raise
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = [_header(cell) for cell in next(reader)]
    except StopIteration:
        raise ListRejected(_("The file is empty.")) from None
    except csv.Error as error:
        raise ListRejected(
            _("The file is not CSV: %(error)s") % {"error": error}
        ) from None
    _require(headers, required, list_format)
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            values = {
                name: cell.strip()
                for name, cell in zip(headers, cells, strict=False)
                if name
            }
            rows.append((number, values))
    except csv.Error as error:
        raise ListRejected(
            _("Row %(row)s is not CSV: %(error)s")
            % {"row": reader.line_num, "error": error}
        ) from None
    return rows, encoding


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _values(row: dict[str, str], name: str) -> str:
    """A cell with IPEDS's "not applicable" / "not reported" codes read as blank."""
    text = row.get(name, "")
    return "" if text in SENTINELS else text


# -- normalizing values ----------------------------------------------------------------

URL = URLValidator(schemes=["http", "https"])
WEBSITE_MAX = Institution._meta.get_field("website").max_length
ALIAS_MAX = InstitutionAlias._meta.get_field("name").max_length
NAME_MAX = Institution._meta.get_field("name").max_length
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
KANA_ONLY = re.compile(r"^[\u3040-\u30ff\s・ー]+$")
ROMANIZED = re.compile(r"daigaku|gakuin|gakuen|[āīūēōĀĪŪĒŌ]", re.IGNORECASE)


def squeeze(text: str) -> str:
    """Runs of white space (full-width included) as one space."""
    return " ".join((text or "").split())


def website_url(text: str) -> str:
    """An http(s) URL, with https:// added where the list gives none; blank when the
    text is not a usable address."""
    text = (text or "").strip()
    if not text or " " in text:
        return ""
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        text = "https://" + text
    try:
        URL(text)
    except ValidationError:
        return ""
    return text if len(text) <= WEBSITE_MAX else ""


def website_host(url: str) -> str:
    """What identifies a website: its host, lower case, without ``www.`` (or
    ``www2.``: the same site)."""
    if not url:
        return ""
    if "://" not in url:
        url = "https://" + url
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return re.sub(r"^www\d*\.", "", host.lower())


def alias_key(text: str) -> str:
    """Names that differ only in case, width, punctuation or spacing are one name."""
    return normalize_name(text).replace(" ", "")


def _decimal(text, low, high) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or not low <= value <= high:
        return None
    return value.quantize(Decimal("0.000001"))


def _coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    lat, lng = _decimal(latitude, -90, 90), _decimal(longitude, -180, 180)
    return (lat, lng) if lat is not None and lng is not None else (None, None)


def _english_kind(text: str) -> str:
    """ "AAMU", "ASU-BEEBE" are acronyms; "Penn State", "UPenn" other names."""
    compact = text.replace("-", "").replace("&", "").replace(".", "")
    if " " not in text and compact.isalnum() and text.upper() == text:
        return AliasKind.ACRONYM
    return AliasKind.ALTERNATIVE


def _usable_alias(text: str) -> bool:
    return (
        sum(c.isalnum() for c in text) >= 2
        and text.lower() not in {"n/a", "na", "none", "null"}
        and len(text) <= ALIAS_MAX
    )


# -- MEXT ------------------------------------------------------------------------------

MEXT_TYPES = {
    "国立": InstitutionType.JP_NATIONAL,
    "公立": InstitutionType.JP_PUBLIC,
    "私立": InstitutionType.JP_PRIVATE,
}
MEXT_REQUIRED = ("mext_code", "name_ja", "name_en", "type_ja")
# MEXT dropped the spaces of most private names: "KyotoUniversityoftheArts".
GLUED_SMALL_WORD = re.compile(r"(?<=[a-z])(of|and|for|the)(?=[A-Z]|of|and|for|the)")
WORD_START = re.compile(
    r"(?<=[a-z'’])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[,&])(?=\S)"
)
SMALL_WORDS = {"And", "Of", "The", "For", "In", "At", "On"}
POSTCODE = re.compile(r"^〒?\s*\d{3}-?\d{4}\s*")


def mext_english_name(text: str) -> str:
    """MEXT's English name with its spaces back and small words in lower case:
    "KyotoUniversityoftheArts" → "Kyoto University of the Arts"."""
    text = GLUED_SMALL_WORD.sub(r" \1 ", squeeze(text))
    text = WORD_START.sub(" ", text)
    text = re.sub(r"\s*-\s*", "-", text).replace("’", "'")
    words = text.split()
    return " ".join(
        word.lower() if position and word in SMALL_WORDS else word
        for position, word in enumerate(words)
    )


def address_prefecture(address: str, prefectures: dict[str, str]) -> str:
    """The JIS code of the prefecture an address starts with, after its postcode
    (written with full-width digits and hyphens in MEXT's list: 〒060－0808)."""
    text = POSTCODE.sub("", unicodedata.normalize("NFKC", address or "").strip())
    for name, code in prefectures.items():
        if text.startswith(name):
            return code
    return ""


def parse_mext(data: bytes, *, sheet=None, prefectures=None) -> ParsedList:
    rows, encoding = read_csv_rows(
        data, list_format=ListFormat.MEXT, required=MEXT_REQUIRED, sheet=sheet
    )
    parsed = ParsedList(ListFormat.MEXT, rows=len(rows), encoding=encoding)
    prefectures = prefectures if prefectures is not None else _prefectures()
    pattern = IDENTIFIER_PATTERNS[IdentifierScheme.MEXT][0]
    for number, row in rows:
        errors = []
        code = unicodedata.normalize("NFKC", row["mext_code"]).strip().upper()
        if pattern.match(code):
            parsed.identifiers.add((IdentifierScheme.MEXT, code))
        else:
            errors.append(
                _("“%(value)s” is not a MEXT school code (F and twelve digits).")
                % {"value": row["mext_code"]}
            )
        name = mext_english_name(row["name_en"])
        if not name:
            errors.append(_("the English name (name_en) is blank."))
        name_ja = squeeze(row["name_ja"])
        if not name_ja:
            errors.append(_("the Japanese name (name_ja) is blank."))
        institution_type = MEXT_TYPES.get(row["type_ja"])
        if institution_type is None:
            errors.append(
                _("type “%(value)s” is not 国立, 公立 or 私立.")
                % {"value": row["type_ja"]}
            )
        prefecture = row.get("pref_code_from_mext") or code[2:4]
        prefecture = unicodedata.normalize("NFKC", prefecture).strip().zfill(2)
        if prefecture not in prefectures.values():
            errors.append(
                _("“%(value)s” is not a prefecture code (01–47).")
                % {"value": prefecture}
            )
        if errors:
            parsed.errors += [RowError(number, message) for message in errors]
            continue
        # The code files the university under its prefecture; a campus address
        # elsewhere (東海大学 in Kanagawa, 東京福祉大学 in Gunma) does not move it.
        in_address = address_prefecture(row.get("address_ja", ""), prefectures)
        if in_address and in_address != prefecture:
            names = {jis: name_of for name_of, jis in prefectures.items()}
            parsed.notes.append(
                _(
                    "Row %(row)s, %(name)s: the address is in %(address)s, the "
                    "school code says %(code)s; the code's prefecture is used."
                )
                % {
                    "row": number,
                    "name": name_ja,
                    "address": names[in_address],
                    "code": names[prefecture],
                }
            )
        parsed.records.append(
            ListRecord(
                row=number,
                name=name[:NAME_MAX],
                name_ja=name_ja,
                country=Country.JP,
                institution_type=institution_type,
                region_code=prefecture,
                identifiers={IdentifierScheme.MEXT: code},
                creatable=True,
            )
        )
    return parsed


def _prefectures() -> dict[str, str]:
    """Japanese prefecture name (東京都) → JIS code (13)."""
    return dict(
        Region.objects.filter(country=Country.JP).values_list("name_ja", "code")
    )


# -- IPEDS -----------------------------------------------------------------------------

IPEDS_REQUIRED = (
    "unitid",
    "instnm",
    "city",
    "stabbr",
    "control",
    "deggrant",
    "cyactive",
)
IPEDS_CONTROL = {
    "1": InstitutionType.US_PUBLIC,
    "2": InstitutionType.US_PRIVATE_NONPROFIT,
    "3": InstitutionType.US_PRIVATE_FOR_PROFIT,
}
# IALIAS packs several names: "A | B", "A; B", "A / B", "A  B" (two spaces), "A, B".
ALIAS_SEPARATOR = re.compile(r"\s*[|;]\s*|\s+/\s+|\s{2,}")
CORPORATE_SUFFIXES = {"inc", "llc", "ltd", "corp", "co", "lp", "pc", "pllc"}
SKIP_CLOSED = gettext_lazy("closed or merged into another UNITID (CYACTIVE, CLOSEDAT)")
SKIP_NOT_DEGREE = gettext_lazy("not degree-granting (DEGGRANT)")
SKIP_OFFICE = gettext_lazy("administrative office, not an institution (SECTOR 0)")
SKIP_NOT_POSTSECONDARY = gettext_lazy("not primarily postsecondary (PSEFLAG)")


def split_ipeds_aliases(text: str) -> list[str]:
    """IALIAS's names, one each. A comma separates names in a list of three or more,
    or beside an acronym ("RPI, Rensselaer"); otherwise it is part of the name
    ("University of California, San Francisco", "Rutgers, Camden"), as it is before
    a company suffix ("Capps College, Inc.")."""
    found = []
    for part in ALIAS_SEPARATOR.split(text or ""):
        part = part.strip(" ,")
        pieces = [squeeze(piece) for piece in part.split(",")]
        if (
            len(pieces) > 1
            and all(pieces)
            and (
                len(pieces) > 2
                or any(_english_kind(p) == AliasKind.ACRONYM for p in pieces)
            )
            and not any(p.rstrip(".").lower() in CORPORATE_SUFFIXES for p in pieces)
        ):
            found += pieces
        else:
            found.append(squeeze(part))
    return [alias for alias in dict.fromkeys(found) if _usable_alias(alias)]


def parse_ipeds(data: bytes, *, sheet=None) -> ParsedList:
    rows, encoding = read_csv_rows(
        data, list_format=ListFormat.IPEDS, required=IPEDS_REQUIRED, sheet=sheet
    )
    parsed = ParsedList(ListFormat.IPEDS, rows=len(rows), encoding=encoding)
    pattern = IDENTIFIER_PATTERNS[IdentifierScheme.IPEDS][0]
    # NEWID: the UNITID a closed one merged into; its institution is the survivor's.
    predecessors = defaultdict(list)
    for number, row in rows:
        unitid = row["unitid"]
        if not pattern.match(unitid):
            parsed.errors.append(
                RowError(
                    number,
                    _("UNITID “%(value)s” is not six digits.") % {"value": unitid},
                )
            )
            continue
        parsed.identifiers.add((IdentifierScheme.IPEDS, unitid))
        closed = (
            row["cyactive"] != "1"
            or _values(row, "closedat")
            or row.get("pseflag") == "3"
        )
        if closed:
            if pattern.match(_values(row, "newid")):
                predecessors[row["newid"]].append(unitid)
            parsed.skipped[str(SKIP_CLOSED)] += 1
            continue
        if row["deggrant"] != "1":
            parsed.skipped[str(SKIP_NOT_DEGREE)] += 1
            continue
        if row.get("sector") == "0":
            parsed.skipped[str(SKIP_OFFICE)] += 1
            continue
        if row.get("pseflag") == "2":
            parsed.skipped[str(SKIP_NOT_POSTSECONDARY)] += 1
            continue
        name = squeeze(_values(row, "instnm"))
        institution_type = IPEDS_CONTROL.get(row["control"])
        if not name or institution_type is None:
            if not name:
                parsed.errors.append(RowError(number, _("the name (INSTNM) is blank.")))
            if institution_type is None:
                parsed.errors.append(
                    RowError(
                        number,
                        _("CONTROL “%(value)s” is not 1, 2 or 3.")
                        % {"value": row["control"]},
                    )
                )
            continue
        latitude, longitude = _coordinates(
            _values(row, "latitude"), _values(row, "longitud")
        )
        parsed.records.append(
            ListRecord(
                row=number,
                name=name[:NAME_MAX],
                country=Country.US,
                institution_type=institution_type,
                region_code=_values(row, "stabbr").upper(),
                city=squeeze(_values(row, "city")),
                website=website_url(_values(row, "webaddr")),
                latitude=latitude,
                longitude=longitude,
                identifiers={IdentifierScheme.IPEDS: unitid},
                aliases=[
                    (alias, Language.EN, _english_kind(alias))
                    for alias in split_ipeds_aliases(_values(row, "ialias"))
                ],
                creatable=True,
            )
        )
    for record in parsed.records:
        record.former_identifiers = [
            (IdentifierScheme.IPEDS, old)
            for old in predecessors.get(record.identifiers[IdentifierScheme.IPEDS], [])
        ]
    return parsed


# -- Carnegie --------------------------------------------------------------------------

CARNEGIE_DATA_SHEET = "Data"
CARNEGIE_VALUES_SHEET = "Values"
CARNEGIE_REQUIRED = ("unitid", "name", "city", "stabbr", "basic2021", "control")
# The basic class's label, read in this order, gives the registry's grouping.
CARNEGIE_CLASSES = [
    (re.compile(r"very high research", re.I), ResearchClassification.R1),
    (re.compile(r"high research", re.I), ResearchClassification.R2),
    (re.compile(r"^doctoral/professional", re.I), ResearchClassification.D_PU),
    (re.compile(r"^master", re.I), ResearchClassification.MASTERS),
    (re.compile(r"associate'?s dominant", re.I), ResearchClassification.ASSOCIATE),
    (re.compile(r"^baccalaureate", re.I), ResearchClassification.BACCALAUREATE),
    (re.compile(r"^associate", re.I), ResearchClassification.ASSOCIATE),
    (re.compile(r"^special focus", re.I), ResearchClassification.SPECIAL_FOCUS),
    (re.compile(r"^tribal", re.I), ResearchClassification.TRIBAL),
]
# Institutions Carnegie may add: research partners, not every college.
CARNEGIE_CREATES = re.compile(
    r"^doctoral|^special focus four-year: research institution", re.I
)
CARNEGIE_CONTROL = {
    "public": InstitutionType.US_PUBLIC,
    "private not-for-profit": InstitutionType.US_PRIVATE_NONPROFIT,
    "private for-profit": InstitutionType.US_PRIVATE_FOR_PROFIT,
}
ENROLLMENT_BANDS = [
    (20000, EnrollmentBand.FROM_20000),
    (10000, EnrollmentBand.FROM_10000),
    (5000, EnrollmentBand.FROM_5000),
    (1000, EnrollmentBand.FROM_1000),
    (0, EnrollmentBand.UNDER_1000),
]


def carnegie_classification(label: str) -> str:
    for pattern, classification in CARNEGIE_CLASSES:
        if pattern.search(label):
            return classification
    return ""


def enrollment_band(students) -> str:
    try:
        students = int(Decimal(str(students)))
    except (InvalidOperation, ValueError):
        return ""
    if students < 0:
        return ""
    return next(band for floor, band in ENROLLMENT_BANDS if students >= floor)


def _sheet(workbook, name: str):
    for worksheet in workbook.worksheets:
        if worksheet.title.strip().lower() == name.strip().lower():
            return worksheet
    return None


def read_carnegie_labels(worksheet) -> dict[str, dict[int, str]]:
    """The Values sheet: variable → code → label. The variable is written once,
    above its codes, so it is carried down."""
    labels = defaultdict(dict)
    rows = worksheet.iter_rows(values_only=True)
    header = [_header(cell) for cell in next(rows, ())]
    try:
        variable_at = header.index("variable")
        value_at = header.index("value")
        label_at = header.index("label", value_at + 1)
    except ValueError:
        raise ListRejected(
            _(
                "The Values sheet needs the columns Variable, Value and Label (after "
                "Value); it has %(found)s."
            )
            % {"found": ", ".join(name for name in header if name) or _("none")}
        ) from None
    variable = ""
    for cells in rows:
        cells = list(cells) + [None] * (len(header) - len(cells))
        if cells[variable_at]:
            variable = str(cells[variable_at]).strip().lower()
        code, label = cells[value_at], cells[label_at]
        if not variable or code is None or label is None:
            continue
        try:
            labels[variable][int(code)] = _cell_text(label)
        except (TypeError, ValueError):
            continue
    return labels


def parse_carnegie(data: bytes, *, sheet=None) -> ParsedList:
    from openpyxl import load_workbook

    title = _list_title(ListFormat.CARNEGIE)
    if not data.startswith(ZIP_MAGIC):
        raise ListRejected(
            _("%(list)s is an Excel workbook (.xlsx); this file is not one.")
            % {"list": title}
        )
    try:
        check_workbook(data, max_bytes=settings.IMPORT_MAX_BYTES)
    except FileRejected as error:
        raise ListRejected(str(error)) from None
    try:
        workbook = load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ListRejected(
            _("The workbook cannot be read: %(error)s") % {"error": error}
        ) from None
    try:
        data_name = sheet or CARNEGIE_DATA_SHEET
        data_sheet = _sheet(workbook, data_name)
        values_sheet = _sheet(workbook, CARNEGIE_VALUES_SHEET)
        missing = [
            name
            for name, found in (
                (data_name, data_sheet),
                (CARNEGIE_VALUES_SHEET, values_sheet),
            )
            if found is None
        ]
        if missing:
            raise ListRejected(
                _(
                    "This is not %(list)s: the sheets %(missing)s are missing. "
                    "The workbook has %(found)s."
                )
                % {
                    "list": LIST_TITLES[ListFormat.CARNEGIE],
                    "missing": ", ".join(missing),
                    "found": ", ".join(workbook.sheetnames),
                }
            )
        labels = read_carnegie_labels(values_sheet)
        rows = data_sheet.iter_rows(values_only=True)
        headers = [_header(cell) for cell in next(rows, ())]
        _require(headers, CARNEGIE_REQUIRED, ListFormat.CARNEGIE)
        table = []
        for number, cells in enumerate(rows, start=2):
            if not any(cell not in (None, "") for cell in cells):
                continue
            table.append(
                (
                    number,
                    {
                        name: _cell_text(cell)
                        for name, cell in zip(headers, cells, strict=False)
                        if name
                    },
                )
            )
    finally:
        workbook.close()
    parsed = ParsedList(ListFormat.CARNEGIE, rows=len(table), sheet=data_sheet.title)
    basic_labels, control_labels = (
        labels.get("basic2021", {}),
        labels.get("control", {}),
    )
    for name in ("basic2021", "control"):
        if not labels.get(name):
            raise ListRejected(
                _("The Values sheet has no labels for %(variable)s.")
                % {"variable": name}
            )
    pattern = IDENTIFIER_PATTERNS[IdentifierScheme.IPEDS][0]
    for number, row in table:
        errors = []
        unitid = row["unitid"].zfill(6) if row["unitid"].isdigit() else row["unitid"]
        if pattern.match(unitid):
            parsed.identifiers.add((IdentifierScheme.IPEDS, unitid))
        else:
            errors.append(
                _("unitid “%(value)s” is not six digits.") % {"value": row["unitid"]}
            )
        label = _code_label(basic_labels, row["basic2021"])
        if label is None:
            errors.append(
                _("basic2021 “%(value)s” has no label in the Values sheet.")
                % {"value": row["basic2021"]}
            )
        control = _code_label(control_labels, row["control"])
        institution_type = CARNEGIE_CONTROL.get((control or "").lower())
        if institution_type is None:
            errors.append(
                _("control “%(value)s” is not public or private in the Values sheet.")
                % {"value": row["control"]}
            )
        name = squeeze(row["name"])
        if not name:
            errors.append(_("the name is blank."))
        if errors:
            parsed.errors += [RowError(number, message) for message in errors]
            continue
        parsed.records.append(
            ListRecord(
                row=number,
                name=name[:NAME_MAX],
                country=Country.US,
                institution_type=institution_type,
                region_code=row["stabbr"].upper(),
                city=squeeze(row["city"]),
                identifiers={IdentifierScheme.IPEDS: unitid},
                research_classification=carnegie_classification(label),
                carnegie_basic=label,
                enrollment_band=enrollment_band(row.get("fallenr20", "")),
                creatable=bool(CARNEGIE_CREATES.search(label)),
            )
        )
    return parsed


def _code_label(labels: dict[int, str], text: str) -> str | None:
    try:
        return labels.get(int(Decimal(text)))
    except (InvalidOperation, ValueError):
        return None


# -- ROR -------------------------------------------------------------------------------

ROR_REQUIRED = ("ror_id", "name", "types", "status", "country_code")
SKIP_ROR_COUNTRY = gettext_lazy("outside the U.S. and Japan")
SKIP_ROR_STATUS = gettext_lazy("withdrawn or inactive in ROR")
SKIP_ROR_TYPE = gettext_lazy("not an education record")
US_STATE = re.compile(r"^[A-Z]{2}$")


def _pipe_list(text: str) -> list[str]:
    return [squeeze(part) for part in (text or "").split("|") if squeeze(part)]


def ror_aliases(row: dict[str, str], country: str) -> list[tuple[str, str, str]]:
    """ROR's other names with their language and kind; kana readings
    (とうほくだいがく) are dropped: nobody writes a name that way."""
    found = []
    for text in _pipe_list(row.get("acronyms", "")):
        if CJK.search(text):
            found.append((text, Language.JA, AliasKind.ABBREVIATION))
        else:
            found.append((text, Language.EN, AliasKind.ACRONYM))
    for column in ("name_ja_other", "aliases"):
        for text in _pipe_list(row.get(column, "")):
            if KANA_ONLY.match(text):
                continue
            if JAPANESE.search(text):
                found.append((text, Language.JA, AliasKind.ALTERNATIVE))
            elif country == Country.JP and (
                column == "name_ja_other" or ROMANIZED.search(text)
            ):
                found.append((text, Language.JA_LATN, AliasKind.ROMANIZATION))
            else:
                found.append((text, Language.EN, AliasKind.ALTERNATIVE))
    return [alias for alias in found if _usable_alias(alias[0])]


def parse_ror(data: bytes, *, sheet=None) -> ParsedList:
    rows, encoding = read_csv_rows(
        data, list_format=ListFormat.ROR, required=ROR_REQUIRED, sheet=sheet
    )
    parsed = ParsedList(ListFormat.ROR, rows=len(rows), encoding=encoding)
    pattern = IDENTIFIER_PATTERNS[IdentifierScheme.ROR][0]
    for number, row in rows:
        ror_id = row["ror_id"].strip().removeprefix("https://ror.org/")
        if pattern.match(ror_id):
            parsed.identifiers.add((IdentifierScheme.ROR, ror_id))
        country = row["country_code"].upper()
        if country not in Country.values:
            parsed.skipped[str(SKIP_ROR_COUNTRY)] += 1
            continue
        if row["status"].lower() != "active":
            parsed.skipped[str(SKIP_ROR_STATUS)] += 1
            continue
        if "education" not in row["types"].lower().split("|"):
            parsed.skipped[str(SKIP_ROR_TYPE)] += 1
            continue
        name = squeeze(row["name"])
        errors = []
        if not pattern.match(ror_id):
            errors.append(_("“%(value)s” is not a ROR ID.") % {"value": row["ror_id"]})
        if not name:
            errors.append(_("the name is blank."))
        if errors:
            parsed.errors += [RowError(number, message) for message in errors]
            continue
        aliases = ror_aliases(row, country)
        name_ja = squeeze(row.get("name_ja", ""))
        if name_ja and not JAPANESE.search(name_ja):
            # Some "Japanese" labels are romanized: "Seisen Daigaku".
            aliases.append((name_ja, Language.JA_LATN, AliasKind.ROMANIZATION))
            name_ja = ""
        # ROR's admin1 is unreliable for Japan (Aichi filed under JP.01).
        state = row.get("admin1_code", "").upper()
        latitude, longitude = _coordinates(row.get("lat", ""), row.get("lng", ""))
        parsed.records.append(
            ListRecord(
                row=number,
                name=name[:NAME_MAX],
                name_ja=name_ja,
                country=country,
                region_code=state
                if country == Country.US and US_STATE.match(state)
                else "",
                city=squeeze(row.get("city", "")),
                website=website_url(row.get("website", "")),
                latitude=latitude,
                longitude=longitude,
                identifiers={IdentifierScheme.ROR: ror_id},
                aliases=aliases,
                match_by_website=not row.get("parent_ror", "").strip(),
            )
        )
    return parsed


PARSERS: dict[str, Callable[..., ParsedList]] = {
    ListFormat.MEXT: parse_mext,
    ListFormat.IPEDS: parse_ipeds,
    ListFormat.CARNEGIE: parse_carnegie,
    ListFormat.ROR: parse_ror,
}


def parse_list(
    data: bytes, *, list_format: str, sheet: str | None = None
) -> ParsedList:
    """Read a file as the given list. Raises ListRejected when it is not one."""
    if list_format not in PARSERS:
        raise ListRejected(
            _("Unknown list format “%(format)s”: choose %(formats)s.")
            % {"format": list_format, "formats": ", ".join(FORMATS)}
        )
    return PARSERS[list_format](data, sheet=sheet)


# -- the registry in memory ------------------------------------------------------------


class _Entry:
    """An institution of the registry, or one the plan creates, and what the plan
    does to it."""

    def __init__(self, institution: Institution, *, new: bool = False):
        self.institution = institution
        self.new = new
        self.identifiers: dict[str, set[str]] = defaultdict(set)
        self.names: set[str] = set()  # alias keys of its names and aliases
        self.new_identifiers: list[tuple[str, str]] = []
        self.new_aliases: list[tuple[str, str, str]] = []
        self.changed_fields: set[str] = set()
        self.rows: list[int] = []

    @property
    def changes(self) -> tuple[int, int, int]:
        return (
            len(self.changed_fields),
            len(self.new_identifiers),
            len(self.new_aliases),
        )

    @property
    def changed(self) -> bool:
        return any(self.changes)


class _Registry:
    """Every institution with its identifiers, website hosts and names, loaded in a
    handful of queries so that matching a row costs no query.

    Hosts and names are looked up as the registry was before the file: the rows of
    one list are different institutions, so what the file itself creates or adds
    (IPEDS aliases such as Princeton's "The College of New Jersey") never matches
    another of its rows."""

    def __init__(self):
        self.entries: list[_Entry] = []
        self.by_identifier: dict[tuple[str, str], _Entry] = {}
        self.by_host: dict[tuple[str, str], set[_Entry]] = defaultdict(set)
        self.by_name: dict[tuple[str, str], set[_Entry]] = defaultdict(set)
        self.by_former_name: dict[tuple[str, str], set[_Entry]] = defaultdict(set)
        by_pk = {}
        for institution in Institution.objects.select_related("region"):
            entry = _Entry(institution)
            by_pk[institution.pk] = entry
            self.entries.append(entry)
            for text in (institution.name, institution.name_ja):
                self._index_name(entry, text)
            if host := website_host(institution.website):
                self.by_host[(institution.country, host)].add(entry)
        for pk, scheme, value in InstitutionIdentifier.objects.values_list(
            "institution_id", "scheme", "value"
        ):
            by_pk[pk].identifiers[scheme].add(value)
            self.by_identifier[(scheme, value)] = by_pk[pk]
        for pk, name, kind in InstitutionAlias.objects.values_list(
            "institution_id", "name", "kind"
        ):
            self._index_name(by_pk[pk], name)
            if kind == AliasKind.FORMER_NAME:
                key = (by_pk[pk].institution.country, normalize_name(name))
                self.by_former_name[key].add(by_pk[pk])
        self.regions = {(r.country, r.code): r for r in Region.objects.all()}
        self.regions_by_pk = {region.pk: region for region in self.regions.values()}
        self.slugs = set(Institution.objects.values_list("slug", flat=True)) | set(
            InstitutionRedirect.objects.values_list("old_slug", flat=True)
        )

    def _index_name(self, entry: _Entry, text: str):
        if text:
            entry.names.add(alias_key(text))
            self.by_name[(entry.institution.country, normalize_name(text))].add(entry)

    def identify(self, entry: _Entry, scheme: str, value: str):
        entry.identifiers[scheme].add(value)
        entry.new_identifiers.append((scheme, value))
        self.by_identifier[(scheme, value)] = entry

    def create(self, institution: Institution) -> _Entry:
        entry = _Entry(institution, new=True)
        entry.names |= {alias_key(t) for t in (institution.name, institution.name_ja)}
        self.entries.append(entry)
        return entry

    def unique_slug(self, name: str, qualifiers: Iterable[str]) -> str:
        """A slug no institution or old address has (Lincoln University →
        lincoln-university-missouri), kept from the next one."""
        slug = free_slug(
            name, taken=self.slugs, qualifiers=qualifiers, fallback="institution"
        )
        self.slugs.add(slug)
        return slug


# -- planning --------------------------------------------------------------------------

SKIP_AMBIGUOUS = gettext_lazy("ambiguous: matches several institutions")
SKIP_OTHER_IDENTIFIER = gettext_lazy(
    "matches an institution that has another identifier of this list"
)
SKIP_UNKNOWN_REGION = gettext_lazy("state or prefecture not in the registry")
SKIP_NOT_CREATED = {
    ListFormat.CARNEGIE: gettext_lazy(
        "not in the registry, and not a doctoral or research institution"
    ),
    ListFormat.ROR: gettext_lazy("not in the registry (ROR enriches, never creates)"),
}
# Differences not worth a conflict: a different Japanese name becomes an alias; ROR's
# city is the GeoNames place it was filed under ("Tokyo" for Hachiōji, "Amherst
# Center"), not the postal city curators keep.
UNREPORTED = {ListFormat.ROR: {"city"}}
HOW = {"website": gettext_lazy("website"), "name": gettext_lazy("name")}
# How a row can find an institution it is a predecessor of.
SURE = {"identifier", "former name"}


@dataclass
class ListPlan:
    parsed: ParsedList
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)

    @property
    def list_format(self) -> str:
        return self.parsed.list_format

    @property
    def rows(self) -> int:
        return self.parsed.rows

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())


class _Planner:
    """Decides what each row does, in three steps: match every row (identifiers
    first, then website or name, against the registry as it was before the file),
    settle rows that met the same institution, then enrich or create."""

    def __init__(self, parsed: ParsedList, progress):
        self.parsed = parsed
        self.plan = ListPlan(
            parsed=parsed,
            skipped=Counter(parsed.skipped),
            errors=list(parsed.errors),
        )
        self.progress = progress
        self.scheme = SCHEME_OF[parsed.list_format]
        self.unreported = UNREPORTED.get(parsed.list_format, set()) | {"name_ja"}
        self.registry = _Registry()
        self.actions: dict[int, str] = {}
        self.records = []
        for record in parsed.records:
            if self._region(record) is False:
                self.plan.skipped[f"{SKIP_UNKNOWN_REGION} ({record.region_code})"] += 1
            else:
                self.records.append(record)
        # Names and hosts two rows of the file share decide nothing (branch campuses,
        # chains of schools under one website).
        self.shared_names = _shared(
            key for record in self.records for key in _name_keys(record)
        )
        self.shared_hosts = _shared(
            (record.country, website_host(record.website))
            for record in self.records
            if record.match_by_website and record.website
        )

    def _region(self, record: ListRecord):
        """The record's Region, None when it names none, False when the registry has
        no such state or prefecture."""
        if not record.region_code:
            return None
        return self.registry.regions.get((record.country, record.region_code), False)

    def run(self) -> ListPlan:
        self._check_repeated_identifiers()
        if self.plan.errors:
            return self.plan
        matches = {}  # row -> (entry, how)
        for record in self.records:
            matches[record.row] = self._match(record)
        successors = self._settle(matches)
        for count, record in enumerate(self.records, start=1):
            if record.row in self.actions:
                continue
            entry, how = matches[record.row]
            if entry is None:
                self._create_or_skip(record)
            else:
                self._enrich(entry, record, predecessor=successors.get(record.row))
            if self.progress and count % 2000 == 0:
                self.progress(
                    _("Planned %(done)s of %(total)s rows…")
                    % {"done": f"{count:,}", "total": f"{len(self.records):,}"}
                )
        counts = Counter(self.actions.values())
        self.plan.created = counts["created"]
        self.plan.updated = counts["updated"]
        self.plan.unchanged = counts["unchanged"]
        self.plan.entries = [e for e in self.registry.entries if e.new or e.changed]
        self._validate()
        return self.plan

    def _check_repeated_identifiers(self):
        first_row = {}
        for record in self.records:
            for key in record.identifiers.items():
                if key in first_row:
                    self.plan.errors.append(
                        RowError(
                            record.row,
                            _("%(scheme)s %(value)s is also on row %(row)s.")
                            % {
                                "scheme": IdentifierScheme(key[0]).label,
                                "value": key[1],
                                "row": first_row[key],
                            },
                        )
                    )
                first_row.setdefault(key, record.row)

    # -- matching ------------------------------------------------------------------

    def _match(self, record: ListRecord) -> tuple[_Entry | None, str]:
        """The entry a row is (None: none), and how it was found; a row found
        ambiguous is skipped here."""
        entry = self._by_identifier(record)
        if entry is not None or record.row in self.actions:
            return entry, "identifier"
        return self._by_website_or_name(record)

    def _by_identifier(self, record: ListRecord) -> _Entry | None:
        """The entry the row's own identifiers find, else the one its former
        identifiers find (the institution it took over)."""
        for keys in (record.identifiers.items(), record.former_identifiers):
            found = {
                self.registry.by_identifier[key]
                for key in keys
                if key in self.registry.by_identifier
            }
            if not found:
                continue
            entry = next(iter(found))
            if len(found) > 1 or entry.institution.country != record.country:
                self._skip(
                    record,
                    SKIP_AMBIGUOUS,
                    ambiguous=_("its identifiers belong to %(names)s")
                    % {"names": _names(found)},
                )
                return None
            return entry
        return None

    def _by_website_or_name(self, record: ListRecord) -> tuple[_Entry | None, str]:
        registry = self.registry
        host = website_host(record.website) if record.match_by_website else ""
        if host and (record.country, host) not in self.shared_hosts:
            found = self._candidates(
                record, registry.by_host.get((record.country, host), ())
            )
            if len(found) == 1:
                return self._checked(record, found.pop(), "website")
        keys = _name_keys(record)
        # A former name is a merged institution's predecessor: Tokyo Institute of
        # Technology is the Institute of Science Tokyo, whatever codes it holds.
        former = set()
        for key in keys:
            if key not in self.shared_names:
                former |= registry.by_former_name.get(key, set())
        if len(former) == 1:
            return former.pop(), "former name"
        # Each name's candidates: those all names agree on, if any (two "Seisen
        # University", one 清泉女子大学), else any name's.
        per_name = [
            self._candidates(record, registry.by_name.get(key, ()))
            for key in keys
            if key not in self.shared_names
        ]
        per_name = [found for found in per_name if found]
        found = set.intersection(*per_name) if per_name else set()
        if not found and per_name:
            found = set.union(*per_name)
        if len(found) == 1:
            return self._checked(record, found.pop(), "name")
        if len(found) > 1:
            self._skip(
                record,
                SKIP_AMBIGUOUS,
                ambiguous=_("the name matches %(names)s") % {"names": _names(found)},
            )
            return None, ""
        for key in keys:
            if key in self.shared_names:
                found |= self._candidates(record, registry.by_name.get(key, ()))
        if found:
            self._skip(
                record,
                SKIP_AMBIGUOUS,
                ambiguous=_(
                    "several rows of the file have this name, and %(names)s has it "
                    "too: which row it is cannot be told by name"
                )
                % {"names": _names(found)},
            )
        return None, ""

    def _candidates(self, record: ListRecord, entries: Iterable[_Entry]) -> set:
        """The entries a row may be: not those another row of the file identifies
        (the list has one row per institution)."""
        own = set(record.identifiers.items()) | set(record.former_identifiers)
        return {
            entry
            for entry in entries
            if not any(
                (self.scheme, value) in self.parsed.identifiers
                and (self.scheme, value) not in own
                for value in entry.identifiers.get(self.scheme, ())
            )
        }

    def _checked(self, record: ListRecord, entry: _Entry, how: str):
        """The entry, unless it holds another identifier of this list (one the file
        does not have: a successor's, or a record ROR has replaced)."""
        own = entry.identifiers.get(self.scheme, set())
        value = record.identifiers.get(self.scheme)
        if not (value and own and value not in own):
            return entry, how
        self._skip(record, SKIP_OTHER_IDENTIFIER)
        self.plan.conflicts.append(
            (
                record.row,
                _(
                    "%(record)s matches %(institution)s by %(how)s, which has "
                    "%(scheme)s %(values)s: not merged."
                )
                % {
                    "record": record.label,
                    "institution": entry.institution.name,
                    "how": HOW[how],
                    "scheme": IdentifierScheme(self.scheme).label,
                    "values": ", ".join(sorted(own)),
                },
            )
        )
        return None, ""

    def _settle(self, matches) -> dict[int, bool]:
        """Rows that met the same institution. Rows found by identifier (or a
        former name) are a merged institution and its predecessors (Tokyo
        Institute of Technology and Tokyo Medical and Dental University, both the
        Institute of Science Tokyo):
        a predecessor, not under the institution's current name, gives it its codes
        and names but not its other facts. A row found by website or name beside
        others keeps the match only if it alone has the institution's current name
        and no row has its identifier; the rest are reported. Returns row → True
        for predecessors."""
        groups = defaultdict(list)
        for record in self.records:
            entry, how = matches[record.row]
            if entry is not None and record.row not in self.actions:
                groups[entry].append((record, how))
        predecessors = {}
        for entry, rows in groups.items():
            if len(rows) < 2:
                continue
            current = {
                normalize_name(entry.institution.name),
                normalize_name(entry.institution.name_ja),
            } - {""}

            def is_current(record, current=current):
                return bool({key for _c, key in _name_keys(record)} & current)

            by_identifier = [record for record, how in rows if how in SURE]
            loose = [(record, how) for record, how in rows if how not in SURE]
            keep = [record for record, _how in loose if is_current(record)]
            if by_identifier or len(keep) != 1:
                keep = []
            for record, how in loose:
                if keep and record is keep[0]:
                    continue
                others = [str(r.row) for r, _how in rows if r is not record]
                self._skip(
                    record,
                    SKIP_AMBIGUOUS,
                    ambiguous=ngettext(
                        "it matches %(name)s by %(how)s, as does row %(rows)s",
                        "it matches %(name)s by %(how)s, as do rows %(rows)s",
                        len(others),
                    )
                    % {
                        "name": entry.institution.name,
                        "how": HOW[how],
                        "rows": ", ".join(others),
                    },
                )
            if len(by_identifier) > 1:
                for record in by_identifier:
                    predecessors[record.row] = not is_current(record)
        return predecessors

    def _skip(self, record: ListRecord, reason, *, ambiguous: str = ""):
        self.actions[record.row] = "skipped"
        self.plan.skipped[str(reason)] += 1
        if ambiguous:
            self.plan.ambiguous.append((record.row, f"{record.label}: {ambiguous}."))

    # -- changing --------------------------------------------------------------------

    def _create_or_skip(self, record: ListRecord):
        if not record.creatable:
            self._skip(record, SKIP_NOT_CREATED[self.parsed.list_format])
            return
        region = self._region(record)
        slug = self.registry.unique_slug(
            record.name,
            [region.slug if region else "", record.city, *record.identifiers.values()],
        )
        institution = Institution(
            name=record.name,
            name_ja=record.name_ja,
            slug=slug,
            country=record.country,
            institution_type=record.institution_type,
            city=record.city,
            region=region,
            website=record.website,
            latitude=record.latitude,
            longitude=record.longitude,
            research_classification=record.research_classification,
            enrollment_band=record.enrollment_band,
        )
        entry = self.registry.create(institution)
        entry.rows.append(record.row)
        self._add_identifiers(entry, record)
        self._add_aliases(entry, record, former=False)
        self.actions[record.row] = "created"

    def _enrich(self, entry: _Entry, record: ListRecord, *, predecessor=False):
        before = entry.changes
        entry.rows.append(record.row)
        self._add_identifiers(entry, record)
        if not predecessor:
            self._fill(entry, record)
        self._add_aliases(entry, record, former=predecessor)
        # A second row for the same institution (a merged university's old code)
        # counts as updated only for what it adds itself.
        self.actions[record.row] = "updated" if entry.changes != before else "unchanged"

    def _fill(self, entry: _Entry, record: ListRecord):
        """Blank fields filled; a different value kept and reported."""
        institution = entry.institution
        proposed = {
            "name_ja": record.name_ja,
            "city": record.city,
            "website": record.website,
            "research_classification": record.research_classification,
            "enrollment_band": record.enrollment_band,
            "institution_type": record.institution_type,
        }
        for name, value in proposed.items():
            current = getattr(institution, name)
            if not value:
                continue
            if not current:
                setattr(institution, name, value)
                entry.changed_fields.add(name)
            elif name not in self.unreported and not _same(name, current, value):
                self._conflict(record, institution, name, current, value)
        region = self._region(record)
        if region:
            if institution.region_id is None:
                institution.region = region
                entry.changed_fields.add("region")
            elif institution.region_id != region.pk:
                current = self.registry.regions_by_pk[institution.region_id]
                self._conflict(record, institution, "region", current, region)
        if (
            record.latitude is not None
            and institution.latitude is None
            and institution.longitude is None
        ):
            institution.latitude = record.latitude
            institution.longitude = record.longitude
            entry.changed_fields |= {"latitude", "longitude"}

    def _add_identifiers(self, entry: _Entry, record: ListRecord):
        """The row's identifiers, and those of the institutions it took over: a
        merged institution keeps its predecessors' codes."""
        for key in [*record.identifiers.items(), *record.former_identifiers]:
            owner = self.registry.by_identifier.get(key)
            if owner is None:
                self.registry.identify(entry, *key)
            elif owner is not entry:
                self.plan.conflicts.append(
                    (
                        record.row,
                        _(
                            "%(record)s took over %(scheme)s %(value)s, which "
                            "belongs to %(owner)s: not moved."
                        )
                        % {
                            "record": record.label,
                            "scheme": IdentifierScheme(key[0]).label,
                            "value": key[1],
                            "owner": owner.institution.name,
                        },
                    )
                )

    def _add_aliases(self, entry: _Entry, record: ListRecord, *, former: bool):
        """The row's names the institution lacks, compared folded and without
        spaces; a predecessor's names are former names."""
        kind = AliasKind.FORMER_NAME if former else AliasKind.ALTERNATIVE
        names = [(record.name, Language.EN, kind)]
        if record.name_ja:
            names.append((record.name_ja, Language.JA, kind))
        for text, language, alias_kind in names + record.aliases:
            key = alias_key(text)
            if not key or key in entry.names or len(text) > ALIAS_MAX:
                continue
            entry.new_aliases.append((text, language, alias_kind))
            entry.names.add(key)

    def _conflict(self, record, institution, name, current, value):
        model_field = Institution._meta.get_field(name)
        if model_field.choices:
            labels = dict(model_field.flatchoices)
            current, value = labels.get(current, current), labels.get(value, value)
        if name == "research_classification" and record.carnegie_basic:
            value = f"{value}: {record.carnegie_basic}"
        self.plan.conflicts.append(
            (
                record.row,
                _(
                    "%(institution)s: %(field)s “%(current)s” kept; %(record)s has "
                    "“%(value)s”."
                )
                % {
                    "institution": institution.name,
                    "field": model_field.verbose_name,
                    "current": current,
                    "record": record.label,
                    "value": value,
                },
            )
        )

    def _validate(self):
        for entry in self.plan.entries:
            if not (entry.new or entry.changed_fields):
                continue
            try:
                # The region is one of the registry's own (a query each to check it
                # exists); slugs are unique by construction.
                entry.institution.full_clean(
                    exclude=["region", "parent"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                self.plan.errors.append(RowError(entry.rows[0], describe_errors(error)))


def _name_keys(record: ListRecord) -> list[tuple[str, str]]:
    keys = {
        (record.country, normalize_name(text))
        for text in (record.name, record.name_ja)
        if text
    }
    return sorted(key for key in keys if key[1])


def _shared(keys: Iterable) -> set:
    counts = Counter(keys)
    return {key for key, count in counts.items() if count > 1 and key[1]}


def _names(entries: Iterable[_Entry]) -> str:
    return ", ".join(sorted(entry.institution.name for entry in entries))


def _same(name: str, current, value) -> bool:
    if name == "website":
        return website_host(current) == website_host(value)
    if name == "city":
        return fold(current) == fold(value)
    return current == value


def plan_institution_list(parsed: ParsedList, *, progress=None) -> ListPlan:
    """Match every row of a parsed list to the registry and decide what it does,
    writing nothing."""
    return _Planner(parsed, progress).run()


# -- applying --------------------------------------------------------------------------


def apply_institution_list(plan: ListPlan, *, batch: ImportBatch, user=None) -> None:
    """Write a plan without errors, all or nothing, each history entry linked to
    ``batch``."""
    if plan.has_errors:
        raise ValueError("A plan with errors is never applied.")
    reason = (
        _("Imported from %(file)s (%(format)s)")
        % {"file": batch.file_name, "format": plan.list_format}
    )[:100]
    history = {
        "batch_size": BULK_BATCH,
        "default_user": user,
        "default_change_reason": reason,
        "custom_historical_attrs": {"import_batch": batch},
    }
    new = [entry for entry in plan.entries if entry.new]
    changed = [entry for entry in plan.entries if not entry.new and entry.changed]
    with transaction.atomic(), recording_import(batch):
        bulk_create_with_history(
            [entry.institution for entry in new], Institution, **history
        )
        if changed:
            _update(changed)
            # No fields: the rows are written already, only their history is.
            bulk_update_with_history(
                [entry.institution for entry in changed], Institution, [], **history
            )
        InstitutionIdentifier.objects.bulk_create(
            [
                InstitutionIdentifier(
                    institution=entry.institution, scheme=scheme, value=value
                )
                for entry in plan.entries
                for scheme, value in entry.new_identifiers
            ],
            batch_size=BULK_BATCH,
        )
        InstitutionAlias.objects.bulk_create(
            [
                InstitutionAlias(
                    institution=entry.institution,
                    name=text,
                    language=language,
                    kind=kind,
                )
                for entry in plan.entries
                for text, language, kind in entry.new_aliases
            ],
            batch_size=BULK_BATCH,
        )
        # Names, aliases, regions: what an agreement is found by.
        agreements = agreements_of(
            institutions=[entry.institution.pk for entry in changed]
        )
        if agreements:
            refresh_agreement_index(agreement_ids=agreements)


def _update(entries: list[_Entry]) -> None:
    """Write the changed fields, one UPDATE for every set of institutions given the
    same values: Carnegie gives thousands the same few classifications, and
    ``bulk_update``'s CASE for each row costs seconds at that size."""
    now = timezone.now()
    groups = defaultdict(list)
    for entry in entries:
        institution = entry.institution
        institution.updated_at = now
        values = []
        for name in sorted(entry.changed_fields):
            attname = Institution._meta.get_field(name).attname
            values.append((attname, getattr(institution, attname)))
        groups[tuple(values)].append(institution.pk)
    for values, pks in groups.items():
        for start in range(0, len(pks), BULK_BATCH):
            Institution.objects.filter(pk__in=pks[start : start + BULK_BATCH]).update(
                updated_at=now, **dict(values)
            )


# -- one file, start to end ------------------------------------------------------------


@dataclass
class ListOutcome:
    plan: ListPlan
    batch: ImportBatch | None
    dry_run: bool

    @property
    def summary(self) -> str:
        return list_summary(self.plan)


def import_institution_list(
    *,
    data: bytes,
    file_name: str,
    list_format: str,
    sheet: str | None = None,
    dry_run: bool = False,
    user=None,
    channel: str = ImportChannel.COMMAND,
    progress: Callable[[str], None] | None = None,
) -> ListOutcome:
    """Read, plan and (unless ``dry_run`` or the plan has errors) import an official
    list, recording the import. Raises ListRejected when the file is not that list."""
    parsed = parse_list(data, list_format=list_format, sheet=sheet)
    if progress:
        progress(
            _("Read %(rows)s rows; %(records)s to match.")
            % {"rows": f"{parsed.rows:,}", "records": f"{len(parsed.records):,}"}
        )
    with transaction.atomic():
        plan = plan_institution_list(parsed, progress=progress)
        if dry_run or plan.has_errors or not plan.changed:
            return ListOutcome(plan=plan, batch=None, dry_run=dry_run)
        if progress:
            progress(
                _("Writing %(created)s new and %(updated)s updated institutions…")
                % {
                    "created": f"{plan.created:,}",
                    "updated": f"{len(plan.entries) - plan.created:,}",
                }
            )
        batch = ImportBatch.objects.create(
            kind=ImportKind.INSTITUTIONS,
            list_format=list_format,
            channel=channel,
            file_name=file_name[:255],
            sheet=parsed.sheet,
            checksum=hashlib.sha256(data).hexdigest(),
            file_size=len(data),
            imported_by=user,
            rows=plan.rows,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            skipped=plan.skipped_count,
            summary=list_summary(plan),
        )
        apply_institution_list(plan, batch=batch, user=user)
    return ListOutcome(plan=plan, batch=batch, dry_run=False)


def list_summary(plan: ListPlan) -> str:
    """What a plan does, in lines a curator reads: counts, reasons for skipping,
    conflicts, ambiguous names, notes on the file."""
    lines = [
        _(
            "%(rows)s rows: %(created)s new, %(updated)s updated, %(unchanged)s "
            "unchanged, %(skipped)s skipped."
        )
        % {
            "rows": f"{plan.rows:,}",
            "created": f"{plan.created:,}",
            "updated": f"{plan.updated:,}",
            "unchanged": f"{plan.unchanged:,}",
            "skipped": f"{plan.skipped_count:,}",
        }
    ]
    if plan.parsed.encoding:
        lines.append(_("Read as %(encoding)s.") % {"encoding": plan.parsed.encoding})
    if plan.skipped:
        lines.append(_("Skipped:"))
        lines += [
            f"  {count:,} {reason}" for reason, count in plan.skipped.most_common()
        ]
    for title, items in (
        (_("Conflicts (the registry's value kept):"), plan.conflicts),
        (_("Ambiguous (neither merged nor created):"), plan.ambiguous),
        (
            _("Notes on the file:"),
            [(0, note) for note in plan.parsed.notes],
        ),
    ):
        if not items:
            continue
        lines.append(f"{title} {len(items):,}")
        for row, text in sorted(items, key=lambda item: item[0])[:LISTED]:
            lines.append(
                "  " + (_("row %(row)s: ") % {"row": row} if row else "") + text
            )
        if len(items) > LISTED:
            lines.append(
                "  " + _("… and %(count)s more.") % {"count": len(items) - LISTED}
            )
    return "\n".join(lines)

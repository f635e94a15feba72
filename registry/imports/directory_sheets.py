"""The flat institution and organization sheets: one record a row, read, checked and
imported whole, as the agreement sheet is.

Curators keep the registry's directory of institutions and organizations in
spreadsheets as well as in the admin: a list of partners to add, names in Japanese to
fill in, an export edited and uploaded back. A file is first *planned*: each row is
read (country, type, sector, state or prefecture and parent by their codes, names or
labels), matched to the record it describes, checked with the model's own
``full_clean``, and classed new, update, unchanged or error, each error naming its
column. Only a plan without errors is *applied*, in one transaction, recorded as an
``ImportBatch`` that every history entry it writes points to; the agreements of the
records it changed are reindexed, since their names and aliases find agreements.

A row is matched, in this order:

1. by its slug (blank for a new record; an unknown slug is an error, never a new
   record, so a typo cannot add a duplicate);
2. by an identifier: ROR ID, IPEDS UNITID or MEXT school code for an institution, ROR
   ID for an organization. Identifiers of two different records are an error: the
   row is not merged into either;
3. by its website's host (as ``institution_lists`` compares websites), when a record
   has it (an institution: of the row's country) and also has one of the row's names
   among its names and aliases; a website whose record has other names is reported
   as a likely duplicate;
4. by name, compared in the resolver's normalized form against names, Japanese names
   and aliases (an institution's in its country; an organization's in any): the same
   record when the row changes nothing, else reported as a likely duplicate. A
   name several records carry is reported too.

Two rows of one file describing one record (the same record, identifier, or new name
and country) are an error. A parent is a record of the registry or a new row of the
same file, written first; a parent that would make a loop is an error.

Columns absent from the file are left alone; a blank cell in a column the file has
clears that field. Identifiers and aliases are only ever added (an organization's one
ROR ID is replaced by another, kept when the cell is blank): a merged institution
keeps its predecessors' codes and names, and aliases are curators' work, so removing
either is done in the admin. An exported file therefore imports back unchanged, and a
file imported twice changes nothing the second time.
"""

import copy
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process
from simple_history.utils import bulk_create_with_history

from ..exports import escape_formula, unescape_formula
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
    Organization,
    OrganizationAlias,
    Region,
    ResearchClassification,
    Sector,
    recording_import,
)
from ..models.institutions import IDENTIFIER_COUNTRY, IDENTIFIER_PATTERNS
from ..resolver import normalize_name
from ..search import agreements_of, fold, refresh_agreement_index
from ..slugs import free_slug
from .agreement_sheet import (
    LIST_SEPARATOR,
    Column,
    SheetPlan,
    Vocabulary,
)
from .files import (
    NOT_DATA_SHEETS,
    FileRejected,
    Table,
    in_every_language,
    match_headers,
    read_table,
)
from .institution_lists import (
    ALIAS_MAX,
    JAPANESE,
    alias_key,
    website_host,
    website_url,
)
from .recording import ImportOutcome, commit_plan

BULK_BATCH = 500
# simple_history's change reason column.
REASON_MAX = 100
COORDINATE = Decimal("0.000001")
PLAIN_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")

ALIASES_HELP = gettext_lazy(
    "Other names, separated by ;. Names the record lacks are added; an import never "
    "removes one (remove it in the admin)."
)
IDENTIFIER_HELP = gettext_lazy(
    "Several separated by ;. Added when the institution lacks them; an import never "
    "removes one (a merged institution keeps its predecessors' codes)."
)
SLUG_HELP = gettext_lazy(
    "Blank for a new record (the registry makes one from the name); an existing slug "
    "updates that record."
)
COUNTRY_HELP = gettext_lazy(
    "US or JP; United States, Japan, 米国 and 日本 are read too."
)

INSTITUTION_COLUMNS = [
    Column(
        "slug",
        gettext_lazy("Slug"),
        ("id", "institution id", "registry id", "registry slug"),
        SLUG_HELP,
        "tohoku-university",
    ),
    Column(
        "name",
        gettext_lazy("Name"),
        (
            "name (english)",
            "english name",
            "name en",
            "institution",
            "institution name",
            "university",
            "university name",
        ),
        gettext_lazy("The English name; required."),
        "Tohoku University",
    ),
    Column(
        "name_ja",
        gettext_lazy("Name (Japanese)"),
        ("japanese name", "name japanese", "大学名", "機関名", "学校名", "名称"),
        example="東北大学",
    ),
    Column(
        "country",
        gettext_lazy("Country"),
        ("country code", "国", "国名"),
        COUNTRY_HELP,
        "JP",
    ),
    Column(
        "institution_type",
        gettext_lazy("Type"),
        ("institution type", "control", "設置者", "設置区分", "種別"),
        gettext_lazy(
            "us_public, us_private_nonprofit, us_private_for_profit, jp_national, "
            "jp_public, jp_private or jp_inter_university; with the country, public, "
            "private, national, 国立, 公立 or 私立 are read too."
        ),
        "jp_national",
    ),
    Column(
        "parent",
        gettext_lazy("Parent system"),
        ("parent", "system", "parent institution", "parent slug"),
        gettext_lazy(
            "The system a campus belongs to: its slug or name, in the registry or a "
            "row of this file."
        ),
    ),
    Column(
        "region",
        gettext_lazy("State or prefecture"),
        ("state", "prefecture", "region", "state code", "都道府県", "州"),
        gettext_lazy(
            "A state's USPS code (CA) or name; a prefecture's name or JIS code "
            "(Miyagi, 宮城県, 04)."
        ),
        "Miyagi",
    ),
    Column("city", gettext_lazy("City"), ("town", "市区町村"), example="Sendai"),
    Column(
        "website",
        gettext_lazy("Website"),
        ("url", "web site", "homepage", "home page", "ウェブサイト", "ホームページ"),
        example="https://www.tohoku.ac.jp/",
    ),
    Column("latitude", gettext_lazy("Latitude"), ("lat", "緯度"), example="38.2541"),
    Column(
        "longitude",
        gettext_lazy("Longitude"),
        ("lon", "lng", "long", "経度"),
        example="140.8739",
    ),
    Column(
        "ror_id",
        gettext_lazy("ROR ID"),
        ("ror", "ror identifier"),
        IDENTIFIER_HELP,
        "01dq60k83",
    ),
    Column(
        "ipeds_id",
        gettext_lazy("IPEDS UNITID"),
        ("ipeds", "unitid", "ipeds id", "unit id"),
        IDENTIFIER_HELP,
        "166027",
    ),
    Column(
        "mext_code",
        gettext_lazy("MEXT school code"),
        ("mext", "mext id", "school code", "学校コード"),
        IDENTIFIER_HELP,
        "F104110100856",
    ),
    Column(
        "research_classification",
        gettext_lazy("Research classification"),
        ("carnegie", "carnegie classification", "classification"),
        gettext_lazy(
            "U.S. only: r1, r2, d_pu, masters, baccalaureate, associate, "
            "special_focus or tribal."
        ),
    ),
    Column(
        "enrollment_band",
        gettext_lazy("Enrollment"),
        ("enrollment band", "size", "students"),
        gettext_lazy("under_1000, 1000_4999, 5000_9999, 10000_19999 or 20000_plus."),
    ),
    Column(
        "aliases",
        gettext_lazy("Aliases"),
        ("alias", "other names", "also known as", "aka", "acronyms", "別名", "略称"),
        ALIASES_HELP,
        "Tohokudai; 東北大",
    ),
]

ORGANIZATION_COLUMNS = [
    Column(
        "slug",
        gettext_lazy("Slug"),
        ("id", "organization id", "registry id", "registry slug"),
        SLUG_HELP,
        "japan-society-for-the-promotion-of-science",
    ),
    Column(
        "name",
        gettext_lazy("Name"),
        (
            "name (english)",
            "english name",
            "name en",
            "organization",
            "organisation",
            "organization name",
        ),
        gettext_lazy("The English name; required."),
        "Japan Society for the Promotion of Science",
    ),
    Column(
        "name_ja",
        gettext_lazy("Name (Japanese)"),
        ("japanese name", "name japanese", "機関名", "名称"),
        example="日本学術振興会",
    ),
    Column(
        "sector",
        gettext_lazy("Sector"),
        ("type", "organization type", "kind", "セクター"),
        gettext_lazy(
            "government, national_lab, industry, ngo or intergovernmental; required."
        ),
        "government",
    ),
    Column(
        "country",
        gettext_lazy("Country"),
        ("country code", "国", "国名"),
        gettext_lazy(
            "US or JP (United States, Japan, 米国 and 日本 are read too); blank for an "
            "international or third-country body."
        ),
        "JP",
    ),
    Column(
        "parent",
        gettext_lazy("Parent organization"),
        ("parent", "parent slug"),
        gettext_lazy(
            "Its slug or name, in the registry or a row of this file: "
            "Department of Energy for Brookhaven National Laboratory."
        ),
    ),
    Column(
        "ror_id",
        gettext_lazy("ROR ID"),
        ("ror", "ror identifier"),
        gettext_lazy(
            "Nine characters such as 021nxhr62. A blank cell keeps the "
            "organization's ROR ID: an import never removes one."
        ),
        "021nxhr62",
    ),
    Column(
        "website",
        gettext_lazy("Website"),
        ("url", "web site", "homepage", "home page", "ウェブサイト", "ホームページ"),
        example="https://www.jsps.go.jp/",
    ),
    Column(
        "aliases",
        gettext_lazy("Aliases"),
        ("alias", "other names", "also known as", "aka", "acronyms", "別名", "略称"),
        ALIASES_HELP,
        "JSPS; 学振",
    ),
]

COUNTRY_WORDS = {
    Country.US: (
        "USA",
        "U.S.",
        "U.S.A.",
        "America",
        "United States",
        "United States of America",
        "米国",
        "アメリカ",
        "アメリカ合衆国",
        "合衆国",
    ),
    Country.JP: ("JPN", "Japan", "日本", "日本国"),
}
JAPANESE_TYPES = {
    "国立": InstitutionType.JP_NATIONAL,
    "公立": InstitutionType.JP_PUBLIC,
    "私立": InstitutionType.JP_PRIVATE,
    "大学共同利用機関": InstitutionType.JP_INTER_UNIVERSITY,
}
PREFECTURE_SUFFIX = re.compile(
    r"(?<=.)(?:都|道|府|県)$|[\s-]+(?:prefecture|ken|fu|to)$", re.IGNORECASE
)


# -- what a plan holds ---------------------------------------------------------------


@dataclass(eq=False)
class DirectoryRow:
    """One row of the file: what it proposes, the record it is, and what it does."""

    number: int
    values: dict  # column -> cell text, as read
    columns: dict = field(repr=False)  # column name -> Column, for labels
    action: str = ""  # new, update, unchanged, error
    record: object = None  # the existing institution or organization it is
    matched_by: str = ""  # slug, identifier, website or name
    matched_column: str = ""
    # Model field -> value, for the fields whose columns the file has.
    proposed: dict = field(default_factory=dict)
    identifiers: list = field(default_factory=list)  # (scheme, value, column)
    aliases: list = field(default_factory=list)
    parent_row: "DirectoryRow | None" = None  # a new parent from the same file
    slug: str = ""  # the slug a new row will have
    new_identifiers: list = field(default_factory=list)  # (scheme, value)
    new_aliases: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    written: object = None  # the record once applied

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    def cell(self, column: str) -> str:
        """The cell's text, stripped, without the quote exports put before a cell a
        spreadsheet would evaluate."""
        return unescape_formula(self.values.get(column, "") or "").strip()

    def has(self, column: str) -> bool:
        return column in self.values

    @property
    def public_id(self) -> str:
        """The slug: the record's, or the one a new row will get."""
        return self.record.slug if self.record is not None else self.slug

    @property
    def title(self) -> str:
        return self.cell("name") or (self.record.name if self.record else "")

    @property
    def error_items(self) -> list[tuple[str, list[str]]]:
        """(column label, messages), in sheet order."""
        return [
            (str(column.label), self.errors[name])
            for name, column in self.columns.items()
            if name in self.errors
        ]


@dataclass
class DirectoryPlan(SheetPlan):
    sheet: "_Sheet | None" = None  # the InstitutionSheet or OrganizationSheet read

    @property
    def unresolved(self) -> list:
        # Only agreement sheets name institutions they may not know.
        return []


# -- the registry in memory ----------------------------------------------------------


class Directory:
    """Every record of one kind with its slugs, identifiers, website hosts and names,
    loaded in a handful of queries so that matching a row costs none."""

    def __init__(self, sheet, records, *, identifiers, aliases, old_slugs):
        self.sheet = sheet
        self.records = {record.pk: record for record in records}
        self.by_slug = {record.slug: record for record in self.records.values()}
        self.old_slugs = old_slugs  # old slug -> record it now is
        self.slugs = set(self.by_slug) | set(old_slugs)
        self.by_identifier = {}
        self.identifiers_of = defaultdict(set)
        for pk, scheme, value in identifiers:
            self.by_identifier[(scheme, value)] = self.records[pk]
            self.identifiers_of[pk].add((scheme, value))
        self.aliases_of = defaultdict(list)
        for pk, name in aliases:
            self.aliases_of[pk].append(name)
        self.by_host = defaultdict(set)
        self.by_name = defaultdict(set)
        self.names_of = {}
        for pk, record in self.records.items():
            area = sheet.match_area(record.country)
            if host := website_host(record.website):
                self.by_host[(area, host)].add(pk)
            names = {
                normalize_name(text)
                for text in (record.name, record.name_ja, *self.aliases_of[pk])
            } - {""}
            self.names_of[pk] = names
            for name in names:
                self.by_name[(area, name)].add(pk)
        self.vocabulary = Vocabulary(
            str(sheet.parent_noun),
            self.records.values(),
            lambda record: self.aliases_of[record.pk],
        )

    def alias_keys(self, pk) -> set[str]:
        return {alias_key(name) for name in self.aliases_of[pk]}

    def unique_slug(self, name: str, qualifiers) -> str:
        """A slug no record or old address has, kept from the next one."""
        slug = free_slug(
            name,
            taken=self.slugs,
            qualifiers=qualifiers,
            fallback=self.sheet.slug_fallback,
        )
        self.slugs.add(slug)
        return slug


# -- reading cells -------------------------------------------------------------------


def _key(text: str) -> str:
    """Choices and codes compared folded, punctuation and spacing aside."""
    return "_".join(re.findall(r"\w+", fold(text)))


def _items(text: str) -> list[str]:
    return [item for item in LIST_SEPARATOR.split(text) if item]


def _label(record) -> str:
    return f"{record.name} ({record.slug})"


def _quoted(names) -> str:
    return ", ".join(f"“{name}”" for name in names)


def _suggestions(text: str, labels: dict) -> str:
    """“Did you mean …?” with the closest of ``labels`` (value -> label), or ""."""
    close = process.extract(text, labels, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
    if not close:
        return ""
    return " " + _("Did you mean %(names)s?") % {
        "names": _quoted(labels[match[2]] for match in close)
    }


class _Sheet:
    """A flat sheet of one kind of record: its columns and how its rows are read,
    matched, checked and written. Subclasses say what differs."""

    kind = ""
    model = None
    alias_model = None
    alias_owner = ""  # the alias's foreign key to the record
    columns: list[Column] = []
    # The model fields the sheet reads and writes, each from its column of that name.
    fields: tuple[str, ...] = ()
    identifier_columns: dict[str, str] = {}  # column -> identifier scheme
    # The columns that say which record a row is: a file needs one.
    key_columns: tuple[str, ...] = ()
    noun = gettext_lazy("record")
    parent_noun = gettext_lazy("parent")
    slug_fallback = "record"
    reindex_by = ""  # the argument of search.agreements_of

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.column_by_name = {column.name: column for column in cls.columns}

    def __init__(self):
        self.directory: Directory | None = None  # loaded when a file is planned
        self.rows: list[DirectoryRow] = []
        self._row_of: dict[int, DirectoryRow] = {}  # record pk -> the row that is it

    # -- hooks -----------------------------------------------------------------------

    def load(self) -> Directory:
        raise NotImplementedError

    def match_area(self, country: str) -> str | None:
        """What a name or website is unique within; None: the row cannot be matched
        by either."""
        raise NotImplementedError

    def read_own(self, row: DirectoryRow) -> None:
        """The columns of this kind of record that depend on nothing else."""

    def read_in_country(self, row: DirectoryRow, country: str) -> None:
        """The columns read in the light of the row's country."""

    def check_new_parent(self, row: DirectoryRow, country: str) -> None:
        """A parent new in the file, checked as the model checks a saved one."""

    # -- planning --------------------------------------------------------------------

    def plan(self, table: Table) -> DirectoryPlan:
        synonyms = {
            column.name: (*in_every_language(column.label), *column.synonyms)
            for column in self.columns
        }
        headers = match_headers(table.headers, synonyms)
        plan = DirectoryPlan(
            table=table,
            columns=headers.columns,
            unknown_columns=headers.unknown,
            rows=[],
            sheet=self,
        )
        for column, written in headers.duplicates.items():
            plan.file_errors.append(
                _("The columns %(headers)s all mean “%(column)s”: keep one.")
                % {
                    "headers": _quoted(written),
                    "column": self.column_by_name[column].label,
                }
            )
        present = set(headers.columns.values())
        if not present & set(self.key_columns):
            plan.file_errors.append(
                _(
                    "No column says which %(noun)s a row is: %(columns)s (the headers "
                    "are %(headers)s). Name the columns as an export of the registry "
                    "does."
                )
                % {
                    "noun": self.noun,
                    "columns": _quoted(
                        self.column_by_name[name].label for name in self.key_columns
                    ),
                    "headers": _quoted(table.headers) or "—",
                }
            )
        if not table.rows:
            plan.file_errors.append(_("The file has a header row but no records."))
        if plan.file_errors:
            return plan

        self.directory = self.load()
        for table_row in table.rows:
            values = {
                column: table_row.values.get(header, "")
                for header, column in headers.columns.items()
            }
            row = DirectoryRow(
                number=table_row.number, values=values, columns=self.column_by_name
            )
            self._read(row)
            plan.rows.append(row)
        self.rows = plan.rows
        for row in self.rows:
            self._match(row)
        for row in self.rows:
            country = self._country(row)
            self.read_in_country(row, country)
            if row.record is None:
                row.slug = self.directory.unique_slug(
                    row.proposed.get("name", ""), self.slug_qualifiers(row)
                )
        self._read_parents()
        self._find_repeats()
        self._find_loops()
        for row in self.rows:
            self._add_identifiers_and_aliases(row)
            if not row.errors:
                self._validate(row)
        for row in self.rows:
            if row.errors:
                row.action = "error"
            elif row.record is None:
                row.action = "new"
            elif self._renames_by_identifier(row):
                row.action = "error"
            else:
                row.changes = self._changes(row)
                if row.changes and row.matched_by == "name":
                    self._report_likely_duplicate(row)
                    row.action = "error"
                else:
                    row.action = "update" if row.changes else "unchanged"
        return plan

    def _renames_by_identifier(self, row: DirectoryRow) -> bool:
        """A row found by an identifier alone but under a name the record does not
        carry is more likely a mistyped identifier than a rename: it is reported.
        A rename names the record by its slug."""
        if row.matched_by != "identifier" or not row.proposed.get("name"):
            return False
        record = row.record
        known = {alias_key(record.name), alias_key(getattr(record, "name_ja", ""))}
        known |= self.directory.alias_keys(record.pk)
        if alias_key(row.proposed["name"]) in known:
            return False
        row.error(
            row.matched_column,
            _(
                "This identifier belongs to %(record)s, not “%(name)s”. Correct the "
                "identifier; or, to rename %(record)s, put its slug in the Slug "
                "column."
            )
            % {"record": _label(record), "name": row.proposed["name"]},
        )
        return True

    def _read(self, row: DirectoryRow) -> None:
        for name in ("name", "name_ja"):
            if row.has(name):
                row.proposed[name] = row.cell(name)
        if row.has("country"):
            text = row.cell("country")
            country = _country_code(text)
            if country is None:
                row.error(
                    "country",
                    _("“%(text)s” is not a country the registry records: US or JP.")
                    % {"text": text},
                )
            else:
                row.proposed["country"] = country
        if row.has("website"):
            text = row.cell("website")
            url = website_url(text)
            if text and not url:
                row.error(
                    "website",
                    _("“%(text)s” is not a web address such as https://example.org/.")
                    % {"text": text},
                )
            else:
                row.proposed["website"] = url
        for text in _items(row.cell("aliases")):
            if len(text) > ALIAS_MAX:
                row.error(
                    "aliases",
                    _("Keep each alias under %(max)s characters.") % {"max": ALIAS_MAX},
                )
            else:
                row.aliases.append(text)
        self.read_own(row)

    def _read_identifier(self, row, column, scheme, text) -> str | None:
        value = text.strip()
        if scheme == IdentifierScheme.ROR:
            value = re.sub(r"^(?:https?://)?(?:www\.)?ror\.org/", "", value.lower())
        elif scheme == IdentifierScheme.MEXT:
            value = value.upper()
        pattern, example = IDENTIFIER_PATTERNS[scheme]
        if not pattern.match(value):
            row.error(
                column,
                _("“%(text)s” is not a %(scheme)s: expected %(example)s.")
                % {
                    "text": text,
                    "scheme": IdentifierScheme(scheme).label,
                    "example": example,
                },
            )
            return None
        return value

    def _country(self, row: DirectoryRow) -> str:
        """The country the record will have after the row."""
        if "country" in row.proposed:
            return row.proposed["country"]
        if row.has("country"):  # unreadable: reported already
            return ""
        return row.record.country if row.record is not None else ""

    def slug_qualifiers(self, row: DirectoryRow) -> list[str]:
        return [row.proposed.get("city", "")]

    # -- matching --------------------------------------------------------------------

    def _match(self, row: DirectoryRow) -> None:
        directory = self.directory
        slug = row.cell("slug")
        if slug:
            record = directory.by_slug.get(slug)
            if record is None:
                moved = directory.old_slugs.get(slug)
                if moved is not None:
                    row.error(
                        "slug",
                        _(
                            "“%(slug)s” was merged into %(name)s: write its slug, "
                            "%(new)s, to update it."
                        )
                        % {"slug": slug, "name": moved.name, "new": moved.slug},
                    )
                else:
                    row.error(
                        "slug",
                        _(
                            "No %(noun)s has the slug “%(slug)s”: leave it blank to "
                            "add a new one."
                        )
                        % {"noun": self.noun, "slug": slug},
                    )
                return
            row.record, row.matched_by, row.matched_column = record, "slug", "slug"
        owners = defaultdict(list)
        for scheme, value, column in row.identifiers:
            owner = directory.by_identifier.get((scheme, value))
            if owner is not None:
                owners[owner.pk].append((scheme, value, column))
        if row.record is not None:
            for pk, keys in owners.items():
                if pk != row.record.pk:
                    for scheme, value, column in keys:
                        row.error(
                            column,
                            _(
                                "%(scheme)s %(value)s belongs to %(other)s, not to "
                                "%(record)s."
                            )
                            % {
                                "scheme": IdentifierScheme(scheme).label,
                                "value": value,
                                "other": _label(directory.records[pk]),
                                "record": _label(row.record),
                            },
                        )
            return
        if len(owners) > 1:
            found = "; ".join(
                f"{IdentifierScheme(scheme).label} {value}: "
                f"{_label(directory.records[pk])}"
                for pk, keys in owners.items()
                for scheme, value, _column in keys
            )
            row.error(
                row.identifiers[0][2],
                _(
                    "This row's identifiers belong to different records (%(found)s): "
                    "correct them, or put the slug of the one meant in the Slug column."
                )
                % {"found": found},
            )
            return
        if owners:
            [(pk, keys)] = owners.items()
            row.record, row.matched_by = directory.records[pk], "identifier"
            row.matched_column = keys[0][2]
            return
        self._match_likely(row)

    def _match_likely(self, row: DirectoryRow) -> None:
        """By website (with a name in common) or by name alone."""
        directory = self.directory
        area = self.match_area(row.proposed.get("country", ""))
        if area is None:
            return
        names = {
            normalize_name(row.proposed.get(name, "")) for name in ("name", "name_ja")
        } - {""}
        host = website_host(row.proposed.get("website", ""))
        found = directory.by_host.get((area, host), set()) if host else set()
        if found:
            named = {pk for pk in found if names & directory.names_of[pk]}
            if not names and len(found) == 1:
                named = set(found)
            if len(named) == 1:
                row.record = directory.records[named.pop()]
                row.matched_by = row.matched_column = "website"
                return
            records = [_label(directory.records[pk]) for pk in sorted(found)]
            row.error(
                "website",
                _(
                    "This website is that of %(records)s, under another name. To "
                    "update it, put its slug in the Slug column; if this is another "
                    "%(noun)s, give it its own website or leave the website blank."
                )
                % {"records": "; ".join(records), "noun": self.noun},
            )
            return
        found = set()
        for name in names:
            found |= directory.by_name.get((area, name), set())
        if len(found) == 1:
            row.record = directory.records[found.pop()]
            row.matched_by = row.matched_column = "name"
        elif found:
            records = [_label(directory.records[pk]) for pk in sorted(found)]
            row.error(
                "name",
                _(
                    "This name is that of several records: %(records)s. Put the slug "
                    "of the one meant in the Slug column."
                )
                % {"records": "; ".join(records)},
            )

    def _report_likely_duplicate(self, row: DirectoryRow) -> None:
        record = row.record
        row.error(
            "name",
            _(
                "%(record)s already has this name, with different %(changes)s. To "
                "update it, put %(slug)s in the Slug column; if this is another "
                "%(noun)s of the same name, add it in the admin."
            )
            % {
                "record": _label(record),
                "changes": ", ".join(row.changes),
                "slug": record.slug,
                "noun": self.noun,
            },
        )
        row.changes = []

    # -- parents ---------------------------------------------------------------------

    def _read_parents(self) -> None:
        """A parent is a record of the registry (by slug, name or alias) or a new row
        of the same file (by the slug it will get, or its name)."""
        directory = self.directory
        new_rows = {}
        for row in self.rows:
            if row.record is None and not row.errors:
                new_rows.setdefault(row.slug, row)
                for name in ("name", "name_ja"):
                    key = normalize_name(row.proposed.get(name, ""))
                    if key:
                        new_rows.setdefault(key, row)
        for row in self.rows:
            if not row.has("parent"):
                continue
            text = row.cell("parent")
            if not text:
                row.proposed["parent"] = None
                continue
            record = directory.by_slug.get(text)
            if record is not None:
                row.proposed["parent"] = record
                continue
            parent_row = new_rows.get(text) or new_rows.get(normalize_name(text))
            known = directory.vocabulary.by_key.get(normalize_name(text))
            if parent_row is not None and not known:
                row.proposed["parent"] = None
                row.parent_row = parent_row
                continue
            pk, message = directory.vocabulary.find(text)
            if pk is None:
                row.error("parent", message)
            else:
                row.proposed["parent"] = directory.records[pk]

    def _parent_node(self, node):
        """The parent of a row or record as the file would leave it: ("row", row),
        ("record", pk) or None."""
        kind, item = node
        if kind == "record":
            row = self._row_of.get(item)
            if row is not None:
                return self._parent_node(("row", row))
            parent_id = self.directory.records[item].parent_id
            return ("record", parent_id) if parent_id else None
        row = item
        if row.parent_row is not None:
            return ("row", row.parent_row)
        if "parent" in row.proposed:
            parent = row.proposed["parent"]
            return ("record", parent.pk) if parent is not None else None
        if row.record is not None and row.record.parent_id:
            return ("record", row.record.parent_id)
        return None

    def _find_loops(self) -> None:
        """A parent that is, through the file or the registry, one of the row's own
        descendants."""
        self._row_of = {row.record.pk: row for row in self.rows if row.record}
        limit = len(self.rows) + len(self.directory.records) + 1
        for row in self.rows:
            if not (row.has("parent") and row.cell("parent")) or row.errors:
                continue
            me = ("record", row.record.pk) if row.record else ("row", row)
            node = self._parent_node(("row", row))
            for _step in range(limit):
                if node is None:
                    break
                if node == me or node == ("row", row):
                    row.error(
                        "parent",
                        _(
                            "“%(parent)s” is this %(noun)s itself or one of its own "
                            "campuses or units: that would make a loop."
                        )
                        % {"parent": row.cell("parent"), "noun": self.noun},
                    )
                    break
                node = self._parent_node(node)

    # -- rows describing one record ----------------------------------------------------

    def _find_repeats(self) -> None:
        """Two rows of one file describing the same record: the later is an error.
        Two new rows of one name are one record unless an identifier of the same
        scheme tells them apart (Lincoln University, Missouri and Pennsylvania)."""
        first = {}
        reasons = {
            "slug": _("the same slug"),
            "identifier": _("the same identifier"),
            "website": _("the same website"),
            "name": _("the same name"),
        }
        for row in self.rows:
            keys = []
            if row.record is not None:
                keys.append(
                    (
                        ("record", row.record.pk),
                        row.matched_column,
                        reasons[row.matched_by],
                    )
                )
            for scheme, value, column in row.identifiers:
                keys.append(
                    (
                        ("identifier", scheme, value),
                        column,
                        _("the same %(scheme)s")
                        % {"scheme": IdentifierScheme(scheme).label},
                    )
                )
            if row.record is None:
                area = self.match_area(row.proposed.get("country", ""))
                for name in ("name", "name_ja"):
                    key = normalize_name(row.proposed.get(name, ""))
                    if key and area is not None:
                        keys.append((("name", area, key), name, reasons["name"]))
            for key, column, reason in keys:
                earlier = first.get(key)
                if earlier is not None and not (
                    key[0] == "name" and _told_apart(earlier, row)
                ):
                    row.error(
                        column,
                        _(
                            "Row %(row)s already describes this %(noun)s (%(reason)s): "
                            "keep one of the two rows."
                        )
                        % {"row": earlier.number, "noun": self.noun, "reason": reason},
                    )
                    break
                first.setdefault(key, row)

    # -- checking ----------------------------------------------------------------------

    def _add_identifiers_and_aliases(self, row: DirectoryRow) -> None:
        """What the row adds: identifiers and aliases the record lacks."""
        record = row.record
        held = self.directory.identifiers_of[record.pk] if record else set()
        if self.identifier_columns:
            row.new_identifiers = [
                (scheme, value)
                for scheme, value, _column in row.identifiers
                if (scheme, value) not in held
            ]
        known = self.directory.alias_keys(record.pk) if record else set()
        for name in ("name", "name_ja"):
            text = (
                row.proposed[name]
                if name in row.proposed
                else getattr(record, name, "")
            )
            known.add(alias_key(text or ""))
        for text in row.aliases:
            key = alias_key(text)
            if key and key not in known:
                row.new_aliases.append(text)
                known.add(key)

    def _validate(self, row: DirectoryRow) -> None:
        """The record as the row would leave it, through the model's full_clean; the
        errors each on their column."""
        country = self._country(row)
        candidate = copy.copy(row.record) if row.record else self.model(slug=row.slug)
        for name, value in row.proposed.items():
            setattr(candidate, name, value)
        exclude = [
            model_field.name
            for model_field in self.model._meta.fields
            if model_field.name not in self.fields
        ]
        try:
            # The region and parent are the registry's own records, already found
            # (a query each to check they exist); slugs are unique by construction.
            candidate.full_clean(
                exclude=[*exclude, "region", "parent"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                column = name if name in self.fields else "name"
                for item in errors:
                    if item.code == "blank":
                        row.error(
                            column,
                            _("Required for every %(noun)s.") % {"noun": self.noun},
                        )
                    else:
                        row.error(column, " ".join(item.messages))
        if row.parent_row is not None:
            self.check_new_parent(row, country)
        for scheme, _value, column in row.identifiers:
            wanted = IDENTIFIER_COUNTRY.get(scheme)
            if wanted and country and country != wanted:
                row.error(
                    column,
                    _("A %(scheme)s identifies institutions in %(country)s only.")
                    % {
                        "scheme": IdentifierScheme(scheme).label,
                        "country": Country(wanted).label,
                    },
                )

    def _changes(self, row: DirectoryRow) -> list[str]:
        """The labels of the columns whose values differ from the record's, in sheet
        order."""
        record = row.record
        changed = set()
        for name, value in row.proposed.items():
            current = getattr(record, name)
            if name == "website" and value and current.rstrip("/") == value.rstrip("/"):
                # A trailing slash is not a change: keep the address as written.
                row.proposed[name] = current
                continue
            if name in ("parent", "region"):
                current = getattr(record, f"{name}_id")
                value = value.pk if value is not None else None
            if current != value:
                changed.add(name)
        if row.parent_row is not None:
            changed.add("parent")
        new_identifiers = set(row.new_identifiers)
        changed |= {
            column
            for scheme, value, column in row.identifiers
            if (scheme, value) in new_identifiers
        }
        if row.new_aliases:
            changed.add("aliases")
        return [str(column.label) for column in self.columns if column.name in changed]

    # -- exporting -------------------------------------------------------------------

    def export_queryset(self, queryset):
        """``queryset`` with what ``export_row`` reads, fetched in a few queries."""
        raise NotImplementedError

    def export_row(self, record) -> dict[str, str]:
        raise NotImplementedError

    def export(self, queryset=None) -> Iterator[list[str]]:
        """The header, then a row for each record of ``queryset``, cells a
        spreadsheet would evaluate escaped."""
        queryset = self.model.objects.all() if queryset is None else queryset
        names = [column.name for column in self.columns]
        yield names
        for record in self.export_queryset(queryset).iterator(chunk_size=1000):
            row = self.export_row(record)
            yield [_export_cell(row.get(name, "")) for name in names]

    # -- applying --------------------------------------------------------------------

    def write_identifiers(self, rows) -> None:
        """Identifiers kept apart from the record (institutions)."""

    def build(self, row: DirectoryRow):
        fields = dict(row.proposed)
        if row.parent_row is not None:
            fields["parent"] = row.parent_row.written
        return self.model(slug=row.slug, **fields)


def _told_apart(first: DirectoryRow, second: DirectoryRow) -> bool:
    """Both rows have identifiers of one scheme, and none in common."""
    mine = defaultdict(set)
    for scheme, value, _column in first.identifiers:
        mine[scheme].add(value)
    theirs = defaultdict(set)
    for scheme, value, _column in second.identifiers:
        theirs[scheme].add(value)
    return any(
        mine[scheme] and not mine[scheme] & values for scheme, values in theirs.items()
    )


def _country_code(text: str) -> str | None:
    """US, JP, "" for a blank cell; None when the text names neither."""
    if not text:
        return ""
    key = _key(text)
    for code, label in Country.choices:
        words = (code, str(label), *COUNTRY_WORDS[code])
        if key in {_key(word) for word in words}:
            return code
    return None


def _choice(row, column, text, choices, *, noun, extra=None, likely=None):
    """A choice by its value, its label or an ``extra`` spelling, any case; else an
    error on the column with the closest choices (of ``likely`` ones, when given)."""
    key = _key(text)
    spellings = {_key(spelling): value for spelling, value in (extra or {}).items()}
    for value, label in choices:
        spellings.setdefault(_key(value), value)
        spellings.setdefault(_key(str(label)), value)
    if key in spellings:
        return spellings[key]
    labels = {
        value: f"{value}: {label}"
        for value, label in choices
        if likely is None or value in likely
    }
    message = _("“%(text)s” is not a %(noun)s the registry knows.") % {
        "text": text,
        "noun": noun,
    }
    row.error(
        column,
        message
        + (
            _suggestions(text, labels)
            or " " + _("Write one of %(values)s.") % {"values": _quoted(labels)}
        ),
    )
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value.quantize(COORDINATE) if value.is_finite() else None


def _export_cell(value) -> str:
    text = "" if value is None else str(value)
    # A negative coordinate is a number, not a formula: left as spreadsheets read it.
    return text if PLAIN_NUMBER.match(text) else escape_formula(text)


def _alias_language(text: str) -> str:
    return Language.JA if JAPANESE.search(text) else Language.EN


# -- institutions --------------------------------------------------------------------


class InstitutionSheet(_Sheet):
    kind = ImportKind.INSTITUTIONS
    model = Institution
    alias_model = InstitutionAlias
    alias_owner = "institution"
    columns = INSTITUTION_COLUMNS
    fields = (
        "name",
        "name_ja",
        "country",
        "institution_type",
        "parent",
        "region",
        "city",
        "website",
        "latitude",
        "longitude",
        "research_classification",
        "enrollment_band",
    )
    identifier_columns = {
        "ror_id": IdentifierScheme.ROR,
        "ipeds_id": IdentifierScheme.IPEDS,
        "mext_code": IdentifierScheme.MEXT,
    }
    key_columns = ("slug", "name", "name_ja", "ror_id", "ipeds_id", "mext_code")
    noun = gettext_lazy("institution")
    parent_noun = gettext_lazy("parent system")
    slug_fallback = "institution"
    reindex_by = "institutions"

    def load(self) -> Directory:
        self.regions = defaultdict(dict)  # country -> key -> Region
        self.region_names = defaultdict(dict)  # country -> pk -> name
        for region in Region.objects.all():
            keys = {region.code, region.name, region.name_ja, region.slug}
            keys |= {PREFECTURE_SUFFIX.sub("", name) for name in keys}
            if region.code.isdigit():
                keys.add(str(int(region.code)))
            for key in keys - {""}:
                self.regions[region.country][_key(key)] = region
            self.region_names[region.country][region.pk] = (
                f"{region.name} ({region.code})"
            )
        return Directory(
            self,
            Institution.objects.select_related("region", "parent"),
            identifiers=InstitutionIdentifier.objects.values_list(
                "institution_id", "scheme", "value"
            ),
            aliases=InstitutionAlias.objects.values_list("institution_id", "name"),
            old_slugs={
                redirect.old_slug: redirect.institution
                for redirect in InstitutionRedirect.objects.select_related(
                    "institution"
                )
            },
        )

    def match_area(self, country: str) -> str | None:
        return country or None

    def read_own(self, row: DirectoryRow) -> None:
        if row.has("city"):
            row.proposed["city"] = row.cell("city")
        for name in ("latitude", "longitude"):
            if not row.has(name):
                continue
            text = row.cell(name)
            value = _decimal(text) if text else None
            if text and value is None:
                row.error(
                    name,
                    _("“%(text)s” is not a number of degrees such as 38.2541.")
                    % {"text": text},
                )
            else:
                row.proposed[name] = value
        if row.has("enrollment_band"):
            text = row.cell("enrollment_band")
            row.proposed["enrollment_band"] = text and _choice(
                row,
                "enrollment_band",
                text,
                EnrollmentBand.choices,
                noun=_("enrollment band"),
            )
        if row.has("research_classification"):
            text = row.cell("research_classification")
            row.proposed["research_classification"] = text and _choice(
                row,
                "research_classification",
                text,
                ResearchClassification.choices,
                noun=_("research classification"),
            )
        for column, scheme in self.identifier_columns.items():
            for text in _items(row.cell(column)):
                value = self._read_identifier(row, column, scheme, text)
                if value:
                    row.identifiers.append((scheme, value, column))

    def read_in_country(self, row: DirectoryRow, country: str) -> None:
        if row.has("institution_type"):
            text = row.cell("institution_type")
            extra = dict(JAPANESE_TYPES)
            likely = None
            if country:
                # "Public" with the country: us_public or jp_public.
                prefix = f"{country.lower()}_"
                likely = [v for v in InstitutionType.values if v.startswith(prefix)]
                for value, label in InstitutionType.choices:
                    if value in likely:
                        extra[value.removeprefix(prefix)] = value
                        # The label without its country: "(U.S.)", or （米国）.
                        extra[re.sub(r"\s*[(（].*[)）]$", "", str(label))] = value
            row.proposed["institution_type"] = text and _choice(
                row,
                "institution_type",
                text,
                InstitutionType.choices,
                noun=_("type of institution"),
                extra=extra,
                likely=likely,
            )
        if row.has("region"):
            text = row.cell("region")
            if not text:
                row.proposed["region"] = None
            elif country:
                region = self.regions[country].get(_key(text)) or self.regions[
                    country
                ].get(_key(PREFECTURE_SUFFIX.sub("", text)))
                if region is None:
                    noun = _("U.S. state") if country == Country.US else _("prefecture")
                    row.error(
                        "region",
                        _("“%(text)s” is not a %(noun)s the registry knows.")
                        % {"text": text, "noun": noun}
                        + (
                            _suggestions(text, self.region_names[country])
                            or " "
                            + _(
                                "Write a state's USPS code (CA) or a prefecture's "
                                "name (Miyagi)."
                            )
                        ),
                    )
                else:
                    row.proposed["region"] = region

    def slug_qualifiers(self, row: DirectoryRow) -> list[str]:
        region = row.proposed.get("region")
        return [region.slug if region else "", row.proposed.get("city", "")]

    def check_new_parent(self, row: DirectoryRow, country: str) -> None:
        parent_country = row.parent_row.proposed.get("country", "")
        if country and parent_country and parent_country != country:
            row.error(
                "parent", _("A campus and its system must be in the same country.")
            )

    def export_queryset(self, queryset):
        return queryset.select_related("region", "parent").prefetch_related(
            "aliases", "identifiers"
        )

    def export_row(self, record) -> dict[str, str]:
        identifiers = defaultdict(list)
        for identifier in record.identifiers.all():
            identifiers[identifier.scheme].append(identifier.value)
        region = record.region
        return {
            "slug": record.slug,
            "name": record.name,
            "name_ja": record.name_ja,
            "country": record.country,
            "institution_type": record.institution_type,
            "parent": record.parent.slug if record.parent else "",
            # What curators write: CA; Miyagi rather than 04.
            "region": (
                (region.code if region.country == Country.US else region.name)
                if region
                else ""
            ),
            "city": record.city,
            "website": record.website,
            "latitude": record.latitude,
            "longitude": record.longitude,
            **{
                column: "; ".join(sorted(identifiers[scheme]))
                for column, scheme in self.identifier_columns.items()
            },
            "research_classification": record.research_classification,
            "enrollment_band": record.enrollment_band,
            "aliases": "; ".join(alias.name for alias in record.aliases.all()),
        }

    def write_identifiers(self, rows) -> None:
        InstitutionIdentifier.objects.bulk_create(
            [
                InstitutionIdentifier(
                    institution=row.written, scheme=scheme, value=value
                )
                for row in rows
                for scheme, value in row.new_identifiers
            ],
            batch_size=BULK_BATCH,
        )


# -- organizations -------------------------------------------------------------------


class OrganizationSheet(_Sheet):
    kind = ImportKind.ORGANIZATIONS
    model = Organization
    alias_model = OrganizationAlias
    alias_owner = "organization"
    columns = ORGANIZATION_COLUMNS
    fields = ("name", "name_ja", "sector", "country", "parent", "ror_id", "website")
    key_columns = ("slug", "name", "name_ja", "ror_id")
    noun = gettext_lazy("organization")
    parent_noun = gettext_lazy("parent organization")
    slug_fallback = "organization"
    reindex_by = "organizations"

    def load(self) -> Directory:
        records = list(Organization.objects.select_related("parent"))
        return Directory(
            self,
            records,
            identifiers=[
                (record.pk, IdentifierScheme.ROR, record.ror_id)
                for record in records
                if record.ror_id
            ],
            aliases=OrganizationAlias.objects.values_list("organization_id", "name"),
            old_slugs={},
        )

    def match_area(self, country: str) -> str | None:
        # An agency's name is its own in any country, and "international" is blank:
        # names and websites are compared across countries.
        return ""

    def read_own(self, row: DirectoryRow) -> None:
        if row.has("sector"):
            text = row.cell("sector")
            row.proposed["sector"] = text and _choice(
                row, "sector", text, Sector.choices, noun=_("sector")
            )
        text = row.cell("ror_id")
        # As an institution's identifiers, a ROR ID is never removed by an import: a
        # blank cell keeps it.
        if text:
            value = self._read_identifier(row, "ror_id", IdentifierScheme.ROR, text)
            if value:
                row.proposed["ror_id"] = value
                row.identifiers.append((IdentifierScheme.ROR, value, "ror_id"))

    def slug_qualifiers(self, row: DirectoryRow) -> list[str]:
        return [row.proposed.get("country", "")]

    def export_queryset(self, queryset):
        return queryset.select_related("parent").prefetch_related("aliases")

    def export_row(self, record) -> dict[str, str]:
        return {
            "slug": record.slug,
            "name": record.name,
            "name_ja": record.name_ja,
            "sector": record.sector,
            "country": record.country,
            "parent": record.parent.slug if record.parent else "",
            "ror_id": record.ror_id,
            "website": record.website,
            "aliases": "; ".join(alias.name for alias in record.aliases.all()),
        }


SHEETS = {sheet.kind: sheet for sheet in (InstitutionSheet, OrganizationSheet)}


def plan_directory_sheet(table: Table, *, kind: str) -> DirectoryPlan:
    """Read, match and check every row of ``table``; write nothing."""
    return SHEETS[kind]().plan(table)


def export_directory_sheet(queryset=None, *, kind: str) -> Iterator[list[str]]:
    """The flat sheet of ``queryset`` (every record when None): the header, then one
    row a record."""
    return SHEETS[kind]().export(queryset)


# -- applying ------------------------------------------------------------------------


def apply_directory_sheet(plan: DirectoryPlan, *, user, batch: ImportBatch) -> None:
    """Write a plan without errors, all or nothing."""
    if plan.has_errors:
        raise ValueError("A plan with errors is never applied.")
    sheet = plan.sheet
    reason = (
        _("Imported from %(file)s (import %(number)s)")
        % {"file": batch.file_name, "number": batch.pk}
    )[:REASON_MAX]
    written = [row for row in plan.rows if row.action in ("new", "update")]
    with transaction.atomic(), recording_import(batch):
        _create(
            sheet,
            [row for row in plan.rows if row.action == "new"],
            history={
                "default_user": user,
                "default_change_reason": reason,
                "custom_historical_attrs": {"import_batch": batch},
                "batch_size": BULK_BATCH,
            },
        )
        updated = []
        for row in plan.rows:
            if row.action != "update":
                continue
            record = row.record
            for name, value in row.proposed.items():
                setattr(record, name, value)
            if row.parent_row is not None:
                record.parent = row.parent_row.written
            record._history_user = user
            record._change_reason = reason
            # Saved even when only aliases or identifiers are added: the history then
            # shows the import touched it.
            record.save()
            row.written = record
            updated.append(record.pk)
        sheet.write_identifiers(written)
        sheet.alias_model.objects.bulk_create(
            [
                sheet.alias_model(
                    **{sheet.alias_owner: row.written},
                    name=text,
                    language=_alias_language(text),
                    kind=AliasKind.ALTERNATIVE,
                )
                for row in written
                for text in row.new_aliases
            ],
            batch_size=BULK_BATCH,
        )
        # Names and aliases are what agreements are found by; new records have none.
        agreements = agreements_of(**{sheet.reindex_by: updated})
        if agreements:
            refresh_agreement_index(agreement_ids=agreements)


def _create(sheet: _Sheet, rows: list[DirectoryRow], *, history: dict) -> None:
    """New records in bulk, a generation at a time: a parent new in the file is
    written before its campuses or units."""
    depth = {}

    def depth_of(row):
        if row not in depth:
            depth[row] = depth_of(row.parent_row) + 1 if row.parent_row else 0
        return depth[row]

    generations = defaultdict(list)
    for row in rows:
        generations[depth_of(row)].append(row)
    for level in sorted(generations):
        level_rows = generations[level]
        records = bulk_create_with_history(
            [sheet.build(row) for row in level_rows], sheet.model, **history
        )
        for row, record in zip(level_rows, records, strict=True):
            row.written = record


# -- one file, start to end ----------------------------------------------------------


def import_directory_file(
    *,
    kind: str,
    data: bytes,
    file_name: str,
    user,
    dry_run: bool,
    channel: str = ImportChannel.ADMIN,
    sheet: str | None = None,
    table: Table | None = None,
) -> ImportOutcome:
    """Plan a file of institutions or organizations and, unless ``dry_run`` or it has
    errors, import it and record the import. Raises FileRejected when the file cannot
    be read at all."""
    if table is None:
        table = read_table(
            data, file_name=file_name, sheet=sheet, skip_sheets=NOT_DATA_SHEETS
        )
    plan = plan_directory_sheet(table, kind=kind)
    return commit_plan(
        plan,
        kind=kind,
        data=data,
        file_name=file_name,
        user=user,
        channel=channel,
        dry_run=dry_run,
        apply=apply_directory_sheet,
    )


__all__ = [
    "INSTITUTION_COLUMNS",
    "ORGANIZATION_COLUMNS",
    "DirectoryPlan",
    "DirectoryRow",
    "FileRejected",
    "InstitutionSheet",
    "OrganizationSheet",
    "apply_directory_sheet",
    "export_directory_sheet",
    "import_directory_file",
    "plan_directory_sheet",
]

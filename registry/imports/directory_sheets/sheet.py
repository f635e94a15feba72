"""A flat sheet of institutions or organizations, as one class its two kinds extend:
how a file's rows are read, matched (``matching``), checked with the model's own
``full_clean`` and classed new, update, unchanged or error; and how records are
exported as rows and built from them."""

import copy
import re
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...exports import escape_formula
from ...models import Country, IdentifierScheme
from ...models.institutions import IDENTIFIER_COUNTRY, IDENTIFIER_PATTERNS
from ..cells import (
    ALIAS_MAX,
    alias_key,
    choice_of,
    did_you_mean,
    items,
    quoted,
    website_url,
)
from ..directory import Directory
from ..files import Table
from ..sheets import Column, Vocabulary, column_values, start_plan
from .matching import RowMatching, record_label
from .rows import DirectoryPlan, DirectoryRow

# Rows written a batch at a time.
BULK_BATCH = 500
PLAIN_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
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


class Sheet(RowMatching):
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
    reindex_by = ""  # the argument of search.agreements_of

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.column_by_name = {column.name: column for column in cls.columns}

    def __init__(self):
        self.directory: Directory | None = None  # loaded when a file is planned
        self.vocabulary: Vocabulary | None = None  # parents, by name: loaded with it
        self.rows: list[DirectoryRow] = []
        self._row_of: dict[int, DirectoryRow] = {}  # record pk -> the row that is it

    # -- hooks -----------------------------------------------------------------------

    def load(self) -> Directory:
        raise NotImplementedError

    def read_own(self, row: DirectoryRow) -> None:
        """The columns of this kind of record that depend on nothing else."""

    def read_in_country(self, row: DirectoryRow, country: str) -> None:
        """The columns read in the light of the row's country."""

    def check_new_parent(self, row: DirectoryRow, country: str) -> None:
        """A parent new in the file, checked as the model checks a saved one."""

    # -- planning --------------------------------------------------------------------

    def plan(self, table: Table) -> DirectoryPlan:
        plan, headers = start_plan(table, self.columns, DirectoryPlan, sheet=self)
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
                    "columns": quoted(
                        self.column_by_name[name].label for name in self.key_columns
                    ),
                    "headers": quoted(table.headers) or "—",
                }
            )
        if not table.rows:
            plan.file_errors.append(_("The file has a header row but no records."))
        if plan.file_errors:
            return plan

        self.directory = directory = self.load()
        self.vocabulary = Vocabulary(
            str(self.parent_noun),
            directory.records.values(),
            lambda record: directory.aliases_of[record.pk],
        )
        for table_row in table.rows:
            row = DirectoryRow(
                number=table_row.number,
                values=column_values(table_row, headers),
                columns=self.column_by_name,
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
            % {"record": record_label(record), "name": row.proposed["name"]},
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
        for text in items(row.cell("aliases")):
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

    def read_choice(self, row: DirectoryRow, column: str, choices, **options) -> None:
        """A column of ``choices`` the file has: blank, or a choice by its value, its
        label or a spelling of ``options`` (see :func:`_choice`)."""
        if row.has(column):
            text = row.cell(column)
            row.proposed[column] = text and _choice(
                row, column, text, choices, **options
            )

    def _country(self, row: DirectoryRow) -> str:
        """The country the record will have after the row."""
        if "country" in row.proposed:
            return row.proposed["country"]
        if row.has("country"):  # unreadable: reported already
            return ""
        return row.record.country if row.record is not None else ""

    def slug_qualifiers(self, row: DirectoryRow) -> list[str]:
        return [row.proposed.get("city", "")]

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


def _country_code(text: str) -> str | None:
    """US, JP, "" for a blank cell; None when the text names neither."""
    if not text:
        return ""
    return choice_of(
        text,
        Country.choices,
        {word: code for code, words in COUNTRY_WORDS.items() for word in words},
    )


def _choice(row, column, text, choices, *, noun, extra=None, likely=None):
    """A choice by its value, its label or an ``extra`` spelling, any case; else an
    error on the column with the closest choices (of ``likely`` ones, when given)."""
    found = choice_of(text, choices, extra)
    if found is not None:
        return found
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
            did_you_mean(text, labels, score_cutoff=60)
            or " " + _("Write one of %(values)s.") % {"values": quoted(labels)}
        ),
    )
    return None


def _export_cell(value) -> str:
    text = "" if value is None else str(value)
    # A negative coordinate is a number, not a formula: left as spreadsheets read it.
    return text if PLAIN_NUMBER.match(text) else escape_formula(text)

"""The flat agreement sheet: one agreement a row, read, checked and imported whole.

A file is first *planned*: every row is read into the agreement it proposes, names are
resolved (institutions through ``registry.resolver``; organizations, programs,
disciplines, activities and sources by their names, Japanese names, slugs and
aliases), the agreement it updates is found (by public ID, else by source and source
ID), and the row is classed new, update, unchanged or error, with each error naming its
column. Only a plan without errors is *applied*, in one transaction: a file with any
error imports nothing, and a file imported twice changes nothing the second time.

Rows are written by the agreement write service (``registry.services``): new
agreements in bulk, changed ones one at a time, each with history entries linked to the
``ImportBatch`` of the file.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from ..dates import DatePrecision, parse_partial_date
from ..exports import unescape_formula
from ..models import (
    ActivityType,
    Agreement,
    AgreementParticipant,
    Classification,
    Country,
    Currency,
    DataSource,
    Discipline,
    ImportBatch,
    ImportChannel,
    ImportKind,
    Institution,
    Organization,
    OrganizationAlias,
    PartnerRole,
    Program,
    PublicationState,
    SourceRecord,
    format_public_id,
    parse_public_id,
    recording_import,
)
from ..resolver import EXACT_SCORE, normalize_name, resolve_institution
from ..rules import (
    ProposedParticipant,
    check_agreement_composition,
    derive_classification,
)
from ..search import (
    fold,
)
from ..services.agreements import (
    NewAgreement,
    Participant,
    Partner,
    Source,
    agreement_save,
    agreements_create,
)
from .files import (
    NOT_DATA_SHEETS,
    FileRejected,
    Table,
    in_every_language,
    match_headers,
    read_table,
)
from .recording import ImportOutcome, commit_plan

BULK_BATCH = 500
PREVIEW_ROWS = 500
PROGRESS_EVERY = 250
LIST_SEPARATOR = re.compile(r"\s*(?:;|\n|\r\n?|；)\s*")
TRAILING_PARENTHESES = re.compile(r"^(?P<name>.+?)\s*[(（](?P<inner>[^()（）]+)[)）]$")
CURRENCY_MARKS = {
    "US$": Currency.USD,
    "USD": Currency.USD,
    "$": Currency.USD,
    "JPY": Currency.JPY,
    "¥": Currency.JPY,
    "￥": Currency.JPY,
    "円": Currency.JPY,
    "YEN": Currency.JPY,
}
AMOUNT_NOISE = re.compile(r"[\s,，_]")


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    help: str = ""
    example: str = ""
    read_only: bool = False


COLUMNS = [
    Column(
        "public_id",
        gettext_lazy("Public ID"),
        ("id", "agreement id", "registry id", "usjp id"),
        gettext_lazy("Blank for a new agreement; USJP-000042 to update that one."),
    ),
    Column(
        "title",
        gettext_lazy("Title"),
        ("title (english)", "english title", "agreement title", "project title"),
        gettext_lazy("Required."),
        "Joint Research on Earthquake Early Warning",
    ),
    Column(
        "title_ja",
        gettext_lazy("Title (Japanese)"),
        ("japanese title", "title japanese", "タイトル", "題目", "名称"),
        example="地震早期警報に関する共同研究",
    ),
    Column(
        "classification",
        gettext_lazy("Classification"),
        ("type", "agreement type", "分類"),
        gettext_lazy(
            "collaborative or consortium; blank: consortium when there are partner "
            "organizations, collaborative otherwise."
        ),
    ),
    Column(
        "us_institutions",
        gettext_lazy("U.S. institutions"),
        (
            "us institution",
            "us institutions",
            "u s institutions",
            "us university",
            "us universities",
            "american institutions",
            "米国機関",
            "米国大学",
        ),
        gettext_lazy(
            "Several separated by ; or new lines, each optionally with a unit: "
            "Harvard University (School of Medicine)."
        ),
        "University of California, Berkeley (Seismological Laboratory)",
    ),
    Column(
        "jp_institutions",
        gettext_lazy("Japanese institutions"),
        (
            "jp institution",
            "jp institutions",
            "japan institutions",
            "japanese institution",
            "japanese universities",
            "japanese university",
            "日本機関",
            "日本の大学",
            "大学",
        ),
        gettext_lazy("As U.S. institutions; English or Japanese names."),
        "東北大学 (災害科学国際研究所)",
    ),
    Column(
        "partners",
        gettext_lazy("Partner organizations"),
        ("partner organizations", "partner", "organizations", "organisations"),
        gettext_lazy(
            "Non-higher-education partners, each optionally with its role: "
            "National Science Foundation (funder). Roles: funder, sponsor, "
            "industry_partner, host_facility, partner."
        ),
        "National Science Foundation (funder)",
    ),
    Column("program", gettext_lazy("Program"), ("programme", "funding program")),
    Column(
        "disciplines",
        gettext_lazy("Disciplines"),
        ("discipline", "fields", "field", "subjects", "分野"),
        gettext_lazy("Names from the Lists sheet, separated by ;."),
        "Earth sciences",
    ),
    Column(
        "activities",
        gettext_lazy("Activities"),
        ("activity", "activity types", "activity type"),
        gettext_lazy("Names from the Lists sheet, separated by ;."),
        "Research grant award",
    ),
    Column(
        "start",
        gettext_lazy("Start"),
        ("start date", "begin", "begins", "from", "開始", "開始日"),
        gettext_lazy("A year (2019), a month (2019-03 or March 2019) or a day."),
        "2019-04",
    ),
    Column(
        "end",
        gettext_lazy("End"),
        ("end date", "ends", "until", "to", "終了", "終了日"),
        gettext_lazy("As the start; blank when open-ended."),
        "2024",
    ),
    Column(
        "funding_amount",
        gettext_lazy("Amount"),
        ("amount", "funding", "award amount", "budget", "金額"),
        gettext_lazy("A number; currency signs and separators are fine: $1,200,000."),
        "1200000",
    ),
    Column(
        "funding_currency",
        gettext_lazy("Currency"),
        ("currency", "通貨"),
        gettext_lazy("USD or JPY; blank when the amount carries $ or ¥."),
        "USD",
    ),
    Column(
        "source",
        gettext_lazy("Source"),
        ("data source", "sources", "出典"),
        gettext_lazy("Where the agreement was found: a name from the Lists sheet."),
        "USAspending.gov",
    ),
    Column(
        "source_id",
        gettext_lazy("Source ID"),
        (
            "source identifier",
            "award id",
            "award number",
            "grant number",
            "project number",
            "課題番号",
        ),
        gettext_lazy(
            "The source's own record ID: re-importing the row updates the same "
            "agreement."
        ),
        "1234567",
    ),
    Column(
        "source_url",
        gettext_lazy("Source URL"),
        ("link", "source link", "record url"),
        example="https://www.usaspending.gov/award/ASST_NON_1234567_4900",
    ),
    Column(
        "retrieved_on",
        gettext_lazy("Retrieved"),
        ("retrieved", "retrieved date", "accessed", "accessed on", "取得日"),
        gettext_lazy("The day the source was read: 2026-11-01."),
        "2026-11-01",
    ),
    Column("summary", gettext_lazy("Summary"), ("description", "abstract", "概要")),
    # Written by exports, derived or kept by the registry: read, never imported.
    Column("status", gettext_lazy("Status"), read_only=True),
    Column("synthetic", gettext_lazy("Synthetic"), read_only=True),
    Column("url", gettext_lazy("Registry URL"), ("registry url",), read_only=True),
    Column("last_updated", gettext_lazy("Last updated"), read_only=True),
]
COLUMN_BY_NAME = {column.name: column for column in COLUMNS}
# Fields an update compares and writes, with the column each comes from.
SCALAR_FIELDS = {
    "title": "title",
    "title_ja": "title_ja",
    "summary": "summary",
    "classification": "classification",
    "program_id": "program",
    "start_date": "start",
    "start_precision": "start",
    "end_date": "end",
    "end_precision": "end",
    "funding_amount": "funding_amount",
    "funding_currency": "funding_currency",
}


# -- what a plan holds --------------------------------------------------------------


@dataclass
class UnresolvedName:
    """An institution name the registry does not know for sure, with the candidates a
    curator can save it as an alias of."""

    column: str
    name: str
    country: str
    candidates: list  # resolver Candidates, best first


@dataclass
class ProposedAgreement:
    title: str = ""
    title_ja: str = ""
    summary: str = ""
    classification: str = ""
    program_id: int | None = None
    start_date: dt.date | None = None
    start_precision: str = DatePrecision.DAY
    end_date: dt.date | None = None
    end_precision: str = DatePrecision.DAY
    funding_amount: Decimal | None = None
    funding_currency: str = ""
    disciplines: frozenset = frozenset()
    activities: frozenset = frozenset()
    participants: tuple = ()  # (institution pk, unit)
    partners: tuple = ()  # (organization pk, role)
    sources: tuple = ()  # (data source pk, identifier, url, retrieved_on)


@dataclass
class RowPlan:
    number: int
    values: dict  # column -> cell text, as read
    action: str = ""  # new, update, unchanged, error
    proposed: ProposedAgreement | None = None
    agreement: Agreement | None = None
    changes: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    unresolved: list[UnresolvedName] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    @property
    def public_id(self) -> str:
        return self.agreement.public_id if self.agreement and self.agreement.pk else ""

    @property
    def error_items(self) -> list[tuple[str, list[str]]]:
        """(column label, messages), in sheet order."""
        return [
            (str(column.label), self.errors[column.name])
            for column in COLUMNS
            if column.name in self.errors
        ]

    @property
    def title(self) -> str:
        return self.values.get("title", "")


@dataclass
class SheetPlan:
    table: Table
    columns: dict[str, str]  # header as written -> column
    unknown_columns: list[str]
    rows: list[RowPlan]
    file_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {
            action: self.count(action)
            for action in ("new", "update", "unchanged", "error")
        }

    @property
    def preview_rows(self) -> list["RowPlan"]:
        """Every row with an error, and the first of the others: a preview of ten
        thousand rows helps no one."""
        shown, others = [], 0
        for row in self.rows:
            if row.errors:
                shown.append(row)
            elif others < PREVIEW_ROWS:
                shown.append(row)
                others += 1
        return shown

    @property
    def rows_not_shown(self) -> int:
        return len(self.rows) - len(self.preview_rows)

    @property
    def unresolved(self) -> list[UnresolvedName]:
        """Each unresolved name once, in the order first met."""
        seen, names = set(), []
        for row in self.rows:
            for name in row.unresolved:
                key = (name.name, name.country)
                if key not in seen:
                    seen.add(key)
                    names.append(name)
        return names


# -- looking names up ----------------------------------------------------------------


class Vocabulary:
    """Records of one kind found by slug, English or Japanese name, or alias, compared
    in the resolver's normalized form."""

    def __init__(self, noun: str, records: Iterable, extra_names: Callable = None):
        self.noun = noun
        self.by_key: dict[str, set[int]] = defaultdict(set)
        self.records = {}
        for record in records:
            self.records[record.pk] = record
            names = [record.slug, record.name, getattr(record, "name_ja", "")]
            if extra_names:
                names.extend(extra_names(record))
            for name in names:
                key = normalize_name(name or "")
                if key:
                    self.by_key[key].add(record.pk)
        self.labels = {pk: record.name for pk, record in self.records.items()}

    def find(self, text: str) -> tuple[int | None, str]:
        """(pk, "") when the name is known and unambiguous, else (None, message)."""
        pks = self.by_key.get(normalize_name(text), set())
        if len(pks) == 1:
            return next(iter(pks)), ""
        if len(pks) > 1:
            names = sorted(self.labels[pk] for pk in pks)
            return None, _(
                "“%(name)s” could be any of %(names)s: write the full name."
            ) % {
                "name": text,
                "names": ", ".join(names),
            }
        close = [
            match[0]
            for match in process.extract(
                text, self.labels, scorer=fuzz.WRatio, limit=3, score_cutoff=70
            )
        ]
        message = _("No %(noun)s is called “%(name)s”.") % {
            "noun": self.noun,
            "name": text,
        }
        if close:
            message += " " + _("Did you mean %(names)s?") % {
                "names": ", ".join(f"“{name}”" for name in close)
            }
        return None, message


@dataclass
class Vocabularies:
    organizations: Vocabulary
    programs: Vocabulary
    disciplines: Vocabulary
    activities: Vocabulary
    sources: Vocabulary

    @classmethod
    def load(cls):
        aliases = defaultdict(list)
        for organization_id, name in OrganizationAlias.objects.values_list(
            "organization_id", "name"
        ):
            aliases[organization_id].append(name)
        return cls(
            organizations=Vocabulary(
                _("partner organization"),
                Organization.objects.only("pk", "slug", "name", "name_ja", "ror_id"),
                lambda record: aliases[record.pk],
            ),
            programs=Vocabulary(_("program"), Program.objects.all()),
            disciplines=Vocabulary(_("discipline"), Discipline.objects.all()),
            activities=Vocabulary(_("activity"), ActivityType.objects.all()),
            sources=Vocabulary(_("source"), DataSource.objects.all()),
        )


class InstitutionNames:
    """Institution names resolved once per file: a 10,000-row sheet names a few hundred
    institutions."""

    def __init__(self):
        self.resolved: dict[tuple[str, str], tuple] = {}

    def resolve(self, written: str, country: str):
        """(pk, unit, None) or (None, "", resolution) when not resolved exactly."""
        key = (written, country)
        if key not in self.resolved:
            self.resolved[key] = self._resolve(written, country)
        return self.resolved[key]

    def _resolve(self, written, country):
        # The whole cell first: some names carry parentheses of their own.
        attempts = [(written, "")]
        match = TRAILING_PARENTHESES.match(written)
        if match:
            attempts.append((match.group("name"), match.group("inner").strip()))
        first = None
        for name, unit in attempts:
            resolution = resolve_institution(name=name, country=country)
            first = first or resolution
            chosen = resolution.chosen
            # Imports take exact names and aliases only: a fuzzy match is a guess, and
            # the curator confirms it by saving the name as an alias.
            if chosen and chosen.score >= EXACT_SCORE:
                return chosen.institution.pk, unit or resolution.unit or "", None
        return None, "", first


# -- reading a row -------------------------------------------------------------------


def _cell(values: dict, column: str) -> str:
    return unescape_formula(values.get(column, "") or "").strip()


def _items(text: str) -> list[str]:
    return [item for item in LIST_SEPARATOR.split(text) if item]


def _amount(text: str) -> tuple[Decimal | None, str, str]:
    """(amount, currency its marks give or "", error message or "")."""
    if not text:
        return None, "", ""
    currency, rest = "", text.upper()
    for mark, code in CURRENCY_MARKS.items():
        if mark in rest:
            if currency and currency != code:
                return None, "", _("“%(text)s” names two currencies.") % {"text": text}
            currency = code
            rest = rest.replace(mark, "")
    rest = AMOUNT_NOISE.sub("", rest)
    try:
        amount = Decimal(rest)
    except InvalidOperation:
        return (
            None,
            "",
            _(
                "“%(text)s” is not an amount: write a number such as 1200000 or "
                "$1,200,000."
            )
            % {"text": text},
        )
    if not amount.is_finite() or amount < 0:
        return None, "", _("“%(text)s” is not an amount of money.") % {"text": text}
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal(10) ** 14:
        return (
            None,
            "",
            _("“%(text)s” has more than two decimal places or is too large.")
            % {"text": text},
        )
    return amount, currency, ""


def _choice(text: str, choices) -> str | None:
    """A choice by its value or its label, any case; None when it is neither."""
    key = _choice_key(text)
    for value, label in choices.choices:
        if key in (_choice_key(value), _choice_key(str(label))):
            return value
    return None


def _choice_key(text: str) -> str:
    return "_".join(re.findall(r"\w+", fold(text)))


class RowReader:
    """Reads one row's cells into a ProposedAgreement, collecting errors by column."""

    def __init__(self, *, vocabularies: Vocabularies, names: InstitutionNames):
        self.vocabularies = vocabularies
        self.names = names
        self.url_validator = URLValidator(schemes=["http", "https"])

    def read(self, row: RowPlan) -> ProposedAgreement:
        values = row.values
        proposed = ProposedAgreement(
            title=_cell(values, "title"),
            title_ja=_cell(values, "title_ja"),
            summary=_cell(values, "summary"),
        )
        for name in ("title", "title_ja"):
            if len(getattr(proposed, name)) > 500:
                row.error(name, _("Keep the title under 500 characters."))

        text = _cell(values, "classification")
        if text:
            proposed.classification = _choice(text, Classification) or ""
            if not proposed.classification:
                row.error(
                    "classification",
                    _(
                        "“%(text)s” is not a classification: write collaborative or "
                        "consortium, or leave it blank."
                    )
                    % {"text": text},
                )

        program = _cell(values, "program")
        if program:
            proposed.program_id = self._one(row, "program", program, "programs")

        proposed.disciplines = self._many(row, "disciplines", "disciplines")
        proposed.activities = self._many(row, "activities", "activities")
        self._dates(row, proposed)
        self._funding(row, proposed)
        proposed.participants = tuple(
            self._institutions(row, "us_institutions", Country.US)
            + self._institutions(row, "jp_institutions", Country.JP)
        )
        proposed.partners = tuple(self._partners(row))
        proposed.sources = tuple(self._sources(row))
        return proposed

    def _one(self, row, column, text, vocabulary):
        pk, message = getattr(self.vocabularies, vocabulary).find(text)
        if message:
            row.error(column, message)
        return pk

    def _many(self, row, column, vocabulary) -> frozenset:
        found = set()
        for item in _items(_cell(row.values, column)):
            pk = self._one(row, column, item, vocabulary)
            if pk:
                found.add(pk)
        return frozenset(found)

    def _dates(self, row, proposed):
        for column, period_end in (("start", False), ("end", True)):
            text = _cell(row.values, column)
            if not text:
                continue
            try:
                date, precision = parse_partial_date(text, period_end=period_end)
            except ValueError as error:
                row.error(column, str(error))
                continue
            setattr(proposed, f"{column}_date", date)
            setattr(proposed, f"{column}_precision", precision)
        if (
            proposed.start_date
            and proposed.end_date
            and proposed.end_date < proposed.start_date
        ):
            row.error(
                "end",
                _("The end (%(end)s) is before the start (%(start)s).")
                % {
                    "end": _cell(row.values, "end"),
                    "start": _cell(row.values, "start"),
                },
            )

    def _funding(self, row, proposed):
        amount, marked, message = _amount(_cell(row.values, "funding_amount"))
        if message:
            row.error("funding_amount", message)
            return
        text = _cell(row.values, "funding_currency")
        currency = _choice(text, Currency) if text else marked
        if text and not currency:
            row.error(
                "funding_currency",
                _("“%(text)s” is not a currency the registry records: USD or JPY.")
                % {"text": text},
            )
            return
        if marked and currency != marked:
            row.error(
                "funding_currency",
                _("The amount is in %(marked)s but the currency says %(currency)s.")
                % {"marked": marked, "currency": currency},
            )
            return
        if amount is not None and not currency:
            row.error(
                "funding_currency",
                _(
                    "Give the currency of the amount (USD or JPY), or write it with $ "
                    "or ¥."
                ),
            )
        if currency and amount is None:
            row.error("funding_amount", _("A currency was given without an amount."))
        proposed.funding_amount, proposed.funding_currency = amount, currency or ""

    def _institutions(self, row, column, country) -> list[tuple[int, str]]:
        found = []
        other = Country.JP if country == Country.US else Country.US
        for written in _items(_cell(row.values, column)):
            pk, unit, resolution = self.names.resolve(written, country)
            if pk:
                if len(unit) > 255:
                    row.error(column, _("Keep units under 255 characters."))
                found.append((pk, unit))
                continue
            elsewhere, _unit, _resolution = self.names.resolve(written, other)
            if elsewhere:
                row.error(
                    column,
                    _("“%(name)s” is in %(other)s: list it under %(column)s.")
                    % {
                        "name": written,
                        "other": Country(other).label,
                        "column": COLUMN_BY_NAME[
                            "jp_institutions"
                            if other == Country.JP
                            else "us_institutions"
                        ].label,
                    },
                )
                continue
            row.unresolved.append(
                UnresolvedName(column, written, country, resolution.candidates)
            )
            row.error(column, _describe_unresolved(written, resolution))
        return found

    def _partners(self, row) -> list[tuple[int, str]]:
        found = []
        for written in _items(_cell(row.values, "partners")):
            pk, message = self.vocabularies.organizations.find(written)
            role = PartnerRole.PARTNER
            match = TRAILING_PARENTHESES.match(written)
            if not pk and match:
                role = _choice(match.group("inner"), PartnerRole)
                if role:
                    pk, message = self.vocabularies.organizations.find(
                        match.group("name")
                    )
                else:
                    role = PartnerRole.PARTNER
            if pk:
                found.append((pk, role))
            else:
                row.error("partners", message)
        return found

    def _sources(self, row) -> list[tuple]:
        sources = _items(_cell(row.values, "source"))
        # Several sources are written as parallel lists (exports do so); a lone value
        # in the other columns belongs to a lone source.
        parallel = {
            column: LIST_SEPARATOR.split(_cell(row.values, column))
            if _cell(row.values, column)
            else []
            for column in ("source_id", "source_url", "retrieved_on")
        }
        if not sources:
            for column, items in parallel.items():
                if any(items):
                    row.error(
                        "source",
                        _("%(column)s is given without a source: name the source.")
                        % {"column": COLUMN_BY_NAME[column].label},
                    )
            return []
        for column, items in parallel.items():
            if items and len(items) != len(sources):
                row.error(
                    column,
                    _(
                        "%(count)s sources but %(given)s values here: give one per "
                        "source, separated by ;."
                    )
                    % {"count": len(sources), "given": len(items)},
                )
                return []
        found = []
        for position, name in enumerate(sources):
            pk = self._one(row, "source", name, "sources")
            identifier = (parallel["source_id"] or [""] * len(sources))[position]
            url = (parallel["source_url"] or [""] * len(sources))[position]
            retrieved_text = (parallel["retrieved_on"] or [""] * len(sources))[position]
            if len(identifier) > 255:
                row.error("source_id", _("Keep source IDs under 255 characters."))
            if len(url) > 1000:
                row.error("source_url", _("Keep source URLs under 1,000 characters."))
            elif url:
                try:
                    self.url_validator(url)
                except ValidationError:
                    row.error(
                        "source_url",
                        _("“%(url)s” is not a web address (http:// or https://).")
                        % {"url": url},
                    )
            retrieved = None
            if retrieved_text:
                retrieved = _day(retrieved_text)
                if retrieved is None:
                    row.error(
                        "retrieved_on",
                        _("“%(text)s” is not a day: write 2026-11-01.")
                        % {"text": retrieved_text},
                    )
                elif retrieved > dt.date.today():
                    row.error("retrieved_on", _("The retrieval date is in the future."))
            if (
                pk
                and identifier
                and any((pk, identifier) == (other[0], other[1]) for other in found)
            ):
                row.error(
                    "source_id",
                    _("%(identifier)s is listed twice for the same source.")
                    % {"identifier": identifier},
                )
            elif pk:
                found.append((pk, identifier, url, retrieved))
        return found


def _day(text: str) -> dt.date | None:
    try:
        date, precision = parse_partial_date(text)
    except ValueError:
        return None
    return date if precision == DatePrecision.DAY else None


def _describe_unresolved(written: str, resolution) -> str:
    if resolution.ambiguous:
        names = [candidate.institution.name for candidate in resolution.candidates[:4]]
        return _(
            "“%(name)s” could be %(names)s: write the full name, or save it as an "
            "alias from the preview."
        ) % {"name": written, "names": _(" or ").join(names)}
    if resolution.candidates:
        names = [candidate.institution.name for candidate in resolution.candidates[:3]]
        return _(
            "The registry does not know “%(name)s”. Closest: %(names)s. Correct the "
            "name, or save it as an alias of the right institution from the preview."
        ) % {"name": written, "names": "; ".join(names)}
    return _(
        "The registry does not know “%(name)s”, and no institution comes close. Add "
        "the institution first (admin, Institutions), then import again."
    ) % {"name": written}


# -- planning ------------------------------------------------------------------------


def plan_agreement_sheet(
    table: Table, *, progress: Callable | None = None
) -> SheetPlan:
    """Read, resolve and match every row of ``table``; write nothing.

    ``progress(done, total)`` is called as rows are read.
    """
    synonyms = {
        column.name: (*in_every_language(column.label), *column.synonyms)
        for column in COLUMNS
    }
    headers = match_headers(table.headers, synonyms)
    plan = SheetPlan(
        table=table,
        columns=headers.columns,
        unknown_columns=headers.unknown,
        rows=[],
    )
    for column, written in headers.duplicates.items():
        plan.file_errors.append(
            _("The columns %(headers)s all mean “%(column)s”: keep one.")
            % {
                "headers": ", ".join(f"“{h}”" for h in written),
                "column": COLUMN_BY_NAME[column].label,
            }
        )
    present = set(headers.columns.values())
    if "title" not in present and "public_id" not in present:
        plan.file_errors.append(
            _(
                "No “Title” column was found (the headers are %(headers)s). Start from "
                "the template, or name the columns as it does."
            )
            % {"headers": ", ".join(f"“{h}”" for h in table.headers) or "—"}
        )
    if not table.rows:
        plan.file_errors.append(_("The file has a header row but no agreements."))
    if plan.file_errors:
        return plan

    reader = RowReader(vocabularies=Vocabularies.load(), names=InstitutionNames())
    for row in table.rows:
        values = {
            column: row.values.get(header, "")
            for header, column in headers.columns.items()
        }
        row_plan = RowPlan(number=row.number, values=values)
        row_plan.proposed = reader.read(row_plan)
        plan.rows.append(row_plan)
        if progress and len(plan.rows) % PROGRESS_EVERY == 0:
            progress(len(plan.rows), len(table.rows))
    if progress:
        progress(len(plan.rows), len(table.rows))

    _match_existing(plan, present)
    _find_repeats(plan)
    _check_rules(plan, present)
    for row in plan.rows:
        if row.errors:
            row.action = "error"
        elif row.agreement is None:
            row.action = "new"
        else:
            row.changes = _changes(row.agreement, row.proposed, present)
            row.action = "update" if row.changes else "unchanged"
    return plan


def _match_existing(plan: SheetPlan, present: set[str]) -> None:
    """Each row's agreement: by public ID, else by source and source ID; a row like an
    existing agreement (same title and institutions) but matched by neither is
    reported, not duplicated."""
    wanted_ids = {}
    for row in plan.rows:
        text = _cell(row.values, "public_id")
        if text:
            pk = parse_public_id(text)
            if pk is None:
                row.error(
                    "public_id",
                    _(
                        "“%(text)s” is not a public ID such as USJP-000042; leave it "
                        "blank for a new agreement."
                    )
                    % {"text": text},
                )
            else:
                wanted_ids[row.number] = pk
    source_keys = {
        (source_pk, identifier)
        for row in plan.rows
        for source_pk, identifier, _url, _retrieved in row.proposed.sources
        if identifier
    }
    by_source = {}
    if source_keys:
        identifiers = {identifier for _pk, identifier in source_keys}
        for record in SourceRecord.objects.filter(
            source_identifier__in=identifiers
        ).only("agreement_id", "data_source_id", "source_identifier"):
            key = (record.data_source_id, record.source_identifier)
            if key in source_keys:
                by_source[key] = record.agreement_id
    row_agreement_ids = {}
    for row in plan.rows:
        if row.number in wanted_ids:
            row_agreement_ids[row.number] = wanted_ids[row.number]
            continue
        for source_pk, identifier, _url, _retrieved in row.proposed.sources:
            if (source_pk, identifier) in by_source:
                row_agreement_ids[row.number] = by_source[(source_pk, identifier)]
                break
    for row in plan.rows:
        mine = row_agreement_ids.get(row.number)
        for source_pk, identifier, _url, _retrieved in row.proposed.sources:
            owner = by_source.get((source_pk, identifier))
            if owner is not None and mine is not None and owner != mine:
                row.error(
                    "source_id",
                    _("%(identifier)s of this source already belongs to %(public_id)s.")
                    % {"identifier": identifier, "public_id": format_public_id(owner)},
                )
    agreements = _load_agreements(set(row_agreement_ids.values()))
    for row in plan.rows:
        pk = row_agreement_ids.get(row.number)
        if pk is None:
            continue
        row.agreement = agreements.get(pk)
        if row.agreement is None:
            row.error(
                "public_id",
                _(
                    "There is no agreement %(public_id)s: leave the public ID blank to "
                    "add a new one."
                )
                % {"public_id": format_public_id(pk)},
            )
        elif row.agreement.is_synthetic:
            row.error(
                "public_id",
                _(
                    "%(public_id)s is synthetic demo data; imports change real records "
                    "only."
                )
                % {"public_id": row.agreement.public_id},
            )
    _report_likely_duplicates(plan, present)


def _load_agreements(pks: set[int]) -> dict[int, Agreement]:
    found = {}
    pks = sorted(pks)
    for start in range(0, len(pks), BULK_BATCH):
        chunk = pks[start : start + BULK_BATCH]
        for agreement in Agreement.objects.filter(pk__in=chunk).prefetch_related(
            Prefetch(
                "participants",
                queryset=AgreementParticipant.objects.select_related(
                    "institution"
                ).only("agreement_id", "unit", "role", "institution__country"),
            ),
            "partners",
            "sources",
            "disciplines",
            "activity_types",
        ):
            found[agreement.pk] = agreement
    return found


def _participant_key(participants) -> frozenset:
    return frozenset(pk for pk, _unit in participants)


def _report_likely_duplicates(plan: SheetPlan, present: set[str]) -> None:
    """A new row with the title and institutions of an existing agreement: the same
    agreement when nothing else differs (re-importing a file without IDs changes
    nothing), else an error asking which it is."""
    new_rows = [
        row for row in plan.rows if row.agreement is None and row.proposed.title
    ]
    title_list = sorted({row.proposed.title for row in new_rows})
    existing = defaultdict(list)
    for start in range(0, len(title_list), BULK_BATCH):
        for agreement_id, title, institution_id in AgreementParticipant.objects.filter(
            agreement__title__in=title_list[start : start + BULK_BATCH]
        ).values_list("agreement_id", "agreement__title", "institution_id"):
            existing[agreement_id].append((title, institution_id))
    by_key = defaultdict(list)
    for agreement_id, pairs in existing.items():
        key = (fold(pairs[0][0]), frozenset(pk for _title, pk in pairs))
        by_key[key].append(agreement_id)
    matches = {}
    for row in new_rows:
        key = (fold(row.proposed.title), _participant_key(row.proposed.participants))
        if key in by_key:
            matches[row.number] = by_key[key]
    agreements = _load_agreements({pk for pks in matches.values() for pk in pks})
    for row in new_rows:
        if row.number not in matches:
            continue
        found = [agreements[pk] for pk in matches[row.number]]
        if len(found) == 1 and not row.errors:
            same = found[0]
            row.proposed.classification = row.proposed.classification or (
                derive_classification(has_partners=bool(row.proposed.partners))
            )
            if not same.is_synthetic and not _changes(same, row.proposed, present):
                row.agreement = same
                continue
        row.error(
            "title",
            _(
                "%(ids)s already has this title and these institutions. To update "
                "it, put its public ID in the Public ID column; if this is a "
                "different agreement, give it a source ID or a distinct title."
            )
            % {"ids": ", ".join(agreement.public_id for agreement in found)},
        )


def _find_repeats(plan: SheetPlan) -> None:
    """Two rows of one file describing one agreement: the later one is an error."""
    first_row = {}
    for row in plan.rows:
        keys = []
        if row.agreement is not None:
            keys.append(("agreement", row.agreement.pk))
        keys.extend(
            ("source", source_pk, identifier)
            for source_pk, identifier, _url, _retrieved in row.proposed.sources
            if identifier
        )
        if row.agreement is None and row.proposed.title:
            keys.append(
                (
                    "title",
                    fold(row.proposed.title),
                    _participant_key(row.proposed.participants),
                )
            )
        for key in keys:
            if key in first_row:
                reason = {
                    "agreement": _("the same public ID"),
                    "source": _("the same source and source ID"),
                    "title": _("the same title and institutions"),
                }[key[0]]
                row.error(
                    "public_id" if key[0] == "agreement" else "title",
                    _(
                        "Row %(row)s already describes this agreement (%(reason)s): "
                        "keep one of the two rows."
                    )
                    % {"row": first_row[key], "reason": reason},
                )
                break
            first_row[key] = row.number


def _check_rules(plan: SheetPlan, present: set[str]) -> None:
    """The admin's rules, on each agreement as the row would leave it."""
    institution_ids = {
        pk for row in plan.rows for pk, _unit in _effective(row, present).participants
    }
    organization_ids = {
        pk for row in plan.rows for pk, _role in _effective(row, present).partners
    }
    institutions = Institution.objects.only("pk", "name", "country").in_bulk(
        institution_ids
    )
    organizations = Organization.objects.only("pk", "name", "sector").in_bulk(
        organization_ids
    )
    for row in plan.rows:
        if row.errors:
            continue
        proposed = _effective(row, present)
        if not proposed.title:
            row.error("title", _("Every agreement needs a title."))
            continue
        state = (
            row.agreement.publication_state if row.agreement else PublicationState.DRAFT
        )
        candidate = Agreement(
            title=proposed.title,
            classification=proposed.classification,
            publication_state=state,
        )
        try:
            check_agreement_composition(
                agreement=candidate,
                participants=[
                    ProposedParticipant(institutions[pk], unit)
                    for pk, unit in proposed.participants
                ],
                partners=[organizations[pk] for pk, _role in proposed.partners],
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = {
                    "participants": "us_institutions",
                    "partners": "partners",
                    "classification": "classification",
                }.get(name, "title")
                for message in messages:
                    row.error(column, message)
            continue
        # The derived classification is what the row will store.
        row.proposed.classification = (
            row.proposed.classification or candidate.classification
        )


def _effective(row: RowPlan, present: set[str]) -> ProposedAgreement:
    """The agreement as it would be after the row: columns the file lacks keep the
    agreement's current values."""
    proposed = row.proposed
    agreement = row.agreement
    if agreement is None:
        return proposed
    current = _current(agreement)
    merged = ProposedAgreement(**proposed.__dict__)
    for name, column in SCALAR_FIELDS.items():
        if column not in present:
            setattr(merged, name, getattr(current, name))
    for name, columns in (
        ("disciplines", ("disciplines",)),
        ("activities", ("activities",)),
        ("partners", ("partners",)),
        ("sources", ("source",)),
    ):
        if not set(columns) & present:
            setattr(merged, name, getattr(current, name))
    # Each country's column replaces that country's participants only.
    kept = [
        participant
        for participant, country in zip(
            current.participants, _participant_countries(agreement), strict=True
        )
        if COUNTRY_COLUMNS[country] not in present
    ]
    merged.participants = tuple(kept) + tuple(proposed.participants)
    return merged


COUNTRY_COLUMNS = {Country.US: "us_institutions", Country.JP: "jp_institutions"}


def _participant_countries(agreement: Agreement) -> list[str]:
    return [p.institution.country for p in agreement.participants.all()]


def _current(agreement: Agreement) -> ProposedAgreement:
    return ProposedAgreement(
        title=agreement.title,
        title_ja=agreement.title_ja,
        summary=agreement.summary,
        classification=agreement.classification,
        program_id=agreement.program_id,
        # Without a date its precision means nothing: compare as the reader leaves it.
        start_date=agreement.start_date,
        start_precision=(
            agreement.start_precision if agreement.start_date else DatePrecision.DAY
        ),
        end_date=agreement.end_date,
        end_precision=(
            agreement.end_precision if agreement.end_date else DatePrecision.DAY
        ),
        funding_amount=agreement.funding_amount,
        funding_currency=agreement.funding_currency,
        disciplines=frozenset(d.pk for d in agreement.disciplines.all()),
        activities=frozenset(a.pk for a in agreement.activity_types.all()),
        participants=tuple(
            (p.institution_id, p.unit) for p in agreement.participants.all()
        ),
        partners=tuple((p.organization_id, p.role) for p in agreement.partners.all()),
        sources=tuple(
            (s.data_source_id, s.source_identifier, s.url, s.retrieved_on)
            for s in agreement.sources.all()
        ),
    )


CHANGE_LABELS = {
    "participants": gettext_lazy("institutions"),
    "partners": gettext_lazy("partners"),
    "sources": gettext_lazy("sources"),
    "disciplines": gettext_lazy("disciplines"),
    "activities": gettext_lazy("activities"),
}


def _changes(agreement: Agreement, proposed: ProposedAgreement, present) -> list[str]:
    """The columns whose values differ from the agreement's, in sheet order."""
    current = _current(agreement)
    effective = _effective(
        RowPlan(0, {}, proposed=proposed, agreement=agreement), present
    )
    changed = []
    for name, column in SCALAR_FIELDS.items():
        if getattr(current, name) != getattr(effective, name) and column not in changed:
            changed.append(column)
    for name in ("disciplines", "activities"):
        if getattr(current, name) != getattr(effective, name):
            changed.append(name)
    if set(current.participants) != set(effective.participants):
        changed.append("participants")
    if set(current.partners) != set(effective.partners):
        changed.append("partners")
    if set(current.sources) != set(effective.sources):
        changed.append("sources")
    return [
        str(COLUMN_BY_NAME[name].label)
        if name in COLUMN_BY_NAME
        else str(CHANGE_LABELS[name])
        for name in changed
    ]


# -- applying ------------------------------------------------------------------------


def apply_agreement_sheet(plan: SheetPlan, *, user, batch: ImportBatch) -> list[int]:
    """Write a plan without errors, all or nothing; return the agreements touched."""
    if plan.has_errors:
        raise ValueError("A plan with errors is never applied.")
    present = set(plan.columns.values())
    reason = _("Imported from %(file)s (import %(number)s)") % {
        "file": batch.file_name,
        "number": batch.pk,
    }
    touched = []
    with transaction.atomic(), recording_import(batch):
        new_rows = [row for row in plan.rows if row.action == "new"]
        touched += _create(new_rows, user=user, batch=batch, reason=reason)
        for row in plan.rows:
            if row.action == "update":
                _update(row, present, user=user, reason=reason)
                touched.append(row.agreement.pk)
    return touched


def _create(rows: list[RowPlan], *, user, batch, reason) -> list[int]:
    new = [
        NewAgreement(
            agreement=Agreement(
                **{name: getattr(row.proposed, name) for name in SCALAR_FIELDS}
            ),
            institutions=row.proposed.participants,
            partners=row.proposed.partners,
            sources=row.proposed.sources,
            discipline_ids=row.proposed.disciplines,
            activity_ids=row.proposed.activities,
        )
        for row in rows
    ]
    agreements = agreements_create(new=new, user=user, reason=reason, batch=batch)
    for row, agreement in zip(rows, agreements, strict=True):
        row.agreement = agreement
    return [agreement.pk for agreement in agreements]


def _update(row: RowPlan, present: set[str], *, user, reason) -> None:
    agreement = row.agreement
    proposed = _effective(row, present)
    for name in SCALAR_FIELDS:
        setattr(agreement, name, getattr(proposed, name))
    institutions = Institution.objects.in_bulk(
        {pk for pk, _unit in proposed.participants}
    )
    organizations = Organization.objects.in_bulk(
        {pk for pk, _role in proposed.partners}
    )
    data_sources = DataSource.objects.in_bulk({pk for pk, *_ in proposed.sources})
    agreement_save(
        agreement=agreement,
        # The sheet has no roles: a participant's role survives an import.
        participants=[
            Participant(institutions[pk], unit) for pk, unit in proposed.participants
        ],
        partners=[Partner(organizations[pk], role) for pk, role in proposed.partners],
        sources=[
            Source(data_sources[pk], identifier, url, retrieved)
            for pk, identifier, url, retrieved in proposed.sources
        ],
        disciplines=proposed.disciplines,
        activities=proposed.activities,
        user=user,
        reason=reason,
    )


# -- one file, start to end ----------------------------------------------------------


def import_agreement_file(
    *,
    data: bytes,
    file_name: str,
    user,
    dry_run: bool,
    channel: str = ImportChannel.ADMIN,
    sheet: str | None = None,
    table: Table | None = None,
    progress: Callable | None = None,
) -> ImportOutcome:
    """Plan a file and, unless ``dry_run`` or it has errors, import it and record the
    import. Raises FileRejected when the file cannot be read at all."""
    if table is None:
        table = read_table(
            data, file_name=file_name, sheet=sheet, skip_sheets=NOT_DATA_SHEETS
        )
    plan = plan_agreement_sheet(table, progress=progress)
    return commit_plan(
        plan,
        kind=ImportKind.AGREEMENTS,
        data=data,
        file_name=file_name,
        user=user,
        channel=channel,
        dry_run=dry_run,
        apply=apply_agreement_sheet,
    )


__all__ = [
    "COLUMNS",
    "FileRejected",
    "ImportOutcome",
    "RowPlan",
    "SheetPlan",
    "apply_agreement_sheet",
    "import_agreement_file",
    "plan_agreement_sheet",
]

"""Reading the agreement sheet's rows: each row's cells into the agreement it
proposes and the columns it gives (a blank cell gives nothing; "(clear)" gives an
empty value), institution names resolved once per file, other records found by their
names, and every problem noted on its column."""

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...dates import DatePrecision, parse_partial_date
from ...models import (
    ActivityType,
    ActivityTypeAlias,
    Classification,
    Country,
    Currency,
    DataSource,
    DataSourceAlias,
    Discipline,
    DisciplineAlias,
    Organization,
    OrganizationAlias,
    PartnerRole,
    Program,
    validate_web_url,
)
from ...resolver import EXACT_SCORE, resolve_institution
from ..cells import LIST_SEPARATOR, cell, choice_of, items
from ..sheets import Vocabulary
from .columns import COLUMN_BY_NAME
from .rows import ProposedAgreement, RowPlan, UnresolvedName, UnresolvedTerm

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
# A cell that erases the value an update would otherwise keep, compared after NFKC
# (full-width brackets and letters as ASCII) and case folding.
CLEAR_MARKERS = {"(clear)", "(消去)"}
# Columns without a stored value to erase: a marker there is a mistake.
NOT_CLEARABLE = {
    "public_id": gettext_lazy(
        "“%(text)s” would erase the public ID, and a public ID cannot be erased: "
        "write the public ID of the agreement to update, or leave the cell blank for "
        "a new agreement."
    ),
    "new_anyway": gettext_lazy(
        "“%(text)s” would erase New anyway, which is never stored: write yes, or "
        "leave the cell blank."
    ),
}
# The vocabularies whose names a curator can teach the registry from a preview (each
# has aliases); programs are few and named exactly.
ALIASED = ("organizations", "disciplines", "activities", "sources")


@dataclass
class Vocabularies:
    organizations: Vocabulary
    programs: Vocabulary
    disciplines: Vocabulary
    activities: Vocabulary
    sources: Vocabulary

    @classmethod
    def load(cls):
        return cls(
            organizations=organization_vocabulary(),
            programs=Vocabulary(_("program"), Program.objects.all()),
            disciplines=Vocabulary(
                _("discipline"),
                Discipline.objects.all(),
                _aliases_of(DisciplineAlias, "discipline"),
            ),
            activities=Vocabulary(
                _("activity"),
                ActivityType.objects.all(),
                _aliases_of(ActivityTypeAlias, "activity_type"),
            ),
            sources=Vocabulary(
                _("source"),
                DataSource.objects.all(),
                _aliases_of(DataSourceAlias, "data_source"),
            ),
        )


def organization_vocabulary() -> Vocabulary:
    """Partner organizations as the sheet finds them (the admin's duplicate guard
    reads names the same way)."""
    return Vocabulary(
        _("partner organization"),
        Organization.objects.only("pk", "slug", "name", "name_ja", "ror_id"),
        _aliases_of(OrganizationAlias, "organization"),
    )


def _aliases_of(alias_model, owner: str):
    names = defaultdict(list)
    for owner_id, name in alias_model.objects.values_list(f"{owner}_id", "name"):
        names[owner_id].append(name)
    return lambda record: names[record.pk]


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


class RowReader:
    """Reads one row's cells into a ProposedAgreement, collecting errors by column."""

    def __init__(self, *, vocabularies: Vocabularies, names: InstitutionNames):
        self.vocabularies = vocabularies
        self.names = names

    def read(self, row: RowPlan) -> ProposedAgreement:
        read_given(row)
        values = row.values
        proposed = ProposedAgreement(
            title=cell(values, "title"),
            title_ja=cell(values, "title_ja"),
            summary=cell(values, "summary"),
        )
        for name in ("title", "title_ja"):
            if len(getattr(proposed, name)) > 500:
                row.error(name, _("Keep the title under 500 characters."))

        text = cell(values, "classification")
        if text:
            proposed.classification = choice_of(text, Classification.choices) or ""
            if not proposed.classification:
                row.error(
                    "classification",
                    _(
                        "“%(text)s” is not a classification: write collaborative or "
                        "consortium, or leave it blank."
                    )
                    % {"text": text},
                )

        program = cell(values, "program")
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
            self._unresolved(row, vocabulary, text)
        return pk

    def _unresolved(self, row, vocabulary, text):
        if vocabulary in ALIASED:
            options = getattr(self.vocabularies, vocabulary).closest(text)
            row.unresolved_terms.append(UnresolvedTerm(vocabulary, text, options))

    def _many(self, row, column, vocabulary) -> frozenset:
        found = set()
        for item in items(cell(row.values, column)):
            pk = self._one(row, column, item, vocabulary)
            if pk:
                found.add(pk)
        return frozenset(found)

    def _dates(self, row, proposed):
        for column, period_end in (("start", False), ("end", True)):
            text = cell(row.values, column)
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
                    "end": cell(row.values, "end"),
                    "start": cell(row.values, "start"),
                },
            )

    def _funding(self, row, proposed):
        amount, marked, message = _amount(cell(row.values, "funding_amount"))
        if message:
            row.error("funding_amount", message)
            return
        text = cell(row.values, "funding_currency")
        currency = choice_of(text, Currency.choices) if text else marked
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
        for written in items(cell(row.values, column)):
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
        for written in items(cell(row.values, "partners")):
            name = written
            pk, message = self.vocabularies.organizations.find(name)
            role = PartnerRole.PARTNER
            match = TRAILING_PARENTHESES.match(written)
            if not pk and match:
                role = choice_of(match.group("inner"), PartnerRole.choices)
                if role:
                    name = match.group("name")
                    pk, message = self.vocabularies.organizations.find(name)
                else:
                    role = PartnerRole.PARTNER
            if pk:
                found.append((pk, role))
            else:
                row.error("partners", message)
                self._unresolved(row, "organizations", name)
        return found

    def _sources(self, row) -> list[tuple]:
        sources = items(cell(row.values, "source"))
        # Several sources are written as parallel lists (exports do so); a lone value
        # in the other columns belongs to a lone source.
        parallel = {
            column: LIST_SEPARATOR.split(cell(row.values, column))
            if cell(row.values, column)
            else []
            for column in ("source_id", "source_url", "retrieved_on")
        }
        if not sources:
            for column, values in parallel.items():
                if any(values):
                    row.error(
                        "source",
                        _("%(column)s is given without a source: name the source.")
                        % {"column": COLUMN_BY_NAME[column].label},
                    )
            return []
        for column, values in parallel.items():
            if values and len(values) != len(sources):
                row.error(
                    column,
                    _(
                        "%(count)s sources but %(given)s values here: give one per "
                        "source, separated by ;."
                    )
                    % {"count": len(sources), "given": len(values)},
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
                    validate_web_url(url)
                except ValidationError as error:
                    row.error("source_url", " ".join(error.messages))
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


def read_given(row: RowPlan) -> None:
    """Note the columns the row gives (``RowPlan.given``) and read its (clear) cells
    as blank, which is all they mean in a new row."""
    cleared = set()
    for column in row.values:
        text = cell(row.values, column)
        if unicodedata.normalize("NFKC", text).casefold() not in CLEAR_MARKERS:
            continue
        row.values[column] = ""
        if column in NOT_CLEARABLE:
            row.error(column, NOT_CLEARABLE[column] % {"text": text})
        else:
            cleared.add(column)
    given = cleared | {column for column in row.values if cell(row.values, column)}
    # The currency is read with the amount ($, ¥): an amount is never kept with the
    # agreement's other currency, and erasing it erases its currency.
    if "funding_amount" in given:
        given.add("funding_currency")
    row.given = frozenset(given)


def _day(text: str) -> dt.date | None:
    try:
        date, precision = parse_partial_date(text)
    except ValueError:
        return None
    return date if precision == DatePrecision.DAY else None


def _describe_unresolved(written: str, resolution) -> str:
    if resolution.organization:
        return _(
            "“%(name)s” names %(organization)s, a partner organization, not a "
            "higher-education institution: list it under partners."
        ) % {"name": written, "organization": resolution.organization.name}
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

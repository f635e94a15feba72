"""Comparing a row with the agreement it updates: the agreement as the row would
leave it (what the row gives replaces the agreement's values; blank cells and columns
the file lacks keep them), whether that changes anything, and each change as a person
reads it."""

from django.db.models import Prefetch

from ...dates import DatePrecision, format_partial_date
from ...models import (
    Agreement,
    AgreementParticipant,
    Classification,
    Country,
    Currency,
    Institution,
    PartnerRole,
)
from ...rules import derive_classification
from .columns import COLUMNS, SCALAR_FIELDS
from .reading import Vocabularies
from .rows import Change, ProposedAgreement, RowPlan

COUNTRY_COLUMNS = {Country.US: "us_institutions", Country.JP: "jp_institutions"}
# The lists a row replaces whole, by the column that gives each (participants go by
# country, COUNTRY_COLUMNS).
LIST_COLUMNS = {
    "disciplines": "disciplines",
    "activities": "activities",
    "partners": "partners",
    "sources": "source",
}


def after_row(row: RowPlan) -> ProposedAgreement:
    """The agreement as it would be after the row: what the row gives replaces the
    agreement's values and the rest keep theirs (a new row: the row alone)."""
    if row.agreement is None:
        return row.proposed
    return _merged(row.agreement, row.proposed, row.given)


def _merged(
    agreement: Agreement, proposed: ProposedAgreement, given: frozenset
) -> ProposedAgreement:
    current = _current(agreement)
    merged = ProposedAgreement(**proposed.__dict__)
    for name, column in SCALAR_FIELDS.items():
        if column not in given:
            setattr(merged, name, getattr(current, name))
    for name, column in LIST_COLUMNS.items():
        if column not in given:
            setattr(merged, name, getattr(current, name))
    # Each country's column replaces that country's participants only.
    kept = [
        participant
        for participant, country in zip(
            current.participants, _participant_countries(agreement), strict=True
        )
        if COUNTRY_COLUMNS[country] not in given
    ]
    merged.participants = tuple(kept) + tuple(proposed.participants)
    if "classification" not in given and not agreement.classification_chosen:
        # A classification nobody chose follows the partners the row leaves, as the
        # write service will have it: the preview shows the move.
        merged.classification = derive_classification(
            has_partners=bool(merged.partners)
        )
    return merged


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


def changes_agreement(
    agreement: Agreement, proposed: ProposedAgreement, given: frozenset
) -> bool:
    """Whether a row proposing ``proposed`` and giving the columns ``given`` would
    change the agreement (the order of a list aside)."""
    before, after = _current(agreement), _merged(agreement, proposed, given)
    return any(
        getattr(before, name) != getattr(after, name) for name in SCALAR_FIELDS
    ) or any(
        set(getattr(before, name)) != set(getattr(after, name))
        for name in ("participants", *LIST_COLUMNS)
    )


def describe_changes(rows: list[RowPlan], *, vocabularies: Vocabularies) -> None:
    """Each row's ``value_changes``: the columns whose values differ, before and
    after, as a person reads them. The institutions of all the rows are read in one
    query; the other names are the vocabularies' the rows were read with."""
    versions = [(row, _current(row.agreement), after_row(row)) for row in rows]
    institutions = Institution.objects.only("pk", "name", "country").in_bulk(
        {
            pk
            for _row, before, after in versions
            for pk, _unit in before.participants + after.participants
        }
    )
    texts = _SheetTexts(institutions, vocabularies)
    for row, before, after in versions:
        old, new = texts.of(before), texts.of(after)
        row.value_changes = [
            Change(str(column.label), old[column.name], new[column.name])
            for column in COLUMNS
            if column.name in old and old[column.name] != new[column.name]
        ]


class _SheetTexts:
    """An agreement's values by column, for people: choices by their labels, dates as
    the sheet writes them, records by their names, lists joined with "; " in the
    order of their names (their order means nothing)."""

    def __init__(self, institutions: dict, vocabularies: Vocabularies):
        self.institutions = institutions
        self.vocabularies = vocabularies

    def of(self, agreement: ProposedAgreement) -> dict[str, str]:
        amount = agreement.funding_amount
        return {
            "title": agreement.title,
            "title_ja": agreement.title_ja,
            "summary": agreement.summary,
            "classification": _label(Classification, agreement.classification),
            "program": self._names("programs", [agreement.program_id]),
            "start": format_partial_date(
                agreement.start_date, agreement.start_precision
            ),
            "end": format_partial_date(agreement.end_date, agreement.end_precision),
            "funding_amount": "" if amount is None else f"{amount:,.2f}",
            "funding_currency": _label(Currency, agreement.funding_currency),
            "disciplines": self._names("disciplines", agreement.disciplines),
            "activities": self._names("activities", agreement.activities),
            "partners": _joined(
                _noted(self.vocabularies.organizations.labels[pk], role, PartnerRole)
                for pk, role in agreement.partners
            ),
            **self._participants(agreement.participants),
            **self._sources(agreement.sources),
        }

    def _names(self, vocabulary: str, pks) -> str:
        labels = getattr(self.vocabularies, vocabulary).labels
        return _joined(labels[pk] for pk in pks if pk is not None)

    def _participants(self, participants) -> dict[str, str]:
        by_country = {country: [] for country in COUNTRY_COLUMNS}
        for pk, unit in participants:
            institution = self.institutions[pk]
            by_country[institution.country].append(_noted(institution.name, unit))
        return {
            column: _joined(by_country[country])
            for country, column in COUNTRY_COLUMNS.items()
        }

    def _sources(self, sources) -> dict[str, str]:
        # Parallel lists, as the sheet writes them: the nth of each column is the nth
        # source's.
        labels = self.vocabularies.sources.labels
        ordered = sorted(
            (labels[pk], identifier, url, retrieved.isoformat() if retrieved else "")
            for pk, identifier, url, retrieved in sources
        )
        return {
            column: "; ".join(source[position] for source in ordered)
            for position, column in enumerate(
                ("source", "source_id", "source_url", "retrieved_on")
            )
        }


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value else ""


def _noted(name: str, note: str, choices=None) -> str:
    """A name with its unit or role, as the sheet writes it: Name (note)."""
    if choices is not None:
        note = _label(choices, note)
    return f"{name} ({note})" if note else name


def _joined(names) -> str:
    return "; ".join(sorted(names))


BULK_BATCH = 500


def load_agreements(pks: set[int]) -> dict[int, Agreement]:
    """The agreements rows match, with what comparing them reads."""
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

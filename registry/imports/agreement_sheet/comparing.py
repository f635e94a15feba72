"""Comparing a row with the agreement it updates: the agreement as the row would
leave it (columns the file lacks keep their values) and the columns that change."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy

from ...dates import DatePrecision
from ...models import Agreement, AgreementParticipant, Country
from .columns import COLUMN_BY_NAME, SCALAR_FIELDS
from .rows import ProposedAgreement, RowPlan


def after_row(row: RowPlan, present: set[str]) -> ProposedAgreement:
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


def changed_columns(
    agreement: Agreement, proposed: ProposedAgreement, present
) -> list[str]:
    """The columns whose values differ from the agreement's, in sheet order."""
    current = _current(agreement)
    effective = after_row(
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

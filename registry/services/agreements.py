"""The one way an agreement is written: the admin, the API and imports all call it.

``agreement_save`` writes one agreement and what hangs on it; ``agreements_create``
writes many new ones at once (an import of ten thousand rows) in bulk, under the same
rules and with the same history. Every write, in one transaction:

- checks the composition rules (``registry.rules``) on the agreement as it will be;
- dates its first publication and says who created and last changed it;
- records one version of the agreement, its fields with its parts (``versions``), and
  for each participant, partner and source row added, changed or removed, who did it
  and why (the import batch too, inside ``recording_import``);
- lets a classification the curator has not chosen follow the partners;
- reindexes the agreement for search.

Rows are given whole: a list replaces what the agreement had (rows already there are
kept as they are, so their history shows only real changes); ``None`` leaves that
part alone.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from ..models import (
    ActivityType,
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    DataSource,
    Discipline,
    ImportBatch,
    Institution,
    Organization,
    ParticipantRole,
    PartnerRole,
    PublicationState,
    SearchIndexVersion,
    SourceRecord,
)
from ..rules import (
    ProposedParticipant,
    check_agreement_composition,
    settle_classification,
)
from ..search import (
    AgreementIndexer,
    AgreementParts,
    refresh_agreement_index,
    write_facet_rows,
)
from .rows import Row, RowChanges, attribute, sync_rows, unique
from .versions import fill_version_parts, record_version
from .workflow import stamp_publication

BULK_BATCH = 500


@dataclass(frozen=True)
class Participant(Row):
    KEY = ("institution", "unit")

    institution: Institution
    unit: str = ""
    # None: keep the role the participant has (a sheet does not say), partner if new
    role: str | None = None


@dataclass(frozen=True)
class Partner(Row):
    KEY = ("organization", "role")

    organization: Organization
    role: str = PartnerRole.PARTNER


@dataclass(frozen=True)
class Source(Row):
    KEY = ("data_source", "source_identifier", "url", "retrieved_on")

    data_source: DataSource
    source_identifier: str = ""
    url: str = ""
    retrieved_on: dt.date | None = None


def agreement_save(
    *,
    agreement: Agreement,
    participants: Sequence[Participant] | None = None,
    partners: Sequence[Partner] | None = None,
    sources: Sequence[Source] | None = None,
    disciplines: Iterable[Discipline] | None = None,
    activities: Iterable[ActivityType] | None = None,
    user,
    reason: str = "",
) -> RowChanges:
    """Save ``agreement`` (new or changed, its own fields already set) with its rows.

    Raises ValidationError, keyed by field, if the agreement as it would be breaks a
    composition rule or a new source row is invalid; nothing is written then.
    """
    with transaction.atomic():
        created = agreement.pk is None
        current = _current_rows(agreement)
        if participants is None:
            participants = [
                Participant.of(row) for row in current[AgreementParticipant]
            ]
        if partners is None:
            partners = [Partner.of(row) for row in current[AgreementPartner]]
        settle_classification(agreement)
        check_agreement_composition(
            agreement=agreement,
            participants=[
                ProposedParticipant(institution=p.institution, unit=p.unit)
                for p in participants
            ],
            partners=[p.organization for p in partners],
            sources=len(current[SourceRecord] if sources is None else unique(sources)),
        )
        # A participant named twice broke a rule above; a partner or a source named
        # twice is one.
        if created and agreement.created_by_id is None:
            agreement.created_by = user
        agreement.updated_by = user
        stamp_publication(agreement)
        attribute(agreement, user=user, reason=reason)
        # One history entry for the whole write, once its rows are written.
        agreement.skip_history_when_saving = True
        try:
            agreement.save()
            if disciplines is not None:
                agreement.disciplines.set(disciplines)
            if activities is not None:
                agreement.activity_types.set(activities)
        finally:
            del agreement.skip_history_when_saving
        saved = RowChanges(record=agreement)
        for model, kind, rows in (
            (AgreementParticipant, Participant, participants),
            (AgreementPartner, Partner, unique(partners)),
            (SourceRecord, Source, None if sources is None else unique(sources)),
        ):
            if rows is not None:
                sync_rows(
                    saved,
                    current[model],
                    rows,
                    model=model,
                    kind=kind,
                    owner={"agreement": agreement},
                    check=_checked if model is SourceRecord else None,
                    user=user,
                    reason=reason,
                )
        record_version(agreement=agreement, user=user, reason=reason, created=created)
        refresh_agreement_index(agreement_ids=[agreement.pk])
        # The index wrote the search documents in SQL: a later save of this instance
        # (a publication move) must not write them back empty.
        agreement.refresh_from_db(fields=["search_title", "search_text"])
    return saved


@dataclass
class NewAgreement:
    """An agreement to create in bulk: its own fields set (``classification_chosen``
    too: whether a classification given was the curator's), its rows by primary key
    (``institutions``: (pk, unit); ``partners``: (pk, role); ``sources``: (pk,
    identifier, url, retrieved_on))."""

    agreement: Agreement
    institutions: Sequence[tuple] = ()
    partners: Sequence[tuple] = ()
    sources: Sequence[tuple] = ()
    discipline_ids: Sequence[int] = ()
    activity_ids: Sequence[int] = ()


def agreements_create(
    *, new: list[NewAgreement], user, reason: str, batch: ImportBatch | None = None
) -> list[Agreement]:
    """Create many draft agreements with their rows at once, each with its history
    entries (and ``batch`` on them). Raises ValidationError naming the agreement's
    title if one breaks a composition rule; nothing is written then.

    Search documents are filled before the insert and facet rows written after it:
    reindexing ten thousand saved rows would double the time of an import.
    """
    with transaction.atomic():
        if not new:
            return []
        institutions = Institution.objects.in_bulk(
            {pk for item in new for pk, _unit in item.institutions}
        )
        organizations = Organization.objects.in_bulk(
            {pk for item in new for pk, _role in item.partners}
        )
        for item in new:
            item.agreement.publication_state = PublicationState.DRAFT
            if not item.agreement.classification:
                item.agreement.classification_chosen = False
            check_agreement_composition(
                agreement=item.agreement,
                participants=[
                    ProposedParticipant(institution=institutions[pk], unit=unit)
                    for pk, unit in item.institutions
                ],
                partners=[organizations[pk] for pk, _role in item.partners],
                sources=len(item.sources),
            )
        history = {
            "default_user": user,
            "default_change_reason": reason,
            "custom_historical_attrs": {"import_batch": batch} if batch else None,
            "batch_size": BULK_BATCH,
        }
        indexer = AgreementIndexer()
        parts = []
        for item in new:
            item.agreement.created_by = item.agreement.updated_by = user
            row_parts = AgreementParts(
                institution_ids=[pk for pk, _unit in item.institutions],
                organization_ids=[pk for pk, _role in item.partners],
                discipline_ids=sorted(item.discipline_ids),
                activity_ids=sorted(item.activity_ids),
                sources=[(pk, identifier) for pk, identifier, *_rest in item.sources],
            )
            indexer.fill_documents(item.agreement, row_parts)
            parts.append(row_parts)
        agreements = bulk_create_with_history(
            [item.agreement for item in new], Agreement, **history
        )
        facets = []
        for item, agreement, row_parts in zip(new, agreements, parts, strict=True):
            item.agreement = agreement
            facets.extend(indexer.facet_rows(agreement, row_parts))
        write_facet_rows(facets)
        SearchIndexVersion.bump(
            agreement_ids=[agreement.pk for agreement in agreements]
        )
        participants, partners, sources, disciplines, activities = [], [], [], [], []
        Disciplines = Agreement.disciplines.through
        Activities = Agreement.activity_types.through
        for item in new:
            agreement = item.agreement
            participants += [
                AgreementParticipant(
                    agreement=agreement,
                    institution_id=pk,
                    unit=unit,
                    role=ParticipantRole.PARTNER,
                )
                for pk, unit in dict.fromkeys(item.institutions)
            ]
            partners += [
                AgreementPartner(agreement=agreement, organization_id=pk, role=role)
                for pk, role in dict.fromkeys(item.partners)
            ]
            sources += [
                SourceRecord(
                    agreement=agreement,
                    data_source_id=pk,
                    source_identifier=identifier,
                    url=url,
                    retrieved_on=retrieved,
                )
                for pk, identifier, url, retrieved in item.sources
            ]
            disciplines += [
                Disciplines(agreement_id=agreement.pk, discipline_id=pk)
                for pk in item.discipline_ids
            ]
            activities += [
                Activities(agreement_id=agreement.pk, activitytype_id=pk)
                for pk in item.activity_ids
            ]
        bulk_create_with_history(participants, AgreementParticipant, **history)
        bulk_create_with_history(partners, AgreementPartner, **history)
        bulk_create_with_history(sources, SourceRecord, **history)
        Disciplines.objects.bulk_create(disciplines, batch_size=BULK_BATCH)
        Activities.objects.bulk_create(activities, batch_size=BULK_BATCH)
        created = Agreement.history.filter(history_type="+")
        created = (
            created.filter(import_batch=batch)
            if batch
            else created.filter(id__in=[agreement.pk for agreement in agreements])
        )
        fill_version_parts(created.filter(parts__isnull=True))
        return agreements


def _current_rows(agreement) -> dict:
    if agreement.pk is None:
        return {AgreementParticipant: [], AgreementPartner: [], SourceRecord: []}
    return {
        AgreementParticipant: list(
            agreement.participants.select_related("institution")
        ),
        AgreementPartner: list(agreement.partners.select_related("organization")),
        SourceRecord: list(agreement.sources.all()),
    }


def _checked(source: SourceRecord) -> None:
    """A new source row, checked as the admin's inline checks it (its link, its date,
    an identifier no other agreement has)."""
    try:
        source.full_clean(exclude=["agreement"])
    except ValidationError as error:
        raise ValidationError(
            {"sources": [f"{source}: {message}" for message in error.messages]}
        ) from None

"""Small builders over the reference data that every test database holds."""

import csv
import io

from django.urls import reverse

from registry.models import (
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    Classification,
    DataSource,
    Institution,
    Organization,
    ParticipantRole,
    PublicationState,
    SourceRecord,
)
from registry.search import refresh_agreement_index
from registry.services import Participant, Source, agreement_save


def institution(slug: str) -> Institution:
    return Institution.objects.get(slug=slug)


def organization(slug: str) -> Organization:
    return Organization.objects.get(slug=slug)


def make_agreement(
    *,
    title: str = "Joint research in quantum sciences",
    us: tuple[str, ...] = ("harvard-university",),
    jp: tuple[str, ...] = ("tohoku-university",),
    partners: tuple[str, ...] = (),
    sources: tuple[str, ...] = ("institution-websites",),
    state: str = PublicationState.PUBLISHED,
    **fields,
) -> Agreement:
    """An agreement saved with its participants, partners and sources (data source
    slugs; one by default, as publishing needs one), as the admin would save it."""
    fields.setdefault(
        "classification",
        Classification.CONSORTIUM if partners else Classification.COLLABORATIVE,
    )
    agreement = Agreement.objects.create(title=title, publication_state=state, **fields)
    for slug in us + jp:
        AgreementParticipant.objects.create(
            agreement=agreement, institution=institution(slug)
        )
    for slug in partners:
        AgreementPartner.objects.create(
            agreement=agreement, organization=organization(slug), role="funder"
        )
    for slug in sources:
        SourceRecord.objects.create(
            agreement=agreement, data_source=DataSource.objects.get(slug=slug)
        )
    refresh_agreement_index(agreement_ids=[agreement.pk])
    return agreement


def csv_sheet(rows, *, headers) -> bytes:
    """A UTF-8 CSV file of ``rows`` (dicts by header), as a curator would upload."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(header, "") for header in headers])
    return buffer.getvalue().encode("utf-8")


def confirm_admin_import(client, preview, model: str):
    """Confirm the import an admin preview page (``preview``) offers, as its button
    does, following the redirect."""
    confirm = preview.context["confirm_form"].initial
    url = reverse(f"admin:registry_{model}_process_import")
    return client.post(url, confirm, follow=True)


def saved_by_service(user, *, title: str, source_id: str = "JSPS-1", **fields):
    """A draft written by the agreement write service, as the admin writes one:
    Harvard (lead) and Tohoku, one JSPS source; its first version's reason is "Press
    release"."""
    agreement = Agreement(title=title, **fields)
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university"), "", ParticipantRole.LEAD),
            Participant(institution("tohoku-university")),
        ],
        sources=[Source(DataSource.objects.get(slug="jsps"), source_id)],
        user=user,
        reason="Press release",
    )
    return agreement

"""Applying a planned agreement sheet: new agreements in bulk and changed ones one at
a time, all through the agreement write service (``registry.services.agreements``),
each history entry linked to the file's ImportBatch."""

from django.db import transaction
from django.utils.translation import gettext as _

from ...models import (
    Agreement,
    DataSource,
    ImportBatch,
    Institution,
    Organization,
    recording_import,
)
from ...services.agreements import (
    NewAgreement,
    Participant,
    Partner,
    Source,
    agreement_save,
    agreements_create,
)
from ..cells import cell
from ..sheets import SheetPlan
from .columns import SCALAR_FIELDS
from .comparing import after_row
from .rows import RowPlan


def apply_agreement_sheet(plan: SheetPlan, *, user, batch: ImportBatch) -> list[int]:
    """Write a plan without errors, all or nothing; return the agreements touched."""
    if plan.has_errors:
        raise ValueError("A plan with errors is never applied.")
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
                _update(row, user=user, reason=reason)
                touched.append(row.agreement.pk)
    return touched


def _create(rows: list[RowPlan], *, user, batch, reason) -> list[int]:
    new = [
        NewAgreement(
            agreement=Agreement(
                **{name: getattr(row.proposed, name) for name in SCALAR_FIELDS},
                # Planning fills a blank (or cleared) classification in; only a
                # written one is the curator's choice.
                classification_chosen=bool(cell(row.values, "classification")),
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


def _update(row: RowPlan, *, user, reason) -> None:
    agreement = row.agreement
    proposed = after_row(row)
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

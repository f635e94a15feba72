"""Applying a planned official list, all or nothing: new institutions in bulk, changed
fields in one UPDATE per set of values, identifiers and aliases added, every history
entry linked to the import's ImportBatch; and one file taken from its bytes to a
recorded import (``import_institution_list``)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ...models import (
    ImportBatch,
    ImportChannel,
    ImportKind,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    recording_import,
)
from ...search import agreements_of, refresh_agreement_index
from ..recording import commit_plan
from .parsing import parse_list
from .plan import Entry, ListPlan, list_summary
from .planning import plan_institution_list

BULK_BATCH = 500


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


def _update(entries: list[Entry]) -> None:
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
    list, recording the import through ``recording.commit_plan`` as every importer
    does; a list that changes nothing records nothing. Raises ListRejected when the
    file is not that list."""
    parsed = parse_list(data, list_format=list_format, sheet=sheet)
    if progress:
        progress(
            _("Read %(rows)s rows; %(records)s to match.")
            % {"rows": f"{parsed.rows:,}", "records": f"{len(parsed.records):,}"}
        )
    with transaction.atomic():
        plan = plan_institution_list(parsed, progress=progress)
        if not plan.changed:
            return ListOutcome(plan=plan, batch=None, dry_run=dry_run)
        outcome = commit_plan(
            plan,
            kind=ImportKind.INSTITUTIONS,
            data=data,
            file_name=file_name,
            user=user,
            channel=channel,
            dry_run=dry_run,
            apply=partial(_write, progress=progress),
        )
    return ListOutcome(plan=plan, batch=outcome.batch, dry_run=dry_run)


def _write(plan: ListPlan, *, user, batch: ImportBatch, progress=None) -> None:
    if progress:
        progress(
            _("Writing %(created)s new and %(updated)s updated institutions…")
            % {
                "created": f"{plan.created:,}",
                "updated": f"{len(plan.entries) - plan.created:,}",
            }
        )
    apply_institution_list(plan, batch=batch, user=user)

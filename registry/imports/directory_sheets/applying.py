"""Applying a planned institution or organization sheet: new records in bulk, a
generation of parents before their campuses or units, changed ones saved one at a
time, identifiers and aliases added, each history entry linked to the file's
ImportBatch; then the agreements of the changed records are reindexed."""

from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from ...models import AliasKind, ImportBatch, recording_import
from ...search import agreements_of, refresh_agreement_index
from ..cells import alias_language
from .rows import DirectoryPlan, DirectoryRow
from .sheet import BULK_BATCH, Sheet

# simple_history's change reason column.
REASON_MAX = 100


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
                    language=alias_language(text),
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


def _create(sheet: Sheet, rows: list[DirectoryRow], *, history: dict) -> None:
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

"""Committing a planned file: one ImportBatch, then the importer's own writes, in one
transaction. Every importer ends here (the sheets and the official institution
lists), so each import is recorded alike."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from ..models import ImportBatch


@dataclass
class ImportOutcome:
    plan: object  # the importer's plan: rows, counts, errors
    batch: ImportBatch | None  # None for a dry run or a plan with errors


def commit_plan(
    plan,
    *,
    kind: str,
    data: bytes,
    file_name: str,
    user,
    channel: str,
    dry_run: bool,
    apply: Callable,
) -> ImportOutcome:
    """Record and apply ``plan`` (``apply(plan, user=, batch=)``) unless it is a dry
    run or has errors; a failure while writing leaves neither record nor change.

    The plan says what the batch records of it: ``plan.has_errors``, and
    ``plan.batch_fields()``, the ImportBatch fields that depend on the plan (the sheet
    read, rows, counts, summary and, for a list, its format and rows skipped)."""
    if dry_run or plan.has_errors:
        return ImportOutcome(plan=plan, batch=None)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind,
            channel=channel,
            file_name=file_name[:255],
            checksum=hashlib.sha256(data).hexdigest(),
            file_size=len(data),
            imported_by=user,
            **plan.batch_fields(),
        )
        apply(plan, user=user, batch=batch)
    return ImportOutcome(plan=plan, batch=batch)

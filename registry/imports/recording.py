"""Committing a planned file: one ImportBatch, then the sheet's own writes, in one
transaction. Every sheet's importer ends here, so each import is recorded alike."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import ImportBatch


@dataclass
class ImportOutcome:
    plan: object  # the sheet's plan: rows, counts, errors
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
    run or has errors; a failure while writing leaves neither record nor change."""
    if dry_run or plan.has_errors:
        return ImportOutcome(plan=plan, batch=None)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind,
            channel=channel,
            file_name=file_name[:255],
            sheet=plan.table.sheet,
            checksum=hashlib.sha256(data).hexdigest(),
            file_size=len(data),
            imported_by=user,
            rows=len(plan.rows),
            created=plan.count("new"),
            updated=plan.count("update"),
            unchanged=plan.count("unchanged"),
            summary=_summary(plan),
        )
        apply(plan, user=user, batch=batch)
    return ImportOutcome(plan=plan, batch=batch)


def _summary(plan) -> str:
    lines = []
    if plan.unknown_columns:
        lines.append(
            _("Columns ignored: %(columns)s.")
            % {"columns": ", ".join(plan.unknown_columns)}
        )
    if plan.table.encoding:
        lines.append(_("Read as %(encoding)s.") % {"encoding": plan.table.encoding})
    return "\n".join(lines)

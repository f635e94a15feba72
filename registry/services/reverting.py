"""Restoring an earlier version of an agreement, through its write service."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import (
    ActivityType,
    Agreement,
    DataSource,
    Discipline,
    Institution,
    Organization,
    Program,
)
from .agreements import Participant, Partner, Source, agreement_save
from .rows import RowChanges, with_reason
from .versions import version_numbers

# What a revert restores: the agreement's content. Its publication state moves only
# through the workflow, and who created it or when it was published is not content.
RESTORED_FIELDS = (
    "title",
    "title_ja",
    "summary",
    "classification",
    "program_id",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "funding_amount",
    "funding_currency",
    "notes",
)
# Each kind of part a version keeps, and the records its items name.
PART_RECORDS = {
    "participants": Institution,
    "partners": Organization,
    "sources": DataSource,
    "disciplines": Discipline,
    "activities": ActivityType,
}


def agreement_revert(
    *, agreement: Agreement, entry, user, reason: str = ""
) -> RowChanges:
    """Restore the version ``entry`` of ``agreement`` (its content and, where the
    entry holds them, its parts) through the write service and its rules, recorded
    as a new version. Raises ValidationError saying why if the version cannot be
    restored: a record it names is gone, or it breaks a rule now."""
    if entry.id != agreement.pk:
        raise ValidationError(_("That version belongs to another agreement."))
    rows = _restored_rows(entry.parts) if entry.parts is not None else {}
    if entry.program_id and not Program.objects.filter(pk=entry.program_id).exists():
        raise ValidationError(_missing([_("its program")]))
    for name in RESTORED_FIELDS:
        setattr(agreement, name, getattr(entry, name))
    if not entry.classification_chosen:
        # It followed the partners then: it follows the restored ones now.
        agreement.classification = ""
    note = _("Reverted to version %(number)s") % {
        "number": version_numbers(agreement)[entry.history_id]
    }
    return agreement_save(
        agreement=agreement,
        user=user,
        reason=with_reason(note, reason),
        **rows,
    )


def _missing(names) -> str:
    return _(
        "This version names records that no longer exist (merged or deleted "
        "since): %(names)s. Edit the agreement instead."
    ) % {"names": "; ".join(names)}


def _restored_rows(parts: dict) -> dict:
    """The rows of a version's parts, from the records they name; a record deleted
    since (merged away) cannot be restored, and the message names it."""
    found = {
        kind: model.objects.in_bulk({item["id"] for item in parts.get(kind, [])})
        for kind, model in PART_RECORDS.items()
    }
    missing = sorted(
        {
            item["name"]
            for kind in PART_RECORDS
            for item in parts.get(kind, [])
            if item["id"] not in found[kind]
        }
    )
    if missing:
        raise ValidationError(_missing(missing))

    def records(kind):
        return [(found[kind][item["id"]], item) for item in parts.get(kind, [])]

    return {
        "participants": [
            Participant(record, item["unit"], item["role"])
            for record, item in records("participants")
        ],
        "partners": [
            Partner(record, item["role"]) for record, item in records("partners")
        ],
        "sources": [
            Source(
                record,
                item["identifier"],
                item["url"],
                dt.date.fromisoformat(item["retrieved_on"])
                if item["retrieved_on"]
                else None,
            )
            for record, item in records("sources")
        ],
        "disciplines": [record for record, _item in records("disciplines")],
        "activities": [record for record, _item in records("activities")],
    }

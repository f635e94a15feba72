"""An agreement's versions: one history entry a write, holding the agreement's fields
and what hangs on it (participants, partners, sources, disciplines, activities), so
any two versions can be compared and any one restored.

The write service (``agreement_save``) ends with ``record_version``, once the rows are
written; bulk creation and merges write their entries in bulk and then
``fill_version_parts``; any other save of an agreement (a publication move) gets its
parts from ``_keep_parts``. Each entry says who, when and why. The parts are kept as a
snapshot with the names of the time, so a version reads as it was; versions are
compared by primary keys (``PART_KEYS``), so a rename is not a change of the
agreements, and the keys say what a revert restores.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.dispatch import receiver
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.signals import pre_create_historical_record

from ..models import (
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    SourceRecord,
)
from ..models.agreements import AGREEMENT_VERSIONS
from .rows import attribute

# Entries given their parts at once after a bulk write: an import of ten thousand
# agreements reads their rows 500 agreements at a time.
FILL_BATCH = 500
PART_KINDS = ("participants", "partners", "sources", "disciplines", "activities")
PART_LABELS = {
    "participants": gettext_lazy("Participants"),
    "partners": gettext_lazy("Non-HE partners"),
    "sources": gettext_lazy("Sources"),
    "disciplines": gettext_lazy("Disciplines"),
    "activities": gettext_lazy("Activities"),
}


def parts_of(agreement_ids: Iterable[int]) -> dict[int, dict]:
    """Each agreement's parts as a version keeps them, in five queries for any
    number of agreements."""
    ids = list(agreement_ids)
    parts = {pk: {kind: [] for kind in PART_KINDS} for pk in ids}
    for row in (
        AgreementParticipant.objects.filter(agreement_id__in=ids)
        .select_related("institution")
        .order_by("institution__name", "unit")
    ):
        parts[row.agreement_id]["participants"].append(
            {
                "id": row.institution_id,
                "name": row.institution.name,
                "unit": row.unit,
                "role": row.role,
            }
        )
    for row in (
        AgreementPartner.objects.filter(agreement_id__in=ids)
        .select_related("organization")
        .order_by("organization__name", "role")
    ):
        parts[row.agreement_id]["partners"].append(
            {"id": row.organization_id, "name": row.organization.name, "role": row.role}
        )
    for row in (
        SourceRecord.objects.filter(agreement_id__in=ids)
        .select_related("data_source")
        .order_by("data_source__name", "source_identifier", "pk")
    ):
        parts[row.agreement_id]["sources"].append(
            {
                "id": row.data_source_id,
                "name": row.data_source.name,
                "identifier": row.source_identifier,
                "url": row.url,
                "retrieved_on": (
                    row.retrieved_on.isoformat() if row.retrieved_on else None
                ),
            }
        )
    for kind, through, other in (
        ("disciplines", Agreement.disciplines.through, "discipline"),
        ("activities", Agreement.activity_types.through, "activitytype"),
    ):
        links = (
            through.objects.filter(agreement_id__in=ids)
            .select_related(f"{other}__parent" if kind == "disciplines" else other)
            .order_by(f"{other}__name")
        )
        for link in links:
            record = getattr(link, other)
            item = {"id": record.pk, "name": str(record)}
            parts[link.agreement_id][kind].append(item)
    return parts


def record_version(*, agreement: Agreement, user, reason: str, created=False) -> None:
    """Write the agreement's history entry for a change just made: its fields as they
    are and its parts read anew (``_keep_parts``)."""
    attribute(agreement, user=user, reason=reason)
    AGREEMENT_VERSIONS.create_historical_record(agreement, "+" if created else "~")


@receiver(pre_create_historical_record, sender=Agreement.history.model)
def _keep_parts(sender, instance, history_instance, **kwargs):
    # Every entry, however the agreement was saved (a publication move saves it
    # alone), holds its parts.
    history_instance.parts = parts_of([instance.pk])[instance.pk]


def fill_version_parts(entries) -> None:
    """Give history entries written in bulk (``entries``, a queryset) the parts their
    agreements have now: bulk inserts write the rows after the entries."""
    entries = list(entries.only("history_id", "id"))
    model = Agreement.history.model
    for start in range(0, len(entries), FILL_BATCH):
        chunk = entries[start : start + FILL_BATCH]
        parts = parts_of({entry.id for entry in chunk})
        for entry in chunk:
            entry.parts = parts[entry.id]
        model.objects.bulk_update(chunk, ["parts"])


# Reading versions ----------------------------------------------------------------


@dataclass
class Difference:
    """One thing that differs between two versions: a field's value before and
    after, or a kind of part with the items removed and added."""

    label: str
    before: str = ""
    after: str = ""
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def is_part(self) -> bool:
        return bool(self.removed or self.added)


def field_values(entry) -> dict[str, str]:
    """A version's fields as the admin shows them to people (dates and amounts in
    words), by label; read from the entry alone (simple-history's ``instance`` reads
    the agreement's table each time)."""
    agreement = Agreement(
        **{
            f.attname: getattr(entry, f.attname)
            for f in Agreement._meta.concrete_fields
            if hasattr(entry, f.attname)
        }
    )
    meta = Agreement._meta
    program = entry.program.name if entry.program_id and entry.program else ""
    yes, no = _("yes"), _("no")
    return {
        str(meta.get_field("title").verbose_name): agreement.title,
        str(meta.get_field("title_ja").verbose_name): agreement.title_ja,
        str(meta.get_field("summary").verbose_name): agreement.summary,
        str(meta.get_field("classification").verbose_name): (
            agreement.get_classification_display()
            + ("" if agreement.classification_chosen else _(" (follows the partners)"))
            if agreement.classification
            else ""
        ),
        str(meta.get_field("program").verbose_name): program,
        str(meta.get_field("start_date").verbose_name): agreement.start_label,
        str(meta.get_field("end_date").verbose_name): agreement.end_label,
        str(meta.get_field("funding_amount").verbose_name): agreement.funding_label,
        str(meta.get_field("publication_state").verbose_name): (
            agreement.get_publication_state_display()
        ),
        str(meta.get_field("is_synthetic").verbose_name): (
            yes if agreement.is_synthetic else no
        ),
        str(meta.get_field("notes").verbose_name): agreement.notes,
    }


def part_label(kind: str, item: dict) -> str:
    """One part of a version in words: "Osaka University (School of Medicine), lead"."""
    if kind == "participants":
        name = f"{item['name']} ({item['unit']})" if item["unit"] else item["name"]
        return f"{name}, {_role_label(AgreementParticipant, item['role'])}"
    if kind == "partners":
        return f"{item['name']}, {_role_label(AgreementPartner, item['role'])}"
    if kind == "sources":
        words = [item["name"], item["identifier"], item["url"]]
        if item["retrieved_on"]:
            words.append(_("retrieved %(day)s") % {"day": item["retrieved_on"]})
        return " ".join(word for word in words if word)
    return item["name"]


def _role_label(model, role: str) -> str:
    return str(dict(model._meta.get_field("role").choices).get(role, role)).lower()


def part_items(entry) -> dict[str, list[str]]:
    """A version's parts in words, by label; empty if the entry predates them."""
    if entry.parts is None:
        return {}
    return {
        str(PART_LABELS[kind]): [
            part_label(kind, item) for item in entry.parts.get(kind, [])
        ]
        for kind in PART_KINDS
    }


# What makes a part the same part in two versions: its records by primary key, not
# their names, so renaming an institution changes none of its agreements' versions.
PART_KEYS = {
    "participants": ("id", "unit", "role"),
    "partners": ("id", "role"),
    "sources": ("id", "identifier", "url", "retrieved_on"),
    "disciplines": ("id",),
    "activities": ("id",),
}


def compare(older, newer, *, values=None) -> list[Difference]:
    """What differs from version ``older`` to version ``newer`` (any two entries of
    one agreement, in either order), fields first, then parts. Parts are compared
    only when both versions hold them. ``values``: field values already read, by
    history id."""
    values = values or {}
    before = values.get(older.history_id) or field_values(older)
    after = values.get(newer.history_id) or field_values(newer)
    differences = [
        Difference(label, before=before[label], after=value)
        for label, value in after.items()
        if before[label] != value
    ]
    if older.parts is None or newer.parts is None:
        return differences
    for kind, key in PART_KEYS.items():
        was = {_key(item, key): item for item in older.parts.get(kind, [])}
        now = {_key(item, key): item for item in newer.parts.get(kind, [])}
        removed = [part_label(kind, item) for k, item in was.items() if k not in now]
        added = [part_label(kind, item) for k, item in now.items() if k not in was]
        if removed or added:
            differences.append(
                Difference(str(PART_LABELS[kind]), removed=removed, added=added)
            )
    return differences


def _key(item: dict, names: tuple[str, ...]) -> tuple:
    return tuple(item[name] for name in names)


@dataclass
class Version:
    """A history entry with its number (1 for the first) and what it changed from
    the version before it (its parts too, where both hold them)."""

    entry: object  # a HistoricalAgreement
    number: int
    changes: list[Difference]
    parts_compared: bool = True


def versions_of(agreement: Agreement) -> list[Version]:
    """The agreement's versions, newest first, each compared with the one before:
    one query, each entry's fields read once."""
    entries = list(
        agreement.history.select_related(
            "history_user", "program", "import_batch"
        ).order_by("history_date", "history_id")
    )
    values = {entry.history_id: field_values(entry) for entry in entries}
    versions = []
    for number, entry in enumerate(entries, start=1):
        previous = entries[number - 2] if number > 1 else None
        versions.append(
            Version(
                entry=entry,
                number=number,
                changes=compare(previous, entry, values=values) if previous else [],
                parts_compared=previous is None
                or (previous.parts is not None and entry.parts is not None),
            )
        )
    return versions[::-1]


def version_numbers(agreement: Agreement) -> dict[int, int]:
    """Each history entry's version number (1 for the first), in one query."""
    ids = agreement.history.order_by("history_date", "history_id").values_list(
        "history_id", flat=True
    )
    return {history_id: number for number, history_id in enumerate(ids, start=1)}


def version_of(agreement: Agreement, history_id) -> Version | None:
    """One version of the agreement, numbered, without the comparison with the one
    before it (``changes`` empty); None if it has no such entry."""
    numbers = version_numbers(agreement)
    try:
        number = numbers[int(history_id)]
    except (KeyError, TypeError, ValueError):
        return None
    entry = agreement.history.select_related("history_user", "program").get(
        history_id=history_id
    )
    return Version(entry=entry, number=number, changes=[])


def current_version(agreement: Agreement) -> Version:
    """The agreement's newest version (``changes`` empty)."""
    newest = next(reversed(version_numbers(agreement)))
    return version_of(agreement, newest)

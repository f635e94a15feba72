"""Merging duplicate institutions into one, losing nothing."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    Agreement,
    AgreementParticipant,
    AliasKind,
    Institution,
    InstitutionAlias,
    InstitutionRedirect,
    Language,
    ParticipantRole,
)
from ..search import agreements_of, refresh_agreement_index
from .rows import with_reason
from .versions import fill_version_parts


@dataclass
class MergeSummary:
    survivor: Institution
    merged: list[str] = field(default_factory=list)
    participations_moved: int = 0
    participations_combined: int = 0
    aliases_added: int = 0
    identifiers_moved: int = 0
    campuses_moved: int = 0
    case_studies_moved: int = 0


ROLE_STRENGTH = {
    ParticipantRole.LEAD: 0,
    ParticipantRole.PARTNER: 1,
    ParticipantRole.MEMBER: 2,
}
FIELDS_FILLED_FROM_DUPLICATE = (
    "name_ja",
    "city",
    "region",
    "latitude",
    "longitude",
    "website",
    "research_classification",
    "enrollment_band",
    "parent",
)


def institutions_merge(
    *,
    survivor: Institution,
    duplicates: Sequence[Institution],
    user,
    reason: str = "",
) -> MergeSummary:
    """Fold duplicate records into ``survivor`` and delete them, losing nothing.

    Every participation, alias, identifier, campus and case-study link moves to the
    survivor; the duplicates' names become aliases; blank fields of the survivor are
    filled from them; their slugs redirect to the survivor; the history records who
    merged what (and ``reason``, why), on the survivor and on every agreement the
    merge touched.
    """
    if not user.has_perms(
        ["registry.change_institution", "registry.delete_institution"]
    ):
        raise PermissionDenied(
            _("Merging needs permission to change and delete institutions.")
        )
    duplicates = [dup for dup in duplicates if dup.pk != survivor.pk]
    if not duplicates:
        raise ValidationError(
            _("Choose at least one duplicate besides the institution to keep.")
        )
    for duplicate in duplicates:
        if duplicate.country != survivor.country:
            raise ValidationError(
                _(
                    "%(a)s and %(b)s are in different countries: they cannot be one "
                    "institution."
                )
                % {"a": survivor, "b": duplicate}
            )
    ancestor = survivor.parent
    while ancestor is not None:
        if ancestor.pk in {dup.pk for dup in duplicates}:
            raise ValidationError(
                _(
                    "%(system)s is the system %(campus)s belongs to, not a duplicate "
                    "of it."
                )
                % {"system": ancestor, "campus": survivor}
            )
        ancestor = ancestor.parent

    summary = MergeSummary(survivor=survivor)
    merged_pks = {duplicate.pk for duplicate in duplicates}
    with transaction.atomic():
        known_names = {survivor.name, survivor.name_ja} | set(
            survivor.aliases.values_list("name", flat=True)
        )
        # Each agreement a duplicate took part in gets a version naming the merge.
        touched = set(
            AgreementParticipant.objects.filter(institution__in=duplicates).values_list(
                "agreement_id", flat=True
            )
        )
        for duplicate in duplicates:
            _move_participations(duplicate, survivor, summary, user)
            for alias in duplicate.aliases.all():
                if alias.name in known_names:
                    alias.delete()
                    continue
                alias.institution = survivor
                alias.save()
                known_names.add(alias.name)
                summary.aliases_added += 1
            for name, language in (
                (duplicate.name, Language.EN),
                (duplicate.name_ja, Language.JA),
            ):
                if name and name not in known_names:
                    InstitutionAlias.objects.create(
                        institution=survivor,
                        name=name,
                        language=language,
                        kind=AliasKind.ALTERNATIVE,
                    )
                    known_names.add(name)
                    summary.aliases_added += 1
            summary.identifiers_moved += duplicate.identifiers.update(
                institution=survivor
            )
            for campus in duplicate.campuses.all():
                campus.parent = survivor
                campus._history_user = user
                campus._change_reason = _("System merged into %(name)s") % {
                    "name": survivor
                }
                campus.save()
                summary.campuses_moved += 1
            for case_study in duplicate.case_studies.all():
                case_study.institutions.remove(duplicate)
                case_study.institutions.add(survivor)
                summary.case_studies_moved += 1
            for field_name in FIELDS_FILLED_FROM_DUPLICATE:
                if getattr(survivor, field_name) in (None, "") and getattr(
                    duplicate, field_name
                ):
                    setattr(survivor, field_name, getattr(duplicate, field_name))
            if survivor.parent_id in merged_pks | {survivor.pk}:
                # The duplicate's system is itself merged away (or is the survivor).
                survivor.parent = None
            if duplicate.notes:
                survivor.notes = "\n\n".join(
                    filter(
                        None, [survivor.notes, f"[{duplicate.name}] {duplicate.notes}"]
                    )
                )
            duplicate.redirects.update(institution=survivor)
            InstitutionRedirect.objects.create(
                old_slug=duplicate.slug, institution=survivor
            )
            summary.merged.append(duplicate.name)
            duplicate._history_user = user
            duplicate._change_reason = _("Merged into %(name)s (#%(pk)s)") % {
                "name": survivor,
                "pk": survivor.pk,
            }
            duplicate.delete()
        survivor._history_user = user
        survivor._change_reason = with_reason(
            _("Merged in: %(names)s") % {"names": "; ".join(summary.merged)}, reason
        )
        survivor.save()
        note = with_reason(
            _("%(duplicates)s merged into %(survivor)s")
            % {"duplicates": "; ".join(summary.merged), "survivor": survivor},
            reason,
        )
        # One version each, written in bulk: a large university's merge touches
        # thousands.
        merged_at = timezone.now()
        Agreement.history.bulk_history_create(
            list(Agreement.objects.filter(pk__in=touched)),
            update=True,
            default_user=user,
            default_change_reason=note,
            default_date=merged_at,
        )
        fill_version_parts(
            Agreement.history.filter(id__in=touched, history_date=merged_at)
        )
        refresh_agreement_index(agreement_ids=agreements_of(institutions=[survivor]))
    return summary


def _move_participations(duplicate, survivor, summary, user) -> None:
    existing = {
        (row.agreement_id, row.unit): row for row in survivor.participations.all()
    }
    for participation in duplicate.participations.all():
        participation._history_user = user
        kept = existing.get((participation.agreement_id, participation.unit))
        if kept is None:
            participation.institution = survivor
            participation.save()
            summary.participations_moved += 1
            continue
        # Both records took part in the same agreement: one participation, the stronger
        # role.
        if ROLE_STRENGTH[participation.role] < ROLE_STRENGTH[kept.role]:
            kept.role = participation.role
            kept._history_user = user
            kept.save()
        participation.delete()
        summary.participations_combined += 1

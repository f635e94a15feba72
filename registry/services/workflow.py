"""The publication workflow: who may move a record to which state, and the move."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Agreement, PublicationState, SearchIndexVersion
from ..rules import check_saved_agreement

# Which states each move may start from. Publishing re-checks every rule on the saved
# record.
TRANSITIONS: dict[str, set[str]] = {
    PublicationState.IN_REVIEW: {PublicationState.DRAFT, PublicationState.WITHDRAWN},
    PublicationState.PUBLISHED: {
        PublicationState.DRAFT,
        PublicationState.IN_REVIEW,
        PublicationState.WITHDRAWN,
    },
    PublicationState.WITHDRAWN: {
        PublicationState.PUBLISHED,
        PublicationState.IN_REVIEW,
    },
    PublicationState.DRAFT: {PublicationState.IN_REVIEW, PublicationState.WITHDRAWN},
}
NEEDS_PUBLISH_PERMISSION = {PublicationState.PUBLISHED, PublicationState.WITHDRAWN}


def publish_permission(model) -> str:
    return f"{model._meta.app_label}.publish_{model._meta.model_name}"


def allowed_states(*, record, user) -> list[str]:
    """The states ``user`` may give ``record``: its own, and each move the workflow
    allows from it."""
    current = record.publication_state
    may_publish = user.has_perm(publish_permission(type(record)))
    return [
        state
        for state in PublicationState.values
        if state == current
        or (
            current in TRANSITIONS[state]
            and (may_publish or state not in NEEDS_PUBLISH_PERMISSION)
        )
    ]


def stamp_publication(record) -> None:
    """The first publication date is set once and kept through later withdrawals."""
    if (
        record.publication_state == PublicationState.PUBLISHED
        and not record.published_at
    ):
        record.published_at = timezone.now()


@dataclass
class TransitionResult:
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    refused: list[tuple[object, str]] = field(default_factory=list)


# Rules a record must meet, as saved, before it may be published.
PUBLICATION_CHECKS = {Agreement: check_saved_agreement}


def publication_move(
    *, records: Iterable, state: str, user, reason: str = ""
) -> TransitionResult:
    """Move agreements or case studies to a publication state, each checked and saved
    alone.

    A record already in that state is left alone; one that may not move, or that breaks
    a rule once published, is refused with the reason and left exactly as it was.
    Publishing and withdrawing need the model's ``publish_…`` permission.
    """
    records = list(records)
    result = TransitionResult()
    if not records:
        return result
    model = type(records[0])
    if state in NEEDS_PUBLISH_PERMISSION and not user.has_perm(
        publish_permission(model)
    ):
        raise PermissionDenied(
            _("You may not publish or withdraw %(things)s.")
            % {"things": model._meta.verbose_name_plural}
        )
    check = PUBLICATION_CHECKS.get(model)
    for record in records:
        if record.publication_state == state:
            result.unchanged.append(record)
            continue
        if record.publication_state not in TRANSITIONS[state]:
            result.refused.append(
                (
                    record,
                    _("a record in %(current)s cannot be moved to %(state)s.")
                    % {
                        "current": record.get_publication_state_display().lower(),
                        "state": PublicationState(state).label.lower(),
                    },
                )
            )
            continue
        previous = record.publication_state
        record.publication_state = state
        try:
            with transaction.atomic():
                if check is not None:
                    check(record)
                stamp_publication(record)
                if hasattr(record, "updated_by"):
                    record.updated_by = user
                record._history_user = user
                record._change_reason = reason or _("Moved to %(state)s") % {
                    "state": PublicationState(state).label.lower()
                }
                record.save()
        except ValidationError as error:
            record.publication_state = previous
            result.refused.append((record, " ".join(error.messages)))
        else:
            result.changed.append(record)
    if result.changed:
        SearchIndexVersion.bump(
            agreement_ids=[r.pk for r in result.changed if isinstance(r, Agreement)]
        )
    return result

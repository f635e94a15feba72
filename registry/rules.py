"""The rules that span an agreement and its participants and partners.

Field-level rules live in each model's ``clean()``. These need the whole agreement at
once, so every way of writing one (the admin's inlines, the API, imports, publishing)
describes what it is about to save and calls ``check_agreement_composition``.
"""

import copy
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import (
    Agreement,
    Classification,
    Country,
    Institution,
    Organization,
    PublicationState,
)


@dataclass(frozen=True)
class ProposedParticipant:
    institution: Institution
    unit: str = ""


def derive_classification(*, has_partners: bool) -> str:
    return Classification.CONSORTIUM if has_partners else Classification.COLLABORATIVE


def settle_classification(
    agreement: Agreement, *, saved: Agreement | None = None
) -> None:
    """Before the rules: a blank classification follows the partners
    (``check_agreement_composition`` derives it); so does one the curator has not
    chosen, while it is given back unchanged (a form, a sheet or an API client
    repeats what it was shown), so it is blanked. Any other value is the curator's
    choice, and ``classification_chosen`` says which it is. ``saved``: the agreement
    as stored, where the caller has it already (an import's plan); else it is read."""
    if saved is None and agreement.pk is not None:
        saved = (
            Agreement.objects.filter(pk=agreement.pk)
            .only("classification", "classification_chosen")
            .first()
        )
    if (
        saved is not None
        and not saved.classification_chosen
        and agreement.classification == saved.classification
    ):
        agreement.classification = ""
    agreement.classification_chosen = bool(agreement.classification)


def settled_copy(agreement: Agreement) -> Agreement:
    """A copy of ``agreement`` with its classification settled, for a check made
    before the write: the write service must see the classification as it was given,
    to know whether anybody chose it."""
    checked = copy.copy(agreement)
    settle_classification(checked)
    return checked


def check_agreement_composition(
    *,
    agreement: Agreement,
    participants: Iterable[ProposedParticipant],
    partners: Iterable[Organization],
    sources: int,
    require_scope: bool = False,
) -> None:
    """Raise ValidationError keyed by field if the agreement as proposed breaks a rule.

    ``sources``: how many source records it will have. A published agreement must be
    within the registry's scope (``scope_errors``); ``require_scope``: a draft too
    (imports: a row that can never be published is refused at once). A blank
    classification is derived from the partners and set on ``agreement``.
    """
    participants = list(participants)
    partners = list(partners)
    errors: dict[str, list[str]] = {}

    if not agreement.classification:
        agreement.classification = derive_classification(has_partners=bool(partners))
    if agreement.classification == Classification.CONSORTIUM and not partners:
        errors.setdefault("partners", []).append(
            _(
                "A consortium agreement needs at least one non-higher-education "
                "partner (government, NGO or industry). Add one, or classify the "
                "agreement as collaborative."
            )
        )
    if agreement.classification == Classification.COLLABORATIVE and partners:
        errors.setdefault("partners", []).append(
            _(
                "A collaborative agreement is between higher-education institutions "
                "only, but it lists %(names)s. Classify it as consortium, or remove "
                "the partners."
            )
            % {"names": ", ".join(sorted({str(partner) for partner in partners}))}
        )

    repeated = [
        participant for participant, count in Counter(participants).items() if count > 1
    ]
    if repeated:
        errors.setdefault("participants", []).append(
            _("%(names)s is listed more than once with the same unit.")
            % {"names": ", ".join(str(p.institution) for p in repeated)}
        )

    published = agreement.publication_state == PublicationState.PUBLISHED
    if published or require_scope:
        scope = scope_errors(participants=participants, partners=partners)
        if scope:
            errors.setdefault("participants", []).extend(scope)
    if published and not sources:
        errors.setdefault("sources", []).append(
            _(
                "A published agreement needs at least one source record: where "
                "the registry learned of it (an award, a university page, a "
                "survey). Add one, or keep the agreement unpublished."
            )
        )

    if errors:
        raise ValidationError(errors)


def scope_errors(
    *, participants: list[ProposedParticipant], partners: list[Organization]
) -> list[str]:
    """Why an agreement is outside the registry's definition, a partnership between
    U.S. and Japanese higher-education institutions (none if it is within): the
    country with no higher-education participant, and the partner organizations of
    that country, which may have been taken for one."""
    countries = {participant.institution.country for participant in participants}
    messages = []
    for country, label in (
        (Country.US, pgettext("country", "U.S.")),
        (Country.JP, pgettext("country", "Japanese")),
    ):
        if country in countries:
            continue
        messages.append(
            _(
                "The registry holds partnerships between U.S. and Japanese "
                "higher-education institutions: an agreement needs at least one "
                "%(missing)s higher-education participant, and this one has none."
            )
            % {"missing": label}
        )
        messages.extend(
            _(
                "“%(name)s” is a partner organization (%(sector)s), not a "
                "higher-education institution: it cannot stand for one."
            )
            % {"name": partner.name, "sector": partner.get_sector_display()}
            for partner in partners
            if partner.country == country
        )
    if messages and partners and countries:
        messages.append(
            _(
                "An agreement between higher education of one country and "
                "government or industry of the other is unilateral: the study does "
                "not count it."
            )
        )
    return messages


def check_saved_agreement(agreement: Agreement) -> None:
    """The same rules, applied to an agreement as it stands in the database."""
    check_agreement_composition(
        agreement=agreement,
        participants=[
            ProposedParticipant(institution=row.institution, unit=row.unit)
            for row in agreement.participants.select_related("institution")
        ],
        partners=[
            row.organization
            for row in agreement.partners.select_related("organization")
        ],
        sources=agreement.sources.count(),
    )

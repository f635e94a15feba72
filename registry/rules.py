"""The rules that span an agreement and its participants and partners.

Field-level rules live in each model's ``clean()``. These need the whole agreement at
once, so every way of writing one (the admin's inlines, the API, imports, publishing)
describes what it is about to save and calls ``check_agreement_composition``.
"""

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


def check_agreement_composition(
    *,
    agreement: Agreement,
    participants: Iterable[ProposedParticipant],
    partners: Iterable[Organization],
) -> None:
    """Raise ValidationError keyed by field if the agreement as proposed breaks a rule.

    A blank classification is derived from the partners and set on ``agreement``.
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

    if agreement.publication_state == PublicationState.PUBLISHED:
        countries = {participant.institution.country for participant in participants}
        missing = [
            label
            for country, label in (
                (Country.US, pgettext("country", "U.S.")),
                (Country.JP, pgettext("country", "Japanese")),
            )
            if country not in countries
        ]
        if missing:
            message = _(
                "A published agreement needs at least one %(missing)s higher-education "
                "participant; this one has none."
            ) % {"missing": _(" and at least one ").join(missing)}
            if partners and len(missing) == 1:
                message += " " + _(
                    "An agreement between higher education of one country and "
                    "government or industry of the other is unilateral: the study does "
                    "not count it."
                )
            errors.setdefault("participants", []).append(message)

    if errors:
        raise ValidationError(errors)


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
    )

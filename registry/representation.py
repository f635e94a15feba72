"""An agreement as the public sees it, defined once: the API shows this
representation, exports flatten it into the agreement sheet's columns, and pages list
participants and partners in the same order (``participant_order``).
"""

from rest_framework.fields import DateTimeField

from .models import (
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    SourceRecord,
    participant_order,
    partner_order,
)

DATE_TIME = DateTimeField()


def public_agreement(agreement, relations, *, url: str = "", api_url: str = "") -> dict:
    """What the public sees of an agreement (``relations``: an AgreementRelations
    holding it); ``url`` and ``api_url`` are its page and API addresses."""
    return {
        "public_id": agreement.public_id,
        "url": url,
        "api_url": api_url,
        "title": agreement.title,
        "title_ja": agreement.title_ja,
        "summary": agreement.summary,
        "classification": agreement.classification,
        "status": agreement.current_status,
        "start": agreement.start_display,
        "start_precision": agreement.start_precision,
        "end": agreement.end_display,
        "end_precision": agreement.end_precision,
        "funding": None
        if agreement.funding_amount is None
        else {
            "amount": f"{agreement.funding_amount:.2f}",
            "currency": agreement.funding_currency,
        },
        "program": _named(agreement.program) if agreement.program else None,
        "disciplines": relations.disciplines.get(agreement.pk, []),
        "activities": relations.activities.get(agreement.pk, []),
        "participants": sorted(
            relations.participants.get(agreement.pk, []),
            key=lambda p: participant_order(
                country=p["institution"]["country"],
                role=p["role"],
                name=p["institution"]["name"],
            ),
        ),
        "partners": sorted(
            relations.partners.get(agreement.pk, []),
            key=lambda p: partner_order(name=p["organization"]["name"]),
        ),
        "sources": relations.sources.get(agreement.pk, []),
        "is_synthetic": agreement.is_synthetic,
        "updated_at": DATE_TIME.to_representation(agreement.updated_at),
    }


def _ref(prefix: str, *extra: str) -> dict:
    """A named record seen through a foreign key: slug, names and ``extra``."""
    return {name: f"{prefix}__{name}" for name in ("slug", "name", "name_ja", *extra)}


def _iso(day):
    return day.isoformat() if day else None


# What agreements show beyond their own columns: each relation's rows (ordered where
# the order is the relation's own) and the shape of each row, whose leaves are the
# fields read (or a field and how to show it).
RELATIONS = {
    "participants": (
        AgreementParticipant.objects.all(),
        {"institution": _ref("institution", "country"), "role": "role", "unit": "unit"},
    ),
    "partners": (
        AgreementPartner.objects.all(),
        {"organization": _ref("organization", "sector", "country"), "role": "role"},
    ),
    # Disciplines and activities in the order of their models' Meta.ordering.
    "disciplines": (
        Agreement.disciplines.through.objects.order_by("discipline__name"),
        {**_ref("discipline"), "field": "discipline__parent__slug"},
    ),
    "activities": (
        Agreement.activity_types.through.objects.order_by(
            "activitytype__position", "activitytype__name"
        ),
        _ref("activitytype"),
    ),
    "sources": (
        SourceRecord.objects.order_by("pk"),
        {
            "source": _ref("data_source"),
            "identifier": "source_identifier",
            "url": "url",
            "retrieved_on": ("retrieved_on", _iso),
        },
    ),
}


class AgreementRelations:
    """What agreements show beyond their own columns and program, ready to show:
    each of RELATIONS by agreement id (``relations.participants[pk]``…).

    One query each, read as values: model instances and Django's per-agreement
    prefetch querysets were two-thirds of a 100-row page (30 ms at 100,000
    agreements). Participants and partners are put in order in Python
    (``public_agreement``): ordering them in SQL by institution name made PostgreSQL
    walk every institution's participations (0.3 s a page).
    """

    def __init__(self, agreement_ids):
        ids = list(agreement_ids)
        for name, (rows, shape) in RELATIONS.items():
            fields = list(_fields(shape))
            by_agreement: dict[int, list] = {}
            for agreement_id, *values in rows.filter(agreement_id__in=ids).values_list(
                "agreement_id", *fields
            ):
                by_agreement.setdefault(agreement_id, []).append(
                    _shaped(shape, iter(values))
                )
            setattr(self, name, by_agreement)


def _fields(shape: dict):
    for leaf in shape.values():
        if isinstance(leaf, dict):
            yield from _fields(leaf)
        else:
            yield leaf if isinstance(leaf, str) else leaf[0]


def _shaped(shape: dict, values) -> dict:
    row = {}
    for key, leaf in shape.items():
        if isinstance(leaf, dict):
            row[key] = _shaped(leaf, values)
        elif isinstance(leaf, str):
            row[key] = next(values)
        else:
            row[key] = leaf[1](next(values))
    return row


def _named(record) -> dict:
    return {"slug": record.slug, "name": record.name, "name_ja": record.name_ja}

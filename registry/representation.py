"""An agreement as the public sees it, defined once: the API shows this
representation, exports flatten it into the agreement sheet's columns, and pages list
participants and partners in the same order (``participant_order``).
"""

from array import array
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from .dates import format_partial_date
from .models import (
    ActivityType,
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    DataSource,
    Discipline,
    Institution,
    Organization,
    SourceRecord,
    format_public_id,
    participant_order,
    partner_order,
    status_on,
)

# An agreement's own columns that its representation shows, read as flat values
# (``agreement_rows``): model instances were a quarter of an export's time.
OWN_COLUMNS = (
    "id",
    "title",
    "title_ja",
    "summary",
    "classification",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "funding_amount",
    "funding_currency",
    "is_synthetic",
    "updated_at",
)
PROGRAM_COLUMNS = ("program__slug", "program__name", "program__name_ja")


class AddressOf:
    """An agreement's address (its page, or its API record) for any public ID, from
    one reverse(): reversing per agreement cost a fifth of an export. ``prefix`` makes
    it absolute."""

    SAMPLE = "USJP-000000"

    def __init__(self, view: str, *, prefix: str = ""):
        url = prefix + reverse(view, kwargs={"public_id": self.SAMPLE})
        self.before, _sample, self.after = url.rpartition(self.SAMPLE)

    def __call__(self, public_id: str) -> str:
        return self.before + public_id + self.after


def agreement_rows(queryset):
    """The agreements of ``queryset`` as the flat rows ``public_agreement`` reads
    (``OWN_COLUMNS`` and ``program``), with their program joined in."""
    for values in queryset.values_list(*OWN_COLUMNS, *PROGRAM_COLUMNS):
        row = dict(zip(OWN_COLUMNS, values, strict=False))
        slug, name, name_ja = values[len(OWN_COLUMNS) :]
        row["program"] = (
            {"slug": slug, "name": name, "name_ja": name_ja} if slug else None
        )
        yield row


def agreement_row(agreement) -> dict:
    """The same row from an agreement already read (an API page's)."""
    row = {column: getattr(agreement, column) for column in OWN_COLUMNS}
    row["program"] = _named(agreement.program) if agreement.program else None
    return row


def public_agreement(
    row: dict, relations, *, url: str = "", api_url: str = "", today=None
) -> dict:
    """What the public sees of an agreement (``row``: its flat row, ``agreement_rows``
    or ``agreement_row``; ``relations``: an AgreementRelations holding it); ``url`` and
    ``api_url`` are its page and API addresses, ``today`` the day its status is for."""
    pk = row["id"]
    amount = row["funding_amount"]
    return {
        "public_id": format_public_id(pk),
        "url": url,
        "api_url": api_url,
        "title": row["title"],
        "title_ja": row["title_ja"],
        "summary": row["summary"],
        "classification": row["classification"],
        "status": status_on(
            today or timezone.localdate(), row["start_date"], row["end_date"]
        ),
        "start": format_partial_date(row["start_date"], row["start_precision"]),
        "start_precision": row["start_precision"],
        "end": format_partial_date(row["end_date"], row["end_precision"]),
        "end_precision": row["end_precision"],
        "funding": None
        if amount is None
        else {"amount": f"{amount:.2f}", "currency": row["funding_currency"]},
        "program": row["program"],
        "disciplines": relations.disciplines.get(pk, []),
        "activities": relations.activities.get(pk, []),
        "participants": sorted(
            relations.participants.get(pk, []),
            key=lambda p: participant_order(
                country=p["institution"]["country"],
                role=p["role"],
                name=p["institution"]["name"],
            ),
        ),
        "partners": sorted(
            relations.partners.get(pk, []),
            key=lambda p: partner_order(name=p["organization"]["name"]),
        ),
        "sources": relations.sources.get(pk, []),
        "is_synthetic": row["is_synthetic"],
        "updated_at": relations.moment(row["updated_at"]),
    }


@dataclass(frozen=True)
class Ref:
    """A named record a row points to (``key``: its foreign key), shown as these
    fields of its model: read once per record, the same dict in every row."""

    key: str
    model: type
    fields: tuple = ("slug", "name", "name_ja")
    extra: tuple = ()  # (shown as, read from) beyond the fields

    def read(self, pks) -> dict:
        paths = [*self.fields, *(path for _name, path in self.extra)]
        names = [*self.fields, *(name for name, _path in self.extra)]
        return {
            pk: dict(zip(names, values, strict=True))
            for pk, *values in self.model.objects.filter(pk__any_of=pks).values_list(
                "pk", *paths
            )
        }


def _iso(day):
    return day.isoformat() if day else None


# What agreements show beyond their own columns: each relation's rows (ordered where
# the order is the relation's own) and the shape of each row, whose leaves are the
# fields read (or a field and how to show it, or a Ref); a Ref alone is the row.
RELATIONS = {
    "participants": (
        AgreementParticipant.objects.all(),
        {
            "institution": Ref(
                "institution", Institution, extra=(("country", "country"),)
            ),
            "role": "role",
            "unit": "unit",
        },
    ),
    "partners": (
        AgreementPartner.objects.all(),
        {
            "organization": Ref(
                "organization",
                Organization,
                extra=(("sector", "sector"), ("country", "country")),
            ),
            "role": "role",
        },
    ),
    # Disciplines and activities in the order of their models' Meta.ordering.
    "disciplines": (
        Agreement.disciplines.through.objects.order_by("discipline__name"),
        Ref("discipline", Discipline, extra=(("field", "parent__slug"),)),
    ),
    "activities": (
        Agreement.activity_types.through.objects.order_by(
            "activitytype__position", "activitytype__name"
        ),
        Ref("activitytype", ActivityType),
    ),
    "sources": (
        SourceRecord.objects.order_by("pk"),
        {
            "source": Ref("data_source", DataSource),
            "identifier": "source_identifier",
            "url": "url",
            "retrieved_on": ("retrieved_on", _iso),
        },
    ),
}


def _compiled(shape, *, joined: bool):
    """The fields a shape reads, its Refs, and a function building a row from the
    fields' values and the Refs' records (``r[k][pk]``): written out once as Python,
    since walking the shape for every row cost a sixth of an export. ``joined``
    reads a Ref's fields through the foreign key in the same query instead."""
    fields, refs, converters = [], [], {}

    def read(path) -> str:
        fields.append(path)
        return f"v[{len(fields) - 1}]"

    def source(node) -> str:
        if isinstance(node, Ref) and joined:
            shown = [*((name, name) for name in node.fields), *node.extra]
            items = (f"{name!r}: {read(f'{node.key}__{path}')}" for name, path in shown)
            return "{" + ", ".join(items) + "}"
        if isinstance(node, Ref):
            refs.append((node, len(fields)))
            return f"r[{len(refs) - 1}][{read(f'{node.key}_id')}]"
        if isinstance(node, str):
            return read(node)
        if isinstance(node, tuple):
            converters[f"c{len(fields)}"] = node[1]
            return f"c{len(fields)}({read(node[0])})"
        items = (f"{key!r}: {source(leaf)}" for key, leaf in node.items())
        return "{" + ", ".join(items) + "}"

    body = source(shape)
    build = eval(f"lambda v, r: {body}", converters)  # noqa: S307 (our constants)
    return fields, refs, build


# Each relation compiled both ways: its named records joined in (a page of the API,
# fewest queries) or looked up from NamedRecords (an export, fewest rows read).
SHAPES = {
    joined: {
        name: _compiled(shape, joined=joined)
        for name, (_rows, shape) in RELATIONS.items()
    }
    for joined in (True, False)
}


class NamedRecords:
    """The named records rows point to, read as needed and kept: an export passes
    one for all its chunks."""

    def __init__(self):
        self.known = {}  # Ref -> {pk: dict}

    def of(self, ref: Ref, pks) -> dict:
        known = self.known.setdefault(ref, {})
        missing = set(pks) - known.keys()
        if missing:
            known.update(ref.read(array("q", missing)))
        return known


class AgreementRelations:
    """What agreements show beyond their own columns and program, ready to show:
    each of RELATIONS by agreement id (``relations.participants[pk]``…).

    One query each, read as values, with the named records they point to joined in,
    or, given ``names`` (an export), read from it, which reads each record once:
    model instances and Django's per-agreement
    prefetch querysets were two-thirds of a 100-row page (30 ms at 100,000
    agreements). Participants and partners are put in order in Python
    (``public_agreement``): ordering them in SQL by institution name made PostgreSQL
    walk every institution's participations (0.3 s a page).
    """

    def __init__(self, agreement_ids, *, names: NamedRecords | None = None):
        # An array, not a list: Django walks a list's values one by one.
        ids = array("q", agreement_ids)
        self.zone = timezone.get_current_timezone()
        for name, (rows, _shape) in RELATIONS.items():
            fields, refs, build = SHAPES[names is None][name]
            values = list(
                rows.filter(agreement__any_of=ids).values_list("agreement_id", *fields)
            )
            records = [
                names.of(ref, {row[1 + column] for row in values})
                for ref, column in refs
            ]
            by_agreement: dict[int, list] = {}
            for agreement_id, *row in values:
                by_agreement.setdefault(agreement_id, []).append(build(row, records))
            setattr(self, name, by_agreement)

    def moment(self, value) -> str:
        """A time as the API writes it (DRF's DateTimeField: ISO 8601 in the current
        time zone, UTC as Z), with the zone read once for all the rows."""
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


def _named(record) -> dict:
    return {"slug": record.slug, "name": record.name, "name_ja": record.name_ja}

"""Facet counts: for each filter, how many results each of its options would give under
the other filters of the current search.

Counting uses the same facet index the filters use (registry.search), so a count is
exactly the number of results its link leads to.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from .models import (
    ActivityType,
    AgreementFacet,
    Classification,
    DataSource,
    Dimension,
    Discipline,
    Institution,
    InstitutionType,
    Organization,
    Program,
    Region,
    Sector,
    Status,
)
from .search import INSTITUTION_TYPE_CODES, SECTOR_CODES

# Long lists show their largest options; the chosen ones are always shown.
TOP_OPTIONS = {"us_institution": 12, "jp_institution": 12, "organization": 12}


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)

    @property
    def selected_count(self) -> int:
        return sum(option.selected for option in self.options)


# name -> (dimension, model, the attribute a URL names it by)
MODEL_FACETS = {
    "discipline": (Dimension.DISCIPLINE, Discipline, "slug"),
    "activity": (Dimension.ACTIVITY, ActivityType, "slug"),
    "us_state": (Dimension.US_STATE, Region, "code"),
    "jp_prefecture": (Dimension.JP_PREFECTURE, Region, "slug"),
    "organization": (Dimension.ORGANIZATION, Organization, "slug"),
    "program": (Dimension.PROGRAM, Program, "slug"),
    "source": (Dimension.SOURCE, DataSource, "slug"),
    "us_institution": (Dimension.US_INSTITUTION, Institution, "slug"),
    "jp_institution": (Dimension.JP_INSTITUTION, Institution, "slug"),
}
# name -> (dimension, choices, value -> code)
CHOICE_FACETS = {
    "institution_type": (
        Dimension.INSTITUTION_TYPE,
        InstitutionType,
        INSTITUTION_TYPE_CODES,
    ),
    "sector": (Dimension.SECTOR, Sector, SECTOR_CODES),
}


def agreement_facets(filterset, queryset) -> list[Facet]:
    """Each facet of ``filterset.FACETS`` over ``queryset``, the visible agreements."""
    cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
    facets = []
    for name in filterset.FACETS:
        base = filterset.filter_queryset(queryset, without={name, "sort"})
        chosen = cleaned.get(name) or []
        label = filterset.filters[name].label
        if name == "classification":
            facets.append(_classification(base, chosen, label))
        elif name == "status":
            facets.append(_status(base, chosen, label))
        elif name in CHOICE_FACETS:
            facets.append(_choices(name, base, chosen, label))
        else:
            facets.append(_records(name, base, chosen, label))
    return facets


def dimension_counts(dimension, base) -> dict[int, int]:
    """How many agreements of ``base`` each value of a dimension has."""
    rows = (
        AgreementFacet.objects.filter(
            dimension=dimension, agreement__in=base.values("pk")
        )
        .values("value")
        .annotate(n=Count("agreement_id"))
        .order_by()
    )
    return {row["value"]: row["n"] for row in rows}


def _classification(base, chosen, label) -> Facet:
    counts = {
        row["classification"]: row["n"]
        for row in base.values("classification").annotate(n=Count("pk")).order_by()
    }
    return Facet(
        "classification",
        label,
        [
            FacetOption(value, text, counts.get(value, 0), value in chosen)
            for value, text in Classification.choices
            if counts.get(value) or value in chosen
        ],
    )


def _status(base, chosen, label) -> Facet:
    today = timezone.localdate()
    started = Q(start_date__isnull=True) | Q(start_date__lte=today)
    running = Q(end_date__isnull=True) | Q(end_date__gte=today)
    counts = base.aggregate(
        upcoming=Count("pk", filter=Q(start_date__gt=today)),
        active=Count("pk", filter=started & running),
        ended=Count("pk", filter=Q(end_date__lt=today) & ~Q(start_date__gt=today)),
    )
    return Facet(
        "status",
        label,
        [
            FacetOption(value, text, counts[value], value in chosen)
            for value, text in Status.choices
            if counts[value] or value in chosen
        ],
    )


def _choices(name, base, chosen, label) -> Facet:
    dimension, choices, codes = CHOICE_FACETS[name]
    counts = dimension_counts(dimension, base)
    options = [
        FacetOption(value, text, counts.get(codes[value], 0), value in chosen)
        for value, text in choices.choices
        if counts.get(codes[value]) or value in chosen
    ]
    return Facet(name, label, options)


def _records(name, base, chosen, label) -> Facet:
    dimension, model, key = MODEL_FACETS[name]
    counts = dimension_counts(dimension, base)
    chosen_ids = {record.pk for record in chosen}
    shown = set(counts)
    if name in TOP_OPTIONS:
        shown = set(sorted(counts, key=lambda pk: -counts[pk])[: TOP_OPTIONS[name]])
    records = list(model.objects.filter(pk__in=shown | chosen_ids))
    if model is Discipline:
        fields = {
            record.pk: record for record in Discipline.objects.filter(parent=None)
        }

        def order(record):
            # Each field, then its subfields, so the list reads as a tree.
            field_name = (
                fields[record.parent_id].name if record.parent_id else record.name
            )
            return (field_name, record.parent_id is not None, -counts.get(record.pk, 0))

    elif model is ActivityType:

        def order(record):
            return (record.position, record.name)

    else:

        def order(record):
            return (-counts.get(record.pk, 0), record.name)

    return Facet(
        name,
        label,
        [
            FacetOption(
                getattr(record, key),
                record.display_name,
                counts.get(record.pk, 0),
                record.pk in chosen_ids,
                depth=1 if model is Discipline and record.parent_id else 0,
            )
            for record in sorted(records, key=order)
        ],
    )

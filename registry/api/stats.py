"""Agreements counted by one key or a pair of keys, under any search: the stats
endpoint and the charts both read this module.

Published agreements are counted by the in-memory engine (registry.engine), a few
milliseconds at 100,000 agreements; a staff view that includes unpublished records
counts the FilterSet's query in SQL over the same facet rows. Either way a key's value
is what its filter parameter takes (a slug, a USPS code, a sector), so each group links
to its search, and the total is the count of the list under the same filters.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from ..engine import published_index
from ..models import (
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
from ..search import INSTITUTION_TYPE_CODES, SECTOR_CODES


@dataclass(frozen=True)
class Key:
    """A way of grouping agreements: by a facet dimension or a column."""

    name: str
    dimension: int | None = None  # None: a column of the agreement itself
    model: type | None = None
    key_field: str = "slug"  # what the filter parameter of the same name takes
    codes: dict | None = None  # choice value -> facet code
    choices: type | None = None


KEYS = {
    key.name: key
    for key in (
        Key("classification", choices=Classification),
        Key("status", choices=Status),
        Key("start_year"),
        Key("discipline", Dimension.DISCIPLINE, Discipline),
        Key("activity", Dimension.ACTIVITY, ActivityType),
        Key("us_institution", Dimension.US_INSTITUTION, Institution),
        Key("jp_institution", Dimension.JP_INSTITUTION, Institution),
        Key("us_state", Dimension.US_STATE, Region, key_field="code"),
        Key("jp_prefecture", Dimension.JP_PREFECTURE, Region),
        Key(
            "institution_type",
            Dimension.INSTITUTION_TYPE,
            codes=INSTITUTION_TYPE_CODES,
            choices=InstitutionType,
        ),
        Key("organization", Dimension.ORGANIZATION, Organization),
        Key("sector", Dimension.SECTOR, codes=SECTOR_CODES, choices=Sector),
        Key("program", Dimension.PROGRAM, Program),
        Key("source", Dimension.SOURCE, DataSource),
    )
}
# Pairs of keys counted together (the U.S. × Japan pairing table).
PAIRS = {("us_institution", "jp_institution")}
UNKNOWN = _("Unknown")


class UnknownKey(ValueError):
    pass


@dataclass
class Group:
    key: object
    label: str
    count: int


@dataclass
class Stats:
    total: int
    group_by: list[str]
    groups: list[dict] = field(default_factory=list)


def parse_group_by(text: str) -> list[str]:
    """``discipline`` or ``us_institution,jp_institution``; raise UnknownKey."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    if len(names) == 1 and names[0] in KEYS:
        return names
    if len(names) == 2 and tuple(names) in PAIRS:
        return names
    raise UnknownKey(
        _("group_by takes one of %(keys)s, or the pair %(pairs)s.")
        % {
            "keys": ", ".join(KEYS),
            "pairs": "; ".join(",".join(pair) for pair in sorted(PAIRS)),
        }
    )


def agreement_stats(*, filterset, group_by: list[str], published_only: bool) -> Stats:
    """The total of the search and its agreements counted by ``group_by``.

    ``filterset`` is a valid AgreementFilterSet; with ``published_only`` it is read by
    the engine, otherwise its query is counted in SQL.
    """
    if published_only:
        total, counts = _engine_counts(filterset, group_by)
    else:
        total, counts = _sql_counts(filterset, group_by)
    keys = [KEYS[name] for name in group_by]
    if len(keys) == 2:
        labels = [
            _labels(key, {value[position] for value in counts})
            for position, key in enumerate(keys)
        ]
    else:
        labels = [_labels(keys[0], counts)]
    groups = []
    for value, count in counts.items():
        if len(keys) == 1:
            shown = labels[0].get(value)
            if shown is None:
                continue  # a record deleted since the index was built
            groups.append({"key": shown[0], "label": shown[1], "count": count})
        else:
            first, second = labels[0].get(value[0]), labels[1].get(value[1])
            if first is None or second is None:
                continue
            groups.append(
                {
                    "key": [first[0], second[0]],
                    "label": [first[1], second[1]],
                    "count": count,
                }
            )
    groups.sort(key=lambda group: (-group["count"], str(group["label"])))
    return Stats(total=total, group_by=group_by, groups=groups)


def _engine_counts(filterset, group_by):
    index = published_index()
    keep = index.matching(filterset.criteria())
    total = int(keep.sum())
    if len(group_by) == 2:
        first, second = (KEYS[name].dimension for name in group_by)
        return total, index.count_pairs(first, second, keep)
    key = KEYS[group_by[0]]
    if key.name == "classification":
        counts = index.count_classification(keep)
    elif key.name == "status":
        counts = index.count_status(keep)
    elif key.name == "start_year":
        counts = index.count_start_year(keep)
    else:
        counts = index.count_dimension(key.dimension, keep)
    return total, {value: count for value, count in counts.items() if count}


def _sql_counts(filterset, group_by):
    queryset = filterset.qs.order_by()
    ids = queryset.values("pk")
    total = queryset.count()
    if len(group_by) == 2:
        first, second = (KEYS[name].dimension for name in group_by)
        rows = AgreementFacet.objects.filter(
            agreement_id__in=ids, dimension=first
        ).values_list("agreement_id", "value")
        by_agreement: dict[int, list[int]] = {}
        for agreement_id, value in rows:
            by_agreement.setdefault(agreement_id, []).append(value)
        counts: Counter = Counter()
        for agreement_id, value in AgreementFacet.objects.filter(
            agreement_id__in=ids, dimension=second
        ).values_list("agreement_id", "value"):
            for other in by_agreement.get(agreement_id, ()):
                counts[(other, value)] += 1
        return total, dict(counts)
    key = KEYS[group_by[0]]
    if key.name == "classification":
        rows = queryset.values_list("classification").annotate(n=Count("pk"))
    elif key.name == "status":
        rows = queryset.with_status().values_list("status").annotate(n=Count("pk"))
    elif key.name == "start_year":
        rows = (
            queryset.annotate(year=ExtractYear("start_date"))
            .values_list("year")
            .annotate(n=Count("pk"))
        )
    else:
        rows = (
            AgreementFacet.objects.filter(agreement_id__in=ids, dimension=key.dimension)
            .values_list("value")
            .annotate(n=Count("agreement_id"))
        )
    return total, {value: count for value, count in rows if count}


def _labels(key: Key, values) -> dict:
    """value -> (key as its filter parameter takes it, label)."""
    values = set(values)
    if key.name == "start_year":
        return {
            value: (value, str(value) if value else str(UNKNOWN)) for value in values
        }
    if key.codes is not None:
        value_of = {code: value for value, code in key.codes.items()}
        return {
            code: (value_of[code], str(key.choices(value_of[code]).label))
            for code in values
            if code in value_of
        }
    if key.choices is not None:
        return {
            value: (value, str(key.choices(value).label))
            for value in values
            if value in key.choices.values
        }
    records = key.model.objects.filter(pk__in=values).only("pk", "name", key.key_field)
    return {
        record.pk: (getattr(record, key.key_field), record.name) for record in records
    }

"""Agreements counted by one key or a pair of keys, under any search: the stats
endpoint and the charts both read this module.

Published agreements are counted by the in-memory engine (registry.engine), a few
milliseconds at 100,000 agreements; a staff view that includes unpublished records
counts the FilterSet's query in SQL over the same facet rows. Either way a key's value
is what its filter parameter takes (a slug, a USPS code, a sector), so each group links
to its search, and the total is the count of the list under the same filters.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils.translation import get_language
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
# What ``group_by`` takes, exactly: a key, or a pair as "first,second".
GROUP_BY_VALUES = [*KEYS, *(",".join(pair) for pair in sorted(PAIRS))]
UNKNOWN = _("Unknown")


class UnknownKey(ValueError):
    pass


class Groups(Sequence):
    """The groups, most agreements first, kept as columns rather than a dict each:
    the pairing table has some 20,000 groups, and building, then writing, a dict a
    group cost several times what counting them does. The API writes their JSON
    straight from the columns (registry.api.renderers).

    ``members[k]`` holds the distinct (key, label) of the k-th name of group_by, and
    group i is ``members[k][indices[k][i]]`` for each k, counted ``counts[i]``.
    """

    def __init__(self, members: list[list[tuple]], indices: list[list[int]], counts):
        self.members = members
        self.indices = indices
        self.counts = counts

    def __len__(self):
        return len(self.counts)

    def window(self, offset: int, limit: int) -> "Groups":
        """Groups ``offset`` to ``offset + limit`` (a page of them)."""
        end = offset + limit
        return Groups(
            members=self.members,
            indices=[indices[offset:end] for indices in self.indices],
            counts=self.counts[offset:end],
        )

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(len(self))[position]]
        parts = [
            members[indices[position]]
            for members, indices in zip(self.members, self.indices, strict=True)
        ]
        if len(parts) == 1:
            key, label = parts[0]
        else:
            key, label = [part[0] for part in parts], [part[1] for part in parts]
        return {"key": key, "label": label, "count": self.counts[position]}


@dataclass
class Stats:
    total: int
    group_by: list[str]
    groups: Groups
    # Set by page(): the groups shown are a window of group_count.
    group_count: int | None = None
    offset: int = 0
    limit: int | None = None
    next: str | None = None
    previous: str | None = None

    def page(self, *, offset: int, limit: int, link) -> "Stats":
        """Groups ``offset`` to ``offset + limit``, with the number of all of them and
        the links (``link(offset)``) to the pages before and after."""
        count = len(self.groups)
        return Stats(
            total=self.total,
            group_by=self.group_by,
            groups=self.groups.window(offset, limit),
            group_count=count,
            offset=offset,
            limit=limit,
            next=link(offset + limit) if offset + limit < count else None,
            previous=link(max(offset - limit, 0)) if offset > 0 else None,
        )

    def head(self) -> dict:
        """Everything but the groups, in the order the JSON writes them."""
        head = {"total": self.total, "group_by": self.group_by}
        if self.group_count is not None:
            head |= {
                "group_count": self.group_count,
                "offset": self.offset,
                "limit": self.limit,
                "next": self.next,
                "previous": self.previous,
            }
        return head

    def as_dict(self) -> dict:
        return {**self.head(), "groups": list(self.groups)}


def parse_group_by(text: str) -> list[str]:
    """``discipline`` or ``us_institution,jp_institution``, exactly (one of
    GROUP_BY_VALUES); raise UnknownKey."""
    if text in GROUP_BY_VALUES:
        return text.split(",")
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
    the engine, otherwise its query is counted in SQL. Groups come most agreements
    first, then by ``str(label)``.
    """
    if published_only:
        total, columns, counts = _engine_counts(filterset, group_by)
    else:
        total, columns, counts = _sql_counts(filterset, group_by)
    counts = np.asarray(counts, dtype=np.int64)
    shown = np.ones(len(counts), dtype=bool)
    members, indices, ranks = [], [], []
    for name, values in zip(group_by, columns, strict=True):
        distinct, index = _distinct(values)
        labels = _labels(KEYS[name], distinct)
        found = [labels.get(value) for value in distinct]
        # A record deleted since the index was built has no label: not shown.
        shown &= np.array([member is not None for member in found], dtype=bool)[index]
        members.append(found)
        indices.append(index)
        # The label's str() among equal counts. For a pair that is str([a, b]), that
        # is "[" + repr(a) + ", " + repr(b) + "]"; no repr is the start of another
        # (each ends at its closing quote), so it orders as (repr(a), repr(b)).
        text = str if len(group_by) == 1 else repr
        texts = ["" if member is None else text(member[1]) for member in found]
        ranks.append(_dense_ranks(texts)[index])
    # Stable, as sorting the groups themselves was: full ties keep the counted order.
    order = np.lexsort((*reversed(ranks), -counts))
    order = order[shown[order]]
    return Stats(
        total=total,
        group_by=group_by,
        groups=Groups(
            members=members,
            indices=[index[order].tolist() for index in indices],
            counts=counts[order].tolist(),
        ),
    )


def _distinct(values) -> tuple[list, np.ndarray]:
    """The distinct values, and where each value is among them. Whole numbers (keys
    of records: the pairs alone are some 20,000) go through numpy; their order among
    the distinct values does not matter, the groups are sorted afterwards."""
    array = np.asarray(values)
    if array.dtype.kind == "i":
        distinct, index = np.unique(array, return_inverse=True)
        return distinct.tolist(), index.reshape(-1)
    where: dict = {}
    index = [where.setdefault(value, len(where)) for value in values]
    return list(where), np.array(index, dtype=np.int64)


def _dense_ranks(texts: list[str]) -> np.ndarray:
    """Each text's place in sorted order, equal texts sharing one."""
    place = {text: rank for rank, text in enumerate(sorted(set(texts)))}
    return np.array([place[text] for text in texts], dtype=np.int64)


def _engine_counts(filterset, group_by):
    """The total, and the groups counted as columns: each name's values, then the
    counts."""
    index = published_index()
    keep = _matching(index, filterset)
    total = int(keep.sum())
    if len(group_by) == 2:
        first, second = (KEYS[name].dimension for name in group_by)
        firsts, seconds, counts = index.count_pairs(first, second, keep)
        return total, [firsts.tolist(), seconds.tolist()], counts
    key = KEYS[group_by[0]]
    if key.name == "classification":
        counts = index.count_classification(keep)
    elif key.name == "status":
        counts = index.count_status(keep)
    elif key.name == "start_year":
        counts = index.count_start_year(keep)
    else:
        counts = index.count_dimension(key.dimension, keep)
    return _one_key(total, {value: count for value, count in counts.items() if count})


def _matching(index, filterset):
    """The search's mask over the index, kept on the FilterSet for its other
    groupings: the insights page counts one search a dozen ways."""
    kept = getattr(filterset, "_published_mask", None)
    if kept is None or kept[0] is not index:
        kept = (index, index.matching(filterset.criteria()))
        filterset._published_mask = kept
    return kept[1]


def _one_key(total, counts: dict):
    """What the counts of one key give agreement_stats: the total, the values, the
    counts."""
    return total, [list(counts)], list(counts.values())


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
        pairs = list(counts)
        return (
            total,
            [[pair[0] for pair in pairs], [pair[1] for pair in pairs]],
            list(counts.values()),
        )
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
    return _one_key(total, {value: count for value, count in rows if count})


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
    # Names are read once for the life of the search index (a rename reindexes the
    # agreements it appears in, so the index, and this, are made anew).
    known = published_index().memo.setdefault(("labels", key.name), {})
    missing = values - known.keys()
    if missing:
        rows = key.model.objects.filter(pk__in=missing).values_list(
            "pk", key.key_field, "name", "name_ja"
        )
        known.update(
            (pk, (key_value, name, name_ja)) for pk, key_value, name, name_ja in rows
        )
    japanese = (get_language() or "").startswith("ja")
    return {
        value: (known[value][0], (japanese and known[value][2]) or known[value][1])
        for value in values
        if value in known
    }

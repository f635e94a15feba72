"""The public search engine: an in-memory index of the published agreements.

Counting facets in SQL costs about 100 ms a facet at 100,000 agreements, and a search
page shows thirteen. Here each facet value keeps the positions of its agreements (a
posting list); a search is a boolean mask over the published agreements, and a facet
count is a ``bincount`` of the values whose agreements the mask keeps: a few
milliseconds in all.

The index reads what ``registry.search`` wrote (the facet rows and token documents), so
it means what the SQL filters mean; a test compares the two on many searches. Each
process builds it once and rebuilds it when ``SearchIndexVersion`` moves (checked on
each search, at most every ``SEARCH_INDEX_REFRESH_SECONDS``). Rows shown are always
read from the database through ``published()``, so a record withdrawn a moment ago
never shows.
"""

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import (
    Agreement,
    Classification,
    Dimension,
    Institution,
    PublicationState,
    SearchIndexVersion,
    Status,
)
from .search import search_agreements

NO_DATE = np.int32(0)
CLASSIFICATION_CODES = {value: code for code, value in enumerate(Classification.values)}


@dataclass
class Criteria:
    """A search, as the FilterSet read it: what to keep, and how to order it."""

    text: str = ""
    classifications: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    start_year: int | None = None
    # name -> (dimensions, values): values of one name OR together, names AND together
    facets: dict | None = None
    sort: str = "newest"


@dataclass
class SearchResult:
    count: int
    ids: np.ndarray  # every matching agreement id, in the order asked for
    facet_counts: dict  # facet name -> {value: count}


class PublishedIndex:
    def __init__(self, version: int):
        self.version = version
        rows = list(
            Agreement.objects.filter(publication_state=PublicationState.PUBLISHED)
            .order_by("pk")
            .values_list(
                "pk",
                "classification",
                "start_date",
                "end_date",
                "published_at",
                "title",
                "is_synthetic",
            )
        )
        self.ids = np.array([row[0] for row in rows], dtype=np.int64)
        self.classification = np.array(
            [CLASSIFICATION_CODES.get(row[1], -1) for row in rows], dtype=np.int8
        )
        self.start = np.array([_ordinal(row[2]) for row in rows], dtype=np.int32)
        self.end = np.array([_ordinal(row[3]) for row in rows], dtype=np.int32)
        published = np.array(
            [row[4].timestamp() if row[4] else 0.0 for row in rows], dtype=np.float64
        )
        # lower(), as SQL orders by Lower("title"): exports keep the page order.
        titles = [row[5].lower() for row in rows]
        self.synthetic_count = sum(1 for row in rows if row[6])
        # Orders, as positions: newest first; latest start first (unknown last); title.
        self.orders = {
            "newest": np.lexsort((-self.ids, -published)),
            "start": np.lexsort((-self.ids, -self.start.astype(np.int64))),
            "title": np.array(
                sorted(range(len(rows)), key=lambda i: (titles[i], self.ids[i])),
                dtype=np.int64,
            ),
        }
        self.by_value: dict[tuple[int, int], np.ndarray] = {}
        positions_by_dimension = defaultdict(list)
        values_by_dimension = defaultdict(list)
        for dimension, value, members in _postings():
            positions = self._positions(members)
            self.by_value[(dimension, value)] = positions
            positions_by_dimension[dimension].append(positions)
            values_by_dimension[dimension].append(
                np.full(len(positions), value, dtype=np.int64)
            )
        # Per dimension, every (position, value) pair: one pass counts a whole facet.
        self.pairs = {
            dimension: (
                np.concatenate(positions_by_dimension[dimension]),
                np.concatenate(values_by_dimension[dimension]),
            )
            for dimension in positions_by_dimension
        }
        self._pair_cache = {}
        # What other modules derive from the index and keep as long as it lives
        # (registry.api.stats keeps the names of the records it counts).
        self.memo = {}

    def _positions(self, ids: np.ndarray) -> np.ndarray:
        """Positions of these ids, leaving out any not in the index (new since)."""
        if not len(self.ids):
            return _EMPTY
        positions = np.searchsorted(self.ids, ids)
        clipped = np.minimum(positions, len(self.ids) - 1)
        return clipped[self.ids[clipped] == ids]

    def __len__(self):
        return len(self.ids)

    @cached_property
    def institution_counts(self) -> dict[int, int]:
        """How many published agreements each institution takes part in."""
        everything = np.ones(len(self), dtype=bool)
        counts = self.count_dimension(Dimension.US_INSTITUTION, everything)
        counts.update(self.count_dimension(Dimension.JP_INSTITUTION, everything))
        return counts

    @cached_property
    def organization_counts(self) -> dict[int, int]:
        everything = np.ones(len(self), dtype=bool)
        return self.count_dimension(Dimension.ORGANIZATION, everything)

    # -- searching ---------------------------------------------------------------------

    def mask(self, criteria: Criteria, *, without: str = "", text_mask=None):
        keep = np.ones(len(self), dtype=bool)
        if text_mask is not None:
            keep &= text_mask
        if criteria.classifications and without != "classification":
            codes = [CLASSIFICATION_CODES[c] for c in criteria.classifications]
            keep &= np.isin(self.classification, codes)
        if criteria.statuses and without != "status":
            keep &= self._status_mask(criteria.statuses)
        if criteria.year_from is not None or criteria.year_to is not None:
            keep &= self._years_mask(criteria.year_from, criteria.year_to)
        if criteria.start_year is not None:
            keep &= self.start_years == criteria.start_year
        for name, (dimensions, values) in (criteria.facets or {}).items():
            if name == without:
                continue
            chosen = np.zeros(len(self), dtype=bool)
            for dimension in dimensions:
                for value in values:
                    chosen[self.by_value.get((dimension, value), _EMPTY)] = True
            keep &= chosen
        return keep

    def _status_mask(self, statuses):
        today = timezone.localdate().toordinal()
        started = (self.start == NO_DATE) | (self.start <= today)
        running = (self.end == NO_DATE) | (self.end >= today)
        masks = {
            Status.UPCOMING: self.start > today,
            Status.ACTIVE: started & running,
            Status.ENDED: (self.end != NO_DATE)
            & (self.end < today)
            & ~(self.start > today),
        }
        keep = np.zeros(len(self), dtype=bool)
        for status in statuses:
            keep |= masks[status]
        return keep

    def _years_mask(self, first, last):
        keep = np.ones(len(self), dtype=bool)
        if last is not None:
            bound = dt.date(last, 12, 31).toordinal()
            keep &= (self.start == NO_DATE) | (self.start <= bound)
        if first is not None:
            bound = dt.date(first, 1, 1).toordinal()
            keep &= (self.end == NO_DATE) | (self.end >= bound)
        return keep

    def count_dimension(self, dimension, keep) -> dict[int, int]:
        if dimension not in self.pairs:
            return {}
        positions, values = self.pairs[dimension]
        # Values are primary keys and codes: small, so counting by bincount is linear.
        counts = np.bincount(values[keep[positions]])
        found = np.flatnonzero(counts)
        return dict(zip(found.tolist(), counts[found].tolist(), strict=True))

    def count_classification(self, keep) -> dict[str, int]:
        counts = np.bincount(
            self.classification[keep & (self.classification >= 0)],
            minlength=len(Classification.values),
        )
        return {
            value: int(counts[code]) for value, code in CLASSIFICATION_CODES.items()
        }

    def count_status(self, keep) -> dict[str, int]:
        return {
            status: int((self._status_mask([status]) & keep).sum())
            for status in Status.values
        }

    # -- aggregations (registry.api.stats) ---------------------------------------------

    def matching(self, criteria: Criteria) -> np.ndarray:
        """Which agreements match ``criteria``, text included, as a boolean mask."""
        text_mask = None
        if criteria.text.strip():
            text_mask = np.zeros(len(self), dtype=bool)
            text_mask[self._positions(_text_matches(criteria.text))] = True
        return self.mask(criteria, text_mask=text_mask)

    @cached_property
    def start_years(self) -> np.ndarray:
        """Each agreement's start year, 0 when the start is unknown."""
        known = self.start != NO_DATE
        days = self.start.astype(np.int64) - dt.date(1970, 1, 1).toordinal()
        years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
        return np.where(known, years + 1970, 0)

    def count_start_year(self, keep) -> dict[int | None, int]:
        years, counts = np.unique(self.start_years[keep], return_counts=True)
        return {
            (int(year) or None): int(count)
            for year, count in zip(years, counts, strict=True)
        }

    def count_pairs(self, first, second, keep):
        """How many kept agreements have each (value of ``first``, value of
        ``second``) pair, e.g. each U.S. × Japanese institution: three arrays (first
        values, second values, counts), ordered by first value, then second."""
        if first not in self.pairs or second not in self.pairs:
            return _EMPTY, _EMPTY, _EMPTY
        positions, codes, firsts, seconds = self._pair_rows(first, second)
        width = len(seconds)
        counts = np.bincount(codes[keep[positions]], minlength=len(firsts) * width)
        found = np.flatnonzero(counts)
        return firsts[found // width], seconds[found % width], counts[found]

    def _pair_rows(self, first, second):
        """Every (position, pair) of the index, a pair coded as one dense integer, with
        the distinct values of each side: what a count of pairs needs whatever is kept.

        Built on first use and kept with the index (some MB for the U.S. × Japan pairs):
        crossing the rows anew took 40 ms a count at 100,000 agreements, counting the
        kept ones takes 1."""
        cached = self._pair_cache.get((first, second))
        if cached is not None:
            return cached
        first_positions, first_values = self._by_position(first)
        second_positions, second_values = self._by_position(second)
        firsts, first_codes = np.unique(first_values, return_inverse=True)
        seconds, second_codes = np.unique(second_values, return_inverse=True)
        # For each row of the first, the run of rows of the second at the same
        # agreement: the cross product, without a Python loop over agreements.
        starts = np.searchsorted(second_positions, first_positions, side="left")
        ends = np.searchsorted(second_positions, first_positions, side="right")
        lengths = ends - starts
        run_starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        offsets = np.arange(lengths.sum()) - run_starts
        right = second_codes[np.repeat(starts, lengths) + offsets]
        codes = np.repeat(first_codes, lengths) * len(seconds) + right
        cached = (np.repeat(first_positions, lengths), codes, firsts, seconds)
        self._pair_cache[(first, second)] = cached
        return cached

    def _by_position(self, dimension):
        positions, values = self.pairs[dimension]
        order = np.argsort(positions, kind="stable")
        return positions[order], values[order]

    def search(self, criteria: Criteria, *, facet_dimensions: dict) -> SearchResult:
        """Matching ids in order, and each facet counted under the other filters.

        ``facet_dimensions``: facet name -> its dimension, or "classification" or
        "status".
        """
        text_mask, ranked = None, None
        if criteria.text.strip():
            ranked = self._positions(_text_matches(criteria.text))
            text_mask = np.zeros(len(self), dtype=bool)
            text_mask[ranked] = True
        keep = self.mask(criteria, text_mask=text_mask)
        if criteria.sort == "relevance" and ranked is not None:
            order = ranked
        else:
            order = self.orders.get(criteria.sort, self.orders["newest"])
        ids = self.ids[order[keep[order]]]
        counts = {}
        for name, dimension in facet_dimensions.items():
            active = (
                name in (criteria.facets or {})
                or (name == "classification" and criteria.classifications)
                or (name == "status" and criteria.statuses)
            )
            base = (
                self.mask(criteria, without=name, text_mask=text_mask)
                if active
                else keep
            )
            if dimension == "classification":
                counts[name] = self.count_classification(base)
            elif dimension == "status":
                counts[name] = self.count_status(base)
            else:
                counts[name] = self.count_dimension(dimension, base)
        return SearchResult(count=int(keep.sum()), ids=ids, facet_counts=counts)


_EMPTY = np.array([], dtype=np.int64)


def _ordinal(value):
    return value.toordinal() if value else 0


def _postings():
    """(dimension, value, agreement ids) of each facet value of published agreements."""
    aggregate = "string_agg(f.agreement_id::text, ',')"
    if connection.vendor != "postgresql":
        aggregate = "group_concat(f.agreement_id, ',')"
    sql = (
        f"SELECT f.dimension, f.value, {aggregate} FROM registry_agreementfacet f "
        "JOIN registry_agreement a ON a.id = f.agreement_id "
        "WHERE a.publication_state = %s GROUP BY f.dimension, f.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [PublicationState.PUBLISHED])
        for dimension, value, members in cursor.fetchall():
            yield (
                Dimension(dimension),
                value,
                np.sort(np.array(members.split(","), dtype=np.int64)),
            )


def _text_matches(text: str) -> np.ndarray:
    """Ids of published agreements matching the text, best first."""
    matches = search_agreements(
        Agreement.objects.filter(publication_state=PublicationState.PUBLISHED), text
    ).order_by("-relevance", "-pk")
    return np.array(list(matches.values_list("pk", flat=True)), dtype=np.int64)


_lock = threading.Lock()
_index: PublishedIndex | None = None
_checked_at = 0.0


def forget_published_index() -> None:
    """Drop this process's index: the next search builds it anew (tests use it, since
    a rolled-back transaction can reuse a version number with other contents)."""
    global _index
    _index = None


def published_index() -> PublishedIndex:
    """This process's index, rebuilt when the registry changed since it was built."""
    global _index, _checked_at
    now = time.monotonic()
    interval = settings.SEARCH_INDEX_REFRESH_SECONDS
    if _index is not None and now - _checked_at < interval:
        return _index
    version = SearchIndexVersion.current()
    _checked_at = now
    if _index is None or _index.version != version:
        with _lock:
            if _index is None or _index.version != version:
                _index = PublishedIndex(version)
    return _index


class PublishedRows(Sequence):
    """Agreement ids in search order, read from the database a page at a time.

    The rows come through ``published()``: the visibility rule holds even if the index
    is a moment behind. ``queryset`` says what each row brings along (the page's
    participants, the API's program).
    """

    def __init__(self, ids, *, queryset):
        self.ids = ids
        self.queryset = queryset.published()

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        ids = [int(pk) for pk in self.ids[index]]
        rows = self.queryset.in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]


def with_agreement_counts(records) -> list:
    """Institutions or organizations, each with ``agreement_count``: how many
    published agreements it takes part in, as the index counts them."""
    records = list(records)
    index = published_index()
    counts = (
        index.institution_counts
        if records and isinstance(records[0], Institution)
        else index.organization_counts
    )
    for record in records:
        record.agreement_count = counts.get(record.pk, 0)
    return records

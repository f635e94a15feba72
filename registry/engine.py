"""The public search engine: an in-memory index of the published agreements.

Counting facets in SQL costs about 100 ms a facet at 100,000 agreements, and a search
page shows thirteen. Here each facet value keeps the positions of its agreements (a
posting list); a search is a boolean mask over the published agreements, and a facet
count is a ``bincount`` of the values whose agreements the mask keeps: a few
milliseconds in all. Text is matched and ranked in the index too, from posting lists
of the search tokens (registry.text_index), so a search asks the database only for
the rows it shows.

The index reads what ``registry.search`` wrote (the facet rows and token documents), so
it means what the SQL filters mean. Each filter of the FilterSet says what it means
here as a ``Condition`` (registry.conditions); one that cannot say is evaluated in SQL
(``SqlMatches``), with a warning and a metric, never left out. A test compares the two
paths on generated searches over every declared filter.

The index is made off the request path (registry.index_build; a served process's
refresher thread, see ``start_refresher``), from scratch or, after a few edits, from
the previous index and the agreements they changed, and mapped from one copy per
machine (registry.index_store). Rows shown are always read from the database through
``published()``, so a record withdrawn a moment ago never shows.
"""

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.conf import settings
from django.utils import timezone

from usjp_site.routers import reading_from_a_replica

from .conditions import (
    CLASSIFICATION_CODES,
    EMPTY,
    NO_DATE,
    Criteria,
    positions_in,
)
from .index_store import load_index
from .models import (
    Classification,
    Dimension,
    Institution,
    SearchIndexVersion,
    Sort,
    Status,
    status_rule,
)
from .text_index import TextPostings, best_first


@dataclass
class SearchResult:
    count: int
    ids: np.ndarray  # every matching agreement id, in the order asked for
    facet_counts: dict  # facet name -> {value: count}
    index: (
        "PublishedIndex"  # which counted them (what it keeps, ``memo``, goes with it)
    )


# The orders an index keeps (relevance is the text search's own).
ORDER_KEYS = [key for key in Sort.ORDERINGS if key != Sort.RELEVANCE]


class PublishedIndex:
    """The published agreements as arrays: their ids, the columns searches filter on,
    each order, and per facet dimension every (position, value) pair, sorted by
    value. Built from the database (``build``) or mapped from the machine's shared
    store (registry.index_store), where every worker reads one copy."""

    def __init__(self, version: int, arrays: dict):
        self.version = version
        self.arrays = arrays
        self.ids = arrays["ids"]
        self.classification = arrays["classification"]
        self.start = arrays["start"]
        self.end = arrays["end"]
        self.synthetic_count = int(arrays["synthetic"].sum())
        self.orders = {key: arrays[f"order.{key}"] for key in ORDER_KEYS}
        self.pairs = {
            Dimension(int(name.split(".")[1])): (array, arrays[f"values.{name[10:]}"])
            for name, array in arrays.items()
            if name.startswith("positions.")
        }
        self.text = TextPostings(arrays)
        self._pair_cache = {}
        # What other modules derive from the index and keep as long as it lives
        # (registry.api.stats keeps the names of the records it counts).
        self.memo = {}

    def with_value(self, dimension, value) -> np.ndarray:
        """Positions of the agreements with this value of this dimension."""
        if dimension not in self.pairs:
            return EMPTY
        positions, values = self.pairs[dimension]
        first, last = np.searchsorted(values, [value, value + 1])
        return positions[first:last]

    def positions(self, ids) -> np.ndarray:
        """Positions of these ids, in their order, leaving out any not in the index
        (new since)."""
        return positions_in(self.ids, np.asarray(ids, dtype=np.int64))

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

    def agreement_counts(self, model) -> dict[int, int]:
        """By primary key, how many published agreements each institution or
        organization takes part in."""
        return (
            self.institution_counts
            if model is Institution
            else self.organization_counts
        )

    # -- searching ---------------------------------------------------------------------

    def mask(self, criteria: Criteria, *, without: str = ""):
        """Which agreements every condition keeps, but the one named ``without``."""
        keep = np.ones(len(self), dtype=bool)
        for name in criteria.conditions:
            if name != without:
                keep &= criteria.mask_of(name, self)
        return keep

    def status_mask(self, statuses):
        today = timezone.localdate().toordinal()
        rule = status_rule(
            not_started=self.start > today,
            finished=(self.end != NO_DATE) & (self.end < today),
            undated=(self.start == NO_DATE) & (self.end == NO_DATE),
        )
        keep = np.zeros(len(self), dtype=bool)
        for status in statuses:
            keep |= rule[status]
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
            status: int((self.status_mask([status]) & keep).sum())
            for status in Status.values
        }

    # -- aggregations (registry.api.stats) ---------------------------------------------

    def matching(self, criteria: Criteria) -> np.ndarray:
        """Which agreements match ``criteria``, as a boolean mask."""
        return self.mask(criteria)

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
            return EMPTY, EMPTY, EMPTY
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
        keep = self.mask(criteria)
        text = criteria.text_condition
        if criteria.sort == Sort.RELEVANCE and text is not None:
            # Only what every filter keeps is ranked.
            _matched, scores = text.matched(self)
            ids = self.ids[best_first(np.flatnonzero(keep), scores, self.ids)]
        else:
            order = self.orders.get(criteria.sort, self.orders[Sort.NEWEST])
            ids = self.ids[order[keep[order]]]
        counts = {}
        for name, dimension in facet_dimensions.items():
            base = (
                self.mask(criteria, without=name)
                if name in criteria.conditions
                else keep
            )
            if dimension == "classification":
                counts[name] = self.count_classification(base)
            elif dimension == "status":
                counts[name] = self.count_status(base)
            else:
                counts[name] = self.count_dimension(dimension, base)
        return SearchResult(
            count=int(keep.sum()), ids=ids, facet_counts=counts, index=self
        )


_lock = threading.Lock()
_index: PublishedIndex | None = None
_checked_at = 0.0
# Set in a served process (start_refresher): searches never build the index then.
_refresher: threading.Thread | None = None
logger = logging.getLogger(__name__)


def forget_published_index() -> None:
    """Drop this process's index and stop serving from a refresher: the next search
    builds it anew (tests use it, since a rolled-back transaction can reuse a version
    number with other contents)."""
    global _index, _refresher
    _index, _refresher = None, None


def published_index() -> PublishedIndex:
    """This process's index.

    In a served process (``start_refresher``) the current index, always: the next one
    is built off the request path and swapped in. Elsewhere (commands, tests, the
    development server) it is rebuilt here when the registry has changed, checked at
    most every ``SEARCH_INDEX_REFRESH_SECONDS``.
    """
    global _index, _checked_at
    if _refresher is not None and _index is not None:
        return _index
    now = time.monotonic()
    interval = settings.SEARCH_INDEX_REFRESH_SECONDS
    if _index is not None and now - _checked_at < interval:
        return _index
    version = SearchIndexVersion.current()
    _checked_at = now
    if _index is None or _index.version != version:
        with _lock:
            if _index is None or _index.version != version:
                _index = _next_index(_index, version)
    return _index


def current_index() -> PublishedIndex:
    """The index this process holds, without asking whether there is a newer one
    (``published_index`` asks, at its own pace): what derives from it during a
    request that has just asked costs no query."""
    return _index if _index is not None else published_index()


def _next_index(index: PublishedIndex | None, version: int) -> PublishedIndex:
    """The index of ``version``: ``index`` updated with the agreements the moves since
    named, or, if a move named none, built from scratch."""
    changed = None
    if index is not None:
        changed = SearchIndexVersion.changes_since(index.version, version)
    return load_index(version, base=index, changed=changed)


def refresh_published_index() -> bool:
    """Build the index anew if the registry changed since this process's was built,
    then swap it in (a search holds on to the index it started with); whether it did.
    The refresher's work, one round."""
    global _index
    version = SearchIndexVersion.current()
    if _index is not None and _index.version == version:
        return False
    started = time.monotonic()
    fresh = _next_index(_index, version)
    with _lock:
        _index = fresh
    logger.info(
        "Search index version %s in use (%d agreements), ready in %.2f s.",
        version,
        len(fresh),
        time.monotonic() - started,
    )
    return True


def start_refresher() -> None:
    """Build this process's index now, before it serves anyone, then keep it fresh
    from a thread of its own (gunicorn's post_worker_init calls this: see
    usjp_site/gunicorn.conf.py). From then on no search builds an index."""
    global _refresher
    if _refresher is not None:
        return
    with reading_from_a_replica():
        refresh_published_index()
    thread = threading.Thread(target=_refresh_forever, name="search-index", daemon=True)
    _refresher = thread
    thread.start()


def _refresh_forever() -> None:
    from django.db import close_old_connections

    while _refresher is threading.current_thread():
        time.sleep(settings.SEARCH_INDEX_REFRESH_SECONDS)
        try:
            close_old_connections()
            with reading_from_a_replica():
                refresh_published_index()
        except Exception:
            # The database away for a moment: keep serving the index there is.
            logger.exception("The search index could not be refreshed.")


class PublishedRows(Sequence):
    """Agreement ids in search order, read from the database a page at a time.

    The rows come through ``published()``: the visibility rule holds even if the index
    is a moment behind. ``queryset`` says what each row brings along (the page's
    participants, the API's program), ``read`` how the rows are read.
    """

    def __init__(self, ids, *, queryset, read=None):
        self.ids = ids
        self.queryset = queryset.published()
        # How a slice's rows are read, by id: model instances unless given (an export
        # reads flat values).
        self.read = read or (lambda queryset, ids: queryset.in_bulk(ids))

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        ids = [int(pk) for pk in self.ids[index]]
        rows = self.read(self.queryset, ids)
        return [rows[pk] for pk in ids if pk in rows]

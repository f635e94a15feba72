"""What each search filter keeps, as the in-memory engine (registry.engine) evaluates
it: a ``Condition`` gives a boolean mask over the published agreements of an index.
Filters say which condition they mean (``engine_condition`` in registry.filtersets);
``Criteria`` is a whole search."""

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .models import Classification, Sort, year_span

if TYPE_CHECKING:
    from .engine import PublishedIndex

EMPTY = np.array([], dtype=np.int64)
NO_DATE = np.int32(0)  # an unknown date, in the index's day numbers
CLASSIFICATION_CODES = {value: code for code, value in enumerate(Classification.values)}
logger = logging.getLogger(__name__)


def positions_in(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of ``wanted`` ids in the sorted ``ids``, in their order, leaving
    out any not there."""
    if not len(ids):
        return EMPTY
    positions = np.searchsorted(ids, wanted)
    clipped = np.minimum(positions, len(ids) - 1)
    return clipped[ids[clipped] == wanted]


class Condition:
    """What one filter keeps, as the engine evaluates it: a boolean mask over the
    published agreements of an index."""

    def mask(self, index: "PublishedIndex") -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class InFacet(Condition):
    """Agreements with any of these values in any of these dimensions."""

    dimensions: tuple
    values: tuple

    def mask(self, index):
        chosen = np.zeros(len(index), dtype=bool)
        for dimension in self.dimensions:
            for value in self.values:
                chosen[index.with_value(dimension, value)] = True
        return chosen


@dataclass(frozen=True)
class ClassificationIn(Condition):
    values: tuple

    def mask(self, index):
        codes = [CLASSIFICATION_CODES[value] for value in self.values]
        return np.isin(index.classification, codes)


@dataclass(frozen=True)
class StatusIn(Condition):
    """Agreements in any of these statuses today (``status_rule``)."""

    statuses: tuple

    def mask(self, index):
        return index.status_mask(self.statuses)


@dataclass(frozen=True)
class RunningIn(Condition):
    """Agreements running at some point from ``first_year`` until ``last_year``
    (either may be open), as ``AgreementQuerySet.active_between``."""

    first_year: int | None = None
    last_year: int | None = None

    def mask(self, index):
        keep = np.ones(len(index), dtype=bool)
        if self.last_year is not None:
            bound = year_span(self.last_year)[1].toordinal()
            keep &= (index.start == NO_DATE) | (index.start <= bound)
        if self.first_year is not None:
            bound = year_span(self.first_year)[0].toordinal()
            keep &= (index.end == NO_DATE) | (index.end >= bound)
        return keep


@dataclass(frozen=True)
class StartedIn(Condition):
    """Agreements that started in this year, as ``AgreementQuerySet.started_in``."""

    year: int

    def mask(self, index):
        first, last = (day.toordinal() for day in year_span(self.year))
        return (index.start >= first) & (index.start <= last)


class TextMatches(Condition):
    """Agreements whose documents match the text, matched and ranked by the index's
    postings (registry.text_index)."""

    def __init__(self, text: str):
        self.text = text
        self._matched = (None, None)  # (index, (mask, scores)): matched once a search

    def matched(self, index) -> tuple[np.ndarray, np.ndarray]:
        """Which agreements match, and each one's relevance score."""
        if self._matched[0] is not index:
            self._matched = (index, index.text.match(self.text, index.ids))
        return self._matched[1]

    def mask(self, index):
        return self.matched(index)[0]


class SqlMatches(Condition):
    """A filter that declares no meaning for the engine, evaluated by its own SQL over
    the published agreements: slower, never wrong. Each use is logged and counted
    (metric ``search.sql_fallback``) so that the filter gets its engine meaning."""

    def __init__(self, name: str, queryset):
        self.name, self.queryset = name, queryset

    def mask(self, index):
        logger.warning(
            "Search filter %r has no meaning in the search engine; evaluated in SQL.",
            self.name,
        )
        metrics.increment("search.sql_fallback")
        ids = np.array(list(self.queryset.values_list("pk", flat=True)), np.int64)
        keep = np.zeros(len(index), dtype=bool)
        keep[index.positions(np.sort(ids))] = True
        return keep


@dataclass
class Criteria:
    """A search, as the FilterSet read it: each chosen filter's condition (by
    parameter name: values of one parameter OR together, conditions AND together), and
    how to order the result."""

    conditions: dict[str, Condition] = field(default_factory=dict)
    sort: str = Sort.NEWEST
    # name -> (index, mask): a facet counted without its own filter reuses the others'
    _masks: dict = field(default_factory=dict, repr=False, compare=False)

    def mask_of(self, name: str, index: "PublishedIndex") -> np.ndarray:
        """One condition's mask over this index, computed once."""
        kept = self._masks.get(name)
        if kept is None or kept[0] is not index:
            kept = (index, self.conditions[name].mask(index))
            self._masks[name] = kept
        return kept[1]

    @property
    def text(self) -> str:
        return self.text_condition.text if self.text_condition else ""

    @property
    def text_condition(self) -> TextMatches | None:
        return next(
            (c for c in self.conditions.values() if isinstance(c, TextMatches)), None
        )

    @property
    def sql_fallbacks(self) -> list[str]:
        """The parameters the engine evaluates in SQL, having no meaning of their own
        for it."""
        return [
            name
            for name, condition in self.conditions.items()
            if isinstance(condition, SqlMatches)
        ]

"""Reading a search's words for the names the registry knows.

People type names: "Kyoto University", 京大, 理研, 宮城県, 企業, "Harvard Medical
School". Matched as words, a name finds every record that shares one of them ("Kyoto"
from Kyoto University of Education, 京大 inside 東京大学). Read as a name, it means the
filter a person would have chosen: ``institution=kyoto-university``.

``read_query`` looks the words up whole, then as runs of whole words (longest first):
institutions through the resolver's names (names, Japanese names, aliases, former
names; a school or campus qualifier read off, "Harvard Medical School" being Harvard's),
partner organizations by name and alias, prefectures and states with or without their
suffix (県・府・都・州), disciplines, activities and programs by name and the curators'
aliases, partner sectors by their labels in both languages. What is left is searched as
text. A name that means two records is not guessed: it stays text, and the reading lists
the candidates.

The names come from the records themselves (no second list) and are kept with the
published index, read once for each of its versions.
"""

import bisect
import itertools
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import translation

from .engine import current_index
from .models import (
    ActivityType,
    ActivityTypeAlias,
    Country,
    Discipline,
    DisciplineAlias,
    Program,
    Region,
    Sector,
)
from .names import core_of, fold_width, normalize_name
from .resolver import (
    EXACT_SCORE,
    INSTITUTION_WORDS,
    name_index,
    resolve_institution,
)

# A prefecture or state with its suffix: 宮城県, 大阪府, 東京都, カリフォルニア州.
REGION_SUFFIX = re.compile(r"(?:県|府|都|州)$")
# Where the published index keeps its names (PublishedIndex.memo).
MEMO_KEY = "query_reading.vocabulary"
# At most this many words are read as one name: longer runs are sentences.
LONGEST_NAME = 8


@dataclass(frozen=True)
class Meaning:
    """A filter a name stands for: the parameter, its value, and the record's name in
    English and Japanese."""

    param: str
    value: str
    name: str
    name_ja: str = ""

    @property
    def label(self) -> str:
        japanese = translation.get_language() or ""
        return self.name_ja if japanese.startswith("ja") and self.name_ja else self.name


@dataclass(frozen=True)
class Understood:
    """Words of the query read as a filter."""

    phrase: str
    meaning: Meaning


@dataclass
class QueryReading:
    understood: list[Understood] = field(default_factory=list)
    rest: str = ""
    # Words that name more than one record: (the words, what they may mean).
    ambiguous: list[tuple[str, list[Meaning]]] = field(default_factory=list)


def read_query(text: str) -> QueryReading:
    """The filters the words of ``text`` name, and the words left to search as text."""
    words = fold_width(text or "").split()
    reading = QueryReading()
    if not words:
        return reading
    names = vocabulary()
    read = [False] * len(words)  # part of a name already read
    as_filter = set()  # positions of words that became a filter
    found = []  # (position, Understood)
    # The longest runs first: "University of California, Irvine" before "California".
    for length in range(min(len(words), LONGEST_NAME), 0, -1):
        for start in range(len(words) - length + 1):
            span = range(start, start + length)
            if any(read[i] for i in span):
                continue
            phrase = " ".join(words[start : start + length])
            meanings = names.meanings(phrase, whole=length == len(words))
            if not meanings:
                continue
            for i in span:
                read[i] = True
            if len(meanings) == 1:
                found.append((start, Understood(phrase, meanings[0])))
                as_filter.update(span)
            else:
                # Not guessed: the words stay text, and the page asks.
                reading.ambiguous.append((phrase, meanings))
    reading.understood = [understood for _start, understood in sorted(found)]
    reading.rest = " ".join(word for i, word in enumerate(words) if i not in as_filter)
    return reading


# The order suggestions list kinds of names in, after an exact name.
SUGGESTED_FIRST = (
    "institution",
    "organization",
    "discipline",
    "program",
    "activity",
    "jp_prefecture",
    "us_state",
    "sector",
)
# How many names a prefix is compared with at most (a one-letter prefix begins
# thousands).
SCANNED = 2000


@dataclass
class Vocabulary:
    # normalized name -> what it means
    by_name: dict[str, list[Meaning]]
    keys: list[str] = field(default_factory=list)  # by_name's, sorted

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Meaning]:
        """The records whose names (or aliases) begin with ``prefix``: an exact name
        first, then by kind (``SUGGESTED_FIRST``), shorter names first."""
        key = normalize_name(prefix)
        if not key:
            return []
        start = bisect.bisect_left(self.keys, key)
        ranked = {}
        for name in itertools.islice(self.keys, start, start + SCANNED):
            if not name.startswith(key):
                break
            for meaning in self.by_name[name]:
                rank = (
                    name != key,
                    SUGGESTED_FIRST.index(meaning.param),
                    len(meaning.name),
                    meaning.name,
                    meaning.value,
                )
                identity = (meaning.param, meaning.value)
                if identity not in ranked or rank < ranked[identity][0]:
                    ranked[identity] = (rank, meaning)
        return [meaning for _rank, meaning in sorted(ranked.values())][:limit]

    def meanings(self, phrase: str, *, whole: bool = False) -> list[Meaning]:
        """What ``phrase`` names; for the ``whole`` query, also an institution the
        resolver reads off a school or campus ("Harvard Medical School")."""
        key = normalize_name(phrase)
        if not core_of(key):
            # Only words every name has ("university", "the U" read as one): no name.
            return []
        found = list(self.by_name.get(key, []))
        if not found and whole and INSTITUTION_WORDS.search(phrase):
            found = _institutions(phrase)
        return found


def _institutions(phrase: str) -> list[Meaning]:
    resolution = resolve_institution(name=phrase)
    exact = [c for c in resolution.candidates if c.score >= EXACT_SCORE]
    return [
        Meaning(
            "institution", c.institution.slug, c.institution.name, c.institution.name_ja
        )
        for c in exact
    ]


def _build() -> Vocabulary:
    by_name: dict[str, list[Meaning]] = defaultdict(list)

    def add(written, meaning):
        key = normalize_name(written or "")
        if key and meaning not in by_name[key]:
            by_name[key].append(meaning)

    index = name_index()
    for key, hits in index.exact.items():
        for pk, _matched_on in hits:
            ref = index.institutions[pk]
            meaning = Meaning("institution", ref.slug, ref.name, ref.name_ja)
            if meaning not in by_name[key]:
                by_name[key].append(meaning)
    for key, refs in index.organizations.items():
        for ref in refs:
            meaning = Meaning("organization", ref.slug, ref.name, ref.name_ja)
            if meaning not in by_name[key]:
                by_name[key].append(meaning)
    for country, code, slug, name, name_ja in Region.objects.values_list(
        "country", "code", "slug", "name", "name_ja"
    ):
        param, value = (
            ("us_state", code) if country == Country.US else ("jp_prefecture", slug)
        )
        meaning = Meaning(param, value, name, name_ja)
        add(name, meaning)
        add(name_ja, meaning)
        # With or without its suffix, as people write it.
        bare = REGION_SUFFIX.sub("", name_ja or "")
        add(bare, meaning)
        if country == Country.US:
            add(f"{bare}州", meaning)
            add(f"{name} State", meaning)
        else:
            add(f"{name} Prefecture", meaning)
    for param, model, alias_model, owner in (
        ("discipline", Discipline, DisciplineAlias, "discipline"),
        ("activity", ActivityType, ActivityTypeAlias, "activity_type"),
    ):
        meanings = {}
        for pk, slug, name, name_ja in model.objects.values_list(
            "pk", "slug", "name", "name_ja"
        ):
            meanings[pk] = Meaning(param, slug, name, name_ja)
            add(name, meanings[pk])
            add(name_ja, meanings[pk])
        for pk, written in alias_model.objects.values_list(f"{owner}_id", "name"):
            add(written, meanings[pk])
    for slug, name, name_ja in Program.objects.values_list("slug", "name", "name_ja"):
        meaning = Meaning("program", slug, name, name_ja)
        add(name, meaning)
        add(name_ja, meaning)
    for code, label in Sector.choices:
        with translation.override("en"):
            english = str(label)
        with translation.override("ja"):
            japanese = str(label)
        meaning = Meaning("sector", code, english, japanese)
        add(english, meaning)
        add(japanese, meaning)
    return Vocabulary(by_name=dict(by_name), keys=sorted(by_name))


_lock = threading.Lock()


def vocabulary() -> Vocabulary:
    """The names of the published index's version, read once for it: a change that
    reaches a name (a new alias, a renamed institution) moves the version, and a
    served process learns of a new version without asking the database."""
    index = current_index()
    names = index.memo.get(MEMO_KEY)
    if names is None:
        with _lock:
            names = index.memo.get(MEMO_KEY)
            if names is None:
                names = index.memo[MEMO_KEY] = _build()
    return names

"""Which institution a written name means: the API's resolver and bulk imports.

People write the same institution many ways: Tohoku Univ., 東北大, ＴＯＨＯＫＵ in
full-width, former names (Tokyo Institute of Technology is now the Institute of Science
Tokyo), campus and school qualifiers ("Harvard Medical School" is Harvard University,
unit School of Medicine). ``resolve_institution`` normalizes the name, splits off a
school or campus as a unit, looks the rest up among every institution's names and
aliases, and falls back to fuzzy scoring. It never guesses between two plausible
institutions: "UW" is Washington or Wisconsin, and stays unresolved.

Each process keeps the normalized names in memory (a few thousand strings) and rebuilds
them when institutions or aliases change, which a cheap aggregate query notices.
"""

import re
import threading
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.db.models.functions import Length
from rapidfuzz import fuzz, process

from .models import AliasKind, Institution, InstitutionAlias
from .search import CJK, fold

# A fuzzy score never reaches an exact match's 100: exact names and aliases come first.
EXACT_SCORE = 100
FUZZY_CEILING = 95
# How close a fuzzy match must be to be chosen, and how far ahead of the next one.
FUZZY_CHOICE = 88
FUZZY_MARGIN = 6
# Below this a fuzzy match is not worth listing.
FUZZY_LISTED = 75
CANDIDATES = 5

NOT_WORD = re.compile(rf"[^\w{CJK}]+|_", re.UNICODE)
SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{CJK}]) | (?=[{CJK}])")
# Abbreviations written for whole words, after punctuation is gone ("Univ." → univ).
WORD_FORMS = {
    "univ": "university",
    "u": "university",
    "uni": "university",
    "inst": "institute",
    "intl": "international",
    "natl": "national",
    "&": "and",
}
DROPPED_WORDS = {"the"}
# Words every other name has: a fuzzy match must agree on the rest.
GENERIC_WORDS = {
    "university",
    "of",
    "at",
    "in",
    "and",
    "de",
    "institute",
    "college",
    "school",
    "national",
    "state",
    "daigaku",
    "universite",
    "universidad",
    "universitat",
    "大学",
}

# "Harvard Medical School" → Harvard (University), School of Medicine. The unit is data
# stored with the participant, so it is the English name whatever language the curator
# works in, not a translation.
NAMED_SCHOOLS = {
    "medical": "School of Medicine",
    "law": "School of Law",
    "business": "School of Business",
    "dental": "School of Dentistry",
    "nursing": "School of Nursing",
    "divinity": "Divinity School",
    "graduate": "Graduate School",
}
NAMED_SCHOOL = re.compile(
    r"^(?P<name>.+?)[\s,]+(?P<kind>" + "|".join(NAMED_SCHOOLS) + r")\s+school$",
    re.IGNORECASE,
)
UNIT_WORDS = r"(?:graduate\s+)?(?:school|college|faculty|department|division)\s+of\s+"
# "University of X School of Medicine", "X Univ. Graduate School of Y".
UNIT_AFTER = re.compile(
    rf"^(?P<name>.+?)[\s,\-–]+(?P<unit>{UNIT_WORDS}.+)$", re.IGNORECASE
)
# "Graduate School of Medicine, Tohoku University".
UNIT_BEFORE = re.compile(
    rf"^(?P<unit>{UNIT_WORDS}[^,]+),\s*(?P<name>.+)$", re.IGNORECASE
)
# "Tohoku University Aobayama Campus".
CAMPUS_AFTER = re.compile(
    r"^(?P<name>.+?)[\s,\-–]+(?P<unit>[^,]+\s+campus)$", re.IGNORECASE
)
# 東北大学医学部, 東北大学大学院工学研究科: the unit follows the name's 大学 (or 大).
JA_UNIT = re.compile(
    r"(?:大学院)?\S*?(?:学部|研究科|学府|学環|研究院|研究所|病院|センター|キャンパス)"
)


@dataclass(frozen=True)
class InstitutionRef:
    pk: int
    slug: str
    name: str
    name_ja: str
    country: str


@dataclass(frozen=True)
class Candidate:
    institution: InstitutionRef
    score: float
    matched_on: str  # "name", "name_ja", "alias: 東北大", "former name: …"


@dataclass
class Resolution:
    query: str
    normalized: str
    unit: str | None = None
    chosen: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    ambiguous: bool = False


def normalize_name(text: str) -> str:
    """The comparable form of a name: folded for width, case and diacritics, without
    punctuation or "the", abbreviations of words spelled out."""
    text = fold(text).replace("&", " and ").replace("'", "").replace("’", "")
    words = []
    for word in NOT_WORD.sub(" ", text).split():
        word = WORD_FORMS.get(word, word)
        if word not in DROPPED_WORDS:
            words.append(word)
    return SPACE_NEXT_TO_CJK.sub("", " ".join(words))


def _core(normalized: str) -> str:
    """What distinguishes a name from others: its words less the generic ones."""
    return " ".join(w for w in normalized.split() if w not in GENERIC_WORDS)


@dataclass(frozen=True)
class Reading:
    """One way to read the query: a name to look up, and the unit split off it."""

    names: tuple[str, ...]
    unit: str | None


def readings(text: str) -> list[Reading]:
    """The whole name first, then each way of splitting a school or campus off it."""
    text = " ".join(fold_width(text).split())
    found = [Reading((text,), None)]
    if match := NAMED_SCHOOL.match(text):
        name = match["name"]
        found.append(
            Reading(
                (name, f"{name} University", f"University of {name}"),
                NAMED_SCHOOLS[match["kind"].lower()],
            )
        )
    for pattern in (UNIT_AFTER, UNIT_BEFORE, CAMPUS_AFTER):
        if match := pattern.match(text):
            found.append(Reading((match["name"],), _title(match["unit"])))
    compact = text.replace(" ", "")
    for position in range(1, len(compact)):
        head, rest = compact[:position], compact[position:]
        if not (head.endswith("大学") or head.endswith("大")):
            continue
        if head.endswith("大") and rest.startswith("学"):
            continue  # 大阪大学医学部: the name is 大阪大学, not 大阪大
        if JA_UNIT.fullmatch(rest) and "大" not in rest.removeprefix("大学院"):
            found.append(Reading((head,), rest))
            break
    return found


def fold_width(text: str) -> str:
    """Full-width forms to half-width, keeping case (for the unit as shown)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _title(unit: str) -> str:
    unit = unit.strip(" ,-–")
    return unit if any(c.isupper() for c in unit) else unit.title()


@dataclass
class NameIndex:
    signature: tuple
    institutions: dict[int, InstitutionRef]
    # normalized name -> [(institution pk, matched_on)]
    exact: dict[str, list[tuple[int, str]]]
    keys: list[str]  # the normalized names, for fuzzy scoring
    cores: list[str]

    @classmethod
    def build(cls, signature) -> "NameIndex":
        institutions = {
            pk: InstitutionRef(pk, slug, name, name_ja, country)
            for pk, slug, name, name_ja, country in Institution.objects.values_list(
                "pk", "slug", "name", "name_ja", "country"
            )
        }
        exact = defaultdict(list)
        for ref in institutions.values():
            exact[normalize_name(ref.name)].append((ref.pk, "name"))
            if ref.name_ja:
                exact[normalize_name(ref.name_ja)].append((ref.pk, "name_ja"))
        for pk, name, kind in InstitutionAlias.objects.values_list(
            "institution_id", "name", "kind"
        ):
            label = "former name" if kind == AliasKind.FORMER_NAME else "alias"
            entries = exact[normalize_name(name)]
            if all(existing != pk for existing, _ in entries):
                entries.append((pk, f"{label}: {name}"))
        exact.pop("", None)
        keys = list(exact)
        return cls(
            signature=signature,
            institutions=institutions,
            exact=dict(exact),
            keys=keys,
            cores=[_core(key) for key in keys],
        )


def _signature() -> tuple:
    """Changes whenever an institution or alias is added, removed, renamed or
    edited."""
    institutions = Institution.objects.aggregate(
        count=Count("pk"), updated=Max("updated_at")
    )
    aliases = InstitutionAlias.objects.aggregate(
        count=Count("pk"), last=Max("pk"), length=Sum(Length("name"))
    )
    return (*institutions.values(), *aliases.values())


_lock = threading.Lock()
_index: NameIndex | None = None
_checked_at = 0.0


def name_index() -> NameIndex:
    """This process's index, rebuilt when institutions or aliases changed."""
    global _index, _checked_at
    now = time.monotonic()
    if _index is not None and now - _checked_at < settings.SEARCH_INDEX_REFRESH_SECONDS:
        return _index
    signature = _signature()
    _checked_at = now
    if _index is None or _index.signature != signature:
        with _lock:
            if _index is None or _index.signature != signature:
                _index = NameIndex.build(signature)
    return _index


def resolve_institution(*, name: str, country: str | None = None) -> Resolution:
    """Ranked candidates for a written institution name, and the one it means when
    that is unambiguous.

    ``country`` ("US" or "JP") leaves the other country's institutions out.
    """
    index = name_index()
    query_readings = readings(name)
    resolution = Resolution(
        query=name, normalized=normalize_name(query_readings[0].names[0])
    )
    if not resolution.normalized:
        return resolution

    def allowed(pk):
        return country is None or index.institutions[pk].country == country

    # Exact names and aliases: the whole name first, then with a unit split off.
    for reading in query_readings:
        hits: dict[int, str] = {}
        for written in reading.names:
            for pk, matched_on in index.exact.get(normalize_name(written), []):
                if allowed(pk):
                    hits.setdefault(pk, matched_on)
        if hits:
            resolution.unit = reading.unit
            resolution.candidates = [
                Candidate(index.institutions[pk], EXACT_SCORE, matched_on)
                for pk, matched_on in hits.items()
            ]
            break

    if resolution.candidates:
        resolution.candidates.sort(key=lambda c: c.institution.name)
        resolution.ambiguous = len(resolution.candidates) > 1
        if not resolution.ambiguous:
            resolution.chosen = resolution.candidates[0]
        return resolution

    best = _fuzzy(index, query_readings, allowed)
    resolution.candidates = [candidate for candidate, _unit in best]
    if not best:
        return resolution
    top, unit = best[0]
    runner_up = best[1][0].score if len(best) > 1 else 0
    if top.score >= FUZZY_CHOICE and runner_up > top.score - FUZZY_MARGIN:
        resolution.ambiguous = runner_up >= FUZZY_CHOICE
    elif top.score >= FUZZY_CHOICE:
        resolution.chosen, resolution.unit = top, unit
    return resolution


def _is_acronym(key: str) -> bool:
    return key.isascii() and " " not in key and len(key) <= 5


def _fuzzy(index: NameIndex, query_readings, allowed):
    """The best fuzzy candidates, one per institution, best first, with the unit of
    the reading that found each."""
    best: dict[int, tuple[Candidate, str | None]] = {}
    for reading in query_readings:
        for written in reading.names:
            query = normalize_name(written)
            query_core = _core(query)
            for key, score, position in process.extract(
                query,
                index.keys,
                scorer=fuzz.WRatio,
                limit=20,
                score_cutoff=FUZZY_LISTED,
            ):
                if _is_acronym(key):
                    continue  # "KU" is not a misspelt "Tohoku": acronyms match exactly
                # Two names alike only in their generic words ("Université de
                # Nowhere", "University of X") are not alike.
                core = index.cores[position]
                if query_core and core:
                    score = min(score, fuzz.token_set_ratio(query_core, core))
                elif query_core or core:
                    continue  # one is nothing but generic words: not the same name
                score = round(min(score, FUZZY_CEILING), 1)
                if score < FUZZY_LISTED:
                    continue
                for pk, matched_on in index.exact[key]:
                    if not allowed(pk):
                        continue
                    if pk not in best or best[pk][0].score < score:
                        best[pk] = (
                            Candidate(index.institutions[pk], score, matched_on),
                            reading.unit,
                        )
    ranked = sorted(
        best.values(), key=lambda item: (-item[0].score, item[0].institution.name)
    )
    return ranked[:CANDIDATES]

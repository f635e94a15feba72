"""Which institution a written name means: the API's resolver and bulk imports.

People write the same institution many ways: Tohoku Univ., 東北大, ＴＯＨＯＫＵ in
full-width, former names (Tokyo Institute of Technology is now the Institute of Science
Tokyo), campus and school qualifiers ("Harvard Medical School" is Harvard University,
unit School of Medicine), whole affiliations ("Dept. of Chemistry, Univ. of Chicago,
Chicago, IL 60637, USA"). ``resolve_institution`` normalizes the name
(registry.names), splits off a school or campus as a unit or reads the affiliation
(registry.affiliations), looks the names up among every institution's names and
aliases, and falls back to fuzzy scoring. It never guesses between two plausible
institutions: "UW" is Washington or Wisconsin, and stays unresolved; and an
affiliation of a laboratory, company or agency is never an institution's.

Each process keeps the normalized names in memory (a few thousand strings) and rebuilds
them when institutions, organizations or their aliases change, which a cheap aggregate
query notices.
"""

import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.db.models.functions import Length
from rapidfuzz import fuzz, process

from .affiliations import Affiliation, Places, Span, read_affiliation
from .models import (
    AliasKind,
    Institution,
    InstitutionAlias,
    Organization,
    OrganizationAlias,
    Region,
)
from .names import (
    Reading,
    core_of,
    normalize_name,
    readings,
)

# A fuzzy score never reaches an exact match's 100: exact names and aliases come first.
EXACT_SCORE = 100
FUZZY_CEILING = 95
# How close a fuzzy match must be to be chosen, and how far ahead of the next one.
FUZZY_CHOICE = 88
FUZZY_MARGIN = 6
# Below this a fuzzy match is not worth listing.
FUZZY_LISTED = 75
CANDIDATES = 5

# An affiliation's runs of pieces scored fuzzily are those that say they are a name
# of one: "Berkeley" after a laboratory's name is a city.
INSTITUTION_WORDS = re.compile(
    r"universit|\buniv\b|college|institute|school|polytechnic|academy|conservatory|"
    r"大学|大$|daigaku|高等専門学校|kosen",
    re.IGNORECASE,
)
# What a partner organization's name says it is.
ORGANIZATION_WORDS = re.compile(
    r"\b(?:national laborator(?:y|ies)|laborator(?:y|ies)|agency|ministry|inc|corp|"
    r"corporation|company|co|ltd|llc|gmbh|foundation|council|administration)\b|"
    r"株式会社|機構|省$|庁$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class InstitutionRef:
    pk: int
    slug: str
    name: str
    name_ja: str
    country: str
    region: str = ""  # USPS or JIS code
    city: str = ""  # folded


@dataclass(frozen=True)
class OrganizationRef:
    pk: int
    slug: str
    name: str
    name_ja: str
    sector: str
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
    # An affiliation that names a partner organization (a national laboratory, a
    # company, an agency) and no institution: never an institution's.
    organization: OrganizationRef | None = None


@dataclass
class NameIndex:
    signature: tuple
    institutions: dict[int, InstitutionRef]
    # normalized name -> [(institution pk, matched_on)]
    exact: dict[str, list[tuple[int, str]]]
    keys: list[str]  # the normalized names, for fuzzy scoring
    cores: list[str]
    # normalized name -> organizations so named (affiliations of laboratories,
    # companies, agencies)
    organizations: dict[str, list[OrganizationRef]]
    places: Places

    @classmethod
    def build(cls, signature) -> "NameIndex":
        institutions = {
            pk: InstitutionRef(
                pk, slug, name, name_ja, country, region or "", normalize_name(city)
            )
            for pk, slug, name, name_ja, country, region, city in (
                Institution.objects.values_list(
                    "pk", "slug", "name", "name_ja", "country", "region__code", "city"
                )
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
            cores=[core_of(key) for key in keys],
            organizations=_organization_names(),
            places=_places(institutions.values()),
        )


def _organization_names() -> dict[str, list[OrganizationRef]]:
    refs = {
        row[0]: OrganizationRef(*row)
        for row in Organization.objects.values_list(
            "pk", "slug", "name", "name_ja", "sector", "country"
        )
    }
    names = defaultdict(list)
    written = [
        *Organization.objects.values_list("pk", "name"),
        *Organization.objects.exclude(name_ja="").values_list("pk", "name_ja"),
        *OrganizationAlias.objects.values_list("organization_id", "name"),
    ]
    for pk, name in written:
        entries = names[normalize_name(name)]
        if refs[pk] not in entries:
            entries.append(refs[pk])
    names.pop("", None)
    return dict(names)


def _places(institutions) -> Places:
    regions, us_codes = {}, {}
    for country, code, name, name_ja in Region.objects.values_list(
        "country", "code", "name", "name_ja"
    ):
        for written in (name, name_ja):
            if written:
                regions[normalize_name(written)] = (country, code)
        if country == "US":
            us_codes[code.lower()] = (country, code)
    return Places(
        regions=regions,
        us_codes=us_codes,
        cities={ref.city for ref in institutions if ref.city},
    )


def _signature() -> tuple:
    """Changes whenever an institution, an organization or an alias of either is
    added, removed, renamed or edited."""
    values = []
    for model in (Institution, Organization):
        values += model.objects.aggregate(
            count=Count("pk"), updated=Max("updated_at")
        ).values()
    for model in (InstitutionAlias, OrganizationAlias):
        values += model.objects.aggregate(
            count=Count("pk"), last=Max("pk"), length=Sum(Length("name"))
        ).values()
    return tuple(values)


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

    # Exact names and aliases: the whole name first; then, for an affiliation, the
    # names inside it; else the name with a unit split off.
    affiliation = read_affiliation(name, places=index.places)
    if affiliation is not None:
        query_readings = query_readings[:1]
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
        return _settled(resolution)
    if affiliation is not None:
        return _resolve_affiliation(index, resolution, affiliation, allowed)

    return _fuzzily(resolution, _fuzzy(index, query_readings, allowed))


def _settled(resolution: Resolution) -> Resolution:
    """Exact candidates found: the one, or ambiguous."""
    resolution.candidates.sort(key=lambda c: c.institution.name)
    resolution.ambiguous = len(resolution.candidates) > 1
    if not resolution.ambiguous:
        resolution.chosen = resolution.candidates[0]
    return resolution


def _fuzzily(resolution: Resolution, best) -> Resolution:
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


def _resolve_affiliation(
    index: NameIndex, resolution: Resolution, affiliation: Affiliation, allowed
) -> Resolution:
    """An institution named inside an affiliation, with the unit written around it.

    Every run of its pieces is looked up exactly (a single piece read as the
    resolver reads a name, so 京都大学大学院工学研究科 still splits), but a city after
    the first piece ("Berkeley") is not a name; only runs that say they are one
    (university, college, 大学…) are scored fuzzily. Same-named
    institutions are told apart by the address. An affiliation whose institution is
    not found but which names a laboratory, company or agency the registry holds
    resolves to that organization, never to an institution by likeness."""
    hits: dict[int, tuple[str, str | None, Span]] = {}
    for span in affiliation.spans:
        if not span.first and normalize_name(span.name) in affiliation.cities:
            continue
        # A single piece may still hold its unit (東北大学大学院工学研究科); a run of
        # pieces is a name as it stands.
        single = "," not in span.name
        for reading in readings(span.name) if single else readings(span.name)[:1]:
            for written in reading.names:
                for pk, matched_on in index.exact.get(normalize_name(written), []):
                    if allowed(pk) and pk not in hits:
                        unit = ", ".join(u for u in (span.unit, reading.unit) if u)
                        hits[pk] = (matched_on, unit or None, span)
    # The longest name wins over one written inside it.
    hits = {
        pk: hit
        for pk, hit in hits.items()
        if not any(hit[2].within(other[2]) for other in hits.values())
    }
    if len(hits) > 1:
        hits = _by_address(index, hits, affiliation)
    if hits:
        resolution.candidates = [
            Candidate(index.institutions[pk], EXACT_SCORE, matched_on)
            for pk, (matched_on, _unit, _span) in hits.items()
        ]
        _settled(resolution)
        if resolution.chosen:
            resolution.unit = hits[resolution.chosen.institution.pk][1]
        return resolution
    for span in affiliation.spans:
        organizations = index.organizations.get(normalize_name(span.name), [])
        if len(organizations) == 1:
            resolution.organization = organizations[0]
            return resolution
    if ORGANIZATION_WORDS.search(affiliation.pieces[0]):
        return resolution  # a laboratory or company the registry does not hold
    named = [
        Reading((span.name,), span.unit)
        for span in affiliation.spans
        if INSTITUTION_WORDS.search(span.name)
    ]
    return _fuzzily(resolution, _fuzzy(index, named, allowed))


def _by_address(index: NameIndex, hits: dict, affiliation: Affiliation) -> dict:
    """Of same-named institutions, those the address agrees with (its country,
    state or prefecture, city), if that leaves any."""

    def agrees(pk):
        ref = index.institutions[pk]
        return (
            (not affiliation.countries or ref.country in affiliation.countries)
            and (
                not affiliation.regions
                or (ref.country, ref.region) in affiliation.regions
            )
            and (not affiliation.cities or ref.city in affiliation.cities)
        )

    if not (affiliation.countries or affiliation.regions or affiliation.cities):
        return hits
    kept = {pk: hit for pk, hit in hits.items() if agrees(pk)}
    return kept or hits


def _is_acronym(key: str) -> bool:
    return key.isascii() and " " not in key and len(key) <= 5


def _fuzzy(index: NameIndex, query_readings, allowed):
    """The best fuzzy candidates, one per institution, best first, with the unit of
    the reading that found each."""
    best: dict[int, tuple[Candidate, str | None]] = {}
    for reading in query_readings:
        for written in reading.names:
            query = normalize_name(written)
            query_core = core_of(query)
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

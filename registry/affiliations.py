"""An affiliation string read into its parts, for the name resolver
(registry.resolver).

Award and publication records name institutions as whole affiliations: "Graduate
School of Engineering, Kyoto University, Kyoto 615-8510, Japan", "Dept. of
Chemistry, Univ. of Chicago, Chicago, IL 60637, USA". ``read_affiliation`` cuts one
at its commas, takes the address off its end (country, state or prefecture, city,
postal code: what ``Places`` knows), and offers every run of the remaining pieces as
a name to look up, with the pieces before it (or, failing those, a unit-like piece
after it) as the unit. A city is noted but kept among the pieces, as names end with
one ("University of California, Berkeley"). The address is kept: it chooses
between institutions of the same name.
"""

import re
from dataclasses import dataclass, field

from .names import normalize_name
from .search import fold

PIECE_SEPARATOR = re.compile(r"[,，、;；]")
US_POSTAL = re.compile(r"^(?:(?P<state>[a-z]{2})\.?\s+)?\d{5}(?:-\d{4})?$")
JP_POSTAL = re.compile(
    r"^(?P<place>.*?)\s*〒?\s*\d{3}-?\d{4}$|^〒?\s*\d{3}-?\d{4}\s*(?P<after>.*)$"
)
# A ward, city, town or village: "Sakyo-ku", "Aoba-ku", "Bunkyo-ku", 仙台市, 青葉区.
MUNICIPALITY = re.compile(
    r"^[\w\s.'-]+-(?:ku|shi|cho|machi|mura|gun)$|^[^\s]+[区市町村郡]$"
)
COUNTRIES = {
    "usa": "US",
    "us": "US",
    "u s a": "US",
    "u s": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "japan": "JP",
    "日本": "JP",
    "nippon": "JP",
}
# Words of a unit within an institution (a school, department, laboratory, hospital).
UNIT_WORDS = re.compile(
    r"\b(?:department|dept|school|faculty|college|graduate|division|laboratory|lab|"
    r"center|centre|institute|program|programme|section|hospital|clinic|unit)\b|研究科|学部|専攻|学科|研究所|附属|病院|センター|学院|学府|研究院|教室",
    re.IGNORECASE,
)
# Abbreviations of unit words, spelled out in the unit a participant is given.
UNIT_ABBREVIATIONS = {
    "dept": "Department",
    "depts": "Departments",
    "grad": "Graduate",
    "sch": "School",
    "inst": "Institute",
    "lab": "Laboratory",
    "labs": "Laboratories",
    "fac": "Faculty",
    "div": "Division",
    "ctr": "Center",
    "med": "Medicine",
    "sci": "Science",
    "eng": "Engineering",
    "engn": "Engineering",
    "univ": "University",
}
ABBREVIATION = re.compile(
    r"\b(" + "|".join(UNIT_ABBREVIATIONS) + r")\b\.?", re.IGNORECASE
)


ADDRESS, CITY = "address", "city"


@dataclass(frozen=True)
class Span:
    """One name the affiliation may hold, and the unit that goes with it."""

    name: str
    unit: str | None
    start: int  # the pieces it runs over: pieces[start:end]
    end: int

    @property
    def first(self) -> bool:
        """It starts at the first piece: no unit is written before it."""
        return self.start == 0

    def within(self, other: "Span") -> bool:
        """A shorter run inside ``other`` (State University of New York inside
        University at Albany, State University of New York)."""
        return (
            other.start <= self.start
            and self.end <= other.end
            and (self.start, self.end) != (other.start, other.end)
        )


@dataclass
class Affiliation:
    spans: list[Span]
    pieces: list[str]  # what is left once the address is off
    countries: set[str] = field(default_factory=set)
    regions: set[tuple[str, str]] = field(default_factory=set)  # (country, code)
    cities: set[str] = field(default_factory=set)  # folded


@dataclass
class Places:
    """The places an address may name: (country, region code) by normalized state
    or prefecture name and by USPS code, and the normalized cities of the
    registry's institutions (``names.normalize_name``)."""

    regions: dict[str, tuple[str, str]]
    us_codes: dict[str, tuple[str, str]]
    cities: set[str]

    def read(self, piece: str, into: Affiliation) -> str | None:
        """What part of an address ``piece`` is, if any: ``ADDRESS`` (a country, a
        state or prefecture, a postal code) or ``CITY`` (which may also end a name:
        "University of California, Berkeley"); what it names goes ``into``."""
        folded = " ".join(re.sub(r"[^\w\s〒-]", " ", fold(piece)).split())
        if not folded:
            return ADDRESS
        if folded in COUNTRIES:
            into.countries.add(COUNTRIES[folded])
            return ADDRESS
        if match := US_POSTAL.match(folded):
            state = match["state"]
            if state and state not in self.us_codes:
                return None
            if state:
                into.regions.add(self.us_codes[state])
            into.countries.add("US")
            return ADDRESS
        if match := JP_POSTAL.match(folded):
            rest = (match["place"] or match["after"] or "").strip()
            into.countries.add("JP")
            return ADDRESS if not rest or self.read(rest, into) else None
        if folded in self.us_codes and piece.strip().isupper():
            into.regions.add(self.us_codes[folded])
            return ADDRESS
        name = (
            folded.removesuffix(" prefecture").removesuffix("-fu").removesuffix("-ken")
        )
        if name in self.regions:
            into.regions.add(self.regions[name])
            return ADDRESS
        if normalize_name(piece) in self.cities or MUNICIPALITY.match(folded):
            into.cities.add(normalize_name(piece))
            return CITY
        # "Chicago IL", "Kyoto Japan": a place followed by a state or country.
        words = folded.rsplit(" ", 1)
        if (
            len(words) == 2
            and (words[1] in COUNTRIES or words[1] in self.us_codes)
            and self.read(words[0], into)
            and self.read(words[1].upper(), into)
        ):
            return ADDRESS
        return None


def read_affiliation(text: str, *, places: Places) -> Affiliation | None:
    """The affiliation's names and units, and its address; None unless ``text`` is
    several pieces (a plain name is the resolver's as it stands)."""
    pieces = [piece.strip() for piece in PIECE_SEPARATOR.split(text) if piece.strip()]
    if len(pieces) < 2:
        return None
    affiliation = Affiliation(spans=[], pieces=pieces)
    # The address ends the affiliation; a city in it stays among the pieces, as a
    # name may end with one.
    while len(pieces) > 1:
        part = places.read(pieces[-1], affiliation)
        if part != ADDRESS:
            break
        pieces.pop()
    affiliation.pieces = pieces
    for first in range(len(pieces)):
        for last in range(len(pieces), first, -1):
            before = pieces[:first]
            after = [piece for piece in pieces[last:] if UNIT_WORDS.search(piece)]
            unit = ", ".join(before or after)
            affiliation.spans.append(
                Span(
                    ", ".join(pieces[first:last]),
                    spelled_out(unit) or None,
                    first,
                    last,
                )
            )
    return affiliation


def spelled_out(unit: str) -> str:
    """A unit with its abbreviations written out ("Dept. of Chem." keeps Chem.)."""
    return ABBREVIATION.sub(
        lambda match: UNIT_ABBREVIATIONS[match[1].lower()], unit
    ).strip()

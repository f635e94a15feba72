"""Reading one cell's text as a value, the same way in every importer: lists split on
semicolons, choices by value or label, coordinates, websites and their hosts, names
compared as aliases, Japanese script, and the quoted lists and "Did you mean …?"
hints that messages about cells end with."""

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from ..exports import unescape_formula
from ..models import Institution, InstitutionAlias, Language, validate_web_url
from ..names import normalize_name
from ..search import KANA, KANJI, fold

# Several values in one cell: "a; b", one a line, or a full-width ；.
LIST_SEPARATOR = re.compile(r"\s*(?:;|\n|\r\n?|；)\s*")
COORDINATE = Decimal("0.000001")

CJK = re.compile(f"[{KANJI}]")
JAPANESE = re.compile(f"[{KANA}{KANJI}]")
KANA_ONLY = re.compile(rf"^[{KANA}\s・ー]+$")
# CJK symbols and punctuation, kana, and full-width ASCII forms: characters only
# Japanese text has (kanji aside, which other scripts share).
ONLY_IN_JAPANESE = re.compile("[\u3000-\u30ff\uff01-\uff5e]")

WEBSITE_MAX = Institution._meta.get_field("website").max_length
ALIAS_MAX = InstitutionAlias._meta.get_field("name").max_length


def cell(values: dict, column: str) -> str:
    """A cell's text, stripped, without the quote exports put before a cell a
    spreadsheet would evaluate."""
    return unescape_formula(values.get(column, "") or "").strip()


def items(text: str) -> list[str]:
    """The values of a cell that lists several, separated by ; or new lines."""
    return [item for item in LIST_SEPARATOR.split(text) if item]


def squeeze(text: str) -> str:
    """Runs of white space (full-width included) as one space."""
    return " ".join((text or "").split())


def choice_key(text: str) -> str:
    """Choices and codes compared folded, punctuation and spacing aside."""
    return "_".join(re.findall(r"\w+", fold(text)))


def choice_of(text: str, choices, extra: dict | None = None) -> str | None:
    """The value of ``choices`` ((value, label) pairs) that ``text`` names by its value,
    its label or an ``extra`` spelling (spelling -> value), any case; None if none."""
    spellings = {
        choice_key(spelling): value for spelling, value in (extra or {}).items()
    }
    for value, label in choices:
        spellings.setdefault(choice_key(value), value)
        spellings.setdefault(choice_key(str(label)), value)
    return spellings.get(choice_key(text))


def decimal(text, low=None, high=None) -> Decimal | None:
    """A number to six decimal places (a coordinate's precision); None when the text
    is not a finite number, or not between ``low`` and ``high`` when they are given."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    if low is not None and not low <= value <= high:
        return None
    return value.quantize(COORDINATE)


def coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    """A latitude and longitude in degrees, both or neither."""
    lat, lng = decimal(latitude, -90, 90), decimal(longitude, -180, 180)
    return (lat, lng) if lat is not None and lng is not None else (None, None)


def website_url(text: str) -> str:
    """An http(s) URL, with https:// added where the text gives none; blank when the
    text is not a usable address."""
    text = (text or "").strip()
    if not text or " " in text:
        return ""
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        text = "https://" + text
    try:
        validate_web_url(text)
    except ValidationError:
        return ""
    return text if len(text) <= WEBSITE_MAX else ""


def website_host(url: str) -> str:
    """What identifies a website: its host, lower case, without ``www.`` (or
    ``www2.``: the same site)."""
    if not url:
        return ""
    if "://" not in url:
        url = "https://" + url
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return re.sub(r"^www\d*\.", "", host.lower())


def alias_key(text: str) -> str:
    """Names that differ only in case, width, punctuation or spacing are one name."""
    return normalize_name(text).replace(" ", "")


def alias_language(text: str) -> str:
    """Japanese for a name in Japanese script, else English."""
    return Language.JA if JAPANESE.search(text) else Language.EN


def quoted(names) -> str:
    return ", ".join(f"“{name}”" for name in names)


def closest(text: str, labels: dict, *, score_cutoff: int) -> list:
    """The keys of the (at most three) ``labels`` (key -> label) closest to
    ``text``, closest first."""
    close = process.extract(
        text, labels, scorer=fuzz.WRatio, limit=3, score_cutoff=score_cutoff
    )
    return [match[2] for match in close]


def did_you_mean(text: str, labels: dict, *, score_cutoff: int) -> str:
    """“ Did you mean …?” with the closest of ``labels`` (key -> label), or ""."""
    keys = closest(text, labels, score_cutoff=score_cutoff)
    if not keys:
        return ""
    return " " + _("Did you mean %(names)s?") % {
        "names": quoted(labels[key] for key in keys)
    }

"""How written institution names are read: the comparable form of a name, and the
ways a school, campus or unit may be split off it. The resolver (registry.resolver)
looks names up in this form, and imports compare names in it."""

import re
import unicodedata
from dataclasses import dataclass

from .search import CJK, fold

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
# ヴ spellings are written with バ-row kana as often (ヴァージニア, バージニア): read as
# those, before folding takes the voicing marks off both.
VU_SPELLINGS = {"ヴァ": "バ", "ヴィ": "ビ", "ヴェ": "ベ", "ヴォ": "ボ", "ヴ": "ブ"}
VU = re.compile("|".join(sorted(VU_SPELLINGS, key=len, reverse=True)))
# The dot between the words of a katakana name (カーネギー・メロン), full- or
# half-width: written or not.
NAME_DOTS = re.compile("[・･]")
# A Japanese corporation's legal form before its name (国立大学法人東北大学): the
# institution is the same with or without it.
CORPORATE_FORM = re.compile(
    r"^\s*(?:国立大学法人|公立大学法人|学校法人|独立行政法人|国立研究開発法人|"
    r"大学共同利用機関法人|national\s+university\s+corporation)\s*",
    re.IGNORECASE,
)
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


def normalize_name(text: str) -> str:
    """The comparable form of a name: folded for width, case and diacritics, without
    punctuation or "the", abbreviations of words spelled out."""
    text = CORPORATE_FORM.sub("", VU.sub(lambda m: VU_SPELLINGS[m[0]], text or ""))
    text = NAME_DOTS.sub("", text)
    text = fold(text).replace("&", " and ").replace("'", "").replace("’", "")
    words = []
    for word in NOT_WORD.sub(" ", text).split():
        word = WORD_FORMS.get(word, word)
        if word not in DROPPED_WORDS:
            words.append(word)
    return SPACE_NEXT_TO_CJK.sub("", " ".join(words))


def core_of(normalized: str) -> str:
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

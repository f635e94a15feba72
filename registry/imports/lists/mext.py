"""MEXT's university list (大学一覧, CSV in UTF-8 or CP932): every national, public and
private university, with its English name's spaces put back and its prefecture as
the school code files it."""

import re
import unicodedata

from django.utils.translation import gettext as _

from ...models import Country, IdentifierScheme, InstitutionType, Region
from ..cells import squeeze
from .base import ListFormat, ParsedList, read_list_rows

MEXT_TYPES = {
    "国立": InstitutionType.JP_NATIONAL,
    "公立": InstitutionType.JP_PUBLIC,
    "私立": InstitutionType.JP_PRIVATE,
}
MEXT_REQUIRED = ("mext_code", "name_ja", "name_en", "type_ja")
# MEXT dropped the spaces of most private names: "KyotoUniversityoftheArts".
GLUED_SMALL_WORD = re.compile(r"(?<=[a-z])(of|and|for|the)(?=[A-Z]|of|and|for|the)")
WORD_START = re.compile(
    r"(?<=[a-z'’])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[,&])(?=\S)"
)
SMALL_WORDS = {"And", "Of", "The", "For", "In", "At", "On"}
POSTCODE = re.compile(r"^〒?\s*\d{3}-?\d{4}\s*")


def mext_english_name(text: str) -> str:
    """MEXT's English name with its spaces back and small words in lower case:
    "KyotoUniversityoftheArts" → "Kyoto University of the Arts"."""
    text = GLUED_SMALL_WORD.sub(r" \1 ", squeeze(text))
    text = WORD_START.sub(" ", text)
    text = re.sub(r"\s*-\s*", "-", text).replace("’", "'")
    words = text.split()
    return " ".join(
        word.lower() if position and word in SMALL_WORDS else word
        for position, word in enumerate(words)
    )


def address_prefecture(address: str, prefectures: dict[str, str]) -> str:
    """The JIS code of the prefecture an address starts with, after its postcode
    (written with full-width digits and hyphens in MEXT's list: 〒060－0808)."""
    text = POSTCODE.sub("", unicodedata.normalize("NFKC", address or "").strip())
    for name, code in prefectures.items():
        if text.startswith(name):
            return code
    return ""


def parse_mext(data: bytes, *, sheet=None, prefectures=None) -> ParsedList:
    rows, encoding = read_list_rows(
        data, list_format=ListFormat.MEXT, required=MEXT_REQUIRED, sheet=sheet
    )
    parsed = ParsedList(ListFormat.MEXT, rows=len(rows), encoding=encoding)
    prefectures = prefectures if prefectures is not None else _prefectures()
    for number, row in rows:
        errors = []
        code = unicodedata.normalize("NFKC", row["mext_code"]).strip().upper()
        if not parsed.identify(IdentifierScheme.MEXT, code):
            errors.append(
                _("“%(value)s” is not a MEXT school code (F and twelve digits).")
                % {"value": row["mext_code"]}
            )
        name = mext_english_name(row["name_en"])
        if not name:
            errors.append(_("the English name (name_en) is blank."))
        name_ja = squeeze(row["name_ja"])
        if not name_ja:
            errors.append(_("the Japanese name (name_ja) is blank."))
        institution_type = MEXT_TYPES.get(row["type_ja"])
        if institution_type is None:
            errors.append(
                _("type “%(value)s” is not 国立, 公立 or 私立.")
                % {"value": row["type_ja"]}
            )
        prefecture = row.get("pref_code_from_mext") or code[2:4]
        prefecture = unicodedata.normalize("NFKC", prefecture).strip().zfill(2)
        if prefecture not in prefectures.values():
            errors.append(
                _("“%(value)s” is not a prefecture code (01–47).")
                % {"value": prefecture}
            )
        if parsed.add_errors(number, errors):
            continue
        # The code files the university under its prefecture; a campus address
        # elsewhere (東海大学 in Kanagawa, 東京福祉大学 in Gunma) does not move it.
        in_address = address_prefecture(row.get("address_ja", ""), prefectures)
        if in_address and in_address != prefecture:
            names = {jis: name_of for name_of, jis in prefectures.items()}
            parsed.notes.append(
                _(
                    "Row %(row)s, %(name)s: the address is in %(address)s, the "
                    "school code says %(code)s; the code's prefecture is used."
                )
                % {
                    "row": number,
                    "name": name_ja,
                    "address": names[in_address],
                    "code": names[prefecture],
                }
            )
        parsed.add_record(
            number,
            name,
            name_ja=name_ja,
            country=Country.JP,
            institution_type=institution_type,
            region_code=prefecture,
            identifiers={IdentifierScheme.MEXT: code},
            creatable=True,
        )
    return parsed


def _prefectures() -> dict[str, str]:
    """Japanese prefecture name (東京都) → JIS code (13)."""
    return dict(
        Region.objects.filter(country=Country.JP).values_list("name_ja", "code")
    )

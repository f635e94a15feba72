"""A ROR CSV extract: active education records of the U.S. and Japan, which enrich
the institutions already in the registry (ROR ID, Japanese name, city, website,
aliases in their language) and create none."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import AliasKind, Country, IdentifierScheme, Language
from ..cells import CJK, JAPANESE, KANA_ONLY, coordinates, squeeze, website_url
from .base import (
    ListFormat,
    ParsedList,
    read_list_rows,
    usable_alias,
)

ROMANIZED = re.compile(r"daigaku|gakuin|gakuen|[āīūēōĀĪŪĒŌ]", re.IGNORECASE)
ROR_REQUIRED = ("ror_id", "name", "types", "status", "country_code")
SKIP_ROR_COUNTRY = gettext_lazy("outside the U.S. and Japan")
SKIP_ROR_STATUS = gettext_lazy("withdrawn or inactive in ROR")
SKIP_ROR_TYPE = gettext_lazy("not an education record")
US_STATE = re.compile(r"^[A-Z]{2}$")


def _pipe_list(text: str) -> list[str]:
    return [squeeze(part) for part in (text or "").split("|") if squeeze(part)]


def ror_aliases(row: dict[str, str], country: str) -> list[tuple[str, str, str]]:
    """ROR's other names with their language and kind; kana readings
    (とうほくだいがく) are dropped: nobody writes a name that way."""
    found = []
    for text in _pipe_list(row.get("acronyms", "")):
        if CJK.search(text):
            found.append((text, Language.JA, AliasKind.ABBREVIATION))
        else:
            found.append((text, Language.EN, AliasKind.ACRONYM))
    for column in ("name_ja_other", "aliases"):
        for text in _pipe_list(row.get(column, "")):
            if KANA_ONLY.match(text):
                continue
            if JAPANESE.search(text):
                found.append((text, Language.JA, AliasKind.ALTERNATIVE))
            elif country == Country.JP and (
                column == "name_ja_other" or ROMANIZED.search(text)
            ):
                found.append((text, Language.JA_LATN, AliasKind.ROMANIZATION))
            else:
                found.append((text, Language.EN, AliasKind.ALTERNATIVE))
    return [alias for alias in found if usable_alias(alias[0])]


def parse_ror(data: bytes, *, sheet=None) -> ParsedList:
    rows, encoding = read_list_rows(
        data, list_format=ListFormat.ROR, required=ROR_REQUIRED, sheet=sheet
    )
    parsed = ParsedList(ListFormat.ROR, rows=len(rows), encoding=encoding)
    for number, row in rows:
        ror_id = row["ror_id"].strip().removeprefix("https://ror.org/")
        is_ror_id = parsed.identify(IdentifierScheme.ROR, ror_id)
        country = row["country_code"].upper()
        if country not in Country.values:
            parsed.skipped[str(SKIP_ROR_COUNTRY)] += 1
            continue
        if row["status"].lower() != "active":
            parsed.skipped[str(SKIP_ROR_STATUS)] += 1
            continue
        if "education" not in row["types"].lower().split("|"):
            parsed.skipped[str(SKIP_ROR_TYPE)] += 1
            continue
        name = squeeze(row["name"])
        errors = []
        if not is_ror_id:
            errors.append(_("“%(value)s” is not a ROR ID.") % {"value": row["ror_id"]})
        if not name:
            errors.append(_("the name is blank."))
        if parsed.add_errors(number, errors):
            continue
        aliases = ror_aliases(row, country)
        name_ja = squeeze(row.get("name_ja", ""))
        if name_ja and not JAPANESE.search(name_ja):
            # Some "Japanese" labels are romanized: "Seisen Daigaku".
            aliases.append((name_ja, Language.JA_LATN, AliasKind.ROMANIZATION))
            name_ja = ""
        # ROR's admin1 is unreliable for Japan (Aichi filed under JP.01).
        state = row.get("admin1_code", "").upper()
        latitude, longitude = coordinates(row.get("lat", ""), row.get("lng", ""))
        parsed.add_record(
            number,
            name,
            name_ja=name_ja,
            country=country,
            region_code=state
            if country == Country.US and US_STATE.match(state)
            else "",
            city=squeeze(row.get("city", "")),
            website=website_url(row.get("website", "")),
            latitude=latitude,
            longitude=longitude,
            identifiers={IdentifierScheme.ROR: ror_id},
            aliases=aliases,
            match_by_website=not row.get("parent_ror", "").strip(),
        )
    return parsed

"""The IPEDS directory file (HD, as NCES publishes it): degree-granting, active
institutions of the states and territories, with the UNITIDs of the closed ones they
took over (NEWID) and their other names (IALIAS) split into aliases."""

import re
from collections import defaultdict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import AliasKind, Country, IdentifierScheme, InstitutionType, Language
from ...models.institutions import IDENTIFIER_PATTERNS
from ..cells import coordinates, squeeze, website_url
from .base import (
    ListFormat,
    ParsedList,
    RowError,
    cell_value,
    english_kind,
    read_list_rows,
    usable_alias,
)

IPEDS_REQUIRED = (
    "unitid",
    "instnm",
    "city",
    "stabbr",
    "control",
    "deggrant",
    "cyactive",
)
IPEDS_CONTROL = {
    "1": InstitutionType.US_PUBLIC,
    "2": InstitutionType.US_PRIVATE_NONPROFIT,
    "3": InstitutionType.US_PRIVATE_FOR_PROFIT,
}
# IALIAS packs several names: "A | B", "A; B", "A / B", "A  B" (two spaces), "A, B".
ALIAS_SEPARATOR = re.compile(r"\s*[|;]\s*|\s+/\s+|\s{2,}")
CORPORATE_SUFFIXES = {"inc", "llc", "ltd", "corp", "co", "lp", "pc", "pllc"}
SKIP_CLOSED = gettext_lazy("closed or merged into another UNITID (CYACTIVE, CLOSEDAT)")
SKIP_NOT_DEGREE = gettext_lazy("not degree-granting (DEGGRANT)")
SKIP_OFFICE = gettext_lazy("administrative office, not an institution (SECTOR 0)")
SKIP_NOT_POSTSECONDARY = gettext_lazy("not primarily postsecondary (PSEFLAG)")


def split_ipeds_aliases(text: str) -> list[str]:
    """IALIAS's names, one each. A comma separates names in a list of three or more,
    or beside an acronym ("RPI, Rensselaer"); otherwise it is part of the name
    ("University of California, San Francisco", "Rutgers, Camden"), as it is before
    a company suffix ("Capps College, Inc.")."""
    found = []
    for part in ALIAS_SEPARATOR.split(text or ""):
        part = part.strip(" ,")
        pieces = [squeeze(piece) for piece in part.split(",")]
        if (
            len(pieces) > 1
            and all(pieces)
            and (
                len(pieces) > 2
                or any(english_kind(p) == AliasKind.ACRONYM for p in pieces)
            )
            and not any(p.rstrip(".").lower() in CORPORATE_SUFFIXES for p in pieces)
        ):
            found += pieces
        else:
            found.append(squeeze(part))
    return [alias for alias in dict.fromkeys(found) if usable_alias(alias)]


def parse_ipeds(data: bytes, *, sheet=None) -> ParsedList:
    rows, encoding = read_list_rows(
        data, list_format=ListFormat.IPEDS, required=IPEDS_REQUIRED, sheet=sheet
    )
    parsed = ParsedList(ListFormat.IPEDS, rows=len(rows), encoding=encoding)
    pattern = IDENTIFIER_PATTERNS[IdentifierScheme.IPEDS][0]
    # NEWID: the UNITID a closed one merged into; its institution is the survivor's.
    predecessors = defaultdict(list)
    for number, row in rows:
        unitid = row["unitid"]
        if not parsed.identify(IdentifierScheme.IPEDS, unitid):
            parsed.errors.append(
                RowError(
                    number,
                    _("UNITID “%(value)s” is not six digits.") % {"value": unitid},
                )
            )
            continue
        closed = (
            row["cyactive"] != "1"
            or cell_value(row, "closedat")
            or row.get("pseflag") == "3"
        )
        if closed:
            if pattern.match(cell_value(row, "newid")):
                predecessors[row["newid"]].append(unitid)
            parsed.skipped[str(SKIP_CLOSED)] += 1
            continue
        if row["deggrant"] != "1":
            parsed.skipped[str(SKIP_NOT_DEGREE)] += 1
            continue
        if row.get("sector") == "0":
            parsed.skipped[str(SKIP_OFFICE)] += 1
            continue
        if row.get("pseflag") == "2":
            parsed.skipped[str(SKIP_NOT_POSTSECONDARY)] += 1
            continue
        name = squeeze(cell_value(row, "instnm"))
        institution_type = IPEDS_CONTROL.get(row["control"])
        if not name or institution_type is None:
            if not name:
                parsed.errors.append(RowError(number, _("the name (INSTNM) is blank.")))
            if institution_type is None:
                parsed.errors.append(
                    RowError(
                        number,
                        _("CONTROL “%(value)s” is not 1, 2 or 3.")
                        % {"value": row["control"]},
                    )
                )
            continue
        latitude, longitude = coordinates(
            cell_value(row, "latitude"), cell_value(row, "longitud")
        )
        parsed.add_record(
            number,
            name,
            country=Country.US,
            institution_type=institution_type,
            region_code=cell_value(row, "stabbr").upper(),
            city=squeeze(cell_value(row, "city")),
            website=website_url(cell_value(row, "webaddr")),
            latitude=latitude,
            longitude=longitude,
            identifiers={IdentifierScheme.IPEDS: unitid},
            aliases=[
                (alias, Language.EN, english_kind(alias))
                for alias in split_ipeds_aliases(cell_value(row, "ialias"))
            ],
            creatable=True,
        )
    for record in parsed.records:
        record.former_identifiers = [
            (IdentifierScheme.IPEDS, old)
            for old in predecessors.get(record.identifiers[IdentifierScheme.IPEDS], [])
        ]
    return parsed

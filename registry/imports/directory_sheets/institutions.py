"""The institution sheet: its columns, the fields it reads (type and state or
prefecture in the light of the country, coordinates, classification, enrollment,
ROR, IPEDS and MEXT identifiers), its export, and the identifiers it writes."""

import re
from collections import defaultdict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import (
    Country,
    EnrollmentBand,
    IdentifierScheme,
    ImportKind,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionType,
    Region,
    ResearchClassification,
)
from ..cells import choice_key, decimal, did_you_mean, items
from ..directory import Directory
from .columns import INSTITUTION_COLUMNS
from .rows import DirectoryRow
from .sheet import BULK_BATCH, Sheet

JAPANESE_TYPES = {
    "国立": InstitutionType.JP_NATIONAL,
    "公立": InstitutionType.JP_PUBLIC,
    "私立": InstitutionType.JP_PRIVATE,
    "大学共同利用機関": InstitutionType.JP_INTER_UNIVERSITY,
}
PREFECTURE_SUFFIX = re.compile(
    r"(?<=.)(?:都|道|府|県)$|[\s-]+(?:prefecture|ken|fu|to)$", re.IGNORECASE
)


class InstitutionSheet(Sheet):
    kind = ImportKind.INSTITUTIONS
    model = Institution
    alias_model = InstitutionAlias
    alias_owner = "institution"
    columns = INSTITUTION_COLUMNS
    fields = (
        "name",
        "name_ja",
        "country",
        "institution_type",
        "parent",
        "region",
        "city",
        "website",
        "latitude",
        "longitude",
        "research_classification",
        "enrollment_band",
    )
    identifier_columns = {
        "ror_id": IdentifierScheme.ROR,
        "ipeds_id": IdentifierScheme.IPEDS,
        "mext_code": IdentifierScheme.MEXT,
    }
    key_columns = ("slug", "name", "name_ja", "ror_id", "ipeds_id", "mext_code")
    noun = gettext_lazy("institution")
    parent_noun = gettext_lazy("parent system")
    reindex_by = "institutions"

    def load(self) -> Directory:
        self.regions = defaultdict(dict)  # country -> key -> Region
        self.region_names = defaultdict(dict)  # country -> pk -> name
        for region in Region.objects.all():
            keys = {region.code, region.name, region.name_ja, region.slug}
            keys |= {PREFECTURE_SUFFIX.sub("", name) for name in keys}
            if region.code.isdigit():
                keys.add(str(int(region.code)))
            for key in keys - {""}:
                self.regions[region.country][choice_key(key)] = region
            self.region_names[region.country][region.pk] = (
                f"{region.name} ({region.code})"
            )
        return Directory.of_institutions()

    def read_own(self, row: DirectoryRow) -> None:
        if row.has("city"):
            row.proposed["city"] = row.cell("city")
        for name in ("latitude", "longitude"):
            if not row.has(name):
                continue
            text = row.cell(name)
            value = decimal(text.replace(",", ".")) if text else None
            if text and value is None:
                row.error(
                    name,
                    _("“%(text)s” is not a number of degrees such as 38.2541.")
                    % {"text": text},
                )
            else:
                row.proposed[name] = value
        self.read_choice(
            row, "enrollment_band", EnrollmentBand.choices, noun=_("enrollment band")
        )
        self.read_choice(
            row,
            "research_classification",
            ResearchClassification.choices,
            noun=_("research classification"),
        )
        for column, scheme in self.identifier_columns.items():
            for text in items(row.cell(column)):
                value = self._read_identifier(row, column, scheme, text)
                if value:
                    row.identifiers.append((scheme, value, column))

    def read_in_country(self, row: DirectoryRow, country: str) -> None:
        if row.has("institution_type"):
            extra = dict(JAPANESE_TYPES)
            likely = None
            if country:
                # "Public" with the country: us_public or jp_public.
                prefix = f"{country.lower()}_"
                likely = [v for v in InstitutionType.values if v.startswith(prefix)]
                for value, label in InstitutionType.choices:
                    if value in likely:
                        extra[value.removeprefix(prefix)] = value
                        # The label without its country: "(U.S.)", or （米国）.
                        extra[re.sub(r"\s*[(（].*[)）]$", "", str(label))] = value
            self.read_choice(
                row,
                "institution_type",
                InstitutionType.choices,
                noun=_("type of institution"),
                extra=extra,
                likely=likely,
            )
        if row.has("region"):
            text = row.cell("region")
            if not text:
                row.proposed["region"] = None
            elif country:
                region = self.regions[country].get(choice_key(text)) or self.regions[
                    country
                ].get(choice_key(PREFECTURE_SUFFIX.sub("", text)))
                if region is None:
                    noun = _("U.S. state") if country == Country.US else _("prefecture")
                    row.error(
                        "region",
                        _("“%(text)s” is not a %(noun)s the registry knows.")
                        % {"text": text, "noun": noun}
                        + (
                            did_you_mean(
                                text, self.region_names[country], score_cutoff=60
                            )
                            or " "
                            + _(
                                "Write a state's USPS code (CA) or a prefecture's "
                                "name (Miyagi)."
                            )
                        ),
                    )
                else:
                    row.proposed["region"] = region

    def slug_qualifiers(self, row: DirectoryRow) -> list[str]:
        region = row.proposed.get("region")
        return [region.slug if region else "", row.proposed.get("city", "")]

    def check_new_parent(self, row: DirectoryRow, country: str) -> None:
        parent_country = row.parent_row.proposed.get("country", "")
        if country and parent_country and parent_country != country:
            row.error(
                "parent", _("A campus and its system must be in the same country.")
            )

    def export_queryset(self, queryset):
        return queryset.select_related("region", "parent").prefetch_related(
            "aliases", "identifiers"
        )

    def export_row(self, record) -> dict[str, str]:
        identifiers = defaultdict(list)
        for identifier in record.identifiers.all():
            identifiers[identifier.scheme].append(identifier.value)
        region = record.region
        return {
            "slug": record.slug,
            "name": record.name,
            "name_ja": record.name_ja,
            "country": record.country,
            "institution_type": record.institution_type,
            "parent": record.parent.slug if record.parent else "",
            # What curators write: CA; Miyagi rather than 04.
            "region": (
                (region.code if region.country == Country.US else region.name)
                if region
                else ""
            ),
            "city": record.city,
            "website": record.website,
            "latitude": record.latitude,
            "longitude": record.longitude,
            **{
                column: "; ".join(sorted(identifiers[scheme]))
                for column, scheme in self.identifier_columns.items()
            },
            "research_classification": record.research_classification,
            "enrollment_band": record.enrollment_band,
            "aliases": "; ".join(alias.name for alias in record.aliases.all()),
        }

    def write_identifiers(self, rows) -> None:
        InstitutionIdentifier.objects.bulk_create(
            [
                InstitutionIdentifier(
                    institution=row.written, scheme=scheme, value=value
                )
                for row in rows
                for scheme, value in row.new_identifiers
            ],
            batch_size=BULK_BATCH,
        )

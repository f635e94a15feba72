"""The organization sheet: its columns, the fields it reads (sector, one ROR ID kept
when the cell is blank), and its export."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import (
    IdentifierScheme,
    ImportKind,
    Organization,
    OrganizationAlias,
    Sector,
)
from ..directory import Directory
from .columns import ORGANIZATION_COLUMNS
from .rows import DirectoryRow
from .sheet import Sheet


class OrganizationSheet(Sheet):
    kind = ImportKind.ORGANIZATIONS
    model = Organization
    alias_model = OrganizationAlias
    alias_owner = "organization"
    columns = ORGANIZATION_COLUMNS
    fields = ("name", "name_ja", "sector", "country", "parent", "ror_id", "website")
    key_columns = ("slug", "name", "name_ja", "ror_id")
    noun = gettext_lazy("organization")
    parent_noun = gettext_lazy("parent organization")
    reindex_by = "organizations"

    def load(self) -> Directory:
        return Directory.of_organizations()

    def read_own(self, row: DirectoryRow) -> None:
        self.read_choice(row, "sector", Sector.choices, noun=_("sector"))
        text = row.cell("ror_id")
        # As an institution's identifiers, a ROR ID is never removed by an import: a
        # blank cell keeps it.
        if text:
            value = self._read_identifier(row, "ror_id", IdentifierScheme.ROR, text)
            if value:
                row.proposed["ror_id"] = value
                row.identifiers.append((IdentifierScheme.ROR, value, "ror_id"))

    def slug_qualifiers(self, row: DirectoryRow) -> list[str]:
        return [row.proposed.get("country", "")]

    def export_queryset(self, queryset):
        return queryset.select_related("parent").prefetch_related("aliases")

    def export_row(self, record) -> dict[str, str]:
        return {
            "slug": record.slug,
            "name": record.name,
            "name_ja": record.name_ja,
            "sector": record.sector,
            "country": record.country,
            "parent": record.parent.slug if record.parent else "",
            "ror_id": record.ror_id,
            "website": record.website,
            "aliases": "; ".join(alias.name for alias in record.aliases.all()),
        }

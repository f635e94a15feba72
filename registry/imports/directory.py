"""The registry's institutions, or its organizations, held in memory while a file is
planned: every record with its slugs, identifiers, website hosts, names and aliases,
loaded in a handful of queries so that matching a row costs none. The official lists
and the directory sheets match their rows against it alike."""

from collections import defaultdict
from collections.abc import Callable, Iterable

from ..models import (
    AliasKind,
    IdentifierScheme,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionRedirect,
    Organization,
    OrganizationAlias,
)
from ..names import normalize_name
from ..slugs import free_slug
from .cells import alias_key, website_host


class Directory:
    """Records of one kind, found by slug, identifier, website host or name.

    Names and hosts are compared within an *area*: an institution's country, or
    everywhere for organizations (an agency's name is its own in any country). Lookups
    give primary keys; ``records`` gives the record of each."""

    def __init__(
        self,
        records: Iterable,
        *,
        identifiers: Iterable[tuple[int, str, str]],
        aliases: Iterable[tuple[int, str, str]],
        old_slugs: dict,
        area: Callable[[str], str | None],
        slug_fallback: str,
    ):
        self.area = area  # country -> area; None: names cannot tell the record
        self.slug_fallback = slug_fallback
        self.records = {record.pk: record for record in records}
        self.by_slug = {record.slug: record for record in self.records.values()}
        self.old_slugs = old_slugs  # old slug -> the record it now is
        self.slugs = set(self.by_slug) | set(old_slugs)
        self.by_identifier: dict[tuple[str, str], int] = {}
        self.identifiers_of: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for pk, scheme, value in identifiers:
            self.by_identifier[(scheme, value)] = pk
            self.identifiers_of[pk].add((scheme, value))
        self.aliases_of: dict[int, list[str]] = defaultdict(list)
        former_names = []
        for pk, name, kind in aliases:
            self.aliases_of[pk].append(name)
            if kind == AliasKind.FORMER_NAME:
                former_names.append((pk, name))
        self.by_host: dict[tuple, set[int]] = defaultdict(set)
        self.by_name: dict[tuple, set[int]] = defaultdict(set)
        self.names_of: dict[int, set[str]] = {}
        for pk, record in self.records.items():
            area = self.area(record.country)
            if host := website_host(record.website):
                self.by_host[(area, host)].add(pk)
            names = {
                normalize_name(text)
                for text in (record.name, record.name_ja, *self.aliases_of[pk])
            } - {""}
            self.names_of[pk] = names
            for name in names:
                self.by_name[(area, name)].add(pk)
        # A former name finds a merged institution as its predecessor's code does.
        self.by_former_name: dict[tuple, set[int]] = defaultdict(set)
        for pk, name in former_names:
            key = (self.area(self.records[pk].country), normalize_name(name))
            self.by_former_name[key].add(pk)

    @classmethod
    def of_institutions(cls) -> "Directory":
        return cls(
            Institution.objects.select_related("region", "parent"),
            identifiers=InstitutionIdentifier.objects.values_list(
                "institution_id", "scheme", "value"
            ),
            aliases=InstitutionAlias.objects.values_list(
                "institution_id", "name", "kind"
            ),
            old_slugs={
                redirect.old_slug: redirect.institution
                for redirect in InstitutionRedirect.objects.select_related(
                    "institution"
                )
            },
            # Names and websites are an institution's own within its country.
            area=lambda country: country or None,
            slug_fallback="institution",
        )

    @classmethod
    def of_organizations(cls) -> "Directory":
        records = list(Organization.objects.select_related("parent"))
        return cls(
            records,
            identifiers=[
                (record.pk, IdentifierScheme.ROR, record.ror_id)
                for record in records
                if record.ror_id
            ],
            aliases=OrganizationAlias.objects.values_list(
                "organization_id", "name", "kind"
            ),
            old_slugs={},
            # An agency's name is its own in any country, and "international" is
            # blank: names and websites are compared across countries.
            area=lambda country: "",
            slug_fallback="organization",
        )

    def alias_keys(self, pk) -> set[str]:
        """The record's aliases as :func:`~registry.imports.cells.alias_key` compares
        names."""
        return {alias_key(name) for name in self.aliases_of[pk]}

    def unique_slug(self, name: str, qualifiers: Iterable[str]) -> str:
        """A slug no record or old address has (Lincoln University →
        lincoln-university-missouri), kept from the next one."""
        slug = free_slug(
            name, taken=self.slugs, qualifiers=qualifiers, fallback=self.slug_fallback
        )
        self.slugs.add(slug)
        return slug

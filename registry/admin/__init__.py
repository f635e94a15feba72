"""The curators' workplace: every record of the registry, its history, publishing,
merging and bulk uploads. One module per kind of record; importing them registers
their admin pages."""

from . import agreements, institutions, organizations, vocabularies

__all__ = ["agreements", "institutions", "organizations", "vocabularies"]

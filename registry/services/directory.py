"""The one way an institution or a partner organization is written by hand: the admin
and the API call it. Imports of whole sheets and official lists write thousands of
records in bulk instead (registry.imports), adding names and identifiers but never
removing any, with the same history entries and one reindex at the end.

Each write, in one transaction: saves the record, its history naming who and why;
makes its aliases (and an institution's identifiers, an organization's counterparts)
the list given, row by row (``None`` leaves them alone); reindexes the agreements its
names reach, since agreements are found by their institutions' and partners' names.
Rows come checked by the caller, which reports a bad one in its own terms (a form
row, an API list index, a sheet cell).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from ..models import (
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    Organization,
    OrganizationAlias,
)
from ..search import agreements_of, refresh_agreement_index
from .rows import Row, RowChanges, attribute, sync_rows


@dataclass(frozen=True)
class Alias(Row):
    KEY = ("name",)  # a record has a name once

    name: str
    language: str
    kind: str


@dataclass(frozen=True)
class Identifier(Row):
    KEY = ("scheme", "value")

    scheme: str
    value: str


def institution_save(
    *,
    institution: Institution,
    aliases: Sequence[Alias] | None = None,
    identifiers: Sequence[Identifier] | None = None,
    user,
    reason: str = "",
) -> RowChanges:
    rows = {InstitutionAlias: aliases, InstitutionIdentifier: identifiers}
    return _save(institution, rows, user=user, reason=reason)


def organization_save(
    *,
    organization: Organization,
    aliases: Sequence[Alias] | None = None,
    counterparts: Iterable[Organization] | None = None,
    user,
    reason: str = "",
) -> RowChanges:
    with transaction.atomic():
        changes = _save(
            organization, {OrganizationAlias: aliases}, user=user, reason=reason
        )
        if counterparts is not None:
            organization.counterparts.set(counterparts)
    return changes


# Each kind of row: what a wanted one is, and the foreign key to its record.
ROWS = {
    InstitutionAlias: (Alias, "institution"),
    InstitutionIdentifier: (Identifier, "institution"),
    OrganizationAlias: (Alias, "organization"),
}
# The argument of search.agreements_of that finds the agreements a record's names
# reach.
REACHED_BY = {Institution: "institutions", Organization: "organizations"}


def _save(record, rows: dict, *, user, reason) -> RowChanges:
    """Save the record and make each kind of its rows the list given (None: left
    alone), then reindex the agreements its names reach: one transaction."""
    with transaction.atomic():
        attribute(record, user=user, reason=reason)
        record.save()
        changes = RowChanges(record=record)
        for model, wanted in rows.items():
            if wanted is None:
                continue
            kind, owner = ROWS[model]
            sync_rows(
                changes,
                model.objects.filter(**{owner: record}),
                wanted,
                model=model,
                kind=kind,
                owner={owner: record},
                user=user,
                reason=reason,
            )
        reached_by = REACHED_BY[type(record)]
        refresh_agreement_index(agreement_ids=agreements_of(**{reached_by: [record]}))
    return changes

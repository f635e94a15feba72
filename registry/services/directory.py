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
from .rows import RowChanges, attribute, sync_rows


@dataclass(frozen=True)
class Alias:
    name: str
    language: str
    kind: str

    @property
    def key(self):
        return self.name  # a record has a name once


@dataclass(frozen=True)
class Identifier:
    scheme: str
    value: str

    @property
    def key(self):
        return (self.scheme, self.value)


def institution_save(
    *,
    institution: Institution,
    aliases: Sequence[Alias] | None = None,
    identifiers: Sequence[Identifier] | None = None,
    user,
    reason: str = "",
) -> RowChanges:
    with transaction.atomic():
        changes = _save(institution, user=user, reason=reason)
        if aliases is not None:
            _sync_aliases(changes, InstitutionAlias, "institution", aliases, user)
        if identifiers is not None:
            sync_rows(
                changes,
                institution.identifiers.all(),
                identifiers,
                key=lambda row: (row.scheme, row.value),
                build=lambda row: InstitutionIdentifier(
                    institution=institution, scheme=row.scheme, value=row.value
                ),
                user=user,
                reason=reason,
            )
        refresh_agreement_index(agreement_ids=agreements_of(institutions=[institution]))
    return changes


def organization_save(
    *,
    organization: Organization,
    aliases: Sequence[Alias] | None = None,
    counterparts: Iterable[Organization] | None = None,
    user,
    reason: str = "",
) -> RowChanges:
    with transaction.atomic():
        changes = _save(organization, user=user, reason=reason)
        if aliases is not None:
            _sync_aliases(changes, OrganizationAlias, "organization", aliases, user)
        if counterparts is not None:
            organization.counterparts.set(counterparts)
        refresh_agreement_index(
            agreement_ids=agreements_of(organizations=[organization])
        )
    return changes


def _save(record, *, user, reason) -> RowChanges:
    attribute(record, user=user, reason=reason)
    record.save()
    return RowChanges(record=record)


def _sync_aliases(changes, model, owner: str, aliases, user) -> None:
    record = changes.record

    def update(alias, row):
        changed = [
            name
            for name in ("language", "kind")
            if getattr(alias, name) != getattr(row, name)
        ]
        for name in changed:
            setattr(alias, name, getattr(row, name))
        return changed

    sync_rows(
        changes,
        model.objects.filter(**{owner: record}),
        aliases,
        key=lambda alias: alias.name,
        build=lambda row: model(
            **{owner: record}, name=row.name, language=row.language, kind=row.kind
        ),
        update=update,
        user=user,
        reason="",
    )

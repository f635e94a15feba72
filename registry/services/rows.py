"""Replacing the rows that hang on a record (participants, aliases, identifiers…) by
the list wanted, row by row through the ORM: history records each change, and rows
kept as they were stay untouched, so their history shows only real changes."""

from dataclasses import dataclass, field


@dataclass
class RowChanges:
    """What a write did to the rows hanging on its record (the admin's change
    message lists them)."""

    record: object
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)  # (row, [field names])
    deleted: list = field(default_factory=list)

    def of(self, model) -> "RowChanges":
        """The same, for one kind of row."""
        return RowChanges(
            record=self.record,
            added=[row for row in self.added if isinstance(row, model)],
            changed=[pair for pair in self.changed if isinstance(pair[0], model)],
            deleted=[row for row in self.deleted if isinstance(row, model)],
        )


def attribute(record, *, user, reason: str) -> None:
    """Name who makes this change, and why, in the record's history."""
    record._history_user = user
    record._change_reason = reason or None


def unique(rows) -> list:
    """The rows, each ``key`` once (the first)."""
    return list({row.key: row for row in reversed(rows)}.values())[::-1]


def sync_rows(
    changes: RowChanges,
    existing,
    wanted,
    *,
    key,
    build,
    update=None,
    user,
    reason: str,
) -> None:
    """Make ``existing`` (model instances) into ``wanted`` (rows with a ``key``):
    delete the instances not wanted, let ``update(instance, row)`` change a kept one
    (returning the fields it changed), build and save the wanted ones missing."""
    by_key = {}
    for record in existing:
        by_key.setdefault(key(record), record)
    wanted_by_key = {row.key: row for row in wanted}
    for record_key, record in by_key.items():
        if record_key not in wanted_by_key:
            attribute(record, user=user, reason=reason)
            record.delete()
            changes.deleted.append(record)
    # Deletions first: a row moved to another record keeps its unique value.
    for row_key, row in wanted_by_key.items():
        record = by_key.get(row_key)
        if record is None:
            record = build(row)
            attribute(record, user=user, reason=reason)
            record.save()
            changes.added.append(record)
        elif update is not None and (fields := update(record, row)):
            attribute(record, user=user, reason=reason)
            record.save()
            changes.changed.append((record, fields))

"""Replacing the rows that hang on a record (participants, aliases, identifiers…) by
the list wanted, row by row through the ORM: history records each change, and rows
kept as they were stay untouched, so their history shows only real changes."""

from dataclasses import dataclass, field, fields


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


class Row:
    """A row wanted under a record, its fields named as the model's. ``KEY`` names
    those that say which row it is: a saved row with the same key is kept."""

    KEY: tuple[str, ...] = ()

    @property
    def key(self) -> tuple:
        return self.key_of(self)

    def instance(self, model, **owner):
        """A new ``model`` instance of this row under its record (``owner``: the
        foreign key to it); a field left None takes the model's default."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        given = {name: value for name, value in values.items() if value is not None}
        return model(**owner, **given)

    @classmethod
    def of(cls, instance) -> "Row":
        """The row a model instance (or a form's) holds."""
        return cls(**{f.name: getattr(instance, f.name) for f in fields(cls)})

    def update(self, instance) -> list[str]:
        """Give a kept instance this row's other fields (those not None); return the
        names of the fields that changed."""
        changed = [
            f.name
            for f in fields(self)
            if f.name not in self.KEY
            and getattr(self, f.name) is not None
            and getattr(instance, f.name) != getattr(self, f.name)
        ]
        for name in changed:
            setattr(instance, name, getattr(self, name))
        return changed

    @classmethod
    def key_of(cls, row) -> tuple:
        """The key of a wanted row, or of a saved model instance (a related record
        by its primary key, read without a query)."""
        return tuple(_value(row, name) for name in cls.KEY)


def _value(row, name: str):
    if hasattr(row, f"{name}_id"):
        return getattr(row, f"{name}_id")
    value = getattr(row, name)
    return getattr(value, "pk", value)


def attribute(record, *, user, reason: str) -> None:
    """Name who makes this change, and why, in the record's history."""
    record._history_user = user
    record._change_reason = reason or None


def with_reason(what: str, reason: str) -> str:
    """What a change did, followed by why when a curator said why."""
    return f"{what}: {reason}" if reason else what


def unique(rows) -> list:
    """The rows, each ``key`` once (the first)."""
    return list({row.key: row for row in reversed(rows)}.values())[::-1]


def sync_rows(
    changes: RowChanges,
    existing,
    wanted,
    *,
    model,
    kind: type[Row],
    owner: dict,
    check=None,
    user,
    reason: str,
) -> None:
    """Make ``existing`` (instances of ``model``, under the record ``owner`` names)
    into ``wanted`` (Rows of ``kind``): delete the instances not wanted, give kept ones
    the wanted row's other fields (``Row.update``), and add the wanted ones missing,
    each passed through ``check`` first if given."""
    by_key = {}
    for record in existing:
        by_key.setdefault(kind.key_of(record), record)
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
            record = row.instance(model, **owner)
            if check is not None:
                check(record)
            attribute(record, user=user, reason=reason)
            record.save()
            changes.added.append(record)
        elif changed := row.update(record):
            attribute(record, user=user, reason=reason)
            record.save()
            changes.changed.append((record, changed))

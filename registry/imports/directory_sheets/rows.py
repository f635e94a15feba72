"""What planning an institution or organization sheet holds for each row: what it
proposes, the record it is and how it was found, what it adds, and its errors by
column."""

from dataclasses import dataclass, field

from .. import cells
from ..sheets import SheetPlan


@dataclass(eq=False)
class DirectoryRow:
    """One row of the file: what it proposes, the record it is, and what it does."""

    number: int
    values: dict  # column -> cell text, as read
    columns: dict = field(repr=False)  # column name -> Column, for labels
    action: str = ""  # new, update, unchanged, error
    record: object = None  # the existing institution or organization it is
    matched_by: str = ""  # slug, identifier, website or name
    matched_column: str = ""
    # Model field -> value, for the fields whose columns the file has.
    proposed: dict = field(default_factory=dict)
    identifiers: list = field(default_factory=list)  # (scheme, value, column)
    aliases: list = field(default_factory=list)
    parent_row: "DirectoryRow | None" = None  # a new parent from the same file
    slug: str = ""  # the slug a new row will have
    new_identifiers: list = field(default_factory=list)  # (scheme, value)
    new_aliases: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    written: object = None  # the record once applied

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    def cell(self, column: str) -> str:
        """The cell's text, stripped, without the quote exports put before a cell a
        spreadsheet would evaluate."""
        return cells.cell(self.values, column)

    def has(self, column: str) -> bool:
        return column in self.values

    @property
    def public_id(self) -> str:
        """The slug: the record's, or the one a new row will get."""
        return self.record.slug if self.record is not None else self.slug

    @property
    def title(self) -> str:
        return self.cell("name") or (self.record.name if self.record else "")

    @property
    def error_items(self) -> list[tuple[str, list[str]]]:
        """(column label, messages), in sheet order."""
        return [
            (str(column.label), self.errors[name])
            for name, column in self.columns.items()
            if name in self.errors
        ]


@dataclass
class DirectoryPlan(SheetPlan):
    sheet: object = None  # the InstitutionSheet or OrganizationSheet read

"""What planning the agreement sheet holds for each row: the agreement it proposes,
the columns it gives, the agreement it is, its action, what it changes, its errors by
column, and the institution names it could not resolve."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ...dates import DatePrecision
from ...models import Agreement
from .columns import COLUMNS


@dataclass
class UnresolvedName:
    """An institution name the registry does not know for sure, with the candidates a
    curator can save it as an alias of."""

    column: str
    name: str
    country: str
    candidates: list  # resolver Candidates, best first


@dataclass
class UnresolvedTerm:
    """A partner organization, discipline, activity or source the registry does not
    know by that name, with the records it may mean (pk, name), closest first: the
    preview offers to save the name as an alias of one."""

    kind: str  # the Vocabularies attribute: organizations, disciplines…
    name: str
    options: list


@dataclass
class ProposedAgreement:
    title: str = ""
    title_ja: str = ""
    summary: str = ""
    classification: str = ""
    program_id: int | None = None
    start_date: dt.date | None = None
    start_precision: str = DatePrecision.DAY
    end_date: dt.date | None = None
    end_precision: str = DatePrecision.DAY
    funding_amount: Decimal | None = None
    funding_currency: str = ""
    disciplines: frozenset = frozenset()
    activities: frozenset = frozenset()
    participants: tuple = ()  # (institution pk, unit)
    partners: tuple = ()  # (organization pk, role)
    sources: tuple = ()  # (data source pk, identifier, url, retrieved_on)


@dataclass(frozen=True)
class Change:
    """One column an update changes, as a person reads it ("" for no value)."""

    label: str
    before: str
    after: str


@dataclass
class RowPlan:
    number: int
    values: dict  # column -> cell text, as read; a (clear) cell reads as blank
    action: str = ""  # new, update, unchanged, error
    proposed: ProposedAgreement | None = None
    # The columns the row gives: its non-blank cells and the ones it clears. An update
    # takes these from the row and keeps the agreement's other values.
    given: frozenset = frozenset()
    agreement: Agreement | None = None
    # An update's changes with their values (the directory sheets' rows name only the
    # columns, in ``changes``).
    value_changes: list[Change] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    unresolved: list[UnresolvedName] = field(default_factory=list)
    unresolved_terms: list[UnresolvedTerm] = field(default_factory=list)
    # "yes" in New anyway: a different agreement from any it looks like.
    new_anyway: bool = False

    def error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    @property
    def public_id(self) -> str:
        return self.agreement.public_id if self.agreement and self.agreement.pk else ""

    @property
    def error_items(self) -> list[tuple[str, list[str]]]:
        """(column label, messages), in sheet order."""
        return [
            (str(column.label), self.errors[column.name])
            for column in COLUMNS
            if column.name in self.errors
        ]

    @property
    def title(self) -> str:
        """The row's title, else the title of the agreement it updates (a blank cell
        keeps it)."""
        return self.values.get("title") or (
            self.agreement.title if self.agreement else ""
        )

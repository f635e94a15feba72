"""What planning an official list gives: for each institution of the registry, or
one the list adds, what the plan does to it (``Entry``); the ``ListPlan`` with its
counts, skips, conflicts and ambiguities; and the summary a curator reads."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ...models import Institution
from .base import ParsedList, RowError

# Conflicts, ambiguities and notes listed one by one in a summary; the rest counted.
LISTED = 200


class Entry:
    """An institution of the registry, or one the plan creates, and what the plan
    does to it."""

    def __init__(
        self,
        institution: Institution,
        *,
        new: bool = False,
        identifiers=(),
        names=(),
    ):
        self.institution = institution
        self.new = new
        self.identifiers: dict[str, set[str]] = defaultdict(set)
        for scheme, value in identifiers:
            self.identifiers[scheme].add(value)
        self.names: set[str] = set(names)  # alias keys of its names and aliases
        self.new_identifiers: list[tuple[str, str]] = []
        self.new_aliases: list[tuple[str, str, str]] = []
        self.changed_fields: set[str] = set()
        self.rows: list[int] = []

    @property
    def changes(self) -> tuple[int, int, int]:
        return (
            len(self.changed_fields),
            len(self.new_identifiers),
            len(self.new_aliases),
        )

    @property
    def changed(self) -> bool:
        return any(self.changes)


@dataclass
class ListPlan:
    parsed: ParsedList
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def list_format(self) -> str:
        return self.parsed.list_format

    @property
    def rows(self) -> int:
        return self.parsed.rows

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def batch_fields(self) -> dict:
        """What its ImportBatch records of the plan (see ``recording.commit_plan``)."""
        return {
            "list_format": self.list_format,
            "sheet": self.parsed.sheet,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped_count,
            "summary": list_summary(self),
        }


def list_summary(plan: ListPlan) -> str:
    """What a plan does, in lines a curator reads: counts, reasons for skipping,
    conflicts, ambiguous names, notes on the file."""
    lines = [
        _(
            "%(rows)s rows: %(created)s new, %(updated)s updated, %(unchanged)s "
            "unchanged, %(skipped)s skipped."
        )
        % {
            "rows": f"{plan.rows:,}",
            "created": f"{plan.created:,}",
            "updated": f"{plan.updated:,}",
            "unchanged": f"{plan.unchanged:,}",
            "skipped": f"{plan.skipped_count:,}",
        }
    ]
    if plan.parsed.encoding:
        lines.append(_("Read as %(encoding)s.") % {"encoding": plan.parsed.encoding})
    if plan.skipped:
        lines.append(_("Skipped:"))
        lines += [
            f"  {count:,} {reason}" for reason, count in plan.skipped.most_common()
        ]
    for title, items in (
        (_("Conflicts (the registry's value kept):"), plan.conflicts),
        (_("Ambiguous (neither merged nor created):"), plan.ambiguous),
        (
            _("Notes on the file:"),
            [(0, note) for note in plan.parsed.notes],
        ),
    ):
        if not items:
            continue
        lines.append(f"{title} {len(items):,}")
        for row, text in sorted(items, key=lambda item: item[0])[:LISTED]:
            lines.append(
                "  " + (_("row %(row)s: ") % {"row": row} if row else "") + text
            )
        if len(items) > LISTED:
            lines.append(
                "  " + _("… and %(count)s more.") % {"count": len(items) - LISTED}
            )
    return "\n".join(lines)

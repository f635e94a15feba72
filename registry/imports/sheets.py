"""What the flat sheets (agreements, institutions, organizations) share: a column's
description, the plan of a file with its per-row actions, names looked up among
records of one kind, the headers matched to the columns, and one file taken from
upload to recorded import."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..models import ImportChannel
from ..names import normalize_name
from .cells import closest, did_you_mean, quoted
from .files import (
    NOT_DATA_SHEETS,
    HeaderMatch,
    Row,
    Table,
    in_every_language,
    match_headers,
    read_table,
)
from .recording import ImportOutcome, commit_plan

PREVIEW_ROWS = 500


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    help: str = ""
    example: str = ""
    read_only: bool = False


@dataclass
class SheetPlan:
    table: Table
    columns: dict[str, str]  # header as written -> column
    unknown_columns: list[str]
    rows: list  # the sheet's row plans: number, values, action, errors
    file_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {
            action: self.count(action)
            for action in ("new", "update", "unchanged", "error")
        }

    @property
    def preview_rows(self) -> list:
        """Every row with an error, and the first of the others: a preview of ten
        thousand rows helps no one."""
        shown, others = [], 0
        for row in self.rows:
            if row.errors:
                shown.append(row)
            elif others < PREVIEW_ROWS:
                shown.append(row)
                others += 1
        return shown

    @property
    def rows_not_shown(self) -> int:
        return len(self.rows) - len(self.preview_rows)

    @property
    def unresolved(self) -> list:
        """Each institution name a row could not resolve, once, in the order first
        met (agreement rows only: the other sheets name no institutions)."""
        seen, names = set(), []
        for row in self.rows:
            for name in getattr(row, "unresolved", ()):
                key = (name.name, name.country)
                if key not in seen:
                    seen.add(key)
                    names.append(name)
        return names

    @property
    def unresolved_terms(self) -> list:
        """Each partner organization, discipline, activity or source a row could not
        read, once, in the order first met."""
        seen, terms = set(), []
        for row in self.rows:
            for term in getattr(row, "unresolved_terms", ()):
                if (term.kind, term.name) not in seen:
                    seen.add((term.kind, term.name))
                    terms.append(term)
        return terms

    @property
    def summary(self) -> str:
        """Notes on the file for its ImportBatch: columns ignored, the encoding."""
        lines = []
        if self.unknown_columns:
            lines.append(
                _("Columns ignored: %(columns)s.")
                % {"columns": ", ".join(self.unknown_columns)}
            )
        if self.table.encoding:
            lines.append(_("Read as %(encoding)s.") % {"encoding": self.table.encoding})
        return "\n".join(lines)

    def batch_fields(self) -> dict:
        """What its ImportBatch records of the plan (see ``recording.commit_plan``)."""
        return {
            "sheet": self.table.sheet,
            "rows": len(self.rows),
            "created": self.count("new"),
            "updated": self.count("update"),
            "unchanged": self.count("unchanged"),
            "summary": self.summary,
        }


def start_plan(
    table: Table, columns: Iterable[Column], plan_class=SheetPlan, **fields
) -> tuple[SheetPlan, HeaderMatch]:
    """A plan of ``table`` with no rows yet (a ``plan_class`` with ``fields``), and
    its headers matched to ``columns`` (their labels in every language and their
    synonyms); a column more than one header names is an error of the file."""
    column_by_name = {column.name: column for column in columns}
    synonyms = {
        column.name: (*in_every_language(column.label), *column.synonyms)
        for column in column_by_name.values()
    }
    headers = match_headers(table.headers, synonyms)
    plan = plan_class(
        table=table,
        columns=headers.columns,
        unknown_columns=headers.unknown,
        rows=[],
        **fields,
    )
    plan.file_errors = [
        _("The columns %(headers)s all mean “%(column)s”: keep one.")
        % {"headers": quoted(written), "column": column_by_name[column].label}
        for column, written in headers.duplicates.items()
    ]
    return plan, headers


def column_values(row: Row, headers: HeaderMatch) -> dict[str, str]:
    """A row's cells by the column their header names (column -> cell text)."""
    return {
        column: row.values.get(header, "") for header, column in headers.columns.items()
    }


# How alike a name must be to a record's to be suggested for it (rapidfuzz WRatio).
CLOSE_ENOUGH = 70


class Vocabulary:
    """Records of one kind found by slug, English or Japanese name, or alias, compared
    in the resolver's normalized form."""

    def __init__(self, noun: str, records: Iterable, extra_names: Callable = None):
        self.noun = noun
        self.by_key: dict[str, set[int]] = defaultdict(set)
        self.records = {}
        for record in records:
            self.records[record.pk] = record
            names = [record.slug, record.name, getattr(record, "name_ja", "")]
            if extra_names:
                names.extend(extra_names(record))
            for name in names:
                key = normalize_name(name or "")
                if key:
                    self.by_key[key].add(record.pk)
        self.labels = {pk: record.name for pk, record in self.records.items()}

    def find(self, text: str) -> tuple[int | None, str]:
        """(pk, "") when the name is known and unambiguous, else (None, message)."""
        pks = self.by_key.get(normalize_name(text), set())
        if len(pks) == 1:
            return next(iter(pks)), ""
        if len(pks) > 1:
            names = sorted(self.labels[pk] for pk in pks)
            return None, _(
                "“%(name)s” could be any of %(names)s: write the full name."
            ) % {
                "name": text,
                "names": ", ".join(names),
            }
        message = _("No %(noun)s is called “%(name)s”.") % {
            "noun": self.noun,
            "name": text,
        }
        return None, message + did_you_mean(
            text, self.labels, score_cutoff=CLOSE_ENOUGH
        )

    def closest(self, text: str) -> list[tuple[int, str]]:
        """The records ``text`` may mean, closest first, as (pk, name): what the
        preview offers to save it as an alias of."""
        keys = closest(text, self.labels, score_cutoff=CLOSE_ENOUGH)
        return [(pk, self.labels[pk]) for pk in keys]


def import_sheet(
    plan: Callable[[Table], SheetPlan],
    *,
    kind: str,
    apply: Callable,
    data: bytes,
    file_name: str,
    user,
    dry_run: bool,
    channel: str = ImportChannel.ADMIN,
    sheet: str | None = None,
    table: Table | None = None,
) -> ImportOutcome:
    """Read an uploaded sheet (unless ``table`` has it already; ``sheet`` names a
    workbook's sheet), ``plan`` it and, unless ``dry_run`` or it has errors, ``apply``
    it and record the import as an ImportBatch of ``kind``. Raises FileRejected when
    the file cannot be read at all."""
    if table is None:
        table = read_table(
            data, file_name=file_name, sheet=sheet, skip_sheets=NOT_DATA_SHEETS
        )
    return commit_plan(
        plan(table),
        kind=kind,
        data=data,
        file_name=file_name,
        user=user,
        channel=channel,
        dry_run=dry_run,
        apply=apply,
    )

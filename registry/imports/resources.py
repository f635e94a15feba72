"""django-import-export resources for the flat sheets: agreements, institutions and
organizations.

The library brings the admin's upload, preview and confirmation steps, its formats and
its result types. Its default resource imports a row at a time, each with its own
queries and saves; our sheets instead plan the whole file (names resolved once,
existing records loaded in batches, rows checked against each other) and write it all
or nothing, so ``import_data`` hands the dataset to the sheet's planner
(``registry.imports.agreement_sheet`` or ``registry.imports.directory_sheets``) and
reports its plan as the library's ``Result``.
"""

from types import SimpleNamespace

import tablib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.results import Error, Result, RowResult

from ..exports import COLUMNS as EXPORT_COLUMNS
from ..exports import escape_formula, export_rows, queryset_agreements
from ..models import Agreement, ImportChannel, ImportKind, Institution, Organization
from .agreement_sheet import COLUMN_BY_NAME, COLUMNS, import_agreement_file
from .directory_sheets import SHEETS, export_directory_sheet, import_directory_file
from .files import Row, Table

ACTION_TYPES = {
    "new": RowResult.IMPORT_TYPE_NEW,
    "update": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}


def sheet_options(model, name):
    """A sheet resource's Meta: its model and name, and no fields of its own (the
    sheet's planner reads and writes the columns)."""
    return type("Meta", (), {"model": model, "fields": (), "name": name})


def table_of(dataset: tablib.Dataset) -> Table:
    """The rows of a dataset with their numbers in the file: as our formats read them
    (the sheet the curator named, the rows the spreadsheet shows), else numbered from
    the row after the header."""
    table = getattr(dataset, "table", None)
    if table is not None:
        return table
    headers = [str(header or "").strip() for header in dataset.headers or []]
    rows = []
    for position, values in enumerate(dataset, start=2):
        cells = {
            header: "" if value is None else str(value).strip()
            for header, value in zip(headers, values, strict=False)
            if header
        }
        if any(cells.values()):
            rows.append(Row(number=position, values=cells))
    return Table(
        headers=[h for h in headers if h], rows=rows, file_format="", encoding=""
    )


class PlannedSheetResource(resources.ModelResource):
    """A sheet imported as a whole file by a planner: ``import_file`` plans (and,
    unless a dry run, applies) it; the plan is reported as the library's Result."""

    # The columns the preview names a row by.
    id_column = ""
    title_column = ""

    def get_user_visible_fields(self):
        # The admin's import page lists the columns the sheet reads.
        return [SimpleNamespace(column_name=name) for name in self.imported_columns()]

    def imported_columns(self) -> list[str]:
        return self.get_export_headers()

    def column_label(self, name: str) -> str:
        raise NotImplementedError

    def record_of(self, row):
        """The record a row of the plan is, once known (None for a new one in a dry
        run)."""
        raise NotImplementedError

    def import_file(self, **kwargs):
        """An ImportOutcome for the file (``import_agreement_file``'s arguments)."""
        raise NotImplementedError

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        result = Result()
        result.plan = result.batch = None
        table = table_of(dataset)
        outcome = self.import_file(
            data=getattr(dataset, "raw_bytes", b"") or b"",
            file_name=kwargs.get("file_name") or "",
            user=kwargs.get("user"),
            dry_run=dry_run,
            channel=kwargs.get("channel", ImportChannel.ADMIN),
            table=table,
        )
        return self.plan_result(outcome, result)

    def plan_result(self, outcome, result: Result) -> Result:
        """A plan as the library's Result: a row result for each row, an invalid row
        for each row with errors (keyed by column label), base errors for the file's;
        rows are named by their ``id_column`` and ``title_column``."""
        plan = outcome.plan
        result.plan, result.batch = plan, outcome.batch
        result.diff_headers = [
            self.column_label(self.id_column),
            self.column_label(self.title_column),
        ]
        for message in plan.file_errors:
            result.append_base_error(Error(message))
        for row in plan.rows:
            row_result = RowResult()
            if row.errors:
                error = ValidationError(
                    {
                        self.column_label(column): messages
                        for column, messages in row.errors.items()
                    }
                )
                result.append_invalid_row(row.number, row.values, error)
                row_result.import_type = RowResult.IMPORT_TYPE_INVALID
                row_result.validation_error = error
            else:
                row_result.import_type = ACTION_TYPES[row.action]
                row_result.diff = [row.public_id or _("(new)"), row.title]
                record = self.record_of(row)
                if record is not None and record.pk:
                    row_result.add_instance_info(record)
            row_result.row_values = row.values
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)
        result.total_rows = len(plan.rows)
        return result


class AgreementSheetResource(PlannedSheetResource):
    """The flat agreement sheet: exported as the public exports write it, imported as
    a whole file by ``registry.imports.agreement_sheet``."""

    id_column = "public_id"
    title_column = "title"

    Meta = sheet_options(Agreement, gettext_lazy("Agreement sheet"))

    def get_export_headers(self, selected_fields=None):
        return list(EXPORT_COLUMNS)

    def column_label(self, name: str) -> str:
        return str(COLUMN_BY_NAME[name].label)

    def imported_columns(self) -> list[str]:
        # Status, URL and the like are exported for reading, never imported.
        return [column.name for column in COLUMNS if not column.read_only]

    def record_of(self, row):
        return row.agreement

    def import_file(self, **kwargs):
        return import_agreement_file(**kwargs)

    def export(self, queryset=None, **kwargs):
        """Every agreement of ``queryset`` as a row of the sheet, formulas escaped."""
        queryset = Agreement.objects.all() if queryset is None else queryset
        dataset = tablib.Dataset(headers=list(EXPORT_COLUMNS))
        base_url = kwargs.get("base_url", "")
        # The admin's queryset prefetches for its list; the export reads its own way.
        rows = queryset.prefetch_related(None).order_by("pk")
        for row in export_rows(queryset_agreements(rows), base_url=base_url):
            dataset.append([escape_formula(row[column]) for column in EXPORT_COLUMNS])
        return dataset


class DirectorySheetResource(PlannedSheetResource):
    """A flat institution or organization sheet, exported and imported as a whole
    by ``registry.imports.directory_sheets``."""

    kind = ""  # an ImportKind
    id_column = "slug"
    title_column = "name"

    def get_export_headers(self, selected_fields=None):
        return [column.name for column in SHEETS[self.kind].columns]

    def column_label(self, name: str) -> str:
        return str(SHEETS[self.kind].column_by_name[name].label)

    def record_of(self, row):
        return row.written or row.record

    def export(self, queryset=None, **kwargs):
        """Every record of ``queryset`` as a row of the sheet, formulas escaped."""
        rows = export_directory_sheet(queryset, kind=self.kind)
        dataset = tablib.Dataset(headers=next(rows))
        for row in rows:
            dataset.append(row)
        return dataset

    def import_file(self, **kwargs):
        return import_directory_file(kind=self.kind, **kwargs)


class InstitutionSheetResource(DirectorySheetResource):
    kind = ImportKind.INSTITUTIONS

    Meta = sheet_options(Institution, gettext_lazy("Institution sheet"))


class OrganizationSheetResource(DirectorySheetResource):
    kind = ImportKind.ORGANIZATIONS

    Meta = sheet_options(Organization, gettext_lazy("Organization sheet"))

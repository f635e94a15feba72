"""django-import-export resources for the flat sheets.

The library brings the admin's upload, preview and confirmation steps, its formats and
its result types. Its default resource imports a row at a time, each with its own
queries and saves; the agreement sheet instead plans the whole file (names resolved
once, existing agreements loaded in batches) and writes new agreements in bulk, so
``import_data`` hands the dataset to ``registry.imports.agreement_sheet`` and reports
its plan as the library's ``Result``.
"""

import tablib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import resources
from import_export.results import Error, Result, RowResult

from ..exports import COLUMNS as EXPORT_COLUMNS
from ..exports import agreement_row, escape_formula
from ..models import Agreement, ImportChannel
from .agreement_sheet import COLUMN_BY_NAME, import_agreement_file
from .files import NOT_DATA_SHEETS, FileRejected, Row, Table, read_table

ACTION_TYPES = {
    "new": RowResult.IMPORT_TYPE_NEW,
    "update": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}


def table_of(dataset: tablib.Dataset, *, sheet: str | None = None) -> Table:
    """The rows of a dataset with their numbers in the file: read again from the
    upload when our formats made it (another sheet may be asked for), else numbered
    from the row after the header."""
    raw = getattr(dataset, "raw_bytes", None)
    table = getattr(dataset, "table", None)
    if raw is not None and table is not None:
        if sheet and sheet.casefold() != table.sheet.casefold():
            return read_table(
                raw,
                file_format=table.file_format,
                sheet=sheet,
                skip_sheets=NOT_DATA_SHEETS,
            )
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


class AgreementSheetResource(resources.ModelResource):
    """The flat agreement sheet: exported as the public exports write it, imported as
    a whole file by ``registry.imports.agreement_sheet``."""

    class Meta:
        model = Agreement
        fields = ()
        name = _("Agreement sheet")

    def get_user_visible_fields(self):
        return []

    def get_export_headers(self, selected_fields=None):
        return list(EXPORT_COLUMNS)

    def export(self, queryset=None, **kwargs):
        """Every agreement of ``queryset`` as a row of the sheet, formulas escaped."""
        queryset = Agreement.objects.all() if queryset is None else queryset
        dataset = tablib.Dataset(headers=list(EXPORT_COLUMNS))
        base_url = kwargs.get("base_url", "")
        # The admin's queryset prefetches for its list; the export reads its own way.
        rows = queryset.prefetch_related(None).order_by("pk").for_export()
        for agreement in rows.iterator(chunk_size=1000):
            row = agreement_row(agreement, base_url=base_url)
            dataset.append([escape_formula(row[column]) for column in EXPORT_COLUMNS])
        return dataset

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
        try:
            table = table_of(dataset, sheet=kwargs.get("sheet"))
        except FileRejected as rejected:
            result.append_base_error(Error(str(rejected)))
            return result
        outcome = import_agreement_file(
            data=getattr(dataset, "raw_bytes", b"") or b"",
            file_name=kwargs.get("file_name") or "",
            user=kwargs.get("user"),
            dry_run=dry_run,
            channel=kwargs.get("channel", ImportChannel.ADMIN),
            table=table,
        )
        return plan_result(outcome, result)


def plan_result(outcome, result: Result) -> Result:
    """A plan as the library's Result: a row result for each row, an invalid row for
    each row with errors (keyed by column label), base errors for the file's."""
    plan = outcome.plan
    result.plan, result.batch = plan, outcome.batch
    result.diff_headers = [
        str(COLUMN_BY_NAME[name].label) for name in ("public_id", "title")
    ]
    for message in plan.file_errors:
        result.append_base_error(Error(message))
    for row in plan.rows:
        if row.errors:
            error = ValidationError(
                {
                    str(COLUMN_BY_NAME[column].label): messages
                    for column, messages in row.errors.items()
                }
            )
            result.append_invalid_row(row.number, row.values, error)
            row_result = RowResult()
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = error
        else:
            row_result = RowResult()
            row_result.import_type = ACTION_TYPES[row.action]
            row_result.diff = [row.public_id or _("(new)"), row.title]
            if row.agreement is not None and row.agreement.pk:
                row_result.add_instance_info(row.agreement)
        row_result.row_values = row.values
        result.increment_row_result_total(row_result)
        result.append_row_result(row_result)
    result.total_rows = len(plan.rows)
    return result

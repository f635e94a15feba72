"""The downloadable XLSX template of the agreement sheet: instructions, an empty
Agreements sheet with the headers, example rows on a sheet of their own (so that
leaving them in place imports nothing), and the names the registry knows."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..models import (
    ActivityType,
    Classification,
    Currency,
    DataSource,
    Discipline,
    PartnerRole,
    Program,
)
from .agreement_sheet import COLUMNS

EXAMPLES = [
    {
        "title": "Clinical clerkship exchange in internal medicine (example)",
        "title_ja": "内科臨床実習交流（例）",
        "classification": "collaborative",
        "us_institutions": "Harvard University (School of Medicine)",
        "jp_institutions": "Nagoya University (School of Medicine)",
        "disciplines": "Clinical medicine",
        "activities": "Student exchange",
        "start": "2019-04",
        "end": "",
        "source": "USJP HEES fact sheet (ACE, 2021)",
    },
    {
        "title": "Earthquake early warning research consortium (example)",
        "classification": "",
        "us_institutions": "University of California, Berkeley; Stanford University",
        "jp_institutions": "東北大学 (災害科学国際研究所)",
        "partners": "National Science Foundation (funder)",
        "disciplines": "Earth sciences",
        "activities": "Research grant award",
        "start": "March 2021",
        "end": "2026",
        "funding_amount": "$1,200,000",
        "source_id": "",
    },
]


def agreement_template_workbook() -> bytes:
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = "Instructions"
    instructions.column_dimensions["A"].width = 24
    instructions.column_dimensions["B"].width = 100
    instructions.append(
        [_("U.S.-Japan Research Partnership Registry: agreement sheet")]
    )
    instructions["A1"].font = Font(bold=True, size=14)
    for line in (
        _(
            "One agreement a row, on the Agreements sheet. The Examples sheet shows "
            "filled rows; it is never imported."
        ),
        _(
            "A file with any error imports nothing: the preview lists each error with "
            "its row and column."
        ),
        _(
            "Rows are matched to existing agreements by public ID, else by source and "
            "source ID: importing a file twice changes nothing the second time."
        ),
        _(
            "A row that updates an agreement changes only what it gives: a blank cell "
            "leaves the agreement's value as it is. To erase a value, write (clear) in "
            "its cell. The preview shows each change before and after."
        ),
        _(
            "A list in a row replaces the agreement's: U.S. and Japanese institutions "
            "each replace that country's only, and Source replaces the agreement's "
            "sources with their IDs, URLs and retrieval dates."
        ),
        _(
            "Institution names may be English or Japanese, full names or known "
            "aliases. A name the registry does not know is an error listing the "
            "closest institutions; save it as an alias from the preview."
        ),
        _("Columns the registry does not know are ignored and reported."),
        "",
    ):
        instructions.append([line])
    instructions.append([_("Column"), _("What to write")])
    header_row = instructions.max_row
    for cell in instructions[header_row]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        if column.read_only:
            continue
        instructions.append([str(column.label), str(column.help)])
    for row in instructions.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")

    importable = [column for column in COLUMNS if not column.read_only]
    sheet = workbook.create_sheet("Agreements")
    sheet.append([str(column.label) for column in importable])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"

    examples = workbook.create_sheet("Examples")
    examples.append([str(column.label) for column in importable])
    for cell in examples[1]:
        cell.font = Font(bold=True)
    for example in EXAMPLES:
        examples.append([example.get(column.name, "") for column in importable])

    lists = workbook.create_sheet("Lists")
    vocabularies = [
        (_("Classification"), [value for value, _label in Classification.choices]),
        (_("Partner roles"), [value for value, _label in PartnerRole.choices]),
        (_("Currency"), [value for value, _label in Currency.choices]),
        (
            _("Disciplines"),
            list(Discipline.objects.order_by("name").values_list("name", flat=True)),
        ),
        (
            _("Activities"),
            list(ActivityType.objects.order_by("name").values_list("name", flat=True)),
        ),
        (
            _("Programs"),
            list(Program.objects.order_by("name").values_list("name", flat=True)),
        ),
        (
            _("Sources"),
            list(DataSource.objects.order_by("name").values_list("name", flat=True)),
        ),
    ]
    for position, (title, names) in enumerate(vocabularies, start=1):
        lists.cell(row=1, column=position, value=str(title)).font = Font(bold=True)
        for offset, name in enumerate(names, start=2):
            lists.cell(row=offset, column=position, value=name)
    for sheet_ in (sheet, examples, lists):
        for column_cells in sheet_.columns:
            sheet_.column_dimensions[column_cells[0].column_letter].width = 28

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""The Carnegie Classification's 2021 public data workbook (``Data`` sheet, labels in
``Values``): a research classification and enrollment band for the institutions it
matches, and the doctoral and research institutions it adds."""

import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from ...models import (
    Country,
    EnrollmentBand,
    IdentifierScheme,
    InstitutionType,
    ResearchClassification,
)
from ..cells import squeeze
from ..files import FileRejected, open_workbook
from ..files.kinds import is_zip
from ..files.tables import scalar_text
from .base import (
    LIST_TITLES,
    ListFormat,
    ListRejected,
    ParsedList,
    column_key,
    list_title,
    require,
)

CARNEGIE_DATA_SHEET = "Data"
CARNEGIE_VALUES_SHEET = "Values"
CARNEGIE_REQUIRED = ("unitid", "name", "city", "stabbr", "basic2021", "control")
# The basic class's label, read in this order, gives the registry's grouping.
CARNEGIE_CLASSES = [
    (re.compile(r"very high research", re.I), ResearchClassification.R1),
    (re.compile(r"high research", re.I), ResearchClassification.R2),
    (re.compile(r"^doctoral/professional", re.I), ResearchClassification.D_PU),
    (re.compile(r"^master", re.I), ResearchClassification.MASTERS),
    (re.compile(r"associate'?s dominant", re.I), ResearchClassification.ASSOCIATE),
    (re.compile(r"^baccalaureate", re.I), ResearchClassification.BACCALAUREATE),
    (re.compile(r"^associate", re.I), ResearchClassification.ASSOCIATE),
    (re.compile(r"^special focus", re.I), ResearchClassification.SPECIAL_FOCUS),
    (re.compile(r"^tribal", re.I), ResearchClassification.TRIBAL),
]
# Institutions Carnegie may add: research partners, not every college.
CARNEGIE_CREATES = re.compile(
    r"^doctoral|^special focus four-year: research institution", re.I
)
CARNEGIE_CONTROL = {
    "public": InstitutionType.US_PUBLIC,
    "private not-for-profit": InstitutionType.US_PRIVATE_NONPROFIT,
    "private for-profit": InstitutionType.US_PRIVATE_FOR_PROFIT,
}
ENROLLMENT_BANDS = [
    (20000, EnrollmentBand.FROM_20000),
    (10000, EnrollmentBand.FROM_10000),
    (5000, EnrollmentBand.FROM_5000),
    (1000, EnrollmentBand.FROM_1000),
    (0, EnrollmentBand.UNDER_1000),
]


def carnegie_classification(label: str) -> str:
    for pattern, classification in CARNEGIE_CLASSES:
        if pattern.search(label):
            return classification
    return ""


def enrollment_band(students) -> str:
    try:
        students = int(Decimal(str(students)))
    except (InvalidOperation, ValueError):
        return ""
    if students < 0:
        return ""
    return next(band for floor, band in ENROLLMENT_BANDS if students >= floor)


def _sheet(workbook, name: str):
    for worksheet in workbook.worksheets:
        if worksheet.title.strip().lower() == name.strip().lower():
            return worksheet
    return None


def read_carnegie_labels(worksheet) -> dict[str, dict[int, str]]:
    """The Values sheet: variable → code → label. The variable is written once,
    above its codes, so it is carried down."""
    labels = defaultdict(dict)
    rows = worksheet.iter_rows(values_only=True)
    header = [column_key(cell) for cell in next(rows, ())]
    try:
        variable_at = header.index("variable")
        value_at = header.index("value")
        label_at = header.index("label", value_at + 1)
    except ValueError:
        raise ListRejected(
            _(
                "The Values sheet needs the columns Variable, Value and Label (after "
                "Value); it has %(found)s."
            )
            % {"found": ", ".join(name for name in header if name) or _("none")}
        ) from None
    variable = ""
    for cells in rows:
        cells = list(cells) + [None] * (len(header) - len(cells))
        if cells[variable_at]:
            variable = str(cells[variable_at]).strip().lower()
        code, label = cells[value_at], cells[label_at]
        if not variable or code is None or label is None:
            continue
        try:
            labels[variable][int(code)] = _cell_text(label)
        except (TypeError, ValueError):
            continue
    return labels


def parse_carnegie(data: bytes, *, sheet=None) -> ParsedList:
    if not is_zip(data):
        raise ListRejected(
            _("%(list)s is an Excel workbook (.xlsx); this file is not one.")
            % {"list": list_title(ListFormat.CARNEGIE)}
        )
    try:
        workbook = open_workbook(data, max_bytes=settings.IMPORT_MAX_BYTES)
    except FileRejected as error:
        raise ListRejected(str(error)) from None
    try:
        data_name = sheet or CARNEGIE_DATA_SHEET
        data_sheet = _sheet(workbook, data_name)
        values_sheet = _sheet(workbook, CARNEGIE_VALUES_SHEET)
        missing = [
            name
            for name, found in (
                (data_name, data_sheet),
                (CARNEGIE_VALUES_SHEET, values_sheet),
            )
            if found is None
        ]
        if missing:
            raise ListRejected(
                _(
                    "This is not %(list)s: the sheets %(missing)s are missing. "
                    "The workbook has %(found)s."
                )
                % {
                    "list": LIST_TITLES[ListFormat.CARNEGIE],
                    "missing": ", ".join(missing),
                    "found": ", ".join(workbook.sheetnames),
                }
            )
        labels = read_carnegie_labels(values_sheet)
        rows = data_sheet.iter_rows(values_only=True)
        headers = [column_key(cell) for cell in next(rows, ())]
        require(headers, CARNEGIE_REQUIRED, ListFormat.CARNEGIE)
        table = []
        for number, cells in enumerate(rows, start=2):
            if not any(cell not in (None, "") for cell in cells):
                continue
            table.append(
                (
                    number,
                    {
                        name: _cell_text(cell)
                        for name, cell in zip(headers, cells, strict=False)
                        if name
                    },
                )
            )
    finally:
        workbook.close()
    parsed = ParsedList(ListFormat.CARNEGIE, rows=len(table), sheet=data_sheet.title)
    basic_labels, control_labels = (
        labels.get("basic2021", {}),
        labels.get("control", {}),
    )
    for name in ("basic2021", "control"):
        if not labels.get(name):
            raise ListRejected(
                _("The Values sheet has no labels for %(variable)s.")
                % {"variable": name}
            )
    for number, row in table:
        errors = []
        unitid = row["unitid"].zfill(6) if row["unitid"].isdigit() else row["unitid"]
        if not parsed.identify(IdentifierScheme.IPEDS, unitid):
            errors.append(
                _("unitid “%(value)s” is not six digits.") % {"value": row["unitid"]}
            )
        label = _code_label(basic_labels, row["basic2021"])
        if label is None:
            errors.append(
                _("basic2021 “%(value)s” has no label in the Values sheet.")
                % {"value": row["basic2021"]}
            )
        control = _code_label(control_labels, row["control"])
        institution_type = CARNEGIE_CONTROL.get((control or "").lower())
        if institution_type is None:
            errors.append(
                _("control “%(value)s” is not public or private in the Values sheet.")
                % {"value": row["control"]}
            )
        name = squeeze(row["name"])
        if not name:
            errors.append(_("the name is blank."))
        if parsed.add_errors(number, errors):
            continue
        parsed.add_record(
            number,
            name,
            country=Country.US,
            institution_type=institution_type,
            region_code=row["stabbr"].upper(),
            city=squeeze(row["city"]),
            identifiers={IdentifierScheme.IPEDS: unitid},
            research_classification=carnegie_classification(label),
            carnegie_basic=label,
            enrollment_band=enrollment_band(row.get("fallenr20", "")),
            creatable=bool(CARNEGIE_CREATES.search(label)),
        )
    return parsed


def _code_label(labels: dict[int, str], text: str) -> str | None:
    try:
        return labels.get(int(Decimal(text)))
    except (InvalidOperation, ValueError):
        return None


def _cell_text(value) -> str:
    """A workbook cell's value as text, white space squeezed: 15 not 15.0."""
    return squeeze(scalar_text(value))

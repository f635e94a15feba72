"""A bulk upload measured (bench/run.py): a generated agreement XLSX imported and
committed, through the registry's whole-file importer or through django-import-export's
default row-by-row resource, in this process; what it created is removed afterwards so
that every run starts alike. Prints one JSON object.

    python bench/imports.py --make FILE [--rows 10000]
    python bench/imports.py --import FILE --resource sheet|default
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from import_export.resources import ModelResource  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from registry.demo import rows_of_agreements  # noqa: E402
from registry.imports.agreement_sheet import COLUMNS, import_agreement_file  # noqa: E402
from registry.imports.formats import SheetXLSX  # noqa: E402
from registry.models import (  # noqa: E402
    ActivityType,
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    Discipline,
    ImportBatch,
    Institution,
    Organization,
    PartnerRole,
    SearchIndexVersion,
    SourceRecord,
)

TITLE_MARK = "(synthetic benchmark row)"
SOURCE_PREFIX = "BENCH-"


def make(path: Path, rows: int) -> None:
    """Rows as curators write them: names in English or Japanese, units, several
    institutions a cell, partners with roles, partial dates, amounts with signs."""
    chooser = random.Random(2026)
    us = list(Institution.objects.filter(country="US").values_list("name", flat=True))
    jp = list(
        Institution.objects.filter(country="JP")
        .exclude(name_ja="")
        .values_list("name", "name_ja")
    )
    organizations = list(Organization.objects.values_list("name", flat=True))
    disciplines = list(Discipline.objects.values_list("name", flat=True))
    activities = list(ActivityType.objects.values_list("name", flat=True))
    units = ["School of Medicine", "Graduate School of Engineering", ""]
    importable = [column for column in COLUMNS if not column.read_only]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Agreements")
    sheet.append([str(column.label) for column in importable])
    for number in range(1, rows + 1):
        japanese = [
            chooser.choice(pair) for pair in chooser.sample(jp, chooser.randint(1, 2))
        ]
        unit = chooser.choice(units)
        partnered = chooser.random() < 0.3
        start = 2005 + number % 20
        values = {
            "title": f"Joint research project {number} {TITLE_MARK}",
            "us_institutions": "; ".join(
                f"{name} ({unit})" if unit else name
                for name in chooser.sample(us, chooser.randint(1, 2))
            ),
            "jp_institutions": "\n".join(japanese),
            "partners": (
                f"{chooser.choice(organizations)} ({PartnerRole.FUNDER})"
                if partnered
                else ""
            ),
            "disciplines": "; ".join(chooser.sample(disciplines, 2)),
            "activities": chooser.choice(activities),
            "start": chooser.choice([str(start), f"{start}-04", f"March {start}"]),
            "end": str(start + 3),
            "funding_amount": chooser.choice(
                ["", f"${number * 1000:,}", f"¥{number * 10_000:,}"]
            ),
            "source": "USAspending.gov",
            "source_id": f"{SOURCE_PREFIX}{number:06d}",
        }
        sheet.append([values.get(column.name, "") for column in importable])
    workbook.save(path)


class DefaultAgreementResource(ModelResource):
    """What django-import-export does with no customization: a row at a time, each
    field by its model name, rows matched by title (the sheet carries no database
    id). It reads the plain columns only: no institutions, partners or sources."""

    class Meta:
        model = Agreement
        fields = ("title", "title_ja", "classification", "summary")
        import_id_fields = ("title",)


def import_with(path: Path, resource: str) -> dict:
    data = path.read_bytes()
    started = time.perf_counter()
    if resource == "sheet":
        outcome = import_agreement_file(
            data=data, file_name=path.name, user=None, dry_run=False
        )
        if outcome.batch is None:
            sys.exit(f"The file did not import: {outcome.plan.counts}")
        rows = outcome.batch.created
    else:
        dataset = SheetXLSX().create_dataset(data)
        dataset.headers = [header.lower() for header in dataset.headers]
        result = DefaultAgreementResource().import_data(dataset, dry_run=False)
        if result.has_errors() or result.has_validation_errors():
            sys.exit("The default resource reported errors.")
        rows = result.totals["new"]
    seconds = time.perf_counter() - started
    _remove_benchmark_rows()
    return {"resource": resource, "rows": rows, "seconds": seconds}


def _remove_benchmark_rows() -> None:
    """Delete what a run created, in SQL: through the ORM each deleted row would
    write its own history entry, a minute for ten thousand agreements."""
    agreements = Agreement._meta.db_table
    chosen = f"SELECT id FROM {agreements} WHERE title LIKE %s"
    mark = f"%{TITLE_MARK}"
    histories = [
        model.history.model
        for model in (AgreementParticipant, AgreementPartner, SourceRecord)
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for model in rows_of_agreements():
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE agreement_id IN ({chosen})",
                [mark],
            )
        for history in histories:
            cursor.execute(
                f"DELETE FROM {history._meta.db_table} WHERE agreement_id IN "
                f"({chosen})",
                [mark],
            )
        cursor.execute(
            f"DELETE FROM {Agreement.history.model._meta.db_table} WHERE title LIKE %s",
            [mark],
        )
        cursor.execute(f"DELETE FROM {agreements} WHERE title LIKE %s", [mark])
        ImportBatch.objects.all().delete()
    SearchIndexVersion.bump()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", type=Path)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--import", dest="import_file", type=Path)
    parser.add_argument("--resource", choices=["sheet", "default"], default="sheet")
    options = parser.parse_args()
    if options.make:
        make(options.make, options.rows)
        size = options.make.stat().st_size
        print(json.dumps({"file": str(options.make), "bytes": size}))
    else:
        print(json.dumps(import_with(options.import_file, options.resource)))


if __name__ == "__main__":
    main()

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.imports.agreement_sheet import COLUMN_BY_NAME, import_agreement_file
from registry.imports.files import FileRejected
from registry.models import ImportChannel

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import agreements from a flat agreement sheet (CSV, TSV, XLSX or JSON). A "
        "file with any error imports nothing; the errors are listed with their row "
        "and column and the command exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change; write nothing.",
        )
        parser.add_argument("--sheet", help="The workbook sheet to read.")
        parser.add_argument(
            "--user", help="Username the import and its history are recorded under."
        )

    def handle(self, *args, file, dry_run, sheet, user, verbosity, **options):
        started = time.monotonic()
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"No user named {user!r}.")

        def progress(done, total):
            if verbosity < 1 or not total:
                return
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            end = "\n" if done == total else ""
            if sys.stderr.isatty() or done == total:
                self.stderr.write(f"\r  [{bar}] {done:,} / {total:,} rows", ending=end)

        try:
            outcome = import_agreement_file(
                data=file.read_bytes(),
                file_name=file.name,
                user=importer,
                dry_run=dry_run,
                channel=ImportChannel.COMMAND,
                sheet=sheet,
                progress=progress,
            )
        except FileRejected as rejected:
            raise CommandError(str(rejected)) from None
        plan = outcome.plan
        for message in plan.file_errors:
            self.stderr.write(self.style.ERROR(message))
        for row in plan.rows:
            for column, messages in row.errors.items():
                label = COLUMN_BY_NAME[column].label
                for message in messages:
                    self.stderr.write(
                        self.style.ERROR(f"Row {row.number}, {label}: {message}")
                    )
        if plan.unknown_columns:
            self.stdout.write(
                "Columns ignored: " + ", ".join(plan.unknown_columns) + "."
            )
        counts = plan.counts
        summary = (
            f"{len(plan.rows):,} rows: {counts['new']:,} new, "
            f"{counts['update']:,} to update, {counts['unchanged']:,} unchanged, "
            f"{counts['error']:,} with errors ({time.monotonic() - started:.1f} s)."
        )
        self.stdout.write(summary)
        if plan.has_errors:
            raise CommandError("Nothing was imported: fix the errors above first.")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported as import {outcome.batch.pk} "
                    f"(SHA-256 {outcome.batch.checksum[:12]}…)."
                )
            )

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.reference_data import (
    DEFAULT_DIRECTORY,
    ReferenceDataError,
    load_reference_data,
)


class Command(BaseCommand):
    help = (
        "Load the factual reference data in fixtures/ (taxonomies, sources, agencies, "
        "programs, institutions, the fact sheet's agreements). Safe to run again: it "
        "changes nothing that is already there, and keeps curators' edits unless "
        "--overwrite."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=DEFAULT_DIRECTORY)
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Reset values curators changed back to the reference data.",
        )

    def handle(self, *args, directory, overwrite, **options):
        try:
            report = load_reference_data(directory=directory, overwrite=overwrite)
        except ReferenceDataError as error:
            raise CommandError(f"Nothing was loaded: {error}") from None
        for name, model_report in report.models.items():
            self.stdout.write(f"{name}: {model_report}")
            for label in model_report.kept[:20]:
                self.stdout.write(f"  kept: {label}")
        if report.links_added:
            self.stdout.write(f"links added: {report.links_added}")
        self.stdout.write(
            self.style.SUCCESS("Reference data loaded.")
            if report.changed
            else "Reference data already up to date: nothing changed."
        )

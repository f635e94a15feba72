import time

from django.core.management.base import BaseCommand, CommandError

from registry.demo import DemoDataError, seed_demo_agreements


class Command(BaseCommand):
    help = (
        "Replace the synthetic demo agreements with N new ones generated from SEED "
        "over the real institutions. Real records are never touched; synthetic ones "
        "are labelled."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agreements", type=int, default=2345, metavar="N")
        parser.add_argument("--seed", type=int, default=2021, metavar="S")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Regenerate even if N agreements from this seed are already there.",
        )

    def handle(self, *args, agreements, seed, force, verbosity, **options):
        started = time.monotonic()

        def progress(done):
            if verbosity > 1 or (verbosity == 1 and done % 20000 == 0):
                self.stdout.write(f"  {done:,} / {agreements:,}")

        try:
            report = seed_demo_agreements(
                count=agreements, seed=seed, progress=progress, force=force
            )
        except DemoDataError as error:
            raise CommandError(str(error)) from None
        if report.kept:
            self.stdout.write(
                f"{report.kept:,} synthetic agreements from seed {seed} are already "
                "there: kept, with their public IDs (--force regenerates them)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.created:,} synthetic agreements created (seed {seed}), "
                f"{report.deleted:,} previous ones removed, in "
                f"{time.monotonic() - started:.1f} s."
            )
        )

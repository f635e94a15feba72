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

    def handle(self, *args, agreements, seed, verbosity, **options):
        started = time.monotonic()

        def progress(done):
            if verbosity > 1 or (verbosity == 1 and done % 20000 == 0):
                self.stdout.write(f"  {done:,} / {agreements:,}")

        try:
            report = seed_demo_agreements(
                count=agreements, seed=seed, progress=progress
            )
        except DemoDataError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.created:,} synthetic agreements created (seed {seed}), "
                f"{report.deleted:,} previous ones removed, in "
                f"{time.monotonic() - started:.1f} s."
            )
        )

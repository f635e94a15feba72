import time

from django.core.management.base import BaseCommand

from registry.search import refresh_agreement_index


class Command(BaseCommand):
    help = (
        "Rebuild every agreement's search document and facet rows: after an upgrade "
        "that changes what agreements are found by."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        done = refresh_agreement_index()
        self.stdout.write(
            self.style.SUCCESS(
                f"{done:,} agreements reindexed in {time.monotonic() - started:.1f} s."
            )
        )

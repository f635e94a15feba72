"""Restore a backup made by ``manage.py backup`` into the database DATABASE_URL names,
as ``make restore FILE=…`` does.

The work is in ``registry.backups``; this command asks for confirmation, since a
restore replaces every row, and reports what it did.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from registry.backups import (
    BackupError,
    check_backup_file,
    database_name,
    engine_of,
    restart_search_index,
    restore_database,
    search_index_version,
    unapplied_migrations,
)

MIGRATIONS_SHOWN = 5


class Command(BaseCommand):
    help = _(
        "Replace everything in the database with a backup made by “manage.py "
        "backup”. Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--yes",
            action="store_true",
            help=_("Restore without asking: the database's current rows are lost."),
        )

    def handle(self, *args, file, yes, **options):
        settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            engine = engine_of(settings_dict)
            check_backup_file(path=file, engine=engine)
        except BackupError as error:
            raise CommandError(str(error)) from None
        names = {
            "engine": engine,
            "database": database_name(settings_dict),
            "path": file,
        }
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(
                    _(
                        "Restoring replaces everything in the %(engine)s database "
                        "“%(database)s”: run again with --yes to confirm. Nothing was "
                        "restored."
                    )
                    % names
                )
            answer = input(
                _(
                    "Restoring replaces everything in the %(engine)s database "
                    "“%(database)s” with the contents of %(path)s. Type “yes” to "
                    "continue: "
                )
                % names
            )
            if answer.strip().lower() != "yes":
                self.stdout.write(_("Restore cancelled: nothing was changed."))
                return
        started = time.monotonic()
        try:
            before = search_index_version()
            restore_database(settings_dict=settings_dict, source=file)
        except BackupError as error:
            raise CommandError(str(error)) from None
        restart_search_index(after=before)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored the %(engine)s database “%(database)s” from %(path)s in "
                    "%(seconds).1f s. Restart the site's processes so that they drop "
                    "what they remember of the replaced rows."
                )
                % {**names, "seconds": time.monotonic() - started}
            )
        )
        pending = unapplied_migrations()
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The backup is older than this code: %(count)s migrations are "
                        "not applied (%(names)s). Run “manage.py migrate” next."
                    )
                    % {
                        "count": len(pending),
                        "names": ", ".join(pending[:MIGRATIONS_SHOWN])
                        + (", …" if len(pending) > MIGRATIONS_SHOWN else ""),
                    }
                )
            )

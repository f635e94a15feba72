"""Back up the database DATABASE_URL names, as ``make backup`` does.

The work is in ``registry.backups``; this command picks the file name and reports.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from registry.backups import BackupError, backup_database, default_backup_path


class Command(BaseCommand):
    help = _(
        "Back up the database: PostgreSQL with pg_dump (custom format), SQLite with "
        "its backup API; safe while the site is running. Restore with “manage.py "
        "restore FILE”."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            metavar="PATH",
            help=_(
                "Where to write the backup (default: backups/usjp-DATABASE-TIME.dump "
                "or .sqlite3). An existing file is never overwritten."
            ),
        )

    def handle(self, *args, output, **options):
        settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
        try:
            output = output or default_backup_path(settings_dict=settings_dict)
            backup = backup_database(settings_dict=settings_dict, output=output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backed up the %(engine)s database “%(database)s” to %(path)s "
                    "(%(size)s)."
                )
                % {
                    "engine": backup.engine,
                    "database": backup.database,
                    "path": backup.path,
                    "size": filesizeformat(backup.size),
                }
            )
        )

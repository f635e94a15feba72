"""Import an official institution list (MEXT, IPEDS, Carnegie, ROR) as published.

The work is in ``registry.imports.lists``; this command reads the file,
reports progress and the summary, and fails (exit status 1) when the file is not the
list it was given as or a row stops the import.
"""

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.imports.lists import (
    FORMATS,
    ListRejected,
    import_institution_list,
)
from registry.models import ImportChannel

ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = _(
        "Import an official list of institutions (MEXT 大学一覧, IPEDS HD, Carnegie "
        "2021 workbook, ROR CSV): institutions already in the registry are matched "
        "by identifier, website or unambiguous name and enriched; new ones are "
        "created where the list's scope says so. All or nothing; a second run "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Report what the import would do; write nothing."),
        )
        parser.add_argument(
            "--sheet", help=_("The workbook's data sheet (Carnegie: Data).")
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=_("Record the import and its history entries as this user's."),
        )

    def handle(self, *args, file, format, dry_run, sheet, user, verbosity, **options):
        started = time.monotonic()
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s")
                % {"file": file, "error": error.strerror or error}
            ) from None
        importer = self._user(user)
        show_progress = verbosity >= 2 or (verbosity >= 1 and sys.stderr.isatty())

        def progress(message):
            if show_progress:
                self.stderr.write(
                    f"[{time.monotonic() - started:5.1f} s] {message}",
                    style_func=lambda text: text,
                )

        try:
            outcome = import_institution_list(
                data=data,
                file_name=file.name,
                list_format=format,
                sheet=sheet,
                dry_run=dry_run,
                user=importer,
                channel=ImportChannel.COMMAND,
                progress=progress,
            )
        except ListRejected as error:
            raise CommandError(
                _("Nothing was imported: %(reason)s") % {"reason": error.message}
            ) from None
        plan = outcome.plan
        if plan.has_errors:
            lines = [str(error) for error in plan.errors[:ERRORS_SHOWN]]
            if len(plan.errors) > ERRORS_SHOWN:
                lines.append(
                    _("… and %(count)s more.")
                    % {"count": len(plan.errors) - ERRORS_SHOWN}
                )
            raise CommandError(
                _("Nothing was imported: %(count)s errors.")
                % {"count": len(plan.errors)}
                + "\n"
                + "\n".join(lines)
            )
        if verbosity >= 1:
            self.stdout.write(outcome.summary)
        elapsed = time.monotonic() - started
        if dry_run:
            message = _("Dry run: nothing was written (%(seconds).1f s).")
        elif outcome.batch is None:
            message = _(
                "Nothing to change: the registry already holds this list "
                "(%(seconds).1f s)."
            )
        else:
            message = _("Imported as import %(number)s in %(seconds).1f s.")
        self.stdout.write(
            self.style.SUCCESS(
                message
                % {
                    "seconds": elapsed,
                    "number": outcome.batch.pk if outcome.batch else "",
                }
            )
        )

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                _("No user “%(username)s”.") % {"username": username}
            ) from None

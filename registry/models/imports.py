"""What each bulk upload did: who, when, which file, what changed.

Every history entry an import writes points at its ``ImportBatch`` (the ``import_batch``
column that ``ImportBatchLink`` adds to the history tables), so a curator can review a
batch and find each record it touched. Entries written one at a time learn their batch
from ``recording_import``; bulk writes pass it as a custom historical attribute.
"""

import contextlib
import contextvars

from django.conf import settings
from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.signals import pre_create_historical_record


class ImportKind(models.TextChoices):
    AGREEMENTS = "agreements", _("Agreements")
    INSTITUTIONS = "institutions", _("Institutions")
    ORGANIZATIONS = "organizations", _("Organizations")


class ImportChannel(models.TextChoices):
    ADMIN = "admin", _("Admin upload")
    COMMAND = "command", _("Command line")


class ImportBatch(models.Model):
    """One committed import of one file. Dry runs are not recorded: they change
    nothing."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    list_format = models.CharField(
        _("list format"),
        max_length=20,
        blank=True,
        help_text=_("For official institution lists: mext, ipeds, carnegie or ror."),
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=ImportChannel.choices
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sheet = models.CharField(_("sheet"), max_length=255, blank=True)
    checksum = models.CharField(
        _("SHA-256"), max_length=64, help_text=_("Of the file as uploaded.")
    )
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(
        _("skipped"),
        default=0,
        help_text=_("Rows outside the registry's scope (official lists only)."),
    )
    summary = models.TextField(
        _("summary"), blank=True, help_text=_("Notes the importer reported.")
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-imported_at", "-pk"]

    def __str__(self):
        return _("Import %(number)s: %(file)s") % {
            "number": self.pk,
            "file": self.file_name,
        }


class ImportBatchLink(models.Model):
    """Added to history tables: the import that wrote the entry, if any."""

    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


_current_batch: contextvars.ContextVar[ImportBatch | None] = contextvars.ContextVar(
    "current_import_batch", default=None
)


@contextlib.contextmanager
def recording_import(batch: ImportBatch):
    """History entries written inside this block belong to ``batch``."""
    token = _current_batch.set(batch)
    try:
        yield batch
    finally:
        _current_batch.reset(token)


def current_import_batch() -> ImportBatch | None:
    return _current_batch.get()


@receiver(pre_create_historical_record)
def _link_history_to_import(sender, history_instance, **kwargs):
    batch = _current_batch.get()
    if batch is not None and hasattr(history_instance, "import_batch_id"):
        history_instance.import_batch = batch

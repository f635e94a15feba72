"""The agreement's history table: one entry a version, with what hung on the
agreement then (``parts``; written by registry.services.versions)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .imports import ImportBatchLink


class AgreementVersionParts(models.Model):
    """Added to the agreement's history table: what hung on the agreement when the
    entry was written (participants, partners, sources, disciplines, activities; see
    ``registry.services.versions``), so one entry is one whole version. None in
    entries written before the log kept them."""

    parts = models.JSONField(_("parts"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True


# One entry a write, made by the write service once the agreement's rows are written
# (registry.services.versions.record_version).
AGREEMENT_VERSIONS = HistoricalRecords(
    bases=[ImportBatchLink, AgreementVersionParts],
    excluded_fields=["search_title", "search_text"],
)

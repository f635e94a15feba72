"""Case studies: written accounts of partnerships, published like agreements."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .common import (
    BilingualNameMixin,
    PublishableModel,
    TimeStampedModel,
)
from .imports import ImportBatchLink


class CaseStudy(BilingualNameMixin, PublishableModel, TimeStampedModel):
    """A written account of a partnership, in Markdown, published like agreements."""

    bilingual_fields = ("title", "title_ja")

    title = models.CharField(_("title (English)"), max_length=300)
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, blank=True)
    slug = models.SlugField(_("slug"), max_length=300, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    agreements = models.ManyToManyField(
        "registry.Agreement",
        verbose_name=_("related agreements"),
        blank=True,
        related_name="case_studies",
    )
    institutions = models.ManyToManyField(
        "registry.Institution",
        verbose_name=_("related institutions"),
        blank=True,
        related_name="case_studies",
    )
    organizations = models.ManyToManyField(
        "registry.Organization",
        verbose_name=_("related partner organizations"),
        blank=True,
        related_name="case_studies",
    )
    programs = models.ManyToManyField(
        "registry.Program",
        verbose_name=_("related programs"),
        blank=True,
        related_name="case_studies",
    )
    is_featured = models.BooleanField(
        _("featured"),
        default=False,
        help_text=_("Shown on the home page when published."),
    )

    history = HistoricalRecords(
        m2m_fields=[agreements, institutions, organizations, programs],
        bases=[ImportBatchLink],
    )

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")
        ordering = ["title"]
        permissions = [
            ("publish_casestudy", _("Can publish and withdraw case studies"))
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("registry:case_study_detail", kwargs={"slug": self.slug})

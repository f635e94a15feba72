"""Small controlled vocabularies: regions, disciplines, activity types and data
sources."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import BilingualNameMixin, Country, TimeStampedModel, WebURLField


class Region(BilingualNameMixin, models.Model):
    """A U.S. state or territory (USPS code) or a Japanese prefecture (JIS X 0401
    code)."""

    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    code = models.CharField(
        _("code"),
        max_length=2,
        help_text=_("USPS code (CA) or JIS prefecture code (04)."),
    )
    name = models.CharField(_("name (English)"), max_length=100)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100)

    class Meta:
        verbose_name = _("state or prefecture")
        verbose_name_plural = _("states and prefectures")
        ordering = ["country", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "code"], name="region_unique_code"
            ),
            models.UniqueConstraint(
                fields=["country", "slug"], name="region_unique_slug"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        if self.country == Country.JP and not (
            self.code.isdigit() and 1 <= int(self.code) <= 47 and len(self.code) == 2
        ):
            raise ValidationError(
                {
                    "code": _(
                        "A prefecture code is two digits from 01 to 47 (JIS X 0401)."
                    )
                }
            )
        if self.country == Country.US and not (
            self.code.isalpha() and self.code.isupper()
        ):
            raise ValidationError(
                {"code": _("A U.S. state code is two capital letters (USPS), e.g. CA.")}
            )


class Discipline(BilingualNameMixin, TimeStampedModel):
    """A field of research (no parent) or one of its subfields: two levels, no more."""

    name = models.CharField(_("name (English)"), max_length=150)
    name_ja = models.CharField(_("name (Japanese)"), max_length=150, blank=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subfields",
        help_text=_("Leave blank for a field; choose the field for a subfield."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["name"]

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError(
                {"parent": _("A discipline cannot be its own field.")}
            )
        if self.parent.parent_id is not None:
            raise ValidationError(
                {
                    "parent": _(
                        "Disciplines have two levels: choose a field, not a subfield."
                    )
                }
            )
        if self.pk and self.subfields.exists():
            raise ValidationError(
                {"parent": _("This discipline has subfields, so it must stay a field.")}
            )


class ActivityType(BilingualNameMixin, TimeStampedModel):
    """What a partnership does: the study's evidence of research, and activities tracked
    alongside."""

    name = models.CharField(_("name (English)"), max_length=150)
    name_ja = models.CharField(_("name (Japanese)"), max_length=150, blank=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    is_research_evidence = models.BooleanField(
        _("evidence of institution-level research"),
        default=False,
        help_text=_(
            "The fact sheet counts these outputs as evidence that a partnership is "
            "institution-level research; the others are tracked alongside."
        ),
    )
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class DataSource(BilingualNameMixin, TimeStampedModel):
    """Where records come from (USAspending.gov, JSPS, Nature Index…): the provenance of
    each."""

    name = models.CharField(_("name (English)"), max_length=200)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    url = WebURLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    coverage_start = models.PositiveSmallIntegerField(
        _("coverage from (year)"), null=True, blank=True
    )
    coverage_end = models.PositiveSmallIntegerField(
        _("coverage to (year)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.coverage_start
            and self.coverage_end
            and self.coverage_end < self.coverage_start
        ):
            raise ValidationError(
                {"coverage_end": _("Coverage cannot end before it starts.")}
            )

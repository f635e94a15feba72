"""Who takes part: higher-education institutions, non-HE organizations, and programs."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Q
from django.db.models.query import ModelIterable
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .common import (
    AliasKind,
    BilingualNameMixin,
    Country,
    Language,
    TimeStampedModel,
    WebURLField,
)
from .imports import ImportBatchLink

ROR_ID = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")


def validate_ror_id(value: str) -> None:
    if not ROR_ID.match(value):
        raise ValidationError(
            _(
                "“%(value)s” is not a ROR ID: nine characters such as 01dq60k83, "
                "without https://ror.org/."
            ),
            params={"value": value},
        )


def ror_url(ror_id: str) -> str:
    return f"https://ror.org/{ror_id}" if ror_id else ""


class InstitutionType(models.TextChoices):
    JP_NATIONAL = "jp_national", _("National (Japan)")
    JP_PUBLIC = "jp_public", _("Public (Japan)")
    JP_PRIVATE = "jp_private", _("Private (Japan)")
    JP_INTER_UNIVERSITY = (
        "jp_inter_university",
        _("Inter-university research institute"),
    )
    US_PUBLIC = "us_public", _("Public (U.S.)")
    US_PRIVATE_NONPROFIT = "us_private_nonprofit", _("Private non-profit (U.S.)")
    US_PRIVATE_FOR_PROFIT = "us_private_for_profit", _("Private for-profit (U.S.)")

    @classmethod
    def country_of(cls, value: str) -> str:
        return Country.JP if value.startswith("jp_") else Country.US


class ResearchClassification(models.TextChoices):
    """Carnegie Classification 2021, basic, grouped as the study reads it (U.S.
    only)."""

    R1 = "r1", _("R1: very high research activity")
    R2 = "r2", _("R2: high research activity")
    D_PU = "d_pu", _("Doctoral/professional")
    MASTERS = "masters", _("Master's")
    BACCALAUREATE = "baccalaureate", _("Baccalaureate")
    ASSOCIATE = "associate", _("Associate's")
    SPECIAL_FOCUS = "special_focus", _("Special focus")
    TRIBAL = "tribal", _("Tribal college")


class EnrollmentBand(models.TextChoices):
    UNDER_1000 = "under_1000", _("Under 1,000 students")
    FROM_1000 = "1000_4999", _("1,000–4,999 students")
    FROM_5000 = "5000_9999", _("5,000–9,999 students")
    FROM_10000 = "10000_19999", _("10,000–19,999 students")
    FROM_20000 = "20000_plus", _("20,000 students or more")


class WithAgreementCounts(ModelIterable):
    """Each record as it is read, with ``agreement_count``: how many published
    agreements it takes part in, as the search index counts them."""

    def __iter__(self):
        # The engine reads these models: it is imported when a query runs.
        from ..engine import published_index

        counts = published_index().agreement_counts(self.queryset.model)
        for record in super().__iter__():
            record.agreement_count = counts.get(record.pk, 0)
            yield record


class AgreementCountsQuerySet(models.QuerySet):
    def with_agreement_counts(self):
        """Each record read with ``agreement_count`` (published agreements, from the
        search index: no query)."""
        clone = self._chain()
        clone._iterable_class = WithAgreementCounts
        return clone


class InstitutionQuerySet(AgreementCountsQuerySet):
    def for_api(self):
        """What the API shows of each institution, in a fixed number of queries."""
        return (
            self.select_related("region", "parent")
            .prefetch_related("aliases", "identifiers")
            .with_agreement_counts()
        )

    def for_admin_list(self):
        # Staff count every agreement, drafts too.
        return self.select_related("region", "parent").annotate(
            agreement_count=Count("participations__agreement", distinct=True)
        )


class OrganizationQuerySet(AgreementCountsQuerySet):
    def for_api(self):
        """What the API shows of each organization, in a fixed number of queries."""
        return (
            self.select_related("parent")
            .prefetch_related("aliases")
            .with_agreement_counts()
        )


class Institution(BilingualNameMixin, TimeStampedModel):
    """A higher-education institution or campus of either country.

    Japan's inter-university research institutes count (they belong to the Japanese
    university system); U.S. national laboratories do not, even when a university
    operates them: those are Organizations. A school or faculty is not an institution:
    it is the unit of a participation.
    """

    name = models.CharField(_("name (English)"), max_length=255)
    name_ja = models.CharField(_("name (Japanese)"), max_length=255, blank=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    institution_type = models.CharField(
        _("type"), max_length=32, choices=InstitutionType.choices
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent system"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campuses",
        help_text=_(
            "The system a campus belongs to, e.g. University of California → UC Irvine."
        ),
    )
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("state or prefecture"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="institutions",
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    website = WebURLField(_("website"), blank=True)
    research_classification = models.CharField(
        _("research classification"),
        max_length=20,
        choices=ResearchClassification.choices,
        blank=True,
        help_text=_("Carnegie Classification 2021 (U.S. institutions)."),
    )
    enrollment_band = models.CharField(
        _("enrollment"), max_length=20, choices=EnrollmentBand.choices, blank=True
    )
    notes = models.TextField(
        _("curator notes"), blank=True, help_text=_("Never shown publicly.")
    )

    history = HistoricalRecords(bases=[ImportBatchLink])
    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]
        indexes = [models.Index(fields=["country", "institution_type"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:institution_detail", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if (
            self.institution_type
            and self.country
            and InstitutionType.country_of(self.institution_type) != self.country
        ):
            errors["institution_type"] = _(
                "“%(type)s” is a type of the other country: choose a type for "
                "%(country)s."
            ) % {
                "type": self.get_institution_type_display(),
                "country": self.get_country_display(),
            }
        if self.region_id and self.country and self.region.country != self.country:
            errors["region"] = _(
                "%(region)s is not in %(country)s: a U.S. institution has a state, a "
                "Japanese one a prefecture."
            ) % {"region": self.region, "country": self.get_country_display()}
        if self.research_classification and self.country == Country.JP:
            errors["research_classification"] = _(
                "The Carnegie research classification applies to U.S. institutions "
                "only."
            )
        if self.parent_id:
            if self.pk and self.parent_id == self.pk:
                errors["parent"] = _("An institution cannot be its own parent.")
            elif self.parent.country != self.country:
                errors["parent"] = _(
                    "A campus and its system must be in the same country."
                )
            elif self.pk and self._is_ancestor_of_parent():
                errors["parent"] = _(
                    "%(parent)s is already one of this institution's campuses: that "
                    "would make a loop."
                ) % {"parent": self.parent}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude" if self.longitude is None else "latitude"] = _(
                "Give both latitude and longitude, or neither."
            )
        if errors:
            raise ValidationError(errors)

    def _is_ancestor_of_parent(self) -> bool:
        node, seen = self.parent, set()
        while node is not None and node.pk not in seen:
            if node.pk == self.pk:
                return True
            seen.add(node.pk)
            node = node.parent
        return False


class AliasModel(models.Model):
    """Another name people write for a record: abbreviation, acronym, former name…
    (each kind of record has its own alias table, with a foreign key to it)."""

    name = models.CharField(_("name"), max_length=255)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=AliasKind.choices)

    class Meta:
        abstract = True
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class InstitutionAlias(AliasModel):
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )

    class Meta(AliasModel.Meta):
        verbose_name = _("institution alias")
        verbose_name_plural = _("institution aliases")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "name"], name="institution_alias_unique_name"
            )
        ]
        indexes = [models.Index(fields=["name"])]


class InstitutionRedirect(models.Model):
    """The slug of an institution merged into another, so cited links keep working."""

    old_slug = models.SlugField(_("old slug"), max_length=255, unique=True)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("now"),
        on_delete=models.CASCADE,
        related_name="redirects",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("merged institution's old address")
        verbose_name_plural = _("merged institutions' old addresses")

    def __str__(self):
        return f"{self.old_slug} → {self.institution.slug}"


class IdentifierScheme(models.TextChoices):
    ROR = "ror", _("ROR ID")
    IPEDS = "ipeds", _("IPEDS UNITID")
    MEXT = "mext", _("MEXT school code")


IDENTIFIER_PATTERNS = {
    IdentifierScheme.ROR: (ROR_ID, _("nine characters such as 01dq60k83")),
    IdentifierScheme.IPEDS: (re.compile(r"^\d{6}$"), _("six digits such as 166027")),
    IdentifierScheme.MEXT: (
        re.compile(r"^F\d{12}$"),
        _("F and twelve digits such as F101110100010"),
    ),
}
IDENTIFIER_COUNTRY = {
    IdentifierScheme.IPEDS: Country.US,
    IdentifierScheme.MEXT: Country.JP,
}


class InstitutionIdentifier(models.Model):
    """An identifier in an official list. An institution formed by a merger keeps its
    predecessors' codes, so the 2017–2020 records that use them still find it."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="identifiers",
    )
    scheme = models.CharField(
        _("scheme"), max_length=10, choices=IdentifierScheme.choices
    )
    value = models.CharField(_("identifier"), max_length=40)

    class Meta:
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")
        ordering = ["scheme", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "value"], name="identifier_unique_value"
            )
        ]

    def __str__(self):
        return f"{self.get_scheme_display()} {self.value}"

    @property
    def url(self) -> str:
        if self.scheme == IdentifierScheme.ROR:
            return ror_url(self.value)
        if self.scheme == IdentifierScheme.IPEDS:
            return f"https://nces.ed.gov/collegenavigator/?id={self.value}"
        return ""

    def clean(self):
        self.value = (self.value or "").strip()
        if self.scheme == IdentifierScheme.ROR:
            self.value = self.value.removeprefix("https://ror.org/")
        pattern_and_example = IDENTIFIER_PATTERNS.get(self.scheme)
        if pattern_and_example and not pattern_and_example[0].match(self.value):
            raise ValidationError(
                {
                    "value": _(
                        "“%(value)s” is not a valid %(scheme)s: expected %(example)s."
                    )
                    % {
                        "value": self.value,
                        "scheme": self.get_scheme_display(),
                        "example": pattern_and_example[1],
                    }
                }
            )
        country = IDENTIFIER_COUNTRY.get(self.scheme)
        try:
            # Also an institution not saved yet, as an API write checks its rows.
            owner = self.institution
        except Institution.DoesNotExist:
            owner = None
        if country and owner is not None and owner.country != country:
            raise ValidationError(
                {
                    "scheme": _(
                        "A %(scheme)s identifies institutions in %(country)s only."
                    )
                    % {
                        "scheme": self.get_scheme_display(),
                        "country": Country(country).label,
                    }
                }
            )


class Sector(models.TextChoices):
    GOVERNMENT = "government", _("Government agency")
    NATIONAL_LAB = "national_lab", _("National laboratory or research institute")
    INDUSTRY = "industry", _("Industry")
    NGO = "ngo", _("NGO or foundation")
    INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental body")


class Organization(BilingualNameMixin, TimeStampedModel):
    """A non-higher-education actor: agency, national laboratory, company,
    foundation…"""

    name = models.CharField(_("name (English)"), max_length=255)
    name_ja = models.CharField(_("name (Japanese)"), max_length=255, blank=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    country = models.CharField(
        _("country"),
        max_length=2,
        choices=Country.choices,
        blank=True,
        help_text=_("Blank for an international or third-country body."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("E.g. Brookhaven National Laboratory → Department of Energy."),
    )
    counterparts = models.ManyToManyField(
        "self",
        verbose_name=_("bilateral counterparts"),
        blank=True,
        symmetrical=True,
        help_text=_(
            "The other country's joint-research funding counterpart "
            "(fact sheet, Table 1)."
        ),
    )
    ror_id = models.CharField(
        _("ROR ID"), max_length=9, blank=True, validators=[validate_ror_id]
    )
    website = WebURLField(_("website"), blank=True)
    notes = models.TextField(
        _("curator notes"), blank=True, help_text=_("Never shown publicly.")
    )

    history = HistoricalRecords(bases=[ImportBatchLink])
    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ror_id"],
                condition=~Q(ror_id=""),
                name="organization_unique_ror",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:organization_detail", kwargs={"slug": self.slug})

    @property
    def ror_url(self) -> str:
        return ror_url(self.ror_id)

    def clean(self):
        self.ror_id = (self.ror_id or "").strip().removeprefix("https://ror.org/")
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError(
                {"parent": _("An organization cannot be its own parent.")}
            )


class OrganizationAlias(AliasModel):
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )

    class Meta(AliasModel.Meta):
        verbose_name = _("organization alias")
        verbose_name_plural = _("organization aliases")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="organization_alias_unique_name"
            )
        ]


class Program(BilingualNameMixin, TimeStampedModel):
    """A government or inter-governmental program under which agreements are made (e.g.
    CMSP)."""

    name = models.CharField(_("name (English)"), max_length=255)
    name_ja = models.CharField(_("name (Japanese)"), max_length=255, blank=True)
    slug = models.SlugField(_("slug"), max_length=255, unique=True)
    description = models.TextField(_("description"), blank=True)
    organizations = models.ManyToManyField(
        Organization,
        verbose_name=_("sponsoring organizations"),
        blank=True,
        related_name="programs",
    )
    research_areas = models.ManyToManyField(
        "registry.Discipline",
        verbose_name=_("research areas"),
        blank=True,
        related_name="programs",
    )
    start_year = models.PositiveSmallIntegerField(
        _("since (year)"), null=True, blank=True
    )
    end_year = models.PositiveSmallIntegerField(
        _("until (year)"), null=True, blank=True
    )
    website = WebURLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:program_detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError(
                {"end_year": _("A program cannot end before it starts.")}
            )

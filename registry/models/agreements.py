"""Agreements: the formalized, institution-level research partnerships the study
counts."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Prefetch, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..dates import DatePrecision, format_partial_date, period_bounds
from ..display import money_label, partial_date_label
from .agreement_versions import AGREEMENT_VERSIONS
from .common import (
    BilingualNameMixin,
    PublishableModel,
    PublishableQuerySet,
    TimeStampedModel,
    WebURLField,
)
from .imports import ImportBatchLink
from .terms import (
    Classification,
    Currency,
    ParticipantRole,
    PartnerRole,
    Status,
    format_public_id,
    participant_order,
    partner_order,
    status_on,
    status_rule,
    year_span,
)


def _status_conditions(today: dt.date) -> dict:
    return status_rule(
        not_started=Q(start_date__gt=today),
        finished=Q(end_date__lt=today),
        undated=Q(start_date__isnull=True, end_date__isnull=True),
    )


class AgreementQuerySet(PublishableQuerySet):
    def with_status(self, *, today: dt.date | None = None):
        rule = _status_conditions(today or timezone.localdate())
        return self.annotate(
            status=Case(
                *(When(rule[status], then=Value(status)) for status in rule),
                output_field=models.CharField(),
            )
        )

    def with_status_in(self, statuses, *, today: dt.date | None = None):
        rule = _status_conditions(today or timezone.localdate())
        query = Q(pk__in=[])
        for status in statuses:
            query |= rule[status]
        return self.filter(query)

    def active_between(self, first_year: int | None, last_year: int | None):
        """Agreements running at some point in those years (an open end runs on)."""
        queryset = self
        if last_year is not None:
            queryset = queryset.filter(
                Q(start_date__isnull=True) | Q(start_date__lte=year_span(last_year)[1])
            )
        if first_year is not None:
            queryset = queryset.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=year_span(first_year)[0])
            )
        return queryset

    def started_in(self, year: int):
        return self.filter(start_date__range=year_span(year))

    def with_participants(self):
        """Participants, partners and their names in a fixed number of queries; in
        the order every page lists them (``ordered_participants``)."""
        return self.prefetch_related(
            Prefetch(
                "participants",
                queryset=AgreementParticipant.objects.select_related(
                    "institution__region"
                ),
            ),
            Prefetch(
                "partners",
                queryset=AgreementPartner.objects.select_related("organization"),
            ),
        )

    def for_admin_list(self):
        return self.select_related("program").with_participants()

    def for_list(self):
        """What a result row shows: its program and its parties' names in their
        order; only the columns those need (a page of 100 rows makes ~800 model
        instances, whose unused columns cost more than their queries)."""
        participants = AgreementParticipant.objects.select_related("institution").only(
            "agreement_id",
            "role",
            "institution__name",
            "institution__name_ja",
            "institution__country",
        )
        partners = AgreementPartner.objects.select_related("organization").only(
            "agreement_id", "organization__name", "organization__name_ja"
        )
        return (
            self.select_related("program")
            .defer("search_title", "search_text")
            .prefetch_related(
                Prefetch("participants", queryset=participants),
                Prefetch("partners", queryset=partners),
            )
        )

    def for_representation(self):
        """What ``registry.representation`` reads with each agreement: its program
        (the rest comes a page or chunk at a time, in AgreementRelations), and not the
        search documents, the bulk of a row that nothing shown reads."""
        return self.select_related("program").defer("search_title", "search_text")

    def for_detail(self):
        return (
            self.select_related("program", "created_by", "updated_by")
            .with_participants()
            .prefetch_related(
                "disciplines__parent",
                "activity_types",
                Prefetch(
                    "sources",
                    queryset=SourceRecord.objects.select_related(
                        "data_source"
                    ).order_by("pk"),
                ),
            )
        )


class Agreement(BilingualNameMixin, PublishableModel, TimeStampedModel):
    """A formalized research partnership between U.S. and Japanese higher education.

    Its public ID (USJP-000042) is derived from the primary key: stable, unique, free of
    races and cheap to assign in bulk.
    """

    bilingual_fields = ("title", "title_ja")

    title = models.CharField(_("title (English)"), max_length=500)
    title_ja = models.CharField(_("title (Japanese)"), max_length=500, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    classification = models.CharField(
        _("classification"),
        max_length=20,
        choices=Classification.choices,
        blank=True,
        help_text=_(
            "Collaborative: higher-education institutions only. Consortium: with at "
            "least one government, NGO or industry partner. Left blank, it follows "
            "from the partners."
        ),
    )
    # False while the classification follows the partners (registry.rules): a later
    # partner added or removed moves it again, until a curator chooses one.
    classification_chosen = models.BooleanField(
        _("classification chosen by a curator"), default=False
    )
    program = models.ForeignKey(
        "registry.Program",
        verbose_name=_("program"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
    )
    disciplines = models.ManyToManyField(
        "registry.Discipline",
        verbose_name=_("disciplines"),
        blank=True,
        related_name="agreements",
    )
    activity_types = models.ManyToManyField(
        "registry.ActivityType",
        verbose_name=_("activities"),
        blank=True,
        related_name="agreements",
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    start_precision = models.CharField(
        _("start known to"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    end_date = models.DateField(_("end"), null=True, blank=True)
    end_precision = models.CharField(
        _("end known to"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    funding_amount = models.DecimalField(
        _("funding amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    funding_currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, blank=True
    )
    is_synthetic = models.BooleanField(
        _("synthetic demo record"),
        default=False,
        db_index=True,
        help_text=_(
            "Generated for demonstrations and benchmarks; not a real agreement."
        ),
    )
    notes = models.TextField(
        _("curator notes"), blank=True, help_text=_("Never shown publicly.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # What text search reads (registry.search), rebuilt whenever the agreement or a name
    # it is found by changes; never edited by hand.
    search_title = models.TextField(editable=False, blank=True, default="")
    search_text = models.TextField(editable=False, blank=True, default="")

    history = AGREEMENT_VERSIONS
    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-start_date", "-pk"]
        permissions = [("publish_agreement", _("Can publish and withdraw agreements"))]
        indexes = [
            models.Index(fields=["start_date"]),
            models.Index(fields=["end_date"]),
            models.Index(fields=["classification"]),
        ]
        # On PostgreSQL, the published agreements are also indexed in each search
        # order (migration 0008).

    def __str__(self):
        return f"{self.public_id} {self.title}" if self.pk else self.title

    def get_absolute_url(self):
        return reverse(
            "registry:agreement_detail", kwargs={"public_id": self.public_id}
        )

    @property
    def public_id(self) -> str:
        return format_public_id(self.pk) if self.pk else ""

    @property
    def start_display(self) -> str:
        return format_partial_date(self.start_date, self.start_precision)

    @property
    def end_display(self) -> str:
        return format_partial_date(self.end_date, self.end_precision)

    # For people: in the page's language (registry.display). The *_display forms above
    # are what exports and the API write.
    @property
    def start_label(self) -> str:
        return partial_date_label(self.start_date, self.start_precision)

    @property
    def end_label(self) -> str:
        return partial_date_label(self.end_date, self.end_precision)

    @property
    def funding_label(self) -> str:
        return money_label(self.funding_amount, self.funding_currency)

    @property
    def ordered_participants(self) -> list:
        return sorted(
            self.participants.all(),
            key=lambda p: participant_order(
                country=p.institution.country, role=p.role, name=p.institution.name
            ),
        )

    @property
    def ordered_partners(self) -> list:
        return sorted(
            self.partners.all(), key=lambda p: partner_order(name=p.organization.name)
        )

    @property
    def current_status(self) -> str:
        return status_on(timezone.localdate(), self.start_date, self.end_date)

    @property
    def current_status_label(self) -> str:
        return Status(self.current_status).label

    def clean(self):
        errors = {}
        # A partial date stands for its whole period: the start its first day, the end
        # its last.
        if self.start_date:
            self.start_date = period_bounds(self.start_date, self.start_precision)[0]
        if self.end_date:
            self.end_date = period_bounds(self.end_date, self.end_precision)[1]
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _(
                "The end (%(end)s) is before the start (%(start)s)."
            ) % {
                "end": self.end_display,
                "start": self.start_display,
            }
        if self.funding_amount is not None and not self.funding_currency:
            errors["funding_currency"] = _(
                "Give the currency of the funding amount (USD or JPY)."
            )
        if self.funding_currency and self.funding_amount is None:
            errors["funding_amount"] = _("A currency was given without an amount.")
        if errors:
            raise ValidationError(errors)


class AgreementParticipant(models.Model):
    """A higher-education institution taking part, optionally through one of its
    units."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    institution = models.ForeignKey(
        "registry.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(
        _("role"),
        max_length=10,
        choices=ParticipantRole.choices,
        default=ParticipantRole.PARTNER,
    )
    unit = models.CharField(
        _("unit"),
        max_length=255,
        blank=True,
        help_text=_(
            "School, faculty or institute taking part, e.g. School of Medicine."
        ),
    )

    history = HistoricalRecords(bases=[ImportBatchLink])

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants (higher education)")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "institution", "unit"], name="participant_unique"
            )
        ]
        indexes = [models.Index(fields=["institution", "agreement"])]

    def __str__(self):
        return (
            f"{self.institution} ({self.unit})" if self.unit else str(self.institution)
        )


class AgreementPartner(models.Model):
    """A non-higher-education actor in a consortium: funder, sponsor, industry
    partner…"""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="partners",
    )
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="partnerships",
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=PartnerRole.choices,
        default=PartnerRole.PARTNER,
    )

    history = HistoricalRecords(bases=[ImportBatchLink])

    class Meta:
        verbose_name = _("non-HE partner")
        verbose_name_plural = _("non-HE partners (government, NGO, industry)")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organization", "role"], name="partner_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "agreement"])]

    def __str__(self):
        return f"{self.organization} ({self.get_role_display()})"


class SourceRecord(models.Model):
    """Where the registry learned of an agreement: its provenance, one row per
    source."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="sources",
    )
    data_source = models.ForeignKey(
        "registry.DataSource",
        verbose_name=_("data source"),
        on_delete=models.PROTECT,
        related_name="records",
    )
    source_identifier = models.CharField(
        _("identifier at the source"),
        max_length=255,
        blank=True,
        help_text=_("Award number, grant number, or the source's own record ID."),
    )
    url = WebURLField(_("link"), max_length=1000, blank=True)
    retrieved_on = models.DateField(_("retrieved"), null=True, blank=True)

    history = HistoricalRecords(bases=[ImportBatchLink])

    class Meta:
        verbose_name = _("source record")
        verbose_name_plural = _("sources (provenance)")
        constraints = [
            models.UniqueConstraint(
                fields=["data_source", "source_identifier"],
                condition=~Q(source_identifier=""),
                name="source_record_unique_identifier",
            )
        ]

    def __str__(self):
        return f"{self.data_source} {self.source_identifier}".strip()

    def clean(self):
        if self.retrieved_on and self.retrieved_on > timezone.localdate():
            raise ValidationError(
                {"retrieved_on": _("The retrieval date is in the future.")}
            )

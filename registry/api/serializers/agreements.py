"""What the API shows of an agreement (its one representation, registry.representation)
and what a staff write of one may send."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...dates import parse_partial_date
from ...models import (
    ActivityType,
    Agreement,
    Classification,
    Currency,
    DataSource,
    Discipline,
    Institution,
    Organization,
    ParticipantRole,
    PartnerRole,
    Program,
    PublicationState,
    Status,
)
from ...representation import (
    AddressOf,
    AgreementRelations,
    agreement_row,
    public_agreement,
)
from ...rules import (
    ProposedParticipant,
    check_agreement_composition,
    settled_copy,
)
from ...services import Participant, Partner, Source, agreement_save
from .common import (
    DisciplineRefSerializer,
    HttpURLField,
    InstitutionRefSerializer,
    JSONTypes,
    NamedRefSerializer,
    OptionalSlugRelatedField,
    OrganizationRefSerializer,
    PublicPageUrlMixin,
    SlugsField,
    api_errors,
)


class ParticipantSerializer(serializers.Serializer):
    institution = InstitutionRefSerializer()
    role = serializers.ChoiceField(choices=ParticipantRole.choices)
    unit = serializers.CharField()


class PartnerSerializer(serializers.Serializer):
    organization = OrganizationRefSerializer()
    role = serializers.ChoiceField(choices=PartnerRole.choices)


class SourceSerializer(serializers.Serializer):
    source = NamedRefSerializer(source="data_source")
    identifier = serializers.CharField(source="source_identifier")
    url = serializers.CharField()
    retrieved_on = serializers.DateField(allow_null=True)


class FundingSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        source="funding_amount", max_digits=16, decimal_places=2
    )
    currency = serializers.ChoiceField(source="funding_currency", choices=Currency)


# -- agreements ------------------------------------------------------------------------


class AgreementListSerializer(serializers.ListSerializer):
    """A page of agreements, their participants, partners and the rest read for the
    whole page at once (AgreementRelations)."""

    def to_representation(self, data):
        agreements = list(data)
        relations = AgreementRelations(agreement.pk for agreement in agreements)
        return [self.child.represent(agreement, relations) for agreement in agreements]


class AgreementSerializer(PublicPageUrlMixin, serializers.Serializer):
    """An agreement as the public sees it; staff also see its publication state."""

    public_id = serializers.CharField()
    url = serializers.URLField()
    api_url = serializers.URLField()
    title = serializers.CharField()
    title_ja = serializers.CharField()
    summary = serializers.CharField()
    classification = serializers.ChoiceField(choices=Classification.choices)
    status = serializers.ChoiceField(source="current_status", choices=Status.choices)
    start = serializers.CharField(
        source="start_display", help_text=_("2019, 2019-03 or 2019-03-15; empty")
    )
    start_precision = serializers.CharField()
    end = serializers.CharField(source="end_display")
    end_precision = serializers.CharField()
    funding = FundingSerializer(allow_null=True)
    program = NamedRefSerializer(allow_null=True)
    disciplines = DisciplineRefSerializer(many=True)
    activities = NamedRefSerializer(many=True, source="activity_types")
    participants = ParticipantSerializer(many=True)
    partners = PartnerSerializer(many=True)
    sources = SourceSerializer(many=True)
    is_synthetic = serializers.BooleanField()
    publication_state = serializers.ChoiceField(
        choices=PublicationState.choices,
        required=False,
        help_text=_("Staff only."),
    )
    updated_at = serializers.DateTimeField()

    class Meta:
        list_serializer_class = AgreementListSerializer

    def to_representation(self, agreement):
        return self.represent(agreement, AgreementRelations([agreement.pk]))

    def represent(self, agreement, relations: AgreementRelations) -> dict:
        # Built by registry.representation, not by the fields above: DRF's nested
        # serializers cost ~2 ms an agreement, most of a 100-row page. The declared
        # fields stay the schema; a test compares the two.
        url, api_url = self.urls(agreement)
        data = public_agreement(
            agreement_row(agreement), relations, url=url, api_url=api_url
        )
        request = self.context.get("request")
        if request and request.user.is_staff:
            data["publication_state"] = agreement.publication_state
        return data

    def urls(self, agreement) -> tuple[str, str]:
        """The agreement's page and API addresses, absolute when there is a request
        (AddressOf: one reverse a page, not two an agreement)."""
        if "addresses" not in self.context:
            prefix = self.absolute("/").removesuffix("/")
            self.context["addresses"] = (
                AddressOf("registry:agreement_detail", prefix=prefix),
                AddressOf("api:agreement-detail", prefix=prefix),
            )
        page, api = self.context["addresses"]
        return page(agreement.public_id), api(agreement.public_id)


class PartialDateField(serializers.CharField):
    """ "2019", "2019-03", "March 2019", "2019-03-15" or 2019年3月: the date and its
    precision."""

    def __init__(self, *, period_end=False, **kwargs):
        self.period_end = period_end
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        # A blank value never reaches to_internal_value: DRF's CharField returns it
        # as it is ("").
        value = super().run_validation(data)
        return (None, None) if value == "" else value

    def to_internal_value(self, data):
        text = super().to_internal_value(data).strip()
        if not text:
            return (None, None)
        try:
            return parse_partial_date(text, period_end=self.period_end)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class ParticipantWriteSerializer(JSONTypes, serializers.Serializer):
    institution = serializers.SlugRelatedField(
        slug_field="slug", queryset=Institution.objects.all()
    )
    role = serializers.ChoiceField(
        choices=ParticipantRole.choices, default=ParticipantRole.PARTNER
    )
    unit = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=255
    )


class PartnerWriteSerializer(JSONTypes, serializers.Serializer):
    organization = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all()
    )
    role = serializers.ChoiceField(
        choices=PartnerRole.choices, default=PartnerRole.PARTNER
    )


class SourceWriteSerializer(JSONTypes, serializers.Serializer):
    source = serializers.SlugRelatedField(
        slug_field="slug", queryset=DataSource.objects.all()
    )
    identifier = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=255
    )
    url = HttpURLField(allow_blank=True, required=False, default="", max_length=1000)
    retrieved_on = serializers.DateField(required=False, allow_null=True)


class AgreementWriteSerializer(JSONTypes, serializers.Serializer):
    """What staff send to create or change an agreement.

    The same rules as the admin: each model's ``full_clean`` and
    ``check_agreement_composition``. A change of ``publication_state`` follows the
    publication workflow (registry.services.publication_move): a curator may submit for
    review but not publish.
    """

    title = serializers.CharField(max_length=500)
    title_ja = serializers.CharField(max_length=500, allow_blank=True, required=False)
    summary = serializers.CharField(allow_blank=True, required=False)
    classification = serializers.ChoiceField(
        choices=Classification.choices, allow_blank=True, required=False
    )
    program = OptionalSlugRelatedField(queryset=Program.objects.all())
    disciplines = SlugsField(Discipline.objects.all())
    activities = SlugsField(ActivityType.objects.all())
    start = PartialDateField()
    end = PartialDateField(period_end=True)
    funding_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, required=False
    )
    funding_currency = serializers.ChoiceField(
        choices=Currency.choices, allow_blank=True, required=False
    )
    notes = serializers.CharField(allow_blank=True, required=False)
    participants = ParticipantWriteSerializer(many=True, required=False)
    partners = PartnerWriteSerializer(many=True, required=False)
    sources = SourceWriteSerializer(many=True, required=False)
    publication_state = serializers.ChoiceField(
        choices=PublicationState.choices, required=False
    )
    change_reason = serializers.CharField(
        write_only=True,
        allow_blank=True,
        required=False,
        max_length=2000,
        help_text=_(
            "Why this change is made: kept with the agreement's new version in its "
            "history."
        ),
    )

    FIELDS = (
        "title",
        "title_ja",
        "summary",
        "classification",
        "program",
        "funding_amount",
        "funding_currency",
        "notes",
    )

    def validate(self, data):
        """Every rule the admin applies, against the agreement as it would be
        saved."""
        agreement = self.instance or Agreement()
        proposed = Agreement(
            pk=agreement.pk,
            publication_state=agreement.publication_state,
            published_at=agreement.published_at,
            **{name: getattr(agreement, name) for name in self.FIELDS},
            start_date=agreement.start_date,
            start_precision=agreement.start_precision,
            end_date=agreement.end_date,
            end_precision=agreement.end_precision,
        )
        # An existing agreement's copy: its own primary key is not a duplicate.
        proposed._state.adding = agreement._state.adding
        for name in self.FIELDS:
            if name in data:
                setattr(proposed, name, data[name])
        for name, field_name in (("start", "start_date"), ("end", "end_date")):
            if name in data:
                date, precision = data[name]
                setattr(proposed, field_name, date)
                if precision:
                    setattr(proposed, f"{name}_precision", precision)
        target_state = data.get("publication_state", proposed.publication_state)
        proposed.publication_state = target_state
        try:
            proposed.full_clean(exclude=["created_by", "updated_by"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_errors(error)) from None

        # A PATCH leaves out the nested fields' defaults: put them back.
        if "participants" in data:
            data["participants"] = [
                {"unit": "", "role": ParticipantRole.PARTNER, **row}
                for row in data["participants"]
            ]
        if "partners" in data:
            data["partners"] = [
                {"role": PartnerRole.PARTNER, **row} for row in data["partners"]
            ]
        participants = data.get("participants")
        if participants is None:
            participants = (
                [
                    {"institution": p.institution, "unit": p.unit, "role": p.role}
                    for p in agreement.participants.select_related("institution")
                ]
                if agreement.pk
                else []
            )
        partners = data.get("partners")
        if partners is None:
            partners = (
                [
                    {"organization": p.organization, "role": p.role}
                    for p in agreement.partners.select_related("organization")
                ]
                if agreement.pk
                else []
            )
        try:
            check_agreement_composition(
                agreement=settled_copy(proposed),
                participants=[
                    ProposedParticipant(institution=p["institution"], unit=p["unit"])
                    for p in participants
                ],
                partners=[p["organization"] for p in partners],
                sources=(
                    len(data["sources"])
                    if "sources" in data
                    else agreement.sources.count()
                    if agreement.pk
                    else 0
                ),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_errors(error)) from None
        data["proposed"] = proposed
        return data

    def save_agreement(self, *, user) -> Agreement:
        """Save the agreement as validated (still in its current publication state),
        with its participants, partners and sources, through the write service."""
        data = self.validated_data
        proposed: Agreement = data["proposed"]
        agreement = self.instance or Agreement()
        for name in (
            *self.FIELDS,
            "start_date",
            "start_precision",
            "end_date",
            "end_precision",
        ):
            setattr(agreement, name, getattr(proposed, name))
        if agreement.pk is None:
            # New records start as drafts; any other state is a publication move.
            agreement.publication_state = PublicationState.DRAFT
        rows = {
            "participants": lambda row: Participant(
                row["institution"], row["unit"], row["role"]
            ),
            "partners": lambda row: Partner(row["organization"], row["role"]),
            # A PATCH leaves out a source's defaults too.
            "sources": lambda row: Source(
                row["source"],
                row.get("identifier", ""),
                row.get("url", ""),
                row.get("retrieved_on"),
            ),
        }
        try:
            agreement_save(
                agreement=agreement,
                **{
                    name: [build(row) for row in data[name]] if name in data else None
                    for name, build in rows.items()
                },
                disciplines=data.get("disciplines"),
                activities=data.get("activities"),
                user=user,
                reason=data.get("change_reason", ""),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(api_errors(error)) from None
        return agreement

"""What the API shows of each record, and what a staff write may send."""

import copy

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..dates import parse_partial_date
from ..models import (
    ActivityType,
    Agreement,
    AliasKind,
    CaseStudy,
    Classification,
    Country,
    Currency,
    DataSource,
    Discipline,
    EnrollmentBand,
    IdentifierScheme,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionType,
    Language,
    Organization,
    OrganizationAlias,
    ParticipantRole,
    PartnerRole,
    Program,
    PublicationState,
    Region,
    ResearchClassification,
    Sector,
    Status,
)
from ..representation import AgreementRelations, public_agreement
from ..rules import ProposedParticipant, check_agreement_composition
from ..services import Participant, Partner, Source, agreement_save
from ..services.directory import (
    Alias,
    Identifier,
    institution_save,
    organization_save,
)
from ..slugs import BASE_LENGTH, free_slug

# -- small nested forms ----------------------------------------------------------------


class PublicPageUrlMixin:
    """``url``: the record's public page, absolute when there is a request."""

    def absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, record) -> str:
        return self.absolute(record.get_absolute_url())


class NamedRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    name_ja = serializers.CharField()


class InstitutionRefSerializer(NamedRefSerializer):
    country = serializers.ChoiceField(choices=Country.choices)


class OrganizationRefSerializer(NamedRefSerializer):
    sector = serializers.CharField()
    country = serializers.CharField()


class DisciplineRefSerializer(NamedRefSerializer):
    field = serializers.CharField(
        source="parent.slug",
        allow_null=True,
        help_text=_("The field of a subfield; null for a field."),
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

    _url_parts = None  # set by urls()

    class Meta:
        list_serializer_class = AgreementListSerializer

    def get_api_url(self, agreement) -> str:
        return self.absolute(
            reverse("api:agreement-detail", kwargs={"public_id": agreement.public_id})
        )

    def to_representation(self, agreement):
        return self.represent(agreement, AgreementRelations([agreement.pk]))

    def represent(self, agreement, relations: AgreementRelations) -> dict:
        # Built by registry.representation, not by the fields above: DRF's nested
        # serializers cost ~2 ms an agreement, most of a 100-row page. The declared
        # fields stay the schema; a test compares the two.
        url, api_url = self.urls(agreement)
        data = public_agreement(agreement, relations, url=url, api_url=api_url)
        request = self.context.get("request")
        if request and request.user.is_staff:
            data["publication_state"] = agreement.publication_state
        return data

    def urls(self, agreement) -> list[str]:
        """The agreement's page and API URLs. Reversing them cost a tenth of a page:
        the first agreement's, split at its public ID, give every other's."""
        if self._url_parts is None:
            self._url_parts = [
                url.rpartition(agreement.public_id)
                for url in (self.get_url(agreement), self.get_api_url(agreement))
            ]
        return [
            before + agreement.public_id + after
            for before, _public_id, after in self._url_parts
        ]


class PartialDateField(serializers.CharField):
    """ "2019", "2019-03", "March 2019", "2019-03-15" or 2019年3月: the date and its
    precision."""

    def __init__(self, *, period_end=False, **kwargs):
        self.period_end = period_end
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data).strip()
        if not text:
            return (None, None)
        try:
            return parse_partial_date(text, period_end=self.period_end)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class ParticipantWriteSerializer(serializers.Serializer):
    institution = serializers.SlugRelatedField(
        slug_field="slug", queryset=Institution.objects.all()
    )
    role = serializers.ChoiceField(
        choices=ParticipantRole.choices, default=ParticipantRole.PARTNER
    )
    unit = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=255
    )


class PartnerWriteSerializer(serializers.Serializer):
    organization = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all()
    )
    role = serializers.ChoiceField(
        choices=PartnerRole.choices, default=PartnerRole.PARTNER
    )


class SourceWriteSerializer(serializers.Serializer):
    source = serializers.SlugRelatedField(
        slug_field="slug", queryset=DataSource.objects.all()
    )
    identifier = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=255
    )
    url = serializers.URLField(
        allow_blank=True, required=False, default="", max_length=1000
    )
    retrieved_on = serializers.DateField(required=False, allow_null=True)


class AgreementWriteSerializer(serializers.Serializer):
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
    program = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Program.objects.all(),
        allow_null=True,
        required=False,
    )
    disciplines = serializers.SlugRelatedField(
        slug_field="slug", queryset=Discipline.objects.all(), many=True, required=False
    )
    activities = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ActivityType.objects.all(),
        many=True,
        required=False,
    )
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
            raise serializers.ValidationError(_api_errors(error)) from None

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
                agreement=proposed,
                participants=[
                    ProposedParticipant(institution=p["institution"], unit=p["unit"])
                    for p in participants
                ],
                partners=[p["organization"] for p in partners],
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(_api_errors(error)) from None
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
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(_api_errors(error)) from None
        return agreement


API_FIELD_NAMES = {
    "start_date": "start",
    "end_date": "end",
    "activity_types": "activities",
    "institution_type": "type",
    "__all__": "non_field_errors",
}


def _api_errors(error: DjangoValidationError):
    """A model's validation errors under the API's field names."""
    if hasattr(error, "error_dict"):
        return _by_api_name(error.message_dict)
    return {"non_field_errors": error.messages}


def _by_api_name(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        API_FIELD_NAMES.get(name, name): messages for name, messages in errors.items()
    }


# -- institutions, organizations and the rest ------------------------------------------


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_ja = serializers.CharField()
    slug = serializers.CharField()


class AliasSerializer(serializers.Serializer):
    name = serializers.CharField()
    language = serializers.CharField()
    kind = serializers.CharField()


class IdentifierSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    value = serializers.CharField()


class InstitutionSerializer(PublicPageUrlMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    type = serializers.CharField(source="institution_type")
    parent = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    region = RegionSerializer(allow_null=True)
    aliases = AliasSerializer(many=True)
    identifiers = IdentifierSerializer(many=True)
    # Read by Institution.objects.with_agreement_counts().
    agreement_count = serializers.IntegerField(
        read_only=True, help_text=_("Published agreements it takes part in.")
    )

    class Meta:
        model = Institution
        fields = [
            "slug",
            "url",
            "name",
            "name_ja",
            "country",
            "type",
            "parent",
            "city",
            "region",
            "website",
            "research_classification",
            "enrollment_band",
            "aliases",
            "identifiers",
            "agreement_count",
            "updated_at",
        ]


class OrganizationSerializer(PublicPageUrlMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    parent = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    aliases = AliasSerializer(many=True)
    # Read by Organization.objects.with_agreement_counts().
    agreement_count = serializers.IntegerField(
        read_only=True, help_text=_("Published agreements it is a partner in.")
    )

    class Meta:
        model = Organization
        fields = [
            "slug",
            "url",
            "name",
            "name_ja",
            "sector",
            "country",
            "parent",
            "ror_id",
            "website",
            "aliases",
            "agreement_count",
            "updated_at",
        ]


# -- institution and organization writes ----------------------------------------------

CREATED_THROUGH_API = _("Created through the API")
CHANGED_THROUGH_API = _("Changed through the API")


class WebsiteField(serializers.CharField):
    """A web address read as the admin reads it: one typed without a scheme is
    https."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, required=False, max_length=200, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return forms.URLField(assume_scheme="https", required=False).clean(text)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class RegionCodeField(serializers.CharField):
    """A state or prefecture by its code, shown as its code too (the browsable API
    fills its forms with what a write would send)."""

    def to_representation(self, region):
        return region.code


class AliasWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    language = serializers.ChoiceField(choices=Language.choices)
    kind = serializers.ChoiceField(choices=AliasKind.choices)


class IdentifierWriteSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=IdentifierScheme.choices)
    value = serializers.CharField(
        max_length=40,
        help_text=_("A ROR ID may also be written as its https://ror.org/ address."),
    )


class NamedRecordWriteSerializer(serializers.Serializer):
    """What institution and organization writes share, with the admin's rules.

    The record as it would be saved passes its model's ``full_clean``; a slug left
    blank is made from the name, one taken by another record is refused with its
    holder's name. Aliases sent replace the record's, each checked by its model;
    left out, they stay as they are.
    """

    name = serializers.CharField(max_length=255)
    name_ja = serializers.CharField(max_length=255, allow_blank=True, required=False)
    slug = serializers.SlugField(
        max_length=255,
        allow_blank=True,
        required=False,
        help_text=_(
            "The record's address. Blank, or left out of a new record: made from the "
            "name."
        ),
    )
    website = WebsiteField()
    notes = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text=_("Curator notes, never shown publicly."),
    )
    aliases = AliasWriteSerializer(many=True, required=False)

    model: type
    alias_model: type
    alias_owner = ""  # the alias model's foreign key to the record
    FIELDS: tuple[str, ...] = ()  # the model's fields taken as they are sent

    def validate_aliases(self, rows):
        seen, errors = set(), {}
        for index, row in enumerate(rows):
            if row["name"] in seen:
                errors[index] = {"name": [_listed_twice(row["name"])]}
            seen.add(row["name"])
        if errors:
            raise serializers.ValidationError(errors)
        return rows

    def validate(self, data):
        """The record as it would be saved, checked as the admin checks it: its
        ``full_clean`` and a slug no other record holds."""
        # A copy: the instance stays as loaded until the write is saved.
        record = copy.copy(self.instance) if self.instance else self.model()
        for name in self.FIELDS:
            if name in data:
                setattr(record, name, data[name])
        errors = self.prepare(record, data)
        if data.get("slug"):
            record.slug = data["slug"]
            others = self.model.objects.exclude(pk=record.pk)
            holder = others.filter(slug=record.slug).first()
            if holder is not None:
                errors["slug"] = [
                    _(
                        "“%(slug)s” is taken by %(holder)s: choose another, or leave "
                        "it blank to make one from the name."
                    )
                    % {"slug": record.slug, "holder": holder}
                ]
        elif "slug" in data or record.pk is None:
            record.slug = self.free_slug(record)
            if not record.slug:
                errors["slug"] = [
                    _(
                        "Give a slug: the name has no Latin letters or digits to "
                        "make one from."
                    )
                ]
        try:
            # Fields already refused are not checked twice.
            record.full_clean(exclude=list(errors))
        except DjangoValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise serializers.ValidationError(_by_api_name(errors))
        self.check_rows(record, data)
        data["record"] = record
        return data

    def check_rows(self, record, data) -> None:
        """Each row sent checked as the admin's inline checks it; refused by row
        number. The rows replace the record's, so only the list itself can repeat a
        name."""
        if "aliases" in data:
            _raise_row_errors(
                "aliases",
                [
                    _model_errors(
                        self.alias_model(**{self.alias_owner: record}, **row),
                        exclude=[self.alias_owner],
                    )
                    for row in data["aliases"]
                ],
            )

    def prepare(self, record, data) -> dict[str, list[str]]:
        """Set what the model cannot check by itself; return its errors by field."""
        return {}

    def free_slug(self, record) -> str:
        """The name's slug, numbered (-2, -3…) past those other records hold."""
        base = slugify(record.name)[:BASE_LENGTH].strip("-")
        taken = set(
            self.model.objects.filter(slug__startswith=base)
            .exclude(pk=record.pk)
            .values_list("slug", flat=True)
        )
        return free_slug(record.name, taken=taken)

    def save_record(self, *, user):
        """Save the record as validated, with its rows, through its write service
        (history naming the user; the agreements its names reach reindexed)."""
        record = self.validated_data["record"]
        reason = str(CHANGED_THROUGH_API if record.pk else CREATED_THROUGH_API)
        self.save_through_service(record, self.validated_data, user=user, reason=reason)
        return record

    @staticmethod
    def alias_rows(data):
        """The aliases sent, for the write service; None when none were sent."""
        if "aliases" not in data:
            return None
        return [
            Alias(row["name"], row["language"], row["kind"]) for row in data["aliases"]
        ]


class InstitutionWriteSerializer(NamedRecordWriteSerializer):
    """What staff send to create or change an institution: the admin's form and its
    alias and identifier rows.

    Aliases and identifiers sent replace the institution's; left out, they stay. An
    identifier held by another institution is refused, naming it: if the two are one
    institution, merge them in the admin.
    """

    country = serializers.ChoiceField(choices=Country.choices)
    type = serializers.ChoiceField(
        source="institution_type", choices=InstitutionType.choices
    )
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Institution.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("The system a campus belongs to, by slug."),
    )
    city = serializers.CharField(max_length=120, allow_blank=True, required=False)
    region = RegionCodeField(
        max_length=2,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text=_("A state's USPS code (CA) or a prefecture's JIS code (04)."),
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, allow_null=True, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, allow_null=True, required=False
    )
    research_classification = serializers.ChoiceField(
        choices=ResearchClassification.choices, allow_blank=True, required=False
    )
    enrollment_band = serializers.ChoiceField(
        choices=EnrollmentBand.choices, allow_blank=True, required=False
    )
    identifiers = IdentifierWriteSerializer(many=True, required=False)

    model = Institution
    alias_model = InstitutionAlias
    alias_owner = "institution"
    FIELDS = (
        "name",
        "name_ja",
        "country",
        "institution_type",
        "parent",
        "city",
        "latitude",
        "longitude",
        "website",
        "research_classification",
        "enrollment_band",
        "notes",
    )

    def prepare(self, record, data):
        if "region" not in data:
            return {}
        code = data["region"]
        if not code:
            record.region = None
            return {}
        # A code names one region of each country at most; the record's own country
        # first, else the other's, which full_clean then explains.
        regions = sorted(
            Region.objects.filter(code__iexact=code),
            key=lambda region: region.country != record.country,
        )
        if not regions:
            return {
                "region": [
                    _("No state or prefecture has the code “%(code)s”.")
                    % {"code": code}
                ]
            }
        record.region = regions[0]
        return {}

    def check_rows(self, record, data):
        super().check_rows(record, data)
        rows = data.get("identifiers")
        if rows is None:
            # Kept, but checked again as the admin's rows are: a new country can make
            # one wrong (an IPEDS UNITID on a Japanese institution).
            identifiers = (
                list(InstitutionIdentifier.objects.filter(institution_id=record.pk))
                if record.pk
                else []
            )
            for identifier in identifiers:
                identifier.institution = record
            _raise_row_errors(
                "identifiers",
                [self.identifier_errors(record, one) for one in identifiers],
            )
            return
        identifiers = [InstitutionIdentifier(institution=record, **row) for row in rows]
        errors, seen = [], set()
        for identifier in identifiers:
            found = self.identifier_errors(record, identifier)
            key = (identifier.scheme, identifier.value)
            if not found and key in seen:
                found = {"value": [_listed_twice(identifier.value)]}
            seen.add(key)
            errors.append(found)
        _raise_row_errors("identifiers", errors)
        # As cleaned: a ROR ID written as its ror.org address is kept bare.
        data["identifiers"] = [
            {"scheme": one.scheme, "value": one.value} for one in identifiers
        ]

    def save_through_service(self, record, data, *, user, reason):
        identifiers = data.get("identifiers")
        institution_save(
            institution=record,
            aliases=self.alias_rows(data),
            identifiers=None
            if identifiers is None
            else [Identifier(row["scheme"], row["value"]) for row in identifiers],
            user=user,
            reason=reason,
        )

    @staticmethod
    def identifier_errors(record, identifier) -> dict[str, list[str]]:
        try:
            # Its unique (scheme, value) constraint is checked below, to name the
            # institution that holds the value.
            identifier.full_clean(exclude=["institution"], validate_constraints=False)
        except DjangoValidationError as error:
            return error.message_dict
        holder = (
            Institution.objects.filter(
                identifiers__scheme=identifier.scheme,
                identifiers__value=identifier.value,
            )
            .exclude(pk=record.pk)
            .first()
        )
        if holder is None:
            return {}
        return {
            "value": [
                _(
                    "%(scheme)s %(value)s already identifies %(holder)s (%(slug)s); "
                    "if both records are one institution, merge them in the admin."
                )
                % {
                    "scheme": identifier.get_scheme_display(),
                    "value": identifier.value,
                    "holder": holder,
                    "slug": holder.slug,
                }
            ]
        }


class OrganizationWriteSerializer(NamedRecordWriteSerializer):
    """What staff send to create or change an organization: the admin's form and its
    alias rows. Aliases and counterparts sent replace the organization's; left out,
    they stay."""

    sector = serializers.ChoiceField(choices=Sector.choices)
    country = serializers.ChoiceField(
        choices=Country.choices,
        allow_blank=True,
        required=False,
        help_text=_("Blank for an international or third-country body."),
    )
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("The organization it belongs to, by slug."),
    )
    counterparts = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        many=True,
        required=False,
        help_text=_(
            "The other country's joint-research funding counterparts, by slug: each "
            "is linked both ways."
        ),
    )
    ror_id = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text=_("Nine characters such as 021nxhr62, or its https://ror.org/ URL."),
    )

    model = Organization
    alias_model = OrganizationAlias
    alias_owner = "organization"
    FIELDS = (
        "name",
        "name_ja",
        "sector",
        "country",
        "parent",
        "ror_id",
        "website",
        "notes",
    )

    def validate_ror_id(self, value):
        # The model's clean() reads a ror.org address too, but only after its field
        # checks have refused it as too long: read here first.
        return value.removeprefix("https://ror.org/")

    def prepare(self, record, data):
        if not record.ror_id:
            return {}
        holder = (
            Organization.objects.filter(ror_id=record.ror_id)
            .exclude(pk=record.pk)
            .first()
        )
        if holder is None:
            return {}
        return {
            "ror_id": [
                _("ROR ID %(value)s already identifies %(holder)s (%(slug)s).")
                % {"value": record.ror_id, "holder": holder, "slug": holder.slug}
            ]
        }

    def save_through_service(self, record, data, *, user, reason):
        organization_save(
            organization=record,
            aliases=self.alias_rows(data),
            counterparts=data.get("counterparts"),
            user=user,
            reason=reason,
        )


def _listed_twice(name: str) -> str:
    return _("“%(name)s” is listed twice.") % {"name": name}


def _model_errors(record, *, exclude=()) -> dict[str, list[str]]:
    try:
        record.full_clean(exclude=list(exclude), validate_constraints=False)
    except DjangoValidationError as error:
        return error.message_dict
    return {}


def _raise_row_errors(field: str, errors: list[dict]) -> None:
    """Refuse a list whose rows have errors, given one entry a row (empty where it is
    fine): by row number, the failing rows only, as DRF reports a nested list."""
    failing = {index: found for index, found in enumerate(errors) if found}
    if failing:
        raise serializers.ValidationError({field: failing})


class ProgramSerializer(serializers.ModelSerializer):
    organizations = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    research_areas = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = Program
        fields = [
            "slug",
            "name",
            "name_ja",
            "description",
            "organizations",
            "research_areas",
            "start_year",
            "end_year",
            "website",
        ]


class DisciplineSerializer(serializers.ModelSerializer):
    field = serializers.SlugRelatedField(
        source="parent", slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Discipline
        fields = ["slug", "name", "name_ja", "field", "description"]


class ActivityTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityType
        fields = ["slug", "name", "name_ja", "is_research_evidence", "description"]


class DataSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataSource
        fields = [
            "slug",
            "name",
            "name_ja",
            "url",
            "description",
            "coverage_start",
            "coverage_end",
        ]


class CaseStudySerializer(serializers.ModelSerializer):
    agreements = serializers.SerializerMethodField()
    institutions = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = CaseStudy
        fields = [
            "slug",
            "title",
            "title_ja",
            "summary",
            "body",
            "agreements",
            "institutions",
            "published_at",
            "updated_at",
        ]

    def get_agreements(self, case_study) -> list[str]:
        # The public sees only the published agreements a case study links to.
        request = self.context.get("request")
        staff = bool(request and request.user.is_staff)
        return [
            agreement.public_id
            for agreement in case_study.agreements.all()
            if staff or agreement.is_published
        ]


# -- aggregations and names ------------------------------------------------------------


class StatsGroupSerializer(serializers.Serializer):
    key = serializers.JSONField(
        help_text=_(
            "The value the filter of the same name takes (a slug, a code, a year); "
            "a pair of them for two keys."
        )
    )
    label = serializers.JSONField(help_text=_("A name, or a pair of names."))
    count = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    total = serializers.IntegerField(
        help_text=_("Agreements matching the filters: the list's count.")
    )
    group_by = serializers.ListField(child=serializers.CharField())
    groups = StatsGroupSerializer(many=True)


class CandidateSerializer(serializers.Serializer):
    institution = InstitutionRefSerializer()
    score = serializers.FloatField(min_value=0, max_value=100)
    matched_on = serializers.CharField()


class ResolutionSerializer(serializers.Serializer):
    query = serializers.CharField()
    normalized = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    chosen = CandidateSerializer(allow_null=True)
    candidates = CandidateSerializer(many=True)
    ambiguous = serializers.BooleanField()


class ResolveQuerySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=500)
    country = serializers.ChoiceField(choices=Country.choices, required=False)

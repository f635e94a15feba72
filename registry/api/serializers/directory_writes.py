"""What staff send to create or change an institution or an organization, checked
with the admin's rules, and written through registry.services.directory."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...models import (
    AliasKind,
    Country,
    EnrollmentBand,
    IdentifierScheme,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionType,
    Language,
    Organization,
    OrganizationAlias,
    Region,
    ResearchClassification,
    Sector,
)
from ...services.directory import (
    Alias,
    Identifier,
    institution_save,
    organization_save,
)
from ...slugs import BASE_LENGTH, free_slug
from .common import (
    ORGANIZATION_FIELDS,
    JSONTypes,
    OptionalSlugRelatedField,
    RegionCodeField,
    SlugsField,
    WebsiteField,
    by_api_name,
    listed_twice,
    model_errors,
    raise_row_errors,
)

CREATED_THROUGH_API = _("Created through the API")
CHANGED_THROUGH_API = _("Changed through the API")


class AliasWriteSerializer(JSONTypes, serializers.Serializer):
    name = serializers.CharField(max_length=255)
    language = serializers.ChoiceField(choices=Language.choices)
    kind = serializers.ChoiceField(choices=AliasKind.choices)


class IdentifierWriteSerializer(JSONTypes, serializers.Serializer):
    scheme = serializers.ChoiceField(choices=IdentifierScheme.choices)
    value = serializers.CharField(
        max_length=40,
        help_text=_("A ROR ID may also be written as its https://ror.org/ address."),
    )


class NamedRecordWriteSerializer(JSONTypes, serializers.Serializer):
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
                errors[index] = {"name": [listed_twice(row["name"])]}
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
            raise serializers.ValidationError(by_api_name(errors))
        self.check_rows(record, data)
        data["record"] = record
        return data

    def check_rows(self, record, data) -> None:
        """Each row sent checked as the admin's inline checks it; refused by row
        number. The rows replace the record's, so only the list itself can repeat a
        name."""
        if "aliases" in data:
            raise_row_errors(
                "aliases",
                [
                    model_errors(
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
    parent = OptionalSlugRelatedField(
        queryset=Institution.objects.all(),
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
            raise_row_errors(
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
                found = {"value": [listed_twice(identifier.value)]}
            seen.add(key)
            errors.append(found)
        raise_row_errors("identifiers", errors)
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
    parent = OptionalSlugRelatedField(
        queryset=Organization.objects.all(),
        help_text=_("The organization it belongs to, by slug."),
    )
    counterparts = SlugsField(
        Organization.objects.all(),
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
    FIELDS = (*ORGANIZATION_FIELDS, "notes")

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

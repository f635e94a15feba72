"""What the API's serializers share: references to named records, the public page
URL, and reporting a model's errors under the API's field names, row by row."""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import (
    Country,
    validate_web_url,
)

# What the API shows of an organization and staff write, beside its slug, aliases and
# notes.
ORGANIZATION_FIELDS = (
    "name",
    "name_ja",
    "sector",
    "country",
    "parent",
    "ror_id",
    "website",
)


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


API_FIELD_NAMES = {
    "start_date": "start",
    "end_date": "end",
    "activity_types": "activities",
    "institution_type": "type",
    "__all__": "non_field_errors",
}


def api_errors(error: DjangoValidationError):
    """A model's validation errors under the API's field names."""
    if hasattr(error, "error_dict"):
        return by_api_name(error.message_dict)
    return {"non_field_errors": error.messages}


def by_api_name(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        API_FIELD_NAMES.get(name, name): messages for name, messages in errors.items()
    }


def listed_twice(name: str) -> str:
    return _("“%(name)s” is listed twice.") % {"name": name}


def model_errors(record, *, exclude=()) -> dict[str, list[str]]:
    try:
        record.full_clean(exclude=list(exclude), validate_constraints=False)
    except DjangoValidationError as error:
        return error.message_dict
    return {}


def raise_row_errors(field: str, errors: list[dict]) -> None:
    """Refuse a list whose rows have errors, given one entry a row (empty where it is
    fine): by row number, the failing rows only, as DRF reports a nested list."""
    failing = {index: found for index, found in enumerate(errors) if found}
    if failing:
        raise serializers.ValidationError({field: failing})


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


class HttpURLField(serializers.URLField):
    """An http(s) address, checked as every model's URL field checks it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # In place of DRF's URLValidator, which takes ftp:// too.
        self.validators = [
            *(v for v in self.validators if not isinstance(v, URLValidator)),
            validate_web_url,
        ]


class RegionCodeField(serializers.CharField):
    """A state or prefecture by its code, shown as its code too (the browsable API
    fills its forms with what a write would send)."""

    def to_representation(self, region):
        return region.code


@extend_schema_field({"type": "string"})
class OptionalSlugRelatedField(serializers.SlugRelatedField):
    """One record by slug, or none: null, or "" as DRF reads a relation (documented
    so: any string, a made-up slug refused with a message)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class SlugsField(serializers.ManyRelatedField):
    """Several records by slug, as a JSON list: DRF's own field takes any iterable,
    an object ({}) as an empty list."""

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(
            child_relation=serializers.SlugRelatedField(
                slug_field="slug", queryset=queryset
            ),
            **kwargs,
        )

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class JSONTypes:
    """For a write serializer: a field documented as a string takes a JSON string.
    DRF's CharField and DecimalField also read a number (5 as "5"), which the schema
    does not allow: refused, as any other value of the wrong type."""

    STRINGS = (serializers.CharField, serializers.DecimalField)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {
                field.field_name: [
                    serializers.CharField.default_error_messages["invalid"]
                ]
                for field in self.fields.values()
                if isinstance(field, self.STRINGS)
                and not field.read_only
                and data.get(field.field_name) is not None
                and not isinstance(data[field.field_name], str)
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

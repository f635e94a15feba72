"""What the API shows of institutions and partner organizations."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...models import (
    Institution,
    Organization,
)
from .common import (
    ORGANIZATION_FIELDS,
    PublicPageUrlMixin,
)


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


class DirectorySerializer(PublicPageUrlMixin, serializers.ModelSerializer):
    """What institutions and organizations both show."""

    url = serializers.SerializerMethodField()
    parent = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    aliases = AliasSerializer(many=True)
    # Read by the querysets' with_agreement_counts().
    agreement_count = serializers.IntegerField(
        read_only=True, help_text=_("Published agreements it takes part in.")
    )


class InstitutionSerializer(DirectorySerializer):
    type = serializers.CharField(source="institution_type")
    region = RegionSerializer(allow_null=True)
    identifiers = IdentifierSerializer(many=True)

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


class OrganizationSerializer(DirectorySerializer):
    class Meta:
        model = Organization
        fields = [
            "slug",
            "url",
            *ORGANIZATION_FIELDS,
            "aliases",
            "agreement_count",
            "updated_at",
        ]

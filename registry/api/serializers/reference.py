"""What the API shows of programs, taxonomies, data sources and case studies, of the
stats and of the name resolver."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...models import (
    ActivityType,
    CaseStudy,
    Country,
    DataSource,
    Discipline,
    Program,
)
from .common import (
    InstitutionRefSerializer,
    OrganizationRefSerializer,
)


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
    group_count = serializers.IntegerField(help_text=_("How many groups there are."))
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    next = serializers.URLField(
        allow_null=True, help_text=_("The next page of groups.")
    )
    previous = serializers.URLField(allow_null=True)
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
    organization = OrganizationRefSerializer(
        allow_null=True,
        help_text=_(
            "The partner organization (a laboratory, company or agency) an "
            "affiliation names instead of an institution."
        ),
    )


class ResolveQuerySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=500)
    country = serializers.ChoiceField(choices=Country.choices, required=False)

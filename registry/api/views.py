"""The API's endpoints: the public records searched with the pages' FilterSets.

Anonymous and non-staff users see published records only; staff see every record and
may write, with their model permissions and the admin's rules. A public list of
agreements is answered from the in-memory engine (ids in search order, then one page of
rows), which gives what the FilterSet's SQL gives, faster.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler

from ..engine import PublishedRows, published_index
from ..filtersets import (
    AgreementFilterSet,
    InstitutionFilterSet,
    OrganizationFilterSet,
)
from ..models import (
    ActivityType,
    Agreement,
    CaseStudy,
    Country,
    DataSource,
    Discipline,
    Institution,
    Organization,
    Program,
    parse_public_id,
)
from ..resolver import resolve_institution
from ..search import refresh_agreement_index
from ..services import publication_move
from . import schema as _schema_extensions  # noqa: F401 (registers them)
from . import serializers
from .pagination import AgreementPagination, RegistryPagination, wants_cursor
from .params import check_filter_values, reject_null_characters, whole_number
from .renderers import StatsJSONRenderer
from .stats import GROUP_BY_VALUES, KEYS, UnknownKey, agreement_stats, parse_group_by

INVALID = _("Some values are not valid: see errors.")


def json_exception_handler(exc, context):
    """Errors as JSON: ``detail`` says what went wrong; a validation error also lists
    ``errors`` by parameter or field."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        errors = response.data
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        response.data = {"detail": str(INVALID), "errors": errors}
    return response


class RegistryFilterBackend(DjangoFilterBackend):
    """The pages' FilterSet, strict: an unreadable value is a 400 naming it.

    An agreement search is ordered as the pages order it (``sort``) unless the request
    asks for an ``ordering``."""

    def filter_queryset(self, request, queryset, view):
        reject_null_characters(request)
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        check_filter_values(request, type(filterset))
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        view.filterset = filterset
        queryset = filterset.qs
        if isinstance(filterset, AgreementFilterSet) and not (
            request.query_params.get("ordering") or wants_cursor(request)
        ):
            queryset = filterset.ordered(queryset)
        return queryset


class StableOrderingFilter(OrderingFilter):
    """``ordering`` with the primary key last, so equal values page steadily.

    Strict, as its schema: fields of the view's ``ordering_fields``, each optionally
    after "-", separated by commas; anything else is refused (DRF's filter leaves an
    unknown field out without a word)."""

    def get_ordering(self, request, queryset, view):
        text = request.query_params.get(self.ordering_param)
        if text is not None:
            allowed = self.ordering_values(view)
            unknown = [term for term in text.split(",") if term not in allowed]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("“%(value)s” is not one of %(allowed)s.")
                            % {"value": unknown[0], "allowed": ", ".join(allowed)}
                        ]
                    }
                )
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not any(
            field.lstrip("-") in {"pk", "id"} for field in ordering
        ):
            descending = ordering[0].startswith("-")
            ordering = [*ordering, "-pk" if descending else "pk"]
        return ordering

    @staticmethod
    def ordering_values(view) -> list[str]:
        fields = view.ordering_fields
        return [value for field in fields for value in (field, f"-{field}")]

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(
                    _(
                        "Order by these fields, comma-separated; “-” before a field "
                        "reverses it."
                    )
                ),
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": self.ordering_values(view)},
                },
                "style": "form",
                "explode": False,
            }
        ]


def is_staff(request) -> bool:
    return bool(request.user and request.user.is_staff)


MAX_KEY = 2**63 - 1  # the largest primary key a database column holds


class BySlug:
    # A record by its slug: one with a NUL is none (PostgreSQL fails on it in a query).
    # Any text up to the next "/" is read as a slug, so that "a.b" is answered by the
    # API (a JSON 404) rather than by no route at all (the site's HTML 404).

    lookup_field = "slug"
    lookup_value_regex = "[^/]+"

    def get_object(self):
        if "\x00" in self.kwargs.get(self.lookup_field, ""):
            raise Http404
        return super().get_object()


FILTER_ERRORS = OpenApiResponse(
    description=_("An unreadable filter value: `errors` names the parameter.")
)
STATS_LIMIT = 200  # groups a page: the pairs' page stays under 100 KB
STATS_MAX_LIMIT = 5000
GROUPS_LIMIT = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": STATS_MAX_LIMIT},
    description=_("How many groups, most agreements first (%(default)s by default).")
    % {"default": STATS_LIMIT},
)
GROUPS_OFFSET = OpenApiParameter(
    "offset",
    {"type": "integer", "minimum": 0},
    description=_("How many groups to skip; `next` and `previous` link the pages."),
)
GROUP_BY = OpenApiParameter(
    "group_by",
    OpenApiTypes.STR,
    required=True,
    enum=GROUP_BY_VALUES,
    description=_("One of %(keys)s; or the pair %(pairs)s.")
    % {
        "keys": ", ".join(GROUP_BY_VALUES[: len(KEYS)]),
        "pairs": "; ".join(GROUP_BY_VALUES[len(KEYS) :]),
    },
)


WRITE_ERRORS = OpenApiResponse(
    description=_(
        "A value the admin would refuse: `errors` names each field, and each row of "
        "a list."
    )
)


def write_schema(write, read) -> dict:
    """A staff write's operations: what they send, and the record as read back."""
    return {
        "create": extend_schema(
            request=write, responses={201: read, 400: WRITE_ERRORS}
        ),
        "update": extend_schema(
            request=write, responses={200: read, 400: WRITE_ERRORS}
        ),
        "partial_update": extend_schema(
            request=write, responses={200: read, 400: WRITE_ERRORS}
        ),
    }


def interpreted(reading) -> dict:
    """What the API says it understood of a search's words (AgreementPagination)."""

    def meaning(item):
        return {"parameter": item.param, "value": item.value, "name": item.label}

    return {
        "filters": [
            {**meaning(item.meaning), "words": item.phrase}
            for item in reading.understood
        ],
        "text": reading.rest,
        "ambiguous": [
            {"words": phrase, "candidates": [meaning(m) for m in candidates]}
            for phrase, candidates in reading.ambiguous
        ],
    }


@extend_schema_view(
    list=extend_schema(
        summary=_("Search agreements"),
        description=_(
            "The parameters of the public search page. Anonymous users see published "
            "agreements only."
        ),
        responses={200: serializers.AgreementSerializer(many=True), 400: FILTER_ERRORS},
    ),
    retrieve=extend_schema(summary=_("One agreement, by public ID (USJP-000042)")),
    **write_schema(
        serializers.AgreementWriteSerializer, serializers.AgreementSerializer
    ),
)
class AgreementViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.AgreementSerializer
    parser_classes = [JSONParser]  # writes are JSON: their lists of rows need it
    filter_backends = [RegistryFilterBackend, StableOrderingFilter]
    filterset_class = AgreementFilterSet
    ordering_fields = ["start_date", "end_date", "title", "published_at", "updated_at"]
    pagination_class = AgreementPagination
    lookup_field = "public_id"
    lookup_value_regex = "[^/]+"
    queryset = Agreement.objects.none()  # for DjangoModelPermissions and the schema

    def get_queryset(self):
        # The serializer reads the rest of what it shows for a whole page at once
        # (representation.AgreementRelations): a fixed number of queries a page.
        queryset = Agreement.objects.for_representation()
        return queryset if is_staff(self.request) else queryset.published()

    def get_object(self):
        pk = parse_public_id(self.kwargs["public_id"])
        if pk is None or pk > MAX_KEY:
            raise Http404
        agreement = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, agreement)
        return agreement

    def list(self, request, *args, **kwargs):
        filterset = self.validated_filterset()
        if is_staff(request) or wants_cursor(request) or "ordering" in request.GET:
            response = super().list(request, *args, **kwargs)
        else:
            found = published_index().search(filterset.criteria(), facet_dimensions={})
            page = self.paginate_queryset(
                PublishedRows(
                    found.ids, queryset=Agreement.objects.for_representation()
                )
            )
            response = self.get_paginated_response(
                self.get_serializer(page, many=True).data
            )
        response.data["interpreted"] = interpreted(filterset.reading)
        return response

    def validated_filterset(self) -> AgreementFilterSet:
        check_filter_values(self.request, AgreementFilterSet)
        filterset = AgreementFilterSet(
            self.request.query_params, queryset=self.get_queryset()
        )
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        return filterset

    @extend_schema(
        summary=_("Count agreements by a key, under any search"),
        description=_(
            "The total equals the list's count under the same filters. Each group's "
            "`key` is what the filter of the same name takes."
        ),
        parameters=[GROUP_BY, GROUPS_LIMIT, GROUPS_OFFSET],
        filters=True,
        responses={200: serializers.StatsSerializer, 400: FILTER_ERRORS},
    )
    @action(
        detail=False,
        url_path="stats",
        pagination_class=None,
        # The settings' renderers, with a JSON renderer that writes Stats fast.
        renderer_classes=[StatsJSONRenderer, BrowsableAPIRenderer],
    )
    def stats(self, request):
        try:
            group_by = parse_group_by(request.query_params.get("group_by", ""))
        except UnknownKey as error:
            raise ValidationError({"group_by": [str(error)]}) from None
        limit = whole_number(request, "limit", STATS_LIMIT, 1, STATS_MAX_LIMIT)
        offset = whole_number(request, "offset", 0, 0, None)
        result = agreement_stats(
            filterset=self.validated_filterset(),
            group_by=group_by,
            published_only=not is_staff(request),
        ).page(
            offset=offset,
            limit=limit,
            link=lambda at: replace_query_param(
                request.build_absolute_uri(), "offset", at
            ),
        )
        # Stats as they are: StatsSerializer documents them (the schema above), but
        # serializing some 20,000 groups field by field cost 150 ms.
        return Response(result)

    # -- writes ------------------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        return self._write(serializers.AgreementWriteSerializer(data=request.data))

    def update(self, request, *args, **kwargs):
        agreement = self.get_object()
        return self._write(
            serializers.AgreementWriteSerializer(
                agreement, data=request.data, partial=kwargs.get("partial", False)
            )
        )

    def _write(self, writer):
        created = writer.instance is None
        writer.context.update(self.get_serializer_context())
        writer.is_valid(raise_exception=True)
        with transaction.atomic():
            agreement = writer.save_agreement(user=self.request.user)
            target = writer.validated_data.get("publication_state")
            if target and target != agreement.publication_state:
                # The workflow's rules and permissions: a curator cannot publish
                # (PermissionDenied, a 403), a refused move undoes the whole write.
                moved = publication_move(
                    records=[agreement],
                    state=target,
                    user=self.request.user,
                    reason=writer.validated_data.get("change_reason", ""),
                )
                if moved.refused:
                    raise ValidationError({"publication_state": [moved.refused[0][1]]})
        fresh = self.get_queryset().get(pk=agreement.pk)
        return Response(
            self.get_serializer(fresh).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def perform_destroy(self, agreement):
        pk = agreement.pk
        agreement._history_user = self.request.user
        with transaction.atomic():
            agreement.delete()
            refresh_agreement_index(agreement_ids=[pk])


class NamedRecordWrites:
    # Staff create (POST) and change (PUT, PATCH) the record, by slug, with their model
    # permissions; the agreements its names reach are reindexed, and the answer is the
    # record as read. (Comments, not a docstring: drf-spectacular would show one as
    # the description of every operation of the view.)
    #
    # No DELETE: a duplicate institution is merged into the record it repeats (in the
    # admin), which keeps its participations, names and address; deleting an
    # organization stays in the admin too, whose confirmation lists what goes with it.

    write_serializer_class: type[serializers.NamedRecordWriteSerializer]

    def get_serializer_class(self):
        # Writes, and the browsable API's forms for them, take the write serializer.
        if self.request.method not in SAFE_METHODS:
            return self.write_serializer_class
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        return self._write(self.get_serializer(data=request.data))

    def update(self, request, *args, partial=False, **kwargs):
        record = self.get_object()
        return self._write(
            self.get_serializer(record, data=request.data, partial=partial)
        )

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def _write(self, writer):
        created = writer.instance is None
        writer.is_valid(raise_exception=True)
        record = writer.save_record(user=self.request.user)
        fresh = self.get_queryset().get(pk=record.pk)
        return Response(
            self.serializer_class(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def directory_schema(read, write, *, search, one=None) -> dict:
    """The documented operations of an institution or organization viewset."""
    schema = {
        "list": extend_schema(
            summary=search, responses={200: read(many=True), 400: FILTER_ERRORS}
        ),
        **write_schema(write, read),
    }
    if one:
        schema["retrieve"] = extend_schema(summary=one)
    return schema


class DirectoryViewSet(BySlug, NamedRecordWrites, viewsets.ReadOnlyModelViewSet):
    # Institutions and organizations: searched with their FilterSet, by slug.
    filter_backends = [RegistryFilterBackend, StableOrderingFilter]
    parser_classes = [JSONParser]
    ordering_fields = ["name", "slug", "updated_at"]
    pagination_class = RegistryPagination


RESOLVE_NAME_LENGTH = serializers.ResolveQuerySerializer().fields["name"].max_length
COUNTRY = OpenApiParameter(
    "country",
    OpenApiTypes.STR,
    enum=Country.values,
    description=_("Only institutions of this country."),
)


@extend_schema_view(
    **directory_schema(
        serializers.InstitutionSerializer,
        serializers.InstitutionWriteSerializer,
        search=_("Search institutions"),
        one=_("One institution, by slug"),
    )
)
class InstitutionViewSet(DirectoryViewSet):
    queryset = Institution.objects.for_api()
    serializer_class = serializers.InstitutionSerializer
    write_serializer_class = serializers.InstitutionWriteSerializer
    filterset_class = InstitutionFilterSet
    filterset = None  # set by RegistryFilterBackend

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.filterset.form.cleaned_data.get("sort") if self.filterset else None
        if sort and not (wants_cursor(self.request) or "ordering" in self.request.GET):
            # The page's order: by published agreements, or by name.
            return self.filterset.ordered(queryset)
        return queryset

    @extend_schema(
        summary=_("Which institution a written name means"),
        description=_(
            "Folds case, width, punctuation and diacritics, reads abbreviations, "
            "aliases and former names in English and Japanese, splits a school or "
            "campus off as `unit`. A whole affiliation (“Dept. of Chemistry, Univ. "
            "of Chicago, Chicago, IL 60637, USA”) is read too: the unit around the "
            "institution, the address choosing between same-named ones. `chosen` "
            "is set only when one institution is meant; two plausible ones (“UW”) "
            "leave it empty and `ambiguous` true. An affiliation of a laboratory, "
            "company or agency gives `organization`, never an institution."
        ),
        parameters=[
            OpenApiParameter(
                "name",
                {
                    "type": "string",
                    "maxLength": RESOLVE_NAME_LENGTH,
                    # Not blank, and no NUL character.
                    "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$",
                },
                required=True,
                description=_("As written."),
            ),
            COUNTRY,
        ],
        filters=False,
        responses={200: serializers.ResolutionSerializer, 400: FILTER_ERRORS},
    )
    @action(detail=False, url_path="resolve", filter_backends=[], pagination_class=None)
    def resolve(self, request):
        reject_null_characters(request)
        # A plain dict: DRF reads a QueryDict as a form, where a blank optional value
        # ("country=") counts as not sent.
        query = serializers.ResolveQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        resolution = resolve_institution(
            name=query.validated_data["name"],
            country=query.validated_data.get("country"),
        )
        return Response(serializers.ResolutionSerializer(resolution).data)


@extend_schema_view(
    **directory_schema(
        serializers.OrganizationSerializer,
        serializers.OrganizationWriteSerializer,
        search=_("Search organizations"),
    )
)
class OrganizationViewSet(DirectoryViewSet):
    queryset = Organization.objects.for_api()
    serializer_class = serializers.OrganizationSerializer
    write_serializer_class = serializers.OrganizationWriteSerializer
    filterset_class = OrganizationFilterSet


class ReferenceViewSet(BySlug, viewsets.ReadOnlyModelViewSet):
    """A small vocabulary, by slug, ordered by name unless ``ordering`` says."""

    filter_backends = [StableOrderingFilter]
    ordering_fields = ["name", "slug"]
    pagination_class = RegistryPagination

    def filter_queryset(self, queryset):
        reject_null_characters(self.request)
        return super().filter_queryset(queryset)


class ProgramViewSet(ReferenceViewSet):
    queryset = Program.objects.prefetch_related("organizations", "research_areas")
    serializer_class = serializers.ProgramSerializer


class DisciplineViewSet(ReferenceViewSet):
    queryset = Discipline.objects.select_related("parent")
    serializer_class = serializers.DisciplineSerializer


class ActivityTypeViewSet(ReferenceViewSet):
    queryset = ActivityType.objects.all()
    serializer_class = serializers.ActivityTypeSerializer
    ordering_fields = ["name", "slug", "position"]


class DataSourceViewSet(ReferenceViewSet):
    queryset = DataSource.objects.all()
    serializer_class = serializers.DataSourceSerializer


class CaseStudyViewSet(ReferenceViewSet):
    serializer_class = serializers.CaseStudySerializer
    ordering_fields = ["title", "slug", "published_at"]
    queryset = CaseStudy.objects.none()

    def get_queryset(self):
        queryset = CaseStudy.objects.prefetch_related(
            Prefetch(
                "agreements",
                queryset=Agreement.objects.only("pk", "publication_state"),
            ),
            "institutions",
        )
        return queryset if is_staff(self.request) else queryset.published()

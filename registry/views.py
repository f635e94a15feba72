"""Public pages. Only published agreements and case studies are shown or counted."""

from urllib.parse import urlencode

from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView

from . import charts, insights
from .conditions import Criteria, InFacet
from .engine import PublishedRows, published_index
from .exports import FORMATS, export_response, published_agreements
from .facets import describe_directory_facets, describe_facets
from .filtersets import (
    AgreementFilterSet,
    InstitutionFilterSet,
    OrganizationFilterSet,
    Sort,
    chosen,
)
from .limits import ExportsBusy, exports_busy, holding_export_slot
from .models import (
    Agreement,
    CaseStudy,
    Country,
    DataSource,
    Dimension,
    Discipline,
    Institution,
    InstitutionRedirect,
    Organization,
    Program,
    parse_public_id,
)
from .pagination import PER_PAGE_CHOICES, paginate
from .query_reading import vocabulary
from .search_page import (
    FacetDisplayForm,
    chosen_chips,
    cleared_search,
    describe_understanding,
)

TOP = 10


def published_rows(ids, *, compact=False):
    """The agreements of these ids, in order; a compact list (titles and dates) needs
    no participants or partners."""
    queryset = Agreement.objects.select_related("program")
    return PublishedRows(ids, queryset=queryset if compact else queryset.for_list())


def _engine_search(dimensions, values, *, count=None):
    """Published agreements with any of these values in any of these dimensions,
    latest start first, and counts of other dimensions."""
    criteria = Criteria(
        conditions={"record": InFacet(tuple(dimensions), tuple(values))},
        sort=Sort.START,
    )
    return published_index().search(criteria, facet_dimensions=count or {})


def filter_notices(filterset) -> list[str]:
    """Each unreadable filter value as a sentence; the rest of the search applies."""
    notices = []
    for name, errors in filterset.errors.items():
        label = filterset.filters[name].label if name in filterset.filters else name
        for error in errors:
            notices.append(
                _("%(filter)s: %(error)s This filter was left out.")
                % {"filter": label, "error": error}
            )
    return notices


class HomeView(TemplateView):
    """The page most visits start at, the same for every visitor of one language: made
    once for each version of the published registry and then kept in the process, so
    that it stays quick however busy the searches keep the site. Kept in memory, not
    in the shared cache: answering it then waits for nothing, not even Redis, and a
    process makes it once a version (some tens of milliseconds)."""

    template_name = "registry/home.html"
    LATEST = 5
    # (language, host) → (index version, page). One page a language and host: the
    # host is one of ALLOWED_HOSTS, so this stays a handful of pages.
    made: dict[tuple[str, str], tuple[int, bytes]] = {}

    def get(self, request, *args, **kwargs):
        version = published_index().version
        key = (get_language(), request.get_host())
        kept = self.made.get(key)
        if kept is not None and kept[0] == version:
            return HttpResponse(kept[1])
        response = super().get(request, *args, **kwargs).render()
        self.made[key] = (version, response.content)
        return response

    def get_context_data(self, **kwargs):
        index = published_index()
        return super().get_context_data(
            headline=insights.headline(),
            latest=published_rows(
                index.ids[index.orders[Sort.NEWEST][: self.LATEST]], compact=True
            )[:],
            case_studies=CaseStudy.objects.published().filter(is_featured=True)[:3],
            thumbnails=insights.figures(
                QueryDict(), slugs=insights.THUMBNAILS, thumbnail=True
            ),
            **kwargs,
        )


class InsightsView(TemplateView):
    """The study's figures for the search in the query string (the search page's
    parameters)."""

    template_name = "registry/insights.html"

    def get_context_data(self, **kwargs):
        search = insights.search_parameters(self.request.GET)
        filterset = AgreementFilterSet(search, queryset=Agreement.objects.published())
        index = published_index()
        return super().get_context_data(
            figures=insights.figures(self.request.GET, filterset=filterset),
            notices=filter_notices(filterset),
            total=int(index.matching(filterset.criteria()).sum()),
            synthetic_count=index.synthetic_count,
            search_query=search.urlencode(),
            filters=describe_search(filterset),
            **kwargs,
        )


def figure_download(request, slug, fmt):
    """A figure's table as CSV or its chart as SVG, for the search in the query
    string."""
    if slug not in insights.BY_SLUG:
        raise Http404
    (figure,) = insights.figures(request.GET, slugs=[slug])
    if fmt == "csv":
        response = HttpResponse(
            "\ufeff" + figure.csv(), content_type="text/csv; charset=utf-8"
        )
    elif figure.svg:
        response = HttpResponse(
            charts.standalone(figure.svg), content_type="image/svg+xml; charset=utf-8"
        )
    else:
        raise Http404  # the pairs matrix is a table: its data is the CSV
    response["Content-Disposition"] = f'attachment; filename="usjp-{slug}.{fmt}"'
    return response


SUGGESTIONS = 8
SUGGESTED_TEXT_MAX = 100


def suggest(request):
    """The names that begin with ``q`` (institutions, partners, fields, programs,
    places), each with the search it means: what the search box offers as one
    types (static/js/suggest.js)."""
    text = request.GET.get("q", "")[:SUGGESTED_TEXT_MAX]
    search = reverse("registry:agreement_list")
    filters = AgreementFilterSet.base_filters
    return JsonResponse(
        {
            "query": text,
            "suggestions": [
                {
                    "label": meaning.label,
                    "kind": str(filters[meaning.param].label),
                    "parameter": meaning.param,
                    "value": meaning.value,
                    "url": f"{search}?{urlencode({meaning.param: meaning.value})}",
                }
                for meaning in vocabulary().suggest(text, limit=SUGGESTIONS)
            ],
        }
    )


def describe_search(filterset) -> list[str]:
    """The search's readable filters as "Label: value, value" lines."""
    filterset.is_valid()
    lines = []
    for name, value in filterset.form.cleaned_data.items():
        if name in ("sort", "words") or not chosen(value):
            continue
        declared = filterset.filters[name]
        if isinstance(value, str | int):
            shown = [str(value)]
        else:
            labels = dict(declared.extra.get("choices") or ())
            shown = [
                getattr(item, "display_name", None) or str(labels.get(item, item))
                for item in value
            ]
        lines.append(f"{declared.label}: {', '.join(shown)}")
    lines += [
        _("%(filter)s: %(name)s (read from the words “%(phrase)s”)")
        % {
            "filter": filterset.filters[item.meaning.param].label,
            "name": item.meaning.label,
            "phrase": item.phrase,
        }
        for item in filterset.reading.understood
    ]
    return lines


class AgreementListView(TemplateView):
    """The search page; with ``export=csv|xlsx|json`` the same search as a file."""

    template_name = "registry/agreement_list.html"

    def get(self, request, *args, **kwargs):
        filterset = AgreementFilterSet(
            request.GET, queryset=Agreement.objects.published()
        )
        fmt = request.GET.get("export")
        if fmt is not None:
            return self.export(filterset, fmt)
        return super().get(request, *args, filterset=filterset, **kwargs)

    def export(self, filterset, fmt):
        if fmt not in FORMATS:
            return HttpResponse(
                _("Unknown export format “%(format)s”: use csv, xlsx or json.")
                % {"format": fmt},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        if not filterset.is_valid():
            return HttpResponse(
                "\n".join(filter_notices(filterset)).replace(
                    _("This filter was left out."), ""
                ),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        query = {
            key: values
            for key, values in self.request.GET.lists()
            if key not in {"export", "page", "per_page"}
        }
        found = published_index().search(filterset.criteria(), facet_dimensions={})
        try:
            return holding_export_slot(
                lambda: export_response(
                    agreements=published_agreements(found.ids),
                    fmt=fmt,
                    query=query,
                    request=self.request,
                )
            )
        except ExportsBusy:
            return exports_busy(self.request)

    def get_context_data(self, *, filterset, **kwargs):
        result = published_index().search(
            filterset.criteria(), facet_dimensions=filterset.facet_dimensions()
        )
        paged = paginate(self.request, published_rows(result.ids))
        display = FacetDisplayForm(self.request.GET, facets=filterset.FACETS)
        facets = describe_facets(filterset, result, **display.choices())
        return super().get_context_data(
            filterset=filterset,
            page=paged.page,
            per_page=paged.per_page,
            per_page_choices=PER_PAGE_CHOICES,
            notices=filter_notices(filterset) + paged.notices,
            facets=facets,
            chosen_chips=chosen_chips(self.request.GET, facets),
            cleared=cleared_search(self.request.GET),
            sort_choices=Sort.CHOICES,
            sort=filterset.sort_key,
            searching=filterset.searching,
            understanding=describe_understanding(filterset),
            export_formats=FORMATS,
            **kwargs,
        )


class AgreementDetailView(DetailView):
    template_name = "registry/agreement_detail.html"
    context_object_name = "agreement"

    def get_object(self, queryset=None):
        pk = parse_public_id(self.kwargs["public_id"])
        if pk is None:
            raise Http404
        return get_object_or_404(Agreement.objects.published().for_detail(), pk=pk)

    def get_context_data(self, **kwargs):
        agreement = self.object
        participants = agreement.ordered_participants
        institution_ids = [p.institution_id for p in participants]
        sharing = _engine_search(
            [Dimension.US_INSTITUTION, Dimension.JP_INSTITUTION], institution_ids
        )
        related = published_rows(
            [pk for pk in sharing.ids[:6].tolist() if pk != agreement.pk][:5],
            compact=True,
        )[:]
        return super().get_context_data(
            us_participants=[
                p for p in participants if p.institution.country == Country.US
            ],
            jp_participants=[
                p for p in participants if p.institution.country == Country.JP
            ],
            related=related,
            permalink=self.request.build_absolute_uri(agreement.get_absolute_url()),
            today=timezone.localdate(),
            **kwargs,
        )


def _top(model, counts, limit=TOP):
    """The records with the largest counts, largest first, with their counts."""
    largest = sorted(counts, key=lambda pk: (-counts[pk], pk))[:limit]
    records = model.objects.in_bulk(largest)
    return [(records[pk], counts[pk]) for pk in largest if pk in records]


class DirectoryListView(TemplateView):
    """Institutions or organizations found by their FilterSet, each with its number
    of published agreements, most first (or as the search sorts them), and the
    FilterSet's facets counted under the search."""

    filterset_class: type
    queryset = None

    def get_context_data(self, **kwargs):
        filterset = self.filterset_class(self.request.GET, queryset=self.queryset)
        records = filterset.ordered(filterset.qs.with_agreement_counts())
        paged = paginate(self.request, records, default_per_page=50)
        return super().get_context_data(
            filterset=filterset,
            page=paged.page,
            notices=filter_notices(filterset) + paged.notices,
            facets=describe_directory_facets(filterset),
            **kwargs,
        )


class InstitutionListView(DirectoryListView):
    template_name = "registry/institution_list.html"
    filterset_class = InstitutionFilterSet
    queryset = Institution.objects.select_related("region")


class OrganizationListView(DirectoryListView):
    template_name = "registry/organization_list.html"
    filterset_class = OrganizationFilterSet
    queryset = Organization.objects.select_related("parent")


class InstitutionDetailView(DetailView):
    template_name = "registry/institution_detail.html"
    context_object_name = "institution"

    def get(self, request, *args, **kwargs):
        slug = kwargs["slug"]
        if not Institution.objects.filter(slug=slug).exists():
            moved = InstitutionRedirect.objects.filter(old_slug=slug).select_related(
                "institution"
            )
            if moved:
                return redirect(moved[0].institution, permanent=True)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Institution.objects.select_related("region", "parent").prefetch_related(
            "aliases", "identifiers", "campuses"
        )

    def get_context_data(self, **kwargs):
        institution = self.object
        us = institution.country == Country.US
        own, other = (
            (Dimension.US_INSTITUTION, Dimension.JP_INSTITUTION)
            if us
            else (Dimension.JP_INSTITUTION, Dimension.US_INSTITUTION)
        )
        found = _engine_search(
            [own],
            [institution.pk],
            count={
                "partners": other,
                "disciplines": Dimension.DISCIPLINE,
                "organizations": Dimension.ORGANIZATION,
            },
        )
        # Subfields say more than the fields that contain them.
        subfield_ids = set(
            Discipline.objects.filter(parent__isnull=False).values_list("pk", flat=True)
        )
        return super().get_context_data(
            agreement_count=found.count,
            agreements=published_rows(found.ids, compact=True)[:20],
            partner_institutions=_top(Institution, found.facet_counts["partners"]),
            disciplines=_top(
                Discipline,
                {
                    pk: count
                    for pk, count in found.facet_counts["disciplines"].items()
                    if pk in subfield_ids
                },
            ),
            partner_organizations=_top(
                Organization, found.facet_counts["organizations"]
            ),
            search_parameter="us_institution" if us else "jp_institution",
            **kwargs,
        )


class OrganizationDetailView(DetailView):
    template_name = "registry/organization_detail.html"
    context_object_name = "organization"
    queryset = Organization.objects.select_related("parent").prefetch_related(
        "aliases", "counterparts", "children"
    )

    def get_context_data(self, **kwargs):
        found = _engine_search(
            [Dimension.ORGANIZATION],
            [self.object.pk],
            count={"us": Dimension.US_INSTITUTION, "jp": Dimension.JP_INSTITUTION},
        )
        return super().get_context_data(
            agreement_count=found.count,
            agreements=published_rows(found.ids, compact=True)[:20],
            us_institutions=_top(Institution, found.facet_counts["us"]),
            jp_institutions=_top(Institution, found.facet_counts["jp"]),
            **kwargs,
        )


class ProgramDetailView(DetailView):
    template_name = "registry/program_detail.html"
    context_object_name = "program"
    queryset = Program.objects.prefetch_related("organizations", "research_areas")

    def get_context_data(self, **kwargs):
        agreements = self.object.agreements.published()
        return super().get_context_data(
            agreement_count=agreements.count(),
            agreements=agreements.order_by("-start_date", "-pk")[:20],
            **kwargs,
        )


class CaseStudyListView(ListView):
    template_name = "registry/case_study_list.html"
    context_object_name = "case_studies"
    queryset = CaseStudy.objects.published().order_by("-is_featured", "title")


class CaseStudyDetailView(DetailView):
    template_name = "registry/case_study_detail.html"
    context_object_name = "case_study"
    queryset = CaseStudy.objects.published()

    def get_context_data(self, **kwargs):
        study = self.object
        return super().get_context_data(
            agreements=study.agreements.published().order_by("title"),
            institutions=study.institutions.order_by("country", "name"),
            organizations=study.organizations.order_by("name"),
            programs=study.programs.order_by("name"),
            **kwargs,
        )


class AboutView(TemplateView):
    template_name = "registry/about.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sources=DataSource.objects.exclude(slug="synthetic-demo").order_by("name"),
            headline=insights.headline(),
            **kwargs,
        )

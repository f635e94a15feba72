"""Public pages. Only published agreements and case studies are ever shown."""

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, TemplateView

from .models import (
    Agreement,
    CaseStudy,
    Institution,
    InstitutionRedirect,
    Organization,
    Program,
    PublicationState,
    parse_public_id,
)

PUBLISHED = Q(publication_state=PublicationState.PUBLISHED)


class HomeView(TemplateView):
    template_name = "registry/home.html"

    def get_context_data(self, **kwargs):
        published = Agreement.objects.published()
        return super().get_context_data(
            agreement_counts=published.aggregate(
                total=Count("pk"),
                synthetic=Count("pk", filter=Q(is_synthetic=True)),
            ),
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
            "aliases", "identifiers"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            agreements=Agreement.objects.published()
            .filter(participants__institution=self.object)
            .distinct()
            .order_by("-start_date", "-pk")[:50],
            **kwargs,
        )


class OrganizationDetailView(DetailView):
    template_name = "registry/organization_detail.html"
    context_object_name = "organization"
    queryset = Organization.objects.select_related("parent").prefetch_related(
        "aliases", "counterparts"
    )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            agreements=Agreement.objects.published()
            .filter(partners__organization=self.object)
            .distinct()
            .order_by("-start_date", "-pk")[:50],
            **kwargs,
        )


class ProgramDetailView(DetailView):
    template_name = "registry/program_detail.html"
    context_object_name = "program"
    queryset = Program.objects.prefetch_related("organizations", "research_areas")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            agreements=self.object.agreements.published().order_by(
                "-start_date", "-pk"
            )[:50],
            **kwargs,
        )


class CaseStudyDetailView(DetailView):
    template_name = "registry/case_study_detail.html"
    context_object_name = "case_study"
    queryset = CaseStudy.objects.published()

from django.urls import path, re_path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement_list"),
    path("suggest/", views.suggest, name="suggest"),
    path("insights/", views.InsightsView.as_view(), name="insights"),
    re_path(
        r"^insights/(?P<slug>[a-z-]+)\.(?P<fmt>csv|svg)$",
        views.figure_download,
        name="figure_download",
    ),
    path(
        "agreements/<str:public_id>/",
        views.AgreementDetailView.as_view(),
        name="agreement_detail",
    ),
    path("institutions/", views.InstitutionListView.as_view(), name="institution_list"),
    path(
        "institutions/<slug:slug>/",
        views.InstitutionDetailView.as_view(),
        name="institution_detail",
    ),
    path(
        "organizations/", views.OrganizationListView.as_view(), name="organization_list"
    ),
    path(
        "organizations/<slug:slug>/",
        views.OrganizationDetailView.as_view(),
        name="organization_detail",
    ),
    path(
        "programs/<slug:slug>/",
        views.ProgramDetailView.as_view(),
        name="program_detail",
    ),
    path("case-studies/", views.CaseStudyListView.as_view(), name="case_study_list"),
    path(
        "case-studies/<slug:slug>/",
        views.CaseStudyDetailView.as_view(),
        name="case_study_detail",
    ),
    path("about/", views.AboutView.as_view(), name="about"),
]

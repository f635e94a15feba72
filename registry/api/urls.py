from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("programs", views.ProgramViewSet, basename="program")
router.register("disciplines", views.DisciplineViewSet, basename="discipline")
router.register("activities", views.ActivityTypeViewSet, basename="activity")
router.register("sources", views.DataSourceViewSet, basename="source")
router.register("case-studies", views.CaseStudyViewSet, basename="case-study")

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"
    ),
]

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from registry.admin.autocomplete import autocomplete_view
from registry.operations import health

admin.site.site_header = _("U.S.-Japan Research Partnership Registry")
admin.site.site_title = _("USJP registry curation")
admin.site.index_title = _("Curation")

# API clients read JSON even when the server fails (registry.operations).
handler500 = "registry.operations.server_failed"

urlpatterns = [
    path("health/", health, name="health"),
    # Ahead of the admin's own autocomplete at the same address: labels that tell
    # same-named records apart (registry.admin.autocomplete says why not a new site).
    path("admin/autocomplete/", autocomplete_view),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("registry.api.urls")),
    # Public pages in English at /…, in Japanese at /ja/…: links made before Japanese
    # existed keep working (registry.middleware.LanguageMiddleware).
    *i18n_patterns(path("", include("registry.urls")), prefix_default_language=False),
]

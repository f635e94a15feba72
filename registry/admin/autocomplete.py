"""The admin's autocomplete with labels that tell records apart.

Select2 lists each record by ``str()``: two institutions called University of Michigan
look the same. A ModelAdmin that defines ``autocomplete_label(obj)`` labels its
records there (the Japanese name, the place, an identifier); the others keep
``str()``. The labels read only what the ModelAdmin's ``get_queryset`` joins and
prefetches, so the queries do not grow with the results; the results are listed in
the admin's order.

The project uses Django's default admin site: a site class of its own would mean
replacing django.contrib.admin in INSTALLED_APPS for this one view. Instead
usjp_site/urls.py routes the admin's autocomplete address to ``autocomplete_view``
ahead of ``admin.site.urls``; the widgets still reverse ``admin:autocomplete``, which
is the same address.
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView


def autocomplete_text(*parts: str) -> str:
    """A label of the facts given, blank ones left out, on one line: Select2 shows
    text only."""
    return " · ".join(part for part in parts if part)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    def get_queryset(self):
        queryset = super().get_queryset()
        # A queryset that counts agreements is grouped, and a grouped query drops the
        # model's ordering: without one, like-named records would not list side by
        # side, and pages of results could overlap.
        if not queryset.ordered:
            model_admin = self.model_admin
            ordering = model_admin.get_ordering(self.request) or (
                model_admin.model._meta.ordering
            )
            queryset = queryset.order_by(*ordering, "pk")
        return queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


# As admin.site.get_urls() wraps its own: staff only, never cached, CSRF-protected.
autocomplete_view = admin.site.admin_view(
    LabelledAutocompleteJsonView.as_view(admin_site=admin.site)
)

"""How the OpenAPI schema reads the registry's own filters (imported by the views, which
registers it with drf-spectacular)."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

from ..filtersets import SlugsFilter


class RegistryFilterExtension(DjangoFilterExtension):
    target_class = "registry.api.views.RegistryFilterBackend"
    priority = 1

    def _get_schema_from_model_field(self, auto_schema, filter_field, model):
        # A SlugsFilter takes slugs or codes of another model, matched through the
        # facet index: not a field of the agreement.
        if isinstance(filter_field, SlugsFilter):
            return build_basic_type(OpenApiTypes.STR)
        return super()._get_schema_from_model_field(auto_schema, filter_field, model)

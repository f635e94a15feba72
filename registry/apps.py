from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("U.S.-Japan research partnership registry")

    def ready(self):
        # Every agreement history entry keeps its parts, however the agreement was
        # saved: the receiver must be connected before any save.
        from .services import versions  # noqa: F401

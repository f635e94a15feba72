"""The admin of partner organizations and programs."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..imports.resources import OrganizationSheetResource
from ..models import (
    Organization,
    OrganizationAlias,
    Program,
)
from ..services.directory import (
    Alias,
    organization_save,
)
from .autocomplete import autocomplete_text
from .common import (
    DirectoryAdmin,
    RegistryAdminDefaults,
    ReindexMixin,
)
from .display import with_note
from .duplicates import DuplicateGuardForm
from .uploads import (
    ImportBatchListFilter,
)


class OrganizationAliasInline(RegistryAdminDefaults, admin.TabularInline):
    model = OrganizationAlias
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(DirectoryAdmin):
    form = DuplicateGuardForm
    resource_classes = [OrganizationSheetResource]
    list_display = [
        "name_column",
        "sector_column",
        "parent",
        "ror_link",
        "agreement_count",
    ]
    list_filter = ["sector", "country", ImportBatchListFilter]
    search_fields = ["name", "name_ja", "slug", "aliases__name", "ror_id"]
    search_help_text = _("Search English and Japanese names, aliases and ROR IDs.")
    autocomplete_fields = ["parent", "counterparts"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [OrganizationAliasInline]
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(agreement_count=Count("partnerships__agreement", distinct=True))
        )

    def autocomplete_label(self, obj):
        """An agreement's partner rows tell like-named organizations apart by their
        Japanese name, sector and ROR ID, all on the row itself."""
        ror = f"{gettext('ROR ID')} {obj.ror_id}" if obj.ror_id else ""
        return autocomplete_text(obj.name, obj.name_ja, obj.get_sector_display(), ror)

    @admin.display(description=_("sector"), ordering="sector")
    def sector_column(self, obj):
        # The country (blank for an international body) under the sector.
        return with_note(obj.get_sector_display(), obj.get_country_display())

    @admin.display(description=_("ROR"), ordering="ror_id")
    def ror_link(self, obj):
        if not obj.ror_id:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener">{}</a>', obj.ror_url, obj.ror_id
        )

    def write(self, request, form, rows):
        return organization_save(
            organization=form.instance,
            aliases=rows(OrganizationAlias, Alias.of),
            counterparts=form.cleaned_data.get("counterparts"),
            user=request.user,
        )

    @admin.display(description=_("agreements"), ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count


@admin.register(Program)
class ProgramAdmin(ReindexMixin, RegistryAdminDefaults, admin.ModelAdmin):
    reindex_by = "programs"
    list_display = ["name", "name_ja", "start_year", "end_year", "agreement_count"]
    search_fields = ["name", "name_ja", "slug"]
    autocomplete_fields = ["organizations", "research_areas"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(agreement_count=Count("agreements"))
        )

    @admin.display(description=_("agreements"), ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count

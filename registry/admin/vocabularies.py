"""The admin of the vocabularies (disciplines, activities, data sources, regions) and
of case studies."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import (
    ActivityType,
    ActivityTypeAlias,
    CaseStudy,
    DataSource,
    DataSourceAlias,
    Discipline,
    DisciplineAlias,
    Region,
    is_web_url,
)
from .common import (
    PUBLICATION_ACTIONS,
    PublicationWorkflowMixin,
    ReadOnlyHistoryAdmin,
    RegistryAdminDefaults,
    ReindexMixin,
)


# Other names curators write for a record, which imports then read as its name.
class DisciplineAliasInline(RegistryAdminDefaults, admin.TabularInline):
    model = DisciplineAlias
    extra = 0


class ActivityTypeAliasInline(RegistryAdminDefaults, admin.TabularInline):
    model = ActivityTypeAlias
    extra = 0


class DataSourceAliasInline(RegistryAdminDefaults, admin.TabularInline):
    model = DataSourceAlias
    extra = 0


class DisciplineLevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("field", _("Fields")), ("subfield", _("Subfields"))]

    def queryset(self, request, queryset):
        if self.value() == "field":
            return queryset.filter(parent__isnull=True)
        if self.value() == "subfield":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Discipline)
class DisciplineAdmin(ReindexMixin, RegistryAdminDefaults, admin.ModelAdmin):
    reindex_by = "disciplines"
    inlines = [DisciplineAliasInline]
    list_display = ["name", "name_ja", "parent", "slug"]
    list_filter = [DisciplineLevelFilter, ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "name_ja", "slug", "parent__name"]

    def get_queryset(self, request):
        # Autocomplete shows "Field › Subfield" for each result.
        return super().get_queryset(request).select_related("parent")

    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ActivityType)
class ActivityTypeAdmin(ReindexMixin, RegistryAdminDefaults, admin.ModelAdmin):
    # Agreements are found by their activities' names in both languages.
    reindex_by = "activities"
    inlines = [ActivityTypeAliasInline]
    list_display = ["name", "name_ja", "is_research_evidence", "position"]
    list_filter = ["is_research_evidence"]
    list_editable = ["position"]
    search_fields = ["name", "name_ja", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DataSource)
class DataSourceAdmin(RegistryAdminDefaults, admin.ModelAdmin):
    inlines = [DataSourceAliasInline]
    list_display = ["name", "name_ja", "coverage_start", "coverage_end", "website_link"]
    search_fields = ["name", "name_ja", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description=_("website"))
    def website_link(self, obj):
        if not obj.url:
            return "—"
        if not is_web_url(obj.url):
            return obj.url  # escaped by the admin: text, never a link
        return format_html('<a href="{0}" rel="noopener">{0}</a>', obj.url)


@admin.register(Region)
class RegionAdmin(RegistryAdminDefaults, admin.ModelAdmin):
    list_display = ["name", "name_ja", "code", "country"]
    list_filter = ["country"]
    search_fields = ["name", "name_ja", "code", "slug"]


@admin.register(CaseStudy)
class CaseStudyAdmin(
    RegistryAdminDefaults, PublicationWorkflowMixin, ReadOnlyHistoryAdmin
):
    list_display = [
        "title",
        "publication_state",
        "is_featured",
        "published_at",
        "updated_at",
    ]
    list_filter = ["publication_state", "is_featured"]
    search_fields = ["title", "title_ja", "summary", "body"]
    autocomplete_fields = ["agreements", "institutions", "organizations", "programs"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_at", "created_at", "updated_at"]
    actions = PUBLICATION_ACTIONS

"""The admin of institutions: names, identifiers, and merging duplicates."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ..imports.resources import InstitutionSheetResource
from ..models import (
    IdentifierScheme,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionRedirect,
)
from ..services import (
    institutions_merge,
)
from ..services.directory import (
    Alias,
    Identifier,
    institution_save,
)
from .autocomplete import autocomplete_text
from .common import (
    DirectoryAdmin,
    RegistryAdminDefaults,
    reason_field,
)
from .display import with_note
from .duplicates import DuplicateGuardForm
from .uploads import (
    ImportBatchListFilter,
)


class InstitutionAliasInline(RegistryAdminDefaults, admin.TabularInline):
    model = InstitutionAlias
    extra = 0


class InstitutionIdentifierInline(RegistryAdminDefaults, admin.TabularInline):
    model = InstitutionIdentifier
    extra = 0


class HasIdentifierFilter(admin.SimpleListFilter):
    title = _("missing identifier")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [
            (scheme.value, _("no %(scheme)s") % {"scheme": scheme.label})
            for scheme in IdentifierScheme
        ]

    def queryset(self, request, queryset):
        if self.value() in IdentifierScheme.values:
            return queryset.exclude(
                Exists(
                    InstitutionIdentifier.objects.filter(
                        institution=OuterRef("pk"), scheme=self.value()
                    )
                )
            )
        return queryset


class MergeForm(forms.Form):
    survivor = forms.ModelChoiceField(
        queryset=Institution.objects.none(),
        widget=forms.RadioSelect,
        label=_("Keep this record"),
        empty_label=None,
    )
    reason = reason_field(
        label=_("Why?"),
        help_text=_(
            "Kept in the history of the institution and of every agreement the "
            "merge touches."
        ),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = candidates


@admin.register(Institution)
class InstitutionAdmin(DirectoryAdmin):
    form = DuplicateGuardForm
    resource_classes = [InstitutionSheetResource]
    # The type says the country ("National (Japan)"), which the filters also offer;
    # the parent system is on the change form.
    list_display = [
        "name_column",
        "type_column",
        "region",
        "identifier_links",
        "agreement_count",
    ]
    list_filter = [
        "country",
        "institution_type",
        "research_classification",
        "enrollment_band",
        HasIdentifierFilter,
        ("region", admin.RelatedOnlyFieldListFilter),
        ImportBatchListFilter,
    ]
    search_fields = [
        "name",
        "name_ja",
        "slug",
        "aliases__name",
        "identifiers__value",
        "city",
    ]
    search_help_text = _(
        "Search English and Japanese names, aliases, former names and identifiers."
    )
    autocomplete_fields = ["parent", "region"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "name_ja",
                    "slug",
                    "country",
                    "institution_type",
                    "parent",
                ]
            },
        ),
        (
            _("Location"),
            {"fields": ["city", "region", ("latitude", "longitude"), "website"]},
        ),
        (
            _("Classification"),
            {"fields": ["research_classification", "enrollment_band"]},
        ),
        (_("Curation"), {"fields": ["notes", ("created_at", "updated_at")]}),
    ]
    inlines = [InstitutionAliasInline, InstitutionIdentifierInline]
    actions = ["merge_institutions"]
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .for_admin_list()
            .prefetch_related("identifiers")
        )

    def autocomplete_label(self, obj):
        """Same-named institutions (two Lincoln Universities; a university and the
        campus an alias names) told apart by their Japanese name, city and state or
        prefecture, and identifiers: region and identifiers come with
        ``get_queryset``."""
        place = ", ".join(
            part for part in (obj.city, obj.region and obj.region.display_name) if part
        )
        identifiers = ", ".join(str(identifier) for identifier in obj.identifiers.all())
        return autocomplete_text(obj.name, obj.name_ja, place, identifiers)

    @admin.display(description=_("type"), ordering="institution_type")
    def type_column(self, obj):
        # A U.S. institution's research classification under its type.
        return with_note(
            obj.get_institution_type_display(),
            obj.get_research_classification_display(),
        )

    @admin.display(description=_("identifiers"))
    def identifier_links(self, obj):
        return (
            format_html_join(
                " ",
                '<a href="{}" rel="noopener">{}</a>',
                (
                    (
                        identifier.url or "#",
                        f"{identifier.get_scheme_display()} {identifier.value}",
                    )
                    for identifier in obj.identifiers.all()
                ),
            )
            or "—"
        )

    def write(self, request, form, rows):
        return institution_save(
            institution=form.instance,
            aliases=rows(InstitutionAlias, Alias.of),
            identifiers=rows(InstitutionIdentifier, Identifier.of),
            user=request.user,
        )

    @admin.display(description=_("agreements"), ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count

    @admin.action(description=_("Merge selected duplicates into one institution"))
    def merge_institutions(self, request, queryset):
        # The record with most agreements first, and proposed as the one to keep:
        # the fewest records change.
        candidates = (
            queryset.annotate(
                participation_count=Count("participations", distinct=True),
            )
            .prefetch_related("aliases", "identifiers")
            .order_by("-participation_count", "pk")
        )
        if candidates.count() < 2:
            self.message_user(
                request,
                _("Select at least two institutions to merge."),
                messages.WARNING,
            )
            return None
        form = MergeForm(
            request.POST if "apply" in request.POST else None, candidates=candidates
        )
        if form.is_valid():
            survivor = form.cleaned_data["survivor"]
            duplicates = [
                candidate for candidate in candidates if candidate.pk != survivor.pk
            ]
            try:
                summary = institutions_merge(
                    survivor=survivor,
                    duplicates=duplicates,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationError, PermissionDenied) as error:
                reason = (
                    " ".join(error.messages)
                    if isinstance(error, ValidationError)
                    else str(error)
                )
                self.message_user(
                    request,
                    _("Nothing was merged: %(reason)s") % {"reason": reason},
                    messages.ERROR,
                )
                return None
            self.message_user(
                request,
                _(
                    "Merged %(names)s into %(survivor)s: %(moved)d participations "
                    "moved, %(combined)d combined, %(aliases)d aliases and "
                    "%(identifiers)d identifiers added."
                )
                % {
                    "names": "; ".join(summary.merged),
                    "survivor": survivor,
                    "moved": summary.participations_moved,
                    "combined": summary.participations_combined,
                    "aliases": summary.aliases_added,
                    "identifiers": summary.identifiers_moved,
                },
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge duplicate institutions"),
            "opts": self.model._meta,
            "candidates": candidates,
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "selected": [str(candidate.pk) for candidate in candidates],
        }
        return TemplateResponse(
            request, "admin/registry/institution/merge.html", context
        )


@admin.register(InstitutionRedirect)
class InstitutionRedirectAdmin(RegistryAdminDefaults, admin.ModelAdmin):
    list_display = ["old_slug", "institution", "created_at"]
    search_fields = ["old_slug", "institution__name"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution"]

"""The curators' workplace: every record of the registry, its history, publishing and
merging."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .admin_imports import (
    AgreementImportMixin,
    ImportBatchListFilter,
    SheetImportExportMixin,
)
from .imports.resources import InstitutionSheetResource, OrganizationSheetResource
from .models import (
    ActivityType,
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    CaseStudy,
    Country,
    DataSource,
    Discipline,
    IdentifierScheme,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionRedirect,
    Organization,
    OrganizationAlias,
    Program,
    PublicationState,
    Region,
    SourceRecord,
    Status,
    parse_public_id,
)
from .rules import ProposedParticipant, check_agreement_composition
from .search import agreements_of, refresh_agreement_index
from .services import (
    Participant,
    Partner,
    Source,
    agreement_save,
    allowed_states,
    institutions_merge,
    publication_move,
    publish_permission,
    stamp_publication,
)
from .services.directory import (
    Alias,
    Identifier,
    institution_save,
    organization_save,
)

# --------------------------------------------------------------------------------------
# Publication workflow, shared by agreements and case studies


def _report_transition(modeladmin, request, result, verb):
    if result.changed:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d record %(verb)s.",
                "%(count)d records %(verb)s.",
                len(result.changed),
            )
            % {"count": len(result.changed), "verb": verb},
            messages.SUCCESS,
        )
    if result.unchanged:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d record was already in that state.",
                "%(count)d records were already in that state.",
                len(result.unchanged),
            )
            % {"count": len(result.unchanged)},
            messages.INFO,
        )
    for record, reason in result.refused:
        modeladmin.message_user(
            request,
            _("%(record)s was not changed: %(reason)s")
            % {"record": record, "reason": reason},
            messages.ERROR,
        )


def _publication_action(state, verb, description):
    def action(modeladmin, request, queryset):
        try:
            result = publication_move(records=queryset, state=state, user=request.user)
        except PermissionDenied as denied:
            modeladmin.message_user(request, str(denied), messages.ERROR)
            return
        _report_transition(modeladmin, request, result, verb)

    action.__name__ = f"move_to_{state}"
    return admin.action(description=description)(action)


PUBLICATION_ACTIONS = [
    _publication_action(
        PublicationState.IN_REVIEW, _("submitted for review"), _("Submit for review")
    ),
    _publication_action(PublicationState.PUBLISHED, _("published"), _("Publish")),
    _publication_action(
        PublicationState.WITHDRAWN,
        _("withdrawn"),
        _("Withdraw from the public registry"),
    ),
    _publication_action(
        PublicationState.DRAFT, _("returned to draft"), _("Return to draft")
    ),
]


class RegistryAdminDefaults:
    # A website typed without a scheme is https (Django 6's default too).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        css = {"all": ["registry/admin.css"]}


class ReindexMixin:
    """After a save, the agreements this record's names and facets reach are
    reindexed."""

    reindex_by = ""  # an argument of search.agreements_of; blank: the agreement itself

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record = form.instance
        ids = (
            agreements_of(**{self.reindex_by: [record]})
            if self.reindex_by
            else [record.pk]
        )
        refresh_agreement_index(agreement_ids=ids)


class PublicationWorkflowMixin:
    """The publication workflow in the change form, as in the bulk actions.

    The state field offers only the moves the workflow allows this user from the
    record's current state (a curator proposes, an editor publishes and withdraws);
    where there is none it is read-only. The first publication is dated. The public
    page is linked only where there is one.
    """

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("publication_state")
        if field is not None:
            allowed = allowed_states(record=obj or self.model(), user=request.user)
            field.choices = [choice for choice in field.choices if choice[0] in allowed]
            if not request.user.has_perm(publish_permission(self.model)):
                field.help_text = _("Publishing and withdrawing are for editors.")
        return form

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and allowed_states(record=obj, user=request.user) == [
            obj.publication_state
        ]:
            fields.append("publication_state")
        return fields

    def save_model(self, request, obj, form, change):
        stamp_publication(obj)
        super().save_model(request, obj, form, change)

    def view_on_site(self, obj):
        if obj.publication_state == PublicationState.PUBLISHED:
            return obj.get_absolute_url()
        return None


# --------------------------------------------------------------------------------------
# Agreements


class StatusListFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.with_status_in([self.value()])
        return queryset


class DisciplineListFilter(admin.RelatedFieldListFilter):
    """Subfields read "Field › Subfield": their fields come in the same query."""

    def field_choices(self, field, request, model_admin):
        disciplines = Discipline.objects.select_related("parent")
        return [
            (discipline.pk, str(discipline))
            for discipline in sorted(
                disciplines,
                key=lambda d: (
                    d.parent.name if d.parent else d.name,
                    d.parent_id or 0,
                    d.name,
                ),
            )
        ]


def kept_rows(formset):
    """The rows an inline formset keeps, as instances holding the form's cleaned
    values: valid, not marked for deletion, and either saved already or filled in."""
    for form in formset.forms:
        if not form.is_valid() or formset._should_delete_form(form):
            continue
        if form.instance.pk or form.has_changed():
            yield form.instance


class WrittenByService:
    """The record and its inline rows are written together by the record's write
    service (registry.services), as the API and imports write them: ``save_model``
    writes nothing, ``save_related`` calls ``write(request, form, rows)``, and what
    the service added, changed and removed becomes the admin's change message."""

    def write(self, request, form, rows):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        """Nothing yet: written with its inlines, in save_related."""

    def save_related(self, request, form, formsets, change):
        by_model = {formset.model: formset for formset in formsets}

        def rows(model, build):
            formset = by_model.get(model)
            if formset is None:
                return None  # an inline this user cannot see is left as it is
            return [build(row) for row in kept_rows(formset)]

        changes = self.write(request, form, rows)
        for model, formset in by_model.items():
            done = changes.of(model)
            formset.new_objects = done.added
            formset.changed_objects = done.changed
            formset.deleted_objects = done.deleted


class CompositionCheck:
    """Checks the agreement's rules across its participant and partner inlines.

    The rules need both lists at once, which one inline formset alone does not see: each
    of the two formsets asks this shared check and raises the messages that concern it.
    """

    def __init__(self, agreement, participants, partners):
        self.agreement, self.participants, self.partners = (
            agreement,
            participants,
            partners,
        )

    @cached_property
    def errors(self) -> dict[str, list[str]]:
        try:
            check_agreement_composition(
                agreement=self.agreement,
                participants=[
                    ProposedParticipant(institution=row.institution, unit=row.unit)
                    for row in kept_rows(self.participants)
                ],
                partners=[row.organization for row in kept_rows(self.partners)],
            )
        except ValidationError as error:
            return error.message_dict
        return {}


class CompositionCheckedFormSet(BaseInlineFormSet):
    composition_key = ""
    composition_check: CompositionCheck | None = None

    def clean(self):
        super().clean()
        if self.composition_check is not None:
            messages_here = self.composition_check.errors.get(self.composition_key)
            if messages_here:
                raise ValidationError(messages_here)


class ParticipantFormSet(CompositionCheckedFormSet):
    composition_key = "participants"


class PartnerFormSet(CompositionCheckedFormSet):
    composition_key = "partners"


class ParticipantInline(RegistryAdminDefaults, admin.TabularInline):
    model = AgreementParticipant
    formset = ParticipantFormSet
    autocomplete_fields = ["institution"]
    extra = 0
    min_num = 0
    verbose_name_plural = _(
        "Participants: U.S. and Japanese higher-education institutions"
    )


class PartnerInline(RegistryAdminDefaults, admin.TabularInline):
    model = AgreementPartner
    formset = PartnerFormSet
    autocomplete_fields = ["organization"]
    extra = 0
    verbose_name_plural = _(
        "Non-HE partners: government, NGO, industry (consortium only)"
    )


class SourceRecordInline(RegistryAdminDefaults, admin.TabularInline):
    model = SourceRecord
    autocomplete_fields = ["data_source"]
    extra = 0
    verbose_name_plural = _("Sources: where this record comes from")


def _participant_names(agreement, country):
    names = [
        str(participant)
        for participant in agreement.ordered_participants
        if participant.institution.country == country
    ]
    return "; ".join(names) or "—"


class AgreementAdminForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = [
            "title",
            "title_ja",
            "summary",
            "classification",
            "program",
            "disciplines",
            "activity_types",
            "start_date",
            "start_precision",
            "end_date",
            "end_precision",
            "funding_amount",
            "funding_currency",
            "publication_state",
            "published_at",
            "is_synthetic",
            "notes",
            "created_by",
            "updated_by",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


@admin.register(Agreement)
class AgreementAdmin(
    WrittenByService,
    AgreementImportMixin,
    RegistryAdminDefaults,
    PublicationWorkflowMixin,
    SimpleHistoryAdmin,
):
    form = AgreementAdminForm
    list_display = [
        "public_id_column",
        "title",
        "classification",
        "status_column",
        "publication_state",
        "start_column",
        "us_participants",
        "jp_participants",
        "synthetic_column",
        "updated_at",
    ]
    list_display_links = ["public_id_column", "title"]
    list_filter = [
        "publication_state",
        "classification",
        StatusListFilter,
        "is_synthetic",
        "program",
        ("disciplines", DisciplineListFilter),
        "activity_types",
        ("sources__data_source", admin.RelatedFieldListFilter),
        ImportBatchListFilter,
    ]
    search_fields = [
        "title",
        "title_ja",
        "participants__institution__name",
        "participants__institution__name_ja",
        "participants__institution__aliases__name",
        "partners__organization__name",
        "partners__organization__name_ja",
        "sources__source_identifier",
    ]
    search_help_text = _(
        "Search titles, institution and partner names (English, Japanese, aliases), "
        "source IDs, or a public ID such as USJP-000042."
    )
    autocomplete_fields = ["program", "disciplines", "activity_types"]
    readonly_fields = [
        "public_id_column",
        "status_column",
        "published_at",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
    ]
    fieldsets = [
        (None, {"fields": ["public_id_column", "title", "title_ja", "summary"]}),
        (
            _("Classification"),
            {"fields": ["classification", "program", "disciplines", "activity_types"]},
        ),
        (
            _("Dates and funding"),
            {
                "fields": [
                    ("start_date", "start_precision"),
                    ("end_date", "end_precision"),
                    "status_column",
                    ("funding_amount", "funding_currency"),
                ]
            },
        ),
        (
            _("Publication"),
            {
                "fields": [
                    "publication_state",
                    "published_at",
                    "is_synthetic",
                    "notes",
                    ("created_at", "created_by"),
                    ("updated_at", "updated_by"),
                ]
            },
        ),
    ]
    inlines = [ParticipantInline, PartnerInline, SourceRecordInline]
    actions = PUBLICATION_ACTIONS
    list_per_page = 50
    save_on_top = True

    def get_queryset(self, request):
        return super().get_queryset(request).for_admin_list()

    def get_search_results(self, request, queryset, search_term):
        pk = parse_public_id(search_term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        return super().get_search_results(request, queryset, search_term)

    def _create_formsets(self, request, obj, change):
        # Django validates each inline on its own; the composition rules span two of
        # them.
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        by_model = {formset.model: formset for formset in formsets}
        participants = by_model.get(AgreementParticipant)
        partners = by_model.get(AgreementPartner)
        if participants is not None and partners is not None and participants.is_bound:
            check = CompositionCheck(obj, participants, partners)
            participants.composition_check = partners.composition_check = check
        return formsets, inline_instances

    def write(self, request, form, rows):
        return agreement_save(
            agreement=form.instance,
            participants=rows(
                AgreementParticipant,
                lambda row: Participant(row.institution, row.unit, row.role),
            ),
            partners=rows(
                AgreementPartner, lambda row: Partner(row.organization, row.role)
            ),
            sources=rows(
                SourceRecord,
                lambda row: Source(
                    row.data_source, row.source_identifier, row.url, row.retrieved_on
                ),
            ),
            disciplines=form.cleaned_data.get("disciplines"),
            activities=form.cleaned_data.get("activity_types"),
            user=request.user,
        )

    @admin.display(description=_("public ID"), ordering="pk")
    def public_id_column(self, obj):
        return obj.public_id or _("(assigned on save)")

    @admin.display(description=_("status"))
    def status_column(self, obj):
        return obj.current_status_label if obj.pk else "—"

    @admin.display(description=_("start"), ordering="start_date")
    def start_column(self, obj):
        return obj.start_display or "—"

    @admin.display(description=_("U.S. participants"))
    def us_participants(self, obj):
        return _participant_names(obj, Country.US)

    @admin.display(description=_("Japanese participants"))
    def jp_participants(self, obj):
        return _participant_names(obj, Country.JP)

    @admin.display(description=_("synthetic"), boolean=True, ordering="is_synthetic")
    def synthetic_column(self, obj):
        return obj.is_synthetic


# --------------------------------------------------------------------------------------
# Institutions


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

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].queryset = candidates


@admin.register(Institution)
class InstitutionAdmin(
    WrittenByService, SheetImportExportMixin, RegistryAdminDefaults, SimpleHistoryAdmin
):
    resource_classes = [InstitutionSheetResource]
    list_display = [
        "name",
        "name_ja",
        "country",
        "institution_type",
        "region",
        "parent",
        "research_classification",
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
            aliases=rows(
                InstitutionAlias, lambda row: Alias(row.name, row.language, row.kind)
            ),
            identifiers=rows(
                InstitutionIdentifier, lambda row: Identifier(row.scheme, row.value)
            ),
            user=request.user,
        )

    @admin.display(description=_("agreements"), ordering="agreement_count")
    def agreement_count(self, obj):
        return obj.agreement_count

    @admin.action(description=_("Merge selected duplicates into one institution"))
    def merge_institutions(self, request, queryset):
        candidates = queryset.annotate(
            participation_count=Count("participations", distinct=True),
        ).prefetch_related("aliases", "identifiers")
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
                    survivor=survivor, duplicates=duplicates, user=request.user
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


# --------------------------------------------------------------------------------------
# Organizations and programs


class OrganizationAliasInline(RegistryAdminDefaults, admin.TabularInline):
    model = OrganizationAlias
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(
    WrittenByService, SheetImportExportMixin, RegistryAdminDefaults, SimpleHistoryAdmin
):
    resource_classes = [OrganizationSheetResource]
    list_display = [
        "name",
        "name_ja",
        "sector",
        "country",
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
            aliases=rows(
                OrganizationAlias, lambda row: Alias(row.name, row.language, row.kind)
            ),
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


# --------------------------------------------------------------------------------------
# Vocabularies


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
class ActivityTypeAdmin(RegistryAdminDefaults, admin.ModelAdmin):
    list_display = ["name", "name_ja", "is_research_evidence", "position"]
    list_filter = ["is_research_evidence"]
    list_editable = ["position"]
    search_fields = ["name", "name_ja", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(DataSource)
class DataSourceAdmin(RegistryAdminDefaults, admin.ModelAdmin):
    list_display = ["name", "name_ja", "coverage_start", "coverage_end", "website_link"]
    search_fields = ["name", "name_ja", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description=_("website"))
    def website_link(self, obj):
        return (
            format_html('<a href="{0}" rel="noopener">{0}</a>', obj.url)
            if obj.url
            else "—"
        )


@admin.register(Region)
class RegionAdmin(RegistryAdminDefaults, admin.ModelAdmin):
    list_display = ["name", "name_ja", "code", "country"]
    list_filter = ["country"]
    search_fields = ["name", "name_ja", "code", "slug"]


@admin.register(CaseStudy)
class CaseStudyAdmin(
    RegistryAdminDefaults, PublicationWorkflowMixin, SimpleHistoryAdmin
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

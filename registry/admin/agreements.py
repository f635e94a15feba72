"""The admin of agreements: their list filters, the composition rules across the
participant and partner inlines, and the change form."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    Country,
    Discipline,
    SourceRecord,
    Status,
    parse_public_id,
)
from ..rules import (
    ProposedParticipant,
    check_agreement_composition,
    settled_copy,
)
from ..services import (
    Participant,
    Partner,
    Source,
    agreement_save,
)
from .common import (
    PUBLICATION_ACTIONS,
    PublicationWorkflowMixin,
    RegistryAdminDefaults,
    WrittenByService,
    kept_rows,
    reason_field,
)
from .display import with_note
from .duplicates import change_links, likely_duplicate_agreements
from .queue_filters import MissingListFilter, SourcesCheckedListFilter
from .uploads import (
    AgreementImportMixin,
    ImportBatchListFilter,
)
from .versions import AgreementVersionsMixin


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


class CompositionCheck:
    """Checks the agreement's rules across its participant and partner inlines.

    The rules need both lists at once, which one inline formset alone does not see: each
    of the two formsets asks this shared check and raises the messages that concern it.
    """

    def __init__(self, agreement, participants, partners, sources, *, create_anyway):
        self.agreement = agreement
        self.participants, self.partners, self.sources = participants, partners, sources
        self.create_anyway = create_anyway

    @cached_property
    def duplicates(self) -> list:
        """For a new agreement, the ones it likely repeats (as imports find them),
        unless the curator said it is another."""
        if self.agreement.pk is not None or self.create_anyway:
            return []
        return likely_duplicate_agreements(
            agreement=self.agreement,
            institution_ids=[
                row.institution.pk for row in kept_rows(self.participants)
            ],
        )

    @cached_property
    def errors(self) -> dict[str, list[str]]:
        try:
            check_agreement_composition(
                agreement=settled_copy(self.agreement),
                participants=[
                    ProposedParticipant(institution=row.institution, unit=row.unit)
                    for row in kept_rows(self.participants)
                ],
                partners=[row.organization for row in kept_rows(self.partners)],
                sources=sum(1 for _row in kept_rows(self.sources)),
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
            if self.composition_key == "participants" and (
                duplicates := self.composition_check.duplicates
            ):
                raise ValidationError(
                    format_html(
                        gettext(
                            "This agreement looks like {records}, already in the "
                            "registry (the same or a close title, the same "
                            "institutions). Edit that one instead, or tick “Create "
                            "anyway” above if this is a different agreement."
                        ),
                        records=change_links(duplicates),
                    )
                )


class ParticipantFormSet(CompositionCheckedFormSet):
    composition_key = "participants"


class PartnerFormSet(CompositionCheckedFormSet):
    composition_key = "partners"


class SourceFormSet(CompositionCheckedFormSet):
    composition_key = "sources"


class ParticipantInline(RegistryAdminDefaults, admin.TabularInline):
    model = AgreementParticipant
    formset = ParticipantFormSet
    autocomplete_fields = ["institution"]
    extra = 1
    min_num = 0
    verbose_name_plural = _(
        "Participants: U.S. and Japanese higher-education institutions"
    )


class PartnerInline(RegistryAdminDefaults, admin.TabularInline):
    model = AgreementPartner
    formset = PartnerFormSet
    autocomplete_fields = ["organization"]
    extra = 1
    verbose_name_plural = _(
        "Non-HE partners: government, NGO, industry (consortium only)"
    )


class SourceRecordInline(RegistryAdminDefaults, admin.StackedInline):
    # Stacked: as a table row (an autocomplete and its four links, an identifier, a
    # link, a date) it was 1,200 px wide, wider than the form at 1280 px.
    model = SourceRecord
    formset = SourceFormSet
    autocomplete_fields = ["data_source"]
    extra = 1
    verbose_name_plural = _("Sources: where this record comes from")


def _participant_names(agreement, country):
    names = [
        str(participant)
        for participant in agreement.ordered_participants
        if participant.institution.country == country
    ]
    return "; ".join(names) or "—"


class AgreementAdminForm(forms.ModelForm):
    # Read by CompositionCheck, which sees the participants the form does not.
    create_anyway = forms.BooleanField(
        label=_("Create anyway"),
        required=False,
        help_text=_(
            "Tick only when the registry says this agreement looks like one it has, "
            "and it is a different one."
        ),
    )
    change_reason = reason_field(
        label=_("Why this change?"),
        help_text=_(
            "Kept in the agreement's history with this version, e.g. "
            "“Press release of 1 December 2026” or “Corrected the end date”."
        ),
    )

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agreement = self.instance
        field = self.fields.get("classification")
        if field is None:
            return
        # A classification nobody chose shows as the blank choice, which says what it
        # is now: sent back blank, it goes on following the partners.
        follows = _("Follows the partners")
        if agreement.pk and not agreement.classification_chosen:
            self.initial["classification"] = ""
            follows = _("Follows the partners (now %(classification)s)") % {
                "classification": agreement.get_classification_display().lower()
            }
        field.choices = [("", follows)] + [
            choice for choice in field.choices if choice[0]
        ]


@admin.register(Agreement)
class AgreementAdmin(
    AgreementVersionsMixin,
    WrittenByService,
    AgreementImportMixin,
    RegistryAdminDefaults,
    PublicationWorkflowMixin,
    SimpleHistoryAdmin,
):
    form = AgreementAdminForm
    # Beside the navigation and the filters, a 1280 px window leaves the list about
    # 700 px: room for one wide column. The title takes it, with the participants
    # under it (and a "synthetic" label on demo records); the status goes under the
    # start; classification is left to the filters.
    list_display = [
        "public_id_column",
        "title_column",
        "publication_state",
        "start_column",
        "updated_at",
    ]
    list_display_links = ["public_id_column", "title_column"]
    list_filter = [
        "publication_state",
        MissingListFilter,
        SourcesCheckedListFilter,
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
        (
            None,
            {
                "fields": [
                    "public_id_column",
                    "title",
                    "title_ja",
                    "summary",
                    "create_anyway",
                ]
            },
        ),
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
        (None, {"fields": ["change_reason"]}),
    ]
    inlines = [ParticipantInline, PartnerInline, SourceRecordInline]
    actions = PUBLICATION_ACTIONS
    list_per_page = 50
    save_on_top = True

    def get_queryset(self, request):
        return super().get_queryset(request).for_admin_list()

    def get_fieldsets(self, request, obj=None):
        # "Create anyway" answers the duplicate check, which only new agreements get.
        if obj is None:
            return self.fieldsets
        first, *rest = self.fieldsets
        fields = [name for name in first[1]["fields"] if name != "create_anyway"]
        return [(first[0], {**first[1], "fields": fields}), *rest]

    def get_search_results(self, request, queryset, search_term):
        pk = parse_public_id(search_term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        return super().get_search_results(request, queryset, search_term)

    def _create_formsets(self, request, obj, change):
        # Django validates each inline on its own; the composition rules span three
        # of them.
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        by_model = {formset.model: formset for formset in formsets}
        checked = [
            by_model.get(model)
            for model in (AgreementParticipant, AgreementPartner, SourceRecord)
        ]
        if all(formset is not None for formset in checked) and checked[0].is_bound:
            check = CompositionCheck(
                obj, *checked, create_anyway=request.POST.get("create_anyway") == "on"
            )
            for formset in checked:
                formset.composition_check = check
        return formsets, inline_instances

    def write(self, request, form, rows):
        return agreement_save(
            agreement=form.instance,
            participants=rows(AgreementParticipant, Participant.of),
            partners=rows(AgreementPartner, Partner.of),
            sources=rows(SourceRecord, Source.of),
            disciplines=form.cleaned_data.get("disciplines"),
            activities=form.cleaned_data.get("activity_types"),
            user=request.user,
            reason=form.cleaned_data.get("change_reason", ""),
        )

    @admin.display(description=_("public ID"), ordering="pk")
    def public_id_column(self, obj):
        return obj.public_id or _("(assigned on save)")

    @admin.display(description=_("status"))
    def status_column(self, obj):
        return obj.current_status_label if obj.pk else "—"

    @admin.display(description=_("start and status"), ordering="start_date")
    def start_column(self, obj):
        return with_note(obj.start_display or "—", obj.current_status_label)

    @admin.display(description=_("title and participants"), ordering="title")
    def title_column(self, obj):
        # The U.S. participants on one line, the Japanese on the next. Demo records
        # say what they are wherever they show.
        title = (
            format_html(
                '{} <span class="list-flag">{}</span>', obj.title, _("synthetic")
            )
            if obj.is_synthetic
            else obj.title
        )
        return with_note(
            with_note(title, _participant_names(obj, Country.US)),
            _participant_names(obj, Country.JP),
        )

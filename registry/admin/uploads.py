"""Bulk uploads in the admin, on django-import-export's upload, preview and confirm
steps, for the agreement, institution and organization sheets: the preview shows every
row as new, update, unchanged or an error with its row and column; unresolved
institution names in an agreement sheet, and names of partner organizations,
disciplines, activities and sources, can be saved as aliases from it; committed
imports are listed with their history."""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from ..imports.files import FileRejected
from ..imports.formats import IMPORT_FORMATS, reading_sheet
from ..imports.resources import AgreementSheetResource
from ..imports.template import agreement_template_workbook
from ..models import (
    ActivityTypeAlias,
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    AliasKind,
    DataSourceAlias,
    DisciplineAlias,
    ImportBatch,
    ImportKind,
    Institution,
    InstitutionAlias,
    Language,
    Organization,
    OrganizationAlias,
    SourceRecord,
)
from ..search import CJK, agreements_of, refresh_agreement_index
from ..services.directory import organization_save
from ..slugs import free_slug
from .display import with_note
from .queue_filters import ImportProblemsListFilter, touched_by_imports

SHEET_HELP = _(
    "For a workbook with several sheets: the sheet to read. Blank: the first sheet "
    "that is not instructions."
)


class SheetImportForm(ImportForm):
    sheet = forms.CharField(
        label=_("Sheet"), required=False, max_length=255, help_text=SHEET_HELP
    )


class SheetConfirmImportForm(ConfirmImportForm):
    sheet = forms.CharField(widget=forms.HiddenInput(), required=False)


class SaveAliasForm(forms.Form):
    name = forms.CharField(max_length=255)
    institution = forms.ModelChoiceField(queryset=Institution.objects.all())


# What a name of each vocabulary (registry.imports.agreement_sheet.reading.ALIASED) is
# saved as from a preview: the alias model and its owner's field.
TERM_ALIASES = {
    "organizations": (OrganizationAlias, "organization"),
    "disciplines": (DisciplineAlias, "discipline"),
    "activities": (ActivityTypeAlias, "activity_type"),
    "sources": (DataSourceAlias, "data_source"),
}


class NewOrganizationForm(forms.ModelForm):
    """A partner organization an import names and the registry lacks, added from the
    preview: what the curator confirms of it."""

    class Meta:
        model = Organization
        fields = ["name", "name_ja", "sector", "country", "parent", "ror_id"]


class SaveTermAliasForm(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in TERM_ALIASES])
    name = forms.CharField(max_length=255)
    record = forms.IntegerField(min_value=1)


def _save_alias(request, alias_model, owner: str, record, name: str) -> None:
    """``name`` as an alias of ``record`` (unless it is one already), saying which."""
    try:
        with transaction.atomic():
            created = not alias_model.objects.filter(
                **{owner: record}, name=name
            ).exists()
            if created:
                alias_model.objects.create(
                    **{owner: record},
                    name=name,
                    language=Language.JA
                    if re.search(f"[{CJK}]", name)
                    else Language.EN,
                    kind=AliasKind.ALTERNATIVE,
                )
                if alias_model is OrganizationAlias:
                    # Agreements are found by their partners' aliases too.
                    refresh_agreement_index(
                        agreement_ids=agreements_of(organizations=[record])
                    )
    except IntegrityError:  # saved by another request meanwhile
        created = False
    message = (
        _("“%(name)s” is now an alias of %(record)s.")
        if created
        else _("“%(name)s” was already an alias of %(record)s.")
    )
    (messages.success if created else messages.info)(
        request, message % {"name": name, "record": record.name}
    )


class SheetImportExportMixin(ImportExportMixin):
    """Uploads through registry.imports: our file reader, a sheet choice, the
    whole-file plan as preview, and an ImportBatch for each committed import."""

    import_form_class = SheetImportForm
    # The sheets are whole: no choosing of columns to export.
    export_form_class = ExportForm
    confirm_form_class = SheetConfirmImportForm
    import_template_name = "admin/registry/import.html"
    # History and the ImportBatch record every change; a LogEntry a row adds nothing.
    skip_admin_log = True

    def get_import_formats(self):
        return IMPORT_FORMATS

    def import_action(self, request, **kwargs):
        with reading_sheet(request.POST.get("sheet")):
            response = super().import_action(request, **kwargs)
        # The upload stays on the server until it is imported: a preview names it, so
        # that saving an alias from the preview can read the same file again.
        form = getattr(response, "context_data", {}).get("form")
        if (
            request.method == "POST"
            and form is not None
            and form.is_valid()
            and hasattr(form.cleaned_data["import_file"], "tmp_storage_name")
        ):
            response.context_data["stored_upload"] = self.get_confirm_form_initial(
                request, form
            )
        return response

    def preview_stored_upload(self, request, upload):
        """The preview of an upload kept from an earlier step, read again now."""
        stored = upload.cleaned_data
        input_format = self.get_import_formats()[int(stored["format"])]()
        storage = self.get_tmp_storage_class()(
            name=stored["import_file_name"],
            encoding=None,
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),
        )
        try:
            with reading_sheet(stored["sheet"]):
                dataset = input_format.create_dataset(storage.read())
        except (OSError, FileRejected):
            messages.error(
                request, _("The uploaded file is no longer kept: upload it again.")
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
            )
        resource_classes = self.get_import_resource_classes(request)
        resource = resource_classes[int(stored["resource"] or 0)](
            **self.get_import_resource_kwargs(request)
        )
        result = resource.import_data(
            dataset,
            dry_run=True,
            file_name=stored["original_file_name"],
            user=request.user,
        )
        form = self.get_import_form_class(request)(
            self.get_import_formats(),
            resource_classes,
            initial=self.get_import_form_initial(request),
        )
        context = self.get_import_context_data()
        context.update(self.admin_site.each_context(request))
        context.update(
            {
                "title": _("Import"),
                "opts": self.model._meta,
                "form": form,
                "media": self.media + form.media,
                "result": result,
                "stored_upload": stored,
                "import_error_display": self.import_error_display,
            }
        )
        if not result.has_errors() and not result.has_validation_errors():
            context["confirm_form"] = self.get_confirm_form_class(request)(
                initial=stored
            )
        return TemplateResponse(request, [self.import_template_name], context)

    def process_import(self, request, **kwargs):
        with reading_sheet(request.POST.get("sheet")):
            return super().process_import(request, **kwargs)

    def get_export_formats(self):
        return IMPORT_FORMATS

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["sheet"] = import_form.cleaned_data.get("sheet", "")
        return initial

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, FileRejected):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def process_result(self, result, request):
        if result.batch is None:
            # The registry changed between preview and confirmation and the file no
            # longer imports cleanly: show why, import nothing.
            context = self.admin_site.each_context(request)
            context.update(
                {
                    "title": _("Import"),
                    "opts": self.model._meta,
                    "result": result,
                    "form": self.create_import_form(request),
                }
            )
            messages.error(
                request,
                _("Nothing was imported: the file no longer passes its checks."),
            )
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        batch = result.batch
        messages.success(
            request,
            format_html(
                _(
                    '<a href="{url}">Import {number}</a> of {file}: {new} new, '
                    "{updated} updated, {unchanged} unchanged."
                ),
                url=reverse("admin:registry_importbatch_change", args=[batch.pk]),
                number=batch.pk,
                file=batch.file_name,
                new=batch.created,
                updated=batch.updated,
                unchanged=batch.unchanged,
            ),
        )


# Session key: the history entries of the organizations added from an upload's
# preview, by the name the upload is kept under until it is imported.
ADDED_FROM_PREVIEW = "organizations_added_from_preview"


class AgreementImportMixin(SheetImportExportMixin):
    resource_classes = [AgreementSheetResource]

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        # Only agreement sheets name institutions the registry may not know.
        context["can_save_aliases"] = True
        context["new_organization_form"] = NewOrganizationForm(auto_id=False)
        return context

    def get_urls(self):
        return [
            path(
                "import-template/",
                self.admin_site.admin_view(self.template_view),
                name="registry_agreement_import_template",
            ),
            path(
                "save-alias/",
                self.admin_site.admin_view(require_POST(self.save_alias_view)),
                name="registry_agreement_save_alias",
            ),
            path(
                "add-organization/",
                self.admin_site.admin_view(require_POST(self.add_organization_view)),
                name="registry_agreement_add_organization",
            ),
            path(
                "save-term-alias/",
                self.admin_site.admin_view(require_POST(self.save_term_alias_view)),
                name="registry_agreement_save_term_alias",
            ),
            *super().get_urls(),
        ]

    def template_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            agreement_template_workbook(),
            content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        )
        response["Content-Disposition"] = (
            'attachment; filename="usjp-agreement-import-template.xlsx"'
        )
        return response

    def save_alias_view(self, request):
        """Save a name an import did not resolve as an alias of the institution the
        curator picked, so the next preview resolves it."""
        if not request.user.has_perm("registry.add_institutionalias"):
            raise PermissionDenied
        form = SaveAliasForm(request.POST)
        back = reverse("admin:registry_agreement_import")
        if not form.is_valid():
            messages.error(
                request, _("The alias was not saved: choose an institution.")
            )
            return HttpResponseRedirect(back)
        _save_alias(
            request,
            InstitutionAlias,
            "institution",
            form.cleaned_data["institution"],
            form.cleaned_data["name"].strip(),
        )
        return self._preview_again(request, back)

    def save_term_alias_view(self, request):
        """Save a partner organization, discipline, activity or source name an import
        did not read as an alias of the record the curator picked, then read the
        same file again."""
        back = reverse("admin:registry_agreement_import")
        form = SaveTermAliasForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The alias was not saved: choose a record."))
            return HttpResponseRedirect(back)
        alias_model, owner = TERM_ALIASES[form.cleaned_data["kind"]]
        if not request.user.has_perm(f"registry.add_{alias_model._meta.model_name}"):
            raise PermissionDenied
        record = (
            alias_model._meta.get_field(owner)
            .related_model.objects.filter(pk=form.cleaned_data["record"])
            .first()
        )
        if record is None:
            messages.error(request, _("The alias was not saved: choose a record."))
            return HttpResponseRedirect(back)
        _save_alias(
            request, alias_model, owner, record, form.cleaned_data["name"].strip()
        )
        return self._preview_again(request, back)

    def add_organization_view(self, request):
        """Add a partner organization an import names and the registry lacks, as the
        curator confirmed it (through the write service: history says who, and
        why), then read the same file again: the rows that named it re-plan."""
        if not request.user.has_perm("registry.add_organization"):
            raise PermissionDenied
        back = reverse("admin:registry_agreement_import")
        form = NewOrganizationForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                _("The organization was not added: %(errors)s")
                % {
                    "errors": " ".join(
                        f"{form.fields[field].label}: {' '.join(errors)}"
                        if field in form.fields
                        else " ".join(errors)
                        for field, errors in form.errors.items()
                    )
                },
            )
            return self._preview_again(request, back)
        organization = form.save(commit=False)
        organization.slug = free_slug(
            organization.name,
            taken=set(Organization.objects.values_list("slug", flat=True)),
            qualifiers=[organization.country],
        )
        upload = SheetConfirmImportForm(request.POST)
        file_name = (
            upload.cleaned_data.get("original_file_name", "")
            if upload.is_valid()
            else ""
        )
        organization_save(
            organization=organization,
            user=request.user,
            reason=_("Added from the preview of an import (%(file)s)")
            % {"file": file_name or _("an upload")},
        )
        if upload.is_valid():
            # Joins the file's ImportBatch when the file is imported (process_result).
            added = request.session.setdefault(ADDED_FROM_PREVIEW, {})
            added.setdefault(upload.cleaned_data["import_file_name"], []).append(
                organization.history.latest().history_id
            )
            request.session.modified = True
        messages.success(
            request,
            _("%(name)s was added to the partner organizations.")
            % {"name": organization.name},
        )
        return self._preview_again(request, back)

    def process_result(self, result, request):
        response = super().process_result(result, request)
        if result.batch is not None:
            stored_as = request.POST.get("import_file_name", "")
            added = request.session.get(ADDED_FROM_PREVIEW, {}).pop(stored_as, [])
            request.session.modified = True
            Organization.history.filter(
                history_id__in=added, import_batch__isnull=True
            ).update(import_batch=result.batch)
        return response

    def _preview_again(self, request, back: str):
        upload = SheetConfirmImportForm(request.POST)
        if upload.is_valid():
            return self.preview_stored_upload(request, upload)
        return HttpResponseRedirect(back)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Imports are records of what happened: read-only."""

    list_display = [
        "pk",
        "imported_at",
        "kind_column",
        "file_name",
        "imported_by_column",
        "created",
        "updated",
        "unchanged",
        "skipped",
    ]
    list_select_related = ["imported_by"]
    list_filter = ["kind", "channel", "list_format", ImportProblemsListFilter]
    search_fields = ["file_name", "checksum"]
    readonly_fields = [
        "kind",
        "list_format",
        "channel",
        "file_name",
        "sheet",
        "checksum",
        "file_size",
        "imported_by",
        "imported_at",
        "rows",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "summary",
        "records_changed",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # An official list's format under the kind, the channel under the person: the
    # list fits beside the navigation and the filters at 1280 px.
    @admin.display(description=_("kind"), ordering="kind")
    def kind_column(self, batch):
        return with_note(batch.get_kind_display(), batch.list_format)

    @admin.display(description=_("imported by"), ordering="imported_by")
    def imported_by_column(self, batch):
        return with_note(
            batch.imported_by or self.get_empty_value_display(),
            batch.get_channel_display(),
        )

    @admin.display(description=_("records changed"))
    def records_changed(self, batch):
        counts = history_counts(batch)
        if not counts:
            return "—"
        items = [
            format_html("<li>{}: {}</li>", label, count) for label, count in counts
        ]
        model = next(m for m, kind in IMPORT_KIND_OF.items() if kind == batch.kind)
        changelist = reverse(f"admin:registry_{model._meta.model_name}_changelist")
        items.append(
            format_html(
                '<li><a href="{}?import_batch={}">{}</a></li>',
                changelist,
                batch.pk,
                _("The %(records)s this import created or changed")
                % {"records": model._meta.verbose_name_plural},
            )
        )
        return format_html("<ul>{}</ul>", mark_safe("".join(items)))  # noqa: S308 (each item escaped above)


class ImportBatchListFilter(admin.SimpleListFilter):
    """The records an import created or changed, found through its history entries:
    on agreements, institutions and organizations."""

    title = _("import")
    parameter_name = "import_batch"

    def __init__(self, request, params, model, model_admin):
        self.model = model
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        batches = ImportBatch.objects.filter(kind=IMPORT_KIND_OF[self.model])[:20]
        return [("any", _("Any import"))] + [
            (str(batch.pk), str(batch)) for batch in batches
        ]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.filter(touched_by_imports(self.model))
        if self.value() and self.value().isdecimal():
            entries = self.model.history.filter(import_batch=self.value())
            return queryset.filter(pk__in=entries.values("id"))
        return queryset


IMPORT_KIND_OF = {
    Agreement: ImportKind.AGREEMENTS,
    Institution: ImportKind.INSTITUTIONS,
    Organization: ImportKind.ORGANIZATIONS,
}


def history_counts(batch) -> list[tuple[str, int]]:
    """How many history entries of each kind of record the import wrote."""
    counts = []
    for model in HISTORY_MODELS:
        count = model.history.filter(import_batch=batch).count()
        if count:
            counts.append((capfirst(model._meta.verbose_name_plural), count))
    return counts


HISTORY_MODELS = [
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    SourceRecord,
    Institution,
    Organization,
]

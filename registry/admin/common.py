"""What every page of the curators' admin shares: its defaults, the publication
workflow's actions and form rules, and records written with their inline rows by
their write service (registry.services)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    PublicationState,
)
from ..search import agreements_of, refresh_agreement_index
from ..services import (
    allowed_states,
    publication_move,
    publish_permission,
    stamp_publication,
)
from ..services.workflow import NEEDS_PUBLISH_PERMISSION
from .display import with_note
from .uploads import SheetImportExportMixin


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


LISTED_ON_CONFIRMATION = 100
# A reason is kept whole in the history (a TextField); this bounds a form's.
REASON_MAX = 2000


def reason_field(*, label, help_text="", required=False) -> forms.CharField:
    """The "why" every change and action asks, kept with its history entries."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


class PublicationMoveForm(forms.Form):
    """The second step of a publication action: why (kept in each record's history;
    a withdrawal must say), and a confirmation."""

    reason = reason_field(label=_("Why?"))

    def __init__(self, *args, state, **kwargs):
        super().__init__(*args, **kwargs)
        if state == PublicationState.WITHDRAWN:
            field = self.fields["reason"]
            field.required = True
            field.label = _("Why is it withdrawn?")
            field.help_text = _(
                "Required: kept in the history of each record withdrawn, e.g. “The "
                "partnership was never signed (letter from Tohoku University, 2 "
                "December 2026)”."
            )
        else:
            self.fields["reason"].help_text = _(
                "Optional: kept in the history of each record moved."
            )


def _publication_action(state, verb, description):
    def action(modeladmin, request, queryset):
        if state in NEEDS_PUBLISH_PERMISSION and not request.user.has_perm(
            publish_permission(modeladmin.model)
        ):
            # Refused before the confirmation page asks why.
            modeladmin.message_user(
                request,
                _("You may not publish or withdraw %(things)s.")
                % {"things": modeladmin.model._meta.verbose_name_plural},
                messages.ERROR,
            )
            return None
        form = PublicationMoveForm(
            request.POST if "apply" in request.POST else None, state=state
        )
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/registry/publication_move.html",
                {
                    **modeladmin.admin_site.each_context(request),
                    "opts": modeladmin.model._meta,
                    "title": description,
                    "records": queryset,
                    # Listed up to a page's worth; all are moved.
                    "shown": queryset[:LISTED_ON_CONFIRMATION],
                    "form": form,
                    "action": action.__name__,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "withdrawing": state == PublicationState.WITHDRAWN,
                },
            )
        try:
            result = publication_move(
                records=queryset,
                state=state,
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except PermissionDenied as denied:
            modeladmin.message_user(request, str(denied), messages.ERROR)
            return None
        _report_transition(modeladmin, request, result, verb)
        return None

    action.__name__ = f"move_to_{state}"
    return admin.action(description=description, permissions=["change"])(action)


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


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's list of a record's changes, without its revert
    (``SIMPLE_HISTORY_REVERT_DISABLED``): it saved the old version's form around the
    record's write service and publication rules. A version's page only shows it."""

    def history_view_title(self, request, obj):
        return _("Change history: %s") % obj

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class DirectoryAdmin(
    WrittenByService,
    SheetImportExportMixin,
    RegistryAdminDefaults,
    ReadOnlyHistoryAdmin,
):
    """Institutions and organizations: written by their service, uploaded and
    downloaded as sheets, with their history."""

    @admin.display(description=_("name"), ordering="name")
    def name_column(self, obj):
        # The Japanese name under the English one: as a column of its own it got a
        # few characters a line beside the navigation and the filters.
        return with_note(obj.name, obj.name_ja, lang="ja")

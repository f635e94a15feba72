"""An agreement's history in the admin: every version with what it changed (fields
and parts), any two versions compared, and a revert that goes through the write
service and is itself a version (registry.services.versions, .reverting)."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..services import agreement_revert
from ..services.versions import (
    compare,
    current_version,
    field_values,
    part_items,
    version_of,
    versions_of,
)
from .common import reason_field

TEMPLATES = "admin/registry/agreement/"
# The compare form's two choices (versions.html).
PICKS = ("older", "newer")


class RevertForm(forms.Form):
    reason = reason_field(
        label=gettext_lazy("Why revert?"),
        help_text=gettext_lazy("Kept in the history with the new version."),
    )


class AgreementVersionsMixin:
    """Replaces simple-history's pages for agreements: its revert saved the form
    alone, which the write service never saw (so nothing changed), and its list
    showed only the agreement's own fields."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="{}_{}_compare".format(*info),
            ),
        ] + super().get_urls()

    def _agreement(self, request, object_id):
        agreement = self.get_object(request, unquote(object_id))
        if agreement is None:
            raise Http404(_("There is no such agreement."))
        if not self.has_view_or_change_permission(request, agreement):
            raise PermissionDenied
        return agreement

    def _url(self, view, agreement):
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_{}".format(*info, view), args=[agreement.pk])

    def _context(self, request, agreement, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": agreement,
            "original": agreement,
            "title": title,
            "has_change_permission": self.has_change_permission(request, agreement),
            **extra,
        }

    def history_view(self, request, object_id, extra_context=None):
        agreement = self._agreement(request, object_id)
        versions = versions_of(agreement)
        context = self._context(
            request,
            agreement,
            _("Change history: %s") % agreement,
            versions=versions,
            compare_url=self._url("compare", agreement),
            # The two newest versions are compared unless the curator picks others.
            default_older=versions[1].entry.history_id if len(versions) > 1 else None,
            default_newer=versions[0].entry.history_id if versions else None,
        )
        return TemplateResponse(request, TEMPLATES + "versions.html", context)

    def compare_view(self, request, object_id):
        agreement = self._agreement(request, object_id)
        chosen = [version_of(agreement, request.GET.get(key)) for key in PICKS]
        if None in chosen:
            messages.error(request, _("Choose two versions of this agreement."))
            return HttpResponseRedirect(self._url("history", agreement))
        older, newer = sorted(chosen, key=lambda version: version.number)
        context = self._context(
            request,
            agreement,
            _("Version %(older)s compared with version %(newer)s")
            % {"older": older.number, "newer": newer.number},
            older=older,
            newer=newer,
            differences=compare(older.entry, newer.entry),
            parts_missing=older.entry.parts is None or newer.entry.parts is None,
        )
        return TemplateResponse(request, TEMPLATES + "compare.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One version, whole, and the form that restores it."""
        agreement = self._agreement(request, object_id)
        version = version_of(agreement, version_id)
        if version is None:
            raise Http404(_("This agreement has no such version."))
        may_revert = self.has_change_permission(request, agreement)
        form = RevertForm(request.POST or None)
        if request.method == "POST":
            if not may_revert:
                raise PermissionDenied
            if form.is_valid():
                try:
                    agreement_revert(
                        agreement=agreement,
                        entry=version.entry,
                        user=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as error:
                    for message in error.messages:
                        messages.error(request, message)
                    agreement.refresh_from_db()
                else:
                    messages.success(
                        request,
                        _("%(agreement)s is back to version %(number)s.")
                        % {"agreement": agreement, "number": version.number},
                    )
                    return HttpResponseRedirect(self._url("history", agreement))
        current = current_version(agreement)
        is_current = current.number == version.number
        context = self._context(
            request,
            agreement,
            _("Version %(number)s of %(agreement)s")
            % {"number": version.number, "agreement": agreement},
            version=version,
            parts=part_items(version.entry),
            fields=field_values(version.entry),
            since=[] if is_current else compare(version.entry, current.entry),
            is_current=is_current,
            form=form,
            may_revert=may_revert,
        )
        return TemplateResponse(request, TEMPLATES + "version.html", context)

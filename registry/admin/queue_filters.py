"""The review queue: what a record still lacks, how long ago its sources were last
checked, the records imports touched and the imports with problems. The admin home's
counts (templatetags.curation_queue) count with these same conditions."""

import datetime as dt

from django.contrib import admin
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NO_SOURCE = Q(sources__isnull=True)
IMPORT_PROBLEMS = Q(skipped__gt=0) | ~Q(summary="")


def touched_by_imports(model) -> Q:
    """Records of ``model`` that any import created or changed (by their history)."""
    return Q(pk__in=model.history.filter(import_batch__isnull=False).values("id"))


class MissingListFilter(admin.SimpleListFilter):
    title = _("what is missing")
    parameter_name = "missing"
    GAPS = {
        "source": (_("No source"), NO_SOURCE),
        "japanese": (_("No Japanese title"), Q(title_ja="")),
        "discipline": (_("No discipline"), Q(disciplines__isnull=True)),
        "summary": (_("No summary"), Q(summary="")),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _query) in self.GAPS.items()]

    def queryset(self, request, queryset):
        gap = self.GAPS.get(self.value())
        if gap is None:
            return queryset
        return queryset.filter(gap[1])


class SourcesCheckedListFilter(admin.SimpleListFilter):
    """A source's retrieval date is when a curator last checked the record against
    it: the newest one says when the record was last verified."""

    title = _("sources last checked")
    parameter_name = "checked"
    AGES = {
        "1y": (_("Not checked in the last year"), 365),
        "2y": (_("Not checked in the last two years"), 730),
        "never": (_("Never (no retrieval date)"), None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _days) in self.AGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.AGES:
            return queryset
        days = self.AGES[self.value()][1]
        queryset = queryset.annotate(last_checked=Max("sources__retrieved_on"))
        if days is None:
            return queryset.filter(last_checked__isnull=True)
        since = timezone.localdate() - dt.timedelta(days=days)
        return queryset.filter(Q(last_checked__lt=since) | Q(last_checked__isnull=True))


class ImportProblemsListFilter(admin.SimpleListFilter):
    title = _("problems")
    parameter_name = "problems"

    def lookups(self, request, model_admin):
        return [("1", _("Rows skipped or notes from the importer"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(IMPORT_PROBLEMS)
        return queryset

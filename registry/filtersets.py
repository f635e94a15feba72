"""What a search means: one FilterSet per model, for pages, exports, the API and charts.

Parameter names are part of the public interface (a search URL is a permalink): values
of one parameter OR together, different parameters AND together; taxonomies,
institutions and organizations are named by slug, states by USPS code, prefectures by
romanized name.

Each filter of a search says what it means twice, side by side: in SQL (``filter``)
and to the in-memory engine (``engine_condition``: a ``registry.conditions.Condition``,
or None for a filter that keeps every row). A filter without ``engine_condition`` still
works on every path: the engine evaluates it in SQL and says so in the log.

The module is past 500 lines on purpose: every model's FilterSet and the filters they
share are one definition of what a search means, read side by side.
"""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .conditions import (
    ClassificationIn,
    Criteria,
    InFacet,
    RunningIn,
    SqlMatches,
    StartedIn,
    StatusIn,
    TextMatches,
)
from .engine import published_index
from .models import (
    ActivityType,
    Agreement,
    Classification,
    Country,
    DataSource,
    Dimension,
    Discipline,
    Institution,
    InstitutionType,
    Organization,
    Program,
    Region,
    ResearchClassification,
    Sector,
    Sort,
    Status,
)
from .query_reading import QueryReading, read_query
from .search import INSTITUTION_TYPE_CODES, SECTOR_CODES, in_facet, search_agreements


def chosen(value) -> bool:
    """Whether a cleaned filter value chooses anything.

    A multiple-choice filter left empty cleans to ``queryset.none()``; ``bool()`` of
    that compiles its SQL to learn it is empty (about a millisecond each, a dozen
    filters a search), where asking the query costs nothing.
    """
    if isinstance(value, QuerySet):
        return not value.query.is_empty()
    return bool(value)


class CaseInsensitiveSlugField(forms.ModelMultipleChoiceField):
    """Accepts ``ca`` for ``CA`` and ``Miyagi`` for ``miyagi``."""

    def __init__(self, *args, upper=False, **kwargs):
        self.upper = upper
        super().__init__(*args, **kwargs)

    def clean(self, value):
        if value:
            value = [item.upper() if self.upper else item.lower() for item in value]
        return super().clean(value)


class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """Several records by slug (or code), matched through the facet index."""

    field_class = CaseInsensitiveSlugField

    def __init__(self, *args, dimensions, **kwargs):
        self.dimensions = dimensions
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if not chosen(value):
            return queryset
        ids = [record.pk for record in value]
        condition = in_facet(self.dimensions[0], ids)
        for dimension in self.dimensions[1:]:
            condition |= in_facet(dimension, ids)
        return queryset.filter(condition)

    def engine_condition(self, value):
        return InFacet(tuple(self.dimensions), tuple(record.pk for record in value))

    @property
    def facet_dimension(self):
        return self.dimensions[0]


class RegionsFilter(django_filters.ModelMultipleChoiceFilter):
    """Institutions in any of these states or prefectures (by code or slug)."""

    field_class = CaseInsensitiveSlugField

    def filter(self, queryset, value):
        return queryset.filter(region__in=value) if value else queryset


class CodesFilter(django_filters.MultipleChoiceFilter):
    """Several choice values, matched through the facet index by their codes."""

    def __init__(self, *args, dimension, codes, **kwargs):
        self.dimension, self.codes = dimension, codes
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value):
        if not value:
            return queryset
        return queryset.filter(in_facet(self.dimension, [self.codes[v] for v in value]))

    def engine_condition(self, value):
        return InFacet((self.dimension,), tuple(self.codes[v] for v in value))

    @property
    def facet_dimension(self):
        return self.dimension


class ClassificationFilter(django_filters.MultipleChoiceFilter):
    facet_dimension = "classification"

    def engine_condition(self, value):
        return ClassificationIn(tuple(value))


class StatusFilter(django_filters.MultipleChoiceFilter):
    """Upcoming, active or ended today, or dates unknown
    (``registry.models.status_rule``)."""

    facet_dimension = "status"

    def filter(self, queryset, value):
        return queryset.with_status_in(value) if value else queryset

    def engine_condition(self, value):
        return StatusIn(tuple(value))


class TextFilter(django_filters.CharFilter):
    """Words in any of an agreement's names and texts (``registry.search``): those
    left once the FilterSet has read the names it knows (``reading``), which become
    filters of their own."""

    def filter(self, queryset, value):
        text = self.parent.reading.rest
        return search_agreements(queryset, text) if text else queryset

    def engine_condition(self, value):
        text = self.parent.reading.rest
        return TextMatches(text) if text else None


class WordsFilter(django_filters.BooleanFilter):
    """``words=true``: every word of the search is text; no name is read as a filter
    (the page's "search these words as text instead")."""

    # A checkbox's field: "true" (the API's boolean) and "1" are yes.
    field_class = forms.BooleanField

    def filter(self, queryset, value):
        return queryset

    def engine_condition(self, value):
        return None


class YearFilter(django_filters.NumberFilter):
    """A year: a whole number, so "2019.5" or "1e400" is refused as not one."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


class ActiveFromFilter(YearFilter):
    """Agreements still running in or after this year (an open end runs on)."""

    def filter(self, queryset, value):
        return queryset if value is None else queryset.active_between(int(value), None)

    def engine_condition(self, value):
        return RunningIn(first_year=int(value))


class ActiveUntilFilter(YearFilter):
    """Agreements already running in or before this year."""

    def filter(self, queryset, value):
        return queryset if value is None else queryset.active_between(None, int(value))

    def engine_condition(self, value):
        return RunningIn(last_year=int(value))


class StartYearFilter(YearFilter):
    def filter(self, queryset, value):
        return queryset if value is None else queryset.started_in(int(value))

    def engine_condition(self, value):
        return StartedIn(int(value))


class SortFilter(django_filters.ChoiceFilter):
    """How results are ordered (``AgreementFilterSet.ordered``): it keeps every row."""

    def filter(self, queryset, value):
        return queryset

    def engine_condition(self, value):
        return None


class BlankValuesIgnored:
    """A parameter sent empty (``discipline=``, as a form with nothing chosen sends
    it) means no filter, not an invalid value."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            kept = QueryDict(mutable=True)
            for name, values in data.lists():
                values = [value for value in values if value.strip()]
                if values:
                    kept.setlist(name, values)
            data = kept
        super().__init__(data, *args, **kwargs)


def how_many_chosen(value) -> int:
    """How many values a cleaned filter value chooses: each of a list's, one of any
    other (``False`` too: "without published agreements" is a choice)."""
    if value is None or value == "":
        return 0
    if isinstance(value, QuerySet):
        # Already read: a form's model choices are checked by reading them.
        return 0 if value.query.is_empty() else len(value)
    if isinstance(value, list | tuple):
        return len(value)
    return 1


class Faceted:
    """What a search page asks of its FilterSet: the search with some parameters left
    out (a facet counts its options under the search's other filters), and how many
    values the filters choose (the number on the page's "Filters")."""

    # Parameters that are not filters: the words searched for, the order.
    NOT_FILTERS = {"q", "sort"}

    def filter_queryset(self, queryset, *, without=()):
        """The filtered records; ``without`` leaves some parameters out."""
        for name, value in self.form.cleaned_data.items():
            if name not in without:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def chosen_count(self) -> int:
        self.is_valid()  # an unreadable value is left out, as in filter_queryset
        return sum(
            how_many_chosen(value)
            for name, value in self.form.cleaned_data.items()
            if name not in self.NOT_FILTERS
        )


class AgreementSearchForm(forms.Form):
    def clean(self):
        data = super().clean()
        first, last = data.get("year_from"), data.get("year_to")
        if first is not None and last is not None and first > last:
            self.add_error(
                "year_to", _("“Active until” cannot be before “active from”.")
            )
        return data


class AgreementFilterSet(BlankValuesIgnored, Faceted, django_filters.FilterSet):
    q = TextFilter(
        label=_("Search"),
        help_text=_(
            "Titles, summaries, names of institutions and partners in English "
            "or Japanese, their aliases, programs, source IDs."
        ),
    )
    words = WordsFilter(
        label=_("Search every word as text"),
        help_text=_(
            "Names the registry knows (an institution, a partner, a place, a field) "
            "are otherwise read as the filters they mean."
        ),
    )
    classification = ClassificationFilter(
        choices=Classification.choices, label=_("Classification")
    )
    discipline = SlugsFilter(
        queryset=Discipline.objects.all(),
        dimensions=[Dimension.DISCIPLINE],
        label=_("Discipline"),
        help_text=_("A field includes its subfields."),
    )
    activity = SlugsFilter(
        queryset=ActivityType.objects.all(),
        dimensions=[Dimension.ACTIVITY],
        label=_("Activity"),
    )
    institution = SlugsFilter(
        queryset=Institution.objects.all(),
        dimensions=[Dimension.US_INSTITUTION, Dimension.JP_INSTITUTION],
        label=_("Institution (either country)"),
    )
    us_institution = SlugsFilter(
        queryset=Institution.objects.filter(country=Country.US),
        dimensions=[Dimension.US_INSTITUTION],
        label=_("U.S. institution"),
    )
    jp_institution = SlugsFilter(
        queryset=Institution.objects.filter(country=Country.JP),
        dimensions=[Dimension.JP_INSTITUTION],
        label=_("Japanese institution"),
    )
    us_state = SlugsFilter(
        queryset=Region.objects.filter(country=Country.US),
        to_field_name="code",
        upper=True,
        dimensions=[Dimension.US_STATE],
        label=_("U.S. state"),
        help_text=_("USPS code, e.g. CA."),
    )
    jp_prefecture = SlugsFilter(
        queryset=Region.objects.filter(country=Country.JP),
        dimensions=[Dimension.JP_PREFECTURE],
        label=_("Japanese prefecture"),
        help_text=_("Romanized name, e.g. miyagi."),
    )
    institution_type = CodesFilter(
        choices=InstitutionType.choices,
        dimension=Dimension.INSTITUTION_TYPE,
        codes=INSTITUTION_TYPE_CODES,
        label=_("Institution type"),
    )
    organization = SlugsFilter(
        queryset=Organization.objects.all(),
        dimensions=[Dimension.ORGANIZATION],
        label=_("Partner organization"),
    )
    sector = CodesFilter(
        choices=Sector.choices,
        dimension=Dimension.SECTOR,
        codes=SECTOR_CODES,
        label=_("Partner sector"),
    )
    program = SlugsFilter(
        queryset=Program.objects.all(),
        dimensions=[Dimension.PROGRAM],
        label=_("Program"),
    )
    source = SlugsFilter(
        queryset=DataSource.objects.all(),
        dimensions=[Dimension.SOURCE],
        label=_("Data source"),
    )
    year_from = ActiveFromFilter(label=_("Active from (year)"))
    year_to = ActiveUntilFilter(label=_("Active until (year)"))
    start_year = StartYearFilter(label=_("Started in (year)"))
    status = StatusFilter(choices=Status.choices, label=_("Status"))
    sort = SortFilter(choices=Sort.CHOICES, label=_("Sort by"), empty_label=None)

    class Meta:
        model = Agreement
        fields: list[str] = []
        form = AgreementSearchForm

    # Which parameters are facets, and how each is counted (see registry.facets).
    FACETS = [
        "classification",
        "status",
        "discipline",
        "activity",
        "institution_type",
        "us_state",
        "jp_prefecture",
        "sector",
        "organization",
        "program",
        "source",
        "us_institution",
        "jp_institution",
    ]

    NOT_FILTERS = Faceted.NOT_FILTERS | {"words"}

    @cached_property
    def reading(self) -> QueryReading:
        """The search's words read for the names the registry knows
        (``registry.query_reading``), unless ``words`` asks for text only."""
        self.is_valid()
        text = self.form.cleaned_data.get("q") or ""
        if self.form.cleaned_data.get("words") or not text.strip():
            return QueryReading(rest=text.strip())
        return read_query(text)

    def understood(self) -> list[tuple[str, object]]:
        """(parameter, cleaned value) of each name read as a filter."""
        found = []
        for item in self.reading.understood:
            declared = self.filters[item.meaning.param]
            found.append(
                (item.meaning.param, declared.field.clean([item.meaning.value]))
            )
        return found

    def filter_queryset(self, queryset, *, without=()):
        queryset = super().filter_queryset(queryset, without=without)
        if "q" not in without:
            for name, value in self.understood():
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def searching(self) -> bool:
        """Whether the search has words to rank by."""
        return bool(self.reading.rest)

    @property
    def sort_key(self) -> str:
        chosen = self.form.cleaned_data.get("sort") if self.is_valid() else None
        if chosen == Sort.RELEVANCE and not self.searching:
            chosen = None
        return chosen or (Sort.RELEVANCE if self.searching else Sort.NEWEST)

    def criteria(self) -> Criteria:
        """This search as the in-memory engine reads it (registry.engine): each
        chosen filter's own ``engine_condition``, or its SQL where it declares none."""
        self.is_valid()  # an unreadable value is left out, as in filter_queryset
        conditions = {}
        for name, declared in self.filters.items():
            value = self.form.cleaned_data.get(name)
            if not chosen(value):
                continue
            if hasattr(declared, "engine_condition"):
                condition = declared.engine_condition(value)
            else:
                published = self._meta.model.objects.published()
                condition = SqlMatches(name, declared.filter(published, value))
            if condition is not None:
                conditions[name] = condition
        # A name read in the words is one more condition, beside any the same
        # parameter's boxes choose.
        for name, value in self.understood():
            conditions[f"q:{name}"] = self.filters[name].engine_condition(value)
        return Criteria(conditions=conditions, sort=self.sort_key)

    def facet_dimensions(self) -> dict:
        """Each facet's name and what the engine counts for it."""
        return {name: self.filters[name].facet_dimension for name in self.FACETS}

    def ordered(self, queryset):
        key = self.sort_key
        if key == Sort.RELEVANCE and "relevance" not in queryset.query.annotations:
            key = Sort.NEWEST
        return queryset.order_by(*Sort.ORDERINGS[key])


class DirectoryFilterSet(BlankValuesIgnored, Faceted, django_filters.FilterSet):
    """Institutions or organizations. ``q`` finds a name in English or Japanese, or
    any of the record's aliases; results come most agreements first, or by name when
    the search sorts so. ``FACETS``: the filters the directory's page offers as lists
    of choices with counts (registry.facets)."""

    q = django_filters.CharFilter(method="filter_text", label=_("Name"))
    has_agreements = django_filters.BooleanFilter(
        method="filter_has_agreements", label=_("Has published agreements")
    )

    FACETS: list[str] = []

    def ordered(self, records):
        """The records (each with ``agreement_count``) in the search's order."""
        key = self.form.cleaned_data.get("sort") if self.is_valid() else None
        if key == "name":
            return sorted(records, key=lambda r: r.name.casefold())
        return sorted(records, key=lambda r: (-r.agreement_count, r.name.casefold()))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        with_alias = queryset.model.objects.filter(aliases__name__icontains=value)
        return queryset.filter(
            Q(name__icontains=value)
            | Q(name_ja__icontains=value)
            | Q(pk__in=with_alias.values("pk"))
        )

    def filter_has_agreements(self, queryset, name, value):
        if value is None:
            return queryset
        with_agreements = list(published_index().agreement_counts(queryset.model))
        if value:
            return queryset.filter(pk__in=with_agreements)
        return queryset.exclude(pk__in=with_agreements)


class InstitutionFilterSet(DirectoryFilterSet):
    country = django_filters.ChoiceFilter(
        choices=Country.choices, label=_("Country"), empty_label=_("Any country")
    )
    type = django_filters.MultipleChoiceFilter(
        field_name="institution_type", choices=InstitutionType.choices, label=_("Type")
    )
    us_state = RegionsFilter(
        queryset=Region.objects.filter(country=Country.US),
        to_field_name="code",
        upper=True,
        label=_("U.S. state"),
    )
    jp_prefecture = RegionsFilter(
        queryset=Region.objects.filter(country=Country.JP),
        to_field_name="slug",
        label=_("Japanese prefecture"),
    )
    research_classification = django_filters.MultipleChoiceFilter(
        choices=ResearchClassification.choices, label=_("Research classification")
    )
    sort = django_filters.ChoiceFilter(
        choices=[("agreements", _("Most agreements")), ("name", _("Name"))],
        method="filter_sort",
        label=_("Sort by"),
        empty_label=None,
    )

    class Meta:
        model = Institution
        fields: list[str] = []

    FACETS = [
        "has_agreements",
        "country",
        "type",
        "research_classification",
        "us_state",
        "jp_prefecture",
    ]

    def filter_sort(self, queryset, name, value):
        return queryset


class OrganizationFilterSet(DirectoryFilterSet):
    sector = django_filters.MultipleChoiceFilter(
        choices=Sector.choices, label=_("Sector")
    )
    country = django_filters.ChoiceFilter(
        choices=Country.choices, label=_("Country"), empty_label=_("Any country")
    )

    class Meta:
        model = Organization
        fields: list[str] = []

    FACETS = ["has_agreements", "sector", "country"]

"""Facets as the search pages show them: each option's label, URL value and count,
each facet counted under the other filters of the current search.

The agreement search's counts come from the engine (registry.engine); a directory's
(institutions, organizations) from its FilterSet in SQL, one aggregate query a facet.
"""

from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django_filters import BooleanFilter, ChoiceFilter

from .engine import SearchResult, published_index
from .filtersets import RegionsFilter, SlugsFilter, chosen
from .models import ActivityType, Discipline
from .search import fold

# Long lists show their largest options until a person asks for all of them
# (``expanded``); the chosen ones are always shown, first.
TOP_OPTIONS = {"us_institution": 12, "jp_institution": 12, "organization": 12}


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0

    @property
    def count_display(self) -> str:
        # Formatted here rather than with |intcomma: a search page shows ~250 options.
        return f"{self.count:,}"


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)
    # One choice at a time (radio buttons, the first option choosing none), or several.
    multiple: bool = True
    # Options with results not shown (a long list folded to its largest), and whether
    # the list shows them all.
    more: int = 0
    expanded: bool = False
    # The words its list is narrowed to, when expanded.
    narrowed_to: str = ""

    @property
    def total(self) -> int:
        return len(self.options) + self.more

    @property
    def selected_count(self) -> int:
        return sum(option.selected and option.value != "" for option in self.options)


def describe_facets(
    filterset, result: SearchResult, *, expanded: str = "", narrow: str = ""
) -> list[Facet]:
    """The facets of ``filterset.FACETS`` with their options named and counted
    (``result``: the engine's search), as each facet's filter declares them: a filter
    of records (SlugsFilter) by its model and the field a URL names a record by, any
    other by its choices. The ``expanded`` facet shows all its options, those whose
    name holds ``narrow`` if given."""
    cleaned = filterset.form.cleaned_data
    facets = []
    for name in filterset.FACETS:
        declared = filterset.filters[name]
        value = cleaned.get(name) if chosen(cleaned.get(name)) else []
        counts = result.facet_counts.get(name, {})
        if isinstance(declared, SlugsFilter):
            facet = _records(
                name,
                declared,
                counts,
                value,
                result.index.memo,
                expanded=name == expanded,
            )
        else:
            facet = _choices(name, declared, counts, value)
        if name == expanded and narrow:
            _narrow(facet, narrow)
        facets.append(facet)
    return facets


def _narrow(facet: Facet, words: str) -> None:
    """Keep the options whose name holds ``words`` (folded: case, width, accents),
    and the chosen ones."""
    wanted = fold(words)
    facet.options = [
        option
        for option in facet.options
        if option.selected or wanted in fold(option.label)
    ]
    facet.narrowed_to = words


def _choices(name, declared, counts, chosen) -> Facet:
    # Counts are keyed by the facet's codes where the filter has them, else by value.
    codes = getattr(declared, "codes", None)
    options = []
    for value, text in declared.extra["choices"]:
        count = counts.get(codes[value] if codes else value, 0)
        if count or value in chosen:
            options.append(FacetOption(value, text, count, value in chosen))
    return Facet(name, declared.label, options)


def _named(model, pks: set[int], memo: dict) -> list:
    """The records of ``model`` with these primary keys, read once for each version
    of the search index and kept with it (``memo``: the index's).

    The options a search shows are records with published agreements, and renaming
    any record an agreement names moves the index's version: a name kept here is
    current. (Chosen options, which may have none, come from the form, fresh.)"""
    known = memo.setdefault(("facet records", model), {})
    missing = [pk for pk in pks if pk not in known]
    if missing:
        fetched = model.objects.filter(pk__in=missing)
        known.update((record.pk, record) for record in fetched)
    return [known[pk] for pk in pks if pk in known]


def _fields(memo: dict) -> dict:
    """The disciplines that are fields, by primary key (kept as ``_named`` keeps)."""
    if "discipline fields" not in memo:
        fields = Discipline.objects.filter(parent=None)
        memo["discipline fields"] = {record.pk: record for record in fields}
    return memo["discipline fields"]


def _records(name, declared, counts, chosen, memo: dict, *, expanded=False) -> Facet:
    model, key = declared.queryset.model, declared.extra["to_field_name"]
    chosen_ids = {record.pk for record in chosen}
    shown = {pk for pk, count in counts.items() if count}
    every = len(shown | chosen_ids)
    folded = name in TOP_OPTIONS and not expanded
    if folded:
        shown = set(sorted(shown, key=lambda pk: -counts[pk])[: TOP_OPTIONS[name]])
    records = [*_named(model, shown - chosen_ids, memo), *chosen]
    if model is Discipline:
        fields = _fields(memo)

        def order(record):
            # Each field, then its subfields, so the list reads as a tree.
            field_name = (
                fields[record.parent_id].name if record.parent_id else record.name
            )
            return (field_name, record.parent_id is not None, -counts.get(record.pk, 0))

    elif model is ActivityType:

        def order(record):
            return (record.position, record.name)

    else:

        def order(record):
            # The chosen first: a long list does not hide what is ticked.
            return (record.pk not in chosen_ids, -counts.get(record.pk, 0), record.name)

    return Facet(
        name,
        declared.label,
        more=every - len(records),
        expanded=expanded and name in TOP_OPTIONS,
        options=[
            FacetOption(
                getattr(record, key),
                record.display_name,
                counts.get(record.pk, 0),
                record.pk in chosen_ids,
                depth=1 if model is Discipline and record.parent_id else 0,
            )
            for record in sorted(records, key=order)
        ],
    )


def describe_directory_facets(filterset) -> list[Facet]:
    """The facets of a directory's FilterSet (``filterset.FACETS``), each counted by
    one aggregate query over the records its other filters find: how many records the
    search would find with each option chosen instead of the facet's own values."""
    filterset.is_valid()  # an unreadable value is left out, as in filter_queryset
    facets = []
    for name in filterset.FACETS:
        declared = filterset.filters[name]
        value = filterset.form.cleaned_data.get(name)
        others = filterset.filter_queryset(filterset.queryset, without={name})
        others = others.order_by()  # grouped by the facet's values alone
        if isinstance(declared, RegionsFilter):
            facets.append(_regions(name, declared, others, value))
        elif isinstance(declared, BooleanFilter):
            facets.append(_with_agreements(name, declared, others, value))
        else:
            counts = dict(
                others.values_list(declared.field_name).annotate(n=Count("pk"))
            )
            if isinstance(declared, ChoiceFilter):
                facets.append(_one_of(name, declared, counts, value))
            else:
                facets.append(_choices(name, declared, counts, value or []))
    return facets


def _one_of(name, declared, counts, value) -> Facet:
    """A single choice: its filter's empty label first, counting every record."""
    facet = _choices(name, declared, counts, [value] if value else [])
    anything = FacetOption(
        "", str(declared.extra["empty_label"]), sum(counts.values()), not value
    )
    facet.options.insert(0, anything)
    facet.multiple = False
    return facet


def _regions(name, declared, others, chosen_regions) -> Facet:
    """The states or prefectures of the records found, each with their number, most
    first; a chosen one none of them is in, with 0."""
    counted = list(
        declared.queryset.filter(institutions__in=others).annotate(
            n=Count("institutions")
        )
    )
    counts = {region.pk: region.n for region in counted}
    chosen_regions = list(chosen_regions or [])
    chosen_ids = {region.pk for region in chosen_regions}
    shown = counted + [region for region in chosen_regions if region.pk not in counts]
    key = declared.extra["to_field_name"]
    options = [
        FacetOption(
            getattr(region, key),
            region.display_name,
            counts.get(region.pk, 0),
            region.pk in chosen_ids,
        )
        for region in shown
    ]
    options.sort(key=lambda option: (-option.count, option.label))
    return Facet(name, declared.label, options)


def _with_agreements(name, declared, others, value) -> Facet:
    """One checkbox, "only those with published agreements"; or, when a URL asks for
    the opposite (has_agreements=false), that one, chosen, to be unchosen."""
    counts = published_index().agreement_counts(others.model)
    found = list(others.values_list("pk", flat=True))
    with_agreements = sum(pk in counts for pk in found)
    if value is False:
        option = FacetOption(
            "false",
            str(_("Only those without published agreements")),
            len(found) - with_agreements,
            True,
        )
    else:
        option = FacetOption(
            "true",
            str(_("Only those with published agreements")),
            with_agreements,
            value is True,
        )
    return Facet(name, declared.label, [option])

"""The study's figures, live, for any search.

Each figure is a grouping of the published agreements that a search finds, counted by
``registry.api.stats`` (so the stats API and a figure agree to the unit), shown as a
chart (``registry.charts``), a table, a CSV of that table and the SVG. A figure's search
is the page's search with two adjustments, both exact:

- a figure about consortium agreements keeps only those (``restrict``);
- each bar links to the search it counts: the search plus the bar's value. When the
  search already filters by the figure's own parameter, the bar's value goes into a
  second parameter of the same meaning if there is one (``institution`` for either
  country), else the figure is counted under the search's other filters, as the search
  page's facets are, and the chosen values are highlighted.

Figures are cached for each search and language under the search index's version, so a
publish, edit, merge or import (each moves the version) shows at once.
"""

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import charts
from .api.stats import Stats, agreement_stats
from .conditions import Criteria
from .engine import published_index
from .filtersets import AgreementFilterSet
from .models import (
    Agreement,
    Classification,
    Country,
    Dimension,
    Discipline,
    Organization,
    Sector,
)

# Parameters that change how results are shown, not which agreements are counted.
PRESENTATION = {
    "page",
    "per_page",
    "sort",
    "export",
    "format",
    "ordering",
    "cursor",
    "lang",
}
# A bar's value may go in any of these parameters, in order of preference.
LINK_PARAMETERS = {
    "us_institution": ("us_institution", "institution"),
    "jp_institution": ("jp_institution", "institution"),
}
PARTNER_SECTORS = (Sector.GOVERNMENT, Sector.NATIONAL_LAB, Sector.INDUSTRY)
CONSORTIUM = {"classification": (Classification.CONSORTIUM,)}
MATRIX_SIDE = 8


@dataclass(frozen=True)
class Figure:
    slug: str
    title: str
    description: str
    group_by: tuple[str, ...]
    name_column: str
    kind: str = "bars"  # "bars", "years" (stacked by classification) or "pairs"
    fact_sheet: int | None = None  # the figure's number in the 2021 fact sheet
    restrict: dict = field(default_factory=dict)
    # Which groups the figure shows, given their keys (None: every group).
    selects: Callable[[list], set] | None = None
    limit: int = 15


def _fields(keys) -> set:
    return set(
        Discipline.objects.filter(slug__in=keys, parent=None).values_list(
            "slug", flat=True
        )
    )


def _partners_of(country):
    def selects(keys) -> set:
        return set(
            Organization.objects.filter(
                slug__in=keys, country=country, sector__in=PARTNER_SECTORS
            ).values_list("slug", flat=True)
        )

    return selects


FIGURES = [
    Figure(
        "us-campus",
        _("Research programs by U.S. campus"),
        _("Published agreements in which each U.S. institution takes part."),
        ("us_institution",),
        _("U.S. institution"),
        fact_sheet=1,
    ),
    Figure(
        "jp-campus",
        _("Research programs by Japanese campus"),
        _("Published agreements in which each Japanese institution takes part."),
        ("jp_institution",),
        _("Japanese institution"),
        fact_sheet=2,
    ),
    Figure(
        "consortium-discipline",
        _("Consortium research by discipline"),
        _(
            "Consortium agreements (with a government, NGO or industry partner) in "
            "each field; an agreement in two fields counts in both."
        ),
        ("discipline",),
        _("Field"),
        fact_sheet=3,
        restrict=CONSORTIUM,
        selects=_fields,
    ),
    Figure(
        "consortium-jp-partner",
        _("Consortium research programs by Japanese government or industry partner"),
        _(
            "Consortium agreements with each Japanese government agency, national "
            "laboratory or company."
        ),
        ("organization",),
        _("Japanese partner"),
        fact_sheet=4,
        restrict=CONSORTIUM,
        selects=_partners_of(Country.JP),
    ),
    Figure(
        "consortium-us-partner",
        _("Consortium research programs by U.S. government or industry partner"),
        _(
            "Consortium agreements with each U.S. government agency, national "
            "laboratory or company."
        ),
        ("organization",),
        _("U.S. partner"),
        fact_sheet=5,
        restrict=CONSORTIUM,
        selects=_partners_of(Country.US),
    ),
    Figure(
        "start-year",
        _("Agreements by start year and classification"),
        _(
            "Published agreements by the year they started, collaborative and "
            "consortium."
        ),
        ("start_year",),
        _("Start year"),
        kind="years",
        limit=60,
    ),
    Figure(
        "us-state",
        _("Agreements by U.S. state"),
        _("Published agreements with a participant in each state."),
        ("us_state",),
        _("State"),
    ),
    Figure(
        "jp-prefecture",
        _("Agreements by Japanese prefecture"),
        _("Published agreements with a participant in each prefecture."),
        ("jp_prefecture",),
        _("Prefecture"),
    ),
    Figure(
        "activity",
        _("Agreements by activity"),
        _("Published agreements recording each kind of partnership activity."),
        ("activity",),
        _("Activity"),
    ),
    Figure(
        "pairs",
        _("U.S. × Japan institution pairs"),
        _(
            "The pairs of a U.S. and a Japanese institution that share the most "
            "published agreements."
        ),
        ("us_institution", "jp_institution"),
        _("U.S. institution"),
        kind="pairs",
        limit=20,
    ),
]
BY_SLUG = {figure.slug: figure for figure in FIGURES}
# The figures the home page shows small, and how many bars each.
THUMBNAILS = ("us-campus", "jp-campus", "consortium-discipline")
THUMBNAIL_BARS = 5


@dataclass
class Column:
    label: str
    numeric: bool = True


@dataclass
class Cell:
    text: str
    link: str = ""
    count: int | None = None
    numeric: bool = False


@dataclass
class Row:
    cells: list[Cell]
    chosen: bool = False  # the search itself chose this row's value


@dataclass
class FigureData:
    """What a figure shows, ready to render and to cache: no model instances."""

    slug: str
    title: str
    description: str
    fact_sheet: int | None
    kind: str
    total: int  # agreements in the figure's search
    columns: list[Column]
    rows: list[Row]
    more: int  # groups left out of the table
    notes: list[str]
    api_url: str
    search_url: str
    svg: str = ""
    matrix: dict | None = None
    html: str = ""  # the figure as the insights page shows it, rendered once

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([column.label for column in self.columns])
        writer.writerows([cell.text for cell in row.cells] for row in self.rows)
        return out.getvalue()


def search_parameters(query: QueryDict) -> QueryDict:
    """The filters of a request's query string, without how results are shown."""
    search = QueryDict(mutable=True)
    for name, values in query.lists():
        values = [value for value in values if value.strip()]
        if name not in PRESENTATION and values:
            search.setlist(name, values)
    return search


def figures(
    query: QueryDict, *, slugs=None, thumbnail=False, filterset=None
) -> list[FigureData]:
    """The figures named by ``slugs`` (all by default) for this search, from the cache
    where they are. ``filterset``: the page's own, for the same search."""
    chosen = [BY_SLUG[slug] for slug in (slugs or BY_SLUG)]
    search = search_parameters(query)
    prefix = _cache_prefix(search, thumbnail=thumbnail)
    keys = {figure.slug: f"{prefix}:{figure.slug}" for figure in chosen}
    found = cache.get_many(keys.values())
    missing = {}
    result = []
    counts = Counts(filterset)
    for figure in chosen:
        data = found.get(keys[figure.slug])
        if data is None:
            data = compute(figure, search, thumbnail=thumbnail, counts=counts)
            missing[keys[figure.slug]] = data
        result.append(data)
    if missing:
        cache.set_many(missing, timeout=settings.INSIGHTS_CACHE_SECONDS)
    return result


def _cache_prefix(search, *, thumbnail) -> str:
    """The search (in a canonical order), its language and the index's version."""
    canonical = "&".join(
        f"{name}={value}"
        for name in sorted(search)
        for value in sorted(search.getlist(name))
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    size = "thumb" if thumbnail else "full"
    return f"insights:{published_index().version}:{get_language()}:{size}:{digest}"


class Counts:
    """The stats of each search and grouping asked for while figures are made.

    Figures share searches (most count the page's own, three its consortium part) and
    one grouping (pairs: the table and the matrix); reading a search's filters and
    counting a grouping are each done once.
    """

    def __init__(self, filterset: AgreementFilterSet | None = None):
        # The page's own FilterSet, when it has one, serves its search here too.
        self.filtersets = {filterset.data.urlencode(): filterset} if filterset else {}
        self.stats = {}

    def __call__(self, search: QueryDict, group_by) -> Stats:
        query = search.urlencode()
        key = (query, tuple(group_by))
        if key not in self.stats:
            if query not in self.filtersets:
                self.filtersets[query] = AgreementFilterSet(
                    search, queryset=Agreement.objects.published()
                )
            self.stats[key] = agreement_stats(
                filterset=self.filtersets[query],
                group_by=list(group_by),
                published_only=True,
            )
        return self.stats[key]


def compute(
    figure: Figure, search: QueryDict, *, thumbnail=False, counts=None
) -> FigureData:
    """One figure for one search, counted and drawn."""
    counts = counts or Counts()
    restricted, notes = _restricted(figure.restrict, search)
    if restricted is None:
        return _empty(figure, search, notes)
    counted, link_names, dropped = _link_parameters(figure, restricted)
    notes += [
        _(
            "Counted without your “%(filter)s” filter, as the search page counts its "
            "filters; your choices are highlighted."
        )
        % {"filter": AgreementFilterSet.base_filters[name].label}
        for name in dropped
    ]
    chosen = {(name, value) for name in dropped for value in search.getlist(name)}
    if figure.kind == "years":
        data = _years(figure, counted, notes, counts)
    else:
        data = _groups(
            figure, counted, link_names, chosen, notes, counts, thumbnail=thumbnail
        )
    if figure.kind == "pairs":
        data.matrix = _matrix(counted, link_names, counts)
    else:
        data.svg = _draw(figure, data, thumbnail=thumbnail)
    if not thumbnail:
        # Rendered here so that the cache keeps the page's HTML: a cached page then
        # renders no table again.
        query = search.urlencode()
        data.html = render_to_string(
            "includes/figure.html",
            {"figure": data, "query_suffix": f"?{query}" if query else ""},
        )
    return data


def _restricted(restrict: dict, search):
    """The search limited to what a figure counts, or None if nothing can match."""
    restricted = search.copy()
    for name, allowed in restrict.items():
        chosen = restricted.getlist(name)
        kept = [value for value in allowed if not chosen or value in chosen]
        if not kept:
            return None, [
                _(
                    "This figure counts consortium agreements, which your search "
                    "leaves out."
                )
            ]
        restricted.setlist(name, kept)
    return restricted, []


def _link_parameters(figure, search):
    """The search the figure counts, the parameter each key's value links through,
    and the parameters left out of the count (see the module's docstring)."""
    counted = search.copy()
    names, dropped = [], []
    for key in figure.group_by:
        options = LINK_PARAMETERS.get(key, (key,))
        free = next(
            (name for name in options if name not in counted and name not in names),
            None,
        )
        if free is None:
            free = options[0]
            dropped.append(free)
            counted.pop(free)
        names.append(free)
    return counted, names, dropped


class SearchLinks:
    """Addresses of the search page: ``links(us_state="CA")`` is the search with that
    parameter set to that value. A figure makes hundreds, so the part of the address
    that stays the same is written once for each set of parameters changed."""

    def __init__(self, search: QueryDict):
        self.search = search
        self.path = reverse("registry:agreement_list")
        self.prefixes = {}

    def __call__(self, **values) -> str:
        names = tuple(values)
        if names not in self.prefixes:
            kept = self.search.copy()
            for name in names:
                kept.pop(name, None)
            query = kept.urlencode()
            self.prefixes[names] = f"{self.path}?{query}{'&' if query else ''}"
        if not values:
            return self.prefixes[names].rstrip("?&")
        return self.prefixes[names] + urlencode(values)


def _api_url(search, group_by) -> str:
    query = search.copy()
    query.setlist("group_by", [",".join(group_by)])
    if get_language() != settings.LANGUAGE_CODE:
        query.setlist("lang", [get_language()])  # the labels the figure shows
    return f"{reverse('api:agreement-stats')}?{query.urlencode()}"


def _count(count, link="") -> Cell:
    return Cell(number_format(count, force_grouping=True), link, count, numeric=True)


def _share(count, total) -> str:
    return f"{number_format(100 * count / total, 1)}%" if total else "—"


def _base(figure, search, notes, **values) -> FigureData:
    return FigureData(
        slug=figure.slug,
        title=str(figure.title),
        description=str(figure.description),
        fact_sheet=figure.fact_sheet,
        kind=figure.kind,
        notes=[str(note) for note in notes],
        api_url=_api_url(search, figure.group_by),
        search_url=SearchLinks(search)(),
        **values,
    )


def _empty(figure, search, notes) -> FigureData:
    return _base(
        figure,
        search,
        notes,
        total=0,
        columns=_columns(figure),
        rows=[],
        more=0,
    )


def _columns(figure) -> list[Column]:
    if figure.kind == "years":
        counts = [*Classification.labels, _("Total")]
        return [Column(str(figure.name_column), numeric=False)] + [
            Column(str(label)) for label in counts
        ]
    if figure.kind == "pairs":
        return [
            Column(str(_("U.S. institution")), numeric=False),
            Column(str(_("Japanese institution")), numeric=False),
            Column(str(_("Agreements"))),
        ]
    return [
        Column(str(figure.name_column), numeric=False),
        Column(str(_("Agreements"))),
        Column(str(_("Share"))),
    ]


def _groups(
    figure, search, link_names, chosen, notes, counts, *, thumbnail
) -> FigureData:
    stats = counts(search, figure.group_by)
    limit = THUMBNAIL_BARS if thumbnail else figure.limit
    if figure.selects is None:
        # Only the groups shown are built: the pairs alone are some 20,000.
        groups, total_groups = stats.groups[:limit], len(stats.groups)
    else:
        groups = list(stats.groups)
        allowed = figure.selects([group["key"] for group in groups])
        groups = [group for group in groups if group["key"] in allowed]
        total_groups = len(groups)
    rows = []
    link_to = SearchLinks(search)
    for group in groups[:limit]:
        keys = group["key"] if len(figure.group_by) > 1 else [group["key"]]
        labels = group["label"] if len(figure.group_by) > 1 else [group["label"]]
        values = dict(zip(link_names, keys, strict=True))
        link = link_to(**values)
        cells = [Cell(str(label), link) for label in labels]
        cells.append(_count(group["count"], link))
        if figure.kind != "pairs":
            cells.append(Cell(_share(group["count"], stats.total), numeric=True))
        rows.append(
            Row(cells, chosen=any((n, str(v)) in chosen for n, v in values.items()))
        )
    return _base(
        figure,
        search,
        notes,
        total=stats.total,
        columns=_columns(figure),
        rows=rows,
        more=total_groups - len(rows),
    )


def _years(figure, search, notes, counts) -> FigureData:
    """Start years as rows, a column for each classification: one count each."""
    by_class = {}
    total = 0
    for value in Classification.values:
        restricted, _notes = _restricted({"classification": (value,)}, search)
        by_class[value] = {}
        if restricted is not None:
            stats = counts(restricted, figure.group_by)
            total += stats.total
            by_class[value] = {group["key"]: group["count"] for group in stats.groups}
    known = sorted({year for years in by_class.values() for year in years if year})
    years = list(range(known[0], known[-1] + 1)) if known else []
    if any(None in years for years in by_class.values()):
        years.append(None)
    rows = []
    link_to = SearchLinks(search)
    for year in years:
        row_link = link_to(start_year=year) if year else ""
        cells = [Cell(str(year) if year else str(_("Unknown")), row_link)]
        for value in Classification.values:
            count = by_class[value].get(year, 0)
            link = (
                link_to(start_year=year, classification=value) if year and count else ""
            )
            cells.append(_count(count, link))
        year_total = sum(years.get(year, 0) for years in by_class.values())
        cells.append(_count(year_total, row_link))
        rows.append(Row(cells))
    return _base(
        figure,
        search,
        notes,
        total=total,
        columns=_columns(figure),
        rows=rows,
        more=0,
    )


def _matrix(search, link_names, counts) -> dict:
    """The institutions of the most shared pairs, U.S. as rows and Japanese as columns,
    each cell the pair's count and search."""
    groups = counts(search, ("us_institution", "jp_institution")).groups
    us_members, jp_members = groups.members
    us_indices, jp_indices = (np.asarray(index) for index in groups.indices)
    # The first institutions of each side, in the order of the most shared pairs.
    rows = dict.fromkeys(us_indices[: 50 * MATRIX_SIDE].tolist())
    columns = dict.fromkeys(jp_indices[: 50 * MATRIX_SIDE].tolist())
    rows = list(rows)[:MATRIX_SIDE]
    columns = list(columns)[:MATRIX_SIDE]
    inside = np.isin(us_indices, rows) & np.isin(jp_indices, columns)
    pair_counts = {
        (int(us), int(jp)): count
        for us, jp, count in zip(
            us_indices[inside],
            jp_indices[inside],
            np.asarray(groups.counts)[inside].tolist(),
            strict=True,
        )
    }
    largest = max(pair_counts.values(), default=0)
    link_to = SearchLinks(search)

    def cell(us, jp):
        count = pair_counts.get((us, jp), 0)
        us_key, us_label = us_members[us]
        jp_key, jp_label = jp_members[jp]
        link = link_to(**dict(zip(link_names, (us_key, jp_key), strict=True)))
        return {
            "text": number_format(count, force_grouping=True),
            "link": link if count else "",
            "label": f"{us_label} × {jp_label}",
            # Four shades, so the largest counts stand out without a scale to read.
            "level": 0 if not count else 1 + (4 * count - 1) // largest,
        }

    return {
        "columns": [
            Cell(
                jp_members[jp][1],
                link_to(**{link_names[1]: jp_members[jp][0]}),
            )
            for jp in columns
        ],
        "rows": [
            {
                "name": Cell(
                    us_members[us][1],
                    link_to(**{link_names[0]: us_members[us][0]}),
                ),
                "cells": [cell(us, jp) for jp in columns],
            }
            for us in rows
        ],
    }


def _draw(figure, data: FigureData, *, thumbnail) -> str:
    chart_id = f"figure-{figure.slug}{'-thumb' if thumbnail else ''}"
    if figure.kind == "years":
        dated = [row.cells for row in data.rows if row.cells[0].link]
        series = [
            charts.Series(
                name=str(label),
                bars=tuple(
                    charts.Bar(cells[0].text, cells[column].count, cells[column].link)
                    for cells in dated
                ),
            )
            for column, label in enumerate(Classification.labels, start=1)
        ]
        return charts.stacked_column_chart(
            chart_id=chart_id,
            title=data.title,
            description=_describe(data),
            categories=[row[0].text for row in dated],
            series=series,
            axis_title=str(_("Agreements")),
        )
    return charts.bar_chart(
        chart_id=chart_id,
        title=data.title,
        description=_describe(data),
        bars=[
            charts.Bar(row.cells[0].text, row.cells[1].count, row.cells[0].link)
            for row in data.rows
        ],
        axis_title=str(_("Agreements")),
    )


def _describe(data: FigureData) -> str:
    """The chart's text alternative: what it counts and its largest values."""
    if not data.rows:
        return f"{data.description} " + str(_("No agreements match this search."))
    column = -1 if data.kind == "years" else 1
    listed = "; ".join(
        f"{row.cells[0].text}: {row.cells[column].text}" for row in data.rows
    )
    return f"{data.description} {listed}."


def headline() -> dict:
    """The registry in five numbers, from the search index."""
    index = published_index()
    everything = index.matching(Criteria())
    classes = index.count_classification(everything)
    return {
        "agreements": len(index),
        "synthetic": index.synthetic_count,
        "us_institutions": len(
            index.count_dimension(Dimension.US_INSTITUTION, everything)
        ),
        "jp_institutions": len(
            index.count_dimension(Dimension.JP_INSTITUTION, everything)
        ),
        "collaborative": classes[Classification.COLLABORATIVE],
        "consortium": classes[Classification.CONSORTIUM],
        "organizations": len(index.organization_counts),
    }

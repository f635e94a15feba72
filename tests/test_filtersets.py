"""AgreementFilterSet, the one definition of a search, as a unit; and the in-memory
engine, which must mean exactly what the FilterSet means in SQL."""

import datetime as dt
import logging
import random
from urllib.parse import urlencode

import django_filters
import numpy as np
import pytest
from django.db.models import Count
from django.http import QueryDict
from django.utils import timezone
from django_filters import ModelMultipleChoiceFilter, MultipleChoiceFilter

from registry import metrics
from registry.demo import seed_demo_agreements
from registry.engine import published_index
from registry.facets import describe_facets
from registry.filtersets import AgreementFilterSet, SlugsFilter, Sort, YearFilter
from registry.models import (
    ActivityType,
    Agreement,
    AgreementFacet,
    DataSource,
    Discipline,
    Program,
    PublicationState,
    SourceRecord,
)
from registry.search import refresh_agreement_index
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db


def search(query: str = "") -> AgreementFilterSet:
    """The search a URL's query string asks for, over the published agreements."""
    return AgreementFilterSet(QueryDict(query), queryset=Agreement.objects.published())


def ids(query: str = "") -> set[int]:
    return set(search(query).qs.values_list("pk", flat=True))


@pytest.fixture
def world(db):
    """Six published agreements and a draft, alone in the registry (keyed by a short
    name): known institutions, partners, disciplines, dates and sources."""
    Agreement.objects.all().delete()
    today = timezone.localdate()
    now = timezone.now()
    specs = {
        "quantum": dict(
            title="Quantum materials consortium",
            us=("harvard-university",),
            jp=("tohoku-university",),
            partners=("national-science-foundation",),
            program=Program.objects.get(slug="nsf-jst-memorandum-of-cooperation"),
            start_date=dt.date(2018, 4, 1),
            end_date=dt.date(2021, 3, 31),
        ),
        "ocean": dict(
            title="Ocean observation partnership",
            us=("university-of-washington",),
            jp=("the-university-of-tokyo",),
            partners=("japan-science-and-technology-agency",),
            start_date=dt.date(2019, 1, 1),
        ),
        "drug": dict(
            title="Drug discovery alliance",
            us=("duke-university",),
            jp=("the-university-of-tokyo",),
            partners=("takeda-pharmaceutical-company",),
            start_date=dt.date(2020, 6, 1),
            end_date=dt.date(today.year + 5, 12, 31),
        ),
        "seismic": dict(
            title="Seismic resilience exchange",
            us=("stanford-university",),
            jp=("tohoku-university",),
            start_date=dt.date(2015, 1, 1),
            end_date=dt.date(2019, 12, 31),
        ),
        "energy": dict(
            title="Future energy laboratory",
            us=("university-of-california-berkeley",),
            jp=("kyoto-university",),
            partners=(
                "national-science-foundation",
                "japan-science-and-technology-agency",
            ),
            start_date=today + dt.timedelta(days=400),
        ),
        "history": dict(
            title="Undated scholar exchange",
            us=("harvard-university",),
            jp=("kyoto-university",),
        ),
        "draft": dict(
            title="Draft quantum partnership",
            us=("harvard-university",),
            jp=("tohoku-university",),
            partners=("national-science-foundation",),
            start_date=dt.date(2019, 1, 1),
            state=PublicationState.DRAFT,
        ),
    }
    disciplines = {
        "quantum": "quantum-sciences",
        "ocean": "earth-sciences",
        "drug": "pharmaceutical-sciences",
        "seismic": "natural-disaster-prevention",
        "energy": "clean-energy",
        "history": "history",
        "draft": "quantum-sciences",
    }
    activities = {
        "quantum": "research-grant-award",
        "seismic": "scholar-exchange",
        "history": "scholar-exchange",
        "draft": "scholar-exchange",
    }
    agreements = {}
    for key, spec in specs.items():
        published = spec.get("state", PublicationState.PUBLISHED)
        spec.setdefault(
            "published_at", now if published == PublicationState.PUBLISHED else None
        )
        agreement = make_agreement(**spec)
        agreement.disciplines.set([Discipline.objects.get(slug=disciplines[key])])
        if key in activities:
            agreement.activity_types.set(
                [ActivityType.objects.get(slug=activities[key])]
            )
        agreements[key] = agreement
    SourceRecord.objects.create(
        agreement=agreements["quantum"],
        data_source=DataSource.objects.get(slug="jsps"),
        source_identifier="JSPS-19H05601",
    )
    refresh_agreement_index(agreement_ids=[a.pk for a in agreements.values()])
    return agreements


def names(world, query: str) -> set[str]:
    """The world's agreements a search finds, by their short names."""
    found = ids(query)
    return {key for key, agreement in world.items() if agreement.pk in found}


# -- Each filter alone -----------------------------------------------------------------

ALL_PUBLISHED = {"quantum", "ocean", "drug", "seismic", "energy", "history"}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ALL_PUBLISHED),
        ("classification=consortium", {"quantum", "ocean", "drug", "energy"}),
        ("classification=collaborative", {"seismic", "history"}),
        ("discipline=earth-sciences", {"ocean"}),
        ("activity=scholar-exchange", {"seismic", "history"}),
        ("institution=tohoku-university", {"quantum", "seismic"}),
        ("institution=duke-university", {"drug"}),
        ("us_institution=harvard-university", {"quantum", "history"}),
        ("jp_institution=the-university-of-tokyo", {"ocean", "drug"}),
        ("us_state=WA", {"ocean"}),
        ("jp_prefecture=miyagi", {"quantum", "seismic"}),
        ("jp_prefecture=kyoto", {"energy", "history"}),
        ("institution_type=us_public", {"ocean", "energy"}),
        ("organization=national-science-foundation", {"quantum", "energy"}),
        ("organization=takeda-pharmaceutical-company", {"drug"}),
        ("sector=industry", {"drug"}),
        ("sector=government", {"quantum", "ocean", "energy"}),
        ("program=nsf-jst-memorandum-of-cooperation", {"quantum"}),
        ("source=jsps", {"quantum"}),
        ("status=upcoming", {"energy"}),
        ("status=active", {"ocean", "drug"}),
        ("status=unknown", {"history"}),
        ("status=ended", {"quantum", "seismic"}),
        ("q=ocean", {"ocean"}),
        ("sort=title", ALL_PUBLISHED),
    ],
)
def test_each_filter_alone_keeps_exactly_the_agreements_it_names(
    world, query, expected
):
    """One parameter, one value: the published agreements that match, no others."""
    assert search(query).is_valid(), search(query).errors
    assert names(world, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            "organization=national-science-foundation"
            "&organization=takeda-pharmaceutical-company",
            {"quantum", "energy", "drug"},
        ),
        ("us_state=CA&us_state=WA", {"seismic", "energy", "ocean"}),
        ("discipline=earth-sciences&discipline=history", {"ocean", "history"}),
        ("status=upcoming&status=ended", {"energy", "quantum", "seismic"}),
        (
            "institution=harvard-university&institution=kyoto-university",
            {"quantum", "history", "energy"},
        ),
        (
            "classification=consortium&classification=collaborative",
            ALL_PUBLISHED,
        ),
    ],
)
def test_several_values_of_one_filter_widen_the_search(world, query, expected):
    """Values of one parameter OR together."""
    assert names(world, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("us_state=CA&classification=consortium", {"energy"}),
        ("organization=national-science-foundation&jp_prefecture=miyagi", {"quantum"}),
        ("discipline=natural-sciences&status=active", {"ocean"}),
        ("institution=tohoku-university&status=active", set()),
        ("q=exchange&activity=scholar-exchange&jp_prefecture=kyoto", {"history"}),
    ],
)
def test_different_filters_narrow_the_search(world, query, expected):
    """Different parameters AND together."""
    assert names(world, query) == expected


def test_a_field_of_study_includes_its_subfields(world):
    """discipline=natural-sciences finds agreements recorded only under its subfields
    (quantum sciences, earth sciences), and nothing outside the field."""
    assert not world["quantum"].disciplines.filter(slug="natural-sciences").exists()
    assert names(world, "discipline=natural-sciences") == {"quantum", "ocean"}
    assert names(world, "discipline=health-medical-sciences") == {"drug"}


@pytest.mark.parametrize("code", ["ca", "CA", "Ca"])
def test_a_state_code_is_read_in_any_case(world, code):
    """us_state=ca means California, as CA does."""
    assert search(f"us_state={code}").is_valid()
    assert names(world, f"us_state={code}") == {"seismic", "energy"}


@pytest.mark.parametrize("slug", ["miyagi", "Miyagi", "MIYAGI"])
def test_a_prefecture_is_named_by_its_romanized_name_in_any_case(world, slug):
    """jp_prefecture=miyagi finds Tohoku University's agreements (Sendai, Miyagi)."""
    assert names(world, f"jp_prefecture={slug}") == {"quantum", "seismic"}


@pytest.mark.parametrize(
    "query, expected",
    [
        # quantum 2018-04..2021-03, ocean 2019.., drug 2020-06..+5y, seismic 2015..2019,
        # energy starts in 400 days, history has no dates (open at both ends).
        ("year_from=2020&year_to=2020", {"quantum", "ocean", "drug", "history"}),
        ("year_from=2019&year_to=2019", {"quantum", "ocean", "seismic", "history"}),
        ("year_to=2016", {"seismic", "history"}),
        ("year_to=2018", {"quantum", "seismic", "history"}),
        ("year_from=2021", {"quantum", "ocean", "drug", "energy", "history"}),
        ("year_from=2022", {"ocean", "drug", "energy", "history"}),
        ("year_from=2010&year_to=2014", {"history"}),
    ],
)
def test_years_keep_agreements_active_at_some_point_in_them(world, query, expected):
    """year_from/year_to: started by the end of the last year and not ended before the
    first; an unknown start or end is open and runs on."""
    assert names(world, query) == expected


def test_a_future_year_finds_upcoming_and_open_ended_agreements(world):
    """The agreement that starts next year is active in the years after today."""
    later = timezone.localdate().year + 2
    assert names(world, f"year_from={later}&year_to={later}") == {
        "ocean",
        "drug",
        "energy",
        "history",
    }


def test_the_status_filter_is_relative_to_today(world):
    """Moving an end date to yesterday ends an agreement; a start tomorrow makes it
    upcoming."""
    today = timezone.localdate()
    Agreement.objects.filter(pk=world["ocean"].pk).update(
        end_date=today - dt.timedelta(days=1)
    )
    Agreement.objects.filter(pk=world["history"].pk).update(
        start_date=today + dt.timedelta(days=1)
    )
    assert names(world, "status=ended") == {"quantum", "seismic", "ocean"}
    assert names(world, "status=upcoming") == {"energy", "history"}
    assert names(world, "status=active") == {"drug"}


@pytest.mark.parametrize(
    "text",
    [
        "tohoku",
        "Tohoku University",
        "東北大学",
        "東北大",  # an abbreviation recorded as an alias
        "ＴＯＨＯＫＵ",  # full-width letters
        "Tōhoku",  # the romanization, with its macron
    ],
)
def test_text_finds_an_institution_by_any_of_its_names(world, text):
    """English, Japanese, an alias, full-width letters: all mean Tohoku University."""
    assert names(world, urlencode({"q": text})) == {"quantum", "seismic"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("武田薬品工業", {"drug"}),  # a partner's Japanese name
        ("NSF", {"quantum", "energy"}),  # a partner's acronym
        ("19H05601", {"quantum"}),  # a source's identifier
        ("quantum", {"quantum"}),  # the draft with the same word is never found
        ("ocean partnership", {"ocean"}),  # every word must match
        ("ocean alliance", set()),
    ],
)
def test_text_finds_titles_partners_and_source_ids(world, text, expected):
    """Text search reads titles, partners' names in both languages and source IDs."""
    assert names(world, urlencode({"q": text})) == expected


def test_text_finds_an_agreement_by_its_public_id_in_any_case(world):
    """USJP-000042 and usjp-000042 both name exactly that agreement."""
    public_id = world["drug"].public_id
    assert names(world, urlencode({"q": public_id})) == {"drug"}
    assert names(world, urlencode({"q": f" {public_id.lower()} "})) == {"drug"}


def test_the_public_id_of_a_draft_finds_nothing(world):
    """A draft's ID is not a way to see it."""
    assert names(world, urlencode({"q": world["draft"].public_id})) == set()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=quantum",
        "discipline=quantum-sciences",
        "activity=scholar-exchange",
        "institution=harvard-university&jp_prefecture=miyagi",
        "organization=national-science-foundation",
        "year_from=2019&year_to=2019",
        "status=active&status=ended&status=upcoming&status=unknown",
    ],
)
def test_drafts_are_never_returned(world, query):
    """Whatever the search, the draft is not among the results."""
    assert world["draft"].pk not in ids(query)
    assert ids(query)  # the search itself finds something


@pytest.mark.parametrize(
    "query, field, value",
    [
        ("discipline=nope", "discipline", "nope"),
        ("institution=no-such-university", "institution", "no-such-university"),
        ("us_state=ZZ", "us_state", "ZZ"),
        ("jp_prefecture=atlantis", "jp_prefecture", "atlantis"),
        ("organization=acme", "organization", "acme"),
        ("status=maybe", "status", "maybe"),
        ("classification=solo", "classification", "solo"),
        ("institution_type=castle", "institution_type", "castle"),
        ("sort=bogus", "sort", "bogus"),
        # A Japanese institution is not a U.S. institution.
        ("us_institution=tohoku-university", "us_institution", "tohoku-university"),
    ],
)
def test_an_unknown_value_makes_the_search_invalid_and_names_the_value(
    world, query, field, value
):
    """The form is invalid; the error is on that parameter and quotes the value."""
    filterset = search(query)
    assert not filterset.is_valid()
    assert list(filterset.errors) == [field]
    assert value in " ".join(filterset.errors[field])


def test_an_unreadable_value_is_left_out_and_the_rest_still_applies(world):
    """discipline=nope is dropped; classification=collaborative still narrows."""
    assert names(world, "discipline=nope&classification=collaborative") == {
        "seismic",
        "history",
    }


def test_active_until_before_active_from_is_an_error_on_year_to(world):
    """year_from=2020&year_to=2018 says why; year_from still applies alone."""
    filterset = search("year_from=2020&year_to=2018")
    assert not filterset.is_valid()
    assert "cannot be before" in " ".join(filterset.errors["year_to"])
    assert names(world, "year_from=2020&year_to=2018") == names(world, "year_from=2020")


def test_the_default_sort_is_newest_and_relevance_needs_text(world):
    """Without q the search is newest first, even if relevance is asked for; with q it
    is relevance unless another order is asked for."""
    assert search("").sort_key == Sort.NEWEST
    assert search("sort=relevance").sort_key == Sort.NEWEST
    assert search("q=ocean").sort_key == Sort.RELEVANCE
    assert search("q=ocean&sort=title").sort_key == Sort.TITLE


# -- The engine means what the FilterSet means ---------------------------------------

TEXTS = [
    "tohoku",
    "東北大",
    "ＴＯＨＯＫＵ",
    "university",
    "research partnership",
    "quantum",
    "NSF",
    "京都",
    "synthetic",
    "nothing-matches-this",
    "partner",  # a prefix of words (partners, partnership)
    "東",  # a prefix of Japanese bigrams
    "医学",  # and its English equivalents
    "harv univ",
]


def filter_values(declared) -> list[str]:
    """Values to try for a declared filter, drawn from the filter itself: the records
    it names that agreements have (and one it does not know), its choices, years, words
    or, for any other filter on a column, the column's values. Sorted, so a seeded
    choice is the same on every database."""
    if isinstance(declared, SlugsFilter):
        used = AgreementFacet.objects.filter(dimension__in=declared.dimensions)
        field = declared.extra["to_field_name"]
        records = declared.queryset.filter(pk__in=used.values("value"))
        return sorted(set(records.values_list(field, flat=True))) + ["not-known"]
    if isinstance(declared, django_filters.ChoiceFilter | MultipleChoiceFilter):
        return [value for value, _label in declared.extra["choices"]]
    if isinstance(declared, YearFilter):
        return [str(year) for year in range(2014, 2029)] + ["abc"]
    if isinstance(declared, django_filters.CharFilter):
        return TEXTS
    if isinstance(declared, django_filters.BooleanFilter):
        return ["1", "0"]
    column = Agreement._meta.get_field(declared.field_name)
    found = Agreement.objects.exclude(**{f"{column.name}__isnull": True})
    return sorted({str(v) for v in found.values_list(column.name, flat=True)})[::7]


def combinations(count: int, seed: int = 0, filterset_class=None) -> list[str]:
    """Each declared filter alone once, then ``count`` searches of one to three
    filters, one or two values each, as query strings."""
    declared = (filterset_class or AgreementFilterSet).base_filters
    rng = random.Random(seed)
    values = {name: filter_values(declared[name]) for name in sorted(declared)}
    many = {
        name
        for name, one in declared.items()
        if isinstance(one, MultipleChoiceFilter | ModelMultipleChoiceFilter)
    }
    queries = [urlencode([(name, rng.choice(values[name]))]) for name in values]
    for _ in range(count):
        params = []
        for name in rng.sample(sorted(values), rng.choice((1, 1, 2, 2, 3))):
            chosen = rng.sample(values[name], rng.choice((1, 2)) if name in many else 1)
            params += [(name, value) for value in chosen]
        queries.append(urlencode(params))
    return queries


def engine_result(filterset: AgreementFilterSet, *, facets: bool = False):
    dimensions = filterset.facet_dimensions() if facets else {}
    return published_index().search(filterset.criteria(), facet_dimensions=dimensions)


def sql_facet_counts(filterset: AgreementFilterSet, name: str) -> dict:
    """A facet's counts in SQL: the search without the facet's own filter, grouped by
    the facet's values."""
    kept = filterset.filter_queryset(filterset.queryset, without={name}).order_by()
    dimension = filterset.filters[name].facet_dimension
    if dimension == "classification":
        rows = kept.values_list("classification").annotate(n=Count("pk"))
    elif dimension == "status":
        rows = kept.with_status().values_list("status").annotate(n=Count("pk"))
    else:
        rows = (
            AgreementFacet.objects.filter(
                agreement__in=kept.values("pk"), dimension=dimension
            )
            .values_list("value")
            .annotate(n=Count("agreement", distinct=True))
        )
    return dict(rows)


def assert_engine_matches_sql(filterset_class, queries) -> int:
    """For each search: every chosen filter has a meaning in the engine, and the
    engine lists the same agreements as the FilterSet's SQL, in the same order, with
    every facet counted alike. Returns how many searches found something."""
    non_empty = 0
    for query in queries:
        filterset = filterset_class(
            QueryDict(query), queryset=Agreement.objects.published()
        )
        criteria = filterset.criteria()
        assert not criteria.sql_fallbacks, (
            f"{', '.join(criteria.sql_fallbacks)}: no meaning in the search engine "
            "(give the filter an engine_condition)"
        )
        result = published_index().search(
            criteria, facet_dimensions=filterset.facet_dimensions()
        )
        expected = list(filterset.ordered(filterset.qs).values_list("pk", flat=True))
        if criteria.sort == Sort.RELEVANCE and criteria.text_condition:
            # Relevance is the engine's own (BM25; SQL ranks with ts_rank): the same
            # agreements, best first by the engine's scores.
            assert sorted(result.ids.tolist()) == sorted(expected), query
            assert_best_first(criteria.text, result.ids)
        else:
            assert result.ids.tolist() == expected, query
        assert result.count == len(expected), query
        for name, counts in result.facet_counts.items():
            engine_counts = {value: n for value, n in counts.items() if n}
            assert engine_counts == sql_facet_counts(filterset, name), (query, name)
        non_empty += bool(expected)
    return non_empty


def assert_best_first(text: str, ids) -> None:
    """``ids`` are in descending BM25 score, ties newest first."""
    index = published_index()
    _keep, scores = index.text.match(text, index.ids)
    scores = scores[index.positions(ids)]
    keys = list(zip(-scores, -np.asarray(ids), strict=True))
    assert keys == sorted(keys), text


@pytest.fixture
def richer_world(world):
    """The small world plus 300 synthetic agreements (about 30 of them unpublished)."""
    seed_demo_agreements(count=300, seed=1)
    return world


def test_the_engine_finds_exactly_what_the_filterset_finds(richer_world):
    """Every declared filter alone, then 40 seeded searches (valid, invalid and
    empty ones): the in-memory engine returns the same agreements as the FilterSet's
    SQL, as many, in the same order, and counts every facet as SQL does."""
    queries = combinations(40)
    searched = {name for query in queries for name in QueryDict(query)}
    assert searched == set(AgreementFilterSet.base_filters)
    non_empty = assert_engine_matches_sql(AgreementFilterSet, queries)
    assert non_empty >= 25  # the comparison is not only of empty results


class SearchWithFundingFloor(AgreementFilterSet):
    """A filter added with no meaning for the engine (the review's probe)."""

    funding_min = django_filters.NumberFilter(
        field_name="funding_amount", lookup_expr="gte"
    )


def test_a_filter_without_an_engine_meaning_fails_the_comparison(richer_world):
    with pytest.raises(AssertionError, match="funding_min: no meaning"):
        assert_engine_matches_sql(
            SearchWithFundingFloor,
            combinations(5, filterset_class=SearchWithFundingFloor),
        )


def test_a_filter_without_an_engine_meaning_is_evaluated_in_sql_and_said(
    richer_world, caplog
):
    """The probe that the engine once ignored (all agreements instead of those
    funded at or above the floor): both paths now agree, and the log and the metric
    say the engine fell back to SQL."""
    amounts = sorted(
        Agreement.objects.published()
        .exclude(funding_amount__isnull=True)
        .values_list("funding_amount", flat=True)
    )
    query = f"funding_min={amounts[len(amounts) // 2]}"
    filterset = SearchWithFundingFloor(
        QueryDict(query), queryset=Agreement.objects.published()
    )
    expected = list(filterset.ordered(filterset.qs).values_list("pk", flat=True))
    before = metrics.value("search.sql_fallback")
    with caplog.at_level(logging.WARNING, logger="registry.conditions"):
        result = engine_result(filterset)
    assert 0 < len(expected) < Agreement.objects.published().count()
    assert result.ids.tolist() == expected
    assert metrics.value("search.sql_fallback") == before + 1
    assert "'funding_min' has no meaning in the search engine" in caplog.text


def test_every_facet_count_is_what_choosing_that_option_would_return(richer_world):
    """Each option's count equals the SQL count of the search with that option chosen
    instead of the facet's current values (a facet is counted under the OTHER filters),
    for a few searches (hand-picked and seeded) and every facet option shown."""
    queries = [
        "",
        "classification=consortium",
        "discipline=natural-sciences&status=active",
        "us_state=CA&us_state=MA&sector=government",
        "q=university&year_from=2019&year_to=2020",
        *combinations(3, seed=1),
    ]
    compared = 0
    for query in queries:
        filterset = search(query)
        result = engine_result(filterset, facets=True)
        params = QueryDict(query)
        for facet in describe_facets(filterset, result):
            others = [
                (key, value)
                for key, values in params.lists()
                if key != facet.name
                for value in values
            ]
            for option in facet.options:
                chosen = urlencode(others + [(facet.name, option.value)])
                assert option.count == search(chosen).qs.count(), (query, chosen)
                compared += 1
    assert compared > 200


def index_snapshot():
    """The synthetic agreements' facet rows, and their token documents."""
    synthetic = Agreement.objects.filter(is_synthetic=True)
    facets = sorted(
        AgreementFacet.objects.filter(agreement__in=synthetic).values_list(
            "agreement_id", "dimension", "value"
        )
    )
    documents = list(
        synthetic.order_by("pk").values_list("pk", "search_title", "search_text")
    )
    return facets, documents


def test_the_demo_generator_indexes_agreements_as_a_full_reindex_does(db):
    """seed_demo writes facet rows and token documents itself; rebuilding the whole
    index afterwards finds every agreement by the same facet values and the same
    words."""
    seed_demo_agreements(count=50, seed=3)
    facets, documents = index_snapshot()
    assert len(facets) > 50 * 8 and len(documents) == 50
    assert all(title and text for _pk, title, text in documents)

    refresh_agreement_index()

    facets_after, documents_after = index_snapshot()
    assert facets_after == facets
    assert [(pk, title, sorted(text.split())) for pk, title, text in documents] == [
        (pk, title, sorted(text.split())) for pk, title, text in documents_after
    ]


def test_the_demo_generator_writes_the_same_token_documents_as_a_full_reindex(db):
    """Byte for byte: a reindex of demo agreements rewrites no document."""
    seed_demo_agreements(count=50, seed=3)
    before = index_snapshot()
    refresh_agreement_index()
    assert index_snapshot() == before

"""The directories' filters (/institutions/, /organizations/) as facets: each option
counted as choosing it would find, under the search's other filters, from the one
FilterSet the page and the API share; and the "Filters (n)" every search page shows."""

import html
import re

import pytest
from django.http import QueryDict

from registry.demo import seed_demo_agreements
from registry.engine import published_index
from registry.facets import describe_directory_facets
from registry.filtersets import InstitutionFilterSet, OrganizationFilterSet
from registry.models import Institution, Organization, PublicationState
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db

DIRECTORIES = {
    InstitutionFilterSet: Institution.objects.select_related("region"),
    OrganizationFilterSet: Organization.objects.all(),
}
SEARCHES = {
    InstitutionFilterSet: [
        "",
        "country=US",
        "country=JP&type=jp_national&type=jp_private",
        "us_state=CA&us_state=MA&research_classification=r1",
        "has_agreements=true&jp_prefecture=miyagi&jp_prefecture=tokyo",
        "q=university&has_agreements=true&sort=name",
        "has_agreements=false&country=US",
        "country=XX&type=us_public",  # an unreadable country is left out
    ],
    OrganizationFilterSet: [
        "",
        "sector=government",
        "sector=government&sector=ngo&country=JP",
        "has_agreements=true&country=US",
        "q=science&has_agreements=false",
    ],
}


@pytest.fixture
def steady_index(settings):
    """The index read, and then not checked for a newer version during the test (as
    in a served process, where it is refreshed off the request path): only the
    queries of the page are counted."""
    published_index()
    settings.SEARCH_INDEX_REFRESH_SECONDS = 3600


@pytest.fixture
def registry(db):
    """The reference data and 150 synthetic agreements (some of them unpublished)."""
    seed_demo_agreements(count=150, seed=4)


def found(filterset_class, query: QueryDict) -> int:
    return filterset_class(query, queryset=DIRECTORIES[filterset_class]).qs.count()


def instead(query: str, name: str, value: str) -> QueryDict:
    """The search with ``value`` chosen in place of the facet's own values ("" for
    none)."""
    changed = QueryDict(query, mutable=True)
    changed.pop(name, None)
    if value:
        changed.setlist(name, [value])
    return changed


@pytest.mark.parametrize("filterset_class", list(DIRECTORIES))
def test_each_option_counts_what_choosing_it_would_find(registry, filterset_class):
    """For every option shown, its count is the number of records the FilterSet finds
    with that option chosen instead of the facet's values: the other filters apply."""
    compared = 0
    for query in SEARCHES[filterset_class]:
        filterset = filterset_class(
            QueryDict(query), queryset=DIRECTORIES[filterset_class]
        )
        for facet in describe_directory_facets(filterset):
            for option in facet.options:
                expected = found(
                    filterset_class, instead(query, facet.name, option.value)
                )
                assert option.count == expected, (query, facet.name, option.value)
                compared += 1
    assert compared > 25


def test_the_other_filters_narrow_a_facets_counts_but_its_own_values_do_not(registry):
    """With Japan chosen, the U.S. states count nothing, the types count Japanese
    institutions only, and the country facet still counts both countries."""
    facets = {
        facet.name: facet
        for facet in describe_directory_facets(
            InstitutionFilterSet(
                QueryDict("country=JP"), queryset=Institution.objects.all()
            )
        )
    }
    assert facets["us_state"].options == []
    assert {option.value for option in facets["type"].options} <= {
        "jp_national",
        "jp_public",
        "jp_private",
        "jp_inter_university",
    }
    countries = {option.value: option for option in facets["country"].options}
    assert countries["JP"].selected and not countries[""].selected
    assert countries["US"].count == Institution.objects.filter(country="US").count()
    assert countries[""].count == Institution.objects.count()


def test_only_published_agreements_count(db):
    """A draft makes no institution one "with published agreements"; publishing it
    does."""
    lonely = (
        Institution.objects.filter(country="US")
        .exclude(pk__in=list(published_index().institution_counts))
        .first()
    )

    def with_agreements() -> int:
        (facet, *_rest) = describe_directory_facets(
            InstitutionFilterSet(QueryDict(), queryset=Institution.objects.all())
        )
        (option,) = facet.options
        assert option.value == "true"
        return option.count

    before = with_agreements()
    assert before == len(published_index().institution_counts)
    partner = ("nagoya-university",)  # in every agreement of the fact sheet
    make_agreement(us=(lonely.slug,), jp=partner, state=PublicationState.DRAFT)
    assert with_agreements() == before
    make_agreement(us=(lonely.slug,), jp=partner, title="Published at last")
    assert with_agreements() == before + 1


@pytest.mark.parametrize(
    "filterset_class, query, queries",
    [
        # One query to read the chosen state, one for each of the six facets.
        (InstitutionFilterSet, "us_state=CA&type=us_public&q=univ", 7),
        (OrganizationFilterSet, "sector=government&country=US", 3),
    ],
)
def test_each_facet_is_counted_in_one_query(
    registry, steady_index, django_assert_num_queries, filterset_class, query, queries
):
    filterset = filterset_class(QueryDict(query), queryset=DIRECTORIES[filterset_class])
    with django_assert_num_queries(queries):
        facets = describe_directory_facets(filterset)
    assert [facet.name for facet in facets] == filterset_class.FACETS


def test_the_institution_page_reads_in_a_fixed_number_of_queries(
    registry, steady_index, client, django_assert_num_queries
):
    """The records, the chosen states and the six facets, however many options."""
    for query in ("us_state=CA", "us_state=CA&us_state=NY&us_state=MA&country=US"):
        with django_assert_num_queries(8):
            assert client.get(f"/institutions/?{query}").status_code == 200


# -- The pages -------------------------------------------------------------------------


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def options(page: str) -> list[tuple[str, str, str, bool, int]]:
    """(input type, name, value, checked, count) of each facet option shown."""
    found = re.findall(
        r'<input type="(checkbox|radio)" name="(\w+)" value="([^"]*)"( checked)?> '
        r'.*? <span class="count">([\d,]+)</span>',
        page,
    )
    return [
        (kind, name, html.unescape(value), bool(checked), int(count.replace(",", "")))
        for kind, name, value, checked, count in found
    ]


def filters_summary(page: str) -> str:
    match = re.search(
        r'<details class="filters">\s*<summary>(.*?)</summary>', page, re.S
    )
    assert match, "no filters disclosure on the page"
    return match.group(1).strip()


@pytest.mark.parametrize(
    "path, filterset_class",
    [
        ("/institutions/", InstitutionFilterSet),
        ("/organizations/", OrganizationFilterSet),
    ],
)
def test_the_directories_offer_choices_with_counts_and_no_multiple_selects(
    client, path, filterset_class
):
    page = page_of(client, path)
    assert "<select multiple" not in page and " multiple>" not in page
    assert "---------" not in page
    assert "Unknown" not in page
    shown = options(page)
    assert {name for _kind, name, *_rest in shown} == set(filterset_class.FACETS)
    # One checkbox for agreements, unchecked: every record is listed by default.
    (agreements,) = [option for option in shown if option[1] == "has_agreements"]
    assert agreements[:4] == ("checkbox", "has_agreements", "true", False)
    assert "Only those with published agreements" in page
    # The country is one choice: "Any country" until one is chosen.
    countries = [option for option in shown if option[1] == "country"]
    assert {kind for kind, *_rest in countries} == {"radio"}
    assert countries[0][2:4] == ("", True)


def test_the_institution_directory_sorts_by_most_agreements_by_default(client):
    page = page_of(client, "/institutions/")
    assert re.search(
        r'<select name="sort" id="id_sort">\s*<option value="agreements">',
        page,
    )


def test_an_institution_search_shows_its_choices_checked(client):
    page = page_of(client, "/institutions/?country=US&us_state=CA&type=us_public")
    checked = {
        (name, value) for _kind, name, value, checked, _n in options(page) if checked
    }
    assert checked == {("country", "US"), ("us_state", "CA"), ("type", "us_public")}


def test_asking_for_records_without_agreements_can_be_undone(client):
    """has_agreements=false (an API value) shows as a checked box, to be unchecked."""
    page = page_of(client, "/organizations/?has_agreements=false")
    (agreements,) = [
        option for option in options(page) if option[1] == "has_agreements"
    ]
    assert agreements[2:4] == ("false", True)
    assert "Only those without published agreements" in page


@pytest.mark.parametrize(
    "url, summary",
    [
        ("/institutions/", "Filters"),
        ("/institutions/?q=university&sort=name", "Filters"),
        (
            "/institutions/?country=US&type=us_public&type=us_private_nonprofit",
            "Filters (3)",
        ),
        ("/institutions/?has_agreements=false", "Filters (1)"),
        ("/institutions/?country=XX&us_state=CA", "Filters (1)"),  # XX is left out
        ("/organizations/?sector=government&has_agreements=true", "Filters (2)"),
        ("/agreements/", "Filters"),
        (
            "/agreements/?q=university&classification=collaborative&us_state=CA",
            "Filters (2)",
        ),
        (
            "/agreements/?year_from=2019&year_to=2020&status=active&sort=title",
            "Filters (3)",
        ),
    ],
)
def test_the_filters_summary_counts_the_values_chosen(client, url, summary):
    """The search words and the order are not filters; each chosen value is one."""
    assert filters_summary(page_of(client, url)) == summary


@pytest.mark.parametrize("path", ["/institutions/", "/organizations/"])
def test_every_directory_cell_is_labelled_for_the_phone_layout(client, path):
    page = page_of(client, path)
    table = page[page.index('<table class="directory">') : page.index("</table>")]
    body = table[table.index("<tbody>") :]
    cells = re.findall(r"<td[^>]*>", body)
    assert cells and all('data-label="' in cell for cell in cells)
    assert body.count('<th scope="row">') == body.count("<tr>")


def test_the_api_reads_the_same_parameters(client, settings):
    """has_agreements, now a facet of both directories, filters the API too."""
    settings.API_ANON_RATE = None
    body = client.get("/api/v1/organizations/?has_agreements=true&page_size=500").json()
    counts = published_index().organization_counts
    assert body["count"] == len(counts)
    assert {row["slug"] for row in body["results"]} == set(
        Organization.objects.filter(pk__in=list(counts)).values_list("slug", flat=True)
    )

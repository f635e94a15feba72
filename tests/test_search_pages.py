"""The public search pages through the test client: what a visitor sees, and that no
query string, however malformed, makes them fail."""

import datetime as dt
import html
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.utils import timezone

from registry.demo import seed_demo_agreements
from registry.engine import published_index
from registry.models import (
    Agreement,
    AgreementParticipant,
    DataSource,
    Institution,
    InstitutionType,
    ParticipantRole,
    Program,
    PublicationState,
    ResearchClassification,
    SourceRecord,
)
from registry.search import refresh_agreement_index
from registry.services import institutions_merge
from registry.services.directory import institution_save
from tests.factories import institution, make_agreement

pytestmark = pytest.mark.django_db

FACT_SHEET_AGREEMENTS = 6  # the published agreements of the reference data


# -- Reading pages ---------------------------------------------------------------------


def get_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def result_count(page: str) -> int:
    match = re.search(r'<h2 id="results-heading">([\d,]+) agreements?</h2>', page)
    assert match, "no result count on the page"
    return int(match.group(1).replace(",", ""))


def result_titles(page: str) -> list[str]:
    titles = re.findall(r'<li class="result">\s*<h3><a href="[^"]*">(.*?)</a>', page)
    return [html.unescape(title) for title in titles]


def result_ids(page: str) -> list[str]:
    return re.findall(r'<p class="meta">\s*(USJP-\d+)', page)


def facet_options(page: str) -> list[tuple[str, str, str, int]]:
    """(facet name, URL value, label, count) of every facet option shown."""
    found = re.findall(
        r'<input type="checkbox" name="(\w+)" value="([^"]*)"(?: checked)?> '
        r'(.*?) <span class="count">([\d,]+)</span>',
        page,
    )
    return [
        (name, html.unescape(value), html.unescape(label), int(count.replace(",", "")))
        for name, value, label, count in found
    ]


def notices(page: str) -> list[str]:
    block = re.search(
        r'<div class="notice notice-error" role="alert">(.*?)</div>', page, re.S
    )
    if not block:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block[1])]


def link_query(page: str, rel: str) -> dict[str, list[str]]:
    """The query of the pagination link with this rel, as a dict of lists."""
    match = re.search(rf'<a rel="{rel}" href="([^"]*)">', page)
    assert match, f"no {rel} link"
    query = {}
    for key, value in parse_qsl(urlsplit(html.unescape(match[1])).query):
        query.setdefault(key, []).append(value)
    return query


def section(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


# -- The search page -------------------------------------------------------------------


def test_the_search_page_shows_the_count_the_results_and_facets_with_counts(client):
    """Unfiltered: the six fact-sheet agreements, their titles, and facets counting
    them (six collaborative agreements, six in clinical medicine)."""
    page = get_page(client, "/agreements/")
    assert result_count(page) == FACT_SHEET_AGREEMENTS
    assert "6 agreements" in page
    titles = result_titles(page)
    assert len(titles) == FACT_SHEET_AGREEMENTS
    assert all(title.startswith("Clinical clerkship exchange") for title in titles)
    options = {(name, value): count for name, value, _, count in facet_options(page)}
    assert options[("classification", "collaborative")] == 6
    assert options[("discipline", "clinical-medicine")] == 6
    assert options[("jp_institution", "nagoya-university")] == 6
    assert options[("us_institution", "duke-university")] == 1


def test_one_result_is_counted_in_the_singular(client):
    """One match reads “1 agreement”, not “1 agreements”."""
    page = get_page(client, "/agreements/?us_institution=duke-university")
    assert "1 agreement</h2>" in page
    assert result_count(page) == 1


@pytest.mark.parametrize(
    "base",
    ["", "classification=consortium&year_from=2019", "q=university&status=active"],
)
def test_each_facet_count_is_the_count_of_the_search_with_that_option(client, base):
    """Following an option into the URL gives exactly the number shown beside it. A
    facet counts its options under the other filters, so an option of a facet in use
    replaces that facet's values."""
    seed_demo_agreements(count=40, seed=5)
    page = get_page(client, f"/agreements/?{base}")
    options = facet_options(page)
    assert len({name for name, *_ in options}) >= 10  # most facets have options
    params = parse_qsl(base)
    for name, value, label, count in options:
        others = [(key, v) for key, v in params if key != name]
        chosen = get_page(client, "/agreements/?" + urlencode(others + [(name, value)]))
        assert result_count(chosen) == count, (base, name, value, label)


@pytest.fixture
def sortable(db):
    """Three agreements of Hokkaido University whose title, start and publication
    orders all differ."""
    now = timezone.now()
    specs = [
        ("Sortable alpha", dt.date(2017, 5, 1), now - dt.timedelta(days=3)),
        ("Sortable beta", dt.date(2019, 5, 1), now - dt.timedelta(days=1)),
        ("Sortable gamma", dt.date(2020, 5, 1), now - dt.timedelta(days=2)),
    ]
    return [
        make_agreement(
            title=title,
            jp=("hokkaido-university",),
            start_date=start,
            published_at=published,
        )
        for title, start, published in specs
    ]


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("title", ["Sortable alpha", "Sortable beta", "Sortable gamma"]),
        ("start", ["Sortable gamma", "Sortable beta", "Sortable alpha"]),
        ("newest", ["Sortable beta", "Sortable gamma", "Sortable alpha"]),
        ("", ["Sortable beta", "Sortable gamma", "Sortable alpha"]),  # the default
    ],
)
def test_results_are_sorted_as_asked(client, sortable, sort, expected):
    """Title A–Z; latest start first; most recently published first (the default)."""
    page = get_page(
        client, f"/agreements/?jp_institution=hokkaido-university&sort={sort}"
    )
    assert result_titles(page) == expected
    chosen = sort or "newest"
    assert f'<option value="{chosen}" selected>' in page


def test_sorting_by_title_orders_a_whole_page_alphabetically(client):
    """With a hundred synthetic agreements, a page sorted by title reads A–Z."""
    seed_demo_agreements(count=100, seed=4)
    titles = result_titles(get_page(client, "/agreements/?sort=title&per_page=50"))
    assert len(titles) == 50
    assert titles == sorted(titles, key=str.casefold)


def test_relevance_is_offered_only_when_searching_for_text(client, sortable):
    """Without q there is no relevance order (asking for it gives newest first); with
    q it is offered and chosen by default."""
    plain = get_page(client, "/agreements/?jp_institution=hokkaido-university")
    assert '<option value="relevance"' not in plain
    asked = get_page(
        client, "/agreements/?jp_institution=hokkaido-university&sort=relevance"
    )
    assert '<option value="relevance"' not in asked
    assert '<option value="newest" selected>' in asked
    searching = get_page(client, "/agreements/?q=sortable")
    assert '<option value="relevance" selected>' in searching
    assert sorted(result_titles(searching)) == [a.title for a in sortable]


@pytest.fixture
def many(db):
    """120 synthetic agreements besides the fact sheet's."""
    seed_demo_agreements(count=120, seed=2)


def test_pagination_links_keep_every_filter(client, many):
    """Next and previous carry q, the filters, the sort and the page size."""
    query = (
        "q=university&discipline=natural-sciences&discipline=engineering-and-technology"
        "&sort=title&per_page=10"
    )
    first = get_page(client, f"/agreements/?{query}")
    total = result_count(first)
    assert total > 20, "the search must need three pages"
    expected = {
        "q": ["university"],
        "discipline": ["natural-sciences", "engineering-and-technology"],
        "sort": ["title"],
        "per_page": ["10"],
    }
    assert link_query(first, "next") == {**expected, "page": ["2"]}
    second = get_page(client, f"/agreements/?{query}&page=2")
    assert link_query(second, "next") == {**expected, "page": ["3"]}
    assert link_query(second, "prev") == {**expected, "page": ["1"]}
    assert result_count(second) == total
    assert len(result_ids(first)) == len(result_ids(second)) == 10
    assert not set(result_ids(first)) & set(result_ids(second))


@pytest.mark.parametrize("per_page", [10, 100])
def test_per_page_sets_the_number_of_results_shown(client, many, per_page):
    """per_page=10 shows ten results, per_page=100 a hundred, of the same total."""
    page = get_page(client, f"/agreements/?per_page={per_page}")
    total = result_count(page)
    assert total > 100
    assert len(result_titles(page)) == per_page
    assert f'<option value="{per_page}" selected>' in page


def test_a_page_past_the_end_shows_the_last_page_and_says_so(client, many):
    """page=999: status 200, a notice, and the last page's results."""
    response = client.get("/agreements/?per_page=10&page=999")
    assert response.status_code == 200
    page = response.content.decode()
    total = result_count(page)
    last = -(-total // 10)
    assert notices(page) == [
        f"There is no page 999: the last page is {last}, shown here."
    ]
    assert f"Page {last} of {last}" in page
    assert len(result_titles(page)) == total - (last - 1) * 10


@pytest.mark.parametrize("number", ["abc", "0", "-1"])
def test_an_unreadable_page_number_shows_the_first_page_and_says_so(
    client, many, number
):
    """page=abc, 0 or -1: status 200, page 1, and a notice quoting the value."""
    page = get_page(client, f"/agreements/?per_page=10&page={number}")
    assert notices(page) == [f"“{number}” is not a page number: showing page 1."]
    assert "Page 1 of" in page
    assert len(result_titles(page)) == 10


def test_an_unknown_page_size_falls_back_and_says_so(client, many):
    """per_page=7 is not offered: 25 per page, and a notice listing the sizes."""
    page = get_page(client, "/agreements/?per_page=7")
    assert notices(page) == [
        "“7” is not a page size: showing 25 per page (choose 10, 25, 50 or 100)."
    ]
    assert len(result_titles(page)) == 25


def test_an_unknown_filter_value_is_named_in_a_notice_and_left_out(client):
    """discipline=nope: status 200, the Discipline filter named, the rest applied."""
    response = client.get("/agreements/?discipline=nope&us_institution=duke-university")
    assert response.status_code == 200
    page = response.content.decode()
    [notice] = notices(page)
    assert notice.startswith("Discipline: ")
    assert "nope" in notice and "This filter was left out." in notice
    assert result_count(page) == 1


def test_active_until_before_active_from_is_explained(client):
    """year_from=2020&year_to=2018: a notice naming the “Active until” filter."""
    page = get_page(client, "/agreements/?year_from=2020&year_to=2018")
    assert notices(page) == [
        "Active until (year): “Active until” cannot be before “active from”. "
        "This filter was left out."
    ]


def test_a_search_without_results_says_so_and_suggests_what_to_try(client):
    """No match: “0 agreements”, the empty-state text and advice on the words."""
    page = get_page(client, "/agreements/?q=zyxwvut")
    assert result_count(page) == 0
    assert "No agreements match this search." in page
    assert "Try fewer or different words" in page
    assert result_titles(page) == []


# -- The agreement page ----------------------------------------------------------------


@pytest.fixture
def detailed(db):
    """A consortium with units and roles on both sides, a partner, a cited source, and
    an agreement sharing one of its institutions."""
    agreement = make_agreement(
        title="Clinical immunology consortium",
        us=(),
        jp=(),
        partners=("national-science-foundation",),
        published_at=timezone.now(),
    )
    for slug, role, unit in [
        ("harvard-university", ParticipantRole.LEAD, "School of Medicine"),
        ("duke-university", ParticipantRole.MEMBER, ""),
        ("tohoku-university", ParticipantRole.PARTNER, "Graduate School of Medicine"),
    ]:
        AgreementParticipant.objects.create(
            agreement=agreement, institution=institution(slug), role=role, unit=unit
        )
    SourceRecord.objects.create(
        agreement=agreement,
        data_source=DataSource.objects.get(slug="jsps"),
        source_identifier="19H05601",
        url="https://kaken.nii.ac.jp/grant/KAKENHI-PROJECT-19H05601/",
        retrieved_on=dt.date(2024, 5, 1),
    )
    refresh_agreement_index(agreement_ids=[agreement.pk])
    related = make_agreement(
        title="Tohoku scholar exchange", us=("stanford-university",)
    )
    return agreement, related


def test_the_agreement_page_groups_participants_by_country_with_roles_and_units(
    client, detailed
):
    """U.S. institutions under “United States”, Japanese ones under “Japan”, each
    with its unit, role and state or prefecture."""
    agreement, _related = detailed
    page = get_page(client, agreement.get_absolute_url())
    united_states = section(page, "<h3>United States</h3>", "</section>")
    japan = section(page, "<h3>Japan</h3>", "</section>")
    assert re.search(
        r"Harvard University</a>, School of Medicine <span class=\"muted\">"
        r"\(Lead, Massachusetts\)",
        united_states,
    )
    assert re.search(
        r"Duke University</a> <span class=\"muted\">\(Member,", united_states
    )
    assert "Tohoku" not in united_states
    assert re.search(
        r"Tohoku University</a>, Graduate School of Medicine "
        r"<span class=\"muted\">\(Partner, Miyagi\)",
        japan,
    )
    assert "Harvard" not in japan


def test_the_agreement_page_shows_partners_sources_citation_and_related(
    client, detailed
):
    """Partners with role and sector; sources with identifier and retrieval date; a
    citation with the public ID and permalink; agreements sharing an institution."""
    agreement, related = detailed
    page = get_page(client, agreement.get_absolute_url())
    partners = section(page, "Non-higher-education partners</h2>", "</ul>")
    assert "National Science Foundation</a> — Funder, Government agency" in partners
    sources = section(page, "Sources</h2>", "</ul>")
    assert "Japan Society for the Promotion of Science (JSPS): 19H05601" in sources
    assert "retrieved 2024-05-01" in sources
    permalink = f"http://testserver/agreements/{agreement.public_id}/"
    citation = section(page, '<p class="citation">', "</p>")
    assert citation.startswith("Clinical immunology consortium. ")
    assert agreement.public_id in citation
    assert f'<a href="{permalink}">{permalink}</a>' in citation
    related_part = page.split("Related agreements</h2>", 1)[1]
    assert related.title in related_part
    assert related.public_id in related_part
    assert agreement.get_absolute_url() not in related_part


@pytest.mark.parametrize("state", [PublicationState.DRAFT, PublicationState.WITHDRAWN])
def test_unpublished_agreements_appear_nowhere_in_public(client, state):
    """An unpublished agreement is in no result, count, facet, institution or
    organization page, program page or export."""
    program = Program.objects.get(slug="us-japan-science-and-technology-agreement")
    make_agreement(
        title="Visible partnership",
        jp=("hokkaido-university",),
        partners=("national-science-foundation",),
    )
    for number in (1, 2):
        make_agreement(
            title=f"Hidden partnership {number}",
            jp=("hokkaido-university",),
            partners=("riken",),
            program=program,
            state=state,
        )
    search = get_page(client, "/agreements/")
    assert result_count(search) == FACT_SHEET_AGREEMENTS + 1
    assert "Hidden" not in search
    options = {(name, value): count for name, value, _, count in facet_options(search)}
    assert options[("jp_institution", "hokkaido-university")] == 1
    assert ("organization", "riken") not in options
    assert ("program", program.slug) not in options
    assert result_count(get_page(client, "/agreements/?q=hidden")) == 0
    institution_page = get_page(client, "/institutions/hokkaido-university/")
    assert "1 agreement</h2>" in institution_page
    assert "Hidden" not in institution_page
    assert "0 agreements</h2>" in get_page(client, "/organizations/riken/")
    assert "0 agreements</h2>" in get_page(client, program.get_absolute_url())
    directory = get_page(client, "/institutions/?q=hokkaido+university&country=JP")
    assert dict(institution_rows(directory))["Hokkaido University"] == 1
    export = b"".join(client.get("/agreements/?export=csv").streaming_content)
    assert b"Visible partnership" in export and b"Hidden" not in export


# -- Institutions, organizations, programs ---------------------------------------------


def institution_rows(page: str) -> list[tuple[str, int]]:
    """(name, agreement count) of each directory row."""
    rows = re.findall(
        r'<tr>\s*<th scope="row"><a href="[^"]*">(.*?)</a>.*?'
        r'<td class="number"[^>]*>([\d,]+)</td>',
        page,
        re.S,
    )
    return [(html.unescape(name), int(count.replace(",", ""))) for name, count in rows]


def directory_count(page: str) -> int:
    match = re.search(r'<h2 id="results-heading">([\d,]+) institutions?</h2>', page)
    assert match, "no institution count on the page"
    return int(match.group(1).replace(",", ""))


def assert_directory_lists(page: str, institutions) -> None:
    """The page counts exactly these institutions and lists the first 50 by name."""
    institutions = list(institutions)
    assert 0 < len(institutions) < Institution.objects.count()
    assert directory_count(page) == len(institutions)
    names = [name for name, _count in institution_rows(page)]
    assert names == sorted((i.name for i in institutions), key=str.casefold)[:50]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("country=JP", {"country": "JP"}),
        ("type=jp_national", {"institution_type": InstitutionType.JP_NATIONAL}),
        (
            "research_classification=r1",
            {"research_classification": ResearchClassification.R1},
        ),
        (
            "country=US&type=us_public&type=us_private_nonprofit",
            {"institution_type__in": ["us_public", "us_private_nonprofit"]},
        ),
        ("q=東北", {"name_ja__contains": "東北"}),
    ],
)
def test_the_institution_directory_filters(client, query, expected):
    """Each filter keeps exactly the institutions it names (counted, and the first page
    listed by name)."""
    page = get_page(client, f"/institutions/?{query}&sort=name")
    assert_directory_lists(page, Institution.objects.filter(**expected))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("jp_prefecture=miyagi", {"region__slug": "miyagi", "country": "JP"}),
        ("jp_prefecture=Miyagi", {"region__slug": "miyagi", "country": "JP"}),
        ("us_state=CA", {"region__code": "CA", "country": "US"}),
        ("us_state=ca", {"region__code": "CA", "country": "US"}),
        (
            "us_state=CA&us_state=WA",
            {"region__code__in": ["CA", "WA"], "country": "US"},
        ),
    ],
)
def test_the_institution_directory_filters_by_prefecture_and_state(
    client, query, expected
):
    """jp_prefecture=miyagi lists Tohoku University and the other Miyagi institutions;
    us_state=CA (or ca) the Californian ones. (These were 500s: the filters compared
    region with the slug itself.)"""
    page = get_page(client, f"/institutions/?{query}&sort=name")
    assert_directory_lists(page, Institution.objects.filter(**expected))
    if "miyagi" in query.lower():
        assert "Tohoku University" in page


def test_the_directory_finds_institutions_with_published_agreements(client):
    """has_agreements=true: the seven fact-sheet institutions, most agreements first
    (Nagoya University takes part in all six)."""
    page = get_page(client, "/institutions/?has_agreements=true")
    rows = institution_rows(page)
    assert directory_count(page) == 7
    assert rows[0] == ("Nagoya University", 6)
    assert {count for _name, count in rows[1:]} == {1}
    assert [name for name, _ in rows[1:]] == sorted(
        (name for name, _ in rows[1:]), key=str.casefold
    )


def test_the_directory_sorts_by_name_or_by_agreements(client):
    """sort=name lists A–Z; the default lists the most agreements first."""
    by_name = [
        name
        for name, _ in institution_rows(get_page(client, "/institutions/?sort=name"))
    ]
    assert len(by_name) == 50
    assert by_name == sorted(by_name, key=str.casefold)
    by_agreements = institution_rows(get_page(client, "/institutions/"))
    counts = [count for _name, count in by_agreements]
    assert counts == sorted(counts, reverse=True)
    assert by_agreements[0] == ("Nagoya University", 6)


def test_the_institution_page_shows_identifiers_aliases_agreements_and_partners(client):
    """Tohoku University: its ROR ID linked to ror.org, its MEXT code, its Japanese
    aliases, its agreements, and its U.S. partners with the most agreements first."""
    make_agreement(title="First Harvard link", us=("harvard-university",))
    make_agreement(title="Second Harvard link", us=("harvard-university",))
    make_agreement(title="Duke link", us=("duke-university",))
    make_agreement(
        title="Draft Stanford link",
        us=("stanford-university",),
        state=PublicationState.DRAFT,
    )
    page = get_page(client, "/institutions/tohoku-university/")
    assert (
        '<a href="https://ror.org/01dq60k83" rel="noopener noreferrer">01dq60k83</a>'
        in page
    )
    assert "F104110100856" in page
    aliases = section(page, '<p class="aliases">', "</p>")
    assert "東北大" in aliases and "Tōhoku daigaku" in aliases
    assert "3 agreements</h2>" in page
    for title in ("First Harvard link", "Second Harvard link", "Duke link"):
        assert title in page
    assert "Draft Stanford link" not in page
    partners = section(
        page, "Top partner institutions in the other country</h2>", "</ol>"
    )
    assert re.findall(r'">([^<]*)</a> <span class="count">(\d+)</span>', partners) == [
        ("Harvard University", "2"),
        ("Duke University", "1"),
    ]


def test_a_merged_institutions_old_address_redirects_permanently(client, editor):
    """After a merge, the duplicate's slug answers 301 to the survivor, whose page
    lists the duplicate's agreement; an unknown slug is a 404."""
    tohoku = institution("tohoku-university")
    duplicate = Institution.objects.create(
        name="Tohoku Univ.",
        slug="tohoku-univ",
        country="JP",
        institution_type=InstitutionType.JP_NATIONAL,
    )
    make_agreement(title="Recorded under the duplicate", jp=("tohoku-univ",))
    institutions_merge(survivor=tohoku, duplicates=[duplicate], user=editor)
    response = client.get("/institutions/tohoku-univ/")
    assert response.status_code == 301
    assert response["Location"] == "/institutions/tohoku-university/"
    assert "Recorded under the duplicate" in get_page(client, response["Location"])
    assert client.get("/institutions/never-existed/").status_code == 404


def test_the_organization_directory_and_page_count_published_agreements(client):
    """The directory ranks NSF first with its two agreements; its page lists them and
    the Japanese institutions in them."""
    make_agreement(
        title="Funded by NSF",
        us=("duke-university",),
        partners=("national-science-foundation",),
    )
    make_agreement(
        title="Also funded by NSF",
        us=("harvard-university",),
        partners=("national-science-foundation", "japan-science-and-technology-agency"),
    )
    directory = get_page(client, "/organizations/")
    rows = re.findall(
        r'<tr>\s*<th scope="row"><a href="([^"]*)">(.*?)</a>.*?'
        r'<td class="number"[^>]*>(\d+)</td>',
        directory,
        re.S,
    )
    assert rows[0] == (
        "/organizations/national-science-foundation/",
        "National Science Foundation",
        "2",
    )
    assert rows[1][1:] == ("Japan Science and Technology Agency", "1")
    page = get_page(client, "/organizations/national-science-foundation/")
    assert "2 agreements</h2>" in page
    assert "Funded by NSF" in page and "Also funded by NSF" in page
    japanese = section(page, "Japanese institutions</h2>", "</ol>")
    assert 'Tohoku University</a> <span class="count">2</span>' in japanese


def test_the_program_page_lists_its_published_agreements(client):
    """A program's page counts and lists its published agreements only, and names its
    sponsors."""
    program = Program.objects.get(slug="nsf-jst-memorandum-of-cooperation")
    make_agreement(title="Under the memorandum", program=program)
    make_agreement(title="Drafted under the memorandum", program=program, state="draft")
    make_agreement(title="Under no program")
    page = get_page(client, program.get_absolute_url())
    assert f"<h1>{html.escape(program.name)}</h1>" in page
    assert "1 agreement</h2>" in page
    assert "Under the memorandum" in page
    assert "Drafted under the memorandum" not in page
    assert "Under no program" not in page
    assert "National Science Foundation" in page  # a sponsoring organization


# -- Bad input -------------------------------------------------------------------------

LONG_WORDS = " ".join(f"word{i}" for i in range(1000))
# query string, how many of the fact sheet's six agreements it finds, and what the
# notice says ("" for none): an unreadable value is left out, never a 500.
MALFORMED = [
    ("page=-1", 6, "“-1” is not a page number"),
    ("page=1.5", 6, "“1.5” is not a page number"),
    ("page=99999999999999999999999", 6, "the last page is 1"),
    ("per_page=-10", 6, "“-10” is not a page size"),
    ("year_from=abc", 6, "Active from (year): Enter a whole number."),
    ("year_from=1e400", 6, "Active from (year): Enter a whole number."),
    ("year_from=2019.5", 6, "Active from (year): Enter a whole number."),
    ("year_to=NaN", 6, "Active until (year): Enter a whole number."),
    ("year_from=1800", 6, "greater than or equal to 1900"),
    ("sort=bogus", 6, "Sort by: Select a valid choice. bogus"),
    ("q=%00", 6, "Search: Null characters are not allowed."),
    ("q=a%00b", 6, "Search: Null characters are not allowed."),
    ("q=%27%22%5C%3B--", 6, ""),
    ("q=%E3%80%80", 6, ""),  # an ideographic space: no words
    ("q=USJP-99999999999999999999999", 0, ""),
    ("status=maybe", 6, "Status: Select a valid choice. maybe"),
    ("us_state=ZZ", 6, "U.S. state: Select a valid choice. ZZ"),
    ("us_state=%00", 6, "U.S. state: Null characters are not allowed."),
    # Sent empty, as a form with nothing chosen sends it: no filter, no notice.
    ("discipline=", 6, ""),
    ("discipline=&discipline=%20", 6, ""),
    ("year_from=", 6, ""),
    ("discipline=%00", 6, "Discipline: Null characters are not allowed."),
    ("institution=%FF", 6, "Institution (either country): Select a valid choice."),
    ("classification=%00", 6, "Classification: Select a valid choice."),
    ("institution_type=%00", 6, "Institution type: Select a valid choice."),
    ("q=" + "x" * 5000, 0, ""),
]


@pytest.mark.parametrize(
    "query, count, notice", MALFORMED, ids=[query[:40] for query, *_ in MALFORMED]
)
def test_malformed_search_parameters_never_fail(client, query, count, notice):
    """Every unreadable value gives the search page (status 200) with a notice, and
    the results the rest of the search finds."""
    page = get_page(client, f"/agreements/?{query}")
    assert result_count(page) == count
    if notice:
        assert any(notice in text for text in notices(page)), notices(page)
    else:
        assert notices(page) == []


@pytest.mark.parametrize(
    "query, notice",
    [
        ("page=%C2%B2", "“²” is not a page number"),
        ("per_page=%C2%B2", "“²” is not a page size"),
    ],
)
@pytest.mark.parametrize("path", ["/agreements/", "/institutions/", "/organizations/"])
def test_a_page_number_in_superscript_digits_is_explained(client, path, query, notice):
    """page=² (a digit int() cannot read) is explained, not a 500. (It was a 500:
    paginate tested isdigit() before int().)"""
    page = get_page(client, f"{path}?{query}")
    assert any(notice in text for text in notices(page)), notices(page)


@pytest.mark.parametrize(
    "text",
    [LONG_WORDS, "東北大学" * 2000, "tohoku " * 5000],
    ids=["1000-words", "8000-kanji", "repeated-word"],
)
def test_a_very_long_text_search_is_answered(client, text):
    """A thousand words, or thousands of kanji: answered, not a 500. (A thousand words
    were a 500 on SQLite: one condition per word overflowed its expression depth.)"""
    page = get_page(client, "/agreements/?q=" + quote(text))
    assert result_count(page) == 0


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "per_page=7",
        "type=castle",
        "country=XX",
        "jp_prefecture=atlantis",
        "research_classification=%00",
        "has_agreements=maybe",
        "sort=bogus",
        "q=%00",
    ],
)
@pytest.mark.parametrize("path", ["/institutions/", "/organizations/"])
def test_malformed_directory_parameters_never_fail(client, path, query):
    """The directories answer unreadable values with their list (status 200)."""
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    assert '<table class="directory">' in response.content.decode()


# -- Query counts ----------------------------------------------------------------------


@pytest.fixture
def three_hundred(db):
    """300 synthetic agreements besides the fact sheet's six."""
    seed_demo_agreements(count=300, seed=1)


def warm(client, url: str) -> None:
    """The first request builds the in-memory index; counting starts after it."""
    assert client.get(url).status_code == 200


# The search page, whatever the number of results or the page size (anonymous, so no
# session or user queries), once the index has named the facet options it shows:
#   1   the index version (published_index)
#   1   the page's agreements (published().for_list(), in_bulk of the page's ids)
#   2   their participants with institution names; their partners with organization's
#   +1  per record filter used: validating its slugs (ModelMultipleChoiceField)
# classification, status, years, text and sort read no table; an empty page reads no
# rows.
SEARCH_PAGE_QUERIES = 4
# The names of facet options are read once for each version of the index, each record
# facet's in one query: disciplines (and the fields they sit under), activity, U.S.
# states, prefectures, organizations, programs, sources, U.S. institutions, Japanese
# institutions.
FACET_NAMING_QUERIES = 10


@pytest.mark.parametrize(
    "query",
    [
        "per_page=10",
        "per_page=100",
        "per_page=100&page=2",
        # about a dozen matches, every facet still with options
        "classification=consortium&year_from=2017&year_to=2017&status=ended",
    ],
)
def test_the_search_page_makes_the_same_queries_for_any_page_or_result_size(
    client, three_hundred, django_assert_num_queries, query
):
    """10 or 100 per page, page 1 or 2, ~15 matches or ~280: the same queries."""
    warm(client, f"/agreements/?{query}")
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        page = get_page(client, f"/agreements/?{query}")
    assert len(result_titles(page)) >= 10


def test_facet_options_are_named_once_for_each_version_of_the_index(
    client, three_hundred, django_assert_num_queries
):
    warm(client, "/agreements/")
    published_index().memo.clear()  # as in a new version of the index
    with django_assert_num_queries(SEARCH_PAGE_QUERIES + FACET_NAMING_QUERIES):
        get_page(client, "/agreements/")
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        get_page(client, "/agreements/")


def test_a_renamed_institution_shows_its_new_name_in_the_facets(client, three_hundred):
    """Renaming reindexes its agreements, which moves the index's version: the names
    kept with the old version go with it."""
    counts = published_index().institution_counts
    japanese = Institution.objects.filter(country="JP", pk__in=list(counts))
    busiest = max(japanese, key=lambda record: counts[record.pk])
    option = re.compile(
        rf'name="jp_institution" value="{busiest.slug}"> ([^<]+?) <span class="count"'
    )
    assert option.search(get_page(client, "/agreements/"))[1] == busiest.name

    busiest.name = "Renamed Research University"
    institution_save(institution=busiest, user=None)

    page = get_page(client, "/agreements/")
    assert option.search(page)[1] == "Renamed Research University"


def test_the_small_search_really_is_small(client, three_hundred):
    """The comparison above is of ~10 matches against ~280."""
    small = result_count(
        get_page(
            client,
            "/agreements/?classification=consortium&year_from=2017&year_to=2017"
            "&status=ended",
        )
    )
    assert 10 <= small <= 30
    assert result_count(get_page(client, "/agreements/")) > 250


def test_a_record_filter_adds_one_query_to_read_its_values(
    client, three_hundred, django_assert_num_queries
):
    """Two slug filters (three values): one query each to read their values."""
    url = "/agreements/?discipline=natural-sciences&us_state=CA&us_state=NY"
    warm(client, url)
    with django_assert_num_queries(SEARCH_PAGE_QUERIES + 2):
        get_page(client, url)


def test_a_text_search_adds_no_query(client, three_hundred, django_assert_num_queries):
    """q is matched and ranked in the search index: the page asks the database for
    nothing more than without it. (The names the words are read for are built once
    for the index's version, as the index is: the warming search builds both.)"""
    warm(client, "/agreements/")
    warm(client, "/agreements/?q=warming")
    with django_assert_num_queries(SEARCH_PAGE_QUERIES):
        get_page(client, "/agreements/?q=university")


# The agreement page (its agreement has disciplines, activities, a source and related
# agreements; the demo's all do):
#   1   the agreement, with program, created_by and updated_by
#   2   its participants (institution, region); its partners (organization)
#   2   its disciplines; their parent fields
#   1   its activities
#   1   its sources (data source)
#   1   the index version (related agreements come from the engine)
#   1   the related agreements' rows (a compact list: no participants or partners)
AGREEMENT_PAGE_QUERIES = 9


def test_the_agreement_page_makes_a_fixed_number_of_queries(
    client, three_hundred, django_assert_num_queries
):
    """The same count for a consortium with a program and partners and for a plain
    collaborative agreement."""
    published = Agreement.objects.published().filter(is_synthetic=True)
    consortium = published.exclude(program=None).first()
    collaborative = published.filter(partners=None).first()
    warm(client, consortium.get_absolute_url())
    for agreement in (consortium, collaborative):
        with django_assert_num_queries(AGREEMENT_PAGE_QUERIES):
            page = get_page(client, agreement.get_absolute_url())
        assert "Related agreements" in page


# The institution page:
#   1   does the slug exist (else: a merged institution's redirect)
#   1   the institution, with region and parent
#   3   its aliases, identifiers and campuses
#   1   the index version
#   1   which disciplines are subfields
#   1   its first 20 agreements' rows (a compact list: no participants or partners)
#   3   the top partner institutions, disciplines and organizations, by in_bulk
INSTITUTION_PAGE_QUERIES = 11


@pytest.mark.parametrize(
    "slug", ["tohoku-university", "harvard-university", "the-university-of-tokyo"]
)
def test_the_institution_page_makes_a_fixed_number_of_queries(
    client, three_hundred, django_assert_num_queries, slug
):
    """The same count whatever the institution's number of agreements."""
    warm(client, "/institutions/tohoku-university/")
    with django_assert_num_queries(INSTITUTION_PAGE_QUERIES):
        page = get_page(client, f"/institutions/{slug}/")
    assert "Top partner institutions in the other country" in page

"""/insights/: the study's figures for any search, counted as the stats API counts, with
tables, CSV and SVG that say the same thing, cached until the registry changes."""

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from registry import insights
from registry.filtersets import AgreementFilterSet
from registry.imports.agreement_sheet import import_agreement_file
from registry.models import (
    ActivityType,
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    Classification,
    Country,
    Discipline,
    Institution,
    PublicationState,
    Sector,
)
from registry.search import refresh_agreement_index
from registry.services import institutions_merge, publication_move
from registry.views import HomeView
from tests.factories import csv_sheet, make_agreement

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def build(*, disciplines=(), activities=(), start=None, **fields):
    if fields.get("state", PublicationState.PUBLISHED) == PublicationState.PUBLISHED:
        fields["published_at"] = timezone.now()
    agreement = make_agreement(
        start_date=start and dt.date(start, 4, 1), start_precision="month", **fields
    )
    agreement.disciplines.set(Discipline.objects.filter(slug__in=disciplines))
    agreement.activity_types.set(ActivityType.objects.filter(slug__in=activities))
    refresh_agreement_index(agreement_ids=[agreement.pk])
    return agreement


@pytest.fixture
def world():
    """Published agreements of both classes over a few institutions, partners and
    years, plus a draft and a withdrawn one that must never be counted (and the six
    published Nagoya agreements of the reference data)."""
    return {
        "quantum": build(
            title="Quantum sensing",
            us=("harvard-university",),
            jp=("tohoku-university",),
            disciplines=("quantum-sciences",),
            activities=("scholar-exchange",),
            start=2018,
        ),
        "medicine": build(
            title="Regenerative medicine consortium",
            us=("harvard-university", "massachusetts-institute-of-technology"),
            jp=("kyoto-university",),
            partners=("japan-science-and-technology-agency",),
            disciplines=("clinical-medicine", "immunology"),
            activities=("research-grant-award",),
            start=2019,
        ),
        "physics": build(
            title="Collider physics consortium",
            us=("stanford-university",),
            jp=("tohoku-university", "osaka-university"),
            partners=("national-science-foundation", "takeda-pharmaceutical-company"),
            disciplines=("high-energy-physics",),
            activities=("research-grant-award", "co-authored-publications"),
            start=2019,
        ),
        "energy": build(
            title="Clean energy consortium",
            us=("massachusetts-institute-of-technology",),
            jp=("tohoku-university",),
            partners=("brookhaven-national-laboratory",),
            disciplines=("clean-energy",),
            start=2020,
        ),
        "draft": build(
            title="Draft consortium",
            us=("harvard-university",),
            jp=("tohoku-university",),
            partners=("japan-science-and-technology-agency",),
            disciplines=("quantum-sciences",),
            start=2019,
            state=PublicationState.DRAFT,
        ),
        "withdrawn": build(
            title="Withdrawn partnership",
            us=("stanford-university",),
            jp=("kyoto-university",),
            start=2017,
            state=PublicationState.WITHDRAWN,
        ),
    }


def figure(slug, query=""):
    (data,) = insights.figures(QueryDict(query), slugs=[slug])
    return data


def table(data) -> dict:
    """A figure's table as {first column: its count column}."""
    count_column = -1 if data.kind == "years" else 1
    if data.kind == "pairs":
        return {
            (row.cells[0].text, row.cells[1].text): row.cells[2].count
            for row in data.rows
        }
    return {row.cells[0].text: row.cells[count_column].count for row in data.rows}


def published(query=""):
    """The published agreements a search finds, by the FilterSet's SQL."""
    return AgreementFilterSet(
        QueryDict(query), queryset=Agreement.objects.published()
    ).qs


def per_participant(agreements, country, name="institution__name"):
    """How many of the agreements each participant (or its region) appears in."""
    pairs = set(
        AgreementParticipant.objects.filter(
            agreement__in=agreements, institution__country=country
        ).values_list("agreement_id", name)
    )
    return Counter(value for _agreement, value in pairs)


QUERIES = ["", "classification=consortium", "year_from=2019", "us_state=MA"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("slug, country", [("us-campus", "US"), ("jp-campus", "JP")])
def test_campus_figures_count_published_agreements_per_institution(
    world, query, slug, country
):
    expected = per_participant(published(query), country)
    shown = table(figure(slug, query))
    assert shown == dict(expected.most_common(len(shown)))
    assert len(shown) == min(len(expected), 15)


@pytest.mark.parametrize(
    "query", ["", "year_from=2019", "jp_institution=tohoku-university"]
)
def test_consortium_research_by_field(world, query):
    agreements = published(query).filter(classification=Classification.CONSORTIUM)
    expected = Counter()
    for field in Discipline.objects.filter(parent=None):
        count = (
            agreements.filter(Q(disciplines=field) | Q(disciplines__parent=field))
            .distinct()
            .count()
        )
        if count:
            expected[field.name] = count
    assert table(figure("consortium-discipline", query)) == dict(expected)


@pytest.mark.parametrize(
    "slug, country", [("consortium-jp-partner", "JP"), ("consortium-us-partner", "US")]
)
def test_consortium_partner_figures_count_government_labs_and_industry(
    world, slug, country
):
    expected = Counter(
        AgreementPartner.objects.filter(
            agreement__in=published("classification=consortium"),
            organization__country=country,
            organization__sector__in=[
                Sector.GOVERNMENT,
                Sector.NATIONAL_LAB,
                Sector.INDUSTRY,
            ],
        ).values_list("organization__name", flat=True)
    )
    assert table(figure(slug)) == dict(expected)
    if country == "JP":
        # A company counts: the fact sheet's figure is "government or industry".
        assert "Takeda Pharmaceutical Company Limited" in table(figure(slug))


def test_start_years_by_classification(world):
    data = figure("start-year")
    agreements = published()
    for row in data.rows:
        year = None if row.cells[0].text == "Unknown" else int(row.cells[0].text)
        for column, value in enumerate(Classification.values, start=1):
            expected = agreements.filter(
                classification=value,
                **(
                    {"start_date__year": year} if year else {"start_date__isnull": True}
                ),
            ).count()
            assert row.cells[column].count == expected, (year, value)
        assert row.cells[-1].count == row.cells[1].count + row.cells[2].count
    years = [row.cells[0].text for row in data.rows]
    assert years == ["2018", "2019", "2020", "Unknown"]  # the draft's 2017 is not here


def test_states_prefectures_and_activities(world):
    agreements = published()
    states = per_participant(agreements, Country.US, "institution__region__name")
    assert table(figure("us-state")) == dict(states)
    activities = Counter(
        Agreement.activity_types.through.objects.filter(
            agreement__in=agreements
        ).values_list("activitytype__name", flat=True)
    )
    assert table(figure("activity")) == dict(activities)
    assert table(figure("jp-prefecture"))["Miyagi"] == 3


def test_institution_pairs(world):
    pairs = Counter()
    for agreement in published().prefetch_related("participants__institution"):
        people = [p.institution for p in agreement.participants.all()]
        for us in people:
            for jp in people:
                if us.country == Country.US and jp.country == Country.JP:
                    pairs[(us.name, jp.name)] += 1
    shown = table(figure("pairs"))
    assert shown == dict(pairs.most_common(len(shown)))
    assert shown[("Harvard University", "Tohoku University")] == 1


def test_unpublished_agreements_are_never_counted(world):
    for data in insights.figures(QueryDict("")):
        for row in data.rows:
            for cell in row.cells:
                assert "Draft" not in cell.text and "Withdrawn" not in cell.text
    # Harvard × Tohoku would be 2 with the draft.
    assert table(figure("pairs"))[("Harvard University", "Tohoku University")] == 1
    assert "2017" not in table(figure("start-year"))


@pytest.mark.parametrize("slug", [f.slug for f in insights.FIGURES])
@pytest.mark.parametrize("query", ["", "year_from=2019&classification=consortium"])
def test_the_stats_api_and_each_figure_agree(client, world, slug, query):
    data = figure(slug, query)
    groups = client.get(data.api_url).json()["groups"]
    api = {
        (tuple(g["label"]) if isinstance(g["label"], list) else g["label"]): g["count"]
        for g in groups
    }
    if data.kind == "years":
        api = {str(k) if k else "Unknown": v for k, v in api.items()}
    assert table(data)
    for name, count in table(data).items():
        assert api[name] == count, name


@pytest.mark.parametrize("slug", [f.slug for f in insights.FIGURES])
def test_every_link_finds_exactly_what_it_counts(world, slug):
    """Each bar, row and cell links to a search whose results are the agreements it
    counts, even where the search already filters by the figure's own parameter."""
    for query in (
        "",
        "us_institution=harvard-university",
        "discipline=clinical-medicine",
    ):
        data = figure(slug, query)
        links = [(cell.link, cell.count) for row in data.rows for cell in row.cells]
        for row in (data.matrix or {}).get("rows", []):
            links += [(cell["link"], int(cell["text"])) for cell in row["cells"]]
        checked = 0
        for link, count in links:
            if link and count is not None:
                _path, _sep, linked = link.partition("?")
                assert published(linked).count() == count, (query, link)
                checked += 1
        assert checked or not data.rows


def test_a_figure_grouped_by_a_chosen_filter_counts_without_it_and_says_so(world):
    data = figure("consortium-discipline", "discipline=natural-sciences")
    assert any("Discipline" in note for note in data.notes)
    chosen = [row.cells[0].text for row in data.rows if row.chosen]
    assert chosen == ["Natural sciences"]
    assert "Health and medical sciences" in table(data)


def test_a_consortium_figure_for_a_collaborative_search_explains_it_is_empty(world):
    data = figure("consortium-discipline", "classification=collaborative")
    assert data.rows == []
    assert "consortium" in data.notes[0]


@pytest.mark.parametrize("slug", [f.slug for f in insights.FIGURES])
def test_each_csv_is_its_table(client, world, slug):
    query = "year_from=2018"
    data = figure(slug, query)
    response = client.get(
        reverse("registry:figure_download", args=[slug, "csv"]) + "?" + query
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [column.label for column in data.columns]
    assert rows[1:] == [[cell.text for cell in row.cells] for row in data.rows]


@pytest.mark.parametrize(
    "slug", [f.slug for f in insights.FIGURES if f.kind != "pairs"]
)
def test_each_chart_is_accessible_svg(client, world, slug):
    inline = ET.fromstring(figure(slug).svg)
    assert inline.get("role") == "img"
    title, desc = inline.find(f"{SVG}title"), inline.find(f"{SVG}desc")
    assert title.text == figure(slug).title and desc.text
    assert inline.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # Nothing a Content-Security-Policy without inline script or style would refuse.
    assert not list(inline.iter(f"{SVG}script")) and not list(
        inline.iter(f"{SVG}style")
    )
    assert not any(element.get("style") for element in inline.iter())
    download = client.get(reverse("registry:figure_download", args=[slug, "svg"]))
    assert download["Content-Type"].startswith("image/svg+xml")
    standalone = ET.fromstring(download.content)
    assert standalone.find(f"{SVG}title") is not None
    assert standalone.find(f"{SVG}style") is not None  # carries its own styles


def test_a_chart_describes_its_numbers_and_links_each_bar(world):
    data = figure("us-campus")
    root = ET.fromstring(data.svg)
    desc = root.find(f"{SVG}desc").text
    assert "Harvard University: 3" in desc
    links = [a.get("{http://www.w3.org/1999/xlink}href") for a in root.iter(f"{SVG}a")]
    assert set(links) == {row.cells[0].link for row in data.rows}


def test_the_pairs_figure_has_a_matrix_and_no_svg(client, world):
    data = figure("pairs")
    assert data.svg == ""
    assert data.matrix["rows"] and data.matrix["columns"]
    url = reverse("registry:figure_download", args=["pairs", "svg"])
    assert client.get(url).status_code == 404


def test_unknown_figures_are_not_found(client):
    url = reverse("registry:figure_download", args=["no-such-figure", "csv"])
    assert client.get(url).status_code == 404


def test_the_page_shows_every_figure_for_the_search(client, world):
    response = client.get(reverse("registry:insights") + "?classification=consortium")
    page = response.content.decode()
    assert response.status_code == 200
    for data in insights.FIGURES:
        assert f'id="{data.slug}"' in page
    assert "Classification: Consortium" in page
    assert "3 published agreements" in page
    assert 'href="/agreements/?classification=consortium"' in page


def test_an_unreadable_filter_is_named_and_left_out(client, world):
    page = client.get(
        reverse("registry:insights") + "?discipline=nope"
    ).content.decode()
    assert "This filter was left out." in page
    assert 'id="us-campus"' in page


def test_the_search_page_links_to_its_figures(client, world):
    page = client.get("/agreements/?classification=consortium&page=1").content.decode()
    assert 'href="/insights/?classification=consortium"' in page


# -- caching ------------------------------------------------------------------------


def us_campus_count(client, name="Harvard University"):
    (data,) = insights.figures(QueryDict(""), slugs=["us-campus"])
    return table(data).get(name, 0)


def test_figures_come_from_the_cache_until_the_registry_changes(
    client, world, django_assert_max_num_queries
):
    client.get(reverse("registry:insights"))
    # The version check, and nothing counted or drawn again.
    with django_assert_max_num_queries(2):
        response = client.get(reverse("registry:insights"))
    assert response.status_code == 200


def test_publishing_refreshes_the_figures(client, world, editor):
    assert us_campus_count(client) == 3  # two of the world's, one of Nagoya's
    result = publication_move(
        records=[world["draft"]], state=PublicationState.PUBLISHED, user=editor
    )
    assert not result.refused, result.refused
    assert us_campus_count(client) == 4


def test_an_edit_refreshes_the_figures(client, world, editor_client):
    assert us_campus_count(client) == 3
    url = reverse("api:agreement-detail", args=[world["physics"].public_id])
    response = editor_client.patch(
        url,
        {
            "participants": [
                {"institution": "harvard-university"},
                {"institution": "tohoku-university"},
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert us_campus_count(client) == 4


def test_a_merge_refreshes_the_figures(client, world, editor):
    assert us_campus_count(client, "Stanford University") == 1
    institutions_merge(
        survivor=Institution.objects.get(slug="stanford-university"),
        duplicates=[Institution.objects.get(slug="harvard-university")],
        user=editor,
    )
    assert us_campus_count(client, "Stanford University") == 4


def test_an_import_refreshes_the_figures(client, world, editor):
    assert us_campus_count(client) == 3
    data = csv_sheet(
        [
            {
                "public_id": world["energy"].public_id,
                "us_institutions": "Harvard University",
            }
        ],
        headers=["public_id", "us_institutions"],
    )
    outcome = import_agreement_file(
        data=data, file_name="update.csv", user=editor, dry_run=False
    )
    assert not outcome.plan.has_errors, outcome.plan.rows
    assert us_campus_count(client) == 4


# -- home, case studies, about ------------------------------------------------------


def test_the_home_page_tells_the_story(client, world):
    page = client.get("/").content.decode()
    # 4 of the world + the 6 Nagoya agreements of the reference data
    assert "10</strong>" in page
    assert "published agreements" in page
    for slug in insights.THUMBNAILS:
        assert f'href="/insights/#{slug}"' in page
    assert "Nagoya University School of Medicine: clinical clerkships" in page
    assert world["energy"].title in page  # among the latest published
    assert world["draft"].title not in page
    assert "Demo data." not in page


def test_the_home_page_says_when_demo_data_is_present(client, world):
    make_agreement(title="Generated", is_synthetic=True)
    page = client.get("/").content.decode()
    assert "Demo data." in page


def test_the_reference_case_studies_are_published(client):
    page = client.get(reverse("registry:case_study_list")).content.decode()
    for title in (
        "Nagoya University School of Medicine",
        "The U.S. Department of Energy and Japanese universities",
        "The U.S.-Japan Cooperative Medical Science Program",
        "Takeda and the Tri-Institutional Therapeutics Discovery Institute",
    ):
        assert title in page


def test_a_case_study_lists_its_published_agreements_and_records(client):
    url = reverse("registry:case_study_detail", args=["nagoya-medical-clerkships"])
    page = client.get(url).content.decode()
    assert page.count("Clinical clerkship exchange") == 6
    assert "Duke University" in page
    takeda = client.get(
        reverse(
            "registry:case_study_detail",
            args=["takeda-tri-institutional-therapeutics-discovery-institute"],
        )
    ).content.decode()
    assert "Why it is not in the registry" in takeda
    assert "no Japanese university takes part" in takeda


def test_a_withdrawn_agreement_leaves_its_case_study(client, editor):
    study_url = reverse(
        "registry:case_study_detail", args=["nagoya-medical-clerkships"]
    )
    agreement = Agreement.objects.get(sources__source_identifier__endswith="/duke")
    publication_move(records=[agreement], state=PublicationState.WITHDRAWN, user=editor)
    page = client.get(study_url).content.decode()
    assert page.count("Clinical clerkship exchange") == 5


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://example.org"></iframe>',
        "<svg onload=alert(1)>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_markdown_cannot_inject_script(client, payload):
    from registry.markup import render_markdown
    from registry.models import CaseStudy

    html = str(render_markdown(f"Intro\n\n{payload}\n\n**bold**"))
    for forbidden in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<iframe",
        "style=",
        "data:",
    ):
        assert forbidden not in html.lower()
    assert "<strong>bold</strong>" in html
    CaseStudy.objects.create(
        title="Payload", slug="payload", body=payload, publication_state="published"
    )
    page = client.get(reverse("registry:case_study_detail", args=["payload"]))
    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "javascript:alert" not in page.content.decode().replace("&amp;", "&")


def test_markdown_links_are_kept_and_marked(client):
    from registry.markup import render_markdown

    html = str(render_markdown("[ACE](https://www.acenet.edu/usjp-hees)"))
    assert 'href="https://www.acenet.edu/usjp-hees"' in html
    assert 'rel="noopener noreferrer"' in html


def test_the_about_page_explains_the_method(client):
    page = client.get(reverse("registry:about")).content.decode()
    for text in (
        "Collaborative",
        "Consortium",
        "Not counted",
        "USAspending.gov",
        "ROR",
        "IPEDS",
        "MEXT",
        "How to cite",
        "/api/v1/",
        'href="/api/docs/"',
    ):
        assert text in page
    assert "Synthetic demo data" not in page


def test_every_page_links_to_the_methodology_and_the_api_docs(client):
    for url in ("/", "/agreements/", "/insights/", "/case-studies/", "/institutions/"):
        page = client.get(url).content.decode()
        assert 'href="/about/"' in page and 'href="/api/docs/"' in page, url


def test_the_figure_links_keep_the_search_in_order(world):
    data = figure("us-campus", urlencode({"q": "consortium", "page": 3}))
    assert all("page=" not in row.cells[0].link for row in data.rows)
    assert all("q=consortium" in row.cells[0].link for row in data.rows)


# -- queries -------------------------------------------------------------------------


def test_a_cached_insights_page_reads_almost_nothing(
    client, world, django_assert_num_queries
):
    client.get("/insights/")
    # The index version, once for the page's total and once for the cache key (in
    # production a process asks at most every SEARCH_INDEX_REFRESH_SECONDS).
    with django_assert_num_queries(2):
        client.get("/insights/")


def test_a_cached_filtered_insights_page_adds_one_query_per_record_filter(
    client, world, django_assert_num_queries
):
    url = "/insights/?us_institution=harvard-university&classification=consortium"
    client.get(url)
    # The two version checks, and the FilterSet reading the institution's slug.
    with django_assert_num_queries(3):
        client.get(url)


def test_the_home_page_queries_are_few(client, world, django_assert_num_queries):
    first = client.get("/")
    # The page made again, its figures cached: version checks for the page's key, the
    # headline, the latest list and the thumbnails' key; the latest agreements; the
    # featured case studies.
    assert first.status_code == 200
    HomeView.made.clear()
    with django_assert_num_queries(6):
        client.get("/")
    # The page kept: the version check of its key alone.
    with django_assert_num_queries(1):
        client.get("/")

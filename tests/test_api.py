"""The REST API (/api/v1/): endpoints, filters, stats, pagination, permissions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer

from registry import engine, resolver
from registry.api.stats import KEYS
from registry.filtersets import AgreementFilterSet
from registry.models import (
    ActivityType,
    Agreement,
    DataSource,
    Dimension,
    Discipline,
    Institution,
    Program,
    PublicationState,
    SourceRecord,
    parse_public_id,
)
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_indexes():
    # Each process keeps its indexes between tests; a rolled-back test can leave one
    # whose version number a later test reaches again with other contents.
    engine._index = resolver._index = None


API = "/api/v1"


@pytest.fixture(autouse=True)
def no_throttling(settings):
    settings.API_ANON_RATE = None


@pytest.fixture
def registry_sample(db):
    """Published agreements of several kinds, and drafts the public must not see."""
    made = [
        make_agreement(
            title="Quantum materials consortium",
            us=("harvard-university",),
            jp=("tohoku-university",),
            partners=("national-science-foundation",),
            start_date="2019-04-01",
        ),
        make_agreement(
            title="Ocean science exchange",
            us=("university-of-washington",),
            jp=("tohoku-university", "kyoto-university"),
            start_date="2021-01-01",
        ),
        make_agreement(
            title="Robotics partnership",
            us=("university-of-california-irvine",),
            jp=("osaka-university",),
        ),
        make_agreement(
            title="Draft agreement never public",
            us=("harvard-university",),
            jp=("tohoku-university",),
            state=PublicationState.DRAFT,
        ),
    ]
    return made


def get(client, url, status=200):
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == status, (url, response.content[:500])
    return response.json()


def published_count(query: str) -> int:
    from django.http import QueryDict

    filterset = AgreementFilterSet(
        QueryDict(query), queryset=Agreement.objects.published()
    )
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


# -- reading ---------------------------------------------------------------------------

ENDPOINTS = [
    "agreements",
    "institutions",
    "organizations",
    "programs",
    "disciplines",
    "activities",
    "sources",
    "case-studies",
]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_list_answers_with_pages(client, name):
    body = get(client, f"{API}/{name}/?page_size=2")
    assert set(body) >= {"count", "next", "previous", "results"}
    assert len(body["results"]) <= 2


def test_root_lists_the_endpoints(client):
    assert set(get(client, f"{API}/")) == set(ENDPOINTS)


def test_agreement_representation(client, registry_sample):
    agreement = registry_sample[0]
    body = get(client, f"{API}/agreements/{agreement.public_id}/")
    assert body["public_id"] == agreement.public_id
    assert body["url"].endswith(f"/agreements/{agreement.public_id}/")
    assert body["api_url"].endswith(f"/api/v1/agreements/{agreement.public_id}/")
    assert body["classification"] == "consortium"
    assert body["start"] == "2019-04-01"
    assert {p["institution"]["slug"] for p in body["participants"]} == {
        "harvard-university",
        "tohoku-university",
    }
    participant = body["participants"][0]
    assert set(participant["institution"]) == {"slug", "name", "name_ja", "country"}
    assert body["partners"][0]["organization"]["slug"] == (
        "national-science-foundation"
    )
    assert body["partners"][0]["role"] == "funder"
    assert "publication_state" not in body  # staff only


def represented_from_models(agreement: Agreement, *, staff: bool) -> dict:
    """What the API shows of an agreement, read from its models one by one: what the
    serializer, reading a whole page at once, must give."""

    def named(record):
        return {"slug": record.slug, "name": record.name, "name_ja": record.name_ja}

    participants = sorted(
        agreement.participants.select_related("institution"),
        key=lambda p: (p.institution.country != "US", p.role, p.institution.name),
    )
    partners = sorted(
        agreement.partners.select_related("organization"),
        key=lambda p: p.organization.name,
    )
    data = {
        "public_id": agreement.public_id,
        "url": f"http://testserver/agreements/{agreement.public_id}/",
        "api_url": f"http://testserver{API}/agreements/{agreement.public_id}/",
        "title": agreement.title,
        "title_ja": agreement.title_ja,
        "summary": agreement.summary,
        "classification": agreement.classification,
        "status": agreement.current_status,
        "start": agreement.start_display,
        "start_precision": agreement.start_precision,
        "end": agreement.end_display,
        "end_precision": agreement.end_precision,
        "funding": None
        if agreement.funding_amount is None
        else {
            "amount": f"{agreement.funding_amount:.2f}",
            "currency": agreement.funding_currency,
        },
        "program": named(agreement.program) if agreement.program else None,
        "disciplines": [
            {**named(d), "field": d.parent.slug if d.parent else None}
            for d in agreement.disciplines.select_related("parent")
        ],
        "activities": [named(a) for a in agreement.activity_types.all()],
        "participants": [
            {
                "institution": {
                    **named(p.institution),
                    "country": p.institution.country,
                },
                "role": p.role,
                "unit": p.unit,
            }
            for p in participants
        ],
        "partners": [
            {
                "organization": {
                    **named(p.organization),
                    "sector": p.organization.sector,
                    "country": p.organization.country,
                },
                "role": p.role,
            }
            for p in partners
        ],
        "sources": [
            {
                "source": named(s.data_source),
                "identifier": s.source_identifier,
                "url": s.url,
                "retrieved_on": s.retrieved_on.isoformat() if s.retrieved_on else None,
            }
            for s in agreement.sources.select_related("data_source").order_by("pk")
        ],
        "is_synthetic": agreement.is_synthetic,
        "updated_at": serializers.DateTimeField().to_representation(
            agreement.updated_at
        ),
    }
    if staff:
        data["publication_state"] = agreement.publication_state
    return data


@pytest.mark.parametrize("staff", [False, True])
def test_every_agreement_shows_what_its_models_hold(
    client, curator, registry_sample, staff
):
    rich = make_agreement(
        title="Everything an agreement can show",
        us=("massachusetts-institute-of-technology", "harvard-university"),
        jp=("tohoku-university", "kyoto-university"),
        partners=("national-science-foundation", "national-institutes-of-health"),
        program=Program.objects.order_by("pk").first(),
        funding_amount=Decimal("1234.5"),
        funding_currency="USD",
        start_date=dt.date(2019, 3, 1),
        start_precision="month",
    )
    rich.participants.filter(institution__slug="kyoto-university").update(
        role="lead", unit="Graduate School of Science"
    )
    rich.participants.filter(institution__slug="harvard-university").update(
        role="member", unit="Medical School"
    )
    rich.disciplines.set(
        Discipline.objects.filter(
            slug__in=["quantum-sciences", "natural-sciences", "ai-robotics"]
        )
    )
    rich.activity_types.set(
        ActivityType.objects.filter(
            slug__in=["student-exchange", "research-grant-award", "scholar-exchange"]
        )
    )
    for identifier in ("second-grant", "first-grant"):
        SourceRecord.objects.create(
            agreement=rich,
            data_source=DataSource.objects.get(slug="usaspending"),
            source_identifier=identifier,
            url=f"https://example.org/{identifier}",
        )
    if staff:
        client.force_login(curator)
    listed = get(client, f"{API}/agreements/?page_size=500")["results"]
    walked = get(client, f"{API}/agreements/?cursor=&page_size=500")["results"]
    assert len(listed) == len(walked) >= 10
    for row in [*listed, *walked]:
        agreement = Agreement.objects.get(pk=parse_public_id(row["public_id"]))
        assert row == represented_from_models(agreement, staff=staff)
    detail = get(client, f"{API}/agreements/{rich.public_id}/")
    assert detail == represented_from_models(rich, staff=staff)
    assert len(detail["disciplines"]) == len(detail["activities"]) == 3
    assert [p["institution"]["slug"] for p in detail["participants"]] == [
        "harvard-university",  # U.S. first, then by role (member before partner)
        "massachusetts-institute-of-technology",
        "kyoto-university",
        "tohoku-university",
    ]


def test_detail_by_unknown_or_unreadable_public_id_is_404(client):
    get(client, f"{API}/agreements/USJP-999999/", status=404)
    get(client, f"{API}/agreements/nonsense/", status=404)


def test_anonymous_users_see_published_records_only(client, registry_sample):
    draft = registry_sample[-1]
    get(client, f"{API}/agreements/{draft.public_id}/", status=404)
    body = get(client, f"{API}/agreements/?page_size=500")
    ids = {row["public_id"] for row in body["results"]}
    assert draft.public_id not in ids
    assert body["count"] == Agreement.objects.published().count()
    walked = get(client, f"{API}/agreements/?cursor=&page_size=500")
    assert draft.public_id not in {row["public_id"] for row in walked["results"]}


def test_staff_see_unpublished_records_and_their_state(curator_client, registry_sample):
    draft = registry_sample[-1]
    body = get(curator_client, f"{API}/agreements/{draft.public_id}/")
    assert body["publication_state"] == "draft"
    listed = get(curator_client, f"{API}/agreements/?page_size=500")
    assert listed["count"] == Agreement.objects.count()


def test_institution_and_organization_details(client, registry_sample):
    body = get(client, f"{API}/institutions/tohoku-university/")
    assert body["name_ja"] == "東北大学"
    assert (
        body["agreement_count"]
        == Agreement.objects.published()
        .filter(participants__institution__slug="tohoku-university")
        .distinct()
        .count()
    )
    body = get(client, f"{API}/organizations/national-science-foundation/")
    assert body["agreement_count"] >= 1


# -- filters ---------------------------------------------------------------------------

AGREEMENT_FILTERS = [
    "q=quantum",
    "q=東北大学",
    "q=ＴＯＨＯＫＵ",
    "classification=consortium",
    "classification=collaborative&classification=consortium",
    "discipline=health-medical-sciences",
    "activity=student-exchange",
    "institution=tohoku-university",
    "us_institution=harvard-university",
    "jp_institution=tohoku-university&jp_institution=kyoto-university",
    "us_state=ca",
    "jp_prefecture=miyagi",
    "institution_type=jp_national",
    "organization=national-science-foundation",
    "sector=government",
    "year_from=2020",
    "year_to=2019",
    "year_from=2019&year_to=2021",
    "status=active",
    "sort=title",
    "us_institution=harvard-university&classification=consortium&year_from=2018",
]


@pytest.mark.parametrize("query", AGREEMENT_FILTERS)
def test_agreement_filters_mean_what_the_filterset_means(
    client, registry_sample, query
):
    body = get(client, f"{API}/agreements/?{query}&page_size=500")
    expected = AgreementFilterSet(
        dict_of(query), queryset=Agreement.objects.published()
    )
    assert expected.is_valid()
    expected_ids = {a.public_id for a in expected.qs}
    assert {row["public_id"] for row in body["results"]} == expected_ids
    assert body["count"] == len(expected_ids)


@pytest.mark.parametrize("query", AGREEMENT_FILTERS)
def test_stats_total_equals_the_list_count(client, registry_sample, query):
    listed = get(client, f"{API}/agreements/?{query}")
    stats = get(client, f"{API}/agreements/stats/?group_by=classification&{query}")
    assert stats["total"] == listed["count"]
    assert sum(group["count"] for group in stats["groups"]) == listed["count"]


def dict_of(query):
    from django.http import QueryDict

    return QueryDict(query)


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("discipline=no-such-field", "discipline"),
        ("us_institution=tohoku-university", "us_institution"),
        ("classification=sideways", "classification"),
        ("year_from=2021&year_to=2019", "year_to"),
        ("year_from=nineteen", "year_from"),
        ("status=forever", "status"),
        ("sort=random", "sort"),
        ("q=%00", "q"),
        ("discipline=%00", "discipline"),
    ],
)
def test_an_unreadable_filter_value_is_a_400_naming_it(client, query, parameter):
    for url in (
        f"{API}/agreements/?{query}",
        f"{API}/agreements/stats/?group_by=discipline&{query}",
    ):
        body = get(client, url, status=400)
        assert body["detail"]
        assert parameter in body["errors"]


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/institutions/?country=XX", "country"),
        ("/institutions/?type=castle", "type"),
        ("/institutions/?us_state=ZZ", "us_state"),
        ("/organizations/?sector=pirates", "sector"),
    ],
)
def test_institution_and_organization_filters_refuse_bad_values(client, url, parameter):
    assert parameter in get(client, API + url, status=400)["errors"]


def test_institution_filters(client, registry_sample):
    body = get(client, f"{API}/institutions/?q=東北&country=JP")
    assert "tohoku-university" in {row["slug"] for row in body["results"]}
    body = get(client, f"{API}/institutions/?has_agreements=true&sort=agreements")
    counts = [row["agreement_count"] for row in body["results"]]
    assert counts == sorted(counts, reverse=True) and all(counts)


def test_institutions_by_state(client):
    body = get(client, f"{API}/institutions/?us_state=CA&page_size=500")
    assert body["results"] and {r["region"]["code"] for r in body["results"]} == {"CA"}


def test_organization_filters(client):
    body = get(client, f"{API}/organizations/?sector=government&country=US")
    assert body["results"]
    assert {(r["sector"], r["country"]) for r in body["results"]} == {
        ("government", "US")
    }


def test_ordering(client, registry_sample):
    body = get(client, f"{API}/agreements/?ordering=title&page_size=500")
    titles = [row["title"] for row in body["results"]]
    assert titles == sorted(titles)
    body = get(client, f"{API}/disciplines/?ordering=-slug&page_size=500")
    slugs = [row["slug"] for row in body["results"]]
    assert slugs == sorted(slugs, reverse=True)


# -- pagination ------------------------------------------------------------------------


def test_page_size_is_at_most_500(client):
    body = get(client, f"{API}/institutions/?page_size=500")
    assert len(body["results"]) == min(500, body["count"])
    for size in ("100000", "0", "", "ten", "2.0"):
        body = get(client, f"{API}/institutions/?page_size={size}", status=400)
        assert "from 1 to 500" in body["errors"]["page_size"][0]


@pytest.mark.parametrize("page", ["0", "", "last", "x"])
def test_an_unreadable_page_is_refused(client, page):
    body = get(client, f"{API}/institutions/?page={page}", status=400)
    assert "page" in body["errors"]


def test_a_page_out_of_range_is_a_clear_404(client):
    assert get(client, f"{API}/agreements/?page=9999", status=404)["detail"]


def test_the_cursor_walk_covers_the_results_exactly_once(client, registry_sample):
    for index in range(9):
        make_agreement(title=f"Walk {index}", jp=("kyoto-university",))
    expected = published_count("jp_institution=kyoto-university")
    url = f"{API}/agreements/?jp_institution=kyoto-university&cursor=&page_size=2"
    seen = []
    while url:
        body = get(client, url)
        seen.extend(row["public_id"] for row in body["results"])
        url = body["next"]
    assert len(seen) == len(set(seen)) == expected


def test_the_institution_cursor_walk_covers_every_institution(client):
    url, seen = f"{API}/institutions/?cursor=&page_size=100", []
    while url:
        body = get(client, url)
        seen.extend(row["slug"] for row in body["results"])
        url = body["next"]
    assert len(seen) == len(set(seen)) == get(client, f"{API}/institutions/")["count"]


@pytest.mark.parametrize("staff", [False, True])
def test_query_counts_do_not_grow_with_the_page_size(
    client, curator, registry_sample, staff
):
    for index in range(12):
        make_agreement(title=f"Many {index}", partners=("national-science-foundation",))
    if staff:
        client.force_login(curator)
    counts = []
    for size in (3, 15):
        get(client, f"{API}/agreements/?page_size={size}")  # warm the index
        with CaptureQueriesContext(connection) as queries:
            body = get(client, f"{API}/agreements/?page_size={size}")
        assert len(body["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12


# -- stats -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(KEYS))
def test_stats_for_every_key(client, registry_sample, key):
    body = get(client, f"{API}/agreements/stats/?group_by={key}")
    assert body["total"] == Agreement.objects.published().count()
    assert body["group_by"] == [key]
    for group in body["groups"]:
        assert group["count"] > 0 and group["label"]
        if key in {"start_year", "classification", "status"}:
            continue
        # The key is what the filter of the same name takes, and gives the count.
        filtered = get(client, f"{API}/agreements/?{key}={group['key']}")
        assert filtered["count"] == group["count"], group


def test_stats_by_start_year(client, registry_sample):
    body = get(client, f"{API}/agreements/stats/?group_by=start_year")
    by_year = {group["key"]: group["count"] for group in body["groups"]}
    assert by_year[2019] >= 1 and by_year[2021] >= 1
    assert sum(by_year.values()) == body["total"]


def test_stats_pairing_table(client, registry_sample):
    body = get(
        client,
        f"{API}/agreements/stats/?group_by=us_institution,jp_institution"
        "&us_institution=university-of-washington",
    )
    pairs = {tuple(group["key"]): group["count"] for group in body["groups"]}
    assert pairs == {
        ("university-of-washington", "tohoku-university"): 1,
        ("university-of-washington", "kyoto-university"): 1,
    }
    assert body["groups"][0]["label"][0] == "University of Washington"
    assert body["total"] == 1


@pytest.mark.parametrize(
    "group_by", ["us_institution,jp_institution", "jp_institution", "start_year"]
)
def test_stats_come_in_order_and_as_the_json_renderer_writes_them(
    client, registry_sample, group_by
):
    # Names where str() orders otherwise than plain text does (a quote sorts after a
    # space), quotes of both kinds, Japanese, and a line separator JSON escapes.
    names = {
        "tohoku-university": "Tohoku",
        "kyoto-university": "Tohoku Gakuin",
        "harvard-university": "Harvard's College",
        "university-of-california-irvine": 'UC "Irvine" O\'Neill',
        "osaka-university": "大阪\u2028大学",
    }
    for slug, name in names.items():
        Institution.objects.filter(slug=slug).update(name=name)
    response = client.get(
        f"{API}/agreements/stats/?group_by={group_by}", HTTP_ACCEPT="application/json"
    )
    body = response.json()
    assert response.content == JSONRenderer().render(body)
    groups = body["groups"]
    assert groups == sorted(groups, key=lambda g: (-g["count"], str(g["label"])))
    if group_by == "us_institution,jp_institution":
        assert b"\\u2028" in response.content
        labels = [group["label"] for group in groups]
        washington = "University of Washington"
        assert labels.index([washington, "Tohoku Gakuin"]) < labels.index(
            [washington, "Tohoku"]
        )
    pretty = client.get(
        f"{API}/agreements/stats/?group_by={group_by}",
        HTTP_ACCEPT="application/json; indent=4",
    )
    assert pretty.content == JSONRenderer().render(body, "application/json; indent=4")


def test_engine_counts_pairs_as_the_pairs_are(registry_sample):
    index = engine.published_index()
    pairs = {}
    for agreement in Agreement.objects.published().prefetch_related(
        "participants__institution"
    ):
        institutions = [p.institution for p in agreement.participants.all()]
        for us in {i.pk for i in institutions if i.country == "US"}:
            for jp in {i.pk for i in institutions if i.country == "JP"}:
                pairs.setdefault((us, jp), set()).add(agreement.pk)
    everything = index.ids >= 0
    for keep in (everything, index.ids % 2 == 0, ~everything):
        kept = set(index.ids[keep].tolist())
        firsts, seconds, counts = index.count_pairs(
            Dimension.US_INSTITUTION, Dimension.JP_INSTITUTION, keep
        )
        found = dict(
            zip(
                zip(firsts.tolist(), seconds.tolist(), strict=True),
                counts.tolist(),
                strict=True,
            )
        )
        expected = {pair: len(ids & kept) for pair, ids in pairs.items()}
        assert found == {pair: n for pair, n in expected.items() if n}
        assert list(found) == sorted(found)


@pytest.mark.parametrize("group_by", ["", "nothing", "discipline,activity"])
def test_stats_refuse_an_unknown_key(client, group_by):
    body = get(client, f"{API}/agreements/stats/?group_by={group_by}", status=400)
    assert "group_by" in body["errors"]


def test_staff_stats_count_unpublished_records_in_sql(curator_client, registry_sample):
    client = Client()  # curator_client logged the default client in
    query = "group_by=us_institution,jp_institution&us_institution=harvard-university"
    staff = get(curator_client, f"{API}/agreements/stats/?{query}")
    public = get(client, f"{API}/agreements/stats/?{query}")
    assert staff["total"] == public["total"] + 1
    listed = get(curator_client, f"{API}/agreements/?us_institution=harvard-university")
    assert staff["total"] == listed["count"]
    for key in KEYS:
        engine = get(client, f"{API}/agreements/stats/?group_by={key}")
        assert engine["total"] == Agreement.objects.published().count()


def test_engine_and_sql_stats_agree_on_published_records(
    client, editor, registry_sample
):
    # An editor's SQL counts over published records only equal the engine's counts.
    Agreement.objects.exclude(publication_state=PublicationState.PUBLISHED).delete()
    staff_client = Client()
    staff_client.force_login(editor)
    for group_by in [*KEYS, "us_institution,jp_institution"]:
        public = get(client, f"{API}/agreements/stats/?group_by={group_by}")
        staff = get(staff_client, f"{API}/agreements/stats/?group_by={group_by}")
        assert public == staff, group_by


def test_staff_stats_of_a_text_search_count_in_sql_on_every_database(
    client, editor, registry_sample
):
    """A text search is a subquery of the SQL counts: on PostgreSQL its vector column
    must be named with the subquery's alias (this was a 500)."""
    Agreement.objects.exclude(publication_state=PublicationState.PUBLISHED).delete()
    staff_client = Client()
    staff_client.force_login(editor)
    for group_by in ("discipline", "us_institution,jp_institution"):
        query = f"group_by={group_by}&q=university"
        public = get(client, f"{API}/agreements/stats/?{query}")
        staff = get(staff_client, f"{API}/agreements/stats/?{query}")
        assert staff == public and public["total"] > 0, group_by


def test_large_groupings_come_a_page_at_a_time_and_the_pages_add_up(client, db):
    """The pairing table of 600 generated agreements has more groups than a page:
    each page says how many there are in all, links the next, stays small, and the
    pages together are the whole table, in order."""
    from registry.demo import seed_demo_agreements

    seed_demo_agreements(count=600, seed=3)
    url = f"{API}/agreements/stats/?group_by=us_institution,jp_institution"
    whole = get(client, f"{url}&limit=5000")
    assert whole["group_count"] == len(whole["groups"]) > 200
    first = client.get(url, HTTP_ACCEPT="application/json")
    assert len(first.content) < 100_000
    pages, body = [], first.json()
    while True:
        assert body["group_count"] == whole["group_count"]
        assert len(body["groups"]) <= body["limit"] == 200
        pages += body["groups"]
        if body["next"] is None:
            break
        body = get(client, body["next"])
    assert pages == whole["groups"]
    assert body["previous"] and get(client, body["previous"])["offset"] == (
        body["offset"] - 200
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("limit=0", "from 1 to 5000"),
        ("limit=x", "from 1 to 5000"),
        ("offset=-1", "from 0 up"),
    ],
)
def test_a_group_page_out_of_bounds_is_refused_with_its_bounds(client, query, words):
    body = get(
        client, f"{API}/agreements/stats/?group_by=discipline&{query}", status=400
    )
    name = query.split("=")[0]
    assert words in body["errors"][name][0]


# -- the resolver ----------------------------------------------------------------------


def test_resolve_endpoint(client):
    body = get(client, f"{API}/institutions/resolve/?name=Harvard%20Medical%20School")
    assert body["chosen"]["institution"]["slug"] == "harvard-university"
    assert body["unit"] == "School of Medicine"
    assert body["ambiguous"] is False
    body = get(client, f"{API}/institutions/resolve/?name=東北大")
    assert body["chosen"]["matched_on"] == "alias: 東北大"
    body = get(client, f"{API}/institutions/resolve/?name=UW&country=US")
    assert body["chosen"] is None and body["ambiguous"] is True
    assert len(body["candidates"]) == 2
    body = get(
        client, f"{API}/institutions/resolve/?name=Universit%C3%A9%20de%20Nowhere"
    )
    assert body["chosen"] is None and body["ambiguous"] is False


@pytest.mark.parametrize("query", ["", "name=", "name=Tohoku&country=FR"])
def test_resolve_refuses_a_bad_request(client, query):
    get(client, f"{API}/institutions/resolve/?{query}", status=400)


# -- writes and permissions ------------------------------------------------------------

NEW_AGREEMENT = {
    "title": "Joint laboratory for marine robotics",
    "participants": [
        {"institution": "university-of-washington", "role": "lead"},
        {"institution": "tohoku-university", "unit": "Graduate School of Engineering"},
    ],
    "disciplines": ["health-medical-sciences"],
    "start": "2022-04",
    "sources": [{"source": "institution-websites", "url": "https://www.tohoku.ac.jp/"}],
}


def post(client, data, **extra):
    return client.post(
        f"{API}/agreements/", data, content_type="application/json", **extra
    )


def test_anonymous_writes_are_refused(client, registry_sample):
    agreement = registry_sample[0]
    assert post(client, NEW_AGREEMENT).status_code in {401, 403}
    url = f"{API}/agreements/{agreement.public_id}/"
    assert client.patch(url, {}, content_type="application/json").status_code in {
        401,
        403,
    }
    assert client.delete(url).status_code in {401, 403}
    assert Agreement.objects.filter(pk=agreement.pk).exists()


def test_a_user_who_is_not_staff_cannot_write(client, django_user_model):
    user = django_user_model.objects.create_user("reader", password="x")
    client.force_login(user)
    assert post(client, NEW_AGREEMENT).status_code == 403


def test_a_curator_creates_a_draft_which_is_indexed(curator_client):
    client = Client()
    response = post(curator_client, NEW_AGREEMENT)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["publication_state"] == "draft"
    assert body["classification"] == "collaborative"  # derived, as in the admin
    assert body["start"] == "2022-04"
    agreement = Agreement.objects.get(title=NEW_AGREEMENT["title"])
    assert agreement.participants.count() == 2
    found = get(curator_client, f"{API}/agreements/?q=marine%20robotics")
    assert [row["public_id"] for row in found["results"]] == [body["public_id"]]
    # Not public until published.
    get(client, f"{API}/agreements/{body['public_id']}/", status=404)


def test_a_curator_cannot_publish(curator_client):
    response = post(curator_client, {**NEW_AGREEMENT, "publication_state": "published"})
    assert response.status_code == 403
    assert not Agreement.objects.filter(title=NEW_AGREEMENT["title"]).exists()


def test_an_editor_publishes_and_the_public_sees_it(editor_client):
    client = Client()
    response = post(editor_client, {**NEW_AGREEMENT, "publication_state": "published"})
    assert response.status_code == 201, response.content
    public_id = response.json()["public_id"]
    assert (
        get(client, f"{API}/agreements/{public_id}/")["title"]
        == (NEW_AGREEMENT["title"])
    )
    found = get(client, f"{API}/agreements/?q=marine%20robotics")
    assert found["count"] == 1


def test_token_authentication(client, editor):
    token = Token.objects.create(user=editor)
    response = post(client, NEW_AGREEMENT, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "change, field",
    [
        ({"partners": [{"organization": "national-science-foundation"}]}, None),
        ({"classification": "consortium"}, "partners"),
        ({"start": "2022", "end": "2019"}, "end"),
        ({"funding_amount": "1000.00"}, "funding_currency"),
        ({"start": "someday"}, "start"),
        ({"participants": [{"institution": "no-such-place"}]}, "participants"),
        ({"title": ""}, "title"),
    ],
)
def test_writes_apply_the_admins_rules(curator_client, change, field):
    data = {**NEW_AGREEMENT, **change}
    response = post(curator_client, data)
    if field is None:
        # A partner makes it a consortium, derived as in the admin.
        assert response.status_code == 201, response.content
        assert response.json()["classification"] == "consortium"
        return
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] and field in body["errors"], body


def test_publishing_checks_the_composition(editor_client):
    one_country = {
        **NEW_AGREEMENT,
        "participants": [{"institution": "tohoku-university"}],
        "publication_state": "published",
    }
    response = post(editor_client, one_country)
    assert response.status_code == 400
    assert "participants" in response.json()["errors"]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_curator_edits_and_an_editor_deletes(curator, editor):
    curator_client, editor_client = logged_in(curator), logged_in(editor)
    public_id = post(curator_client, NEW_AGREEMENT).json()["public_id"]
    url = f"{API}/agreements/{public_id}/"
    response = curator_client.patch(
        url,
        {"title": "Renamed laboratory", "summary": "Underwater robots."},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed laboratory"
    assert len(response.json()["participants"]) == 2  # untouched by a PATCH
    found = get(curator_client, f"{API}/agreements/?q=underwater")
    assert found["count"] == 1
    assert curator_client.delete(url).status_code == 403  # curators cannot delete
    assert editor_client.delete(url).status_code == 204
    assert get(editor_client, f"{API}/agreements/?q=underwater")["count"] == 0


def test_a_full_update_replaces_the_participants(curator_client):
    public_id = post(curator_client, NEW_AGREEMENT).json()["public_id"]
    response = curator_client.put(
        f"{API}/agreements/{public_id}/",
        {
            **NEW_AGREEMENT,
            "participants": [
                {"institution": "harvard-university"},
                {"institution": "kyoto-university"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    slugs = {p["institution"]["slug"] for p in response.json()["participants"]}
    assert slugs == {"harvard-university", "kyoto-university"}
    found = get(curator_client, f"{API}/agreements/?jp_institution=kyoto-university")
    assert public_id in {row["public_id"] for row in found["results"]}


def test_reference_endpoints_are_read_only_even_for_editors(editor_client):
    response = editor_client.post(
        f"{API}/disciplines/", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 405


# -- throttling and docs ---------------------------------------------------------------


def test_anonymous_reads_are_throttled_by_setting(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_ANON_RATE = "2/min"
    get(client, f"{API}/programs/")
    get(client, f"{API}/programs/")
    assert get(client, f"{API}/programs/", status=429)["detail"]
    cache.clear()


def test_schema_documents_every_filter_parameter(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    parameters = {
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/agreements/"]["get"]["parameters"]
    }
    assert set(AgreementFilterSet.base_filters) <= parameters
    assert {"page", "page_size", "cursor", "ordering"} <= parameters
    stats = {
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/agreements/stats/"]["get"][
            "parameters"
        ]
    }
    assert set(AgreementFilterSet.base_filters) | {"group_by"} <= stats


def test_docs_are_served_offline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html or "/static/" in html
    assert "cdn.jsdelivr" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["", "&cursor="])
def test_browsable_api_pages_render_for_a_browser(client, cursor):
    agreement = Agreement.objects.published().order_by("pk").first()

    listing = client.get(f"/api/v1/agreements/?format=api{cursor}")
    detail = client.get(f"/api/v1/agreements/{agreement.public_id}/?format=api")

    assert listing.status_code == 200
    assert agreement.public_id in listing.content.decode()
    assert detail.status_code == 200

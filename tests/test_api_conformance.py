"""Schemathesis over every operation of the API, in process: whatever it sends, valid or
not, the answer is one the schema documents (status, media type, body, headers), a
request the schema calls invalid is refused, one it calls valid is accepted where the
schema can say what is valid, and nothing is a server error.

Each operation is one test (``test_operation_conforms[GET /api/v1/agreements/]``) run
through schemathesis' phases: the schema's examples, its coverage cases (each bound,
enum value and missing or malformed parameter in turn) and a few generated requests,
valid and invalid, with a fixed seed. Reads are sent anonymously; writes with a staff
editor's token, so they meet the real validation, and path parameters name real
records half of the time. Run one operation with ``-k``, or longer with
API_FUZZ_EXAMPLES (5 by default).
"""

import os

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.authtoken.models import Token

from registry import engine, resolver
from registry.roles import EDITORS
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("API_FUZZ_SEED", "20261130"))
TOKEN = "schemathesis-editor-token-not-a-secret00"  # 40 characters, as DRF's
SAMPLE_KEYS = (990001, 990002, 990003)  # the sample agreements' primary keys
WRITES = ["POST", "PUT", "PATCH", "DELETE"]
SEARCHES_BY_SLUG = [
    "v1_agreements_list",
    "v1_agreements_stats_retrieve",
    "v1_institutions_list",
]

# Records of the reference data, by the path parameter that names them: half of the
# requests to one record name one of these rather than a made-up slug.
KNOWN = {
    "agreements": [f"USJP-{key:06d}" for key in SAMPLE_KEYS],
    "institutions": ["harvard-university", "tohoku-university", "kyoto-university"],
    "organizations": ["national-science-foundation", "us-department-of-energy"],
    "programs": ["nsf-jst-memorandum-of-cooperation"],
    "disciplines": ["physics-and-astronomy", "mathematics"],
    "activities": ["scholar-exchange", "research-grant-award"],
    "sources": ["institution-websites", "jsps"],
    "case-studies": ["nagoya-medical-clerkships"],
}


def make_config() -> schemathesis.Config:
    checks = {
        # The conformance checks, and that no request is a server error.
        "not_a_server_error": True,
        "status_code_conformance": True,
        "content_type_conformance": True,
        "response_schema_conformance": True,
        "response_headers_conformance": True,
        "negative_data_rejection": True,
        "positive_data_acceptance": True,
        # A write documented as needing a token must refuse a request without one.
        "ignored_auth": True,
        "missing_required_header": True,
        # Not applicable: stateful (no links between operations), or about methods
        # the schema does not list (DRF checks permissions first: an anonymous TRACE
        # is a 401, not a 405).
        "use_after_free": False,
        "ensure_resource_availability": False,
        "object_level_authorization": False,
        "unsupported_method": False,
        "allow_header_conformance": False,
    }
    per_record = [
        {
            "include-path-regex": f"^/api/v1/{kind}/{{",
            "parameters": {
                f"path.{'public_id' if kind == 'agreements' else 'slug'}": {
                    "dictionary": kind,
                    "probability": 0.5,
                }
            },
        }
        for kind in KNOWN
    ]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Each operation's test has its own database transaction (a fixture).
            "suppress-health-check": ["all"],
            "dictionaries": {
                kind: {"values": values} for kind, values in KNOWN.items()
            },
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {name: {"enabled": on} for name, on in checks.items()},
            "operations": [
                *per_record,
                {
                    # Their parameters name records by slug (a made-up one is refused,
                    # 400, as it should be) and a search's years must be in order:
                    # rules no JSON Schema of one parameter can state.
                    "include-operation-id": SEARCHES_BY_SLUG,
                    "checks": {"positive_data_acceptance": {"enabled": False}},
                },
                {
                    "include-method": WRITES,
                    "headers": {"Authorization": f"Token {TOKEN}"},
                    "checks": {
                        # A valid body names institutions, organizations, disciplines
                        # by slug and keeps the admin's rules (a U.S. and a Japanese
                        # participant, dates in order): a made-up one is refused (400)
                        # as it should be, which JSON Schema cannot express.
                        "positive_data_acceptance": {"enabled": False},
                    },
                },
            ],
        }
    )


def load_schema():
    from usjp_site.wsgi import application

    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, config=make_config()
    )
    return schema


schema = load_schema()


@pytest.fixture
def registry_for_schemathesis(db, settings):
    # Anonymous reads are limited per address: every generated request comes from one.
    settings.API_ANON_RATE = None
    # The WSGI handler closes the connection around each request; within a test that
    # would end the test's transaction (Django's test client disconnects them too).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Indexes built in another test's transaction, since rolled back.
    engine._index = resolver._index = None
    make_agreement(pk=SAMPLE_KEYS[0], title="Schemathesis sample")
    make_agreement(
        pk=SAMPLE_KEYS[1],
        title="Schemathesis consortium",
        partners=("national-science-foundation",),
        us=("harvard-university",),
        jp=("kyoto-university",),
    )
    make_agreement(pk=SAMPLE_KEYS[2], title="Schemathesis draft", state="draft")
    editor = get_user_model().objects.create_user(
        username="schemathesis", password="not-a-secret", is_staff=True
    )
    editor.groups.add(Group.objects.get(name=EDITORS))
    Token.objects.create(user=editor, key=TOKEN)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
def test_operation_conforms(case, registry_for_schemathesis):
    case.call_and_validate()


def test_every_operation_is_covered():
    operations = [result.ok().label for result in schema.get_all_operations()]
    assert len(operations) == 28, operations


# -- what the schema promises, one rule at a time ------------------------------------

API = "/api/v1"


def api_schema_document(client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations_of(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_documents_what_every_operation_may_answer(settings):
    hooks = settings.SPECTACULAR_SETTINGS.get("POSTPROCESSING_HOOKS", [])
    assert "registry.api.schema.document_common_responses" in hooks, (
        "SPECTACULAR_SETTINGS must run the hook that documents 400/401/403/404/429 "
        "and public reads (registry/api/schema.py)"
    )


def test_reads_are_public_and_writes_need_a_staff_token_or_session(client):
    document = api_schema_document(client)
    for path, method, operation in operations_of(document):
        security, responses = operation["security"], operation["responses"]
        assert {"tokenAuth": []} in security and {"cookieAuth": []} in security
        if method == "get":
            assert {} in security, (method, path)  # a token is optional
        else:
            assert {} not in security, (method, path)
            assert {"401", "403", "400" if method != "delete" else "404"} <= set(
                responses
            ), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        too_many = responses["429"]["$ref"].rsplit("/", 1)[-1]
        assert too_many == "TooManyRequests", (method, path)
    components = document["components"]["responses"]
    assert components["TooManyRequests"]["headers"]["Retry-After"]["required"]


def test_an_anonymous_read_over_the_rate_is_told_when_to_come_back(client, settings):
    settings.API_ANON_RATE = "1/min"
    assert client.get(f"{API}/programs/").status_code == 200
    response = client.get(f"{API}/programs/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["detail"]


def errors_of(client, url) -> dict:
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 400, (url, response.content[:300])
    return response.json()["errors"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        # A blank choice, which the search pages read as no filter.
        ("classification=", "classification"),
        ("status=&status=active", "status"),
        ("sort=", "sort"),
        # Years: whole numbers from 1900 to 2100, nothing else.
        ("year_from=", "year_from"),
        ("year_from=1899", "year_from"),
        ("start_year=2019.0", "start_year"),
        ("year_to=%202019", "year_to"),
        # Ordering: the view's fields, each perhaps reversed.
        ("ordering=", "ordering"),
        ("ordering=slug", "ordering"),
        ("ordering=title,nothing", "ordering"),
        ("ordering=%20title", "ordering"),
        ("page=0", "page"),
        ("page_size=501", "page_size"),
    ],
)
def test_the_api_refuses_what_its_schema_does_not_allow(client, query, parameter):
    assert parameter in errors_of(client, f"{API}/agreements/?{query}")


def test_the_search_page_still_reads_a_blank_choice_as_no_filter(client):
    response = client.get("/agreements/?classification=&sort=&year_from=")
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["", "yes", "1"])
def test_a_boolean_filter_takes_true_or_false(client, value):
    url = f"{API}/institutions/?has_agreements="
    assert "has_agreements" in errors_of(client, url + value)
    assert client.get(url + "true").status_code == 200


@pytest.mark.parametrize(
    "group_by", [" discipline", "discipline ", "jp_institution,us_institution"]
)
def test_stats_take_group_by_exactly_as_documented(client, group_by):
    assert "group_by" in errors_of(
        client, f"{API}/agreements/stats/?group_by={group_by}"
    )


def test_ordering_takes_several_fields(client):
    body = client.get(f"{API}/disciplines/?ordering=-name,slug&page_size=500").json()
    names = [row["name"] for row in body["results"]]
    assert names == sorted(names, reverse=True)


@pytest.mark.parametrize("query", ["country=", "country=XX", "name=%20%20"])
def test_resolve_refuses_a_blank_name_or_country(client, query):
    separator = "&name=Harvard" if "name" not in query else ""
    errors = errors_of(client, f"{API}/institutions/resolve/?{query}{separator}")
    assert set(errors) <= {"name", "country"} and errors


@pytest.mark.parametrize("slug", ["a.b", "harvard-university.json", "%00"])
def test_a_slug_no_record_has_is_a_json_404(client, slug):
    response = client.get(f"{API}/institutions/{slug}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.fixture
def editor_token(editor):
    return Token.objects.create(user=editor).key


def write(client, token, method, url, body):
    return getattr(client, method)(
        url,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": 5, "sector": "government"}, "name"),
        ({"name": "Lab", "sector": "government", "counterparts": {}}, "counterparts"),
        (
            {"name": "Lab", "sector": "government", "aliases": [{"name": 7}]},
            "aliases",
        ),
    ],
)
def test_a_write_takes_the_json_types_of_its_schema(client, editor_token, body, field):
    response = write(client, editor_token, "post", f"{API}/organizations/", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_writes_are_json(client, editor_token):
    response = client.post(
        f"{API}/organizations/",
        {"name": "Lab", "sector": "government"},
        HTTP_AUTHORIZATION=f"Token {editor_token}",
    )
    assert response.status_code == 415


def test_a_blank_date_is_no_date(client, editor_token):
    agreement = make_agreement(start_date="2019-04-01")
    url = f"{API}/agreements/{agreement.public_id}/"
    response = write(client, editor_token, "patch", url, {"start": "", "end": " "})
    assert response.status_code == 200, response.content
    agreement.refresh_from_db()
    assert agreement.start_date is None


def test_no_parent_is_null_or_blank(client, editor_token):
    url = f"{API}/organizations/"
    for parent in (None, ""):
        body = {"name": f"Lab {parent!r}", "sector": "government", "parent": parent}
        response = write(client, editor_token, "post", url, body)
        assert response.status_code == 201, response.content
        assert response.json()["parent"] is None

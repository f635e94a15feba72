"""Staff writes of institutions and organizations through the API (/api/v1/): the
admin's rules, permissions, history, and the search index of the agreements they
reach."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from registry.models import (
    Institution,
    InstitutionIdentifier,
    Organization,
)
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db

API = "/api/v1"

NEW_INSTITUTION = {
    "name": "Cascadia Institute of Technology",
    "name_ja": "カスケーディア工科大学",
    "country": "US",
    "type": "us_private_nonprofit",
    "city": "Bellevue",
    "region": "WA",
    "website": "cascadia.example.edu",
    "research_classification": "r2",
    "aliases": [
        {"name": "CIT", "language": "en", "kind": "acronym"},
        {"name": "Cascadia Tech", "language": "en", "kind": "abbreviation"},
    ],
    "identifiers": [
        {"scheme": "ipeds", "value": "999001"},
        {"scheme": "ror", "value": "https://ror.org/05abc1234"},
    ],
}

NEW_ORGANIZATION = {
    "name": "Pacific Ocean Research Agency",
    "sector": "government",
    "country": "US",
    "ror_id": "https://ror.org/07xyz9876",
    "parent": "national-science-foundation",
    "counterparts": ["japan-society-for-the-promotion-of-science"],
    "aliases": [{"name": "PORA", "language": "en", "kind": "acronym"}],
}


@pytest.fixture(autouse=True)
def no_throttling(settings):
    settings.API_ANON_RATE = None


def send(client, method, url, data=None, **extra):
    return getattr(client, method)(
        url,
        data,
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        **extra,
    )


def get_json(client, url):
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def created(client, kind, data):
    response = send(client, "post", f"{API}/{kind}/", data)
    assert response.status_code == 201, response.content
    return response.json()


def refused(response, field) -> list | dict:
    """The messages of a 400 for this field; for a list, its rows' by number."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] and field in body["errors"], body
    return body["errors"][field]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- institutions ----------------------------------------------------------------------


def test_a_curator_creates_an_institution_with_its_names_and_identifiers(
    curator_client, curator
):
    body = created(curator_client, "institutions", NEW_INSTITUTION)
    assert body["slug"] == "cascadia-institute-of-technology"  # made from the name
    assert body["type"] == "us_private_nonprofit"
    assert body["region"]["code"] == "WA"
    assert body["website"] == "https://cascadia.example.edu"  # as the admin reads it
    assert {alias["name"] for alias in body["aliases"]} == {"CIT", "Cascadia Tech"}
    # A ROR ID written as its address is stored as the ID.
    assert {(i["scheme"], i["value"]) for i in body["identifiers"]} == {
        ("ipeds", "999001"),
        ("ror", "05abc1234"),
    }
    assert body["agreement_count"] == 0
    institution = Institution.objects.get(slug=body["slug"])
    entry = institution.history.get()
    assert entry.history_type == "+"
    assert entry.history_user == curator
    assert entry.history_change_reason == "Created through the API"
    assert get_json(Client(), f"{API}/institutions/{body['slug']}/") == body


def test_a_slug_made_from_a_name_already_used_is_numbered(curator_client):
    body = created(
        curator_client,
        "institutions",
        {"name": "Tohoku University", "country": "JP", "type": "jp_private"},
    )
    assert body["slug"] == "tohoku-university-2"


def test_an_update_replaces_the_lists_sent_and_keeps_the_others(curator_client):
    slug = created(curator_client, "institutions", NEW_INSTITUTION)["slug"]
    url = f"{API}/institutions/{slug}/"
    response = send(
        curator_client,
        "patch",
        url,
        {
            "aliases": [
                {"name": "CalTech North", "language": "en", "kind": "alternative"}
            ]
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [alias["name"] for alias in body["aliases"]] == ["CalTech North"]
    assert len(body["identifiers"]) == 2  # not sent: left as they were
    assert body["name"] == NEW_INSTITUTION["name"]

    full = {
        **NEW_INSTITUTION,
        "name": "Cascadia University",
        "slug": "cascadia-university",
        "identifiers": [{"scheme": "ipeds", "value": "999002"}],
        "aliases": [],
        "region": "",
    }
    response = send(curator_client, "put", url, full)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["slug"] == "cascadia-university"
    assert body["aliases"] == [] and body["region"] is None
    assert body["identifiers"] == [{"scheme": "ipeds", "value": "999002"}]
    assert not Institution.objects.filter(slug=slug).exists()


def test_renaming_an_institution_reindexes_its_agreements(curator, editor):
    agreement = make_agreement(
        title="Joint program in marine biology", us=("harvard-university",)
    )
    found_by_old_name = Client().get(f"{API}/agreements/?q=Harvard").json()
    assert agreement.public_id in {
        row["public_id"] for row in found_by_old_name["results"]
    }
    response = send(
        logged_in(curator),
        "patch",
        f"{API}/institutions/harvard-university/",
        {"name": "Crimsonfield University"},
    )
    assert response.status_code == 200, response.content
    # The public search (the in-memory engine) and the staff's (the FilterSet's SQL).
    for client in (Client(), logged_in(editor)):
        found = get_json(client, f"{API}/agreements/?q=crimsonfield")
        assert agreement.public_id in {row["public_id"] for row in found["results"]}
    assert agreement.public_id not in {
        row["public_id"]
        for row in get_json(Client(), f"{API}/agreements/?q=harvard")["results"]
    }


def test_an_update_records_who_changed_what(curator_client, curator):
    send(
        curator_client,
        "patch",
        f"{API}/institutions/kyoto-university/",
        {"city": "Sakyo, Kyoto"},
    )
    entry = Institution.objects.get(slug="kyoto-university").history.first()
    assert entry.city == "Sakyo, Kyoto"
    assert entry.history_type == "~"
    assert entry.history_user == curator
    assert entry.history_change_reason == "Changed through the API"


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"slug": "tohoku-university"}, "slug", "Tohoku University"),
        ({"country": "FR"}, "country", "FR"),
        ({"type": "jp_national"}, "type", "other country"),
        ({"region": "ZZ"}, "region", "ZZ"),
        ({"region": "04"}, "region", "not in United States"),
        ({"parent": "no-such-system"}, "parent", "no-such-system"),
        ({"parent": "tohoku-university"}, "parent", "same country"),
        ({"website": "not a web address"}, "website", "valid URL"),
        ({"latitude": "47.6"}, "longitude", "both latitude and longitude"),
        ({"name": "東北工科大学"}, "slug", "Give a slug"),
        (
            {"aliases": [{"name": "CIT", "language": "en", "kind": "acronym"}] * 2},
            "aliases",
            "listed twice",
        ),
    ],
)
def test_an_institution_is_refused_as_the_admin_refuses_it(
    curator_client, change, field, words
):
    response = send(
        curator_client, "post", f"{API}/institutions/", {**NEW_INSTITUTION, **change}
    )
    messages = refused(response, field)
    assert words in str(messages), messages
    assert not Institution.objects.filter(name=NEW_INSTITUTION["name"]).exists()


@pytest.mark.parametrize(
    "identifier, words",
    [
        # Tohoku University's ROR ID, in either form: the error names the holder.
        (
            {"scheme": "ror", "value": "01dq60k83"},
            "Tohoku University (tohoku-university)",
        ),
        ({"scheme": "ror", "value": "https://ror.org/01dq60k83"}, "tohoku-university"),
        ({"scheme": "ipeds", "value": "166027"}, "Harvard University"),
        ({"scheme": "ror", "value": "not-a-ror"}, "not a valid ROR ID"),
        ({"scheme": "ipeds", "value": "12345"}, "six digits"),
        ({"scheme": "mext", "value": "F101110100010"}, "Japan only"),
        ({"scheme": "ipeds", "value": " 999001 "}, "listed twice"),
    ],
)
def test_identifiers_are_checked_row_by_row(curator_client, identifier, words):
    data = {
        **NEW_INSTITUTION,
        "identifiers": [{"scheme": "ipeds", "value": "999001"}, identifier],
    }
    rows = refused(
        send(curator_client, "post", f"{API}/institutions/", data), "identifiers"
    )
    assert list(rows) == ["1"]  # by row number, the failing rows only
    assert words in str(rows["1"]), rows
    # The whole write is undone: no institution half made.
    assert not Institution.objects.filter(name=NEW_INSTITUTION["name"]).exists()
    assert not InstitutionIdentifier.objects.filter(value="999001").exists()


def test_a_refused_update_changes_nothing(curator_client):
    before = get_json(curator_client, f"{API}/institutions/kyoto-university/")
    response = send(
        curator_client,
        "put",
        f"{API}/institutions/kyoto-university/",
        {
            "name": "Kyoto University of Everything",
            "country": "JP",
            "type": "jp_national",
            "aliases": [],
            "identifiers": [{"scheme": "ror", "value": "01dq60k83"}],  # Tohoku's
        },
    )
    refused(response, "identifiers")
    assert get_json(curator_client, f"{API}/institutions/kyoto-university/") == before


def test_a_new_country_checks_the_identifiers_kept(curator_client):
    slug = created(
        curator_client,
        "institutions",
        {
            "name": "Misfiled College",
            "country": "US",
            "type": "us_public",
            "identifiers": [{"scheme": "ipeds", "value": "999003"}],
        },
    )["slug"]
    response = send(
        curator_client,
        "patch",
        f"{API}/institutions/{slug}/",
        {"country": "JP", "type": "jp_public"},
    )
    assert "United States only" in str(refused(response, "identifiers"))
    assert Institution.objects.get(slug=slug).country == "US"


# -- organizations ---------------------------------------------------------------------


def test_a_curator_creates_and_renames_an_organization(curator_client, curator):
    body = created(curator_client, "organizations", NEW_ORGANIZATION)
    assert body["slug"] == "pacific-ocean-research-agency"
    assert body["ror_id"] == "07xyz9876"
    assert body["parent"] == "national-science-foundation"
    assert [alias["name"] for alias in body["aliases"]] == ["PORA"]
    organization = Organization.objects.get(slug=body["slug"])
    # Counterparts are linked both ways.
    assert organization.counterparts.get().slug == (
        "japan-society-for-the-promotion-of-science"
    )
    assert (
        Organization.objects.get(slug="japan-society-for-the-promotion-of-science")
        .counterparts.filter(pk=organization.pk)
        .exists()
    )
    assert organization.history.get().history_user == curator

    response = send(
        curator_client,
        "patch",
        f"{API}/organizations/{body['slug']}/",
        {"name": "Pacific Ocean Research Administration", "ror_id": ""},
    )
    assert response.status_code == 200, response.content
    assert response.json()["ror_id"] == ""
    assert response.json()["slug"] == body["slug"]  # a slug stays unless sent
    assert response.json()["aliases"] == body["aliases"]


def test_renaming_an_organization_reindexes_its_agreements(curator_client):
    agreement = make_agreement(
        title="Consortium on fusion materials",
        partners=("national-science-foundation",),
    )
    response = send(
        curator_client,
        "patch",
        f"{API}/organizations/national-science-foundation/",
        {"name": "Federal Frontier Science Foundation"},
    )
    assert response.status_code == 200, response.content
    found = get_json(Client(), f"{API}/agreements/?q=frontier%20science")
    assert agreement.public_id in {row["public_id"] for row in found["results"]}


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"ror_id": "021nxhr62"}, "ror_id", "National Science Foundation"),
        ({"ror_id": "https://ror.org/nonsense"}, "ror_id", "not a ROR ID"),
        (
            {"slug": "national-science-foundation"},
            "slug",
            "National Science Foundation",
        ),
        ({"sector": "pirates"}, "sector", "pirates"),
        ({"country": "FR"}, "country", "FR"),
        ({"counterparts": ["no-such-agency"]}, "counterparts", "no-such-agency"),
    ],
)
def test_an_organization_is_refused_as_the_admin_refuses_it(
    curator_client, change, field, words
):
    response = send(
        curator_client, "post", f"{API}/organizations/", {**NEW_ORGANIZATION, **change}
    )
    assert words in str(refused(response, field))
    assert not Organization.objects.filter(name=NEW_ORGANIZATION["name"]).exists()


def test_an_organization_cannot_be_its_own_parent(curator_client):
    response = send(
        curator_client,
        "patch",
        f"{API}/organizations/national-science-foundation/",
        {"parent": "national-science-foundation"},
    )
    assert "own parent" in str(refused(response, "parent"))


# -- permissions -----------------------------------------------------------------------

WRITES = [
    ("post", f"{API}/institutions/", NEW_INSTITUTION),
    ("patch", f"{API}/institutions/kyoto-university/", {"city": "Uji"}),
    ("put", f"{API}/institutions/kyoto-university/", NEW_INSTITUTION),
    ("post", f"{API}/organizations/", NEW_ORGANIZATION),
    ("patch", f"{API}/organizations/national-science-foundation/", {"name": "X"}),
]


@pytest.mark.parametrize("method, url, data", WRITES)
def test_anonymous_writes_are_asked_to_authenticate(client, method, url, data):
    response = send(client, method, url, data)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("method, url, data", WRITES)
def test_only_staff_with_the_model_permission_write(
    client, django_user_model, method, url, data
):
    reader = django_user_model.objects.create_user("reader", password="x")
    assert send(logged_in(reader), method, url, data).status_code == 403
    # Staff, but in neither role: no permission to add or change.
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    assert send(logged_in(clerk), method, url, data).status_code == 403
    # Given only the permission this write needs, the same user may.
    codename = {"post": "add", "patch": "change", "put": "change"}[method]
    model = "institution" if "institutions" in url else "organization"
    clerk.user_permissions.add(
        Permission.objects.get(
            codename=f"{codename}_{model}", content_type__app_label="registry"
        )
    )
    clerk = django_user_model.objects.get(pk=clerk.pk)  # no cached permissions
    assert send(logged_in(clerk), method, url, data).status_code in {200, 201}


def test_token_authentication_writes(client, curator):
    token = Token.objects.create(user=curator)
    response = send(
        client,
        "post",
        f"{API}/institutions/",
        NEW_INSTITUTION,
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201, response.content


def test_institutions_and_organizations_are_not_deleted_through_the_api(
    client, curator, editor
):
    for url in (
        f"{API}/institutions/kyoto-university/",
        f"{API}/organizations/national-science-foundation/",
    ):
        assert client.delete(url).status_code == 401
        assert logged_in(curator).delete(url).status_code == 403
        # Editors may delete in the admin; here a duplicate is merged, not deleted.
        assert logged_in(editor).delete(url).status_code == 405
    assert Institution.objects.filter(slug="kyoto-university").exists()
    assert Organization.objects.filter(slug="national-science-foundation").exists()


# -- the schema ------------------------------------------------------------------------


def test_the_schema_documents_the_writes(client):
    schema = get_json(client, "/api/schema/?format=json")
    components = schema["components"]["schemas"]
    for kind, write, read in (
        ("institutions", "InstitutionWriteRequest", "Institution"),
        ("organizations", "OrganizationWriteRequest", "Organization"),
    ):
        operations = schema["paths"][f"{API}/{kind}/{{slug}}/"]
        assert "delete" not in operations
        created_ = schema["paths"][f"{API}/{kind}/"]["post"]
        for operation, status in (
            (created_, "201"),
            (operations["put"], "200"),
            (operations["patch"], "200"),
        ):
            request = operation["requestBody"]["content"]["application/json"]["schema"]
            assert request["$ref"].endswith(write) or request["$ref"].endswith(
                f"Patched{write}"
            )
            response = operation["responses"][status]["content"]["application/json"]
            assert response["schema"]["$ref"] == f"#/components/schemas/{read}"
            assert "400" in operation["responses"]
        assert {"name", "slug", "aliases"} <= set(components[write]["properties"])
    assert {"identifiers", "region", "type"} <= set(
        components["InstitutionWriteRequest"]["properties"]
    )


def test_the_browsable_api_offers_the_write_form_to_staff(curator_client):
    response = curator_client.get(f"{API}/institutions/kyoto-university/?format=api")
    assert response.status_code == 200
    html = response.content.decode()
    # The raw form holds what a write sends: the region by its code, the notes.
    assert "&quot;region&quot;: &quot;26&quot;" in html
    assert "&quot;notes&quot;" in html
    assert curator_client.get(f"{API}/organizations/?format=api").status_code == 200


def test_a_patch_of_participants_without_units_or_roles_takes_the_defaults(
    editor_client,
):
    """A PATCH skips nested defaults in DRF; leaving out ``unit`` and ``role`` still
    means no unit and a partner, not a 500."""
    agreement = make_agreement()
    response = editor_client.patch(
        reverse("api:agreement-detail", args=[agreement.public_id]),
        {
            "participants": [
                {"institution": "stanford-university"},
                {"institution": "kyoto-university"},
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert sorted(
        agreement.participants.values_list("institution__slug", "unit", "role")
    ) == [("kyoto-university", "", "partner"), ("stanford-university", "", "partner")]

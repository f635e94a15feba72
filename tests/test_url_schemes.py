"""URLs are safe by construction: every URL field takes http(s) addresses only, the same
in the model, the admin, the API and the imports; no page links to another scheme; the
data migration clears what was stored before."""

import importlib
import logging

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.template import Context, Template
from django.urls import reverse
from django.utils.html import escape

from registry.imports.agreement_sheet import import_agreement_file
from registry.imports.cells import website_url
from registry.markup import render_markdown
from registry.models import (
    Agreement,
    DataSource,
    ImportKind,
    Institution,
    Organization,
    Program,
    SourceRecord,
)
from registry.models.common import WebURLField
from registry.services import Participant, Source, agreement_save
from registry.templatetags.registry_markup import safe_href
from tests.factories import institution, make_agreement, organization
from tests.test_admin import admin_url, resubmission
from tests.test_api_writes import NEW_INSTITUTION, NEW_ORGANIZATION, send
from tests.test_import_agreements import CLERKSHIP
from tests.test_import_agreements import errors_of as agreement_errors
from tests.test_import_agreements import sheet as agreement_sheet
from tests.test_import_directory import (
    NEW_CAMPUS,
    NEW_LAB,
    org_sheet,
    run,
    run_orgs,
    snapshot,
)
from tests.test_import_directory import errors_of as directory_errors
from tests.test_import_directory import sheet as institution_sheet

pytestmark = pytest.mark.django_db

API = "/api/v1"
MESSAGE = "is not a web address (http:// or https://)"

BAD_URLS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://ftp.example.org/agreement.pdf",
]
GOOD_URLS = ["https://www.example.org/", "http://example.ac.jp/en/"]

# Every URL field of the registry (history tables aside): model, field.
URL_FIELDS = [
    (Institution, "website"),
    (Organization, "website"),
    (Program, "website"),
    (DataSource, "url"),
    (SourceRecord, "url"),
]


def field_id(entry):
    model, name = entry
    return f"{model._meta.model_name}.{name}"


def bad_id(url):
    return url.split(":", 1)[0].lower()


def stored_record(model):
    """A record of ``model`` as the reference data holds it (a new agreement's source
    for SourceRecord)."""
    if model is SourceRecord:
        return make_agreement().sources.get()
    return model.objects.order_by("pk").first()


# -- the models ------------------------------------------------------------------------


def test_every_url_field_of_the_registry_takes_web_addresses_only():
    """A URL field added later without WebURLField fails here."""
    found = set()
    for model in apps.get_app_config("registry").get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.URLField):
                assert isinstance(field, WebURLField), field
                if not model._meta.model_name.startswith("historical"):
                    found.add((model, field.name))
    assert found == set(URL_FIELDS)


@pytest.mark.parametrize("entry", URL_FIELDS, ids=field_id)
@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_full_clean_refuses_every_other_scheme(entry, url):
    model, name = entry
    record = stored_record(model)
    setattr(record, name, url)

    with pytest.raises(ValidationError) as refused:
        record.full_clean()

    assert refused.value.message_dict[name] == [f"“{url}” {MESSAGE}."]


@pytest.mark.parametrize("entry", URL_FIELDS, ids=field_id)
@pytest.mark.parametrize("url", [*GOOD_URLS, ""])
def test_full_clean_takes_http_and_https_and_blank(entry, url):
    model, name = entry
    record = stored_record(model)
    setattr(record, name, url)

    record.full_clean()


# -- the admin -------------------------------------------------------------------------

ADMIN_FIELDS = [entry for entry in URL_FIELDS if entry[0] is not SourceRecord]


@pytest.mark.parametrize("entry", ADMIN_FIELDS, ids=field_id)
@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_admin_refuses_other_schemes_and_saves_nothing(curator_client, entry, url):
    model, name = entry
    record = stored_record(model)
    before = model.objects.filter(pk=record.pk).values().get()
    change_url = admin_url(model, "change", record.pk)
    data = resubmission(curator_client.get(change_url))
    data[name] = url

    response = curator_client.post(change_url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert MESSAGE in " ".join(form.errors[name])
    assert MESSAGE in response.content.decode()
    assert model.objects.filter(pk=record.pk).values().get() == before


@pytest.mark.parametrize("entry", ADMIN_FIELDS, ids=field_id)
def test_the_admin_saves_an_https_address(curator_client, entry):
    """The form the refusals above send is otherwise valid."""
    model, name = entry
    record = stored_record(model)
    change_url = admin_url(model, "change", record.pk)
    data = resubmission(curator_client.get(change_url))
    data[name] = "https://www.example.org/registry"

    response = curator_client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    record.refresh_from_db()
    assert getattr(record, name) == "https://www.example.org/registry"


@pytest.mark.parametrize(
    "url, saved", [(BAD_URLS[0], False), (BAD_URLS[-1], False), (GOOD_URLS[0], True)]
)
def test_the_admin_source_inline_refuses_other_schemes(editor_client, url, saved):
    agreement = make_agreement()
    change_url = admin_url(Agreement, "change", agreement.pk)
    data = resubmission(editor_client.get(change_url))
    data["sources-0-url"] = url

    response = editor_client.post(change_url, data)

    stored = agreement.sources.get().url
    if saved:
        assert response.status_code == 302
        assert stored == url
    else:
        assert response.status_code == 200
        sources = next(
            inline.formset
            for inline in response.context["inline_admin_formsets"]
            if inline.formset.prefix == "sources"
        )
        assert MESSAGE in " ".join(sources.forms[0].errors["url"])
        assert stored == ""


# -- the API ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_throttling(settings):
    settings.API_ANON_RATE = None


def api_refusal(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    return str(body["errors"][field])


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_api_refuses_a_new_institution_with_another_scheme(curator_client, url):
    response = send(
        curator_client,
        "post",
        f"{API}/institutions/",
        {**NEW_INSTITUTION, "website": url},
    )

    api_refusal(response, "website")
    assert not Institution.objects.filter(name=NEW_INSTITUTION["name"]).exists()


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_api_refuses_a_changed_website_and_changes_nothing(curator_client, url):
    tohoku = institution("tohoku-university")
    versions = tohoku.history.count()

    response = send(
        curator_client,
        "patch",
        f"{API}/institutions/tohoku-university/",
        {"website": url},
    )

    api_refusal(response, "website")
    assert institution("tohoku-university").website == tohoku.website
    assert tohoku.history.count() == versions


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_api_refuses_an_organization_website_with_another_scheme(
    curator_client, url
):
    response = send(
        curator_client,
        "post",
        f"{API}/organizations/",
        {**NEW_ORGANIZATION, "website": url},
    )

    api_refusal(response, "website")
    assert not Organization.objects.filter(name=NEW_ORGANIZATION["name"]).exists()


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_api_refuses_a_source_link_with_another_scheme(editor_client, url):
    before = (Agreement.objects.count(), SourceRecord.objects.count())
    data = {
        "title": "Marine robotics consortium",
        "participants": [
            {"institution": "university-of-washington"},
            {"institution": "tohoku-university"},
        ],
        "sources": [{"source": "usaspending", "identifier": "AWD-1", "url": url}],
    }

    response = send(editor_client, "post", f"{API}/agreements/", data)

    errors = api_refusal(response, "sources")
    assert "url" in errors and MESSAGE in errors
    assert (Agreement.objects.count(), SourceRecord.objects.count()) == before


def test_the_api_takes_an_https_source_link(editor_client):
    data = {
        "title": "Marine robotics consortium",
        "participants": [
            {"institution": "university-of-washington"},
            {"institution": "tohoku-university"},
        ],
        "sources": [
            {"source": "usaspending", "identifier": "AWD-1", "url": GOOD_URLS[0]}
        ],
    }

    response = send(editor_client, "post", f"{API}/agreements/", data)

    assert response.status_code == 201, response.content
    assert SourceRecord.objects.get(source_identifier="AWD-1").url == GOOD_URLS[0]


# -- the write service and the imports -------------------------------------------------


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_agreement_write_service_refuses_a_source_link(editor, url):
    agreement = make_agreement()
    sources = SourceRecord.objects.count()

    with pytest.raises(ValidationError) as refused:
        agreement_save(
            agreement=agreement,
            participants=[
                Participant(institution("harvard-university")),
                Participant(institution("tohoku-university")),
            ],
            sources=[Source(DataSource.objects.get(slug="usaspending"), "AWD-7", url)],
            user=editor,
        )

    assert MESSAGE in refused.value.message_dict["sources"][0]
    assert SourceRecord.objects.count() == sources


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_an_agreement_import_names_the_source_url_column_and_writes_nothing(
    editor, url
):
    before = (Agreement.objects.count(), SourceRecord.objects.count())
    row = {**CLERKSHIP, "source": "USAspending.gov", "source_url": url}

    outcome = import_agreement_file(
        data=agreement_sheet(row),
        file_name="agreements.csv",
        user=editor,
        dry_run=False,
    )

    assert agreement_errors(outcome.plan)[(2, "source_url")] == [f"“{url}” {MESSAGE}."]
    assert outcome.batch is None
    assert (Agreement.objects.count(), SourceRecord.objects.count()) == before


def test_an_agreement_import_takes_an_https_source_url(editor):
    row = {**CLERKSHIP, "source": "USAspending.gov", "source_url": GOOD_URLS[0]}

    outcome = import_agreement_file(
        data=agreement_sheet(row),
        file_name="agreements.csv",
        user=editor,
        dry_run=False,
    )

    assert agreement_errors(outcome.plan) == {}
    agreement = Agreement.objects.get(title=CLERKSHIP["title"])
    assert agreement.sources.get().url == GOOD_URLS[0]


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_a_directory_import_names_the_website_column_and_writes_nothing(editor, url):
    before = snapshot()

    institutions = run(institution_sheet({**NEW_CAMPUS, "website": url}), user=editor)
    organizations = run_orgs(org_sheet({**NEW_LAB, "website": url}), user=editor)

    for outcome in (institutions, organizations):
        [message] = directory_errors(outcome.plan)[(2, "website")]
        assert f"“{url}” is not a web address" in message
        assert outcome.batch is None
    assert snapshot() == before


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_official_lists_read_no_other_scheme_as_a_website(url):
    assert website_url(url) == ""


def test_a_directory_import_takes_an_http_website(editor):
    outcome = run(
        institution_sheet({**NEW_CAMPUS, "website": GOOD_URLS[1]}),
        kind=ImportKind.INSTITUTIONS,
        user=editor,
    )

    assert directory_errors(outcome.plan) == {}
    assert Institution.objects.get(name=NEW_CAMPUS["name"]).website == GOOD_URLS[1]


# -- the pages -------------------------------------------------------------------------


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_the_safe_href_filter_drops_other_schemes(url):
    assert safe_href(url) == ""
    for variant in (f" {url}", url.upper(), f"\t{url}"):
        assert safe_href(variant) == ""


@pytest.mark.parametrize("url", [*GOOD_URLS, "HTTPS://WWW.EXAMPLE.ORG/"])
def test_the_safe_href_filter_keeps_web_addresses(url):
    assert safe_href(url) == url


def test_the_safe_href_filter_in_a_template():
    template = Template(
        '{% load registry_markup %}<a href="{{ url|safe_href }}">'
        "{% if not url|safe_href %}none{% endif %}"
    )
    assert template.render(Context({"url": BAD_URLS[0]})) == '<a href="">none'
    assert (
        template.render(Context({"url": 'https://example.org/?a="b"'}))
        == '<a href="https://example.org/?a=&quot;b&quot;">'
    )
    assert template.render(Context({"url": None})) == '<a href="">none'


def pages_with(url):
    """Every public page that shows a stored address, each holding ``url`` (written
    with QuerySet.update, as data stored before the rule would be)."""
    agreement = make_agreement(title="Stored link partnership")
    SourceRecord.objects.filter(agreement=agreement).update(url=url)
    Institution.objects.filter(slug="tohoku-university").update(website=url)
    Organization.objects.filter(slug="national-science-foundation").update(website=url)
    DataSource.objects.filter(slug="institution-websites").update(url=url)
    return {
        "agreement": agreement.get_absolute_url(),
        "institution": reverse(
            "registry:institution_detail", args=["tohoku-university"]
        ),
        "organization": organization("national-science-foundation").get_absolute_url(),
        "about": reverse("registry:about"),
    }


@pytest.mark.parametrize("url", BAD_URLS, ids=bad_id)
def test_no_page_links_to_a_stored_address_of_another_scheme(client, url):
    scheme = url.split(":", 1)[0]
    for page, address in pages_with(url).items():
        response = client.get(address)
        assert response.status_code == 200, page
        html = response.content.decode().lower()
        assert f'href="{scheme.lower()}:' not in html, page
        if page != "about":  # the about page names the data source, not its address
            assert escape(url).lower()[:20] in html, page  # shown as text


def test_pages_link_to_a_stored_https_address(client):
    """The pages above do show stored addresses as links when they are http(s)."""
    url = "https://www.example.org/stored"
    for page, address in pages_with(url).items():
        html = client.get(address).content.decode()
        assert f'href="{url}"' in html, page


def test_markdown_links_keep_only_web_and_mail_addresses():
    html = render_markdown(
        "[a](javascript:alert(1)) [b](data:text/html,x) [c](vbscript:x) "
        "[d](https://example.org/) [e](mailto:curator@example.org) [f](/about/)"
    )
    assert "javascript:" not in html
    assert "data:" not in html
    assert "vbscript:" not in html
    assert 'href="https://example.org/"' in html
    assert 'href="mailto:curator@example.org"' in html
    assert 'href="/about/"' in html


def test_the_admin_lists_a_stored_data_source_address_of_another_scheme_as_text(
    curator_client,
):
    DataSource.objects.filter(slug="institution-websites").update(url=BAD_URLS[0])

    response = curator_client.get(admin_url(DataSource, "changelist"))

    html = response.content.decode()
    assert "alert(document.cookie)" in html
    assert 'href="javascript:' not in html


# -- the data migration ----------------------------------------------------------------

migration = importlib.import_module("registry.migrations.0010_web_url_fields")


def test_the_migration_clears_other_schemes_and_notes_them(caplog):
    agreement = make_agreement(title="Stored link partnership")
    source = agreement.sources.get()
    Agreement.objects.filter(pk=agreement.pk).update(notes="Checked in 2025.")
    SourceRecord.objects.filter(pk=source.pk).update(url=BAD_URLS[0])
    Institution.objects.filter(slug="tohoku-university").update(
        website=BAD_URLS[1], notes=""
    )
    Organization.objects.filter(slug="national-science-foundation").update(
        website=BAD_URLS[2], notes="Funds the CMSP."
    )
    program = Program.objects.order_by("pk").first()
    Program.objects.filter(pk=program.pk).update(website=BAD_URLS[3])
    DataSource.objects.filter(slug="usaspending").update(url=BAD_URLS[4])
    # Kept: http(s) in any case, and blanks.
    Institution.objects.filter(slug="kyoto-university").update(website=GOOD_URLS[1])
    Institution.objects.filter(slug="harvard-university").update(
        website="HTTPS://WWW.HARVARD.EDU/"
    )
    Organization.objects.filter(
        slug="japan-society-for-the-promotion-of-science"
    ).update(website="")
    kept = {
        record.pk: record.website
        for record in Institution.objects.exclude(slug="tohoku-university")
    }

    with caplog.at_level(logging.WARNING, logger="registry.migrations"):
        migration.clear_non_web_urls(apps, None)

    tohoku = institution("tohoku-university")
    assert tohoku.website == ""
    assert BAD_URLS[1] in tohoku.notes and "Migration 0010" in tohoku.notes
    nsf = organization("national-science-foundation")
    assert nsf.website == ""
    assert nsf.notes.startswith("Funds the CMSP.\n\n")
    assert BAD_URLS[2] in nsf.notes
    source.refresh_from_db()
    assert source.url == ""
    agreement.refresh_from_db()
    assert agreement.notes.startswith("Checked in 2025.\n\n")
    assert BAD_URLS[0] in agreement.notes and "source" in agreement.notes
    program.refresh_from_db()
    assert program.website == ""
    assert DataSource.objects.get(slug="usaspending").url == ""
    # What has no notes is in the log, as is everything cleared.
    logged = caplog.text
    for url in BAD_URLS:
        assert repr(url) in logged
    assert {
        record.pk: record.website
        for record in Institution.objects.exclude(slug="tohoku-university")
    } == kept
    assert institution("harvard-university").website == "HTTPS://WWW.HARVARD.EDU/"

    # Run again (as on a database already migrated): nothing more to clear.
    caplog.clear()
    notes = nsf.notes
    migration.clear_non_web_urls(apps, None)
    assert organization("national-science-foundation").notes == notes
    assert "Cleared" not in caplog.text

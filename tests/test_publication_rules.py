"""What publishing requires beyond the composition rules: a source record, on every
path that can publish (the admin's form and action, the API, imports); and the status
of an agreement whose dates are both unknown."""

import datetime as dt

import pytest
from django.http import QueryDict

from registry.engine import published_index
from registry.filtersets import AgreementFilterSet
from registry.imports.agreement_sheet import import_agreement_file
from registry.models import Agreement, PublicationState, SourceRecord, Status
from tests.factories import csv_sheet, make_agreement
from tests.test_admin import (
    add_agreement,
    agreement_form,
    messages_of,
    page_of,
    run_action,
    written,
)
from tests.test_api import API, NEW_AGREEMENT, post

NO_SOURCE = "A published agreement needs at least one source record"


# -- A source to publish --------------------------------------------------------------


def test_the_admin_form_refuses_to_publish_without_a_source(editor_client):
    before = written()

    response = add_agreement(
        editor_client,
        agreement_form(
            publication_state=PublicationState.PUBLISHED,
            participants=["harvard-university", "tohoku-university"],
        ),
    )

    assert response.status_code == 200
    assert NO_SOURCE in page_of(response)
    assert written() == before


def test_the_admin_form_saves_a_draft_without_a_source(curator_client):
    response = add_agreement(
        curator_client,
        agreement_form(
            title="A draft still gathering sources",
            participants=["harvard-university", "tohoku-university"],
        ),
    )

    assert response.status_code == 302
    assert Agreement.objects.filter(title="A draft still gathering sources").exists()


def test_the_publish_action_refuses_a_draft_without_a_source(editor_client):
    draft = make_agreement(state=PublicationState.DRAFT, sources=())
    versions = draft.history.count()

    response = run_action(
        editor_client, Agreement, "move_to_published", [draft], apply="1"
    )

    [message] = messages_of(response)
    assert message.startswith(f"{draft} was not changed: ")
    assert NO_SOURCE in message
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.DRAFT
    assert draft.history.count() == versions


def test_the_api_refuses_to_publish_without_a_source(editor_client):
    data = {key: value for key, value in NEW_AGREEMENT.items() if key != "sources"}

    response = post(editor_client, {**data, "publication_state": "published"})

    assert response.status_code == 400
    assert NO_SOURCE in response.json()["errors"]["sources"][0]
    assert not Agreement.objects.filter(title=NEW_AGREEMENT["title"]).exists()


def test_the_api_refuses_to_take_the_last_source_of_a_published_agreement(
    editor_client,
):
    agreement = make_agreement(sources=("institution-websites",))

    response = editor_client.patch(
        f"{API}/agreements/{agreement.public_id}/",
        {"sources": []},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert NO_SOURCE in response.json()["errors"]["sources"][0]
    assert SourceRecord.objects.filter(agreement=agreement).count() == 1


@pytest.mark.django_db
def test_an_import_cannot_leave_a_published_agreement_without_a_source(editor):
    agreement = make_agreement(title="Sourced exchange", sources=("jsps",))
    data = csv_sheet(
        [
            {
                "public_id": agreement.public_id,
                "title": agreement.title,
                "source": "(clear)",
            }
        ],
        headers=["public_id", "title", "source"],
    )

    outcome = import_agreement_file(
        data=data, file_name="agreements.csv", user=editor, dry_run=False
    )

    [row] = outcome.plan.rows
    assert NO_SOURCE in row.errors["source"][0]
    assert SourceRecord.objects.filter(agreement=agreement).count() == 1


def test_an_agreement_published_before_the_rule_says_it_has_no_source(client, db):
    agreement = make_agreement(title="Published long ago", sources=())

    page = page_of(client.get(agreement.get_absolute_url()))

    assert "No source is recorded for this agreement" in page


# -- Dates unknown ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        (None, None, Status.UNKNOWN),
        (dt.date(2001, 1, 1), None, Status.ACTIVE),
        (None, dt.date(2001, 1, 1), Status.ENDED),
        (None, dt.date(2999, 1, 1), Status.ACTIVE),
        (dt.date(2999, 1, 1), None, Status.UPCOMING),
    ],
)
def test_the_status_of_an_agreement_with_no_dates_is_unknown(db, start, end, status):
    """Neither date known: its own status, in SQL, in the engine and on the record;
    one date known is enough to say."""
    agreement = make_agreement(
        title="Dated or not", start_date=start, end_date=end, sources=("jsps",)
    )

    assert agreement.current_status == status
    assert Agreement.objects.with_status().get(pk=agreement.pk).status == status
    filterset = AgreementFilterSet(
        QueryDict(f"status={status}"), queryset=Agreement.objects.published()
    )
    assert agreement in filterset.qs
    found = published_index().search(filterset.criteria(), facet_dimensions={})
    assert agreement.pk in found.ids.tolist()


def test_unknown_dates_show_as_such_and_filter_from_the_search_page(client, db):
    make_agreement(title="Undated partnership", sources=("jsps",))

    page = page_of(client.get("/agreements/?status=unknown&q=undated"))

    assert "Undated partnership" in page
    assert "Dates unknown" in page


# -- Scope at import -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_row_with_a_japanese_company_but_no_japanese_university_is_refused(
    editor,
):
    """U.S. universities and a Japanese company: never publishable, so refused at
    once, saying what the registry holds and which name was the company."""
    before = Agreement.objects.count()
    data = csv_sheet(
        [
            {
                "title": "Drug discovery alliance",
                "us_institutions": "Harvard University; Yale University",
                "partners": "Takeda Pharmaceutical Company Limited (funder)",
                "source": "Institution websites",
            }
        ],
        headers=["title", "us_institutions", "jp_institutions", "partners", "source"],
    )

    outcome = import_agreement_file(
        data=data, file_name="agreements.csv", user=editor, dry_run=False
    )

    [row] = outcome.plan.rows
    messages = " ".join(row.errors["us_institutions"])
    assert (
        "partnerships between U.S. and Japanese higher-education institutions"
        in messages
    )
    assert "needs at least one Japanese higher-education participant" in messages
    takeda = "“Takeda Pharmaceutical Company Limited” is a partner organization"
    assert takeda in messages
    assert Agreement.objects.count() == before


@pytest.mark.django_db
def test_an_import_row_with_japanese_universities_only_is_refused(editor):
    data = csv_sheet(
        [
            {
                "title": "Domestic consortium",
                "jp_institutions": "Kyoto University; Osaka University",
                "source": "Institution websites",
            }
        ],
        headers=["title", "us_institutions", "jp_institutions", "source"],
    )

    outcome = import_agreement_file(
        data=data, file_name="agreements.csv", user=editor, dry_run=True
    )

    [row] = outcome.plan.rows
    assert "needs at least one U.S. higher-education participant" in " ".join(
        row.errors["us_institutions"]
    )

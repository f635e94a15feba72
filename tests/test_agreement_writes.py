"""One write path for agreements (registry.services.agreement_save): the API, the
admin and imports each leave the same history, for the agreement and for every
participant, partner and source row it adds, changes or removes."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry.imports.agreement_sheet import import_agreement_file
from registry.models import (
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    Classification,
    DataSource,
    ParticipantRole,
    SourceRecord,
)
from registry.services import (
    Participant,
    Partner,
    Source,
    agreement_save,
)
from tests.factories import institution, make_agreement, organization
from tests.test_admin import agreement_form, inline_rows, resubmission
from tests.test_import_agreements import sheet

pytestmark = pytest.mark.django_db

API = "/api/v1"
TITLE = "Marine robotics consortium"


def history(agreement) -> dict:
    """Each kind of row's history entries for the agreement: (type, key, user)."""
    rows = {
        "agreement": agreement.history.values_list(
            "history_type", "title", "history_user__username"
        ),
        "participants": AgreementParticipant.history.filter(
            agreement_id=agreement.pk
        ).values_list("history_type", "institution__slug", "history_user__username"),
        "partners": AgreementPartner.history.filter(
            agreement_id=agreement.pk
        ).values_list("history_type", "role", "history_user__username"),
        "sources": SourceRecord.history.filter(agreement_id=agreement.pk).values_list(
            "history_type", "source_identifier", "history_user__username"
        ),
    }
    return {name: sorted(entries) for name, entries in rows.items()}


CREATED = {
    "agreement": [("+", TITLE, "editor")],
    "participants": [
        ("+", "tohoku-university", "editor"),
        ("+", "university-of-washington", "editor"),
    ],
    "partners": [("+", "funder", "editor")],
    "sources": [("+", "AWD-1", "editor")],
}
# After the change: Tohoku replaced by Kyoto, the funder now a sponsor, the source's
# identifier corrected; Washington, unchanged, has no new entry.
CHANGED = {
    "agreement": [("+", TITLE, "editor"), ("~", TITLE, "editor")],
    "participants": [
        ("+", "kyoto-university", "editor"),
        ("+", "tohoku-university", "editor"),
        ("+", "university-of-washington", "editor"),
        ("-", "tohoku-university", "editor"),
    ],
    "partners": [
        ("+", "funder", "editor"),
        ("+", "sponsor", "editor"),
        ("-", "funder", "editor"),
    ],
    "sources": [
        ("+", "AWD-1", "editor"),
        ("+", "AWD-2", "editor"),
        ("-", "AWD-1", "editor"),
    ],
}


# -- the API ---------------------------------------------------------------------------


def api_write(client, method, url, data):
    response = getattr(client, method)(url, data, content_type="application/json")
    assert response.status_code in {200, 201}, response.content
    return response.json()


def test_an_agreement_written_through_the_api_leaves_history_for_every_row(
    editor_client,
):
    rows = {
        "participants": [
            {"institution": "university-of-washington", "role": "lead"},
            {"institution": "tohoku-university"},
        ],
        "partners": [{"organization": "national-science-foundation", "role": "funder"}],
        "sources": [{"source": "usaspending", "identifier": "AWD-1"}],
    }
    created = api_write(
        editor_client, "post", f"{API}/agreements/", {"title": TITLE, **rows}
    )
    agreement = Agreement.objects.get(title=TITLE)
    assert history(agreement) == CREATED

    api_write(
        editor_client,
        "patch",
        f"{API}/agreements/{created['public_id']}/",
        {
            "participants": [
                {"institution": "university-of-washington", "role": "lead"},
                {"institution": "kyoto-university"},
            ],
            "partners": [
                {"organization": "national-science-foundation", "role": "sponsor"}
            ],
            "sources": [{"source": "usaspending", "identifier": "AWD-2"}],
        },
    )
    assert history(agreement) == CHANGED


# -- the admin -------------------------------------------------------------------------


def test_an_agreement_written_in_the_admin_leaves_history_for_every_row(
    editor_client,
):
    source = DataSource.objects.get(slug="usaspending")
    data = agreement_form(
        title=TITLE,
        classification=Classification.CONSORTIUM,
        participants=[
            ("university-of-washington", ParticipantRole.LEAD),
            "tohoku-university",
        ],
        partners=["national-science-foundation"],
    ) | inline_rows(
        "sources",
        [{"data_source": source.pk, "source_identifier": "AWD-1", "url": ""}],
    )
    response = editor_client.post(reverse("admin:registry_agreement_add"), data)
    assert response.status_code == 302, response.context["errors"]
    agreement = Agreement.objects.get(title=TITLE)
    assert history(agreement) == CREATED

    change_url = reverse("admin:registry_agreement_change", args=[agreement.pk])
    data = resubmission(editor_client.get(change_url))
    tohoku = next(
        key
        for key, value in data.items()
        if key.startswith("participants-")
        and value == str(institution("tohoku-university").pk)
    )
    data[tohoku] = str(institution("kyoto-university").pk)
    data["partners-0-role"] = "sponsor"
    data["sources-0-source_identifier"] = "AWD-2"
    response = editor_client.post(change_url, data)
    assert response.status_code == 302, response.context["errors"]
    assert history(agreement) == CHANGED
    # The admin's own log names what changed in the inlines.
    message = LogEntry.objects.filter(object_id=str(agreement.pk)).first()
    assert "Kyoto University" in message.get_change_message()


# -- imports ---------------------------------------------------------------------------


def test_an_agreement_written_by_an_import_leaves_history_for_every_row(editor):
    row = {
        "title": TITLE,
        "classification": "consortium",
        "us_institutions": "University of Washington",
        "jp_institutions": "Tohoku University",
        "partners": "National Science Foundation (funder)",
        "source": "USAspending.gov",
        "source_id": "AWD-1",
    }

    def run(*rows):
        outcome = import_agreement_file(
            data=sheet(*rows),
            file_name="agreements.csv",
            user=editor,
            dry_run=False,
        )
        assert not outcome.plan.has_errors, outcome.plan.rows[0].errors
        return outcome.batch

    first = run(row)
    agreement = Agreement.objects.get(title=TITLE)
    assert history(agreement) == CREATED
    assert {entry.import_batch for entry in AgreementParticipant.history.all()} >= {
        first
    }

    second = run(
        row
        | {
            "public_id": agreement.public_id,
            "jp_institutions": "Kyoto University",
            "partners": "National Science Foundation (sponsor)",
            "source_id": "AWD-2",
        }
    )
    assert history(agreement) == CHANGED
    changed = AgreementParticipant.history.filter(
        agreement_id=agreement.pk, history_type="-"
    ).get()
    assert changed.import_batch == second
    assert "(import" in changed.history_change_reason


# -- the service itself ----------------------------------------------------------------


def participants(*slugs: str) -> list[Participant]:
    return [Participant(institution(slug)) for slug in slugs]


def test_a_composition_rule_broken_by_a_save_writes_nothing(editor):
    """A consortium without a partner: refused with the rule's message, and neither
    the agreement nor a participant nor a history entry is written."""
    before = (Agreement.objects.count(), AgreementParticipant.history.count())
    agreement = Agreement(title=TITLE, classification=Classification.CONSORTIUM)
    with pytest.raises(ValidationError) as refused:
        agreement_save(
            agreement=agreement,
            participants=participants("university-of-washington", "tohoku-university"),
            partners=[],
            user=editor,
        )
    assert "needs at least one non-higher-education partner" in str(
        refused.value.message_dict["partners"]
    )
    assert (Agreement.objects.count(), AgreementParticipant.history.count()) == before


def test_a_source_another_agreement_has_is_refused_and_nothing_changes(editor):
    source = DataSource.objects.get(slug="usaspending")
    first = make_agreement(
        title="First", us=("duke-university",), jp=("kyoto-university",)
    )
    SourceRecord.objects.create(
        agreement=first, data_source=source, source_identifier="AWD-9"
    )
    agreement = make_agreement(
        title=TITLE, us=("university-of-washington",), jp=("tohoku-university",)
    )
    agreement.title = "Changed title"
    with pytest.raises(ValidationError) as refused:
        agreement_save(
            agreement=agreement,
            participants=participants("university-of-washington", "kyoto-university"),
            sources=[Source(source, "AWD-9")],
            user=editor,
        )
    assert "AWD-9" in refused.value.message_dict["sources"][0]
    agreement.refresh_from_db()
    assert agreement.title == TITLE
    assert {p.institution.slug for p in agreement.participants.all()} == {
        "university-of-washington",
        "tohoku-university",
    }


def test_a_participant_listed_twice_is_refused_a_partner_twice_written_once(editor):
    pair = participants("university-of-washington", "tohoku-university")
    with pytest.raises(ValidationError) as refused:
        agreement_save(
            agreement=Agreement(title=TITLE), participants=[*pair, pair[1]], user=editor
        )
    assert "listed more than once" in refused.value.message_dict["participants"][0]
    assert not Agreement.objects.filter(title=TITLE).exists()

    agreement = Agreement(title=TITLE)
    saved = agreement_save(
        agreement=agreement,
        participants=pair,
        partners=[Partner(organization("national-science-foundation"), "funder")] * 2,
        user=editor,
    )
    assert agreement.participants.count() == 2
    assert agreement.partners.count() == 1
    assert len(saved.added) == 3
    assert agreement.classification == Classification.CONSORTIUM

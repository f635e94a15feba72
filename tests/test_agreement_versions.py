"""An agreement's versions: one entry a write, holding its fields and its parts;
any two compared; a revert through the write service that is itself a version; merges
recorded on the agreements they touch; a classification that follows the partners
until a curator chooses one."""

import pytest
from django.core.exceptions import ValidationError

from registry.models import (
    Agreement,
    Classification,
    DataSource,
    Institution,
    ParticipantRole,
    PartnerRole,
    Program,
)
from registry.services import (
    Participant,
    Partner,
    Source,
    agreement_revert,
    agreement_save,
    institutions_merge,
)
from registry.services.versions import compare, versions_of
from tests.factories import institution, organization, saved_by_service

pytestmark = pytest.mark.django_db


def new_agreement(user, **fields):
    return saved_by_service(
        user, title="Ocean robotics for disaster response", **fields
    )


def changes(version) -> dict:
    return {
        change.label: (change.before, change.after)
        if not change.is_part
        else (change.removed, change.added)
        for change in version.changes
    }


def test_creating_an_agreement_is_one_version_holding_its_parts(editor):
    agreement = new_agreement(editor)

    (version,) = versions_of(agreement)
    assert version.entry.history_type == "+"
    assert version.entry.history_change_reason == "Press release"
    assert version.entry.history_user == editor
    assert [p["name"] for p in version.entry.parts["participants"]] == [
        "Harvard University",
        "Tohoku University",
    ]
    assert version.entry.parts["sources"][0]["identifier"] == "JSPS-1"


def test_a_version_lists_a_participant_added_and_a_source_removed(editor):
    agreement = new_agreement(editor)

    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university"), "", ParticipantRole.LEAD),
            Participant(institution("tohoku-university")),
            Participant(institution("osaka-university"), "Graduate School of Medicine"),
        ],
        sources=[],
        user=editor,
        reason="Osaka joined; the JSPS record was wrong",
    )

    newest = versions_of(agreement)[0]
    assert newest.entry.history_change_reason == (
        "Osaka joined; the JSPS record was wrong"
    )
    assert changes(newest) == {
        "Participants": (
            [],
            ["Osaka University (Graduate School of Medicine), partner"],
        ),
        "Sources": (["Japan Society for the Promotion of Science (JSPS) JSPS-1"], []),
    }


def test_any_two_versions_are_compared_not_only_neighbours(editor):
    agreement = new_agreement(editor)
    agreement.title = "Ocean robotics for disaster response, phase 2"
    agreement_save(agreement=agreement, user=editor)
    agreement.summary = "Autonomous vessels survey tsunami debris."
    agreement_save(
        agreement=agreement,
        partners=[Partner(organization("takeda-pharmaceutical-company"))],
        user=editor,
    )

    first, _second, third = versions_of(agreement)[::-1]
    differences = {d.label: d for d in compare(first.entry, third.entry)}

    assert differences["title (English)"].before == (
        "Ocean robotics for disaster response"
    )
    assert differences["title (English)"].after == (
        "Ocean robotics for disaster response, phase 2"
    )
    assert differences["summary"].after == "Autonomous vessels survey tsunami debris."
    assert differences["Non-HE partners"].added == [
        "Takeda Pharmaceutical Company Limited, partner"
    ]
    assert differences["classification"].before == (
        "Collaborative (follows the partners)"
    )
    assert differences["classification"].after == "Consortium (follows the partners)"


def test_a_revert_restores_fields_and_participants_and_is_a_version(editor, curator):
    agreement = new_agreement(editor)
    first = versions_of(agreement)[0].entry
    agreement.title = "Renamed by mistake"
    agreement_save(
        agreement=agreement,
        participants=[Participant(institution("tohoku-university"))],
        user=editor,
    )
    # A unilateral draft is allowed; the revert brings Harvard back.
    assert agreement.participants.count() == 1

    agreement_revert(agreement=agreement, entry=first, user=curator, reason="Oops")

    agreement.refresh_from_db()
    assert agreement.title == "Ocean robotics for disaster response"
    assert sorted(agreement.participants.values_list("institution__slug", "role")) == [
        ("harvard-university", ParticipantRole.LEAD),
        ("tohoku-university", ParticipantRole.PARTNER),
    ]
    newest = versions_of(agreement)[0]
    assert newest.number == 3
    assert newest.entry.history_user == curator
    assert newest.entry.history_change_reason == "Reverted to version 1: Oops"
    assert "Participants" in changes(newest)


def test_a_revert_that_would_break_a_rule_says_why_and_changes_nothing(editor):
    agreement = Agreement(title="Quantum sensing", publication_state="draft")
    agreement_save(
        agreement=agreement,
        participants=[Participant(institution("harvard-university"))],
        sources=[Source(DataSource.objects.get(slug="jsps"), "JSPS-9")],
        user=editor,
    )
    unilateral = versions_of(agreement)[0].entry
    agreement.publication_state = "published"
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university")),
            Participant(institution("tohoku-university")),
        ],
        user=editor,
    )
    before = agreement.history.count()

    with pytest.raises(ValidationError) as refused:
        agreement_revert(agreement=agreement, entry=unilateral, user=editor)

    assert "participants" in refused.value.message_dict
    assert agreement.history.count() == before
    assert agreement.participants.count() == 2


def test_a_revert_to_a_version_naming_a_deleted_record_says_which(editor):
    college = Institution.objects.create(
        name="Test College",
        slug="test-college",
        country="US",
        institution_type="us_public",
    )
    agreement = Agreement(title="Quantum sensing")
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(college),
            Participant(institution("tohoku-university")),
        ],
        user=editor,
    )
    first = versions_of(agreement)[0].entry
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university")),
            Participant(institution("tohoku-university")),
        ],
        user=editor,
    )
    college.delete()

    with pytest.raises(ValidationError) as refused:
        agreement_revert(agreement=agreement, entry=first, user=editor)

    assert refused.value.messages == [
        "This version names records that no longer exist (merged or deleted since): "
        "Test College. Edit the agreement instead."
    ]
    assert agreement.history.count() == 2


def test_a_merge_is_a_version_of_every_agreement_it_touched(editor):
    duplicate = Institution.objects.create(
        name="Tohoku Univ.",
        slug="tohoku-univ",
        country="JP",
        institution_type="jp_national",
    )
    agreement = Agreement(title="Sendai–Seattle ocean science")
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university")),
            Participant(duplicate),
        ],
        user=editor,
    )

    institutions_merge(
        survivor=institution("tohoku-university"), duplicates=[duplicate], user=editor
    )

    newest = versions_of(agreement)[0]
    assert newest.entry.history_change_reason == (
        "Tohoku Univ. merged into Tohoku University"
    )
    assert changes(newest)["Participants"] == (
        ["Tohoku Univ., partner"],
        ["Tohoku University, partner"],
    )


def test_a_blank_classification_follows_the_partners_until_one_is_chosen(editor):
    agreement = new_agreement(editor)
    assert agreement.classification == Classification.COLLABORATIVE
    assert not agreement.classification_chosen

    # The form gives back the derived value; a partner added moves it.
    agreement_save(
        agreement=agreement,
        partners=[
            Partner(organization("takeda-pharmaceutical-company"), PartnerRole.FUNDER)
        ],
        user=editor,
    )
    agreement.refresh_from_db()
    assert agreement.classification == Classification.CONSORTIUM
    assert not agreement.classification_chosen


def test_a_chosen_classification_is_kept_and_the_rules_say_what_is_wrong(editor):
    agreement = new_agreement(editor, classification=Classification.COLLABORATIVE)
    assert agreement.classification_chosen

    with pytest.raises(ValidationError) as refused:
        agreement_save(
            agreement=agreement,
            partners=[Partner(organization("takeda-pharmaceutical-company"))],
            user=editor,
        )

    assert "A collaborative agreement" in refused.value.message_dict["partners"][0]


def api_write(client, method, url, data):
    response = getattr(client, method)(url, data, content_type="application/json")
    assert response.status_code in {200, 201}, response.content
    return response.json()


def test_the_api_takes_a_reason_and_lets_the_classification_follow(editor_client):
    made = api_write(
        editor_client,
        "post",
        "/api/v1/agreements/",
        {
            "title": "Ocean robotics for disaster response",
            "participants": [
                {"institution": "harvard-university"},
                {"institution": "tohoku-university"},
            ],
            "change_reason": "Press release",
        },
    )
    agreement = Agreement.objects.get(pk=int(made["public_id"].split("-")[1]))
    assert not agreement.classification_chosen

    api_write(
        editor_client,
        "patch",
        f"/api/v1/agreements/{made['public_id']}/",
        {
            "partners": [{"organization": "takeda-pharmaceutical-company"}],
            "change_reason": "Takeda joined as a sponsor",
        },
    )

    agreement.refresh_from_db()
    assert agreement.classification == Classification.CONSORTIUM
    reasons = [
        version.entry.history_change_reason for version in versions_of(agreement)
    ]
    assert reasons == ["Takeda joined as a sponsor", "Press release"]


def test_a_revert_to_a_version_whose_program_was_deleted_says_so(editor):
    program = Program.objects.create(name="Short-lived program", slug="short-lived")
    agreement = Agreement(title="Quantum sensing", program=program)
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university")),
            Participant(institution("tohoku-university")),
        ],
        user=editor,
    )
    first = versions_of(agreement)[0].entry
    agreement.program = None
    agreement_save(agreement=agreement, user=editor)
    program.delete()

    with pytest.raises(ValidationError) as refused:
        agreement_revert(agreement=agreement, entry=first, user=editor)

    assert refused.value.messages == [
        "This version names records that no longer exist (merged or deleted since): "
        "its program. Edit the agreement instead."
    ]


def test_a_long_reason_is_kept_whole_on_every_history_table(editor):
    reason = "Corrected from the signed memorandum. " * 20
    agreement = new_agreement(editor)

    agreement_save(
        agreement=agreement,
        participants=[Participant(institution("harvard-university"))],
        sources=[],
        user=editor,
        reason=reason,
    )

    assert versions_of(agreement)[0].entry.history_change_reason == reason
    removed = agreement.participants.model.history.filter(
        agreement_id=agreement.pk, history_type="-"
    ).get()
    assert removed.history_change_reason == reason


def test_reverting_to_a_version_that_followed_the_partners_follows_them_again(
    editor,
):
    agreement = new_agreement(editor)
    collaborative = versions_of(agreement)[0].entry
    agreement_save(
        agreement=agreement,
        partners=[Partner(organization("takeda-pharmaceutical-company"))],
        user=editor,
    )

    agreement_revert(agreement=agreement, entry=collaborative, user=editor)

    agreement.refresh_from_db()
    assert agreement.classification == Classification.COLLABORATIVE
    assert not agreement.classification_chosen

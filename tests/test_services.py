"""Publishing and merging, called directly as the admin, the API and imports call
them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from registry.models import (
    AgreementParticipant,
    CaseStudy,
    IdentifierScheme,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionRedirect,
    InstitutionType,
    ParticipantRole,
    PublicationState,
)
from registry.services import institutions_merge, publication_move
from tests.factories import institution, make_agreement

pytestmark = pytest.mark.django_db


# -- Publication -----------------------------------------------------------------------


def test_an_editor_publishes_a_valid_draft_and_the_history_says_who(editor):
    draft = make_agreement(state=PublicationState.DRAFT)
    result = publication_move(
        records=[draft], state=PublicationState.PUBLISHED, user=editor
    )
    draft.refresh_from_db()
    assert result.changed == [draft]
    assert draft.publication_state == PublicationState.PUBLISHED
    assert draft.published_at is not None
    latest = draft.history.latest()
    assert latest.history_user == editor
    assert latest.history_change_reason == "Moved to published"


def test_publishing_a_draft_without_a_japanese_participant_is_refused_and_kept(editor):
    draft = make_agreement(jp=(), state=PublicationState.DRAFT)
    history_before = draft.history.count()
    result = publication_move(
        records=[draft], state=PublicationState.PUBLISHED, user=editor
    )
    draft.refresh_from_db()
    assert result.changed == []
    [(refused, reason)] = result.refused
    assert refused.pk == draft.pk
    assert "needs at least one Japanese higher-education participant" in reason
    assert draft.publication_state == PublicationState.DRAFT
    assert draft.published_at is None
    assert draft.history.count() == history_before


def test_a_curator_may_not_publish(curator):
    draft = make_agreement(state=PublicationState.DRAFT)
    with pytest.raises(
        PermissionDenied, match="may not publish or withdraw agreements"
    ):
        publication_move(
            records=[draft], state=PublicationState.PUBLISHED, user=curator
        )
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.DRAFT


def test_a_curator_submits_for_review(curator):
    draft = make_agreement(state=PublicationState.DRAFT)
    result = publication_move(
        records=[draft], state=PublicationState.IN_REVIEW, user=curator
    )
    assert result.changed == [draft]


def test_a_withdrawn_agreement_cannot_go_straight_back_to_review_twice(editor):
    published = make_agreement()
    publication_move(records=[published], state=PublicationState.WITHDRAWN, user=editor)
    result = publication_move(
        records=[published], state=PublicationState.WITHDRAWN, user=editor
    )
    assert result.unchanged == [published]


def test_a_draft_cannot_be_withdrawn(editor):
    draft = make_agreement(state=PublicationState.DRAFT)
    result = publication_move(
        records=[draft], state=PublicationState.WITHDRAWN, user=editor
    )
    [(_record, reason)] = result.refused
    assert reason == "a record in draft cannot be moved to withdrawn."


def test_republishing_keeps_the_first_publication_date(editor):
    agreement = make_agreement(state=PublicationState.DRAFT)
    publication_move(records=[agreement], state=PublicationState.PUBLISHED, user=editor)
    first = agreement.published_at
    publication_move(records=[agreement], state=PublicationState.WITHDRAWN, user=editor)
    publication_move(records=[agreement], state=PublicationState.PUBLISHED, user=editor)
    assert agreement.published_at == first


def test_case_studies_follow_the_same_workflow(editor, curator):
    study = CaseStudy.objects.create(
        title="Tohoku and disaster response", slug="tohoku"
    )
    with pytest.raises(PermissionDenied, match="case studies"):
        publication_move(
            records=[study], state=PublicationState.PUBLISHED, user=curator
        )
    result = publication_move(
        records=[study], state=PublicationState.PUBLISHED, user=editor
    )
    assert result.changed == [study]


# -- Merging duplicate institutions ----------------------------------------------------


@pytest.fixture
def duplicate_of_tohoku():
    """A second record of Tohoku University, as an import from an old list might
    create."""
    duplicate = Institution.objects.create(
        name="Tohoku Univ.",
        name_ja="東北大",
        slug="tohoku-univ",
        country="JP",
        institution_type=InstitutionType.JP_NATIONAL,
        notes="Created from a 2019 JSPS spreadsheet.",
    )
    InstitutionAlias.objects.create(
        institution=duplicate, name="Tohoku U", language="en", kind="abbreviation"
    )
    InstitutionIdentifier.objects.create(
        institution=duplicate, scheme=IdentifierScheme.ROR, value="0abcdef12"
    )
    return duplicate


def test_merging_moves_everything_to_the_survivor_and_loses_nothing(
    editor, duplicate_of_tohoku
):
    tohoku = institution("tohoku-university")
    agreement = make_agreement(jp=("tohoku-univ",))
    study = CaseStudy.objects.create(title="c", slug="c")
    study.institutions.add(duplicate_of_tohoku)
    duplicate_pk = duplicate_of_tohoku.pk

    summary = institutions_merge(
        survivor=tohoku, duplicates=[duplicate_of_tohoku], user=editor
    )

    assert not Institution.objects.filter(pk=duplicate_pk).exists()
    assert agreement.participants.filter(institution=tohoku).exists()
    aliases = set(tohoku.aliases.values_list("name", flat=True))
    assert {"Tohoku Univ.", "Tohoku U"} <= aliases
    assert "東北大" in aliases  # an alias already, or the duplicate's Japanese name
    assert tohoku.identifiers.filter(value="0abcdef12").exists()
    assert list(study.institutions.all()) == [tohoku]
    assert InstitutionRedirect.objects.get(old_slug="tohoku-univ").institution == tohoku
    tohoku.refresh_from_db()
    assert "Created from a 2019 JSPS spreadsheet." in tohoku.notes
    assert summary.participations_moved == 1
    assert tohoku.history.latest().history_change_reason == "Merged in: Tohoku Univ."
    deleted = Institution.history.filter(id=duplicate_pk, history_type="-").get()
    assert deleted.history_user == editor
    assert deleted.history_change_reason.startswith("Merged into Tohoku University")


def test_merging_combines_two_participations_in_one_agreement_keeping_the_lead(
    editor, duplicate_of_tohoku
):
    tohoku = institution("tohoku-university")
    agreement = make_agreement(jp=("tohoku-university", "tohoku-univ"))
    agreement.participants.filter(institution=duplicate_of_tohoku).update(
        role=ParticipantRole.LEAD
    )
    summary = institutions_merge(
        survivor=tohoku, duplicates=[duplicate_of_tohoku], user=editor
    )
    rows = AgreementParticipant.objects.filter(agreement=agreement, institution=tohoku)
    assert [row.role for row in rows] == [ParticipantRole.LEAD]
    assert summary.participations_combined == 1


def test_merging_fills_the_survivors_blank_fields_only(editor, duplicate_of_tohoku):
    tohoku = institution("tohoku-university")
    duplicate_of_tohoku.city = "Somewhere else"
    duplicate_of_tohoku.website = "https://example.org/"
    duplicate_of_tohoku.save()
    tohoku.website = ""
    tohoku.save()
    institutions_merge(survivor=tohoku, duplicates=[duplicate_of_tohoku], user=editor)
    tohoku.refresh_from_db()
    assert tohoku.city == "Sendai"
    assert tohoku.website == "https://example.org/"


def test_merging_institutions_of_two_countries_is_refused_and_changes_nothing(editor):
    harvard, tohoku = (
        institution("harvard-university"),
        institution("tohoku-university"),
    )
    with pytest.raises(ValidationError, match="different countries"):
        institutions_merge(survivor=tohoku, duplicates=[harvard], user=editor)
    assert Institution.objects.filter(pk=harvard.pk).exists()


def test_merging_a_campus_into_its_own_system_is_refused(editor):
    system = institution("university-of-california")
    campus = institution("university-of-california-irvine")
    with pytest.raises(ValidationError, match="is the system"):
        institutions_merge(survivor=campus, duplicates=[system], user=editor)


def test_merging_needs_delete_permission(curator, duplicate_of_tohoku):
    with pytest.raises(PermissionDenied):
        institutions_merge(
            survivor=institution("tohoku-university"),
            duplicates=[duplicate_of_tohoku],
            user=curator,
        )
    assert Institution.objects.filter(pk=duplicate_of_tohoku.pk).exists()


def test_merging_needs_a_duplicate_besides_the_survivor(editor):
    tohoku = institution("tohoku-university")
    with pytest.raises(ValidationError, match="at least one duplicate"):
        institutions_merge(survivor=tohoku, duplicates=[tohoku], user=editor)


def test_an_earlier_redirect_follows_a_second_merge(editor, duplicate_of_tohoku):
    tohoku = institution("tohoku-university")
    institutions_merge(survivor=duplicate_of_tohoku, duplicates=[tohoku], user=editor)
    third = Institution.objects.create(
        name="Tohoku Daigaku",
        slug="tohoku-daigaku",
        country="JP",
        institution_type=InstitutionType.JP_NATIONAL,
    )
    institutions_merge(survivor=third, duplicates=[duplicate_of_tohoku], user=editor)
    assert (
        InstitutionRedirect.objects.get(old_slug="tohoku-university").institution
        == third
    )

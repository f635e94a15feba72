"""The curators' workspace in the admin: an agreement's history with its parts, any
two versions compared, a revert that works, a reason asked on every change, the
review queue's filters and counts, and no inline style (the CSP forbids it)."""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.imports.agreement_sheet import import_agreement_file
from registry.models import (
    Agreement,
    CaseStudy,
    Classification,
    Institution,
    Organization,
    ParticipantRole,
    PublicationState,
    SourceRecord,
)
from registry.services import Participant, agreement_save
from tests.factories import institution, make_agreement, saved_by_service
from tests.test_admin import (
    admin_url,
    agreement_form,
    messages_of,
    page_of,
    resubmission,
    run_action,
)
from tests.test_import_agreements import EARTHQUAKES, sheet

pytestmark = pytest.mark.django_db


def written_agreement(user):
    """A draft with two versions: created (Harvard, Tohoku, a JSPS source), then
    Osaka added and the source removed."""
    agreement = saved_by_service(
        user, title="Tsunami sensing network", source_id="JSPS-7"
    )
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university"), "", ParticipantRole.LEAD),
            Participant(institution("tohoku-university")),
            Participant(institution("osaka-university")),
        ],
        sources=[],
        user=user,
        reason="Osaka joined",
    )
    return agreement


def test_the_history_lists_each_version_with_the_parts_it_changed(
    editor_client, editor
):
    agreement = written_agreement(editor)

    page = page_of(editor_client.get(admin_url(Agreement, "history", agreement.pk)))

    assert "Version 2" in page and "Version 1" in page
    assert "Osaka joined" in page and "Press release" in page
    assert "<ins>Osaka University, partner</ins>" in page
    assert "<del>Japan Society for the Promotion of Science (JSPS) JSPS-7</del>" in page


def test_two_versions_that_are_not_neighbours_are_compared(editor_client, editor):
    agreement = written_agreement(editor)
    agreement.title = "Tsunami sensing network, phase 2"
    agreement_save(agreement=agreement, user=editor)
    first, _second, third = agreement.history.order_by("history_date", "history_id")

    response = editor_client.get(
        reverse("admin:registry_agreement_compare", args=[agreement.pk]),
        {"older": third.history_id, "newer": first.history_id},
    )

    page = page_of(response)
    assert response.context["title"] == "Version 1 compared with version 3"
    assert "<del>Tsunami sensing network</del>" in page
    assert "<ins>Tsunami sensing network, phase 2</ins>" in page
    assert "<ins>Osaka University, partner</ins>" in page


def test_comparing_without_two_versions_goes_back_with_a_message(editor_client, editor):
    agreement = written_agreement(editor)

    response = editor_client.get(
        reverse("admin:registry_agreement_compare", args=[agreement.pk]),
        {"older": "x"},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Choose two versions of this agreement."]


def test_a_revert_in_the_admin_restores_the_version_and_is_recorded(
    editor_client, editor
):
    agreement = written_agreement(editor)
    first = agreement.history.order_by("history_date", "history_id").first()
    url = reverse(
        "admin:registry_agreement_simple_history", args=[agreement.pk, first.history_id]
    )
    shown = page_of(editor_client.get(url))
    assert "Revert to version 1" in shown
    # What changed since: Osaka came, the source went.
    assert "<ins>Osaka University, partner</ins>" in shown
    assert (
        "<del>Japan Society for the Promotion of Science (JSPS) JSPS-7</del>" in shown
    )

    response = editor_client.post(url, {"reason": "Osaka was a mistake"})

    assert response.status_code == 302
    assert messages_of(response) == [f"{agreement} is back to version 1."]
    assert sorted(
        agreement.participants.values_list("institution__slug", flat=True)
    ) == ["harvard-university", "tohoku-university"]
    assert SourceRecord.objects.filter(agreement=agreement).count() == 1
    newest = agreement.history.latest("history_date", "history_id")
    assert newest.history_change_reason == "Reverted to version 1: Osaka was a mistake"
    assert agreement.history.count() == 3


def test_a_revert_the_rules_refuse_says_why_and_writes_nothing(editor_client, editor):
    agreement = make_agreement(title="Marine biology exchange", sources=("jsps",))
    agreement.title = "Marine biology exchange (renamed)"
    agreement_save(
        agreement=agreement,
        participants=[
            Participant(institution("harvard-university")),
            Participant(institution("tohoku-university")),
        ],
        user=editor,
    )
    # The first entry, written before the agreement had participants, is a published
    # agreement with none: the rules refuse it.
    first = agreement.history.order_by("history_date", "history_id").first()
    url = reverse(
        "admin:registry_agreement_simple_history", args=[agreement.pk, first.history_id]
    )
    before = agreement.history.count()

    response = editor_client.post(url, {"reason": ""})

    assert response.status_code == 200
    assert any("Japanese" in message for message in messages_of(response))
    assert agreement.history.count() == before
    agreement.refresh_from_db()
    assert agreement.title == "Marine biology exchange (renamed)"


def test_the_form_asks_why_and_the_reason_is_kept_with_the_version(curator_client):
    data = agreement_form(
        title="Coastal resilience field school",
        participants=["harvard-university", "tohoku-university"],
        change_reason="Press release of 1 December 2026",
    )

    response = curator_client.post(admin_url(Agreement, "add"), data)

    assert response.status_code == 302
    agreement = Agreement.objects.get(title="Coastal resilience field school")
    (entry,) = agreement.history.all()
    assert entry.history_change_reason == "Press release of 1 December 2026"
    assert [p["name"] for p in entry.parts["participants"]] == [
        "Harvard University",
        "Tohoku University",
    ]


def test_a_blank_classification_is_derived_again_after_a_partner_is_added(
    curator_client,
):
    data = agreement_form(
        title="Coastal resilience field school",
        classification="",
        participants=["harvard-university", "tohoku-university"],
    )
    curator_client.post(admin_url(Agreement, "add"), data)
    agreement = Agreement.objects.get(title="Coastal resilience field school")
    assert agreement.classification == Classification.COLLABORATIVE
    change_url = admin_url(Agreement, "change", agreement.pk)
    shown = curator_client.get(change_url)
    assert shown.context["adminform"].form["classification"].value() == ""
    assert "Follows the partners (now collaborative)" in page_of(shown)

    data = resubmission(shown) | agreement_form(
        title="Coastal resilience field school",
        classification="",
        partners=["takeda-pharmaceutical-company"],
    )
    # Keep the saved participants; add the partner.
    data = {k: v for k, v in data.items() if not k.startswith("participants-")}
    data |= {
        key: value
        for key, value in resubmission(shown).items()
        if key.startswith("participants-")
    }
    response = curator_client.post(change_url, data)

    assert response.status_code == 302, response.context["errors"]
    agreement.refresh_from_db()
    assert agreement.classification == Classification.CONSORTIUM
    assert not agreement.classification_chosen


def test_the_agreement_form_puts_the_parties_right_after_the_title(curator_client):
    page = page_of(curator_client.get(admin_url(Agreement, "add")))

    title = page.index('name="title"')
    participants = page.index('id="participants-group"')
    classification = page.index('name="classification"')
    assert title < participants < page.index('id="partners-group"') < classification
    # One empty row of each, ready to fill.
    for prefix in ("participants", "partners", "sources"):
        assert f'name="{prefix}-TOTAL_FORMS" value="1"' in page


# -- The review queue ------------------------------------------------------------------


def listed(client, **params):
    response = client.get(admin_url(Agreement, "changelist"), params)
    return {row.title for row in response.context["cl"].result_list}


def test_the_queue_filters_find_what_is_missing(curator_client):
    make_agreement(title="Sourced, bilingual", title_ja="両言語", sources=("jsps",))
    make_agreement(title="No source", title_ja="出典なし", sources=())
    make_agreement(title="No Japanese title", sources=("jsps",))

    assert "No source" in listed(curator_client, missing="source")
    assert "Sourced, bilingual" not in listed(curator_client, missing="source")
    assert "No Japanese title" in listed(curator_client, missing="japanese")
    assert "Sourced, bilingual" not in listed(curator_client, missing="japanese")


def test_the_queue_finds_records_whose_sources_were_not_checked_lately(
    curator_client,
):
    fresh = make_agreement(title="Checked last month", sources=("jsps",))
    stale = make_agreement(title="Checked in 2019", sources=("jsps",))
    never = make_agreement(title="Never checked", sources=("jsps",))
    fresh.sources.update(retrieved_on="2026-11-01")
    stale.sources.update(retrieved_on="2019-05-01")
    assert never.sources.get().retrieved_on is None

    last_year = listed(curator_client, checked="1y")
    assert {"Checked in 2019", "Never checked"} <= last_year
    assert "Checked last month" not in last_year
    assert "Checked in 2019" not in listed(curator_client, checked="never")
    assert "Never checked" in listed(curator_client, checked="never")


def test_withdrawing_asks_a_reason_and_a_confirmation(editor_client):
    agreement = make_agreement(title="Signed, then cancelled")

    asked = run_action(editor_client, Agreement, "move_to_withdrawn", [agreement])
    assert asked.status_code == 200
    assert "Why is it withdrawn?" in page_of(asked)
    refused = run_action(
        editor_client, Agreement, "move_to_withdrawn", [agreement], apply="1"
    )
    assert "This field is required." in page_of(refused)
    agreement.refresh_from_db()
    assert agreement.publication_state == PublicationState.PUBLISHED

    done = run_action(
        editor_client,
        Agreement,
        "move_to_withdrawn",
        [agreement],
        apply="1",
        reason="Never signed, says the partner's letter of 2 December",
    )

    assert done.status_code == 302
    agreement.refresh_from_db()
    assert agreement.publication_state == PublicationState.WITHDRAWN
    assert agreement.history.latest(
        "history_date", "history_id"
    ).history_change_reason == ("Never signed, says the partner's letter of 2 December")


def test_the_admin_home_counts_what_waits_for_review(editor_client):
    make_agreement(title="Waiting one", state=PublicationState.IN_REVIEW)
    make_agreement(title="Waiting two", state=PublicationState.IN_REVIEW)
    in_review = Agreement.objects.filter(
        publication_state=PublicationState.IN_REVIEW
    ).count()

    page = page_of(editor_client.get(reverse("admin:index")))

    link = admin_url(Agreement, "changelist") + "?publication_state__exact=in_review"
    assert re.search(
        rf'<a href="{re.escape(link)}"><span class="queue-count">{in_review}</span> '
        r"Agreements in review</a>",
        page,
    )


def test_a_long_filter_is_folded_and_a_short_one_open(curator_client):
    page = page_of(curator_client.get(admin_url(Agreement, "changelist")))

    disciplines = re.search(r'<details data-filter-title="disciplines[^>]*>', page)
    states = re.search(r'<details data-filter-title="publication[^>]*>', page)
    assert "long-filter" in disciplines.group(0) and " open" not in disciplines.group(0)
    assert " open" in states.group(0)


# -- The CSP: no inline style anywhere in the admin ------------------------------------


def test_no_admin_page_of_the_agreement_workflow_has_an_inline_style(
    editor_client, editor
):
    agreement = written_agreement(editor)
    first = agreement.history.order_by("history_date", "history_id").first()
    pages = [
        reverse("admin:index"),
        admin_url(Agreement, "changelist"),
        admin_url(Agreement, "add"),
        admin_url(Agreement, "change", agreement.pk),
        admin_url(Agreement, "history", agreement.pk),
        reverse(
            "admin:registry_agreement_simple_history",
            args=[agreement.pk, first.history_id],
        ),
        reverse("admin:registry_agreement_compare", args=[agreement.pk])
        + f"?older={first.history_id}&newer={first.history_id}",
    ]
    for url in pages:
        response = editor_client.get(url)
        assert response.status_code == 200, url
        assert not re.search(r"\sstyle=", page_of(response)), url
    confirm = run_action(editor_client, Agreement, "move_to_withdrawn", [agreement])
    assert not re.search(r"\sstyle=", page_of(confirm))


# -- Duplicates ------------------------------------------------------------------------


def test_a_likely_duplicate_agreement_is_refused_with_a_link_unless_created_anyway(
    curator_client,
):
    existing = make_agreement(
        title="Joint research in disaster science",
        us=("harvard-university",),
        jp=("tohoku-university",),
    )
    data = agreement_form(participants=["harvard-university", "tohoku-university"])
    before = Agreement.objects.count()

    refused = curator_client.post(admin_url(Agreement, "add"), data)

    assert refused.status_code == 200
    link = admin_url(Agreement, "change", existing.pk)
    assert f'<a href="{link}">{existing}</a>' in page_of(refused)
    assert Agreement.objects.count() == before

    created = curator_client.post(
        admin_url(Agreement, "add"), data | {"create_anyway": "on"}
    )

    assert created.status_code == 302
    assert Agreement.objects.count() == before + 1


def test_editing_an_agreement_is_not_refused_as_a_duplicate_of_itself(curator_client):
    data = agreement_form(participants=["harvard-university", "tohoku-university"])
    curator_client.post(admin_url(Agreement, "add"), data)
    agreement = Agreement.objects.get(title=data["title"])
    change_url = admin_url(Agreement, "change", agreement.pk)
    shown = curator_client.get(change_url)
    assert "create_anyway" not in shown.context["adminform"].form.fields or (
        'name="create_anyway"' not in page_of(shown)
    )

    response = curator_client.post(
        change_url, resubmission(shown) | {"summary": "Now with a summary."}
    )

    assert response.status_code == 302


def second_tohoku():
    return Institution.objects.create(
        name="Tohoku Univ.",
        slug="tohoku-univ",
        country="JP",
        institution_type="jp_national",
    )


def test_the_merge_page_proposes_the_record_with_more_agreements(editor_client):
    busy = institution("tohoku-university")
    quiet = Institution.objects.create(
        name="Tohoku Univ.",
        slug="tohoku-univ",
        country="JP",
        institution_type="jp_national",
    )
    make_agreement(title="Sendai ocean science", jp=("tohoku-university",))

    page = page_of(
        run_action(editor_client, Institution, "merge_institutions", [quiet, busy])
    )

    assert (
        f'name="survivor" value="{busy.pk}" id="survivor-{busy.pk}" required checked'
        in page
    )
    assert f'value="{quiet.pk}" id="survivor-{quiet.pk}">' in page


def test_a_merge_reason_is_kept_on_the_institution_and_the_agreements(
    editor_client,
):
    tohoku = institution("tohoku-university")
    duplicate = Institution.objects.create(
        name="Tohoku Univ.",
        slug="tohoku-univ",
        country="JP",
        institution_type="jp_national",
    )
    agreement = make_agreement(title="Sendai ocean science", jp=("tohoku-univ",))

    run_action(
        editor_client,
        Institution,
        "merge_institutions",
        [tohoku, duplicate],
        apply="1",
        survivor=str(tohoku.pk),
        reason="Typed twice from two press releases",
    )

    assert tohoku.history.latest().history_change_reason == (
        "Merged in: Tohoku Univ.: Typed twice from two press releases"
    )
    newest = agreement.history.latest("history_date", "history_id")
    assert newest.history_change_reason == (
        "Tohoku Univ. merged into Tohoku University: Typed twice from two press "
        "releases"
    )
    assert [p["name"] for p in newest.parts["participants"]] == [
        "Harvard University",
        "Tohoku University",
    ]


@pytest.mark.parametrize("model", [Institution, Organization, CaseStudy])
def test_the_other_history_pages_have_no_inline_style(editor_client, model):
    record = model.objects.order_by("pk").first()
    record._change_reason = "Checked for inline styles"
    record.save()

    page = page_of(editor_client.get(admin_url(model, "history", record.pk)))

    assert "Checked for inline styles" in page
    assert not re.search(r"\sstyle=", page)


ADMIN_VIEWS = [
    (model, view)
    for model in (m for m in admin.site._registry if m._meta.app_label == "registry")
    for view in ("changelist", "add", "change", "history")
]


@pytest.mark.parametrize(
    ("model", "view"),
    ADMIN_VIEWS,
    ids=[f"{model._meta.model_name}-{view}" for model, view in ADMIN_VIEWS],
)
def test_no_admin_page_of_any_model_has_an_inline_style(editor_client, model, view):
    record = model._default_manager.order_by("pk").first()
    if record is None and view in {"change", "history"}:
        pytest.skip(f"no {model._meta.verbose_name} in the reference data")
    args = [] if view in {"changelist", "add"} else [record.pk]

    response = editor_client.get(admin_url(model, view, *args))

    assert response.status_code in {200, 403}
    assert not re.search(r"\sstyle=", page_of(response))


def test_a_case_study_cannot_be_reverted_around_the_publication_rules(
    curator_client,
):
    study = CaseStudy.objects.order_by("pk").first()
    study._change_reason = "Second version"
    study.save()
    first = study.history.order_by("history_date", "history_id").first()
    url = reverse(
        "admin:registry_casestudy_simple_history", args=[study.pk, first.history_id]
    )
    entries = study.history.count()

    assert curator_client.get(url).status_code == 200
    assert curator_client.post(url, {"title": "Reverted"}).status_code == 403
    assert study.history.count() == entries


def test_each_count_on_the_admin_home_is_what_its_link_lists(editor_client, editor):
    make_agreement(title="In review", state=PublicationState.IN_REVIEW)
    make_agreement(title="Published, no source", sources=())
    import_agreement_file(
        data=sheet(EARTHQUAKES), file_name="new.csv", user=editor, dry_run=False
    )

    page = page_of(editor_client.get(reverse("admin:index")))

    items = re.findall(
        r'<a href="([^"]+)"><span class="queue-count[^"]*">(\d+)</span>', page
    )
    assert len(items) == 5
    assert sum(int(count) > 0 for _url, count in items) >= 3
    for url, count in items:
        listed = editor_client.get(url.replace("&amp;", "&"))
        assert listed.context["cl"].result_count == int(count), url


def test_the_history_page_costs_the_same_queries_for_2_or_20_versions(
    editor_client, editor, django_assert_num_queries
):
    """No query a version. The 8: the session; the user; the agreement with its
    participants and partners (the admin's queryset); the user's and the groups'
    permissions; the versions, with their users, programs and imports joined."""
    agreement = written_agreement(editor)
    url = admin_url(Agreement, "history", agreement.pk)
    editor_client.get(url)  # fills the process-wide caches first
    with CaptureQueriesContext(connection) as for_2:
        editor_client.get(url)
    for number in range(18):
        agreement.summary = f"Revision {number}"
        agreement_save(agreement=agreement, user=editor)

    assert len(for_2) == 8
    with django_assert_num_queries(8):
        response = editor_client.get(url)

    assert len(response.context["versions"]) == 20

"""The curators' admin: every page, the agreement form's rules, the publication actions,
merging duplicate institutions, and how many queries each changelist makes.

Curators keep records (view, add, change); editors also publish, withdraw, delete and
merge. Every test starts from the reference data loaded by ``conftest.py``.
"""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from simple_history.admin import SimpleHistoryAdmin

from registry.models import (
    Agreement,
    AgreementParticipant,
    AgreementPartner,
    CaseStudy,
    Classification,
    DataSource,
    Discipline,
    IdentifierScheme,
    ImportBatch,
    ImportChannel,
    ImportKind,
    Institution,
    InstitutionIdentifier,
    InstitutionRedirect,
    Organization,
    ParticipantRole,
    Program,
    PublicationState,
    Region,
    Sector,
)
from tests.factories import institution, make_agreement, organization

# --------------------------------------------------------------------------------------
# Helpers


def admin_url(model, view, *args):
    return reverse(f"admin:registry_{model._meta.model_name}_{view}", args=args)


def page_of(response):
    return response.content.decode()


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, model, action, records, **extra):
    """POST a changelist action on ``records``, as the action bar does."""
    return client.post(
        admin_url(model, "changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [record.pk for record in records]}
        | extra,
    )


def written():
    """What an agreement form writes, counted."""
    return (
        Agreement.objects.count(),
        AgreementParticipant.objects.count(),
        AgreementPartner.objects.count(),
    )


def inline_rows(prefix, rows):
    """POST data for an inline formset of new rows only."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return data


def agreement_form(*, participants=(), partners=(), sources=(), **fields):
    """The agreement add form's POST data. ``participants``: institution slugs, or
    (slug, role) pairs; ``partners``: organization slugs, each a funder; ``sources``:
    data source slugs."""
    participant_rows = []
    for entry in participants:
        slug, role = (
            (entry, ParticipantRole.PARTNER) if isinstance(entry, str) else entry
        )
        participant_rows.append(
            {"institution": institution(slug).pk, "role": role, "unit": ""}
        )
    partner_rows = [
        {"organization": organization(slug).pk, "role": "funder"} for slug in partners
    ]
    return {
        "title": "Joint research in disaster science",
        "title_ja": "",
        "summary": "",
        "classification": Classification.COLLABORATIVE,
        "program": "",
        "start_date": "",
        "start_precision": "day",
        "end_date": "",
        "end_precision": "day",
        "funding_amount": "",
        "funding_currency": "",
        "publication_state": PublicationState.DRAFT,
        "notes": "",
        **fields,
        **inline_rows("participants", participant_rows),
        **inline_rows("partners", partner_rows),
        **inline_rows(
            "sources",
            [
                {
                    "data_source": DataSource.objects.get(slug=slug).pk,
                    "source_identifier": "",
                    "url": "",
                    "retrieved_on": "",
                }
                for slug in sources
            ],
        ),
    }


def _posted_values(form):
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, list | tuple):
            data[form.add_prefix(name)] = [str(item) for item in value]
        else:
            data[form.add_prefix(name)] = "on" if value is True else str(value)
    return data


def resubmission(response):
    """The POST data a browser sends back from a rendered change form left as it is."""
    data = _posted_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data |= _posted_values(inline.formset.management_form)
        for form in inline.formset.forms:
            data |= _posted_values(form)
    return data


def state_choices(response):
    """The publication states a rendered form offers."""
    field = response.context["adminform"].form.fields["publication_state"]
    return [value for value, _label in field.choices]


# --------------------------------------------------------------------------------------
# Every page of every registered model, as a curator

REGISTRY_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "registry"),
    key=lambda model: model._meta.model_name,
)


# Imports are records of what happened: made by importing, never by hand.
ADDABLE_MODELS = [model for model in REGISTRY_MODELS if model is not ImportBatch]


def test_imports_are_read_only_in_the_admin(editor_client):
    batch = sample(ImportBatch)

    assert editor_client.get(admin_url(ImportBatch, "add")).status_code == 403
    change = editor_client.get(admin_url(ImportBatch, "change", batch.pk))
    assert change.status_code == 200
    assert "kaken-2026.xlsx" in page_of(change)
    assert 'name="_save"' not in page_of(change)
    deleted = editor_client.post(admin_url(ImportBatch, "delete", batch.pk))
    assert deleted.status_code == 403
    assert ImportBatch.objects.filter(pk=batch.pk).exists()


def model_id(model):
    return model._meta.model_name


def sample(model):
    """A record of ``model``: the first of the reference data, or a new one for the
    models it leaves empty (case studies, redirects)."""
    if model is CaseStudy:
        case_study = CaseStudy.objects.create(
            title="Sendai and Boston: ten years of quantum exchange",
            slug="sendai-and-boston",
            body="Tohoku and Harvard **share** a laboratory.",
        )
        case_study.institutions.add(institution("tohoku-university"))
        return case_study
    if model is InstitutionRedirect:
        return InstitutionRedirect.objects.create(
            old_slug="tohoku-daigaku", institution=institution("tohoku-university")
        )
    if model is ImportBatch:
        return ImportBatch.objects.create(
            kind=ImportKind.AGREEMENTS,
            channel=ImportChannel.COMMAND,
            file_name="kaken-2026.xlsx",
            checksum="0" * 64,
            rows=3,
            created=3,
        )
    return model._default_manager.order_by("pk").first()


def test_every_registry_model_is_in_the_admin():
    """The pages below are checked for these models: a new model joins them."""
    assert [model_id(model) for model in REGISTRY_MODELS] == [
        "activitytype",
        "agreement",
        "casestudy",
        "datasource",
        "discipline",
        "importbatch",
        "institution",
        "institutionredirect",
        "organization",
        "program",
        "region",
    ]


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=model_id)
def test_the_changelist_lists_every_record_of_the_model(curator_client, model):
    """The changelist counts all the model's records and links to the first shown."""
    sample(model)

    response = curator_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.model is model
    assert changelist.result_count == model._default_manager.count() > 0
    first = changelist.result_list[0]
    assert admin_url(model, "change", first.pk) in page_of(response)
    verb = "change" if model in ADDABLE_MODELS else "view"
    title = f"Select {model._meta.verbose_name} to {verb}"
    assert escape(title) in page_of(response)


@pytest.mark.parametrize("model", ADDABLE_MODELS, ids=model_id)
def test_the_add_page_offers_an_empty_form_for_the_model(curator_client, model):
    """The add page shows the model's form, unbound, its first field included."""
    response = curator_client.get(admin_url(model, "add"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form._meta.model is model
    assert not form.is_bound
    assert escape(f"Add {model._meta.verbose_name}") in page_of(response)
    first_field = next(iter(form.fields))
    assert f'name="{first_field}"' in page_of(response)


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=model_id)
def test_the_change_page_shows_the_record(curator_client, model):
    """The change page edits the record asked for, and names it."""
    record = sample(model)

    response = curator_client.get(admin_url(model, "change", record.pk))

    assert response.status_code == 200
    assert response.context["original"] == record
    assert escape(str(record)) in page_of(response)


@pytest.mark.parametrize("model", REGISTRY_MODELS, ids=model_id)
def test_the_history_page_lists_the_record_changes(curator_client, curator, model):
    """Models kept by django-simple-history list their versions; the others, Django's
    log of admin changes. Either way the page names the record and its last change."""
    record = sample(model)
    if isinstance(admin.site._registry[model], SimpleHistoryAdmin):
        record._change_reason = "Checked by the admin tests"
        record.save()
    else:
        LogEntry.objects.log_actions(
            user_id=curator.pk,
            queryset=[record],
            action_flag=CHANGE,
            change_message="Checked by the admin tests",
            single_object=True,
        )

    response = curator_client.get(admin_url(model, "history", record.pk))

    assert response.status_code == 200
    assert response.context["object"] == record
    assert f"Change history: {escape(str(record))}" in page_of(response)
    assert "Checked by the admin tests" in page_of(response)


def search(client, model, term):
    response = client.get(admin_url(model, "changelist"), {"q": term})
    assert response.status_code == 200
    return response


def test_searching_institutions_by_japanese_name_finds_tohoku_university(
    curator_client,
):
    """The search reads Japanese names."""
    response = search(curator_client, Institution, "東北大学")

    assert [i.slug for i in response.context["cl"].result_list] == ["tohoku-university"]
    assert "Tohoku University" in page_of(response)


def test_searching_institutions_by_alias_finds_the_university_of_tokyo_once(
    curator_client,
):
    """An alias (東大, an abbreviation) finds its institution, listed once."""
    response = search(curator_client, Institution, "東大")

    assert [i.slug for i in response.context["cl"].result_list] == [
        "the-university-of-tokyo"
    ]
    assert "The University of Tokyo" in page_of(response)


def test_searching_agreements_by_public_id_finds_exactly_that_agreement(
    curator_client,
):
    """A public ID such as USJP-000042, in either case, finds its agreement alone."""
    wanted = Agreement.objects.order_by("pk")[1]

    for term in (wanted.public_id, wanted.public_id.lower()):
        response = search(curator_client, Agreement, term)
        assert list(response.context["cl"].result_list) == [wanted]
        assert escape(wanted.title) in page_of(response)


# --------------------------------------------------------------------------------------
# Adding an agreement through the admin form


def add_agreement(client, data):
    return client.post(admin_url(Agreement, "add"), data)


def test_the_agreement_inlines_are_prefixed_by_their_related_names(curator_client):
    """Participants, partners, sources: the prefixes ``agreement_form`` posts."""
    response = curator_client.get(admin_url(Agreement, "add"))

    assert [
        inline.formset.prefix for inline in response.context["inline_admin_formsets"]
    ] == ["participants", "partners", "sources"]


def test_a_valid_collaborative_draft_is_saved_with_its_author_and_history(
    curator_client, curator
):
    """A draft between a U.S. and a Japanese university is saved with both participants;
    the curator is its creator and the author of its first version."""
    response = add_agreement(
        curator_client,
        agreement_form(
            title="Tohoku–Harvard quantum materials exchange",
            participants=[
                ("harvard-university", ParticipantRole.LEAD),
                "tohoku-university",
            ],
        ),
    )

    assert response.status_code == 302, response.context["errors"]
    agreement = Agreement.objects.get(title="Tohoku–Harvard quantum materials exchange")
    assert agreement.classification == Classification.COLLABORATIVE
    assert agreement.publication_state == PublicationState.DRAFT
    assert agreement.published_at is None
    assert agreement.created_by == curator
    assert agreement.updated_by == curator
    assert {(p.institution.slug, p.role) for p in agreement.participants.all()} == {
        ("harvard-university", ParticipantRole.LEAD),
        ("tohoku-university", ParticipantRole.PARTNER),
    }
    assert agreement.history.get(history_type="+").history_user == curator


@pytest.mark.parametrize(
    ("partners", "expected"),
    [
        (("japan-science-and-technology-agency",), Classification.CONSORTIUM),
        ((), Classification.COLLABORATIVE),
    ],
    ids=["with-a-non-he-partner", "without-partners"],
)
def test_a_blank_classification_follows_from_the_partners(
    curator_client, partners, expected
):
    """Left blank, the classification is consortium with a non-HE partner, and
    collaborative without."""
    response = add_agreement(
        curator_client,
        agreement_form(
            title="Unclassified exchange",
            classification="",
            participants=["harvard-university", "tohoku-university"],
            partners=partners,
        ),
    )

    assert response.status_code == 302, response.context["errors"]
    agreement = Agreement.objects.get(title="Unclassified exchange")
    assert agreement.classification == expected
    assert agreement.partners.count() == len(partners)


def test_a_consortium_without_a_partner_is_refused(curator_client):
    """A consortium needs a non-HE partner: the form comes back saying so, unsaved."""
    before = written()

    response = add_agreement(
        curator_client,
        agreement_form(
            classification=Classification.CONSORTIUM,
            participants=["harvard-university", "tohoku-university"],
        ),
    )

    assert response.status_code == 200
    assert (
        "A consortium agreement needs at least one non-higher-education partner"
        in page_of(response)
    )
    assert written() == before


def test_publishing_a_unilateral_agreement_from_the_form_is_refused(editor_client):
    """U.S. universities with a Japanese company but no Japanese university: the study
    does not count it, so even an editor cannot publish it."""
    before = written()

    response = add_agreement(
        editor_client,
        agreement_form(
            classification=Classification.CONSORTIUM,
            publication_state=PublicationState.PUBLISHED,
            participants=[
                "harvard-university",
                "massachusetts-institute-of-technology",
            ],
            partners=["takeda-pharmaceutical-company"],
        ),
    )

    assert response.status_code == 200
    assert "needs at least one Japanese higher-education participant" in page_of(
        response
    )
    assert "unilateral" in page_of(response)
    assert written() == before


def test_an_editor_publishes_a_valid_agreement_from_the_form(editor_client, editor):
    """Published from the form, an agreement gets its first publication date."""
    response = add_agreement(
        editor_client,
        agreement_form(
            title="Published from the form",
            publication_state=PublicationState.PUBLISHED,
            participants=["harvard-university", "tohoku-university"],
            sources=["institution-websites"],
        ),
    )

    assert response.status_code == 302, response.context["errors"]
    agreement = Agreement.objects.get(title="Published from the form")
    assert agreement.publication_state == PublicationState.PUBLISHED
    assert agreement.published_at is not None
    assert agreement.history.get(history_type="+").history_user == editor


def test_a_curator_is_not_offered_the_published_state(curator_client):
    """Without the publish permission the form offers draft and review only, and refuses
    "published" when it is posted anyway."""
    page = curator_client.get(admin_url(Agreement, "add"))
    assert state_choices(page) == ["draft", "in_review"]
    assert 'value="published"' not in page_of(page)
    before = written()

    response = add_agreement(
        curator_client,
        agreement_form(
            publication_state=PublicationState.PUBLISHED,
            participants=["harvard-university", "tohoku-university"],
        ),
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["publication_state"]
    assert "Select a valid choice. published is not one of" in page_of(response)
    assert written() == before


def test_a_published_agreement_state_is_read_only_for_a_curator(curator_client):
    """A curator edits a published agreement but not its publication state: the state is
    shown as text, and a state posted anyway is ignored."""
    agreement = Agreement.objects.published().order_by("pk").first()
    url = admin_url(Agreement, "change", agreement.pk)
    page = curator_client.get(url)

    assert "publication_state" not in page.context["adminform"].form.fields
    assert "publication_state" in page.context["adminform"].readonly_fields
    assert 'name="publication_state"' not in page_of(page)

    response = curator_client.post(
        url,
        resubmission(page)
        | {"title": "Renamed by a curator", "publication_state": "draft"},
    )

    assert response.status_code == 302, response.context["errors"]
    agreement.refresh_from_db()
    assert agreement.title == "Renamed by a curator"
    assert agreement.publication_state == PublicationState.PUBLISHED


def test_the_change_form_keeps_to_the_workflow_a_draft_cannot_be_withdrawn(
    editor_client,
):
    """The Withdraw action refuses a draft (it was never public); the form must too."""
    draft = make_agreement(state=PublicationState.DRAFT)
    url = admin_url(Agreement, "change", draft.pk)
    page = editor_client.get(url)

    assert state_choices(page) == ["draft", "in_review", "published"]

    response = editor_client.post(
        url, resubmission(page) | {"publication_state": PublicationState.WITHDRAWN}
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["publication_state"]
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.DRAFT


def test_an_end_before_the_start_is_refused(curator_client):
    """The end may not precede the start: the error, on the end date, names both."""
    before = written()

    response = add_agreement(
        curator_client,
        agreement_form(
            start_date="2021-04-01",
            end_date="2019-03-31",
            participants=["harvard-university", "tohoku-university"],
        ),
    )

    assert response.status_code == 200
    message = "The end (2019-03-31) is before the start (2021-04-01)."
    assert response.context["adminform"].form.errors == {"end_date": [message]}
    assert message in page_of(response)
    assert written() == before


# --------------------------------------------------------------------------------------
# Case studies: published like agreements


def case_study_form(**fields):
    return {
        "title": "Nagoya's clinical clerkships in the United States",
        "title_ja": "",
        "slug": "nagoya-clinical-clerkships",
        "summary": "",
        "body": "Six U.S. schools of medicine host Nagoya students.",
        "publication_state": PublicationState.DRAFT,
        **fields,
    }


def test_a_curator_cannot_publish_a_case_study_from_the_form(curator_client):
    """As for agreements, publishing is for editors: a curator's form offers draft and
    review only, and refuses "published" when it is posted anyway."""
    page = curator_client.get(admin_url(CaseStudy, "add"))
    assert state_choices(page) == ["draft", "in_review"]
    before = CaseStudy.objects.count()  # the reference data's own

    response = curator_client.post(
        admin_url(CaseStudy, "add"),
        case_study_form(publication_state=PublicationState.PUBLISHED),
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["publication_state"]
    assert CaseStudy.objects.count() == before


def test_a_case_study_published_from_the_form_gets_its_publication_date(
    editor_client,
):
    """An editor publishing from the form stamps the first publication date, as the
    Publish action does."""
    response = editor_client.post(
        admin_url(CaseStudy, "add"),
        case_study_form(publication_state=PublicationState.PUBLISHED),
    )

    assert response.status_code == 302
    case_study = CaseStudy.objects.get(slug="nagoya-clinical-clerkships")
    assert case_study.publication_state == PublicationState.PUBLISHED
    assert case_study.published_at is not None


# --------------------------------------------------------------------------------------
# Publication actions on the changelist


def test_an_editor_publishes_a_valid_draft(editor_client, editor):
    """Publishing stamps the date and records the editor in the history."""
    draft = make_agreement(
        state=PublicationState.DRAFT, sources=("institution-websites",)
    )

    response = run_action(
        editor_client, Agreement, "move_to_published", [draft], apply="1"
    )

    assert response.status_code == 302
    assert messages_of(response) == ["1 record published."]
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.PUBLISHED
    assert draft.published_at is not None
    assert draft.updated_by == editor
    latest = draft.history.first()
    assert latest.publication_state == PublicationState.PUBLISHED
    assert latest.history_user == editor
    assert latest.history_change_reason == "Moved to published"


def test_publishing_a_draft_without_a_japanese_participant_is_refused(editor_client):
    """The rules are checked on the saved record: the refusal gives the reason, and the
    record stays a draft, with no new version."""
    draft = make_agreement(
        us=("harvard-university", "yale-university"),
        jp=(),
        state=PublicationState.DRAFT,
    )
    versions = draft.history.count()

    response = run_action(
        editor_client, Agreement, "move_to_published", [draft], apply="1"
    )

    [message] = messages_of(response)
    assert message.startswith(f"{draft} was not changed: ")
    assert "needs at least one Japanese higher-education participant" in message
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.DRAFT
    assert draft.published_at is None
    assert draft.history.count() == versions


def test_a_curator_cannot_publish(curator_client):
    """Publishing needs the publish permission: the curator is told; nothing changes."""
    draft = make_agreement(state=PublicationState.DRAFT)
    versions = draft.history.count()

    response = run_action(
        curator_client, Agreement, "move_to_published", [draft], apply="1"
    )

    assert messages_of(response) == ["You may not publish or withdraw agreements."]
    draft.refresh_from_db()
    assert draft.publication_state == PublicationState.DRAFT
    assert draft.published_at is None
    assert draft.history.count() == versions


def test_a_curator_submits_drafts_for_review(curator_client, curator):
    """Submitting for review is a curator's move, recorded in each history."""
    drafts = [make_agreement(state=PublicationState.DRAFT) for _ in range(2)]

    response = run_action(
        curator_client, Agreement, "move_to_in_review", drafts, apply="1"
    )

    assert messages_of(response) == ["2 records submitted for review."]
    for draft in drafts:
        draft.refresh_from_db()
        assert draft.publication_state == PublicationState.IN_REVIEW
        assert draft.published_at is None
        assert draft.history.first().history_user == curator


# --------------------------------------------------------------------------------------
# Merging duplicate institutions


@pytest.fixture
def tohoku(db):
    return institution("tohoku-university")


@pytest.fixture
def duplicate(db):
    """A second record of Tohoku University, with an alias, an identifier and two
    participations of its own."""
    record = Institution.objects.create(
        name="Tohoku Univ.",
        name_ja="東北大學",
        slug="tohoku-univ",
        country="JP",
        institution_type="jp_national",
        city="Sendai",
    )
    record.aliases.create(name="Tohoku U", language="en", kind="abbreviation")
    record.identifiers.create(scheme=IdentifierScheme.MEXT, value="F104110199999")
    for title in ("Sendai–Seattle ocean science", "Sendai–Austin materials"):
        make_agreement(title=title, us=("harvard-university",), jp=("tohoku-univ",))
    return record


def merge(client, institutions, **extra):
    return run_action(client, Institution, "merge_institutions", institutions, **extra)


def keep(record):
    """The second step of the merge: keep ``record``."""
    return {"apply": "1", "survivor": str(record.pk)}


def test_merging_first_asks_which_record_to_keep(editor_client, tohoku, duplicate):
    """The first step only shows the candidates, with their aliases and identifiers."""
    response = merge(editor_client, [tohoku, duplicate])

    assert response.status_code == 200
    assert "admin/registry/institution/merge.html" in [
        t.name for t in response.templates
    ]
    assert set(response.context["candidates"]) == {tohoku, duplicate}
    for text in ("Tohoku University", "東北大学", "Tohoku Univ.", "Tohoku U"):
        assert text in page_of(response)
    assert "F104110199999" in page_of(response)
    assert f'name="survivor" value="{duplicate.pk}"' in page_of(response)
    assert Institution.objects.filter(pk=duplicate.pk).exists()


def test_merging_folds_the_duplicate_into_the_survivor(
    editor_client, editor, tohoku, duplicate
):
    """The duplicate's participations, names, aliases and identifiers move to the
    survivor; its old address redirects there; the history says what was merged in."""
    participations = list(duplicate.participations.values_list("pk", flat=True))

    response = merge(editor_client, [tohoku, duplicate], **keep(tohoku))

    assert response.status_code == 302
    assert messages_of(response) == [
        "Merged Tohoku Univ. into Tohoku University: 2 participations moved, "
        "0 combined, 3 aliases and 1 identifiers added."
    ]
    assert not Institution.objects.filter(pk=duplicate.pk).exists()
    assert set(
        AgreementParticipant.objects.filter(pk__in=participations).values_list(
            "institution", flat=True
        )
    ) == {tohoku.pk}
    assert {"Tohoku Univ.", "東北大學", "Tohoku U"} <= set(
        tohoku.aliases.values_list("name", flat=True)
    )
    assert (
        InstitutionIdentifier.objects.get(value="F104110199999").institution == tohoku
    )

    old_address = editor_client.get("/institutions/tohoku-univ/")
    assert old_address.status_code == 301
    assert old_address["Location"] == tohoku.get_absolute_url()

    latest = tohoku.history.first()
    assert "Tohoku Univ." in latest.history_change_reason
    assert latest.history_user == editor


def test_a_curator_cannot_merge(curator_client, tohoku, duplicate):
    """Merging deletes records: without the delete permission nothing is merged."""
    response = merge(curator_client, [tohoku, duplicate], **keep(tohoku))

    assert messages_of(response) == [
        "Nothing was merged: Merging needs permission to change and delete "
        "institutions."
    ]
    assert Institution.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.participations.count() == 2
    assert not tohoku.aliases.filter(name="Tohoku Univ.").exists()
    assert not InstitutionRedirect.objects.exists()


def test_a_us_and_a_japanese_institution_cannot_be_merged(editor_client, duplicate):
    """Institutions of two countries are never one institution."""
    harvard = institution("harvard-university")

    response = merge(editor_client, [harvard, duplicate], **keep(harvard))

    [message] = messages_of(response)
    assert message.startswith("Nothing was merged: ")
    assert "different countries" in message
    assert Institution.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.participations.count() == 2
    assert not harvard.aliases.filter(name="Tohoku Univ.").exists()
    assert not InstitutionRedirect.objects.exists()


def test_a_shared_participation_becomes_one_with_the_stronger_role(
    editor_client, tohoku, duplicate
):
    """Both records in the same agreement with the same unit: one participation remains,
    with the stronger role (lead beats partner)."""
    shared = make_agreement(
        title="Shared", us=("harvard-university",), jp=("tohoku-university",)
    )
    AgreementParticipant.objects.create(
        agreement=shared, institution=duplicate, role=ParticipantRole.LEAD
    )

    response = merge(editor_client, [tohoku, duplicate], **keep(tohoku))

    [message] = messages_of(response)
    assert "2 participations moved, 1 combined" in message
    assert list(
        shared.participants.filter(institution__country="JP").values_list(
            "institution__slug", "role"
        )
    ) == [("tohoku-university", ParticipantRole.LEAD)]


def test_merging_a_system_and_its_campus_leaves_the_survivor_no_dangling_parent(
    editor_client, tohoku, duplicate
):
    """Two duplicates, one recorded as a campus of the other, fold into the survivor,
    which must not end up a campus of a deleted record (on a real database the merge
    fails at commit with an integrity error)."""
    campus = Institution.objects.create(
        name="Tohoku Univ. Sendai",
        slug="tohoku-univ-sendai",
        country="JP",
        institution_type="jp_national",
        parent=duplicate,
    )

    merge(editor_client, [tohoku, duplicate, campus], **keep(tohoku))

    try:
        assert not Institution.objects.filter(pk__in=[duplicate.pk, campus.pk]).exists()
        tohoku.refresh_from_db()
        assert tohoku.parent_id is None
    finally:
        # Should this regress, the constraint check ending every test must not fail.
        Institution.objects.filter(pk=tohoku.pk).update(parent=None)


# --------------------------------------------------------------------------------------
# Queries per changelist: 50 rows cost what 2 do


def assert_constant_queries(client, url, add_rows, expected, assert_num_queries):
    """The changelist at ``url`` costs ``expected`` queries with 2 rows and with 50."""
    client.get(url)  # fills the process-wide caches (content types) first
    add_rows(0, 2)
    with CaptureQueriesContext(connection) as for_2:
        response = client.get(url)
    assert response.context["cl"].result_count == 2
    add_rows(2, 50)
    with assert_num_queries(expected) as for_50:
        response = client.get(url)
    assert response.context["cl"].result_count == 50
    assert len(for_50) == len(for_2)


def test_the_agreement_changelist_costs_the_same_queries_for_2_or_50_rows(
    curator_client, django_assert_num_queries
):
    """Participants (with institution and region) and partners are prefetched."""
    Agreement.objects.all().delete()
    program = Program.objects.order_by("pk").first()

    def add_rows(start, stop):
        for index in range(start, stop):
            make_agreement(
                title=f"Agreement {index}",
                us=("harvard-university", "yale-university"),
                jp=("tohoku-university",),
                partners=("japan-science-and-technology-agency",) if index % 2 else (),
                program=program if index % 3 else None,
            )

    # 14 = session, user, user permissions, group permissions; the list filters:
    # programs, disciplines (fields joined), activity types, data sources, recent
    # imports; the filtered and the total count; the page of rows (program joined);
    # participants (institution, region joined); partners (organization joined).
    assert_constant_queries(
        curator_client,
        admin_url(Agreement, "changelist"),
        add_rows,
        14,
        django_assert_num_queries,
    )


def test_the_agreement_changelist_loads_the_discipline_filter_in_one_query(
    curator_client,
):
    """The disciplines filter names each subfield with its field, from one query."""
    subfield = Discipline.objects.filter(parent__isnull=False).first()

    with CaptureQueriesContext(connection) as queries:
        response = curator_client.get(admin_url(Agreement, "changelist"))

    assert escape(str(subfield)) in page_of(response)
    discipline_queries = [
        query
        for query in queries.captured_queries
        if 'FROM "registry_discipline"' in query["sql"]
    ]
    assert len(discipline_queries) == 1


def test_the_institution_changelist_costs_the_same_queries_for_2_or_50_rows(
    curator_client, django_assert_num_queries
):
    """Region and parent are joined, identifiers prefetched, agreements counted in the
    row query."""
    system = institution("university-of-california")
    california = Region.objects.get(country="US", code="CA")
    holder = make_agreement(title="Zephyr network")

    def add_rows(start, stop):
        for index in range(start, stop):
            record = Institution.objects.create(
                name=f"Zephyr College {index}",
                slug=f"zephyr-college-{index}",
                country="US",
                institution_type="us_public",
                parent=system,
                region=california,
            )
            record.identifiers.create(
                scheme=IdentifierScheme.IPEDS, value=f"{990000 + index}"
            )
            record.aliases.create(name=f"ZC{index}", language="en", kind="acronym")
            AgreementParticipant.objects.create(agreement=holder, institution=record)

    # 10 = session, user, user permissions, group permissions; the regions of the
    # region filter; recent imports; the searched and the total count; the page of rows
    # (region, parent joined, agreements counted); identifiers.
    assert_constant_queries(
        curator_client,
        admin_url(Institution, "changelist") + "?q=Zephyr",
        add_rows,
        10,
        django_assert_num_queries,
    )


def test_the_organization_changelist_costs_the_same_queries_for_2_or_50_rows(
    curator_client, django_assert_num_queries
):
    """The parent is joined and agreements counted in the row query."""
    nsf = organization("national-science-foundation")
    holder = make_agreement(
        title="Zephyr network", partners=("japan-science-and-technology-agency",)
    )

    def add_rows(start, stop):
        for index in range(start, stop):
            record = Organization.objects.create(
                name=f"Zephyr Foundation {index}",
                slug=f"zephyr-foundation-{index}",
                sector=Sector.NGO,
                country="US",
                parent=nsf,
                ror_id=f"0zz{index:04d}00",
            )
            record.aliases.create(name=f"ZF{index}", language="en", kind="acronym")
            AgreementPartner.objects.create(agreement=holder, organization=record)

    # 8 = session, user, user permissions, group permissions; recent imports; the
    # searched and the total count; the page of rows (parent joined, agreements
    # counted).
    assert_constant_queries(
        curator_client,
        admin_url(Organization, "changelist") + "?q=Zephyr",
        add_rows,
        8,
        django_assert_num_queries,
    )


@pytest.mark.django_db
def test_the_agreement_list_labels_demo_records_and_shows_participants(
    editor_client,
):
    make_agreement(title="Real exchange")
    make_agreement(title="Generated exchange", is_synthetic=True)

    page = editor_client.get(reverse("admin:registry_agreement_changelist")).content
    page = page.decode()

    real = page[page.index("Real exchange") :][:400]
    generated = page[page.index("Generated exchange") :][:400]
    assert 'class="list-flag">synthetic' in generated
    assert "list-flag" not in real
    # The participants under the title: U.S., then Japanese.
    assert real.index("Harvard University") < real.index("Tohoku University")

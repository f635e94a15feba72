"""Likely duplicates at import: a new row with a close title, an institution in common
and the same source or start year as an existing agreement is an error naming it,
unless the row gives that public ID or says "New anyway"."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from registry.imports.agreement_sheet import import_agreement_file
from registry.imports.agreement_sheet.duplicates import close_titles
from registry.imports.template import agreement_template_workbook
from registry.models import Agreement, ImportBatch
from tests.factories import csv_sheet, make_agreement

HEADERS = [
    "public_id",
    "new_anyway",
    "title",
    "us_institutions",
    "jp_institutions",
    "disciplines",
    "activities",
    "start",
    "source",
    "source_id",
]
EXISTING_TITLE = "Joint Research on Earthquake Early Warning Systems"
ROW = {
    # A typo, another case and a hyphen: the same project as curators write it.
    "title": "joint research on earthquake early-warning sytems",
    # A subset of the existing agreement's institutions.
    "us_institutions": "Stanford University",
    "jp_institutions": "Kyoto University",
    "disciplines": "Earth sciences",
    "activities": "Research grant award",
    "start": "2019-04",
    "source": "USAspending.gov",
}


@pytest.fixture
def existing(db):
    return make_agreement(
        title=EXISTING_TITLE,
        us=("stanford-university", "harvard-university"),
        jp=("kyoto-university",),
        sources=("usaspending",),
        start_date=dt.date(2019, 1, 1),
        start_precision="year",
    )


def run(*rows, user):
    return import_agreement_file(
        data=csv_sheet(rows, headers=HEADERS),
        file_name="rows.csv",
        user=user,
        dry_run=False,
    )


def errors_of(outcome) -> dict:
    return {
        (row.number, column): messages
        for row in outcome.plan.rows
        for column, messages in row.errors.items()
    }


@pytest.mark.django_db
def test_a_close_title_with_shared_institutions_and_year_is_an_error(editor, existing):
    before = Agreement.objects.count()

    outcome = run({**ROW, "source": ""}, user=editor)

    assert errors_of(outcome)[(2, "title")] == [
        f"This row looks like {existing.public_id} “{EXISTING_TITLE}”: a close title, "
        "the same institutions or some of them, and the same source or start year. "
        "To update it, put its public ID in the Public ID column; if this is a "
        "different agreement, write yes in the New anyway column."
    ]
    assert outcome.batch is None
    assert Agreement.objects.count() == before
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_the_same_source_in_another_year_is_enough(editor, existing):
    outcome = run({**ROW, "start": "2023"}, user=editor)

    assert existing.public_id in errors_of(outcome)[(2, "title")][0]
    assert outcome.batch is None


@pytest.mark.django_db
def test_new_anyway_imports_the_row_as_a_new_agreement(editor, existing):
    outcome = run({**ROW, "new_anyway": "yes"}, user=editor)

    assert not errors_of(outcome)
    assert outcome.plan.counts["new"] == 1
    created = Agreement.objects.exclude(pk=existing.pk).get(title=ROW["title"])
    assert created.history.get().import_batch == outcome.batch


@pytest.mark.django_db
def test_the_public_id_makes_the_row_an_update(editor, existing):
    outcome = run({**ROW, "public_id": existing.public_id}, user=editor)

    assert not errors_of(outcome)
    assert outcome.plan.counts["update"] == 1
    existing.refresh_from_db()
    assert existing.title == ROW["title"]
    assert not Agreement.objects.filter(title=ROW["title"]).exclude(pk=existing.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        # No institution in common.
        {"us_institutions": "Duke University", "jp_institutions": "Osaka University"},
        # Kyoto with another U.S. university: another exchange of the same school.
        {"us_institutions": "Duke University"},
        # Neither the source nor the start year.
        {"source": "", "start": "2023"},
        # Another title.
        {"title": "Tsunami inundation modelling exchange"},
    ],
)
def test_rows_unlike_the_agreement_import(editor, existing, change):
    outcome = run({**ROW, **change}, user=editor)

    assert not errors_of(outcome)
    assert outcome.plan.counts["new"] == 1


@pytest.mark.django_db
def test_a_synthetic_agreement_is_never_the_one_a_row_describes(editor, existing):
    Agreement.objects.filter(pk=existing.pk).update(is_synthetic=True)

    outcome = run(ROW, user=editor)

    assert not errors_of(outcome)
    assert outcome.plan.counts["new"] == 1


@pytest.mark.django_db
def test_a_new_anyway_that_is_not_yes_or_no_is_an_error(editor, existing):
    outcome = run({**ROW, "new_anyway": "maybe"}, user=editor)

    assert errors_of(outcome)[(2, "new_anyway")] == [
        "“maybe” is neither yes nor no: write yes when this row is a different "
        "agreement from one it looks like, or leave it blank."
    ]
    assert outcome.batch is None


@pytest.mark.django_db
def test_new_anyway_with_a_public_id_is_an_error(editor, existing):
    outcome = run(
        {**ROW, "public_id": existing.public_id, "new_anyway": "yes"}, user=editor
    )

    assert errors_of(outcome)[(2, "new_anyway")] == [
        "A row with a public ID updates that agreement: clear New anyway or the "
        "public ID."
    ]
    existing.refresh_from_db()
    assert existing.title == EXISTING_TITLE


@pytest.mark.django_db
def test_the_same_title_and_institutions_can_be_new_anyway(editor, existing):
    row = {
        **ROW,
        "title": EXISTING_TITLE,
        "us_institutions": "Stanford University; Harvard University",
        "start": "2020",
    }

    refused = run(row, user=editor)
    accepted = run({**row, "new_anyway": "はい"}, user=editor)

    assert "write yes in the New anyway column" in errors_of(refused)[(2, "title")][0]
    assert not errors_of(accepted)
    assert Agreement.objects.filter(title=EXISTING_TITLE).count() == 2


@pytest.mark.parametrize(
    ("title", "close"),
    [
        ("Joint research on earthquake early warning systems.", True),
        ("EARTHQUAKE EARLY WARNING SYSTEMS: JOINT RESEARCH ON", True),
        ("Ｊｏｉｎｔ Research on Earthquake Early Warning Systems", True),
        # One word dropped is still close; another subject is not.
        ("Joint research on earthquake early warning", True),
        ("Joint research on earthquake engineering", False),
        ("Joint research on volcano early warning systems", False),
    ],
)
def test_close_titles(title, close):
    assert (close_titles(title, {1: EXISTING_TITLE}) == [1]) is close


def test_titles_with_other_numbers_are_other_agreements():
    titles = {1: "Quantum materials exchange, phase 2", 2: "Quantum materials exchange"}

    assert close_titles("Quantum materials exchange, phase 3", titles) == []
    assert close_titles("Quantum materials exchange phase 2", titles) == [1]


@pytest.mark.django_db
def test_the_template_documents_new_anyway():
    workbook = load_workbook(io.BytesIO(agreement_template_workbook()), read_only=True)
    instructions = {
        row[0]: row[1]
        for row in workbook["Instructions"].iter_rows(values_only=True)
        if len(row) > 1
    }

    assert "different one" in instructions["New anyway"]
    headers = next(workbook["Agreements"].iter_rows(values_only=True))
    assert "New anyway" in headers

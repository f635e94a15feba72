"""The flat agreement sheet: planning, name resolution, all-or-nothing imports,
idempotence, the command line and the admin's preview."""

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from registry.imports.agreement_sheet import import_agreement_file
from registry.imports.agreement_sheet.rows import Change
from registry.imports.template import agreement_template_workbook
from registry.models import (
    Agreement,
    AgreementFacet,
    AgreementParticipant,
    Classification,
    DataSource,
    Discipline,
    ImportBatch,
    ImportChannel,
    Institution,
    InstitutionAlias,
    PartnerRole,
    PublicationState,
    SourceRecord,
)
from registry.services import agreements as agreement_service
from tests.factories import confirm_admin_import, csv_sheet, make_agreement

HEADERS = [
    "public_id",
    "title",
    "classification",
    "us_institutions",
    "jp_institutions",
    "partners",
    "disciplines",
    "activities",
    "start",
    "end",
    "funding_amount",
    "funding_currency",
    "source",
    "source_id",
    "source_url",
]


def sheet(*rows, headers=HEADERS) -> bytes:
    return csv_sheet(rows, headers=headers)


EARTHQUAKES = {
    "title": "Earthquake early warning consortium",
    "us_institutions": "Stanford University; Harvard University (School of Medicine)",
    "jp_institutions": "東北大学 (災害科学国際研究所)\nKyoto University",
    "partners": "National Science Foundation (funder)",
    "disciplines": "Earth sciences; Disaster science and management",
    "activities": "Research grant award",
    "start": "March 2019",
    "end": "2024",
    "funding_amount": "$1,200,000",
    "source": "USAspending.gov",
    "source_id": "ASST-0001",
}
CLERKSHIP = {
    "title": "Clinical clerkship exchange",
    "us_institutions": "Duke University (School of Medicine)",
    "jp_institutions": "Nagoya University (School of Medicine)",
    "disciplines": "Clinical medicine",
    "activities": "Student exchange",
    "start": "2019-04",
}


def run(data, *, user=None, dry_run=False, file_name="agreements.csv", **kwargs):
    return import_agreement_file(
        data=data, file_name=file_name, user=user, dry_run=dry_run, **kwargs
    )


def errors_of(plan):
    return {
        (row.number, column): messages
        for row in plan.rows
        for column, messages in row.errors.items()
    }


# -- a clean file ----------------------------------------------------------------------


@pytest.mark.django_db
def test_new_agreements_are_imported_as_drafts_with_everything_resolved(editor):
    outcome = run(sheet(EARTHQUAKES, CLERKSHIP), user=editor)

    assert outcome.plan.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    agreement = Agreement.objects.get(title="Earthquake early warning consortium")
    assert agreement.publication_state == PublicationState.DRAFT
    # Partners make it a consortium when the classification is blank.
    assert agreement.classification == Classification.CONSORTIUM
    assert agreement.start_display == "2019-03"
    assert agreement.end_display == "2024"
    assert str(agreement.funding_amount) == "1200000.00"
    assert agreement.funding_currency == "USD"
    participants = {
        (p.institution.slug, p.unit)
        for p in agreement.participants.select_related("institution")
    }
    assert participants == {
        ("stanford-university", ""),
        ("harvard-university", "School of Medicine"),
        ("tohoku-university", "災害科学国際研究所"),
        ("kyoto-university", ""),
    }
    partner = agreement.partners.get()
    assert (partner.organization.slug, partner.role) == (
        "national-science-foundation",
        PartnerRole.FUNDER,
    )
    assert set(agreement.disciplines.values_list("slug", flat=True)) == {
        "earth-sciences",
        "disaster-science-and-management",
    }
    source = agreement.sources.get()
    assert (source.data_source.slug, source.source_identifier) == (
        "usaspending",
        "ASST-0001",
    )
    assert agreement.created_by == editor
    # Indexed for search like any other write.
    assert AgreementFacet.objects.filter(agreement=agreement).exists()
    assert agreement.search_title


@pytest.mark.django_db
def test_an_import_is_recorded_and_its_history_entries_point_at_it(editor):
    data = sheet(EARTHQUAKES, CLERKSHIP)
    batch = run(data, user=editor, channel=ImportChannel.COMMAND).batch

    assert batch.imported_by == editor
    assert batch.channel == ImportChannel.COMMAND
    assert (batch.rows, batch.created, batch.updated, batch.unchanged) == (2, 2, 0, 0)
    assert batch.file_name == "agreements.csv"
    assert len(batch.checksum) == 64 and batch.file_size == len(data)
    created = Agreement.history.filter(import_batch=batch)
    assert created.count() == 2
    assert {entry.history_type for entry in created} == {"+"}
    assert all(entry.history_user == editor for entry in created)
    assert AgreementParticipant.history.filter(import_batch=batch).count() == 6
    # The creation entry holds the agreement's parts, as one written by a save does.
    entry = Agreement.history.get(import_batch=batch, title=EARTHQUAKES["title"])
    assert set(
        Discipline.objects.filter(
            pk__in=[item["id"] for item in entry.parts["disciplines"]]
        ).values_list("slug", flat=True)
    ) == {"earth-sciences", "disaster-science-and-management"}
    assert len(entry.parts["participants"]) == 4
    assert SourceRecord.history.filter(import_batch=batch).count() == 1


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing_the_second_time(editor):
    data = sheet(EARTHQUAKES, CLERKSHIP)
    run(data, user=editor)
    entries = Agreement.history.count() + AgreementParticipant.history.count()

    second = run(data, user=editor)

    assert second.plan.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    assert Agreement.history.count() + AgreementParticipant.history.count() == entries
    assert second.batch.unchanged == 2


@pytest.mark.django_db
def test_a_dry_run_plans_but_writes_nothing(editor):
    before = Agreement.objects.count()
    outcome = run(sheet(EARTHQUAKES), user=editor, dry_run=True)

    assert outcome.plan.counts["new"] == 1
    assert outcome.batch is None
    assert Agreement.objects.count() == before
    assert not ImportBatch.objects.exists()


# -- matching existing agreements ------------------------------------------------------


@pytest.mark.django_db
def test_a_public_id_updates_that_agreement_and_keeps_what_the_file_lacks(editor):
    agreement = Agreement.objects.get(title__contains="Duke University")
    roles = dict(agreement.participants.values_list("institution__slug", "role"))
    row = {"public_id": agreement.public_id, "title": agreement.title, "end": "2030"}
    headers = ["public_id", "title", "end"]

    outcome = run(sheet(row, headers=headers), user=editor)

    [planned] = outcome.plan.rows
    assert planned.action == "update"
    assert planned.value_changes == [Change("End", agreement.end_display, "2030")]
    agreement.refresh_from_db()
    assert agreement.end_display == "2030"
    # Columns the file lacks keep their values; participants keep their roles.
    assert (
        dict(agreement.participants.values_list("institution__slug", "role")) == roles
    )
    entry = agreement.history.first()
    assert entry.import_batch == outcome.batch
    assert entry.history_change_reason.startswith("Imported from agreements.csv")


@pytest.mark.django_db
def test_a_row_without_public_id_is_matched_by_source_and_source_id(editor):
    run(sheet(EARTHQUAKES), user=editor)
    changed = {**EARTHQUAKES, "end": "2027"}

    outcome = run(sheet(changed), user=editor)

    assert outcome.plan.counts["update"] == 1
    assert Agreement.objects.filter(title=EARTHQUAKES["title"]).count() == 1
    assert Agreement.objects.get(title=EARTHQUAKES["title"]).end_display == "2027"


@pytest.mark.django_db
def test_one_country_column_replaces_that_countrys_participants_only(editor):
    run(sheet(EARTHQUAKES), user=editor)
    agreement = Agreement.objects.get(title=EARTHQUAKES["title"])
    row = {"public_id": agreement.public_id, "us_institutions": "Yale University"}

    run(sheet(row, headers=["public_id", "us_institutions"]), user=editor)

    slugs = set(agreement.participants.values_list("institution__slug", flat=True))
    assert slugs == {"yale-university", "tohoku-university", "kyoto-university"}


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/ja"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_an_exported_file_imports_back_unchanged(client, editor, fmt, prefix):
    """From the English or the Japanese page (Japanese headers), in any format."""
    # A funded agreement with two sources: amounts and parallel lists survive too.
    agreement = make_agreement(
        title="=Formula-looking title",
        funding_amount="1200000.50",
        funding_currency="USD",
    )
    SourceRecord.objects.create(
        agreement=agreement,
        data_source_id=DataSource.objects.first().pk,
        source_identifier="A-1",
    )
    SourceRecord.objects.create(
        agreement=agreement,
        data_source_id=DataSource.objects.last().pk,
        source_identifier="B-2",
        url="https://example.org/b-2",
    )
    response = client.get(f"{prefix}/agreements/?export={fmt}")
    exported = b"".join(response.streaming_content)
    if fmt == "csv" and prefix:
        assert "公開ID" in exported.decode("utf-8-sig").splitlines()[3]

    outcome = run(exported, user=editor, file_name=f"export.{fmt}")

    published = Agreement.objects.published().count()
    assert outcome.plan.counts == {
        "new": 0,
        "update": 0,
        "unchanged": published,
        "error": 0,
    }
    # status, synthetic, url and last updated are the registry's: known, not imported.
    assert outcome.plan.unknown_columns == []


@pytest.mark.django_db
def test_a_likely_duplicate_is_reported_not_created(editor):
    existing = Agreement.objects.get(title__contains="Duke University")
    names = {
        p.institution.country: p.institution.name
        for p in existing.participants.select_related("institution")
    }
    row = {
        "title": existing.title,
        "us_institutions": names["US"],
        "jp_institutions": names["JP"],
    }

    outcome = run(sheet(row), user=editor)

    [message] = errors_of(outcome.plan)[(2, "title")]
    assert existing.public_id in message
    assert "put its public ID in the Public ID column" in message
    assert outcome.batch is None


@pytest.mark.django_db
def test_two_rows_describing_one_agreement_are_reported(editor):
    outcome = run(sheet(EARTHQUAKES, {**EARTHQUAKES, "title": "Other"}), user=editor)

    assert errors_of(outcome.plan)[(3, "title")] == [
        "Row 2 already describes this agreement (the same source and source ID): "
        "keep one of the two rows."
    ]
    assert not Agreement.objects.filter(title=EARTHQUAKES["title"]).exists()


@pytest.mark.django_db
def test_unknown_and_synthetic_public_ids_are_errors(editor):
    synthetic = make_agreement(title="Demo", is_synthetic=True)
    rows = [
        {"public_id": "USJP-999999", "title": "Ghost"},
        {"public_id": synthetic.public_id, "title": "Demo"},
        {"public_id": "42-ABC", "title": "Typo"},
    ]

    errors = errors_of(run(sheet(*rows), user=editor).plan)

    assert errors[(2, "public_id")] == [
        "There is no agreement USJP-999999: leave the public ID blank to add a new one."
    ]
    assert "synthetic demo data" in errors[(3, "public_id")][0]
    assert "is not a public ID" in errors[(4, "public_id")][0]


# -- names -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_name_is_an_error_with_candidates_and_nothing_is_written(editor):
    before = (Agreement.objects.count(), Institution.objects.count())
    row = {**CLERKSHIP, "us_institutions": "Duke Unversity"}

    outcome = run(sheet(EARTHQUAKES, row), user=editor)

    [message] = errors_of(outcome.plan)[(3, "us_institutions")]
    assert "does not know “Duke Unversity”" in message
    assert "Duke University" in message
    [unresolved] = outcome.plan.unresolved
    assert unresolved.name == "Duke Unversity"
    assert unresolved.candidates[0].institution.slug == "duke-university"
    # The clean row is not imported either, and no institution is invented.
    assert (Agreement.objects.count(), Institution.objects.count()) == before
    assert outcome.batch is None


@pytest.mark.django_db
def test_an_ambiguous_name_is_never_guessed(editor):
    row = {**CLERKSHIP, "us_institutions": "UW"}

    [message] = errors_of(run(sheet(row), user=editor).plan)[(2, "us_institutions")]

    assert message.startswith("“UW” could be ")
    assert "University of Washington" in message


@pytest.mark.django_db
def test_a_name_in_the_wrong_country_column_says_where_it_belongs(editor):
    row = {**CLERKSHIP, "us_institutions": "Kyoto University"}

    [message] = errors_of(run(sheet(row), user=editor).plan)[(2, "us_institutions")]

    assert message == (
        "“Kyoto University” is in Japan: list it under Japanese institutions."
    )


@pytest.mark.django_db
def test_a_saved_alias_resolves_the_name_on_the_next_import(editor):
    row = {
        **CLERKSHIP,
        "jp_institutions": "Nagoya Medical Campus Hub (School of Medicine)",
    }
    assert run(sheet(row), user=editor, dry_run=True).plan.has_errors
    InstitutionAlias.objects.create(
        institution=Institution.objects.get(slug="nagoya-university"),
        name="Nagoya Medical Campus Hub",
        language="en",
        kind="alternative",
    )

    plan = run(sheet(row), user=editor, dry_run=True).plan

    assert not plan.has_errors


# -- values ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("start", "Spring 2019", "“Spring 2019” names no month."),
        ("start", "soon", "is not a date"),
        ("end", "2018", "The end (2018) is before the start (2019-04)."),
        ("funding_amount", "about a million", "is not an amount"),
        ("funding_amount", "-5", "is not an amount of money"),
        ("funding_amount", "¥5,000", "Give the currency"),
        ("disciplines", "Clinical medecine", "Did you mean “Clinical medicine”"),
        ("activities", "Teaching", "No activity is called “Teaching”."),
        ("classification", "bilateral", "is not a classification"),
        ("partners", "Acme Corp (funder)", "No partner organization is called"),
        ("source", "", "Source ID is given without a source"),
        ("source_id", "X-1; X-1", "X-1 is listed twice for the same source."),
        ("source_url", "https://example.org/" + "a" * 1000, "under 1,000 characters"),
    ],
)
def test_bad_values_are_errors_naming_their_column(editor, column, value, message):
    row = {**CLERKSHIP, column: value}
    if column == "source":
        row["source_id"] = "X-1"
    if column == "source_id":
        row["source"] = "USAspending.gov; USAspending.gov"
    if column == "source_url":
        row["source"] = "USAspending.gov"
    if column == "funding_amount" and value.startswith("¥"):
        row["funding_currency"] = "USD"
        column, message = "funding_currency", "The amount is in JPY"

    errors = errors_of(run(sheet(row), user=editor).plan)

    assert any(message in text for text in errors[(2, column)]), errors


@pytest.mark.django_db
def test_the_composition_rules_of_the_admin_apply(editor):
    row = {**CLERKSHIP, "classification": "consortium"}

    errors = errors_of(run(sheet(row), user=editor).plan)

    assert (
        "needs at least one non-higher-education partner" in errors[(2, "partners")][0]
    )


@pytest.mark.django_db
def test_headers_are_matched_loosely_and_unknown_columns_reported(editor):
    headers = ["Title", "U.S. Institutions", "JAPANESE institutions", "開始", "Notes"]
    data = sheet(
        {
            "Title": "Loose headers",
            "U.S. Institutions": "Duke University",
            "JAPANESE institutions": "名古屋大学",
            "開始": "2019",
            "Notes": "ignored",
        },
        headers=headers,
    )

    outcome = run(data, user=editor)

    assert outcome.plan.unknown_columns == ["Notes"]
    agreement = Agreement.objects.get(title="Loose headers")
    assert agreement.start_display == "2019"
    assert agreement.participants.count() == 2
    assert "Notes" in outcome.batch.summary


@pytest.mark.django_db
def test_a_file_without_a_title_column_is_refused_whole(editor):
    outcome = run(sheet({"Name": "x"}, headers=["Name"]), user=editor)

    assert outcome.plan.file_errors == [
        "No “Title” column was found (the headers are “Name”). Start from the "
        "template, or name the columns as it does."
    ]


@pytest.mark.django_db
def test_escaped_formulas_and_markup_are_stored_as_inert_text(editor):
    row = {**CLERKSHIP, "title": '\'=HYPERLINK("x") <script>alert(1)</script>'}

    run(sheet(row), user=editor)

    assert Agreement.objects.filter(
        title='=HYPERLINK("x") <script>alert(1)</script>'
    ).exists()


@pytest.mark.django_db
def test_a_failure_while_writing_leaves_nothing_behind(editor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index unavailable")

    # The write service fails after the agreements are inserted, before the rest.
    monkeypatch.setattr(agreement_service, "write_facet_rows", broken)
    before = Agreement.objects.count()

    with pytest.raises(RuntimeError):
        run(sheet(EARTHQUAKES, CLERKSHIP), user=editor)

    assert Agreement.objects.count() == before
    assert not ImportBatch.objects.exists()


# -- the template ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_template_examples_import_cleanly_and_its_agreements_sheet_is_read(editor):
    workbook = agreement_template_workbook()
    names = load_workbook(io.BytesIO(workbook), read_only=True).sheetnames
    assert names == ["Instructions", "Agreements", "Examples", "Lists"]

    examples = run(
        workbook, user=editor, dry_run=True, sheet="Examples", file_name="t.xlsx"
    ).plan
    assert examples.counts["new"] == 2 and not examples.has_errors, errors_of(examples)
    # Without a sheet named, the empty Agreements sheet is read, not the instructions.
    default = run(workbook, user=editor, dry_run=True, file_name="template.xlsx").plan
    assert default.table.sheet == "Agreements"
    assert default.file_errors == ["The file has a header row but no agreements."]


# -- command line ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_imports_and_reports(tmp_path, editor):
    path = tmp_path / "agreements.csv"
    path.write_bytes(sheet(EARTHQUAKES, CLERKSHIP))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_agreements", str(path), user="editor", stdout=out, stderr=err)

    assert "2 rows: 2 new, 0 to update, 0 unchanged, 0 with errors" in out.getvalue()
    batch = ImportBatch.objects.get()
    assert f"Imported as import {batch.pk}" in out.getvalue()
    assert batch.channel == ImportChannel.COMMAND and batch.imported_by == editor


@pytest.mark.django_db
def test_the_command_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "agreements.csv"
    path.write_bytes(sheet(EARTHQUAKES))
    out = io.StringIO()

    call_command("import_agreements", str(path), "--dry-run", stdout=out, stderr=out)

    assert "Dry run: nothing was written." in out.getvalue()
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_the_command_lists_errors_and_fails(tmp_path):
    path = tmp_path / "agreements.csv"
    path.write_bytes(sheet(EARTHQUAKES, {**CLERKSHIP, "start": "soon"}))
    err = io.StringIO()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_agreements", str(path), stdout=io.StringIO(), stderr=err)

    assert re.search(r"Row 3, Start: “soon” is not a date", err.getvalue())
    assert not Agreement.objects.filter(title=EARTHQUAKES["title"]).exists()


@pytest.mark.django_db
def test_the_command_refuses_an_unreadable_file_clearly(tmp_path):
    path = tmp_path / "agreements.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))

    with pytest.raises(CommandError) as refused:
        call_command("import_agreements", str(path), stdout=io.StringIO())

    assert "Traceback" not in str(refused.value)
    assert str(refused.value)


# -- admin -------------------------------------------------------------------------


def upload(client, data, name="agreements.csv", sheet_name=""):
    return client.post(
        reverse("admin:registry_agreement_import"),
        {
            "import_file": _named_file(data, name),
            "format": "0" if name.endswith(".csv") else "1",
            "resource": "0",
            "sheet": sheet_name,
        },
    )


def _named_file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.mark.django_db
def test_admin_preview_then_confirm_imports_the_file(editor_client, editor):
    response = upload(editor_client, sheet(EARTHQUAKES, CLERKSHIP))

    assert response.status_code == 200
    page = response.content.decode()
    assert "2 rows: 2 new, 0 to update, 0 unchanged, 0 with errors." in page
    assert "Confirm import" in page
    assert not Agreement.objects.filter(title=EARTHQUAKES["title"]).exists()

    done = confirm_admin_import(editor_client, response, "agreement")

    assert Agreement.objects.filter(title=EARTHQUAKES["title"]).exists()
    batch = ImportBatch.objects.get()
    assert batch.channel == ImportChannel.ADMIN and batch.imported_by == editor
    assert f"Import {batch.pk}</a> of agreements.csv: 2 new" in done.content.decode()


@pytest.mark.django_db
def test_admin_preview_of_a_bad_file_lists_errors_and_offers_no_confirmation(
    editor_client,
):
    row = {**CLERKSHIP, "us_institutions": "Duke Unversity <b>x</b>"}

    page = upload(editor_client, sheet(EARTHQUAKES, row)).content.decode()

    assert "Confirm import" not in page
    assert "1 with errors" in page
    assert "<strong>U.S. institutions</strong>" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    # The unresolved name can be saved as an alias of a candidate.
    assert reverse("admin:registry_agreement_save_alias") in page


@pytest.mark.django_db
def test_admin_saves_an_alias_from_the_preview(editor_client):
    duke = Institution.objects.get(slug="duke-university")

    response = editor_client.post(
        reverse("admin:registry_agreement_save_alias"),
        {"name": "Duke Unversity", "institution": duke.pk},
    )

    assert response.status_code == 302
    assert duke.aliases.filter(name="Duke Unversity").exists()
    plan = run(
        sheet({**CLERKSHIP, "us_institutions": "Duke Unversity"}),
        user=None,
        dry_run=True,
    ).plan
    assert not plan.has_errors


@pytest.mark.django_db
def test_saving_an_alias_from_a_preview_reads_the_same_file_again(editor_client):
    row = {**CLERKSHIP, "us_institutions": "Duke Unversity"}
    preview = upload(editor_client, sheet(EARTHQUAKES, row))
    assert "Confirm import" not in preview.content.decode()
    stored = preview.context["stored_upload"]
    duke = Institution.objects.get(slug="duke-university")

    again = editor_client.post(
        reverse("admin:registry_agreement_save_alias"),
        {"name": "Duke Unversity", "institution": duke.pk, **stored},
    )

    assert again.status_code == 200
    page = again.content.decode()
    assert "“Duke Unversity” is now an alias of Duke University." in page
    assert "2 rows: 2 new, 0 to update, 0 unchanged, 0 with errors." in page
    confirm = again.context["confirm_form"].initial
    editor_client.post(reverse("admin:registry_agreement_process_import"), confirm)
    imported = Agreement.objects.get(title=CLERKSHIP["title"])
    assert imported.participants.filter(institution=duke).exists()


@pytest.mark.django_db
def test_saving_an_alias_when_the_upload_is_gone_asks_for_it_again(editor_client):
    duke = Institution.objects.get(slug="duke-university")

    response = editor_client.post(
        reverse("admin:registry_agreement_save_alias"),
        {
            "name": "Duke Unversity",
            "institution": duke.pk,
            "import_file_name": "no-such-upload",
            "original_file_name": "agreements.csv",
            "format": "0",
            "resource": "0",
        },
        follow=True,
    )

    assert duke.aliases.filter(name="Duke Unversity").exists()
    assert "The uploaded file is no longer kept: upload it again." in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_saving_an_alias_needs_the_permission(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    client.force_login(viewer)
    duke = Institution.objects.get(slug="duke-university")

    response = client.post(
        reverse("admin:registry_agreement_save_alias"),
        {"name": "Dook", "institution": duke.pk},
    )

    assert response.status_code == 403
    assert not duke.aliases.filter(name="Dook").exists()


@pytest.mark.django_db
def test_admin_refuses_an_unreadable_file_with_its_reason(editor_client):
    response = upload(editor_client, b"PK\x03\x04 not really a workbook", "a.csv")

    errors = response.context["form"].errors["import_file"]
    assert errors and "encountered while trying to read file" not in errors[0]


@pytest.mark.django_db
def test_admin_template_download(editor_client):
    response = editor_client.get(reverse("admin:registry_agreement_import_template"))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert "Instructions" in workbook.sheetnames


@pytest.mark.django_db
def test_import_batch_page_lists_what_it_changed(editor_client, editor):
    batch = run(sheet(EARTHQUAKES), user=editor).batch

    page = editor_client.get(
        reverse("admin:registry_importbatch_change", args=[batch.pk])
    ).content.decode()
    agreements = editor_client.get(
        reverse("admin:registry_agreement_changelist") + f"?import_batch={batch.pk}"
    )

    assert "Agreements: 1" in page
    assert list(agreements.context["cl"].result_list) == [
        Agreement.objects.get(title=EARTHQUAKES["title"])
    ]


@pytest.mark.django_db
def test_a_japanese_excel_csv_in_cp932_imports_with_japanese_names(editor):
    data = sheet(
        {
            "title": "臨床実習交流",
            "us_institutions": "Duke University",
            "jp_institutions": "名古屋大学（医学部）; 東北大学",
            "start": "2019年4月",
            "funding_amount": "￥5,000,000",
        }
    ).decode("utf-8")

    outcome = run(data.encode("cp932"), user=editor)

    assert outcome.plan.table.encoding == "cp932"
    agreement = Agreement.objects.get(title="臨床実習交流")
    assert {
        (p.institution.slug, p.unit)
        for p in agreement.participants.select_related("institution")
    } == {
        ("duke-university", ""),
        ("nagoya-university", "医学部"),
        ("tohoku-university", ""),
    }
    assert (agreement.start_display, agreement.funding_currency) == ("2019-04", "JPY")


@pytest.mark.django_db
def test_admin_reads_the_sheet_named_in_a_workbook(editor_client):
    workbook = agreement_template_workbook()

    response = upload(editor_client, workbook, "template.xlsx", sheet_name="examples")

    assert response.context["result"].plan.table.sheet == "Examples"
    assert "2 rows: 2 new" in response.content.decode()
    wrong = upload(editor_client, workbook, "template.xlsx", sheet_name="Data")
    assert "Examples" in wrong.content.decode()  # the message lists the sheets
    assert "confirm_form" not in wrong.context or not wrong.context["confirm_form"]


@pytest.mark.django_db
def test_admin_export_escapes_formulas_and_reimports_unchanged(editor_client, editor):
    make_agreement(title="=1+1 is not a formula here", sources=("jsps",))

    response = editor_client.post(
        reverse("admin:registry_agreement_export"),
        {"format": "0", "resource": "0"},
    )

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "'=1+1 is not a formula here" in text
    plan = run(text.encode(), user=editor, dry_run=True, file_name="admin.csv").plan
    assert not plan.has_errors, errors_of(plan)
    assert plan.counts["new"] == plan.counts["update"] == 0


@pytest.mark.django_db
def test_affiliations_import_as_the_institution_with_its_unit(editor):
    row = {
        **CLERKSHIP,
        "title": "Robotics exchange from affiliations",
        "us_institutions": (
            "Dept. of Mechanical Engineering, Univ. of California, Berkeley, "
            "CA 94720, USA"
        ),
        "jp_institutions": (
            "Graduate School of Engineering, Kyoto University, Kyoto 615-8510, Japan"
        ),
    }

    outcome = run(sheet(row), user=editor)

    assert errors_of(outcome.plan) == {}
    agreement = Agreement.objects.get(title="Robotics exchange from affiliations")
    assert set(agreement.participants.values_list("institution__slug", "unit")) == {
        ("university-of-california-berkeley", "Department of Mechanical Engineering"),
        ("kyoto-university", "Graduate School of Engineering"),
    }


@pytest.mark.django_db
def test_a_laboratory_affiliation_is_refused_as_a_participant_naming_it(editor):
    row = {
        **CLERKSHIP,
        "us_institutions": "Lawrence Berkeley National Laboratory, Berkeley, CA",
    }

    errors = errors_of(run(sheet(row), user=editor, dry_run=True).plan)

    [message] = errors[(2, "us_institutions")]
    assert "names Lawrence Berkeley National Laboratory, a partner organization" in (
        message
    )


@pytest.mark.django_db
def test_the_curators_own_words_for_vocabularies_are_read_as_aliases(editor):
    """Medicine, Physics, Institution website, 科研費: names curators write, shipped
    as aliases with the reference data."""
    rows = [
        {
            **CLERKSHIP,
            "title": "Aliases in English",
            "disciplines": "Medicine; Physics",
            "activities": "Exchange of students",
            "source": "Institution website",
        },
        {
            **CLERKSHIP,
            "title": "Aliases in Japanese",
            "disciplines": "医学",
            "source": "科研費",
        },
    ]

    outcome = run(sheet(*rows), user=editor)

    assert errors_of(outcome.plan) == {}
    english = Agreement.objects.get(title="Aliases in English")
    assert set(english.disciplines.values_list("slug", flat=True)) == {
        "health-medical-sciences",
        "physics-and-astronomy",
    }
    assert list(english.activity_types.values_list("slug", flat=True)) == [
        "student-exchange"
    ]
    assert list(english.sources.values_list("data_source__slug", flat=True)) == [
        "institution-websites"
    ]
    japanese = Agreement.objects.get(title="Aliases in Japanese")
    assert list(japanese.sources.values_list("data_source__slug", flat=True)) == [
        "jsps"
    ]


@pytest.mark.django_db
def test_a_vocabulary_alias_a_curator_adds_is_read_on_the_next_import(editor):
    from registry.models import AliasKind, Discipline, DisciplineAlias, Language

    row = {**CLERKSHIP, "title": "Marine work", "disciplines": "Oceanography"}
    [message] = errors_of(run(sheet(row), user=editor, dry_run=True).plan)[
        (2, "disciplines")
    ]
    assert "No discipline is called “Oceanography”" in message

    DisciplineAlias.objects.create(
        discipline=Discipline.objects.get(slug="earth-sciences"),
        name="Oceanography",
        language=Language.EN,
        kind=AliasKind.ALTERNATIVE,
    )
    outcome = run(sheet(row), user=editor)

    assert errors_of(outcome.plan) == {}
    agreement = Agreement.objects.get(title="Marine work")
    assert list(agreement.disciplines.values_list("slug", flat=True)) == [
        "earth-sciences"
    ]


@pytest.mark.django_db
def test_a_word_saved_as_an_alias_from_the_preview_reads_the_same_file_again(
    editor_client,
):
    """ "Clinical medicin" offers the closest disciplines; one click saves it as the
    chosen one's alias, the same file is read again, and it imports."""
    from registry.models import Discipline, DisciplineAlias

    row = {**CLERKSHIP, "disciplines": "Clinical medicin"}
    preview = upload(editor_client, sheet(row))
    page = preview.content.decode()
    assert "Words the registry does not know" in page
    [term] = preview.context["plan"].unresolved_terms
    assert term.kind == "disciplines" and term.name == "Clinical medicin"
    clinical = Discipline.objects.get(slug="clinical-medicine")
    assert (clinical.pk, clinical.name) in term.options
    stored = preview.context["stored_upload"]

    again = editor_client.post(
        reverse("admin:registry_agreement_save_term_alias"),
        {"kind": "disciplines", "name": "Clinical medicin", "record": clinical.pk}
        | stored,
    )

    assert again.status_code == 200
    page = again.content.decode()
    assert "“Clinical medicin” is now an alias of Clinical medicine." in page
    assert "1 row: 1 new, 0 to update, 0 unchanged, 0 with errors." in page
    assert DisciplineAlias.objects.filter(
        discipline=clinical, name="Clinical medicin"
    ).exists()


@pytest.mark.django_db
def test_an_unknown_partner_is_offered_as_an_alias_of_the_closest_organizations(
    editor_client,
):
    from registry.models import Organization

    row = {**EARTHQUAKES, "partners": "National Science Foundaton (funder)"}
    preview = upload(editor_client, sheet(row))

    [term] = preview.context["plan"].unresolved_terms
    assert term.kind == "organizations"
    assert term.name == "National Science Foundaton"
    nsf = Organization.objects.get(slug="national-science-foundation")
    assert term.options[0] == (nsf.pk, nsf.name)


@pytest.mark.django_db
def test_saving_a_word_alias_needs_the_permission_and_a_record(editor_client):
    from django.contrib.auth.models import User
    from django.test import Client

    from registry.models import Discipline, DisciplineAlias

    clinical = Discipline.objects.get(slug="clinical-medicine")
    bystander = Client()
    bystander.force_login(User.objects.create_user("bystander", is_staff=True))
    refused = bystander.post(
        reverse("admin:registry_agreement_save_term_alias"),
        {"kind": "disciplines", "name": "Clin med", "record": clinical.pk},
    )
    missing = editor_client.post(
        reverse("admin:registry_agreement_save_term_alias"),
        {"kind": "disciplines", "name": "Clin med", "record": 999999},
    )
    unknown_kind = editor_client.post(
        reverse("admin:registry_agreement_save_term_alias"),
        {"kind": "programs", "name": "Clin med", "record": clinical.pk},
    )

    assert refused.status_code == 403
    assert missing.status_code == 302 and unknown_kind.status_code == 302
    messages = [str(m) for m in get_messages(missing.wsgi_request)]
    assert messages == ["The alias was not saved: choose a record."]
    assert not DisciplineAlias.objects.filter(name="Clin med").exists()


@pytest.mark.django_db
def test_a_missing_partner_is_added_from_the_preview_and_the_rows_re_plan(
    editor_client, editor
):
    from registry.models import Organization

    row = {**EARTHQUAKES, "partners": "Pacific Ocean Robotics Alliance (funder)"}
    preview = upload(editor_client, sheet(row))
    assert "Add “Pacific Ocean Robotics Alliance” as a new partner organization" in (
        preview.content.decode()
    )
    stored = preview.context["stored_upload"]

    again = editor_client.post(
        reverse("admin:registry_agreement_add_organization"),
        {
            "name": "Pacific Ocean Robotics Alliance",
            "sector": "ngo",
            "country": "US",
            **stored,
        },
    )

    assert again.status_code == 200
    page = again.content.decode()
    added_message = "Pacific Ocean Robotics Alliance was added to the partner"
    assert f"{added_message} organizations." in page
    assert "1 row: 1 new, 0 to update, 0 unchanged, 0 with errors." in page
    added = Organization.objects.get(name="Pacific Ocean Robotics Alliance")
    assert added.slug == "pacific-ocean-robotics-alliance"
    entry = added.history.get()
    assert entry.history_user == editor
    assert entry.history_change_reason.startswith("Added from the preview of an import")
    assert entry.import_batch is None  # until the file is imported

    confirm_admin_import(editor_client, again, "agreement")

    batch = ImportBatch.objects.get()
    assert added.history.get().import_batch == batch
    imported = Agreement.objects.get(title=EARTHQUAKES["title"])
    assert imported.partners.get().organization == added
    batch_page = editor_client.get(
        reverse("admin:registry_importbatch_change", args=[batch.pk])
    ).content.decode()
    assert "Organizations: 1" in batch_page


@pytest.mark.django_db
def test_a_partner_with_bad_details_is_not_added_and_the_preview_says_why(
    editor_client,
):
    from registry.models import Organization

    row = {**EARTHQUAKES, "partners": "Pacific Ocean Robotics Alliance (funder)"}
    stored = upload(editor_client, sheet(row)).context["stored_upload"]

    again = editor_client.post(
        reverse("admin:registry_agreement_add_organization"),
        {
            "name": "Pacific Ocean Robotics Alliance",
            "sector": "pirates",
            "country": "US",
            **stored,
        },
    )

    assert again.status_code == 200
    page = again.content.decode()
    assert "The organization was not added: Sector: Select a valid choice." in page
    assert "1 row: 0 new, 0 to update, 0 unchanged, 1 with errors." in page
    assert not Organization.objects.filter(
        name="Pacific Ocean Robotics Alliance"
    ).exists()


# -- updates: a blank cell keeps, (clear) erases ---------------------------------------

# Every column an update could blank, the Japanese title among them.
ALL_HEADERS = [*HEADERS, "title_ja", "new_anyway"]
TITLE_JA = "地震早期警報コンソーシアム"


def stored_earthquakes(editor) -> Agreement:
    """EARTHQUAKES as imported, with a Japanese title too."""
    run(sheet(EARTHQUAKES), user=editor)
    agreement = Agreement.objects.get(title=EARTHQUAKES["title"])
    Agreement.objects.filter(pk=agreement.pk).update(title_ja=TITLE_JA)
    agreement.refresh_from_db()
    return agreement


def update_of(agreement, **cells) -> bytes:
    """A file of every column, blank but for the public ID and ``cells``."""
    return sheet({"public_id": agreement.public_id, **cells}, headers=ALL_HEADERS)


def slugs_by_country(agreement) -> dict[str, set[str]]:
    found = {"US": set(), "JP": set()}
    for country, slug in agreement.participants.values_list(
        "institution__country", "institution__slug"
    ):
        found[country].add(slug)
    return found


@pytest.mark.django_db
def test_a_blank_cell_leaves_the_stored_value(editor):
    agreement = stored_earthquakes(editor)
    japanese = slugs_by_country(agreement)["JP"]

    # Title (Japanese) and Japanese institutions are columns of the file, blank here.
    outcome = run(update_of(agreement, us_institutions="Yale University"), user=editor)

    assert outcome.plan.counts["update"] == 1, errors_of(outcome.plan)
    agreement.refresh_from_db()
    assert agreement.title == EARTHQUAKES["title"]
    assert agreement.title_ja == TITLE_JA
    assert slugs_by_country(agreement) == {"US": {"yale-university"}, "JP": japanese}
    assert agreement.end_display == "2024"
    assert agreement.sources.count() == agreement.partners.count() == 1


@pytest.mark.django_db
def test_an_update_giving_only_blanks_is_unchanged(editor):
    agreement = stored_earthquakes(editor)
    entries = agreement.history.count()

    outcome = run(update_of(agreement), user=editor)

    assert outcome.plan.counts == {"new": 0, "update": 0, "unchanged": 1, "error": 0}
    assert outcome.plan.rows[0].value_changes == []
    agreement.refresh_from_db()
    assert (agreement.title_ja, agreement.end_display) == (TITLE_JA, "2024")
    assert agreement.history.count() == entries


@pytest.mark.django_db
@pytest.mark.parametrize(
    "marker", ["(clear)", "(CLEAR) ", "（clear）", "（消去）", "(消去)"]
)
def test_clear_erases_the_stored_value(editor, marker):
    agreement = stored_earthquakes(editor)

    outcome = run(
        update_of(agreement, title_ja=marker, end=marker, disciplines=marker),
        user=editor,
    )

    assert outcome.plan.counts["update"] == 1, errors_of(outcome.plan)
    agreement.refresh_from_db()
    assert (agreement.title_ja, agreement.end_date) == ("", None)
    assert not agreement.disciplines.exists()
    assert agreement.title == EARTHQUAKES["title"]
    assert agreement.activity_types.exists()


@pytest.mark.django_db
def test_clear_in_the_source_column_removes_every_source(editor):
    agreement = stored_earthquakes(editor)

    run(update_of(agreement, source="(clear)"), user=editor)

    assert not agreement.sources.exists()
    assert agreement.participants.count() == 4


@pytest.mark.django_db
def test_clearing_the_amount_erases_its_currency_and_the_currency_alone_is_refused(
    editor,
):
    agreement = stored_earthquakes(editor)

    currency_alone = run(update_of(agreement, funding_currency="(clear)"), user=editor)
    run(update_of(agreement, funding_amount="(clear)"), user=editor)

    assert errors_of(currency_alone.plan) == {
        (2, "funding_currency"): [
            "Give the currency of the funding amount (USD or JPY)."
        ]
    }
    agreement.refresh_from_db()
    assert (agreement.funding_amount, agreement.funding_currency) == (None, "")


@pytest.mark.django_db
def test_an_update_is_checked_with_the_values_it_keeps(editor):
    """A new start after the end the row keeps: the agreement's own rule refuses it."""
    agreement = stored_earthquakes(editor)

    outcome = run(update_of(agreement, start="2025"), user=editor)

    assert errors_of(outcome.plan) == {
        (2, "end"): ["The end (2024) is before the start (2025)."]
    }


@pytest.mark.django_db
def test_clear_on_the_title_is_refused_as_a_missing_title(editor):
    agreement = stored_earthquakes(editor)

    outcome = run(update_of(agreement, title="(clear)"), user=editor)

    assert errors_of(outcome.plan) == {(2, "title"): ["Every agreement needs a title."]}
    assert outcome.batch is None


@pytest.mark.django_db
def test_clear_in_a_new_row_means_blank(editor):
    outcome = run(sheet({**CLERKSHIP, "end": "(clear)", "partners": "（消去）"}))

    assert outcome.plan.counts["new"] == 1, errors_of(outcome.plan)
    agreement = Agreement.objects.get(title=CLERKSHIP["title"])
    assert agreement.end_date is None and not agreement.partners.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            "public_id",
            "“(clear)” would erase the public ID, and a public ID cannot be erased: "
            "write the public ID of the agreement to update, or leave the cell blank "
            "for a new agreement.",
        ),
        (
            "new_anyway",
            "“(clear)” would erase New anyway, which is never stored: write yes, or "
            "leave the cell blank.",
        ),
    ],
)
def test_clear_where_nothing_is_stored_is_an_error_and_nothing_is_written(
    editor, column, message
):
    agreement = stored_earthquakes(editor)
    entries = Agreement.history.count()
    row = {**EARTHQUAKES, "title": "Renamed", "end": "", column: "(clear)"}

    outcome = run(sheet(row, headers=ALL_HEADERS), user=editor)

    assert errors_of(outcome.plan)[(2, column)] == [message]
    assert outcome.batch is None
    assert Agreement.history.count() == entries
    agreement.refresh_from_db()
    assert agreement.title == EARTHQUAKES["title"]


@pytest.mark.django_db
def test_the_preview_shows_each_change_before_and_after(editor):
    agreement = stored_earthquakes(editor)
    cells = {
        "title_ja": "(clear)",
        "us_institutions": "Yale University",
        "disciplines": "Earth sciences",
        "end": "2030-03",
        "funding_amount": "¥5,000,000",
        "source_id": "ASST-0002",
        "source": "USAspending.gov",
    }

    [row] = run(update_of(agreement, **cells), user=editor, dry_run=True).plan.rows

    assert row.action == "update", row.errors
    assert row.value_changes == [
        Change("Title (Japanese)", TITLE_JA, ""),
        Change(
            "U.S. institutions",
            "Harvard University (School of Medicine); Stanford University",
            "Yale University",
        ),
        Change(
            "Disciplines",
            "Disaster science and management; Earth sciences",
            "Earth sciences",
        ),
        Change("End", "2024", "2030-03"),
        Change("Amount", "1,200,000.00", "5,000,000.00"),
        Change("Currency", "U.S. dollar", "Japanese yen"),
        Change("Source ID", "ASST-0001", "ASST-0002"),
    ]


@pytest.mark.django_db
def test_the_changes_of_every_row_cost_one_query(editor, django_assert_num_queries):
    from registry.imports.agreement_sheet.comparing import describe_changes
    from registry.imports.agreement_sheet.reading import Vocabularies

    run(sheet(EARTHQUAKES, CLERKSHIP), user=editor)
    rows = [
        {"public_id": agreement.public_id, "jp_institutions": "Kyoto University"}
        for agreement in Agreement.objects.filter(
            title__in=[EARTHQUAKES["title"], CLERKSHIP["title"]]
        )
    ]
    plan = run(sheet(*rows, headers=ALL_HEADERS), user=editor, dry_run=True).plan
    assert plan.counts["update"] == 2, errors_of(plan)
    vocabularies = Vocabularies.load()

    # Institutions in one query; the other names are the vocabularies'.
    with django_assert_num_queries(1):
        describe_changes(plan.rows, vocabularies=vocabularies)

    assert [row.value_changes[0].label for row in plan.rows] == [
        "Japanese institutions",
        "Japanese institutions",
    ]


@pytest.mark.django_db
def test_the_admin_preview_lists_changes_and_says_how_to_erase(editor_client, editor):
    agreement = stored_earthquakes(editor)

    page = upload(
        editor_client, update_of(agreement, title_ja="(clear)", end="2030")
    ).content.decode()

    assert "1 row: 0 new, 1 to update, 0 unchanged, 0 with errors." in page
    assert f'<del>{TITLE_JA}</del> → <em class="import-blank">(blank)</em>' in page
    assert "<del>2024</del> → <ins>2030</ins>" in page
    # The file has no title: the row is shown with the agreement's.
    assert f"<td>{EARTHQUAKES['title']}</td>" in page
    form = editor_client.get(reverse("admin:registry_agreement_import")).content
    help_text = (
        "a blank cell leaves the value as it is, and (clear) in a cell erases it"
    )
    assert help_text in form.decode()
    workbook = load_workbook(io.BytesIO(agreement_template_workbook()))
    instructions = " ".join(
        str(row[0]) for row in workbook["Instructions"].iter_rows(values_only=True)
    )
    assert "To erase a value, write (clear) in its cell." in instructions


@pytest.mark.django_db
def test_an_imported_agreement_without_a_classification_follows_its_partners(editor):
    """A blank classification is derived (consortium: it has a funder) and stays free
    to follow the partners; a written one is the curator's choice."""
    outcome = run(
        sheet(EARTHQUAKES, {**CLERKSHIP, "classification": "collaborative"}),
        user=editor,
    )

    assert not outcome.plan.has_errors
    derived = Agreement.objects.get(title=EARTHQUAKES["title"])
    chosen = Agreement.objects.get(title=CLERKSHIP["title"])
    assert derived.classification == Classification.CONSORTIUM
    assert not derived.classification_chosen
    assert chosen.classification == Classification.COLLABORATIVE
    assert chosen.classification_chosen


@pytest.mark.django_db
def test_a_partner_added_by_an_import_moves_a_classification_nobody_chose(editor):
    """The preview shows the move before the write makes it."""
    run(sheet(CLERKSHIP), user=editor)
    agreement = Agreement.objects.get(title=CLERKSHIP["title"])
    assert agreement.classification == Classification.COLLABORATIVE

    outcome = run(
        sheet(
            {
                "public_id": agreement.public_id,
                "partners": "National Science Foundation (funder)",
            }
        ),
        user=editor,
    )

    assert not outcome.plan.has_errors, errors_of(outcome.plan)
    [row] = outcome.plan.rows
    moves = [
        (change.before, change.after)
        for change in row.value_changes
        if change.label == "Classification"
    ]
    assert moves == [("Collaborative", "Consortium")]
    agreement.refresh_from_db()
    assert agreement.classification == Classification.CONSORTIUM


@pytest.mark.django_db
def test_clearing_the_classification_lets_it_follow_the_partners_again(editor):
    run(sheet({**CLERKSHIP, "classification": "collaborative"}), user=editor)
    agreement = Agreement.objects.get(title=CLERKSHIP["title"])
    assert agreement.classification_chosen

    outcome = run(
        sheet(
            {
                "public_id": agreement.public_id,
                "classification": "(clear)",
                "partners": "National Science Foundation (funder)",
            }
        ),
        user=editor,
    )

    assert not outcome.plan.has_errors, errors_of(outcome.plan)
    agreement.refresh_from_db()
    assert agreement.classification == Classification.CONSORTIUM
    assert not agreement.classification_chosen

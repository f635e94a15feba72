"""The flat institution and organization sheets: new, update, unchanged and error
rows, matching, all-or-nothing imports, idempotence, exports imported back, and the
admin's upload, preview, confirmation and export."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.imports.directory_sheets import (
    export_directory_sheet,
    import_directory_file,
)
from registry.imports.formats import IMPORT_FORMATS
from registry.imports.resources import (
    InstitutionSheetResource,
    OrganizationSheetResource,
)
from registry.models import (
    ImportBatch,
    ImportChannel,
    ImportKind,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionRedirect,
    Organization,
    OrganizationAlias,
)
from tests.factories import confirm_admin_import, csv_sheet, make_agreement

INSTITUTION_HEADERS = [
    "slug",
    "name",
    "name_ja",
    "country",
    "institution_type",
    "region",
    "city",
    "website",
    "ror_id",
    "ipeds_id",
    "mext_code",
    "aliases",
]
ORGANIZATION_HEADERS = [
    "slug",
    "name",
    "name_ja",
    "sector",
    "country",
    "parent",
    "ror_id",
    "website",
    "aliases",
]


def sheet(*rows, headers=INSTITUTION_HEADERS) -> bytes:
    return csv_sheet(rows, headers=headers)


def run(data, *, kind=ImportKind.INSTITUTIONS, user=None, dry_run=False, **kwargs):
    return import_directory_file(
        kind=kind,
        data=data,
        file_name=kwargs.pop("file_name", f"{kind}.csv"),
        user=user,
        dry_run=dry_run,
        **kwargs,
    )


def errors_of(plan):
    return {
        (row.number, column): messages
        for row in plan.rows
        for column, messages in row.errors.items()
    }


def snapshot():
    """Everything an import may write, to show that nothing was."""
    return (
        list(Institution.objects.order_by("pk").values()),
        list(InstitutionAlias.objects.order_by("pk").values()),
        list(InstitutionIdentifier.objects.order_by("pk").values()),
        list(Organization.objects.order_by("pk").values()),
        list(OrganizationAlias.objects.order_by("pk").values()),
        Institution.history.count(),
        Organization.history.count(),
        ImportBatch.objects.count(),
    )


NEW_CAMPUS = {
    "name": "Example State University",
    "name_ja": "エグザンプル州立大学",
    "country": "United States",
    "institution_type": "public",
    "region": "CA",
    "city": "Fresno",
    "website": "example-state.edu",
    "ror_id": "https://ror.org/05abcde12",
    "ipeds_id": "999001",
    "aliases": "ESU; Example State",
}
NEW_JAPANESE = {
    "name": "Example Gakuin University",
    "name_ja": "例学院大学",
    "country": "日本",
    "institution_type": "私立",
    "region": "宮城県",
    "city": "Sendai",
    "mext_code": "F999999999991",
}

DUKE = {
    "name": "Duke University",
    "name_ja": "デューク大学",
    "country": "US",
    "institution_type": "us_private_nonprofit",
    "region": "NC",
    "city": "Durham",
    "website": "https://www.duke.edu/",
    "ror_id": "00py81415",
    "ipeds_id": "198419",
}


# -- institutions: new, update, unchanged ----------------------------------------------


@pytest.mark.django_db
def test_new_institutions_are_created_with_identifiers_and_aliases(editor):
    outcome = run(sheet(NEW_CAMPUS, NEW_JAPANESE), user=editor)

    assert errors_of(outcome.plan) == {}
    assert outcome.plan.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    campus = Institution.objects.get(name="Example State University")
    assert campus.slug == "example-state-university"
    assert (campus.country, campus.institution_type) == ("US", "us_public")
    assert (campus.region.code, campus.city) == ("CA", "Fresno")
    assert campus.website == "https://example-state.edu"
    assert set(campus.identifiers.values_list("scheme", "value")) == {
        ("ror", "05abcde12"),
        ("ipeds", "999001"),
    }
    assert set(campus.aliases.values_list("name", "language")) == {
        ("ESU", "en"),
        ("Example State", "en"),
    }
    japanese = Institution.objects.get(name_ja="例学院大学")
    assert (japanese.institution_type, japanese.region.name) == ("jp_private", "Miyagi")
    batch = outcome.batch
    assert (batch.kind, batch.channel, batch.created) == ("institutions", "admin", 2)
    history = campus.history.get()
    assert history.import_batch == batch and history.history_user == editor
    assert f"import {batch.pk}" in history.history_change_reason


@pytest.mark.django_db
def test_an_update_by_slug_changes_only_the_columns_given_and_reindexes(editor):
    agreement = make_agreement(title="Zebra studies", jp=("tohoku-university",))
    tohoku = Institution.objects.get(slug="tohoku-university")
    row = {"slug": "tohoku-university", "city": "Aoba, Sendai", "aliases": "Zebracorn"}

    outcome = run(sheet(row, headers=["slug", "city", "aliases"]), user=editor)

    [planned] = outcome.plan.rows
    assert (planned.action, planned.changes) == ("update", ["City", "Aliases"])
    tohoku.refresh_from_db()
    assert (tohoku.city, tohoku.name, tohoku.region.code) == (
        "Aoba, Sendai",
        "Tohoku University",
        "04",
    )
    assert tohoku.aliases.filter(name="Zebracorn", kind="alternative").exists()
    # The other aliases and identifiers stay: an import only adds.
    assert tohoku.aliases.filter(name="東北大").exists()
    assert tohoku.identifiers.count() == 2
    history = tohoku.history.first()
    assert history.import_batch == outcome.batch and history.history_user == editor
    # The new alias finds the institution's agreements.
    agreement.refresh_from_db()
    assert "zebracorn" in agreement.search_text


def without_japanese_name(*slugs):
    """These U.S. institutions as a registry that lacks their Japanese names: a sheet
    that gives one fills a blank field (an update)."""
    Institution.objects.filter(slug__in=slugs).update(name_ja="")


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing_the_second_time(editor):
    without_japanese_name("duke-university")
    data = sheet(NEW_CAMPUS, NEW_JAPANESE, {"slug": "duke-university", **DUKE})
    first = run(data, user=editor)
    assert first.plan.counts == {"new": 2, "update": 1, "unchanged": 0, "error": 0}
    before = snapshot()[:-1]  # all but the count of imports

    second = run(data, user=editor)

    assert second.plan.counts == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
    assert snapshot()[:-1] == before
    assert [row.matched_by for row in second.plan.rows] == [
        "identifier",
        "identifier",
        "slug",
    ]


# -- institutions: matching ------------------------------------------------------------


@pytest.mark.django_db
def test_rows_are_matched_by_identifier_then_website_then_name(editor):
    without_japanese_name("stanford-university")
    by_identifier = run(
        sheet(
            {"ror_id": "https://ror.org/01DQ60K83", "city": "Sendai-shi"},
            headers=["ror_id", "city"],
        ),
        user=editor,
        dry_run=True,
    ).plan.rows[0]
    by_website = run(
        sheet(
            {
                "name": "Stanford University",
                "country": "US",
                "website": "https://www.stanford.edu",
                "name_ja": "スタンフォード大学",
            },
            headers=["name", "country", "website", "name_ja"],
        ),
        user=editor,
        dry_run=True,
    ).plan.rows[0]
    by_name = run(
        sheet(
            {"name": "Duke University", "country": "US"}, headers=["name", "country"]
        ),
        user=editor,
        dry_run=True,
    ).plan.rows[0]

    assert (by_identifier.public_id, by_identifier.matched_by) == (
        "tohoku-university",
        "identifier",
    )
    assert (by_identifier.action, by_identifier.changes) == ("update", ["City"])
    assert (by_website.public_id, by_website.matched_by) == (
        "stanford-university",
        "website",
    )
    # The trailing slash aside, the website is the same: only the Japanese name is new.
    assert by_website.changes == ["Name (Japanese)"]
    assert (by_name.public_id, by_name.matched_by) == ("duke-university", "name")
    assert by_name.action == "unchanged"


@pytest.mark.django_db
def test_a_same_name_row_that_changes_nothing_is_that_institution(editor):
    row = {"name": "Duke University", "country": "US", "city": "Durham"}

    outcome = run(sheet(row, headers=["name", "country", "city"]), user=editor)

    [planned] = outcome.plan.rows
    assert (planned.action, planned.public_id) == ("unchanged", "duke-university")
    assert Institution.objects.filter(name="Duke University").count() == 1


@pytest.mark.django_db
def test_a_likely_duplicate_by_name_is_reported_not_created(editor):
    before = snapshot()
    row = {"name": "Duke University", "country": "US", "city": "Raleigh"}

    outcome = run(sheet(row, headers=["name", "country", "city"]), user=editor)

    assert errors_of(outcome.plan) == {
        (2, "name"): [
            "Duke University (duke-university) already has this name, with different "
            "City. To update it, put duke-university in the Slug column; if this is "
            "another institution of the same name, add it in the admin."
        ]
    }
    assert outcome.batch is None and snapshot() == before


@pytest.mark.django_db
def test_a_website_of_an_institution_with_another_name_is_reported(editor):
    before = snapshot()
    row = {
        "name": "Stanford Satellite Campus",
        "country": "US",
        "institution_type": "us_private_nonprofit",
        "website": "https://stanford.edu/satellite",
    }

    outcome = run(sheet(row), user=editor)

    [message] = errors_of(outcome.plan)[(2, "website")]
    assert message.startswith(
        "This website is that of Stanford University (stanford-university), under "
        "another name."
    )
    assert snapshot() == before


# -- institutions: errors on their columns, nothing written ----------------------------

BAD_ROWS = [
    (
        {"country": "France"},
        "country",
        "“France” is not a country the registry records: US or JP.",
    ),
    (
        {"institution_type": "pubic"},
        "institution_type",
        "“pubic” is not a type of institution the registry knows. Did you mean "
        "“us_public: Public (U.S.)”",
    ),
    (
        {"region": "Californa"},
        "region",
        "“Californa” is not a U.S. state the registry knows. Did you mean "
        "“California (CA)”",
    ),
    (
        {"ror_id": "12345"},
        "ror_id",
        "“12345” is not a ROR ID: expected nine characters such as 01dq60k83.",
    ),
    (
        {
            "country": "JP",
            "institution_type": "jp_private",
            "region": "Miyagi",
            "ipeds_id": "999002",
        },
        "ipeds_id",
        "A IPEDS UNITID identifies institutions in United States only.",
    ),
    (
        {
            "country": "JP",
            "institution_type": "jp_private",
            "region": "04",
            "ipeds_id": "",
            "research": "r1",
        },
        "research_classification",
        "The Carnegie research classification applies to U.S. institutions only.",
    ),
    (
        {"institution_type": "jp_national"},
        "institution_type",
        "“National (Japan)” is a type of the other country: choose a type for "
        "United States.",
    ),
    ({"institution_type": ""}, "institution_type", "Required for every institution."),
    (
        {"slug": "no-such-university"},
        "slug",
        "No institution has the slug “no-such-university”: leave it blank to add a "
        "new one.",
    ),
    (
        {"parent": "University of Nowhere"},
        "parent",
        "No parent system is called “University of Nowhere”.",
    ),
    (
        {"latitude": "north"},
        "latitude",
        "“north” is not a number of degrees such as 38.2541.",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "column", "message"), BAD_ROWS)
def test_a_bad_cell_is_an_error_on_its_column_and_nothing_is_written(
    editor, change, column, message
):
    headers = [
        *INSTITUTION_HEADERS,
        "parent",
        "latitude",
        "longitude",
        "research_classification",
    ]
    row = {
        **NEW_CAMPUS,
        "name": "Example Tech",
        "institution_type": "us_public",
        "latitude": "36.8",
        "longitude": "-119.7",
        **change,
    }
    row.setdefault("research_classification", row.pop("research", ""))
    before = snapshot()

    outcome = run(sheet(NEW_JAPANESE, row, headers=headers), user=editor)

    errors = errors_of(outcome.plan)
    assert list(errors) == [(3, column)]
    assert any(text.startswith(message) for text in errors[(3, column)]), errors
    assert outcome.plan.counts == {"new": 1, "update": 0, "unchanged": 0, "error": 1}
    assert outcome.batch is None and snapshot() == before


@pytest.mark.django_db
def test_an_identifier_of_another_institution_is_refused(editor):
    before = snapshot()
    row = {"slug": "duke-university", "ipeds_id": "243744"}

    outcome = run(sheet(row, headers=["slug", "ipeds_id"]), user=editor)

    assert errors_of(outcome.plan) == {
        (2, "ipeds_id"): [
            "IPEDS UNITID 243744 belongs to Stanford University (stanford-university), "
            "not to Duke University (duke-university)."
        ]
    }
    assert snapshot() == before


@pytest.mark.django_db
def test_an_identifier_under_another_name_is_refused_not_a_rename(editor):
    before = snapshot()
    row = {"name": "Stamford College", "country": "US", "ipeds_id": "243744"}

    outcome = run(sheet(row, headers=["name", "country", "ipeds_id"]), user=editor)

    assert errors_of(outcome.plan) == {
        (2, "ipeds_id"): [
            "This identifier belongs to Stanford University (stanford-university), "
            "not “Stamford College”. Correct the identifier; or, to rename Stanford "
            "University (stanford-university), put its slug in the Slug column."
        ]
    }
    assert snapshot() == before
    assert Institution.objects.get(slug="stanford-university").name == (
        "Stanford University"
    )


@pytest.mark.django_db
def test_identifiers_of_two_institutions_are_not_merged(editor):
    row = {"ror_id": "01dq60k83", "ipeds_id": "243744"}

    outcome = run(sheet(row, headers=["ror_id", "ipeds_id"]), user=editor)

    [message] = errors_of(outcome.plan)[(2, "ror_id")]
    assert "belong to different records" in message
    assert "Tohoku University (tohoku-university)" in message
    assert "Stanford University (stanford-university)" in message


@pytest.mark.django_db
def test_two_rows_describing_one_institution_are_reported(editor):
    before = snapshot()
    rows = [
        NEW_CAMPUS,
        {**NEW_CAMPUS, "name": "Example State at Fresno", "ipeds_id": ""},
        {"slug": "tohoku-university", "city": "Sendai"},
        {"slug": "tohoku-university", "city": "Sendai"},
    ]

    outcome = run(sheet(*rows), user=editor)

    errors = errors_of(outcome.plan)
    assert errors[(3, "ror_id")] == [
        "Row 2 already describes this institution (the same ROR ID): keep one of the "
        "two rows."
    ]
    assert errors[(5, "slug")] == [
        "Row 4 already describes this institution (the same slug): keep one of the "
        "two rows."
    ]
    assert snapshot() == before


@pytest.mark.django_db
def test_two_new_institutions_of_one_name_are_told_apart_by_identifiers(editor):
    missouri = {
        **NEW_CAMPUS,
        "name": "Lincoln College",
        "region": "MO",
        "ror_id": "",
        "ipeds_id": "999011",
        "website": "",
        "aliases": "",
    }
    pennsylvania = {**missouri, "region": "PA", "ipeds_id": "999012"}

    outcome = run(sheet(missouri, pennsylvania), user=editor)

    assert outcome.plan.counts["new"] == 2
    slugs = Institution.objects.filter(name="Lincoln College").values_list(
        "slug", flat=True
    )
    assert sorted(slugs) == ["lincoln-college", "lincoln-college-pennsylvania"]


@pytest.mark.django_db
def test_a_merged_institutions_old_slug_points_to_the_survivor(editor):
    tohoku = Institution.objects.get(slug="tohoku-university")
    InstitutionRedirect.objects.create(old_slug="tohoku-old", institution=tohoku)

    outcome = run(sheet({"slug": "tohoku-old"}, headers=["slug", "city"]), user=editor)

    assert errors_of(outcome.plan) == {
        (2, "slug"): [
            "“tohoku-old” was merged into Tohoku University: write its slug, "
            "tohoku-university, to update it."
        ]
    }


@pytest.mark.django_db
def test_a_system_new_in_the_file_is_written_before_its_campuses(editor):
    headers = [*INSTITUTION_HEADERS, "parent"]
    campus = {**NEW_CAMPUS, "parent": "Example State System"}
    system = {
        "name": "Example State System",
        "country": "US",
        "institution_type": "us_public",
        "region": "CA",
    }

    outcome = run(sheet(campus, system, headers=headers), user=editor)

    assert errors_of(outcome.plan) == {}
    campus = Institution.objects.get(name="Example State University")
    assert campus.parent == Institution.objects.get(name="Example State System")
    assert campus.history.get().parent_id == campus.parent_id


@pytest.mark.django_db
def test_a_parent_loop_is_refused(editor):
    row = {
        "slug": "national-institutes-of-natural-sciences",
        "parent": "national-astronomical-observatory-of-japan",
    }

    outcome = run(sheet(row, headers=["slug", "parent"]), user=editor)

    [message] = errors_of(outcome.plan)[(2, "parent")]
    assert "that would make a loop" in message


@pytest.mark.django_db
def test_a_campus_and_a_new_system_of_another_country_are_refused(editor):
    headers = [*INSTITUTION_HEADERS, "parent"]
    campus = {**NEW_CAMPUS, "parent": "Example Gakuin University"}

    outcome = run(sheet(campus, NEW_JAPANESE, headers=headers), user=editor)

    assert errors_of(outcome.plan) == {
        (2, "parent"): ["A campus and its system must be in the same country."]
    }


@pytest.mark.django_db
def test_aliases_and_identifiers_missing_from_a_row_are_kept(editor):
    tohoku = Institution.objects.get(slug="tohoku-university")
    aliases = set(tohoku.aliases.values_list("name", flat=True))
    row = {
        "slug": "tohoku-university",
        "aliases": "東北大",
        "ror_id": "",
        "mext_code": "",
    }

    outcome = run(sheet(row, headers=["slug", "aliases", "ror_id", "mext_code"]))

    assert outcome.plan.rows[0].action == "unchanged"
    assert set(tohoku.aliases.values_list("name", flat=True)) == aliases
    assert tohoku.identifiers.count() == 2


# -- exports import back unchanged -----------------------------------------------------


def export_file(resource, file_format) -> bytes:
    return file_format().export_data(resource.export())


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", IMPORT_FORMATS)
@pytest.mark.parametrize(
    ("resource", "kind", "model"),
    [
        (InstitutionSheetResource, ImportKind.INSTITUTIONS, Institution),
        (OrganizationSheetResource, ImportKind.ORGANIZATIONS, Organization),
    ],
)
def test_an_exported_sheet_imports_back_unchanged(
    editor, file_format, resource, kind, model
):
    data = export_file(resource(), file_format)
    before = snapshot()

    outcome = run(
        data, kind=kind, user=editor, file_name=f"export.{file_format.file_format}"
    )

    assert errors_of(outcome.plan) == {}
    assert outcome.plan.unknown_columns == []
    assert outcome.plan.counts == {
        "new": 0,
        "update": 0,
        "unchanged": model.objects.count(),
        "error": 0,
    }
    assert snapshot()[:-1] == before[:-1]


@pytest.mark.django_db
def test_an_export_escapes_formulas_but_not_negative_numbers():
    tohoku = Institution.objects.get(slug="tohoku-university")
    tohoku.city = "=HYPERLINK(1)"
    tohoku.longitude, tohoku.latitude = -140.5, 38.25
    tohoku.save()

    rows = list(
        export_directory_sheet(
            Institution.objects.filter(pk=tohoku.pk), kind=ImportKind.INSTITUTIONS
        )
    )

    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["city"] == "'=HYPERLINK(1)"
    assert (row["latitude"], row["longitude"]) == ("38.250000", "-140.500000")
    assert row["mext_code"] == "F104110100856" and row["ror_id"] == "01dq60k83"
    assert row["region"] == "Miyagi"


# -- organizations ---------------------------------------------------------------------

NEW_LAB = {
    "name": "Example National Laboratory",
    "name_ja": "例国立研究所",
    "sector": "national lab",
    "country": "U.S.",
    "parent": "Department of Energy",
    "website": "https://example-lab.gov",
    "aliases": "ENL; 例研",
}


def org_sheet(*rows, headers=ORGANIZATION_HEADERS):
    return sheet(*rows, headers=headers)


def run_orgs(data, **kwargs):
    return run(data, kind=ImportKind.ORGANIZATIONS, **kwargs)


@pytest.mark.django_db
def test_new_organizations_are_created_under_their_parent(editor):
    outcome = run_orgs(org_sheet(NEW_LAB), user=editor)

    assert errors_of(outcome.plan) == {}
    lab = Organization.objects.get(name="Example National Laboratory")
    assert (lab.slug, lab.sector, lab.country) == (
        "example-national-laboratory",
        "national_lab",
        "US",
    )
    assert lab.parent.slug == "us-department-of-energy"
    assert set(lab.aliases.values_list("name", "language")) == {
        ("ENL", "en"),
        ("例研", "ja"),
    }
    assert outcome.batch.kind == "organizations"
    assert lab.history.get().import_batch == outcome.batch


@pytest.mark.django_db
def test_organizations_update_by_slug_or_ror_id_and_reindex(editor):
    agreement = make_agreement(
        title="Zebra partners", partners=("national-science-foundation",)
    )
    rows = [
        {"slug": "japan-society-for-the-promotion-of-science", "ror_id": "05abcde34"},
        {"ror_id": "021nxhr62", "aliases": "NSF; Zebra Foundation"},
    ]

    outcome = run_orgs(org_sheet(*rows, headers=["slug", "ror_id", "aliases"]))

    assert [row.action for row in outcome.plan.rows] == ["update", "update"]
    assert outcome.plan.rows[1].public_id == "national-science-foundation"
    assert outcome.plan.rows[1].changes == ["Aliases"]
    jsps = Organization.objects.get(slug="japan-society-for-the-promotion-of-science")
    assert jsps.ror_id == "05abcde34"
    nsf = Organization.objects.get(slug="national-science-foundation")
    assert nsf.aliases.filter(name="Zebra Foundation").exists()
    assert nsf.aliases.filter(name="NSF").count() == 1
    agreement.refresh_from_db()
    assert "zebra foundation" in agreement.search_text


@pytest.mark.django_db
def test_a_blank_ror_id_keeps_the_organizations(editor):
    row = {"slug": "national-science-foundation", "ror_id": ""}

    outcome = run_orgs(org_sheet(row, headers=["slug", "ror_id"]), user=editor)

    assert outcome.plan.rows[0].action == "unchanged"
    nsf = Organization.objects.get(slug="national-science-foundation")
    assert nsf.ror_id == "021nxhr62"


@pytest.mark.django_db
def test_organizations_imported_twice_change_nothing_the_second_time(editor):
    data = org_sheet(NEW_LAB)
    run_orgs(data, user=editor)
    before = snapshot()[:-1]

    second = run_orgs(data, user=editor)

    assert second.plan.counts["unchanged"] == 1
    assert snapshot()[:-1] == before


ORGANIZATION_ERRORS = [
    (
        {"sector": "goverment"},
        "sector",
        "“goverment” is not a sector the registry knows. Did you mean "
        "“government: Government agency”",
    ),
    (
        {"country": "Germany"},
        "country",
        "“Germany” is not a country the registry records: US or JP.",
    ),
    (
        {"ror_id": "ror-xyz"},
        "ror_id",
        "“ror-xyz” is not a ROR ID: expected nine characters such as 01dq60k83.",
    ),
    (
        {"slug": "national-institutes-of-health", "ror_id": "021nxhr62"},
        "ror_id",
        "ROR ID 021nxhr62 belongs to National Science Foundation "
        "(national-science-foundation), not to National Institutes of Health "
        "(national-institutes-of-health).",
    ),
    (
        # An alias of NSF's, with other values: likely NSF itself.
        {"name": "NSF", "ror_id": "", "website": ""},
        "name",
        "National Science Foundation (national-science-foundation) already has this "
        "name",
    ),
    (
        {"parent": "Departmnt of Enrgy"},
        "parent",
        "No parent organization is called “Departmnt of Enrgy”. Did you mean",
    ),
    ({"sector": ""}, "sector", "Required for every organization."),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "column", "message"), ORGANIZATION_ERRORS)
def test_a_bad_organization_cell_is_an_error_on_its_column(
    editor, change, column, message
):
    before = snapshot()

    outcome = run_orgs(org_sheet({**NEW_LAB, **change}), user=editor)

    errors = errors_of(outcome.plan)
    assert list(errors) == [(2, column)]
    assert errors[(2, column)][0].startswith(message), errors
    assert outcome.batch is None and snapshot() == before


# -- the admin -------------------------------------------------------------------------


def upload(client, data, *, model="institution", name="institutions.csv"):
    return client.post(
        reverse(f"admin:registry_{model}_import"),
        {
            "import_file": SimpleUploadedFile(name, data),
            "format": "0",
            "resource": "0",
            "sheet": "",
        },
    )


@pytest.mark.django_db
def test_admin_institution_preview_then_confirm_imports_the_file(editor_client, editor):
    without_japanese_name("duke-university")
    duke = {"slug": "duke-university", **DUKE}
    response = upload(editor_client, sheet(NEW_CAMPUS, duke))

    assert response.status_code == 200
    page = response.content.decode()
    assert "2 rows: 1 new, 1 to update, 0 unchanged, 0 with errors." in page
    assert "Changes: Name (Japanese)" in page
    assert "<th>Slug</th><th>Name</th>" in page
    assert "example-state-university" in page  # the slug it will get
    assert "Confirm import" in page
    assert not Institution.objects.filter(name=NEW_CAMPUS["name"]).exists()

    done = confirm_admin_import(editor_client, response, "institution")

    assert Institution.objects.filter(name=NEW_CAMPUS["name"]).exists()
    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.channel, batch.imported_by) == (
        ImportKind.INSTITUTIONS,
        ImportChannel.ADMIN,
        editor,
    )
    assert (
        f"Import {batch.pk}</a> of institutions.csv: 1 new, 1 updated, 0 unchanged."
        in done.content.decode()
    )
    page = editor_client.get(
        reverse("admin:registry_importbatch_change", args=[batch.pk])
    ).content.decode()
    assert "Institutions: 2" in page
    # The batch's records are found from it: the changelist filters by import.
    listed = editor_client.get(
        reverse("admin:registry_institution_changelist") + f"?import_batch={batch.pk}"
    )
    assert f"?import_batch={batch.pk}" in page
    assert {record.slug for record in listed.context["cl"].result_list} == {
        "duke-university",
        Institution.objects.get(name=NEW_CAMPUS["name"]).slug,
    }


@pytest.mark.django_db
def test_admin_organization_preview_lists_errors_without_confirmation(editor_client):
    data = org_sheet({**NEW_LAB, "sector": "<b>lab</b>"})

    page = upload(
        editor_client, data, model="organization", name="orgs.csv"
    ).content.decode()

    assert "Confirm import" not in page
    assert "1 with errors" in page
    assert "<strong>Sector</strong>" in page
    assert "&lt;b&gt;lab&lt;/b&gt;" in page and "<b>lab</b>" not in page
    # Saving names as aliases belongs to agreement sheets.
    assert "save-alias" not in page
    assert not ImportBatch.objects.exists()


ADMINS = [
    ("institution", ImportKind.INSTITUTIONS, Institution),
    ("organization", ImportKind.ORGANIZATIONS, Organization),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kind", "model"), ADMINS)
def test_admin_export_imports_back_unchanged(editor_client, editor, name, kind, model):
    response = editor_client.post(
        reverse(f"admin:registry_{name}_export"), {"format": "0", "resource": "0"}
    )

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    outcome = run(response.content, kind=kind, user=editor, file_name="export.csv")
    assert errors_of(outcome.plan) == {}
    assert outcome.plan.counts["unchanged"] == model.objects.count()
    assert len(outcome.plan.rows) == model.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["institution", "organization"])
def test_the_changelist_offers_import_and_export(editor_client, model):
    response = editor_client.get(reverse(f"admin:registry_{model}_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse(f"admin:registry_{model}_import") in page
    assert reverse(f"admin:registry_{model}_export") in page


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["institution", "organization"])
def test_importing_needs_the_add_permission(client, django_user_model, model):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(
            codename=f"view_{model}", content_type__app_label="registry"
        )
    )
    client.force_login(viewer)

    page = client.get(reverse(f"admin:registry_{model}_import"))
    posted = upload(client, sheet(NEW_CAMPUS), model=model)
    exported = client.post(
        reverse(f"admin:registry_{model}_export"), {"format": "0", "resource": "0"}
    )

    assert page.status_code == 403 and posted.status_code == 403
    assert not ImportBatch.objects.exists()
    # Exporting needs only the view permission.
    assert exported.status_code == 200

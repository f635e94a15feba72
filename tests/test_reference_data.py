"""load_reference_data: idempotent, keeps curators' edits, loads nothing from a bad
file."""

import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from registry.models import (
    Agreement,
    Classification,
    Discipline,
    Institution,
    Organization,
    PublicationState,
)
from registry.reference_data import DEFAULT_DIRECTORY, load_reference_data

pytestmark = pytest.mark.django_db


def history_rows() -> int:
    return sum(
        model.history.count() for model in (Agreement, Institution, Organization)
    )


def test_a_second_run_changes_nothing(capsys):
    """The test database was loaded once already: loading again writes no row."""
    before = history_rows()
    report = load_reference_data()
    assert not report.changed
    assert history_rows() == before
    call_command("load_reference_data")
    assert "nothing changed" in capsys.readouterr().out


def test_the_fact_sheet_agreements_are_loaded_and_correctly_classified():
    nagoya = Agreement.objects.filter(
        participants__institution__slug="nagoya-university"
    )
    assert nagoya.count() == 6
    us_schools = set(
        Institution.objects.filter(
            participations__agreement__in=nagoya, country="US"
        ).values_list("slug", flat=True)
    )
    assert us_schools == {
        "university-of-north-carolina-at-chapel-hill",
        "harvard-university",
        "tulane-university",
        "university-of-pennsylvania",
        "duke-university",
        "johns-hopkins-university",
    }
    for agreement in nagoya:
        assert agreement.classification == Classification.COLLABORATIVE
        assert agreement.publication_state == PublicationState.PUBLISHED
        assert not agreement.partners.exists()
        assert agreement.sources.get().data_source.slug == "usjp-hees-fact-sheet"
        assert set(agreement.participants.values_list("unit", flat=True)) <= {
            "School of Medicine",
            "Harvard Medical School",
        }


def test_table_1_counterparts_are_symmetric():
    nsf = Organization.objects.get(slug="national-science-foundation")
    assert set(nsf.counterparts.values_list("slug", flat=True)) == {
        "japan-society-for-the-promotion-of-science",
        "japan-science-and-technology-agency",
    }
    jaxa = Organization.objects.get(slug="japan-aerospace-exploration-agency")
    assert list(jaxa.counterparts.values_list("slug", flat=True)) == [
        "national-aeronautics-and-space-administration"
    ]


def test_a_curators_edit_is_kept_and_reported_unless_overwrite_is_asked():
    tohoku = Institution.objects.get(slug="tohoku-university")
    tohoku.city = "Sendai-shi"
    tohoku.save()
    report = load_reference_data()
    tohoku.refresh_from_db()
    assert tohoku.city == "Sendai-shi"
    assert "institution tohoku-university" in report.models["institutions"].kept
    load_reference_data(overwrite=True)
    tohoku.refresh_from_db()
    assert tohoku.city == "Sendai"


def test_a_blank_field_is_filled_from_the_reference_data():
    tohoku = Institution.objects.get(slug="tohoku-university")
    tohoku.name_ja = ""
    tohoku.save()
    load_reference_data()
    tohoku.refresh_from_db()
    assert tohoku.name_ja == "東北大学"


def test_a_renamed_institution_is_still_found_by_its_identifier():
    tohoku = Institution.objects.get(slug="tohoku-university")
    tohoku.slug = "tohoku"
    tohoku.save()
    count = Institution.objects.count()
    load_reference_data()
    assert Institution.objects.count() == count


@pytest.fixture
def fixture_copy(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(DEFAULT_DIRECTORY, target)
    return target


def edit_json(path, change):
    rows = json.loads(path.read_text(encoding="utf-8"))
    change(rows)
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


def test_an_invalid_record_loads_nothing_and_names_the_record(fixture_copy):
    def add_bad_rows(rows):
        rows.insert(
            0, {"slug": "new-field", "name": "New field", "name_ja": "", "parent": None}
        )

    edit_json(fixture_copy / "disciplines.json", add_bad_rows)

    def break_institution(rows):
        rows.append(
            {
                "slug": "broken-university",
                "name": "Broken University",
                "country": "US",
                "institution_type": "jp_national",
            }
        )

    edit_json(fixture_copy / "institutions.json", break_institution)
    with pytest.raises(CommandError) as caught:
        call_command("load_reference_data", directory=fixture_copy)
    assert str(caught.value).startswith(
        "Nothing was loaded: institution broken-university"
    )
    assert "is a type of the other country" in str(caught.value)
    assert not Discipline.objects.filter(slug="new-field").exists()


def test_an_unknown_reference_is_reported(fixture_copy):
    def break_agreement(rows):
        rows[0]["participants"][0]["institution"] = "no-such-university"
        rows[0]["sources"][0]["source_identifier"] = "a-new-one"

    edit_json(fixture_copy / "agreements.json", break_agreement)
    with pytest.raises(CommandError, match="unknown no-such-university"):
        call_command("load_reference_data", directory=fixture_copy)


def test_a_fixture_agreement_breaking_the_rules_is_refused(fixture_copy):
    def make_unilateral(rows):
        rows[0]["participants"] = [
            p
            for p in rows[0]["participants"]
            if p["institution"] != "nagoya-university"
        ]
        rows[0]["sources"][0]["source_identifier"] = "a-new-one"

    edit_json(fixture_copy / "agreements.json", make_unilateral)
    count = Agreement.objects.count()
    with pytest.raises(CommandError, match="Japanese higher-education participant"):
        call_command("load_reference_data", directory=fixture_copy)
    assert Agreement.objects.count() == count


def test_a_file_that_is_not_json_is_reported(fixture_copy):
    (fixture_copy / "programs.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="programs.json is not valid JSON"):
        call_command("load_reference_data", directory=fixture_copy)

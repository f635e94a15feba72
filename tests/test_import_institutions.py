"""import_institutions: the official MEXT, IPEDS, Carnegie and ROR lists enrich the
registry's institutions instead of duplicating them.

The real lists are read from ``../shared/data`` through ``tests.reference_lists`` (the
tests skip without them, or fail under ``USJP_REQUIRE_REFERENCE_LISTS=1``). Each real
file is imported once on top of the reference data, then again to show that the
second run writes nothing; small hand-written files pin the edge cases.
"""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from registry.imports.cells import website_host, website_url
from registry.imports.lists import ListRejected, import_institution_list
from registry.imports.lists.carnegie import (
    carnegie_classification,
    parse_carnegie,
    read_carnegie_labels,
)
from registry.imports.lists.ipeds import split_ipeds_aliases
from registry.imports.lists.mext import address_prefecture, mext_english_name
from registry.models import (
    ImportBatch,
    ImportChannel,
    ImportKind,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    Region,
)
from tests.factories import institution
from tests.reference_lists import reference_list_path

MEXT = "mext_universities_2022.csv"
IPEDS = "ipeds_hd2022_raw_latin1.csv"
CARNEGIE = "carnegie_ccihe2021_public.xlsx"
ROR = "ror_us_jp.csv"

HistoricalInstitution = Institution.history.model


def official(name: str) -> bytes:
    return reference_list_path(name).read_bytes()


def run(data: bytes, list_format: str, **options):
    return import_institution_list(
        data=data, file_name=f"test.{list_format}", list_format=list_format, **options
    )


def written() -> tuple[int, int, int, int, int]:
    """Everything an import can write."""
    return (
        Institution.objects.count(),
        HistoricalInstitution.objects.count(),
        InstitutionAlias.objects.count(),
        InstitutionIdentifier.objects.count(),
        ImportBatch.objects.count(),
    )


def identifiers(slug: str, scheme: str) -> set[str]:
    return set(
        institution(slug)
        .identifiers.filter(scheme=scheme)
        .values_list("value", flat=True)
    )


def csv_file(header, rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


MEXT_HEADER = ["mext_code", "name_ja", "name_en", "type_ja", "address_ja"]
IPEDS_HEADER = [
    "UNITID",
    "INSTNM",
    "IALIAS",
    "CITY",
    "STABBR",
    "WEBADDR",
    "CONTROL",
    "DEGGRANT",
    "CYACTIVE",
    "CLOSEDAT",
    "SECTOR",
    "PSEFLAG",
    "NEWID",
]
ROR_HEADER = [
    "ror_id",
    "name",
    "name_ja",
    "acronyms",
    "aliases",
    "types",
    "status",
    "country_code",
    "city",
    "admin1_code",
    "website",
    "parent_ror",
]


def ipeds_row(unitid, name, state, city="Springfield", website="", alias=" "):
    return [unitid, name, alias, city, state, website, "2", "1", "1", "-2", "2", "1"]


def ror_row(ror_id, name, *, country="US", name_ja="", website="", city=""):
    return [
        f"https://ror.org/{ror_id}",
        name,
        name_ja,
        "",
        "",
        "education",
        "active",
        country,
        city,
        "",
        website,
        "",
    ]


# -- the real lists --------------------------------------------------------------------


@pytest.mark.django_db
def test_mext_list_adds_every_university_once_and_finds_science_tokyo_by_old_code():
    tohoku = institution("tohoku-university")
    tohoku.identifiers.filter(scheme="mext").delete()  # a curator removed it
    before = written()

    outcome = run(official(MEXT), "mext")

    plan = outcome.plan
    assert (plan.rows, plan.created, plan.updated, plan.unchanged) == (813, 690, 1, 122)
    assert plan.skipped_count == 0 and not plan.errors
    # Tohoku University is found by its Japanese name and gets its code back.
    assert identifiers("tohoku-university", "mext") == {"F104110100856"}
    assert Institution.objects.filter(name_ja="東北大学").count() == 1
    # Tokyo Institute of Technology and Tokyo Medical and Dental University are the
    # Institute of Science Tokyo (2024) by their codes: not created again.
    science_tokyo = institution("institute-of-science-tokyo")
    assert not Institution.objects.filter(
        name_ja__in=["東京工業大学", "東京医科歯科大学"]
    ).exists()
    assert not Institution.objects.filter(
        name__icontains="Tokyo Institute of Tech"
    ).exists()
    assert science_tokyo.name_ja == "東京科学大学"
    assert identifiers("institute-of-science-tokyo", "mext") == {
        "F113110102746",
        "F113110102719",
    }
    # Every university of the list is in the registry exactly once.
    assert InstitutionIdentifier.objects.filter(scheme="mext").count() == 813
    assert written()[0] == before[0] + 690

    # Spaces MEXT dropped are back; a double space is one.
    seisen_jogakuin = Institution.objects.get(identifiers__value="F120310105848")
    assert seisen_jogakuin.name == "Seisen Jogakuin College"  # "SeisenJogakuinCollege"
    assert seisen_jogakuin.name_ja == "清泉女学院大学"
    assert seisen_jogakuin.institution_type == "jp_private"
    # Nagano, from the code; no city: MEXT gives it in Japanese only.
    assert seisen_jogakuin.region.code == "20" and seisen_jogakuin.city == ""
    shin_ai = Institution.objects.get(name_ja="大阪信愛学院大学")
    assert shin_ai.name == "Osaka Shin-Ai Gakuin University"
    # Two universities MEXT names "Seisen University" in English: two records.
    seisen = Institution.objects.filter(name="Seisen University")
    assert set(seisen.values_list("name_ja", flat=True)) == {"清泉女子大学", "聖泉大学"}
    assert len(set(seisen.values_list("slug", flat=True))) == 2

    # The address and the code disagree for two universities: the code's prefecture
    # wins and the disagreement is reported.
    tokai = institution("tokai-university")
    assert tokai.region.code == "13"
    welfare = Institution.objects.get(name_ja="東京福祉大学")
    assert welfare.region.code == "13"
    notes = "\n".join(plan.parsed.notes)
    assert "東海大学" in notes and "神奈川県" in notes
    assert "東京福祉大学" in notes and "群馬県" in notes

    # The import is recorded, and the history entries it wrote point at it.
    batch = outcome.batch
    assert batch.kind == ImportKind.INSTITUTIONS and batch.list_format == "mext"
    assert batch.channel == ImportChannel.COMMAND and batch.file_name == "test.mext"
    assert (batch.rows, batch.created, batch.updated, batch.unchanged) == (
        813,
        690,
        1,
        122,
    )
    assert batch.file_size == len(official(MEXT)) and len(batch.checksum) == 64
    assert "東海大学" in batch.summary
    entries = HistoricalInstitution.objects.filter(import_batch=batch)
    assert entries.count() == 691
    assert entries.filter(history_type="+").count() == 690
    assert entries.get(history_type="~").name == "Tohoku University"
    assert set(entries.values_list("history_change_reason", flat=True)) == {
        "Imported from test.mext (mext)"
    }
    assert not entries.exclude(history_user=None).exists()

    # The same file again writes nothing, and records nothing.
    after = written()
    again = run(official(MEXT), "mext")
    assert again.batch is None and not again.plan.changed
    assert again.plan.unchanged == 813
    assert written() == after


@pytest.mark.django_db
def test_tokyo_tech_is_found_by_its_former_name_when_its_code_is_gone():
    """A curator removed Tokyo Tech's code from Science Tokyo; TMDU's is still there.
    The former-name alias still finds it, and the code comes back."""
    InstitutionIdentifier.objects.filter(value="F113110102746").delete()
    count = Institution.objects.count()

    plan = run(official(MEXT), "mext").plan

    assert (plan.created, plan.updated) == (690, 1)
    assert Institution.objects.count() == count + 690
    assert identifiers("institute-of-science-tokyo", "mext") == {
        "F113110102746",
        "F113110102719",
    }
    assert not Institution.objects.filter(name_ja="東京工業大学").exists()


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_and_says_what_it_would_do(capsys):
    before = written()
    call_command(
        "import_institutions",
        str(reference_list_path(MEXT)),
        "--format",
        "mext",
        "--dry-run",
    )
    out = capsys.readouterr().out
    assert "813 rows: 690 new, 0 updated, 123 unchanged, 0 skipped." in out
    assert "Dry run: nothing was written" in out
    assert written() == before


@pytest.mark.django_db
def test_ipeds_directory_adds_degree_granting_institutions_and_enriches_known_ones():
    harvard = institution("harvard-university")
    harvard.identifiers.filter(scheme="ipeds").delete()
    count = Institution.objects.count()

    outcome = run(official(IPEDS), "ipeds")

    plan = outcome.plan
    assert (plan.rows, plan.created) == (6256, 3919)
    assert plan.parsed.encoding == "windows-1252"
    skipped = dict(plan.skipped)
    assert skipped["not degree-granting (DEGGRANT)"] == 2013
    assert skipped["closed or merged into another UNITID (CYACTIVE, CLOSEDAT)"] == 100
    assert skipped["administrative office, not an institution (SECTOR 0)"] == 71
    assert skipped["state or prefecture not in the registry (FM)"] == 1
    assert plan.created + plan.updated + plan.unchanged + plan.skipped_count == 6256
    assert Institution.objects.count() == count + 3919
    # Harvard is found by its website and gets its UNITID back, once.
    assert identifiers("harvard-university", "ipeds") == {"166027"}
    assert Institution.objects.filter(name="Harvard University").count() == 1
    # Penn State's 495767 merged into 214777 (NEWID): one institution with both.
    assert identifiers("pennsylvania-state-university", "ipeds") == {
        "495767",
        "214777",
    }
    # Branch campuses share names: each UNITID is its own institution.
    lincoln = Institution.objects.filter(name="Lincoln University")
    assert lincoln.count() == 3
    assert set(lincoln.values_list("region__code", flat=True)) == {"CA", "MO", "PA"}
    assert len(set(lincoln.values_list("slug", flat=True))) == 3
    # Websites get a scheme; Windows-1252 bytes read right (0x96 is an en dash).
    aamu = Institution.objects.get(identifiers__value="100654")
    assert aamu.website == "https://www.aamu.edu/"
    assert aamu.institution_type == "us_public" and aamu.city == "Normal"
    assert aamu.latitude is not None
    assert aamu.aliases.filter(name="AAMU", kind="acronym").exists()
    assert InstitutionAlias.objects.filter(name="Rutgers–Camden").exists()
    assert not InstitutionAlias.objects.filter(name__contains="\x96").exists()
    # Classification is the Carnegie list's to give.
    assert aamu.research_classification == "" and aamu.enrollment_band == ""
    assert HistoricalInstitution.objects.filter(
        import_batch=outcome.batch
    ).count() == plan.created + len([e for e in plan.entries if not e.new])

    after = written()
    again = run(official(IPEDS), "ipeds")
    assert again.batch is None and (again.plan.created, again.plan.updated) == (0, 0)
    assert written() == after


@pytest.mark.django_db
def test_carnegie_workbook_classifies_and_adds_doctoral_universities():
    mit = institution("massachusetts-institute-of-technology")
    mit.research_classification = ""
    mit.save()
    count = Institution.objects.count()

    plan = run(official(CARNEGIE), "carnegie").plan

    assert plan.rows == 3938 and plan.parsed.sheet == "Data"
    # R2 (133), doctoral/professional (189) and special-focus research institutions
    # (23, less Rockefeller already there) are added; R1s are all in the fixtures.
    assert plan.created == 344
    assert Institution.objects.count() == count + 344
    assert Institution.objects.filter(research_classification="r1").count() == 146
    assert Institution.objects.filter(research_classification="r2").count() == 133
    assert Institution.objects.filter(research_classification="d_pu").count() == 189
    # Others are enrichment only: not added.
    reason = "not in the registry, and not a doctoral or research institution"
    assert plan.skipped[reason] == 3444
    # The blank classification filled from the label of MIT's basic class (15).
    mit.refresh_from_db()
    assert mit.research_classification == "r1"
    assert (
        Institution.objects.filter(name="Massachusetts Institute of Technology").count()
        == 1
    )
    assert plan.updated == 1

    after = written()
    again = run(official(CARNEGIE), "carnegie")
    assert again.batch is None and (again.plan.created, again.plan.updated) == (0, 0)
    assert written() == after


@pytest.mark.django_db
def test_ror_enriches_institutions_already_there_and_creates_none():
    tohoku = institution("tohoku-university")
    tohoku.identifiers.filter(scheme="ror").delete()
    tohoku.website = ""
    tohoku.save()
    count = Institution.objects.count()

    plan = run(official(ROR), "ror").plan

    assert plan.created == 0 and Institution.objects.count() == count
    assert plan.rows == 13854
    assert plan.skipped["not an education record"] == 11098
    assert plan.skipped["withdrawn or inactive in ROR"] == 830
    tohoku.refresh_from_db()
    assert identifiers("tohoku-university", "ror") == {"01dq60k83"}
    assert tohoku.website == "http://www.tohoku.ac.jp/en/"
    # ROR still has Tokyo Tech and TMDU as active records: found by their former
    # names, they give Science Tokyo their ROR IDs (as a merger keeps its
    # predecessors' codes), not their websites or cities.
    science_tokyo = institution("institute-of-science-tokyo")
    assert identifiers("institute-of-science-tokyo", "ror") == {
        "05dqf9946",
        "0112mx960",
        "051k3eh31",
    }
    assert science_tokyo.website == "https://www.isct.ac.jp"
    assert not Institution.objects.filter(name_ja="東京工業大学").exists()
    # One U.S. unit, two ROR records: left to a curator, reported.
    ambiguous = "\n".join(text for _row, text in plan.ambiguous)
    assert "University of Colorado Denver/Anschutz Medical Campus" in ambiguous

    after = written()
    again = run(official(ROR), "ror")
    assert again.batch is None and again.plan.updated == 0
    assert written() == after


@pytest.mark.django_db
def test_a_list_given_as_the_wrong_format_is_refused_by_name():
    ipeds = str(reference_list_path(IPEDS))
    with pytest.raises(CommandError) as refused:
        call_command("import_institutions", ipeds, "--format", "mext")
    message = str(refused.value)
    assert "MEXT university list" in message
    assert "mext_code, name_ja, name_en, type_ja" in message
    with pytest.raises(CommandError, match="Excel workbook"):
        call_command(
            "import_institutions",
            str(reference_list_path(CARNEGIE)),
            "--format",
            "ror",
        )
    with pytest.raises(CommandError, match=r"\(\.xlsx\)"):
        call_command("import_institutions", ipeds, "--format", "carnegie")
    with pytest.raises(CommandError, match="no sheets"):
        call_command("import_institutions", ipeds, "--format", "ipeds", "--sheet", "X")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_institutions", "/nonexistent.csv", "--format", "mext")


@pytest.mark.django_db
def test_a_file_with_a_bad_record_imports_nothing():
    data = official(MEXT).replace(b"F101110100029", b"F10111010002X", 1)
    data = data.replace("国立".encode(), "国営".encode(), 1)
    before = written()

    outcome = run(data, "mext")

    assert outcome.batch is None and outcome.plan.has_errors
    assert [str(error) for error in outcome.plan.errors] == [
        "Row 2: type “国営” is not 国立, 公立 or 私立.",
        "Row 3: “F10111010002X” is not a MEXT school code (F and twelve digits).",
    ]
    assert written() == before


@pytest.mark.django_db
def test_the_command_stops_on_errors_with_their_rows(tmp_path):
    bad = tmp_path / "mext.csv"
    bad.write_bytes(
        csv_file(
            MEXT_HEADER,
            [
                ["F113999999990", "試験大学", "Test University", "国立", ""],
                ["F113999999990", "試験第二大学", "Second Test University", "国立", ""],
                ["F199999999991", "試験第三大学", "Third Test University", "国立", ""],
            ],
        )
    )
    before = written()
    with pytest.raises(CommandError) as stopped:
        call_command("import_institutions", str(bad), "--format", "mext")
    assert "Nothing was imported: 2 errors." in str(stopped.value)
    assert "Row 3: MEXT school code F113999999990 is also on row 2." in str(
        stopped.value
    )
    assert "Row 4: “99” is not a prefecture code (01–47)." in str(stopped.value)
    assert written() == before


# -- hand-written edge cases -----------------------------------------------------------


@pytest.mark.django_db
def test_an_ambiguous_name_is_reported_not_merged():
    for city, state in (("Notre Dame", "IN"), ("Moraga", "CA")):
        Institution.objects.create(
            name="Saint Mary's College",
            slug=f"saint-marys-college-{state.lower()}",
            country="US",
            institution_type="us_private_nonprofit",
            city=city,
            region=Region.objects.get(country="US", code=state),
        )
    data = csv_file(ROR_HEADER, [ror_row("02r839n55", "Saint Mary's College")])

    outcome = run(data, "ror")

    plan = outcome.plan
    assert outcome.batch is None and plan.skipped_count == 1
    assert len(plan.ambiguous) == 1
    assert (
        "Saint Mary's College (ROR ID 02r839n55): the name matches"
        in (plan.ambiguous[0][1])
    )
    assert not InstitutionIdentifier.objects.filter(value="02r839n55").exists()
    assert "Ambiguous (neither merged nor created): 1" in outcome.summary


@pytest.mark.django_db
def test_a_curators_website_is_kept_and_the_difference_reported():
    tohoku = institution("tohoku-university")
    tohoku.website = "https://www.tohoku.ac.jp/japanese/"
    tohoku.city = ""
    tohoku.save()
    data = csv_file(
        ROR_HEADER,
        [
            ror_row(
                "01dq60k83",
                "Tohoku University",
                country="JP",
                name_ja="東北大学",
                website="https://curated-elsewhere.example.jp/",
                city="Sendai",
            )
        ],
    )

    outcome = run(data, "ror")

    tohoku.refresh_from_db()
    assert tohoku.website == "https://www.tohoku.ac.jp/japanese/"
    assert tohoku.city == "Sendai"  # blank, so filled
    [(row, conflict)] = outcome.plan.conflicts
    assert row == 2
    assert "website “https://www.tohoku.ac.jp/japanese/” kept" in conflict
    assert "https://curated-elsewhere.example.jp/" in conflict
    assert outcome.plan.updated == 1 and outcome.batch.updated == 1
    assert "Conflicts (the registry's value kept): 1" in outcome.batch.summary


@pytest.mark.django_db
def test_duplicate_ipeds_names_never_match_by_name():
    """Two rows named alike are told apart by UNITID only: with a same-named
    institution already in the registry neither is merged into it or created."""
    rows = [
        ipeds_row("213598", "Lincoln University", "PA", "Lincoln University"),
        ipeds_row("177940", "Lincoln University", "MO", "Jefferson City"),
    ]
    data = csv_file(IPEDS_HEADER, rows, encoding="latin-1")
    plan = run(data, "ipeds", dry_run=True).plan
    assert plan.created == 2  # nothing of that name yet

    Institution.objects.create(
        name="Lincoln University",
        slug="lincoln-university",
        country="US",
        institution_type="us_public",
    )
    outcome = run(data, "ipeds")
    assert outcome.batch is None and outcome.plan.skipped_count == 2
    assert Institution.objects.filter(name="Lincoln University").count() == 1
    assert all("several rows" in text for _row, text in outcome.plan.ambiguous)


@pytest.mark.django_db
def test_ror_display_names_shared_by_two_records_match_nothing_by_name():
    Institution.objects.create(
        name="Concordia University",
        slug="concordia-university",
        country="US",
        institution_type="us_private_nonprofit",
    )
    data = csv_file(
        ROR_HEADER,
        [
            ror_row("04bqh5m06", "Concordia University"),
            ror_row("03nyjqm54", "Concordia University"),
        ],
    )
    plan = run(data, "ror", dry_run=True).plan
    assert plan.updated == 0 and plan.skipped_count == 2
    assert len(plan.ambiguous) == 2


@pytest.mark.django_db
def test_a_row_found_by_website_is_enriched_and_the_import_user_recorded(
    django_user_model,
):
    user = django_user_model.objects.create_user(username="importer")
    harvard = institution("harvard-university")
    harvard.identifiers.all().delete()
    data = csv_file(
        IPEDS_HEADER,
        [
            ipeds_row(
                "166027",
                "Harvard University",
                "MA",
                "Cambridge",
                website="www.harvard.edu/",
                alias="Harvard | The Harvard | Harvard U | Crimson",
            )
        ],
        encoding="latin-1",
    )
    outcome = run(data, "ipeds", user=user)
    assert identifiers("harvard-university", "ipeds") == {"166027"}
    # "The Harvard" is "Harvard", "Harvard U" its name: once each.
    assert set(harvard.aliases.values_list("name", flat=True)) == {
        "Harvard",
        "Crimson",
    }
    assert outcome.batch.imported_by == user
    entry = HistoricalInstitution.objects.get(import_batch=outcome.batch)
    assert entry.history_user == user and entry.slug == "harvard-university"


@pytest.mark.django_db
def test_the_command_prints_the_summary_and_progress(tmp_path, capsys):
    path = tmp_path / "mext.csv"
    path.write_bytes(
        csv_file(
            MEXT_HEADER,
            [["F101110100010", "北海道大学", "Hokkaido University", "国立", ""]],
        )
    )
    call_command("import_institutions", str(path), "--format", "mext", verbosity=2)
    captured = capsys.readouterr()
    assert "1 rows: 0 new, 0 updated, 1 unchanged, 0 skipped." in captured.out
    assert "Nothing to change" in captured.out
    assert "Read 1 rows" in captured.err


# -- reading the lists' quirks ---------------------------------------------------------


def test_mext_english_names_get_their_spaces_back():
    assert mext_english_name("KyotoUniversityoftheArts") == (
        "Kyoto University of the Arts"
    )
    assert mext_english_name("Osaka Shin-Ai  Gakuin University") == (
        "Osaka Shin-Ai Gakuin University"
    )
    assert mext_english_name("Tokyo Medical And Dental University") == (
        "Tokyo Medical and Dental University"
    )
    assert mext_english_name("GraduateSchoolofManagement,GLOBISUniversity") == (
        "Graduate School of Management, GLOBIS University"
    )
    assert mext_english_name("The University of Electro - Communications") == (
        "The University of Electro-Communications"
    )
    assert mext_english_name("KwanseiGakuinUniversity") == "Kwansei Gakuin University"


def test_mext_addresses_with_full_width_postcodes_give_their_prefecture():
    prefectures = {"群馬県": "10", "東京都": "13", "京都府": "26"}
    assert address_prefecture(
        "〒372－0831 群馬県伊勢崎市山王町2020－1", prefectures
    ) == ("10")
    assert address_prefecture(
        "〒６０６－８５０１　京都府京都市左京区", prefectures
    ) == ("26")
    # GLOBIS's row holds a date where the address should be: no prefecture.
    assert address_prefecture("〒令和8年3月31日 102－0084", prefectures) == ""


def test_ipeds_aliases_are_split_on_every_separator_ialias_uses():
    assert split_ipeds_aliases("Columbus State|CSCC|C-State") == [
        "Columbus State",
        "CSCC",
        "C-State",
    ]
    assert split_ipeds_aliases("Pacific | UOP | U. of Pacific") == [
        "Pacific",
        "UOP",
        "U. of Pacific",
    ]
    assert split_ipeds_aliases("Windward CC / WCC; Windward") == [
        "Windward CC",
        "WCC",
        "Windward",
    ]
    assert split_ipeds_aliases("Universal Technical Institute  UTI-Rancho") == [
        "Universal Technical Institute",
        "UTI-Rancho",
    ]
    assert split_ipeds_aliases("LA Tech, Louisiana Tech, Tech") == [
        "LA Tech",
        "Louisiana Tech",
        "Tech",
    ]
    assert split_ipeds_aliases("RPI, Rensselaer") == ["RPI", "Rensselaer"]
    # Commas inside one name stay.
    assert split_ipeds_aliases("University of California, San Francisco") == [
        "University of California, San Francisco"
    ]
    assert split_ipeds_aliases("Capps College, Inc.") == ["Capps College, Inc."]
    assert split_ipeds_aliases("Rutgers, Camden") == ["Rutgers, Camden"]
    assert split_ipeds_aliases(" ") == [] and split_ipeds_aliases("n/a") == []


def test_websites_get_a_scheme_and_compare_by_host():
    assert website_url("www.aamu.edu/") == "https://www.aamu.edu/"
    assert website_url("http://www.tohoku.ac.jp/en/") == "http://www.tohoku.ac.jp/en/"
    assert website_url("not a site") == ""
    assert website_host("https://www.harvard.edu/") == "harvard.edu"
    assert website_host("http://www2.gmu.edu") == website_host("www.gmu.edu/")
    assert website_host("https://behrend.psu.edu/") != website_host("www.psu.edu")


def test_carnegie_labels_are_carried_down_the_values_sheet():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Variable", "Label", "Value", "Label"])
    sheet.append(["BASIC2021", "2021 Basic", 15, "Doctoral Universities: VHR"])
    sheet.append([None, None, 16, "Doctoral Universities: High Research Activity"])
    sheet.append([None, None, 14, "Baccalaureate/Associate's Colleges: Associate's"])
    sheet.append(["CONTROL", "Control", 1, "Public"])
    labels = read_carnegie_labels(sheet)
    assert labels["basic2021"][16] == "Doctoral Universities: High Research Activity"
    assert labels["control"] == {1: "Public"}
    assert carnegie_classification(labels["basic2021"][16]) == "r2"
    assert carnegie_classification("Doctoral Universities: Very High Research") == "r1"
    assert carnegie_classification("Doctoral/Professional Universities") == "d_pu"
    dominant = "Baccalaureate/Associate's Colleges: Associate's Dominant"
    assert carnegie_classification(dominant) == "associate"
    assert carnegie_classification("Special Focus Four-Year: Law Schools") == (
        "special_focus"
    )


def test_a_values_sheet_without_its_columns_is_refused():
    workbook = Workbook()
    workbook.active.append(["Code", "Meaning"])
    with pytest.raises(ListRejected, match="Variable, Value and Label"):
        read_carnegie_labels(workbook.active)


def test_a_carnegie_zip_bomb_is_refused_before_openpyxl_opens_it(monkeypatch):
    """The official-list reader guards its workbook as the sheet reader does."""
    import io
    import zipfile

    from registry.imports.files import workbooks

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was given a hostile file")

    monkeypatch.setattr(workbooks, "load_workbook", refuse)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(200):
                part.write(bytes(1024 * 1024))
    with pytest.raises(ListRejected, match="zip bomb"):
        parse_carnegie(buffer.getvalue())

"""Checks of the reference fixtures.

Disciplines, activity types, data sources, organizations and programs. Pure pytest: no
Django, no database. The checks against the official lists (ROR, MEXT, IPEDS) read them
through ``tests.reference_lists``, which skips (or, in CI, fails) when
``../shared/data`` is absent.
"""

import json
import re
from functools import cache

import pytest

from tests.reference_lists import FIXTURES, read_reference_csv

FILES = ("disciplines", "activity_types", "data_sources", "organizations", "programs")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 80
ROR_ID = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
# Proper names that Japanese text writes in Latin letters (name_ja without kana/kanji).
LATIN_NAME_JA = {("data_sources", "usaspending")}

SECTORS = {"government", "national_lab", "industry", "ngo", "intergovernmental"}
COUNTRIES = {"US", "JP", ""}
ALIAS_LANGUAGES = {"en", "ja", "ja-Latn"}
ALIAS_KINDS = {"acronym", "abbreviation", "former_name", "alternative", "romanization"}

CMSP = "us-japan-cooperative-medical-science-program"
CMSP_AREAS = [
    "acute-respiratory-infections",
    "aids",
    "cholera-and-other-bacterial-enteric-infections",
    "genes-environment-and-diseases",
    "hepatitis",
    "immunology",
    "nutrition-and-metabolism",
    "parasitic-diseases",
    "tuberculosis-and-leprosy",
    "viral-diseases",
]
HEALTH = "health-medical-sciences"
GROWING_AREAS = [
    "disaster-response-and-emergency-management",
    "precision-agriculture",
    "data-sciences-and-informatics",
    "cybersecurity",
    "smart-technology",
    "ai-robotics",
    "clean-energy",
    "health-and-wellness",
    "sustainable-development",
    "natural-disaster-prevention",
    "high-energy-physics",
    "quantum-sciences",
    "space-science-and-exploration",
    "biosciences",
    "supercomputing",
    "critical-materials",
    "new-energy-technologies",
]

NSF = "national-science-foundation"
NIH = "national-institutes-of-health"
DOE = "us-department-of-energy"
NASA = "national-aeronautics-and-space-administration"
JSPS = "japan-society-for-the-promotion-of-science"
JST = "japan-science-and-technology-agency"
AMED = "japan-agency-for-medical-research-and-development"
NEDO = "new-energy-and-industrial-technology-development-organization"
JAXA = "japan-aerospace-exploration-agency"
MEXT = "ministry-of-education-culture-sports-science-and-technology"
METI = "ministry-of-economy-trade-and-industry"
MHLW = "ministry-of-health-labour-and-welfare"
MOFA = "ministry-of-foreign-affairs-of-japan"
STATE = "us-department-of-state"
TABLE_1_PAIRS = {
    frozenset({NSF, JSPS}),
    frozenset({NSF, JST}),
    frozenset({NIH, AMED}),
    frozenset({DOE, NEDO}),
    frozenset({NASA, JAXA}),
}
# Every non-HE actor the fact sheet (and docs/domain.md) names, with its country.
NAMED_ORGANIZATIONS = {
    NSF: "US",
    NIH: "US",
    DOE: "US",
    "us-department-of-energy-office-of-science": "US",
    NASA: "US",
    "us-department-of-defense": "US",
    STATE: "US",
    "brookhaven-national-laboratory": "US",
    "lawrence-berkeley-national-laboratory": "US",
    "fermi-national-accelerator-laboratory": "US",
    "pacific-northwest-national-laboratory": "US",
    "universities-research-association": "US",
    "tri-institutional-therapeutics-discovery-institute": "US",
    "memorial-sloan-kettering-cancer-center": "US",
    "american-council-on-education": "US",
    MEXT: "JP",
    JSPS: "JP",
    JST: "JP",
    AMED: "JP",
    METI: "JP",
    NEDO: "JP",
    JAXA: "JP",
    MHLW: "JP",
    MOFA: "JP",
    "national-institute-of-science-and-technology-policy": "JP",
    "riken": "JP",
    "japan-foundation": "JP",
    "japan-foundation-center-for-global-partnership": "JP",
    "takeda-pharmaceutical-company": "JP",
}
# Words that mark a higher-education institution, and words that mark an association.
HEI_WORDS = re.compile(
    r"\b(?:universit(?:y|ies)|college|school of medicine)\b|大学", re.IGNORECASE
)
ASSOCIATION_WORDS = re.compile(
    r"\b(?:association|consortium|council|alliance)\b|協会|協議会|連合", re.IGNORECASE
)


@cache
def load(name: str) -> list[dict]:
    with (FIXTURES / f"{name}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def by_slug(name: str) -> dict[str, dict]:
    return {record["slug"]: record for record in load(name)}


def slugs(name: str) -> list[str]:
    return [record["slug"] for record in load(name)]


def organization_names(record: dict) -> list[str]:
    return [
        record["name"],
        record["name_ja"],
        *(alias["name"] for alias in record["aliases"]),
    ]


# --- every file -----------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_each_fixture_file_is_a_non_empty_json_list_of_objects(name):
    records = load(name)
    assert isinstance(records, list) and records
    assert all(isinstance(record, dict) for record in records)


@pytest.mark.parametrize("name", FILES)
def test_slugs_are_unique_within_each_file(name):
    seen = slugs(name)
    duplicates = sorted({slug for slug in seen if seen.count(slug) > 1})
    assert not duplicates


@pytest.mark.parametrize("name", FILES)
def test_slugs_are_lowercase_hyphenated_and_not_too_long(name):
    bad = [
        slug
        for slug in slugs(name)
        if not SLUG.match(slug) or len(slug) > SLUG_MAX_LENGTH
    ]
    assert not bad


@pytest.mark.parametrize("name", FILES)
def test_every_name_has_an_english_name_and_a_japanese_name_ja(name):
    missing = [
        record["slug"]
        for record in load(name)
        if not record["name"].strip()
        or not record["name_ja"].strip()
        or (
            (name, record["slug"]) not in LATIN_NAME_JA
            and not JAPANESE.search(record["name_ja"])
        )
    ]
    assert not missing


@pytest.mark.parametrize("name", FILES)
def test_names_have_no_stray_whitespace(name):
    bad = [
        (record["slug"], key)
        for record in load(name)
        for key in ("name", "name_ja")
        if record[key] != record[key].strip() or "  " in record[key]
    ]
    assert not bad


def test_fixtures_never_point_at_the_shared_lists():
    for name in FILES:
        text = (FIXTURES / f"{name}.json").read_text(encoding="utf-8")
        assert "../shared" not in text and "/shared/data" not in text, name


# --- disciplines ----------------------------------------------------------------------


def test_every_discipline_parent_exists_and_appears_earlier():
    earlier: set[str] = set()
    for record in load("disciplines"):
        assert record["parent"] is None or record["parent"] in earlier, record["slug"]
        earlier.add(record["slug"])


def test_disciplines_have_exactly_two_levels():
    records = by_slug("disciplines")
    for record in records.values():
        parent = record["parent"]
        if parent is not None:
            assert records[parent]["parent"] is None, (
                f"{record['slug']} hangs under a subfield"
            )


def test_every_field_has_subfields_and_the_counts_fit_the_plan():
    records = load("disciplines")
    fields = [record["slug"] for record in records if record["parent"] is None]
    subfields = [record for record in records if record["parent"] is not None]
    assert 8 <= len(fields) <= 10
    assert 40 <= len(subfields) <= 60
    assert {record["parent"] for record in subfields} == set(fields)


def test_disciplines_cover_stem_health_humanities_and_social_sciences():
    fields = {
        record["slug"] for record in load("disciplines") if record["parent"] is None
    }
    assert {
        HEALTH,
        "natural-sciences",
        "engineering-and-technology",
        "humanities",
        "social-sciences",
    } <= fields


def test_every_growing_area_named_in_the_fact_sheet_is_a_subfield():
    records = by_slug("disciplines")
    missing = [
        slug
        for slug in GROWING_AREAS
        if slug not in records or records[slug]["parent"] is None
    ]
    assert not missing


def test_the_ten_cmsp_areas_clinical_medicine_and_public_health_sit_under_health():
    records = by_slug("disciplines")
    for slug in [*CMSP_AREAS, "clinical-medicine", "public-health"]:
        assert records[slug]["parent"] == HEALTH, slug


def test_discipline_names_are_unique_in_each_language():
    for key in ("name", "name_ja"):
        names = [record[key] for record in load("disciplines")]
        assert len(names) == len(set(names)), key


# --- activity types -------------------------------------------------------------------


def test_activity_types_are_the_ten_of_the_fact_sheet_in_order():
    assert slugs("activity_types") == [
        "research-grant-award",
        "scholar-exchange",
        "joint-human-resource-development-with-industry",
        "co-authored-publications",
        "patent-licensing",
        "student-exchange",
        "degree-program",
        "online-distance-learning",
        "workforce-training",
        "institutional-outpost",
    ]


def test_only_the_first_five_activity_types_are_research_evidence():
    flags = [record["is_research_evidence"] for record in load("activity_types")]
    assert flags == [True] * 5 + [False] * 5


def test_every_activity_type_has_a_description():
    assert all(record["description"].strip() for record in load("activity_types"))


# --- data sources ---------------------------------------------------------------------


def test_data_sources_are_the_fact_sheets_plus_itself_and_synthetic_demo():
    assert slugs("data_sources") == [
        "usaspending",
        "jsps",
        "nature-index",
        "universities-research-association",
        "inter-university-research-institute-corporation",
        "us-japan-cooperative-medical-science-program",
        "institution-websites",
        "usjp-hees-fact-sheet",
        "synthetic-demo",
    ]


def test_data_source_coverage_years_are_the_fact_sheets():
    coverage = {
        slug: (r["coverage_start"], r["coverage_end"])
        for slug, r in by_slug("data_sources").items()
    }
    assert coverage == {
        "usaspending": (2017, 2020),
        "jsps": (2017, 2020),
        "nature-index": (2019, 2020),
        "universities-research-association": (None, None),
        "inter-university-research-institute-corporation": (None, None),
        "us-japan-cooperative-medical-science-program": (None, None),
        "institution-websites": (2019, 2020),
        "usjp-hees-fact-sheet": (None, None),
        "synthetic-demo": (None, None),
    }


def test_data_source_urls_are_blank_or_https():
    bad = [
        r["slug"]
        for r in load("data_sources")
        if r["url"] and not r["url"].startswith("https://")
    ]
    assert not bad


def test_the_fact_sheet_source_points_at_the_study_page():
    assert (
        by_slug("data_sources")["usjp-hees-fact-sheet"]["url"]
        == "https://www.acenet.edu/usjp-hees"
    )


def test_synthetic_demo_source_says_it_is_not_real_and_has_no_url():
    record = by_slug("data_sources")["synthetic-demo"]
    assert record["name_ja"] == "合成デモデータ"
    assert record["url"] == ""
    assert "not real" in record["description"].lower()


# --- organizations --------------------------------------------------------------------


def test_organization_sectors_countries_and_aliases_are_valid():
    for record in load("organizations"):
        assert record["sector"] in SECTORS, record["slug"]
        assert record["country"] in COUNTRIES, record["slug"]
        for alias in record["aliases"]:
            assert set(alias) == {"name", "language", "kind"}, record["slug"]
            assert alias["name"].strip() == alias["name"] and alias["name"], record[
                "slug"
            ]
            assert alias["language"] in ALIAS_LANGUAGES, record["slug"]
            assert alias["kind"] in ALIAS_KINDS, record["slug"]


def test_aliases_fit_their_language():
    for record in load("organizations"):
        for alias in record["aliases"]:
            has_japanese = bool(JAPANESE.search(alias["name"]))
            assert has_japanese == (alias["language"] == "ja"), (
                record["slug"],
                alias["name"],
            )


def test_no_organization_repeats_a_name_as_an_alias():
    for record in load("organizations"):
        names = organization_names(record)
        assert len(names) == len(set(names)), record["slug"]


def test_every_organization_the_fact_sheet_names_is_present_with_its_country():
    records = by_slug("organizations")
    assert {
        slug: records[slug]["country"]
        for slug in NAMED_ORGANIZATIONS
        if slug in records
    } == (NAMED_ORGANIZATIONS)


def test_every_organization_parent_and_counterpart_exists_and_appears_earlier():
    earlier: set[str] = set()
    for record in load("organizations"):
        references = [record["parent"]] if record["parent"] else []
        references += record["counterparts"]
        for reference in references:
            assert reference in earlier, (
                f"{record['slug']} refers to {reference} before it is defined"
            )
        earlier.add(record["slug"])


def test_organization_parents_are_in_the_same_country():
    records = by_slug("organizations")
    for record in records.values():
        if record["parent"]:
            assert records[record["parent"]]["country"] == record["country"], record[
                "slug"
            ]


def test_national_labs_and_the_office_of_science_hang_under_their_agencies():
    records = by_slug("organizations")
    for slug in (
        "brookhaven-national-laboratory",
        "lawrence-berkeley-national-laboratory",
        "fermi-national-accelerator-laboratory",
        "pacific-northwest-national-laboratory",
        "us-department-of-energy-office-of-science",
    ):
        assert records[slug]["parent"] == DOE, slug
    assert records[NEDO]["parent"] == METI
    assert records[JSPS]["parent"] == MEXT
    assert (
        records["national-institute-of-science-and-technology-policy"]["parent"] == MEXT
    )


def test_table_1_pairs_are_exactly_the_counterparts():
    pairs = {
        frozenset({record["slug"], other})
        for record in load("organizations")
        for other in record["counterparts"]
    }
    assert pairs == TABLE_1_PAIRS


def test_counterparts_are_listed_once_on_the_japanese_later_side():
    records = by_slug("organizations")
    for record in records.values():
        for other in record["counterparts"]:
            assert record["country"] == "JP" and records[other]["country"] == "US", (
                record["slug"]
            )
            assert record["slug"] not in records[other]["counterparts"], record["slug"]


def test_no_organization_is_named_like_a_higher_education_institution():
    # A name may mention universities only when it names an association (the URA).
    offenders = [
        (record["slug"], name)
        for record in load("organizations")
        for name in organization_names(record)
        if HEI_WORDS.search(name) and not ASSOCIATION_WORDS.search(name)
    ]
    assert not offenders


def test_no_organization_website_is_on_a_university_domain():
    offenders = [
        record["slug"]
        for record in load("organizations")
        if re.search(r"\.edu(?:/|$)|\.ac\.jp(?:/|$)", record["website"])
        and record["slug"] != "american-council-on-education"
    ]
    assert not offenders


def test_organization_websites_are_blank_or_https():
    bad = [
        r["slug"]
        for r in load("organizations")
        if r["website"] and not r["website"].startswith("https://")
    ]
    assert not bad


def test_organization_ror_ids_are_bare_and_unique():
    ror_ids = [record["ror"] for record in load("organizations") if record["ror"]]
    assert all(ROR_ID.match(ror_id) for ror_id in ror_ids), ror_ids
    assert len(ror_ids) == len(set(ror_ids))


def test_every_organization_ror_id_exists_in_ror_with_the_same_country():
    ror = {
        row["ror_id"].rsplit("/", 1)[-1]: row
        for row in read_reference_csv("ror_us_jp.csv")
    }
    for record in load("organizations"):
        if record["ror"]:
            assert record["ror"] in ror, record["slug"]
            row = ror[record["ror"]]
            assert row["country_code"] == record["country"], record["slug"]
            assert row["status"] == "active", record["slug"]


def test_where_ror_has_a_japanese_label_the_organization_uses_it():
    ror = {
        row["ror_id"].rsplit("/", 1)[-1]: row
        for row in read_reference_csv("ror_us_jp.csv")
    }
    for record in load("organizations"):
        row = ror.get(record["ror"])
        if row and JAPANESE.search(row["name_ja"]):
            assert record["name_ja"] == row["name_ja"], record["slug"]


def test_no_organization_name_is_on_an_official_list_of_universities():
    official = {
        row["name_en"].casefold()
        for row in read_reference_csv("mext_universities_2022.csv")
    }
    official |= {
        row["name_ja"] for row in read_reference_csv("mext_universities_2022.csv")
    }
    official |= {
        row["INSTNM"].casefold()
        for row in read_reference_csv("ipeds_hd2022_degree_granting.csv")
    }
    offenders = [
        (record["slug"], name)
        for record in load("organizations")
        for name in organization_names(record)
        if name.casefold() in official or name in official
    ]
    assert not offenders


def test_organization_ror_ids_are_not_also_institution_ror_ids():
    path = FIXTURES / "institutions.json"
    if not path.exists():
        pytest.skip("institutions.json is not written yet")

    def ror_values(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "ror" and isinstance(value, str) and value:
                    yield value.rsplit("/", 1)[-1]
                else:
                    yield from ror_values(value)
        elif isinstance(node, list):
            for item in node:
                yield from ror_values(item)

    institutions = set(ror_values(json.loads(path.read_text(encoding="utf-8"))))
    organizations = {record["ror"] for record in load("organizations") if record["ror"]}
    assert not organizations & institutions


# --- programs -------------------------------------------------------------------------


def test_program_organizations_and_research_areas_exist():
    organizations = set(slugs("organizations"))
    disciplines = by_slug("disciplines")
    for record in load("programs"):
        assert set(record["organizations"]) <= organizations, record["slug"]
        for area in record["research_areas"]:
            assert area in disciplines and disciplines[area]["parent"] is not None, (
                record["slug"],
                area,
            )
        assert len(record["organizations"]) == len(set(record["organizations"])), (
            record["slug"]
        )
        assert len(record["research_areas"]) == len(set(record["research_areas"])), (
            record["slug"]
        )


def test_program_years_are_ordered_and_descriptions_present():
    for record in load("programs"):
        start, end = record["start_year"], record["end_year"]
        assert start is None or 1900 < start < 2100, record["slug"]
        assert start is None or end is None or start <= end, record["slug"]
        assert record["description"].strip(), record["slug"]


def test_cmsp_has_the_ten_research_areas_since_1965_and_its_bilateral_supporters():
    record = by_slug("programs")[CMSP]
    assert record["research_areas"] == CMSP_AREAS
    assert (record["start_year"], record["end_year"]) == (1965, None)
    assert set(record["organizations"]) == {AMED, MOFA, MHLW, MEXT, NIH, STATE}


def test_the_fact_sheets_other_programs_are_present_with_their_years():
    records = by_slug("programs")
    assert set(records) == {
        CMSP,
        "nsf-jst-memorandum-of-cooperation",
        "doe-office-of-science-collaboration-with-japanese-universities",
        "us-japan-science-and-technology-agreement",
    }
    moc = records["nsf-jst-memorandum-of-cooperation"]
    assert moc["start_year"] == 2019 and set(moc["organizations"]) == {NSF, JST}
    doe = records["doe-office-of-science-collaboration-with-japanese-universities"]
    assert (doe["start_year"], doe["end_year"]) == (2020, 2023)
    assert set(doe["organizations"]) == {
        "us-department-of-energy-office-of-science",
        "brookhaven-national-laboratory",
    }
    assert doe["research_areas"] == ["high-energy-physics"]


def test_the_science_and_technology_agreement_is_not_asserted_to_end_or_be_renewed():
    record = by_slug("programs")["us-japan-science-and-technology-agreement"]
    assert record["end_year"] is None
    assert "renew" not in record["description"].lower()
    assert set(record["research_areas"]) == {
        "space-science-and-exploration",
        "new-energy-technologies",
        "supercomputing",
        "critical-materials",
    }

"""The institution and region fixtures agree with the official lists behind them.

``fixtures/regions.json`` and ``fixtures/institutions.json`` are plain JSON: these
tests need neither Django nor a database. Tests taking the ``mext``, ``ipeds``,
``carnegie`` or ``ror`` fixture compare them with the official lists (MEXT 2022
大学一覧, IPEDS HD2022, Carnegie 2021, ROR v2.9) found through
``tests.reference_lists``; they skip when the lists are absent (fail under
``USJP_REQUIRE_REFERENCE_LISTS=1``). The structural tests always run.
"""

import json
import re
import unicodedata
from collections import Counter

import pytest

from tests.reference_lists import FIXTURES, read_reference_csv

INSTITUTION_TYPES = {
    "jp_national",
    "jp_public",
    "jp_private",
    "jp_inter_university",
    "us_public",
    "us_private_nonprofit",
    "us_private_for_profit",
}
RESEARCH_CLASSIFICATIONS = {
    "",
    "r1",
    "r2",
    "d_pu",
    "masters",
    "baccalaureate",
    "associate",
    "special_focus",
    "tribal",
}
ENROLLMENT_BANDS = {
    "",
    "under_1000",
    "1000_4999",
    "5000_9999",
    "10000_19999",
    "20000_plus",
}
ALIAS_LANGUAGES = {"en", "ja", "ja-Latn"}
ALIAS_KINDS = {"acronym", "abbreviation", "former_name", "alternative", "romanization"}
IDENTIFIER_PATTERNS = {
    "ror": re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$"),
    "ipeds": re.compile(r"^\d{6}$"),
    "mext": re.compile(r"^F\d{12}$"),
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MEXT_TYPES = {"国立": "jp_national", "公立": "jp_public", "私立": "jp_private"}
US_CONTROL = {
    "Public": "us_public",
    "Private not-for-profit": "us_private_nonprofit",
    "Private for-profit": "us_private_for_profit",
}
STATES_AND_DC = {
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "DC",
}
# MEXT rows whose address prefecture differs from the prefecture encoded in the school
# code (data/README.md). The fixtures follow the code for every row, these included.
KNOWN_PREFECTURE_DISAGREEMENTS = {"東京福祉大学", "東海大学"}


# ---------------------------------------------------------------------------- loading
def load_fixture(name):
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def regions():
    return load_fixture("regions.json")


@pytest.fixture(scope="module")
def institutions():
    return load_fixture("institutions.json")


@pytest.fixture(scope="module")
def mext():
    return {
        row["mext_code"]: row
        for row in read_reference_csv("mext_universities_2022.csv")
    }


@pytest.fixture(scope="module")
def ipeds():
    return {
        row["UNITID"]: row
        for row in read_reference_csv("ipeds_hd2022_degree_granting.csv")
    }


@pytest.fixture(scope="module")
def carnegie():
    return read_reference_csv("carnegie_ccihe2021_core.csv")


@pytest.fixture(scope="module")
def ror():
    return {
        row["ror_id"].rsplit("/", 1)[-1]: row
        for row in read_reference_csv("ror_us_jp.csv")
    }


def mext_codes(institution):
    value = institution["identifiers"].get("mext", "")
    if isinstance(value, list):
        return value
    return [value] if value else []


def aliases(institution, *kinds, language=None):
    return [
        a["name"]
        for a in institution["aliases"]
        if (not kinds or a["kind"] in kinds)
        and (language is None or a["language"] == language)
    ]


def squash(text):
    """Comparison form of an English name: no whitespace, case-folded, ’ as '.

    MEXT's English names lost their spaces in most private rows ("TokaiUniversity")
    and capitalise "And"/"Of"/"The" inside names.
    """
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    return re.sub(r"\s+", "", text).casefold()


def key(text):
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def by_mext_code(institutions):
    return {code: inst for inst in institutions for code in mext_codes(inst)}


# ---------------------------------------------------------------------------- regions
def test_regions_hold_the_47_prefectures_with_codes_01_to_47_each_exactly_once(regions):
    """Japan's regions are the 47 prefectures, JIS X 0401 codes "01".."47", no gaps or
    repeats.
    """
    codes = Counter(r["code"] for r in regions if r["country"] == "JP")
    assert sorted(codes) == [f"{n:02d}" for n in range(1, 48)]
    assert set(codes.values()) == {1}


def test_prefecture_japanese_names_end_in_to_do_fu_or_ken(regions):
    """Every prefecture's Japanese name is the official one with 都, 道, 府 or 県."""
    bad = [
        r
        for r in regions
        if r["country"] == "JP" and r["name_ja"][-1:] not in "都道府県"
    ]
    assert not bad


def test_prefecture_names_agree_with_the_prefectures_mext_derives_from_its_codes(
    regions, mext
):
    """The JIS code, English and Japanese names of each prefecture match MEXT's code
    columns.
    """
    from_mext = {
        row["pref_code_from_mext"]: (
            row["prefecture_from_code_en"],
            row["prefecture_from_code_ja"],
        )
        for row in mext.values()
    }
    ours = {
        r["code"]: (r["name"], r["name_ja"]) for r in regions if r["country"] == "JP"
    }
    assert ours == from_mext


def test_us_region_codes_are_unique_and_cover_the_50_states_and_dc(regions):
    """U.S. regions use USPS codes, once each, and include all 50 states and DC."""
    codes = Counter(r["code"] for r in regions if r["country"] == "US")
    assert set(codes.values()) == {1}
    assert set(codes) >= STATES_AND_DC
    assert set(codes) <= STATES_AND_DC | {"PR", "GU", "VI", "AS", "MP"}


def test_regions_are_well_formed_and_ordered_japan_first(regions):
    """Each region has a country, code, names and an ASCII slug; JP comes first, each by
    code.
    """
    assert [r["country"] for r in regions] == sorted(
        (r["country"] for r in regions), key=["JP", "US"].index
    )
    for country in ("JP", "US"):
        codes = [r["code"] for r in regions if r["country"] == country]
        assert codes == sorted(codes)
    for region in regions:
        assert set(region) == {"country", "code", "name", "name_ja", "slug"}
        assert region["name"] and region["name_ja"]
        assert SLUG.match(region["slug"]), region
        assert region["name"].isascii(), region
    assert len({(r["country"], r["slug"]) for r in regions}) == len(regions)


# ---------------------------------------------------------------------- Japan vs MEXT
def test_every_mext_code_in_the_fixtures_exists_in_the_mext_list(institutions, mext):
    """No Japanese institution carries a MEXT school code that the 2022 list lacks."""
    missing = [
        (i["slug"], c) for i in institutions for c in mext_codes(i) if c not in mext
    ]
    assert not missing


def test_japanese_names_equal_mext_or_a_former_name_of_a_merged_institution(
    institutions, mext
):
    """For each MEXT code, MEXT's name_ja is the institution's name_ja or a former_name
    alias.
    """
    wrong = []
    for inst in institutions:
        for code in mext_codes(inst):
            accepted = {inst["name_ja"], *aliases(inst, "former_name", language="ja")}
            if mext[code]["name_ja"] not in accepted:
                wrong.append((inst["slug"], code, mext[code]["name_ja"]))
    assert not wrong


def test_english_names_equal_mext_up_to_whitespace_and_case_or_are_kept_as_aliases(
    institutions, mext
):
    """MEXT's name_en (spaces and case ignored) is the display name, a former name of
    a merged institution or, where MEXT gives the corporation's name ("National
    University Corporation Shizuoka University"), an alternative alias."""
    wrong = []
    for inst in institutions:
        accepted = {
            squash(n)
            for n in [
                inst["name"],
                *aliases(inst, "former_name", "alternative", language="en"),
            ]
        }
        for code in mext_codes(inst):
            if squash(mext[code]["name_en"]) not in accepted:
                wrong.append((inst["slug"], code, mext[code]["name_en"]))
    assert not wrong


def test_display_names_have_single_spaces(institutions):
    """English display names carry no doubled, leading or trailing whitespace (MEXT has
    some).
    """
    bad = [i["name"] for i in institutions if i["name"] != " ".join(i["name"].split())]
    assert not bad


def test_institution_types_match_mext(institutions, mext):
    """国立 is jp_national, 公立 jp_public, 私立 jp_private, for every MEXT code
    carried."""
    wrong = [
        (i["slug"], c)
        for i in institutions
        for c in mext_codes(i)
        if MEXT_TYPES[mext[c]["type_ja"]] != i["institution_type"]
    ]
    assert not wrong


def test_regions_follow_the_prefecture_encoded_in_the_mext_code(institutions, mext):
    """A Japanese institution's region is MEXT's code-derived prefecture
    (pref_code_from_mext).
    """
    wrong = [
        (i["slug"], c, i["region"], mext[c]["pref_code_from_mext"])
        for i in institutions
        for c in mext_codes(i)
        if mext[c]["pref_code_from_mext"] != i["region"]
    ]
    assert not wrong


def test_only_the_documented_mext_rows_disagree_between_address_and_code(
    mext,
):
    """Only 東京福祉大学 and 東海大学 have an address prefecture other than their
    code's; a new disagreement in a future list needs a decision, recorded in
    fixtures/README.md."""
    disagreeing = {
        row["name_ja"]
        for row in mext.values()
        if row["prefecture_ja"]
        and row["prefecture_ja"] != row["prefecture_from_code_ja"]
    }
    assert disagreeing == KNOWN_PREFECTURE_DISAGREEMENTS


def test_every_mext_national_university_is_in_the_fixtures(institutions, mext):
    """All 86 national universities appear, directly or through a merged institution's
    codes.
    """
    ours = by_mext_code(institutions)
    nationals = [code for code, row in mext.items() if row["type_ja"] == "国立"]
    assert len(nationals) == 86
    missing = [mext[c]["name_ja"] for c in nationals if c not in ours]
    assert not missing


def test_only_merged_institutions_carry_several_mext_codes(institutions, mext):
    """A list of MEXT codes belongs to a merger: the other codes' names are former
    names.
    """
    for inst in institutions:
        value = inst["identifiers"].get("mext")
        if not isinstance(value, list):
            continue
        assert len(value) >= 2, inst["slug"]
        former = set(aliases(inst, "former_name"))
        for code in value:
            row = mext[code]
            if row["name_ja"] != inst["name_ja"]:
                assert row["name_ja"] in former, (inst["slug"], row["name_ja"])


def test_tokyo_tech_and_tmdu_are_one_institution_the_institute_of_science_tokyo(
    institutions, mext
):
    """The 2024 merger: one record 東京科学大学 holding both old codes and both old
    names.
    """
    science_tokyo = [i for i in institutions if i["name_ja"] == "東京科学大学"]
    assert len(science_tokyo) == 1
    inst = science_tokyo[0]
    assert inst["name"] == "Institute of Science Tokyo"
    old = {
        row["name_ja"]: code
        for code, row in mext.items()
        if row["name_ja"] in {"東京工業大学", "東京医科歯科大学"}
    }
    assert sorted(mext_codes(inst)) == sorted(old.values())
    former = set(aliases(inst, "former_name"))
    assert {
        "東京工業大学",
        "東京医科歯科大学",
        "Tokyo Institute of Technology",
        "Tokyo Medical and Dental University",
    } <= former
    assert {"Tokyo Tech", "東工大", "TMDU"} <= set(aliases(inst))


def test_osaka_metropolitan_university_carries_its_predecessors(institutions):
    """大阪公立大学 (2022) holds the codes and names of 大阪市立大学 and
    大阪府立大学."""
    omu = [i for i in institutions if i["name_ja"] == "大阪公立大学"]
    assert len(omu) == 1
    assert len(mext_codes(omu[0])) == 3
    assert {
        "大阪市立大学",
        "大阪府立大学",
        "Osaka City University",
        "Osaka Prefecture University",
    } <= set(aliases(omu[0], "former_name"))
    assert not [
        i
        for i in institutions
        if i["name_ja"]
        in {"大阪市立大学", "大阪府立大学", "東京工業大学", "東京医科歯科大学"}
    ]


def test_inter_university_institutes_hang_under_their_corporations(institutions):
    """The four Inter-University Research Institute Corporations have no parent;
    every other jp_inter_university record is an institute under one of them."""
    iu = [i for i in institutions if i["institution_type"] == "jp_inter_university"]
    corporations = {i["slug"] for i in iu if i["parent"] is None}
    assert {i["name_ja"] for i in iu if i["parent"] is None} == {
        "自然科学研究機構",
        "高エネルギー加速器研究機構",
        "情報・システム研究機構",
        "人間文化研究機構",
    }
    assert all(i["parent"] in corporations for i in iu if i["parent"] is not None)
    assert len(iu) == 19
    assert not [i["slug"] for i in iu if mext_codes(i)]


# ------------------------------------------------------------- U.S. vs IPEDS/Carnegie
def test_every_ipeds_id_exists_in_hd2022_with_the_same_state(institutions, ipeds):
    """Each IPEDS UNITID in the fixtures is a degree-granting HD2022 row in the
    same state.
    """
    wrong = []
    for inst in institutions:
        unitid = inst["identifiers"].get("ipeds")
        if unitid and (
            unitid not in ipeds or ipeds[unitid]["STABBR"] != inst["region"]
        ):
            wrong.append((inst["slug"], unitid))
    assert not wrong


def test_us_names_are_the_ipeds_name_or_carry_it_as_an_alias(institutions, ipeds):
    """The display name is IPEDS INSTNM or INSTNM is among the aliases (ROR names
    win).
    """
    wrong = []
    for inst in institutions:
        unitid = inst["identifiers"].get("ipeds")
        if unitid and ipeds[unitid]["INSTNM"] not in {inst["name"], *aliases(inst)}:
            wrong.append((inst["slug"], ipeds[unitid]["INSTNM"]))
    assert not wrong


def test_us_types_follow_ipeds_control(institutions, ipeds):
    """Public, private not-for-profit and for-profit map to the three us_* types."""
    wrong = [
        i["slug"]
        for i in institutions
        if i["identifiers"].get("ipeds")
        and US_CONTROL[ipeds[i["identifiers"]["ipeds"]]["CONTROL_LABEL"]]
        != i["institution_type"]
    ]
    assert not wrong


def test_every_carnegie_r1_row_is_in_the_fixtures_as_r1(institutions, carnegie):
    """All 146 R1 institutions of the 2021 Carnegie Classification are present with
    "r1".
    """
    r1 = {row["unitid"] for row in carnegie if row["research_tier"] == "R1"}
    assert len(r1) == 146
    ours = {
        i["identifiers"].get("ipeds"): i
        for i in institutions
        if i["identifiers"].get("ipeds")
    }
    assert not r1 - set(ours)
    assert not [u for u in r1 if ours[u]["research_classification"] != "r1"]


def test_r1_is_given_only_to_carnegie_r1_institutions(institutions, carnegie):
    """No institution is labelled r1 unless Carnegie 2021 puts its UNITID in the R1
    tier.
    """
    r1 = {row["unitid"] for row in carnegie if row["research_tier"] == "R1"}
    wrong = [
        i["slug"]
        for i in institutions
        if i["research_classification"] == "r1"
        and i["identifiers"].get("ipeds") not in r1
    ]
    assert not wrong


def test_research_classification_and_enrollment_band_are_us_only(institutions):
    """Japanese institutions and U.S. systems carry no Carnegie class; JP no enrollment
    band.
    """
    wrong = [
        i["slug"]
        for i in institutions
        if (i["country"] == "JP" or not i["identifiers"].get("ipeds"))
        and (i["research_classification"] or i["enrollment_band"])
    ]
    assert not wrong


def test_every_uc_campus_has_the_university_of_california_as_parent(institutions):
    """UC campuses (IPEDS names "University of California-…") sit under "University of
    California".
    """
    uc = [i for i in institutions if i["name"] == "University of California"]
    assert (
        len(uc) == 1 and uc[0]["parent"] is None and "UC" in aliases(uc[0], "acronym")
    )
    campuses = [
        i
        for i in institutions
        if i["name"].startswith("University of California,")
        or i["name"].startswith("University of California ")
    ]
    assert len(campuses) >= 8
    assert all(c["parent"] == uc[0]["slug"] for c in campuses)


def test_system_parents_have_at_least_two_campuses_and_no_ipeds_id(institutions):
    """A U.S. parent is a university system with two or more campuses in the file."""
    children = Counter(
        i["parent"] for i in institutions if i["country"] == "US" and i["parent"]
    )
    for inst in institutions:
        if inst["country"] == "US" and inst["slug"] in children:
            assert children[inst["slug"]] >= 2, inst["slug"]
            assert not inst["identifiers"].get("ipeds"), inst["slug"]


def test_uw_stays_an_ambiguous_acronym_of_washington_and_wisconsin(institutions):
    """ "UW" names both the University of Washington and UW–Madison: kept on both, not
    resolved.
    """
    holders = {
        i["identifiers"].get("ipeds") for i in institutions if "UW" in aliases(i)
    }
    assert {"236948", "240444"} <= holders


# -------------------------------------------------------------------------------- ROR
def test_every_ror_id_exists_in_ror_with_the_same_country(institutions, ror):
    """Each ROR id is a record of the ROR extract whose country is the institution's."""
    wrong = []
    for inst in institutions:
        rid = inst["identifiers"].get("ror")
        if rid and (rid not in ror or ror[rid]["country_code"] != inst["country"]):
            wrong.append((inst["slug"], rid))
    assert not wrong


def test_no_ror_id_points_at_a_withdrawn_record(institutions, ror):
    """Withdrawn ROR records are never used as identifiers."""
    wrong = [
        i["slug"]
        for i in institutions
        if i["identifiers"].get("ror")
        and ror[i["identifiers"]["ror"]]["status"] == "withdrawn"
    ]
    assert not wrong


def test_us_japanese_names_follow_ror_where_ror_has_one(institutions, ror):
    """Where a U.S. institution's ROR record gives a Japanese label, name_ja is that
    label; elsewhere name_ja is the established Japanese name (see README).
    """
    wrong = [
        i["slug"]
        for i in institutions
        if i["country"] == "US"
        and i["identifiers"].get("ror")
        and ror[i["identifiers"]["ror"]]["name_ja"]
        and ror[i["identifiers"]["ror"]]["name_ja"] != i["name_ja"]
    ]
    assert not wrong


# -------------------------------------------------------------------------- structure
def test_every_us_institution_has_a_japanese_name_and_no_two_share_one(institutions):
    """Each U.S. institution's name_ja contains katakana or kanji, and no name_ja
    belongs to two institutions.
    """
    japanese = re.compile(r"[\u30a0-\u30ff\u3400-\u9fff]")
    assert not [
        i["slug"]
        for i in institutions
        if i["country"] == "US" and not japanese.search(i["name_ja"])
    ]
    owners = Counter(i["name_ja"] for i in institutions)
    assert not [name for name, n in owners.items() if n > 1]


def test_slugs_are_unique_and_well_formed(institutions):
    """Slugs are lower-case ASCII words joined by single hyphens, one per
    institution.
    """
    slugs = Counter(i["slug"] for i in institutions)
    assert not [s for s, n in slugs.items() if n > 1]
    assert not [s for s in slugs if not SLUG.match(s)]


def test_every_institution_has_the_documented_fields_with_valid_values(institutions):
    """Each record has exactly the documented keys and vocabulary values."""
    fields = {
        "slug",
        "name",
        "name_ja",
        "country",
        "institution_type",
        "parent",
        "city",
        "region",
        "latitude",
        "longitude",
        "website",
        "research_classification",
        "enrollment_band",
        "identifiers",
        "aliases",
        "provenance",
    }
    for inst in institutions:
        assert set(inst) == fields, inst["slug"]
        assert inst["name"], inst["slug"]
        assert inst["country"] in {"JP", "US"}, inst["slug"]
        assert inst["institution_type"] in INSTITUTION_TYPES, inst["slug"]
        assert inst["institution_type"].startswith(inst["country"].lower() + "_"), inst[
            "slug"
        ]
        assert inst["research_classification"] in RESEARCH_CLASSIFICATIONS, inst["slug"]
        assert inst["enrollment_band"] in ENROLLMENT_BANDS, inst["slug"]
        assert inst["provenance"], inst["slug"]
        assert not inst["website"] or re.match(r"^https?://[^\s/]+", inst["website"]), (
            inst["slug"]
        )
        if inst["country"] == "JP":
            assert inst["name_ja"], inst["slug"]


def test_coordinates_are_both_present_or_both_null_and_within_the_country(institutions):
    """Latitude and longitude come as a pair inside rough bounds of Japan or the U.S."""
    bounds = {"JP": ((20, 46), (122, 154)), "US": ((17, 72), (-180, -64))}
    for inst in institutions:
        lat, lng = inst["latitude"], inst["longitude"]
        assert (lat is None) == (lng is None), inst["slug"]
        if lat is not None:
            (lat_lo, lat_hi), (lng_lo, lng_hi) = bounds[inst["country"]]
            assert lat_lo <= lat <= lat_hi and lng_lo <= lng <= lng_hi, inst["slug"]


def test_parents_exist_and_precede_their_children(institutions):
    """A parent slug names an institution of the same country listed earlier in the
    file.
    """
    seen = {}
    for inst in institutions:
        if inst["parent"] is not None:
            assert inst["parent"] in seen, inst["slug"]
            assert seen[inst["parent"]]["country"] == inst["country"], inst["slug"]
        seen[inst["slug"]] = inst


def test_regions_exist_in_regions_json_and_match_the_country(institutions, regions):
    """Every institution's region is a region code of its own country."""
    known = {(r["country"], r["code"]) for r in regions}
    wrong = [
        (i["slug"], i["region"])
        for i in institutions
        if (i["country"], i["region"]) not in known
    ]
    assert not wrong


def test_identifiers_are_well_formed(institutions):
    """ROR ids are bare 9-character ids, IPEDS UNITIDs 6 digits, MEXT codes F + 12
    digits.
    """
    for inst in institutions:
        ids = inst["identifiers"]
        assert set(ids) <= set(IDENTIFIER_PATTERNS), inst["slug"]
        for scheme, value in ids.items():
            values = value if scheme == "mext" and isinstance(value, list) else [value]
            for v in values:
                assert isinstance(v, str) and (
                    v == "" or IDENTIFIER_PATTERNS[scheme].match(v)
                ), (inst["slug"], v)
        if inst["country"] == "US":
            assert not ids.get("mext"), inst["slug"]
        else:
            assert not ids.get("ipeds"), inst["slug"]


def test_no_identifier_value_is_used_by_two_institutions(institutions):
    """A ROR id, UNITID or MEXT code identifies at most one institution."""
    owners = Counter()
    for inst in institutions:
        for scheme, value in inst["identifiers"].items():
            for v in value if isinstance(value, list) else [value]:
                if v:
                    owners[(scheme, v)] += 1
    assert not [k for k, n in owners.items() if n > 1]


def test_no_alias_repeats_its_own_institutions_name(institutions):
    """An alias never equals the institution's name or name_ja (case and width
    ignored).
    """
    wrong = [
        (i["slug"], a["name"])
        for i in institutions
        for a in i["aliases"]
        if key(a["name"]) in {key(i["name"]), key(i["name_ja"])}
    ]
    assert not wrong


def test_aliases_have_valid_language_and_kind_and_no_duplicates(institutions):
    """Aliases are non-empty, use the registry's languages and kinds, and appear
    once each.
    """
    for inst in institutions:
        names = Counter(key(a["name"]) for a in inst["aliases"])
        assert not [n for n, c in names.items() if c > 1], inst["slug"]
        for alias in inst["aliases"]:
            assert set(alias) == {"name", "language", "kind"}, inst["slug"]
            assert alias["name"] == " ".join(alias["name"].split()) and alias["name"], (
                inst["slug"]
            )
            assert alias["language"] in ALIAS_LANGUAGES, (inst["slug"], alias)
            assert alias["kind"] in ALIAS_KINDS, (inst["slug"], alias)


def test_japanese_aliases_are_japanese_and_english_aliases_are_latin(institutions):
    """A "ja" alias contains kana or kanji; "en" and "ja-Latn" aliases contain none."""
    cjk = re.compile(r"[\u3040-\u30fa\u30fc-\u30ff\u3400-\u9fff]")
    for inst in institutions:
        for alias in inst["aliases"]:
            assert bool(cjk.search(alias["name"])) == (alias["language"] == "ja"), (
                inst["slug"],
                alias,
            )


# ------------------------------------------------------------------------- fact sheet
FACT_SHEET_HEIS = {
    # fact sheet wording -> IPEDS UNITID (U.S.) or MEXT code (Nagoya University)
    "University of North Carolina at Chapel Hill": "199120",
    "Harvard University": "166027",
    "Tulane University": "160755",
    "University of Pennsylvania": "215062",
    "Duke University": "198419",
    "Johns Hopkins University": "162928",
    "Cornell University": "190415",
    "Rockefeller University": "195049",
}


def test_the_fact_sheets_higher_education_institutions_are_present(institutions):
    """Every HEI the ACE fact sheet names is in the fixtures, under that name or an
    alias.
    """
    by_ipeds = {i["identifiers"].get("ipeds"): i for i in institutions}
    for wording, unitid in FACT_SHEET_HEIS.items():
        inst = by_ipeds.get(unitid)
        assert inst is not None, wording
        assert key(wording) in {key(n) for n in [inst["name"], *aliases(inst)]}, wording
    nagoya = [i for i in institutions if i["name"] == "Nagoya University"]
    assert len(nagoya) == 1 and nagoya[0]["name_ja"] == "名古屋大学"


def test_memorial_sloan_kettering_is_not_an_institution_here(institutions):
    """MSKCC is a non-HE partner (an organization), so it is not in the institution
    fixtures.
    """
    assert not [i for i in institutions if "sloan kettering" in key(i["name"])]

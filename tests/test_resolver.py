"""The name resolver (registry.resolver) over the reference institutions."""

import pytest

from registry import engine, resolver
from registry.models import AliasKind, InstitutionAlias, Language
from registry.names import normalize_name
from registry.resolver import resolve_institution
from tests.factories import institution

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_indexes():
    # Each process keeps its indexes between tests; a rolled-back test can leave one
    # whose version number a later test reaches again with other contents.
    engine._index = resolver._index = None


@pytest.mark.parametrize(
    "written, slug, matched_on",
    [
        ("Tohoku Univ.", "tohoku-university", "name"),
        ("Tohoku University", "tohoku-university", "name"),
        ("東北大学", "tohoku-university", "name_ja"),
        ("東北大", "tohoku-university", "alias: 東北大"),
        ("ＴＯＨＯＫＵ　ＵＮＩＶＥＲＳＩＴＹ", "tohoku-university", "name"),
        ("ｔｏｈｏｋｕ univ", "tohoku-university", "name"),
        ("Tōhoku daigaku", "tohoku-university", "alias: Tōhoku daigaku"),
        (
            "University of California-Irvine",
            "university-of-california-irvine",
            "name",
        ),
        ("UC Irvine", "university-of-california-irvine", "alias: UC Irvine"),
        ("UCI", "university-of-california-irvine", "alias: UCI"),
        (
            "Tokyo Institute of Technology",
            "institute-of-science-tokyo",
            "former name: Tokyo Institute of Technology",
        ),
        ("東京工業大学", "institute-of-science-tokyo", "former name: 東京工業大学"),
        (
            "Osaka City University",
            "osaka-metropolitan-university",
            "former name: Osaka City University",
        ),
        ("University of Tokyo", "the-university-of-tokyo", "name"),
        ("the University of Tokyo", "the-university-of-tokyo", "name"),
    ],
)
def test_exact_names_and_aliases_are_chosen(written, slug, matched_on):
    resolution = resolve_institution(name=written)
    assert resolution.chosen is not None, resolution
    assert resolution.chosen.institution.slug == slug
    assert resolution.chosen.score == 100
    assert resolution.chosen.matched_on == matched_on
    assert not resolution.ambiguous
    assert resolution.unit is None


@pytest.mark.parametrize(
    "written, slug, unit",
    [
        ("Harvard Medical School", "harvard-university", "School of Medicine"),
        ("Yale Law School", "yale-university", "School of Law"),
        (
            "University of Washington School of Medicine",
            "university-of-washington",
            "School of Medicine",
        ),
        (
            "Kyoto Univ. Graduate School of Engineering",
            "kyoto-university",
            "Graduate School of Engineering",
        ),
        (
            "Graduate School of Medicine, Tohoku University",
            "tohoku-university",
            "Graduate School of Medicine",
        ),
        ("東北大学大学院工学研究科", "tohoku-university", "大学院工学研究科"),
        ("大阪大学医学部", "osaka-university", "医学部"),
    ],
)
def test_schools_are_split_off_as_the_unit(written, slug, unit):
    resolution = resolve_institution(name=written)
    assert resolution.chosen.institution.slug == slug
    assert resolution.unit == unit


def test_an_institution_named_like_a_school_is_not_split():
    resolution = resolve_institution(name="Hamamatsu University School of Medicine")
    assert resolution.chosen.institution.slug == (
        "hamamatsu-university-school-of-medicine"
    )
    assert resolution.unit is None


@pytest.mark.parametrize("written", ["UW", "KIT"])
def test_two_plausible_institutions_are_never_chosen_between(written):
    resolution = resolve_institution(name=written)
    assert resolution.chosen is None
    assert resolution.ambiguous
    assert len(resolution.candidates) == 2


def test_uw_stays_ambiguous_within_the_us():
    resolution = resolve_institution(name="UW", country="US")
    assert resolution.chosen is None and resolution.ambiguous
    assert {c.institution.slug for c in resolution.candidates} == {
        "university-of-washington",
        "university-of-wisconsin-madison",
    }


@pytest.mark.parametrize("written", ["Université de Nowhere", "Nowhere College"])
def test_no_match(written):
    resolution = resolve_institution(name=written)
    assert resolution.chosen is None
    assert not resolution.ambiguous
    assert all(candidate.score < 88 for candidate in resolution.candidates)


def test_country_leaves_the_other_country_out():
    assert resolve_institution(name="Tohoku University", country="US").chosen is None
    chosen = resolve_institution(name="Tohoku University", country="JP").chosen
    assert chosen.institution.slug == "tohoku-university"


def test_a_misspelling_is_matched_fuzzily_below_an_exact_score():
    resolution = resolve_institution(name="Tohoku Unversity")
    assert resolution.chosen.institution.slug == "tohoku-university"
    assert resolution.chosen.score < 100


def test_a_vague_name_is_not_chosen():
    resolution = resolve_institution(name="Osaka")
    assert resolution.chosen is None
    assert resolution.ambiguous


def test_a_new_alias_is_known_at_once():
    assert resolve_institution(name="Sendai Imperial U").chosen is None
    InstitutionAlias.objects.create(
        institution=institution("tohoku-university"),
        name="Sendai Imperial University",
        language=Language.EN,
        kind=AliasKind.FORMER_NAME,
    )
    resolution = resolve_institution(name="Sendai Imperial U")
    assert resolution.chosen.institution.slug == "tohoku-university"
    assert resolution.chosen.matched_on == "former name: Sendai Imperial University"


def test_normalization():
    assert normalize_name("ＴＨＥ Univ. of  Tokyo!") == "university of tokyo"
    assert normalize_name("Université") == "universite"
    assert normalize_name("東北 大学") == "東北大学"
    assert normalize_name("Texas A&M") == "texas a and m"


# -- Affiliations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, slug, unit",
    [
        (
            "Graduate School of Engineering, Kyoto University, Kyoto 615-8510, Japan",
            "kyoto-university",
            "Graduate School of Engineering",
        ),
        (
            "Department of Chemistry, University of Chicago, Chicago, IL 60637, USA",
            "university-of-chicago",
            "Department of Chemistry",
        ),
        (
            "Dept. of Physics, Univ. of California, Berkeley, CA 94720, U.S.A.",
            "university-of-california-berkeley",
            "Department of Physics",
        ),
        (
            "Tohoku University, Sendai, Miyagi 980-8577, Japan",
            "tohoku-university",
            None,
        ),
        (
            "Kyoto University, Graduate School of Medicine, Sakyo-ku, Kyoto",
            "kyoto-university",
            "Graduate School of Medicine",
        ),
        (
            "Institute for Solid State Physics, The University of Tokyo, "
            "Kashiwa, Chiba",
            "the-university-of-tokyo",
            "Institute for Solid State Physics",
        ),
        (
            "京都大学大学院工学研究科、京都市西京区",
            "kyoto-university",
            "大学院工学研究科",
        ),
        (
            "東北大学 大学院医学系研究科, 仙台市",
            "tohoku-university",
            "大学院医学系研究科",
        ),
        (
            "Washington University in St. Louis, Saint Louis, MO 63130",
            "washington-university-in-st-louis",
            None,
        ),
    ],
)
def test_an_institution_is_found_inside_an_affiliation_with_its_unit(
    written, slug, unit
):
    resolution = resolve_institution(name=written)
    assert resolution.chosen is not None, resolution
    assert resolution.chosen.institution.slug == slug
    assert resolution.chosen.score == 100
    assert resolution.unit == unit
    assert resolution.organization is None


@pytest.mark.parametrize(
    "written, organization",
    [
        (
            "Lawrence Berkeley National Laboratory, Berkeley, CA 94720, USA",
            "lawrence-berkeley-national-laboratory",
        ),
        ("Brookhaven National Laboratory, Upton, NY", "brookhaven-national-laboratory"),
        ("RIKEN, Wako, Saitama 351-0198, Japan", "riken"),
        (
            "Takeda Pharmaceutical Company Limited, Osaka, Japan",
            "takeda-pharmaceutical-company",
        ),
    ],
)
def test_a_laboratory_company_or_agency_is_never_an_institution(written, organization):
    """ "Lawrence Berkeley National Laboratory, Berkeley, CA" is not UC Berkeley: it
    names an organization the registry holds, and the resolver says which."""
    resolution = resolve_institution(name=written)
    assert resolution.chosen is None
    assert resolution.candidates == []
    assert resolution.organization.slug == organization


def test_an_unknown_laboratory_is_not_taken_for_the_university_of_its_city():
    resolution = resolve_institution(
        name="Oak Ridge Test Laboratory, Berkeley, CA 94720"
    )
    assert resolution.chosen is None
    assert resolution.organization is None


def test_two_institutions_in_one_affiliation_are_not_chosen_between():
    resolution = resolve_institution(name="Kyoto University, Osaka University")
    assert resolution.chosen is None
    assert resolution.ambiguous


def test_the_address_chooses_between_same_named_institutions():
    from registry.models import Institution, InstitutionType, Region

    for city, state in (("Chicago", "IL"), ("Columbia", "SC")):
        Institution.objects.create(
            name="Columbia College",
            slug=f"columbia-college-{state.lower()}",
            country="US",
            city=city,
            region=Region.objects.get(country="US", code=state),
            institution_type=InstitutionType.values[0],
        )
    resolver._index = None

    plain = resolve_institution(name="Columbia College")
    chicago = resolve_institution(
        name="Department of Cinema, Columbia College, Chicago, IL 60605"
    )
    carolina = resolve_institution(name="Columbia College, Columbia, SC 29203, USA")

    assert plain.ambiguous and plain.chosen is None
    assert chicago.chosen.institution.slug == "columbia-college-il"
    assert chicago.unit == "Department of Cinema"
    assert carolina.chosen.institution.slug == "columbia-college-sc"


def test_the_longest_name_in_an_affiliation_wins_over_one_inside_it():
    resolution = resolve_institution(
        name="Department of Physics, University at Albany, State University of "
        "New York, Albany, NY 12222"
    )
    assert resolution.chosen.institution.slug == (
        "university-at-albany-state-university-of-new-york"
    )
    assert resolution.unit == "Department of Physics"


def test_a_city_after_an_organization_is_not_read_as_a_name():
    """Some towns are named University (Mississippi): after an agency's name, that
    piece is a place, and no institution is chosen for it."""
    resolution = resolve_institution(name="National Science Foundation, University")
    assert resolution.chosen is None
    assert resolution.organization.slug == "national-science-foundation"

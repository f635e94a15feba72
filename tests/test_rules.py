"""Every rule of the domain model: each violation, and the message a curator sees."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from registry.dates import DatePrecision
from registry.models import (
    Agreement,
    Classification,
    DataSource,
    Discipline,
    IdentifierScheme,
    Institution,
    InstitutionIdentifier,
    InstitutionType,
    Organization,
    Program,
    PublicationState,
    Region,
    SourceRecord,
)
from registry.rules import ProposedParticipant, check_agreement_composition
from tests.factories import institution, organization

pytestmark = pytest.mark.django_db


def errors_of(callable_, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        callable_(*args, **kwargs)
    return caught.value.message_dict


def composition(agreement, *, us=(), jp=(), partners=(), sources=1):
    return check_agreement_composition(
        agreement=agreement,
        participants=[ProposedParticipant(institution(slug)) for slug in (*us, *jp)],
        partners=[organization(slug) for slug in partners],
        sources=sources,
    )


# -- Composition: classification, partners, both countries -----------------------------


def test_a_blank_classification_with_a_partner_is_derived_as_consortium():
    agreement = Agreement(title="t")
    composition(
        agreement,
        us=["harvard-university"],
        jp=["tohoku-university"],
        partners=["national-science-foundation"],
    )
    assert agreement.classification == Classification.CONSORTIUM


def test_a_blank_classification_without_partners_is_derived_as_collaborative():
    agreement = Agreement(title="t")
    composition(agreement, us=["harvard-university"], jp=["tohoku-university"])
    assert agreement.classification == Classification.COLLABORATIVE


def test_a_consortium_without_a_non_he_partner_is_refused():
    agreement = Agreement(title="t", classification=Classification.CONSORTIUM)
    errors = errors_of(
        composition, agreement, us=["harvard-university"], jp=["tohoku-university"]
    )
    assert errors["partners"] == [
        "A consortium agreement needs at least one non-higher-education partner "
        "(government, NGO or industry). Add one, or classify the agreement as "
        "collaborative."
    ]


def test_a_collaborative_agreement_with_partners_is_refused_naming_them():
    agreement = Agreement(title="t", classification=Classification.COLLABORATIVE)
    errors = errors_of(
        composition,
        agreement,
        us=["harvard-university"],
        jp=["tohoku-university"],
        partners=["riken"],
    )
    assert "between higher-education institutions only" in errors["partners"][0]
    assert "RIKEN" in errors["partners"][0]


def test_a_published_agreement_without_a_japanese_participant_is_refused():
    agreement = Agreement(title="t", publication_state=PublicationState.PUBLISHED)
    errors = errors_of(
        composition, agreement, us=["harvard-university", "duke-university"]
    )
    assert errors["participants"] == [
        "The registry holds partnerships between U.S. and Japanese higher-education "
        "institutions: an agreement needs at least one Japanese higher-education "
        "participant, and this one has none."
    ]


def test_a_published_agreement_without_a_us_participant_is_refused():
    agreement = Agreement(title="t", publication_state=PublicationState.PUBLISHED)
    errors = errors_of(composition, agreement, jp=["tohoku-university"])
    assert "at least one U.S. higher-education participant" in errors["participants"][0]


def test_a_japanese_company_with_us_universities_alone_is_refused_as_unilateral():
    """The fact sheet's own example of what is not counted (Takeda with U.S.
    institutions)."""
    agreement = Agreement(
        title="Takeda and TDI", publication_state=PublicationState.PUBLISHED
    )
    errors = errors_of(
        composition,
        agreement,
        us=["cornell-university", "rockefeller-university"],
        partners=["takeda-pharmaceutical-company"],
    )
    message = " ".join(errors["participants"])
    assert "needs at least one Japanese higher-education participant" in message
    assert "“Takeda Pharmaceutical Company Limited” is a partner organization" in (
        message
    )
    assert "unilateral: the study does not count it" in message


def test_a_draft_may_still_lack_a_country_while_it_is_being_written():
    agreement = Agreement(title="t", publication_state=PublicationState.DRAFT)
    composition(agreement, us=["harvard-university"])
    assert agreement.classification == Classification.COLLABORATIVE


def harvard(unit: str) -> ProposedParticipant:
    return ProposedParticipant(institution("harvard-university"), unit)


def test_the_same_institution_and_unit_twice_is_refused():
    agreement = Agreement(title="t")
    with pytest.raises(ValidationError) as caught:
        check_agreement_composition(
            agreement=agreement,
            participants=[
                harvard("School of Medicine"),
                harvard("School of Medicine"),
                ProposedParticipant(institution("tohoku-university")),
            ],
            partners=[],
            sources=1,
        )
    assert caught.value.message_dict["participants"] == [
        "Harvard University is listed more than once with the same unit."
    ]


def test_the_same_institution_through_two_units_is_allowed():
    agreement = Agreement(title="t", publication_state=PublicationState.PUBLISHED)
    check_agreement_composition(
        agreement=agreement,
        participants=[
            harvard("School of Medicine"),
            harvard("School of Public Health"),
            ProposedParticipant(institution("tohoku-university")),
        ],
        partners=[],
        sources=1,
    )


# -- Agreement fields ------------------------------------------------------------------


def test_an_end_before_the_start_is_refused_with_both_dates_shown():
    agreement = Agreement(
        title="t",
        start_date=dt.date(2020, 1, 1),
        start_precision=DatePrecision.YEAR,
        end_date=dt.date(2019, 1, 1),
        end_precision=DatePrecision.YEAR,
    )
    errors = errors_of(agreement.full_clean)
    assert errors["end_date"] == ["The end (2019) is before the start (2020)."]


def test_a_partial_date_stands_for_its_whole_period():
    agreement = Agreement(
        title="t",
        start_date=dt.date(2019, 3, 20),
        start_precision=DatePrecision.MONTH,
        end_date=dt.date(2019, 3, 2),
        end_precision=DatePrecision.MONTH,
    )
    agreement.full_clean()
    assert agreement.start_date == dt.date(2019, 3, 1)
    assert agreement.end_date == dt.date(2019, 3, 31)
    assert (agreement.start_display, agreement.end_display) == ("2019-03", "2019-03")


def test_an_amount_without_a_currency_is_refused():
    agreement = Agreement(title="t", funding_amount=Decimal("1000"))
    assert errors_of(agreement.full_clean)["funding_currency"] == [
        "Give the currency of the funding amount (USD or JPY)."
    ]


def test_a_currency_without_an_amount_is_refused():
    agreement = Agreement(title="t", funding_currency="JPY")
    assert errors_of(agreement.full_clean)["funding_amount"] == [
        "A currency was given without an amount."
    ]


def test_a_negative_amount_is_refused():
    agreement = Agreement(
        title="t", funding_amount=Decimal("-1"), funding_currency="USD"
    )
    assert "funding_amount" in errors_of(agreement.full_clean)


def test_a_source_retrieved_in_the_future_is_refused():
    record = SourceRecord(
        agreement=Agreement.objects.first(),
        data_source=DataSource.objects.get(slug="jsps"),
        retrieved_on=dt.date.today() + dt.timedelta(days=2),
    )
    assert errors_of(record.full_clean)["retrieved_on"] == [
        "The retrieval date is in the future."
    ]


def test_one_source_identifier_cannot_describe_two_agreements():
    first, second = Agreement.objects.all()[:2]
    source = DataSource.objects.get(slug="usaspending")
    SourceRecord.objects.create(
        agreement=first, data_source=source, source_identifier="A-1"
    )
    duplicate = SourceRecord(
        agreement=second, data_source=source, source_identifier="A-1"
    )
    with pytest.raises(ValidationError):
        duplicate.full_clean()


# -- Institutions ----------------------------------------------------------------------


def new_institution(**fields) -> Institution:
    values = {
        "name": "Example University",
        "slug": "example-university",
        "country": "US",
        "institution_type": InstitutionType.US_PUBLIC,
    }
    return Institution(**(values | fields))


def test_an_institution_type_of_the_other_country_is_refused():
    errors = errors_of(
        new_institution(institution_type=InstitutionType.JP_NATIONAL).full_clean
    )
    assert errors["institution_type"] == [
        "“National (Japan)” is a type of the other country: choose a type for United "
        "States."
    ]


def test_a_prefecture_for_a_us_institution_is_refused():
    miyagi = Region.objects.get(country="JP", code="04")
    errors = errors_of(new_institution(region=miyagi).full_clean)
    assert errors["region"][0].startswith("Miyagi (04) is not in United States")


def test_a_carnegie_classification_for_a_japanese_institution_is_refused():
    candidate = new_institution(
        country="JP",
        institution_type=InstitutionType.JP_PRIVATE,
        research_classification="r1",
    )
    assert errors_of(candidate.full_clean)["research_classification"] == [
        "The Carnegie research classification applies to U.S. institutions only."
    ]


def test_a_campus_of_a_system_in_the_other_country_is_refused():
    candidate = new_institution(parent=institution("tohoku-university"))
    assert errors_of(candidate.full_clean)["parent"] == [
        "A campus and its system must be in the same country."
    ]


def test_a_system_cannot_become_a_campus_of_its_own_campus():
    system = institution("university-of-california")
    system.parent = institution("university-of-california-irvine")
    errors = errors_of(system.full_clean)
    assert "already one of this institution's campuses" in errors["parent"][0]


def test_coordinates_come_in_pairs_and_in_range():
    assert errors_of(new_institution(latitude=Decimal("10")).full_clean)[
        "longitude"
    ] == ["Give both latitude and longitude, or neither."]
    errors = errors_of(
        new_institution(latitude=Decimal("91"), longitude=Decimal("0")).full_clean
    )
    assert "latitude" in errors


@pytest.mark.parametrize(
    ("scheme", "value", "expected"),
    [
        (
            IdentifierScheme.ROR,
            "https://ror.org/not-a-ror",
            "nine characters such as 01dq60k83",
        ),
        (IdentifierScheme.IPEDS, "12345", "six digits such as 166027"),
        (IdentifierScheme.MEXT, "101110100010", "F and twelve digits"),
    ],
)
def test_a_malformed_identifier_is_refused_with_an_example(scheme, value, expected):
    identifier = InstitutionIdentifier(
        institution=institution("harvard-university"), scheme=scheme, value=value
    )
    message = errors_of(identifier.full_clean)["value"][0]
    assert "is not a valid" in message
    assert expected in message


def test_a_ror_url_is_stored_as_its_identifier():
    identifier = InstitutionIdentifier(
        institution=institution("harvard-university"),
        scheme=IdentifierScheme.ROR,
        value=" https://ror.org/0abcdef12 ",
    )
    identifier.full_clean(validate_unique=False, validate_constraints=False)
    assert identifier.value == "0abcdef12"


def test_a_mext_code_on_a_us_institution_is_refused():
    identifier = InstitutionIdentifier(
        institution=institution("harvard-university"),
        scheme=IdentifierScheme.MEXT,
        value="F999999999999",
    )
    assert errors_of(identifier.full_clean)["scheme"] == [
        "A MEXT school code identifies institutions in Japan only."
    ]


def test_one_identifier_cannot_belong_to_two_institutions():
    taken = InstitutionIdentifier.objects.filter(scheme=IdentifierScheme.IPEDS).first()
    copy = InstitutionIdentifier(
        institution=institution("tohoku-university"),
        scheme=taken.scheme,
        value=taken.value,
    )
    with pytest.raises(ValidationError):
        copy.full_clean()


# -- Organizations, programs, vocabularies ---------------------------------------------


def test_an_organization_ror_id_must_be_well_formed():
    org = organization("riken")
    org.ror_id = "RIKEN"
    assert "is not a ROR ID" in errors_of(org.full_clean)["ror_id"][0]


def test_a_program_cannot_end_before_it_starts():
    program = Program(name="p", slug="p", start_year=2020, end_year=2019)
    assert errors_of(program.full_clean)["end_year"] == [
        "A program cannot end before it starts."
    ]


def test_disciplines_have_two_levels_only():
    subfield = Discipline.objects.filter(parent__isnull=False).first()
    third = Discipline(name="Too deep", slug="too-deep", parent=subfield)
    assert errors_of(third.full_clean)["parent"] == [
        "Disciplines have two levels: choose a field, not a subfield."
    ]


def test_a_field_with_subfields_cannot_become_a_subfield():
    field_with_children = Discipline.objects.get(slug="health-medical-sciences")
    field_with_children.parent = Discipline.objects.get(slug="natural-sciences")
    assert errors_of(field_with_children.full_clean)["parent"] == [
        "This discipline has subfields, so it must stay a field."
    ]


def test_a_prefecture_code_outside_01_to_47_is_refused():
    region = Region(country="JP", code="48", name="Nowhere", slug="nowhere")
    assert "01 to 47" in errors_of(region.full_clean)["code"][0]


def test_a_data_source_coverage_cannot_end_before_it_starts():
    source = DataSource(name="s", slug="s", coverage_start=2020, coverage_end=2017)
    assert errors_of(source.full_clean)["coverage_end"] == [
        "Coverage cannot end before it starts."
    ]


def test_organizations_are_never_institutions():
    """Domain rule: national laboratories and RIKEN are non-HE partners, not
    institutions."""
    assert not Institution.objects.filter(
        name__icontains="National Laboratory"
    ).exists()
    assert (
        Organization.objects.get(slug="brookhaven-national-laboratory").sector
        == "national_lab"
    )

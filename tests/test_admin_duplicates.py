"""Duplicates caught in the admin by the checks imports make
(registry.admin.duplicates), and autocompletes that tell like-named records apart
(registry.admin.autocomplete).

Every test starts from the reference data loaded by ``conftest.py``: the University of
Michigan there has "University of Michigan-Ann Arbor" among its aliases.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from registry.admin.duplicates import likely_duplicate_agreements
from registry.models import (
    Agreement,
    IdentifierScheme,
    Institution,
    Organization,
    Region,
    Sector,
)
from tests.factories import institution, make_agreement, organization
from tests.test_admin import admin_url, page_of, resubmission

# --------------------------------------------------------------------------------------
# Helpers


def form_post(client, url, **fields):
    """POST the admin form at ``url`` as a browser sends it back with ``fields``
    typed in (and its inline rows left as they are)."""
    return client.post(url, resubmission(client.get(url)) | fields)


NEW_MICHIGAN = {
    "name": "Univ. of Michigan – Ann Arbor",
    "slug": "univ-of-michigan-ann-arbor",
    "country": "US",
    "institution_type": "us_public",
}


def add_institution(client, **fields):
    return form_post(client, admin_url(Institution, "add"), **fields)


# --------------------------------------------------------------------------------------
# Institutions


def test_an_institution_named_as_another_ones_alias_is_refused_with_a_link_to_it(
    curator_client,
):
    """Punctuation, "Univ." and the dash aside, the name is U-M's alias."""
    michigan = institution("university-of-michigan")

    response = add_institution(curator_client, **NEW_MICHIGAN)

    assert response.status_code == 200
    assert not Institution.objects.filter(slug=NEW_MICHIGAN["slug"]).exists()
    [error] = response.context["adminform"].form.errors["name"]
    assert "(as imports compare names)" in error
    assert (
        f'<a href="{admin_url(Institution, "change", michigan.pk)}">'
        "University of Michigan</a>"
    ) in page_of(response)
    assert 'name="create_anyway"' in page_of(response)
    assert not re.search(r"\sstyle=", page_of(response))  # the CSP allows none


def test_create_anyway_saves_an_institution_the_guard_refused(curator_client):
    response = add_institution(curator_client, **NEW_MICHIGAN, create_anyway="on")

    assert response.status_code == 302
    assert (
        Institution.objects.get(slug=NEW_MICHIGAN["slug"]).name
        == (NEW_MICHIGAN["name"])
    )


def test_an_institution_with_another_ones_japanese_name_is_refused(curator_client):
    response = add_institution(
        curator_client,
        **NEW_MICHIGAN | {"name": "Wolverine College", "name_ja": "ミシガン大学"},
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["name_ja"]


def test_a_new_name_of_no_one_offers_no_create_anyway(curator_client):
    """The checkbox is shown only in answer to the guard: not on a blank add page,
    nor when the form fails for another reason."""
    blank = curator_client.get(admin_url(Institution, "add"))
    response = add_institution(
        curator_client,
        **NEW_MICHIGAN | {"name": "Wolverine College", "slug": "not a slug"},
    )

    assert 'name="create_anyway"' not in page_of(blank)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["slug"]
    assert 'name="create_anyway"' not in page_of(response)


def test_editing_an_institution_is_not_refused_for_its_own_names(curator_client):
    """Its name may become one of its own aliases, and back."""
    michigan = institution("university-of-michigan")

    response = form_post(
        curator_client,
        admin_url(Institution, "change", michigan.pk),
        name="University of Michigan-Ann Arbor",
        city="Ann Arbor, MI",
    )

    assert response.status_code == 302
    michigan.refresh_from_db()
    assert (michigan.name, michigan.city) == (
        "University of Michigan-Ann Arbor",
        "Ann Arbor, MI",
    )


def test_editing_one_of_two_same_named_institutions_keeps_its_name_unchecked(
    curator_client,
):
    """Two records may share a name once a curator said so: editing anything else of
    one of them is not refused each time."""
    twin = Institution.objects.create(
        name="University of Michigan-Ann Arbor",
        slug="university-of-michigan-twin",
        country="US",
        institution_type="us_public",
    )

    response = form_post(
        curator_client, admin_url(Institution, "change", twin.pk), city="Ann Arbor"
    )

    assert response.status_code == 302


def test_renaming_an_institution_to_another_ones_name_is_refused(curator_client):
    record = institution("michigan-state-university")

    response = form_post(
        curator_client,
        admin_url(Institution, "change", record.pk),
        name="University of Michigan",
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["name"]


# --------------------------------------------------------------------------------------
# Organizations


def test_an_exact_copy_of_an_organization_is_refused_with_an_escaped_link(
    curator_client,
):
    original = Organization.objects.create(
        name="Tom & Jerry <Labs>", slug="tom-and-jerry-labs", sector=Sector.INDUSTRY
    )

    response = form_post(
        curator_client,
        admin_url(Organization, "add"),
        name=original.name,
        slug="tom-and-jerry-labs-2",
        sector=Sector.INDUSTRY,
    )

    assert response.status_code == 200
    assert Organization.objects.filter(name=original.name).count() == 1
    assert list(response.context["adminform"].form.errors) == ["name"]
    assert (
        f'<a href="{admin_url(Organization, "change", original.pk)}">'
        "Tom &amp; Jerry &lt;Labs&gt;</a>"
    ) in page_of(response)
    assert "<Labs>" not in page_of(response)


def test_create_anyway_saves_an_organization_copy(curator_client):
    response = form_post(
        curator_client,
        admin_url(Organization, "add"),
        name="JSPS",  # an alias of the Japan Society for the Promotion of Science
        slug="jsps-2",
        sector=Sector.GOVERNMENT,
        create_anyway="on",
    )

    assert response.status_code == 302
    assert Organization.objects.filter(slug="jsps-2").exists()


# --------------------------------------------------------------------------------------
# Autocompletes


def autocomplete(client, *, model_name, field_name, term):
    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "registry",
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )
    assert response.status_code == 200
    return {row["id"]: row["text"] for row in response.json()["results"]}


def test_the_institution_autocomplete_tells_the_michigans_apart(curator_client):
    michigan = institution("university-of-michigan")

    labels = autocomplete(
        curator_client,
        model_name="agreementparticipant",
        field_name="institution",
        term="Michigan",
    )

    assert labels[str(michigan.pk)] == (
        "University of Michigan · ミシガン大学 · Ann Arbor, Michigan · "
        "IPEDS UNITID 170976, ROR ID 00jmfr291"
    )


def test_the_organization_autocomplete_shows_japanese_name_sector_and_ror(
    curator_client,
):
    riken = organization("riken")
    riken.ror_id = "01sjwvz98"
    riken.save()

    labels = autocomplete(
        curator_client,
        model_name="agreementpartner",
        field_name="organization",
        term="RIKEN",
    )

    assert labels[str(riken.pk)] == (
        "RIKEN · 理化学研究所 · National laboratory or research institute · "
        "ROR ID 01sjwvz98"
    )


def test_an_autocomplete_without_a_label_of_its_own_lists_records_as_before(
    curator_client,
):
    michigan = Region.objects.get(country="US", code="MI")

    labels = autocomplete(
        curator_client, model_name="institution", field_name="region", term="Michigan"
    )

    assert labels == {str(michigan.pk): "Michigan (MI)"}


def test_the_autocomplete_is_for_staff_only(client):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "registry", "model_name": "agreementparticipant"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_institution_autocomplete_costs_the_same_queries_for_2_or_20_results(
    curator_client, django_assert_num_queries
):
    """Region joined and identifiers prefetched by InstitutionAdmin.get_queryset; the
    results in the admin's order, by name."""
    california = Region.objects.get(country="US", code="CA")

    def add(start, stop):
        for index in range(start, stop):
            record = Institution.objects.create(
                name=f"Zephyr College {index}",
                slug=f"zephyr-college-{index}",
                country="US",
                institution_type="us_public",
                city="Zephyr",
                region=california,
            )
            record.identifiers.create(
                scheme=IdentifierScheme.IPEDS, value=f"{990000 + index}"
            )
            record.identifiers.create(
                scheme=IdentifierScheme.ROR, value=f"0zz{index:04d}00"
            )

    def search():
        return autocomplete(
            curator_client,
            model_name="agreementparticipant",
            field_name="institution",
            term="Zephyr",
        )

    # 7 = session, user, user permissions, group permissions; the count of results;
    # the page of them (region joined, agreements counted); their identifiers.
    add(0, 2)
    with django_assert_num_queries(7):
        assert len(search()) == 2
    add(2, 20)
    with django_assert_num_queries(7):
        labels = search()
    assert list(labels) == [
        str(pk)
        for pk in Institution.objects.filter(name__startswith="Zephyr")
        .order_by("name")
        .values_list("pk", flat=True)
    ]
    assert all(", California · IPEDS UNITID 99" in text for text in labels.values())


# --------------------------------------------------------------------------------------
# Agreements: the check another form calls


def _proposal(title, *, start_date=None):
    return Agreement(title=title, start_date=start_date)


def _ids(*slugs):
    return {institution(slug).pk for slug in slugs}


@pytest.mark.django_db
def test_likely_duplicate_agreements_finds_an_exact_copy_and_not_another_agreement():
    copied = make_agreement(
        title="Kelp forest resilience", us=("university-of-michigan",)
    )
    make_agreement(title="Volcanic soils survey", us=("harvard-university",))

    found = likely_duplicate_agreements(
        agreement=_proposal("Kelp forest resilience"),
        institution_ids=_ids("university-of-michigan", "tohoku-university"),
    )

    assert found == [copied]


@pytest.mark.django_db
def test_likely_duplicate_agreements_wants_the_same_institutions_for_the_same_title():
    make_agreement(title="Kelp forest resilience", us=("university-of-michigan",))

    found = likely_duplicate_agreements(
        agreement=_proposal("Kelp forest resilience"),
        institution_ids=_ids("harvard-university", "tohoku-university"),
    )

    assert found == []


@pytest.mark.django_db
def test_likely_duplicate_agreements_finds_a_close_title_of_the_same_year():
    """As the sheet: a typo in the title, some of the institutions, the same year;
    the year differing, it is another agreement."""
    start = dt.date(2021, 4, 1)
    close = make_agreement(
        title="Kelp forest resilience study",
        us=("university-of-michigan",),
        start_date=start,
    )
    make_agreement(
        title="Kelp forest resilience study",
        us=("university-of-michigan",),
        start_date=dt.date(2019, 4, 1),
    )

    found = likely_duplicate_agreements(
        agreement=_proposal("Kelp forest resilence study", start_date=start),
        institution_ids=_ids("university-of-michigan", "tohoku-university"),
    )

    assert found == [close]


@pytest.mark.django_db
def test_likely_duplicate_agreements_leaves_out_the_agreement_itself():
    agreement = make_agreement(title="Kelp forest resilience")

    found = likely_duplicate_agreements(
        agreement=agreement,
        institution_ids=_ids("harvard-university", "tohoku-university"),
    )

    assert found == []

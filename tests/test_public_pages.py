"""The public pages of this issue: only published records, ever."""

import pytest
from django.urls import reverse

from registry.models import CaseStudy, PublicationState
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db


def test_a_published_agreement_has_a_page_with_its_participants(client):
    agreement = make_agreement(title="Quantum sciences partnership")
    response = client.get(agreement.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Quantum sciences partnership" in page
    assert agreement.public_id in page
    assert "Harvard University" in page and "Tohoku University" in page


@pytest.mark.parametrize(
    "state",
    [PublicationState.DRAFT, PublicationState.IN_REVIEW, PublicationState.WITHDRAWN],
)
def test_an_unpublished_agreement_is_not_found(client, state):
    agreement = make_agreement(state=state)
    assert client.get(agreement.get_absolute_url()).status_code == 404


def test_a_malformed_public_id_is_not_found(client):
    url = reverse("registry:agreement_detail", kwargs={"public_id": "nonsense"})
    assert client.get(url).status_code == 404


def test_an_institution_page_lists_only_published_agreements(client):
    make_agreement(title="Visible partnership")
    make_agreement(title="Draft partnership", state=PublicationState.DRAFT)
    page = client.get(
        reverse("registry:institution_detail", args=["tohoku-university"])
    )
    assert "Visible partnership" in page.content.decode()
    assert "Draft partnership" not in page.content.decode()


def test_a_synthetic_agreement_says_so(client):
    agreement = make_agreement(is_synthetic=True)
    assert (
        "Synthetic demo record"
        in client.get(agreement.get_absolute_url()).content.decode()
    )


def test_a_draft_case_study_is_not_found(client):
    study = CaseStudy.objects.create(title="Draft", slug="draft")
    assert client.get(study.get_absolute_url()).status_code == 404


def test_names_are_escaped(client):
    agreement = make_agreement(title="<script>alert(1)</script>")
    page = client.get(agreement.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_the_home_page_counts_published_agreements(client):
    page = client.get("/").content.decode()
    assert "<strong>6</strong> <span>published agreements</span>" in page


def test_the_home_page_is_made_once_for_each_version_of_the_registry(
    client, django_assert_max_num_queries
):
    first = client.get("/").content.decode()
    with django_assert_max_num_queries(1):  # the version check alone
        again = client.get("/").content.decode()
    make_agreement(title="Ocean acoustics exchange")
    changed = client.get("/").content.decode()
    japanese = client.get("/ja/").content.decode()

    assert again == first
    assert "<strong>6</strong> <span>published agreements</span>" in again
    assert "<strong>7</strong> <span>published agreements</span>" in changed
    assert 'lang="ja"' in japanese

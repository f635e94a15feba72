"""seed_demo: deterministic, labelled synthetic agreements that never touch real
ones."""

import pytest
from django.core.management import CommandError, call_command

from registry.demo import seed_demo_agreements
from registry.models import (
    Agreement,
    Classification,
    Country,
    Institution,
    PublicationState,
)
from registry.rules import check_saved_agreement

pytestmark = pytest.mark.django_db


def snapshot():
    return list(
        Agreement.objects.filter(is_synthetic=True)
        .order_by("pk")
        .values_list(
            "title", "classification", "start_date", "end_date", "funding_amount"
        )
    )


def test_the_same_seed_gives_the_same_agreements():
    seed_demo_agreements(count=60, seed=7)
    first = snapshot()
    seed_demo_agreements(count=60, seed=7)
    assert snapshot() == first
    seed_demo_agreements(count=60, seed=8)
    assert snapshot() != first


def test_reseeding_replaces_synthetic_agreements_and_keeps_real_ones():
    real = set(
        Agreement.objects.filter(is_synthetic=False).values_list("pk", flat=True)
    )
    seed_demo_agreements(count=30, seed=1)
    report = seed_demo_agreements(count=20, seed=2)
    assert report.deleted == 30
    assert Agreement.objects.filter(is_synthetic=True).count() == 20
    assert (
        set(Agreement.objects.filter(is_synthetic=False).values_list("pk", flat=True))
        == real
    )


def test_every_synthetic_agreement_is_labelled_and_obeys_the_rules():
    seed_demo_agreements(count=120, seed=3)
    synthetic = Agreement.objects.filter(is_synthetic=True)
    assert synthetic.count() == 120
    for agreement in synthetic.prefetch_related("sources__data_source"):
        assert agreement.summary.startswith("Synthetic demo record")
        assert [s.data_source.slug for s in agreement.sources.all()] == [
            "synthetic-demo"
        ]
        check_saved_agreement(agreement)  # raises if a rule is broken
        countries = set(
            Institution.objects.filter(participations__agreement=agreement).values_list(
                "country", flat=True
            )
        )
        assert countries == {Country.US, Country.JP}


def test_the_mix_resembles_the_study():
    seed_demo_agreements(count=400, seed=2021)
    synthetic = Agreement.objects.filter(is_synthetic=True)
    consortium = synthetic.filter(classification=Classification.CONSORTIUM).count()
    drafts = synthetic.exclude(publication_state=PublicationState.PUBLISHED).count()
    assert 160 < consortium < 280
    assert 10 < drafts < 80
    years = set(synthetic.values_list("start_date__year", flat=True))
    assert years == {2017, 2018, 2019, 2020}


def test_seeding_without_reference_data_explains_what_to_do():
    Agreement.objects.all().delete()
    Institution.objects.update(parent=None)
    Institution.objects.all().delete()
    with pytest.raises(CommandError, match="Load the reference data first"):
        call_command("seed_demo", agreements=5, seed=1)


def test_the_command_reports_what_it_did(capsys):
    call_command("seed_demo", agreements=10, seed=1)
    assert "10 synthetic agreements created (seed 1)" in capsys.readouterr().out

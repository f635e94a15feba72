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


def test_titles_agree_with_each_record():
    """A consortium title only on a consortium, a partner only if the record has it,
    and the lead institutions named are participants; a Japanese title too."""
    seed_demo_agreements(count=150, seed=11)
    synthetic = Agreement.objects.filter(is_synthetic=True).prefetch_related(
        "participants__institution", "partners__organization"
    )
    for agreement in synthetic:
        consortium = agreement.classification == Classification.CONSORTIUM
        assert ("consortium" in agreement.title.lower()) == consortium, agreement.title
        assert ("コンソーシアム" in agreement.title_ja) == consortium
        _, names = agreement.title.rsplit(": ", 1)
        us_name, jp_name = names.split(" and ", 1)
        institutions = {p.institution.name for p in agreement.participants.all()}
        assert {us_name, jp_name} <= institutions, agreement.title
        partners = {p.organization.name for p in agreement.partners.all()}
        if " with " in agreement.title:
            named = agreement.title.split(" with ", 1)[1].split(": ")[0]
            assert named in partners, agreement.title


def test_seeding_twice_keeps_the_same_records_and_public_ids(capsys):
    seed_demo_agreements(count=40, seed=5)
    first = list(Agreement.objects.filter(is_synthetic=True).values_list("pk", "title"))
    report = seed_demo_agreements(count=40, seed=5)
    assert (report.created, report.deleted, report.kept) == (0, 0, 40)
    assert (
        list(Agreement.objects.filter(is_synthetic=True).values_list("pk", "title"))
        == first
    )
    call_command("seed_demo", agreements=40, seed=5)
    assert "kept, with their public IDs" in capsys.readouterr().out
    forced = seed_demo_agreements(count=40, seed=5, force=True)
    assert forced.created == 40 and forced.deleted == 40
    assert Agreement.objects.filter(is_synthetic=True).count() == 40


def test_another_count_or_seed_regenerates():
    seed_demo_agreements(count=40, seed=5)
    assert seed_demo_agreements(count=41, seed=5).created == 41
    assert seed_demo_agreements(count=41, seed=6).created == 41

"""Synthetic demo agreements over the real institutions, for demonstrations and
benchmarks.

Deterministic for a given count and seed, written in batches so memory stays flat
however many are asked for. Asked again for the same count and seed, it keeps what it
made, so public IDs stay put from one ``make run`` to the next. Every record is flagged
``is_synthetic``, cites the "Synthetic demo data" source and says so in its summary;
real records are never touched. Titles say what the record is: a consortium title only
on a consortium, and only institutions and partners the record has.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .dates import DatePrecision, period_bounds
from .models import (
    ActivityType,
    Agreement,
    AgreementFacet,
    AgreementParticipant,
    AgreementPartner,
    CaseStudy,
    Classification,
    Country,
    Currency,
    DataSource,
    Discipline,
    Institution,
    InstitutionType,
    Organization,
    ParticipantRole,
    PartnerRole,
    Program,
    PublicationState,
    ResearchClassification,
    SearchIndexVersion,
    Sector,
    SourceRecord,
)
from .search import AgreementIndexer, AgreementParts, write_facet_rows

SYNTHETIC_SOURCE_SLUG = "synthetic-demo"
# Part of every source ID it writes: a new version of the generator (other titles, other
# shares) makes the next run regenerate rather than keep what an older one made.
GENERATOR = "seed-v2"
BATCH_SIZE = 2000

# Shares chosen to resemble the study: mostly published, consortium slightly ahead (the
# fact sheet: consortium agreements "seem to prevail" among doctoral STEM institutions).
PUBLICATION_WEIGHTS = {
    PublicationState.PUBLISHED: 90,
    PublicationState.DRAFT: 6,
    PublicationState.IN_REVIEW: 3,
    PublicationState.WITHDRAWN: 1,
}
PARTNER_ROLE_BY_SECTOR = {
    Sector.GOVERNMENT: PartnerRole.FUNDER,
    Sector.NATIONAL_LAB: PartnerRole.HOST_FACILITY,
    Sector.INDUSTRY: PartnerRole.INDUSTRY_PARTNER,
    Sector.NGO: PartnerRole.SPONSOR,
    Sector.INTERGOVERNMENTAL: PartnerRole.PARTNER,
}
# (English, Japanese) title patterns by classification; the institutions follow.
TITLE_PATTERNS = {
    Classification.COLLABORATIVE: [
        ("Joint research in {discipline}", "{discipline}の共同研究"),
        ("{discipline} research partnership", "{discipline}研究パートナーシップ"),
        (
            "Collaborative research program in {discipline}",
            "{discipline}共同研究プログラム",
        ),
    ],
    Classification.CONSORTIUM: [
        (
            "{discipline}: U.S.-Japan research consortium",
            "{discipline}：日米研究コンソーシアム",
        ),
        (
            "{discipline} research consortium with {partner}",
            "{partner}と連携する{discipline}研究コンソーシアム",
        ),
        ("Consortium research in {discipline}", "{discipline}のコンソーシアム研究"),
    ],
}


class DemoDataError(Exception):
    pass


@dataclass
class SeedReport:
    deleted: int
    created: int
    kept: int = 0  # already there from the same count and seed


def _weighted(records, weight: Callable):
    weights = [weight(record) for record in records]
    return records, weights


def _institution_weight(institution) -> int:
    # Large research-intensive institutions dominate the study's data.
    if institution.research_classification == ResearchClassification.R1:
        return 6
    if institution.institution_type == InstitutionType.JP_NATIONAL:
        return 4
    if institution.institution_type == InstitutionType.JP_INTER_UNIVERSITY:
        return 2
    return 1


def rows_of_agreements() -> list:
    """Every model whose rows belong to one agreement (by an ``agreement`` key): what
    goes with an agreement deleted in SQL."""
    return [
        AgreementFacet,
        AgreementParticipant,
        AgreementPartner,
        SourceRecord,
        Agreement.disciplines.through,
        Agreement.activity_types.through,
        CaseStudy.agreements.through,
    ]


def delete_synthetic_agreements() -> int:
    """Remove every synthetic agreement and its rows, without touching real records.

    Synthetic rows have no history to keep, so they go by plain SQL deletes rather than
    one signal per row.
    """
    synthetic = Agreement.objects.filter(is_synthetic=True)
    for model in rows_of_agreements():
        model.objects.filter(agreement__in=synthetic)._raw_delete(model.objects.db)
    return synthetic._raw_delete(synthetic.db)


def _already_seeded(*, count: int, seed: int) -> bool:
    synthetic = Agreement.objects.filter(is_synthetic=True)
    if synthetic.count() != count:
        return False
    made_here = SourceRecord.objects.filter(
        agreement__is_synthetic=True,
        data_source__slug=SYNTHETIC_SOURCE_SLUG,
        source_identifier__startswith=f"{GENERATOR}-{seed}-",
    )
    return made_here.count() == count


def seed_demo_agreements(
    *,
    count: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> SeedReport:
    """``count`` synthetic agreements from ``seed``; those already made from the same
    count and seed are kept unless ``force``."""
    if count < 0:
        raise DemoDataError("The number of agreements cannot be negative.")
    if not force and _already_seeded(count=count, seed=seed):
        return SeedReport(deleted=0, created=0, kept=count)
    rng = random.Random(seed)
    us = list(Institution.objects.filter(country=Country.US).order_by("pk"))
    jp = list(Institution.objects.filter(country=Country.JP).order_by("pk"))
    organizations = list(Organization.objects.order_by("pk"))
    subfields = list(Discipline.objects.filter(parent__isnull=False).order_by("pk"))
    activities = list(ActivityType.objects.order_by("position", "pk"))
    programs = list(Program.objects.order_by("pk"))
    source = DataSource.objects.filter(slug=SYNTHETIC_SOURCE_SLUG).first()
    if not (us and jp and organizations and subfields and activities and source):
        raise DemoDataError(
            "Load the reference data first (python manage.py load_reference_data): "
            "demo agreements are made over the real institutions, organizations and "
            "taxonomies."
        )
    us_pool, us_weights = _weighted(us, _institution_weight)
    jp_pool, jp_weights = _weighted(jp, _institution_weight)
    evidence = [a for a in activities if a.is_research_evidence] or activities
    others = [a for a in activities if not a.is_research_evidence] or activities
    states, state_weights = zip(*PUBLICATION_WEIGHTS.items(), strict=True)
    now = timezone.now()

    with transaction.atomic():
        deleted = delete_synthetic_agreements()
        indexer = AgreementIndexer()
        created = 0
        while created < count:
            size = min(BATCH_SIZE, count - created)
            plans = [
                _plan(
                    rng,
                    number=created + offset + 1,
                    seed=seed,
                    us=(us_pool, us_weights),
                    jp=(jp_pool, jp_weights),
                    organizations=organizations,
                    subfields=subfields,
                    evidence=evidence,
                    others=others,
                    programs=programs,
                    states=states,
                    state_weights=state_weights,
                    now=now,
                )
                for offset in range(size)
            ]
            parts = [_parts(plan, source) for plan in plans]
            for plan, plan_parts in zip(plans, parts, strict=True):
                indexer.fill_documents(plan.agreement, plan_parts)
            agreements = Agreement.objects.bulk_create(
                [plan.agreement for plan in plans]
            )
            _bulk_create_rows(plans, agreements, source)
            write_facet_rows(
                row
                for agreement, plan_parts in zip(agreements, parts, strict=True)
                for row in indexer.facet_rows(agreement, plan_parts)
            )
            created += size
            if progress:
                progress(created)
        SearchIndexVersion.bump()
        if connection.vendor == "postgresql":
            # Fresh statistics after a bulk load, on every table it filled: without
            # them the planner takes 100,000 rows for none, re-tokenizes every row of a
            # text search and joins the link tables badly.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    return SeedReport(deleted=deleted, created=created)


@dataclass
class _Plan:
    agreement: Agreement
    participants: list
    partners: list
    disciplines: list
    activities: list
    source_identifier: str


def _plan(
    rng,
    *,
    number,
    seed,
    us,
    jp,
    organizations,
    subfields,
    evidence,
    others,
    programs,
    states,
    state_weights,
    now,
) -> _Plan:
    consortium = rng.random() < 0.55
    us_members = _distinct(rng, *us, k=rng.choice((1, 1, 1, 2, 2, 3)))
    jp_members = _distinct(rng, *jp, k=rng.choice((1, 1, 1, 2, 2, 3)))
    participants = [
        (institution, ParticipantRole.LEAD if index == 0 else ParticipantRole.PARTNER)
        for index, institution in enumerate(us_members + jp_members)
    ]
    partners = []
    if consortium:
        for organization in rng.sample(organizations, k=rng.choice((1, 1, 2))):
            partners.append((organization, PARTNER_ROLE_BY_SECTOR[organization.sector]))
    disciplines = rng.sample(subfields, k=rng.choice((1, 1, 2)))
    activities = rng.sample(evidence, k=rng.choice((1, 2)))
    if rng.random() < 0.2:
        activities.append(rng.choice(others))
    start_year = rng.randint(2017, 2020)
    precision = rng.choice((DatePrecision.YEAR, DatePrecision.MONTH, DatePrecision.DAY))
    start = dt.date(start_year, rng.randint(1, 12), rng.randint(1, 28))
    start = period_bounds(start, precision)[0]
    end = None
    if rng.random() < 0.85:
        end_raw = dt.date(
            start_year + rng.randint(1, 6), rng.randint(1, 12), rng.randint(1, 28)
        )
        end = period_bounds(end_raw, precision)[1]
    amount, currency = None, ""
    if rng.random() < 0.6:
        if rng.random() < 0.5:
            amount, currency = Decimal(rng.randrange(50, 5000) * 1000), Currency.USD
        else:
            amount, currency = Decimal(rng.randrange(5, 500) * 1_000_000), Currency.JPY
    state = rng.choices(states, weights=state_weights)[0]
    classification = (
        Classification.CONSORTIUM if consortium else Classification.COLLABORATIVE
    )
    title, title_ja = _titles(
        rng,
        classification=classification,
        discipline=disciplines[0],
        partner=partners[0][0] if partners else None,
        lead_us=us_members[0],
        lead_jp=jp_members[0],
    )
    agreement = Agreement(
        title=title,
        title_ja=title_ja,
        summary=(
            f"Synthetic demo record #{number} generated by seed_demo (seed {seed}); "
            "not a real agreement."
        ),
        classification=classification,
        program=rng.choice(programs)
        if programs and consortium and rng.random() < 0.3
        else None,
        start_date=start,
        start_precision=precision,
        end_date=end,
        end_precision=precision,
        funding_amount=amount,
        funding_currency=currency,
        publication_state=state,
        published_at=now if state == PublicationState.PUBLISHED else None,
        is_synthetic=True,
    )
    return _Plan(
        agreement=agreement,
        participants=participants,
        partners=partners,
        disciplines=disciplines,
        activities=activities,
        source_identifier=f"{GENERATOR}-{seed}-{number:07d}",
    )


def _titles(rng, *, classification, discipline, partner, lead_us, lead_jp):
    """An English and a Japanese title that agree with the record: its class, first
    discipline, first partner and lead institutions."""
    english, japanese = rng.choice(TITLE_PATTERNS[classification])
    values = {"discipline": discipline.name, "partner": partner and partner.name}
    values_ja = {
        "discipline": discipline.name_ja or discipline.name,
        "partner": partner and (partner.name_ja or partner.name),
    }
    us_ja = lead_us.name_ja or lead_us.name
    jp_ja = lead_jp.name_ja or lead_jp.name
    return (
        f"{english.format(**values)}: {lead_us.name} and {lead_jp.name}",
        f"{japanese.format(**values_ja)}（{us_ja}・{jp_ja}）",
    )


def _parts(plan, source) -> AgreementParts:
    return AgreementParts(
        institution_ids=[institution.pk for institution, _role in plan.participants],
        organization_ids=[organization.pk for organization, _role in plan.partners],
        discipline_ids=[discipline.pk for discipline in plan.disciplines],
        activity_ids=[activity.pk for activity in plan.activities],
        sources=[(source.pk, plan.source_identifier)],
    )


def _distinct(rng, pool, weights, *, k):
    chosen = []
    while len(chosen) < min(k, len(pool)):
        candidate = rng.choices(pool, weights=weights)[0]
        if candidate not in chosen:
            chosen.append(candidate)
    return chosen


def _bulk_create_rows(plans, agreements, source):
    discipline_link = Agreement.disciplines.through
    activity_link = Agreement.activity_types.through
    AgreementParticipant.objects.bulk_create(
        AgreementParticipant(agreement=agreement, institution=institution, role=role)
        for plan, agreement in zip(plans, agreements, strict=True)
        for institution, role in plan.participants
    )
    AgreementPartner.objects.bulk_create(
        AgreementPartner(agreement=agreement, organization=organization, role=role)
        for plan, agreement in zip(plans, agreements, strict=True)
        for organization, role in plan.partners
    )
    SourceRecord.objects.bulk_create(
        SourceRecord(
            agreement=agreement,
            data_source=source,
            source_identifier=plan.source_identifier,
        )
        for plan, agreement in zip(plans, agreements, strict=True)
    )
    discipline_link.objects.bulk_create(
        discipline_link(agreement_id=agreement.pk, discipline_id=discipline.pk)
        for plan, agreement in zip(plans, agreements, strict=True)
        for discipline in plan.disciplines
    )
    activity_link.objects.bulk_create(
        activity_link(agreement_id=agreement.pk, activitytype_id=activity.pk)
        for plan, agreement in zip(plans, agreements, strict=True)
        for activity in plan.activities
    )

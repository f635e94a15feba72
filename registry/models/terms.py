"""What an agreement's words mean, for every path that reads them: its public ID, its
classes and roles, the status rule, year spans, search orders and the order in which
participants are listed (SQL, the search engine and Python all read these)."""

import datetime as dt
import functools
import re

import numpy as np
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ..dates import DatePrecision, period_bounds
from .common import Country

PUBLIC_ID_PREFIX = "USJP-"
PUBLIC_ID = re.compile(r"^USJP-(\d{6,})$", re.IGNORECASE)


def format_public_id(pk: int) -> str:
    return f"{PUBLIC_ID_PREFIX}{pk:06d}"


def parse_public_id(text: str) -> int | None:
    """The primary key behind a public ID such as USJP-000042, or None if it is not
    one."""
    match = PUBLIC_ID.match((text or "").strip())
    return int(match.group(1)) if match else None


class Classification(models.TextChoices):
    """The study's two classes (fact sheet, "Definitions and Data Collection")."""

    COLLABORATIVE = "collaborative", _("Collaborative")
    CONSORTIUM = "consortium", _("Consortium")


class Status(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    UNKNOWN = "unknown", _("Dates unknown")


def status_rule(*, not_started, finished, undated) -> dict:
    """The one definition of an agreement's status, over three conditions ("starts
    after today", "ended before today", "neither start nor end is known") in any form
    that combines with ``&`` and ``~``: Q objects for SQL, numpy masks for the search
    engine, numpy booleans for one agreement. An agreement with neither date has an
    unknown status; otherwise an unknown start has started and an unknown end runs
    on."""
    return {
        Status.UPCOMING: not_started,
        Status.ENDED: finished & ~not_started,
        Status.ACTIVE: ~not_started & ~finished & ~undated,
        Status.UNKNOWN: undated,
    }


@functools.lru_cache(maxsize=65536)
def status_on(today: dt.date, start: dt.date | None, end: dt.date | None) -> str:
    """One agreement's status on ``today``: ``status_rule`` on single values (kept,
    as an export asks it of every agreement and most share their dates)."""
    rule = status_rule(
        not_started=np.bool_(start is not None and start > today),
        finished=np.bool_(end is not None and end < today),
        undated=np.bool_(start is None and end is None),
    )
    return next(status for status, holds in rule.items() if holds)


def year_span(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a year: what "in 2019", "from 2019" and "until
    2019" compare with, in SQL and in the engine."""
    return period_bounds(dt.date(year, 1, 1), DatePrecision.YEAR)


class Sort:
    """How a search is ordered. The engine reads each order from the database with
    these same orderings (registry.engine), so both paths list results alike."""

    RELEVANCE = "relevance"
    NEWEST = "newest"
    START = "start"
    TITLE = "title"
    CHOICES = [
        (RELEVANCE, _("Relevance")),
        (NEWEST, _("Newest first")),
        (START, _("Start date")),
        (TITLE, _("Title")),
    ]
    # Unknown dates last; ties by public ID. On PostgreSQL the published agreements
    # are indexed in each of these orders (migration 0008): change both together.
    ORDERINGS = {
        # By name, not F(): Django then casts a constant relevance (a search of no
        # words), which PostgreSQL refuses to order by as it stands.
        RELEVANCE: ["-relevance", "-pk"],
        NEWEST: [F("published_at").desc(nulls_last=True), "-pk"],
        START: [F("start_date").desc(nulls_last=True), "-pk"],
        TITLE: [Lower("title"), "pk"],
    }


class Currency(models.TextChoices):
    USD = "USD", _("U.S. dollar")
    JPY = "JPY", _("Japanese yen")


class ParticipantRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    PARTNER = "partner", _("Partner")
    MEMBER = "member", _("Member")


class PartnerRole(models.TextChoices):
    FUNDER = "funder", _("Funder")
    SPONSOR = "sponsor", _("Sponsor")
    INDUSTRY_PARTNER = "industry_partner", _("Industry partner")
    HOST_FACILITY = "host_facility", _("Host facility")
    PARTNER = "partner", _("Partner")


def participant_order(*, country: str, role: str, name: str) -> tuple:
    """How participants are listed everywhere (pages, exports, the API): U.S. before
    Japan, then by role (lead, member, partner), then by name."""
    return (country != Country.US, role, name)


def partner_order(*, name: str) -> str:
    """Partners are listed by name."""
    return name

"""Dates known to a year, a month or a day.

Sources often say only "2019" or "March 2019". A start is stored as the first day of its
period and an end as the last, so "active in 2019" is two plain comparisons; the
precision says how to show it again.
"""

import calendar
import datetime as dt
import re

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    DAY = "day", _("Day")


MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
ISO_PARTS = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.?,?\s+(\d{4})$")
JAPANESE_DATE = re.compile(r"^(\d{4})年(?:\s*(\d{1,2})月(?:\s*(\d{1,2})日)?)?$")


def parse_partial_date(text: str, *, period_end: bool = False) -> tuple[dt.date, str]:
    """Read "2019", "2019-03", "2019-03-15", "March 2019" or "2019年3月"; raise
    ValueError.

    With ``period_end`` the date is the last day of the period given.
    """
    value = text.strip()
    match = ISO_PARTS.match(value) or JAPANESE_DATE.match(value)
    if match:
        year, month, day = (int(part) if part else None for part in match.groups())
    elif month_year := MONTH_YEAR.match(value):
        month = MONTHS.get(month_year.group(1).lower())
        if month is None:
            raise ValueError(gettext("“%(text)s” names no month.") % {"text": text})
        year, day = int(month_year.group(2)), None
    else:
        raise ValueError(
            gettext(
                "“%(text)s” is not a date: write a year (2019), a month (2019-03 or "
                "March 2019) or a day (2019-03-15)."
            )
            % {"text": text}
        )
    if day is not None:
        return dt.date(year, month, day), DatePrecision.DAY
    if month is not None:
        if not 1 <= month <= 12:
            raise ValueError(
                gettext("“%(text)s”: there is no month %(month)s.")
                % {"text": text, "month": month}
            )
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, last if period_end else 1), DatePrecision.MONTH
    return dt.date(year, 12, 31) if period_end else dt.date(
        year, 1, 1
    ), DatePrecision.YEAR


def format_partial_date(value: dt.date | None, precision: str) -> str:
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year}"
    if precision == DatePrecision.MONTH:
        return f"{value.year}-{value.month:02d}"
    return value.isoformat()


def period_bounds(value: dt.date, precision: str) -> tuple[dt.date, dt.date]:
    """The first and last day of the period a partial date stands for."""
    if precision == DatePrecision.YEAR:
        return dt.date(value.year, 1, 1), dt.date(value.year, 12, 31)
    if precision == DatePrecision.MONTH:
        last = calendar.monthrange(value.year, value.month)[1]
        return dt.date(value.year, value.month, 1), dt.date(
            value.year, value.month, last
        )
    return value, value

"""Dates and amounts as a reader of the page's language writes them.

Exports and the API keep the machine forms (``2019-03``, ``1200000``); pages show
"March 2019" or 「2019年3月」, "$1,200,000" or 「1,200,000ドル」, "¥120,000,000" or
「1億2,000万円」.
"""

import datetime as dt
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .dates import DatePrecision

# Japanese counts large sums in myriads: 1億2,000万円, not 120,000,000円.
MYRIADS = ((10**8, "億"), (10**4, "万"))


def _japanese() -> bool:
    return (get_language() or "").startswith("ja")


def partial_date_label(value: dt.date | None, precision: str) -> str:
    """A date known to a year, a month or a day, in the page's language."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year}年" if _japanese() else str(value.year)
    if precision == DatePrecision.MONTH:
        return date_format(value, "YEAR_MONTH_FORMAT")
    return date_format(value, "DATE_FORMAT")


def money_label(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency, in the page's language."""
    if amount is None:
        return ""
    whole = int(amount)
    if _japanese():
        if currency == "JPY":
            return _myriads(whole) + "円"
        return number_format(whole, force_grouping=True) + (
            "ドル" if currency == "USD" else f" {currency}"
        )
    symbol = {"USD": "$", "JPY": "¥"}.get(currency)
    grouped = number_format(whole, force_grouping=True)
    return (
        f"{symbol}{grouped}"
        if symbol
        else _("%(amount)s %(currency)s")
        % {
            "amount": grouped,
            "currency": currency,
        }
    )


def _myriads(whole: int) -> str:
    parts, rest = [], whole
    for size, unit in MYRIADS:
        if rest >= size:
            parts.append(f"{number_format(rest // size, force_grouping=True)}{unit}")
            rest %= size
    if rest or not parts:
        parts.append(number_format(rest, force_grouping=True))
    return "".join(parts)

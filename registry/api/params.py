"""Query parameters read as the API's schema documents them.

The public pages read their search parameters forgivingly: a blank value is no filter,
a page size beyond the largest is cut down to it. The API refuses what its schema does
not allow (HTTP 400, ``errors`` naming the parameter), so a client learns of a typo
rather than getting every record; the pages' FilterSets are left as they are.
"""

import re

from django.utils.translation import gettext_lazy as _
from django_filters import filters
from rest_framework.exceptions import ValidationError

WHOLE_NUMBER = re.compile(r"-?[0-9]+")
BOOLEANS = {"true": True, "false": False, "True": True, "False": False}


def out_of_bounds(text: str, low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        bounds = _("a whole number from %(low)s to %(high)s") % {
            "low": low,
            "high": high,
        }
    else:
        bounds = _("a whole number from %(low)s up") % {"low": low}
    return _("“%(value)s” is not %(bounds)s.") % {"value": text, "bounds": bounds}


def whole_number(request, name: str, default: int, low: int, high: int | None):
    """A whole-number query parameter within bounds, ``default`` when it is not sent;
    anything else (a blank, "5.0", " 5") is refused with a message."""
    if name not in request.query_params:
        return default
    text = request.query_params[name]
    value = int(text) if WHOLE_NUMBER.fullmatch(text) else None
    if value is None or value < low or (high is not None and value > high):
        raise ValidationError({name: [out_of_bounds(text, low, high)]})
    return value


def reject_null_characters(request):
    # No database stores a NUL in text, and PostgreSQL fails on one in a query.
    for name, values in request.query_params.lists():
        if any("\x00" in value for value in values) or "\x00" in name:
            raise ValidationError({name: [_("Null characters are not allowed.")]})


def _problem(declared, value: str):
    """What is wrong with one value of a FilterSet's parameter, as the schema reads
    it, or None; the FilterSet's form checks the rest (choices, slugs, bounds)."""
    if isinstance(declared, filters.BooleanFilter):
        if value not in BOOLEANS:
            return _("“%(value)s” is not true or false.") % {"value": value}
    elif isinstance(declared, filters.NumberFilter):
        if not WHOLE_NUMBER.fullmatch(value):
            return out_of_bounds(
                value,
                declared.extra.get("min_value"),
                declared.extra.get("max_value"),
            )
    elif (
        isinstance(declared, (filters.ChoiceFilter, filters.MultipleChoiceFilter))
        and not isinstance(declared, filters.ModelMultipleChoiceFilter)
        and not value.strip()
    ):
        return _("This parameter may not be empty.")
    return None


def check_filter_values(request, filterset_class) -> None:
    """Refuse the values a FilterSet would pass over but the schema does not allow:
    an empty choice, a year that is not a whole number, a boolean other than true or
    false. Free text and slugs may be empty (no filter), as the schema says."""
    reject_null_characters(request)
    errors = {}
    for name, values in request.query_params.lists():
        declared = filterset_class.base_filters.get(name)
        if declared is None:
            continue
        problems = [
            problem for value in values if (problem := _problem(declared, value))
        ]
        if problems:
            errors[name] = problems[:1]
    if errors:
        raise ValidationError(errors)

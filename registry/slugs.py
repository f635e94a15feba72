"""Slugs made from names, for records created without one (API writes, imports)."""

from collections.abc import Iterable

from django.utils.text import slugify

# Leaves room within a 255-character slug field for qualifiers and a number.
BASE_LENGTH = 200


def free_slug(
    name: str, *, taken: set[str], qualifiers: Iterable[str] = (), fallback: str = ""
) -> str:
    """A slug for ``name`` that is not in ``taken``: the name's, else with the
    qualifiers added one by one (lincoln-university-missouri), else numbered (-2, -3…).
    "" when the name has nothing to slugify and there is no ``fallback``."""
    base = slugify(name)[:BASE_LENGTH].strip("-") or fallback
    if not base:
        return ""
    slug = base
    for qualifier in qualifiers:
        if slug not in taken:
            break
        if slugify(qualifier):
            slug = f"{slug}-{slugify(qualifier)}"[:250].strip("-")
    number = 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug

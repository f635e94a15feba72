"""The name resolver on affiliation strings (bench/run.py): 10,000 generated from the
registry's institutions and organizations, as award and publication records write
them, each timed. Prints JSON: accuracy and the median and p95 time per string.

An affiliation of an institution is right when the institution is chosen with the
unit written; one of a laboratory, company or agency when no institution is chosen
(and the organization is named). The strings are generated (seeded), never stored.

    python bench/affiliations.py [--count 10000]
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")

import django  # noqa: E402

django.setup()

from registry.models import Institution, Organization  # noqa: E402
from registry.resolver import resolve_institution  # noqa: E402

UNITS_EN = [
    "Department of Chemistry",
    "Dept. of Physics",
    "Graduate School of Engineering",
    "School of Medicine",
    "Institute for Materials Research",
    "Division of Biology",
    "Faculty of Agriculture",
]
UNITS_JA = ["大学院工学研究科", "医学部", "大学院理学研究科", "農学部", "附属病院"]
TRAPS = 0.1


def affiliations(count: int, seed: int = 2021) -> list[tuple[str, str | None, str]]:
    """(string, expected institution slug or None, expected unit or "")."""
    rng = random.Random(seed)
    institutions = list(
        Institution.objects.filter(city__gt="").select_related("region").order_by("pk")
    )
    organizations = list(Organization.objects.order_by("pk"))
    cities = [institution.city for institution in institutions]
    made = []
    for _ in range(count):
        if rng.random() < TRAPS:
            organization = rng.choice(organizations)
            made.append((f"{organization.name}, {rng.choice(cities)}", None, ""))
            continue
        institution = rng.choice(institutions)
        made.append(_of(institution, rng))
    return made


def _of(institution, rng) -> tuple[str, str, str]:
    region = institution.region
    if institution.country == "US":
        unit = rng.choice(UNITS_EN)
        address = [institution.city]
        if region:
            address.append(f"{region.code} {rng.randint(10000, 99999)}")
        address.append(rng.choice(["USA", "U.S.A.", "United States"]))
        expected_unit = unit.replace("Dept.", "Department")
        return (
            ", ".join([unit, institution.name, *address]),
            institution.slug,
            expected_unit,
        )
    if rng.random() < 0.5 and "大学" in institution.name_ja:
        unit = rng.choice(UNITS_JA)
        city = institution.city
        return (f"{institution.name_ja}{unit}、{city}", institution.slug, unit)
    unit = rng.choice(UNITS_EN)
    postal = f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    address = [f"{institution.city} {postal}", "Japan"]
    expected_unit = unit.replace("Dept.", "Department")
    return (
        ", ".join([unit, institution.name, *address]),
        institution.slug,
        expected_unit,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    options = parser.parse_args()
    cases = affiliations(options.count)
    resolve_institution(name="warm up")  # builds the name index
    samples, right, wrong_institution = [], 0, 0
    for written, slug, unit in cases:
        started = time.perf_counter()
        resolution = resolve_institution(name=written)
        samples.append((time.perf_counter() - started) * 1000)
        chosen = resolution.chosen.institution.slug if resolution.chosen else None
        if chosen == slug and (slug is None or (resolution.unit or "") == unit):
            right += 1
        elif chosen is not None and chosen != slug:
            wrong_institution += 1
    samples.sort()
    print(
        json.dumps(
            {
                "strings": len(cases),
                "accuracy": right / len(cases),
                "wrong_institution": wrong_institution,
                "median_ms": statistics.median(samples),
                "p95_ms": samples[int(len(samples) * 0.95) - 1],
            }
        )
    )


if __name__ == "__main__":
    main()

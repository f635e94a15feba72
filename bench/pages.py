"""Server time of representative public requests, measured in-process (bench/run.py).

Requests go through Django's full stack (middleware, views, templates) with the test
client, so the figures are server time without network. Prints one JSON object.

    python bench/pages.py            # searches and detail pages: median and p95
    python bench/pages.py --search   # the index, and the text + three filters search
    python bench/pages.py --export   # one full CSV export (run alone: its peak memory)
"""

import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from served import SEARCH  # noqa: E402 (bench/served.py, beside this script)

from registry.models import Agreement  # noqa: E402

SAMPLES = 40
WARM_UP = 3
# Requests timed with an empty cache: every figure counted and drawn anew.
UNCACHED = "uncached"


def representative_requests() -> list[tuple[str, str]]:
    published = (
        Agreement.objects.published().order_by("pk").values_list("pk", flat=True)
    )
    count = published.count()
    agreement_ids = [published[count * share // 5] for share in range(5)]
    insights_search = "?classification=consortium&us_state=CA&year_from=2018"
    return [
        ("home page", "/"),
        ("insights, uncached: no filter", "/insights/", UNCACHED),
        ("insights, uncached: three filters", f"/insights/{insights_search}", UNCACHED),
        ("insights, cached: no filter", "/insights/"),
        ("insights, cached: three filters", f"/insights/{insights_search}"),
        ("search: no filter", "/agreements/"),
        ("search: q alone", "/agreements/?q=tohoku"),
        ("search: q in Japanese", "/agreements/?q=東北大学"),
        (
            "search: three filters",
            "/agreements/?classification=consortium&us_state=CA"
            "&discipline=health-medical-sciences",
        ),
        (
            "search: q with filters",
            "/agreements/?q=quantum&jp_prefecture=miyagi&sector=government",
        ),
        ("search: q with three filters", SEARCH),
        ("search: deep page (3,000)", "/agreements/?page=3000"),
        *(
            (f"agreement page {index + 1}", f"/agreements/USJP-{pk:06d}/")
            for index, pk in enumerate(agreement_ids)
        ),
        ("institution page: Tohoku University", "/institutions/tohoku-university/"),
        ("institution page: Harvard University", "/institutions/harvard-university/"),
        ("API: list (page_size 100)", "/api/v1/agreements/?page_size=100"),
        (
            "API: list with filters (page_size 100)",
            "/api/v1/agreements/?classification=consortium&us_state=CA&page_size=100",
        ),
        ("API: stats by discipline", "/api/v1/agreements/stats/?group_by=discipline"),
        (
            "API: stats U.S. × Japan pairs",
            "/api/v1/agreements/stats/?group_by=us_institution,jp_institution",
        ),
        (
            "API: stats by start year, filtered",
            "/api/v1/agreements/stats/?group_by=start_year&sector=government",
        ),
        ("API: resolve a name", "/api/v1/institutions/resolve/?name=Tohoku%20Univ."),
        (
            "API: resolve a misspelt name",
            "/api/v1/institutions/resolve/?name=Tohoku%20Unversity",
        ),
    ]


def time_pages() -> dict:
    client = _client()
    started = time.perf_counter()
    client.get("/")  # builds this process's search index
    build_ms = (time.perf_counter() - started) * 1000
    rows = [
        {"label": label, "url": url, **_timed(client, url, uncached=UNCACHED in how)}
        for label, url, *how in representative_requests()
    ]
    return {"index_build_ms": build_ms, "update_ms": time_update(), "requests": rows}


def time_search() -> dict:
    """The index's build and update, and the issue's search: what bench/run.py
    measures at every size."""
    client = _client()
    started = time.perf_counter()
    client.get("/")
    build_ms = (time.perf_counter() - started) * 1000
    return {
        "index_build_ms": build_ms,
        "update_ms": time_update(),
        "search": _timed(client, SEARCH),
    }


def _client() -> Client:
    # The anonymous limits would answer 429 long before 40 samples a URL.
    from django.conf import settings

    settings.API_ANON_RATE = settings.PAGE_ANON_RATE = settings.EXPORT_ANON_RATE = None
    return Client()


def _timed(client, url: str, *, uncached: bool = False) -> dict:
    for _ in range(WARM_UP):
        client.get(url)
    samples = []
    for _ in range(SAMPLES):
        if uncached:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
    }


def time_update() -> float:
    """How long an index takes to take in one edited agreement (a median of 5): the
    wait, beyond SEARCH_INDEX_REFRESH_SECONDS at most, before an edit shows."""
    from registry import engine
    from registry.search import refresh_agreement_index

    engine.published_index()
    pk = Agreement.objects.published().order_by("pk").values_list("pk", flat=True)[0]
    samples = []
    for round_ in range(5):
        Agreement.objects.filter(pk=pk).update(title=f"Edited for the bench {round_}")
        refresh_agreement_index(agreement_ids=[pk])
        started = time.perf_counter()
        assert engine.refresh_published_index()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def time_export() -> dict:
    client = _client()
    started = time.perf_counter()
    response = client.get("/agreements/?export=csv")
    size, last = 0, b""
    for chunk in response.streaming_content:
        size += len(chunk)
        last = chunk
    # The closing line counts the rows: "# rows exported: 90085".
    rows = int(re.search(rb"# rows exported: (\d+)", last)[1])
    return {
        "seconds": time.perf_counter() - started,
        "bytes": size,
        "rows": rows,
        "published": Agreement.objects.published().count(),
    }


if __name__ == "__main__":
    if "--export" in sys.argv:
        print(json.dumps(time_export()))
    elif "--search" in sys.argv:
        print(json.dumps(time_search()))
    else:
        print(json.dumps(time_pages()))

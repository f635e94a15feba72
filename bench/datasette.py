"""The registry's faceted search beside Datasette's on the same records (run alone,
after bench/run.py has made the bench database; Datasette is a bench dependency only:
``pip install -r bench/requirements.txt``).

Writes the published agreements of the bench database into a SQLite file Datasette
serves: one row each with its facet memberships as JSON arrays (the same
``AgreementFacet`` rows the registry's engine counts) and an FTS5 index of the same
token documents. Then times one search, text and three filters with thirteen facets
counted, through HTTP on each: the registry under gunicorn (2 workers,
usjp_site/gunicorn.conf.py) and ``datasette serve``, one request at a time. Prints
JSON: medians and p95s, and their ratio.

    DATABASE_URL=postgres://…/usjp_bench python bench/datasette.py
"""

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")

import django  # noqa: E402

django.setup()

from served import SEARCH, served_by  # noqa: E402

from registry.models import (  # noqa: E402
    Agreement,
    AgreementFacet,
    Dimension,
    Discipline,
    Region,
)

PORT = 8013
SAMPLES = 60
WARM_UP = 5


def write_sqlite(path: Path) -> None:
    members = defaultdict(lambda: defaultdict(list))
    published = Agreement.objects.published()
    for agreement_id, dimension, value in AgreementFacet.objects.filter(
        agreement__in=published.values("pk")
    ).values_list("agreement_id", "dimension", "value"):
        members[agreement_id][Dimension(dimension).name.lower()].append(value)
    columns = [dimension.name.lower() for dimension in Dimension]
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE agreements (id INTEGER PRIMARY KEY, title TEXT, "
        "classification TEXT, search TEXT, "
        + ", ".join(f"{column} TEXT" for column in columns)
        + ")"
    )
    rows = published.values_list(
        "pk", "title", "classification", "search_title", "search_text"
    ).iterator(chunk_size=2000)
    connection.executemany(
        f"INSERT INTO agreements VALUES ({', '.join('?' * (4 + len(columns)))})",
        (
            (
                pk,
                title,
                classification,
                f"{search_title} {search_text}",
                *(json.dumps(members[pk].get(column, [])) for column in columns),
            )
            for pk, title, classification, search_title, search_text in rows
        ),
    )
    connection.execute(
        "CREATE VIRTUAL TABLE agreements_fts USING fts5(search, content='agreements', "
        "content_rowid='id')"
    )
    connection.execute(
        "INSERT INTO agreements_fts (rowid, search) SELECT id, search FROM agreements"
    )
    connection.execute("CREATE INDEX classification ON agreements (classification)")
    connection.commit()
    connection.close()


def datasette_search() -> str:
    """The registry's search (served.SEARCH) in Datasette's query language."""
    state = Region.objects.get(country="US", code="CA").pk
    discipline = Discipline.objects.get(slug="health-medical-sciences").pk
    facets = "&".join(
        f"_facet_array={dimension.name.lower()}" for dimension in Dimension
    )
    return (
        "/bench/agreements.json?_search=university*&classification=consortium"
        f"&us_state__arraycontains={state}"
        f"&discipline__arraycontains={discipline}"
        f"&_facet=classification&{facets}&_size=25"
    )


def timed(url: str) -> dict:
    for _ in range(WARM_UP):
        urllib.request.urlopen(url).read()
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        urllib.request.urlopen(url).read()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
    }


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="usjp-datasette-"))
    database = folder / "bench.db"
    write_sqlite(database)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "datasette"),
            "serve",
            str(database),
            "--port",
            str(PORT),
            "--setting",
            "sql_time_limit_ms",
            "60000",
            "--setting",
            "facet_time_limit_ms",
            "60000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{PORT}{datasette_search()}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url).read()
                break
            except OSError:
                time.sleep(0.2)
        datasette = timed(url)
    finally:
        server.terminate()
        server.wait()
    with served_by(workers=2) as server:
        registry = timed(f"{server.base}{SEARCH}")
    print(
        json.dumps(
            {
                "agreements": Agreement.objects.published().count(),
                "registry": registry,
                "datasette": datasette,
                "ratio_median": registry["median_ms"] / datasette["median_ms"],
            }
        )
    )


if __name__ == "__main__":
    main()

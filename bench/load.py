"""The site under load (loopback only, bounded in time): gunicorn as configured in
the repository (usjp_site/gunicorn.conf.py, 2 workers) on the bench database, with
16 connections for 60 s: 15 asking a mix of searches, agreement and institution
pages, insights and API calls, and one downloading exports one after another. A probe
asks for the home page every 0.25 s from a process of its own, first on the idle
site for 30 s (after 100 warm-up requests) and then during the run; the load's own
process runs at a lower priority (nice 5), as clients on other machines would take
nothing from the site.

Each connection is kept alive, as a browser's is. Prints JSON: requests, errors (any
status but 200, or a failed connection), requests a second, p50/p95/p99 for all and
for each kind, and the home page's idle and loaded p95. The anonymous limits are off
(one address asks thousands of times a minute).

    DATABASE_URL=postgres://…/usjp_bench REDIS_URL=redis://127.0.0.1:6379/3 \
        python bench/load.py [--seconds 60]
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from served import served_by  # noqa: E402  (bench/served.py)

from registry.models import Agreement, Institution  # noqa: E402

MIXED_CONNECTIONS = 15
PROBE_EVERY = 0.25
# 120 samples: with 40, the p95 is the second slowest answer, which one garbage
# collection or index check decides.
IDLE_SECONDS = 30
WARM_UP = 100
SEARCHES = [
    "/agreements/?q=university",
    "/agreements/?q=medicine&classification=consortium",
    "/agreements/?q=earthquake&us_state=CA",
    "/agreements/?discipline=health-medical-sciences&status=active",
    "/agreements/?q=quantum&sort=title",
    "/ja/agreements/?q=大学",
    "/agreements/?q=university&classification=consortium&us_state=CA"
    "&discipline=health-medical-sciences",
    "/agreements/?page=3",
]
API = [
    "/api/v1/agreements/?q=research",
    "/api/v1/agreements/?us_state=NY&page_size=50",
    "/api/v1/agreements/stats/?group_by=discipline",
    "/api/v1/institutions/?country=JP",
]
EXPORTS = [
    "/agreements/?export=csv&q=medicine",
    "/agreements/?export=json&discipline=health-medical-sciences",
    "/agreements/?export=csv&us_state=CA",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    options = parser.parse_args()
    published = list(
        Agreement.objects.published().order_by("?").values_list("pk", flat=True)[:500]
    )
    agreements = [f"/agreements/USJP-{pk:06d}/" for pk in published]
    institutions = [
        f"/institutions/{slug}/"
        for slug in Institution.objects.order_by("?").values_list("slug", flat=True)[
            :100
        ]
    ]
    api_records = [f"/api/v1/agreements/USJP-{pk:06d}/" for pk in published[:100]]
    mix = [
        ("search", SEARCHES, 50),
        ("agreement", agreements, 20),
        ("institution", institutions, 5),
        ("insights", ["/insights/", "/insights/?us_state=CA"], 5),
        ("api", API + api_records, 20),
    ]
    # gunicorn serves the static files' hashed names from their manifest.
    call_command("collectstatic", "--noinput", verbosity=0)
    with served_by(workers=2) as server:
        # Each of the workers' threads opens its database connection on its first
        # request: warmed first, the idle figure is the site's, not its start's.
        for _ in range(WARM_UP):
            _fetch(server.base, "/")
        idle = _probe(server.base, seconds=IDLE_SECONDS)
        result = _run(server.base, mix, seconds=options.seconds)
    print(json.dumps({**result, "home_idle": idle}))


_local = threading.local()


def _fetch(base: str, path: str) -> tuple[bool, float]:
    """One GET on this thread's kept-alive connection, as a browser asks: (answered
    200, milliseconds)."""
    started = time.perf_counter()
    target = quote(path, safe="/?=&")
    fine = False
    for attempt in range(2):
        connection = _connection(base)
        reused = connection.sock is not None
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            response.read()
            fine = response.status == 200
            if response.will_close:
                _forget_connection()
            break
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            _forget_connection()
            # The server closed a connection kept too long idle: ask again, once.
            if not (reused and attempt == 0):
                break
        except Exception:  # counted as an error; the connection goes on asking
            _forget_connection()
            break
    return fine, (time.perf_counter() - started) * 1000


def _connection(base: str) -> http.client.HTTPConnection:
    if getattr(_local, "connection", None) is None:
        address = urlsplit(base)
        _local.connection = http.client.HTTPConnection(
            address.hostname, address.port, timeout=120
        )
    return _local.connection


def _forget_connection() -> None:
    connection = getattr(_local, "connection", None)
    if connection is not None:
        connection.close()
    _local.connection = None


def _run(base: str, mix, *, seconds: float) -> dict:
    samples = defaultdict(list)
    errors = defaultdict(int)
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def record(kind, fine, ms):
        with lock:
            samples[kind].append(ms)
            if not fine:
                errors[kind] += 1

    def mixed(seed):
        chooser = random.Random(seed)
        kinds = [kind for kind, _paths, weight in mix for _ in range(weight)]
        paths = {kind: paths for kind, paths, _weight in mix}
        while time.perf_counter() < deadline:
            kind = chooser.choice(kinds)
            record(kind, *_fetch(base, chooser.choice(paths[kind])))

    def exports():
        number = 0
        while time.perf_counter() < deadline:
            record("export", *_fetch(base, EXPORTS[number % len(EXPORTS)]))
            number += 1

    threads = [
        threading.Thread(target=mixed, args=(n,)) for n in range(MIXED_CONNECTIONS)
    ]
    threads.append(threading.Thread(target=exports))
    # The probe asks from a process of its own: in this one it would wait for the
    # interpreter behind the 16 connections' threads, and time them, not the site.
    probe, received = _probe_process(base, seconds=seconds)
    # The clients yield the machine's cores to the site they measure.
    os.nice(5)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    home = received.recv()
    probe.join()
    elapsed = time.perf_counter() - started
    every = sorted(ms for kind in samples for ms in samples[kind])
    return {
        "seconds": elapsed,
        "connections": MIXED_CONNECTIONS + 1,
        "requests": len(every),
        "errors": sum(errors.values()) + sum(not fine for fine, _ms in home),
        "per_second": len(every) / elapsed,
        **_percentiles(every),
        "by_kind": {
            kind: {"requests": len(found), "errors": errors[kind]}
            | _percentiles(sorted(found))
            for kind, found in sorted(samples.items())
        },
        "home_loaded": _percentiles(sorted(ms for _fine, ms in home)),
    }


def _probe_process(base: str, *, seconds: float):
    """A process asking for the home page every PROBE_EVERY for ``seconds``; its
    (fine, ms) samples come through the returned pipe."""
    receiving, sending = multiprocessing.Pipe(duplex=False)

    def ask():
        _local.connection = None  # the parent's, copied by the fork: not ours to use
        deadline = time.perf_counter() + seconds
        found = []
        while time.perf_counter() < deadline:
            found.append(_fetch(base, "/"))
            time.sleep(PROBE_EVERY)
        sending.send(found)

    process = multiprocessing.get_context("fork").Process(target=ask)
    process.start()
    return process, receiving


def _probe(base: str, *, seconds: float) -> dict:
    deadline = time.perf_counter() + seconds
    found = []
    while time.perf_counter() < deadline:
        found.append(_fetch(base, "/")[1])
        time.sleep(PROBE_EVERY)
    return _percentiles(sorted(found))


def _percentiles(ordered: list[float]) -> dict:
    if not ordered:
        return {}

    def at(share):
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    return {
        "p50_ms": statistics.median(ordered),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
    }


if __name__ == "__main__":
    main()

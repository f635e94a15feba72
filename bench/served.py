"""The registry as served (bench/run.py): gunicorn with the repository's settings
(usjp_site/gunicorn.conf.py) on the bench database, with 1 and then 2 workers.

For each: the time from gunicorn's start to its first answer; each worker's resident
(RSS) and proportional (PSS) memory after 20 searches, and the master's PSS, read
from /proc/<pid>/smaps_rollup (PSS counts a page shared by n processes 1/n to each,
so the PSS of all of gunicorn's processes is what they take from the machine); and
search latency through HTTP from two clients at once.
With 2 workers, latency is measured again while an edit lands every 3 s
(bench/edits.py, which also times each edit until a search through gunicorn finds
it), and a full CSV export is downloaded through HTTP.

    python bench/served.py   # prints JSON; DATABASE_URL names the database
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PORT = 8011
BASE = f"http://127.0.0.1:{PORT}"
# Text and three filters, with every facet counted: the search.
SEARCH = (
    "/agreements/?q=university&classification=consortium&us_state=CA"
    "&discipline=health-medical-sciences"
)
WARM_REQUESTS = 20
CLIENTS = 2
QUIET_SECONDS = 20
EDITING_SECONDS = 30
EDIT_EVERY = 3.0


@contextmanager
def served_by(*, workers: int):
    """gunicorn with the repository's settings, on a fresh index store, until the
    block ends; yields its address once it answers, and when it first did."""
    store = tempfile.mkdtemp(prefix="usjp-bench-index-")
    environment = {
        **os.environ,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "SEARCH_INDEX_DIR": store,
        "ALLOWED_HOSTS": "127.0.0.1",
        # The bench is one address asking hundreds of times a minute: no anonymous
        # limits (registry.limits).
        "API_ANON_RATE": "0",
        "PAGE_ANON_RATE": "0",
        "EXPORT_ANON_RATE": "0",
    }
    started = time.perf_counter()
    master = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "usjp_site/gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
            "usjp_site.wsgi",
        ],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        first_response = _first_response(started)
        yield Server(BASE, master.pid, first_response, environment)
    finally:
        master.terminate()
        master.wait()


@dataclass
class Server:
    base: str
    pid: int
    first_response: float
    environment: dict


def served(workers: int, *, edits: bool) -> dict:
    with served_by(workers=workers) as server:
        for _ in range(WARM_REQUESTS):
            _get(SEARCH)
        workers_memory = [_memory(pid) for pid in _children(server.pid)]
        result = {
            "workers": workers,
            "cold_start_s": server.first_response,
            "rss_mib": [rss for rss, _pss in workers_memory],
            "pss_mib": [pss for _rss, pss in workers_memory],
            "master_pss_mib": _memory(server.pid)[1],
            "quiet": _load(QUIET_SECONDS),
        }
        if edits:
            editor = subprocess.Popen(
                [
                    sys.executable,
                    str(REPOSITORY / "bench" / "edits.py"),
                    "--every",
                    str(EDIT_EVERY),
                    "--seconds",
                    str(EDITING_SECONDS),
                    "--base",
                    BASE,
                ],
                cwd=REPOSITORY,
                env=server.environment,
                stdout=subprocess.PIPE,
            )
            result["editing"] = _load(EDITING_SECONDS)
            output, _ = editor.communicate(timeout=120)
            result["edits"] = json.loads(output)
            result["export"] = _export()
    return result


def _load(seconds: float) -> dict:
    """CLIENTS threads searching for ``seconds``: latency median and p95, and
    searches a second."""
    samples = []
    deadline = time.perf_counter() + seconds

    def client():
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            _get(SEARCH)
            samples.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
        "per_second": len(samples) / seconds,
        "requests": len(samples),
    }


def _export() -> dict:
    """A full CSV export downloaded through gunicorn: its time and its rows, read
    from the closing line ("# rows exported: N"), which a file cut short lacks."""
    started = time.perf_counter()
    content = _get("/agreements/?export=csv")
    seconds = time.perf_counter() - started
    closing = re.search(rb"# rows exported: (\d+)\s*$", content)
    if not closing:
        sys.exit("The export through gunicorn was cut short.")
    return {"seconds": seconds, "rows": int(closing[1]), "bytes": len(content)}


def _get(path: str) -> bytes:
    with urllib.request.urlopen(f"{BASE}{path}") as response:
        return response.read()


def _first_response(started: float) -> float:
    """Seconds from gunicorn's start to its first answer (the index built and
    mapped by then)."""
    for _ in range(1200):
        try:
            _get(SEARCH)
            return time.perf_counter() - started
        except urllib.error.HTTPError as error:
            # It answers, wrongly: waiting will not help (static files not
            # collected, a bad setting…); the workers' log says why.
            sys.exit(f"gunicorn answered {SEARCH} with HTTP {error.code}.")
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not answer within two minutes.")


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(child) for child in handle.read().split()]


def _memory(pid: int) -> tuple[float, float]:
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                fields[name] = int(rest.split()[0]) / 1024
    return fields["Rss"], fields["Pss"]


if __name__ == "__main__":
    print(json.dumps([served(1, edits=False), served(2, edits=True)]))

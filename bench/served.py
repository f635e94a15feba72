"""Memory of served workers (bench/run.py): gunicorn with the repository's settings
(usjp_site/gunicorn.conf.py) on the bench database, 1 and then 2 workers, each
answering searches; each worker's resident (RSS) and proportional (PSS) memory, read
from /proc/<pid>/smaps_rollup. PSS counts a page shared by two workers half to each:
what adding a worker costs.

    python bench/memory.py   # prints JSON; DATABASE_URL names the database
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PORT = 8011
SEARCH = "/agreements/?classification=consortium&us_state=CA&q=university"
REQUESTS = 20


def served(workers: int) -> dict:
    store = tempfile.mkdtemp(prefix="usjp-bench-index-")
    environment = {
        **os.environ,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "SEARCH_INDEX_DIR": store,
        "ALLOWED_HOSTS": "127.0.0.1",
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
        for _ in range(REQUESTS):
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{SEARCH}").read()
        workers_memory = [_memory(pid) for pid in _children(master.pid)]
    finally:
        master.terminate()
        master.wait()
    return {
        "workers": workers,
        "cold_start_s": first_response,
        "rss_mib": [rss for rss, _pss in workers_memory],
        "pss_mib": [pss for _rss, pss in workers_memory],
    }


def _first_response(started: float) -> float:
    """Seconds from gunicorn's start to its first answer (the index built and
    mapped by then)."""
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}{SEARCH}").read()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not answer within a minute.")


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
    print(json.dumps([served(1), served(2)]))

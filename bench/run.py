"""Speed measurements on PostgreSQL with generated data (`make bench`).

Creates a fresh database, loads the reference data, then times each step in a child
process and reads its peak memory (max RSS). Prints a Markdown table; with
--write-readme it replaces the table between the benchmark markers in README.md.

    python bench/run.py [--agreements 100000] [--write-readme]
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg2

REPOSITORY = Path(__file__).resolve().parent.parent
README = REPOSITORY / "README.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/usjp_bench"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PAGES = str(REPOSITORY / "bench" / "pages.py")
IMPORTS = str(REPOSITORY / "bench" / "imports.py")
MEMORY = str(REPOSITORY / "bench" / "memory.py")
IMPORT_ROWS = 10_000
# The registry's importer is timed this many times (median); the library's default
# row-by-row resource, at ~100 s a run, once.
IMPORT_RUNS = 3
SAMPLES_NOTE = (
    "40 requests each after 3 warm-up ones, Django test client in one process"
)


def recreate_database(url: str) -> None:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(
            f"Refusing to recreate database {name!r}: give a plain lower-case name."
        )
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()


def measure(
    label: str, arguments: list[str], environment: dict, *, script=None
) -> dict:
    """Run a child (manage.py, or a bench script) and read its wall time, its own peak
    resident memory, and what it printed."""
    command = [sys.executable, script] if script else [sys.executable, "manage.py"]
    started = time.perf_counter()
    child = subprocess.Popen(
        [*command, *arguments], cwd=REPOSITORY, env=environment, stdout=subprocess.PIPE
    )
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{label} failed.")
    return {
        "step": label,
        "seconds": seconds,
        "peak_mib": usage.ru_maxrss / 1024,
        "output": output.decode(),
    }


def measure_imports(environment: dict) -> list[str]:
    """Table rows: a generated XLSX of IMPORT_ROWS agreements imported and committed
    (then removed) by the registry's importer and by the library's default resource."""
    workbook = Path(tempfile.gettempdir()) / "bench-agreements-10000.xlsx"
    made = measure(
        "make",
        ["--make", str(workbook), "--rows", str(IMPORT_ROWS)],
        environment,
        script=IMPORTS,
    )
    size = json.loads(made["output"])["bytes"] / 2**20
    rows = []
    for resource, runs, label in (
        ("sheet", IMPORT_RUNS, "registry importer (whole file, bulk)"),
        ("default", 1, "django-import-export default resource (row by row)"),
    ):
        results = [
            measure(
                f"import {resource}",
                ["--import", str(workbook), "--resource", resource],
                environment,
                script=IMPORTS,
            )
            for _ in range(runs)
        ]
        seconds = statistics.median(
            json.loads(result["output"])["seconds"] for result in results
        )
        peak = max(result["peak_mib"] for result in results)
        what = f"median of {runs} runs" if runs > 1 else "one run"
        rows.append(
            f"| import {IMPORT_ROWS:,}-row XLSX ({size:.1f} MiB), committed: {label}, "
            f"{what} | {seconds:.1f} s | {peak:.0f} MiB |"
        )
    workbook.unlink()
    return rows


def served_lines(served: list[dict]) -> list[str]:
    """Memory of gunicorn's workers (bench/memory.py), as a table."""
    one = sum(served[0]["pss_mib"])
    lines = [
        "Served by gunicorn (`usjp_site/gunicorn.conf.py`), after 20 searches; PSS "
        "counts a page shared by two workers half to each:",
        "",
        "| workers | first answer after start | RSS per worker | PSS in all |",
        "|---:|---:|---:|---:|",
    ]
    for run in served:
        total = sum(run["pss_mib"])
        rss = ", ".join(f"{value:.0f}" for value in run["rss_mib"])
        ratio = f" ({total / one:.2f}× one worker)" if run["workers"] > 1 else ""
        lines.append(
            f"| {run['workers']} | {run['cold_start_s']:.1f} s | {rss} MiB "
            f"| {total:.0f} MiB{ratio} |"
        )
    return lines


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    server = subprocess.run(
        ["psql", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, Python "
        f"{platform.python_version()}, {server or 'PostgreSQL'} on the same machine"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--write-readme", action="store_true")
    options = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark-only-key",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    steps = [
        measure(
            "migrate (empty database)", ["migrate", "--verbosity", "0"], environment
        ),
        measure("load_reference_data", ["load_reference_data"], environment),
        measure(
            f"seed_demo --agreements {options.agreements:,}",
            ["seed_demo", "--agreements", str(options.agreements), "--seed", "2021"],
            environment,
        ),
    ]
    measure("collectstatic", ["collectstatic", "--noinput", "-v0"], environment)
    pages = json.loads(measure("pages", [], environment, script=PAGES)["output"])
    export = measure("export", ["--export"], environment, script=PAGES)
    exported = json.loads(export["output"])
    imports = measure_imports(environment)
    served = json.loads(measure("memory", [], environment, script=MEMORY)["output"])
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `make bench` on {machine()}.",
        "",
        "| step | wall time | peak memory (RSS) |",
        "|---|---:|---:|",
        *(
            f"| {row['step']} | {row['seconds']:.1f} s | {row['peak_mib']:.0f} MiB |"
            for row in steps
        ),
        f"| full CSV export ({exported['rows']:,} of {exported['published']:,} "
        f"published, {exported['bytes'] / 2**20:.0f} MiB) "
        f"| {exported['seconds']:.1f} s "
        f"| {export['peak_mib']:.0f} MiB |",
        *imports,
        "",
        f"Server time per request ({SAMPLES_NOTE}); the search index of "
        f"{options.agreements:,} agreements builds in "
        f"{pages['index_build_ms'] / 1000:.1f} s from scratch, and takes in an edited "
        f"agreement in {pages['update_ms']:.0f} ms (an edit shows within that and "
        "`SEARCH_INDEX_REFRESH_SECONDS`).",
        "",
        *served_lines(served),
        "",
        "| request | median | p95 |",
        "|---|---:|---:|",
        *(
            f"| {row['label']} (`{row['url']}`) | {row['median_ms']:.1f} ms "
            f"| {row['p95_ms']:.1f} ms |"
            for row in pages["requests"]
        ),
    ]
    table = "\n".join(lines)
    print(table)
    if options.write_readme:
        text = README.read_text(encoding="utf-8")
        if START not in text or END not in text:
            sys.exit(f"README.md has no {START} … {END} section to write into.")
        before, rest = text.split(START, 1)
        _, after = rest.split(END, 1)
        README.write_text(f"{before}{START}\n{table}\n{END}{after}", encoding="utf-8")
        print(f"\nWritten into {README.name}.")


if __name__ == "__main__":
    main()

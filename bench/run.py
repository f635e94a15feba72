"""Speed measurements on PostgreSQL with generated data (`make bench`).

Creates a fresh database, loads the reference data, then times each step in a child
process and reads its peak memory (max RSS): every measurement at the main size
(--agreements), and how search, its index, serving and exports grow at the other
sizes (--sizes). Prints Markdown tables; with --write-readme it replaces the tables
between the benchmark markers in README.md.

    python bench/run.py [--agreements 100000] [--sizes 10000,100000,200000]
                        [--write-readme]
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
from served import SEARCH  # bench/served.py, beside this script

REPOSITORY = Path(__file__).resolve().parent.parent
README = REPOSITORY / "README.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/usjp_bench"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PAGES = str(REPOSITORY / "bench" / "pages.py")
IMPORTS = str(REPOSITORY / "bench" / "imports.py")
SERVED = str(REPOSITORY / "bench" / "served.py")
AFFILIATIONS = str(REPOSITORY / "bench" / "affiliations.py")
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
    """gunicorn's workers (bench/served.py), as a table."""
    one = sum(served[0]["pss_mib"])
    one_machine = one + served[0]["master_pss_mib"]
    lines = [
        "Served by gunicorn (`usjp_site/gunicorn.conf.py`): memory after 20 searches "
        "(PSS counts a page shared by n processes 1/n to each; the workers share the "
        "master's preloaded pages too, so their own PSS grows by a third of those "
        "from one worker to two even when nothing is copied: the machine's total, "
        "master included, is what a worker costs), then the issue's search "
        f"(`{SEARCH}`) through HTTP from two clients at once for 20 s:",
        "",
        "| workers | first answer after start | RSS per worker | PSS of the workers "
        "| PSS with the master | search median / p95 | searches a second |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in served:
        total = sum(run["pss_mib"])
        machine_total = total + run["master_pss_mib"]
        rss = ", ".join(f"{value:.0f}" for value in run["rss_mib"])
        ratio = f" ({total / one:.2f}×)" if run["workers"] > 1 else ""
        machine_ratio = (
            f" ({machine_total / one_machine:.2f}×)" if run["workers"] > 1 else ""
        )
        quiet = run["quiet"]
        lines.append(
            f"| {run['workers']} | {run['cold_start_s']:.1f} s | {rss} MiB "
            f"| {total:.0f} MiB{ratio} | {machine_total:.0f} MiB{machine_ratio} "
            f"| {quiet['median_ms']:.0f} / {quiet['p95_ms']:.0f} ms "
            f"| {quiet['per_second']:.0f} |"
        )
    editing, edits = served[-1]["editing"], served[-1]["edits"]
    lines += [
        "",
        f"With 2 workers, while an edit landed every 3 s for 30 s: search median "
        f"{editing['median_ms']:.0f} ms, p95 {editing['p95_ms']:.0f} ms "
        f"({editing['p95_ms'] / served[-1]['quiet']['p95_ms']:.2f}× the p95 without "
        f"edits), {editing['per_second']:.0f} searches a second; each edit was found "
        f"by a search through gunicorn {statistics.median(edits):.2f} s after its "
        f"commit (median; at most {max(edits):.2f} s).",
    ]
    return lines


def growth_lines(sizes: list[dict]) -> list[str]:
    """How search, its index, serving and exports grow (one row a size)."""
    lines = [
        "| agreements | index build | edit taken in | search in-process, median / "
        "p95 | through gunicorn (2 workers), median / p95 | p95 with an edit every "
        "3 s | edit found by search after | PSS with the master, 2 workers / 1 "
        "| first answer after start | full CSV export |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        search, served, export = size["search"], size["served"], size["export"]
        one, two = (sum(run["pss_mib"]) + run["master_pss_mib"] for run in served)
        quiet, editing = served[1]["quiet"], served[1]["editing"]
        lines.append(
            f"| {size['agreements']:,} | {search['index_build_ms'] / 1000:.1f} s "
            f"| {search['update_ms']:.0f} ms "
            f"| {search['search']['median_ms']:.1f} / {search['search']['p95_ms']:.1f}"
            f" ms | {quiet['median_ms']:.0f} / {quiet['p95_ms']:.0f} ms "
            f"| {editing['p95_ms']:.0f} ms ({editing['p95_ms'] / quiet['p95_ms']:.2f}×)"
            f" | {statistics.median(served[1]['edits']):.2f} s median, "
            f"{max(served[1]['edits']):.2f} s max "
            f"| {two:.0f} / {one:.0f} MiB ({two / one:.2f}×) "
            f"| {served[1]['cold_start_s']:.1f} s "
            f"| {export['rows'] / export['seconds']:,.0f} rows/s "
            f"({export['rows']:,} rows, {export['seconds']:.1f} s) |"
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


def prepare(url: str, environment: dict, count: int) -> list[dict]:
    """A database of ``count`` generated agreements, as autovacuum would leave it."""
    steps = [
        measure(
            "migrate (empty database)", ["migrate", "--verbosity", "0"], environment
        ),
        measure("load_reference_data", ["load_reference_data"], environment),
        measure(
            f"seed_demo --agreements {count:,}",
            ["seed_demo", "--agreements", str(count), "--seed", "2021"],
            environment,
        ),
    ]
    started = time.perf_counter()
    vacuum_analyze(url)
    steps.append(
        {
            "step": "VACUUM ANALYZE (what autovacuum does after a bulk load)",
            "seconds": time.perf_counter() - started,
            "peak_mib": None,
        }
    )
    measure("collectstatic", ["collectstatic", "--noinput", "-v0"], environment)
    return steps


def main_lines(count: int, steps, served, environment) -> list[str]:
    """Every measurement at the main size."""
    pages = json.loads(measure("pages", [], environment, script=PAGES)["output"])
    export = measure("export", ["--export"], environment, script=PAGES)
    exported = json.loads(export["output"])
    imports = measure_imports(environment)
    resolved = json.loads(
        measure("affiliations", [], environment, script=AFFILIATIONS)["output"]
    )
    return [
        f"Measured {time.strftime('%Y-%m-%d')} by `make bench` on {machine()}.",
        "",
        "| step | wall time | peak memory (RSS) |",
        "|---|---:|---:|",
        *(
            f"| {row['step']} | {row['seconds']:.1f} s | "
            + (f"{row['peak_mib']:.0f} MiB |" if row["peak_mib"] else "— |")
            for row in steps
        ),
        f"| full CSV export in-process ({exported['rows']:,} of "
        f"{exported['published']:,} published, {exported['bytes'] / 2**20:.0f} MiB) "
        f"| {exported['seconds']:.1f} s "
        f"| {export['peak_mib']:.0f} MiB |",
        *imports,
        "",
        f"The name resolver on {resolved['strings']:,} generated affiliation strings "
        "(`bench/affiliations.py`: units, addresses, abbreviations, Japanese, and "
        f"one in ten a laboratory, company or agency): {resolved['accuracy']:.1%} "
        f"resolved as written, {resolved['wrong_institution']} to a wrong "
        f"institution; {resolved['median_ms']:.2f} ms median, "
        f"{resolved['p95_ms']:.2f} ms p95 a string.",
        "",
        f"Server time per request ({SAMPLES_NOTE}); the search index of "
        f"{count:,} agreements builds in "
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


def vacuum_analyze(url: str) -> None:
    parts = urlparse(url)
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=parts.path.lstrip("/"),
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--sizes", default="10000,100000,200000")
    parser.add_argument("--write-readme", action="store_true")
    options = parser.parse_args()
    sizes = sorted(
        {int(size) for size in options.sizes.split(",") if size} | {options.agreements}
    )

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark-only-key",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    growth, lines = [], []
    for count in sizes:
        recreate_database(url)
        steps = prepare(url, environment, count)
        search = json.loads(
            measure("search", ["--search"], environment, script=PAGES)["output"]
        )
        served = json.loads(measure("served", [], environment, script=SERVED)["output"])
        growth.append(
            {
                "agreements": count,
                "search": search,
                "served": served,
                "export": served[-1]["export"],
            }
        )
        if count == options.agreements:
            lines = main_lines(count, steps, served, environment)
    lines += [
        "",
        "How it grows: the same measurements at each size (the issue's search "
        f"`{SEARCH}`; in-process: {SAMPLES_NOTE}; the export through gunicorn with "
        "2 workers):",
        "",
        *growth_lines(growth),
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

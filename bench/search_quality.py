"""Search quality: does the public search box find what people mean?

For every query of ``tests/search_evaluation/queries.json`` (written from the fixtures
and the domain notes before the search was tuned; see that folder's README) two sets
of published agreements are compared:

- found: what the search page returns for the words alone, ``{"q": q}`` through
  ``AgreementFilterSet`` on ``Agreement.objects.published()``, evaluated as
  ``registry/views.py`` evaluates the page (``published_index().search(criteria)``);
- meant: what the query's ``means`` parameters return through the same FilterSet.

Per query: precision (share of found that is meant; 0 when nothing is found), recall
(share of meant that is found), the counts, and PASS when both are at least 0.9. A
query whose meant set is empty on this database is "no data" and left out of the
rates. Then per language: the share of queries that pass, mean precision, mean
recall, and the ten worst queries. Ambiguous queries (``"means": null``) should make
the search ask rather than guess; for now their result counts are only reported.

Run it against whatever database the settings point to (DATABASE_URL, else SQLite),
after ``manage.py reindex``:

    DEBUG=1 .venv/bin/python bench/search_quality.py [--language en|ja] [--verbose]

It measures and never gates: the exit code is always 0.
"""

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")
os.environ.setdefault("USJP_NOT_SERVING", "1")  # serves no request (see manage.py)

import django  # noqa: E402

django.setup()

from django.http import QueryDict  # noqa: E402

from registry.engine import published_index  # noqa: E402
from registry.filtersets import AgreementFilterSet  # noqa: E402
from registry.models import Agreement  # noqa: E402

QUERIES = ROOT / "tests" / "search_evaluation" / "queries.json"
THRESHOLD = 0.9
SHOWN = 3  # titles shown per list with --verbose


class InvalidParameters(ValueError):
    pass


def published_ids(params: dict) -> set[int]:
    """The published agreements the search page lists for these parameters."""
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    filterset = AgreementFilterSet(data, queryset=Agreement.objects.published())
    if not filterset.is_valid():  # the page would leave the value out: a wider search
        raise InvalidParameters(filterset.errors.as_text())
    found = published_index().search(filterset.criteria(), facet_dimensions={})
    return {int(pk) for pk in found.ids}


@dataclass
class Outcome:
    query: dict
    found: set[int]
    meant: set[int] = field(default_factory=set)
    problem: str = ""

    @property
    def scored(self) -> bool:
        return not self.problem and bool(self.meant)

    @property
    def precision(self) -> float:
        return len(self.found & self.meant) / len(self.found) if self.found else 0.0

    @property
    def recall(self) -> float:
        return len(self.found & self.meant) / len(self.meant) if self.meant else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def passed(self) -> bool:
        return self.precision >= THRESHOLD and self.recall >= THRESHOLD

    def line(self) -> str:
        q = self.query
        label = f"[{q['lang']}] {q['q']}  ({q.get('category', '')})"
        if self.problem:
            return f"{self.problem:<8} {label}"
        verdict = "PASS" if self.passed else "fail" if self.meant else "no data"
        return (
            f"{verdict:<8} P={self.precision:.2f} R={self.recall:.2f} "
            f"found={len(self.found):>4} meant={len(self.meant):>4} "
            f"both={len(self.found & self.meant):>4}  {label}"
        )


def titles(ids: set[int]) -> str:
    rows = Agreement.objects.filter(pk__in=sorted(ids)[:SHOWN]).values_list("title")
    more = " …" if len(ids) > SHOWN else ""
    return "; ".join(title[:70] for (title,) in rows) + more


def evaluate(query: dict, *, as_text: bool = False) -> Outcome:
    searched = {"q": query["q"], **({"words": "true"} if as_text else {})}
    outcome = Outcome(query, found=published_ids(searched))
    if query.get("means") is not None:
        try:
            outcome.meant = published_ids(query["means"])
        except InvalidParameters as error:
            outcome.problem = f"BAD MEANS {' '.join(str(error).split())}"
    return outcome


def summary(name: str, outcomes: list[Outcome]) -> None:
    scored = [o for o in outcomes if o.scored]
    if not scored:
        print(f"{name}: no query with data")
        return
    passed = sum(o.passed for o in scored)
    mean_p = sum(o.precision for o in scored) / len(scored)
    mean_r = sum(o.recall for o in scored) / len(scored)
    print(
        f"{name}: {passed}/{len(scored)} pass ({passed / len(scored):.0%}), "
        f"mean precision {mean_p:.2f}, mean recall {mean_r:.2f} "
        f"({len(outcomes) - len(scored)} without data left out)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=["en", "ja"])
    parser.add_argument("--verbose", action="store_true", help="notes and examples")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument(
        "--as-text",
        action="store_true",
        help="every word as text (words=true): the search before names were read",
    )
    args = parser.parse_args()

    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    if args.language:
        queries = [q for q in queries if q["lang"] == args.language]
    outcomes = [evaluate(q, as_text=args.as_text) for q in queries]
    resolved = [o for o in outcomes if o.query.get("means") is not None]
    ambiguous = [o for o in outcomes if o.query.get("means") is None]

    print(f"Search quality on {len(published_ids({}))} published agreements")
    print(f"{len(resolved)} queries with a meaning, {len(ambiguous)} ambiguous\n")
    for outcome in resolved:
        print(outcome.line())
        if args.verbose and outcome.scored:
            print(f"         means {json.dumps(outcome.query['means'])}")
            print(f"         note: {outcome.query.get('note', '')}")
            if extra := outcome.found - outcome.meant:
                print(f"         not meant ({len(extra)}): {titles(extra)}")
            if missing := outcome.meant - outcome.found:
                print(f"         missed ({len(missing)}): {titles(missing)}")

    print("\nAmbiguous (the search should ask, not guess; counts only for now):")
    for outcome in ambiguous:
        candidates = outcome.query.get("ambiguous", [])
        shares = ", ".join(
            f"{slug}={len(outcome.found & published_ids({'institution': slug}))}"
            for slug in candidates
        )
        state = "nothing" if not outcome.found else f"{len(outcome.found):>4} found"
        print(f"  {state:<10} [{outcome.query['lang']}] {outcome.query['q']}: {shares}")
    quiet = sum(not o.found for o in ambiguous)
    print(f"  {quiet}/{len(ambiguous)} return nothing (asking is not measured yet)")

    print("\nWorst ten (lowest F1, then largest meant set):")
    scored = [o for o in resolved if o.scored]
    for outcome in sorted(scored, key=lambda o: (o.f1, -len(o.meant)))[:10]:
        print("  " + outcome.line())

    print()
    for language in ("en", "ja"):
        if not args.language or args.language == language:
            summary(language, [o for o in resolved if o.query["lang"] == language])
    if not args.language:
        summary("all", resolved)


if __name__ == "__main__":
    main()

"""Edits landing while the registry is served (bench/served.py): every few seconds one
published agreement of the bench database gets a new word in its title, saved as
the admin saves it (reindexed, the index version moved); then a search for that word
through the served site is repeated until it finds the agreement. Prints, as JSON,
the seconds from each edit's commit to its first finding.

    python bench/edits.py --every 3 --seconds 30 --base http://127.0.0.1:8011
"""

import argparse
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")

import django  # noqa: E402

django.setup()

from registry.models import Agreement  # noqa: E402
from registry.search import refresh_agreement_index  # noqa: E402

POLL_SECONDS = 0.05
GIVE_UP_SECONDS = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--base", required=True)
    options = parser.parse_args()
    published = Agreement.objects.published().order_by("pk")
    count = published.count()
    visible_after = []
    started = time.perf_counter()
    round_ = 0
    while time.perf_counter() - started + options.every <= options.seconds:
        round_started = time.perf_counter()
        agreement = published[(round_ * 7919) % count]
        # A word no agreement holds, so that finding it means finding this edit.
        word = f"benchedit{os.getpid()}x{round_}"
        Agreement.objects.filter(pk=agreement.pk).update(
            title=f"{agreement.title.split(' benchedit')[0]} {word}"
        )
        refresh_agreement_index(agreement_ids=[agreement.pk])
        edited = time.perf_counter()
        visible_after.append(_until_found(options.base, word) - edited)
        round_ += 1
        time.sleep(max(0.0, options.every - (time.perf_counter() - round_started)))
    print(json.dumps(visible_after))


def _until_found(base: str, word: str) -> float:
    """When a search for ``word`` through the site first lists a result."""
    deadline = time.perf_counter() + GIVE_UP_SECONDS
    while time.perf_counter() < deadline:
        with urllib.request.urlopen(f"{base}/api/v1/agreements/?q={word}") as answer:
            if json.loads(answer.read())["count"]:
                return time.perf_counter()
        time.sleep(POLL_SECONDS)
    sys.exit(f"An edit was not found by search within {GIVE_UP_SECONDS} s.")


if __name__ == "__main__":
    main()

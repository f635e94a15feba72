"""Where the official institution lists live for the tests that check fixtures against
them.

The lists (MEXT, IPEDS, Carnegie, ROR) sit beside the repository in ``../shared/data``
on the team's machines and in CI; the project never reads them at run time.
``USJP_REFERENCE_LISTS`` points elsewhere. Where they are absent the dependent tests
skip, unless ``USJP_REQUIRE_REFERENCE_LISTS=1`` (set by CI) turns that into a failure.
"""

import csv
import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = REPOSITORY / "fixtures"


def reference_list_path(name: str) -> Path:
    root = Path(
        os.environ.get("USJP_REFERENCE_LISTS", REPOSITORY.parent / "shared" / "data")
    )
    path = root / "institutions" / name
    if not path.exists():
        message = f"official list {path} is not available"
        if os.environ.get("USJP_REQUIRE_REFERENCE_LISTS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def read_reference_csv(name: str, *, encoding: str = "utf-8") -> list[dict[str, str]]:
    with reference_list_path(name).open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))

"""Django in a fresh process, as a deployment starts it: the tests' environment
without what they set for themselves, and what a test gives."""

import os
import subprocess
import sys

from tests.reference_lists import REPOSITORY

SET_BY_THE_TESTS = {
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "USJP_NOT_SERVING",
    "REDIS_URL",
}


def environment(**given) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k not in SET_BY_THE_TESTS},
        **given,
    }


def python(code: str, **given) -> subprocess.CompletedProcess:
    """``python -c code`` in the repository, with ``given`` in its environment."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPOSITORY,
        env=environment(**given),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def manage(*arguments, **given) -> subprocess.CompletedProcess:
    """``manage.py arguments`` in the repository, with ``given`` in its environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPOSITORY,
        env=environment(**given),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

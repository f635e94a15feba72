"""Replicas: anonymous reads (pages, API reads, exports to their last row) and index
builds read one replica; writes, staff and the admin use the primary."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import router
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from registry.models import Agreement
from tests.processes import python
from usjp_site import routers
from usjp_site.routers import ReplicaReadsMiddleware, reading_from_a_replica


@pytest.fixture
def one_replica(monkeypatch):
    monkeypatch.setattr(routers, "replica_aliases", lambda: ["replica_0"])


def read_database():
    return router.db_for_read(Agreement) or "default"


def answered(method="get", path="/agreements/", user=None, streamed=False):
    """Where the view read, and the response."""
    seen = {}

    def view(request):
        seen["view"] = read_database()
        seen["write"] = router.db_for_write(Agreement)
        if streamed:
            return StreamingHttpResponse(read_database() for _ in range(2))
        return HttpResponse()

    request = getattr(RequestFactory(), method)(path)
    request.user = user or AnonymousUser()
    response = ReplicaReadsMiddleware(view)(request)
    return seen, response


def test_anonymous_reads_come_from_a_replica_and_writes_go_to_the_primary(
    one_replica,
):
    seen, _response = answered()

    assert seen == {"view": "replica_0", "write": "default"}
    assert read_database() == "default"  # after the request


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/i18n/setlang/"), ("get", "/admin/registry/")]
)
def test_posts_and_the_admin_read_the_primary(one_replica, method, path):
    seen, _response = answered(method, path)

    assert seen["view"] == "default"


@pytest.mark.django_db
def test_signed_in_people_read_the_primary(one_replica, editor):
    seen, _response = answered(user=editor)

    assert seen["view"] == "default"


def test_a_streamed_export_reads_the_replica_to_its_last_row(one_replica):
    _seen, response = answered(streamed=True)

    assert [chunk.decode() for chunk in response.streaming_content] == [
        "replica_0",
        "replica_0",
    ]
    assert read_database() == "default"


def test_without_replicas_everything_is_the_primary():
    seen, _response = answered()

    assert seen == {"view": "default", "write": "default"}


def test_an_index_build_reads_one_replica_throughout(one_replica):
    with reading_from_a_replica() as alias, reading_from_a_replica() as inner:
        assert (alias, inner, read_database()) == (
            "replica_0",
            "replica_0",
            "replica_0",
        )
    assert read_database() == "default"


def test_migrations_run_on_the_primary_only():
    assert routers.ReplicaRouter().allow_migrate("default", "registry")
    assert not routers.ReplicaRouter().allow_migrate("replica_0", "registry")


def test_replica_urls_become_databases_that_tests_mirror():
    result = python(
        "import usjp_site.settings as s; "
        "print(*[(a, d['HOST'], d.get('TEST', {}).get('MIRROR')) "
        "for a, d in s.DATABASES.items()], sep='\\n')",
        DEBUG="1",
        DATABASE_URL="postgres://u@primary:5432/usjp",
        DATABASE_REPLICA_URLS="postgres://u@replica-a:5432/usjp,"
        "postgres://u@replica-b:5432/usjp",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "('default', 'primary', None)",
        "('replica_0', 'replica-a', 'default')",
        "('replica_1', 'replica-b', 'default')",
    ]

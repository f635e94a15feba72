"""Reads that may come from a PostgreSQL replica (``DATABASE_REPLICA_URLS``).

What the public reads (an anonymous GET: pages, API reads, exports) and what a
process reads to build its search index goes to one replica, chosen for the whole
request or build, so that its queries see one database; everything else (writes,
sign-ins, staff, the admin) goes to the primary, ``default``. A replica a moment
behind is harmless to the public: it shows what was published a moment ago, and
search rows still pass through ``published()`` on the same replica.

With no replica configured everything is the primary's.
"""

import contextvars
import random
from contextlib import contextmanager

from django.conf import settings

_reading_from = contextvars.ContextVar("usjp_reading_from", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


@contextmanager
def reading_from_a_replica():
    """Reads inside the block come from one replica (the one already chosen, if
    any)."""
    replicas = replica_aliases()
    if not replicas or _reading_from.get() is not None:
        yield _reading_from.get()
        return
    alias = random.choice(replicas)  # noqa: S311 (spreading load, not a secret)
    token = _reading_from.set(alias)
    try:
        yield alias
    finally:
        _reading_from.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return _reading_from.get()  # None: the primary

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, first, second, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    """Anonymous GET and HEAD requests read from a replica, streamed responses (an
    export) to their last row. Placed after AuthenticationMiddleware: who is signed
    in is read from the primary, where the session was just written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or request.user.is_authenticated
            or request.path_info.startswith("/admin/")
            or not replica_aliases()
        ):
            return self.get_response(request)
        with reading_from_a_replica() as alias:
            response = self.get_response(request)
        if response.streaming:
            response.streaming_content = _read_from(alias, response.streaming_content)
        return response


def _read_from(alias, chunks):
    # The server reads a streamed response after the middleware has returned, in the
    # same thread: the replica is named again for it, and forgotten at its end.
    _reading_from.set(alias)
    try:
        yield from chunks
    finally:
        _reading_from.set(None)

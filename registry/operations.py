"""What the people running the registry need of it: a health check for the load
balancer, one JSON log line a request with an id to follow it by, and API errors that
stay JSON when the server itself fails."""

import json
import logging
import re
import time
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error

from .limits import client_address

requests_log = logging.getLogger("registry.requests")
# An id a proxy already gave the request is kept if it looks like one; anything else
# (or nothing) gets a fresh one, so a log line never carries what a client wrote.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: its message, and the fields ``extra`` gave it."""

    FIELDS = (
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "client",
        "user_id",
    )

    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            (name, getattr(record, name))
            for name in self.FIELDS
            if hasattr(record, name)
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class RequestLogMiddleware:
    """Gives each request an id (``request.id``, and the ``X-Request-ID`` header of
    its response) and logs it once answered: method, path, status, duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        request.id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        user = getattr(request, "user", None)
        requests_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request.id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                # Until the view returned: a streamed export goes on after it.
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client_address(request),
                "user_id": user.pk if user and user.is_authenticated else None,
            },
        )
        return response


@never_cache
def health(request):
    """Whether this process can reach the database and the cache: 200 if both
    answer, else 503, for a load balancer. It says nothing of what they are."""
    checks = {"database": _database_answers(), "cache": _cache_answers()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            **{name: "ok" if fine else "unavailable" for name, fine in checks.items()},
        },
        status=200 if healthy else 503,
    )


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logging.getLogger(__name__).exception("Health check: the database failed")
        return False


def _cache_answers() -> bool:
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, 1, timeout=10)
        answered = cache.get(key) == 1
        cache.delete(key)
        return answered
    except Exception:
        logging.getLogger(__name__).exception("Health check: the cache failed")
        return False


def server_failed(request):
    """The answer to an error no view caught: JSON under /api/ (what API clients
    read), Django's plain 500 page elsewhere. Nothing of the error is shown."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": _("A server error occurred. It has been logged."),
                "request_id": getattr(request, "id", ""),
            },
            status=500,
        )
    return server_error(request)

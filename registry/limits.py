"""Limits on anonymous use, the same for every process of the site.

- **Who is asking** (``client_address``): the address that connected, unless that
  is one of ``settings.TRUSTED_PROXIES``; then the ``X-Forwarded-For`` chain is read
  from the right, past every trusted proxy, to the first address none of ours wrote.
  A client can put anything in that header, so only what our proxies appended counts:
  rotating it changes nothing.
- **How often** (``AddressThrottle``): DRF's throttles, counted in the default cache,
  which is Redis (``REDIS_URL``) when several processes or machines serve the site,
  so that they share one count. The API (``API_ANON_RATE``), public pages
  (``PAGE_ANON_RATE``) and, tighter, exports (``EXPORT_ANON_RATE``) count apart.
  Over a limit: HTTP 429 with ``Retry-After`` and a message. Signed-in staff are
  never limited.
- **How many searches at once** (``SearchSlotsMiddleware``): the requests whose cost
  grows with the registry (searches, directories, figures, the API) run at most
  ``SEARCHES_PER_PROCESS`` at a time in a process and the rest wait their turn, so
  that the home page and the pages of one record, which cost a few milliseconds,
  never queue behind them: a busy site stays quick to enter.
- **How many exports at once** (``holding_export_slot``): a process streams at most
  ``EXPORTS_PER_PROCESS`` exports at a time, whoever asks; another is answered 503
  with ``Retry-After`` at once rather than queued, so the process's other threads
  keep serving pages.
"""

import ipaddress
import math
import threading
from functools import lru_cache

from django.conf import settings
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str:
    """The address of the client behind our trusted proxies (see the module)."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                # Our proxy wrote what it received as the peer: not an address.
                return remote
    return hops[0] if hops else remote


class AddressThrottle(SimpleRateThrottle):
    """Anonymous requests per client address at the rate of ``settings.<rate_setting>``
    (None: no limit), read at each request so that a deployment or a test can change
    it.

    Counted in fixed windows (a minute, an hour) with the cache's atomic increment:
    DRF's own throttle reads and rewrites a list of times, so two processes answering
    at once can both let a request through on the same count. A client may spend one
    window's allowance at its end and the next at the start of the next."""

    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": client_address(request),
        }

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window = int(self.timer() // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{key}:{window}"
        # add() does nothing if the window's counter exists; incr() is atomic in
        # Redis and in local memory.
        self.cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between the two calls
            self.cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self):
        return max(1.0, self.window_ends - self.timer())


class PageThrottle(AddressThrottle):
    scope = "pages"
    rate_setting = "PAGE_ANON_RATE"


class ExportThrottle(AddressThrottle):
    scope = "exports"
    rate_setting = "EXPORT_ANON_RATE"


# Addresses that are not public pages: the API and the admin limit themselves (DRF's
# throttle, django-axes), static files and the health check are never limited.
NOT_LIMITED = ("/api/", "/admin/", "/health/", "/i18n/")


class AnonymousLimitsMiddleware:
    """PAGE_ANON_RATE on every public page, EXPORT_ANON_RATE on exports (``?export=``)
    as well. Placed after AuthenticationMiddleware: staff are not limited."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(NOT_LIMITED) or path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        throttles = [PageThrottle()]
        if request.GET.get("export"):
            throttles.append(ExportThrottle())
        waits = [
            throttle.wait()
            for throttle in throttles
            if not throttle.allow_request(request, None)
        ]
        if waits:
            return too_many_requests(request, seconds=max(wait or 1 for wait in waits))
        return self.get_response(request)


def too_many_requests(request, *, seconds: float):
    seconds = max(1, math.ceil(seconds))
    return _refused(
        request,
        status=429,
        seconds=seconds,
        message=_(
            "Too many requests from your address. Please wait %(seconds)s seconds "
            "and try again."
        )
        % {"seconds": seconds},
    )


# The requests whose cost grows with the registry: view names, and whole namespaces.
SEARCH_VIEWS = {
    "registry:agreement_list",
    "registry:institution_list",
    "registry:organization_list",
    "registry:insights",
    "registry:figure_download",
}
SEARCH_NAMESPACES = {"api"}


class SearchSlotsMiddleware:
    """SEARCHES_PER_PROCESS searches at a time in this process (see the module); one
    that waits longer than SEARCH_WAIT_SECONDS is answered 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._is_search(request):
            return self.get_response(request)
        slots = SEARCH_SLOTS.semaphore()
        if not slots.acquire(timeout=settings.SEARCH_WAIT_SECONDS):
            return _refused(
                request,
                status=503,
                seconds=settings.EXPORT_RETRY_AFTER_SECONDS,
                message=_("The server is busy. Please try again in a few seconds."),
            )
        try:
            return self.get_response(request)
        finally:
            slots.release()

    @staticmethod
    def _is_search(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in SEARCH_VIEWS or bool(
            set(match.namespaces) & SEARCH_NAMESPACES
        )


class ExportsBusy(Exception):
    """Every export slot of this process is taken."""


class Slots:
    """A process's slots for one kind of work, as many as a setting says, made on
    first use."""

    def __init__(self, setting: str):
        self.setting = setting
        self._semaphore = None
        self._lock = threading.Lock()

    def semaphore(self) -> threading.BoundedSemaphore:
        with self._lock:
            if self._semaphore is None:
                count = getattr(settings, self.setting)
                self._semaphore = threading.BoundedSemaphore(count)
            return self._semaphore

    def forget(self) -> None:
        """Made again on next use (a test that changed the setting, or left one
        taken)."""
        with self._lock:
            self._semaphore = None


SEARCH_SLOTS = Slots("SEARCHES_PER_PROCESS")
EXPORT_SLOTS = Slots("EXPORTS_PER_PROCESS")


def holding_export_slot(make_response):
    """``make_response()`` in one of the process's export slots, held until the
    response is closed, after its last byte or when the client goes away; ExportsBusy
    at once if no slot is free."""
    slots = EXPORT_SLOTS.semaphore()
    if not slots.acquire(blocking=False):
        raise ExportsBusy
    try:
        response = make_response()
    except BaseException:
        slots.release()
        raise
    # The server closes every response, streamed to the end or not: the slot is
    # given back then (a generator's finally would not run if it never started).
    response.streaming_content = _ReleasedOnClose(
        response.streaming_content, slots.release
    )
    return response


class _ReleasedOnClose:
    def __init__(self, chunks, release):
        self.chunks = chunks
        self.release = release

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        release, self.release = self.release, None
        if release is not None:
            release()


def exports_busy(request):
    return _refused(
        request,
        status=503,
        seconds=settings.EXPORT_RETRY_AFTER_SECONDS,
        message=_(
            "The server is preparing as many exports as it can at once. Please try "
            "again in a few seconds."
        ),
    )


def _refused(request, *, status: int, seconds: int, message: str):
    """A request turned away for now: the page saying why, and when to come back."""
    response = render(request, "429.html", {"message": message}, status=status)
    response["Retry-After"] = str(seconds)
    return response

"""How the registry is served in production:

    gunicorn -c usjp_site/gunicorn.conf.py usjp_site.wsgi

Each worker builds its search index before it serves anyone and keeps it fresh from
a thread of its own (registry.engine.start_refresher): no request waits for an index.

Threads (gthread): a long export streams from one thread while the worker's main
loop keeps answering gunicorn's arbiter, so the worker is not killed at ``timeout``
halfway through a file, as a sync worker is (a 90,000-row CSV takes about 8 s); the
worker's other threads keep serving pages meanwhile. ``timeout`` then only catches a
worker that has stopped answering altogether.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# Many threads, few of them searching (SEARCHES_PER_PROCESS): a thread is always free
# for the home page or a record's page, however many searches wait.
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# No access log: the application logs each request as a JSON line, with its id
# (registry.operations).
accesslog = None
# The application is loaded once, in the master, and the workers are forked from it:
# they share its memory (Django, numpy, the code) until they write to it.
preload_app = True


def when_ready(server):
    # The master writes the current index into the machine's store (SEARCH_INDEX_DIR)
    # before any worker starts, so that workers only map it. Its database connection
    # is closed again: forked workers must not share it.
    from django.db import connections

    from registry.engine import SearchIndexVersion
    from registry.index_store import load_index

    load_index(SearchIndexVersion.current())
    connections.close_all()
    _load_what_requests_load()


def _load_what_requests_load():
    """Import every view (and through them the API, exports, charts) and compile
    every template in the master, which Django would otherwise do lazily in each
    worker on its first requests: made once here, they are shared by the workers."""
    from pathlib import Path

    from django.conf import settings
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the URLconf and its views)
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in Path(directory).rglob("*.html"):
            get_template(str(path.relative_to(directory)))


def pre_fork(server, worker):
    # What the master holds moves out of the garbage collector's reach: collections
    # in a worker would otherwise write to (and so copy) every shared object's page.
    import gc

    gc.freeze()


def post_fork(server, worker):
    _return_freed_memory()
    _hand_over_quickly()


def _hand_over_quickly():
    # A thread that wants the interpreter waits up to this long for the one running
    # (5 ms by default): with searches running, a quick page would wait several such
    # turns. 1 ms keeps the home page and a record's page quick on a busy worker.
    import sys

    sys.setswitchinterval(float(os.environ.get("GIL_SWITCH_INTERVAL", "0.001")))


def post_worker_init(worker):
    # After the worker has loaded the application (Django is set up), before it
    # accepts a connection.
    from registry.engine import start_refresher

    start_refresher()


def _return_freed_memory():
    """A search allocates and frees arrays of a few MB (a score for each
    agreement). glibc's malloc would keep such memory once freed, in a pool for
    each of a worker's threads, and a worker would grow to hold its peak for good;
    with a fixed threshold each large array is its own mapping, returned to the
    system when freed, and two pools are shared by the threads. (glibc only: the
    settings are left as they are elsewhere.)"""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or "libc.so" not in name:
        return
    libc = ctypes.CDLL(name)
    m_mmap_threshold, m_arena_max = -3, -8  # from glibc's malloc.h
    libc.mallopt(m_mmap_threshold, 256 * 1024)
    libc.mallopt(m_arena_max, 2)

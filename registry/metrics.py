"""Counters an operator watches (``search.sql_fallback``…), kept in the cache so
that every web process adds to the same number when the cache is shared (Redis)."""

from django.core.cache import cache

PREFIX = "metrics:"


def increment(name: str) -> None:
    key = PREFIX + name
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr: start again from one
        cache.set(key, 1, timeout=None)


def value(name: str) -> int:
    return cache.get(PREFIX + name, 0)

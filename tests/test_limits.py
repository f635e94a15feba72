"""Anonymous limits: who is asking (through trusted proxies only), how often (API,
pages, exports, counted in a cache every process shares) and how many exports a
process streams at once."""

import json
import os
import subprocess
import sys

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse

from registry import limits
from registry.limits import client_address
from registry.models import Agreement
from tests.factories import make_agreement
from tests.processes import environment
from tests.reference_lists import REPOSITORY

REDIS = "redis://127.0.0.1:6379/14"


def request_from(remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        # No proxy is trusted: the header is anyone's to write.
        ([], "198.51.100.7", "203.0.113.9", "198.51.100.7"),
        # Our proxy appended the address it saw; what the client wrote is before it.
        (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        # Two of our proxies in a row.
        (["10.0.0.0/8"], "10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # A connection that is not from our proxy: its header means nothing.
        (["10.0.0.0/8"], "198.51.100.7", "203.0.113.9", "198.51.100.7"),
        # Our proxy wrote something that is not an address.
        (["10.0.0.5"], "10.0.0.5", "203.0.113.9, garbage", "10.0.0.5"),
        # Only our proxies, no client hop: the first of them.
        (["10.0.0.0/8"], "10.0.0.5", "10.0.0.9", "10.0.0.9"),
        (["2001:db8::/32"], "2001:db8::1", "2001:db8::2, 2a00::1", "2a00::1"),
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(
    settings, proxies, remote, forwarded, client
):
    settings.TRUSTED_PROXIES = proxies

    assert client_address(request_from(remote, forwarded)) == client


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_reset_the_api_limit(client, settings):
    settings.API_ANON_RATE = "2/min"
    url = reverse("api:agreement-list")

    statuses = [
        client.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]
    refused = client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Request was throttled" in refused.json()["detail"]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_count(client, settings):
    settings.API_ANON_RATE = "1/min"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    url = reverse("api:agreement-list")

    first = client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.1")
    other = client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.2")
    again = client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.1")

    assert (first.status_code, other.status_code, again.status_code) == (
        200,
        200,
        429,
    )


@pytest.mark.django_db
def test_public_pages_have_their_own_limit_with_a_message(client, settings):
    settings.PAGE_ANON_RATE = "2/min"
    settings.API_ANON_RATE = None
    url = reverse("registry:agreement_list")

    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert "Too many requests from your address. Please wait" in page
    # The API counts apart.
    assert client.get(reverse("api:agreement-list")).status_code == 200


@pytest.mark.django_db
def test_the_limit_page_is_in_japanese_under_ja(client, settings):
    settings.PAGE_ANON_RATE = "1/min"
    client.get("/ja/agreements/")

    refused = client.get("/ja/agreements/")

    assert refused.status_code == 429
    assert "アドレスからのリクエストが多すぎます" in refused.content.decode()


@pytest.mark.django_db
def test_staff_are_not_limited(editor_client, settings):
    settings.PAGE_ANON_RATE = "1/min"
    url = reverse("registry:agreement_list")

    assert {editor_client.get(url).status_code for _ in range(3)} == {200}


@pytest.mark.django_db
def test_exports_have_a_tighter_limit_of_their_own(client, settings):
    make_agreement()
    settings.EXPORT_ANON_RATE = "1/hour"
    url = reverse("registry:agreement_list")

    first = client.get(url, {"export": "csv"})
    b"".join(first.streaming_content)
    second = client.get(url, {"export": "json"})

    assert first.status_code == 200
    assert second.status_code == 429
    assert 60 < int(second["Retry-After"]) <= 3600
    # Searching goes on.
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_process_streams_one_export_at_a_time_and_says_when_to_come_back(
    client, settings
):
    make_agreement()
    url = reverse("registry:agreement_list")

    streaming = client.get(url, {"export": "csv"})
    busy = client.get(url, {"export": "csv"})
    b"".join(streaming.streaming_content)  # the client closes it at its end
    after = client.get(url, {"export": "json"})

    assert streaming.status_code == 200
    assert busy.status_code == 503
    assert busy["Retry-After"] == str(settings.EXPORT_RETRY_AFTER_SECONDS)
    assert "as many exports as it can at once" in busy.content.decode()
    assert after.status_code == 200
    exported = json.loads(b"".join(after.streaming_content))
    assert exported["count"] == Agreement.objects.published().count()


@pytest.mark.django_db
def test_an_export_never_read_gives_its_slot_back_when_closed(client):
    make_agreement()
    url = reverse("registry:agreement_list")

    abandoned = client.get(url, {"export": "csv"})
    # What the server does when the client goes away, without the end of request's
    # closing of database connections, which would close the test's transaction.
    request_finished.disconnect(close_old_connections)
    try:
        abandoned.close()
    finally:
        request_finished.connect(close_old_connections)

    assert client.get(url, {"export": "csv"}).status_code == 200


def test_a_failing_export_gives_its_slot_back():
    def broken():
        raise RuntimeError("no database")

    with pytest.raises(RuntimeError):
        limits.holding_export_slot(broken)

    assert limits.EXPORT_SLOTS.semaphore().acquire(blocking=False)
    limits.EXPORT_SLOTS.semaphore().release()


COUNT_IN_A_PROCESS = """
import django, json, sys
django.setup()
from django.test import RequestFactory
from django.contrib.auth.models import AnonymousUser
from registry.limits import PageThrottle
allowed = 0
for _ in range(int(sys.argv[1])):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.44")
    request.user = AnonymousUser()
    allowed += PageThrottle().allow_request(request, None)
print(json.dumps(allowed))
"""


def test_two_processes_share_one_count_through_redis():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS).flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("USJP_REQUIRE_REDIS"):
            raise
        pytest.skip("no Redis at 127.0.0.1:6379")
    env = environment(
        DJANGO_SETTINGS_MODULE="usjp_site.settings",
        DEBUG="1",
        REDIS_URL=REDIS,
        PAGE_ANON_RATE="40/day",
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, "30"],
            cwd=REPOSITORY,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    allowed = [json.loads(process.communicate(timeout=60)[0]) for process in processes]

    # 60 requests from one address in two processes: 40 let through in all, as the
    # count is one, whichever process answered.
    assert sum(allowed) == 40
    redis.Redis.from_url(REDIS).flushdb()


@pytest.mark.django_db
def test_searches_wait_for_a_slot_while_pages_of_one_record_never_do(client, settings):
    agreement = make_agreement()
    settings.SEARCHES_PER_PROCESS = 1
    settings.SEARCH_WAIT_SECONDS = 0.05
    limits.SEARCH_SLOTS.forget()
    taken = limits.SEARCH_SLOTS.semaphore()
    taken.acquire()  # another thread's search, still running
    try:
        search = client.get(reverse("registry:agreement_list"))
        api = client.get(reverse("api:agreement-list"))
        home = client.get(reverse("registry:home"))
        record = client.get(agreement.get_absolute_url())
    finally:
        taken.release()
    after = client.get(reverse("registry:agreement_list"))

    assert (search.status_code, api.status_code) == (503, 503)
    assert search["Retry-After"] == str(settings.EXPORT_RETRY_AFTER_SECONDS)
    assert "The server is busy" in search.content.decode()
    assert (home.status_code, record.status_code, after.status_code) == (200, 200, 200)

"""What operators rely on: the health check, JSON errors from the API even when the
server fails, a JSON log line a request with its id, and the security headers."""

import json
import logging

import pytest
from django.db import OperationalError
from django.urls import reverse

from registry.operations import JsonFormatter
from tests.processes import manage

# -- /health/ -------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_says_the_database_and_cache_answer(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_is_503_when_the_database_fails_and_tells_no_secrets(
    client, monkeypatch
):
    def refuse(*args, **kwargs):
        raise OperationalError('password authentication failed for user "postgres"')

    monkeypatch.setattr("registry.operations.connection.cursor", refuse)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "cache": "ok",
    }
    assert b"postgres" not in response.content


@pytest.mark.django_db
def test_health_is_503_when_the_cache_fails(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("redis://secret@cache:6379")

    monkeypatch.setattr("registry.operations.cache.set", refuse)

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"
    assert b"secret" not in response.content


@pytest.mark.django_db
def test_health_is_never_limited_nor_redirected_to_https(client, settings):
    settings.PAGE_ANON_RATE = "1/min"
    settings.SECURE_SSL_REDIRECT = True

    assert {client.get("/health/").status_code for _ in range(3)} == {200}


# -- errors ---------------------------------------------------------------------------


@pytest.fixture
def failing_api(monkeypatch):
    def fail(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr("registry.api.views.AgreementViewSet.list", fail)


@pytest.mark.django_db
def test_an_api_request_the_server_fails_is_answered_in_json(client, failing_api):
    client.raise_request_exception = False

    response = client.get(reverse("api:agreement-list"), HTTP_X_REQUEST_ID="abc12345")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "A server error occurred. It has been logged.",
        "request_id": "abc12345",
    }
    assert b"connect" not in response.content


@pytest.mark.django_db
def test_a_page_the_server_fails_is_the_plain_error_page(client, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("registry.views.AboutView.get", fail, raising=False)
    client.raise_request_exception = False

    response = client.get(reverse("registry:about"))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"boom" not in response.content


# -- logs -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_request_is_logged_once_with_its_id_status_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="registry.requests"):
        response = client.get(reverse("registry:about"))

    [record] = [r for r in caplog.records if r.name == "registry.requests"]
    assert record.status == 200
    assert record.method == "GET"
    assert record.path == reverse("registry:about")
    assert record.duration_ms >= 0
    assert record.request_id == response["X-Request-ID"]
    assert len(record.request_id) == 32


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "kept"),
    [("req-2026-11-30.abc", True), ("x", False), ("<script>alert(1)</script>", False)],
)
def test_a_proxy_s_request_id_is_kept_only_if_it_looks_like_one(client, given, kept):
    response = client.get(reverse("registry:about"), HTTP_X_REQUEST_ID=given)

    assert (response["X-Request-ID"] == given) is kept


def test_log_lines_are_json_objects():
    record = logging.LogRecord(
        "registry.requests", logging.INFO, __file__, 1, "GET / %s", (200,), None
    )
    record.request_id, record.status, record.duration_ms = "abc", 200, 1.5

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "GET / 200"
    assert line["level"] == "INFO"
    assert line["request_id"] == "abc"
    assert (line["status"], line["duration_ms"]) == (200, 1.5)


# -- headers --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/agreements/", "/ja/insights/", "/api/docs/", "/admin/login/"]
)
def test_every_page_has_a_strict_content_security_policy(client, url):
    response = client.get(url)

    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1)
        for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_no_page_carries_an_inline_script(client):
    for url in ("/", "/agreements/", "/insights/", "/api/docs/", "/admin/login/"):
        page = client.get(url).content.decode()
        scripts = page.split("<script")[1:]
        assert all(" src=" in script.split(">", 1)[0] for script in scripts), url


def deploy_check(**environment):
    return manage("check", "--deploy", "--fail-level", "WARNING", **environment)


PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "Zx9!q@w#e$r%t^y&u*i(o)p_a+s-d=f" + "7" * 20,
    "ALLOWED_HOSTS": "registry.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "BEHIND_TLS_PROXY": "1",
}


def test_production_settings_pass_the_deploy_check():
    result = deploy_check(**PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_https_settings_the_deploy_check_says_so():
    result = deploy_check(
        **{**PRODUCTION, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"}
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


@pytest.mark.django_db
def test_hsts_and_https_redirect_follow_the_settings(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600

    plain = client.get("/about/")
    secure = client.get("/about/", secure=True)

    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert secure["Strict-Transport-Security"].startswith("max-age=3600")

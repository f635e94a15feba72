"""The settings module refuses an unsafe production start and reads the environment."""

from tests.processes import manage, python


def load_settings(**environment):
    return python(
        "import usjp_site.settings as s; print(s.DATABASES['default']['ENGINE'])",
        **environment,
    )


def test_it_refuses_to_start_with_debug_off_and_the_development_key():
    result = load_settings()
    assert result.returncode != 0
    assert "refusing to start with the development key" in result.stderr


def test_it_starts_for_development_on_sqlite():
    result = load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_database_url_switches_to_postgresql():
    result = load_settings(
        SECRET_KEY="x" * 50, DATABASE_URL="postgres://u@127.0.0.1:5432/db"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_a_malformed_boolean_is_reported():
    result = load_settings(DEBUG="maybe")
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_commands_that_serve_nothing_run_without_a_secret_key():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_the_development_server_still_refuses_the_development_key():
    result = manage("runserver", "--noreload", "127.0.0.1:0")
    assert result.returncode != 0
    assert "refusing to start with the development key" in result.stderr


def cache_backend(**environment):
    result = python(
        "import usjp_site.settings as s; c = s.CACHES['default']; "
        "print(c['BACKEND'], c.get('LOCATION', ''))",
        DEBUG="1",
        **environment,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_cache_is_each_process_s_own_memory_by_default():
    assert cache_backend() == ["django.core.cache.backends.locmem.LocMemCache"]


def test_redis_url_shares_one_cache_between_processes():
    assert cache_backend(REDIS_URL="redis://127.0.0.1:6379/3") == [
        "django_redis.cache.RedisCache",
        "redis://127.0.0.1:6379/3",
    ]


def test_figures_are_shared_through_redis(settings):
    """Two processes see the same figures: what one caches through Redis, a fresh
    client of the same server reads."""
    import pytest
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
        }
    }
    writer = caches.create_connection("default")
    writer.set("insights-test", {"rows": [1, 2]}, timeout=30)
    reader = caches.create_connection("default")
    assert reader.get("insights-test") == {"rows": [1, 2]}
    writer.delete("insights-test")


def test_a_number_that_is_not_one_is_refused_with_its_name():
    result = load_settings(DEBUG="1", SEARCH_INDEX_REFRESH_SECONDS="soon")
    assert result.returncode != 0
    assert "SEARCH_INDEX_REFRESH_SECONDS='soon' is not a number." in result.stderr
    result = load_settings(DEBUG="1", IMPORT_MAX_ROWS="many")
    assert "IMPORT_MAX_ROWS='many' is not a whole number." in result.stderr


def test_numbers_and_text_are_read_from_the_environment():
    result = python(
        "import usjp_site.settings as s; print(s.SEARCH_INDEX_REFRESH_SECONDS, "
        "s.IMPORT_MAX_ROWS, s.API_ANON_RATE, s.TIME_ZONE)",
        DEBUG="1",
        SEARCH_INDEX_REFRESH_SECONDS="0.5",
        IMPORT_MAX_ROWS="10",
        API_ANON_RATE=" 30/min ",
        TIME_ZONE="Asia/Tokyo",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0.5", "10", "30/min", "Asia/Tokyo"]

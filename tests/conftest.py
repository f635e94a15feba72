import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import translation

from registry import limits, resolver
from registry.engine import forget_published_index
from registry.reference_data import load_reference_data
from registry.roles import CURATORS, EDITORS, ensure_roles
from registry.views import HomeView


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The reference data, loaded once: every test starts from the real taxonomies,
    agencies, institutions and the fact sheet's agreements, and rolls back its own
    changes."""
    with django_db_blocker.unblock():
        load_reference_data()
        ensure_roles()


@pytest.fixture(scope="module")
def reference_data_at_the_end(django_db_blocker):
    """For a module of transactional tests: each ends by emptying every table, and
    the tests after the module expect the reference data loaded above."""
    yield
    with django_db_blocker.unblock():
        load_reference_data()
        ensure_roles()


def _staff(username, group_name):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username=username, password="not-a-secret", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def curator(db):
    return _staff("curator", CURATORS)


@pytest.fixture
def editor(db):
    return _staff("editor", EDITORS)


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def roles(db):
    return ensure_roles()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Hashing a password properly takes a third of a second, by design; tests need no
    # safety.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    # Production serves hashed files collected by collectstatic; tests render templates
    # without collecting first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def search_index_always_current(settings):
    # In production a process checks for changes every few seconds; tests change the
    # registry between requests and must see each change at once. Each test starts with
    # no index: a rolled-back test may have built one at a version number that the next
    # test reaches again with other contents.
    settings.SEARCH_INDEX_REFRESH_SECONDS = 0
    forget_published_index()
    # Figures are cached under the index's version, which the same rollback reuses;
    # the anonymous limits count there too.
    cache.clear()
    HomeView.made.clear()
    # A test that leaves an export unread would hold the process's export slot.
    limits.EXPORT_SLOTS.forget()
    limits.SEARCH_SLOTS.forget()


@pytest.fixture(autouse=True)
def english_to_start_with():
    # A request leaves its language active in the thread: a /ja/ page would make the
    # next test's reverse() Japanese.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
    resolver._index = None

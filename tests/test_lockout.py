"""The admin's sign-in locks a user name from an address after repeated wrong
passwords (django-axes), says so and for how long, and an editor can lift the lock."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.urls import reverse

PASSWORD = "correct horse battery staple"


@pytest.fixture
def curator_account(curator):
    curator.set_password(PASSWORD)
    curator.save()
    return curator


def sign_in(client, username, password, address="203.0.113.5"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_wrong_passwords_lock_the_account_then_even_the_right_one_is_refused(
    client, curator_account, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, curator_account.username, "wrong").status_code == 200
    locked = sign_in(client, curator_account.username, "wrong")
    right = sign_in(client, curator_account.username, PASSWORD)

    assert locked.status_code == 429
    assert right.status_code == 429
    page = right.content.decode()
    assert "Signing in is locked for 15 minutes" in page
    assert "ask an editor to unlock your account" in page
    assert right["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lock_holds_one_user_name_from_one_address(
    client, curator_account, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, curator_account.username, "wrong")

    elsewhere = sign_in(client, curator_account.username, PASSWORD, "198.51.100.9")

    assert elsewhere.status_code == 302
    assert client.session["_auth_user_id"] == str(curator_account.pk)


@pytest.mark.django_db
def test_a_success_before_the_limit_starts_the_count_again(
    client, curator_account, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, curator_account.username, "wrong")
    assert sign_in(client, curator_account.username, PASSWORD).status_code == 302
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, curator_account.username, "wrong")

    assert sign_in(client, curator_account.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_an_editor_unlocks_from_the_admin(
    client, editor_client, curator_account, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, curator_account.username, "wrong")
    attempt = AccessAttempt.objects.get(username=curator_account.username)

    listed = editor_client.get(reverse("admin:axes_accessattempt_changelist"))
    deleted = editor_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert listed.status_code == 200
    assert curator_account.username in listed.content.decode()
    assert deleted.status_code == 302
    assert sign_in(client, curator_account.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_curator_cannot_unlock(client, curator_account):
    client.force_login(curator_account)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 403
    assert not User.objects.get(pk=curator_account.pk).has_perm(
        "axes.delete_accessattempt"
    )

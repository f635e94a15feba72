"""One write path for institutions and organizations (registry.services.directory):
the admin writes through it as the API does, so its changes reach the history and the
search index the same way."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from registry.models import Agreement, Institution, Organization
from tests.factories import institution, make_agreement, organization
from tests.test_admin import resubmission

pytestmark = pytest.mark.django_db


def public_search(text: str) -> int:
    response = Client().get("/api/v1/agreements/", {"q": text})
    return response.json()["count"]


def test_an_institution_changed_in_the_admin_is_recorded_and_reindexed(
    editor_client,
):
    agreement = make_agreement(
        title="Plain title", us=("duke-university",), jp=("kyoto-university",)
    )
    duke = institution("duke-university")
    url = reverse("admin:registry_institution_change", args=[duke.pk])
    data = resubmission(editor_client.get(url))
    added = int(data["aliases-TOTAL_FORMS"])
    data |= {
        "aliases-TOTAL_FORMS": str(added + 1),
        f"aliases-{added}-name": "Blue Devil Institute",
        f"aliases-{added}-language": "en",
        f"aliases-{added}-kind": "alternative",
    }
    assert public_search("Blue Devil Institute") == 0

    response = editor_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert duke.aliases.filter(name="Blue Devil Institute").exists()
    latest = duke.history.latest("history_date")
    assert latest.history_type == "~" and latest.history_user.username == "editor"
    # The agreements the institution's names reach are found by the new alias.
    reached = Agreement.objects.published().filter(participants__institution=duke)
    assert agreement in reached
    assert public_search("Blue Devil Institute") == reached.distinct().count()
    log = LogEntry.objects.filter(object_id=str(duke.pk)).first()
    assert "Blue Devil Institute" in log.get_change_message()


def test_an_organization_changed_in_the_admin_keeps_its_counterparts(editor_client):
    nsf = organization("national-science-foundation")
    nsf.counterparts.add(organization("japan-society-for-the-promotion-of-science"))
    counterparts = set(nsf.counterparts.all())
    assert len(counterparts) >= 1
    url = reverse("admin:registry_organization_change", args=[nsf.pk])
    data = resubmission(editor_client.get(url)) | {"name_ja": "全米科学財団"}

    response = editor_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    nsf = Organization.objects.get(pk=nsf.pk)
    assert nsf.name_ja == "全米科学財団"
    assert set(nsf.counterparts.all()) == counterparts
    assert nsf.history.latest("history_date").history_user.username == "editor"


def test_an_identifier_another_institution_holds_is_refused_in_the_admin(
    editor_client,
):
    duke, kyoto = institution("duke-university"), institution("kyoto-university")
    taken = duke.identifiers.first()
    url = reverse("admin:registry_institution_change", args=[kyoto.pk])
    data = resubmission(editor_client.get(url))
    added = int(data["identifiers-TOTAL_FORMS"])
    data |= {
        "identifiers-TOTAL_FORMS": str(added + 1),
        f"identifiers-{added}-scheme": taken.scheme,
        f"identifiers-{added}-value": taken.value,
    }
    before = list(Institution.objects.get(pk=kyoto.pk).identifiers.all())

    response = editor_client.post(url, data)

    assert response.status_code == 200  # the form again, with the error
    assert list(kyoto.identifiers.all()) == before


def test_an_activity_renamed_in_the_admin_finds_its_agreements_by_the_new_name(
    editor_client,
):
    from registry.models import ActivityType

    agreement = make_agreement(title="Plain title")
    activity = ActivityType.objects.get(slug="scholar-exchange")
    agreement.activity_types.add(activity)
    url = reverse("admin:registry_activitytype_change", args=[activity.pk])
    data = resubmission(editor_client.get(url)) | {"name": "Visiting fellowship"}

    response = editor_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert public_search("Visiting fellowship") >= 1

import pytest
from registry.engine import published_index
from registry.models import SearchIndexVersion
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db


def test_a(client):
    print("version", SearchIndexVersion.current())
    a = make_agreement(title="Alpha world")
    r = client.get("/agreements/?q=alpha")
    print("A", SearchIndexVersion.current(), published_index().version, len(published_index()))
    assert "1 agreement" in r.content.decode()


def test_b(client):
    print("version", SearchIndexVersion.current())
    b = make_agreement(title="Beta world")
    r = client.get("/agreements/?q=beta")
    print("B", SearchIndexVersion.current(), published_index().version, len(published_index()), published_index().ids, b.pk)
    assert "1 agreement" in r.content.decode()

"""The search index in a served process (registry.engine.start_refresher): searches
use the index there is and never build one; the next is built off the request path
and swapped in."""

import numpy as np
import pytest

from registry import engine, index_build
from registry.models import Agreement, SearchIndexVersion
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(monkeypatch):
    """This process as a served worker, without its thread: the test runs the
    refresher's rounds itself."""
    engine.refresh_published_index()
    monkeypatch.setattr(engine, "_refresher", object())
    builds = []
    real = engine.load_index

    def counted(version, **update):
        builds.append(version)
        return real(version, **update)

    monkeypatch.setattr(engine, "load_index", counted)
    return builds


def test_a_search_never_builds_the_index_once_the_process_serves(client, served):
    before = engine.published_index()
    make_agreement(title="A partnership published a moment ago")
    assert SearchIndexVersion.current() != before.version

    response = client.get("/agreements/?q=moment")

    assert response.status_code == 200
    assert served == []  # the request used the index there was
    assert engine.published_index() is before


def test_the_refresher_builds_the_next_index_and_swaps_it_in(client, served):
    before = engine.published_index()
    agreement = make_agreement(title="A partnership published a moment ago")

    assert engine.refresh_published_index() is True
    assert served == [SearchIndexVersion.current()]
    after = engine.published_index()
    assert after is not before and agreement.pk in after.ids.tolist()
    assert (
        "A partnership published"
        in client.get("/agreements/?q=moment").content.decode()
    )
    # Nothing changed since: the next round builds nothing.
    assert engine.refresh_published_index() is False
    assert len(served) == 1


def test_a_withdrawn_agreement_never_shows_while_the_index_lags(client, served):
    """Rows shown are read through published(): an index a moment behind cannot show
    a record withdrawn since."""
    agreement = make_agreement(title="Soon withdrawn exchange")
    engine.refresh_published_index()
    Agreement.objects.filter(pk=agreement.pk).update(publication_state="withdrawn")

    page = client.get("/agreements/?q=withdrawn").content.decode()

    assert "Soon withdrawn exchange" not in page


def test_the_refresher_thread_starts_once_and_stops_when_forgotten(monkeypatch):
    started = []
    monkeypatch.setattr(engine, "refresh_published_index", lambda: started.append(1))
    monkeypatch.setattr(engine.threading.Thread, "start", lambda self: None)
    engine.start_refresher()
    engine.start_refresher()
    assert started == [1] and engine._refresher is not None
    engine.forget_published_index()
    assert engine._refresher is None


# -- the machine's shared store --------------------------------------------------------


@pytest.fixture
def store(settings, tmp_path):
    settings.SEARCH_INDEX_DIR = str(tmp_path)
    return tmp_path


def test_an_index_is_built_once_into_the_store_and_mapped_by_every_process(
    store, monkeypatch
):
    from registry import index_store
    from registry.conditions import Criteria

    make_agreement(title="Shared index partnership")
    version = SearchIndexVersion.current()
    built = []
    real_build = index_build.build_index
    monkeypatch.setattr(
        index_build, "build_index", lambda v: built.append(v) or real_build(v)
    )

    first = index_store.load_index(version)
    second = index_store.load_index(version)  # another worker, later

    assert built == [version]
    # Views of the mapped files, not copies.
    assert isinstance(second.ids.base, np.memmap)
    assert isinstance(second.start.base, np.memmap)
    memory = real_build(version)
    for name, array in memory.arrays.items():
        assert np.array_equal(second.arrays[name], array), name
    everything = Criteria()
    assert second.search(everything, facet_dimensions={}).ids.tolist() == (
        memory.search(everything, facet_dimensions={}).ids.tolist()
    )
    assert first.synthetic_count == memory.synthetic_count


def test_the_store_keeps_the_newest_versions(store):
    from registry import index_store

    for _ in range(5):
        SearchIndexVersion.bump()
        index_store.load_index(SearchIndexVersion.current())
    (database,) = store.iterdir()
    (generation,) = database.iterdir()
    kept = sorted(int(path.name[1:]) for path in generation.glob("v*"))
    current = SearchIndexVersion.current()
    assert kept == [current - 2, current - 1, current]


# -- updates from the agreements a change names ----------------------------------------


def test_an_index_updated_with_the_changed_agreements_is_the_index_built_anew(db):
    from registry.demo import seed_demo_agreements
    from registry.models import AgreementPartner
    from registry.search import refresh_agreement_index
    from tests.factories import organization

    seed_demo_agreements(count=120, seed=4)
    before = index_build.build_index(SearchIndexVersion.current())
    published = list(Agreement.objects.published().order_by("pk")[:4])
    # A new agreement; one given a partner; one withdrawn; one deleted.
    make_agreement(
        title="Brand new exchange", partners=("national-science-foundation",)
    )
    AgreementPartner.objects.create(
        agreement=published[0],
        organization=organization("japan-science-and-technology-agency"),
    )
    refresh_agreement_index(agreement_ids=[published[0].pk])
    Agreement.objects.filter(pk=published[1].pk).update(publication_state="withdrawn")
    refresh_agreement_index(agreement_ids=[published[1].pk])
    gone = published[2].pk
    Agreement.objects.filter(pk=gone).delete()
    refresh_agreement_index(agreement_ids=[gone])
    current = SearchIndexVersion.current()

    changed = SearchIndexVersion.changes_since(before.version, current)
    updated = index_build.updated_index(before, current, changed)
    built = index_build.build_index(current)

    assert len(changed) == 4
    assert set(updated.arrays) == set(built.arrays)
    for name, array in built.arrays.items():
        assert np.array_equal(updated.arrays[name], array), name
    assert updated.synthetic_count == built.synthetic_count


def test_a_change_naming_no_agreement_or_every_one_rebuilds_from_scratch(db):
    from registry.search import refresh_agreement_index

    start = SearchIndexVersion.current()
    SearchIndexVersion.bump(agreement_ids=[])  # a case study published
    assert SearchIndexVersion.changes_since(start, start + 1) == []
    refresh_agreement_index()  # every agreement
    assert SearchIndexVersion.changes_since(start, SearchIndexVersion.current()) is None


def test_a_process_updates_its_index_without_building_it_anew(client, monkeypatch):
    engine.published_index()
    monkeypatch.setattr(
        index_build, "build_index", lambda version: pytest.fail("built anew")
    )
    make_agreement(title="Seen after an update")
    engine._checked_at = 0.0  # the next search checks the version

    assert (
        "Seen after an update" in client.get("/agreements/?q=update").content.decode()
    )


def test_a_database_made_anew_never_maps_another_databases_index(store, monkeypatch):
    """Versions count from 1 again in a database made anew: its store is its own
    (the counter's generation), so it builds its index rather than map another's."""
    from registry import index_store

    built = []
    real_build = index_build.build_index
    monkeypatch.setattr(
        index_build, "build_index", lambda v: built.append(v) or real_build(v)
    )
    for title in ("In the first database", "In the second database"):
        SearchIndexVersion.objects.all().delete()
        SearchIndexVersion.bump()
        make_agreement(title=title)
        SearchIndexVersion.objects.filter(pk=1).update(version=1)
        index = index_store.load_index(1)
        titles = set(
            Agreement.objects.filter(pk__in=index.ids.tolist()).values_list(
                "title", flat=True
            )
        )
        assert title in titles

    assert built == [1, 1]
    (database,) = store.iterdir()
    assert len(list(database.iterdir())) == 2


@pytest.mark.parametrize("key", engine.ORDER_KEYS)
def test_postgresql_walks_an_index_for_each_search_order(db, key):
    """The index every search order has on PostgreSQL (migration 0008) matches the
    order as Sort.ORDERINGS defines it: with sorting forbidden, the database still
    lists the published agreements in that order, from the index."""
    from django.db import connection

    from registry.models import Sort

    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot index NULLS LAST; the indexes are PostgreSQL's")
    ordered = Agreement.objects.published().order_by(*Sort.ORDERINGS[key])
    sql, params = ordered.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"agreement_published_{key}" in plan
    assert "Sort" not in plan

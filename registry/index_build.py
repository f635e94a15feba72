"""Making the search index (registry.engine.PublishedIndex) from the database: from
scratch, or from the previous index and the few agreements that changed since.

Both read what ``registry.search`` wrote (the facet rows and token documents) through
``published()``, in one snapshot of the database, so an index never mixes two
moments. ``index_store.load_index`` calls them off the request path.
"""

from collections import defaultdict
from contextlib import contextmanager

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import Window
from django.db.models.functions import RowNumber

from .conditions import CLASSIFICATION_CODES, EMPTY, positions_in
from .engine import ORDER_KEYS, PublishedIndex
from .models import Agreement, AgreementFacet, Dimension, Sort
from .text_index import PostingsBuilder, updated_text_arrays

# What the index keeps of each published agreement, besides its facets and text.
COLUMNS = ("pk", "classification", "start_date", "end_date", "is_synthetic")
# Rows read from the database at a time while building.
BUILD_BATCH = 2000
# A (value, position) pair as one sortable integer: value · WIDTH + position.
WIDTH = np.int64(1 << 32)


def build_index(version: int) -> PublishedIndex:
    """The index of the published agreements as the database holds them now."""
    with _one_snapshot():
        rows = (
            Agreement.objects.published()
            .order_by("pk")
            .values_list(*COLUMNS, "search_title", "search_text")
            .iterator(chunk_size=BUILD_BATCH)
        )
        columns, text = [], PostingsBuilder()

        def documents():  # the rows' text, while their columns are kept
            for position, row in enumerate(rows):
                columns.append(row[:-2])
                yield position, row[-2], row[-1]

        text.add(documents())
        ids = np.array([row[0] for row in columns], dtype=np.int64)
        arrays = {"ids": ids} | _columns(columns) | text.arrays(len(ids))
        arrays |= _orders(ids)
        positions, values = defaultdict(list), defaultdict(list)
        for dimension, value, members in _postings():
            found = positions_in(ids, members)
            positions[dimension].append(found)
            values[dimension].append(np.full(len(found), value, dtype=np.int64))
    for dimension in positions:
        arrays |= _pairs(
            dimension,
            np.concatenate(positions[dimension]),
            np.concatenate(values[dimension]),
        )
    return PublishedIndex(version, arrays)


def updated_index(index: PublishedIndex, version: int, changed) -> PublishedIndex:
    """``index`` with the ``changed`` agreements read again from the database
    (published, changed, withdrawn or gone): what a few edits need, a fraction of a
    whole build, which reads every published agreement and facet row."""
    changed = np.unique(np.asarray(changed, dtype=np.int64))
    gone = np.zeros(len(index), dtype=bool)
    gone[index.positions(changed)] = True
    with _one_snapshot():
        rows = list(
            Agreement.objects.published()
            .filter(pk__any_of=changed.tolist())
            .order_by("pk")
            .values_list(*COLUMNS, "search_title", "search_text")
        )
        added = np.array([row[0] for row in rows], dtype=np.int64)
        places = _places(added.tolist())
        facets = defaultdict(list)
        for agreement_id, dimension, value in AgreementFacet.objects.filter(
            agreement__any_of=added.tolist()
        ).values_list("agreement_id", "dimension", "value"):
            facets[Dimension(dimension)].append((agreement_id, value))

    kept_count = len(index) - int(gone.sum())
    ids = np.concatenate([index.ids[~gone], added])
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    # Where each agreement kept from the index, then each one read again, now stands.
    now_at = np.empty(len(ids), dtype=np.int64)
    now_at[order] = np.arange(len(ids))
    moved_to = np.full(len(index), -1, dtype=np.int64)
    moved_to[~gone] = now_at[:kept_count]
    added_at = now_at[kept_count:]

    arrays = {"ids": ids}
    for name, column in _columns([row[:-2] for row in rows]).items():
        arrays[name] = np.concatenate([index.arrays[name][~gone], column])[order]
    arrays |= updated_text_arrays(
        index.text,
        moved_to=moved_to,
        documents=[
            (int(at), row[-2], row[-1]) for at, row in zip(added_at, rows, strict=True)
        ],
        size=len(ids),
    )
    for key in ORDER_KEYS:
        # The kept agreements keep their order (their sort keys did not change); the
        # ones read again go where the database places them.
        kept = moved_to[index.orders[key]]
        kept = kept[kept >= 0]
        ranked = sorted(
            (place, int(at))
            for place, at in zip(places[key], added_at.tolist(), strict=True)
        )
        targets = np.array([place for place, _at in ranked], dtype=np.int64)
        arrays[f"order.{key}"] = np.insert(
            kept,
            targets - np.arange(len(targets)),
            np.array([at for _place, at in ranked], dtype=np.int64),
        )
    for dimension in set(index.pairs) | set(facets):
        old_positions, old_values = index.pairs.get(dimension, (EMPTY, EMPTY))
        moved = moved_to[old_positions]
        kept = moved >= 0
        new = np.array(facets.get(dimension, []), dtype=np.int64).reshape(-1, 2)
        arrays |= _merged_pairs(
            dimension,
            (moved[kept], old_values[kept]),
            _pairs(dimension, positions_in(ids, new[:, 0]), new[:, 1]),
        )
    return PublishedIndex(version, arrays)


def _merged_pairs(dimension, kept: tuple, new: dict) -> dict:
    """A dimension's pairs kept from the last index (still by value, then position:
    positions moved in order) with the few ``new`` ones (``_pairs``) inserted where
    they belong, rather than all sorted again."""
    positions, values = kept
    new_positions = new[f"positions.{int(dimension)}"]
    new_values = new[f"values.{int(dimension)}"]
    at = np.searchsorted(values * WIDTH + positions, new_values * WIDTH + new_positions)
    return {
        f"positions.{int(dimension)}": np.insert(positions, at, new_positions),
        f"values.{int(dimension)}": np.insert(values, at, new_values),
    }


def _reading_connection():
    """The database the build reads: a replica when it is made from one
    (usjp_site.routers), so raw queries see the same moment as the ORM's."""
    return connections[router.db_for_read(Agreement) or DEFAULT_DB_ALIAS]


@contextmanager
def _one_snapshot():
    """Reads that all see the database at one moment: on PostgreSQL a repeatable-read
    transaction (each statement would otherwise see its own moment, and an agreement
    published between two of them be half in the index). Within a transaction
    already (tests), that one's."""
    connection = _reading_connection()
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
        yield


def _columns(rows) -> dict:
    """The index's columns from rows of ``COLUMNS`` (id first, in id order)."""
    return {
        "classification": np.array(
            [CLASSIFICATION_CODES.get(row[1], -1) for row in rows], dtype=np.int8
        ),
        "start": np.array([_ordinal(row[2]) for row in rows], dtype=np.int32),
        "end": np.array([_ordinal(row[3]) for row in rows], dtype=np.int32),
        "synthetic": np.array([row[4] for row in rows], dtype=bool),
    }


def _ordinal(value):
    return value.toordinal() if value else 0


def _orders(ids: np.ndarray) -> dict:
    """Each order as positions, read from the database with the SQL path's own
    ordering, so that a page and its export list results alike."""
    arrays = {}
    for key in ORDER_KEYS:
        ordered = Agreement.objects.published().order_by(*Sort.ORDERINGS[key])
        arrays[f"order.{key}"] = positions_in(
            ids, np.array(list(ordered.values_list("pk", flat=True)), np.int64)
        )
    return arrays


def _places(agreement_ids: list[int]) -> dict[str, list[int]]:
    """Where each of these published agreements stands in each order of all the
    published ones (from 0, in the order given): the database ranks them with the
    SQL path's orderings and returns only these rows."""
    places = {}
    for key in ORDER_KEYS:
        if not agreement_ids:
            places[key] = []
            continue
        ranked = (
            Agreement.objects.published()
            .annotate(place=Window(RowNumber(), order_by=Sort.ORDERINGS[key]))
            .order_by()
            .values("pk", "place")
        )
        sql, params = ranked.query.sql_with_params()
        marks = ", ".join(["%s"] * len(agreement_ids))
        with _reading_connection().cursor() as cursor:
            cursor.execute(
                f"SELECT ranked.pk, ranked.place FROM ({sql}) ranked "
                f"WHERE ranked.pk IN ({marks})",
                [*params, *agreement_ids],
            )
            place_of = dict(cursor.fetchall())
        places[key] = [place_of[pk] - 1 for pk in agreement_ids]
    return places


def _pairs(dimension, positions: np.ndarray, values: np.ndarray) -> dict:
    """A dimension's (position, value) pairs by value, then position: a value's
    agreements are one slice."""
    order = np.lexsort((positions, values))
    return {
        f"positions.{int(dimension)}": positions[order],
        f"values.{int(dimension)}": values[order],
    }


def _postings():
    """(dimension, value, agreement ids) of each facet value of published agreements.

    One row a value with its agreements joined into a string: reading a row per
    agreement and value (1.5 million at 100,000 agreements) takes seconds in Python.
    """
    published, params = (
        Agreement.objects.published().values("pk").query.sql_with_params()
    )
    aggregate = "string_agg(f.agreement_id::text, ',')"
    connection = _reading_connection()
    if connection.vendor != "postgresql":
        aggregate = "group_concat(f.agreement_id, ',')"
    sql = (
        f"SELECT f.dimension, f.value, {aggregate} FROM registry_agreementfacet f "
        f"WHERE f.agreement_id IN ({published}) GROUP BY f.dimension, f.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for dimension, value, members in cursor.fetchall():
            yield (
                Dimension(dimension),
                value,
                np.sort(np.array(members.split(","), dtype=np.int64)),
            )

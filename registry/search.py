"""The search machinery: text search and the facet index, in one place.

Each agreement carries a token document: its words folded (full-width to half-width,
case, diacritics) and Japanese runs cut into overlapping two-character pieces, because
neither PostgreSQL's parser nor a trigram index splits Japanese usefully (東北 has no
trigram). On PostgreSQL the document is matched by a GIN-indexed ``tsvector`` with
prefix matching and ranked by ``ts_rank``; elsewhere (SQLite in development) by
substring matching.

Facet memberships (discipline, institution, state…) are rows of ``AgreementFacet``; the
filters use them and the facet counts count them, so a count is what its filter returns.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from .models import (
    Agreement,
    AgreementFacet,
    AgreementParticipant,
    AgreementPartner,
    Dimension,
    Institution,
    InstitutionAlias,
    InstitutionType,
    Organization,
    OrganizationAlias,
    SearchIndexVersion,
    Sector,
    SourceRecord,
)

INDEX_BATCH = 2000
CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u30fc"
TOKEN = re.compile(rf"[{CJK}]+|[^\W_]+", re.UNICODE)
CJK_RUN = re.compile(rf"^[{CJK}]+$")
# On PostgreSQL a generated, GIN-indexed column holds each agreement's vector
# (migration 0004): the title weighted A, the rest unweighted.
TSVECTOR_SQL = "registry_agreement.search_vector"


def fold(text: str) -> str:
    """Full-width to half-width, lower case, no diacritics (Ōmura → omura)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Search tokens: folded words, and Japanese runs as overlapping bigrams."""
    result = []
    for token in TOKEN.findall(fold(text)):
        if CJK_RUN.match(token) and len(token) > 1:
            result.extend(token[i : i + 2] for i in range(len(token) - 1))
        else:
            result.append(token)
    return result


def token_document(*texts: str) -> str:
    return " ".join(token for text in texts for token in tokens(text))


# -- Querying --------------------------------------------------------------------------


def _tsquery(query_tokens: list[str]) -> str:
    # Each token as a prefix: "partner" finds partnerships, "東" finds 東北.
    return " & ".join(
        "'" + token.replace("'", "''").replace("\\", "") + "':*"
        for token in query_tokens
    )


def search_agreements(queryset, text: str):
    """Agreements matching every token of ``text``, annotated with ``relevance``."""
    query_tokens = tokens(text)
    if not query_tokens:
        return queryset.annotate(relevance=models.Value(0.0, models.FloatField()))
    if connection.vendor == "postgresql":
        tsquery = _tsquery(query_tokens)
        return queryset.filter(
            RawSQL(
                f"{TSVECTOR_SQL} @@ to_tsquery('simple', %s)",
                [tsquery],
                output_field=models.BooleanField(),
            )
        ).annotate(
            relevance=RawSQL(
                f"ts_rank({TSVECTOR_SQL}, to_tsquery('simple', %s))",
                [tsquery],
                output_field=models.FloatField(),
            )
        )
    condition = Q()
    for token in query_tokens:
        condition &= Q(search_title__contains=token) | Q(search_text__contains=token)
    title_hits = Q()
    for token in query_tokens:
        title_hits |= Q(search_title__contains=token)
    return queryset.filter(condition).annotate(
        relevance=models.Case(
            models.When(title_hits, then=models.Value(1.0)),
            default=models.Value(0.1),
            output_field=models.FloatField(),
        )
    )


def in_facet(dimension: int, values: Iterable[int]):
    """A condition on agreements: a member of any of these values of one dimension."""
    return Q(
        pk__in=AgreementFacet.objects.filter(
            dimension=dimension, value__in=list(values)
        ).values("agreement_id")
    )


# -- Indexing --------------------------------------------------------------------------

INSTITUTION_TYPE_CODES = {
    value: code for code, value in enumerate(InstitutionType.values)
}
SECTOR_CODES = {value: code for code, value in enumerate(Sector.values)}


class AgreementIndexer:
    """Rebuilds agreements' token documents and facet rows.

    Institution and organization names are read once per indexer, so a caller indexing
    many batches (the demo generator, a bulk import) builds one and calls ``index`` per
    batch.
    """

    def __init__(self):
        self.institutions = _institution_documents()
        self.organizations = _organization_documents()

    def index(self, agreement_ids: Iterable[int]) -> None:
        ids = sorted(set(agreement_ids))
        for start in range(0, len(ids), INDEX_BATCH):
            _index_batch(
                ids[start : start + INDEX_BATCH], self.institutions, self.organizations
            )
        SearchIndexVersion.bump()


def refresh_agreement_index(*, agreement_ids: Iterable[int] | None = None) -> int:
    """Rebuild the index of these agreements (all when None); return how many.

    Every write path that changes what an agreement is found by calls it: the admin,
    merging, the loaders, the demo generator.
    """
    indexer = AgreementIndexer()
    done = 0
    with transaction.atomic():
        if agreement_ids is None:
            for batch in _all_id_batches(Agreement.objects.order_by("pk")):
                indexer.index(batch)
                done += len(batch)
        else:
            ids = set(agreement_ids)
            indexer.index(ids)
            done = len(ids)
    return done


def agreements_of(*, institutions=(), organizations=(), programs=(), disciplines=()):
    """The ids of agreements a change to these names touches."""
    ids = set(
        AgreementParticipant.objects.filter(institution__in=institutions).values_list(
            "agreement_id", flat=True
        )
    )
    ids |= set(
        AgreementPartner.objects.filter(organization__in=organizations).values_list(
            "agreement_id", flat=True
        )
    )
    ids |= set(
        Agreement.objects.filter(program__in=programs).values_list("pk", flat=True)
    )
    ids |= set(
        Agreement.disciplines.through.objects.filter(
            Q(discipline__in=disciplines) | Q(discipline__parent__in=disciplines)
        ).values_list("agreement_id", flat=True)
    )
    return ids


def _all_id_batches(base):
    last = 0
    while True:
        batch = list(
            base.filter(pk__gt=last).values_list("pk", flat=True)[:INDEX_BATCH]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def _institution_documents():
    aliases = defaultdict(list)
    for institution_id, name in InstitutionAlias.objects.values_list(
        "institution_id", "name"
    ):
        aliases[institution_id].append(name)
    return {
        institution.pk: (
            institution,
            token_document(
                institution.name, institution.name_ja, *aliases[institution.pk]
            ),
        )
        for institution in Institution.objects.only(
            "pk", "name", "name_ja", "country", "region_id", "institution_type"
        )
    }


def _organization_documents():
    aliases = defaultdict(list)
    for organization_id, name in OrganizationAlias.objects.values_list(
        "organization_id", "name"
    ):
        aliases[organization_id].append(name)
    return {
        organization.pk: (
            organization,
            token_document(
                organization.name, organization.name_ja, *aliases[organization.pk]
            ),
        )
        for organization in Organization.objects.only("pk", "name", "name_ja", "sector")
    }


def _index_batch(batch, institutions, organizations):
    agreements = {
        agreement.pk: agreement
        for agreement in Agreement.objects.filter(pk__in=batch)
        .select_related("program")
        .only("pk", "title", "title_ja", "summary", "program__name", "program__name_ja")
    }
    members = defaultdict(set)  # agreement id -> {(dimension, value)}
    words = defaultdict(list)  # agreement id -> [token documents]
    for agreement_id, institution_id in AgreementParticipant.objects.filter(
        agreement_id__in=batch
    ).values_list("agreement_id", "institution_id"):
        institution, document = institutions[institution_id]
        us = institution.country == "US"
        members[agreement_id].add(
            (
                Dimension.US_INSTITUTION if us else Dimension.JP_INSTITUTION,
                institution_id,
            )
        )
        if institution.region_id:
            members[agreement_id].add(
                (
                    Dimension.US_STATE if us else Dimension.JP_PREFECTURE,
                    institution.region_id,
                )
            )
        members[agreement_id].add(
            (
                Dimension.INSTITUTION_TYPE,
                INSTITUTION_TYPE_CODES[institution.institution_type],
            )
        )
        words[agreement_id].append(document)
    for agreement_id, organization_id in AgreementPartner.objects.filter(
        agreement_id__in=batch
    ).values_list("agreement_id", "organization_id"):
        organization, document = organizations[organization_id]
        members[agreement_id].add((Dimension.ORGANIZATION, organization_id))
        members[agreement_id].add((Dimension.SECTOR, SECTOR_CODES[organization.sector]))
        words[agreement_id].append(document)
    discipline_link = Agreement.disciplines.through
    for agreement_id, discipline_id, field_id in discipline_link.objects.filter(
        agreement_id__in=batch
    ).values_list("agreement_id", "discipline_id", "discipline__parent_id"):
        # A field includes its subfields: an agreement in a subfield is in its field.
        members[agreement_id].add((Dimension.DISCIPLINE, discipline_id))
        if field_id:
            members[agreement_id].add((Dimension.DISCIPLINE, field_id))
    activity_link = Agreement.activity_types.through
    for agreement_id, activity_id in activity_link.objects.filter(
        agreement_id__in=batch
    ).values_list("agreement_id", "activitytype_id"):
        members[agreement_id].add((Dimension.ACTIVITY, activity_id))
    for agreement_id, source_id, identifier in SourceRecord.objects.filter(
        agreement_id__in=batch
    ).values_list("agreement_id", "data_source_id", "source_identifier"):
        members[agreement_id].add((Dimension.SOURCE, source_id))
        words[agreement_id].append(token_document(identifier))

    updated = []
    for agreement in agreements.values():
        if agreement.program_id:
            members[agreement.pk].add((Dimension.PROGRAM, agreement.program_id))
        agreement.search_title = token_document(
            agreement.public_id, agreement.title, agreement.title_ja
        )
        agreement.search_text = " ".join(
            [
                token_document(agreement.summary),
                *(
                    [token_document(agreement.program.name, agreement.program.name_ja)]
                    if agreement.program_id
                    else []
                ),
                *words[agreement.pk],
            ]
        )
        updated.append(agreement)
    Agreement.objects.bulk_update(updated, ["search_title", "search_text"])
    AgreementFacet.objects.filter(agreement_id__in=batch).delete()
    AgreementFacet.objects.bulk_create(
        AgreementFacet(agreement_id=agreement_id, dimension=dimension, value=value)
        for agreement_id, pairs in members.items()
        if agreement_id in agreements
        for dimension, value in pairs
    )

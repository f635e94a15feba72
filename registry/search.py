"""The search machinery: text search and the facet index, in one place.

Each agreement carries a token document: its words folded (full-width to half-width,
case, diacritics) and Japanese runs cut into overlapping two-character pieces, because
neither PostgreSQL's parser nor a trigram index splits Japanese usefully (東北 has no
trigram). In SQL, the reference the search engine is tested against, a query word
matches the document tokens it begins: on PostgreSQL through a GIN-indexed
``tsvector`` with prefix matching, ranked by ``ts_rank``; elsewhere (SQLite in
development) by matching the start of each word. The engine matches and ranks text
in its own index (registry.text_index).

Facet memberships (discipline, institution, state…) are rows of ``AgreementFacet``; the
filters use them and the facet counts count them, so a count is what its filter returns.
"""

import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Q

from .models import (
    ActivityType,
    Agreement,
    AgreementFacet,
    AgreementParticipant,
    AgreementPartner,
    Dimension,
    Discipline,
    Institution,
    InstitutionAlias,
    InstitutionType,
    Organization,
    OrganizationAlias,
    Program,
    SearchIndexVersion,
    Sector,
    SourceRecord,
    parse_public_id,
)

INDEX_BATCH = 2000
# A query's first tokens decide it; more only slow it (and overflow SQLite's expression
# depth at ~500).
MAX_QUERY_TOKENS = 32
# bulk_update writes one CASE per field whose size grows with the batch: keep it small.
UPDATE_BATCH = 250
# Character ranges of Japanese script (one definition for the index, the resolver
# and imports): kana, kanji, and as the index cuts words, with the iteration mark 々
# and the long vowel mark ー.
KANA = "\u3040-\u30ff"
KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = KANA + KANJI + "\u3005\u30fc"
TOKEN = re.compile(rf"[{CJK}]+|[^\W_]+", re.UNICODE)
CJK_RUN = re.compile(rf"^[{CJK}]+$")


class VectorExpression(models.Expression):
    """SQL over the generated, GIN-indexed ``search_vector`` column PostgreSQL keeps for
    each agreement (migration 0004: the title weighted A, the rest unweighted), which
    Django does not model. The column is named with the alias the query gives the
    agreement table, so the expression holds inside a subquery too (``agreement__in=``
    a search), where Django renames the table."""

    template = ""

    def __init__(self, tsquery: str):
        super().__init__()
        self.tsquery = tsquery

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        vector = f"{table}.{connection.ops.quote_name('search_vector')}"
        return self.template.format(vector=vector), [self.tsquery]


class VectorMatches(VectorExpression):
    output_field = models.BooleanField()
    template = "{vector} @@ to_tsquery('simple', %s)"


class VectorRank(VectorExpression):
    output_field = models.FloatField()
    template = "ts_rank({vector}, to_tsquery('simple', %s))"


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

# Words that mean the same in the two languages where no name carries both: a query
# token of a group matches any token of it, so 医学 finds what medicine finds and the
# reverse. (Names need none: each record's document holds its English and Japanese
# names, aliases and romanizations.)
EQUIVALENT_TOKENS = [
    {"medicine", "medical", "医学", "医療"},
    {"disaster", "防災", "災害"},
    {"quantum", "量子"},
]
_EQUIVALENTS = {token: group for group in EQUIVALENT_TOKENS for token in group}


def query_terms(text: str) -> list[list[str]]:
    """The tokens a query needs, each with the tokens that may stand for it."""
    query_tokens = list(dict.fromkeys(tokens(text)))[:MAX_QUERY_TOKENS]
    return [sorted(_EQUIVALENTS.get(token, {token})) for token in query_tokens]


def _tsquery(terms: list[list[str]]) -> str:
    # A word as a prefix ("partner" finds partnerships, "東" finds 東北); a Japanese
    # bigram is always whole, and matching it exactly halves the index work.
    def term(token):
        quoted = "'" + token.replace("'", "''").replace("\\", "") + "'"
        whole_bigram = len(token) == 2 and CJK_RUN.match(token)
        return quoted if whole_bigram else quoted + ":*"

    return " & ".join(
        "(" + " | ".join(term(token) for token in alternatives) + ")"
        for alternatives in terms
    )


def search_agreements(queryset, text: str):
    """Agreements matching every token of ``text``, annotated with ``relevance``."""
    public_pk = parse_public_id(text)
    if public_pk is not None:
        return queryset.filter(pk=public_pk).annotate(
            relevance=models.Value(1.0, models.FloatField())
        )
    terms = query_terms(text)
    if not terms:
        return queryset.annotate(relevance=models.Value(0.0, models.FloatField()))
    if connection.vendor == "postgresql":
        tsquery = _tsquery(terms)
        return queryset.filter(VectorMatches(tsquery)).annotate(
            relevance=VectorRank(tsquery)
        )
    # Elsewhere a token begins a word of the document (a document is its tokens
    # joined by spaces), as PostgreSQL's prefix query and the engine match.
    condition = Q()
    title_hits = Q()
    for alternatives in terms:
        anywhere = Q()
        for token in alternatives:
            in_title = _begins_a_word("search_title", token)
            anywhere |= in_title | _begins_a_word("search_text", token)
            title_hits |= in_title
        condition &= anywhere
    return queryset.filter(condition).annotate(
        relevance=models.Case(
            models.When(title_hits, then=models.Value(1.0)),
            default=models.Value(0.1),
            output_field=models.FloatField(),
        )
    )


def _begins_a_word(field: str, token: str) -> Q:
    starts = Q(**{f"{field}__startswith": token})
    return starts | Q(**{f"{field}__contains": f" {token}"})


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


@dataclass
class AgreementParts:
    """What an agreement is found by, besides its own fields."""

    institution_ids: list[int] = field(default_factory=list)
    organization_ids: list[int] = field(default_factory=list)
    discipline_ids: list[int] = field(default_factory=list)
    activity_ids: list[int] = field(default_factory=list)
    sources: list[tuple[int, str]] = field(default_factory=list)  # (source, identifier)


class AgreementIndexer:
    """Builds agreements' token documents and facet rows.

    Names are read once per indexer, so a caller indexing many batches (the demo
    generator, a bulk import) builds one and reuses it. ``fill_documents`` and
    ``facet_pairs`` are the one mapping from an agreement and its parts to what it is
    found by; ``index`` applies it to saved agreements, and the demo generator applies
    it before inserting.
    """

    def __init__(self):
        self.institutions = _documents(
            Institution,
            InstitutionAlias,
            "institution",
            "country",
            "region_id",
            "institution_type",
        )
        self.organizations = _documents(
            Organization, OrganizationAlias, "organization", "sector"
        )
        self.field_of = dict(Discipline.objects.values_list("pk", "parent_id"))
        # Names in both languages: 医学 finds what medicine finds, and the reverse.
        self.programs, self.disciplines, self.activities = (
            {
                pk: token_document(name, name_ja)
                for pk, name, name_ja in model.objects.values_list(
                    "pk", "name", "name_ja"
                )
            }
            for model in (Program, Discipline, ActivityType)
        )

    def fill_documents(self, agreement, parts: AgreementParts) -> None:
        agreement.search_title = token_document(agreement.title, agreement.title_ja)
        agreement.search_text = " ".join(
            [
                token_document(agreement.summary),
                self.programs.get(agreement.program_id, ""),
                *(self.institutions[pk][1] for pk in parts.institution_ids),
                *(self.organizations[pk][1] for pk in parts.organization_ids),
                *(self.disciplines[pk] for pk in parts.discipline_ids),
                *(self.activities[pk] for pk in parts.activity_ids),
                *(token_document(identifier) for _, identifier in parts.sources),
            ]
        )

    def facet_pairs(self, agreement, parts: AgreementParts) -> set[tuple[int, int]]:
        pairs = set()
        for pk in parts.institution_ids:
            institution = self.institutions[pk][0]
            us = institution.country == "US"
            pairs.add(
                (Dimension.US_INSTITUTION if us else Dimension.JP_INSTITUTION, pk)
            )
            if institution.region_id:
                region_dimension = Dimension.US_STATE if us else Dimension.JP_PREFECTURE
                pairs.add((region_dimension, institution.region_id))
            code = INSTITUTION_TYPE_CODES[institution.institution_type]
            pairs.add((Dimension.INSTITUTION_TYPE, code))
        for pk in parts.organization_ids:
            sector = self.organizations[pk][0].sector
            pairs |= {
                (Dimension.ORGANIZATION, pk),
                (Dimension.SECTOR, SECTOR_CODES[sector]),
            }
        for pk in parts.discipline_ids:
            # A field includes its subfields: in a subfield is in its field too.
            pairs.add((Dimension.DISCIPLINE, pk))
            if self.field_of.get(pk):
                pairs.add((Dimension.DISCIPLINE, self.field_of[pk]))
        pairs |= {(Dimension.ACTIVITY, pk) for pk in parts.activity_ids}
        pairs |= {(Dimension.SOURCE, pk) for pk, _ in parts.sources}
        if agreement.program_id:
            pairs.add((Dimension.PROGRAM, agreement.program_id))
        return pairs

    def facet_rows(
        self, agreement, parts: AgreementParts
    ) -> list[tuple[int, int, int]]:
        return [
            (agreement.pk, dimension, value)
            for dimension, value in self.facet_pairs(agreement, parts)
        ]

    def index(self, agreement_ids: Iterable[int], *, every: bool = False) -> None:
        """Index these agreements; ``every``: they are all of them (the search index
        then rebuilds from scratch rather than from the agreements named)."""
        ids = sorted(set(agreement_ids))
        for start in range(0, len(ids), INDEX_BATCH):
            self._index_batch(ids[start : start + INDEX_BATCH])
        SearchIndexVersion.bump(agreement_ids=None if every else ids)

    def _index_batch(self, batch):
        agreements = Agreement.objects.filter(pk__in=batch).only(
            "pk", "title", "title_ja", "summary", "program_id"
        )
        parts = defaultdict(AgreementParts)
        for agreement_id, pk in (
            AgreementParticipant.objects.filter(agreement_id__in=batch)
            .order_by("pk")
            .values_list("agreement_id", "institution_id")
        ):
            parts[agreement_id].institution_ids.append(pk)
        for agreement_id, pk in (
            AgreementPartner.objects.filter(agreement_id__in=batch)
            .order_by("pk")
            .values_list("agreement_id", "organization_id")
        ):
            parts[agreement_id].organization_ids.append(pk)
        for agreement_id, pk in (
            Agreement.disciplines.through.objects.filter(agreement_id__in=batch)
            .order_by("pk")
            .values_list("agreement_id", "discipline_id")
        ):
            parts[agreement_id].discipline_ids.append(pk)
        for agreement_id, pk in (
            Agreement.activity_types.through.objects.filter(agreement_id__in=batch)
            .order_by("pk")
            .values_list("agreement_id", "activitytype_id")
        ):
            parts[agreement_id].activity_ids.append(pk)
        for agreement_id, pk, identifier in (
            SourceRecord.objects.filter(agreement_id__in=batch)
            .order_by("pk")
            .values_list("agreement_id", "data_source_id", "source_identifier")
        ):
            parts[agreement_id].sources.append((pk, identifier))
        updated, facets = [], []
        for agreement in agreements:
            self.fill_documents(agreement, parts[agreement.pk])
            facets.extend(self.facet_rows(agreement, parts[agreement.pk]))
            updated.append(agreement)
        Agreement.objects.bulk_update(
            updated, ["search_title", "search_text"], batch_size=UPDATE_BATCH
        )
        AgreementFacet.objects.filter(agreement_id__in=batch).delete()
        write_facet_rows(facets)


def write_facet_rows(rows: Iterable[tuple[int, int, int]]) -> None:
    """Insert (agreement id, dimension, value) rows: by COPY on PostgreSQL, many times
    faster than a model object per row, which matters at ~16 rows an agreement."""
    rows = list(rows)
    if connection.vendor != "postgresql":
        AgreementFacet.objects.bulk_create(
            AgreementFacet(agreement_id=agreement, dimension=dimension, value=value)
            for agreement, dimension, value in rows
        )
        return
    buffer = io.StringIO("".join(f"{a}\t{d}\t{v}\n" for a, d, v in rows))
    with connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY registry_agreementfacet (agreement_id, dimension, value) FROM STDIN",
            buffer,
        )


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
                indexer.index(batch, every=True)
                done += len(batch)
        else:
            ids = set(agreement_ids)
            indexer.index(ids)
            done = len(ids)
    return done


def agreements_of(
    *, institutions=(), organizations=(), programs=(), disciplines=(), activities=()
):
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
    ids |= set(
        Agreement.activity_types.through.objects.filter(
            activitytype__in=activities
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


def _documents(model, alias_model, owner: str, *fields: str) -> dict:
    """Each institution or organization, by primary key, with the token document of
    its names and aliases (and ``fields``, what its facets read)."""
    aliases = defaultdict(list)
    for owner_id, name in alias_model.objects.values_list(f"{owner}_id", "name"):
        aliases[owner_id].append(name)
    return {
        record.pk: (
            record,
            token_document(record.name, record.name_ja, *aliases[record.pk]),
        )
        for record in model.objects.only("pk", "name", "name_ja", *fields)
    }

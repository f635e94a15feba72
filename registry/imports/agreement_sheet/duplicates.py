"""Likely duplicates: a new row that may be an agreement the registry already holds.

Two checks, on rows matched to no agreement by public ID or source ID:

- the same title (folded) and the same institutions: the same agreement when the row
  would change nothing of it (re-importing a file without IDs changes nothing), else
  an error;
- a close title (``close_titles``), institutions that include the row's or that the
  row's include, and the same source or start year: an error naming the agreements
  it may be.

Either is answered by the public ID (the row updates that agreement) or by "yes" in
the New anyway column (it is a different one). Synthetic demo agreements are never
taken for the agreement a real row describes.
"""

import re
from collections import defaultdict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from ...models import (
    Agreement,
    AgreementParticipant,
    SourceRecord,
    format_public_id,
)
from ...rules import derive_classification
from ...search import fold
from ..cells import cell, choice_of
from ..sheets import SheetPlan
from .comparing import BULK_BATCH, changes_agreement, load_agreements
from .rows import RowPlan

# token_sort_ratio of two folded titles (0–100): 90 takes a typo, a dropped "the" or
# words in another order, and not another project's title.
CLOSE_TITLE = 90
WORD = re.compile(r"\w+")
NUMBER = re.compile(r"\d+")
YES_NO = [("yes", gettext_lazy("yes")), ("no", gettext_lazy("no"))]
YES_NO_SPELLINGS = {
    "y": "yes",
    "true": "yes",
    "1": "yes",
    "x": "yes",
    "はい": "yes",
    "新規": "yes",
    "n": "no",
    "false": "no",
    "0": "no",
    "いいえ": "no",
}


def read_new_anyway(row: RowPlan) -> None:
    """The row's New anyway cell: yes, or blank (no)."""
    text = cell(row.values, "new_anyway")
    if not text:
        return
    answer = choice_of(text, YES_NO, YES_NO_SPELLINGS)
    if answer is None:
        row.error(
            "new_anyway",
            _(
                "“%(text)s” is neither yes nor no: write yes when this row is a "
                "different agreement from one it looks like, or leave it blank."
            )
            % {"text": text},
        )
    row.new_anyway = answer == "yes"


def report_likely_duplicates(plan: SheetPlan) -> None:
    """Both checks, on the rows still new."""
    _same_title_and_institutions(plan)
    _close_titles(plan)


def _new_rows(plan: SheetPlan) -> list[RowPlan]:
    return [
        row
        for row in plan.rows
        if row.agreement is None and row.proposed.title and not row.new_anyway
    ]


def title_key(title: str) -> str:
    """A title as compared: folded, its words alone."""
    return " ".join(WORD.findall(fold(title)))


def close_titles(title: str, titles: dict) -> list:
    """The keys of ``titles`` (key -> title) close to ``title``: at least
    CLOSE_TITLE alike, word order aside, and with the same numbers ("Phase 2" is not
    "Phase 3")."""
    key = title_key(title)
    numbers = sorted(NUMBER.findall(key))
    found = process.extract(
        key,
        {pk: title_key(other) for pk, other in titles.items()},
        scorer=fuzz.token_sort_ratio,
        score_cutoff=CLOSE_TITLE,
        limit=None,
    )
    return [
        pk for other, _score, pk in found if sorted(NUMBER.findall(other)) == numbers
    ]


def participant_key(participants) -> frozenset:
    """A row's institutions, units aside."""
    return frozenset(pk for pk, _unit in participants)


def _same_title_and_institutions(plan: SheetPlan) -> None:
    new_rows = _new_rows(plan)
    title_list = sorted({row.proposed.title for row in new_rows})
    existing = defaultdict(list)
    for start in range(0, len(title_list), BULK_BATCH):
        for agreement_id, title, institution_id in AgreementParticipant.objects.filter(
            agreement__title__in=title_list[start : start + BULK_BATCH]
        ).values_list("agreement_id", "agreement__title", "institution_id"):
            existing[agreement_id].append((title, institution_id))
    by_key = defaultdict(list)
    for agreement_id, pairs in existing.items():
        key = (fold(pairs[0][0]), frozenset(pk for _title, pk in pairs))
        by_key[key].append(agreement_id)
    matches = {}
    for row in new_rows:
        key = (fold(row.proposed.title), participant_key(row.proposed.participants))
        if key in by_key:
            matches[row.number] = by_key[key]
    agreements = load_agreements({pk for pks in matches.values() for pk in pks})
    for row in new_rows:
        if row.number not in matches:
            continue
        found = [agreements[pk] for pk in matches[row.number]]
        if len(found) == 1 and not row.errors:
            same = found[0]
            row.proposed.classification = row.proposed.classification or (
                derive_classification(has_partners=bool(row.proposed.partners))
            )
            if not same.is_synthetic and not changes_agreement(
                same, row.proposed, row.given
            ):
                row.agreement = same
                continue
        row.error(
            "title",
            _(
                "%(ids)s already has this title and these institutions. To update "
                "it, put its public ID in the Public ID column; if this is a "
                "different agreement, write yes in the New anyway column."
            )
            % {"ids": ", ".join(agreement.public_id for agreement in found)},
        )


def _close_titles(plan: SheetPlan) -> None:
    rows = [row for row in _new_rows(plan) if not row.errors]
    institution_ids = {
        pk for row in rows for pk in participant_key(row.proposed.participants)
    }
    if not institution_ids:
        return
    pool = CandidatePool.of_institutions(institution_ids)
    for row in rows:
        candidates = pool.candidates(row)
        if not candidates:
            continue
        found = close_titles(row.proposed.title, candidates)
        if not found:
            continue
        row.error(
            "title",
            _(
                "This row looks like %(agreements)s: a close title, the same "
                "institutions or some of them, and the same source or start year. To "
                "update it, put its "
                "public ID in the Public ID column; if this is a different "
                "agreement, write yes in the New anyway column."
            )
            % {
                "agreements": "; ".join(
                    f"{format_public_id(pk)} “{pool.titles[pk]}”"
                    for pk in sorted(found)
                )
            },
        )


class CandidatePool:
    """The real agreements sharing an institution with the file's new rows, grouped
    by (institution, start year) and (institution, source): a row is compared with
    those alone."""

    def __init__(self):
        self.titles = {}
        self.institutions = defaultdict(set)
        self.by_year = defaultdict(set)
        self.by_source = defaultdict(set)

    @classmethod
    def of_institutions(cls, institution_ids: set[int]) -> "CandidatePool":
        # Three queries, each joined to the pool in SQL: the same read as chunked
        # lists of ids took 4.6 s instead of 3.5 s against 100,000 real agreements.
        pool = cls()
        in_pool = AgreementParticipant.objects.filter(
            institution__in=institution_ids, agreement__is_synthetic=False
        ).values("agreement_id")
        for pk, institution_id in AgreementParticipant.objects.filter(
            agreement__in=in_pool
        ).values_list("agreement_id", "institution_id"):
            pool.institutions[pk].add(institution_id)
        for pk, title, start_date in Agreement.objects.filter(
            pk__in=in_pool
        ).values_list("pk", "title", "start_date"):
            pool.titles[pk] = title
            if start_date:
                for institution_id in pool.institutions[pk]:
                    pool.by_year[institution_id, start_date.year].add(pk)
        for pk, source_id in SourceRecord.objects.filter(
            agreement__in=in_pool
        ).values_list("agreement_id", "data_source_id"):
            for institution_id in pool.institutions[pk]:
                pool.by_source[institution_id, source_id].add(pk)
        return pool

    def candidates(self, row: RowPlan) -> dict:
        """The agreements the row may be: the same start year or source, and
        institutions that include the row's or that the row's include (two
        exchanges of one Japanese school with two U.S. ones are two agreements)."""
        proposed = row.proposed
        year = proposed.start_date.year if proposed.start_date else None
        sources = {source_pk for source_pk, *_rest in proposed.sources}
        mine = participant_key(proposed.participants)
        pks = set()
        for institution_id in mine:
            if year is not None:
                pks |= self.by_year.get((institution_id, year), set())
            for source_pk in sources:
                pks |= self.by_source.get((institution_id, source_pk), set())
        return {
            pk: self.titles[pk]
            for pk in pks
            if mine <= self.institutions[pk] or self.institutions[pk] <= mine
        }

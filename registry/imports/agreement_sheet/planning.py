"""Planning an agreement sheet: every row read and resolved, matched to the agreement
it updates (by public ID, else by source and source ID), checked against the other
rows and the registry's rules as the agreement would be after it, and classed new,
update (with its changes, before and after), unchanged or error. Nothing is
written."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ...models import (
    Agreement,
    Institution,
    Organization,
    PublicationState,
    SourceRecord,
    format_public_id,
    parse_public_id,
)
from ...rules import (
    ProposedParticipant,
    check_agreement_composition,
    settle_classification,
)
from ...search import fold
from ..cells import cell, quoted
from ..files import Table
from ..sheets import SheetPlan, column_values, start_plan
from .columns import COLUMNS, SCALAR_FIELDS
from .comparing import (
    after_row,
    changes_agreement,
    describe_changes,
    load_agreements,
)
from .duplicates import participant_key, read_new_anyway, report_likely_duplicates
from .reading import InstitutionNames, RowReader, Vocabularies
from .rows import RowPlan

PROGRESS_EVERY = 250


def plan_agreement_sheet(
    table: Table, *, progress: Callable | None = None
) -> SheetPlan:
    """Read, resolve and match every row of ``table``; write nothing.

    ``progress(done, total)`` is called as rows are read.
    """
    plan, headers = start_plan(table, COLUMNS)
    present = set(headers.columns.values())
    if "title" not in present and "public_id" not in present:
        plan.file_errors.append(
            _(
                "No “Title” column was found (the headers are %(headers)s). Start from "
                "the template, or name the columns as it does."
            )
            % {"headers": quoted(table.headers) or "—"}
        )
    if not table.rows:
        plan.file_errors.append(_("The file has a header row but no agreements."))
    if plan.file_errors:
        return plan

    reader = RowReader(vocabularies=Vocabularies.load(), names=InstitutionNames())
    for row in table.rows:
        row_plan = RowPlan(number=row.number, values=column_values(row, headers))
        row_plan.proposed = reader.read(row_plan)
        read_new_anyway(row_plan)
        plan.rows.append(row_plan)
        if progress and len(plan.rows) % PROGRESS_EVERY == 0:
            progress(len(plan.rows), len(table.rows))
    if progress:
        progress(len(plan.rows), len(table.rows))

    _match_existing(plan)
    _find_repeats(plan)
    _check_rules(plan)
    for row in plan.rows:
        if row.errors:
            row.action = "error"
        elif row.agreement is None:
            row.action = "new"
        elif changes_agreement(row.agreement, row.proposed, row.given):
            row.action = "update"
        else:
            row.action = "unchanged"
    describe_changes(
        [row for row in plan.rows if row.action == "update"],
        vocabularies=reader.vocabularies,
    )
    return plan


def _match_existing(plan: SheetPlan) -> None:
    """Each row's agreement: by public ID, else by source and source ID; a row like an
    existing agreement but matched by neither is reported, not duplicated
    (``duplicates``)."""
    wanted_ids = {}
    for row in plan.rows:
        text = cell(row.values, "public_id")
        if text and row.new_anyway:
            row.error(
                "new_anyway",
                _(
                    "A row with a public ID updates that agreement: clear New anyway "
                    "or the public ID."
                ),
            )
        if text:
            pk = parse_public_id(text)
            if pk is None:
                row.error(
                    "public_id",
                    _(
                        "“%(text)s” is not a public ID such as USJP-000042; leave it "
                        "blank for a new agreement."
                    )
                    % {"text": text},
                )
            else:
                wanted_ids[row.number] = pk
    source_keys = {
        (source_pk, identifier)
        for row in plan.rows
        for source_pk, identifier, _url, _retrieved in row.proposed.sources
        if identifier
    }
    by_source = {}
    if source_keys:
        identifiers = {identifier for _pk, identifier in source_keys}
        for record in SourceRecord.objects.filter(
            source_identifier__in=identifiers
        ).only("agreement_id", "data_source_id", "source_identifier"):
            key = (record.data_source_id, record.source_identifier)
            if key in source_keys:
                by_source[key] = record.agreement_id
    row_agreement_ids = {}
    for row in plan.rows:
        if row.number in wanted_ids:
            row_agreement_ids[row.number] = wanted_ids[row.number]
            continue
        for source_pk, identifier, _url, _retrieved in row.proposed.sources:
            if (source_pk, identifier) in by_source:
                row_agreement_ids[row.number] = by_source[(source_pk, identifier)]
                break
    for row in plan.rows:
        mine = row_agreement_ids.get(row.number)
        for source_pk, identifier, _url, _retrieved in row.proposed.sources:
            owner = by_source.get((source_pk, identifier))
            if owner is not None and mine is not None and owner != mine:
                row.error(
                    "source_id",
                    _("%(identifier)s of this source already belongs to %(public_id)s.")
                    % {"identifier": identifier, "public_id": format_public_id(owner)},
                )
    agreements = load_agreements(set(row_agreement_ids.values()))
    for row in plan.rows:
        pk = row_agreement_ids.get(row.number)
        if pk is None:
            continue
        row.agreement = agreements.get(pk)
        if row.agreement is None:
            row.error(
                "public_id",
                _(
                    "There is no agreement %(public_id)s: leave the public ID blank to "
                    "add a new one."
                )
                % {"public_id": format_public_id(pk)},
            )
        elif row.agreement.is_synthetic:
            row.error(
                "public_id",
                _(
                    "%(public_id)s is synthetic demo data; imports change real records "
                    "only."
                )
                % {"public_id": row.agreement.public_id},
            )
    report_likely_duplicates(plan)


def _find_repeats(plan: SheetPlan) -> None:
    """Two rows of one file describing one agreement: the later one is an error."""
    first_row = {}
    for row in plan.rows:
        keys = []
        if row.agreement is not None:
            keys.append(("agreement", row.agreement.pk))
        keys.extend(
            ("source", source_pk, identifier)
            for source_pk, identifier, _url, _retrieved in row.proposed.sources
            if identifier
        )
        if row.agreement is None and row.proposed.title:
            keys.append(
                (
                    "title",
                    fold(row.proposed.title),
                    participant_key(row.proposed.participants),
                )
            )
        for key in keys:
            if key in first_row:
                reason = {
                    "agreement": _("the same public ID"),
                    "source": _("the same source and source ID"),
                    "title": _("the same title and institutions"),
                }[key[0]]
                row.error(
                    "public_id" if key[0] == "agreement" else "title",
                    _(
                        "Row %(row)s already describes this agreement (%(reason)s): "
                        "keep one of the two rows."
                    )
                    % {"row": first_row[key], "reason": reason},
                )
                break
            first_row[key] = row.number


# The column a rule's message is shown on, by the field it names; the title's
# otherwise.
RULE_COLUMNS = {
    "participants": "us_institutions",
    "partners": "partners",
    "classification": "classification",
    "sources": "source",
    "start_date": "start",
    "end_date": "end",
    "funding_amount": "funding_amount",
    "funding_currency": "funding_currency",
}


def _check_rules(plan: SheetPlan) -> None:
    """The admin's rules, on each agreement as the row would leave it: a row may keep
    a value its new ones contradict (an end before its new start)."""
    institution_ids = {
        pk for row in plan.rows for pk, _unit in after_row(row).participants
    }
    organization_ids = {
        pk for row in plan.rows for pk, _role in after_row(row).partners
    }
    institutions = Institution.objects.only("pk", "name", "country").in_bulk(
        institution_ids
    )
    organizations = Organization.objects.only("pk", "name", "sector").in_bulk(
        organization_ids
    )
    for row in plan.rows:
        if row.errors:
            continue
        proposed = after_row(row)
        if not proposed.title:
            row.error("title", _("Every agreement needs a title."))
            continue
        state = (
            row.agreement.publication_state if row.agreement else PublicationState.DRAFT
        )
        candidate = Agreement(
            pk=row.agreement.pk if row.agreement else None,
            **{name: getattr(proposed, name) for name in SCALAR_FIELDS},
            publication_state=state,
        )
        settle_classification(candidate, saved=row.agreement)
        try:
            candidate.clean()
            check_agreement_composition(
                agreement=candidate,
                participants=[
                    ProposedParticipant(institutions[pk], unit)
                    for pk, unit in proposed.participants
                ],
                partners=[organizations[pk] for pk, _role in proposed.partners],
                sources=len(proposed.sources),
                require_scope=True,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    row.error(RULE_COLUMNS.get(name, "title"), message)
            continue
        if row.agreement is None:
            # The derived classification is what a new row will store (an update's
            # is settled again by the write service).
            row.proposed.classification = (
                row.proposed.classification or candidate.classification
            )

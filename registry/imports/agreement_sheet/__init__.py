"""The flat agreement sheet: one agreement a row, read, checked and imported whole.

A file is first *planned* (``planning``): every row is read into the agreement it
proposes (``reading``), names are resolved (institutions through
``registry.resolver``; organizations, programs, disciplines, activities and sources by
their names, Japanese names, slugs and aliases), the agreement it updates is found (by
public ID, else by source and source ID), and the row is classed new, update,
unchanged or error, with each error naming its column (``columns``). Only a plan
without errors is *applied* (``applying``), in one transaction: a file with any error
imports nothing, and a file imported twice changes nothing the second time.

Rows are written by the agreement write service (``registry.services``): new
agreements in bulk, changed ones one at a time, each with history entries linked to the
``ImportBatch`` of the file.
"""

from collections.abc import Callable
from functools import partial

from ...models import ImportKind
from ..files import FileRejected
from ..recording import ImportOutcome
from ..sheets import SheetPlan, import_sheet
from .applying import apply_agreement_sheet
from .columns import COLUMN_BY_NAME, COLUMNS
from .planning import plan_agreement_sheet
from .rows import RowPlan


def import_agreement_file(
    *, progress: Callable | None = None, **upload
) -> ImportOutcome:
    """Plan a file and, unless ``dry_run`` or it has errors, import it and record the
    import; ``upload`` is the file as :func:`~registry.imports.sheets.import_sheet`
    takes it (``data``, ``file_name``, ``user``, ``dry_run``; ``channel``, ``sheet``,
    ``table``). Raises FileRejected when the file cannot be read at all."""
    return import_sheet(
        partial(plan_agreement_sheet, progress=progress),
        kind=ImportKind.AGREEMENTS,
        apply=apply_agreement_sheet,
        **upload,
    )


__all__ = [
    "COLUMNS",
    "COLUMN_BY_NAME",
    "FileRejected",
    "ImportOutcome",
    "RowPlan",
    "SheetPlan",
    "apply_agreement_sheet",
    "import_agreement_file",
    "plan_agreement_sheet",
]

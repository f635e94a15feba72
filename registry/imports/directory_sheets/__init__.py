"""The flat institution and organization sheets: one record a row, read, checked and
imported whole, as the agreement sheet is.

Curators keep the registry's directory of institutions and organizations in
spreadsheets as well as in the admin: a list of partners to add, names in Japanese to
fill in, an export edited and uploaded back. A file is first *planned*: each row is
read (country, type, sector, state or prefecture and parent by their codes, names or
labels), matched to the record it describes (``matching``, against the registry in
memory: ``registry.imports.directory``), checked with the model's own ``full_clean``,
and classed new, update, unchanged or error, each error naming its column (``sheet``,
``institutions``, ``organizations``). Only a plan without errors is *applied*
(``applying``), in one transaction, recorded as an ``ImportBatch`` that every history
entry it writes points to; the agreements of the records it changed are reindexed,
since their names and aliases find agreements.

A row is matched, in this order:

1. by its slug (blank for a new record; an unknown slug is an error, never a new
   record, so a typo cannot add a duplicate);
2. by an identifier: ROR ID, IPEDS UNITID or MEXT school code for an institution, ROR
   ID for an organization. Identifiers of two different records are an error: the
   row is not merged into either;
3. by its website's host (compared as the official lists compare websites,
   ``cells.website_host``), when a record has it (an institution: of the row's
   country) and also has one of the row's names among its names and aliases; a
   website whose record has other names is reported as a likely duplicate;
4. by name, compared in the resolver's normalized form against names, Japanese names
   and aliases (an institution's in its country; an organization's in any): the same
   record when the row changes nothing, else reported as a likely duplicate. A
   name several records carry is reported too.

Two rows of one file describing one record (the same record, identifier, or new name
and country) are an error. A parent is a record of the registry or a new row of the
same file, written first; a parent that would make a loop is an error.

Columns absent from the file are left alone; a blank cell in a column the file has
clears that field. Identifiers and aliases are only ever added (an organization's one
ROR ID is replaced by another, kept when the cell is blank): a merged institution
keeps its predecessors' codes and names, and aliases are curators' work, so removing
either is done in the admin. An exported file therefore imports back unchanged, and a
file imported twice changes nothing the second time.
"""

from collections.abc import Iterator
from functools import partial

from ..files import FileRejected, Table
from ..recording import ImportOutcome
from ..sheets import import_sheet
from .applying import apply_directory_sheet
from .columns import INSTITUTION_COLUMNS, ORGANIZATION_COLUMNS
from .institutions import InstitutionSheet
from .organizations import OrganizationSheet
from .rows import DirectoryPlan, DirectoryRow

SHEETS = {sheet.kind: sheet for sheet in (InstitutionSheet, OrganizationSheet)}


def plan_directory_sheet(table: Table, *, kind: str) -> DirectoryPlan:
    """Read, match and check every row of ``table``; write nothing."""
    return SHEETS[kind]().plan(table)


def export_directory_sheet(queryset=None, *, kind: str) -> Iterator[list[str]]:
    """The flat sheet of ``queryset`` (every record when None): the header, then one
    row a record."""
    return SHEETS[kind]().export(queryset)


def import_directory_file(*, kind: str, **upload) -> ImportOutcome:
    """Plan a file of institutions or organizations (``kind``) and, unless
    ``dry_run`` or it has errors, import it and record the import; ``upload`` is the
    file as :func:`~registry.imports.sheets.import_sheet` takes it (``data``,
    ``file_name``, ``user``, ``dry_run``; ``channel``, ``sheet``, ``table``). Raises
    FileRejected when the file cannot be read at all."""
    return import_sheet(
        partial(plan_directory_sheet, kind=kind),
        kind=kind,
        apply=apply_directory_sheet,
        **upload,
    )


__all__ = [
    "INSTITUTION_COLUMNS",
    "ORGANIZATION_COLUMNS",
    "SHEETS",
    "DirectoryPlan",
    "DirectoryRow",
    "FileRejected",
    "InstitutionSheet",
    "OrganizationSheet",
    "apply_directory_sheet",
    "export_directory_sheet",
    "import_directory_file",
    "plan_directory_sheet",
]

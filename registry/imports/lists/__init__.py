"""Official institution lists, imported as published: MEXT, IPEDS, Carnegie and ROR.

The registry holds the U.S. and Japanese higher-education institutions that could take
part in a partnership. Each official list describes some of them; imported one after
another they should enrich one record per institution, never duplicate it. So every
list row is first read into a normalized ``ListRecord``, then *matched* to the registry:

1. by an identifier of the list's scheme (MEXT school code, IPEDS UNITID, ROR ID;
   Carnegie rows carry the UNITID). A merged institution keeps its predecessors'
   codes, so Tokyo Institute of Technology, still in the 2022 MEXT list, is found as
   the Institute of Science Tokyo by its old code. IPEDS ``NEWID`` says which closed
   UNITIDs a row took over (Penn State's 495767 → 214777): they find it too, and
   it keeps them;
2. else by the website's host (lower case, without ``www.``), when no other row of
   the file in scope has the same host and one institution of that country has it;
3. else by name: the row's English or Japanese name, folded by
   ``names.normalize_name``, against every institution's names, Japanese names and
   aliases in the same country. Only an unambiguous name matches: a name that two
   institutions carry, or that two rows of the file share (IPEDS branch campuses), is
   reported and the row is neither merged nor created. A former name (an alias of
   that kind) finds the merged institution first, as an old code would.

Website and name see the registry as it was before the file (the rows of one list are
different institutions, so what the file itself adds never matches another of its
rows) and pass over institutions another row of the file identifies. An institution
they find that holds *another* identifier of the list's scheme, one the file lacks (a
successor's, a record ROR replaced), is reported, not merged. Several rows meeting
one institution by identifier or former name are a merged institution and its
predecessors: a predecessor (a row not under the institution's current name) gives it
its codes and its names as former names, not its other facts. By website or name,
only a row under the institution's current name may share it; the others are
reported.

A matched institution is enriched: missing identifiers added, the list's names added
as aliases unless the institution already has that name (compared folded, without
spaces, so "TokaiUniversity" is "Tokai University"), blank fields filled. A field a
curator has filled is never overwritten; a different value is reported as a conflict
(except ROR's city, a GeoNames place rather than the postal city).

Rows that match nothing are created where the list's scope says so:

- **mext** (大学一覧 CSV, UTF-8 or CP932): every university in the list, national,
  public and private. MEXT lost the spaces of most private universities' English
  names ("TokaiUniversity"); they are put back for the record's name. The prefecture
  is the one the school code encodes (how MEXT files the university); where the
  address says otherwise (東京福祉大学, 東海大学) that is reported. Cities are not
  filled: the list has them in Japanese only, and nothing is romanized by guess.
- **ipeds** (HD directory file as NCES publishes it, Latin-1 or UTF-8): degree-granting
  (``DEGGRANT`` 1), active (``CYACTIVE`` 1, no ``CLOSEDAT``, ``PSEFLAG`` 1)
  institutions in a state or territory the registry has, except administrative
  offices (``SECTOR`` 0: system offices are not institutions). The rest is skipped
  with its reason. Research classification and enrollment band are left to the
  Carnegie list, which defines them.
- **carnegie** (the 2021 public data workbook: ``Data`` sheet, labels in ``Values``):
  enriches any institution it matches with its research classification (read from
  the basic class's label) and enrollment band; creates only doctoral universities
  (R1, R2, doctoral/professional) and special-focus research institutions, the
  partners a research registry needs.
- **ror** (CSV extract: ``ror_id``, ``name``, ``types``, ``status``…): active
  education records of the U.S. and Japan enrich institutions already in the
  registry (ROR ID, Japanese name, city, website, aliases) and create none: ROR's
  education records include schools, centres and junior colleges, and the extract
  covers only records changed since 2022. A record with a ROR parent (a campus or a
  unit) is not matched by website, which it often shares with its parent. ROR keeps
  Tokyo Institute of Technology and Tokyo Medical and Dental University as active
  records: found by their former names, they give the Institute of Science Tokyo
  their ROR IDs, as a merger keeps its predecessors' codes.

A file is *planned* whole first; a plan with any error (a malformed code, an unknown
type, a record that fails validation) writes nothing and lists the errors with their
row numbers. A plan without errors is applied in one transaction; the import is
recorded as an ``ImportBatch`` (through ``registry.imports.recording``, as every
importer's is) and every history entry it writes links to it. A file imported twice
changes nothing, and records nothing, the second time.

Each list has its parser (``mext``, ``ipeds``, ``carnegie``, ``ror``, on what
``base`` gives them, chosen in ``parsing``); ``matching`` and ``planning`` decide what
each row does against the registry in memory (``registry.imports.directory``),
``plan`` holds the result, and ``applying`` writes it.
"""

from .applying import ListOutcome, apply_institution_list, import_institution_list
from .base import (
    FORMATS,
    LIST_TITLES,
    ListFormat,
    ListRecord,
    ListRejected,
    ParsedList,
    RowError,
)
from .parsing import PARSERS, parse_list
from .plan import ListPlan, list_summary
from .planning import plan_institution_list

__all__ = [
    "FORMATS",
    "LIST_TITLES",
    "PARSERS",
    "ListFormat",
    "ListOutcome",
    "ListPlan",
    "ListRecord",
    "ListRejected",
    "ParsedList",
    "RowError",
    "apply_institution_list",
    "import_institution_list",
    "list_summary",
    "parse_list",
    "plan_institution_list",
]

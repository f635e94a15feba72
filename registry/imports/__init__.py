"""Bulk uploads: files as people have them, read into rows and imported whole or
not at all.

- ``files``: any upload (CSV, TSV, XLSX, JSON) read into a table of text, with the
  one text decoder and the one workbook guard every importer goes through;
- ``cells``: one cell's text read as a value, alike in every importer;
- ``directory``: the registry's institutions or organizations in memory, matched
  against by the official lists and the directory sheets;
- ``sheets``: what the flat sheets share (columns, plan, name lookups);
  ``agreement_sheet`` and ``directory_sheets`` are the sheets themselves;
- ``lists``: the official institution lists (MEXT, IPEDS, Carnegie, ROR);
- ``recording``: every committed import recorded as an ImportBatch;
- ``formats``, ``resources``, ``template``: the admin's upload formats, its
  django-import-export resources, and the agreement sheet's XLSX template.
"""

"""Finding the record each row of an institution or organization sheet is (by slug,
identifier, website or name), the parent it names, and the rows of one file that
describe the same record or would make a loop of parents."""

from collections import defaultdict

from django.utils.translation import gettext as _

from ...models import IdentifierScheme
from ...names import normalize_name
from ..cells import website_host
from .rows import DirectoryRow


def record_label(record) -> str:
    return f"{record.name} ({record.slug})"


class RowMatching:
    """The matching part of a sheet (``sheet.Sheet``): ``self.directory`` is the
    registry in memory, ``self.rows`` the file's rows."""

    def _match(self, row: DirectoryRow) -> None:
        directory = self.directory
        slug = row.cell("slug")
        if slug:
            record = directory.by_slug.get(slug)
            if record is None:
                moved = directory.old_slugs.get(slug)
                if moved is not None:
                    row.error(
                        "slug",
                        _(
                            "“%(slug)s” was merged into %(name)s: write its slug, "
                            "%(new)s, to update it."
                        )
                        % {"slug": slug, "name": moved.name, "new": moved.slug},
                    )
                else:
                    row.error(
                        "slug",
                        _(
                            "No %(noun)s has the slug “%(slug)s”: leave it blank to "
                            "add a new one."
                        )
                        % {"noun": self.noun, "slug": slug},
                    )
                return
            row.record, row.matched_by, row.matched_column = record, "slug", "slug"
        owners = defaultdict(list)
        for scheme, value, column in row.identifiers:
            pk = directory.by_identifier.get((scheme, value))
            if pk is not None:
                owners[pk].append((scheme, value, column))
        if row.record is not None:
            for pk, keys in owners.items():
                if pk != row.record.pk:
                    for scheme, value, column in keys:
                        row.error(
                            column,
                            _(
                                "%(scheme)s %(value)s belongs to %(other)s, not to "
                                "%(record)s."
                            )
                            % {
                                "scheme": IdentifierScheme(scheme).label,
                                "value": value,
                                "other": record_label(directory.records[pk]),
                                "record": record_label(row.record),
                            },
                        )
            return
        if len(owners) > 1:
            found = "; ".join(
                f"{IdentifierScheme(scheme).label} {value}: "
                f"{record_label(directory.records[pk])}"
                for pk, keys in owners.items()
                for scheme, value, _column in keys
            )
            row.error(
                row.identifiers[0][2],
                _(
                    "This row's identifiers belong to different records (%(found)s): "
                    "correct them, or put the slug of the one meant in the Slug column."
                )
                % {"found": found},
            )
            return
        if owners:
            [(pk, keys)] = owners.items()
            row.record, row.matched_by = directory.records[pk], "identifier"
            row.matched_column = keys[0][2]
            return
        self._match_likely(row)

    def _match_likely(self, row: DirectoryRow) -> None:
        """By website (with a name in common) or by name alone."""
        directory = self.directory
        area = directory.area(row.proposed.get("country", ""))
        if area is None:
            return
        names = {
            normalize_name(row.proposed.get(name, "")) for name in ("name", "name_ja")
        } - {""}
        host = website_host(row.proposed.get("website", ""))
        found = directory.by_host.get((area, host), set()) if host else set()
        if found:
            named = {pk for pk in found if names & directory.names_of[pk]}
            if not names and len(found) == 1:
                named = set(found)
            if len(named) == 1:
                row.record = directory.records[named.pop()]
                row.matched_by = row.matched_column = "website"
                return
            records = [record_label(directory.records[pk]) for pk in sorted(found)]
            row.error(
                "website",
                _(
                    "This website is that of %(records)s, under another name. To "
                    "update it, put its slug in the Slug column; if this is another "
                    "%(noun)s, give it its own website or leave the website blank."
                )
                % {"records": "; ".join(records), "noun": self.noun},
            )
            return
        found = set()
        for name in names:
            found |= directory.by_name.get((area, name), set())
        if len(found) == 1:
            row.record = directory.records[found.pop()]
            row.matched_by = row.matched_column = "name"
        elif found:
            records = [record_label(directory.records[pk]) for pk in sorted(found)]
            row.error(
                "name",
                _(
                    "This name is that of several records: %(records)s. Put the slug "
                    "of the one meant in the Slug column."
                )
                % {"records": "; ".join(records)},
            )

    def _report_likely_duplicate(self, row: DirectoryRow) -> None:
        record = row.record
        row.error(
            "name",
            _(
                "%(record)s already has this name, with different %(changes)s. To "
                "update it, put %(slug)s in the Slug column; if this is another "
                "%(noun)s of the same name, add it in the admin."
            )
            % {
                "record": record_label(record),
                "changes": ", ".join(row.changes),
                "slug": record.slug,
                "noun": self.noun,
            },
        )
        row.changes = []

    # -- parents ---------------------------------------------------------------------

    def _read_parents(self) -> None:
        """A parent is a record of the registry (by slug, name or alias) or a new row
        of the same file (by the slug it will get, or its name)."""
        directory = self.directory
        new_rows = {}
        for row in self.rows:
            if row.record is None and not row.errors:
                new_rows.setdefault(row.slug, row)
                for name in ("name", "name_ja"):
                    key = normalize_name(row.proposed.get(name, ""))
                    if key:
                        new_rows.setdefault(key, row)
        for row in self.rows:
            if not row.has("parent"):
                continue
            text = row.cell("parent")
            if not text:
                row.proposed["parent"] = None
                continue
            record = directory.by_slug.get(text)
            if record is not None:
                row.proposed["parent"] = record
                continue
            parent_row = new_rows.get(text) or new_rows.get(normalize_name(text))
            known = self.vocabulary.by_key.get(normalize_name(text))
            if parent_row is not None and not known:
                row.proposed["parent"] = None
                row.parent_row = parent_row
                continue
            pk, message = self.vocabulary.find(text)
            if pk is None:
                row.error("parent", message)
            else:
                row.proposed["parent"] = directory.records[pk]

    def _parent_node(self, node):
        """The parent of a row or record as the file would leave it: ("row", row),
        ("record", pk) or None."""
        kind, item = node
        if kind == "record":
            row = self._row_of.get(item)
            if row is not None:
                return self._parent_node(("row", row))
            parent_id = self.directory.records[item].parent_id
            return ("record", parent_id) if parent_id else None
        row = item
        if row.parent_row is not None:
            return ("row", row.parent_row)
        if "parent" in row.proposed:
            parent = row.proposed["parent"]
            return ("record", parent.pk) if parent is not None else None
        if row.record is not None and row.record.parent_id:
            return ("record", row.record.parent_id)
        return None

    def _find_loops(self) -> None:
        """A parent that is, through the file or the registry, one of the row's own
        descendants."""
        self._row_of = {row.record.pk: row for row in self.rows if row.record}
        limit = len(self.rows) + len(self.directory.records) + 1
        for row in self.rows:
            if not (row.has("parent") and row.cell("parent")) or row.errors:
                continue
            me = ("record", row.record.pk) if row.record else ("row", row)
            node = self._parent_node(("row", row))
            for _step in range(limit):
                if node is None:
                    break
                if node == me or node == ("row", row):
                    row.error(
                        "parent",
                        _(
                            "“%(parent)s” is this %(noun)s itself or one of its own "
                            "campuses or units: that would make a loop."
                        )
                        % {"parent": row.cell("parent"), "noun": self.noun},
                    )
                    break
                node = self._parent_node(node)

    # -- rows describing one record ----------------------------------------------------

    def _find_repeats(self) -> None:
        """Two rows of one file describing the same record: the later is an error.
        Two new rows of one name are one record unless an identifier of the same
        scheme tells them apart (Lincoln University, Missouri and Pennsylvania)."""
        first = {}
        reasons = {
            "slug": _("the same slug"),
            "identifier": _("the same identifier"),
            "website": _("the same website"),
            "name": _("the same name"),
        }
        for row in self.rows:
            keys = []
            if row.record is not None:
                keys.append(
                    (
                        ("record", row.record.pk),
                        row.matched_column,
                        reasons[row.matched_by],
                    )
                )
            for scheme, value, column in row.identifiers:
                keys.append(
                    (
                        ("identifier", scheme, value),
                        column,
                        _("the same %(scheme)s")
                        % {"scheme": IdentifierScheme(scheme).label},
                    )
                )
            if row.record is None:
                area = self.directory.area(row.proposed.get("country", ""))
                for name in ("name", "name_ja"):
                    key = normalize_name(row.proposed.get(name, ""))
                    if key and area is not None:
                        keys.append((("name", area, key), name, reasons["name"]))
            for key, column, reason in keys:
                earlier = first.get(key)
                if earlier is not None and not (
                    key[0] == "name" and _told_apart(earlier, row)
                ):
                    row.error(
                        column,
                        _(
                            "Row %(row)s already describes this %(noun)s (%(reason)s): "
                            "keep one of the two rows."
                        )
                        % {"row": earlier.number, "noun": self.noun, "reason": reason},
                    )
                    break
                first.setdefault(key, row)


def _told_apart(first: DirectoryRow, second: DirectoryRow) -> bool:
    """Both rows have identifiers of one scheme, and none in common."""
    mine = defaultdict(set)
    for scheme, value, _column in first.identifiers:
        mine[scheme].add(value)
    theirs = defaultdict(set)
    for scheme, value, _column in second.identifiers:
        theirs[scheme].add(value)
    return any(
        mine[scheme] and not mine[scheme] & values for scheme, values in theirs.items()
    )

"""Matching an official list's rows to the registry's institutions: by an identifier
of the list's scheme (or one an institution took over), else by website or an
unambiguous name against the registry as it was before the file; rows that met the
same institution are then settled as a merged institution and its predecessors, or
reported."""

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ...models import IdentifierScheme
from ...names import normalize_name
from ..cells import website_host
from .base import ListRecord
from .plan import Entry

SKIP_AMBIGUOUS = gettext_lazy("ambiguous: matches several institutions")
SKIP_OTHER_IDENTIFIER = gettext_lazy(
    "matches an institution that has another identifier of this list"
)
HOW = {"website": gettext_lazy("website"), "name": gettext_lazy("name")}
# How a row can find an institution it is a predecessor of.
SURE = {"identifier", "former name"}


class Matching:
    """The matching part of the list planner (``planning.Planner``): which entry each
    row is, found in ``self.directory`` and the entries the plan holds."""

    def _owner(self, key: tuple[str, str]) -> Entry | None:
        """The entry holding the identifier ``key``: one the plan gave it, else the
        registry's."""
        return self.claimed.get(key) or self.entries.get(
            self.directory.by_identifier.get(key)
        )

    def _entries_of(self, pks: Iterable[int]) -> set[Entry]:
        return {self.entries[pk] for pk in pks}

    def _match(self, record: ListRecord) -> tuple[Entry | None, str]:
        """The entry a row is (None: none), and how it was found; a row found
        ambiguous is skipped here."""
        entry = self._by_identifier(record)
        if entry is not None or record.row in self.actions:
            return entry, "identifier"
        return self._by_website_or_name(record)

    def _by_identifier(self, record: ListRecord) -> Entry | None:
        """The entry the row's own identifiers find, else the one its former
        identifiers find (the institution it took over)."""
        for keys in (record.identifiers.items(), record.former_identifiers):
            found = {self._owner(key) for key in keys} - {None}
            if not found:
                continue
            entry = next(iter(found))
            if len(found) > 1 or entry.institution.country != record.country:
                self._skip(
                    record,
                    SKIP_AMBIGUOUS,
                    ambiguous=_("its identifiers belong to %(names)s")
                    % {"names": _names(found)},
                )
                return None
            return entry
        return None

    def _by_website_or_name(self, record: ListRecord) -> tuple[Entry | None, str]:
        directory = self.directory
        host = website_host(record.website) if record.match_by_website else ""
        if host and (record.country, host) not in self.shared_hosts:
            found = self._candidates(
                record, directory.by_host.get((record.country, host), ())
            )
            if len(found) == 1:
                return self._checked(record, found.pop(), "website")
        keys = name_keys(record)
        # A former name is a merged institution's predecessor: Tokyo Institute of
        # Technology is the Institute of Science Tokyo, whatever codes it holds.
        former = set()
        for key in keys:
            if key not in self.shared_names:
                former |= self._entries_of(directory.by_former_name.get(key, ()))
        if len(former) == 1:
            return former.pop(), "former name"
        # Each name's candidates: those all names agree on, if any (two "Seisen
        # University", one 清泉女子大学), else any name's.
        per_name = [
            self._candidates(record, directory.by_name.get(key, ()))
            for key in keys
            if key not in self.shared_names
        ]
        per_name = [found for found in per_name if found]
        found = set.intersection(*per_name) if per_name else set()
        if not found and per_name:
            found = set.union(*per_name)
        if len(found) == 1:
            return self._checked(record, found.pop(), "name")
        if len(found) > 1:
            self._skip(
                record,
                SKIP_AMBIGUOUS,
                ambiguous=_("the name matches %(names)s") % {"names": _names(found)},
            )
            return None, ""
        for key in keys:
            if key in self.shared_names:
                found |= self._candidates(record, directory.by_name.get(key, ()))
        if found:
            self._skip(
                record,
                SKIP_AMBIGUOUS,
                ambiguous=_(
                    "several rows of the file have this name, and %(names)s has it "
                    "too: which row it is cannot be told by name"
                )
                % {"names": _names(found)},
            )
        return None, ""

    def _candidates(self, record: ListRecord, pks: Iterable[int]) -> set:
        """The entries of the institutions ``pks`` a row may be: not those another
        row of the file identifies (the list has one row per institution)."""
        own = set(record.identifiers.items()) | set(record.former_identifiers)
        return {
            entry
            for entry in self._entries_of(pks)
            if not any(
                (self.scheme, value) in self.parsed.identifiers
                and (self.scheme, value) not in own
                for value in entry.identifiers.get(self.scheme, ())
            )
        }

    def _checked(self, record: ListRecord, entry: Entry, how: str):
        """The entry, unless it holds another identifier of this list (one the file
        does not have: a successor's, or a record ROR has replaced)."""
        own = entry.identifiers.get(self.scheme, set())
        value = record.identifiers.get(self.scheme)
        if not (value and own and value not in own):
            return entry, how
        self._skip(record, SKIP_OTHER_IDENTIFIER)
        self.plan.conflicts.append(
            (
                record.row,
                _(
                    "%(record)s matches %(institution)s by %(how)s, which has "
                    "%(scheme)s %(values)s: not merged."
                )
                % {
                    "record": record.label,
                    "institution": entry.institution.name,
                    "how": HOW[how],
                    "scheme": IdentifierScheme(self.scheme).label,
                    "values": ", ".join(sorted(own)),
                },
            )
        )
        return None, ""

    def _settle(self, matches) -> dict[int, bool]:
        """Rows that met the same institution. Rows found by identifier (or a
        former name) are a merged institution and its predecessors (Tokyo
        Institute of Technology and Tokyo Medical and Dental University, both the
        Institute of Science Tokyo):
        a predecessor, not under the institution's current name, gives it its codes
        and names but not its other facts. A row found by website or name beside
        others keeps the match only if it alone has the institution's current name
        and no row has its identifier; the rest are reported. Returns row → True
        for predecessors."""
        groups = defaultdict(list)
        for record in self.records:
            entry, how = matches[record.row]
            if entry is not None and record.row not in self.actions:
                groups[entry].append((record, how))
        predecessors = {}
        for entry, rows in groups.items():
            if len(rows) < 2:
                continue
            current = {
                normalize_name(entry.institution.name),
                normalize_name(entry.institution.name_ja),
            } - {""}

            def is_current(record, current=current):
                return bool({key for _c, key in name_keys(record)} & current)

            by_identifier = [record for record, how in rows if how in SURE]
            loose = [(record, how) for record, how in rows if how not in SURE]
            keep = [record for record, _how in loose if is_current(record)]
            if by_identifier or len(keep) != 1:
                keep = []
            for record, how in loose:
                if keep and record is keep[0]:
                    continue
                others = [str(r.row) for r, _how in rows if r is not record]
                self._skip(
                    record,
                    SKIP_AMBIGUOUS,
                    ambiguous=ngettext(
                        "it matches %(name)s by %(how)s, as does row %(rows)s",
                        "it matches %(name)s by %(how)s, as do rows %(rows)s",
                        len(others),
                    )
                    % {
                        "name": entry.institution.name,
                        "how": HOW[how],
                        "rows": ", ".join(others),
                    },
                )
            if len(by_identifier) > 1:
                for record in by_identifier:
                    predecessors[record.row] = not is_current(record)
        return predecessors

    def _skip(self, record: ListRecord, reason, *, ambiguous: str = ""):
        self.actions[record.row] = "skipped"
        self.plan.skipped[str(reason)] += 1
        if ambiguous:
            self.plan.ambiguous.append((record.row, f"{record.label}: {ambiguous}."))


def name_keys(record: ListRecord) -> list[tuple[str, str]]:
    keys = {
        (record.country, normalize_name(text))
        for text in (record.name, record.name_ja)
        if text
    }
    return sorted(key for key in keys if key[1])


def shared(keys: Iterable) -> set:
    counts = Counter(keys)
    return {key for key, count in counts.items() if count > 1 and key[1]}


def _names(entries: Iterable[Entry]) -> str:
    return ", ".join(sorted(entry.institution.name for entry in entries))

"""Planning an official list: every row matched to the registry (``matching``), then
each institution it meets enriched (missing identifiers and names added, blank fields
filled, a curator's different value reported) or, where the list's scope says so,
created; every change checked with the model's ``full_clean``. Nothing is written."""

from collections import Counter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import AliasKind, IdentifierScheme, Institution, Language, Region
from ...reference_data import describe_errors
from ...search import fold
from ..cells import ALIAS_MAX, alias_key, website_host
from ..directory import Directory
from .base import SCHEME_OF, ListFormat, ListRecord, ParsedList, RowError
from .matching import Matching, name_keys, shared
from .plan import Entry, ListPlan

SKIP_UNKNOWN_REGION = gettext_lazy("state or prefecture not in the registry")
SKIP_NOT_CREATED = {
    ListFormat.CARNEGIE: gettext_lazy(
        "not in the registry, and not a doctoral or research institution"
    ),
    ListFormat.ROR: gettext_lazy("not in the registry (ROR enriches, never creates)"),
}
# Differences not worth a conflict: a different Japanese name becomes an alias; ROR's
# city is the GeoNames place it was filed under ("Tokyo" for Hachiōji, "Amherst
# Center"), not the postal city curators keep.
UNREPORTED = {ListFormat.ROR: {"city"}}


class Planner(Matching):
    """Decides what each row does, in three steps: match every row (identifiers
    first, then website or name, against the registry as it was before the file),
    settle rows that met the same institution, then enrich or create."""

    def __init__(self, parsed: ParsedList, progress):
        self.parsed = parsed
        self.plan = ListPlan(
            parsed=parsed,
            skipped=Counter(parsed.skipped),
            errors=list(parsed.errors),
        )
        self.progress = progress
        self.scheme = SCHEME_OF[parsed.list_format]
        self.unreported = UNREPORTED.get(parsed.list_format, set()) | {"name_ja"}
        # Hosts and names are looked up as the registry was before the file: the
        # rows of one list are different institutions, so what the file itself
        # creates or adds (IPEDS aliases such as Princeton's "The College of New
        # Jersey") never matches another of its rows.
        self.directory = directory = Directory.of_institutions()
        self.entries = {
            pk: Entry(
                institution,
                identifiers=directory.identifiers_of[pk],
                names={
                    alias_key(text)
                    for text in (institution.name, institution.name_ja)
                    if text
                }
                | directory.alias_keys(pk),
            )
            for pk, institution in directory.records.items()
        }
        self.created: list[Entry] = []  # institutions the list adds
        # Identifiers the plan gives an institution, and which it is.
        self.claimed: dict[tuple[str, str], Entry] = {}
        self.regions = {(r.country, r.code): r for r in Region.objects.all()}
        self.regions_by_pk = {region.pk: region for region in self.regions.values()}
        self.actions: dict[int, str] = {}
        self.records = []
        for record in parsed.records:
            if self._region(record) is False:
                self.plan.skipped[f"{SKIP_UNKNOWN_REGION} ({record.region_code})"] += 1
            else:
                self.records.append(record)
        # Names and hosts two rows of the file share decide nothing (branch campuses,
        # chains of schools under one website).
        self.shared_names = shared(
            key for record in self.records for key in name_keys(record)
        )
        self.shared_hosts = shared(
            (record.country, website_host(record.website))
            for record in self.records
            if record.match_by_website and record.website
        )

    def _region(self, record: ListRecord):
        """The record's Region, None when it names none, False when the registry has
        no such state or prefecture."""
        if not record.region_code:
            return None
        return self.regions.get((record.country, record.region_code), False)

    def run(self) -> ListPlan:
        self._check_repeated_identifiers()
        if self.plan.errors:
            return self.plan
        matches = {}  # row -> (entry, how)
        for record in self.records:
            matches[record.row] = self._match(record)
        successors = self._settle(matches)
        for count, record in enumerate(self.records, start=1):
            if record.row in self.actions:
                continue
            entry, how = matches[record.row]
            if entry is None:
                self._create_or_skip(record)
            else:
                self._enrich(entry, record, predecessor=successors.get(record.row))
            if self.progress and count % 2000 == 0:
                self.progress(
                    _("Planned %(done)s of %(total)s rows…")
                    % {"done": f"{count:,}", "total": f"{len(self.records):,}"}
                )
        counts = Counter(self.actions.values())
        self.plan.created = counts["created"]
        self.plan.updated = counts["updated"]
        self.plan.unchanged = counts["unchanged"]
        entries = [*self.entries.values(), *self.created]
        self.plan.entries = [e for e in entries if e.new or e.changed]
        self._validate()
        return self.plan

    def _check_repeated_identifiers(self):
        first_row = {}
        for record in self.records:
            for key in record.identifiers.items():
                if key in first_row:
                    self.plan.errors.append(
                        RowError(
                            record.row,
                            _("%(scheme)s %(value)s is also on row %(row)s.")
                            % {
                                "scheme": IdentifierScheme(key[0]).label,
                                "value": key[1],
                                "row": first_row[key],
                            },
                        )
                    )
                first_row.setdefault(key, record.row)

    def _create_or_skip(self, record: ListRecord):
        if not record.creatable:
            self._skip(record, SKIP_NOT_CREATED[self.parsed.list_format])
            return
        region = self._region(record)
        slug = self.directory.unique_slug(
            record.name,
            [region.slug if region else "", record.city, *record.identifiers.values()],
        )
        institution = Institution(
            name=record.name,
            name_ja=record.name_ja,
            slug=slug,
            country=record.country,
            institution_type=record.institution_type,
            city=record.city,
            region=region,
            website=record.website,
            latitude=record.latitude,
            longitude=record.longitude,
            research_classification=record.research_classification,
            enrollment_band=record.enrollment_band,
        )
        entry = Entry(
            institution,
            new=True,
            names={alias_key(text) for text in (institution.name, institution.name_ja)},
        )
        self.created.append(entry)
        entry.rows.append(record.row)
        self._add_identifiers(entry, record)
        self._add_aliases(entry, record, former=False)
        self.actions[record.row] = "created"

    def _enrich(self, entry: Entry, record: ListRecord, *, predecessor=False):
        before = entry.changes
        entry.rows.append(record.row)
        self._add_identifiers(entry, record)
        if not predecessor:
            self._fill(entry, record)
        self._add_aliases(entry, record, former=predecessor)
        # A second row for the same institution (a merged university's old code)
        # counts as updated only for what it adds itself.
        self.actions[record.row] = "updated" if entry.changes != before else "unchanged"

    def _fill(self, entry: Entry, record: ListRecord):
        """Blank fields filled; a different value kept and reported."""
        institution = entry.institution
        proposed = {
            "name_ja": record.name_ja,
            "city": record.city,
            "website": record.website,
            "research_classification": record.research_classification,
            "enrollment_band": record.enrollment_band,
            "institution_type": record.institution_type,
        }
        for name, value in proposed.items():
            current = getattr(institution, name)
            if not value:
                continue
            if not current:
                setattr(institution, name, value)
                entry.changed_fields.add(name)
            elif name not in self.unreported and not _same(name, current, value):
                self._conflict(record, institution, name, current, value)
        region = self._region(record)
        if region:
            if institution.region_id is None:
                institution.region = region
                entry.changed_fields.add("region")
            elif institution.region_id != region.pk:
                current = self.regions_by_pk[institution.region_id]
                self._conflict(record, institution, "region", current, region)
        if (
            record.latitude is not None
            and institution.latitude is None
            and institution.longitude is None
        ):
            institution.latitude = record.latitude
            institution.longitude = record.longitude
            entry.changed_fields |= {"latitude", "longitude"}

    def _add_identifiers(self, entry: Entry, record: ListRecord):
        """The row's identifiers, and those of the institutions it took over: a
        merged institution keeps its predecessors' codes."""
        for key in [*record.identifiers.items(), *record.former_identifiers]:
            owner = self._owner(key)
            if owner is None:
                entry.identifiers[key[0]].add(key[1])
                entry.new_identifiers.append(key)
                self.claimed[key] = entry
            elif owner is not entry:
                self.plan.conflicts.append(
                    (
                        record.row,
                        _(
                            "%(record)s took over %(scheme)s %(value)s, which "
                            "belongs to %(owner)s: not moved."
                        )
                        % {
                            "record": record.label,
                            "scheme": IdentifierScheme(key[0]).label,
                            "value": key[1],
                            "owner": owner.institution.name,
                        },
                    )
                )

    def _add_aliases(self, entry: Entry, record: ListRecord, *, former: bool):
        """The row's names the institution lacks, compared folded and without
        spaces; a predecessor's names are former names."""
        kind = AliasKind.FORMER_NAME if former else AliasKind.ALTERNATIVE
        names = [(record.name, Language.EN, kind)]
        if record.name_ja:
            names.append((record.name_ja, Language.JA, kind))
        for text, language, alias_kind in names + record.aliases:
            key = alias_key(text)
            if not key or key in entry.names or len(text) > ALIAS_MAX:
                continue
            entry.new_aliases.append((text, language, alias_kind))
            entry.names.add(key)

    def _conflict(self, record, institution, name, current, value):
        model_field = Institution._meta.get_field(name)
        if model_field.choices:
            labels = dict(model_field.flatchoices)
            current, value = labels.get(current, current), labels.get(value, value)
        if name == "research_classification" and record.carnegie_basic:
            value = f"{value}: {record.carnegie_basic}"
        self.plan.conflicts.append(
            (
                record.row,
                _(
                    "%(institution)s: %(field)s “%(current)s” kept; %(record)s has "
                    "“%(value)s”."
                )
                % {
                    "institution": institution.name,
                    "field": model_field.verbose_name,
                    "current": current,
                    "record": record.label,
                    "value": value,
                },
            )
        )

    def _validate(self):
        for entry in self.plan.entries:
            if not (entry.new or entry.changed_fields):
                continue
            try:
                # The region is one of the registry's own (a query each to check it
                # exists); slugs are unique by construction.
                entry.institution.full_clean(
                    exclude=["region", "parent"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                self.plan.errors.append(RowError(entry.rows[0], describe_errors(error)))


def _same(name: str, current, value) -> bool:
    if name == "website":
        return website_host(current) == website_host(value)
    if name == "city":
        return fold(current) == fold(value)
    return current == value


def plan_institution_list(parsed: ParsedList, *, progress=None) -> ListPlan:
    """Match every row of a parsed list to the registry and decide what it does,
    writing nothing."""
    return Planner(parsed, progress).run()

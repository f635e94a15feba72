"""Loading the factual reference data in ``fixtures/`` into the registry.

Idempotent: records are matched by their natural keys (slug, identifier, source record),
created when missing, and their blank fields filled. A value a curator has changed is
kept and reported, unless ``overwrite`` is asked for. Aliases, identifiers and links are
added, never removed. The whole load is one transaction: a file with a bad record loads
nothing.

One module past 500 lines because it is one loader: a method per fixture file, sharing
the upsert and its report.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from .dates import parse_partial_date
from .models import (
    ActivityType,
    ActivityTypeAlias,
    Agreement,
    CaseStudy,
    DataSource,
    DataSourceAlias,
    Discipline,
    DisciplineAlias,
    Institution,
    InstitutionAlias,
    InstitutionIdentifier,
    InstitutionRedirect,
    Organization,
    OrganizationAlias,
    ParticipantRole,
    Program,
    PublicationState,
    Region,
    SourceRecord,
)
from .search import agreements_of, refresh_agreement_index
from .services.agreements import Participant, Partner, Source, agreement_save

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "fixtures"
CHANGE_REASON = "Reference data (fixtures/)"


class ReferenceDataError(Exception):
    """A fixture record that cannot be loaded; nothing was written."""


@dataclass
class ModelReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)

    def __str__(self):
        text = (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.kept:
            text += f", {len(self.kept)} kept as curated"
        return text


@dataclass
class LoadReport:
    models: dict[str, ModelReport] = field(
        default_factory=lambda: defaultdict(ModelReport)
    )
    links_added: int = 0

    @property
    def changed(self) -> bool:
        return self.links_added > 0 or any(
            report.created or report.updated for report in self.models.values()
        )


def load_reference_data(
    *, directory: Path = DEFAULT_DIRECTORY, overwrite: bool = False, user=None
) -> LoadReport:
    loader = _Loader(directory=Path(directory), overwrite=overwrite, user=user)
    with transaction.atomic():
        loader.load_all()
    return loader.report


class _Loader:
    def __init__(self, *, directory, overwrite, user):
        self.directory, self.overwrite, self.user = directory, overwrite, user
        self.report = LoadReport()
        # Records whose names changed: the agreements they appear in are reindexed.
        self.touched = defaultdict(set)

    def read(self, name):
        path = self.directory / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReferenceDataError(f"{path} is missing.") from None
        except json.JSONDecodeError as error:
            raise ReferenceDataError(f"{path} is not valid JSON: {error}") from None

    def load_all(self):
        self.load_regions()
        self.load_simple(
            Discipline,
            "disciplines.json",
            parent_model=Discipline,
            aliases=(DisciplineAlias, "discipline"),
        )
        self.load_simple(
            ActivityType,
            "activity_types.json",
            ordered=True,
            aliases=(ActivityTypeAlias, "activity_type"),
        )
        self.load_simple(
            DataSource, "data_sources.json", aliases=(DataSourceAlias, "data_source")
        )
        self.load_organizations()
        self.load_programs()
        self.load_institutions()
        self.load_agreements()
        self.load_case_studies()
        changed = agreements_of(
            institutions=self.touched[Institution],
            organizations=self.touched[Organization],
            programs=self.touched[Program],
            disciplines=self.touched[Discipline],
        )
        if changed | self.touched[Agreement]:
            refresh_agreement_index(agreement_ids=changed | self.touched[Agreement])

    # -- generic upsert ----------------------------------------------------------------

    def upsert(self, model, lookup: dict, values: dict, *, label: str, existing=None):
        """Create or fill one record; return it. ``existing`` skips the lookup query."""
        report = self.report.models[model._meta.verbose_name_plural]
        instance = (
            existing if existing is not None else model.objects.filter(**lookup).first()
        )
        if instance is None:
            instance = model(**lookup, **values)
            self.save(instance, label)
            self.touched[model].add(instance.pk)
            report.created += 1
            return instance
        changed, kept = False, False
        for name, value in values.items():
            current = getattr(instance, name)
            if _same(current, value):
                continue
            if current in (None, "") or self.overwrite:
                setattr(instance, name, value)
                changed = True
            else:
                kept = True
        if changed:
            self.save(instance, label)
            self.touched[model].add(instance.pk)
            report.updated += 1
        else:
            report.unchanged += 1
        if kept:
            report.kept.append(label)
        return instance

    def save(self, instance, label):
        try:
            instance.full_clean(validate_unique=True, validate_constraints=True)
        except ValidationError as error:
            raise ReferenceDataError(f"{label}: {describe_errors(error)}") from None
        instance._history_user = self.user
        instance._change_reason = CHANGE_REASON
        instance.save()

    def add_links(self, manager, objects):
        missing = set(objects) - set(manager.all())
        if missing:
            manager.add(*missing)
            self.report.links_added += len(missing)

    # -- each file ---------------------------------------------------------------------

    def load_regions(self):
        existing = {(r.country, r.code): r for r in Region.objects.all()}
        for row in self.read("regions.json"):
            key = (row["country"], row["code"])
            self.upsert(
                Region,
                {"country": row["country"], "code": row["code"]},
                {
                    "name": row["name"],
                    "name_ja": row.get("name_ja", ""),
                    "slug": row["slug"],
                },
                label=f"region {row['country']}-{row['code']}",
                existing=existing.get(key),
            )

    def load_simple(
        self, model, filename, *, parent_model=None, ordered=False, aliases=None
    ):
        # parent_model: the file is a tree whose parents come first (disciplines).
        # aliases: (alias model, its owner field) for rows' "aliases".
        existing = {record.slug: record for record in model.objects.all()}
        for position, row in enumerate(self.read(filename)):
            values = {
                key: value
                for key, value in row.items()
                if key not in {"slug", "parent", "aliases"}
            }
            for key, value in list(values.items()):
                if value is None and model._meta.get_field(key).empty_strings_allowed:
                    values[key] = ""
            if parent_model is not None:
                values["parent"] = self._parent(existing, row, model._meta.verbose_name)
            if ordered:
                values["position"] = position
            existing[row["slug"]] = self.upsert(
                model,
                {"slug": row["slug"]},
                values,
                label=f"{model._meta.verbose_name} {row['slug']}",
                existing=existing.get(row["slug"]),
            )
            if aliases is not None:
                self._add_aliases(*aliases, existing[row["slug"]], row)

    def load_organizations(self):
        rows = self.read("organizations.json")
        by_slug = {
            org.slug: org for org in Organization.objects.prefetch_related("aliases")
        }
        for row in rows:
            organization = self.upsert(
                Organization,
                {"slug": row["slug"]},
                {
                    "name": row["name"],
                    "name_ja": row.get("name_ja", ""),
                    "sector": row["sector"],
                    "country": row.get("country") or "",
                    "parent": self._parent(by_slug, row, "organization"),
                    "website": row.get("website", ""),
                    "ror_id": row.get("ror") or "",
                },
                label=f"organization {row['slug']}",
                existing=by_slug.get(row["slug"]),
            )
            by_slug[row["slug"]] = organization
            self._add_aliases(OrganizationAlias, "organization", organization, row)
        for row in rows:
            counterparts = [by_slug[slug] for slug in row.get("counterparts", [])]
            self.add_links(by_slug[row["slug"]].counterparts, counterparts)

    def load_programs(self):
        organizations = {org.slug: org for org in Organization.objects.all()}
        disciplines = {d.slug: d for d in Discipline.objects.all()}
        for row in self.read("programs.json"):
            program = self.upsert(
                Program,
                {"slug": row["slug"]},
                {
                    "name": row["name"],
                    "name_ja": row.get("name_ja", ""),
                    "description": row.get("description", ""),
                    "start_year": row.get("start_year"),
                    "end_year": row.get("end_year"),
                    "website": row.get("website", ""),
                },
                label=f"program {row['slug']}",
            )
            label = f"program {row['slug']}"
            self.add_links(
                program.organizations,
                self._lookup(organizations, row["organizations"], label),
            )
            self.add_links(
                program.research_areas,
                self._lookup(disciplines, row.get("research_areas", []), label),
            )

    def load_institutions(self):
        regions = {(r.country, r.code): r for r in Region.objects.all()}
        by_slug = {
            institution.slug: institution
            for institution in Institution.objects.prefetch_related(
                "aliases", "identifiers"
            )
        }
        by_identifier = {
            (identifier.scheme, identifier.value): identifier.institution_id
            for identifier in InstitutionIdentifier.objects.all()
        }
        by_pk = {institution.pk: institution for institution in by_slug.values()}
        redirects = dict(
            InstitutionRedirect.objects.values_list("old_slug", "institution_id")
        )
        for row in self.read("institutions.json"):
            label = f"institution {row['slug']}"
            identifiers = [
                (scheme, value)
                for scheme, values in (row.get("identifiers") or {}).items()
                for value in (values if isinstance(values, list) else [values])
                if value
            ]
            # A curator may have renamed or merged the record: its identifiers still
            # find it.
            existing = next(
                (
                    by_pk[by_identifier[key]]
                    for key in identifiers
                    if key in by_identifier
                ),
                None,
            ) or by_slug.get(row["slug"])
            if existing is None and row["slug"] in redirects:
                existing = by_pk.get(redirects[row["slug"]])
            region = (
                regions.get((row["country"], row.get("region")))
                if row.get("region")
                else None
            )
            if row.get("region") and region is None:
                raise ReferenceDataError(
                    f"{label}: no region {row['country']}-{row['region']}."
                )
            institution = self.upsert(
                Institution,
                {"slug": row["slug"]} if existing is None else {"slug": existing.slug},
                {
                    "name": row["name"],
                    "name_ja": row.get("name_ja", ""),
                    "country": row["country"],
                    "institution_type": row["institution_type"],
                    "parent": self._parent(by_slug, row, "institution"),
                    "city": row.get("city", ""),
                    "region": region,
                    "latitude": _decimal(row.get("latitude")),
                    "longitude": _decimal(row.get("longitude")),
                    "website": row.get("website", ""),
                    "research_classification": row.get("research_classification", ""),
                    "enrollment_band": row.get("enrollment_band", ""),
                },
                label=label,
                existing=existing,
            )
            by_slug[row["slug"]] = by_pk[institution.pk] = institution
            self._add_aliases(InstitutionAlias, "institution", institution, row)
            report = self.report.models[InstitutionIdentifier._meta.verbose_name_plural]
            for scheme, value in identifiers:
                owner = by_identifier.get((scheme, value))
                if owner == institution.pk:
                    report.unchanged += 1
                    continue
                if owner is not None:
                    report.kept.append(f"{label}: {scheme} {value} belongs to #{owner}")
                    continue
                identifier = InstitutionIdentifier(
                    institution=institution, scheme=scheme, value=value
                )
                try:
                    identifier.full_clean()
                except ValidationError as error:
                    raise ReferenceDataError(
                        f"{label}: {describe_errors(error)}"
                    ) from None
                identifier.save()
                by_identifier[(scheme, value)] = institution.pk
                report.created += 1

    def load_agreements(self):
        institutions = {i.slug: i for i in Institution.objects.all()}
        organizations = {o.slug: o for o in Organization.objects.all()}
        sources = {s.slug: s for s in DataSource.objects.all()}
        programs = {p.slug: p for p in Program.objects.all()}
        disciplines = {d.slug: d for d in Discipline.objects.all()}
        activities = {a.slug: a for a in ActivityType.objects.all()}
        report = self.report.models[Agreement._meta.verbose_name_plural]
        for row in self.read("agreements.json"):
            label = f"agreement “{row['title']}”"
            first = row["sources"][0]
            source = self._lookup(sources, [first["data_source"]], label)[0]
            # Matched by its source record, as imports are: curators own it once it
            # exists.
            if SourceRecord.objects.filter(
                data_source=source, source_identifier=first["source_identifier"]
            ).exists():
                report.unchanged += 1
                continue
            agreement = Agreement(
                title=row["title"],
                title_ja=row.get("title_ja", ""),
                summary=row.get("summary", ""),
                classification=row.get("classification", ""),
                program=programs[row["program"]] if row.get("program") else None,
                funding_amount=row.get("funding_amount"),
                funding_currency=row.get("funding_currency", ""),
                publication_state=row.get("publication_state", PublicationState.DRAFT),
            )
            for end in ("start", "end"):
                if row.get(end):
                    date, precision = parse_partial_date(
                        row[end], period_end=end == "end"
                    )
                    setattr(agreement, f"{end}_date", date)
                    setattr(agreement, f"{end}_precision", precision)
            participants = [
                Participant(
                    self._lookup(institutions, [p["institution"]], label)[0],
                    p.get("unit", ""),
                    p.get("role", ParticipantRole.PARTNER),
                )
                for p in row["participants"]
            ]
            partners = [
                Partner(
                    self._lookup(organizations, [p["organization"]], label)[0],
                    p["role"],
                )
                for p in row.get("partners", [])
            ]
            records = [
                Source(
                    self._lookup(sources, [record["data_source"]], label)[0],
                    record.get("source_identifier", ""),
                    record.get("url", ""),
                    parse_date(record["retrieved_on"])
                    if record.get("retrieved_on")
                    else None,
                )
                for record in row["sources"]
            ]
            try:
                agreement.full_clean()
                # The one write path: rules, history with every part, the index.
                agreement_save(
                    agreement=agreement,
                    participants=participants,
                    partners=partners,
                    sources=records,
                    disciplines=self._lookup(
                        disciplines, row.get("disciplines", []), label
                    ),
                    activities=self._lookup(
                        activities, row.get("activities", []), label
                    ),
                    user=self.user,
                    reason=CHANGE_REASON,
                )
            except ValidationError as error:
                raise ReferenceDataError(f"{label}: {describe_errors(error)}") from None
            self.touched[Agreement].add(agreement.pk)
            report.created += 1

    def load_case_studies(self):
        """The fact sheet's own cases, linked to the records they are about; their
        agreements are found by source record, as agreements themselves are."""
        known = {
            "institutions": {i.slug: i for i in Institution.objects.all()},
            "organizations": {o.slug: o for o in Organization.objects.all()},
            "programs": {p.slug: p for p in Program.objects.all()},
            "agreements": {
                record.source_identifier: record.agreement
                for record in SourceRecord.objects.filter(
                    data_source__slug="usjp-hees-fact-sheet"
                ).select_related("agreement")
            },
        }
        for row in self.read("case_studies.json"):
            label = f"case study {row['slug']}"
            study = self.upsert(
                CaseStudy,
                {"slug": row["slug"]},
                {
                    "title": row["title"],
                    "title_ja": row.get("title_ja", ""),
                    "summary": row.get("summary", ""),
                    "body": row.get("body", ""),
                    "is_featured": row.get("is_featured", False),
                    "publication_state": row.get(
                        "publication_state", PublicationState.DRAFT
                    ),
                },
                label=label,
            )
            if study.publication_state == PublicationState.PUBLISHED and not (
                study.published_at
            ):
                study.published_at = timezone.now()
                study.save(update_fields=["published_at"])
            for relation, records in known.items():
                self.add_links(
                    getattr(study, relation),
                    self._lookup(records, row.get(relation, []), label),
                )

    # -- helpers -----------------------------------------------------------------------

    def _parent(self, by_slug, row, kind):
        if not row.get("parent"):
            return None
        try:
            return by_slug[row["parent"]]
        except KeyError:
            raise ReferenceDataError(
                f"{kind} {row['slug']}: its parent {row['parent']} must come earlier "
                "in the file."
            ) from None

    def _lookup(self, known, slugs, label):
        missing = [slug for slug in slugs if slug not in known]
        if missing:
            raise ReferenceDataError(f"{label}: unknown {', '.join(missing)}.")
        return [known[slug] for slug in slugs]

    def _add_aliases(self, alias_model, owner_field, owner, row):
        report = self.report.models[alias_model._meta.verbose_name_plural]
        present = {alias.name for alias in owner.aliases.all()}
        for alias in row.get("aliases", []):
            if alias["name"] in present:
                report.unchanged += 1
                continue
            self.touched[type(owner)].add(owner.pk)
            alias_model.objects.create(
                **{owner_field: owner},
                name=alias["name"],
                language=alias["language"],
                kind=alias["kind"],
            )
            present.add(alias["name"])
            report.created += 1


def _decimal(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))


def _same(current, value) -> bool:
    if isinstance(current, Decimal) and value is not None:
        return current == Decimal(str(value))
    return current == value


def describe_errors(error: ValidationError) -> str:
    """A model's validation errors on one line: 'field: message; field: …'."""
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)

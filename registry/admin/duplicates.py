"""Duplicates caught where curators type records in by hand, by the checks imports
already make: an institution's name as the resolver reads names (registry.resolver),
an organization's as the agreement sheet's vocabulary finds partners
(registry.imports.sheets.Vocabulary), an agreement as the agreement sheet finds likely
duplicates (registry.imports.agreement_sheet.duplicates). A record the admin lets in
under a name imports already read as another's becomes a second Michigan that every
later sheet and autocomplete must tell apart."""

from collections import defaultdict

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The sheet's own pool and comparison, so the admin and the sheet cannot drift apart.
from ..imports.agreement_sheet.duplicates import CandidatePool, close_titles
from ..imports.agreement_sheet.reading import organization_vocabulary
from ..imports.agreement_sheet.rows import ProposedAgreement, RowPlan
from ..models import Agreement, AgreementParticipant, Institution, Organization
from ..names import normalize_name
from ..resolver import EXACT_SCORE, resolve_institution


def _institutions_named(*, names, country) -> set[int]:
    """Whom imports and the API take each name for: exact names and aliases only
    (``EXACT_SCORE``), as an agreement sheet's institution cell is read."""
    found = set()
    for name in names:
        resolution = resolve_institution(name=name, country=country or None)
        found |= {
            candidate.institution.pk
            for candidate in resolution.candidates
            if candidate.score >= EXACT_SCORE
        }
    return found


def _organizations_named(*, names, country) -> set[int]:
    """Every organization the agreement sheet's partner vocabulary files each name
    under. Its ``find`` answers one record or none; a name two records share is a
    duplicate of both. Organizations are found by name whatever their country, as the
    sheet finds them."""
    vocabulary = organization_vocabulary()
    found = set()
    for name in names:
        found |= vocabulary.by_key.get(normalize_name(name), set())
    return found


FINDERS = {Institution: _institutions_named, Organization: _organizations_named}


def existing_matches(*, model, names, country=None, exclude_pk=None) -> list:
    """The records of ``model`` (Institution or Organization) that imports would
    take any of ``names`` for, by English name: a name, Japanese name or alias
    compared in the resolver's normalized form (punctuation, "Univ.", dashes and width
    aside), and for institutions also a name the resolver reads a school or campus
    off ("Harvard Medical School" is Harvard's: a school is a participation's unit,
    not an institution). ``country`` narrows institutions to that country's;
    ``exclude_pk`` is the record being edited, which its own names do not make a
    duplicate."""
    pks = FINDERS[model](names=[name for name in names if name], country=country)
    pks.discard(exclude_pk)
    return list(model.objects.filter(pk__in=pks).order_by("name", "pk"))


def change_links(records):
    """Links to the records' admin change pages, each named as it prints itself
    (an institution by its name, an agreement by public ID and title), escaped."""
    return format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        (
            (
                reverse(
                    f"admin:{record._meta.app_label}_{record._meta.model_name}_change",
                    args=[record.pk],
                ),
                str(record),
            )
            for record in records
        ),
    )


class DuplicateGuardMixin:
    """For an institution or organization admin form (before ``forms.ModelForm`` in
    the bases): refuses a new name or Japanese name that ``existing_matches`` finds
    among other records, with links to them, unless "Create anyway" is ticked.

    Only names that are new or changed are checked: editing the city of one of two
    Lincoln Universities, which share their name, must not be refused each time. The
    checkbox is added here, not declared, so that a form without fieldsets does not
    list it; the change form shows it (includes/create_anyway.html) once
    ``duplicates_found`` is true."""

    guarded_fields = ("name", "name_ja")
    duplicates_found = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["create_anyway"] = forms.BooleanField(
            label=_("Create anyway"),
            required=False,
            help_text=_(
                "Save this record although imports read its name as another "
                "record's: only when it is a different one that shares the name."
            ),
        )

    def clean(self):
        cleaned_data = super().clean()
        for field in self._names_to_check():
            records = existing_matches(
                model=self._meta.model,
                names=[cleaned_data[field]],
                country=cleaned_data.get("country"),
                exclude_pk=self.instance.pk,
            )
            if not records:
                continue
            self.duplicates_found = True
            if not cleaned_data.get("create_anyway"):
                self.add_error(
                    field, self._duplicate_error(cleaned_data[field], records)
                )
        return cleaned_data

    def _names_to_check(self) -> list[str]:
        return [
            field
            for field in self.guarded_fields
            if self.cleaned_data.get(field)
            and (self.instance.pk is None or field in self.changed_data)
        ]

    def _duplicate_error(self, name, records):
        return format_html(
            gettext(
                "“{name}” is already a name of {records} (as imports compare "
                "names). Edit that record instead, or tick “Create anyway” if this is "
                "a different {noun}."
            ),
            name=name,
            records=change_links(records),
            noun=self._meta.model._meta.verbose_name,
        )


class DuplicateGuardForm(DuplicateGuardMixin, forms.ModelForm):
    """The institution and organization admins' form (ModelAdmin.get_form gives it
    its model and fields)."""


def likely_duplicate_agreements(*, agreement, institution_ids) -> list:
    """The existing agreements that ``agreement`` is likely a duplicate of, as the
    agreement sheet reports a new row's, oldest first; never ``agreement`` itself.

    ``agreement`` may be unsaved: its ``title`` and ``start_date`` are read, as a
    form's ``instance`` holds them after validation. ``institution_ids`` are the pks
    of its participating institutions (the participant rows the form keeps, units
    aside). Likely duplicates are, as in the sheet:

    - the same title and exactly these institutions (demo agreements included);
    - a close title (``close_titles``: a typo, words in another order, but the same
      numbers), institutions that include these or that these include, and the same
      start year, among real agreements. The sheet also pairs a row with agreements
      of the same data source; sources are not asked for here, so the year alone
      counts.

    Without a title or an institution nothing is compared: ``[]``. The agreement form
    is meant to refuse the save with links to these unless the curator says it is a
    different agreement, as the sheet's New anyway column does."""
    institution_ids = frozenset(institution_ids)
    if not (agreement.title and institution_ids):
        return []
    pks = _same_title_and_institutions(agreement, institution_ids)
    pks |= _close_title_and_year(agreement, institution_ids)
    pks.discard(agreement.pk)
    return list(Agreement.objects.filter(pk__in=pks).order_by("pk"))


def _same_title_and_institutions(agreement, institution_ids) -> set[int]:
    # The sheet's first check: agreements of this very title (as the sheet queries
    # them) and exactly these institutions. The sheet's own function reads and
    # annotates a whole plan of rows, so it is not called.
    institutions = defaultdict(set)
    for pk, institution_id in AgreementParticipant.objects.filter(
        agreement__title=agreement.title
    ).values_list("agreement_id", "institution_id"):
        institutions[pk].add(institution_id)
    return {pk for pk, ids in institutions.items() if ids == institution_ids}


def _close_title_and_year(agreement, institution_ids) -> set[int]:
    # The sheet's second check, its pool and all: the agreement is put as a row's
    # proposal, with its institutions as participants without units.
    row = RowPlan(
        number=0,
        values={},
        proposed=ProposedAgreement(
            title=agreement.title,
            start_date=agreement.start_date,
            participants=tuple((pk, "") for pk in institution_ids),
        ),
    )
    candidates = CandidatePool.of_institutions(set(institution_ids)).candidates(row)
    return set(close_titles(agreement.title, candidates))

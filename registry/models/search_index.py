"""What the search index writes for each agreement (registry.search): its facet rows,
and the version every process's in-memory index compares with its own."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.IntegerChoices):
    """The facets an agreement is filtered and counted by (registry.search)."""

    DISCIPLINE = 1, _("discipline")
    ACTIVITY = 2, _("activity")
    US_INSTITUTION = 3, _("U.S. institution")
    JP_INSTITUTION = 4, _("Japanese institution")
    US_STATE = 5, _("U.S. state")
    JP_PREFECTURE = 6, _("Japanese prefecture")
    INSTITUTION_TYPE = 7, _("institution type")
    ORGANIZATION = 8, _("organization")
    SECTOR = 9, _("sector")
    PROGRAM = 10, _("program")
    SOURCE = 11, _("source")


class AgreementFacet(models.Model):
    """One facet value an agreement belongs to: derived data, rebuilt by the index."""

    agreement = models.ForeignKey(
        "registry.Agreement", on_delete=models.CASCADE, related_name="+"
    )
    dimension = models.PositiveSmallIntegerField(choices=Dimension.choices)
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "value", "agreement"], name="facet_unique"
            )
        ]
        indexes = [models.Index(fields=["agreement", "dimension"])]

    def __str__(self):
        return f"{self.get_dimension_display()} {self.value}"


class SearchIndexVersion(models.Model):
    """A counter moved by every change to what public search shows.

    Each process keeps an index of the published agreements (registry.engine) and
    brings it up to date when this counter moves: from the agreements each move
    names (SearchIndexChange), or from scratch when a move names none. One row.
    """

    version = models.BigIntegerField(default=0)
    # Which database this counter belongs to: a database made anew (or restored from
    # another) counts its versions from 1 again, and the shared index store
    # (registry.index_store) must not take one database's version for another's.
    generation = models.UUIDField(default=uuid.uuid4, editable=False)

    # A move naming more agreements than this rebuilds the index from scratch anyway:
    # its change is recorded as "everything".
    MOST_NAMED = 2000
    # Moves older than this many versions are forgotten (an index that far behind is
    # rebuilt from scratch).
    KEPT = 10_000

    def __str__(self):
        return str(self.version)

    @classmethod
    def current(cls) -> int:
        return cls.objects.values_list("version", flat=True).first() or 0

    @classmethod
    def generation_now(cls) -> str:
        generation = cls.objects.values_list("generation", flat=True).first()
        return str(generation or "none")

    @classmethod
    def bump(cls, agreement_ids=None) -> int:
        """Move the counter; ``agreement_ids``: the only agreements whose search
        entries changed (None: any may have). Returns the new version."""
        if not cls.objects.filter(pk=1).update(version=models.F("version") + 1):
            cls.objects.get_or_create(pk=1, defaults={"version": 1})
        version = cls.current()
        ids = None if agreement_ids is None else sorted(set(agreement_ids))
        if ids is None or len(ids) > cls.MOST_NAMED:
            SearchIndexChange.objects.create(version=version, agreement_id=None)
        else:
            # A move that changed no agreement (a case study published) is recorded
            # as naming agreement 0, which never exists.
            SearchIndexChange.objects.bulk_create(
                SearchIndexChange(version=version, agreement_id=pk) for pk in ids or [0]
            )
        if version % 1000 == 0:
            SearchIndexChange.objects.filter(version__lt=version - cls.KEPT).delete()
        return version

    @classmethod
    def changes_since(cls, version: int, current: int) -> list[int] | None:
        """The agreements named by the moves after ``version`` up to ``current``; None
        when a move named none, or is forgotten."""
        rows = list(
            SearchIndexChange.objects.filter(
                version__gt=version, version__lte=current
            ).values_list("version", "agreement_id")
        )
        if len({row[0] for row in rows}) != current - version:
            return None
        named = {agreement_id for _version, agreement_id in rows}
        if None in named or len(named) > cls.MOST_NAMED:
            return None
        return sorted(named - {0})


class SearchIndexChange(models.Model):
    """An agreement whose search entries a move of SearchIndexVersion changed (or,
    with no agreement, a move after which anything may have)."""

    version = models.BigIntegerField(db_index=True)
    agreement_id = models.BigIntegerField(null=True)

    def __str__(self):
        return f"{self.version}: {self.agreement_id or 'everything'}"

"""What the search index writes for each agreement (registry.search): its facet rows,
and the version every process's in-memory index compares with its own."""

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

    Each process keeps an in-memory index of the published agreements (registry.engine)
    and rebuilds it when this counter moves. One row.
    """

    version = models.BigIntegerField(default=0)

    def __str__(self):
        return str(self.version)

    @classmethod
    def current(cls) -> int:
        return cls.objects.values_list("version", flat=True).first() or 0

    @classmethod
    def bump(cls) -> None:
        if not cls.objects.filter(pk=1).update(version=models.F("version") + 1):
            cls.objects.get_or_create(pk=1, defaults={"version": 1})

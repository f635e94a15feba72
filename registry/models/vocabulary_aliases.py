"""Other names curators write for the registry's vocabularies: "Medicine" for the
health and medical sciences, "Institution website" for the institutions' websites.
Imports read them as they read an institution's aliases; some ship with the
reference data, and curators add more in the admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .institutions import AliasModel
from .reference import ActivityType, DataSource, Discipline


class DisciplineAlias(AliasModel):
    discipline = models.ForeignKey(
        Discipline,
        verbose_name=_("discipline"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )

    class Meta(AliasModel.Meta):
        verbose_name = _("discipline alias")
        verbose_name_plural = _("discipline aliases")


class ActivityTypeAlias(AliasModel):
    activity_type = models.ForeignKey(
        ActivityType,
        verbose_name=_("activity type"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )

    class Meta(AliasModel.Meta):
        verbose_name = _("activity type alias")
        verbose_name_plural = _("activity type aliases")


class DataSourceAlias(AliasModel):
    data_source = models.ForeignKey(
        DataSource,
        verbose_name=_("data source"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )

    class Meta(AliasModel.Meta):
        verbose_name = _("data source alias")
        verbose_name_plural = _("data source aliases")

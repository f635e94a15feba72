"""Every URL field holds http(s) addresses only (registry.models.common.WebURLField),
and any stored value that is not one is cleared.

A cleared value is kept where a curator finds it: appended to the curator notes of the
institution, organization, or (for a source's link) agreement it belonged to, and
logged (warning, logger ``registry.migrations``) with the record it was cleared from; a
program's or data source's, which have no notes, is logged only. The record's history
keeps the old value too. Reversing this migration restores nothing.
"""

import logging

from django.db import migrations
from django.db.models import Q

import registry.models.common
from registry.models.common import is_web_url

logger = logging.getLogger("registry.migrations")

# (model, URL field, the field naming the record whose notes get the old value: "" for
# the record itself, None when there are no notes to write to).
URL_FIELDS = (
    ("institution", "website", ""),
    ("organization", "website", ""),
    ("program", "website", None),
    ("datasource", "url", None),
    ("sourcerecord", "url", "agreement"),
)

NOTE = (
    "[{date}] Migration 0010 cleared the {field} “{value}”{of}: only http:// and "
    "https:// addresses are kept."
)


def _noted(notes: str, note: str) -> str:
    return f"{notes.rstrip()}\n\n{note}" if notes.strip() else note


def clear_non_web_urls(apps, schema_editor):
    """Clear every stored URL whose scheme is not http or https (javascript:, data:,
    ftp:…), noting the old value on the record (or its agreement) and in the log."""
    from django.utils import timezone

    today = timezone.now().date().isoformat()
    for model_name, field, noted_on in URL_FIELDS:
        model = apps.get_model("registry", model_name)
        suspects = model.objects.exclude(**{field: ""}).exclude(
            Q(**{f"{field}__istartswith": "http://"})
            | Q(**{f"{field}__istartswith": "https://"})
        )
        # Read before writing (few rows: the values that are not http(s) at all).
        for record in list(suspects.order_by("pk")):
            value = getattr(record, field)
            if is_web_url(value):
                continue
            model.objects.filter(pk=record.pk).update(**{field: ""})
            logger.warning(
                "Cleared the %s of %s %s: %r is not an http(s) address.",
                field,
                model_name,
                record.pk,
                value,
            )
            if noted_on is None:
                continue
            of = ""
            holder_model, holder_pk = model, record.pk
            if noted_on:
                holder_model = model._meta.get_field(noted_on).related_model
                holder_pk = getattr(record, f"{noted_on}_id")
                source = f"{record.data_source.name} {record.source_identifier}"
                of = f" of its source “{source.strip()}”"
            note = NOTE.format(
                date=today,
                field=model._meta.get_field(field).verbose_name,
                value=value,
                of=of,
            )
            notes = holder_model.objects.values_list("notes", flat=True).get(
                pk=holder_pk
            )
            holder_model.objects.filter(pk=holder_pk).update(notes=_noted(notes, note))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_vocabulary_aliases"),
    ]

    operations = [
        migrations.RunPython(clear_non_web_urls, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="datasource",
            name="url",
            field=registry.models.common.WebURLField(
                blank=True, verbose_name="website"
            ),
        ),
        migrations.AlterField(
            model_name="historicalinstitution",
            name="website",
            field=registry.models.common.WebURLField(
                blank=True, verbose_name="website"
            ),
        ),
        migrations.AlterField(
            model_name="historicalorganization",
            name="website",
            field=registry.models.common.WebURLField(
                blank=True, verbose_name="website"
            ),
        ),
        migrations.AlterField(
            model_name="historicalsourcerecord",
            name="url",
            field=registry.models.common.WebURLField(
                blank=True, max_length=1000, verbose_name="link"
            ),
        ),
        migrations.AlterField(
            model_name="institution",
            name="website",
            field=registry.models.common.WebURLField(
                blank=True, verbose_name="website"
            ),
        ),
        migrations.AlterField(
            model_name="organization",
            name="website",
            field=registry.models.common.WebURLField(
                blank=True, verbose_name="website"
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="website",
            field=registry.models.common.WebURLField(
                blank=True, verbose_name="website"
            ),
        ),
        migrations.AlterField(
            model_name="sourcerecord",
            name="url",
            field=registry.models.common.WebURLField(
                blank=True, max_length=1000, verbose_name="link"
            ),
        ),
    ]

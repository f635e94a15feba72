"""Vocabulary shared by every record of the registry."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Country(models.TextChoices):
    US = "US", _("United States")
    JP = "JP", _("Japan")


class Language(models.TextChoices):
    EN = "en", _("English")
    JA = "ja", _("Japanese")
    JA_LATN = "ja-Latn", _("Japanese (romanized)")


class AliasKind(models.TextChoices):
    ACRONYM = "acronym", _("Acronym")
    ABBREVIATION = "abbreviation", _("Abbreviation")
    FORMER_NAME = "former_name", _("Former name")
    ALTERNATIVE = "alternative", _("Alternative name")
    ROMANIZATION = "romanization", _("Romanization")


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The only addresses the registry stores and links to: http and https. Any other scheme
# (javascript:, data:, vbscript:, ftp:…) is refused on the way in and never becomes a
# link on the way out.
WEB_URL_SCHEMES = ("http", "https")
WEB_URL_START = re.compile(rf"^(?:{'|'.join(WEB_URL_SCHEMES)})://", re.IGNORECASE)
_WEB_URL = URLValidator(schemes=list(WEB_URL_SCHEMES))


def is_web_url(value) -> bool:
    """Whether ``value`` starts http:// or https:// (any case, nothing before it): the
    test every link to a stored address passes (the ``safe_href`` filter)."""
    return isinstance(value, str) and bool(WEB_URL_START.match(value))


def validate_web_url(value: str) -> None:
    """An http(s) address, well formed: the one check of every URL the registry stores
    (each model's URL fields, so the admin, the API and the imports)."""
    if is_web_url(value):
        try:
            _WEB_URL(value)
        except ValidationError:
            pass
        else:
            return
    raise ValidationError(
        _("“%(url)s” is not a web address (http:// or https://)."),
        # Not "invalid": a form field would show its own "Enter a valid URL." instead.
        code="not_web_url",
        params={"url": value},
    )


class WebURLFormField(forms.URLField):
    default_validators = [validate_web_url]


class WebURLField(models.URLField):
    """A URL field that holds http(s) addresses only (``validate_web_url``), in forms
    too."""

    default_validators = [validate_web_url]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last updated"), auto_now=True)

    class Meta:
        abstract = True


class PublishableQuerySet(models.QuerySet):
    """The visibility rule: only published records are ever public."""

    def published(self):
        return self.filter(publication_state=PublicationState.PUBLISHED)


class PublishableModel(models.Model):
    """A record that goes through the publication workflow (registry.services)."""

    publication_state = models.CharField(
        _("publication"),
        max_length=10,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
        db_index=True,
    )
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.publication_state == PublicationState.PUBLISHED


class BilingualNameMixin:
    """``display_name`` in the language of the request, falling back to English, and
    ``secondary_name``, the other language's, shown beside it when there is one."""

    bilingual_fields = ("name", "name_ja")

    def _names(self) -> tuple[str, str]:
        english, japanese = (getattr(self, name) for name in self.bilingual_fields)
        if (get_language() or "").startswith("ja") and japanese:
            return japanese, english
        return english, japanese

    @property
    def display_name(self) -> str:
        return self._names()[0]

    @property
    def secondary_name(self) -> str:
        primary, other = self._names()
        return other if other != primary else ""

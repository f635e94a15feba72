"""The admin home's work queue: what waits for a curator or an editor, counted, each
count a link to the list that shows those records."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from ..admin.queue_filters import IMPORT_PROBLEMS, NO_SOURCE, touched_by_imports
from ..models import Agreement, CaseStudy, ImportBatch, PublicationState

register = template.Library()


@register.simple_tag(takes_context=True)
def curation_queue(context) -> list[dict]:
    """(label, count, url) for each queue the signed-in user may open."""
    user = context["request"].user
    agreements = reverse("admin:registry_agreement_changelist")
    queue = []
    if user.has_perm("registry.view_agreement"):
        in_review = f"publication_state__exact={PublicationState.IN_REVIEW}"
        queue += [
            {
                "label": _("Agreements in review"),
                "count": Agreement.objects.filter(
                    publication_state=PublicationState.IN_REVIEW
                ).count(),
                "url": f"{agreements}?{in_review}",
            },
            {
                "label": _("Drafts touched by imports"),
                "count": Agreement.objects.filter(
                    touched_by_imports(Agreement),
                    publication_state=PublicationState.DRAFT,
                ).count(),
                "url": f"{agreements}?publication_state__exact="
                f"{PublicationState.DRAFT}&import_batch=any",
            },
            {
                "label": _("Published without a source"),
                "count": Agreement.objects.published().filter(NO_SOURCE).count(),
                "url": f"{agreements}?publication_state__exact="
                f"{PublicationState.PUBLISHED}&missing=source",
            },
        ]
    if user.has_perm("registry.view_casestudy"):
        queue.append(
            {
                "label": _("Case studies in review"),
                "count": CaseStudy.objects.filter(
                    publication_state=PublicationState.IN_REVIEW
                ).count(),
                "url": reverse("admin:registry_casestudy_changelist")
                + f"?publication_state__exact={PublicationState.IN_REVIEW}",
            }
        )
    if user.has_perm("registry.view_importbatch"):
        queue.append(
            {
                "label": _("Imports with rows skipped or notes"),
                "count": ImportBatch.objects.filter(IMPORT_PROBLEMS).count(),
                "url": reverse("admin:registry_importbatch_changelist") + "?problems=1",
            }
        )
    return queue

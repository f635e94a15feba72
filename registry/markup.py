"""Curators' Markdown as safe HTML: rendered by Markdown, then cleaned by nh3.

A case study's body is written by staff, but it is shown to the public and may be
pasted from anywhere: whatever HTML the Markdown holds or produces, only these tags and
attributes survive, links keep only http(s) and mailto addresses, and every link is
marked ``noopener noreferrer``.
"""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from .models.common import WEB_URL_SCHEMES

TAGS = {
    "a", "abbr", "blockquote", "br", "caption", "code", "dd", "dl", "dt", "em",
    "h2", "h3", "h4", "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
URL_SCHEMES = {*WEB_URL_SCHEMES, "mailto"}


def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    return mark_safe(  # noqa: S308 -- cleaned by nh3 just above
        nh3.clean(
            html,
            tags=TAGS,
            attributes=ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer",
        )
    )

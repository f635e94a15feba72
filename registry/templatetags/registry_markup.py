from django import template

from ..markup import render_markdown
from ..models import is_web_url

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """``{{ case_study.body|markdown }}``: Markdown as sanitized HTML."""
    return render_markdown(text)


@register.filter
def safe_href(url):
    """A stored address fit for an ``href``: the address when it is http(s), else ""
    (javascript:, data:, any other scheme), for the template to show it as text."""
    return url if is_web_url(url) else ""

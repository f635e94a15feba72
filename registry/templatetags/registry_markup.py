from django import template

from ..markup import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """``{{ case_study.body|markdown }}``: Markdown as sanitized HTML."""
    return render_markdown(text)

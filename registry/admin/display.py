"""How the changelists fit a laptop window: cells that hold a second fact."""

from django.utils.html import format_html


def with_note(value, note, *, lang=""):
    """A changelist cell: ``value``, and ``note`` (if any) in a smaller line under it
    (.list-note in static/css/admin.css). At 1280 px the navigation and the filters
    leave a list about 700 px, so secondary facts share a column."""
    if not note:
        return value
    return format_html(
        '{}<span class="list-note"{}>{}</span>',
        value,
        format_html(' lang="{}"', lang) if lang else "",
        note,
    )

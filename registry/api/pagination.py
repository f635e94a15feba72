"""Pages by number for browsing, a cursor for walking a whole result set.

``page`` and ``page_size`` (1 to 500) give numbered pages with a total. A request with
``cursor`` (empty to start) walks the results in a fixed order (by primary key) from
cursor to cursor: each record exactly once, even at 100,000, at the cost of one indexed
range query a page and no total.

Both are read strictly (registry.api.params): a page size out of bounds or a page that
is not a whole number from 1 is refused (400) rather than read as the default; a page
past the last is not found (404).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import CursorPagination, PageNumberPagination

from .params import whole_number

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 25


class NumberedPages(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = _("Results per page, at most %(max)d.") % {
        "max": MAX_PAGE_SIZE
    }
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()  # "page=last" is not a whole number

    def get_page_size(self, request):
        return page_size(request)

    def get_page_number(self, request, paginator):
        return page_number(request)


class CursorPages(CursorPagination):
    ordering = "pk"
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    cursor_query_description = _(
        "Walk the whole result set in a fixed order: send it empty to start, then "
        "follow `next` to the end. Each record comes exactly once; `ordering`, `sort` "
        "and `page` are not read."
    )

    def get_ordering(self, request, queryset, view):
        # A cursor is a position in one unique, fixed order, whatever else was asked.
        return ("pk",)

    def get_page_size(self, request):
        return page_size(request)


def page_size(request) -> int:
    return whole_number(request, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)


def page_number(request) -> int:
    return whole_number(request, "page", 1, 1, None)


def wants_cursor(request) -> bool:
    return "cursor" in request.query_params


class RegistryPagination:
    """Numbered pages, or a cursor walk when ``cursor`` is given."""

    def __init__(self):
        self.numbered = NumberedPages()
        self.cursor = CursorPages()
        self.active = self.numbered

    def paginate_queryset(self, queryset, request, view=None):
        self.active = self.cursor if wants_cursor(request) else self.numbered
        page_number(request)  # not read by a cursor walk, but refused if unreadable
        return self.active.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return self.active.get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": str(_("Total results (numbered pages only).")),
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        numbered = self.numbered.get_schema_operation_parameters(view)
        bounds = {
            "page": {"minimum": 1},
            "page_size": {"minimum": 1, "maximum": MAX_PAGE_SIZE},
        }
        for parameter in numbered:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return [
            *numbered,
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": str(self.cursor.cursor_query_description),
                "schema": {"type": "string"},
            },
        ]

    def get_results(self, data):
        # The browsable API reads the page's results to build its filter form.
        return self.active.get_results(data)

    def to_html(self):
        return self.active.to_html()

    @property
    def display_page_controls(self):
        return self.active.display_page_controls


MEANING_SCHEMA = {
    "type": "object",
    "properties": {
        "parameter": {"type": "string"},
        "value": {"type": "string"},
        "name": {"type": "string"},
    },
}


class AgreementPagination(RegistryPagination):
    """Pages of agreements, with what the search understood of its words
    (``interpreted``; set by the view)."""

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        described["properties"]["interpreted"] = {
            "type": "object",
            "description": str(
                _(
                    "Names read in q as the filters they mean (each applied beside "
                    "the others), the words left to match as text, and names of more "
                    "than one record, not guessed. words=true reads every word as text."
                )
            ),
            "properties": {
                "filters": {
                    "type": "array",
                    "items": {
                        **MEANING_SCHEMA,
                        "properties": {
                            **MEANING_SCHEMA["properties"],
                            "words": {"type": "string"},
                        },
                    },
                },
                "text": {"type": "string"},
                "ambiguous": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "words": {"type": "string"},
                            "candidates": {"type": "array", "items": MEANING_SCHEMA},
                        },
                    },
                },
            },
        }
        return described

"""One way to page every public list: bad page numbers are explained, never a 500."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = 25


@dataclass
class Paged:
    page: Page
    per_page: int
    notices: list[str]


def paginate(request, queryset, *, default_per_page: int = DEFAULT_PER_PAGE) -> Paged:
    """The requested page of ``queryset``.

    An unreadable or out-of-range page number, or an unknown page size, gives the
    nearest page and a notice saying so."""
    notices = []
    per_page = default_per_page
    raw_size = request.GET.get("per_page", "")
    if raw_size:
        # isdecimal, not isdigit: "²" is a digit that int() cannot read.
        if raw_size.isdecimal() and int(raw_size) in PER_PAGE_CHOICES:
            per_page = int(raw_size)
        else:
            notices.append(
                _(
                    "“%(size)s” is not a page size: showing %(default)d per page "
                    "(choose 10, 25, 50 or 100)."
                )
                % {"size": raw_size, "default": default_per_page}
            )
    paginator = Paginator(queryset, per_page)
    raw_number = request.GET.get("page", "1") or "1"
    number = int(raw_number) if raw_number.isdecimal() else None
    if number is None or number < 1:
        notices.append(
            _("“%(page)s” is not a page number: showing page 1.") % {"page": raw_number}
        )
        number = 1
    elif number > paginator.num_pages:
        notices.append(
            _("There is no page %(page)d: the last page is %(last)d, shown here.")
            % {"page": number, "last": paginator.num_pages}
        )
        number = paginator.num_pages
    return Paged(page=paginator.page(number), per_page=per_page, notices=notices)

"""Reading a file as the official list it is given as: each list's parser, chosen by
its format."""

from collections.abc import Callable

from django.utils.translation import gettext as _

from .base import FORMATS, ListFormat, ListRejected, ParsedList
from .carnegie import parse_carnegie
from .ipeds import parse_ipeds
from .mext import parse_mext
from .ror import parse_ror

PARSERS: dict[str, Callable[..., ParsedList]] = {
    ListFormat.MEXT: parse_mext,
    ListFormat.IPEDS: parse_ipeds,
    ListFormat.CARNEGIE: parse_carnegie,
    ListFormat.ROR: parse_ror,
}


def parse_list(
    data: bytes, *, list_format: str, sheet: str | None = None
) -> ParsedList:
    """Read a file as the given list. Raises ListRejected when it is not one."""
    if list_format not in PARSERS:
        raise ListRejected(
            _("Unknown list format “%(format)s”: choose %(formats)s.")
            % {"format": list_format, "formats": ", ".join(FORMATS)}
        )
    return PARSERS[list_format](data, sheet=sheet)

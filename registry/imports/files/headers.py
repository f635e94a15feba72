"""Matching a file's headers to the columns an importer reads: spellings compared
folded (full-width, case, dots, spacing), every language of the site accepted."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation


@dataclass
class HeaderMatch:
    columns: dict[str, str]  # header as written -> canonical column
    unknown: list[str]  # headers naming no column
    duplicates: dict[str, list[str]]  # canonical column -> the headers naming it


def header_key(text: str) -> str:
    """The form headers are compared in: full-width letters made half-width (NFKC),
    case folded, dots dropped ('U.S.' is 'us'), and runs of spaces, underscores and
    hyphens made one space, so ' U.S. Institutions ', 'us_institutions' and
    'ＵＳ－Ｉｎｓｔｉｔｕｔｉｏｎｓ' all read 'us institutions'."""
    text = unicodedata.normalize("NFKC", text).casefold().replace(".", "")
    return re.sub(r"[\s_\-\u2010-\u2015\u2212]+", " ", text).strip()


def in_every_language(label) -> list[str]:
    """A column's label as each language of the site writes it: a sheet exported from
    a Japanese page has Japanese headers, and any curator may import it."""
    labels = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.append(str(label))
    return list(dict.fromkeys(labels))


def match_headers(
    headers: list[str], synonyms: dict[str, Iterable[str]]
) -> HeaderMatch:
    """Map each header to the canonical column it names (by :func:`header_key`).

    ``synonyms`` maps each canonical name to the spellings accepted for it; the
    canonical name itself is always accepted. Headers naming no column are ``unknown``;
    columns named by several headers are in ``duplicates`` (and every one of those
    headers is in ``columns``), which callers report as an error.
    """
    canonical_by_key: dict[str, str] = {}
    for canonical, spellings in synonyms.items():
        for spelling in (canonical, *spellings):
            key = header_key(spelling)
            claimed = canonical_by_key.setdefault(key, canonical)
            if claimed != canonical:
                raise ValueError(
                    f"The header spelling {spelling!r} is given for both {claimed!r} "
                    f"and {canonical!r}."
                )
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        canonical = canonical_by_key.get(header_key(header))
        if canonical is None:
            unknown.append(header)
        else:
            columns[header] = canonical
    headers_by_column: dict[str, list[str]] = {}
    for header, canonical in columns.items():
        headers_by_column.setdefault(canonical, []).append(header)
    duplicates = {
        canonical: named_by
        for canonical, named_by in headers_by_column.items()
        if len(named_by) > 1
    }
    return HeaderMatch(columns=columns, unknown=unknown, duplicates=duplicates)

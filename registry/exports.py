"""Exports of any search: every matching agreement, streamed, in CSV, XLSX or JSON.

The columns are the flat agreement sheet the importer reads, so an exported file can be
edited and imported again. Cells a spreadsheet would run as a formula are escaped, and
each file records the search and the time it was made.
"""

import csv
import json
import tempfile
from collections.abc import Iterator
from urllib.parse import urlencode

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook

EXPORT_CHUNK = 1000
FORMATS = ("csv", "xlsx", "json")
COLUMNS = [
    "public_id",
    "title",
    "title_ja",
    "classification",
    "us_institutions",
    "jp_institutions",
    "partners",
    "program",
    "disciplines",
    "activities",
    "start",
    "end",
    "funding_amount",
    "funding_currency",
    "source",
    "source_id",
    "source_url",
    "retrieved_on",
    "status",
    "summary",
    "synthetic",
    "url",
    "last_updated",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def header_row() -> list[str]:
    """The header: in English the column names that scripts and the importer read; in
    Japanese the columns' Japanese labels, which the importer reads as well."""
    if not (get_language() or "").startswith("ja"):
        return list(COLUMNS)
    # The agreement sheet imports this module (unescape_formula): import it late.
    from .imports.agreement_sheet import COLUMN_BY_NAME

    return [str(COLUMN_BY_NAME[name].label) for name in COLUMNS]


def escape_formula(value):
    """A cell a spreadsheet would evaluate (=, +, -, @…) is kept as quoted text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_formula(text: str) -> str:
    """The cell as it was before ``escape_formula``: what imports read back."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _participants(agreement, country):
    return "; ".join(
        f"{p.institution.name} ({p.unit})" if p.unit else p.institution.name
        for p in agreement.participants.all()
        if p.institution.country == country
    )


def agreement_row(agreement, *, base_url: str) -> dict:
    sources = list(agreement.sources.all())
    return {
        "public_id": agreement.public_id,
        "title": agreement.title,
        "title_ja": agreement.title_ja,
        "classification": agreement.classification,
        "us_institutions": _participants(agreement, "US"),
        "jp_institutions": _participants(agreement, "JP"),
        "partners": "; ".join(
            f"{p.organization.name} ({p.role})" for p in agreement.partners.all()
        ),
        "program": agreement.program.name if agreement.program_id else "",
        "disciplines": "; ".join(d.name for d in agreement.disciplines.all()),
        "activities": "; ".join(a.name for a in agreement.activity_types.all()),
        "start": agreement.start_display,
        "end": agreement.end_display,
        "funding_amount": (
            "" if agreement.funding_amount is None else f"{agreement.funding_amount:f}"
        ),
        "funding_currency": agreement.funding_currency,
        "source": "; ".join(s.data_source.name for s in sources),
        "source_id": "; ".join(s.source_identifier for s in sources),
        "source_url": "; ".join(s.url for s in sources),
        "retrieved_on": "; ".join(
            s.retrieved_on.isoformat() if s.retrieved_on else "" for s in sources
        ),
        "status": agreement.current_status,
        "summary": agreement.summary,
        "synthetic": "yes" if agreement.is_synthetic else "no",
        "url": base_url + agreement.get_absolute_url(),
        "last_updated": agreement.updated_at.isoformat(timespec="seconds"),
    }


def _rows(queryset, base_url) -> Iterator[dict]:
    for agreement in queryset.iterator(chunk_size=EXPORT_CHUNK):
        yield agreement_row(agreement, base_url=base_url)


class _Echo:
    def write(self, value):
        return value


def export_response(*, queryset, fmt: str, query: dict, request):
    """A response streaming every agreement of ``queryset``, filtered and ordered."""
    base_url = request.build_absolute_uri("/").rstrip("/")
    exported_at = timezone.now().isoformat(timespec="seconds")
    query_string = urlencode(query, doseq=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"usjp-agreements-{stamp}.{fmt}"
    rows = _rows(queryset.for_export(), base_url)
    if fmt == "csv":
        return _csv(rows, query_string, exported_at, base_url, filename)
    if fmt == "json":
        return _json(rows, query, exported_at, base_url, filename)
    return _xlsx(rows, query_string, exported_at, base_url, filename)


def _csv(rows, query_string, exported_at, base_url, filename):
    writer = csv.writer(_Echo())
    # Written now, in the request's language: the rows stream after the view returns.
    preamble = [
        [f"# {_('U.S.-Japan Research Partnership Registry export')}: {base_url}"],
        [f"# {_('search')}: ?{query_string}"],
        [f"# {_('exported at')}: {exported_at}"],
        header_row(),
    ]

    def lines():
        yield "\ufeff"  # Excel reads UTF-8 (Japanese names) only with a BOM
        for line in preamble:
            yield writer.writerow(line)
        for row in rows:
            yield writer.writerow([escape_formula(row[column]) for column in COLUMNS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _json(rows, query, exported_at, base_url, filename):
    def chunks():
        header = {
            "source": base_url,
            "search": query,
            "exported_at": exported_at,
        }
        yield json.dumps(header, ensure_ascii=False)[:-1] + ', "results": ['
        for index, row in enumerate(rows):
            yield ("," if index else "") + json.dumps(row, ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx(rows, query_string, exported_at, base_url, filename):
    # An XLSX file is a zip written at the end: write-only mode keeps memory flat while
    # the rows go to a temporary file, which is then streamed.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Agreements"))
    sheet.append(header_row())
    for row in rows:
        sheet.append([escape_formula(row[column]) for column in COLUMNS])
    about = workbook.create_sheet(_("About"))
    about.append([_("U.S.-Japan Research Partnership Registry export"), base_url])
    about.append([_("search"), escape_formula("?" + query_string)])
    about.append([_("exported at"), exported_at])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

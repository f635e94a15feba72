"""Exports of any search: every matching agreement, streamed, in CSV, XLSX or JSON.

The columns are the flat agreement sheet the importer reads, so an exported file can be
edited and imported again; each row flattens the agreement's public representation
(registry.representation), what the API shows. Cells a spreadsheet would run as a
formula are escaped, and each file records the search and the time it was made.
"""

import csv
import io
import json
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from itertools import islice
from urllib.parse import urlencode

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .engine import PublishedRows
from .models import Agreement, Country, format_public_id
from .representation import (
    AddressOf,
    AgreementRelations,
    NamedRecords,
    agreement_rows,
    public_agreement,
)

EXPORT_CHUNK = 2000
STREAM_BATCH = 200  # rows a streamed piece of a CSV or JSON export
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
FORMULA_FIRST = frozenset(FORMULA_STARTS)  # each one character


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
    if value.__class__ is str and value[:1] in FORMULA_FIRST:
        return "'" + value
    return value


def unescape_formula(text: str) -> str:
    """The cell as it was before ``escape_formula``: what imports read back."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def export_rows(agreements: Iterable[dict], *, base_url: str) -> Iterator[dict]:
    """Each agreement (a flat row of ``registry.representation.agreement_rows``) as a
    row of the agreement sheet: its public representation, flattened, its relations
    read a chunk at a time."""
    address = AddressOf("registry:agreement_detail", prefix=base_url)
    agreements = iter(agreements)
    names = NamedRecords()
    today = timezone.localdate()
    while chunk := list(islice(agreements, EXPORT_CHUNK)):
        relations = AgreementRelations((a["id"] for a in chunk), names=names)
        for agreement in chunk:
            public = public_agreement(
                agreement,
                relations,
                url=address(format_public_id(agreement["id"])),
                today=today,
            )
            yield _flat(agreement, public)


def queryset_agreements(queryset) -> Iterator[dict]:
    """What ``export_rows`` reads, from a queryset (the admin's exports)."""
    return agreement_rows(queryset)


def published_agreements(ids) -> Iterator[dict]:
    """What ``export_rows`` reads, from the ids a public search found, in their
    order (the search page's: relevance is the engine's own), each chunk read again
    through ``published()`` so that a record withdrawn since the search stays out."""
    rows = PublishedRows(ids, queryset=Agreement.objects.all(), read=_flat_rows)
    for start in range(0, len(rows), EXPORT_CHUNK):
        yield from rows[start : start + EXPORT_CHUNK]


def _flat_rows(queryset, ids) -> dict:
    chunk = queryset.filter(pk__any_of=array("q", ids))
    return {row["id"]: row for row in agreement_rows(chunk)}


def _flat(agreement, public: dict) -> dict:
    def participants(country):
        return "; ".join(
            f"{p['institution']['name']} ({p['unit']})"
            if p["unit"]
            else p["institution"]["name"]
            for p in public["participants"]
            if p["institution"]["country"] == country
        )

    sources = public["sources"]
    funding = public["funding"] or {"amount": "", "currency": ""}
    return {
        "public_id": public["public_id"],
        "title": public["title"],
        "title_ja": public["title_ja"],
        "classification": public["classification"],
        "us_institutions": participants(Country.US),
        "jp_institutions": participants(Country.JP),
        "partners": "; ".join(
            f"{p['organization']['name']} ({p['role']})" for p in public["partners"]
        ),
        "program": public["program"]["name"] if public["program"] else "",
        "disciplines": "; ".join(d["name"] for d in public["disciplines"]),
        "activities": "; ".join(a["name"] for a in public["activities"]),
        "start": public["start"],
        "end": public["end"],
        "funding_amount": funding["amount"],
        "funding_currency": funding["currency"],
        "source": "; ".join(s["source"]["name"] for s in sources),
        "source_id": "; ".join(s["identifier"] for s in sources),
        "source_url": "; ".join(s["url"] for s in sources),
        "retrieved_on": "; ".join(s["retrieved_on"] or "" for s in sources),
        "status": public["status"],
        "summary": public["summary"],
        "synthetic": "yes" if public["is_synthetic"] else "no",
        "url": public["url"],
        # A spreadsheet's reading of the time, where the API's has microseconds.
        "last_updated": agreement["updated_at"].isoformat(timespec="seconds"),
    }


def export_response(*, agreements: Iterable, fmt: str, query: dict, request):
    """A response streaming every agreement of ``agreements`` (``export_rows``)."""
    base_url = request.build_absolute_uri("/").rstrip("/")
    exported_at = timezone.now().isoformat(timespec="seconds")
    query_string = urlencode(query, doseq=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"usjp-agreements-{stamp}.{fmt}"
    rows = export_rows(agreements, base_url=base_url)
    if fmt == "csv":
        return _csv(rows, query_string, exported_at, base_url, filename)
    if fmt == "json":
        return _json(rows, query, exported_at, base_url, filename)
    return _xlsx(rows, query_string, exported_at, base_url, filename)


def _csv(rows, query_string, exported_at, base_url, filename):
    # Written now, in the request's language: the rows stream after the view returns.
    preamble = [
        [f"# {_('U.S.-Japan Research Partnership Registry export')}: {base_url}"],
        [f"# {_('search')}: ?{query_string}"],
        [f"# {_('exported at')}: {exported_at}"],
        header_row(),
    ]
    closing = _("rows exported")

    def lines():
        # Rows go out a batch at a time: a write per row cost a twentieth of the time.
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # Excel reads UTF-8 (Japanese names) only with a BOM
        writer.writerows(preamble)
        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007 (counted)
            writer.writerow([escape_formula(row[column]) for column in COLUMNS])
            if count % STREAM_BATCH == 0:
                yield _drain(buffer)
        # The last line says how many rows came before it: a file cut short has none.
        writer.writerow([f"# {closing}: {count}"])
        yield _drain(buffer)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _json(rows, query, exported_at, base_url, filename):
    def chunks():
        header = {
            "source": base_url,
            "search": query,
            "exported_at": exported_at,
        }
        parts = [json.dumps(header, ensure_ascii=False)[:-1] + ', "results": [']
        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007 (counted)
            parts.append(
                ("," if count > 1 else "") + json.dumps(row, ensure_ascii=False)
            )
            if count % STREAM_BATCH == 0:
                yield "".join(parts)
                parts.clear()
        # Only a complete file closes the object, with the number of results.
        parts.append(f'], "count": {count}}}')
        yield "".join(parts)

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

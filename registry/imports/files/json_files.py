"""Reading JSON uploads: a list of flat records, or an object with a ``results`` list
as the registry's own exports write, into the same table of text as a sheet."""

import json

from django.utils.translation import gettext as _

from .tables import (
    FileRejected,
    Row,
    Table,
    cell_text,
    empty_message,
    reject_repeated_headers,
    scalar_text,
    too_many_rows_message,
)
from .text import decode_text


def read_json(data: bytes, max_rows: int) -> Table:
    text, encoding = decode_text(data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileRejected(
            _(
                "This file is not valid JSON: %(problem)s at line %(line)s, column "
                "%(column)s. Correct it there, or export the data again."
            )
            % {"problem": error.msg, "line": error.lineno, "column": error.colno},
            code="invalid_json",
        ) from error
    except (ValueError, RecursionError) as error:  # a 5,000-digit number; deep nesting
        raise FileRejected(
            _(
                "This JSON file cannot be read: it holds a number or nesting too large "
                "for a spreadsheet. Export the data again as a list of flat records."
            ),
            code="invalid_json",
        ) from error
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        records = document["results"]
    elif isinstance(document, list):
        records = document
    else:
        raise FileRejected(
            _(
                "This JSON file holds no list of records. It must be a list of objects "
                "([{…}, {…}]) or an object with a “results” list, as the registry's "
                "exports are."
            ),
            code="invalid_json",
        )
    if len(records) > max_rows:
        raise FileRejected(
            too_many_rows_message(max_rows, len(records)), code="too_many_rows"
        )
    headers: dict[str, str] = {}  # header -> the key as written, in first-seen order
    rows: list[Row] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise FileRejected(
                _(
                    "Record %(number)s of this JSON file is not an object ({…}) but "
                    "%(value)s. Each record must be an object of column names and "
                    "values."
                )
                % {"number": number, "value": _json_type(record)},
                code="invalid_json",
            )
        values: dict[str, str] = {}
        for key, value in record.items():
            header = key.strip()
            if not header:
                continue
            written = headers.setdefault(header, key)
            if written != key:
                reject_repeated_headers(
                    [(f"“{written}”", header), (f"“{key}”", header)]
                )
            values[header] = _json_value_text(value, number, key)
        if any(values.values()):
            rows.append(Row(number=number, values=values))
    if not headers:
        raise FileRejected(empty_message(), code="empty")
    for row in rows:
        row.values = {header: row.values.get(header, "") for header in headers}
    return Table(
        headers=list(headers), rows=rows, file_format="json", encoding=encoding
    )


def _json_value_text(value, number: int, key: str) -> str:
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        text = "; ".join(text for text in map(_json_scalar_text, value) if text)
    elif isinstance(value, dict | list):
        raise FileRejected(
            _(
                "Record %(number)s of this JSON file has nested data under “%(key)s” "
                "(%(value)s), which a spreadsheet cell cannot hold. Give it a text, a "
                "number, or a list of plain values."
            )
            % {"number": number, "key": key, "value": _json_type(value)},
            code="nested_json",
        )
    else:
        text = _json_scalar_text(value)
    # JSON may spell a null character (\u0000); no database stores one in text.
    if "\x00" in text:
        raise FileRejected(
            _(
                "Record %(number)s of this JSON file has a null character (\\u0000) "
                "under “%(key)s”. Remove it and upload the file again."
            )
            % {"number": number, "key": key},
            code="null_character",
        )
    return text


def _json_scalar_text(value) -> str:
    return cell_text(scalar_text(value))


def _json_type(value) -> str:
    if isinstance(value, dict):
        return _("an object")
    if isinstance(value, list):
        return _("a list")
    return _("a plain value")

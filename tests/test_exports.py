"""Exports of a search (?export=csv|xlsx|json): every matching agreement, the search
and the time recorded, formulas defused, Japanese intact, drafts never."""

import csv
import datetime as dt
import io
import itertools
import json
import re

import openpyxl
import pytest
from django.http import QueryDict
from django.utils import timezone

from registry.demo import seed_demo_agreements
from registry.filtersets import AgreementFilterSet
from registry.models import Agreement, AgreementParticipant, PublicationState
from registry.search import refresh_agreement_index
from tests.factories import institution, make_agreement

pytestmark = pytest.mark.django_db

FORMULA_TITLES = [
    '=HYPERLINK("https://example.org","click")',
    "+81 research partnership",
    "-1 research partnership",
    "@SUM(A1:A2) research partnership",
]


@pytest.fixture
def registry(db):
    """The fact sheet's six agreements, 60 synthetic ones, four titles a spreadsheet
    would run as formulas, one with Japanese names, and a draft."""
    seed_demo_agreements(count=60, seed=7)
    now = timezone.now()
    for title in FORMULA_TITLES:
        make_agreement(title=title, published_at=now)
    japanese = make_agreement(
        title="Quantum materials partnership",
        title_ja="量子材料の共同研究",
        jp=(),
        published_at=now,
    )
    AgreementParticipant.objects.create(
        agreement=japanese,
        institution=institution("tohoku-university"),
        unit="大学院理学研究科",
    )
    refresh_agreement_index(agreement_ids=[japanese.pk])
    make_agreement(
        title="Draft never exported partnership", state=PublicationState.DRAFT
    )
    return japanese


def download(client, query: str):
    response = client.get(f"/agreements/?{query}")
    assert response.status_code == 200, response.content
    # Consuming the stream closes the response (and an XLSX's temporary file), as a
    # WSGI server would.
    return response, b"".join(response.streaming_content)


def read_csv(content: bytes) -> tuple[list[str], list[dict]]:
    """The leading "#" lines, and the rows under the header row; the closing line
    must count them."""
    assert content.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte order mark"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8")[1:], newline="")))
    *rows, closing = rows
    comments = list(itertools.takewhile(lambda row: row[0].startswith("#"), rows))
    header, *records = rows[len(comments) :]
    assert header[:3] == ["public_id", "title", "title_ja"]
    assert closing == [f"# rows exported: {len(records)}"]
    return [row[0] for row in comments], [
        dict(zip(header, record, strict=True)) for record in records
    ]


def read_xlsx(content: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    header, *records = workbook["Agreements"].iter_rows(values_only=True)
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    return (
        [dict(zip(header, record, strict=True)) for record in records],
        about,
        workbook,
    )


def searched(query: str) -> list[str]:
    """Public IDs of what the same search finds (the FilterSet, in SQL)."""
    filterset = AgreementFilterSet(
        QueryDict(query), queryset=Agreement.objects.published()
    )
    assert filterset.is_valid(), filterset.errors
    return sorted(agreement.public_id for agreement in filterset.qs)


def page_count(client, query: str) -> int:
    page = client.get(f"/agreements/?{query}").content.decode()
    return int(re.search(r'id="results-heading">([\d,]+) agreement', page)[1])


SEARCHES = [
    "",
    "classification=consortium",
    "discipline=natural-sciences&discipline=health-medical-sciences",
    "q=university&year_from=2019",
    "us_state=CA&us_state=NY&us_state=MA",
]


@pytest.mark.parametrize("query", SEARCHES)
def test_a_csv_export_has_one_row_per_agreement_the_search_finds(
    client, registry, query
):
    """Every matching agreement, once, as the page counts them, not just one page."""
    _response, content = download(client, f"{query}&export=csv&per_page=10&page=2")
    _comments, rows = read_csv(content)
    expected = searched(query)
    assert sorted(row["public_id"] for row in rows) == expected
    assert len(rows) == page_count(client, query) == len(expected)


def test_the_export_of_a_search_with_many_pages_has_every_row(client, registry):
    """More than ten matches, per_page=10 and page=3: all of them in each format."""
    query = "classification=consortium&per_page=10&page=3"
    expected = searched("classification=consortium")
    assert len(expected) > 30
    _response, content = download(client, f"{query}&export=csv")
    assert sorted(row["public_id"] for row in read_csv(content)[1]) == expected
    _response, content = download(client, f"{query}&export=json")
    assert sorted(row["public_id"] for row in json.loads(content)["results"]) == (
        expected
    )
    _response, content = download(client, f"{query}&export=xlsx")
    assert sorted(row["public_id"] for row in read_xlsx(content)[0]) == expected


def test_formula_titles_are_escaped_in_csv(client, registry):
    """A title starting with =, +, - or @ is written with a leading quote."""
    _response, content = download(client, "export=csv")
    titles = {row["title"] for row in read_csv(content)[1]}
    for title in FORMULA_TITLES:
        assert "'" + title in titles
        assert title not in titles


def test_formula_titles_are_text_in_xlsx(client, registry):
    """In the workbook the same titles are quoted strings, never formulas."""
    _response, content = download(client, "export=xlsx")
    rows, _about, workbook = read_xlsx(content)
    titles = {row["title"] for row in rows}
    for title in FORMULA_TITLES:
        assert "'" + title in titles
    title_column = list(workbook["Agreements"]["B"])[1:]
    assert all(cell.data_type == "s" for cell in title_column)


def assert_recent(stamp: str) -> None:
    exported_at = dt.datetime.fromisoformat(stamp)
    assert exported_at.tzinfo is not None
    assert abs(timezone.now() - exported_at) < dt.timedelta(minutes=1)


def test_a_csv_export_records_the_search_and_the_time(client, registry):
    """Comment lines before the header: where from, the search (without export, page
    and per_page), and when."""
    _response, content = download(
        client, "classification=consortium&q=university&export=csv&page=2&per_page=10"
    )
    raw_lines = content.decode("utf-8")[1:].splitlines()
    assert [line[:1] for line in raw_lines[:3]] == ["#", "#", "#"]
    comments, _rows = read_csv(content)
    assert comments[0].endswith("export: http://testserver")
    assert comments[1] == "# search: ?classification=consortium&q=university"
    assert comments[2].startswith("# exported at: ")
    assert_recent(comments[2].removeprefix("# exported at: "))


def test_an_xlsx_export_records_the_search_and_the_time_on_an_about_sheet(
    client, registry
):
    """The workbook's “About” sheet holds the search and the export time."""
    _response, content = download(client, "us_state=CA&export=xlsx&per_page=10")
    _rows, about, _workbook = read_xlsx(content)
    assert about["search"] == "?us_state=CA"
    assert_recent(about["exported at"])


def test_a_json_export_is_valid_and_records_the_search_and_the_time(client, registry):
    """Valid JSON: the search as parameters and values, the time, and one result per
    matching agreement."""
    response, content = download(
        client, "discipline=natural-sciences&status=active&status=ended&export=json"
    )
    assert response["Content-Type"] == "application/json"
    data = json.loads(content)
    assert data["search"] == {
        "discipline": ["natural-sciences"],
        "status": ["active", "ended"],
    }
    assert_recent(data["exported_at"])
    expected = searched("discipline=natural-sciences&status=active&status=ended")
    assert len(data["results"]) == len(expected) > 0
    assert sorted(row["public_id"] for row in data["results"]) == expected
    assert {"title", "us_institutions", "jp_institutions", "url"} <= set(
        data["results"][0]
    )


def test_an_empty_search_exports_an_empty_but_valid_file(client, registry):
    """No match: a file with its header and no rows, not an error."""
    _response, content = download(client, "q=zyxwvut&export=json")
    assert json.loads(content)["results"] == []
    _response, content = download(client, "q=zyxwvut&export=csv")
    assert read_csv(content)[1] == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_an_export_is_a_dated_attachment(client, registry, fmt):
    """Each format downloads as usjp-agreements-YYYYMMDD-HHMMSS.<format>."""
    response, _content = download(client, f"export={fmt}")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert re.search(rf"usjp-agreements-\d{{8}}-\d{{6}}\.{fmt}", disposition)


@pytest.mark.parametrize("fmt", ["pdf", "", "CSV", "csv%00"])
def test_an_unknown_format_is_refused_with_a_message(client, fmt):
    """export=pdf (or empty, or upper case): 400 and the formats there are."""
    response = client.get(f"/agreements/?export={fmt}")
    assert response.status_code == 400
    message = response.content.decode()
    assert "Unknown export format" in message
    assert "use csv, xlsx or json" in message


@pytest.mark.parametrize(
    "query, label, value",
    [
        ("discipline=nope", "Discipline", "nope"),
        ("us_state=ZZ", "U.S. state", "ZZ"),
        ("status=maybe", "Status", "maybe"),
    ],
)
def test_an_unreadable_filter_value_refuses_the_export_and_names_the_filter(
    client, query, label, value
):
    """A file must be exactly the search asked for: no filter is silently dropped."""
    response = client.get(f"/agreements/?{query}&export=csv")
    assert response.status_code == 400
    message = response.content.decode()
    assert message.startswith(f"{label}: ")
    assert value in message
    assert "left out" not in message


def test_active_until_before_active_from_refuses_the_export(client):
    """Impossible years: 400 naming the “Active until” filter."""
    response = client.get("/agreements/?year_from=2020&year_to=2018&export=json")
    assert response.status_code == 400
    assert "Active until (year)" in response.content.decode()


def exported_rows(client, query: str, fmt: str) -> list[dict]:
    _response, content = download(client, f"{query}&export={fmt}")
    if fmt == "csv":
        return read_csv(content)[1]
    if fmt == "json":
        return json.loads(content)["results"]
    return read_xlsx(content)[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_drafts_are_never_exported(client, registry, fmt):
    """Not in the whole registry's export, nor in one searching for its words."""
    everything = exported_rows(client, "", fmt)
    assert len(everything) == Agreement.objects.published().count()
    titles = {row["title"] for row in everything}
    assert "Quantum materials partnership" in titles
    assert "Draft never exported partnership" not in titles
    assert exported_rows(client, "q=draft+never+exported", fmt) == []


def test_japanese_names_survive_every_format(client, registry):
    """A Japanese title and unit, in UTF-8 with a byte order mark in CSV (Excel reads
    it), unescaped in JSON, as text in XLSX."""
    public_id = registry.public_id
    query = f"q={public_id}"
    _response, content = download(client, f"{query}&export=csv")
    [row] = read_csv(content)[1]
    assert row["title_ja"] == "量子材料の共同研究"
    assert "Tohoku University (大学院理学研究科)" in row["jp_institutions"]
    _response, content = download(client, f"{query}&export=json")
    assert "量子材料の共同研究".encode() in content
    [row] = json.loads(content)["results"]
    assert row["title_ja"] == "量子材料の共同研究"
    _response, content = download(client, f"{query}&export=xlsx")
    [row] = read_xlsx(content)[0]
    assert row["title_ja"] == "量子材料の共同研究"
    assert "大学院理学研究科" in row["jp_institutions"]


# -- Order -----------------------------------------------------------------------------


def page_order(client, query: str) -> list[str]:
    page = client.get(f"/agreements/?per_page=100&{query}").content.decode()
    return re.findall(r'<p class="meta">\s*(USJP-\d+)', page)


def export_order(client, query: str) -> list[str]:
    _response, content = download(client, f"{query}&export=csv")
    return [row["public_id"] for row in read_csv(content)[1]]


@pytest.fixture
def ordered(db):
    """Agreements whose titles differ in case at their first letter, and the fact
    sheet's six, which have no start date."""
    now = timezone.now()
    for title, start in [
        ("acute care exchange", dt.date(2018, 1, 1)),
        ("AI laboratory", dt.date(2019, 1, 1)),
        ("Zoology network", dt.date(2020, 1, 1)),
    ]:
        make_agreement(title=title, start_date=start, published_at=now)


@pytest.mark.parametrize(
    "sort",
    [
        "newest",
        "title",
        "start",
    ],
)
def test_the_export_lists_agreements_in_the_order_of_the_search_page(
    client, ordered, sort
):
    """The file is the page's search, in the page's order."""
    expected = page_order(client, f"sort={sort}")
    assert len(expected) == 9
    assert export_order(client, f"sort={sort}") == expected


def test_a_text_search_exports_in_the_page_order_of_relevance(client, db):
    """Relevance is the engine's ranking (BM25); the file follows it, not SQL's
    ts_rank: a title match first, then matches among the names."""
    made = [
        make_agreement(title="Ocean acoustics in Kyoto and Kyoto again"),
        make_agreement(title="Kyoto ocean acoustics", jp=("tohoku-university",)),
        make_agreement(title="Ocean acoustics", jp=("kyoto-university",)),
    ]

    # Every word as text (words=true): Kyoto is otherwise read as the prefecture.
    expected = page_order(client, "q=ocean+kyoto&words=true")
    assert expected == [agreement.public_id for agreement in made]  # not newest first
    assert export_order(client, "q=ocean+kyoto&words=true") == expected


def test_a_complete_export_says_how_many_rows_it_holds(client, registry):
    """A file cut short is detectable: the CSV's closing line and the JSON's last key
    count the rows, and a JSON cut anywhere before its end does not parse."""
    query = "classification=consortium"
    _response, content = download(client, f"{query}&export=csv")
    _comments, rows = read_csv(content)  # checks the closing line's count
    assert rows and len(rows) == len(searched(query))
    _response, content = download(client, f"{query}&export=json")
    data = json.loads(content)
    assert data["count"] == len(data["results"]) == len(rows)
    assert list(data)[-1] == "count"
    with pytest.raises(json.JSONDecodeError):
        json.loads(content[: content.rindex(b"]")])


def test_the_closing_line_of_a_csv_export_is_not_read_as_a_row(
    client, registry, editor
):
    """Re-importing an export reads its rows and nothing else: the closing line is a
    comment, as the lines before the header are."""
    from registry.imports.agreement_sheet import import_agreement_file

    _response, content = download(client, "export=csv")
    outcome = import_agreement_file(
        data=content, file_name="export.csv", user=editor, dry_run=True
    )
    exported = read_csv(content)[1]
    assert [row.values["public_id"] for row in outcome.plan.rows] == [
        row["public_id"] for row in exported
    ]

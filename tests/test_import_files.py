"""The file reading layer of bulk uploads (registry.imports.files and .formats): files
as curators have them (Shift_JIS from Japanese Excel, cp1252 from Western Excel, our own
exports with comment lines, templates with an Instructions sheet) read into the same
table of text, and hostile or wrong files refused with a message saying what to do.

Every file is made here, in the test that reads it. No database is needed."""

import codecs
import datetime as dt
import io
import json
import os
import zipfile

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV, JSON, TSV
from import_export.forms import ImportForm
from import_export.resources import Resource
from import_export.tmp_storages import TempFolderStorage
from openpyxl import Workbook

from registry.imports.files import (
    FileRejected,
    decode_text,
    detect_format,
    header_key,
    match_headers,
    read_table,
    tables,
    workbooks,
)
from registry.imports.formats import (
    IMPORT_FORMATS,
    SheetCSV,
    SheetJSON,
    SheetTSV,
    SheetXLSX,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def rejected(data: bytes, file_name: str = "upload.csv", **options) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_table(data, file_name=file_name, **options)
    return caught.value


def workbook(*sheets, hidden=()) -> bytes:
    """An XLSX file of ``(sheet name, rows)`` pairs, in order."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_of(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def replace_parts(data: bytes, replacements: dict[str, bytes]) -> bytes:
    """The zip ``data`` with some parts' content replaced."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    return zip_of({**parts, **replacements})


def values(table) -> list[dict[str, str]]:
    return [row.values for row in table.rows]


# decode_text: which encoding a text file was saved in


def test_utf8_with_and_without_bom():
    assert decode_text(codecs.BOM_UTF8 + "東北大学".encode()) == (
        "東北大学",
        "utf-8-sig",
    )
    assert decode_text("Université de Montréal".encode()) == (
        "Université de Montréal",
        "utf-8",
    )


@pytest.mark.parametrize(
    "text",
    [
        "東北大学",
        "ＡＢＣ",
        "2019年3月15日",
        "京都大学,Kyoto University",
        "髙橋",
        "ﾄｳﾎｸﾀﾞｲｶﾞｸ",
        "IoTとAI",  # one kana between Latin letters: cp1252 has no letters there
    ],
)
def test_japanese_shift_jis_that_also_decodes_as_cp1252_is_read_as_cp932(text):
    data = text.encode("cp932")
    data.decode("cp1252")  # the ambiguity the heuristic must settle
    assert decode_text(data) == (text, "cp932")


def test_japanese_shift_jis_that_cp1252_cannot_decode_is_read_as_cp932():
    data = "お茶の水女子大学 理工学術院".encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        data.decode("cp1252")
    assert decode_text(data) == ("お茶の水女子大学 理工学術院", "cp932")


@pytest.mark.parametrize(
    "text",
    [
        "Montréal",
        "Universität",
        "São Paulo",
        "École",
        "Straße",
        "façade",
        "Škoda",
        "€100",  # CP932 reads a control character, not a kanji
    ],
)
def test_western_text_that_also_decodes_as_cp932_is_read_as_cp1252(text):
    data = text.encode("cp1252")
    data.decode("cp932")  # valid Shift_JIS too: 'Montr饌l', 'S縊 Paulo'…
    assert decode_text(data) == (text, "cp1252")


def test_latin1_university_names_are_not_read_as_cp932():
    data = "Université de Montréal; Universität Zürich; Gödel".encode("latin-1")
    assert decode_text(data) == (
        "Université de Montréal; Universität Zürich; Gödel",
        "cp1252",
    )


def test_cp1252_smart_quotes_and_dashes():
    text = "the “Kyoto” agreement – O’Brien’s lab—phase 2…"
    assert decode_text(text.encode("cp1252")) == (text, "cp1252")


def test_bytes_neither_cp932_nor_cp1252_fall_back_to_latin1():
    # 0x81 is undefined in cp1252, and 0xE9 0x20 is not Shift_JIS.
    assert decode_text(b"caf\xe9 \x81") == ("café \x81", "latin-1")


def test_utf16_with_bom_as_excel_unicode_text_writes_it():
    data = "Title\tTitle (Japanese)\r\nQuantum\t量子\r\n".encode("utf-16")
    table = read_table(data, file_name="export.txt")
    assert (table.file_format, table.encoding, table.delimiter) == (
        "tsv",
        "utf-16",
        "\t",
    )
    assert values(table) == [{"Title": "Quantum", "Title (Japanese)": "量子"}]


def test_a_utf8_bom_before_bytes_that_are_not_utf8_is_refused_with_the_line():
    error = rejected(codecs.BOM_UTF8 + b"Title\nUniversit\xe9\n")
    assert str(error) == (
        "The file says it is Unicode text (UTF-8) but byte 15 (line 2) is not. Open it "
        "in Excel or a text editor and save it again as “CSV UTF-8”."
    )
    assert error.code == "encoding"


# header_key and match_headers


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (" U.S. Institutions ", "us institutions"),
        ("Source_ID", "source id"),
        ("ＴＩＴＬＥ", "title"),
        ("start-date", "start date"),
        ("Start  \t Date", "start date"),
        ("ＵＳ－Ｉｎｓｔｉｔｕｔｉｏｎｓ", "us institutions"),
        ("Title\nJapanese", "title japanese"),
        ("タイトル", "タイトル"),
        ("ﾀｲﾄﾙ", "タイトル"),
        ("Funding (USD)", "funding (usd)"),
        ("STRASSE_Straße", "strasse strasse"),
    ],
)
def test_header_key(header, key):
    assert header_key(header) == key


SYNONYMS = {
    "title": ["Agreement title", "タイトル"],
    "us_institutions": ["U.S. institutions", "US HEIs"],
    "start": ["Start date", "開始"],
}


def test_match_headers_maps_synonyms_and_reports_unknown_headers():
    match = match_headers(
        ["ＴＩＴＬＥ", "us_institutions", "Start Date", "Notes", "開始 "], SYNONYMS
    )
    assert match.columns == {
        "ＴＩＴＬＥ": "title",
        "us_institutions": "us_institutions",
        "Start Date": "start",
        "開始 ": "start",
    }
    assert match.unknown == ["Notes"]
    assert match.duplicates == {"start": ["Start Date", "開始 "]}


def test_match_headers_without_duplicates():
    match = match_headers(["Agreement Title", "U.S. Institutions"], SYNONYMS)
    assert match.columns == {
        "Agreement Title": "title",
        "U.S. Institutions": "us_institutions",
    }
    assert (match.unknown, match.duplicates) == ([], {})


def test_match_headers_refuses_one_spelling_for_two_columns():
    with pytest.raises(ValueError, match="'Start' is given for both 'start' and 'end'"):
        match_headers(["Start"], {"start": [], "end": ["Start"]})


# CSV and TSV


def test_our_export_with_bom_comment_lines_and_multiline_cells():
    data = (
        "# U.S.-Japan Research Partnership Registry export: https://example.org\r\n"
        '"# search: ?q=quantum,materials&page=2"\r\n'
        "# exported at: 2026-05-01T10:00:00+00:00\r\n"
        "public_id,title,us_institutions\r\n"
        'USJP-000001,"Quantum\r\nmaterials",Tohoku University\r\n'
        "\r\n"
        ",,\r\n"
        'USJP-000002,"Say ""hello""",  MIT  \r\n'
    ).encode("utf-8-sig")
    table = read_table(data, file_name="usjp-agreements.csv")
    assert table.headers == ["public_id", "title", "us_institutions"]
    assert (table.file_format, table.encoding, table.delimiter) == (
        "csv",
        "utf-8-sig",
        ",",
    )
    # Rows as a spreadsheet shows them: the two-line cell is one row.
    assert [row.number for row in table.rows] == [5, 8]
    assert values(table) == [
        {
            "public_id": "USJP-000001",
            "title": "Quantum\nmaterials",
            "us_institutions": "Tohoku University",
        },
        {"public_id": "USJP-000002", "title": 'Say "hello"', "us_institutions": "MIT"},
    ]


def test_comment_lines_only_count_before_the_header():
    data = b"#note\nTitle,Notes\n# not a comment,x\n"
    table = read_table(data, file_name="a.csv")
    assert values(table) == [{"Title": "# not a comment", "Notes": "x"}]
    assert table.rows[0].number == 3


def test_shift_jis_csv_from_japanese_excel():
    text = "タイトル,機関\r\n量子材料の共同研究,東北大学\r\nＡＢＣ連携,京都大学\r\n"
    data = text.encode("cp932")
    table = read_table(data, file_name="協定.csv")
    assert table.encoding == "cp932"
    assert table.headers == ["タイトル", "機関"]
    assert values(table) == [
        {"タイトル": "量子材料の共同研究", "機関": "東北大学"},
        {"タイトル": "ＡＢＣ連携", "機関": "京都大学"},
    ]


def test_latin1_and_cp1252_csv_from_western_excel():
    data = "Institution,Note\nUniversité de Montréal,“joint” lab\nUniversität Wien,–\n"
    table = read_table(data.encode("cp1252"), file_name="partners.csv")
    assert table.encoding == "cp1252"
    assert values(table) == [
        {"Institution": "Université de Montréal", "Note": "“joint” lab"},
        {"Institution": "Universität Wien", "Note": "–"},
    ]


def test_semicolon_csv_is_sniffed_from_its_header():
    data = "Title;Amount;Notes\nQuantum;1,5;a, b\n".encode("cp1252")
    table = read_table(data, file_name="europe.csv")
    assert table.delimiter == ";"
    assert values(table) == [{"Title": "Quantum", "Amount": "1,5", "Notes": "a, b"}]


def test_a_header_as_split_by_semicolons_as_commas_is_read_with_commas():
    table = read_table(b"Title,Notes;x\nA,b;c\n", file_name="a.csv")
    assert table.delimiter == ","
    assert values(table) == [{"Title": "A", "Notes;x": "b;c"}]


def test_excel_sep_line_names_the_delimiter():
    table = read_table(b"sep=|\nTitle|Notes\nA|b,c\n", file_name="a.csv")
    assert table.delimiter == "|"
    assert values(table) == [{"Title": "A", "Notes": "b,c"}]
    assert table.rows[0].number == 3


def test_tab_separated_file_named_csv_and_tsv():
    data = b"Title\tNotes\nA, B\tC; D\n"
    for name in ("a.csv", "a.tsv"):
        table = read_table(data, file_name=name)
        assert table.delimiter == "\t"
        assert values(table) == [{"Title": "A, B", "Notes": "C; D"}]
    assert read_table(data, file_name="a.tsv").file_format == "tsv"


def test_tsv_is_not_sniffed_for_commas():
    table = read_table(b"Title,Notes\nA,B\n", file_name="a.tsv")
    assert table.headers == ["Title,Notes"]


def test_short_rows_empty_headers_and_headerless_values():
    data = b"Title,,Notes\nA,lost,\nB\n,,\nC,,n,extra\n"
    table = read_table(data, file_name="a.csv")
    assert table.headers == ["Title", "Notes"]
    assert values(table) == [
        {"Title": "A", "Notes": ""},
        {"Title": "B", "Notes": ""},
        {"Title": "C", "Notes": "n"},
    ]
    assert [row.number for row in table.rows] == [2, 3, 5]
    assert table.headerless_columns == ["B", "D"]


def test_markup_in_cells_is_returned_verbatim():
    data = b"Title,Notes\n\"<script>alert('x')</script>\",<b>bold</b> &amp;\n"
    table = read_table(data, file_name="a.csv")
    assert values(table) == [
        {"Title": "<script>alert('x')</script>", "Notes": "<b>bold</b> &amp;"}
    ]


def test_a_header_written_twice_is_refused():
    error = rejected(b"Title,Notes,Title\nA,B,C\n")
    assert str(error) == (
        "The header “Title” is written over more than one column (A, C). Each column "
        "needs a header of its own: rename or delete the extra one."
    )


def test_a_quote_never_closed_is_refused_with_its_line():
    error = rejected(b'Title,Notes\nA,B\n"C,D\nE,F\n')
    assert str(error) == (
        'A quoted cell starting on line 3 is never closed (a “"” is missing), so the '
        "rest of the file cannot be read. Add the missing quote, or save the file "
        "again from Excel."
    )
    assert error.code == "malformed"


def test_text_after_a_closing_quote_is_refused_with_its_line():
    error = rejected(b'Title,Notes\nA,B\n"C"x,D\n')
    assert str(error).startswith(
        "Line 3 cannot be read as CSV (',' expected after '\"'). Check the quotes"
    )


@pytest.mark.parametrize(
    "data", [b"", b"  \r\n\r\n", b"# only a comment\n\n", codecs.BOM_UTF8 + b"\n,,\n"]
)
def test_an_empty_file_is_refused(data):
    error = rejected(data)
    assert str(error).startswith("The file is empty.")
    assert error.code == "empty"


def test_a_header_without_rows_is_a_table_without_rows():
    table = read_table(b"# comment\nTitle,Notes\n\n,\n", file_name="a.csv")
    assert (table.headers, table.rows) == (["Title", "Notes"], [])


# Files that are not text, given as CSV


def test_a_png_renamed_csv():
    assert str(rejected(PNG)) == (
        "This file is an image (PNG), not a spreadsheet. Upload the spreadsheet "
        "itself, saved as .xlsx or CSV."
    )


def test_a_pdf_renamed_csv():
    assert str(rejected(PDF)).startswith(
        "This file is a PDF document, not a spreadsheet."
    )


def test_a_workbook_renamed_csv():
    error = rejected(workbook(("Agreements", [["Title"], ["A"]])), "agreements.csv")
    assert str(error) == (
        "This file is an Excel workbook (.xlsx), not CSV text: it was probably "
        "renamed. Upload it as .xlsx (choose the XLSX format), or open it in Excel and "
        "save it as “CSV UTF-8”."
    )
    assert error.code == "not_text"


def test_a_zip_renamed_tsv():
    error = rejected(zip_of({"readme.txt": b"hello"}), "data.tsv")
    assert str(error) == (
        "This file is a ZIP archive, not TSV text. Unzip it and upload the spreadsheet "
        "inside, as .xlsx or CSV."
    )


def test_an_old_xls_renamed_csv():
    assert "Excel 97-2003 workbook (.xls)" in str(rejected(OLE2))


@pytest.mark.parametrize(
    "data",
    [b"Title\x00,Notes\nA,B\n", b"Title,Notes\n" + bytes(range(1, 32)) * 20],
)
def test_binary_content_in_a_csv_is_refused(data):
    assert str(rejected(data)) == (
        "This file is not CSV text: it contains binary data (it may be another kind of "
        "file, renamed). Open the spreadsheet in Excel and save it as “CSV UTF-8” or "
        "as .xlsx, and upload that."
    )


# Limits


def test_a_file_over_max_bytes_is_refused_before_reading():
    error = rejected(b"Title\n" + b"x\n" * 600, max_bytes=1000)
    assert str(error) == (
        "This file is 1,206 bytes (1.2\xa0KB); the limit is 1,000 bytes "
        "(1000\xa0bytes, IMPORT_MAX_BYTES). Split it into smaller files and upload "
        "them one by one."
    )
    assert error.code == "too_large"


def test_max_bytes_defaults_to_the_setting(settings):
    settings.IMPORT_MAX_BYTES = 10
    assert "IMPORT_MAX_BYTES" in str(rejected(b"Title\nQuantum\n"))


def test_a_file_over_max_rows_is_refused():
    data = b"Title\n" + b"".join(b"row %d\n" % number for number in range(5))
    error = rejected(data, max_rows=4)
    assert str(error) == (
        "This file has more than 4 rows; the limit is 4 (IMPORT_MAX_ROWS). Split it "
        "into files of at most 4 rows each and upload them one by one."
    )
    assert error.code == "too_many_rows"
    assert len(read_table(data, file_name="a.csv", max_rows=5).rows) == 5


def test_blank_rows_do_not_count_towards_max_rows():
    table = read_table(b"Title\nA\n\n,\nB\n\n", file_name="a.csv", max_rows=2)
    assert values(table) == [{"Title": "A"}, {"Title": "B"}]


def test_max_rows_defaults_to_the_setting(settings):
    settings.IMPORT_MAX_ROWS = 1
    assert "the limit is 1 (IMPORT_MAX_ROWS)" in str(rejected(b"Title\nA\nB\n"))


def test_row_counting_stops_at_the_limit_without_reading_on():
    read = []

    def records():
        for number in range(1, 10_000):
            read.append(number)
            yield number, [f"cell {number}"]

    with pytest.raises(FileRejected, match="more than 3 rows"):
        tables.tabulate(records(), max_rows=3)
    assert read == [1, 2, 3, 4, 5]  # the header, three rows, and the one too many


# detect_format


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("A.CSV", "csv"),
        ("a.tsv", "tsv"),
        ("a.tab", "tsv"),
        ("a.xlsx", "xlsx"),
        ("a.xlsm", "xlsx"),
        ("a.json", "json"),
    ],
)
def test_detect_format_by_extension_even_when_the_content_differs(name, expected):
    assert detect_format(name, PNG) == expected


def test_detect_format_by_content():
    assert detect_format("", workbook(("S", [["a"]]))) == "xlsx"
    assert detect_format("upload", b'  [{"title": "A"}]') == "json"
    assert detect_format("a.txt", b"Title\tNotes\nA\tB\n") == "tsv"
    assert detect_format("a.txt", b"Title,Notes\nA,B\n") == "csv"
    assert detect_format("a.xls", workbook(("S", [["a"]]))) == "xlsx"


def test_detect_format_refuses_what_is_no_spreadsheet():
    with pytest.raises(FileRejected, match="This file is a PDF document"):
        detect_format("report", PDF)
    with pytest.raises(FileRejected, match=r"Excel 97-2003 workbook \(\.xls\)"):
        detect_format("old.xls", OLE2)


# XLSX


TEMPLATE = (
    ("Instructions", [["How to fill in this template"], ["One agreement a row."]]),
    ("Agreements", [["Title", "Start"], ["Quantum", 2019]]),
    ("About", [["exported at", "2026-05-01"]]),
)


def test_the_first_sheet_not_skipped_is_read():
    table = read_table(
        workbook(*TEMPLATE), file_name="a.xlsx", skip_sheets={"instructions", "ABOUT"}
    )
    assert (table.sheet, table.sheets) == (
        "Agreements",
        ["Instructions", "Agreements", "About"],
    )
    assert (table.file_format, table.encoding) == ("xlsx", "")
    assert values(table) == [{"Title": "Quantum", "Start": "2019"}]
    assert table.rows[0].number == 2


def test_without_skip_sheets_the_first_sheet_is_read():
    table = read_table(workbook(*TEMPLATE), file_name="a.xlsx")
    assert table.sheet == "Instructions"
    assert table.headers == ["How to fill in this template"]


def test_hidden_sheets_are_passed_over_unless_named():
    data = workbook(
        ("Lookups", [["Country"], ["JP"]]), *TEMPLATE[1:], hidden={"Lookups"}
    )
    assert read_table(data, file_name="a.xlsx").sheet == "Agreements"
    assert read_table(data, file_name="a.xlsx", sheet="lookups").sheet == "Lookups"


def test_a_sheet_chosen_by_name_case_insensitively():
    table = read_table(workbook(*TEMPLATE), file_name="a.xlsx", sheet=" about ")
    assert table.sheet == "About"
    assert table.headers == ["exported at", "2026-05-01"]


def test_an_unknown_sheet_is_refused_with_the_sheets_listed():
    error = rejected(workbook(*TEMPLATE), "a.xlsx", sheet="Data")
    assert str(error) == (
        "This workbook has no sheet named “Data”. Its sheets are: “Instructions”, "
        "“Agreements”, “About”. Choose one of these, or rename the sheet in Excel."
    )
    assert error.code == "unknown_sheet"


def test_a_workbook_of_only_skipped_sheets_is_refused():
    data = workbook(TEMPLATE[0], TEMPLATE[2])
    error = rejected(data, "a.xlsx", skip_sheets=("Instructions", "About"))
    assert str(error) == (
        "This workbook has no sheet of data to import: its sheets (“Instructions”, "
        "“About”) are hidden or hold instructions. Put the data on a visible sheet of "
        "its own."
    )


def test_an_empty_sheet_is_refused_naming_it():
    data = workbook(("Agreements", [[None, "  "]]), ("Other", [["Title"]]))
    assert str(rejected(data, "a.xlsx")) == (
        "The sheet “Agreements” is empty. Put the header row and the data on it, or "
        "choose another sheet (this workbook has: “Agreements”, “Other”)."
    )


def test_numbers_booleans_and_text_as_typed():
    rows = [
        ["int", "whole", "fraction", "small", "noise", "big", "flag", "none", "markup"],
        [2019, 2019.0, 1.5, 0.00001, 0.1 + 0.2, 1e20, True, None, "<script>x</script>"],
        [-7, -0.0, -2.25, 1234567.891, 3.0e-7, 12345678901234567890, False, " ", " t "],
    ]
    table = read_table(workbook(("S", rows)), file_name="a.xlsx")
    assert values(table) == [
        {
            "int": "2019",
            "whole": "2019",
            "fraction": "1.5",
            "small": "0.00001",
            "noise": "0.3",
            "big": "100000000000000000000",
            "flag": "TRUE",
            "none": "",
            "markup": "<script>x</script>",
        },
        {
            "int": "-7",
            "whole": "0",
            "fraction": "-2.25",
            "small": "1234567.891",
            "noise": "0.0000003",
            "big": "12345678901234600000",  # 15 significant digits, as in Excel
            "flag": "FALSE",
            "none": "",
            "markup": "t",
        },
    ]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (dt.datetime(2019, 3, 15), "yyyy-mm-dd", "2019-03-15"),
        (dt.datetime(2019, 3, 15), "yyyy-mm-dd h:mm:ss", "2019-03-15"),
        (dt.datetime(2019, 3, 15, 14, 30), "yyyy-mm-dd h:mm", "2019-03-15 14:30:00"),
        (dt.datetime(2019, 3, 15, 14, 30), "mm-dd-yy", "2019-03-15"),
        (dt.date(2019, 3, 15), "m/d/yyyy", "2019-03-15"),
        (dt.datetime(2019, 3, 1), "yyyy/m", "2019-03"),
        (dt.datetime(2019, 3, 1), 'yyyy"年"m"月"', "2019-03"),
        (dt.datetime(2019, 3, 1), "mmm-yy", "2019-03"),
        (dt.datetime(2019, 1, 1), "yyyy", "2019"),
        (dt.datetime(2019, 3, 15), '[$-ja-JP]ggge"年"m"月"d"日"', "2019-03-15"),
        (dt.time(14, 30), "h:mm", "14:30:00"),
    ],
)
def test_dates_as_iso_text_to_the_precision_shown(value, number_format, text):
    book = Workbook()
    book.active.append(["Start"])
    book.active.append([value])
    book.active["A2"].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(buffer.getvalue(), file_name="a.xlsx")
    assert values(table) == [{"Start": text}]


def test_header_row_is_the_first_non_blank_row_and_row_numbers_are_the_sheets():
    rows = [
        [],
        [None, None],
        ["Title", None, "Notes", None],
        ["A"],
        [],
        [" "],
        [None, None, "n"],
    ]
    table = read_table(workbook(("S", rows)), file_name="a.xlsx")
    assert table.headers == ["Title", "Notes"]
    assert [(row.number, row.values) for row in table.rows] == [
        (4, {"Title": "A", "Notes": ""}),
        (7, {"Title": "", "Notes": "n"}),
    ]


def test_xlsx_headerless_values_and_repeated_headers():
    data = workbook(("S", [["Title", None, "Notes"], ["A", "lost", "n"]]))
    assert read_table(data, file_name="a.xlsx").headerless_columns == ["B"]
    data = workbook(("S", [["Title", "Notes", "Title"], ["A", "B", "C"]]))
    assert "“Title” is written over more than one column (A, C)" in str(
        rejected(data, "a.xlsx")
    )


def test_a_wrong_sheet_size_written_by_another_program_cuts_nothing_off():
    data = workbook(
        ("S", [["Title", "Notes", "Extra"], ["A", "B", "C"], ["D", "E", "F"]])
    )
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:C3" />' in sheet_xml
    wrong = sheet_xml.replace(
        b'<dimension ref="A1:C3" />', b'<dimension ref="A1:A1" />'
    )
    table = read_table(
        replace_parts(data, {"xl/worksheets/sheet1.xml": wrong}), file_name="a.xlsx"
    )
    assert table.headers == ["Title", "Notes", "Extra"]
    assert len(table.rows) == 2


def test_max_rows_in_a_workbook():
    rows = [["Title"]] + [[f"row {number}"] for number in range(4)]
    error = rejected(workbook(("S", rows)), "a.xlsx", max_rows=3)
    assert "more than 3 rows; the limit is 3 (IMPORT_MAX_ROWS)" in str(error)


# Damaged and hostile workbooks


def test_a_truncated_workbook():
    data = workbook(*TEMPLATE)
    error = rejected(data[: len(data) // 2], "a.xlsx")
    assert str(error) == (
        "This file is not a valid XLSX workbook: it may be damaged, incomplete, or a "
        "different format renamed .xlsx. Save it again from Excel as “Excel Workbook "
        "(.xlsx)” or as “CSV UTF-8”."
    )
    assert error.code == "not_xlsx"


def test_a_workbook_whose_parts_are_damaged():
    data = replace_parts(workbook(*TEMPLATE), {"xl/workbook.xml": b"<workbook"})
    error = rejected(data, "a.xlsx")
    assert str(error) == (
        "This workbook is damaged or incomplete and cannot be read. Open it in Excel; "
        "if it opens, save it again as “Excel Workbook (.xlsx)” and upload the new "
        "file."
    )
    assert error.code == "damaged"


def test_a_workbook_whose_sheet_breaks_off_while_its_rows_are_read():
    data = workbook(("S", [["Title"]] + [[f"row {number}"] for number in range(50)]))
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    broken = sheet_xml[: sheet_xml.index(b"</sheetData>") - 40]
    error = rejected(
        replace_parts(data, {"xl/worksheets/sheet1.xml": broken}), "a.xlsx"
    )
    assert error.code == "damaged"


def test_csv_text_renamed_xlsx():
    assert str(rejected(b"Title,Notes\nA,B\n", "a.xlsx")) == (
        "This file is not a valid XLSX workbook: it is plain text, probably a CSV file "
        "renamed .xlsx. Upload it as .csv (choose the CSV format), or open it in Excel "
        "and save it as “Excel Workbook (.xlsx)”."
    )


def test_a_null_character_in_json_is_refused_naming_its_record():
    error = rejected(b'[{"title": "A"}, {"title": "B\\u0000C"}]', "a.json")

    assert str(error) == (
        "Record 2 of this JSON file has a null character (\\u0000) under “title”. "
        "Remove it and upload the file again."
    )
    assert error.code == "null_character"


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (PDF, "This file is a PDF document"),
        (PNG, "This file is an image (PNG)"),
        (OLE2, "This file is an Excel 97-2003 workbook (.xls) or a password-protected"),
    ],
)
def test_other_files_renamed_xlsx(data, start):
    assert str(rejected(data, "a.xlsx")).startswith(start)


def test_a_zip_that_is_no_workbook():
    error = rejected(zip_of({"word/document.xml": b"<w/>", "x.txt": b"x"}), "a.xlsx")
    assert str(error).startswith("This file is a ZIP archive but not an Excel workbook")
    assert error.code == "not_xlsx"


def test_an_opendocument_spreadsheet():
    data = zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b"",
        }
    )
    assert str(rejected(data, "a.xlsx")).startswith(
        "This file is an OpenDocument spreadsheet (.ods)."
    )
    assert str(rejected(data, "a.ods")).startswith("This file is an OpenDocument")


@pytest.fixture
def openpyxl_must_not_open(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was given a hostile file")

    monkeypatch.setattr(workbooks, "load_workbook", refuse)


def test_a_zip_bomb_is_refused_before_openpyxl_sees_it(openpyxl_must_not_open):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            megabyte = bytes(1024 * 1024)
            for _ in range(200):
                part.write(megabyte)
    data = buffer.getvalue()
    assert len(data) < 300 * 1024
    error = rejected(data, "bomb.xlsx")
    assert str(error).startswith("This workbook holds a part compressed 1,0")
    assert "to 1, far more than real spreadsheets are (it may be a “zip bomb”)" in str(
        error
    )
    assert error.code == "zip_bomb"


def test_a_workbook_unpacking_to_more_than_twenty_times_the_limit(
    openpyxl_must_not_open,
):
    # Random blocks repeated compress about 150 to 1: under the ratio limit, so only
    # the total stops it.
    block = os.urandom(3000)
    data = zip_of(
        {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": block * 1666}
    )
    part = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert part.file_size / part.compress_size < workbooks.XLSX_MAX_COMPRESSION_RATIO
    error = rejected(data, "big.xlsx", max_bytes=200_000)
    assert str(error) == (
        "This workbook unpacks to 4.8\xa0MB, more than the 3.8\xa0MB allowed, so it "
        "was not opened (it may be a “zip bomb”, or hold very large hidden parts such "
        "as images). Save the data alone as “CSV UTF-8”, or split it into smaller "
        "workbooks."
    )


def test_entity_expansion_in_a_sheet_is_refused_as_damage():
    # "Billion laughs": a few hundred bytes of XML entities expanding to a gigabyte.
    # openpyxl parses with the standard library, whose expat (2.4 and later) refuses it.
    data = workbook(("S", [["Title"], ["x"]]))
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    entities = b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10)
        for level in range(1, 10)
    )
    hostile = b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY lol0 "lol">' + entities
    hostile += b"]>" + sheet_xml.replace(b"<t>x</t>", b"<t>&lol9;</t>")
    assert b"<t>&lol9;</t>" in hostile
    data = replace_parts(data, {"xl/worksheets/sheet1.xml": hostile})
    assert rejected(data, "a.xlsx").code == "damaged"


def test_a_workbook_of_too_many_parts(openpyxl_must_not_open):
    parts = {f"xl/part{number}.xml": b"" for number in range(workbooks.XLSX_MAX_PARTS)}
    data = zip_of({"[Content_Types].xml": b"<Types/>", **parts}, zipfile.ZIP_STORED)
    error = rejected(data, "parts.xlsx")
    assert str(error).startswith(
        "This workbook is made of 10,001 parts, more than the 10,000 any real workbook "
        "needs"
    )


# JSON


def test_json_list_of_records():
    records = [
        {"title": "Quantum", "start": 2019, "funding": 1500000.0, "active": True},
        {"title": " Materials ", "partners": ["JSPS", None, "NSF"], "start": None},
        {"title": "", "start": None},
        {"title": "<script>x</script>", "note": "a"},
    ]
    table = read_table(json.dumps(records).encode(), file_name="a.json")
    assert table.headers == ["title", "start", "funding", "active", "partners", "note"]
    assert (table.file_format, table.encoding) == ("json", "utf-8")
    assert [row.number for row in table.rows] == [1, 2, 4]
    assert values(table) == [
        {
            "title": "Quantum",
            "start": "2019",
            "funding": "1500000",
            "active": "TRUE",
            "partners": "",
            "note": "",
        },
        {
            "title": "Materials",
            "start": "",
            "funding": "",
            "active": "",
            "partners": "JSPS; NSF",
            "note": "",
        },
        {
            "title": "<script>x</script>",
            "start": "",
            "funding": "",
            "active": "",
            "partners": "",
            "note": "a",
        },
    ]


def test_json_as_our_exports_write_it():
    document = {
        "source": "https://example.org",
        "search": {"q": ["quantum"]},
        "exported_at": "2026-05-01T10:00:00+00:00",
        "results": [{"public_id": "USJP-000001", "title_ja": "量子材料"}],
    }
    table = read_table(
        json.dumps(document, ensure_ascii=False).encode(), file_name="e.json"
    )
    assert values(table) == [{"public_id": "USJP-000001", "title_ja": "量子材料"}]


def test_invalid_json_is_refused_with_line_and_column():
    error = rejected(b'[\n  {"title": "A"}\n  {"title": "B"}\n]', "a.json")
    assert str(error) == (
        "This file is not valid JSON: Expecting ',' delimiter at line 3, column 3. "
        "Correct it there, or export the data again."
    )
    assert error.code == "invalid_json"


def test_nested_json_values_are_refused():
    error = rejected(
        b'[{"title": "A"}, {"title": "B", "partners": {"us": "MIT"}}]', "a.json"
    )
    assert str(error) == (
        "Record 2 of this JSON file has nested data under “partners” (an object), "
        "which a spreadsheet cell cannot hold. Give it a text, a number, or a list of "
        "plain values."
    )
    assert "(a list)" in str(rejected(b'[{"partners": [["MIT"]]}]', "a.json"))


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b'{"title": "A"}', "This JSON file holds no list of records."),
        (b'{"results": {"title": "A"}}', "This JSON file holds no list of records."),
        (b'[{"title": "A"}, "B"]', "Record 2 of this JSON file is not an object"),
        (b"[]", "The file is empty."),
        (b'{"results": []}', "The file is empty."),
        (b"[" * 100_000 + b"]" * 100_000, "This JSON file cannot be read"),
    ],
)
def test_json_that_holds_no_records(data, start):
    assert str(rejected(data, "a.json")).startswith(start)


def test_json_keys_that_differ_only_in_spaces_are_refused():
    error = rejected(b'[{"Title": "A"}, {" Title": "B"}]', "a.json")
    assert str(error).startswith(
        "The header “Title” is written over more than one column (“Title”, “ Title”)."
    )


def test_json_over_max_rows_says_how_many():
    data = json.dumps([{"title": str(number)} for number in range(4)]).encode()
    assert str(rejected(data, "a.json", max_rows=3)).startswith(
        "This file has 4 rows; the limit is 3 (IMPORT_MAX_ROWS)."
    )


# The admin's formats


class _RowsResource(Resource):
    @classmethod
    def get_display_name(cls):
        return "rows"


def test_import_formats_as_the_admin_form_offers_them():
    titles = [format_class().get_title() for format_class in IMPORT_FORMATS]
    assert titles == ["csv", "xlsx", "tsv", "json"]
    for format_class in IMPORT_FORMATS:
        instance = format_class(encoding="utf-8-sig")  # as process_import builds it
        # guess_format.js picks the option whose title is the upload's extension.
        assert instance.get_title() == instance.get_extension()
        assert instance.can_import() and instance.can_export()
        assert instance.is_binary() and instance.get_read_mode() == "rb"
    form = ImportForm(
        IMPORT_FORMATS,
        [_RowsResource],
        data={"format": "1", "resource": "0"},
        files={"import_file": SimpleUploadedFile("a.xlsx", workbook(*TEMPLATE))},
    )
    assert form.is_valid(), form.errors
    assert [label for _value, label in form.fields["format"].choices] == [
        "---",
        "csv",
        "xlsx",
        "tsv",
        "json",
    ]


class _UploadAdmin(ImportMixin):
    """The library's import steps, on no model: enough to run write_to_tmp_storage."""

    from_encoding = "utf-8-sig"


def test_the_admin_keeps_the_upload_as_bytes_between_preview_and_confirmation():
    data = "タイトル,機関\r\n量子,東北大学\r\n".encode("cp932")
    upload = SimpleUploadedFile("協定.csv", data)
    storage = _UploadAdmin().write_to_tmp_storage(upload, SheetCSV())
    try:
        # process_import reads it back as it does for any binary format.
        again = TempFolderStorage(
            name=storage.name, encoding=None, read_mode=SheetCSV().get_read_mode()
        )
        stored = again.read()
        assert stored == data
        dataset = SheetCSV(encoding="utf-8-sig").create_dataset(stored)
    finally:
        storage.remove()
    assert dataset.headers == ["タイトル", "機関"]
    assert dataset.dict == [{"タイトル": "量子", "機関": "東北大学"}]
    assert dataset.table.encoding == "cp932"


def test_create_dataset_keeps_the_table_and_the_bytes():
    data = workbook(*TEMPLATE)
    dataset = SheetXLSX().create_dataset(data)
    assert dataset.headers == ["Title", "Start"]
    assert list(dataset) == [("Quantum", "2019")]
    assert dataset.table.sheet == "Agreements"
    assert dataset.table.rows[0].number == 2
    assert dataset.raw_bytes is data
    other = read_table(
        dataset.raw_bytes, file_format=dataset.table.file_format, sheet="About"
    )
    assert other.headers == ["exported at", "2026-05-01"]


def test_create_dataset_reads_every_format():
    assert SheetTSV().create_dataset(b"a\tb\n1\t2\n").dict == [{"a": "1", "b": "2"}]
    assert SheetJSON().create_dataset(b'[{"a": 1}]').dict == [{"a": "1"}]
    assert SheetCSV().create_dataset("a;b\n1;2\n").dict == [{"a": "1", "b": "2"}]
    assert SheetCSV().create_dataset(b"a\n").dict == []


def test_create_dataset_raises_file_rejected_for_the_admin_to_show():
    with pytest.raises(FileRejected, match="This file is an image"):
        SheetCSV().create_dataset(PNG)
    with pytest.raises(FileRejected, match="not a valid XLSX workbook"):
        SheetXLSX().create_dataset(b"Title\nA\n")


def test_export_as_the_parent_formats_do_as_bytes():
    dataset = tablib.Dataset(
        ["Quantum", "量子", 2019], headers=["title", "title_ja", "start"]
    )
    # With a BOM, so that Excel reads the Japanese as UTF-8.
    assert SheetCSV().export_data(dataset) == CSV().export_data(dataset).encode(
        "utf-8-sig"
    )
    assert SheetTSV().export_data(dataset) == TSV().export_data(dataset).encode(
        "utf-8-sig"
    )
    assert SheetJSON().export_data(dataset) == JSON().export_data(dataset).encode()
    assert (
        SheetCSV(encoding="cp932")
        .export_data(dataset)
        .decode("cp932")
        .startswith("title,title_ja,start")
    )
    for format_class in IMPORT_FORMATS:
        exported = format_class().export_data(dataset)
        assert format_class().create_dataset(exported).dict == [
            {"title": "Quantum", "title_ja": "量子", "start": "2019"}
        ]

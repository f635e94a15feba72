"""What people do with the registry, done in a browser from the first page to the last:
a search narrowed, paged, opened and downloaded; an institution's agreements and their
figures; the language switched mid-search; a spreadsheet from upload to the public
site."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from registry.models import Agreement, PublicationState
from registry.roles import CURATORS, EDITORS
from tests.browser.helpers import (
    exported_rows,
    query,
    results_count,
    sign_in,
    staff,
)
from tests.factories import csv_sheet

pytestmark = pytest.mark.browser


def test_search_filter_facet_paginate_open_and_export(site, page):
    page.goto(f"{site}/agreements/")
    everything = results_count(page)
    # The search box is a combobox once its script runs (suggestions).
    page.get_by_role("combobox", name="Search").fill("university")
    page.get_by_role("button", name="Search", exact=True).click()
    searched = results_count(page)
    assert query(page)["q"] == ["university"]
    assert 0 < searched <= everything

    # The first facet's most frequent choice, by its label and count.
    facet = page.locator("fieldset.facet:not(.years)").first
    option = facet.locator("li").first
    choice_count = int(option.locator(".count").text_content().replace(",", ""))
    option.get_by_role("checkbox").check()
    page.get_by_role("button", name="Apply filters").click()
    assert results_count(page) == choice_count
    narrowed = choice_count
    assert query(page)["q"] == ["university"] and len(query(page)) >= 2

    page.get_by_label("Per page").select_option("10")
    page.get_by_role("button", name="Update").click()
    assert narrowed > 10, "the demo registry gives this search a second page"
    page.locator("nav.pagination").get_by_role("link", name="Next").click()
    assert query(page)["page"] == ["2"]
    assert page.locator(".results-list").get_attribute("start") == "11"

    first = page.locator(".results-list .result h3 a").first
    title = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text() == title
    page.go_back()
    assert query(page)["page"] == ["2"]

    with page.expect_download() as download:
        page.locator(".exports").get_by_role("link", name="CSV").click()
    rows = exported_rows(download.value.path().read_text("utf-8-sig"))
    assert len(rows) == narrowed
    assert any(row["title"] == title for row in rows)


def test_an_institution_its_agreements_and_their_figures(site, page):
    page.goto(f"{site}/institutions/")
    # Sorted by most agreements.
    page.locator("table.directory a").first.click()
    institution_page = page.url
    slug = urlsplit(institution_page).path.rstrip("/").rsplit("/", 1)[-1]
    heading = page.locator("h2", has_text=re.compile(r"\d+ agreements")).inner_text()
    count = int(re.search(r"[\d,]+", heading).group().replace(",", ""))
    assert count > 0

    page.get_by_role("link", name="Search and filter all of them").click()
    assert results_count(page) == count
    assert slug in page.url
    page.get_by_role("link", name=re.compile("See the figures for this search")).click()
    assert urlsplit(page.url).path == "/insights/"
    assert f"{count:,}" in page.locator(".search-summary").inner_text()

    # The institution's page leads to the same figures directly.
    page.goto(institution_page)
    page.get_by_role("link", name="See the figures for these agreements").click()
    assert urlsplit(page.url).path == "/insights/" and slug in page.url
    assert f"{count:,}" in page.locator(".search-summary").inner_text()


def test_switching_language_keeps_the_search(site, page):
    page.goto(f"{site}/agreements/?q=university&sort=title&per_page=10")
    english = results_count(page)
    titles = page.locator(".results-list .result h3 a").all_inner_texts()

    page.locator(".language-switch").get_by_role("link", name="日本語").click()

    assert urlsplit(page.url).path == "/ja/agreements/"
    assert query(page) == {"q": ["university"], "sort": ["title"], "per_page": ["10"]}
    assert page.locator("html").get_attribute("lang") == "ja"
    assert results_count(page) == english
    assert page.locator("#id_q").input_value() == "university"
    assert len(page.locator(".results-list .result").all()) == len(titles)

    page.locator(".language-switch").get_by_role("link", name="English").click()
    assert urlsplit(page.url).path == "/agreements/"
    assert query(page)["q"] == ["university"]


NEW_AGREEMENT = {
    "title": "Coastal resilience field school (browser journey)",
    "classification": "Collaborative",
    # A misspelling no alias covers yet: the preview asks what it means.
    "us_institutions": "Duke Unversity",
    "jp_institutions": "Tohoku University",
    "disciplines": "Earth sciences",
    "activities": "Student exchange",
    "start": "2024-04",
    "source": "Institution websites",
}
HEADERS = list(NEW_AGREEMENT)


def test_a_spreadsheet_from_upload_to_the_public_site(site, browser, tmp_path):
    staff("curator", CURATORS)
    staff("editor", EDITORS)
    sheet = tmp_path / "agreements.csv"
    sheet.write_bytes(csv_sheet([NEW_AGREEMENT], headers=HEADERS))

    curator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(curator, site, "curator")
    curator.goto(f"{site}/admin/registry/agreement/import/")
    curator.locator("input[type=file]").set_input_files(str(sheet))
    curator.get_by_label("Format").select_option(label="csv")
    curator.get_by_role("button", name="Submit").click()

    expect(curator.locator(".import-summary")).to_contain_text("1 with errors")
    assert curator.get_by_role("button", name="Confirm import").count() == 0
    unknown = curator.locator(".import-unresolved tr", has_text="Duke Unversity")
    unknown.get_by_role("button", name=re.compile("^Duke University")).click()
    expect(curator.locator(".messagelist")).to_contain_text(
        "“Duke Unversity” is now an alias of Duke University."
    )
    expect(curator.locator(".import-summary")).to_contain_text("1 row: 1 new")
    curator.get_by_role("button", name="Confirm import").click()
    expect(curator.locator(".messagelist")).to_contain_text("1 new")

    imported = Agreement.objects.get(title=NEW_AGREEMENT["title"])
    assert imported.publication_state == PublicationState.DRAFT
    public_search = f"{site}/agreements/?q=coastal+resilience+field+school"
    curator.goto(public_search)
    assert results_count(curator) == 0
    curator.context.close()

    editor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(editor, site, "editor")
    editor.goto(f"{site}/admin/registry/agreement/?q=coastal+resilience")
    row = editor.locator("#result_list tbody tr", has_text=NEW_AGREEMENT["title"])
    row.get_by_role("checkbox").check()
    editor.locator("select[name=action]").select_option(label="Publish")
    editor.get_by_role("button", name="Go").click()
    editor.get_by_role("button", name="Confirm: Publish").click()
    expect(editor.locator(".messagelist")).to_contain_text("1 record published.")
    editor.context.close()

    visitor = browser.new_context().new_page()
    visitor.goto(public_search)
    assert results_count(visitor) == 1
    visitor.locator(".results-list .result h3 a").first.click()
    assert visitor.locator("h1").inner_text() == NEW_AGREEMENT["title"]
    assert "Duke University" in visitor.content()
    api = visitor.request.get(f"{site}/api/v1/agreements/?q=coastal+resilience+field")
    found = api.json()
    assert api.ok and found["count"] == 1
    assert found["results"][0]["title"] == NEW_AGREEMENT["title"]
    visitor.context.close()

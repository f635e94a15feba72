"""The search box's suggestions, by keyboard alone: type, arrow down, Enter."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.browser.helpers import query

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "typed", "viewport"),
    [("", "京大", DESKTOP), ("/ja", "Tohoku Univ", PHONE)],
    ids=["en-1280", "ja-390"],
)
def test_a_suggestion_is_chosen_by_keyboard(site, browser, language, typed, viewport):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{site}{language}/agreements/")
    box = page.locator("#id_q")
    expect(box).to_have_attribute("role", "combobox")
    box.click()
    box.press_sequentially(typed, delay=40)

    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    first = listbox.get_by_role("option").first
    width = viewport["width"]
    folder = SCREENSHOTS / "suggestions"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"open{language.replace('/', '-')}-{width}.png")
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Enter")

    page.wait_for_url("**/agreements/?*")
    parameters = query(page)
    assert parameters.get("institution") in (
        ["kyoto-university"],
        ["tohoku-university"],
    )
    page.context.close()


def test_escape_closes_the_list_and_the_form_still_searches(site, page):
    page.goto(f"{site}/agreements/")
    box = page.locator("#id_q")
    box.press_sequentially("Kyoto", delay=40)
    expect(page.get_by_role("listbox")).to_be_visible()

    box.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    box.press("Enter")

    page.wait_for_url("**/agreements/?q=Kyoto*")

"""Every public page type, in English and in Japanese, as a phone and a desktop show
it: no sideways scrolling at 390 px, no serious or critical accessibility violation
(axe-core), nothing the Content-Security-Policy blocks, and a screenshot of each at
both widths in the screenshots folder. Then what the keyboard and a phone need of the
search, and what the curators need of the admin at 1280 px."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from registry.engine import published_index
from registry.models import (
    Agreement,
    CaseStudy,
    Institution,
    Organization,
    Program,
)
from registry.roles import EDITORS
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.browser.helpers import sign_in, staff

pytestmark = pytest.mark.browser

AXE = Axe()
# What axe reports that a person would be stopped by.
BLOCKING = {"serious", "critical"}


def public_pages() -> dict[str, str]:
    """One address of each public page type (a record of each kind that has
    published agreements)."""
    agreement = Agreement.objects.published().filter(is_synthetic=False).first()
    index = published_index()
    institution = Institution.objects.get(
        pk=max(index.institution_counts, key=index.institution_counts.get)
    )
    organization = Organization.objects.get(
        pk=max(index.organization_counts, key=index.organization_counts.get)
    )
    return {
        "home": "/",
        "search": "/agreements/",
        "search-filtered": "/agreements/?q=university&classification=collaborative"
        "&us_state=CA&sort=title",
        "search-empty": "/agreements/?q=zzzz-nothing-matches",
        "agreement": agreement.get_absolute_url(),
        "institutions": "/institutions/",
        "institution": institution.get_absolute_url(),
        "organizations": "/organizations/",
        "organization": organization.get_absolute_url(),
        "program": Program.objects.first().get_absolute_url(),
        "insights": "/insights/",
        "case-studies": "/case-studies/",
        "case-study": CaseStudy.objects.published().first().get_absolute_url(),
        "about": "/about/",
    }


def in_language(path: str, language: str) -> str:
    return path if language == "en" else f"/{language}{path}"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_public_page_fits_a_phone_and_passes_axe(site, browser, language):
    problems = []
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    folder = SCREENSHOTS / language
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in public_pages().items():
        address = in_language(path, language)
        page.set_viewport_size(PHONE)
        response = page.goto(site + address)
        if response.status != 200:
            problems.append(f"{address}: HTTP {response.status}")
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{address}: {width} px wide at {PHONE['width']} px")
        page.screenshot(path=folder / f"{name}-390.png", full_page=True)
        for violation in blocking_violations(page):
            problems.append(f"{address} at 390 px: {violation}")
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=folder / f"{name}-1280.png", full_page=True)
        for violation in blocking_violations(page):
            problems.append(f"{address} at 1280 px: {violation}")
        problems += [f"{address}: {text}" for text in blocked]
        blocked.clear()
    context.close()
    assert problems == []


def blocking_violations(page) -> list[str]:
    found = AXE.run(page).response["violations"]
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in found
        if violation["impact"] in BLOCKING
    ]


def test_on_a_phone_the_results_come_first_and_the_filters_open_without_script(
    site, browser
):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(
        f"{site}/agreements/?q=university&classification=collaborative&us_state=CA"
    )

    # The filters fold into one line under the search box; the results follow it,
    # the first on the first screen.
    toggle = page.locator("summary", has_text=re.compile(r"^\s*Filters"))
    expect(toggle).to_have_text(re.compile(r"Filters \(2\)"))
    first_result = page.locator(".results-list .result").first
    assert first_result.bounding_box()["y"] < PHONE["height"]
    checkbox = page.get_by_role("checkbox", name=re.compile("Collaborative"))
    expect(checkbox).to_be_hidden()
    toggle.click()
    expect(checkbox).to_be_visible()
    expect(checkbox).to_be_checked()
    context.close()


def test_the_search_works_by_keyboard_alone_with_a_visible_focus(site, page):
    page.goto(f"{site}/agreements/")
    focus_outline = """() => {
        const style = getComputedStyle(document.activeElement);
        return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    }"""

    # From the top of the page to the search box: a skip link first.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_q":
            break
    assert page.evaluate(focus_outline)
    page.keyboard.type("university")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=university"))

    # On to the first facet's first choice, ticked with the space bar.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(
            "document.activeElement.type === 'checkbox' && "
            "document.activeElement.closest('fieldset.facet') !== null"
        ):
            break
    assert page.evaluate(focus_outline)
    name = page.evaluate("document.activeElement.name")
    page.keyboard.press("Space")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == (
            "Apply filters"
        ):
            break
    assert page.evaluate(focus_outline)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{name}="))


def test_charts_have_text_alternatives(site, page):
    page.goto(f"{site}/insights/")
    charts = page.locator(".chart svg")
    assert charts.count() > 0
    for chart in charts.all():
        labelled = chart.evaluate(
            """svg => svg.getAttribute("role") === "img" && Boolean(
                svg.getAttribute("aria-label") || svg.getAttribute("aria-labelledby")
                || svg.querySelector("title"))"""
        )
        assert labelled, chart.evaluate("svg => svg.outerHTML.slice(0, 200)")
    # Each figure also gives its numbers as a table.
    assert page.locator(".figure table").count() >= charts.count() - 1


ADMIN_PAGES = {
    "home": "/admin/",
    "agreement-changelist": "/admin/registry/agreement/",
    "agreement-add": "/admin/registry/agreement/add/",
    "institution-changelist": "/admin/registry/institution/",
    "organization-changelist": "/admin/registry/organization/",
    "casestudy-changelist": "/admin/registry/casestudy/",
    "agreement-import": "/admin/registry/agreement/import/",
}


def test_the_admin_fits_1280_px(site, page):
    staff("editor", EDITORS)
    sign_in(page, site, "editor")
    agreement = Agreement.objects.filter(is_synthetic=False).order_by("-pk").first()
    pages = {
        **ADMIN_PAGES,
        "agreement-change": f"/admin/registry/agreement/{agreement.pk}/change/",
        "agreement-history": f"/admin/registry/agreement/{agreement.pk}/history/",
        "institution-change": "/admin/registry/institution/"
        f"{Institution.objects.order_by('pk').first().pk}/change/",
    }
    folder = SCREENSHOTS / "admin"
    folder.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, path in pages.items():
        page.goto(site + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > DESKTOP["width"]:
            problems.append(f"{path}: {width} px wide at {DESKTOP['width']} px")
        overlap = page.evaluate(
            """() => {
                const tools = document.querySelector(".object-tools");
                const title = document.querySelector("#content h1, #content h2");
                if (!tools || !title) return false;
                const a = tools.getBoundingClientRect();
                const b = title.getBoundingClientRect();
                return a.left < b.right && b.left < a.right
                    && a.top < b.bottom && b.top < a.bottom;
            }"""
        )
        if overlap:
            problems.append(f"{path}: the object tools overlap the title")
        page.screenshot(path=folder / f"{name}-1280.png", full_page=True)
    assert problems == []

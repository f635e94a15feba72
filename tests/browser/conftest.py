"""The registry in a real browser: Debian's Chromium, driven by Playwright, against a
live server on the test database.

Browsers are never downloaded: Playwright launches the machine's Chromium
(``CHROMIUM``, /usr/bin/chromium by default). Without it these tests skip, except
where ``USJP_REQUIRE_BROWSER`` is set (CI, which installs it): there they fail.

Each test empties the database when it ends (the live server reads only what was
committed), so each starts by loading the reference data and a small synthetic
registry, and the module ends by loading the reference data again for the tests that
follow it.
"""

import os
import shutil
from pathlib import Path

import pytest

from registry.demo import seed_demo_agreements
from registry.reference_data import load_reference_data
from registry.roles import ensure_roles

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Where each public page type is saved at 1280 and 390 px (CI keeps the folder as its
# artifacts; the README names it).
SCREENSHOTS = Path(
    os.environ.get(
        "USJP_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"
    )
)
DEMO_AGREEMENTS = 300
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        message = f"Chromium is not at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("USJP_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package", autouse=True)
def database_beside_the_browser():
    """Playwright's synchronous API runs an event loop in the test's thread, and Django
    refuses database access from a thread with a running loop. The tests' own queries
    (setting up data, reading what a journey wrote) run between browser calls. Only
    for this folder's tests: the deploy check refuses the setting, rightly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def site(live_server, settings, reference_data_at_the_end):
    """The live server's address, with the reference data and a small synthetic
    registry committed. One address asks for every page: no anonymous limits."""
    settings.PAGE_ANON_RATE = None
    settings.EXPORT_ANON_RATE = None
    settings.API_ANON_RATE = None
    load_reference_data()
    ensure_roles()
    seed_demo_agreements(count=DEMO_AGREEMENTS, seed=2021)
    return live_server.url


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) at desktop width; a test that fails
    leaves a screenshot of where it was in the screenshots folder."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()

"""A curator's day in the admin, in a real browser: recording an agreement from a
press release (with a partner organization the registry does not know yet), an editor
publishing it, and a revert from the agreement's history."""

import pytest
from playwright.sync_api import expect

from registry.models import Agreement, Organization, PublicationState
from registry.roles import CURATORS, EDITORS
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.browser.helpers import sign_in, staff
from tests.factories import csv_sheet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Offshore wind turbine materials consortium"


def choose(page, field_id: str, typed: str, option: str) -> None:
    """Pick ``option`` in the admin's autocomplete for the select ``field_id``."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=option).first.click()


def shoot(page, name: str) -> None:
    folder = SCREENSHOTS / "admin"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}-1280.png", full_page=True)


def test_a_press_release_becomes_a_published_agreement(site, browser):
    staff("curator", CURATORS)
    staff("editor", EDITORS)
    curator = browser.new_context(viewport=DESKTOP).new_page()
    curator.set_default_timeout(15_000)
    sign_in(curator, site, "curator")
    curator.goto(f"{site}/admin/registry/agreement/add/")
    curator.get_by_label("Title (English)").fill(TITLE)

    # The parties come right after the title, one empty row of each.
    choose(curator, "id_participants-0-institution", "Tohoku", "Tohoku University")
    curator.locator(".add-row a", has_text="Add another Participant").click()
    choose(
        curator, "id_participants-1-institution", "Michigan", "University of Michigan"
    )
    # The partner is new to the registry: added from the row, in its own window.
    with curator.expect_popup() as opened:
        curator.locator("#add_id_partners-0-organization").click()
    popup = opened.value
    popup.get_by_label("Name (English)").fill("Hokuriku Wind Power Co.")
    popup.get_by_label("Sector").select_option(label="Industry")
    popup.get_by_role("button", name="Save", exact=True).click()
    popup.wait_for_event("close")
    expect(curator.locator("#id_partners-0-organization + .select2")).to_contain_text(
        "Hokuriku Wind Power Co."
    )
    choose(curator, "id_sources-0-data_source", "websites", "Institution websites")
    curator.get_by_label("Why this change?").fill("Press release of 1 December 2026")
    shoot(curator, "agreement-add-filled")
    curator.get_by_role("button", name="Save", exact=True).first.click()
    expect(curator.locator(".messagelist")).to_contain_text("was added successfully")

    agreement = Agreement.objects.get(title=TITLE)
    assert agreement.publication_state == PublicationState.DRAFT
    # Left blank, the classification followed the partner.
    assert agreement.classification == "consortium"
    assert Organization.objects.filter(name="Hokuriku Wind Power Co.").exists()
    (created,) = agreement.history.all()
    assert created.history_change_reason == "Press release of 1 December 2026"
    assert len(created.parts["participants"]) == 2
    curator.context.close()

    editor = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(editor, site, "editor")
    editor.goto(f"{site}/admin/")
    shoot(editor, "admin-home")
    editor.goto(f"{site}/admin/registry/agreement/?q=offshore+wind")
    row = editor.locator("#result_list tbody tr", has_text=TITLE)
    row.get_by_role("checkbox").check()
    editor.locator("select[name=action]").select_option(label="Publish")
    editor.get_by_role("button", name="Go").click()
    editor.get_by_label("Why?").fill("Checked against the university's page")
    editor.get_by_role("button", name="Confirm: Publish").click()
    expect(editor.locator(".messagelist")).to_contain_text("1 record published.")
    editor.context.close()

    visitor = browser.new_context().new_page()
    visitor.goto(f"{site}{agreement.get_absolute_url()}")
    assert visitor.locator("h1").inner_text() == TITLE
    assert "Hokuriku Wind Power Co." in visitor.content()
    visitor.context.close()


def test_an_editor_reverts_a_change_from_the_history(site, page):
    staff("editor", EDITORS)
    sign_in(page, site, "editor")
    agreement = Agreement.objects.filter(is_synthetic=False).order_by("pk").first()
    change = f"{site}/admin/registry/agreement/{agreement.pk}/change/"
    original_title = agreement.title
    participants = sorted(
        agreement.participants.values_list("institution__name", flat=True)
    )
    page.goto(change)
    page.get_by_label("Title (English)").fill(f"{original_title} (wrong)")
    page.locator(".field-title_ja input").fill("")
    page.get_by_label("Why this change?").fill("A careless edit")
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.get_by_role("link", name="History").click()
    expect(page.locator(".version-changes").first).to_contain_text("(wrong)")
    shoot(page, "agreement-history")
    page.get_by_role("button", name="Compare the chosen versions").click()
    expect(page.locator(".version-diff")).to_contain_text(f"{original_title} (wrong)")
    shoot(page, "agreement-compare")
    page.go_back()
    versions = page.locator(".version-list tbody tr")
    versions.nth(1).get_by_role("link", name="Version").click()
    shoot(page, "agreement-version")
    page.get_by_label("Why revert?").fill("Undo the careless edit")
    page.get_by_role("button", name="Revert to version").click()
    expect(page.locator(".messagelist")).to_contain_text("is back to version")

    agreement.refresh_from_db()
    assert agreement.title == original_title
    assert (
        sorted(agreement.participants.values_list("institution__name", flat=True))
        == participants
    )
    newest = agreement.history.latest("history_date", "history_id")
    assert newest.history_change_reason.endswith(": Undo the careless edit")


def test_an_import_update_shows_each_change_and_erases_only_what_is_cleared(
    site, page, tmp_path
):
    staff("editor", EDITORS)
    agreement = Agreement.objects.filter(is_synthetic=False).order_by("pk").first()
    title_ja = agreement.title_ja
    sheet = tmp_path / "update.csv"
    sheet.write_bytes(
        csv_sheet(
            [
                {
                    "public_id": agreement.public_id,
                    "title": agreement.title,
                    "title_ja": "",
                    "summary": "(clear)",
                    "end": "2027-03",
                }
            ],
            headers=["public_id", "title", "title_ja", "summary", "end"],
        )
    )
    sign_in(page, site, "editor")
    page.goto(f"{site}/admin/registry/agreement/import/")
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_label("Format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()

    changes = page.locator(".import-changes")
    expect(changes).to_contain_text("(blank)")
    expect(changes).to_contain_text("2027-03")
    shoot(page, "agreement-import-update-preview")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text("1 updated")

    agreement.refresh_from_db()
    assert agreement.summary == ""
    assert agreement.title_ja == title_ja
    assert agreement.end_date.isoformat() == "2027-03-31"

"""What the browser tests read off pages, and the staff they sign in as."""

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


def results_count(page) -> int:
    """The number the results heading gives ("1,234 agreements", "1,234件…")."""
    heading = page.locator("#results-heading").inner_text()
    return int(re.search(r"[\d,]+", heading).group().replace(",", ""))


def exported_rows(text: str) -> list[dict]:
    """A CSV export's records, between the lines that say what was searched and when
    and the line that counts them, which must agree."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    footer = lines.pop()
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    assert footer.strip() == f"# rows exported: {len(rows)}"
    return rows


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def staff(username: str, group: str):
    user = get_user_model().objects.create_user(
        username=username, password="a-Long-password-2026", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def sign_in(page, site, username):
    page.goto(f"{site}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a-Long-password-2026")
    page.get_by_role("button", name="Log in").click()
    assert page.url.rstrip("/").endswith("/admin")

"""The registry in Japanese: the catalogue is complete and current, /ja/ pages speak
Japanese, the switcher keeps the search, names and numbers follow the page's language,
and Japanese searches find what their English counterparts find."""

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.urls import reverse
from django.utils import translation

from registry.display import money_label, partial_date_label
from registry.models import (
    ActivityType,
    Agreement,
    CaseStudy,
    Discipline,
    Institution,
    PublicationState,
)
from registry.search import refresh_agreement_index
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db

REPOSITORY = Path(__file__).resolve().parent.parent
CATALOGUE = REPOSITORY / "locale" / "ja" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")


def catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


# -- the catalogue ---------------------------------------------------------------------


def test_every_message_has_a_japanese_translation():
    """No empty and no fuzzy entry: a string without Japanese fails here."""
    missing, fuzzy = [], []
    for message in catalogue():
        if not message.id:
            continue
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if not all(strings):
            missing.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_translations_keep_every_placeholder():
    wrong = []
    for message in catalogue():
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        for string in strings:
            if placeholders(english) != placeholders(string):
                wrong.append((english, string))
    assert not wrong, wrong[:5]


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("USJP_REQUIRE_GETTEXT"),
    reason="makemessages needs GNU gettext (apt-get install gettext)",
)
def test_the_catalogue_holds_every_string_of_the_code(tmp_path):
    """Collecting the strings anew (makemessages, in a copy) finds none that the
    committed catalogue lacks: a string added without its translation fails here."""
    for name in ("registry", "templates", "usjp_site", "locale"):
        shutil.copytree(
            REPOSITORY / name,
            tmp_path / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
        )
    shutil.copy(REPOSITORY / "manage.py", tmp_path)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "ja",
            "--no-obsolete",
            "--verbosity",
            "0",
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "usjp_site.settings",
        },
        check=True,
    )
    with (tmp_path / "locale/ja/LC_MESSAGES/django.po").open("rb") as file:
        collected = {(m.context, str(m.id)) for m in read_po(file) if m.id}
    committed = {(m.context, str(m.id)) for m in catalogue() if m.id}
    assert collected - committed == set(), "run `make messages` and translate them"


# -- pages in Japanese ----------------------------------------------------------------


class VisibleText(HTMLParser):
    """The text a reader sees: no scripts, styles, or attributes, and nothing marked
    as another language (the switcher's "English")."""

    HIDDEN = {"script", "style", "title"}

    def __init__(self):
        super().__init__()
        self.parts, self.hidden, self.open = [], 0, []

    def handle_starttag(self, tag, attrs):
        hidden = tag in self.HIDDEN or dict(attrs).get("lang", "ja") != "ja"
        if tag not in {"input", "br", "img", "link", "meta", "hr"}:
            self.open.append(hidden)
        self.hidden += hidden

    def handle_endtag(self, tag):
        if tag not in {"input", "br", "img", "link", "meta", "hr"} and self.open:
            self.hidden -= self.open.pop()

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


# UI words that, standing alone in a /ja/ page's text, mean a string escaped the
# catalogue (proper names are matched whole, so "University" in a name is not one).
ENGLISH_UI = re.compile(
    r"\b(Search|Filters?|Agreements?|Download|Sort by|Per page|Next|Previous|"
    r"Language|Share|Institutions?|Organizations?|Insights|Case studies|About|"
    r"Status|Classification|Discipline|Activity|Start|End|Funding|Sources?|"
    r"published|results?|Figures?|Table|Chart)\b"
)
PROPER_NAMES = re.compile(
    r"U\.S\.|USJP|HEES|ACE|API|OpenAPI|CSV|XLSX|JSON|SVG|ROR|IPEDS|MEXT|JSPS|"
    r"\bUSJP-\d+"
)


@pytest.fixture
def bilingual_world(db):
    agreement = make_agreement(
        title="Quantum sensing consortium",
        title_ja="量子センシング・コンソーシアム",
        us=("harvard-university",),
        jp=("tohoku-university",),
        partners=("japan-science-and-technology-agency",),
        start_date=dt.date(2019, 4, 1),
        start_precision="month",
        funding_amount=Decimal("120000000"),
        funding_currency="JPY",
        published_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    agreement.disciplines.set(Discipline.objects.filter(slug="quantum-sciences"))
    agreement.activity_types.set(ActivityType.objects.filter(slug="scholar-exchange"))
    refresh_agreement_index(agreement_ids=[agreement.pk])
    return agreement


def japanese_pages(agreement):
    study = CaseStudy.objects.get(slug="nagoya-medical-clerkships")
    return [
        "/ja/",
        "/ja/agreements/?q=東北大学&classification=consortium&discipline=natural-sciences",
        f"/ja{agreement.get_absolute_url()}",
        "/ja/institutions/tohoku-university/",
        "/ja/organizations/japan-science-and-technology-agency/",
        "/ja/programs/us-japan-cooperative-medical-science-program/",
        f"/ja{study.get_absolute_url()}",
        "/ja/insights/?classification=consortium",
        "/ja/about/",
        "/ja/case-studies/",
        "/ja/institutions/",
        "/ja/organizations/",
    ]


def test_each_kind_of_japanese_page_shows_no_english_ui_text(client, bilingual_world):
    english_strings = {
        str(m.id)
        for m in catalogue()
        if m.id and isinstance(m.id, str) and len(m.id) > 3 and m.string != m.id
    }
    for url in japanese_pages(bilingual_world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "ja"
        html = response.content.decode()
        assert '<html lang="ja">' in html
        for text in visible_text(html):
            assert text not in english_strings, (url, text)
            # A UI word outside a proper name is a string that escaped translation.
            cleaned = PROPER_NAMES.sub("", text)
            if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", cleaned):
                continue  # Japanese text, perhaps with a name in it
            names = (
                Institution.objects.filter(name=text).exists()
                or Agreement.objects.filter(title=text).exists()
            )
            if not names:
                assert not ENGLISH_UI.search(cleaned), (url, text)


def test_names_follow_the_page_language_with_english_beside(client, bilingual_world):
    page = client.get(f"/ja{bilingual_world.get_absolute_url()}").content.decode()
    assert "<h1>量子センシング・コンソーシアム</h1>" in page
    assert "Quantum sensing consortium" in page  # the other language, beside it
    assert "東北大学" in page and "ハーバード大学" in page
    assert "量子科学" in page  # the discipline
    institution = client.get("/ja/institutions/harvard-university/").content.decode()
    assert "<h1>ハーバード大学</h1>" in institution


def test_dates_and_amounts_are_written_for_the_language():
    with translation.override("ja"):
        assert partial_date_label(dt.date(2019, 4, 1), "month") == "2019年4月"
        assert partial_date_label(dt.date(2019, 4, 15), "day") == "2019年4月15日"
        assert partial_date_label(dt.date(2019, 1, 1), "year") == "2019年"
        assert money_label(Decimal("1200000"), "USD") == "1,200,000ドル"
        assert money_label(Decimal("120000000"), "JPY") == "1億2,000万円"
        assert money_label(Decimal("5000000"), "JPY") == "500万円"
        assert money_label(Decimal("1234567"), "JPY") == "123万4,567円"
    with translation.override("en"):
        assert partial_date_label(dt.date(2019, 4, 1), "month") == "April 2019"
        assert money_label(Decimal("1200000"), "USD") == "$1,200,000"
        assert money_label(Decimal("120000000"), "JPY") == "¥120,000,000"


def test_the_agreement_page_shows_japanese_dates_and_amounts(client, bilingual_world):
    page = client.get(f"/ja{bilingual_world.get_absolute_url()}").content.decode()
    assert "2019年4月" in page and "1億2,000万円" in page


# -- addresses, switcher, first visit --------------------------------------------------


def test_english_addresses_keep_working_and_japanese_ones_are_prefixed(client):
    assert client.get("/agreements/").status_code == 200
    assert client.get("/ja/agreements/").status_code == 200
    with translation.override("en"):
        assert reverse("registry:agreement_list") == "/agreements/"
    with translation.override("ja"):
        assert reverse("registry:agreement_list") == "/ja/agreements/"


def test_the_switcher_keeps_the_search_and_the_page(client, bilingual_world):
    query = "?q=%E6%9D%B1%E5%8C%97&discipline=natural-sciences&page=1"
    page = client.get(f"/agreements/{query}").content.decode()
    assert f'href="/ja/agreements/{query.replace("&", "&amp;")}"' in page
    back = client.get(f"/ja/agreements/{query}").content.decode()
    assert f'href="/agreements/{query.replace("&", "&amp;")}"' in back


def test_every_page_names_its_other_language_versions(client):
    page = client.get("/insights/?classification=consortium").content.decode()
    assert (
        '<link rel="alternate" hreflang="ja" '
        'href="http://testserver/ja/insights/?classification=consortium">'
    ) in page
    assert 'hreflang="en" href="http://testserver/insights/' in page
    assert 'hreflang="x-default"' in page


def test_a_first_visit_follows_the_browser_language(client):
    response = client.get(
        "/agreements/?q=quantum", headers={"accept-language": "ja,en;q=0.8"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/ja/agreements/?q=quantum"
    assert "Accept-Language" in response["Vary"]


def test_a_visitor_who_chose_english_stays_in_english(client):
    client.get("/ja/")  # remembered: the last page was Japanese
    client.get("/")  # then English, by the switcher
    response = client.get("/agreements/", headers={"accept-language": "ja"})
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_an_english_browser_is_not_redirected(client):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert response.status_code == 200


# -- the API in Japanese ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["query", "header"])
def test_the_api_gives_japanese_labels_on_request(client, bilingual_world, how):
    url = "/api/v1/agreements/stats/?group_by=jp_institution"
    if how == "query":
        response = client.get(url + "&lang=ja")
    else:
        response = client.get(url, headers={"accept-language": "ja"})
    labels = {group["label"] for group in response.json()["groups"]}
    assert "東北大学" in labels
    classification = client.get(
        "/api/v1/agreements/stats/?group_by=classification&lang=ja"
    ).json()
    assert {g["label"] for g in classification["groups"]} <= {
        "大学間連携型",
        "コンソーシアム型",
    }
    english = client.get(url).json()
    assert "Tohoku University" in {group["label"] for group in english["groups"]}


# -- search parity ---------------------------------------------------------------------


def ids(client, q, prefix=""):
    response = client.get(f"{prefix}/api/v1/agreements/", {"q": q, "page_size": 500})
    return {row["public_id"] for row in response.json()["results"]}


@pytest.fixture
def parity_world(db):
    """Agreements that name each concept in one language or the other, and some that
    name none of them."""
    made = []
    for title, title_ja, us, jp, disciplines in [
        (
            "Clinical medicine exchange",
            "",
            ("harvard-university",),
            ("kyoto-university",),
            ("clinical-medicine",),
        ),
        (
            "Hospital partnership",
            "附属病院の医学連携",
            ("stanford-university",),
            ("osaka-university",),
            (),
        ),
        (
            "Quantum materials",
            "",
            ("massachusetts-institute-of-technology",),
            ("tohoku-university",),
            ("quantum-sciences",),
        ),
        (
            "Sensing program",
            "量子センシング",
            ("stanford-university",),
            ("the-university-of-tokyo",),
            (),
        ),
        (
            "Earthquake research",
            "",
            ("stanford-university",),
            ("tohoku-university",),
            ("disaster-science-and-management",),
        ),
        (
            "Resilience program",
            "防災研究",
            ("harvard-university",),
            ("kyoto-university",),
            (),
        ),
        (
            "Ocean observation",
            "",
            ("massachusetts-institute-of-technology",),
            ("osaka-university",),
            (),
        ),
    ]:
        agreement = make_agreement(title=title, title_ja=title_ja, us=us, jp=jp)
        agreement.disciplines.set(Discipline.objects.filter(slug__in=disciplines))
        refresh_agreement_index(agreement_ids=[agreement.pk])
        made.append(agreement)
    return made


@pytest.mark.parametrize(
    "japanese, english",
    [
        ("東北大学", "Tohoku University"),
        ("ハーバード", "Harvard"),
        ("医学", "medicine"),
        ("防災", "disaster"),
        ("量子", "quantum"),
    ],
)
def test_japanese_and_english_searches_find_the_same_agreements(
    client, parity_world, japanese, english
):
    found = ids(client, english)
    assert found, english
    assert ids(client, japanese) == found


@pytest.mark.parametrize("romanized", ["Tōhoku", "Tohoku daigaku", "ＴＯＨＯＫＵ"])
def test_romanized_japanese_finds_japanese_named_records(
    client, parity_world, romanized
):
    assert ids(client, romanized) == ids(client, "東北大学")


def test_discipline_and_activity_labels_are_searchable_in_both_languages(
    client, bilingual_world
):
    public_id = bilingual_world.public_id
    for q in ("量子科学", "Quantum sciences", "研究者交流", "scholar exchange"):
        assert public_id in ids(client, q), q


def test_a_draft_is_found_in_no_language(client, parity_world):
    draft = make_agreement(
        title="Quantum draft", title_ja="量子の下書き", state=PublicationState.DRAFT
    )
    assert draft.public_id not in ids(client, "量子")
    assert draft.public_id not in ids(client, "quantum")


def test_a_japanese_figure_links_to_japanese_api_labels(client, bilingual_world):
    from django.http import QueryDict

    from registry import insights

    with translation.override("ja"):
        (figure,) = insights.figures(QueryDict(""), slugs=["jp-campus"])
    assert "lang=ja" in figure.api_url
    labels = {g["label"] for g in client.get(figure.api_url).json()["groups"]}
    assert "東北大学" in labels
    assert {row.cells[0].text for row in figure.rows} <= labels

"""Names in the search box read as the filters they mean (registry.query_reading),
the same on the page, the API, exports and the engine's SQL fallback; the page shows
them as chips that can be taken away, and never guesses between two records."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from registry.engine import published_index
from registry.filtersets import AgreementFilterSet
from registry.models import Agreement
from registry.query_reading import read_query
from tests.factories import make_agreement

pytestmark = pytest.mark.django_db


def meant(text):
    reading = read_query(text)
    return [(u.meaning.param, u.meaning.value) for u in reading.understood], reading


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("Kyoto University", [("institution", "kyoto-university")]),
        ("京大", [("institution", "kyoto-university")]),
        ("ｋｙｏｔｏ　ｕｎｉｖｅｒｓｉｔｙ", [("institution", "kyoto-university")]),
        ("国立大学法人東北大学", [("institution", "tohoku-university")]),
        ("国立大学法人 東北大学", [("institution", "tohoku-university")]),
        ("ヴァージニア大学", [("institution", "university-of-virginia")]),
        ("カーネギー・メロン大学", [("institution", "carnegie-mellon-university")]),
        ("Harvard Medical School", [("institution", "harvard-university")]),
        ("宮城県", [("jp_prefecture", "miyagi")]),
        ("宮城", [("jp_prefecture", "miyagi")]),
        ("カリフォルニア州", [("us_state", "CA")]),
        ("Aichi Prefecture", [("jp_prefecture", "aichi")]),
    ],
)
def test_a_name_is_read_as_the_filter_it_means(text, filters):
    found, reading = meant(text)

    assert found == filters
    assert reading.rest == ""


def test_the_words_beside_a_name_stay_text():
    found, reading = meant("Tohoku University tsunami sensing")

    assert found == [("institution", "tohoku-university")]
    assert reading.rest == "tsunami sensing"


def test_a_short_japanese_name_is_never_read_inside_another():
    """京大 is Kyoto University's alias, not two characters of 東京大学."""
    found, _reading = meant("京大")

    assert ("institution", "the-university-of-tokyo") not in found


def test_a_name_of_two_records_is_not_guessed():
    found, reading = meant("Washington")

    assert found == []
    (phrase, candidates), *_ = reading.ambiguous
    assert phrase == "Washington"
    assert {(c.param, c.value) for c in candidates} >= {
        ("institution", "university-of-washington"),
        ("us_state", "WA"),
    }
    assert reading.rest == "Washington"


def search(params):
    return AgreementFilterSet(
        QueryDict(urlencode(params), mutable=True),
        queryset=Agreement.objects.published(),
    )


@pytest.fixture
def registry_with_kyoto(db):
    return {
        "kyoto": make_agreement(title="Kyoto and Harvard", jp=("kyoto-university",)),
        "tokyo": make_agreement(
            title="Tokyo and Harvard", jp=("the-university-of-tokyo",)
        ),
        "education": make_agreement(
            title="Teacher training", jp=("kyoto-university-of-education",)
        ),
    }


@pytest.mark.parametrize("text", ["Kyoto University", "京大", "京都大学"])
def test_the_search_finds_the_institution_not_its_words(registry_with_kyoto, text):
    filterset = search({"q": text})
    found = published_index().search(filterset.criteria(), facet_dimensions={})
    by_engine = set(found.ids.tolist())
    by_sql = set(filterset.qs.values_list("pk", flat=True))

    assert by_engine == by_sql == {registry_with_kyoto["kyoto"].pk}


def test_every_word_as_text_when_asked(registry_with_kyoto):
    filterset = search({"q": "Kyoto University", "words": "true"})

    assert filterset.reading.understood == []
    found = set(filterset.qs.values_list("pk", flat=True))
    assert {registry_with_kyoto["kyoto"].pk, registry_with_kyoto["education"].pk} <= (
        found
    )


def test_a_name_and_the_same_filter_chosen_narrow_together(registry_with_kyoto):
    """A name read in the words is one more condition: beside another institution
    ticked, it narrows (AND), as two filters do, rather than widening (OR)."""
    filterset = search(
        {"q": "Kyoto University", "institution": "the-university-of-tokyo"}
    )

    assert list(filterset.qs) == []


def test_the_page_shows_a_chip_that_takes_the_filter_away(client, registry_with_kyoto):
    response = client.get("/agreements/", {"q": "Kyoto University quantum"})

    page = response.content.decode()
    assert 'class="chip"' in page
    assert "Kyoto University" in page
    assert 'href="?q=quantum"' in page
    assert 'href="?q=Kyoto+University+quantum&amp;words=true"' in page


def test_an_ambiguous_name_offers_its_candidates(client, registry_with_kyoto):
    response = client.get("/agreements/", {"q": "Washington"})

    page = response.content.decode()
    assert "“Washington” could be more than one:" in page
    assert "institution=university-of-washington" in page


def test_the_api_reads_names_as_the_page_does_and_says_so(client, registry_with_kyoto):
    response = client.get("/api/v1/agreements/", {"q": "京大 teacher"})

    body = response.json()
    assert body["interpreted"] == {
        "filters": [
            {
                "parameter": "institution",
                "value": "kyoto-university",
                "name": "Kyoto University",
                "words": "京大",
            }
        ],
        "text": "teacher",
        "ambiguous": [],
    }
    as_text = client.get("/api/v1/agreements/", {"q": "京大", "words": "true"}).json()
    assert as_text["interpreted"]["filters"] == []
    assert client.get("/api/v1/agreements/", {"q": "京大"}).json()["count"] == 1


def test_suggestions_begin_with_the_words_an_exact_name_first(client, db):
    response = client.get("/suggest/", {"q": "京大"})

    suggestions = response.json()["suggestions"]
    first = suggestions[0]
    assert (first["parameter"], first["value"]) == ("institution", "kyoto-university")
    assert first["url"] == "/agreements/?institution=kyoto-university"
    assert first["kind"] == "Institution (either country)"


def test_suggestions_list_every_kind_of_name_once(client, db):
    suggestions = client.get("/suggest/", {"q": "Toho"}).json()["suggestions"]

    values = [(s["parameter"], s["value"]) for s in suggestions]
    assert ("institution", "tohoku-university") in values
    assert len(values) == len(set(values)) <= 8


def test_suggestions_in_japanese_name_records_in_japanese(client, db):
    suggestions = client.get("/ja/suggest/", {"q": "Tohoku Univ"}).json()["suggestions"]

    assert suggestions[0]["label"] == "東北大学"


def test_no_words_no_suggestions(client, db):
    assert client.get("/suggest/", {"q": "  "}).json()["suggestions"] == []

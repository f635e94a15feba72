"""Text matched and ranked in the search index (registry.text_index): what a query
finds, in what order, and how the postings follow edits."""

import numpy as np
import pytest

from registry import engine
from registry.models import Agreement, SearchIndexVersion
from registry.search import refresh_agreement_index
from registry.text_index import best_first
from tests.factories import make_agreement


def found(text: str) -> list[str]:
    """Titles of the published agreements ``text`` finds, best first."""
    index = engine.published_index()
    keep, scores = index.text.match(text, index.ids)
    ids = index.ids[best_first(np.flatnonzero(keep), scores, index.ids)].tolist()
    titles = dict(Agreement.objects.filter(pk__in=ids).values_list("pk", "title"))
    return [titles[pk] for pk in ids]


@pytest.fixture
def fresh_index():
    """Every test reads an index of what it made (a rolled-back test may leave a
    version number with other contents)."""
    engine.forget_published_index()
    yield
    engine.forget_published_index()


def test_a_word_finds_the_words_it_begins(db, fresh_index):
    make_agreement(title="Zephyrine partnership for glaciers")
    make_agreement(title="Zephyrines in partnering labs")

    assert set(found("zephyrine partner")) == {
        "Zephyrine partnership for glaciers",
        "Zephyrines in partnering labs",
    }
    assert found("zephyrines") == ["Zephyrines in partnering labs"]
    assert found("ephyrine") == []  # inside a word is not the start of one


def test_japanese_matches_by_bigrams_and_their_prefixes(db, fresh_index):
    make_agreement(title="Rare alloy study", title_ja="希少合金の共同研究")

    assert found("希少合金") == ["Rare alloy study"]
    assert found("希") == ["Rare alloy study"]  # begins the bigram 希少
    assert found("少合") == ["Rare alloy study"]
    assert found("合希") == []


def test_every_word_of_the_query_must_match(db, fresh_index):
    make_agreement(title="Xylophone acoustics")
    make_agreement(title="Xylophone tuning")

    assert found("xylophone tuning") == ["Xylophone tuning"]
    assert found("xylophone nothing") == []


def test_a_title_word_ranks_above_the_same_word_among_the_names(db, fresh_index):
    """BM25 over weighted counts: the title counts TITLE_WEIGHT times."""
    make_agreement(title="Marine biology with Kyoto", jp=("tohoku-university",))
    make_agreement(title="Marine biology", jp=("kyoto-university",))

    assert found("marine kyoto") == ["Marine biology with Kyoto", "Marine biology"]


def test_a_rarer_word_weighs_more(db, fresh_index):
    """Two agreements each match one of two words equally; the one holding the word
    fewer agreements hold comes first (idf)."""
    for number in range(4):
        make_agreement(title=f"Quokka survey {number}")
    make_agreement(title="Wombat survey")
    make_agreement(title="Quokka survey special")

    ranked = found("survey")
    assert len(ranked) == 6
    index = engine.published_index()
    keep, scores = index.text.match("wombat quokka", index.ids)
    assert not keep.any()  # both words are needed
    by_word = {word: scores_of(index, word) for word in ("wombat", "quokka")}
    assert by_word["wombat"] > by_word["quokka"]


def scores_of(index, word: str) -> float:
    keep, scores = index.text.match(word, index.ids)
    return float(scores[keep].max())


def test_equal_scores_list_the_newest_first(db, fresh_index):
    first = make_agreement(title="Narwhal tusks")
    second = make_agreement(title="Narwhal tusks")

    index = engine.published_index()
    keep, scores = index.text.match("narwhal", index.ids)
    ids = index.ids[best_first(np.flatnonzero(keep), scores, index.ids)].tolist()
    assert ids == [second.pk, first.pk]


def test_a_public_id_finds_that_agreement_alone(db, fresh_index):
    agreement = make_agreement(title="Found by its number")

    assert found(agreement.public_id.lower()) == ["Found by its number"]
    assert found("USJP-99999999999999999999999") == []


def test_equivalent_words_find_each_other(db, fresh_index):
    make_agreement(title="Regenerative medicine consortium")

    assert "Regenerative medicine consortium" in found("医学")


def test_a_withdrawn_agreement_leaves_the_text_index_and_its_words_the_vocabulary(
    db, fresh_index
):
    agreement = make_agreement(title="Quillwort ecology")
    assert found("quillwort") == ["Quillwort ecology"]
    before = engine.published_index()

    Agreement.objects.filter(pk=agreement.pk).update(publication_state="withdrawn")
    refresh_agreement_index(agreement_ids=[agreement.pk])
    engine._checked_at = 0.0
    after = engine.published_index()

    assert after.version == SearchIndexVersion.current() != before.version
    assert found("quillwort") == []
    assert b"quillwort" not in after.text.tokens()


def test_an_edited_title_is_found_by_its_new_words_only(db, fresh_index):
    agreement = make_agreement(title="Axolotl genetics")
    assert found("axolotl") == ["Axolotl genetics"]

    Agreement.objects.filter(pk=agreement.pk).update(
        title="Salamander genetics", search_title="salamander genetics"
    )
    refresh_agreement_index(agreement_ids=[agreement.pk])
    engine._checked_at = 0.0

    assert found("axolotl") == []
    assert found("salamander") == ["Salamander genetics"]


def test_postings_stay_in_position_order_under_updates(db, fresh_index):
    """Each token's postings are sorted positions (the binary searches rely on it),
    after agreements are added among existing ones and withdrawn."""
    made = [make_agreement(title=f"Pangolin study {n}") for n in range(6)]
    engine.published_index()
    Agreement.objects.filter(pk=made[2].pk).update(publication_state="withdrawn")
    refresh_agreement_index(agreement_ids=[made[2].pk])
    make_agreement(title="Pangolin study late")
    engine._checked_at = 0.0
    text = engine.published_index().text

    for code in range(len(text.starts) - 1):
        postings = text.positions[text.starts[code] : text.starts[code + 1]]
        assert np.all(np.diff(postings) > 0), text.token(code)
    assert len(found("pangolin")) == 6

"""Every facet option can be chosen: a long list folds to its largest options with
"Show all N", which lists them all and narrows them by name without a script; what is
chosen is listed first and shown above the results as chips that take it away."""

import re

import pytest

from registry.demo import seed_demo_agreements
from tests.test_search_pages import facet_options, get_page, result_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(db):
    seed_demo_agreements(count=300, seed=1)


def options_of(page, name):
    return [option for option in facet_options(page) if option[0] == name]


def test_a_long_facet_shows_its_largest_and_offers_all_of_them(client, registry):
    folded = get_page(client, "/agreements/")
    shown = options_of(folded, "jp_institution")
    assert len(shown) == 12

    every = get_page(client, "/agreements/?all=jp_institution")
    listed = options_of(every, "jp_institution")

    assert len(listed) > 12
    assert f"Show all {len(listed)}" in folded
    # The 13th can be chosen, and its count is what choosing it finds.
    _name, value, _label, count = listed[12]
    assert result_count(get_page(client, f"/agreements/?jp_institution={value}")) == (
        count
    )


def test_the_list_of_all_is_narrowed_by_name_without_a_script(client, registry):
    page = get_page(client, "/agreements/?all=jp_institution&narrow=kyoto")

    labels = [label for _n, _v, label, _c in options_of(page, "jp_institution")]
    assert labels and all("kyoto" in label.lower() for label in labels)
    assert 'name="narrow" value="kyoto"' in page


def test_a_chosen_option_is_listed_first_and_shown_as_a_chip(client, registry):
    every = options_of(
        get_page(client, "/agreements/?all=jp_institution"), "jp_institution"
    )
    _name, value, label, _count = every[-1]  # the smallest

    page = get_page(client, f"/agreements/?q=research&jp_institution={value}")

    assert options_of(page, "jp_institution")[0][1] == value
    chips = re.search(r'<p class="chips chosen">(.*?)</p>', page, re.S).group(1)
    assert label in chips
    assert 'href="?q=research"' in page  # its chip takes it away, the words stay


def test_clear_all_keeps_the_words(client, registry):
    page = get_page(
        client, "/agreements/?q=research&classification=consortium&status=ended"
    )

    assert page.count('class="chip-remove"') >= 2
    assert 'href="?q=research" class="as-text">Clear all</a>' in page


def test_an_unknown_facet_to_show_whole_is_ignored(client, registry):
    page = get_page(client, "/agreements/?all=not-a-facet&narrow=x")

    assert len(options_of(page, "jp_institution")) == 12

"""What the search page says of a search besides its results: the names it read in
the words (registry.query_reading) as chips, the options chosen in its facets as chips
that take them away, and which facet lists all its options."""

from urllib.parse import urlencode

from django import forms
from django.http import QueryDict

from .names import fold_width


class FacetDisplayForm(forms.Form):
    """How the page shows its facets (not what it searches): ``all`` names the facet
    whose every option is listed, ``narrow`` the words its list is narrowed to."""

    all = forms.ChoiceField(required=False)
    narrow = forms.CharField(required=False, max_length=100, strip=True)

    def __init__(self, *args, facets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["all"].choices = [("", "")] + [(name, name) for name in facets]

    def choices(self) -> dict:
        if not self.is_valid():
            return {}
        return {
            "expanded": self.cleaned_data["all"],
            "narrow": self.cleaned_data["narrow"] if self.cleaned_data["all"] else "",
        }


def chosen_chips(params: QueryDict, facets) -> list[dict]:
    """Each chosen option of the facets, with the search's address without it."""
    chips = []
    for facet in facets:
        for option in facet.options:
            if not option.selected or option.value == "":
                continue
            kept = params.copy()
            # Slugs and codes are read in any case (us_state=ca).
            kept.setlist(
                facet.name,
                [
                    value
                    for value in params.getlist(facet.name)
                    if value.casefold() != option.value.casefold()
                ],
            )
            kept.pop("page", None)
            chips.append(
                {"kind": facet.label, "name": option.label, "without": kept.urlencode()}
            )
    return chips


def describe_understanding(filterset) -> dict:
    """What the page says of the names it read in the search's words: each as a chip
    (its filter, its name, the words without it), the names it did not guess
    between with their candidates, and whether every word is searched as text."""
    filterset.is_valid()
    text = filterset.form.cleaned_data.get("q") or ""
    reading = filterset.reading

    def without(phrase):
        return " ".join(fold_width(text).replace(phrase, " ", 1).split())

    return {
        "chips": [
            {
                "kind": filterset.filters[item.meaning.param].label,
                "name": item.meaning.label,
                "phrase": item.phrase,
                "without": without(item.phrase),
            }
            for item in reading.understood
        ],
        "ambiguous": [
            {
                "phrase": phrase,
                "without": without(phrase),
                "candidates": [
                    {
                        "kind": filterset.filters[meaning.param].label,
                        "name": meaning.label,
                        "param": meaning.param,
                        "value": meaning.value,
                    }
                    for meaning in meanings
                ],
            }
            for phrase, meanings in reading.ambiguous
        ],
        "words_only": bool(filterset.form.cleaned_data.get("words")),
    }


def cleared_search(params: QueryDict) -> str:
    """The search's address with every filter cleared and its words kept."""
    words = params.get("q", "")
    return urlencode({"q": words}) if words else ""

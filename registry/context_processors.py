from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


def languages(request):
    """The current page in each language: the switcher's links and the ``hreflang``
    alternates, each keeping the query string (the search) as it is."""
    current = get_language()
    here = request.get_full_path()
    versions = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(here, code)
        versions.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"],
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "current": code == current,
            }
        )
    return {"language_versions": versions}

"""The language a request is answered in, beyond what LocaleMiddleware decides.

Public pages carry their language in the address (``/ja/agreements/``; English has no
prefix, so links made before Japanese existed keep working). LocaleMiddleware answers an
address without a prefix in English, always. This middleware, placed after it:

- sends a first visit (no language cookie yet) to a public page without a prefix, from a
  browser that prefers Japanese, to the same page under ``/ja/`` (302);
- remembers the language of each public page served in the language cookie, so that a
  visitor who follows the switcher to English is not sent back;
- answers the API and the admin, which have no prefix, in ``?lang=`` (API), else the
  cookie, else ``Accept-Language``.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers

UNPREFIXED = ("/api/", "/admin/")
NOT_PAGES = ("/i18n/", f"/{settings.STATIC_URL.strip('/')}/")


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        path = request.path_info
        if path.startswith(NOT_PAGES):
            return self.get_response(request)
        if path.startswith(UNPREFIXED):
            return self.unprefixed(request)
        return self.public_page(request)

    def unprefixed(self, request):
        language = (
            request.GET.get("lang", "") if request.path_info.startswith("/api/") else ""
        )
        if language not in self.languages:
            language = translation.get_language_from_request(request, check_path=False)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response

    def public_page(self, request):
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        prefixed = translation.get_language_from_path(request.path_info)
        if prefixed is None and cookie is None and request.method in ("GET", "HEAD"):
            preferred = translation.get_language_from_request(request, check_path=False)
            if preferred != settings.LANGUAGE_CODE:
                target = translate_url(request.get_full_path(), preferred)
                if target != request.get_full_path():
                    response = HttpResponseRedirect(target)
                    patch_vary_headers(response, ("Accept-Language", "Cookie"))
                    return response
        response = self.get_response(request)
        language = translation.get_language()
        if response.status_code == 200 and cookie != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        if prefixed is None:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

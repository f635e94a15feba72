"""The page django-axes shows a locked-out sign-in (settings.AXES_LOCKOUT_CALLABLE):
in the admin's look, saying how long the lock lasts and who can lift it."""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def locked_out(request, original_response, credentials):
    response = render(
        request,
        "admin/locked_out.html",
        {
            **admin.site.each_context(request),
            "cooloff_minutes": settings.AXES_COOLOFF_MINUTES,
        },
        status=429,
    )
    response["Retry-After"] = str(settings.AXES_COOLOFF_MINUTES * 60)
    return response

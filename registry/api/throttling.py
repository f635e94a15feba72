from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    """Anonymous requests per address, at ``settings.API_ANON_RATE`` (None: no limit).

    Read at each request rather than at import, so a deployment or a test can change
    it."""

    def get_rate(self):
        return settings.API_ANON_RATE

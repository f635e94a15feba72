from ..limits import AddressThrottle


class AnonymousThrottle(AddressThrottle):
    """The API's anonymous reads per client address (registry.limits), at
    ``settings.API_ANON_RATE`` (None: no limit)."""

    scope = "anon"
    rate_setting = "API_ANON_RATE"

"""Rate limits per scope, rates from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].

Counters live in the default cache (local memory embedded, Redis scaled), keyed by user id when the
request is authenticated and by client address otherwise (NUM_PROXIES decides whether
X-Forwarded-For is trusted). A refusal is 429, code -1003, with Retry-After. Counting is a fixed
window with one atomic cache round trip per request (accounts/rate_window.py).
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.rate_headers import rate_usage_record
from accounts.rate_window import window_hit


class ScopeRateThrottle(SimpleRateThrottle):
    """A throttle with a fixed scope; `methods` limits it to some HTTP methods (None: all)."""

    methods: frozenset[str] | None = None

    def get_rate(self) -> str | None:
        # Read at request time (not at import like DRF's THROTTLE_RATES) so override_settings works.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r}")
        return rates[self.scope]

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.methods is not None and request.method not in self.methods:
            return True
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        self.count, self.seconds_left = window_hit(self.key, self.duration)
        rate_usage_record(
            request,
            limit=self.num_requests,
            count=self.count,
            seconds_left=self.seconds_left,
            window=self.duration,
        )
        return self.count <= self.num_requests

    def wait(self) -> float:
        return max(self.seconds_left, 1.0)

    def get_cache_key(self, request: Request, view: Any) -> str:
        user = getattr(request, "user", None)
        ident = f"user:{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginThrottle(ScopeRateThrottle):
    """Token obtain and refresh, per client address."""

    scope = "login"


class RegisterThrottle(ScopeRateThrottle):
    scope = "register"


class ApiKeyCreateThrottle(ScopeRateThrottle):
    """Creating keys, per user; listing is not counted."""

    scope = "api_key_create"
    methods = frozenset({"POST"})


class WithdrawalRequestThrottle(ScopeRateThrottle):
    """Withdrawal requests, per user (listing and cancelling are not counted).
    Rate: DEFAULT_THROTTLE_RATES["withdrawal_request"]."""

    scope = "withdrawal_request"
    methods = frozenset({"POST"})

"""Scope permissions for API views.

A request authenticated by JWT or session acts for the logged-in user and has every scope; one
authenticated by an API key (`request.auth` is the `ApiKey`) has only its key's scopes. An
anonymous request is refused with 401 (DRF's NotAuthenticated); a missing scope with 403, -2015.
"""

from typing import Any

from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import ApiKey, ApiKeyScope
from quantx_site.errors import ApiError, ErrorCode

ALL_SCOPES = frozenset(ApiKeyScope.values)
AUTH_SCOPE_MISSING = "AUTH_SCOPE_MISSING"
AUTH_LOGIN_REQUIRED = "AUTH_LOGIN_REQUIRED"


def request_api_key(request: Request) -> ApiKey | None:
    """The API key that authenticated the request, or None (JWT, session, anonymous)."""
    return request.auth if isinstance(request.auth, ApiKey) else None


def request_scopes(request: Request) -> frozenset[str]:
    """Scopes the request may use: none if anonymous, the key's if signed, all otherwise."""
    if not (request.user and request.user.is_authenticated):
        return frozenset()
    api_key = request_api_key(request)
    return frozenset(api_key.scopes) if api_key is not None else ALL_SCOPES


def _is_authenticated(request: Request) -> bool:
    return bool(request.user and request.user.is_authenticated)


class _HasScope(BasePermission):
    scope: str

    def has_permission(self, request: Request, view: Any) -> bool:
        if not _is_authenticated(request):
            return False
        if self.scope in request_scopes(request):
            return True
        raise ApiError(
            ErrorCode.REJECTED_API_KEY,
            f"This API key does not have the {self.scope} scope.",
            status_code=status.HTTP_403_FORBIDDEN,
            reason=AUTH_SCOPE_MISSING,
        )


class HasReadScope(_HasScope):
    """Reads of the user's own data: any login, or an API key with READ."""

    scope = ApiKeyScope.READ


class HasTradeScope(_HasScope):
    """Placing and cancelling orders: any login, or an API key with TRADE."""

    scope = ApiKeyScope.TRADE


class IsLoggedIn(BasePermission):
    """Authenticated by JWT or session, not by an API key: a stolen key must not mint or revoke keys."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not _is_authenticated(request):
            return False
        if request_api_key(request) is None:
            return True
        raise ApiError(
            ErrorCode.REJECTED_API_KEY,
            "API keys cannot manage API keys; authenticate with a JWT or a session.",
            status_code=status.HTTP_403_FORBIDDEN,
            reason=AUTH_LOGIN_REQUIRED,
        )

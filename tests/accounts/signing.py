"""Signing helper for tests: the client side of docs/api-auth.md, written independently of the server.

Also a urlconf with a test-only scoped view; use it with `pytest.mark.urls("tests.accounts.signing")`.

    client.get(path, headers=signed_headers(key, secret, "GET", path))
    client.post(path, body, content_type="application/json",
                headers=signed_headers(key, secret, "POST", path, body))
"""

import hashlib
import hmac
import time

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_keys import api_key_create
from accounts.models import ApiKey, Asset, User
from accounts.permissions import HasReadScope, HasTradeScope


def sign(secret: str, timestamp: int | str, method: str, path: str, body: str | bytes = b"") -> str:
    """hex HMAC-SHA256(secret, timestamp + METHOD + path-with-query + body)."""
    raw = body.encode() if isinstance(body, str) else body
    payload = f"{timestamp}{method.upper()}{path}".encode() + raw
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def signed_headers(
    key: str,
    secret: str,
    method: str,
    path: str,
    body: str | bytes = b"",
    *,
    timestamp: int | str | None = None,
    recv_window: int | str | None = None,
) -> dict[str, str]:
    """Headers for the test client's `headers=` argument; path must include the query string."""
    ts = str(now_ms() if timestamp is None else timestamp)
    headers = {
        "X-QX-APIKEY": key,
        "X-QX-TIMESTAMP": ts,
        "X-QX-SIGNATURE": sign(secret, ts, method, path, body),
    }
    if recv_window is not None:
        headers["X-QX-RECV-WINDOW"] = str(recv_window)
    return headers


def make_api_key(user: User, scopes: tuple[str, ...] = ("READ",), label: str = "test") -> tuple[ApiKey, str]:
    """A new key for `user` and its secret in clear."""
    created = api_key_create(user=user, label=label, scopes=scopes)
    return created.api_key, created.secret


# --- Test-only views, for `pytest.mark.urls("tests.accounts.signing")` -------------------------
# GET /api/v1/test/echo/ needs READ; POST needs TRADE and writes an Asset row (so a refused request
# can be shown to write nothing). Every real route stays available under the same urlconf.

ECHO = "/api/v1/test/echo/"


class EchoView(APIView):
    write_query_params = {"POST": frozenset({"symbol", "side"})}  # echoed back (quantx_site.middleware)

    def get_permissions(self):  # type: ignore[no-untyped-def]
        return [HasReadScope()] if self.request.method == "GET" else [HasTradeScope()]

    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({"user": request.user.username, "query": request.query_params.dict()})

    def post(self, request):  # type: ignore[no-untyped-def]
        asset = Asset.objects.create(code=str(request.data["code"]))
        return Response(
            {"user": request.user.username, "created": asset.code, "query": request.query_params.dict()}
        )


urlpatterns = [
    path("api/v1/test/echo/", EchoView.as_view()),
    path("", include("quantx_site.urls")),
]

"""The one error shape: every bad input is a 4xx {"code", "msg"[, "field"]} and changes nothing."""

import re

import pytest
from django.core.cache import cache
from django.http import Http404
from django.test import Client
from django.urls import include, path
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.models import ApiKey, User
from quantx_site.errors import ApiError, ErrorCode
from quantx_site.serializers import AmountField, StrictSerializer
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.quantx_site.test_errors")]

JSON = "application/json"
REGISTER = "/api/v1/auth/register/"
KEYS = "/api/v1/api-keys/"
AMOUNT = "/api/v1/test/amount/"


# --- A test-only urlconf: the real routes plus views that exercise the handler ------------------


class AmountView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    class InputSerializer(StrictSerializer):
        amount = AmountField()

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"amount": serializer.data["amount"]})


class RaisingView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    def get(self, request, what):
        if what == "http404":
            raise Http404("hidden detail")
        if what == "throttled":
            raise Throttled(wait=0.2)
        if what == "api-error":
            raise ApiError(
                ErrorCode.NEW_ORDER_REJECTED, "Rejected.", status_code=400, field="price", reason="x"
            )
        raise RuntimeError("boom")


urlpatterns = [
    path("api/v1/test/amount/", AmountView.as_view()),
    path("api/v1/test/raise/<str:what>/", RaisingView.as_view()),
    path("", include("quantx_site.urls")),
]
handler404 = "quantx_site.errors.handler404"
handler500 = "quantx_site.errors.handler500"


# --- Helpers -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Fresh throttle counters; a fast hasher (PBKDF2 costs ~0.2 s per user)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) <= {"code", "msg", "field", "reason"}
    assert isinstance(body["code"], int) and body["code"] < 0
    assert isinstance(body["msg"], str) and body["msg"]
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body


HUGE_INT = "1" * 5000
BAD_BODIES = [
    # (case, raw body, content type, status, code, field)
    ("malformed json", '{"username": "x", ', JSON, 400, -1101, None),
    ("trailing garbage", '{"username": "x"} x', JSON, 400, -1101, None),
    ("not utf-8", b"\xff\xfe{}", JSON, 400, -1101, None),
    ("NaN literal", '{"username": NaN}', JSON, 400, -1101, None),
    ("Infinity literal", '{"username": Infinity}', JSON, 400, -1101, None),
    ("huge integer", '{"username": ' + HUGE_INT + "}", JSON, 400, -1101, None),
    ("huge float", '{"username": 1e999, "password": "p"}', JSON, 400, -1100, "username"),
    ("array body", "[]", JSON, 400, -1100, None),
    ("string body", '"username"', JSON, 400, -1100, None),
    ("number body", "42", JSON, 400, -1100, None),
    ("null body", "null", JSON, 400, -1102, None),
    ("empty body", "", JSON, 400, -1102, None),
    ("unknown field", '{"username": "u", "password": "p", "is_staff": true}', JSON, 400, -1104, "is_staff"),
    ("number for text", '{"username": 123, "password": "p"}', JSON, 400, -1100, "username"),
    ("bool for text", '{"username": true, "password": "p"}', JSON, 400, -1100, "username"),
    ("object for text", '{"username": {"a": 1}, "password": "p"}', JSON, 400, -1100, "username"),
    ("null for text", '{"username": null, "password": "p"}', JSON, 400, -1102, "username"),
    ("form encoded", "username=u&password=p", "application/x-www-form-urlencoded", 415, -1108, None),
    ("plain text", '{"username": "u"}', "text/plain", 415, -1108, None),
    ("multipart", "--x--", "multipart/form-data; boundary=x", 415, -1108, None),
]


# --- Registration and API-key creation refuse bad bodies and write nothing ---------------------


@pytest.mark.parametrize(
    ("case", "body", "content_type", "status", "code", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES]
)
def test_registration_refuses_bad_bodies_and_creates_nobody(case, body, content_type, status, code, field):
    response = APIClient().post(REGISTER, body, content_type=content_type)
    assert_error(response, status, code, field)
    assert not User.objects.exists()


KEY_BODIES = [
    *[c for c in BAD_BODIES if c[5] is None and c[0] != "empty body"],  # empty: every field has a default
    ("unknown field", '{"label": "x", "can_trade": true}', JSON, 400, -1104, "can_trade"),
    ("secret smuggled in", '{"label": "x", "secret": "mine"}', JSON, 400, -1104, "secret"),
    ("number label", '{"label": 5}', JSON, 400, -1100, "label"),
    ("huge float label", '{"label": 1e999}', JSON, 400, -1100, "label"),
    ("scopes as string", '{"scopes": "READ"}', JSON, 400, -1100, "scopes"),
    ("unknown scope", '{"scopes": ["ADMIN"]}', JSON, 400, -1100, "scopes.0"),
    ("numeric scope", '{"scopes": [1e999]}', JSON, 400, -1100, "scopes.0"),
    ("null scope", '{"scopes": [null]}', JSON, 400, -1102, "scopes.0"),
    ("empty scopes", '{"scopes": []}', JSON, 400, -1100, "scopes"),
    ("label too long", '{"label": "' + "x" * 65 + '"}', JSON, 400, -1100, "label"),
]


@pytest.mark.parametrize(
    ("case", "body", "content_type", "status", "code", "field"), KEY_BODIES, ids=[c[0] for c in KEY_BODIES]
)
def test_api_key_creation_refuses_bad_bodies_and_creates_no_key(
    case, body, content_type, status, code, field
):
    client = APIClient()
    client.force_authenticate(make_user())
    response = client.post(KEYS, body, content_type=content_type)
    assert_error(response, status, code, field)
    assert not ApiKey.objects.exists()


def test_api_key_creation_with_an_empty_body_creates_a_read_key():
    client = APIClient()
    client.force_authenticate(make_user())
    assert client.post(KEYS, "", content_type=JSON).json()["scopes"] == ["READ"]


# --- Amounts (AmountField, used by trading) ----------------------------------------------------

BAD_AMOUNTS = [
    ("NaN string", '"NaN"', -1100),
    ("Infinity string", '"Infinity"', -1100),
    ("-Infinity string", '"-Infinity"', -1100),
    ("sNaN string", '"sNaN"', -1100),
    ("huge number", "1e30", -1100),
    ("huge string", '"123456789012345678901234567890"', -1100),
    ("beyond the atom range", '"92233720368.54775808"', -1100),
    ("negative", '"-1"', -1100),
    ("zero", '"0"', -1100),
    ("negative zero", '"-0.0"', -1100),
    ("too many decimals", '"0.000000001"', -1111),
    ("boolean", "true", -1100),
    ("not a number", '"ten"', -1100),
    ("empty string", '""', -1100),
    ("list", "[1]", -1100),
    ("null", "null", -1102),
]


@pytest.mark.parametrize(("case", "amount", "code"), BAD_AMOUNTS, ids=[c[0] for c in BAD_AMOUNTS])
def test_bad_amounts_are_refused_naming_the_field(case, amount, code):
    response = APIClient().post(AMOUNT, '{"amount": ' + amount + "}", content_type=JSON)
    assert_error(response, 400, code, "amount")


def test_a_good_amount_round_trips_as_an_exact_string():
    response = APIClient().post(AMOUNT, '{"amount": "0.10000000"}', content_type=JSON)
    assert response.json() == {"amount": "0.10000000"}


# --- Routing, methods, negotiation and unexpected failures -------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_unknown_url_under_api_is_a_json_404(method):
    response = getattr(Client(), method)("/api/v1/no-such-thing/")
    assert_error(response, 404, -1125)


def test_an_unknown_page_outside_api_is_html():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_a_method_not_allowed_is_405_and_creates_nobody(method):
    response = getattr(APIClient(), method)(REGISTER, {"username": "u", "password": PASSWORD}, format="json")
    assert_error(response, 405, -1107)
    assert not User.objects.exists()


def test_an_unsatisfiable_accept_header_is_406():
    assert_error(APIClient().get("/api/v1/auth/me/", headers={"Accept": "text/html"}), 406, -1109)


def test_http404_raised_in_a_view_is_the_json_404_without_its_detail():
    response = APIClient().get("/api/v1/test/raise/http404/")
    assert_error(response, 404, -1125)
    assert "hidden" not in response.json()["msg"]


def test_throttled_answers_429_with_retry_after():
    response = APIClient().get("/api/v1/test/raise/throttled/")
    assert_error(response, 429, -1003)
    assert response.headers["Retry-After"] == "1"


def test_an_api_error_keeps_its_code_and_extra_fields():
    response = APIClient().get("/api/v1/test/raise/api-error/")
    assert response.status_code == 400
    assert response.json() == {"code": -2010, "msg": "Rejected.", "field": "price", "reason": "x"}


def test_an_unexpected_exception_is_a_json_500_without_details():
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/test/raise/boom/")
    assert response.status_code == 500
    assert response.json() == {"code": -1000, "msg": "Internal error."}


def test_every_error_code_is_documented_with_its_status():
    from django.conf import settings

    doc = (settings.BASE_DIR / "docs" / "errors.md").read_text()
    for code in ErrorCode:
        assert re.search(rf"^### {int(code)} {code.name} — HTTP \d{{3}}", doc, re.MULTILINE), code


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_api_path_without_its_trailing_slash_is_a_coded_404_not_a_redirect(client, method):
    body = {} if method == "get" else {"content_type": "application/json", "data": "{}"}
    response = getattr(client, method)("/api/v1/orders", **body)
    assert response.status_code == 404
    assert response.json() == {
        "code": -1125,
        "msg": "No such endpoint. API paths end with a slash: /api/v1/orders/",
    }

"""The schema says what the API does (issue 12, case 8): each disagreement schemathesis found, pinned.
The whole API is fuzzed against the schema in tests/integration/test_schema_fuzz.py."""

import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    import yaml

    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_an_empty_email_is_what_the_schema_allows(schema, api):
    me = schema["components"]["schemas"]["Me"]["properties"]["email"]
    assert "format" not in me
    assert api.get("/api/v1/auth/me/").json()["email"] == ""


def test_every_request_body_refuses_unknown_fields_in_the_schema_too(schema):
    requests = {k: v for k, v in schema["components"]["schemas"].items() if k.endswith("Request")}
    assert requests
    assert all(v.get("additionalProperties") is False for v in requests.values()), sorted(requests)


def test_an_amend_needs_its_qty_in_the_schema_as_in_the_api(schema, api):
    assert schema["components"]["schemas"]["PatchedOrderAmendRequest"]["required"] == ["qty"]
    response = api.patch("/api/v1/orders/1/", {}, format="json")
    assert response.status_code in (400, 404)


@pytest.mark.parametrize("value", ["", "-", ".", "-."])
def test_a_decimal_pattern_needs_a_digit(schema, value):
    pattern = schema["components"]["schemas"]["FaucetRequest"]["properties"]["amount"]["pattern"]
    assert not re.fullmatch(pattern, value)
    assert all(re.fullmatch(pattern, ok) for ok in ("1", "0.5", ".5", "5.", "123456789012.12345678"))


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/orders/", "side=&symbol="),
        ("/api/v1/orders/", "cursor="),
        ("/api/v1/orders/", "status="),
        ("/api/v1/trades/", "symbol="),
        ("/api/v1/ledger/", "reason="),
        ("/api/v1/ledger/", "asset="),
    ],
)
def test_an_empty_query_value_is_refused_as_the_schema_says(api, path, query):
    response = api.get(f"{path}?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == -1100


def test_a_cursor_outside_the_base64_alphabet_is_refused(api):
    response = api.get("/api/v1/orders/?cursor=" + "\u00e9" * 10)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (400, -1100, "cursor")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/markets/BTC-USD/candles/", "interval=1m&start=0.0"),  # found by the fuzzer
        ("/api/v1/markets/BTC-USD/trades/", "limit=10.0"),
        ("/api/v1/orders/", "limit=1e2"),
    ],
)
def test_an_integer_written_as_a_decimal_is_refused_as_the_schema_says(api, btc_usd, path, query):
    response = api.get(f"{path}?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == -1100

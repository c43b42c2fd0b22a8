"""The trading and account endpoints are documented: errors in the one shape, lists paginated."""

import pytest
import yaml
from django.core.management import call_command

from quantx_site.openapi import SERVER_ANSWERED

PATHS = {
    "/api/v1/orders/": {"get", "post", "delete"},
    "/api/v1/orders/{order_id}/": {"get", "delete", "patch"},
    "/api/v1/orders/by-client-id/{client_order_id}/": {"get"},
    "/api/v1/trades/": {"get"},
    "/api/v1/positions/": {"get"},
    "/api/v1/instruments/": {"get"},
    "/api/v1/account/": {"get"},
    "/api/v1/ledger/": {"get"},
    "/api/v1/faucet/": {"post"},
}
ERROR_COMPONENTS = {"#/components/schemas/Error", "#/components/schemas/OrderError"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_every_endpoint_is_in_the_schema_with_its_methods(schema):
    for path, methods in PATHS.items():
        assert methods <= set(schema["paths"][path]), path


def test_every_error_response_uses_the_error_shape(schema):
    for path, methods in PATHS.items():
        for method in methods:
            responses = schema["paths"][path][method]["responses"]
            errors = {code: r for code, r in responses.items() if code[0] in "45" and code != SERVER_ANSWERED}
            assert "400" in errors, (method, path)
            for code, response in errors.items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref in ERROR_COMPONENTS, (method, path, code)


def test_the_order_error_extends_the_error_component(schema):
    components = schema["components"]["schemas"]
    assert set(components["Error"]["properties"]) < set(components["OrderError"]["properties"])
    assert {"order_id", "client_order_id"} <= set(components["OrderError"]["properties"])


def test_engine_backed_writes_document_the_503s(schema):
    for path, method in [("/api/v1/orders/", "post"), ("/api/v1/orders/{order_id}/", "delete"),
                         ("/api/v1/orders/{order_id}/", "patch"), ("/api/v1/faucet/", "post")]:  # fmt: skip
        assert "503" in schema["paths"][path][method]["responses"], (method, path)


def test_lists_are_cursor_paginated(schema):
    for path in ("/api/v1/orders/", "/api/v1/trades/", "/api/v1/ledger/"):
        operation = schema["paths"][path]["get"]
        assert {"cursor", "limit"} <= {p["name"] for p in operation["parameters"]}
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]) == {
            "next",
            "previous",
            "results",
        }


def test_amounts_are_documented_as_decimal_strings(schema):
    order = schema["components"]["schemas"]["Order"]["properties"]
    assert (order["price"]["type"], order["price"]["format"]) == ("string", "decimal")


def test_the_instrument_list_needs_no_authentication(schema):
    operation = schema["paths"]["/api/v1/instruments/"]["get"]
    assert operation.get("security") in (None, [], [{}])

"""The OpenAPI schema validates without warnings, and the docs pages work offline."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

from quantx_site.openapi import SERVER_ANSWERED

ACCOUNT_PATHS = [
    "/api/v1/auth/register/",
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/me/",
    "/api/v1/api-keys/",
    "/api/v1/api-keys/{key_id}/",
]


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_the_schema_validates_with_no_warnings(schema):
    # call_command raises on an invalid schema or on any warning (--fail-on-warn): CI fails there.
    assert schema["openapi"].startswith("3.")


def test_the_error_component_has_code_msg_field_and_reason(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "msg", "field", "reason"}
    assert set(error["required"]) == {"code", "msg"}


def test_every_accounts_endpoint_documents_its_errors_with_the_error_component(schema):
    for path in ACCOUNT_PATHS:
        for method, operation in schema["paths"][path].items():
            errors = {
                status: r
                for status, r in operation["responses"].items()
                if status.startswith("4") and status != SERVER_ANSWERED
            }
            assert errors, f"{method} {path} documents no 4xx"
            for status, response in errors.items():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, status)


def test_the_api_key_security_scheme_names_the_signing_headers(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {schemes[n]["name"] for n in ("ApiKey", "ApiKeyTimestamp", "ApiKeySignature")} == {
        "X-QX-APIKEY",
        "X-QX-TIMESTAMP",
        "X-QX-SIGNATURE",
    }
    me = schema["paths"]["/api/v1/auth/me/"]["get"]
    assert {"ApiKey": [], "ApiKeyTimestamp": [], "ApiKeySignature": []} in me["security"]


def test_key_management_is_documented_as_login_only(schema):
    for method, operation in schema["paths"]["/api/v1/api-keys/"].items():
        assert operation["security"] == [{"jwtAuth": []}, {"cookieAuth": []}], method


def test_the_created_key_documents_its_secret_and_the_list_does_not(schema):
    components = schema["components"]["schemas"]
    assert "secret" in components["ApiKeyCreated"]["properties"]
    assert "secret" not in components["ApiKey"]["properties"]


@pytest.mark.django_db
def test_the_schema_endpoint_serves_json_to_anonymous_clients():
    response = APIClient().get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    assert "/api/v1/auth/me/" in response.json()["paths"]


@pytest.fixture
def plain_static_storage(settings):
    # The manifest storage needs collectstatic; the page's URLs are the same without hashes.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_their_assets_locally_not_from_a_cdn(plain_static_storage, page):
    response = APIClient().get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert assets, html
    for url in assets:
        assert url.startswith("/static/"), f"{url} is not served locally"
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
    assert "cdn" not in html.lower()
    assert "unpkg" not in html.lower()

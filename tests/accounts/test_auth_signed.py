"""Signed API-key requests: what is accepted, and each refusal with its code (nothing written)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_keys import signature_compute, signature_payload
from accounts.authentication import SIGNING_EXAMPLE
from accounts.models import ApiKey, Asset
from tests.accounts.signing import ECHO, make_api_key, now_ms, sign, signed_headers
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.signing")]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """PBKDF2 costs ~0.2 s per user; these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ME = "/api/v1/auth/me/"
BODY = '{"code":"ZZZ"}'
POST_PATH = f"{ECHO}?symbol=BTC-USD&side=BUY"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def trade_key() -> tuple[ApiKey, str]:
    return make_api_key(make_user("alice"), scopes=("READ", "TRADE"))


def post_signed(client, path, body, headers):
    return client.post(path, body, content_type="application/json", headers=headers)


def assert_refused(response, status, code, field=None):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if field is not None:
        assert response.json()["field"] == field
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("QX-HMAC-SHA256")
    assert not Asset.objects.exists()


def test_a_signed_get_to_me_reports_the_key_and_its_scopes(client):
    api_key, secret = make_api_key(make_user("alice"))
    response = client.get(ME, headers=signed_headers(api_key.key, secret, "GET", ME))
    assert response.status_code == 200
    assert response.json()["auth"] == "api_key"
    assert response.json()["scopes"] == ["READ"]
    assert response.json()["api_key"] == api_key.key


def test_a_signed_get_with_a_query_string_succeeds(client, trade_key):
    api_key, secret = trade_key
    path = f"{ECHO}?symbol=BTC-USD&limit=5"
    response = client.get(path, headers=signed_headers(api_key.key, secret, "GET", path))
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "query": {"symbol": "BTC-USD", "limit": "5"}}


def test_a_signed_post_with_body_and_query_string_succeeds(client, trade_key):
    api_key, secret = trade_key
    response = post_signed(
        client, POST_PATH, BODY, signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == "ZZZ"
    assert Asset.objects.filter(code="ZZZ").exists()


def test_a_signature_in_upper_case_hex_is_accepted(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "GET", ME)
    headers["X-QX-SIGNATURE"] = headers["X-QX-SIGNATURE"].upper()
    assert client.get(ME, headers=headers).status_code == 200


def test_a_tampered_body_is_refused_as_a_bad_signature(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    response = post_signed(client, POST_PATH, '{"code":"YYY"}', headers)
    assert_refused(response, 401, -1022, "X-QX-SIGNATURE")


def test_a_tampered_query_string_is_refused_as_a_bad_signature(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    response = post_signed(client, f"{ECHO}?symbol=ETH-USD&side=BUY", BODY, headers)
    assert_refused(response, 401, -1022)


def test_a_tampered_path_is_refused_as_a_bad_signature(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "GET", ME)
    assert_refused(client.get(ECHO, headers=headers), 401, -1022)


def test_a_tampered_method_is_refused_as_a_bad_signature(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "GET", ECHO, BODY)
    assert_refused(post_signed(client, ECHO, BODY, headers), 401, -1022)


def test_a_tampered_timestamp_is_refused_as_a_bad_signature(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    headers["X-QX-TIMESTAMP"] = str(int(headers["X-QX-TIMESTAMP"]) - 1)
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -1022)


def test_a_signature_made_with_another_secret_is_refused(client, trade_key):
    api_key, _ = trade_key
    headers = signed_headers(api_key.key, "0" * 64, "POST", POST_PATH, BODY)
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -1022)


def test_a_stale_timestamp_is_refused_outside_the_default_window(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY, timestamp=now_ms() - 6_000)
    response = post_signed(client, POST_PATH, BODY, headers)
    assert_refused(response, 401, -1021, "X-QX-TIMESTAMP")
    assert response.json()["reason"] == "AUTH_TIMESTAMP_TOO_OLD"


def test_a_wider_recv_window_accepts_an_older_timestamp(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "GET", ME, timestamp=now_ms() - 6_000, recv_window=20_000)
    assert client.get(ME, headers=headers).status_code == 200


def test_a_timestamp_too_far_in_the_future_is_refused(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY, timestamp=now_ms() + 5_000)
    response = post_signed(client, POST_PATH, BODY, headers)
    assert_refused(response, 401, -1021)
    assert response.json()["reason"] == "AUTH_TIMESTAMP_IN_FUTURE"


@pytest.mark.parametrize("window", ["60001", "0", "-5", "5s", "1e4"])
def test_a_recv_window_out_of_range_or_not_an_integer_is_refused(client, trade_key, window):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY, recv_window=window)
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -1100, "X-QX-RECV-WINDOW")


def test_a_recv_window_of_60000_is_allowed(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "GET", ME, timestamp=now_ms() - 50_000, recv_window=60_000)
    assert client.get(ME, headers=headers).status_code == 200


@pytest.mark.parametrize("timestamp", ["abc", "1.7e12", "-1", " 1700000000000", "9" * 16])
def test_a_malformed_timestamp_is_refused(client, trade_key, timestamp):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY, timestamp=timestamp)
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -1100, "X-QX-TIMESTAMP")


def test_a_revoked_key_is_refused(client, trade_key):
    api_key, secret = trade_key
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -2015, "X-QX-APIKEY")


def test_an_unknown_key_is_refused(client):
    headers = signed_headers("qx_" + "A" * 32, "0" * 64, "POST", POST_PATH, BODY)
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -2015)


def test_a_key_of_a_deactivated_user_is_refused(client, trade_key):
    api_key, secret = trade_key
    api_key.user.is_active = False
    api_key.user.save()
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -2015)


@pytest.mark.parametrize("key", ["", "abc", "qx_short", "qx_" + "A" * 62, "qx_" + "é" * 20])
def test_a_malformed_key_is_refused_with_code_2014(client, key):
    headers = signed_headers("qx_" + "A" * 32, "0" * 64, "POST", POST_PATH, BODY)
    headers["X-QX-APIKEY"] = key
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -2014, "X-QX-APIKEY")


@pytest.mark.parametrize("missing", ["X-QX-TIMESTAMP", "X-QX-SIGNATURE", "X-QX-APIKEY"])
def test_a_missing_header_is_refused_with_code_1102(client, trade_key, missing):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    del headers[missing]
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -1102, missing)


@pytest.mark.parametrize("signature", ["zz" * 32, "ab" * 31, "ab" * 33])
def test_a_signature_that_is_not_64_hex_characters_is_refused(client, trade_key, signature):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    headers["X-QX-SIGNATURE"] = signature
    assert_refused(post_signed(client, POST_PATH, BODY, headers), 401, -1022)


def test_a_refused_request_does_not_touch_last_used_at(client, trade_key):
    api_key, _ = trade_key
    post_signed(client, POST_PATH, BODY, signed_headers(api_key.key, "0" * 64, "POST", POST_PATH, BODY))
    api_key.refresh_from_db()
    assert api_key.last_used_at is None


def test_last_used_at_is_written_on_use_then_at_most_once_a_minute(
    client, trade_key, django_assert_num_queries, monkeypatch
):
    api_key, secret = trade_key
    client.get(ME, headers=signed_headers(api_key.key, secret, "GET", ME))
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None

    with django_assert_num_queries(0):  # the key is in this process's cache: no lookup, no UPDATE
        client.get(ME, headers=signed_headers(api_key.key, secret, "GET", ME))
    api_key.refresh_from_db()
    assert api_key.last_used_at == first

    # Two minutes later (the auth cache has expired since):
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first - timedelta(minutes=2))
    monkeypatch.setattr("accounts.auth_cache.clock", lambda: time.monotonic() + 120)
    client.get(ME, headers=signed_headers(api_key.key, secret, "GET", ME))
    api_key.refresh_from_db()
    assert api_key.last_used_at > first


def test_the_documented_signing_example_is_correct():
    ex = SIGNING_EXAMPLE
    assert sign(ex["secret"], ex["timestamp"], ex["method"], ex["path"], ex["body"]) == ex["signature"]
    payload = signature_payload(
        timestamp=ex["timestamp"], method=ex["method"], path=ex["path"], body=ex["body"].encode()
    )
    assert signature_compute(secret=ex["secret"], payload=payload) == ex["signature"]


def test_an_exact_replay_inside_the_window_is_refused_and_changes_nothing(client, trade_key):
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY, recv_window=60_000)
    assert post_signed(client, POST_PATH, BODY, headers).status_code == 200
    again = post_signed(client, POST_PATH, BODY, headers)
    assert again.status_code == 401, again.content
    assert again.json()["code"] == -1022
    assert again.json()["reason"] == "AUTH_SIGNATURE_REPLAYED"
    assert Asset.objects.count() == 1


def test_the_same_request_signed_again_with_a_new_timestamp_is_accepted(client, trade_key):
    api_key, secret = trade_key
    path = "/api/v1/auth/me/"
    first = client.get(path, headers=signed_headers(api_key.key, secret, "GET", path, timestamp=now_ms()))
    second = client.get(
        path, headers=signed_headers(api_key.key, secret, "GET", path, timestamp=now_ms() + 1)
    )
    assert (first.status_code, second.status_code) == (200, 200)


def test_a_refused_signature_does_not_use_up_the_request(client, trade_key):
    """Only a verified signature is remembered: a bad one cannot block the genuine request."""
    api_key, secret = trade_key
    headers = signed_headers(api_key.key, secret, "POST", POST_PATH, BODY)
    forged = {**headers, "X-QX-SIGNATURE": "0" * 64}
    assert post_signed(client, POST_PATH, BODY, forged).status_code == 401
    assert post_signed(client, POST_PATH, BODY, headers).status_code == 200

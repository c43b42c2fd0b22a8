"""API key secrets at rest: encrypted, with a key that is not in the database."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from accounts.api_keys import derive_fernet_key, secret_decrypt, secret_encrypt
from tests.accounts.signing import make_api_key
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """PBKDF2 costs ~0.2 s per user; these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_secret_is_not_in_the_database_row_in_clear():
    api_key, secret = make_api_key(make_user())
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey WHERE id = %s", [api_key.pk])
        row = cursor.fetchone()
    assert all(secret not in str(value) for value in row)
    assert secret_decrypt(api_key.secret_encrypted) == secret


def test_two_encryptions_of_one_secret_differ():
    assert secret_encrypt("s3cret") != secret_encrypt("s3cret")


def test_the_derived_key_depends_on_the_secret_key(settings):
    token = secret_encrypt("s3cret")
    settings.SECRET_KEY = "another-secret-key-entirely-" + "x" * 30
    with pytest.raises(InvalidToken):
        secret_decrypt(token)


def test_a_rotated_secret_key_listed_in_fallbacks_still_decrypts(settings):
    old = settings.SECRET_KEY
    token = secret_encrypt("s3cret")
    settings.SECRET_KEY = "rotated-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = [old]
    assert secret_decrypt(token) == "s3cret"


def test_a_configured_encryption_key_is_used_to_encrypt(settings):
    key = Fernet.generate_key()
    settings.API_KEY_ENCRYPTION_KEY = key.decode()
    token = secret_encrypt("s3cret")
    assert Fernet(key).decrypt(token.encode()) == b"s3cret"


def test_secrets_from_before_a_configured_key_still_decrypt(settings):
    token = secret_encrypt("s3cret")
    settings.API_KEY_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert secret_decrypt(token) == "s3cret"


def test_a_malformed_configured_key_fails_loudly(settings):
    settings.API_KEY_ENCRYPTION_KEY = "not-a-fernet-key"
    with pytest.raises(ImproperlyConfigured, match="QX_API_KEY_ENCRYPTION_KEY"):
        secret_encrypt("s3cret")


def test_the_derived_key_is_a_valid_fernet_key_and_stable():
    key = derive_fernet_key("some secret key")
    assert key == derive_fernet_key("some secret key")
    Fernet(key)

"""Listen keys (Binance's user-data stream tokens): create, keep alive, close, resolve.

A listen key maps to a user for 60 minutes after its last keep-alive. Keys live in the default cache
(local memory embedded; Redis scaled, so a key made by a gunicorn worker opens a stream on daphne).
A key is 64 random hex characters: it opens the owner's order and balance events, read-only.
"""

import secrets

from django.core.cache import cache

from accounts.models import User
from quantx_site.errors import ApiError, ErrorCode

LISTEN_KEY_TTL_SECONDS = 60 * 60
LISTEN_KEY_LENGTH = 64


def _key(listen_key: str) -> str:
    return f"bn:listenkey:{listen_key}"


def _owner_key(user_id: int) -> str:
    return f"bn:listenkey-of:{user_id}"


def listen_key_create(*, user: User) -> str:
    """The user's listen key (the open one, kept alive, if there is one; Binance does the same)."""
    current = cache.get(_owner_key(user.pk))
    if current and cache.get(_key(current)) == user.pk:
        listen_key_keepalive(user=user, listen_key=current)
        return str(current)
    listen_key = secrets.token_hex(LISTEN_KEY_LENGTH // 2)
    cache.set(_key(listen_key), user.pk, timeout=LISTEN_KEY_TTL_SECONDS)
    cache.set(_owner_key(user.pk), listen_key, timeout=LISTEN_KEY_TTL_SECONDS)
    return listen_key


def listen_key_keepalive(*, user: User, listen_key: str) -> None:
    _owned(user, listen_key)
    cache.touch(_key(listen_key), LISTEN_KEY_TTL_SECONDS)
    cache.touch(_owner_key(user.pk), LISTEN_KEY_TTL_SECONDS)


def listen_key_close(*, user: User, listen_key: str) -> None:
    _owned(user, listen_key)
    cache.delete_many([_key(listen_key), _owner_key(user.pk)])


def listen_key_user_id(listen_key: str) -> int | None:
    """The owner of a live listen key, or None."""
    if len(listen_key) != LISTEN_KEY_LENGTH:
        return None
    owner = cache.get(_key(listen_key))
    return int(owner) if owner is not None else None


def _owned(user: User, listen_key: str) -> None:
    if listen_key_user_id(listen_key) != user.pk:
        raise ApiError(ErrorCode.NOT_FOUND, "This listenKey does not exist.", reason="LISTEN_KEY_UNKNOWN")
